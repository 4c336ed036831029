#!/usr/bin/env bash
# Proof that parcel reports are byte for byte the same from two builds of the server.
#
#   bash bench/report_bytes.sh STORE BINARY OUT     # writes OUT.json (one report per line)
#   cmp before.json after.json
#
# Starts BINARY (`quyhoach`) serving STORE on 127.0.0.1 only, asks for the JSON and the text
# report of COUNT (default 1,000) random parcels of the store (fixed SEED: the same parcels
# whatever the build), each twice (the second answer comes from the report cache where there
# is one), and writes every answer's status and body bytes, one per line, in request order.
# A difference between two builds is a changed result (run both with the same PORT: the
# text report holds the server's address).
set -euo pipefail
STORE=$1
BIN=$2
OUT=$3
COUNT=${COUNT:-1000}
SEED=${SEED:-1}
PORT=${PORT:-18191}
base="http://127.0.0.1:$PORT"
"$BIN" serve --store "$STORE" --db "$OUT.sqlite" --listen "127.0.0.1:$PORT" --quiet >"$OUT.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  if curl -sf "$base/api/v1/health" >/dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null; then cat "$OUT.log"; exit 1; fi
  sleep 0.5
done
python3 - "$STORE" "$base" "$OUT" "$SEED" "$COUNT" <<'PY'
import hashlib, json, random, sys, urllib.error, urllib.request
store, base, out, seed, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rnd = random.Random(seed)
cat = json.load(open(f"{store}/catalog.json"))
total = cat["layers"]["parcels"]["count"]
def get(path):
    try:
        with urllib.request.urlopen(base + path) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
paths = []
for off in sorted(rnd.sample(range(total), count)):
    _, body = get(f"/ogc/collections/parcels/items?limit=1&offset={off}")
    p = json.loads(body)["features"][0]["properties"]
    paths.append(f"/api/v1/parcels/{p['commune_code']}/{p['sheet']}/{p['parcel']}/report")
h = hashlib.sha256()
with open(out + ".json", "wb") as f:
    for rnd_pass in range(2):
        for path in paths:
            for suffix in ["", ".txt"]:
                status, body = get(path + suffix)
                line = f"{status} {path}{suffix} ".encode() + body.replace(b"\n", b"\\n") + b"\n"
                f.write(line)
                h.update(line)
print(f"{len(paths)} parcels, 2 passes, JSON and text: sha256 {h.hexdigest()}")
PY
