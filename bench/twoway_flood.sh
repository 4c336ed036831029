#!/usr/bin/env bash
# Parcel report lookups with and without a flood of question submissions from one client.
#
#   bash bench/twoway_flood.sh                       # 3,000 parcels, 15 s per phase
#   PARCELS=100000 DURATION=30 bash bench/twoway_flood.sh
#   DB_URL=postgresql://… bash bench/twoway_flood.sh # the state on PostgreSQL
#
# Builds the release binary and a demo store, starts `quyhoach serve` on 127.0.0.1 with its
# own state database, then runs wrk (Debian package, installed if missing):
#   1. report lookups alone (LOOKUP_CONNECTIONS connections, random real parcels);
#   2. the same lookups while FLOOD_CONNECTIONS other connections post submissions as fast
#      as the server answers (one client address: after the first few, all 429).
# Prints the median and p99 of each phase and their ratio. Bounded: fixed connections and
# durations, `timeout` around every wrk run. The flood is unpaced: on a small machine the
# flood's own wrk competes with the server for the cores, which this measures too.
set -euo pipefail
cd "$(dirname "$0")/.."

PARCELS=${PARCELS:-3000}
DURATION=${DURATION:-15}
LOOKUP_CONNECTIONS=${LOOKUP_CONNECTIONS:-4}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-50}
PORT=${PORT:-18282}
SEED=${SEED:-1}
STORE=${STORE:-target/bench-store-$PARCELS}
WORK=target/twoway-flood
mkdir -p "$WORK"
rm -f "$WORK/portal.sqlite"*

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)…"
  apt-get install -y -qq wrk >/dev/null
fi

cargo build --release -q -p quyhoach-server
Q=target/release/quyhoach
$Q demo --store "$STORE" --parcels "$PARCELS" --seed "$SEED" --quiet --no-serve | tail -n 1

db_args=(--db "$WORK/portal.sqlite")
[[ -n "${DB_URL:-}" ]] && db_args+=(--db-url "$DB_URL")
$Q serve --store "$STORE" --listen "127.0.0.1:$PORT" --quiet "${db_args[@]}" >"$WORK/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 600); do
  if curl -sf "$base/api/v1/health" >/dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null; then cat "$WORK/serve.log"; exit 1; fi
  sleep 0.5
done

# Real parcels whose reports answer 200, in random order (fixed seed).
python3 - "$base" "$WORK" "$SEED" <<'PY'
import json, random, sys, urllib.request, urllib.error
base, work, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
items = json.load(urllib.request.urlopen(f"{base}/ogc/collections/parcels/items?limit=1000"))
paths = []
for f in items["features"]:
    p = f["properties"]
    path = f"/api/v1/parcels/{p['commune_code']}/{p['sheet']}/{p['parcel']}/report"
    try:
        urllib.request.urlopen(base + path).read()
        paths.append(path)
    except urllib.error.HTTPError:
        pass
rnd.shuffle(paths)
open(f"{work}/reports.txt", "w").write("\n".join(paths) + "\n")
token = json.load(urllib.request.urlopen(f"{base}/api/v1/feedback/form"))["token"]
body = {"kind": "question", "body": "Thửa này có bị quy hoạch không? (thử tải)",
        "subject": {"kind": "parcel", "parcel": paths[0].split("/parcels/")[1].rsplit("/", 1)[0]},
        "lang": "vi", "form_token": token, "website": ""}
open(f"{work}/submission.json", "w").write(json.dumps(body, ensure_ascii=False))
print(f"{len(paths)} report paths")
PY
sleep 3.2 # a form token is taken 3 s after it was issued

cat >"$WORK/lookups.lua" <<'LUA'
local paths = {}
for line in io.lines("target/twoway-flood/reports.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
cat >"$WORK/flood.lua" <<'LUA'
local f = io.open("target/twoway-flood/submission.json")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local counts = {}
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("flood: %d requests, %.0f/s\n", summary.requests, summary.requests / (summary.duration / 1e6)))
end
LUA

# Median and p99 (ms) from wrk --latency output.
pct() { awk -v p="$2" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' "$1"; }

wrk_lookups() {
  timeout $((DURATION + 30)) wrk -t2 -c"$LOOKUP_CONNECTIONS" -d"${DURATION}s" --latency \
    -s "$WORK/lookups.lua" "$base" >"$1"
}

echo "== lookups alone: $LOOKUP_CONNECTIONS connections, ${DURATION} s"
wrk_lookups "$WORK/alone.txt"
grep -E "Requests/sec|Latency " "$WORK/alone.txt"

echo "== lookups during a submission flood: $FLOOD_CONNECTIONS connections posting, one client"
timeout $((DURATION + 40)) wrk -t2 -c"$FLOOD_CONNECTIONS" -d"$((DURATION + 4))s" \
  -s "$WORK/flood.lua" "$base/api/v1/feedback" >"$WORK/flood.txt" &
flood=$!
sleep 2
wrk_lookups "$WORK/during.txt"
wait $flood || true
grep -E "Requests/sec|Latency " "$WORK/during.txt"
grep -E "^flood:|Non-2xx" "$WORK/flood.txt" || true

a50=$(pct "$WORK/alone.txt" 50%); a99=$(pct "$WORK/alone.txt" 99%)
d50=$(pct "$WORK/during.txt" 50%); d99=$(pct "$WORK/during.txt" 99%)
python3 - "$a50" "$a99" "$d50" "$d99" "$(nproc)" "$PARCELS" <<'PY'
import sys
a50, a99, d50, d99 = map(float, sys.argv[1:5])
print(f"report lookups ({sys.argv[6]} parcels, {sys.argv[5]} cores): alone median {a50:.2f} ms, p99 {a99:.2f} ms; "
      f"during the flood median {d50:.2f} ms, p99 {d99:.2f} ms; ratio median ×{d50 / a50:.2f}, p99 ×{d99 / a99:.2f}")
PY
