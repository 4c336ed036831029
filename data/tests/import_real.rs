//! Imports of real files nobody here wrote (../shared/data), judged by GDAL's own tools.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::path::Path;
use std::process::Command;

use quyhoach_data::import::{import, ImportError, ImportOptions};
use quyhoach_data::schema::Kind;
use quyhoach_data::srs::SrsSpec;
use quyhoach_data::store::Store;
use quyhoach_data::testing::{shared_data, store_snapshot};

fn ogrinfo(args: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo (Debian gdal-bin) must be installed for these tests");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn communes_2025_import_with_repairs_and_gdal_reads_them() {
    let store = tempfile::tempdir().unwrap();
    let opts = ImportOptions::new(
        shared_data("vn-communes-2025.geojson"),
        Kind::Boundaries,
        store.path(),
        SrsSpec::Epsg(4326),
    );
    let report = import(&ImportOptions {
        layer: Some("communes".into()),
        ..opts
    })
    .unwrap();
    println!("{}", report.summary());
    assert_eq!(report.read, 3321);
    assert_eq!(report.written + report.rejected_count, 3321);
    assert_eq!(
        report.repaired_count + report.rejected_count,
        76,
        "the 76 invalid communes"
    );
    assert!(report.repaired.iter().all(|r| !r.reason.is_empty()));
    assert_eq!(report.encoding, "utf8");

    let s = Store::open(store.path()).unwrap();
    let entry = &s.catalog.layers["communes"];
    assert_eq!(entry.count, report.written);
    let file = s.layer_path(entry);
    let info = ogrinfo(&["-ro", "-so", "-al", file.to_str().unwrap()]);
    assert!(
        info.contains(&format!("Feature Count: {}", report.written)),
        "{info}"
    );
    assert!(gdal_has_spatial_index(&file));
}

/// Asks GDAL (Debian python3-gdal) whether a FlatGeobuf file has its packed R-tree: the
/// driver offers fast spatial filtering only then.
fn gdal_has_spatial_index(file: &Path) -> bool {
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys; from osgeo import ogr; ds = ogr.Open(sys.argv[1]); \
             print(ds.GetLayer(0).TestCapability(ogr.OLCFastSpatialFilter))",
            file.to_str().unwrap(),
        ])
        .output()
        .expect("python3-gdal (Debian) must be installed for these tests");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.trim() == "True"
}

/// A store holding one good layer, to check that failed imports leave it as it was.
fn store_with_a_layer() -> tempfile::TempDir {
    let store = tempfile::tempdir().unwrap();
    let src = tempfile::Builder::new()
        .suffix(".geojson")
        .tempfile()
        .unwrap();
    std::fs::write(
        src.path(),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Vĩnh Thanh","code":"31150"},
        "geometry":{"type":"Polygon","coordinates":[[[105.08,10.01],[105.09,10.01],[105.09,10.02],[105.08,10.02],[105.08,10.01]]]}}]}"#,
    )
    .unwrap();
    import(&ImportOptions::new(
        src.path(),
        Kind::Boundaries,
        store.path(),
        SrsSpec::Epsg(4326),
    ))
    .unwrap();
    store
}

fn expect_failure(source: &Path, kind: Kind, srs: SrsSpec, expected: &str) -> ImportError {
    let store = store_with_a_layer();
    let before = store_snapshot(store.path(), false);
    let err = import(&ImportOptions::new(source, kind, store.path(), srs)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(expected),
        "'{msg}' should mention '{expected}'"
    );
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert_eq!(
        store_snapshot(store.path(), false),
        before,
        "the store changed after: {msg}"
    );
    assert_eq!(Store::open(store.path()).unwrap().catalog.layers.len(), 1);
    err
}

#[test]
fn corrupt_flatgeobuf_is_refused() {
    expect_failure(
        &shared_data("fgb-edge/fuzzer-crash.fgb"),
        Kind::Boundaries,
        SrsSpec::Epsg(4326),
        "Header failed consistency verification",
    );
}

#[test]
fn old_flatgeobuf_version_is_refused() {
    expect_failure(
        &shared_data("fgb-edge/topp_states.fgb"),
        Kind::Boundaries,
        SrsSpec::Epsg(4326),
        "Unsupported FlatGeobuf version",
    );
}

#[test]
fn empty_layer_is_refused() {
    let err = expect_failure(
        &shared_data("fgb-edge/empty.fgb"),
        Kind::Boundaries,
        SrsSpec::Prj,
        "empty",
    );
    assert!(matches!(err, ImportError::EmptyLayer { .. }), "{err:?}");
}

#[test]
fn truncated_file_is_refused() {
    let full = std::fs::read(shared_data("countries.fgb")).unwrap();
    let cut = tempfile::Builder::new().suffix(".fgb").tempfile().unwrap();
    std::fs::write(cut.path(), &full[..full.len() / 2]).unwrap();
    expect_failure(
        cut.path(),
        Kind::Boundaries,
        SrsSpec::Epsg(4326),
        "cannot read",
    );
}

#[test]
fn missing_required_fields_are_named() {
    let err = expect_failure(
        &shared_data("countries.fgb"),
        Kind::Parcels,
        SrsSpec::Epsg(4326),
        "no field for 'commune_code'",
    );
    assert!(err.to_string().contains("--map"), "{err}");
}

#[test]
fn degrees_declared_as_vn2000_metres_are_refused() {
    let src = tempfile::Builder::new()
        .suffix(".geojson")
        .tempfile()
        .unwrap();
    std::fs::write(
        src.path(),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},
        "geometry":{"type":"Polygon","coordinates":[[[105.08,10.01],[105.09,10.01],[105.09,10.02],[105.08,10.01]]]}}]}"#,
    )
    .unwrap();
    expect_failure(
        src.path(),
        Kind::Boundaries,
        "vn2000:kien-giang".parse().unwrap(),
        "look like degrees",
    );
}

#[test]
fn missing_prj_needs_an_explicit_srs() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("noprj.shp");
    let status = Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", shp.to_str().unwrap()])
        .arg(shared_data("countries.fgb"))
        .args(["-a_srs", "EPSG:4326", "-limit", "3"])
        .status()
        .expect("ogr2ogr");
    assert!(status.success());
    std::fs::remove_file(dir.path().join("noprj.prj")).unwrap();
    expect_failure(
        &shp,
        Kind::Boundaries,
        SrsSpec::Prj,
        "no coordinate reference system",
    );
}

#[test]
fn zones_need_a_known_plan() {
    let store = store_with_a_layer();
    let before = store_snapshot(store.path(), false);
    let err = import(&ImportOptions {
        plan: Some("no-such-plan".into()),
        ..ImportOptions::new(
            shared_data("countries.fgb"),
            Kind::Zones,
            store.path(),
            SrsSpec::Epsg(4326),
        )
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown plan 'no-such-plan'"),
        "{err}"
    );
    assert_eq!(store_snapshot(store.path(), false), before);
}

#[test]
fn a_missing_file_is_one_clear_line() {
    expect_failure(
        Path::new("/nonexistent/thua_dat.shp"),
        Kind::Parcels,
        SrsSpec::Prj,
        "no such file",
    );
}
