#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/..
# The same HTTP load on two servers of the same data, in one run (issue 15; results in
# docs/benchmarks.md, "Embedded store vs PostGIS over HTTP"):
#
#   bash bench/backends.sh                               # 1,000,000 parcels
#   PARCELS=20000 DURATION=3 WARMUP=1 bash bench/backends.sh
#
#   embedded  `quyhoach serve --store DIR`: the demo district (`quyhoach demo --store DIR`)
#   PostGIS   `quyhoach serve --store postgresql://…`: the same district (same parcel count
#             and seed) built into a database by `quyhoach demo --store postgresql://…`
#   SQL peer  the planning report asked of PostGIS directly, `planning_report()` of
#             bench/peers.sql by pgbench, on tables ogr2ogr copied from the store (as
#             bench/peers.sh sets them up), for the same parcels as the repeated reports
#
# Rows, each embedded then PostGIS, same request list, wrk THREADS × CONNECTIONS, DURATION
# after a WARMUP (none for first reports):
#   report-first  GET /api/v1/parcels/{commune}/{sheet}/{parcel}/report, each parcel asked
#                 once (wrk's threads take disjoint slices of the list; both servers fresh)
#   report-hot    the same for 2,000 parcels over and over (the report cache's answers)
#   at            GET /api/v1/parcels/at?lon=&lat= at a point inside each of 20,000 parcels
#   search        GET /api/v1/search?q= over commune names (with and without accents),
#                 "parcel/sheet" numbers and parcels' addresses from the data
#   ogc           GET /ogc/collections/parcels/items?limit=100&bbox=… boxes of ≈ 110 m
#                 around 2,000 parcels
#   tiles-z15     every z15 tile over the town, encoded on each request (--tile-cache-mb 0,
#                 both servers)
# then the pgbench row, a check that both servers give the same status and body on a sample
# of every list, and a summary table with the ratio embedded / PostGIS in requests per second.
# On the PostGIS rows pg_stat_statements counts the statements the server ran per request and
# their execution time in the database.
#
# The PostgreSQL cluster (Debian's PostgreSQL 15 + PostGIS 3, settings as bench/peers.sh) is a
# throwaway one under WORK on its own port (not scripts/setup-postgres.sh's: that script
# removes and recreates the clone's test cluster, which a test run may be using). The loaded
# databases are kept between runs of the same PARCELS (REBUILD=1 loads them again). Bounded:
# fixed durations, `timeout` around every long command, every server and the cluster stopped
# on exit. The machine's load and running builds are printed before and after each row.
set -euo pipefail
cd "$(dirname "$0")/.."

PARCELS=${PARCELS:-1000000}
SEED=${SEED:-1}
STORE=${STORE:-target/bench-store-$PARCELS}
WORK=${WORK:-target/backends-bench}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-4}
THREADS=${THREADS:-2}
FIRST_REPORTS=${FIRST_REPORTS:-300000}
PORT_E=${PORT_E:-18491}
PORT_P=${PORT_P:-18492}
PORT_PG=${PORT_PG:-18494}
ROWS=${ROWS:-"report-first report-hot at search ogc tiles-z15 pgbench check"}
Q=${QUYHOACH:-$PWD/target/release/quyhoach}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# shellcheck disable=SC1091 # sourced files: shellcheck -x follows them
. scripts/apt.sh
ensure_debian_packages wrk postgresql postgresql-15-postgis-3 gdal-bin curl python3
[ -x "$Q" ] || { echo "no binary $Q: cargo build --release -p quyhoach-server --bin quyhoach" >&2; exit 1; }
# shellcheck disable=SC1091
. bench/lib.sh

builds() { pgrep -c -x 'cargo|rustc' || true; }
machine() { echo "  uptime: $(uptime); cargo/rustc processes: $(builds)"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -r)"
echo "binary: $Q ($(stat -c %y "$Q" | cut -d. -f1)); checkout $(git rev-parse --short HEAD 2>/dev/null || echo -)"
machine

# ---------------------------------------------------------------- the embedded store
timeout 1800 "$Q" demo --store "$STORE" --parcels "$PARCELS" --seed "$SEED" --quiet --no-serve | tail -n 1
STORE=$(cd "$STORE" && pwd)

# ---------------------------------------------------------------- the cluster
PGBIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGRUN=()
[ "$(id -u)" -eq 0 ] && PGRUN=(runuser -u postgres --)
PGDATA_DIR="$WORK/pg/data"
PGROOT="postgresql://quyhoach@127.0.0.1:$PORT_PG"
STOREURL="$PGROOT/qh_$PARCELS"    # the PostGIS store
PEERURL="$PGROOT/peer_$PARCELS"   # the SQL peer's tables (ogr2ogr)
pgq() { timeout 1800 psql -X -q -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
  cleanup_servers
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    "${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" stop -m fast >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
  rm -rf "$WORK/pg"; mkdir -p "$WORK/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pg"
  "${PGRUN[@]}" "$PGBIN/initdb" -D "$PGDATA_DIR" -U quyhoach --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/pg-initdb.log"
fi
"${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" stop -m immediate >/dev/null 2>&1 || true
# bench/peers.sh's settings (the data in memory), and pg_stat_statements to count statements.
"${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/server.log" -w -t 120 \
  -o "-p $PORT_PG -k $WORK/pg -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c effective_cache_size=8GB -c work_mem=32MB -c max_connections=100 -c jit=off -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on" start >/dev/null
echo "PostgreSQL $(pgq "$PGROOT/postgres" -Atc 'SHOW server_version') on port $PORT_PG, shared_buffers 2GB"

if [ -n "${REBUILD:-}" ]; then rm -f "$WORK/pg/store-$PARCELS" "$WORK/pg/peer-$PARCELS"; fi
# A new binary may write the database store differently: it builds it again.
if [ "$Q" -nt "$WORK/pg/store-$PARCELS" ]; then rm -f "$WORK/pg/store-$PARCELS"; fi
if [ ! -f "$WORK/pg/store-$PARCELS" ]; then
  pgq "$PGROOT/postgres" -c "DROP DATABASE IF EXISTS qh_$PARCELS" -c "CREATE DATABASE qh_$PARCELS"
  t0=$(date +%s)
  timeout 1800 "$Q" demo --store "$STOREURL" --parcels "$PARCELS" --seed "$SEED" --quiet --no-serve | tail -n 1
  echo "PostGIS store: the demo district built into qh_$PARCELS in $(( $(date +%s) - t0 )) s"
  touch "$WORK/pg/store-$PARCELS"
fi

# The SQL peer's tables: every layer of the store copied by ogr2ogr (COPY), a metric copy of
# each geometry (UTM 48N) with GiST indexes, the parcel-number index, and bench/peers.sh's
# views `parcels`, `zones`, `redlines` that bench/peers.sql reads. (peers.sh does this inline,
# not in functions it could share; this is its set-up without the Web Mercator copies and the
# Martin function, which only its tile rows use.)
if [ ! -f "$WORK/pg/peer-$PARCELS" ]; then
  pgq "$PGROOT/postgres" -c "DROP DATABASE IF EXISTS peer_$PARCELS" -c "CREATE DATABASE peer_$PARCELS"
  pgq "$PEERURL" -c "CREATE EXTENSION postgis"
  t0=$(date +%s)
  python3 - "$STORE" >"$WORK/layers.tsv" <<'PY'
import json, sys
cat = json.load(open(f"{sys.argv[1]}/catalog.json"))
for lid, l in cat["layers"].items():
    print(f"{lid}\t{l['kind']}\t{l['file']}")
PY
  : >"$WORK/pg/peer-tables.tsv"
  while IFS=$'\t' read -r lid kind file; do
    table=l_$(echo "$lid" | tr -c 'a-z0-9\n' '_')
    timeout 1800 ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$PORT_PG user=quyhoach dbname=peer_$PARCELS" \
      "$STORE/$file" -nln "$table" -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -lco FID=fid \
      -nlt PROMOTE_TO_MULTI --config PG_USE_COPY YES
    printf '%s\t%s\t%s\n' "$table" "$kind" "$lid" >>"$WORK/pg/peer-tables.tsv"
  done <"$WORK/layers.tsv"
  python3 - "$WORK/pg/peer-tables.tsv" >"$WORK/pg/peer-schema.sql" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
out = []
for t, kind, _ in rows:
    out.append(f"ALTER TABLE {t} ADD COLUMN gm geometry GENERATED ALWAYS AS (ST_Transform(geom, 32648)) STORED;")
    out.append(f"CREATE INDEX ON {t} USING gist (geom); CREATE INDEX ON {t} USING gist (gm);")
    if kind == "parcels":
        out.append(f"CREATE INDEX ON {t} (commune_code, sheet, parcel);")
def union(kind, cols):
    ts = [t for t, k, _ in rows if k == kind]
    return " UNION ALL ".join(f"SELECT '{t}'::text AS layer, fid, {cols}, geom, gm FROM {t}" for t in ts) or \
        f"SELECT NULL::text AS layer, 0::bigint AS fid, {cols}, NULL::geometry AS geom, NULL::geometry AS gm WHERE false"
out.append("CREATE VIEW zones AS " + union("zones", "plan_id, zone_id, landuse, density_pct, floors_min, floors_max, far, height_m") + ";")
out.append("CREATE VIEW redlines AS " + union("redlines", "plan_id, road_name, width_m") + ";")
out.append("CREATE VIEW boundaries AS " + union("boundaries", "code, name, level") + ";")
out.append("CREATE VIEW parcels AS " + union("parcels", "commune_code, sheet, parcel, landuse, area_m2, address") + ";")
out.append("ANALYZE;")
print("\n".join(out))
PY
  pgq "$PEERURL" -f "$WORK/pg/peer-schema.sql"
  echo "SQL peer: the store's layers copied by ogr2ogr, metric copies and indexes in $(( $(date +%s) - t0 )) s"
  touch "$WORK/pg/peer-$PARCELS"
fi
pgq "$PEERURL" -f bench/peers.sql
for u in "$STOREURL" "$PEERURL"; do
  pgq "$u" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
  pgq "$u" -c "SELECT count(pg_prewarm(c.oid)) FROM pg_class c WHERE c.relkind IN ('r','i') AND c.relnamespace = 'public'::regnamespace" >/dev/null
done
echo "PostGIS $(pgq "$STOREURL" -Atc 'SELECT postgis_lib_version()'); both databases prewarmed; sizes: store $(pgq "$STOREURL" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))"), peer $(pgq "$PEERURL" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"

# ---------------------------------------------------------------- request lists
# From the peer's copy of the store (the same features, numbered alike): parcels whose number
# is unique in its sheet (no 409 for a duplicated number), in a fixed pseudo-random order.
keys="FROM (SELECT commune_code, sheet, parcel FROM parcels GROUP BY 1, 2, 3 HAVING count(*) = 1) k
      ORDER BY md5(commune_code || '/' || sheet || '/' || parcel)"
pgq "$PEERURL" -Atc "SELECT commune_code || '/' || sheet || '/' || parcel $keys LIMIT 2000" >"$WORK/keys-hot.txt"
pgq "$PEERURL" -Atc "SELECT commune_code || '/' || sheet || '/' || parcel $keys OFFSET 2000 LIMIT $FIRST_REPORTS" >"$WORK/keys-first.txt"
prefix "/api/v1/parcels/" "/report" "$WORK/keys-hot.txt" "$WORK/report-hot.txt"
prefix "/api/v1/parcels/" "/report" "$WORK/keys-first.txt" "$WORK/report-first.txt"
pgq "$PEERURL" -Atc "SELECT format('/api/v1/parcels/at?lon=%s&lat=%s', round(ST_X(p)::numeric, 7), round(ST_Y(p)::numeric, 7))
  FROM (SELECT ST_PointOnSurface(geom) AS p FROM parcels ORDER BY md5('at' || fid) LIMIT 20000) x" >"$WORK/at.txt"
pgq "$PEERURL" -Atc "SELECT format('/ogc/collections/parcels/items?limit=100&bbox=%s,%s,%s,%s',
    round(ST_X(c)::numeric - 0.0005, 6), round(ST_Y(c)::numeric - 0.0005, 6), round(ST_X(c)::numeric + 0.0005, 6), round(ST_Y(c)::numeric + 0.0005, 6))
  FROM (SELECT ST_Centroid(geom) AS c FROM parcels ORDER BY md5('ogc' || fid) LIMIT 2000) x" >"$WORK/ogc.txt"
pgq "$PEERURL" -Atc "SELECT DISTINCT name FROM boundaries WHERE name IS NOT NULL" >"$WORK/q-communes.txt"
pgq "$PEERURL" -Atc "SELECT parcel || '/' || sheet FROM parcels ORDER BY md5('q' || fid) LIMIT 1000" >"$WORK/q-numbers.txt"
pgq "$PEERURL" -Atc "SELECT address FROM parcels WHERE coalesce(address, '') <> '' ORDER BY md5('a' || fid) LIMIT 1000" >"$WORK/q-addresses.txt"
python3 - "$WORK" <<'PY'
import random, sys, unicodedata, urllib.parse
work = sys.argv[1]
read = lambda n: [l.rstrip("\n") for l in open(f"{work}/{n}") if l.strip()]
def plain(s):
    s = s.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
communes = read("q-communes.txt")
qs = communes + [plain(c) for c in communes] + read("q-numbers.txt") + read("q-addresses.txt")
random.Random(1).shuffle(qs)
open(f"{work}/search.txt", "w").write("".join(f"/api/v1/search?q={urllib.parse.quote(q)}\n" for q in qs))
print(f"search list: {len(qs)} queries ({len(communes)} commune names, each with and without accents,"
      f" {len(read('q-numbers.txt'))} numbers, {len(read('q-addresses.txt'))} addresses)")
PY
tile_lists "$STORE" "$WORK" >/dev/null
prefix "/tiles/planning/" ".mvt" "$WORK/cold-z15.txt" "$WORK/tiles-z15.txt"
for l in report-first report-hot at search ogc tiles-z15; do printf '%s: %s requests; ' "$l" "$(wc -l <"$WORK/$l.txt")"; done; echo

# First reports: wrk's threads take disjoint slices of the list, so no parcel is asked twice
# (bench/peers.sh's once.lua).
cat >"$WORK/once.lua" - "$WORK/done.lua" <<LUA
local paths, i, n, t = {}, 0, 0, 0
setup = function(thread) thread:set("tid", t); t = t + 1 end
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  n = math.floor(#paths / $THREADS)
  i = tid * n
end
request = function()
  i = i + 1
  if i > (tid + 1) * n then i = tid * n + 1 end
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
LUA

# ---------------------------------------------------------------- the two servers
export QUYHOACH_PG_CONNECTIONS=${QUYHOACH_PG_CONNECTIONS:-8}
rm -f "$WORK"/portal-*.sqlite*
t0=$(date +%s)
"$Q" serve --store "$STORE" --listen "127.0.0.1:$PORT_E" --quiet --tile-cache-mb 0 \
  --db "$WORK/portal-e.sqlite" >"$WORK/serve-embedded.log" 2>&1 &
pids+=($!); epid=$!
wait_up "http://127.0.0.1:$PORT_E/api/v1/health" "$epid" "$WORK/serve-embedded.log"
echo "embedded server up in $(( $(date +%s) - t0 )) s, $(rss_mb "$epid") MB"
t0=$(date +%s)
"$Q" serve --store "$STOREURL" --listen "127.0.0.1:$PORT_P" --quiet --tile-cache-mb 0 \
  --db "$WORK/portal-p.sqlite" >"$WORK/serve-postgis.log" 2>&1 &
pids+=($!); pgpid=$!
wait_up "http://127.0.0.1:$PORT_P/api/v1/health" "$pgpid" "$WORK/serve-postgis.log"
echo "PostGIS server up in $(( $(date +%s) - t0 )) s, $(rss_mb "$pgpid") MB, QUYHOACH_PG_CONNECTIONS=$QUYHOACH_PG_CONNECTIONS"
E="http://127.0.0.1:$PORT_E"
P="http://127.0.0.1:$PORT_P"

# ---------------------------------------------------------------- rows
declare -A RES=()
measure() { # key base list script label
  local out note=""
  out=$(timeout $(( DURATION + 30 )) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$4" "$2" -- "$3" | grep 'req/s=' || true)
  if [ -z "$out" ] || [[ "$out" == *" requests=0 "* ]]; then
    # Seen once at 20,000 parcels: not one answer in the run, no error either. Once more.
    note=" [retried: the first attempt had no answer: ${out:-wrk failed}]"
    sleep 5
    out=$(timeout $(( DURATION + 30 )) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$4" "$2" -- "$3" | grep 'req/s=' || true)
  fi
  RES[$1]=$out
  printf '  %-30s %s  (load %s)%s\n' "$5" "${out:-wrk failed}" "$(load)" "$note"
}
stmts_reset() { pgq "$STOREURL" -Atc "SELECT pg_stat_statements_reset()" >/dev/null; }
declare -A SQLS=()
stmts_report() { # key: statements the PostGIS server ran during the row, per request
  local n mine
  n=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"${RES[$1]}")
  [ -n "$n" ] && [ "$n" -gt 0 ] || return 0
  mine="dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat_statements%'"
  SQLS[$1]=$(pgq "$STOREURL" -At -F ' ' -c "SELECT round(sum(calls)::numeric / $n, 2), round(sum(total_exec_time)::numeric / $n, 3),
      round(sum(total_plan_time)::numeric / $n, 3) FROM pg_stat_statements WHERE $mine")
  awk '{printf "  PostGIS: %s statements per request; per request %s ms executing and %s ms planning in the database\n", $1, $2, $3}' <<<"${SQLS[$1]}"
  pgq "$STOREURL" -At -F ' | ' -c "SELECT round(calls::numeric / $n, 2), round(mean_exec_time::numeric, 3), round(mean_plan_time::numeric, 3),
      left(regexp_replace(query, '\s+', ' ', 'g'), 100) FROM pg_stat_statements WHERE $mine ORDER BY total_exec_time + total_plan_time DESC LIMIT 4" |
    sed 's/^/    per request | exec ms | plan ms | /'
  pgq "$STOREURL" -At -F ' | ' -c "SELECT calls, round(mean_exec_time::numeric, 3), round(mean_plan_time::numeric, 3), regexp_replace(query, '\s+', ' ', 'g')
      FROM pg_stat_statements WHERE $mine ORDER BY calls DESC" >"$WORK/statements-${1%/p}.txt"
}
row() { # name list script warm-up?
  [[ " $ROWS " == *" $1 "* ]] || return 0
  echo "== $1 ($(wc -l <"$WORK/$2") paths, $CONNECTIONS connections, ${DURATION} s)"
  machine
  if [ "$4" = warm ]; then
    run_wrk "$E" "$WORK/$2" "$CONNECTIONS" "$WARMUP" ""
  fi
  measure "$1/e" "$E" "$WORK/$2" "$3" "embedded"
  if [ "$4" = warm ]; then
    run_wrk "$P" "$WORK/$2" "$CONNECTIONS" "$WARMUP" ""
  fi
  stmts_reset
  measure "$1/p" "$P" "$WORK/$2" "$3" "PostGIS"
  stmts_report "$1/p"
  machine
}
row report-first report-first.txt "$WORK/once.lua" cold
for k in report-first/e report-first/p; do
  n=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"${RES[$k]:-}")
  if [ -n "$n" ] && [ "$n" -gt $(( $(wc -l <"$WORK/report-first.txt") / THREADS )) ]; then
    echo "  ($k: more requests than parcels per thread: raise FIRST_REPORTS; later answers repeated)"
  fi
done
row report-hot report-hot.txt "$WORK/list.lua" warm
row at at.txt "$WORK/list.lua" warm
row search search.txt "$WORK/list.lua" warm
row ogc ogc.txt "$WORK/list.lua" warm
row tiles-z15 tiles-z15.txt "$WORK/list.lua" warm
echo "memory after the loads: embedded $(rss_mb "$epid") MB, PostGIS server $(rss_mb "$pgpid") MB"

# ---------------------------------------------------------------- the SQL peer
if [[ " $ROWS " == *" pgbench "* ]]; then
  echo "== pgbench: planning_report() in SQL for the report-hot parcels, $CONNECTIONS clients, ${DURATION} s"
  machine
  awk -F/ '{printf "%s\t%s\t%s\n", $1, $2, $3}' "$WORK/keys-hot.txt" >"$WORK/keys-hot.tsv"
  pgq "$PEERURL" -c "DROP TABLE IF EXISTS bench_keys" \
    -c "CREATE TABLE bench_keys (i serial PRIMARY KEY, commune_code text, sheet int, parcel int)" \
    -c "\\copy bench_keys (commune_code, sheet, parcel) FROM '$WORK/keys-hot.tsv'"
  nkeys=$(wc -l <"$WORK/keys-hot.txt")
  cat >"$WORK/report.pgbench" <<SQL
\\set i random(1, $nkeys)
SELECT planning_report(k.commune_code, k.sheet, k.parcel) FROM bench_keys k WHERE k.i = :i;
SQL
  PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
  rm -f "$WORK"/pgbench.[0-9]*
  timeout $(( WARMUP + 60 )) "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$WARMUP" -f "$WORK/report.pgbench" "$PEERURL" >/dev/null
  timeout $(( DURATION + 60 )) "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -l --log-prefix="$WORK/pgbench" \
    -f "$WORK/report.pgbench" "$PEERURL" >"$WORK/pgbench.txt"
  tps=$(awk '/^tps/ {print $3; exit}' "$WORK/pgbench.txt")
  lat=$(cat "$WORK"/pgbench.[0-9]* | awk '{print $3 / 1000}' | sort -n | awk '{a[NR]=$1} END {printf "p50_ms=%.2f p99_ms=%.2f transactions=%d", a[int(NR*0.5)], a[int(NR*0.99)], NR}')
  rm -f "$WORK"/pgbench.[0-9]*
  RES[pgbench]=$(printf 'tx/s=%.0f %s' "$tps" "$lat")
  printf '  %-30s %s  (load %s)\n' "pgbench planning_report()" "${RES[pgbench]}" "$(load)"
  machine
fi

# ---------------------------------------------------------------- same answers?
# A sample of every list (after the loads: the first reports must find fresh servers), asked
# of both servers one request at a time: status of each, whether the (decompressed) bodies are
# equal, and curl's time for the whole request (a new connection each).
if [[ " $ROWS " == *" check "* ]]; then
  echo "== check: the same status and body from both servers"
  for l in report-first report-hot at search ogc tiles-z15; do
    same=0; diff=0; bad=0; n=0
    : >"$WORK/times-e.txt"; : >"$WORK/times-p.txt"
    while read -r path; do
      n=$((n + 1))
      se=$(curl -s --compressed -o "$WORK/check-e.bin" -w '%{http_code} %{time_total}' --max-time 30 "$E$path" || echo 000 0)
      sp=$(curl -s --compressed -o "$WORK/check-p.bin" -w '%{http_code} %{time_total}' --max-time 30 "$P$path" || echo 000 0)
      echo "${se#* }" >>"$WORK/times-e.txt"; echo "${sp#* }" >>"$WORK/times-p.txt"
      se=${se%% *}; sp=${sp%% *}
      # Links name the server; the import times and the OGC answer's time differ by design.
      sed -i -E "s/127.0.0.1:$PORT_P/127.0.0.1:$PORT_E/g" "$WORK/check-p.bin"
      sed -i -E 's/"(imported_at|data_date|timeStamp)":"[^"]*"/"\1":"-"/g' "$WORK/check-e.bin" "$WORK/check-p.bin"
      if [ "$se" != 200 ] || [ "$sp" != 200 ]; then
        bad=$((bad + 1))
        [ "$bad" -le 5 ] && echo "  $l: GET $path -> embedded $se, PostGIS $sp"
      fi
      if cmp -s "$WORK/check-e.bin" "$WORK/check-p.bin" && [ "$se" = "$sp" ]; then same=$((same + 1)); else
        diff=$((diff + 1))
        if [ "$diff" -le 3 ]; then
          echo "  $l: GET $path -> bodies differ (embedded $se, $(wc -c <"$WORK/check-e.bin") B; PostGIS $sp, $(wc -c <"$WORK/check-p.bin") B)"
          cp "$WORK/check-e.bin" "$WORK/diff-$l-$diff-embedded.out"; cp "$WORK/check-p.bin" "$WORK/diff-$l-$diff-postgis.out"
        fi
      fi
    done < <(awk -v s=$(( ($(wc -l <"$WORK/$l.txt") + 39) / 40 )) '(NR - 1) % s == 0' "$WORK/$l.txt" | head -n 40)
    med() { sort -n "$1" | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)] * 1000}'; }
    echo "  $l: $n asked, $same identical, $diff different, $bad not 200 on one or both;" \
      "one request at a time (curl, median): embedded $(med "$WORK/times-e.txt") ms, PostGIS $(med "$WORK/times-p.txt") ms"
  done
fi

# ---------------------------------------------------------------- summary
echo "== summary: $PARCELS parcels, wrk -t$THREADS -c$CONNECTIONS, ${DURATION} s per load (ratio: embedded / PostGIS req/s)"
echo "| endpoint | embedded req/s | p50 ms | p99 ms | PostGIS req/s | p50 ms | p99 ms | ratio | PostGIS: statements, exec ms, plan ms per request | errors e / p |"
echo "|---|---|---|---|---|---|---|---|---|---|"
field() { sed -n "s|.*$1=\([0-9.]*\).*|\1|p" <<<"$2"; }
for r in report-first report-hot at search ogc tiles-z15; do
  e=${RES[$r/e]:-}; p=${RES[$r/p]:-}
  [ -n "$e$p" ] || continue
  re=$(field 'req/s' "$e"); rp=$(field 'req/s' "$p")
  ratio=$(awk -v a="${re:-0}" -v b="${rp:-0}" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "-" }')
  echo "| $r | $re | $(field p50_ms "$e") | $(field p99_ms "$e") | $rp | $(field p50_ms "$p") | $(field p99_ms "$p") | $ratio | ${SQLS[$r/p]:-} | $(field errors "$e") / $(field errors "$p") |"
done
[ -n "${RES[pgbench]:-}" ] && echo "| SQL peer: pgbench planning_report(), report-hot parcels | $(field 'tx/s' "${RES[pgbench]}") tx/s | $(field p50_ms "${RES[pgbench]}") | $(field p99_ms "${RES[pgbench]}") | | | | | | |"
machine
