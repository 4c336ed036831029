"""Reference VN-2000 -> WGS 84 conversions by PROJ (pyproj), for the Rust tests.

Reads JSON from stdin: [{"proj": "<TM or UTM PROJ string without datum shift>", "x": E, "y": N}, ...]
and writes [{"lon": .., "lat": ..}, ...]: the inverse projection on the WGS 84 ellipsoid to
geographic VN-2000 (EPSG:4756), then the datum shift of EPSG:6960 "VN-2000 to WGS 84 (2)" taken
from PROJ's own EPSG database (not from our +towgs84 string).
"""
import json
import sys

from pyproj import Transformer
from pyproj.crs import CRS, CoordinateOperation

shift = Transformer.from_pipeline(CoordinateOperation.from_epsg(6960).to_proj4())
out = []
for p in json.load(sys.stdin):
    crs = CRS.from_proj4(p["proj"])
    inverse = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    lon, lat = inverse.transform(p["x"], p["y"])
    # The EPSG:6960 pipeline takes and gives latitude first (EPSG axis order).
    lat2, lon2 = shift.transform(lat, lon)
    out.append({"lon": lon2, "lat": lat2})
json.dump(out, sys.stdout)
