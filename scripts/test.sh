#!/usr/bin/env bash
# The README's second command: every check and test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/data ]; then
  echo "error: ../shared/data is missing; the tests need the shared test data beside the clone" >&2
  exit 1
fi
bash scripts/setup.sh
bash scripts/setup-judges.sh
export QUYHOACH_PYTHON="$PWD/target/judges-venv/bin/python"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --release
# The web map in headless Chromium against the real server (built by the step above).
cargo build --release --bin quyhoach
npm test --prefix web
