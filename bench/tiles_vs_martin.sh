#!/usr/bin/env bash
# Vector tile benchmarks on the demo district with 1,000,000 parcels, loopback only.
#
#   bash bench/tiles_vs_martin.sh                  # everything
#   PARTS="a b" bash bench/tiles_vs_martin.sh      # some parts
#
# (a) hot tiles: `quyhoach serve --pmtiles` and Martin (crates.io `martin`, built with
#     `cargo install martin --locked --no-default-features --features pmtiles`; MARTIN=path)
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
MARTIN=${MARTIN:-$(command -v martin || echo /tmp/martin-build/root/bin/martin)}
mkdir -p "$WORK"

command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
cargo build --release -q -p quyhoach-server
Q=target/release/quyhoach
$Q demo --store "$STORE" --parcels "$PARCELS" --seed 1 --quiet --no-serve | tail -n 1

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_up() { # url pid log
  for _ in $(seq 1 600); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then cat "$3"; exit 1; fi
    sleep 0.5
  done
  echo "server at $1 did not start" >&2; exit 1
}

# wrk over a list of paths, round robin; prints req/s, p50, p99.
cat >"$WORK/list.lua" <<'LUA'
local paths, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT req/s=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
run_wrk() { # base list connections duration label
  timeout $(( $4 + 30 )) wrk -t "$THREADS" -c "$3" -d "${4}s" --latency -s "$WORK/list.lua" "$1" -- "$2" \
    | grep RESULT | sed "s|^RESULT|$5:|"
}

# Tile lists: a fixed-seed zoom mix over the town (the zoning plan's extent) for (a), every
# tile over the town per zoom for (b). Prefix-free paths; the server prefix is added per run.
python3 - "$STORE" "$WORK" <<'PY'
import json, math, random, sys
store, work = sys.argv[1], sys.argv[2]
cat = json.load(open(f"{store}/catalog.json"))
w, s, e, n = cat["layers"]["zones-qhpk-2000"]["bounds"]
def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
    return x, y
def cover(z):
    x0, y0 = tile(w, n, z); x1, y1 = tile(e, s, z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
rnd = random.Random(1)
mix = {12: 5, 13: 10, 14: 20, 15: 30, 16: 35}
out = []
for z, pct in mix.items():
    tiles = cover(z)
    out += [rnd.choice(tiles) for _ in range(pct * 20)]
rnd.shuffle(out)
open(f"{work}/mix.txt", "w").write("".join(f"{z}/{x}/{y}\n" for z, x, y in out))
for z in (14, 15, 16):
    open(f"{work}/cold-z{z}.txt", "w").write("".join(f"{a}/{b}/{c}\n" for a, b, c in cover(z)))
print(f"tile lists: {len(out)} requests in the mix, town z14/15/16: {len(cover(14))}/{len(cover(15))}/{len(cover(16))} tiles")
PY
prefix() { sed "s|^|$1|; s|\$|$2|" "$3" >"$4"; }

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
