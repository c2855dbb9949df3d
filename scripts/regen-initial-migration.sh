#!/usr/bin/env bash
# Development only (until the first release): regenerate the host's single initial revision
# from the models, so parallel work does not grow a tangle of revisions. After the first release,
# add new revisions with `flask --app host db migrate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f host/migrations/versions/0001_initial*.py
PSA_INSTANCE_DIR="$tmp" PSA_DISABLE_PLUGIN_AUTOLOAD=true .venv/bin/flask --app host db migrate \
  -m "initial schema" --rev-id 0001_initial >/dev/null 2>&1
rm -rf "$tmp"
echo "regenerated host/migrations/versions/0001_initial_initial_schema.py"
