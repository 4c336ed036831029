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
# The two-way features' tests run on SQLite and on PostgreSQL, and the PostGIS store's on
# PostGIS: a throwaway server from Debian's postgresql packages, started here
# (scripts/setup-postgres.sh prints its URL), and a streaming replica of it.
QUYHOACH_TEST_PG="$(bash scripts/setup-postgres.sh | tail -1)"
export QUYHOACH_TEST_PG
trap 'bash scripts/stop-postgres.sh' EXIT
# Each test makes databases of its own; they are dropped between the passes (disk is shared).
drop_test_databases() {
  psql "$QUYHOACH_TEST_PG" -Atqc "SELECT datname FROM pg_database WHERE NOT datistemplate \
    AND datname NOT IN ('postgres', 'quyhoach_test')" | while read -r db; do
    psql "$QUYHOACH_TEST_PG" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  done
}
QUYHOACH_TEST_PG_REPLICA="$(bash scripts/setup-postgres-replica.sh | tail -1)"
export QUYHOACH_TEST_PG_REPLICA
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --release
drop_test_databases
# The server's suite again with its store on PostGIS: every test's demo district built into a
# new database and served from it (server/tests/common/mod.rs), the same assertions. The same
# cargo command as above, so nothing is built again (`-p quyhoach-server` would resolve
# features anew and rebuild every test binary); the data and tiles tests run twice.
QUYHOACH_TEST_STORE=postgis cargo test --workspace --release
drop_test_databases
# The web map in headless Chromium against the real server (built by the step above).
cargo build --release --bin quyhoach
npm test --prefix web
# The main walk-through again with the demo served from PostGIS (web/tests/harness.mjs builds
# it into a new database on the test server).
QUYHOACH_E2E_PG="$QUYHOACH_TEST_PG" node web/tests/e2e.mjs
# Every further web file whose site the harness builds (run-more.mjs lists them), on PostGIS.
QUYHOACH_E2E_PG="$QUYHOACH_TEST_PG" node web/tests/run-more.mjs
