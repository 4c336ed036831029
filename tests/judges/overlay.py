"""Independent overlay judge of whole planning reports, from the store's own layers.

Usage: overlay.py REQUEST.json  (prints one JSON object on stdout)

REQUEST.json: {"store": DIR, "sites": [{"key": K, "metric_crs": CRS, and either
"parcel": {"layer": L, "id": N} or "geometry": GeoJSON (WGS 84)}]}. `metric_crs` is the
report's `site.metric_crs` (a PROJ string or WKT): the judge measures in the same projection
the report says it used, but projects with pyproj, reads with pyogrio (GDAL) and overlays with
shapely (GEOS) — nothing of ours but the store's FlatGeobuf files and catalog.json.

For each site it prints:
  site_area_m2, site_valid (GEOS), parcel attributes (to check the report names the feature
  it was asked about), and per plan:
  zones      {"layer/fid": {overlap_m2, landuse, zone_id}} for every zone meeting the site
  union_m2   area(site ∩ ⋃ zones of the plan) (the plan's coverage)
  sum_m2     Σ area(site ∩ zone): more than union_m2 where the plan's zones overlap each other
  redlines   {"layer/fid": {distance_m, crosses, crosses_robust, method, corridor_m2}} for
             every red line of the plan within 30 m: `method` is `dgt_zones` when DGT-coded zones
             of the plan lie within 0.5 m of the line (the corridor is their union), else
             `buffer` (width_m / 2 each side, round caps) when the line has a width, else `none`
  road_m2    area(site ∩ ⋃ corridors of the plan)
A site that GEOS finds invalid is measured after shapely.make_valid (polygonal parts).
Each layer is read once; layers are projected once per metric CRS.
"""
import json
import os
import sys

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import shape

REDLINE_NEAR_M = 30.0
TOUCH_M = 0.5
# "Crosses" is decided on the site shrunk and grown by this much (m): a red line drawn along
# a parcel's edge is neither clearly in nor out, and the judge says so instead of guessing.
CROSS_MARGIN_M = 0.01
CROSS_MIN_LEN_M = 0.01

req = json.load(open(sys.argv[1], encoding="utf-8"))
store = req["store"]
catalog = json.load(open(os.path.join(store, "catalog.json"), encoding="utf-8"))


def main_code(landuse):
    if landuse is None:
        return ""
    for sep in ",;":
        landuse = landuse.replace(sep, "+")
    codes = [c.strip().upper() for c in landuse.split("+") if c.strip()]
    return codes[0] if codes else ""


class Layer:
    def __init__(self, lid, entry):
        self.id = lid
        self.kind = entry["kind"]
        self.plan = entry.get("plan")
        df = pyogrio.read_dataframe(os.path.join(store, entry["file"]), fid_as_index=True)
        fids = np.asarray(df.index)
        if not np.array_equal(fids, np.arange(len(df))):
            raise SystemExit(f"{lid}: OGR feature ids are not 0..n-1; cannot match report ids")
        if len(df) != entry["count"]:
            raise SystemExit(f"{lid}: {len(df)} features, catalog says {entry['count']}")
        self.geoms = np.asarray(df.geometry.values, dtype=object)
        self.attrs = df.drop(columns="geometry")
        cols = set(self.attrs.columns)

        def col(name):
            if name in cols:
                return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v
                        for v in self.attrs[name].tolist()]
            return [None] * len(df)

        self.plan_of = [p or self.plan for p in col("plan_id")]
        self.landuse = col("landuse")
        self.main = [main_code(v) for v in self.landuse]
        self.zone_id = col("zone_id")
        self.width = col("width_m")
        self.projected = {}

    def in_crs(self, crs):
        """(geometries, STRtree) in the metric CRS, computed once per CRS."""
        if crs not in self.projected:
            g = project(self.geoms, crs)
            self.projected[crs] = (g, shapely.STRtree(g))
        return self.projected[crs]


transformers = {}


def project(geoms, crs):
    if crs not in transformers:
        transformers[crs] = Transformer.from_crs(
            CRS.from_epsg(4326), CRS.from_user_input(crs), always_xy=True)
    t = transformers[crs]

    def f(xy):
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, f)


layers = {lid: Layer(lid, e) for lid, e in catalog["layers"].items()
          if e["kind"] in ("zones", "redlines", "parcels")}
zone_layers = [l for l in layers.values() if l.kind == "zones"]
line_layers = [l for l in layers.values() if l.kind == "redlines"]


def polygonal(g):
    """The polygonal part of make_valid's answer."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def judge(site):
    crs = site["metric_crs"]
    out = {"key": site["key"]}
    if "parcel" in site:
        layer = layers[site["parcel"]["layer"]]
        fid = site["parcel"]["id"]
        g = layer.geoms[fid]
        a = layer.attrs.iloc[fid]
        out["parcel"] = {
            k: (None if a.get(k) is None else (int(a[k]) if k in ("sheet", "parcel") else str(a[k])))
            for k in ("commune_code", "sheet", "parcel")
        }
    else:
        g = shape(site["geometry"])
    g = project(np.array([g], dtype=object), crs)[0]
    out["site_valid"] = bool(g.is_valid)
    if not g.is_valid:
        out["site_invalid_reason"] = shapely.is_valid_reason(g)
        g = polygonal(shapely.make_valid(g))
    area = g.area
    out["site_area_m2"] = area
    shapely.prepare(g)
    inner = g.buffer(-CROSS_MARGIN_M)
    outer = g.buffer(CROSS_MARGIN_M)
    near = g.buffer(REDLINE_NEAR_M + 1.0).envelope
    plans = {}

    def plan(pid):
        return plans.setdefault(pid, {"zones": {}, "union_m2": 0.0, "sum_m2": 0.0,
                                      "redlines": {}, "road_m2": 0.0,
                                      "_zone_geoms": [], "_corridors": []})

    # Zones: every zone meeting the site.
    for l in zone_layers:
        geoms, tree = l.in_crs(crs)
        for i in tree.query(g, predicate="intersects"):
            inter = g.intersection(geoms[i])
            a = inter.area
            if a <= 0.0:
                continue
            p = plan(l.plan_of[i])
            p["zones"][f"{l.id}/{int(i)}"] = {
                "overlap_m2": a, "landuse": l.main[i], "zone_id": l.zone_id[i]}
            p["sum_m2"] += a
            p["_zone_geoms"].append(geoms[i])
    # Red lines within 30 m, and their corridors.
    for l in line_layers:
        geoms, tree = l.in_crs(crs)
        for i in tree.query(near):
            line = geoms[i]
            d = g.distance(line)
            if d > REDLINE_NEAR_M:
                continue
            pid = l.plan_of[i]
            len_in = line.intersection(inner).length if not inner.is_empty else 0.0
            len_out = line.intersection(outer).length
            crosses = line.intersection(g).length > CROSS_MIN_LEN_M
            robust = (len_in > CROSS_MIN_LEN_M) == (len_out > CROSS_MIN_LEN_M)
            dgt = []
            for zl in zone_layers:
                zgeoms, ztree = zl.in_crs(crs)
                for j in ztree.query(line, predicate="dwithin", distance=TOUCH_M):
                    if zl.plan_of[j] == pid and zl.main[j] == "DGT":
                        dgt.append(zgeoms[j])
            width = l.width[i]
            if dgt:
                method, corridor = "dgt_zones", shapely.union_all(dgt)
            elif width is not None and width > 0:
                method, corridor = "buffer", line.buffer(width / 2.0, quad_segs=8)
            else:
                method, corridor = "none", None
            p = plan(pid)
            p["redlines"][f"{l.id}/{int(i)}"] = {
                "distance_m": d,
                "crosses": crosses,
                "crosses_robust": robust,
                "method": method,
                "corridor_m2": g.intersection(corridor).area if corridor is not None else 0.0,
                "width_m": width,
            }
            if corridor is not None:
                p["_corridors"].append(corridor)
    for p in plans.values():
        if p["_zone_geoms"]:
            p["union_m2"] = g.intersection(shapely.union_all(p["_zone_geoms"])).area
        if p["_corridors"]:
            p["road_m2"] = g.intersection(shapely.union_all(p["_corridors"])).area
        del p["_zone_geoms"], p["_corridors"]
    out["plans"] = plans
    return out


result = {
    "versions": {"shapely": shapely.__version__, "geos": shapely.geos_version_string,
                 "pyogrio": pyogrio.__version__, "gdal": pyogrio.__gdal_version_string__},
    "sites": [judge(s) for s in req["sites"]],
}
json.dump(result, sys.stdout, ensure_ascii=False)
