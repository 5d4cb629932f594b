#!/usr/bin/env bash
# Installs moto's AWS server (PyPI `moto[server]`, pinned) into a Python venv in a cache folder outside
# the clone, keyed by version, and prints the path of its `moto_server` binary on stdout (logs go to
# stderr). Idempotent: a finished install is reused; a half-finished one is thrown away and redone.
# test/peers/harness/moto.ts finds the binary by the same convention.
#
# Usage: bash test/peers/scripts/moto.sh
#
# Environment:
#   TIDEPLANE_PEERS_DIR      cache root (default: $HOME/.cache/tideplane-peers)
#   TIDEPLANE_MOTO_VERSION   moto version (default below)
#   TIDEPLANE_PYTHON         Python 3 interpreter used to create the venv (default: python3)
set -euo pipefail

MOTO_VERSION="${TIDEPLANE_MOTO_VERSION:-5.2.5}"
PEERS_DIR="${TIDEPLANE_PEERS_DIR:-$HOME/.cache/tideplane-peers}"
PYTHON="${TIDEPLANE_PYTHON:-python3}"

case "${1:-}" in
  "") ;;
  -h | --help)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "moto.sh: unknown argument: $1" >&2
    exit 2
    ;;
esac

log() { echo "test-peers: $*" >&2; }

MOTO_DIR="$PEERS_DIR/moto-$MOTO_VERSION"
MARKER="$MOTO_DIR/.installed"
BIN="$MOTO_DIR/bin/moto_server"

if [[ -f "$MARKER" && -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "test-peers: $PYTHON not found; moto needs Python 3.9 or newer (set TIDEPLANE_PYTHON)" >&2
  exit 1
fi

mkdir -p "$PEERS_DIR"

# Two runs at once (parallel CI jobs, two engineers) must not build the same venv together.
exec 9>"$PEERS_DIR/moto-$MOTO_VERSION.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

# Another run may have finished while this one waited for the lock.
if [[ -f "$MARKER" && -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

log "installing moto[server]==$MOTO_VERSION into $MOTO_DIR"
rm -rf "$MOTO_DIR"
"$PYTHON" -m venv "$MOTO_DIR"
"$MOTO_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$MOTO_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2

if [[ ! -x "$BIN" ]]; then
  echo "test-peers: moto installed but $BIN is missing" >&2
  exit 1
fi

"$MOTO_DIR/bin/python" -c 'import moto, sys; sys.stderr.write("test-peers: moto " + moto.__version__ + "\n")'
touch "$MARKER"
echo "$BIN"
