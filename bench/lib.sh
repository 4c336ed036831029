# Sourced by the benchmark scripts: servers started and stopped, wrk over a list of paths,
# the tile lists over the demo district's town. Needs WORK (a directory) set by the caller.

pids=()
cleanup_servers() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }

# Waits until `url` answers; fails (with the server's log) when `pid` dies first.
wait_up() { # url pid log
  for _ in $(seq 1 600); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then cat "$3"; exit 1; fi
    sleep 0.5
  done
  echo "server at $1 did not start" >&2
  exit 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# The peer tile server: MARTIN when set, else `martin` on the PATH, else Martin 1.14.0 built
# from crates.io into target/martin (once, about 15 minutes on 2 cores; 1.16 needs a newer
# rustc). Prints the binary's path. SKIP_MARTIN=1 measures without it.
ensure_martin() {
  if [ -n "${MARTIN:-}" ]; then echo "$MARTIN"; return; fi
  if command -v martin >/dev/null; then command -v martin; return; fi
  local root=$PWD/target/martin
  if [ ! -x "$root/bin/martin" ] && [ -z "${SKIP_MARTIN:-}" ]; then
    echo "building Martin 1.14.0 from crates.io into $root (once; about 15 minutes)…" >&2
    nice cargo install martin --version 1.14.0 --locked --quiet --no-default-features \
      --features pmtiles,postgres --root "$root" >&2 || echo "Martin did not build; measuring without it" >&2
  fi
  echo "$root/bin/martin"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
rss_mb() { echo $(( $(awk '/VmRSS/ {print $2}' "/proc/$1/status") / 1024 )); }

# wrk's closing line for every script: req/s, p50, p99, errors (status ≥ 400 and socket
# errors).
cat >"$WORK/done.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("req/s=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
# wrk over a list of paths, round robin, gzip accepted; closing line from done.lua.
cat >"$WORK/list.lua" - "$WORK/done.lua" <<'LUA'
local paths, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})
end
LUA
run_wrk() { # base list connections seconds label (no label: a warm-up, nothing printed)
  local out
  out=$(timeout $(( $4 + 30 )) wrk -t "${THREADS:-2}" -c "$3" -d "${4}s" --latency -s "$WORK/list.lua" "$1" -- "$2" | grep 'req/s=' || true)
  if [ -n "$5" ]; then printf '%-44s %s  (load %s)\n' "$5" "$out" "$(load)"; fi
}
# The paths of list `$3` with prefix `$1` and suffix `$2`, into `$4`.
prefix() { sed "s|^|$1|; s|\$|$2|" "$3" >"$4"; }

# Tile lists over the town (the zoning plan's extent) of STORE, into WORK: mix.txt, a
# fixed-seed zoom mix (5 % z12, 10 % z13, 20 % z14, 30 % z15, 35 % z16; 2,000 tiles) for hot
# tiles, and cold-z14/15/16.txt, every tile over the town per zoom. Paths without a prefix.
tile_lists() { # store work
  python3 - "$1" "$2" <<'PY'
import json, math, random, sys
store, work = sys.argv[1], sys.argv[2]
cat = json.load(open(f"{store}/catalog.json"))
w, s, e, n = cat["layers"]["zones-qhpk-2000"]["bounds"]
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
for z in (14, 15, 16):
    open(f"{work}/cold-z{z}.txt", "w").write("".join(f"{a}/{b}/{c}\n" for a, b, c in cover(z)))
print(f"tile lists: {len(out)} in the hot mix; town tiles z14/z15/z16: {len(cover(14))}/{len(cover(15))}/{len(cover(16))}")
PY
}
