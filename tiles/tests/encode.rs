//! Encoding tiles: clipping, winding, command streams, attributes by zoom, dropping small
//! features, the crack test for adjacent zones, the size cap, determinism and snapshots.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::*;
use geo_types::Geometry;
use prost::Message;
use quyhoach_tiles::mvt::{self, proto, ring_area2, DecodedLayer, GeomType};
use quyhoach_tiles::{
    encode_tile, tiles_covering, EncodeOptions, MemoryFeature, MemorySource, PropValue, TileCoord,
    MAX_TILE_BYTES,
};
use serde_json::{json, Value};

fn encode(src: &MemorySource, t: TileCoord) -> Vec<u8> {
    encode_tile(src, t, &EncodeOptions::default()).bytes
}

fn layer<'a>(layers: &'a [DecodedLayer], name: &str) -> &'a DecodedLayer {
    layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
}

fn prop_json(v: &PropValue<'_>) -> Value {
    match v {
        PropValue::Str(s) => json!(s),
        PropValue::Int(i) => json!(i),
        PropValue::Double(d) => json!(d),
        PropValue::Bool(b) => json!(b),
    }
}

/// A decoded tile as JSON, for snapshots.
fn tile_json(bytes: &[u8]) -> Value {
    let layers = mvt::decode(bytes).unwrap();
    let mut out = serde_json::Map::new();
    for l in layers {
        let feats: Vec<Value> = l
            .features
            .iter()
            .map(|f| {
                let props: BTreeMap<&String, Value> = f
                    .properties
                    .iter()
                    .map(|(k, v)| (k, prop_json(v)))
                    .collect();
                json!({"id": f.id, "type": f.geom_type, "properties": props, "paths": f.paths})
            })
            .collect();
        out.insert(
            l.name.clone(),
            json!({"extent": l.extent, "version": l.version, "features": feats}),
        );
    }
    Value::Object(out)
}

/// Checks the raw command stream of every feature: polygons are sequences of MoveTo(1),
/// LineTo(n >= 2), ClosePath(1); lines MoveTo(1), LineTo(n >= 1); no zero-length LineTo
/// steps; exteriors positive, holes negative; points one MoveTo(n).
fn check_commands(bytes: &[u8]) {
    let tile = proto::Tile::decode(bytes).unwrap();
    for l in &tile.layers {
        assert_eq!(l.version, 2);
        assert_eq!(l.extent, Some(4096));
        for f in &l.features {
            let g = &f.geometry;
            if f.r#type == Some(proto::GEOM_POINT) {
                // One MoveTo(n) with n points (§4.3.4.2).
                assert_eq!(g[0] & 7, 1, "MoveTo expected in {}", l.name);
                assert_eq!(
                    g.len(),
                    1 + 2 * (g[0] >> 3) as usize,
                    "points of {}",
                    l.name
                );
                continue;
            }
            let mut i = 0;
            while i < g.len() {
                assert_eq!(g[i], 9, "MoveTo(1) expected in {}", l.name);
                i += 3;
                let (id, count) = (g[i] & 7, g[i] >> 3);
                assert_eq!(id, 2, "LineTo expected");
                let min = if f.r#type == Some(proto::GEOM_POLYGON) {
                    2
                } else {
                    1
                };
                assert!(count >= min);
                for k in 0..count as usize {
                    let (dx, dy) = (g[i + 1 + 2 * k], g[i + 2 + 2 * k]);
                    assert!(dx != 0 || dy != 0, "repeated point in {}", l.name);
                }
                i += 1 + 2 * count as usize;
                if f.r#type == Some(proto::GEOM_POLYGON) {
                    assert_eq!(g[i], 15, "ClosePath(1) expected");
                    i += 1;
                }
            }
        }
    }
    for l in mvt::decode(bytes).unwrap() {
        for f in l
            .features
            .iter()
            .filter(|f| f.geom_type == GeomType::Polygon)
        {
            let polys = f.polygons().expect("rings classify by winding");
            assert!(!polys.is_empty());
            for p in polys {
                assert!(ring_area2(&p[0]) > 0);
                assert!(p[1..].iter().all(|h| ring_area2(h) < 0));
            }
        }
    }
}

#[test]
fn polygon_crossing_the_tile_edge_is_clipped_to_the_buffer() {
    let t = rach_gia_z14();
    let bytes = encode(&sample_source(t), t);
    check_commands(&bytes);
    let layers = mvt::decode(&bytes).unwrap();
    let zones = layer(&layers, "zones");
    let z9 = zones.features.iter().find(|f| f.id == Some(9)).unwrap();
    assert_eq!(z9.paths.len(), 1);
    let xs: Vec<i32> = z9.paths[0].iter().map(|p| p[0]).collect();
    let ys: Vec<i32> = z9.paths[0].iter().map(|p| p[1]).collect();
    assert_eq!(
        *xs.iter().max().unwrap(),
        4096 + 64,
        "clipped at the buffer"
    );
    assert!((2865..=2868).contains(xs.iter().min().unwrap()));
    assert_eq!(xs.len(), 4, "a clipped box stays a box");
    assert!(ys.iter().all(|&y| (1600..2900).contains(&y)));
    // The road crosses the whole tile: one part from buffer edge to buffer edge.
    let road = &layer(&layers, "roads").features[0];
    assert_eq!(road.geom_type, GeomType::LineString);
    assert_eq!(road.paths.len(), 1);
    assert_eq!(road.paths[0].first().unwrap()[0], -64);
    assert_eq!(road.paths[0].last().unwrap()[0], 4160);
    // The east neighbour gets the rest of zone 9, and its own buffer.
    let east = TileCoord::new_checked(t.z, t.x + 1, t.y).unwrap();
    let layers = mvt::decode(&encode(&sample_source(t), east)).unwrap();
    let z9 = &layer(&layers, "zones").features[0];
    assert_eq!(z9.paths[0].iter().map(|p| p[0]).min(), Some(-64));
}

#[test]
fn winding_is_fixed_whatever_the_input_orientation() {
    let t = rach_gia_z14();
    let [w, s, e, n] = t.bounds_lonlat();
    let (dx, dy) = (e - w, n - s);
    let ccw = rect(w + dx * 0.1, s + dy * 0.1, w + dx * 0.9, s + dy * 0.9);
    let mut cw = ccw.clone();
    cw.exterior_mut(|r| r.0.reverse());
    let hole = ring(&[
        (w + dx * 0.3, s + dy * 0.3),
        (w + dx * 0.6, s + dy * 0.3),
        (w + dx * 0.6, s + dy * 0.6),
        (w + dx * 0.3, s + dy * 0.6),
    ]);
    let mut holed = cw.clone();
    holed.interiors_push(hole);
    let multi = geo_types::MultiPolygon(vec![
        rect(w + dx * 0.05, s + dy * 0.05, w + dx * 0.2, s + dy * 0.2),
        rect(w + dx * 0.7, s + dy * 0.7, w + dx * 0.95, s + dy * 0.95),
    ]);
    let mut src = MemorySource::new();
    src.add_layer(
        zones_spec(),
        vec![
            MemoryFeature::new(Some(1), Geometry::Polygon(ccw), props(&[])),
            MemoryFeature::new(Some(2), Geometry::Polygon(cw), props(&[])),
            MemoryFeature::new(Some(3), Geometry::Polygon(holed), props(&[])),
            MemoryFeature::new(Some(4), Geometry::MultiPolygon(multi), props(&[])),
        ],
    );
    let bytes = encode(&src, t);
    check_commands(&bytes);
    let layers = mvt::decode(&bytes).unwrap();
    let f = &layer(&layers, "zones").features;
    assert_eq!(f.len(), 4);
    let rotated = |r: &[[i32; 2]]| {
        let i = (0..r.len()).min_by_key(|&i| r[i]).unwrap();
        [&r[i..], &r[..i]].concat()
    };
    assert_eq!(
        rotated(&f[0].paths[0]),
        rotated(&f[1].paths[0]),
        "same ring whatever the input direction"
    );
    assert_eq!(f[2].polygons().unwrap().len(), 1);
    assert_eq!(f[2].polygons().unwrap()[0].len(), 2, "hole kept");
    assert_eq!(f[3].polygons().unwrap().len(), 2, "two parts");
}

#[test]
fn attributes_follow_their_zooms_and_types() {
    let t = rach_gia_z14();
    let src = sample_source(t);
    let at = |z: u8| {
        let c = TileCoord::containing(105.08, 10.01, z).unwrap();
        mvt::decode(&encode(&src, c)).unwrap()
    };
    let z14 = at(14);
    let zone = layer(&z14, "zones")
        .features
        .iter()
        .find(|f| f.id == Some(7))
        .unwrap()
        .clone();
    assert_eq!(zone.properties["landuse"], PropValue::from("ODT"));
    assert_eq!(zone.properties["far"], PropValue::Double(2.5));
    assert_eq!(zone.properties["floors"], PropValue::Int(5));
    assert_eq!(zone.properties["in_force"], PropValue::Bool(true));
    assert_eq!(zone.properties["name"], PropValue::from("Ô phố A1"));
    // z12: no names yet; z10: only the land use. Parcels only from z14.
    let z12 = at(12);
    let zone = layer(&z12, "zones")
        .features
        .iter()
        .find(|f| f.id == Some(7))
        .unwrap();
    assert!(zone.properties.contains_key("far") && !zone.properties.contains_key("name"));
    let z10 = at(10);
    let zones = layer(&z10, "zones");
    assert!(zones
        .features
        .iter()
        .all(|f| f.properties.keys().eq(["landuse"].iter())));
    assert!(z12.iter().all(|l| l.name != "parcels"));
    assert!(layer(&z14, "parcels").features[0]
        .properties
        .contains_key("parcel"));
    // Keys and values stored once per layer.
    let tile = proto::Tile::decode(encode(&src, t).as_slice()).unwrap();
    let zl = tile.layers.iter().find(|l| l.name == "zones").unwrap();
    let mut keys = zl.keys.clone();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), zl.keys.len());
}

#[test]
fn small_features_are_dropped_until_visible() {
    let t = rach_gia_z14();
    let [w, s, e, n] = t.bounds_lonlat();
    // An 11 m × 11 m parcel: 4.6 px wide at z12 (21 px², under the 64 px² threshold),
    // 9.2 px at z13 (85 px²).
    let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
    let d = 0.00005;
    let parcel = || {
        vec![MemoryFeature::new(
            Some(1),
            Geometry::Polygon(rect(cx - d, cy - d, cx + d, cy + d)),
            props(&[]),
        )]
    };
    let at = |src: &MemorySource, z| {
        let t = TileCoord::containing(cx, cy, z).unwrap();
        encode_tile(src, t, &EncodeOptions::default())
    };
    let mut spec = parcels_spec();
    spec.minzoom = 0;
    let mut src = MemorySource::new();
    src.add_layer(spec, parcel());
    assert!(at(&src, 12).is_empty());
    assert_eq!(at(&src, 13).layers, vec![("parcels".to_string(), 1)]);
    // With the layer's minzoom 14, not before z14 whatever its size.
    let mut src = MemorySource::new();
    src.add_layer(parcels_spec(), parcel());
    assert!(at(&src, 13).is_empty());
    assert_eq!(at(&src, 14).feature_count(), 1);
}

/// The boundary of A ∪ B is a box; along every pixel row (at half-pixel heights, which no
/// integer vertex lies on) the intervals inside A and inside B must tile the box's row
/// exactly: no gap (a crack) and no overlap.
fn assert_no_cracks(a: &[Vec<[i32; 2]>], b: &[Vec<[i32; 2]>], what: &str) {
    let crossings = |rings: &[Vec<[i32; 2]>], y: f64| {
        let mut xs = Vec::new();
        for r in rings {
            for i in 0..r.len() {
                let (p, q) = (r[i], r[(i + 1) % r.len()]);
                let (p, q) = if p <= q { (p, q) } else { (q, p) };
                let (py, qy) = (f64::from(p[1]), f64::from(q[1]));
                if (py < y) != (qy < y) {
                    let t = (y - py) / (qy - py);
                    xs.push(f64::from(p[0]) + t * f64::from(q[0] - p[0]));
                }
            }
        }
        xs.sort_by(f64::total_cmp);
        xs
    };
    let len = |xs: &[f64]| xs.chunks(2).map(|c| c[1] - c[0]).sum::<f64>();
    let ys = a.iter().chain(b).flatten().map(|p| p[1]);
    let (ymin, ymax) = (ys.clone().min().unwrap(), ys.max().unwrap());
    for y in ymin..ymax {
        let y = f64::from(y) + 0.5;
        let (xa, xb) = (crossings(a, y), crossings(b, y));
        let all: Vec<f64> = xa.iter().chain(&xb).copied().collect();
        let span = all.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - all.iter().copied().fold(f64::INFINITY, f64::min);
        let covered = len(&xa) + len(&xb);
        assert!(
            (span - covered).abs() < 1e-6,
            "{what}: row {y}: A∪B spans {span} px but A and B cover {covered} px"
        );
    }
}

#[test]
fn adjacent_zones_have_no_cracks_at_any_zoom() {
    // Two zones of ~1 km sharing a wiggly edge of 400 vertices.
    let b = [105.075, 10.005, 105.085, 10.015];
    let (west, east) = adjacent_zones(b, 400, 7);
    let mut src = MemorySource::new();
    src.add_layer(
        zones_spec(),
        vec![
            MemoryFeature::new(Some(1), Geometry::Polygon(west), props(&[])),
            MemoryFeature::new(Some(2), Geometry::Polygon(east), props(&[])),
        ],
    );
    let mut checked = 0;
    for z in 8..=18 {
        for t in tiles_covering(b, z).unwrap().iter() {
            let bytes = encode(&src, t);
            let layers = mvt::decode(&bytes).unwrap();
            let f = &layer(&layers, "zones").features;
            if f.len() < 2 {
                continue;
            }
            assert_no_cracks(&f[0].paths, &f[1].paths, &format!("tile {t}"));
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} tiles checked");
    // Also under the size cap's coarser grids.
    let t = TileCoord::containing(105.08, 10.01, 16).unwrap();
    let layers = mvt::decode(
        &encode_tile(
            &src,
            t,
            &EncodeOptions {
                max_tile_bytes: 1500,
            },
        )
        .bytes,
    )
    .unwrap();
    let f = &layer(&layers, "zones").features;
    assert_no_cracks(&f[0].paths, &f[1].paths, "coarse grid");
}

#[test]
fn output_does_not_depend_on_source_order() {
    let t = rach_gia_z14();
    let b = t.bounds_lonlat();
    let feats = dense_parcels(b, 20, 20, 12);
    let mut reversed = feats.clone();
    reversed.reverse();
    let mut a = MemorySource::new();
    a.add_layer(parcels_spec(), feats);
    let mut r = MemorySource::new();
    r.add_layer(parcels_spec(), reversed);
    let (x, y) = (encode(&a, t), encode(&r, t));
    assert!(!x.is_empty());
    assert_eq!(x, y);
}

#[test]
fn dense_tiles_are_capped() {
    let t = TileCoord::containing(105.08, 10.01, 16).unwrap();
    // 10 000 parcels of 40 vertices with addresses in one z16 tile: ~2 MB at full detail.
    let mut src = MemorySource::new();
    src.add_layer(
        parcels_spec(),
        dense_parcels(t.bounds_lonlat(), 100, 100, 40),
    );
    let started = std::time::Instant::now();
    let tile = encode_tile(&src, t, &EncodeOptions::default());
    eprintln!(
        "dense tile: {:?} in {:?}",
        tile.reductions,
        started.elapsed()
    );
    let red = tile.reductions.clone().expect("reduced");
    assert!(red.bytes_full_detail > MAX_TILE_BYTES);
    assert!(tile.bytes.len() <= MAX_TILE_BYTES);
    assert!(red.level > 0);
    check_commands(&tile.bytes);
    // A tiny cap forces dropping features, smallest first, and still holds.
    let tile = encode_tile(
        &src,
        t,
        &EncodeOptions {
            max_tile_bytes: 20_000,
        },
    );
    let red = tile.reductions.clone().unwrap();
    assert!(red.features_dropped > 0 && red.essential_attributes_only);
    assert!(tile.bytes.len() <= 20_000);
    assert!(tile.feature_count() > 0);
    let layers = mvt::decode(&tile.bytes).unwrap();
    assert!(layer(&layers, "parcels")
        .features
        .iter()
        .all(|f| !f.properties.contains_key("address")));
}

fn golden(name: &str, value: &Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() || !path.exists() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert!(
        want == text,
        "{} differs from the tile (UPDATE_GOLDEN=1 rewrites it after review):\n{text}",
        path.display()
    );
}

#[test]
fn snapshots() {
    let t = rach_gia_z14();
    let src = sample_source(t);
    golden(
        &format!("sample-z{}-x{}-y{}.json", t.z, t.x, t.y),
        &tile_json(&encode(&src, t)),
    );
    let z12 = TileCoord::containing(105.08, 10.01, 12).unwrap();
    golden(
        &format!("sample-z{}-x{}-y{}.json", z12.z, z12.x, z12.y),
        &tile_json(&encode(&src, z12)),
    );
    // A square exactly on the tile's bounds gives the tile's square (cf. MVT fixture 053).
    let mut sq = MemorySource::new();
    let [w, s, e, n] = t.bounds_lonlat();
    sq.add_layer(
        zones_spec(),
        vec![MemoryFeature::new(
            Some(1),
            Geometry::Polygon(rect(w, s, e, n)),
            props(&[("landuse", PropValue::from("ODT"))]),
        )],
    );
    let v = tile_json(&encode(&sq, t));
    golden(&format!("square-z{}-x{}-y{}.json", t.z, t.x, t.y), &v);
}

#[test]
fn label_points_go_into_exactly_one_tile() {
    use quyhoach_tiles::{world_to_lonlat, GeomKind, LayerSpec};
    let t = rach_gia_z14();
    let east = TileCoord::new_checked(t.z, t.x + 1, t.y).unwrap();
    let n = TileCoord::tiles_per_side(t.z) as f64 * 4096.0;
    // Points at tile pixels 4090..4102 of the west tile along its east edge (x = 4096 is
    // the east tile's x = 0), and one in the middle of the west tile: as world pixels.
    let at = |px: f64, py: f64| {
        let (lon, lat) = world_to_lonlat(
            (f64::from(t.x) * 4096.0 + px) / n,
            (f64::from(t.y) * 4096.0 + py) / n,
        );
        Geometry::Point(geo_types::Point::new(lon, lat))
    };
    let mut feats: Vec<MemoryFeature> = (0..13)
        .map(|i| MemoryFeature::new(Some(i), at(4090.0 + i as f64 + 0.25, 2000.0), vec![]))
        .collect();
    feats.push(MemoryFeature::new(Some(100), at(2048.25, 2048.25), vec![]));
    let mut spec = LayerSpec::new("labels", GeomKind::Point);
    spec.minzoom = 0;
    let mut src = MemorySource::new();
    src.add_layer(spec, feats);
    let ids = |c: TileCoord| -> Vec<u64> {
        let bytes = encode(&src, c);
        check_commands(&bytes);
        let layers = mvt::decode(&bytes).unwrap();
        let l = layer(&layers, "labels");
        for f in &l.features {
            assert_eq!(f.geom_type, GeomType::Point);
            assert_eq!(f.paths.len(), 1);
            let p = f.paths[0][0];
            assert!(
                (0..4096).contains(&p[0]) && (0..4096).contains(&p[1]),
                "{p:?} inside the tile proper"
            );
        }
        l.features.iter().filter_map(|f| f.id).collect()
    };
    let (west_ids, east_ids) = (ids(t), ids(east));
    assert_eq!(
        west_ids,
        vec![0, 1, 2, 3, 4, 5, 100],
        "x 4090..4095 and the middle"
    );
    assert_eq!(
        east_ids,
        (6..13).collect::<Vec<_>>(),
        "x 4096.. is the east tile's 0.."
    );
    // The command stream of a point: MoveTo(1), then the point.
    let cmds = mvt::point_commands(&[[10, 20]]);
    assert_eq!(cmds, vec![9, 20, 40]);
    let cmds = mvt::point_commands(&[[10, 20], [11, 18]]);
    assert_eq!(cmds, vec![17, 20, 40, 2, 3]);
}
