//! The demo district's sources, converted by GDAL's ogr2ogr into every format agencies use, go
//! through the importer with the same result; areas agree with GDAL's in the source CRS.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use quyhoach_data::demo::{generate, DemoOptions, DemoSources};
use quyhoach_data::import::{import, ImportOptions, ImportReport};
use quyhoach_data::schema::Kind;
use quyhoach_data::srs::SrsSpec;
use quyhoach_data::store::Store;

/// The demo sources, generated once for all tests of this file.
fn demo() -> &'static (tempfile::TempDir, DemoSources) {
    static DEMO: OnceLock<(tempfile::TempDir, DemoSources)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sources = generate(
            &DemoOptions {
                parcels: 3000,
                seed: 11,
            },
            &dir.path().join("src"),
            &|_, _| {},
        )
        .unwrap();
        (dir, sources)
    })
}

fn source(name: &str) -> PathBuf {
    demo().1.dir.join(name)
}

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (Debian gdal-bin) must be installed");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(
    src: &Path,
    kind: Kind,
    srs: &str,
    tweak: impl FnOnce(&mut ImportOptions),
) -> (tempfile::TempDir, ImportReport) {
    let store = tempfile::tempdir().unwrap();
    // Zones and red lines need their plan in the store.
    let plans = std::fs::read_to_string(&demo().1.plans_file).unwrap();
    let mut s = Store::open_or_create(store.path()).unwrap();
    let lock = s.lock().unwrap();
    s.put_plans(&lock, quyhoach_data::plans::parse_plans(&plans).unwrap())
        .unwrap();
    drop(lock);
    let mut opts = ImportOptions::new(src, kind, store.path(), srs.parse::<SrsSpec>().unwrap());
    tweak(&mut opts);
    let report = import(&opts).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    (store, report)
}

/// (source_fid → area_m2) of a store's parcels layer, read back by GDAL.
fn stored_areas(store: &Path, layer: &str) -> HashMap<i64, f64> {
    let s = Store::open(store).unwrap();
    let file = s.layer_path(&s.catalog.layers[layer]);
    let out = Command::new("ogr2ogr")
        .args([
            "-f",
            "CSV",
            "/vsistdout/",
            file.to_str().unwrap(),
            "-select",
            "source_fid,area_m2",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (
                a.trim_matches('"').parse().unwrap(),
                b.trim_matches('"').parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn shapefile_areas_match_gdal_in_the_source_crs() {
    let (store, report) = run(&source("thua_dat.shp"), Kind::Parcels, "prj", |_| {});
    assert_eq!(report.written as usize, demo().1.stats.parcels);
    assert_eq!(report.personal_fields_dropped, vec!["TenChu", "SoCCCD"]);
    assert!(report.codes_mapped.keys().any(|k| k.starts_with("BHK->")));
    // GDAL's (GEOS) area of each source polygon in VN-2000 metres.
    let out = Command::new("/usr/bin/python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/judges/gdal_areas.py"
        ))
        .arg(source("thua_dat.shp"))
        .output()
        .expect("python3-gdal must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repaired: Vec<i64> = report.repaired.iter().map(|r| r.fid).collect();
    let ours = stored_areas(store.path(), "parcels");
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let (fid, area) = line.split_once(',').unwrap();
        let fid: i64 = fid.parse().unwrap();
        let gdal: f64 = area.parse().unwrap();
        if repaired.contains(&fid) {
            continue; // a bow-tie's GDAL area is meaningless; ours is the repaired polygon's
        }
        let rel = (ours[&fid] - gdal).abs() / gdal;
        worst = worst.max(rel);
        assert!(
            rel < 1e-4,
            "parcel fid {fid}: ours {} m², GDAL {gdal} m²",
            ours[&fid]
        );
        compared += 1;
    }
    println!("{compared} parcels compared, worst relative difference {worst:e}");
    assert!(compared > 2900);
}

#[test]
fn tcvn3_boundaries_come_out_as_vietnamese() {
    let (store, report) = run(&source("ranh_gioi_xa.shp"), Kind::Boundaries, "prj", |_| {});
    assert_eq!(report.encoding, "tcvn3");
    assert!(report.encoding_detected);
    let s = Store::open(store.path()).unwrap();
    let file = s.layer_path(&s.catalog.layers["boundaries"]);
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).expect("UTF-8 out of a TCVN3 source");
    assert!(text.contains("name (String) = Vĩnh Thanh"), "{text}");
    assert!(text.contains("level (String) = Phường") || text.contains("level (String) = Xã"));
}

#[test]
fn vni_text_is_detected_and_converted() {
    // A Shapefile whose DBF holds VNI bytes, as old VNI-font data does (no .cpg).
    let dir = tempfile::tempdir().unwrap();
    let vni = quyhoach_data::encoding::encode_vni("Phường Vĩnh Thanh Vân").unwrap();
    let latin1: String = vni.iter().map(|&b| b as char).collect();
    let csv = dir.path().join("x.csv");
    std::fs::write(
        &csv,
        format!("WKT,TenXa\n\"POLYGON((566000 1100000,566100 1100000,566100 1100100,566000 1100000))\",\"{latin1}\"\n"),
    )
    .unwrap();
    let shp = dir.path().join("vni.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-lco",
        "ENCODING=ISO-8859-1",
        shp.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(dir.path().join("vni.cpg"));
    let (store, report) = run(&shp, Kind::Boundaries, "vn2000:kien-giang", |_| {});
    assert_eq!(report.encoding, "vni");
    let s = Store::open(store.path()).unwrap();
    let file = s.layer_path(&s.catalog.layers["boundaries"]);
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("name (String) = Phường Vĩnh Thanh Vân"));
}

#[test]
fn shapefile_without_prj_needs_the_province() {
    let (_, report) = run(
        &source("duong_giao_thong.shp"),
        Kind::Roads,
        "vn2000:kien-giang",
        |_| {},
    );
    assert_eq!(report.written as usize, demo().1.stats.roads);
    let store = tempfile::tempdir().unwrap();
    let err = import(&ImportOptions::new(
        source("duong_giao_thong.shp"),
        Kind::Roads,
        store.path(),
        SrsSpec::Prj,
    ))
    .unwrap_err();
    assert!(err.to_string().contains(".prj missing"), "{err}");
}

#[test]
fn geopackage_layers_are_found_by_their_circular_16_names() {
    let gpkg = source("qhpk_2000.gpkg");
    let (_, zones) = run(&gpkg, Kind::Zones, "prj", |o| {
        o.plan = Some("qhpk-2000".into())
    });
    assert_eq!(zones.source_layer, "SuDungDat_A");
    assert_eq!(zones.field_map["zone_id"], "maThongTinQH");
    assert_eq!(zones.field_map["far"], "heSoSDD");
    let (_, red) = run(&gpkg, Kind::Redlines, "prj", |o| {
        o.plan = Some("qhpk-2000".into())
    });
    assert_eq!(red.source_layer, "ChiGioiDuongDo_L");
    assert_eq!(red.field_map["width_m"], "loGioi");
    // The plan can also come from the features' maHoSoQH.
    let (_, by_field) = run(&gpkg, Kind::Zones, "prj", |o| {
        o.source_layer = Some("SuDungDat_A".into())
    });
    assert_eq!(by_field.written, zones.written);
}

/// Converts the parcels Shapefile with ogr2ogr and imports the result.
fn roundtrip(driver: &str, ext: &str, extra: &[&str], srs: &str) -> (usize, HashMap<i64, f64>) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("thua_dat.{ext}"));
    let mut args = vec!["-f", driver, out.to_str().unwrap()];
    let src = source("thua_dat.shp");
    args.push(src.to_str().unwrap());
    args.extend_from_slice(extra);
    ogr2ogr(&args);
    let (store, report) = run(&out, Kind::Parcels, srs, |_| {});
    (
        report.written as usize,
        stored_areas(store.path(), "parcels"),
    )
}

fn assert_same_areas(
    what: &str,
    got: &HashMap<i64, f64>,
    want: &HashMap<i64, f64>,
    tolerance: f64,
) {
    assert_eq!(got.len(), want.len(), "{what}");
    // Drivers number features from 0 (Shapefile, GeoJSON) or from 1 (GeoPackage, TAB, CSV).
    let shift = got.keys().min().unwrap() - want.keys().min().unwrap();
    let got: HashMap<i64, f64> = got.iter().map(|(k, v)| (k - shift, *v)).collect();
    for (fid, a) in want {
        let b = got[fid];
        assert!(
            (a - b).abs() / a < tolerance,
            "{what}: fid {fid} {a} vs {b}"
        );
    }
}

#[test]
fn every_delivery_format_imports_the_same_parcels() {
    let (reference_store, reference) = run(&source("thua_dat.shp"), Kind::Parcels, "prj", |_| {});
    let want = stored_areas(reference_store.path(), "parcels");
    let n = reference.written as usize;

    let (count, areas) = roundtrip("GPKG", "gpkg", &[], "prj");
    assert_eq!(count, n);
    assert_same_areas("GeoPackage", &areas, &want, 1e-9);

    let (count, areas) = roundtrip("GeoJSON", "geojson", &[], "vn2000:kien-giang");
    assert_eq!(count, n);
    assert_same_areas("GeoJSON", &areas, &want, 1e-6);

    // MapInfo stores integer coordinates on a grid set by the bounds: give it tight bounds
    // (as a surveyor's TAB has) so the grid is finer than a millimetre.
    let (count, areas) = roundtrip(
        "MapInfo File",
        "tab",
        &["-lco", "BOUNDS=560000,1090000,620000,1150000"],
        "vn2000:kien-giang",
    );
    assert_eq!(count, n);
    assert_same_areas("MapInfo TAB", &areas, &want, 1e-4);

    let (count, areas) = roundtrip(
        "CSV",
        "csv",
        &["-lco", "GEOMETRY=AS_WKT"],
        "vn2000:kien-giang",
    );
    assert_eq!(count, n);
    assert_same_areas("CSV with WKT", &areas, &want, 1e-6);

    // A zipped Shapefile, read through /vsizip/.
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("thua_dat.zip");
    let status = Command::new("zip")
        .arg("-qj")
        .arg(&zip)
        .args(["shp", "shx", "dbf", "prj", "cpg"].map(|e| source(&format!("thua_dat.{e}"))))
        .status()
        .expect("zip (Debian zip) must be installed");
    assert!(status.success());
    let (store, report) = run(&zip, Kind::Parcels, "prj", |_| {});
    assert_eq!(report.written as usize, n);
    assert_same_areas(
        "zipped Shapefile",
        &stored_areas(store.path(), "parcels"),
        &want,
        1e-12,
    );
}

#[test]
fn dxf_closed_polylines_become_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let dxf = dir.path().join("xa.dxf");
    let src = source("ranh_gioi_xa.shp");
    ogr2ogr(&["-f", "DXF", dxf.to_str().unwrap(), src.to_str().unwrap()]);
    let (_, report) = run(&dxf, Kind::Boundaries, "vn2000:kien-giang", |o| {
        o.mappings = vec![("name".into(), "EntityHandle".into())];
    });
    assert_eq!(
        report.written as usize,
        demo().1.stats.communes,
        "{}",
        report.summary()
    );
}

#[test]
fn gdal_reads_our_line_layers() {
    for (file, kind, srs, plan) in [
        (
            "duong_giao_thong.shp",
            Kind::Roads,
            "vn2000:kien-giang",
            None,
        ),
        ("qhpk_2000.gpkg", Kind::Redlines, "prj", Some("qhpk-2000")),
    ] {
        let (store, report) = run(&source(file), kind, srs, |o| {
            o.plan = plan.map(String::from)
        });
        let s = Store::open(store.path()).unwrap();
        let entry = s.catalog.layers.values().next().unwrap();
        let out = Command::new("ogrinfo")
            .args(["-ro", "-al", "-q"])
            .arg(s.layer_path(entry))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("ERROR"), "{file}: GDAL says {err}");
        let features = text.matches("OGRFeature(").count();
        assert_eq!(features as u64, report.written, "{file}");
        assert!(text.contains("LINESTRING"), "{file}");
    }
}
