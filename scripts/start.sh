#!/usr/bin/env bash
# Set up and start the dashboard on the bundled demo data: http://127.0.0.1:8050 (PORT to change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
port=${PORT:-8050}
echo "Territory Slicer: open http://127.0.0.1:${port} (Ctrl+C to stop)"
exec .venv/bin/python -m gunicorn app:server --config gunicorn.conf.py --bind "127.0.0.1:${port}" --workers 1 --threads 8 \
  --access-logfile - --log-level warning
