#!/usr/bin/env bash
# Parcel import, side by side with GDAL's ogr2ogr, on the same source file in one run.
#
#   bash bench/import_vs_ogr2ogr.sh [PARCELS] [RUNS]
#
# Generates the demo district (quyhoach demo --parcels PARCELS, timed on its own), then times
# RUNS alternating runs of
#   ours: quyhoach import thua_dat.shp --kind parcels --srs prj  (validate, repair, map fields,
#         pinned VN-2000 → WGS 84, areas, FlatGeobuf + packed R-tree, atomic commit)
#   peer: ogr2ogr -f FlatGeobuf -t_srs EPSG:4326 (reprojection + FlatGeobuf + spatial index only)
# and prints wall time and peak RSS (GNU time) for each, with medians.
set -euo pipefail
cd "$(dirname "$0")/.."
parcels=${1:-1000000}
runs=${2:-3}
work=${BENCH_DIR:-target/bench-import}
bin=target/release/quyhoach
cargo build --release --bin quyhoach >/dev/null 2>&1
rm -rf "$work" && mkdir -p "$work"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "demo generation + full import, $parcels parcels:"
/usr/bin/time -f "  demo: %e s wall, %M KiB peak RSS" "$bin" demo --store "$work/demo" --parcels "$parcels" --quiet >/dev/null
src="$work/demo/sources/thua_dat.shp"
for i in $(seq 1 "$runs"); do
  rm -rf "$work/ours" "$work/peer.fgb"
  /usr/bin/time -f "ours %e %M" "$bin" import "$src" --kind parcels --srs prj --store "$work/ours" --quiet >/dev/null 2>>"$work/times"
  /usr/bin/time -f "peer %e %M" ogr2ogr -f FlatGeobuf -t_srs EPSG:4326 "$work/peer.fgb" "$src" 2>>"$work/times"
done
python3 - "$work/times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.startswith(("ours", "peer"))]
for who in ("ours", "peer"):
    t = [float(r[1]) for r in rows if r[0] == who]
    m = [int(r[2]) / 1024 for r in rows if r[0] == who]
    print(f"{who}: wall median {statistics.median(t):.2f} s (min {min(t):.2f}, max {max(t):.2f}); "
          f"peak RSS median {statistics.median(m):.0f} MiB")
ours = statistics.median(float(r[1]) for r in rows if r[0] == "ours")
peer = statistics.median(float(r[1]) for r in rows if r[0] == "peer")
print(f"ratio ours/peer wall time: {ours / peer:.2f}")
PY
ls -l "$work"/ours/layers/*.fgb "$work/peer.fgb" | awk '{print "  size", $5, $9}'
