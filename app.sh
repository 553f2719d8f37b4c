#!/usr/bin/env bash
# Set everything up (first run only) and launch Downhill; arguments go to main.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$ROOT/scripts/setup.sh"
exec "$ROOT/.venv/bin/python" "$ROOT/main.py" "$@"
