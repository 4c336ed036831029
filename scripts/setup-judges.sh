#!/usr/bin/env bash
# Python judges for the tests (pyproj for PROJ's EPSG:6960), in a venv under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/judges-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import pyproj" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/judges/requirements.txt
fi
