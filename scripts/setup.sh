#!/usr/bin/env bash
# Set up Downhill on Debian/Ubuntu: system packages for Qt (when missing and we are root),
# a virtual environment in .venv, and the project with its test extra. Idempotent and quiet.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SYSTEM_PACKAGES="xvfb xauth libgl1-mesa-dri libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 \
libxcb-keysyms1 libxcb-shape0 libxcb-render-util0 libxcb-image0 libxcb-xinerama0 libfontconfig1 \
libdbus-1-3 fonts-dejavu-core"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for package in $SYSTEM_PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
  done
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "downhill: installing system packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "downhill: these system packages are missing; install them with sudo apt-get install$missing" >&2
  fi
fi

PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PYTHON="$candidate"; break
  fi
done
if [ -z "$PYTHON" ]; then
  echo "downhill: Python 3.11 or newer is needed (apt-get install python3 python3-venv)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || { echo "downhill: could not create .venv (apt-get install python3-venv)" >&2; exit 1; }
fi
STAMP=.venv/.downhill-installed
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  echo "downhill: installing the Python packages into .venv (first run only)" >&2
  if ! .venv/bin/python -m pip install -q -e ".[test]" >.venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "downhill: pip could not install the project; see the log above" >&2
    exit 1
  fi
  # Compile the physics kernels once now (Numba caches the machine code), not at the first step.
  .venv/bin/python -m physics.warm_up >/dev/null 2>&1 || echo "downhill: could not pre-compile the physics kernels" >&2
  touch "$STAMP"
fi
