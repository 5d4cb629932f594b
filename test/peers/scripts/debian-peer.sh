#!/usr/bin/env bash
# Installs a Debian package that provides a test peer's server binary, unless that binary is on PATH
# (or the override variable names one), and prints the binary's path on stdout (logs go to stderr).
# Idempotent. Used by prometheus.sh and influxdb.sh.
#
# Package scripts would start the package's service. In a container without systemd that either fails or
# leaves a daemon on a fixed port, so a policy-rc.d that denies service starts is put in place during the
# install (only if none exists) and removed afterwards.
#
# Usage: bash test/peers/scripts/debian-peer.sh PACKAGE BINARY OVERRIDE_VARIABLE VERSION_ARGUMENT
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: debian-peer.sh PACKAGE BINARY OVERRIDE_VARIABLE VERSION_ARGUMENT" >&2
  exit 2
fi
PACKAGE=$1
BINARY=$2
OVERRIDE=${!3:-}
VERSION_ARGUMENT=$4

log() { echo "test-peers: $*" >&2; }

found() {
  local path
  if [[ -n "$OVERRIDE" ]]; then
    path="$OVERRIDE"
  else
    path="$(command -v "$BINARY" 2>/dev/null)" || return 1
  fi
  [[ -x "$path" ]] || return 1
  log "$("$path" "$VERSION_ARGUMENT" 2>&1 | head -n 1)"
  echo "$path"
}

found && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "test-peers: $BINARY is not on PATH and installing Debian's $PACKAGE needs root" >&2
  exit 1
fi

# One apt run at a time across the peer scripts; dpkg's own lock is waited for as well.
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
