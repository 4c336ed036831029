#!/usr/bin/env python3
"""Asks two running servers on the same store the same questions and says where they differ.

For changes that must not change answers (an index rewrite, a new backend): reports of
parcels drawn at random, the parcels at a point inside each, the parcel by number, search,
OGC items in boxes, and vector tiles from z12 to z17 around them. JSON answers must be
byte-identical (but for the server's own address in links and OGC's timeStamp), or equal as
JSON values with keys in another order (counted and reported separately); tiles are compared
feature by feature (layer, id, attributes, geometry commands) regardless of the order features
come in, and the order is reported separately.

    target/judges-venv/bin/python bench/ab_answers.py http://127.0.0.1:8081 http://127.0.0.1:8082 --parcels 1000

Exits 1 when an answer differs. Run it with the judges' Python
(target/judges-venv/bin/python, made by scripts/setup-judges.sh): tiles are decoded by
mapbox-vector-tile.
"""

import argparse
import json
import math
import random
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import mapbox_vector_tile


def get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def json_value(body):
    """The JSON value of `body`, or None when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def features(tile):
    """The tile's features as comparable tuples, in the order they come."""
    out = []
    for name, layer in mapbox_vector_tile.decode(tile).items():
        for f in layer["features"]:
            out.append((name, layer["extent"], f.get("id"), f["type"],
                        json.dumps(f["properties"], sort_keys=True), json.dumps(f["geometry"])))
    return out


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--parcels", type=int, default=1000)
    ap.add_argument("--layer", default="parcels")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    diffs, counts, order_only, key_order = [], {}, 0, 0
    hosta = urllib.parse.urlsplit(args.a).netloc.encode()
    hostb = urllib.parse.urlsplit(args.b).netloc.encode()

    def same(kind, path):
        nonlocal order_only, key_order
        sa, ba = get(args.a, path)
        sb, bb = get(args.b, path)
        # Links name the server they came from; OGC's timeStamp is the second of the answer.
        bb = bb.replace(hostb, hosta)
        ba, bb = (re.sub(rb'"timeStamp":"[^"]*"', b'"timeStamp":""', x) for x in (ba, bb))
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "tile" and sa == sb == 200:
            fa, fb = features(ba), features(bb)
            if sorted(fa) != sorted(fb):
                diffs.append((path, f"tile features differ: {len(fa)} vs {len(fb)}"))
            elif fa != fb:
                order_only += 1
            return ba
        if sa == sb and ba != bb and json_value(ba) is not None and json_value(ba) == json_value(bb):
            key_order += 1
        elif (sa, ba) != (sb, bb):
            at = next((i for i in range(min(len(ba), len(bb))) if ba[i] != bb[i]), None)
            where = "" if at is None else f" from byte {at}: {ba[at:at + 40]!r} vs {bb[at:at + 40]!r}"
            diffs.append((path, f"{sa} {len(ba)} B vs {sb} {len(bb)} B{where}"))
        return ba

    _, body = get(args.a, f"/ogc/collections/{args.layer}/items?limit=1")
    total = json.loads(body)["numberMatched"]
    tiles = set()
    for _ in range(args.parcels):
        k = rng.randrange(total)
        _, body = get(args.a, f"/ogc/collections/{args.layer}/items?limit=1&offset={k}")
        feats = json.loads(body)["features"]
        if not feats:
            continue
        f = feats[0]
        p = f["properties"]
        c, s, n = p.get("commune_code"), p.get("sheet"), p.get("parcel")
        ring = f["geometry"]["coordinates"][0][0]
        xs, ys = [q[0] for q in ring], [q[1] for q in ring]
        if c is not None and s is not None and n is not None:
            same("parcel", f"/api/v1/parcels/{c}/{s}/{n}")
            same("report", f"/api/v1/parcels/{c}/{s}/{n}/report")
            same("search", "/api/v1/search?" + urllib.parse.urlencode({"q": f"{s}/{n}"}))
        # A point inside the ring's box (inside or not, both must agree).
        lon = min(xs) + (max(xs) - min(xs)) * rng.random()
        lat = min(ys) + (max(ys) - min(ys)) * rng.random()
        same("at", f"/api/v1/parcels/at?lon={lon:.7f}&lat={lat:.7f}")
        d = 0.002 * rng.random()
        same("items", f"/ogc/collections/{args.layer}/items?bbox={lon - d:.6f},{lat - d:.6f},{lon + d:.6f},{lat + d:.6f}&limit=100")
        for z in range(12, 18):
            tiles.add((z,) + tile_of(lon, lat, z))
    for q in ["vĩnh", "thanh", "đường", "ấp", "qhpk", "31150", "12/3"]:
        same("search", "/api/v1/search?" + urllib.parse.urlencode({"q": q}))
    for z, x, y in sorted(tiles):
        same("tile", f"/tiles/planning/{z}/{x}/{y}.mvt")
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"tiles with the same features in another order: {order_only}")
    print(f"JSON answers with the same values, keys in another order: {key_order}")
    for path, why in diffs[:30]:
        print(f"DIFF {path}: {why}")
    print(f"{len(diffs)} answers differ")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
