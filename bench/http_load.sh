#!/usr/bin/env bash
# Loopback load test of the HTTP service on a demo district.
#
#   bash bench/http_load.sh                 # 1,000,000 parcels, 30 s mixed load
#   PARCELS=100000 DURATION=10 bash bench/http_load.sh
#
# Builds the release binary, builds (or reuses) a demo store of PARCELS parcels, starts
# `quyhoach serve` on 127.0.0.1 only, and runs wrk (Debian package, installed if missing)
# for DURATION seconds on a realistic mix — 70 % parcel at a random point inside the
# district, 15 % type-ahead search, 15 % planning report of a real parcel (JSON or text) —
# then each kind alone for DURATION_EACH seconds. Prints p50/p99 latency and requests/s.
# Bounded: fixed connections, fixed durations, and `timeout` around every wrk run.
set -euo pipefail
cd "$(dirname "$0")/.."

PARCELS=${PARCELS:-1000000}
DURATION=${DURATION:-30}
DURATION_EACH=${DURATION_EACH:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-4}
PORT=${PORT:-18181}
SEED=${SEED:-1}
STORE=${STORE:-target/bench-store-$PARCELS}
WORK=target/http-load
mkdir -p "$WORK"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)…"
  apt-get install -y -qq wrk >/dev/null
fi

cargo build --release -q -p quyhoach-server
Q=target/release/quyhoach
$Q demo --store "$STORE" --parcels "$PARCELS" --seed "$SEED" --quiet --no-serve | tail -n 3

$Q serve --store "$STORE" --listen "127.0.0.1:$PORT" --quiet >"$WORK/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 600); do
  if curl -sf "$base/api/v1/health" >/dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null; then cat "$WORK/serve.log"; exit 1; fi
  sleep 0.5
done
grep -m1 loaded "$WORK/serve.log" || true
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
echo "server RSS after load: $((rss_kb / 1024)) MB"

# Request lists from the store itself: random points in the parcel layer's extent, real
# parcels for reports, commune names and parcel numbers for search. Fixed seed.
python3 - "$STORE" "$base" "$WORK" "$SEED" <<'PY'
import json, random, sys, urllib.request
store, base, work, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rnd = random.Random(seed)
cat = json.load(open(f"{store}/catalog.json"))
w, s, e, n = cat["layers"]["parcels"]["bounds"]
count = cat["layers"]["parcels"]["count"]
def get(path):
    with urllib.request.urlopen(base + path) as r:
        return json.load(r)
parcels = []
for off in rnd.sample(range(max(1, count - 100)), 20):
    for f in get(f"/ogc/collections/parcels/items?limit=100&offset={off}")["features"]:
        p = f["properties"]
        parcels.append((p["commune_code"], p["sheet"], p["parcel"]))
communes = [f["properties"].get("name") or "" for f in
            get("/ogc/collections/communes/items?limit=1000")["features"]]
at = [f"/api/v1/parcels/at?lon={rnd.uniform(w, e):.7f}&lat={rnd.uniform(s, n):.7f}" for _ in range(5000)]
search = []
for _ in range(1000):
    c = rnd.choice(communes)
    k = rnd.random()
    if k < 0.4:
        q = c[: rnd.randint(2, max(2, len(c)))]
    elif k < 0.7:
        cc, sh, pa = rnd.choice(parcels); q = f"{sh}/{pa}"
    else:
        cc, sh, pa = rnd.choice(parcels); q = f"{cc} {sh} {pa}"
    search.append("/api/v1/search?limit=10&q=" + urllib.request.quote(q))
report = []
for _ in range(1000):
    cc, sh, pa = rnd.choice(parcels)
    report.append(f"/api/v1/parcels/{cc}/{sh}/{pa}/report" + rnd.choice(["", ".txt"]))
mix = [rnd.choice(at) for _ in range(7000)] + [rnd.choice(search) for _ in range(1500)] + \
      [rnd.choice(report) for _ in range(1500)]
rnd.shuffle(mix)
def lua(name, reqs):
    with open(f"{work}/{name}.lua", "w") as f:
        f.write("local r = {\n")
        for q in reqs:
            f.write(json.dumps(q) + ",\n")
        f.write("}\nlocal i = 0\nfunction init(args) i = math.random(#r) end\n")
        f.write("function request() i = i % #r + 1; return wrk.format('GET', r[i]) end\n")
for name, reqs in [("mix", mix), ("at", at), ("search", search), ("report", report)]:
    lua(name, reqs)
PY

run() {
  local name=$1 secs=$2
  local out="$WORK/wrk-$name.txt"
  timeout $((secs + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency \
    -s "$WORK/$name.lua" "$base" >"$out"
  local p50 p99 rps errs
  p50=$(awk '/^ +50%/ {print $2}' "$out")
  p99=$(awk '/^ +99%/ {print $2}' "$out")
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  errs=$(awk '/Non-2xx/ {print $5}' "$out")
  printf '%-8s %6ss  p50 %-9s p99 %-9s %10s req/s  non-2xx %s\n' \
    "$name" "$secs" "$p50" "$p99" "$rps" "${errs:-0}"
}
echo "wrk: $THREADS threads, $CONNECTIONS connections, loopback, $(nproc) CPUs"
run mix "$DURATION"
run at "$DURATION_EACH"
run search "$DURATION_EACH"
run report "$DURATION_EACH"
