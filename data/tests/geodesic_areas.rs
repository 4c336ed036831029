//! Stored `area_m2` of sources in geographic degrees (EPSG:4326) and Web Mercator (EPSG:3857)
//! against pyproj's `Geod(ellps="WGS84")` (tests/judges/geod_areas.py), which reads the source
//! file itself, never our store's geometry.
//!
//! Repairs: the importer repairs an invalid polygon in the source CRS with GEOS's MakeValid
//! through GDAL (`OGR_G_MakeValid`, default method LINEWORK); the judge repairs the same source
//! geometry in the same CRS with shapely's `make_valid(method="linework")`, the same GEOS
//! algorithm, and keeps the polygonal parts as we do. Both then measure the repaired polygons
//! geodesically on WGS 84, so the 76 self-intersecting communes are compared like the others.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;

use quyhoach_data::import::{import, ImportOptions, ImportReport};
use quyhoach_data::schema::Kind;
use quyhoach_data::srs::SrsSpec;
use quyhoach_data::store::Store;
use quyhoach_data::testing::shared_data;

/// Largest relative difference allowed between our area and pyproj's.
const TOLERANCE: f64 = 1e-3;

/// The judges' Python (a venv with pyproj and shapely, made by scripts/setup-judges.sh).
fn python() -> PathBuf {
    let p = std::env::var_os("QUYHOACH_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/judges-venv/bin/python")
        });
    assert!(
        p.exists(),
        "the judges' Python {} is missing: run scripts/setup-judges.sh or set QUYHOACH_PYTHON \
         to a python with pyproj and shapely (tests/judges/requirements.txt)",
        p.display()
    );
    p
}

/// One feature as the judge measured it.
#[derive(Debug)]
struct Judged {
    fid: i64,
    area: f64,
    repaired: bool,
    /// Geodesic area of the bounding box of the feature's province (or of the whole file).
    bound: f64,
}

/// pyproj's geodesic areas of a GeoJSON file's features.
fn judge(source: &Path, group: Option<&str>) -> Vec<Judged> {
    let mut cmd = Command::new(python());
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/judges/geod_areas.py"
    ))
    .arg(source);
    if let Some(g) = group {
        cmd.args(["--group", g]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "geod_areas.py failed on {}: {}",
        source.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
            Judged {
                fid: v["fid"].as_i64().unwrap(),
                area: v["area"].as_f64().unwrap(),
                repaired: v["repaired"].as_bool().unwrap(),
                bound: v["bound"].as_f64().unwrap(),
            }
        })
        .collect()
}

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (Debian gdal-bin) must be installed for these tests");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Imports a file as boundaries into a fresh store; returns the report and source_fid → area_m2
/// read back from the layer's FlatGeobuf by GDAL.
fn import_areas(
    source: &Path,
    srs: SrsSpec,
) -> (tempfile::TempDir, ImportReport, HashMap<i64, f64>) {
    let store = tempfile::tempdir().unwrap();
    let report = import(&ImportOptions {
        layer: Some("areas".into()),
        ..ImportOptions::new(source, Kind::Boundaries, store.path(), srs)
    })
    .unwrap_or_else(|e| panic!("import of {}: {e}", source.display()));
    let s = Store::open(store.path()).unwrap();
    let file = s.layer_path(&s.catalog.layers["areas"]);
    let out = Command::new("ogr2ogr")
        .args(["-f", "CSV", "/vsistdout/"])
        .arg(&file)
        .args(["-select", "source_fid,area_m2"])
        .output()
        .expect("ogr2ogr (Debian gdal-bin) must be installed for these tests");
    assert!(out.status.success());
    let areas = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (
                a.trim_matches('"').parse().unwrap(),
                b.trim_matches('"').parse().unwrap(),
            )
        })
        .collect();
    (store, report, areas)
}

/// Compares every stored area with the judge's; returns (features compared, repaired among
/// them, worst relative difference).
fn compare(label: &str, source: &Path, srs: SrsSpec, group: Option<&str>) -> (usize, usize, f64) {
    let judged = judge(source, group);
    let (_store, report, ours) = import_areas(source, srs);
    println!("{label}: {}", report.summary());
    assert_eq!(
        report.rejected_count, 0,
        "{label}: features rejected: {:?}",
        report.rejected
    );
    assert_eq!(
        ours.len(),
        judged.len(),
        "{label}: the store and the judge see different feature counts"
    );
    let ours_repaired: Vec<i64> = report.repaired.iter().map(|r| r.fid).collect();
    let mut worst: f64 = 0.0;
    let mut worst_fid = -1;
    let mut bad = Vec::new();
    for j in &judged {
        let got = *ours
            .get(&j.fid)
            .unwrap_or_else(|| panic!("{label}: fid {} is not in the store", j.fid));
        assert!(
            got > 0.0 && got.is_finite(),
            "{label}: fid {} has area {got} m²",
            j.fid
        );
        assert!(
            got <= j.bound,
            "{label}: fid {} has area {got} m², more than its province's bounding box ({} m²)",
            j.fid,
            j.bound
        );
        let rel = (got - j.area).abs() / j.area;
        if rel > worst {
            worst = rel;
            worst_fid = j.fid;
        }
        if rel >= TOLERANCE {
            bad.push(format!(
                "fid {} ours {got} m², pyproj {} m² ({:+.3} %){}{}",
                j.fid,
                j.area,
                (got - j.area) / j.area * 100.0,
                if j.repaired {
                    ", repaired by the judge"
                } else {
                    ""
                },
                if ours_repaired.contains(&j.fid) {
                    ", repaired by us"
                } else {
                    ""
                },
            ));
        }
    }
    let repaired = judged.iter().filter(|j| j.repaired).count();
    // Both sides judge validity with GEOS's rules, so they repair the same features.
    let judge_repaired: Vec<i64> = judged
        .iter()
        .filter(|j| j.repaired)
        .map(|j| j.fid)
        .collect();
    let mut ours_sorted = ours_repaired.clone();
    ours_sorted.sort_unstable();
    assert_eq!(
        ours_sorted, judge_repaired,
        "{label}: features repaired by us (left) and by the judge (right)"
    );
    println!(
        "{label}: {} features, {repaired} repaired by both sides' GEOS MakeValid, worst \
         relative difference {worst:.2e} (fid {worst_fid})",
        judged.len()
    );
    assert!(
        bad.is_empty(),
        "{label}: {} of {} areas differ from pyproj's Geod by 0.1 % or more:\n{}",
        bad.len(),
        judged.len(),
        bad.join("\n")
    );
    (judged.len(), repaired, worst)
}

/// The communes file reprojected by GDAL into `srs` as GeoJSON (with its "crs" member).
fn reprojected(dir: &Path, source: &Path, srs: &str, name: &str) -> PathBuf {
    let out = dir.join(name);
    ogr2ogr(&[
        "-f",
        "GeoJSON",
        "-t_srs",
        srs,
        out.to_str().unwrap(),
        source.to_str().unwrap(),
    ]);
    out
}

#[test]
fn communes_in_degrees_match_pyproj() {
    let src = shared_data("vn-communes-2025.geojson");
    let (n, repaired, _) = compare(
        "communes EPSG:4326",
        &src,
        SrsSpec::Epsg(4326),
        Some("province_code"),
    );
    assert_eq!(n, 3321);
    assert_eq!(repaired, 76, "the 76 self-intersecting communes");
}

#[test]
fn communes_in_web_mercator_match_pyproj() {
    let dir = tempfile::tempdir().unwrap();
    let src = reprojected(
        dir.path(),
        &shared_data("vn-communes-2025.geojson"),
        "EPSG:3857",
        "communes-3857.geojson",
    );
    // The file's own CRS (GDAL reads the GeoJSON "crs" member), as an agency file would be.
    let (n, repaired, _) = compare(
        "communes EPSG:3857",
        &src,
        SrsSpec::Prj,
        Some("province_code"),
    );
    assert_eq!(n, 3321);
    assert!(repaired >= 70, "{repaired} repaired in Web Mercator");
}

/// Hand-made polygons near Rạch Giá with both ring orientations: clockwise exteriors (as
/// Shapefiles and many GIS exports store them), holes turning the same way as their exterior,
/// a multipolygon with a hole in one part only, a parcel-sized lot and a district-sized area.
const RINGS_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"cw exterior"},"geometry":{"type":"Polygon","coordinates":[
 [[105.08,10.01],[105.08,10.02],[105.09,10.02],[105.09,10.01],[105.08,10.01]]]}},
{"type":"Feature","properties":{"name":"ccw exterior, ccw hole"},"geometry":{"type":"Polygon","coordinates":[
 [[105.10,10.01],[105.12,10.01],[105.12,10.03],[105.10,10.03],[105.10,10.01]],
 [[105.105,10.015],[105.115,10.015],[105.115,10.025],[105.105,10.025],[105.105,10.015]]]}},
{"type":"Feature","properties":{"name":"cw exterior, ccw hole"},"geometry":{"type":"Polygon","coordinates":[
 [[105.13,10.01],[105.13,10.03],[105.15,10.03],[105.15,10.01],[105.13,10.01]],
 [[105.135,10.015],[105.145,10.015],[105.145,10.025],[105.135,10.025],[105.135,10.015]]]}},
{"type":"Feature","properties":{"name":"ccw exterior, cw hole"},"geometry":{"type":"Polygon","coordinates":[
 [[105.16,10.01],[105.18,10.01],[105.18,10.03],[105.16,10.03],[105.16,10.01]],
 [[105.165,10.015],[105.165,10.025],[105.175,10.025],[105.175,10.015],[105.165,10.015]]]}},
{"type":"Feature","properties":{"name":"multipolygon, hole in the cw part"},"geometry":{"type":"MultiPolygon","coordinates":[
 [[[105.20,10.01],[105.20,10.03],[105.22,10.03],[105.22,10.01],[105.20,10.01]],
  [[105.205,10.015],[105.215,10.015],[105.215,10.025],[105.205,10.025],[105.205,10.015]]],
 [[[105.23,10.01],[105.24,10.01],[105.24,10.02],[105.23,10.01]]]]}},
{"type":"Feature","properties":{"name":"multipolygon, both parts cw, two ccw holes in one"},"geometry":{"type":"MultiPolygon","coordinates":[
 [[[105.25,10.01],[105.25,10.04],[105.28,10.04],[105.28,10.01],[105.25,10.01]],
  [[105.255,10.015],[105.26,10.015],[105.26,10.02],[105.255,10.02],[105.255,10.015]],
  [[105.27,10.03],[105.275,10.03],[105.275,10.035],[105.27,10.035],[105.27,10.03]]],
 [[[105.29,10.01],[105.29,10.02],[105.30,10.01],[105.29,10.01]]]]}},
{"type":"Feature","properties":{"name":"parcel, cw, with a ccw hole"},"geometry":{"type":"Polygon","coordinates":[
 [[105.0800,10.0000],[105.0800,10.0003],[105.0803,10.0003],[105.0803,10.0000],[105.0800,10.0000]],
 [[105.0801,10.0001],[105.0802,10.0001],[105.0802,10.0002],[105.0801,10.0002],[105.0801,10.0001]]]}},
{"type":"Feature","properties":{"name":"district, cw"},"geometry":{"type":"Polygon","coordinates":[
 [[104.80,9.70],[104.90,10.30],[105.40,10.35],[105.45,9.80],[104.80,9.70]]]}}
]}"#;

/// Planar (shoelace) signed area of a ring, positive counter-clockwise.
fn shoelace(ring: &[serde_json::Value]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum::<f64>()
        / 2.0
}

#[test]
fn both_ring_orientations_and_holes_in_degrees_and_web_mercator() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("rings-4326.geojson");
    std::fs::write(&src, RINGS_GEOJSON).unwrap();

    // The fixture really holds what it says: clockwise exteriors and counter-clockwise holes.
    let doc: serde_json::Value = serde_json::from_str(RINGS_GEOJSON).unwrap();
    let mut cw_exteriors = 0;
    let mut ccw_holes = 0;
    for f in doc["features"].as_array().unwrap() {
        let g = &f["geometry"];
        let polys: Vec<&serde_json::Value> = if g["type"] == "Polygon" {
            vec![&g["coordinates"]]
        } else {
            g["coordinates"].as_array().unwrap().iter().collect()
        };
        for p in polys {
            let rings = p.as_array().unwrap();
            cw_exteriors += usize::from(shoelace(rings[0].as_array().unwrap()) < 0.0);
            ccw_holes += rings[1..]
                .iter()
                .filter(|r| shoelace(r.as_array().unwrap()) > 0.0)
                .count();
        }
    }
    assert!(
        cw_exteriors >= 5 && ccw_holes >= 4,
        "{cw_exteriors} {ccw_holes}"
    );

    let (n, repaired, _) = compare("rings EPSG:4326", &src, SrsSpec::Epsg(4326), None);
    assert_eq!((n, repaired), (8, 0));

    let merc = reprojected(dir.path(), &src, "EPSG:3857", "rings-3857.geojson");
    let (n, repaired, _) = compare("rings EPSG:3857", &merc, SrsSpec::Epsg(3857), None);
    assert_eq!((n, repaired), (8, 0));

    // A Shapefile in Web Mercator, as cadastral exports come: GDAL writes its exteriors
    // clockwise whatever the source said. The judge measures the GeoJSON it was made from.
    let shp = dir.path().join("rings-3857.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp.to_str().unwrap(),
        merc.to_str().unwrap(),
    ]);
    let judged = judge(&merc, None);
    let (_store, report, ours) = import_areas(&shp, SrsSpec::Prj);
    assert_eq!(report.rejected_count, 0, "{:?}", report.rejected);
    assert_eq!(ours.len(), judged.len());
    for j in &judged {
        let got = ours[&j.fid];
        assert!(
            (got - j.area).abs() / j.area < TOLERANCE,
            "Shapefile EPSG:3857 fid {}: ours {got} m², pyproj {} m²",
            j.fid,
            j.area
        );
    }
}
