#!/usr/bin/env bash
# Starts a streaming replica (hot standby) of the test server that scripts/setup-postgres.sh
# started for this clone: a base backup of it (pg_basebackup -R, WAL streamed), on the next
# port, read-only. Prints its URL (the same database name as the primary's) on its last
# line, for QUYHOACH_TEST_PG_REPLICA. Run setup-postgres.sh first; run again: the old
# replica is stopped and removed first.
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tag=$(printf '%s' "$PWD" | sha1sum | cut -c1-8)
DIR="${TMPDIR:-/tmp}/quyhoach-pg-$tag"
PORT=$((55000 + 0x${tag:0:4} % 4000))
RPORT=$((PORT + 4000))
run=()
if [ "$(id -u)" -eq 0 ]; then
  run=(runuser -u postgres --)
fi
[ -f "$DIR/data/postmaster.pid" ] || { echo "no primary in $DIR: run scripts/setup-postgres.sh first" >&2; exit 1; }
if [ -f "$DIR/replica/postmaster.pid" ]; then
  "${run[@]}" "$PGBIN/pg_ctl" -D "$DIR/replica" stop -m immediate >/dev/null 2>&1 || true
fi
rm -rf "$DIR/replica"
"${run[@]}" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U quyhoach -D "$DIR/replica" -R -X stream \
  >"$DIR/basebackup.log" 2>&1 || { cat "$DIR/basebackup.log" >&2; exit 1; }
"${run[@]}" "$PGBIN/pg_ctl" -D "$DIR/replica" -l "$DIR/replica.log" -w -t 60 \
  -o "-p $RPORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=64MB -c hot_standby=on -c fsync=off -c max_wal_size=128MB -c min_wal_size=32MB" start >/dev/null \
  || { cat "$DIR/replica.log" >&2; exit 1; }
echo "postgresql://quyhoach@127.0.0.1:$RPORT/quyhoach_test"
