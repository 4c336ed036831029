//! Imports of real files nobody here wrote (../shared/data), judged by GDAL's own tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use quyhoach_data::import::{import, ImportError, ImportOptions};
use quyhoach_data::schema::Kind;
use quyhoach_data::srs::SrsSpec;
use quyhoach_data::store::Store;

/// A file of ../shared/data; fails loudly when the shared data is missing (CI must have it).
fn shared(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(name);
    assert!(
        p.exists(),
        "shared test data {} is missing: clone the project with ../shared beside it",
        p.display()
    );
    p
}

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

/// Every file of a store and its bytes, to prove a failed import changed nothing.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with(".lock") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn communes_2025_import_with_repairs_and_gdal_reads_them() {
    let store = tempfile::tempdir().unwrap();
    let opts = ImportOptions::new(
        shared("vn-communes-2025.geojson"),
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
    assert_eq!(report.repaired_count + report.rejected_count, 76, "the 76 invalid communes");
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
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    text.trim() == "True"
}
