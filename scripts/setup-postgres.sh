#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests (Debian's postgresql package): a new
# cluster in a directory of this clone's own under /tmp, on loopback only, on a port derived
# from the clone's path (two clones test side by side), trust authentication for the
# `quyhoach` role (a superuser: the PostGIS store's tests create the postgis extension), and
# a database `quyhoach_test` that the tests create their own databases from. Prints the URL
# to use as QUYHOACH_TEST_PG on its last line. Run again: the old cluster is stopped and
# removed first.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh
ensure_debian_packages postgresql
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
# PostGIS for the PostGIS store (data/src/pg), built for this server's major version.
PGMAJOR=$(basename "$(dirname "$PGBIN")")
ensure_debian_packages "postgresql-$PGMAJOR-postgis-3"
tag=$(printf '%s' "$PWD" | sha1sum | cut -c1-8)
DIR="${TMPDIR:-/tmp}/quyhoach-pg-$tag"
PORT=$((55000 + 0x${tag:0:4} % 4000))
# A throwaway cluster: no fsync, a small WAL (the suite makes a hundred-odd databases; CI's
# disk is shared). scripts/stop-postgres.sh stops it and removes its directory.
THROWAWAY="-c fsync=off -c synchronous_commit=off -c max_wal_size=128MB -c min_wal_size=32MB"
run=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
  run=(runuser -u postgres --)
fi
for d in replica data; do  # a replica (scripts/setup-postgres-replica.sh) first
  if [ -f "$DIR/$d/postmaster.pid" ]; then
    "${run[@]}" "$PGBIN/pg_ctl" -D "$DIR/$d" stop -m immediate >/dev/null 2>&1 || true
  fi
done
rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
"${run[@]}" "$PGBIN/initdb" -D "$DIR/data" -U quyhoach --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
"${run[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=64MB $THROWAWAY" start >/dev/null \
  || { cat "$DIR/server.log" >&2; exit 1; }
"${run[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U quyhoach quyhoach_test
echo "postgresql://quyhoach@127.0.0.1:$PORT/quyhoach_test"
