#!/usr/bin/env python3
"""Writes the starting seeds of each fuzz target into fuzz/corpus/<target>/ (seed-* files).

Run from fuzz/: python3 seeds.py. Deterministic. The MVT seeds are the spec's fixtures
(@mapbox/mvt-fixtures, ISC licence) from tiles/tests/js/node_modules when installed.
"""
import gzip
import hashlib
import json
import os
import re
import struct
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def put(target, data, name=None):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = name or "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(b):
    return gzip.compress(b, mtime=0)


# --- encoding -------------------------------------------------------------------------------
TEXT = [
    "Vĩnh Thanh", "Rạch Giá", "Đường Nguyễn Trung Trực", "Phường Vĩnh Lạc", "xã Phi Thông",
    "Thành phố Rạch Giá, tỉnh Kiên Giang", "Đất ở tại đô thị", "Quy hoạch sử dụng đất",
    "Trường Đại học", "Kỳ Đồng, Mỹ Tho, Lý Thường Kiệt, ỵ", "Đất trồng lúa nước",
]
src = open(os.path.join(ROOT, "data/src/encoding.rs"), encoding="utf-8").read()
table = re.search(r"const TCVN3_HIGH: \[char; 128\] = \[(.*?)\];", src, re.S).group(1)
chars = re.findall(r"'(\\u\{[0-9A-Fa-f]+\}|[^'])'", table)
chars = [chr(int(c[3:-1], 16)) if c.startswith("\\u") else c for c in chars]
assert len(chars) == 128, len(chars)
tcvn3 = {}
for i, c in enumerate(chars):
    b = 0x80 + i
    if (0xA1 <= b <= 0xA7 or c.islower()) and c not in tcvn3:
        tcvn3[c] = b


def enc_tcvn3(s):
    out = bytearray()
    for c in unicodedata.normalize("NFC", s):
        if ord(c) < 128:
            out.append(ord(c))
        elif c in tcvn3:
            out.append(tcvn3[c])
        else:
            return None
    return bytes(out)


def enc_1258(s):
    out = bytearray()
    for c in unicodedata.normalize("NFC", s):
        try:
            out += c.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", c)
            tones = [m for m in d if m in "\u0300\u0301\u0303\u0309\u0323"]
            base = unicodedata.normalize("NFC", "".join(m for m in d if m not in tones))
            out += base.encode("cp1258") + "".join(tones).encode("cp1258")
    return bytes(out)


VNI_MOJIBAKE = ["Tröôøng", "Thaùi Bình", "Vieät Nam", "Nguyeãn Trung Tröïc", "Raïch Giaù",
                "Ñaø Naüng", "Vónh Thanh", "Quy hoaïch söû duïng ñaát", "TRÖÔØNG ÑAÏI HOÏC",
                "Kyø Ñoàng, Myõ Tho, Lyù Thöôøng Kieät, î"]
lines = {"utf8": [], "tcvn3": [], "cp1258": [], "vni": []}
for t in TEXT:
    lines["utf8"].append(t.encode())
    e = enc_tcvn3(t.lower())
    if e:
        lines["tcvn3"].append(e)
    lines["cp1258"].append(enc_1258(t))
for m in VNI_MOJIBAKE:
    lines["vni"].append(m.encode("cp1252"))
for k, v in lines.items():
    put("encoding", b"\n".join(v))
    for x in v[:3]:
        put("encoding", x)
put("encoding", bytes(range(256)))

# --- mvt_decode -----------------------------------------------------------------------------
fx = os.path.join(ROOT, "tiles/tests/js/node_modules/@mapbox/mvt-fixtures/fixtures")
if os.path.isdir(fx):
    for n in sorted(os.listdir(fx)):
        p = os.path.join(fx, n, "tile.mvt")
        if os.path.exists(p):
            b = open(p, "rb").read()
            put("mvt_decode", b)
            if int(n) % 4 == 0:
                put("mvt_decode", gz(b))


# --- pmtiles_reader -------------------------------------------------------------------------
def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def directory(entries, compress=True):
    b = varint(len(entries))
    last = 0
    for e in entries:
        b += varint(e[0] - last)
        last = e[0]
    for e in entries:
        b += varint(e[3])
    for e in entries:
        b += varint(e[2])
    prev = None
    for e in entries:
        follows = prev is not None and e[1] == prev[1] + prev[2]
        b += varint(0 if follows else e[1] + 1)
        prev = e
    return gz(b) if compress else b


def header(root, meta, leaves, data, ntiles, internal, minz=0, maxz=3):
    h = b"PMTiles" + bytes([3])
    for v in [*root, *meta, *leaves, *data, ntiles, ntiles, ntiles]:
        h += struct.pack("<Q", v)
    h += bytes([1, internal, 2, 1, minz, maxz])
    for v in [1049000000, 99000000, 1052000000, 101000000]:
        h += struct.pack("<i", v)
    h += bytes([2]) + struct.pack("<ii", 1050000000, 100000000)
    assert len(h) == 127
    return h


def archive(tiles, internal=2, leaf=False):
    """tiles: list of (tile_id, bytes, run_length)."""
    data = b""
    entries = []
    for tid, body, run in tiles:
        entries.append((tid, len(data), len(body), run))
        data += body
    compress = internal == 2
    meta = json.dumps({"name": "fuzz", "vector_layers": [{"id": "parcels"}]}).encode()
    meta = gz(meta) if compress else meta
    if leaf:
        leafdir = directory(entries, compress)
        root = directory([(entries[0][0], 0, len(leafdir), 0)], compress)
    else:
        leafdir = b""
        root = directory(entries, compress)
    r0 = 127
    m0 = r0 + len(root)
    l0 = m0 + len(meta)
    d0 = l0 + len(leafdir)
    return (header((r0, len(root)), (m0, len(meta)), (l0, len(leafdir)), (d0, len(data)),
                   len(tiles), internal) + root + meta + leafdir + data)


tile = gz(b"\x1a\x0b\x0a\x05hello\x78\x02")
put("pmtiles_reader", archive([(0, tile, 1), (1, tile, 1), (3, tile + b"x", 2)]))
put("pmtiles_reader", archive([(0, tile, 1), (5, tile, 4)], internal=1))
put("pmtiles_reader", archive([(0, tile, 1), (2, tile, 1), (21, tile, 3)], leaf=True))
put("pmtiles_reader", archive([(1, tile, 1), (4, tile, 1)], internal=1, leaf=True))

# --- query_params ---------------------------------------------------------------------------
PREFIXES = ["/api/v1/parcels/at?", "/api/v1/parcels/", "/api/v1/search?", "/api/v1/report",
            "/api/v1/convert", "/ogc/collections/", "/tiles/", "/api/v1/plans/",
            "/api/v1/sites/parse", "/", "/ogc/collections/parcels/items?",
            "/api/v1/parcels/31150/", "/ogc", "/api/v1/landuse-codes?", "/api/v1/layers?",
            "/styles/planning.json?"]
GET, POST = 0x00, 0x80
SQUARE = ('{"type":"Polygon","coordinates":[[[105.11,9.95],[105.112,9.95],[105.112,9.952],'
          '[105.11,9.95]]]}')
Q = [
    (GET, 0, "lon=105.1193&lat=9.9498", ""),
    (GET, 0, "northing=1100512.3&easting=566489.1&srs=vn2000:kien-giang", ""),
    (GET, 0, "x=566489.1&y=1100512.3&srs=vn2000:tm3:104:30", ""),
    (GET, 1, "vinh%20thanh/12/345", ""),
    (GET, 1, "31150/12/345/report.txt", ""),
    (GET, 1, "31150/1/1/report", ""),
    (GET, 1, "31150/1/2/report.html?lang=en", ""),
    (GET, 11, "3/7", ""),
    (GET, 2, "q=vinh%20thanh&limit=5", ""),
    (GET, 2, "q=12/345", ""),
    (GET, 2, "q=V%C4%A9nh%20Thanh%20t%E1%BB%9D%2012%20th%E1%BB%ADa%20345", ""),
    (POST, 3, "", SQUARE),
    (POST, 3, "", '{"parcel":{"commune":"31150","sheet":12,"parcel":345}}'),
    (POST, 3, "", '{"layer":"parcels","id":3}'),
    (GET, 4, "?x=566489.1&y=1100512.3&from=vn2000:kien-giang", ""),
    (GET, 4, "?lon=105.1&lat=9.95&to=vn2000:utm48", ""),
    (POST, 4, "", '{"from":"vn2000:kien-giang","points":[{"northing":1100000,"easting":590000},[590010,1100010]]}'),
    (POST, 4, "", '{"to":"EPSG:9210","points":[{"lon":105.1,"lat":9.95}]}'),
    (GET, 5, "parcels/items?bbox=105.1,9.9,105.2,10.0&limit=3&offset=2", ""),
    (GET, 5, "zones/items/1", ""),
    (GET, 5, "parcels", ""),
    (GET, 10, "bbox=105.1,9.9,0,105.2,10.0,0&datetime=2024-01-01/..&f=json", ""),
    (GET, 6, "planning/12/3245/1937.pbf", ""),
    (GET, 6, "planning.json", ""),
    (GET, 7, "qhpk-2000", ""),
    (POST, 8, "", SQUARE),
    (GET, 9, "api/v1/health", ""),
    (GET, 9, "ogc/conformance?f=json", ""),
    (GET, 12, "/api", ""),
    (GET, 13, "", ""),
    (GET, 15, "", ""),
]
for method, i, tail, body in Q:
    b = bytes([method | i]) + tail.encode()
    if body:
        b += b"\n" + body.encode()
    put("query_params", b)

# --- search ---------------------------------------------------------------------------------
for q in ["vinh thanh 12 345", "12/345", "Vĩnh Thanh tờ 12 thửa 345",
          "thửa 345 tờ bản đồ số 12 Vĩnh Thanh", "rach gia", "qhpk", "512/QĐ-UBND",
          "Nguyễn Trung Trực", "31150 12 345", "đường", "Tô Châu 3 4", "v"]:
    put("search", bytes([10]) + q.encode())

# --- site_geojson ---------------------------------------------------------------------------
sq = json.loads(SQUARE)
put("site_geojson", SQUARE)
put("site_geojson", json.dumps({"type": "Feature", "properties": {}, "geometry": sq}))
put("site_geojson", json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": sq}, {"type": "Feature", "geometry": sq}]}))
put("site_geojson", json.dumps({"type": "MultiPolygon", "coordinates": [
    [[[105.0, 10.0], [105.01, 10.0], [105.01, 10.01], [105.0, 10.01], [105.0, 10.0]],
     [[105.002, 10.002], [105.002, 10.004], [105.004, 10.004], [105.002, 10.002]]]]}))
put("site_geojson", json.dumps({"type": "Polygon", "coordinates": [
    [[105.0, 10.0], [105.01, 10.01], [105.01, 10.0], [105.0, 10.01], [105.0, 10.0]]]}))
