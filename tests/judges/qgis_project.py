#!/usr/bin/python3
"""QGIS itself judges the project of `GET /qgis/project.qgs`.

Run with Debian's system python (python3-qgis lives there, not in the judges venv):

    /usr/bin/python3 tests/judges/qgis_project.py URL [BBOX]

URL is the project's address on a running server (e.g.
http://127.0.0.1:8080/qgis/project.qgs?bbox=105.10,9.94,105.11,9.95); BBOX (w,s,e,n, WGS 84)
is the box features are counted in (default: the bbox= of URL). QGIS opens the downloaded
file headless (QT_QPA_PLATFORM=offscreen) and this prints one JSON document:

    {"qgis": "3.22.16-...", "read": true, "crs": "EPSG:3857",
     "view": [xmin, ymin, xmax, ymax] (the project's default view, WGS 84),
     "layers": [{"id", "name", "provider", "valid", "visible", "featureCount" (OAPIF: features
       meeting BBOX, read through the provider), "renderer", "expression", "categories":
       {value: "#rrggbb"}, "other": "#rrggbb" | null, "labels": bool, "opacity",
       "minScale", "maxScale", "styles" (vector tiles: number of native styles)}, ...]}

Exit status 0 when the project was read (the JSON says what QGIS made of each layer), 2 when
QGIS could not read it at all.
"""

import json
import os
import sys
import tempfile
import urllib.parse
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="qgis-judge-run-"))

from qgis.core import (  # noqa: E402
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDataSourceUri,
    QgsFeatureRequest,
    QgsProject,
    QgsRectangle,
)


def colour(sym):
    c = sym.color()
    return "#%02x%02x%02x" % (c.red(), c.green(), c.blue())


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    url = sys.argv[1]
    if len(sys.argv) > 2:
        bbox_text = sys.argv[2]
    else:
        q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        bbox_text = q.get("bbox", [""])[0]
    bbox = [float(v) for v in bbox_text.split(",")] if bbox_text else None

    work = tempfile.mkdtemp(prefix="qgis-judge-")
    path = os.path.join(work, "quyhoach.qgs")
    with urllib.request.urlopen(url, timeout=60) as r:
        data = r.read()
    with open(path, "wb") as f:
        f.write(data)

    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    out = {"qgis": Qgis.QGIS_VERSION, "read": bool(project.read(path))}
    if not out["read"]:
        out["error"] = project.error()
        print(json.dumps(out, ensure_ascii=False))
        return 2
    out["crs"] = project.crs().authid()
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    view = project.viewSettings().defaultViewExtent()
    to84 = QgsCoordinateTransform(view.crs(), wgs84, project)
    v = to84.transformBoundingBox(QgsRectangle(view))
    out["view"] = [v.xMinimum(), v.yMinimum(), v.xMaximum(), v.yMaximum()]

    root = project.layerTreeRoot()
    layers = []
    for node in root.findLayers():
        layer = node.layer()
        info = {
            "id": node.layerId(),
            "name": node.name(),
            "visible": node.isVisible(),
        }
        if layer is None:
            info["valid"] = False
            layers.append(info)
            continue
        info["provider"] = layer.providerType()
        if layer.providerType() == "OAPIF":
            info["typename"] = QgsDataSourceUri(layer.source()).param("typename")
        info["valid"] = layer.isValid()
        info["opacity"] = round(layer.opacity(), 3)
        info["scaleBased"] = layer.hasScaleBasedVisibility()
        info["minScale"] = layer.minimumScale()
        info["maxScale"] = layer.maximumScale()
        if layer.type() == layer.VectorLayer:
            r = layer.renderer()
            info["renderer"] = r.type() if r else None
            info["labels"] = bool(layer.labelsEnabled())
            if r is not None and r.type() == "categorizedSymbol":
                info["expression"] = r.classAttribute()
                cats = {}
                other = None
                for c in r.categories():
                    if c.value() in ("", None):
                        other = colour(c.symbol())
                    else:
                        cats[str(c.value())] = colour(c.symbol())
                info["categories"] = cats
                info["other"] = other
            elif r is not None and r.type() == "singleSymbol":
                info["colour"] = colour(r.symbol())
            if layer.isValid() and bbox is not None:
                rect = QgsRectangle(*bbox)
                if layer.crs() != wgs84:
                    rect = QgsCoordinateTransform(wgs84, layer.crs(), project).transformBoundingBox(rect)
                req = QgsFeatureRequest().setFilterRect(rect)
                req.setFlags(QgsFeatureRequest.ExactIntersect)
                n = 0
                values = set()
                idx = layer.fields().indexOf("landuse")
                for f in layer.getFeatures(req):
                    n += 1
                    if idx >= 0 and f[idx] is not None:
                        values.add(str(f[idx])[:3])
                info["featureCount"] = n
                if idx >= 0:
                    info["codes"] = sorted(values)
        else:
            r = layer.renderer()
            info["renderer"] = r.type() if r else None
            info["styles"] = len(r.styles()) if r is not None and hasattr(r, "styles") else 0
            info["source"] = layer.source()
        layers.append(info)
    out["layers"] = layers
    print(json.dumps(out, ensure_ascii=False))
    sys.stdout.flush()
    # QGIS's exit can crash on some builds after the work is done; the JSON is out.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
