//! Encoding time of one dense tile: 2 500 parcels of 24 vertices with attributes in one z16
//! tile (deterministic, no randomness), and the same tile over the size cap (10 000 parcels
//! of 40 vertices, re-encoded at coarser levels). Run: `cargo bench -p quyhoach-tiles`.

use criterion::{criterion_group, criterion_main, Criterion};
use geo_types::{Coord, Geometry, LineString, Polygon};
use quyhoach_tiles::{
    encode_tile, AttrType, Attribute, EncodeOptions, GeomKind, LayerSpec, MemoryFeature,
    MemorySource, PropValue, TileCoord,
};

fn parcels(t: TileCoord, side: usize, verts: usize) -> MemorySource {
    let [w, s, e, n] = t.bounds_lonlat();
    let (dx, dy) = ((e - w) / side as f64, (n - s) / side as f64);
    let mut feats = Vec::new();
    for r in 0..side {
        for c in 0..side {
            let (cx, cy) = (w + (c as f64 + 0.5) * dx, s + (r as f64 + 0.5) * dy);
            let mut cs: Vec<Coord<f64>> = (0..verts)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / verts as f64;
                    let rad = 0.4 + 0.05 * ((k * 7 + r * 3 + c) % 5) as f64 / 5.0;
                    Coord {
                        x: cx + dx * rad * a.cos(),
                        y: cy + dy * rad * a.sin(),
                    }
                })
                .collect();
            cs.push(cs[0]);
            let id = (r * side + c) as u64;
            feats.push(MemoryFeature::new(
                Some(id),
                Geometry::Polygon(Polygon::new(LineString(cs), vec![])),
                vec![
                    ("parcel".to_owned(), PropValue::Int(id as i64)),
                    (
                        "landuse".to_owned(),
                        PropValue::from(["ODT", "LUC", "CLN"][id as usize % 3]),
                    ),
                    (
                        "address".to_owned(),
                        PropValue::from(format!("Số {id} đường Trần Phú").as_str()),
                    ),
                ],
            ));
        }
    }
    let mut spec = LayerSpec::new("parcels", GeomKind::Polygon);
    spec.attributes = vec![
        Attribute::new("parcel", AttrType::Number, 0).essential(),
        Attribute::new("landuse", AttrType::String, 0).essential(),
        Attribute::new("address", AttrType::String, 0),
    ];
    let mut src = MemorySource::new();
    src.add_layer(spec, feats);
    src
}

fn bench(c: &mut Criterion) {
    let t = TileCoord::containing(105.08, 10.01, 16).unwrap_or(TileCoord { z: 0, x: 0, y: 0 });
    let dense = parcels(t, 50, 24);
    c.bench_function("encode z16 tile, 2500 parcels x 24 vertices", |b| {
        b.iter(|| encode_tile(&dense, t, &EncodeOptions::default()))
    });
    let over = parcels(t, 100, 40);
    let mut g = c.benchmark_group("capped");
    g.sample_size(10);
    g.bench_function(
        "encode z16 tile over the cap, 10000 parcels x 40 vertices",
        |b| b.iter(|| encode_tile(&over, t, &EncodeOptions::default())),
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
