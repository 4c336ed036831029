#!/usr/bin/env bash
# Hot archive tiles, side by side in one run: `quyhoach serve --pmtiles` (tile-only, no
# store), Martin on the same archive, and nginx serving one 20 KB static file (the machine's
# ceiling for a small keep-alive answer). Same load tool and settings for all: wrk, THREADS
# threads, CONNECTIONS connections, WARMUP s then DURATION s, the tile list of
# bench/tiles_vs_martin.sh part (a) (2,000 tiles over the town, 5 % z12 … 35 % z16).
#
#   ARCHIVE=/tmp/hot/district.pmtiles STORE=/tmp/s1m bash bench/hot_tiles.sh
#
# ARCHIVE: built by `quyhoach tiles --store STORE --minzoom 10 --maxzoom 16 --out ARCHIVE`
# if missing. STORE is read for the town's extent (the tile list) and, with WITH_STORE=1,
# to also measure `serve --store --pmtiles` (the full server, index loaded).
# MARTIN=path to a martin binary (1.14: `cargo install martin --locked
# --no-default-features --features pmtiles`); nginx from Debian (`apt-get install nginx-light`).
# BASE_Q=path to a second quyhoach binary (e.g. a build of the previous commit) measured too.
# Prints req/s, p50, p99 per server, resident memory, and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

STORE=${STORE:-/tmp/s1m}
WORK=${WORK:-target/hot-bench}
ARCHIVE=${ARCHIVE:-$WORK/district.pmtiles}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WITH_STORE=${WITH_STORE:-0}
Q=${Q:-target/release/quyhoach}
BASE_Q=${BASE_Q:-}
MARTIN=${MARTIN:-$(command -v martin || echo /tmp/martin-build/root/bin/martin)}
PORT=${PORT:-18391}
mkdir -p "$WORK" "$WORK/nginx/www" "$WORK/nginx/logs"
WORK=$(cd "$WORK" && pwd)

command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
[ -f "$ARCHIVE" ] || timeout 1800 $Q tiles --store "$STORE" --quiet --minzoom 10 --maxzoom 16 --out "$ARCHIVE"
echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); archive $(stat -c %s "$ARCHIVE") bytes"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_up() { # url pid
  for _ in $(seq 1 600); do
    curl -s -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "server died" >&2; exit 1; }
    sleep 0.2
  done
  echo "no answer at $1" >&2; exit 1
}

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
  io.write(string.format("RESULT req/s=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
run() { # base listfile label
  timeout $((WARMUP + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" -s "$WORK/list.lua" "$1" -- "$2" >/dev/null
  timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$WORK/list.lua" "$1" -- "$2" \
    | grep RESULT | sed "s|^RESULT|$3:|"
}
rss() { echo "$(( $(awk '/VmRSS/ {print $2}' "/proc/$1/status") / 1024 )) MB"; }

python3 - "$STORE" "$WORK" <<'PY'
import json, math, random, sys
store, work = sys.argv[1], sys.argv[2]
w, s, e, n = json.load(open(f"{store}/catalog.json"))["layers"]["zones-qhpk-2000"]["bounds"]
def tile(lon, lat, z):
    k = 2 ** z
    return int((lon + 180) / 360 * k), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
def cover(z):
    x0, y0 = tile(w, n, z); x1, y1 = tile(e, s, z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
rnd = random.Random(1)
out = []
for z, pct in {12: 5, 13: 10, 14: 20, 15: 30, 16: 35}.items():
    tiles = cover(z)
    out += [rnd.choice(tiles) for _ in range(pct * 20)]
rnd.shuffle(out)
open(f"{work}/mix.txt", "w").write("".join(f"{z}/{x}/{y}\n" for z, x, y in out))
PY
name=$(basename "$ARCHIVE" .pmtiles)
sed "s|^|/tiles/$name/|; s|\$|.mvt|" "$WORK/mix.txt" >"$WORK/mix-q.txt"
sed "s|^|/$name/|" "$WORK/mix.txt" >"$WORK/mix-m.txt"
yes /tile.bin | head -n 100 >"$WORK/mix-n.txt"

# nginx: one 20 KB file, 2 workers, keep-alive, no log.
head -c 20480 /dev/urandom >"$WORK/nginx/www/tile.bin"
cat >"$WORK/nginx/nginx.conf" <<NGX
user root;
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/t1; proxy_temp_path $WORK/nginx/t2;
  fastcgi_temp_path $WORK/nginx/t3; uwsgi_temp_path $WORK/nginx/t4; scgi_temp_path $WORK/nginx/t5;
  server { listen 127.0.0.1:$((PORT + 3)); root $WORK/nginx/www; }
}
NGX

serve_q() { # binary label [store args]
  local bin=$1 label=$2; shift 2
  "$bin" serve --listen "127.0.0.1:$PORT" --quiet --pmtiles "$ARCHIVE" "$@" >"$WORK/q.log" 2>&1 &
  local pid=$!; pids+=($pid)
  wait_up "http://127.0.0.1:$PORT/tiles" "$pid"
  run "http://127.0.0.1:$PORT" "$WORK/mix-q.txt" "$label"
  echo "$label RSS after the run: $(rss $pid)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

serve_q "$Q" "quyhoach serve --pmtiles (tile-only)"
[ -n "$BASE_Q" ] && serve_q "$BASE_Q" "quyhoach BASE serve --store --pmtiles" --store "$STORE"
[ "$WITH_STORE" = 1 ] && serve_q "$Q" "quyhoach serve --store --pmtiles" --store "$STORE"
if [ -x "$MARTIN" ]; then
  "$MARTIN" --listen-addresses "127.0.0.1:$((PORT + 1))" "$ARCHIVE" >"$WORK/martin.log" 2>&1 &
  mpid=$!; pids+=($mpid)
  wait_up "http://127.0.0.1:$((PORT + 1))/catalog" "$mpid"
  run "http://127.0.0.1:$((PORT + 1))" "$WORK/mix-m.txt" "martin $("$MARTIN" --version | tr -d '\n')"
  echo "martin RSS after the run: $(rss $mpid)"
  kill "$mpid"; wait "$mpid" 2>/dev/null || true
else
  echo "martin not found (MARTIN=$MARTIN)"
fi
if command -v nginx >/dev/null; then
  nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" &
  npid=$!; pids+=($npid)
  wait_up "http://127.0.0.1:$((PORT + 3))/tile.bin" "$npid"
  run "http://127.0.0.1:$((PORT + 3))" "$WORK/mix-n.txt" "nginx 20 KB static file"
  kill "$npid"; wait "$npid" 2>/dev/null || true
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
