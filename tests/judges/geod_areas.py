"""Geodesic areas on the WGS 84 ellipsoid by pyproj's Geod, for the Rust tests.

Usage: geod_areas.py SOURCE.geojson [--group PROPERTY]

Reads the GeoJSON file itself (json, not GDAL, not our store) and prints one JSON object per
line for every feature, in file order (the index is GDAL's FID for a GeoJSON file without ids):

    {"fid": 0, "area": 123.4, "repaired": false, "bound": 5.6e9}

- The CRS is the file's "crs" member (GDAL writes one for anything but WGS 84); coordinates in
  another CRS are taken to WGS 84 longitude/latitude by pyproj (always_xy).
- Invalid geometries are repaired in the source CRS, as the importer does, by shapely's
  `make_valid` with method="linework" — GEOS's MakeValid, the same algorithm GDAL's
  OGR_G_MakeValid runs by default — keeping only the polygonal parts.
- Each ring is measured by `Geod(ellps="WGS84").polygon_area_perimeter`; a polygon's area is
  its exterior's minus its holes', whatever way the file's rings turn; parts of a
  multipolygon are summed.
- "bound" is the geodesic area of the longitude/latitude bounding box of all features with the
  same value of PROPERTY (e.g. the province), or of the whole file without --group: no area
  may exceed it.
"""
import argparse
import json
import sys

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import MultiPolygon, Polygon, box, shape

GEOD = Geod(ellps="WGS84")


def polygons(g):
    """The polygons of a geometry (collections flattened, other parts dropped)."""
    if g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g]
    if isinstance(g, MultiPolygon):
        return list(g.geoms)
    if hasattr(g, "geoms"):
        return [p for part in g.geoms for p in polygons(part)]
    return []


def ring_area(ring):
    """Area enclosed by one ring, whichever way it turns (Geod's signed area, made positive)."""
    lons, lats = ring.xy
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area)


def geodesic_area(polys):
    """Sum over polygons of the exterior's area minus its holes'.

    Each ring is measured alone: orienting the polygon first (shapely's `orient`) is not
    reliable here, since GEOS decides a ring's direction at its highest vertex, and a repaired
    polygon taken to degrees can keep a micro-sliver lobe turning the other way there.
    """
    total = 0.0
    for p in polys:
        total += max(ring_area(p.exterior) - sum(ring_area(r) for r in p.interiors), 0.0)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("--group")
    args = ap.parse_args()
    with open(args.source, encoding="utf-8") as f:
        doc = json.load(f)
    crs_name = (doc.get("crs") or {}).get("properties", {}).get("name")
    crs = CRS.from_user_input(crs_name) if crs_name else CRS.from_epsg(4326)
    to_wgs84 = None
    if not crs.equals(CRS.from_epsg(4326), ignore_axis_order=True) and crs_name not in (
        "urn:ogc:def:crs:OGC:1.3:CRS84",
    ):
        tr = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)

        def to_wgs84(g):
            return shapely.transform(
                g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
            )

    rows = []
    for fid, feat in enumerate(doc["features"]):
        g = shape(feat["geometry"])
        repaired = not g.is_valid
        if repaired:
            g = shapely.make_valid(g, method="linework")
        polys = polygons(g)
        if to_wgs84 is not None:
            polys = [to_wgs84(p) for p in polys]
        props = feat.get("properties") or {}
        rows.append(
            {
                "fid": fid,
                "area": geodesic_area(polys),
                "repaired": repaired,
                "group": props.get(args.group) if args.group else None,
                "bbox": MultiPolygon(polys).bounds if polys else None,
            }
        )

    boxes = {}
    for r in rows:
        if r["bbox"] is None:
            continue
        b = boxes.get(r["group"])
        x0, y0, x1, y1 = r["bbox"]
        boxes[r["group"]] = (
            (x0, y0, x1, y1)
            if b is None
            else (min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1))
        )
    # Edges densified every 0.01° so that they follow the parallels, not geodesics.
    bounds = {k: geodesic_area([shapely.segmentize(box(*b), 0.01)]) for k, b in boxes.items()}
    out = sys.stdout
    for r in rows:
        bound = bounds.get(r["group"], 0.0)
        out.write(
            json.dumps({"fid": r["fid"], "area": r["area"], "repaired": r["repaired"], "bound": bound})
            + "\n"
        )


if __name__ == "__main__":
    main()
