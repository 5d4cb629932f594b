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
exec bash "$(dirname "${BASH_SOURCE[0]}")/debian-peer.sh" prometheus prometheus TIDEPLANE_PROMETHEUS --version
