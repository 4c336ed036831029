#!/usr/bin/env bash
# Every row of the performance table against its peer, in one run, on loopback (issue 16;
# results in docs/benchmarks.md, "Against the peers").
#
#   bash bench/peers.sh                       # every row
#   ROWS="hot cold" bash bench/peers.sh       # some rows: ceiling hot cold report memory slow3g
#
# Rows (each a peer measured in the same run, same load tool, same requests):
#   ceiling  nginx (Debian) serving one 20 KB file: what the machine and wrk can do at most;
#            with hot, also nginx serving the hot mix's own tiles as files (the ceiling for
#            those bytes)
#   hot      the same PMTiles archive served by `quyhoach serve --pmtiles` (no store) and
#            by Martin (crates.io `martin` 1.14, `--features pmtiles,postgres`, built into
#            target/martin by the script when missing; MARTIN=path to use another),
#            a zoom mix of tiles over the town, wrk THREADS × CONNECTIONS
#   cold     tiles encoded on every request: `quyhoach serve --tile-cache-mb 0` from the store,
#            and Martin with its cache off serving a PostGIS function that builds the same
#            layers with ST_AsMVT from GiST-indexed tables (Web Mercator copies of the
#            geometry, the usual Martin set-up), z14 and z15 tiles over the town, COLD_CONNECTIONS
#   report   the planning report of random parcels over HTTP vs the same question asked of
#            PostGIS in one SQL statement by pgbench (COLD_CONNECTIONS clients): first reports
#            (each parcel asked once, COLD_DURATION), then the same 2,000 parcels as pgbench
#            over and over (answers from the report cache after the first)
#   memory   resident memory of each server above, after its load
#   slow3g   Chromium on the Slow-3G preset: open `/`, tap a parcel on the first view, time
#            until its report is on screen (web/tests/e2e-slow3g.mjs, default demo store)
#
# The machine's load is printed before and after each row. Bounded: fixed durations, `timeout`
# around every long command, every server killed on exit. PostgreSQL 15 + PostGIS, nginx and
# wrk come from Debian (installed when missing); the PostgreSQL cluster is a throwaway one
# under WORK.
set -euo pipefail
cd "$(dirname "$0")/.."

PARCELS=${PARCELS:-1000000}
STORE=${STORE:-target/bench-store-$PARCELS}
WORK=${WORK:-target/peers-bench}
ROWS=${ROWS:-"ceiling hot cold report memory slow3g"}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
COLD_DURATION=${COLD_DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
COLD_CONNECTIONS=${COLD_CONNECTIONS:-4}
THREADS=${THREADS:-2}
MINZOOM=${MINZOOM:-10}
MAXZOOM=${MAXZOOM:-16}
PORT_Q=${PORT_Q:-18391}
PORT_M=${PORT_M:-18392}
PORT_N=${PORT_N:-18393}
PORT_PG=${PORT_PG:-18394}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

. scripts/apt.sh
ensure_debian_packages wrk nginx-light postgresql postgresql-15-postgis-3 gdal-bin curl python3
# QUYHOACH=path measures that binary instead of building this checkout's.
if [ -z "${QUYHOACH:-}" ]; then
  cargo build --release -q -p quyhoach-server
fi
Q=${QUYHOACH:-$PWD/target/release/quyhoach}
$Q demo --store "$STORE" --parcels "$PARCELS" --seed 1 --quiet --no-serve | tail -n 1
STORE=$(cd "$STORE" && pwd)

. bench/lib.sh
if [[ " $ROWS " == *" hot "* ]] || [[ " $ROWS " == *" cold "* ]]; then
  MARTIN=$(ensure_martin)
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -r); load before: $(load)"
echo "rows: $ROWS"

cleanup() {
  cleanup_servers
  [ -n "${PGDATA_DIR:-}" ] && "${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" stop -m fast >/dev/null 2>&1 || true
}
trap cleanup EXIT
tile_lists "$STORE" "$WORK"

# ---------------------------------------------------------------- ceiling: nginx, one file
if [[ " $ROWS " == *" ceiling "* ]] || [[ " $ROWS " == *" hot "* ]]; then
  echo "== ceiling: nginx serving one 20 KB file"
  mkdir -p "$WORK/nginx/www" "$WORK/nginx/tmp"
  head -c 20480 /dev/urandom >"$WORK/nginx/www/t.bin"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp; uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  server { listen 127.0.0.1:$PORT_N; root $WORK/nginx/www; }
}
EOF
  nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx/out.log" 2>&1 &
  pids+=($!); npid=$!
  wait_up "http://127.0.0.1:$PORT_N/t.bin" "$npid" "$WORK/nginx/out.log"
  echo "/t.bin" >"$WORK/nginx-list.txt"
  run_wrk "http://127.0.0.1:$PORT_N" "$WORK/nginx-list.txt" "$CONNECTIONS" "$WARMUP" ""
  run_wrk "http://127.0.0.1:$PORT_N" "$WORK/nginx-list.txt" "$CONNECTIONS" "$DURATION" "nginx, one 20 KB file (ceiling)"
  stop "$npid"
fi

# ---------------------------------------------------------------- hot: the same archive
archive="$WORK/district.pmtiles"
if [[ " $ROWS " == *" hot "* ]] || [[ " $ROWS " == *" memory "* ]]; then
  if [ ! -f "$archive" ]; then
    /usr/bin/time -f "archive built: %e s, max RSS %M KB" timeout 1800 \
      "$Q" tiles --store "$STORE" --quiet --minzoom "$MINZOOM" --maxzoom "$MAXZOOM" --out "$archive" | tail -n 1
  fi
  echo "archive: $(stat -c %s "$archive") bytes, z$MINZOOM–$MAXZOOM"
fi
if [[ " $ROWS " == *" hot "* ]]; then
  echo "== hot: the same PMTiles archive, $CONNECTIONS connections"
  "$Q" serve --listen "127.0.0.1:$PORT_Q" --quiet --pmtiles "$archive" >"$WORK/serve-hot.log" 2>&1 &
  pids+=($!); qpid=$!
  wait_up "http://127.0.0.1:$PORT_Q/tiles" "$qpid" "$WORK/serve-hot.log"
  prefix "/tiles/district/" ".mvt" "$WORK/mix.txt" "$WORK/mix-q.txt"
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/mix-q.txt" "$CONNECTIONS" "$WARMUP" ""
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/mix-q.txt" "$CONNECTIONS" "$DURATION" "quyhoach serve --pmtiles (no store)"
  echo "memory: quyhoach serve --pmtiles (no store), after the load: $(rss_mb "$qpid") MB"
  # The ceiling for these bytes: nginx serving the mix's tiles as files (sendfile), gzipped
  # as stored. The tiles average ~60 KB, three times the ceiling row's one file.
  sort -u "$WORK/mix.txt" | while read -r t; do
    mkdir -p "$WORK/nginx/www/district/$(dirname "$t")"
    curl -s -H 'Accept-Encoding: gzip' -o "$WORK/nginx/www/district/$t.mvt" \
      "http://127.0.0.1:$PORT_Q/tiles/district/$t.mvt"
  done
  echo "the mix's $(sort -u "$WORK/mix.txt" | wc -l) distinct tiles: $(du -sb "$WORK/nginx/www/district" | cut -f1) bytes gzipped"
  nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx/out.log" 2>&1 &
  pids+=($!); npid=$!
  wait_up "http://127.0.0.1:$PORT_N/t.bin" "$npid" "$WORK/nginx/out.log"
  prefix "/district/" ".mvt" "$WORK/mix.txt" "$WORK/mix-n.txt"
  run_wrk "http://127.0.0.1:$PORT_N" "$WORK/mix-n.txt" "$CONNECTIONS" "$WARMUP" ""
  run_wrk "http://127.0.0.1:$PORT_N" "$WORK/mix-n.txt" "$CONNECTIONS" "$DURATION" "nginx, the same tiles as files"
  stop "$npid"
  if [ -x "$MARTIN" ]; then
    "$MARTIN" --version
    "$MARTIN" --listen-addresses "127.0.0.1:$PORT_M" "$archive" >"$WORK/martin-hot.log" 2>&1 &
    pids+=($!); mpid=$!
    wait_up "http://127.0.0.1:$PORT_M/catalog" "$mpid" "$WORK/martin-hot.log"
    prefix "/district/" "" "$WORK/mix.txt" "$WORK/mix-m.txt"
    for t in $(head -n 5 "$WORK/mix.txt"); do
      a=$(curl -s --compressed "http://127.0.0.1:$PORT_Q/tiles/district/$t.mvt" | sha256sum)
      b=$(curl -s --compressed "http://127.0.0.1:$PORT_M/district/$t" | sha256sum)
      [ "$a" = "$b" ] || echo "warning: tile $t differs between quyhoach and martin"
    done
    run_wrk "http://127.0.0.1:$PORT_M" "$WORK/mix-m.txt" "$CONNECTIONS" "$WARMUP" ""
    run_wrk "http://127.0.0.1:$PORT_M" "$WORK/mix-m.txt" "$CONNECTIONS" "$DURATION" "martin (same archive)"
    echo "memory: martin serving the archive, after the load: $(rss_mb "$mpid") MB"
    stop "$mpid"
    # Once more, so that neither server has the machine's better half-minute.
    run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/mix-q.txt" "$CONNECTIONS" "$DURATION" "quyhoach serve --pmtiles (again)"
  else
    echo "martin not found (MARTIN=${MARTIN:-}): only our server was measured"
  fi
  stop "$qpid"
fi

# ---------------------------------------------------------------- PostgreSQL + PostGIS
if [[ " $ROWS " == *" cold "* ]] || [[ " $ROWS " == *" report "* ]]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGRUN=()
  [ "$(id -u)" -eq 0 ] && PGRUN=(runuser -u postgres --)
  PGDATA_DIR="$WORK/pg/data"
  PGURL="postgresql://quyhoach@127.0.0.1:$PORT_PG/bench"
  psqlq() { psql -X -q -v ON_ERROR_STOP=1 "$PGURL" "$@"; }
  if [ ! -f "$WORK/pg/loaded-$PARCELS" ]; then
    "${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$WORK/pg"; mkdir -p "$WORK/pg"
    [ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pg"
    "${PGRUN[@]}" "$PGBIN/initdb" -D "$PGDATA_DIR" -U quyhoach --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/pg-initdb.log"
  fi
  # Settings a tuned PostGIS tile server would use on a 24 GB machine: the data in memory.
  "${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/server.log" -w -t 120 \
    -o "-p $PORT_PG -k $WORK/pg -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c effective_cache_size=8GB -c work_mem=32MB -c max_connections=100 -c jit=off" start >/dev/null
  if [ ! -f "$WORK/pg/loaded-$PARCELS" ]; then
    "${PGRUN[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT_PG" -U quyhoach bench
    psqlq -c "CREATE EXTENSION postgis"
    echo "loading the store into PostGIS (ogr2ogr, COPY)…"
    t0=$(date +%s)
    python3 - "$STORE" >"$WORK/layers.tsv" <<'PY'
import json, sys
cat = json.load(open(f"{sys.argv[1]}/catalog.json"))
for lid, l in cat["layers"].items():
    print(f"{lid}\t{l['kind']}\t{l['file']}")
PY
    while IFS=$'\t' read -r lid kind file; do
      table=l_$(echo "$lid" | tr -c 'a-z0-9\n' '_')
      timeout 1800 ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$PORT_PG user=quyhoach dbname=bench" \
        "$STORE/$file" -nln "$table" -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -lco FID=fid \
        -nlt PROMOTE_TO_MULTI --config PG_USE_COPY YES
      echo -e "$table\t$kind\t$lid" >>"$WORK/pg/tables.tsv"
    done <"$WORK/layers.tsv"
    python3 - "$WORK/pg/tables.tsv" >"$WORK/pg/schema.sql" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
out = []
for t, kind, _ in rows:
    # Web Mercator copies for tiles (Martin's usual set-up), metric copies (UTM 48N: the
    # district lies at 105° E) for the report's planar areas and distances, GiST on each.
    out.append(f"ALTER TABLE {t} ADD COLUMN g3857 geometry GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,"
               f" ADD COLUMN gm geometry GENERATED ALWAYS AS (ST_Transform(geom, 32648)) STORED;")
    out.append(f"CREATE INDEX ON {t} USING gist (geom); CREATE INDEX ON {t} USING gist (g3857);"
               f" CREATE INDEX ON {t} USING gist (gm);")
    if kind == "parcels":
        out.append(f"CREATE INDEX ON {t} (commune_code, sheet, parcel);")
by = lambda k: [t for t, kind, _ in rows if kind == k]
def union(kind, cols):
    ts = by(kind)
    return " UNION ALL ".join(f"SELECT '{t}'::text AS layer, fid, {cols}, geom, g3857, gm FROM {t}" for t in ts) or \
        f"SELECT NULL::text AS layer, 0::bigint AS fid, {cols}, NULL::geometry AS geom, NULL::geometry AS g3857, NULL::geometry AS gm WHERE false"
out.append("CREATE VIEW zones AS " + union("zones", "plan_id, zone_id, landuse, density_pct, floors_min, floors_max, far, height_m") + ";")
out.append("CREATE VIEW redlines AS " + union("redlines", "plan_id, road_name, width_m") + ";")
out.append("CREATE VIEW roads AS " + union("roads", "class, name") + ";")
out.append("CREATE VIEW boundaries AS " + union("boundaries", "code, name, level") + ";")
out.append("CREATE VIEW parcels AS " + union("parcels", "commune_code, sheet, parcel, landuse, area_m2") + ";")
# Martin's function source: every layer of our combined `planning` tile set, from the zoom
# our tiles start it, with the attributes our tiles carry at that zoom (server/src/tiles/source.rs).
spec = {
    "zones": (0, "plan_id, landuse, zone_id" , 14, ", density_pct, floors_min, floors_max, far, height_m"),
    "parcels": (15, "landuse, sheet, parcel", 16, ", commune_code"),
    "roads": (10, "class, name", 99, ""),
    "redlines": (13, "plan_id, road_name, width_m", 99, ""),
    "boundaries": (0, "code, name, level", 99, ""),
}
order = {"zones": 0, "parcels": 1, "roads": 2, "redlines": 3, "boundaries": 4}
parts = []
for t, kind, lid in sorted(rows, key=lambda r: order[r[1]]):
    minz, cols, detz, more = spec[kind]
    for lo, hi, extra in ((minz, detz - 1, ""), (max(minz, detz), 99, more)):
        if lo > hi:
            continue
        parts.append(f"""
  IF z BETWEEN {lo} AND {hi} THEN
    SELECT mvt || coalesce((SELECT ST_AsMVT(q, '{lid}', 4096, 'geom') FROM (
      SELECT {cols}{extra}, ST_AsMVTGeom(g3857, env, 4096, 64, true) AS geom
      FROM {t} WHERE g3857 && env) q WHERE geom IS NOT NULL), '') INTO mvt;
  END IF;""")
    if kind == "parcels":
        parts.append(f"""
  IF z >= 16 THEN
    SELECT mvt || coalesce((SELECT ST_AsMVT(q, '{lid}-labels', 4096, 'geom') FROM (
      SELECT commune_code, sheet, parcel, ST_AsMVTGeom(ST_PointOnSurface(g3857), env, 4096, 0, true) AS geom
      FROM {t} WHERE g3857 && env) q WHERE geom IS NOT NULL), '') INTO mvt;
  END IF;""")
out.append("""CREATE FUNCTION planning(z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
DECLARE env geometry := ST_TileEnvelope(z, x, y); mvt bytea := '';
BEGIN""" + "".join(parts) + """
  RETURN mvt;
END $fn$;""")
out.append("ANALYZE;")
print("\n".join(out))
PY
    psqlq -f "$WORK/pg/schema.sql"
    touch "$WORK/pg/loaded-$PARCELS"
    echo "PostGIS loaded in $(( $(date +%s) - t0 )) s"
  fi
  psqlq -f bench/peers.sql
  psqlq -c "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.relkind IN ('r','i') AND c.relnamespace = 'public'::regnamespace" >/dev/null 2>&1 \
    || { psqlq -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" && psqlq -c "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.relkind IN ('r','i') AND c.relnamespace = 'public'::regnamespace" >/dev/null; }
  echo "PostgreSQL $(psqlq -Atc 'SHOW server_version'), PostGIS $(psqlq -Atc 'SELECT postgis_lib_version()'); tables prewarmed"
fi

# ---------------------------------------------------------------- cold: encode every tile
if [[ " $ROWS " == *" cold "* ]]; then
  echo "== cold: tiles encoded on every request, $COLD_CONNECTIONS connections"
  "$Q" serve --store "$STORE" --listen "127.0.0.1:$PORT_Q" --quiet --tile-cache-mb 0 >"$WORK/serve-cold.log" 2>&1 &
  pids+=($!); qpid=$!
  wait_up "http://127.0.0.1:$PORT_Q/tiles" "$qpid" "$WORK/serve-cold.log"
  martin_up=""
  if [ -x "$MARTIN" ]; then
    cat >"$WORK/martin-pg.yaml" <<EOF
listen_addresses: '127.0.0.1:$PORT_M'
cache_size_mb: 0
postgres:
  connection_string: '$PGURL'
  pool_size: 8
  auto_publish: false
  functions:
    planning:
      schema: public
      function: planning
      minzoom: 0
      maxzoom: 22
EOF
    "$MARTIN" --config "$WORK/martin-pg.yaml" >"$WORK/martin-pg.log" 2>&1 &
    pids+=($!); mpid=$!
    wait_up "http://127.0.0.1:$PORT_M/catalog" "$mpid" "$WORK/martin-pg.log"
    martin_up=1
  fi
  for z in 14 15; do
    prefix "/tiles/planning/" ".mvt" "$WORK/cold-z$z.txt" "$WORK/cold-q-z$z.txt"
    run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/cold-q-z$z.txt" "$COLD_CONNECTIONS" 2 ""
    run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/cold-q-z$z.txt" "$COLD_CONNECTIONS" "$COLD_DURATION" "quyhoach cold z$z (store, cache off)"
    if [ -n "$martin_up" ]; then
      prefix "/planning/" "" "$WORK/cold-z$z.txt" "$WORK/cold-m-z$z.txt"
      run_wrk "http://127.0.0.1:$PORT_M" "$WORK/cold-m-z$z.txt" "$COLD_CONNECTIONS" 2 ""
      run_wrk "http://127.0.0.1:$PORT_M" "$WORK/cold-m-z$z.txt" "$COLD_CONNECTIONS" "$COLD_DURATION" "martin on PostGIS cold z$z (ST_AsMVT)"
    fi
  done
  # The same tiles' sizes and layers from both, so that the work compared is alike.
  for t in $(head -n 3 "$WORK/cold-z15.txt"); do
    a=$(curl -s --compressed "http://127.0.0.1:$PORT_Q/tiles/planning/$t.mvt" | wc -c)
    b=$( [ -n "$martin_up" ] && curl -s --compressed "http://127.0.0.1:$PORT_M/planning/$t" | wc -c || echo -)
    echo "tile z$t: quyhoach $a bytes, martin $b bytes (uncompressed MVT)"
  done
  echo "memory: quyhoach serve --store (1M parcels), after the cold load: $(rss_mb "$qpid") MB"
  [ -n "$martin_up" ] && { echo "memory: martin on PostGIS: $(rss_mb "$mpid") MB"; stop "$mpid"; }
  stop "$qpid"
fi

# ---------------------------------------------------------------- report: HTTP vs SQL
if [[ " $ROWS " == *" report "* ]]; then
  echo "== report: a parcel's planning report, $COLD_CONNECTIONS clients"
  "$Q" serve --store "$STORE" --listen "127.0.0.1:$PORT_Q" --quiet >"$WORK/serve-report.log" 2>&1 &
  pids+=($!); qpid=$!
  wait_up "http://127.0.0.1:$PORT_Q/api/v1/health" "$qpid" "$WORK/serve-report.log"
  # The same 2,000 parcels for both: unique numbers within their sheet (no 409 for a duplicate).
  psqlq -Atc "SELECT commune_code || '/' || sheet || '/' || parcel FROM (
      SELECT commune_code, sheet, parcel FROM parcels GROUP BY 1, 2, 3 HAVING count(*) = 1) k
    ORDER BY md5(commune_code || sheet || parcel) LIMIT 2000" >"$WORK/report-keys.txt"
  sed 's|^|/api/v1/parcels/|; s|$|/report|' "$WORK/report-keys.txt" >"$WORK/report-q.txt"
  awk -F/ '{printf "%s\t%s\t%s\n", $1, $2, $3}' "$WORK/report-keys.txt" >"$WORK/report-keys.tsv"
  psqlq -c "DROP TABLE IF EXISTS bench_keys; CREATE TABLE bench_keys (i serial PRIMARY KEY, commune_code text, sheet int, parcel int)"
  psqlq -c "\\copy bench_keys (commune_code, sheet, parcel) FROM '$WORK/report-keys.tsv'"
  cat >"$WORK/report.pgbench" <<'SQL'
\set i random(1, 2000)
SELECT planning_report(k.commune_code, k.sheet, k.parcel) FROM bench_keys k WHERE k.i = :i;
SQL
  # First reports: on the fresh server, parcels each asked once (other parcels than the
  # 2,000; wrk's threads take disjoint halves of the list), so no answer comes from the report
  # cache: every request computes its report, as every pgbench transaction does.
  psqlq -Atc "SELECT '/api/v1/parcels/' || commune_code || '/' || sheet || '/' || parcel || '/report' FROM (
      SELECT commune_code, sheet, parcel FROM parcels GROUP BY 1, 2, 3 HAVING count(*) = 1) k
    ORDER BY md5(commune_code || sheet || parcel) OFFSET 2000 LIMIT ${FIRST_REPORTS:-300000}" >"$WORK/report-first.txt"
  cat >"$WORK/once.lua" - "$WORK/done.lua" <<'LUA'
local paths, i, n, t = {}, 0, 0, 0
setup = function(thread) thread:set("tid", t); t = t + 1 end
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  n = math.floor(#paths / 2)
  i = tid * n
end
request = function()
  i = i + 1
  if i > (tid + 1) * n then i = tid * n + 1 end
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
LUA
  out=$(timeout $((COLD_DURATION + 30)) wrk -t 2 -c "$COLD_CONNECTIONS" -d "${COLD_DURATION}s" --latency -s "$WORK/once.lua" \
    "http://127.0.0.1:$PORT_Q" -- "$WORK/report-first.txt" | grep 'req/s=' || true)
  printf '%-44s %s  (load %s)\n' "quyhoach first reports (each parcel once)" "$out" "$(load)"
  reqs=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out")
  if [ -n "$reqs" ] && [ "$reqs" -gt $(( $(wc -l <"$WORK/report-first.txt") / 2 )) ]; then
    echo "  (more requests than parcels per thread: raise FIRST_REPORTS; later answers repeated)"
  fi
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/report-q.txt" "$COLD_CONNECTIONS" "$WARMUP" ""
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/report-q.txt" "$COLD_CONNECTIONS" "$DURATION" "quyhoach GET …/report (JSON, 2,000 parcels)"
  echo "memory: quyhoach serve --store (1M parcels), after the report load: $(rss_mb "$qpid") MB"
  stop "$qpid"
  PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")
  timeout 120 "$PGBENCH" -n -M prepared -c "$COLD_CONNECTIONS" -j "$THREADS" -T "$WARMUP" -f "$WORK/report.pgbench" "$PGURL" >/dev/null
  timeout 120 "$PGBENCH" -n -M prepared -c "$COLD_CONNECTIONS" -j "$THREADS" -T "$DURATION" -r -l --log-prefix="$WORK/pgbench" \
    -f "$WORK/report.pgbench" "$PGURL" >"$WORK/pgbench.txt"
  tps=$(awk '/^tps/ {print $3; exit}' "$WORK/pgbench.txt")
  lat=$(cat "$WORK"/pgbench.* 2>/dev/null | awk '{print $3 / 1000}' | sort -n | awk '{a[NR]=$1} END {printf "p50_ms=%.2f p99_ms=%.2f", a[int(NR*0.5)], a[int(NR*0.99)]}')
  rm -f "$WORK"/pgbench.[0-9]*
  printf '%-44s tx/s=%.0f %s  (load %s)\n' "pgbench planning_report() in SQL" "$tps" "$lat" "$(load)"
fi

# ---------------------------------------------------------------- memory
if [[ " $ROWS " == *" memory "* ]]; then
  echo "== memory"
  "$Q" serve --store "$STORE" --listen "127.0.0.1:$PORT_Q" >"$WORK/serve-mem.log" 2>&1 &
  pids+=($!); qpid=$!
  wait_up "http://127.0.0.1:$PORT_Q/api/v1/health" "$qpid" "$WORK/serve-mem.log"
  echo "memory: quyhoach serve --store, $PARCELS-parcel store, idle after load: $(rss_mb "$qpid") MB"
  grep -m1 -i "index" "$WORK/serve-mem.log" || true
  stop "$qpid"
fi

# ---------------------------------------------------------------- slow 3G
if [[ " $ROWS " == *" slow3g "* ]]; then
  echo "== slow 3G: open the page, tap a parcel, its report on screen"
  if [ -f web/tests/e2e-slow3g.mjs ]; then
    npm run --silent --prefix web build >/dev/null
    timeout 600 node web/tests/e2e-slow3g.mjs 2>&1 | tail -n 20
  else
    echo "web/tests/e2e-slow3g.mjs missing"
  fi
fi
echo "load after: $(load)"
