#!/usr/bin/env bash
# Stops the throwaway test server of this clone (scripts/setup-postgres.sh) and its replica
# (scripts/setup-postgres-replica.sh), and removes their directory: scripts/test.sh runs it on
# exit, so a run leaves no cluster and no databases on the disk.
set -uo pipefail
cd "$(dirname "$0")/.."
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
tag=$(printf '%s' "$PWD" | sha1sum | cut -c1-8)
DIR="${TMPDIR:-/tmp}/quyhoach-pg-$tag"
[ -d "$DIR" ] || exit 0
run=()
if [ "$(id -u)" -eq 0 ]; then
  run=(runuser -u postgres --)
fi
for d in replica data; do
  if [ -f "$DIR/$d/postmaster.pid" ]; then
    "${run[@]}" "$PGBIN/pg_ctl" -D "$DIR/$d" stop -m immediate >/dev/null 2>&1 || true
  fi
done
rm -rf "$DIR"
