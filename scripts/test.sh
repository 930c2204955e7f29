#!/usr/bin/env bash
# Set up and run every test (engine, dashboard callbacks, and the browser tests in chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
