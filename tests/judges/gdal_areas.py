"""Areas by GDAL/OGR (GEOS) in a source file's own CRS, for the Rust tests.

Usage: gdal_areas.py SOURCE.shp  → prints "fid,area" lines, one per feature, the area computed by
OGR_G_Area on the geometry as stored (i.e. in the source CRS units).
Run with Debian's /usr/bin/python3 (python3-gdal).
"""
import sys

from osgeo import ogr

ds = ogr.Open(sys.argv[1])
layer = ds.GetLayer(0)
for f in layer:
    g = f.GetGeometryRef()
    print(f"{f.GetFID()},{g.GetArea() if g is not None else 'nan'}")
