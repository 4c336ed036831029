//! Fixtures and judges shared by the integration tests: deterministic synthetic layers
//! (no randomness: a fixed linear congruential sequence) and the Node.js decoders in js/.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use geo_types::{Coord, Geometry, LineString, Polygon};
use quyhoach_tiles::{
    AttrType, Attribute, GeomKind, LayerSpec, MemoryFeature, MemorySource, PropValue, TileCoord,
};

/// The z14 tile over Rạch Giá (Kiên Giang) used by the snapshot tests.
pub fn rach_gia_z14() -> TileCoord {
    TileCoord::containing(105.08, 10.01, 14).unwrap()
}

/// A fixed pseudo-random sequence in [0, 1).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
    let mut cs: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
    cs.push(cs[0]);
    LineString(cs)
}

/// An axis-aligned box polygon, counter-clockwise in lon/lat.
pub fn rect(w: f64, s: f64, e: f64, n: f64) -> Polygon<f64> {
    Polygon::new(ring(&[(w, s), (e, s), (e, n), (w, n)]), vec![])
}

pub fn props(kv: &[(&str, PropValue<'static>)]) -> Vec<(String, PropValue<'static>)> {
    kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// The layer rules the server is expected to use, trimmed to what the tests need.
pub fn zones_spec() -> LayerSpec {
    let mut s = LayerSpec::new("zones", GeomKind::Polygon);
    s.attributes = vec![
        Attribute::new("landuse", AttrType::String, 0).essential(),
        Attribute::new("far", AttrType::Number, 12),
        Attribute::new("floors", AttrType::Number, 12),
        Attribute::new("in_force", AttrType::Boolean, 12),
        Attribute::new("name", AttrType::String, 14),
    ];
    s
}

pub fn parcels_spec() -> LayerSpec {
    let mut s = LayerSpec::new("parcels", GeomKind::Polygon);
    s.minzoom = 14;
    s.min_area_px2 = 64.0;
    s.attributes = vec![
        Attribute::new("sheet", AttrType::Number, 14).essential(),
        Attribute::new("parcel", AttrType::Number, 14).essential(),
        Attribute::new("landuse", AttrType::String, 14).essential(),
        Attribute::new("address", AttrType::String, 16),
    ];
    s
}

pub fn roads_spec() -> LayerSpec {
    let mut s = LayerSpec::new("roads", GeomKind::Line);
    s.min_length_px = 8.0;
    s.attributes = vec![Attribute::new("name", AttrType::String, 12)];
    s
}

/// Two zones sharing a wiggly edge of `n` vertices, together filling the box
/// `[w, s, e, n]`: west zone id 1, east zone id 2.
pub fn adjacent_zones(b: [f64; 4], n: usize, seed: u64) -> (Polygon<f64>, Polygon<f64>) {
    let [w, s, e, nn] = b;
    let mid = (w + e) / 2.0;
    let amp = (e - w) * 0.2;
    let mut rng = Lcg(seed);
    // Shared edge from south to north.
    let edge: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let y = s + (nn - s) * i as f64 / n as f64;
            let x = if i == 0 || i == n {
                mid
            } else {
                mid + amp * (rng.next() - 0.5)
            };
            (x, y)
        })
        .collect();
    let mut west = vec![(w, s)];
    west.extend(edge.iter().copied());
    west.push((w, nn));
    let east: Vec<(f64, f64)> = {
        let mut v: Vec<(f64, f64)> = edge.to_vec();
        v.push((e, nn));
        v.push((e, s));
        v
    };
    (
        Polygon::new(ring(&west), vec![]),
        Polygon::new(ring(&east), vec![]),
    )
}

/// A dense synthetic parcel layer: `rows × cols` parcels of `verts` vertices each, tiling
/// the box, with text attributes. Deterministic.
pub fn dense_parcels(b: [f64; 4], rows: usize, cols: usize, verts: usize) -> Vec<MemoryFeature> {
    let [w, s, e, n] = b;
    let (dx, dy) = ((e - w) / cols as f64, (n - s) / rows as f64);
    let mut rng = Lcg(42);
    let mut out = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            let (x0, y0) = (w + c as f64 * dx, s + r as f64 * dy);
            let (cx, cy) = (x0 + dx / 2.0, y0 + dy / 2.0);
            let pts: Vec<(f64, f64)> = (0..verts)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / verts as f64;
                    let rad = 0.35 + 0.1 * rng.next();
                    (cx + dx * rad * a.cos(), cy + dy * rad * a.sin())
                })
                .collect();
            let id = (r * cols + c) as u64;
            out.push(MemoryFeature::new(
                Some(id),
                Geometry::Polygon(Polygon::new(ring(&pts), vec![])),
                props(&[
                    ("sheet", PropValue::Int(1 + (id / 500) as i64)),
                    ("parcel", PropValue::Int(id as i64)),
                    (
                        "landuse",
                        PropValue::from(["ODT", "ONT", "LUC", "CLN"][(id % 4) as usize]),
                    ),
                    (
                        "address",
                        PropValue::from(
                            format!("Số {id}, đường Nguyễn Trung Trực, phường Vĩnh Thanh Vân")
                                .as_str(),
                        ),
                    ),
                ]),
            ));
        }
    }
    out
}

/// A source with a zone (with a hole), parcels and a road around one tile.
pub fn sample_source(t: TileCoord) -> MemorySource {
    let [w, s, e, n] = t.bounds_lonlat();
    let (dx, dy) = (e - w, n - s);
    let mut src = MemorySource::new();
    let zone = Polygon::new(
        ring(&[
            (w + dx * 0.1, s + dy * 0.1),
            (w + dx * 0.6, s + dy * 0.1),
            (w + dx * 0.6, s + dy * 0.9),
            (w + dx * 0.1, s + dy * 0.9),
        ]),
        vec![ring(&[
            (w + dx * 0.2, s + dy * 0.2),
            (w + dx * 0.2, s + dy * 0.4),
            (w + dx * 0.4, s + dy * 0.4),
            (w + dx * 0.4, s + dy * 0.2),
        ])],
    );
    // A zone crossing the east edge of the tile.
    let zone2 = rect(w + dx * 0.7, s + dy * 0.3, e + dx * 0.5, s + dy * 0.6);
    src.add_layer(
        zones_spec(),
        vec![
            MemoryFeature::new(
                Some(7),
                Geometry::Polygon(zone),
                props(&[
                    ("landuse", PropValue::from("ODT")),
                    ("far", PropValue::Double(2.5)),
                    ("floors", PropValue::Int(5)),
                    ("in_force", PropValue::Bool(true)),
                    ("name", PropValue::from("Ô phố A1")),
                ]),
            ),
            MemoryFeature::new(
                Some(9),
                Geometry::Polygon(zone2),
                props(&[
                    ("landuse", PropValue::from("DGT")),
                    ("in_force", PropValue::Bool(false)),
                ]),
            ),
        ],
    );
    src.add_layer(
        parcels_spec(),
        vec![MemoryFeature::new(
            Some(101),
            Geometry::Polygon(rect(
                w + dx * 0.12,
                s + dy * 0.5,
                w + dx * 0.18,
                s + dy * 0.56,
            )),
            props(&[
                ("sheet", PropValue::Int(12)),
                ("parcel", PropValue::Int(345)),
                ("landuse", PropValue::from("ODT")),
            ]),
        )],
    );
    src.add_layer(
        roads_spec(),
        vec![MemoryFeature::new(
            Some(3),
            Geometry::LineString(LineString(vec![
                Coord {
                    x: w - dx * 0.5,
                    y: s + dy * 0.95,
                },
                Coord {
                    x: w + dx * 0.5,
                    y: s + dy * 0.97,
                },
                Coord {
                    x: e + dx * 0.5,
                    y: s + dy * 0.95,
                },
            ])),
            props(&[("name", PropValue::from("Nguyễn Trung Trực"))]),
        )],
    );
    src
}

pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

/// Fails with the fix when the Node.js judges are not installed.
pub fn require_js() {
    let nm = js_dir().join("node_modules");
    assert!(
        nm.join("@mapbox/vector-tile").is_dir() && nm.join("pmtiles").is_dir() && nm.join("@mapbox/mvt-fixtures").is_dir(),
        "the Node.js judges are not installed: run `npm ci --prefix tiles/tests/js` (scripts/setup-judges.sh does)"
    );
}

/// Runs a script of js/ with arguments and parses its JSON output.
pub fn node(script: &str, args: &[String]) -> serde_json::Value {
    require_js();
    let out = Command::new("node")
        .arg(js_dir().join(script))
        .args(args)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "node {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("node printed JSON")
}

pub fn fixtures_dir() -> PathBuf {
    js_dir().join("node_modules/@mapbox/mvt-fixtures/fixtures")
}
