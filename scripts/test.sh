#!/usr/bin/env bash
# README command 2: set up everything, then run the whole test suite (unit, integration over
# real HTTP with the worker and the sandboxes, browser tests in headless Chromium).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-browser || exit 1
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" = "5" ]; then
  echo "pytest collected no tests: treating as a failure" >&2
  exit 1
fi
exit "$rc"
