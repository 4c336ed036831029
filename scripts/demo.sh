#!/usr/bin/env bash
# The README's first command: set up, build and run the demo portal (web map, API, tiles).
# Extra arguments go to `quyhoach demo` (e.g. --parcels 100000 --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --bin quyhoach
exec target/release/quyhoach demo "$@"
