#!/usr/bin/env bash
# Installs Debian's `chromium` (and `chromium-driver`) for the browser test (npm run test:browser),
# unless they are there already, and prints the browser's path on stdout (logs go to stderr). Idempotent;
# uses the test peers' Debian installer (one apt run at a time, `apt-get update` at most hourly). The test
# drives /usr/bin/chromium through playwright-core, which downloads no browser of its own.
#
# Usage: bash test/browser/install-chromium.sh
#
# Environment:
#   TIDEPLANE_CHROMIUM   path of a Chromium binary to use instead (nothing is installed for it)
set -euo pipefail
install=$(dirname "${BASH_SOURCE[0]}")/../peers/scripts/debian-peer.sh
bash "$install" chromium-driver chromedriver TIDEPLANE_CHROMEDRIVER --version >/dev/null
path=$(bash "$install" chromium chromium TIDEPLANE_CHROMIUM --version)
# Debian's /usr/bin/chromium is a shell wrapper; on a machine where `findmnt -T /dev/shm` prints two lines,
# its /etc/chromium.d/dev-shm prints "[: …: unexpected operator" before the version. Harmless.
echo "browser test: $("$path" --version 2>/dev/null) at $path" >&2
echo "$path"
