#!/usr/bin/env bash
# Set up and run every test (engine, dashboard callbacks, and the browser tests in chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh requirements-dev.txt
# Two test processes (pytest-xdist): the browser tests mostly wait on chromium, so the suite runs in
# about 14 minutes instead of 18. TEST_WORKERS=0 runs it in one process.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" "$@"
