#!/usr/bin/env bash
# Installs Debian's `prometheus` package when no `prometheus` binary is on PATH, and prints the path of
# the binary on stdout (logs go to stderr). Idempotent: when `prometheus` is already on PATH it installs
# nothing. test/peers/harness/prometheus.ts runs the binary it finds on PATH (or TIDEPLANE_PROMETHEUS).
#
# The package's maintainer scripts would start a `prometheus` service on :9090. In a container without
# systemd, invoke-rc.d asks /usr/sbin/policy-rc.d first; this script makes sure one that answers 101
# ("action forbidden") is in place during the install, so no service starts, and removes it afterwards
# only if it created it. The tests never use that service: each starts its own server on 127.0.0.1.
#
# Usage: bash test/peers/scripts/prometheus.sh
#
# Environment:
#   TIDEPLANE_PROMETHEUS   path of a prometheus binary to use instead (nothing is installed)
set -euo pipefail

PACKAGE=prometheus
BINARY=prometheus

case "${1:-}" in
  "") ;;
  -h | --help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "$PACKAGE.sh: unknown argument: $1" >&2
    exit 2
    ;;
esac

log() { echo "test-peers: $*" >&2; }

found() {
  local path
  if [[ -n "${TIDEPLANE_PROMETHEUS:-}" ]]; then
    path="$TIDEPLANE_PROMETHEUS"
  else
    path="$(command -v "$BINARY" 2>/dev/null)" || return 1
  fi
  [[ -x "$path" ]] || return 1
  log "$("$path" --version 2>&1 | head -n 1)"
  echo "$path"
}

found && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "test-peers: $BINARY is not on PATH and installing Debian's $PACKAGE needs root" >&2
  exit 1
fi

# One apt run at a time (influxdb.sh takes the same lock); dpkg's own lock is waited for as well.
exec 9>/var/lock/tideplane-peers-apt.lock
flock 9
found && exit 0

created_policy=0
cleanup() {
  if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\n# tideplane test peers: start no service while packages install\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi

started=$SECONDS
export DEBIAN_FRONTEND=noninteractive
# One `apt-get update` per install, unless the package lists are less than an hour old (the other
# peer script has just updated them).
UPDATED_STAMP=/var/lock/tideplane-peers-apt.updated
if [[ -z "$(find "$UPDATED_STAMP" -mmin -60 -print 2>/dev/null)" ]] || ! apt-cache show "$PACKAGE" >/dev/null 2>&1; then
  log "apt-get update"
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  touch "$UPDATED_STAMP"
fi
log "apt-get install $PACKAGE"
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$PACKAGE" >&2
log "installed $PACKAGE $(dpkg-query -W -f='${Version}' "$PACKAGE") in $((SECONDS - started)) s"

if ! found; then
  echo "test-peers: $PACKAGE installed but $BINARY is not on PATH" >&2
  exit 1
fi
