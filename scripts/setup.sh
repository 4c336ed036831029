#!/usr/bin/env bash
# Installs what quyhoach needs on a fresh Debian 12 machine with Rust, Node and apt:
# GDAL (library and command-line tools, the latter as an independent judge in tests),
# Python's GDAL bindings and pyproj (judges), clang for bindgen-free builds.
# Safe to run again: it only installs what is missing.
set -euo pipefail

packages=(libgdal-dev gdal-bin python3-gdal pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages: ${missing[*]}"
  # apt sometimes fails mid-install on these machines: retry once.
  for attempt in 1 2; do
    if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; then
      break
    fi
    [ "$attempt" -eq 2 ] && { echo "apt-get failed twice" >&2; exit 1; }
    sleep 5
  done
fi
# Map labels: glyphs are rendered from DejaVu Sans (full Vietnamese coverage) with the
# system FreeType (the server links libfreetype).
for p in fonts-dejavu-core libfreetype-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"; $SUDO apt-get install -y -qq "$p" >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$p" >/dev/null; }; }
done
