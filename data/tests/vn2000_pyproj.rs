//! The importer's VN-2000 → WGS 84 conversion against PROJ's EPSG:6960 (through pyproj).

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::io::Write;
use std::process::{Command, Stdio};

use quyhoach_data::srs::{ResolvedSrs, SrsSpec, VN2000_TOWGS84};

/// Runs the pyproj judge on (PROJ string, easting, northing) points.
fn pyproj_reference(points: &[(String, f64, f64)]) -> Vec<(f64, f64)> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/judges/vn2000_pyproj.py"
    );
    let input: Vec<serde_json::Value> = points
        .iter()
        .map(|(p, x, y)| serde_json::json!({"proj": p, "x": x, "y": y}))
        .collect();
    let python = std::env::var("QUYHOACH_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with pyproj must be installed (the README's test command installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pyproj judge failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    v.iter()
        .map(|p| (p["lon"].as_f64().unwrap(), p["lat"].as_f64().unwrap()))
        .collect()
}

/// Distance in metres between two nearby lon/lat points.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = (a.1 - b.1) * 110_574.0;
    let dx = (a.0 - b.0) * 111_320.0 * a.1.to_radians().cos();
    (dx * dx + dy * dy).sqrt()
}

/// Test points: (srs, easting, northing) spread over several provinces and both UTM zones.
fn cases() -> Vec<(&'static str, f64, f64)> {
    vec![
        ("vn2000:kien-giang", 563_412.35, 1_107_250.80), // Rạch Giá
        ("vn2000:kien-giang", 430_120.00, 1_130_500.00), // Phú Quốc
        ("vn2000:ho-chi-minh", 602_345.67, 1_192_876.54), // Quận 1
        ("vn2000:ha-noi", 587_000.00, 2_324_000.00),     // Hoàn Kiếm
        ("vn2000:da-nang", 548_900.00, 1_776_500.00),
        ("vn2000:lao-cai", 403_000.00, 2_485_000.00),
        ("vn2000:ca-mau", 555_000.00, 1_010_000.00),
        ("vn2000:tm3:107:45", 431_000.00, 2_316_000.00), // Quảng Ninh by meridian
        ("vn2000:utm48", 683_000.00, 2_320_000.00),
        ("vn2000:utm49", 210_000.00, 1_770_000.00),
        ("EPSG:9210", 602_345.67, 1_192_876.54),
        ("EPSG:5897", 587_000.00, 2_324_000.00),
    ]
}

/// The TM/UTM part of a resolved definition, without any datum shift.
fn projection_only(definition: &str) -> String {
    definition
        .split_whitespace()
        .filter(|p| !p.starts_with("+towgs84"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn ours(srs: &ResolvedSrs, x: f64, y: f64) -> (f64, f64) {
    let ct = srs.to_wgs84().unwrap();
    let (mut xs, mut ys, mut zs) = ([x], [y], [0.0]);
    ct.transform_coords(&mut xs, &mut ys, &mut zs).unwrap();
    (xs[0], ys[0])
}

#[test]
fn matches_pyproj_epsg_6960_within_1_cm() {
    let resolved: Vec<ResolvedSrs> = cases()
        .iter()
        .map(|(s, _, _)| ResolvedSrs::resolve(&s.parse::<SrsSpec>().unwrap(), None).unwrap())
        .collect();
    let points: Vec<(String, f64, f64)> = cases()
        .iter()
        .zip(&resolved)
        .map(|((_, x, y), r)| (projection_only(&r.definition), *x, *y))
        .collect();
    let reference = pyproj_reference(&points);
    for (((label, x, y), r), want) in cases().iter().zip(&resolved).zip(&reference) {
        let got = ours(r, *x, *y);
        let d = metres(got, *want);
        println!(
            "{label:22} E {x:>11.2} N {y:>12.2} → {:.9} {:.9}  Δ {:.4} m",
            got.0, got.1, d
        );
        assert!(d < 0.01, "{label}: {d} m from PROJ's EPSG:6960");
        // And back: WGS 84 → VN-2000 returns to the same metres.
        let back = r.from_wgs84().unwrap();
        let (mut xs, mut ys, mut zs) = ([got.0], [got.1], [0.0]);
        back.transform_coords(&mut xs, &mut ys, &mut zs).unwrap();
        let err = ((xs[0] - x).powi(2) + (ys[0] - y).powi(2)).sqrt();
        // PROJ inverts the Helmert shift approximately (about 1 mm here).
        assert!(err < 0.005, "{label}: round trip off by {err} m");
    }
}

#[test]
fn the_decisions_published_signs_would_be_caught() {
    // Decision 05/2007's table, pasted as is into +towgs84: rotation signs flipped.
    let flipped: Vec<String> = VN2000_TOWGS84
        .split(',')
        .enumerate()
        .map(|(i, v)| {
            if (3..6).contains(&i) {
                let f: f64 = v.parse().unwrap();
                format!("{}", -f)
            } else {
                v.to_string()
            }
        })
        .collect();
    let wrong_def = format!(
        "+proj=tmerc +lat_0=0 +lon_0=104.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +towgs84={} +units=m +no_defs",
        flipped.join(",")
    );
    let wrong = gdal::spatial_ref::SpatialRef::from_proj4(&wrong_def).unwrap();
    let mut wrong = wrong;
    wrong.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
    let mut wgs = gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap();
    wgs.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
    let ct = gdal::spatial_ref::CoordTransform::new(&wrong, &wgs).unwrap();
    let (x, y) = (563_412.35, 1_107_250.80);
    let (mut xs, mut ys, mut zs) = ([x], [y], [0.0]);
    ct.transform_coords(&mut xs, &mut ys, &mut zs).unwrap();
    let reference = pyproj_reference(&[(
        "+proj=tmerc +lat_0=0 +lon_0=104.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs".into(),
        x,
        y,
    )]);
    let d = metres((xs[0], ys[0]), reference[0]);
    println!("wrong signs: {d:.3} m off");
    assert!(
        d > 0.3,
        "the wrong-sign transformation is only {d} m off; the 1 cm test could not tell"
    );
}
