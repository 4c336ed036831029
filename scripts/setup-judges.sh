#!/usr/bin/env bash
# The independent judges the tests use, nothing of which we wrote:
#   Debian: python3-gdal (GDAL from Python), zip, chromium (the web map's browser tests),
#   poppler-utils (pdfinfo, pdftoppm: the web map's printed page),
#   qgis + python3-qgis (QGIS itself opens the generated QGIS project, headless)
#   ffmpeg (ffprobe) and sox + libsox-fmt-mp3: the notices' audio decoded and timed
#   iproute2 (ip: the offline kit's test brings up lo in a network namespace of its own)
#   nginx-light: the load balancer in front of several servers (server/tests/deploy.rs)
#   PyPI, in a venv under target/: pyproj (PROJ's EPSG:6960), ogctests (OGC API - Features),
#   feedparser (Atom feeds), aiosmtpd (a local SMTP server receiving alert mail),
#   openapi-spec-validator (the OpenAPI documents)
#   npm, from lockfiles: @mapbox/vector-tile, mvt-fixtures, pmtiles (tiles); MapLibre's
#   style validator (server); playwright-core (web, installed by setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh
ensure_debian_packages python3-gdal zip chromium poppler-utils qgis python3-qgis iproute2 \
  ffmpeg sox libsox-fmt-mp3 nginx-light
venv=target/judges-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import pyproj, ogctests, feedparser, aiosmtpd, openapi_spec_validator" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/judges/requirements.txt
fi
# ogrinfo (GDAL 3.6) reads our files, tiles and OGC API as an independent client.
if ! command -v ogrinfo >/dev/null; then
  echo "ogrinfo is missing: scripts/setup.sh installs gdal-bin" >&2
  exit 1
fi
[ -d tiles/tests/js/node_modules/@mapbox/vector-tile ] || npm ci --prefix tiles/tests/js --no-audit --no-fund
[ -x server/tests/js/node_modules/.bin/gl-style-validate ] || npm ci --prefix server/tests/js --no-audit --no-fund
