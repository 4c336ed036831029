//! The server side of surveyors' coordinate lists: VN-2000 ⇄ WGS 84 conversion of point
//! lists (a certificate's corner table, `index::convert`) with an arbitrary SRS text and
//! arbitrary points. (The .txt corner-table parser itself is in web/src/geo.js, not Rust.)
//! Results are finite and, to WGS 84, inside lon/lat range; one output per input point.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use quyhoach_data::index::convert;

#[derive(Arbitrary, Debug)]
enum Pt {
    /// Near the demo district in VN-2000 metres (Kiên Giang, TM-3 104°30′).
    Metres(u16, u16),
    /// Near Rạch Giá in degrees.
    Degrees(u16, u16),
    Raw(f64, f64),
}

#[derive(Arbitrary, Debug)]
struct Input {
    srs: String,
    srs_pick: u8,
    to_wgs84: bool,
    points: Vec<Pt>,
}

const SRS: [&str; 8] = [
    "vn2000:kien-giang",
    "vn2000:Kiên Giang",
    "vn2000:tm3:104:30",
    "vn2000:tm3:104.5",
    "vn2000:utm48",
    "EPSG:9210",
    "vn2000:tm3:105.75",
    "prj",
];

fuzz_target!(|input: Input| {
    let srs = match input.srs_pick % 10 {
        i @ 0..=7 => SRS[usize::from(i)].to_string(),
        8 => format!("vn2000:{}", input.srs),
        _ => input.srs.clone(),
    };
    let pts: Vec<(f64, f64)> = input
        .points
        .iter()
        .take(64)
        .map(|p| match *p {
            Pt::Metres(x, y) => (550_000.0 + f64::from(x), 1_090_000.0 + f64::from(y)),
            Pt::Degrees(x, y) => (105.0 + f64::from(x) * 1e-5, 9.9 + f64::from(y) * 1e-5),
            Pt::Raw(x, y) => (x, y),
        })
        .collect();
    let Ok(out) = convert(&pts, &srs, input.to_wgs84) else {
        return;
    };
    assert_eq!(out.len(), pts.len());
    for &(a, b) in &out {
        assert!(a.is_finite() && b.is_finite(), "{srs}: {a}, {b}");
        if input.to_wgs84 {
            assert!((-180.0..=180.0).contains(&a) && (-90.0..=90.0).contains(&b), "{srs}: {a}, {b}");
        }
    }
});
