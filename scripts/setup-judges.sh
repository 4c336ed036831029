#!/usr/bin/env bash
# Python judges for the tests (pyproj for PROJ's EPSG:6960; ogctests, the OGC API - Features
# conformance suite), in a venv under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/judges-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import pyproj, ogctests" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/judges/requirements.txt
fi
# ogrinfo (GDAL 3.6) reads the server's OGC API - Features as an independent client.
if ! command -v ogrinfo >/dev/null; then
  echo "ogrinfo is missing: scripts/setup.sh installs gdal-bin" >&2
  exit 1
fi
# Node.js judges: Mapbox's vector-tile reader, the MVT fixtures and pmtiles.js (tiles), and
# MapLibre's style validator (server).
[ -d tiles/tests/js/node_modules/@mapbox/vector-tile ] || npm ci --prefix tiles/tests/js --no-audit --no-fund
[ -x server/tests/js/node_modules/.bin/gl-style-validate ] || npm ci --prefix server/tests/js --no-audit --no-fund
