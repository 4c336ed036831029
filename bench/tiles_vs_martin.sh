#!/usr/bin/env bash
# Vector tile benchmarks on the demo district with 1,000,000 parcels, loopback only.
#
#   bash bench/tiles_vs_martin.sh                  # everything
#   PARTS="a b" bash bench/tiles_vs_martin.sh      # some parts
#
# (a) hot tiles: `quyhoach serve --pmtiles` and Martin (crates.io `martin`, built with
#     1.14.0, built into target/martin by the script when missing; MARTIN=path to use another)
#     serving the same PMTiles archive built by `quyhoach tiles` (zooms MINZOOM–MAXZOOM over
#     the district), the same list of tiles (a zoom mix over the town: 5 % z12, 10 % z13,
#     20 % z14, 30 % z15, 35 % z16), the same load tool (wrk), each warmed up then measured
#     for DURATION s. Also our server on the same list straight from the store (cache on).
# (b) cold tiles: tiles encoded from the store with the cache off (--tile-cache-mb 0), per
#     zoom z14–z16, every request a new encoding, COLD_CONNECTIONS at once.
# (c) pyramid build: `quyhoach tiles` vs `ogr2ogr -f MBTILES` (GDAL's MVT writer) on the
#     parcel layer, zooms PYR_MINZOOM–PYR_MAXZOOM (15–16: parcels start at z15 in our
#     tiles, so lower zooms would not compare like with like) over the whole district, GDAL
#     given the same five attributes: time, peak memory, output size. Our time includes
#     loading the index.
#
# Bounded: fixed durations, `timeout` around every long command, servers killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PARCELS=${PARCELS:-1000000}
STORE=${STORE:-target/bench-store-$PARCELS}
WORK=${WORK:-target/tiles-bench}
MINZOOM=${MINZOOM:-10}
MAXZOOM=${MAXZOOM:-16}
PYR_MINZOOM=${PYR_MINZOOM:-15}
PYR_MAXZOOM=${PYR_MAXZOOM:-16}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-5}
COLD_DURATION=${COLD_DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
COLD_CONNECTIONS=${COLD_CONNECTIONS:-4}
THREADS=${THREADS:-2}
PARTS=${PARTS:-"a b c"}
PORT_Q=${PORT_Q:-18291}
PORT_M=${PORT_M:-18292}
mkdir -p "$WORK"

command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
cargo build --release -q -p quyhoach-server
Q=target/release/quyhoach
$Q demo --store "$STORE" --parcels "$PARCELS" --seed 1 --quiet --no-serve | tail -n 1

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

. bench/lib.sh
MARTIN=$(ensure_martin)
trap cleanup_servers EXIT
tile_lists "$STORE" "$WORK"

if [[ " $PARTS " == *" a "* ]]; then
  echo "== (a) hot tiles"
  archive="$WORK/district.pmtiles"
  if [ ! -f "$archive" ]; then
    /usr/bin/time -f "archive build: %e s, max RSS %M KB" timeout 1800 \
      $Q tiles --store "$STORE" --quiet --minzoom "$MINZOOM" --maxzoom "$MAXZOOM" --out "$archive" | tail -n 1
  fi
  ls -l "$archive" | awk '{print "archive: " $5 " bytes"}'
  $Q serve --store "$STORE" --listen "127.0.0.1:$PORT_Q" --quiet --pmtiles "$archive" >"$WORK/serve-a.log" 2>&1 &
  pids+=($!); qpid=$!
  wait_up "http://127.0.0.1:$PORT_Q/tiles" "$qpid" "$WORK/serve-a.log"
  prefix "/tiles/district/" ".mvt" "$WORK/mix.txt" "$WORK/mix-q.txt"
  prefix "/tiles/planning/" ".mvt" "$WORK/mix.txt" "$WORK/mix-store.txt"
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/mix-q.txt" "$CONNECTIONS" "$WARMUP" "quyhoach archive (warm-up)" >/dev/null
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/mix-q.txt" "$CONNECTIONS" "$DURATION" "quyhoach serve --pmtiles"
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/mix-store.txt" "$CONNECTIONS" "$WARMUP" "quyhoach store (warm-up)" >/dev/null
  run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/mix-store.txt" "$CONNECTIONS" "$DURATION" "quyhoach /tiles/planning (store, cached)"
  echo "quyhoach server RSS: $(( $(awk '/VmRSS/ {print $2}' /proc/$qpid/status) / 1024 )) MB (index of the store included)"
  if [ -x "$MARTIN" ]; then
    "$MARTIN" --version
    "$MARTIN" --listen-addresses "127.0.0.1:$PORT_M" "$archive" >"$WORK/martin.log" 2>&1 &
    pids+=($!); mpid=$!
    wait_up "http://127.0.0.1:$PORT_M/catalog" "$mpid" "$WORK/martin.log"
    prefix "/district/" "" "$WORK/mix.txt" "$WORK/mix-m.txt"
    # Same tile bytes from both (decompressed: Martin may re-encode).
    for t in $(head -n 5 "$WORK/mix.txt"); do
      a=$(curl -s --compressed "http://127.0.0.1:$PORT_Q/tiles/district/$t.mvt" | sha256sum)
      b=$(curl -s --compressed "http://127.0.0.1:$PORT_M/district/$t" | sha256sum)
      [ "$a" = "$b" ] || echo "warning: tile $t differs between quyhoach and martin"
    done
    run_wrk "http://127.0.0.1:$PORT_M" "$WORK/mix-m.txt" "$CONNECTIONS" "$WARMUP" "martin (warm-up)" >/dev/null
    run_wrk "http://127.0.0.1:$PORT_M" "$WORK/mix-m.txt" "$CONNECTIONS" "$DURATION" "martin"
    echo "martin RSS: $(( $(awk '/VmRSS/ {print $2}' /proc/$mpid/status) / 1024 )) MB"
    kill "$mpid"; wait "$mpid" 2>/dev/null || true
  else
    echo "martin not found (MARTIN=$MARTIN): only our server was measured"
  fi
  kill "$qpid"; wait "$qpid" 2>/dev/null || true
fi

if [[ " $PARTS " == *" b "* ]]; then
  echo "== (b) cold tiles from the store, cache off"
  $Q serve --store "$STORE" --listen "127.0.0.1:$PORT_Q" --quiet --tile-cache-mb 0 >"$WORK/serve-b.log" 2>&1 &
  pids+=($!); qpid=$!
  wait_up "http://127.0.0.1:$PORT_Q/tiles" "$qpid" "$WORK/serve-b.log"
  for z in 14 15 16; do
    prefix "/tiles/planning/" ".mvt" "$WORK/cold-z$z.txt" "$WORK/cold-q-z$z.txt"
    run_wrk "http://127.0.0.1:$PORT_Q" "$WORK/cold-q-z$z.txt" "$COLD_CONNECTIONS" "$COLD_DURATION" "cold z$z"
  done
  kill "$qpid"; wait "$qpid" 2>/dev/null || true
fi

if [[ " $PARTS " == *" c "* ]]; then
  echo "== (c) pyramid of the parcel layer, z$PYR_MINZOOM–z$PYR_MAXZOOM, whole district"
  fgb=$(python3 -c "import json,sys; print(json.load(open('$STORE/catalog.json'))['layers']['parcels']['file'])")
  rm -f "$WORK/parcels.pmtiles" "$WORK/parcels-gdal.mbtiles"
  /usr/bin/time -f "quyhoach tiles: %e s wall, %U s user, max RSS %M KB" timeout 1800 \
    $Q tiles --store "$STORE" --quiet --tileset parcels --minzoom "$PYR_MINZOOM" --maxzoom "$PYR_MAXZOOM" \
    --out "$WORK/parcels.pmtiles" | tail -n 1
  /usr/bin/time -f "ogr2ogr -f MBTILES: %e s wall, %U s user, max RSS %M KB" timeout 1800 \
    ogr2ogr -f MBTILES "$WORK/parcels-gdal.mbtiles" "$STORE/$fgb" -nln parcels \
    -select commune_code,sheet,parcel,landuse,area_m2 \
    -dsco MINZOOM="$PYR_MINZOOM" -dsco MAXZOOM="$PYR_MAXZOOM" || echo "ogr2ogr failed or timed out"
  ls -l "$WORK/parcels.pmtiles" "$WORK/parcels-gdal.mbtiles" 2>/dev/null | awk '{print $9 ": " $5 " bytes"}'
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
