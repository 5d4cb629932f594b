#!/usr/bin/env bash
# Installs Debian's `influxdb` package (InfluxDB 1.x) when no `influxd` binary is on PATH, and prints
# the path of the binary on stdout (logs go to stderr). Idempotent: when `influxd` is already on PATH it
# installs nothing. test/peers/harness/influxdb.ts runs the binary it finds on PATH (or TIDEPLANE_INFLUXD).
#
# The package's maintainer scripts would start an `influxdb` service on :8086. In a container without
# systemd, invoke-rc.d asks /usr/sbin/policy-rc.d first; this script makes sure one that answers 101
# ("action forbidden") is in place during the install, so no service starts, and removes it afterwards
# only if it created it. The tests never use that service: each starts its own server on 127.0.0.1.
#
# Usage: bash test/peers/scripts/influxdb.sh
#
# Environment:
#   TIDEPLANE_INFLUXD   path of an influxd binary to use instead (nothing is installed)
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/debian-peer.sh" influxdb influxd TIDEPLANE_INFLUXD version
