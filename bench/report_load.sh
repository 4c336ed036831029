#!/usr/bin/env bash
# Parcel report over HTTP (JSON), wrk with 4 connections, one server build at a time.
#
#   bash bench/report_load.sh STORE [BINARY...]     # default BINARY: target/release/quyhoach
#   DURATION=10 CONNECTIONS=4 THREADS=2 bash bench/report_load.sh /tmp/s1m old/quyhoach new/quyhoach
#
# For each BINARY: starts `quyhoach serve` on 127.0.0.1 only (its own portal database under
# target/report-load, never in STORE), prints its resident memory after load, then runs two
# loads of GET /api/v1/parcels/{commune}/{sheet}/{parcel}/report:
#   hot  — 1,000 random parcels (fixed seed) asked again and again, as bench/http_load.sh does
#          (a server with a report cache answers from it after the first round);
#   cold — 50,000 distinct random parcels, each asked once in the run's order (every answer
#          computed; a 10 s run at a few thousand requests/s never repeats a parcel).
# Prints requests/s, p50 and p99 per load. Run the builds in one sitting: the machine's
# load is part of every figure.
set -euo pipefail
STORE=$1
shift
BINS=("$@")
[ ${#BINS[@]} -eq 0 ] && BINS=(target/release/quyhoach)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-4}
THREADS=${THREADS:-2}
PORT=${PORT:-18193}
WORK=${WORK:-target/report-load}
mkdir -p "$WORK"
rm -f "$WORK/hot.lua" "$WORK/cold.lua"
base="http://127.0.0.1:$PORT"

make_lists() {
python3 - "$STORE" "$WORK" "$base" <<'PY'
import json, random, sys, urllib.request
store, work, base = sys.argv[1], sys.argv[2], sys.argv[3]
cat = json.load(open(f"{store}/catalog.json"))
count = cat["layers"]["parcels"]["count"]
rnd = random.Random(1)
def page(off):
    with urllib.request.urlopen(f"{base}/ogc/collections/parcels/items?limit=1000&offset={off}") as r:
        return [f["properties"] for f in json.load(r)["features"]]
def path(p):
    return f"/api/v1/parcels/{p['commune_code']}/{p['sheet']}/{p['parcel']}/report"
# Pages of 1,000 parcels at random offsets: 1,000 scattered parcels for the hot list, 50,000
# distinct ones for the cold list.
hot = [path(rnd.choice(page(rnd.randrange(max(1, count - 1000))))) for _ in range(1000)]
cold, seen = [], set()
for off in rnd.sample(range(0, max(1, count - 1000), 1000), 50):
    for p in page(off):
        q = path(p)
        if q not in seen:
            seen.add(q)
            cold.append(q)
for name, reqs, shuffle in [("hot", hot, True), ("cold", cold, False)]:
    with open(f"{work}/{name}.lua", "w") as f:
        f.write("local r = {\n" + "".join(json.dumps(q) + ",\n" for q in reqs) + "}\n")
        if shuffle:
            f.write("local i = 0\nfunction init(args) i = math.random(#r) end\n")
        else:
            # Threads take disjoint slices so no parcel is asked twice.
            f.write("local i = 0\nlocal t = 0\nfunction setup(thread) thread:set('tid', t); t = t + 1 end\n")
            f.write("function init(args) i = tid * 25000 end\n")
        f.write("function request() i = i % #r + 1; return wrk.format('GET', r[i]) end\n")
print(f"lists: {len(hot)} hot, {len(cold)} cold parcels")
PY
}

for bin in "${BINS[@]}"; do
  "$bin" serve --store "$STORE" --db "$WORK/portal-$PORT.sqlite" --listen "127.0.0.1:$PORT" --quiet \
    >"$WORK/serve.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do
    if curl -sf "$base/api/v1/health" >/dev/null; then break; fi
    if ! kill -0 $server 2>/dev/null; then cat "$WORK/serve.log"; exit 1; fi
    sleep 0.5
  done
  [ -f "$WORK/cold.lua" ] || make_lists
  echo "$bin: RSS after load $(($(awk '/VmRSS/ {print $2}' /proc/$server/status) / 1024)) MB"
  for load in cold hot; do
    out="$WORK/wrk-$load.txt"
    timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
      -s "$WORK/$load.lua" "$base" >"$out"
    printf '  %-5s %10s req/s  p50 %-9s p99 %-9s non-2xx %s\n' "$load" \
      "$(awk '/^Requests\/sec/ {print $2}' "$out")" "$(awk '/^ +50%/ {print $2}' "$out")" \
      "$(awk '/^ +99%/ {print $2}' "$out")" "$(awk '/Non-2xx/ {print $5}' "$out")"
  done
  kill $server
  wait $server 2>/dev/null || true
done
