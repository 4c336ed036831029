//! The drawn-site GeoJSON parser (Polygon, MultiPolygon, Feature, FeatureCollection) on JSON
//! values from arbitrary bytes. An accepted site has closed rings of finite WGS 84
//! positions, within the caps.
#![no_main]

use geo_types::MultiPolygon;
use libfuzzer_sys::fuzz_target;
use quyhoach_server::geojson::parse_site;

fn check(mp: &MultiPolygon<f64>) {
    assert!(!mp.0.is_empty());
    for p in &mp.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            assert!(r.0.len() >= 4, "ring of {} positions", r.0.len());
            assert_eq!(r.0.first(), r.0.last(), "open ring");
            for c in &r.0 {
                assert!(c.x.is_finite() && c.y.is_finite());
                assert!((-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(mp) = parse_site(&v) {
        check(&mp);
    }
});
