"""Zone overlaps of demo parcels by GDAL/OGR (GEOS), in the sources' own VN-2000 metres.

Usage: zone_overlaps.py SOURCES_DIR FID [FID ...]
prints "fid,zone_id,percent" lines: for each parcel of thua_dat.shp with that FID, every
planning zone (land-use plan KhuQuyHoach/MaKhu, zoning plan and its draft SuDungDat_A/
maThongTinQH) it overlaps, with the overlap as a percentage of the parcel's area, both computed
by OGR_G_Intersection and OGR_G_Area on the geometries as delivered (no reprojection).
The Rust index computes the same numbers after a round trip through WGS 84; the test compares.
Run with Debian's /usr/bin/python3 (python3-gdal).
"""
import os
import sys

from osgeo import ogr

ogr.UseExceptions()

src = sys.argv[1]
fids = [int(a) for a in sys.argv[2:]]

# Keep every DataSource referenced while its layers are used (else GDAL frees them).
parcels_ds = ogr.Open(os.path.join(src, "thua_dat.shp"))
parcels = parcels_ds.GetLayer(0)
zone_sources = []
for file, layer, field in [
    ("qhsdd_2030.gpkg", "KhuQuyHoach", "MaKhu"),
    ("qhpk_2000.gpkg", "SuDungDat_A", "maThongTinQH"),
    ("qhpk_2000_dc.gpkg", "SuDungDat_A", "maThongTinQH"),
]:
    ds = ogr.Open(os.path.join(src, file))
    zone_sources.append((ds, ds.GetLayerByName(layer), field))

for fid in fids:
    f = parcels.GetFeature(fid)
    g = f.GetGeometryRef().Clone()
    if not g.IsValid():
        g = g.MakeValid()
    area = g.GetArea()
    for ds, layer, field in zone_sources:
        layer.SetSpatialFilter(g)
        for z in layer:
            inter = g.Intersection(z.GetGeometryRef())
            if inter is None or inter.IsEmpty():
                continue
            a = inter.GetArea()
            if a >= 0.01:
                print(f"{fid},{z.GetField(field)},{a / area * 100.0:.6f}")
        layer.SetSpatialFilter(None)
