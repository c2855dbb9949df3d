#!/usr/bin/env bash
# README command 1: set up everything, then run the demo: the host, a worker and the QuickBooks
# and Xero sandboxes on 127.0.0.1, on the embedded defaults (SQLite, Huey on SQLite), seeded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PSA_INSTANCE_DIR="${PSA_INSTANCE_DIR:-$PWD/var/demo}"
# Demo mode: without PSA_SECRET_KEY, a random one is generated once in the instance folder.
export PSA_DEMO=1
exec .venv/bin/flask --app host demo "$@"
