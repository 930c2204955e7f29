#!/usr/bin/env bash
# Set up and run the main job on the bundled demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/python -m engine allocate "$@"
