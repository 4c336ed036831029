#!/usr/bin/env bash
# Installs what quyhoach needs to build and run on a fresh Debian 12 machine with Rust, Node
# and apt, and builds the web app. Safe to run again: it only installs what is missing.
#   libgdal-dev, gdal-bin   GDAL (the importer reads every vector format through it)
#   libfreetype-dev, fonts-dejavu-core   map label glyphs, rendered from DejaVu Sans
#   libsqlite3-dev          the portal's own state (workshops), through rusqlite
#   pkg-config              finds them
#   espeak-ng, opus-tools, lame   notices spoken for commune loudspeakers: Vietnamese
#                           text-to-speech with no network, encoded as Ogg/Opus and MP3
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh
ensure_debian_packages libgdal-dev gdal-bin pkg-config libfreetype-dev fonts-dejavu-core libsqlite3-dev \
  espeak-ng opus-tools lame
# The web map: MapLibre GL JS and the rest from npm, exactly as the lockfile says.
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
  npm ci --prefix web --no-audit --no-fund
fi
npm run --prefix web build
