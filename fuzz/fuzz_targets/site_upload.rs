//! An uploaded site file, as the server's sandboxed reader reads it: format sniffing, our own
//! unzip with its caps, GDAL's four allowed drivers, WKB parsing, shaping and repair. Whatever
//! the bytes, the answer is a site within the caps or an error — never a panic.
#![no_main]

use geo_types::MultiPolygon;
use libfuzzer_sys::fuzz_target;
use quyhoach_data::site::{read_site, MAX_SITE_VERTICES};
use quyhoach_data::srs::SrsSpec;

fn check(site: &MultiPolygon<f64>) {
    assert!(!site.0.is_empty());
    let rings = site
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    let mut n = 0;
    for r in rings {
        n += r.0.len();
        assert!(r.0.iter().all(|c| c.x.is_finite() && c.y.is_finite()));
    }
    // GEOS repair may add a few vertices to a site within the cap.
    assert!(n <= MAX_SITE_VERTICES * 2, "{n}");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = read_site(data, &SrsSpec::Prj) {
        check(&r.site);
    }
});
