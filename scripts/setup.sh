#!/usr/bin/env bash
# Sets up everything on a fresh machine that has only Python 3.11+:
#   - a virtualenv in .venv with the host, both plugin distributions and the test extras;
#   - Debian's chromium for the browser tests (when running as root and it is missing).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]" -e plugins/quickbooks -e plugins/xero
if [ "${1:-}" = "--with-browser" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium missing; run as root or: sudo apt-get install chromium" >&2
  fi
fi
echo "setup done: $(.venv/bin/python --version), $(.venv/bin/python -m pip --version | cut -d' ' -f1-2)"
