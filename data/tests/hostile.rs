//! Hostile or impossible sources: non-finite coordinates anywhere in a geometry, reference
//! systems that are not 2D horizontal, data far from Vietnam, oversized attributes and field
//! lists, personal data mapped onto public fields, files GDAL cannot read. Each is refused
//! with a clear reason (the feature alone, or the whole import with the store unchanged).

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::path::{Path, PathBuf};

use quyhoach_data::import::{import, ImportError, ImportOptions, ImportReport};
use quyhoach_data::index::Index;
use quyhoach_data::schema::Kind;
use quyhoach_data::srs::SrsSpec;
use quyhoach_data::store::Store;
use quyhoach_data::testing::store_snapshot;

/// A small square ring at (lon, lat), as GeoJSON coordinates.
fn square(lon: f64, lat: f64, size: f64) -> String {
    format!(
        "[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]",
        lon + size,
        lon + size,
        lat + size,
        lat + size
    )
}

/// A parcel feature with extra properties (JSON members, may be empty) and a geometry.
fn parcel(n: u32, extra: &str, geometry: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"type":"Feature","properties":{{"commune_code":"31150","sheet":1,"parcel":{n}{extra}}},"geometry":{geometry}}}"#
    )
}

/// A good parcel polygon near Rạch Giá.
fn good(n: u32) -> String {
    let lon = 105.10 + f64::from(n) * 0.001;
    parcel(
        n,
        "",
        &format!(
            r#"{{"type":"Polygon","coordinates":[{}]}}"#,
            square(lon, 10.0, 0.0005)
        ),
    )
}

fn geojson(dir: &Path, name: &str, features: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(
        &p,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",\n")
        ),
    )
    .unwrap();
    p
}

fn options(src: &Path, kind: Kind, store: &Path, srs: &str) -> ImportOptions {
    ImportOptions::new(src, kind, store, srs.parse::<SrsSpec>().unwrap())
}

/// A store holding one good parcels layer, to show that refused imports leave it as it was.
fn store_with_parcels(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let src = geojson(dir, "good.geojson", &[good(1), good(2)]);
    import(&options(&src, Kind::Parcels, &store, "EPSG:4326")).unwrap();
    store
}

/// Runs an import that must be refused, checks the store did not change, returns the error.
fn refused(opts: &ImportOptions) -> ImportError {
    let before = store_snapshot(&opts.store, false);
    let err = import(opts).unwrap_err();
    assert_eq!(
        store_snapshot(&opts.store, false),
        before,
        "a refused import changed the store ({err})"
    );
    let text = err.to_string();
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    err
}

fn reasons(report: &ImportReport) -> Vec<String> {
    report.rejected.iter().map(|r| r.reason.clone()).collect()
}

#[test]
fn non_finite_coordinates_anywhere_reject_only_their_feature() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // GDAL reads 1e999 as +inf, -1e999 as -inf and a bare NaN as NaN.
    let hole = |n: u32, bad: &str| {
        parcel(
            n,
            "",
            &format!(
                r#"{{"type":"Polygon","coordinates":[{},[[105.2002,10.0002],[{bad},10.0002],[105.2004,10.0004],[105.2002,10.0002]]]}}"#,
                square(105.2, 10.0, 0.001)
            ),
        )
    };
    let features = vec![
        good(1),
        hole(2, "1e999"),
        hole(3, "NaN"),
        hole(4, "-1e999"),
        // The second part of a multipolygon, in its outer ring.
        parcel(
            5,
            "",
            &format!(
                r#"{{"type":"MultiPolygon","coordinates":[[{}],[[[105.3,10.0],[105.301,1e999],[105.301,10.001],[105.3,10.0]]]]}}"#,
                square(105.29, 10.0, 0.001)
            ),
        ),
        // A member of a collection.
        parcel(
            6,
            "",
            &format!(
                r#"{{"type":"GeometryCollection","geometries":[{{"type":"Polygon","coordinates":[{}]}},{{"type":"Point","coordinates":[NaN,10.0]}}]}}"#,
                square(105.31, 10.0, 0.001)
            ),
        ),
        good(7),
    ];
    let src = geojson(dir.path(), "holes.geojson", &features);
    let report = import(&options(&src, Kind::Parcels, &store, "EPSG:4326")).unwrap();
    assert_eq!(report.read, 7);
    assert_eq!(report.written, 2, "{:?}", report.rejected);
    assert_eq!(report.rejected_count, 5);
    for r in &report.rejected {
        assert!(r.reason.contains("non-finite coordinate"), "{r:?}");
    }
    assert!(report.bounds.iter().all(|v| v.is_finite()));
    // The same in a projected CRS (reprojection would make NaN of them otherwise) and for
    // lines: roads with NaN in one part of a multilinestring.
    let roads = geojson(
        dir.path(),
        "roads.geojson",
        &[
            r#"{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"LineString","coordinates":[[105.1,10.0],[105.2,10.1]]}}"#.to_string(),
            r#"{"type":"Feature","properties":{"name":"b"},"geometry":{"type":"MultiLineString","coordinates":[[[105.1,10.0],[105.2,10.1]],[[105.1,10.0],[NaN,10.1]]]}}"#.to_string(),
        ],
    );
    let report = import(&options(&roads, Kind::Roads, &store, "EPSG:4326")).unwrap();
    assert_eq!((report.written, report.rejected_count), (1, 1));
    assert!(reasons(&report)[0].contains("non-finite"));
    // Garbage magnitudes too, before GDAL sees them: GDAL 3.6's Web Mercator shortcut spins
    // for hours on an easting of 1e20 (this import hung before the check).
    let mercator = |x: f64, y: f64, bad: &str| {
        let ring = format!(
            "[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]",
            x + 100.0,
            x + 100.0,
            y + 100.0,
            y + 100.0
        );
        let hole = format!(
            "[[{},{}],[{bad},{}],[{},{}],[{},{}]]",
            x + 10.0,
            y + 10.0,
            y + 10.0,
            x + 20.0,
            y + 20.0,
            x + 10.0,
            y + 10.0
        );
        parcel(
            1,
            "",
            &format!(r#"{{"type":"Polygon","coordinates":[{ring},{hole}]}}"#),
        )
    };
    let src = geojson(
        dir.path(),
        "mercator.geojson",
        &[
            mercator(11_700_000.0, 1_120_000.0, "11700015"),
            mercator(11_701_000.0, 1_120_000.0, "1e20"),
        ],
    );
    let started = std::time::Instant::now();
    let mut opts = options(&src, Kind::Parcels, &store, "EPSG:3857");
    opts.layer = Some("mercator".into());
    let report = import(&opts).unwrap();
    assert!(started.elapsed().as_secs() < 60);
    assert_eq!((report.written, report.rejected_count), (1, 1));
    assert!(
        reasons(&report)[0].contains("on no map of the Earth"),
        "{:?}",
        report.rejected
    );
    // Everything stored reads back into the query index.
    let index = Index::load(&store).unwrap();
    drop(index);
}

#[test]
fn reference_systems_that_are_not_2d_horizontal_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_parcels(dir.path());
    let src = geojson(dir.path(), "p.geojson", &[good(3)]);
    for (srs, what) in [("EPSG:4978", "geocentric"), ("EPSG:5773", "vertical")] {
        let err = refused(&options(&src, Kind::Parcels, &store, srs));
        let text = err.to_string();
        assert!(text.contains(what), "{srs}: {text}");
        assert!(text.contains("not a 2D horizontal"), "{srs}: {text}");
    }
    // A Shapefile whose .prj is a local engineering grid.
    let shp = dir.path().join("site.shp");
    let out = std::process::Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile"])
        .arg(&shp)
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(
        dir.path().join("site.prj"),
        r#"LOCAL_CS["site grid",LOCAL_DATUM["site",32767],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]"#,
    )
    .unwrap();
    let mut opts = options(&shp, Kind::Parcels, &store, "prj");
    opts.mappings = vec![("commune_code".into(), "commune_co".into())];
    let text = refused(&opts).to_string();
    assert!(
        text.contains("engineering") && text.contains("site grid"),
        "{text}"
    );
}

#[test]
fn data_far_from_vietnam_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_parcels(dir.path());
    // Paris, in EPSG:4326: nothing wrong with the CRS, but no Vietnamese plan lies there.
    let paris: Vec<String> = (0..3)
        .map(|n| {
            parcel(
                n,
                "",
                &format!(
                    r#"{{"type":"Polygon","coordinates":[{}]}}"#,
                    square(2.35 + f64::from(n) * 0.001, 48.85, 0.0005)
                ),
            )
        })
        .collect();
    let src = geojson(dir.path(), "paris.geojson", &paris);
    let err = refused(&options(&src, Kind::Parcels, &store, "EPSG:4326"));
    assert!(matches!(
        err,
        ImportError::OutsideVietnam { outside: 3, .. }
    ));
    let text = err.to_string();
    assert!(
        text.contains("outside Vietnam") && text.contains("--allow-outside-vietnam"),
        "{text}"
    );
    // Explicitly allowed: imported, with a warning.
    let mut opts = options(&src, Kind::Parcels, &store, "EPSG:4326");
    opts.allow_outside_vietnam = true;
    opts.layer = Some("elsewhere".into());
    let report = import(&opts).unwrap();
    assert_eq!(report.written, 3);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("outside Vietnam")),
        "{:?}",
        report.warnings
    );
    // A few strays among Vietnamese data are rejected one by one.
    let mut mixed = vec![good(1), good(2), good(3)];
    mixed.push(parcel(
        9,
        "",
        &format!(
            r#"{{"type":"Polygon","coordinates":[{}]}}"#,
            square(0.0, 0.0, 0.001)
        ),
    ));
    let src = geojson(dir.path(), "mixed.geojson", &mixed);
    let report = import(&options(&src, Kind::Parcels, &store, "EPSG:4326")).unwrap();
    assert_eq!((report.written, report.rejected_count), (3, 1));
    assert!(
        reasons(&report)[0].contains("outside Vietnam"),
        "{report:?}"
    );
    assert!(report.bounds[0] > 100.0, "{:?}", report.bounds);
}

#[test]
fn attribute_values_over_the_cap_reject_their_feature() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let cap = quyhoach_data::import::MAX_ATTRIBUTE_BYTES;
    let long = "x".repeat(cap + 1);
    let fits = "y".repeat(cap);
    let square_at = |n: u32| {
        format!(
            r#"{{"type":"Polygon","coordinates":[{}]}}"#,
            square(105.1 + f64::from(n) * 0.001, 10.0, 0.0005)
        )
    };
    let features = vec![
        parcel(1, &format!(r#""address":"{fits}""#), &square_at(1)),
        parcel(2, &format!(r#""address":"{long}""#), &square_at(2)),
        // A kept personal field is capped too.
        parcel(3, &format!(r#""CCCD":"{long}""#), &square_at(3)),
        // A field the import does not read is not.
        parcel(4, &format!(r#""ghi_chu":"{long}""#), &square_at(4)),
    ];
    let src = geojson(dir.path(), "long.geojson", &features);
    let mut opts = options(&src, Kind::Parcels, &store, "EPSG:4326");
    opts.keep_personal = vec!["CCCD".into()];
    let report = import(&opts).unwrap();
    assert_eq!(report.written, 2, "{:?}", report.rejected);
    let r = reasons(&report);
    assert!(
        r[0].contains("field 'address' holds 65537 bytes, over the 64 KiB cap"),
        "{r:?}"
    );
    assert!(r[1].contains("field 'CCCD'"), "{r:?}");
    // The stored value that fits is whole.
    let s = Store::open(&store).unwrap();
    let file = s.layer_path(&s.catalog.layers["parcels"]);
    assert!(std::fs::read(file)
        .unwrap()
        .windows(fits.len())
        .any(|w| w == fits.as_bytes()));
}

#[test]
fn too_many_fields_or_huge_field_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_parcels(dir.path());
    let many: Vec<String> = (0..2001).map(|i| format!(r#""f{i}":1"#)).collect();
    let src = geojson(
        dir.path(),
        "wide.geojson",
        &[parcel(
            1,
            &many.join(","),
            &format!(
                r#"{{"type":"Polygon","coordinates":[{}]}}"#,
                square(105.1, 10.0, 0.001)
            ),
        )],
    );
    let text = refused(&options(&src, Kind::Parcels, &store, "EPSG:4326")).to_string();
    assert!(text.contains("more than the 2000 accepted"), "{text}");
    let name = "n".repeat(300);
    let src = geojson(
        dir.path(),
        "longname.geojson",
        &[parcel(
            1,
            &format!(r#""{name}":1"#),
            &format!(
                r#"{{"type":"Polygon","coordinates":[{}]}}"#,
                square(105.1, 10.0, 0.001)
            ),
        )],
    );
    let text = refused(&options(&src, Kind::Parcels, &store, "EPSG:4326")).to_string();
    assert!(text.contains("a field name of 300 bytes"), "{text}");
    assert!(text.len() < 300, "{text}");
}

#[test]
fn personal_data_never_goes_into_a_public_field() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_parcels(dir.path());
    let features = vec![parcel(
        1,
        r#""CCCD":"012345678901","cccd":"098765432109","Số CCCD":"011122233344""#,
        &format!(
            r#"{{"type":"Polygon","coordinates":[{}]}}"#,
            square(105.1, 10.0, 0.001)
        ),
    )];
    let src = geojson(dir.path(), "owners.geojson", &features);
    let mut opts = options(&src, Kind::Parcels, &store, "EPSG:4326");
    opts.mappings = vec![("address".into(), "CCCD".into())];
    let text = refused(&opts).to_string();
    assert!(
        text.contains("'CCCD' holds personal data") && text.contains("--keep-personal CCCD"),
        "{text}"
    );
    // Two spellings of one name, and a field of the same key: one private column.
    let mut opts = options(&src, Kind::Parcels, &store, "EPSG:4326");
    opts.keep_personal = vec!["CCCD".into(), "cccd".into(), "số cccd".into()];
    let report = import(&opts).unwrap();
    let s = Store::open(&store).unwrap();
    let names: Vec<&str> = s.catalog.layers["parcels"]
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "private_cccd").count(),
        1,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| **n == "private_socccd").count(),
        1,
        "{names:?}"
    );
    assert_eq!(report.personal_fields_dropped, vec!["cccd"]);
    // GDAL reads the layer file (duplicate column names would make it refuse or rename).
    let file = s.layer_path(&s.catalog.layers["parcels"]);
    let out = std::process::Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&file)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&out.stdout);
    assert_eq!(info.matches("private_cccd:").count(), 1, "{info}");
}

#[test]
fn files_gdal_cannot_read_are_named_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_parcels(dir.path());
    for (name, bytes) in [
        ("garbage.shp", &b"this is not a shapefile"[..]),
        ("broken.geojson", &b"{"[..]),
        ("notes.txt", &b"x"[..]),
        ("archive.zip", &b"PK\x03\x04garbage"[..]),
    ] {
        let src = dir.path().join(name);
        std::fs::write(&src, bytes).unwrap();
        let text = refused(&options(&src, Kind::Parcels, &store, "prj")).to_string();
        assert!(!text.contains("NULL pointer"), "{text}");
        assert!(!text.contains("/vsizip/"), "{text}");
        assert!(text.contains(&src.display().to_string()), "{text}");
        assert!(
            text.contains("not a vector file GDAL can read") || text.contains("cannot read"),
            "{text}"
        );
    }
}

#[test]
fn an_import_removes_temporary_files_of_a_killed_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_parcels(dir.path());
    std::fs::write(store.join("layers/.tmp-parcels-1-1"), vec![0u8; 2000]).unwrap();
    std::fs::write(store.join(".catalog.json.tmp-1"), b"{").unwrap();
    assert_eq!(Store::open(&store).unwrap().temp_files().len(), 2);
    let src = geojson(dir.path(), "again.geojson", &[good(5)]);
    let report = import(&options(&src, Kind::Parcels, &store, "EPSG:4326")).unwrap();
    assert_eq!(report.temporary_files_removed, 2);
    assert_eq!(report.temporary_bytes_removed, 2001);
    assert!(report.summary().contains("removed 2 temporary file(s)"));
    assert!(Store::open(&store).unwrap().temp_files().is_empty());
}
