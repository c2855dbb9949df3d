#!/usr/bin/env bash
# Sets up everything on a fresh machine that has only Python 3.11+:
#   - a virtualenv in .venv with the host, both plugin distributions and the test extras;
#   - Debian's chromium for the browser tests (when running as root and it is missing).
# Safe to run again, and quick then. The installs are editable, so source changes need no
# reinstall; what pip installed changes only with the three pyproject.toml files (dependencies,
# entry points) or this script. .venv/setup.stamp holds their hash: pip runs again only when
# it differs, or when .venv is missing, broken or does not import the host and both plugins
# from this folder. pip's output goes to .venv/setup.log and is shown only when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$(pwd -P)  # physical, as python and pip record it
PY=${PYTHON:-python3}
STAMP=.venv/setup.stamp
LOG=.venv/setup.log

wanted=$(cat pyproject.toml plugins/quickbooks/pyproject.toml plugins/xero/pyproject.toml \
  scripts/setup.sh | "$PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')

installed_here() {
  # -I: not the current folder on sys.path, so only what is installed in .venv is found.
  .venv/bin/python -I - "$HERE" 2>/dev/null <<'EOF'
import importlib.util, os, sys
root = sys.argv[1]
for name, folder in (("host", "host"), ("psa_quickbooks", "plugins/quickbooks/src/psa_quickbooks"),
                     ("psa_xero", "plugins/xero/src/psa_xero")):
    spec = importlib.util.find_spec(name)
    if spec is None or os.path.dirname(spec.origin or "") != os.path.join(root, folder):
        sys.exit(1)
for name in ("flask", "pytest", "playwright"):
    if importlib.util.find_spec(name) is None:
        sys.exit(1)
EOF
}

# A venv whose python does not start, or made in another folder (its scripts name that
# folder's python: a moved or copied checkout), is made again from scratch.
if ! .venv/bin/python -c "" 2>/dev/null ||
   { [ -e .venv/bin/flask ] && ! grep -qF "$HERE/.venv/bin/python" .venv/bin/flask; }; then
  "$PY" -m venv --clear .venv
fi
if [ "$(cat "$STAMP" 2>/dev/null)" = "$wanted" ] && installed_here; then
  echo "setup: .venv is up to date"
else
  rm -f "$STAMP"
  echo "setup: installing the host and both plugins into .venv (pip, a minute or two) ..."
  started=$SECONDS
  # No pip upgrade (Python 3.11's own pip installs editable pyproject projects) and no
  # byte-compiling of every installed module (some 3,700 files, most never imported): Python
  # compiles what it imports, once.
  if ! .venv/bin/python -m pip install --no-compile \
         -e ".[test]" -e plugins/quickbooks -e plugins/xero >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "setup failed: pip's whole output is in $LOG" >&2
    exit 1
  fi
  if ! installed_here; then
    echo "setup failed: .venv does not import the host and both plugins from $HERE ($LOG)" >&2
    exit 1
  fi
  echo "$wanted" >"$STAMP"
  echo "setup: done in $((SECONDS - started)) s ($(.venv/bin/python --version))"
fi

if [ "${1:-}" = "--with-browser" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium missing; run as root or: sudo apt-get install chromium" >&2
  fi
fi
