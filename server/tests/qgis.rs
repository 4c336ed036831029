//! "Open in QGIS" judged by QGIS itself, and the GDAL lesson's commands run as written.
//!
//! The release binary serves a small demo store on 127.0.0.1; Debian's QGIS 3.22
//! (`python3-qgis`, run headless by tests/judges/qgis_project.py with the system python)
//! opens `/qgis/project.qgs?bbox=…` and reports each layer: valid, provider, the features it
//! reads within the box, its renderer and categories. The counts must be the server's own
//! (`numberMatched` of `/ogc/collections/{id}/items?bbox=…`), the zones and the current-use
//! layer categorised with the code table's colours. tests/judges/gdal_lesson.py then runs
//! every `ogrinfo`/`ogr2ogr` line of the `qgis-gdal` lesson's code blocks against the server.
//! `scripts/setup-judges.sh` installs qgis, python3-qgis and gdal-bin.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::process::{build_store, http_exchange, ServeProcess};
use quyhoach_data::landuse::{lookup, LEGACY_CODES};
use serde_json::Value;

/// Debian's python, where python3-qgis is installed (not the judges venv).
fn system_python() -> String {
    std::env::var("QUYHOACH_SYSTEM_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

fn judge(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/judges")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn get(addr: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    http_exchange(addr, "GET", path, &[], b"").unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn get_json(addr: SocketAddr, path: &str) -> Value {
    let (status, _, body) = get(addr, path);
    assert_eq!(
        status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
}

/// The server's own count of a collection's features meeting `bbox`.
fn server_count(addr: SocketAddr, collection: &str, bbox: Option<&str>) -> u64 {
    let q = bbox.map(|b| format!("&bbox={b}")).unwrap_or_default();
    get_json(
        addr,
        &format!("/ogc/collections/{collection}/items?limit=1{q}"),
    )["numberMatched"]
        .as_u64()
        .expect("numberMatched")
}

/// The colour the code table gives a category value (a legacy code: its successor's).
fn table_colour(code: &str) -> Option<String> {
    let code = LEGACY_CODES
        .iter()
        .find(|(old, _)| *old == code)
        .map_or(code, |(_, new)| new);
    lookup(code).map(|c| c.color.to_lowercase())
}

fn run_judge(script: &str, args: &[&str]) -> (Value, i32) {
    let out = Command::new(system_python())
        .arg(judge(script))
        .args(args)
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .expect("Debian's python3 must be installed (scripts/setup-judges.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| {
        panic!(
            "{script} printed no JSON (status {:?}); is python3-qgis installed (scripts/setup-judges.sh)?\nstdout: {stdout}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        serde_json::from_str(line).expect("the judge's JSON"),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn qgis_opens_the_project_and_the_gdal_lesson_runs_as_written() {
    let started = Instant::now();
    let (_dir, store) = build_store(3000, 12);
    let server = ServeProcess::start(&store);
    let addr = server.addr;

    // The box: the zoning plan's zones with a margin, so zones, red lines, parcels and roads
    // are all in it but not the whole district.
    let cols = get_json(addr, "/ogc/collections");
    let bounds_of = |id: &str| -> [f64; 4] {
        let c = cols["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("collection {id}"));
        let b = &c["extent"]["spatial"]["bbox"][0];
        [0, 1, 2, 3].map(|i| b[i].as_f64().unwrap())
    };
    let z = bounds_of("zones-qhpk-2000");
    let all = bounds_of("parcels");
    let bbox = [z[0] - 0.001, z[1] - 0.001, z[2] + 0.001, z[3] + 0.001];
    assert!(
        bbox[2] - bbox[0] < all[2] - all[0],
        "the box must be a part of the district"
    );
    let bbox_text = format!("{},{},{},{}", bbox[0], bbox[1], bbox[2], bbox[3]);

    // The download itself.
    let path = format!("/qgis/project.qgs?bbox={bbox_text}&lang=en");
    let (status, head, body) = get(addr, &path);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/x-qgis-project"),
        "{head}"
    );
    assert!(
        head.contains("content-disposition: attachment; filename=\"quyhoach.qgs\""),
        "{head}"
    );
    let xml = String::from_utf8(body).expect("UTF-8");
    assert!(xml.starts_with("<!DOCTYPE qgis"), "{}", &xml[..200]);
    assert!(xml.contains(&format!("url=&apos;http://{addr}/ogc&apos;")));

    // QGIS reads it.
    let url = format!("http://{addr}{path}");
    let qgis_started = Instant::now();
    let (report, code) = run_judge("qgis_project.py", &[&url, &bbox_text]);
    let qgis_secs = qgis_started.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["read"], true, "{report:#}");
    assert_eq!(report["crs"], "EPSG:3857", "{report:#}");
    let view: Vec<f64> = report["view"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (got, want) in view.iter().zip(bbox) {
        assert!((got - want).abs() < 1e-6, "view {view:?} vs bbox {bbox:?}");
    }

    let layers = report["layers"].as_array().unwrap();
    let catalog: BTreeMap<String, String> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut seen_collections = std::collections::BTreeSet::new();
    let mut categorised_zones = 0;
    let mut tiles = 0;
    for l in layers {
        let name = l["name"].as_str().unwrap_or("?");
        assert_eq!(l["valid"], true, "layer {name} is not valid in QGIS: {l:#}");
        match l["provider"].as_str() {
            Some("OAPIF") => {
                let coll = l["typename"].as_str().unwrap();
                seen_collections.insert(coll.to_string());
                let want = server_count(addr, coll, Some(&bbox_text));
                assert_eq!(
                    l["featureCount"].as_u64(),
                    Some(want),
                    "{name} ({coll}): QGIS read {} features in the box, the server counts {want}",
                    l["featureCount"]
                );
                assert!(want > 0, "{coll} has nothing in the test box");
                if l["renderer"] == "categorizedSymbol" {
                    let cats = l["categories"].as_object().unwrap();
                    for (value, colour) in cats {
                        assert_eq!(
                            Some(colour.as_str().unwrap().to_string()),
                            table_colour(value),
                            "{name}: category {value}"
                        );
                    }
                    // Every code QGIS read in the box has its category.
                    for code in l["codes"].as_array().unwrap() {
                        let code = code.as_str().unwrap();
                        if table_colour(code).is_some() {
                            assert!(cats.contains_key(code), "{name}: no category for {code}");
                        }
                    }
                    assert!(!l["codes"].as_array().unwrap().is_empty(), "{name}");
                    assert_eq!(
                        l["expression"], "left(coalesce(\"landuse\", ''), 3)",
                        "{name}"
                    );
                }
                if coll.starts_with("zones-") {
                    assert_eq!(l["renderer"], "categorizedSymbol", "{name}");
                    assert_eq!(l["visible"], true, "{name}");
                    assert!(l["opacity"].as_f64().unwrap() < 1.0, "{name}: opaque zones");
                    categorised_zones += 1;
                    let draft = catalog[coll].contains("dự thảo");
                    assert_eq!(name.contains("DRAFT"), draft, "{name}");
                }
                if coll.starts_with("redlines-") {
                    assert_eq!(l["colour"], "#e00000", "{name}");
                }
            }
            Some("vectortile") => {
                tiles += 1;
                assert!(
                    l["source"].as_str().unwrap().contains(&format!(
                        "http://{addr}/tiles/planning/{{z}}/{{x}}/{{y}}.mvt"
                    )),
                    "{l:#}"
                );
                assert!(l["styles"].as_u64().unwrap() > 3, "{l:#}");
            }
            other => panic!("unexpected provider {other:?}: {l:#}"),
        }
    }
    assert_eq!(tiles, 1, "one vector tile layer");
    let expected: std::collections::BTreeSet<String> = catalog.keys().cloned().collect();
    assert_eq!(seen_collections, expected, "every collection is a layer");
    let zones = catalog.keys().filter(|k| k.starts_with("zones-")).count();
    assert_eq!(categorised_zones, zones);
    // The parcels' current use is categorised too.
    assert!(layers
        .iter()
        .any(|l| l["typename"] == "parcels" && l["renderer"] == "categorizedSymbol"));
    // Boundaries and red lines above the zones.
    let pos = |pred: &dyn Fn(&Value) -> bool| layers.iter().position(pred).unwrap();
    let first_zone = pos(&|l| {
        l["typename"]
            .as_str()
            .is_some_and(|t| t.starts_with("zones-"))
    });
    assert!(pos(&|l| l["typename"] == "communes") < first_zone);
    assert!(
        pos(&|l| l["typename"]
            .as_str()
            .is_some_and(|t| t.starts_with("redlines-")))
            < first_zone
    );
    eprintln!("QGIS judged the project in {qgis_secs:.1} s");

    // The GDAL lesson's commands, as written.
    let (gdal, code) = run_judge("gdal_lesson.py", &[&format!("http://{addr}"), "en"]);
    assert_eq!(
        gdal["lesson"], true,
        "GET /api/v1/lessons?lang=en has no `qgis-gdal` lesson yet (the LESSONS helper builds it): {gdal:#}"
    );
    assert_eq!(code, 0, "{gdal:#}");
    let cmds = gdal["commands"].as_array().unwrap();
    assert!(
        cmds.iter().any(|c| c["argv"][0] == "ogrinfo")
            && cmds.iter().any(|c| c["argv"][0] == "ogr2ogr"),
        "the lesson must show ogrinfo and ogr2ogr commands: {gdal:#}"
    );
    // What each ogr2ogr wrote, read back: a later ogrinfo of that file must agree.
    let mut written: BTreeMap<String, Value> = BTreeMap::new();
    for c in cmds {
        assert_eq!(c["exit"], 0, "command failed: {c:#}");
        let argv: Vec<&str> = c["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let spat = argv
            .iter()
            .position(|a| *a == "-spat")
            .map(|i| argv[i + 1..i + 5].join(","));
        let layer_count = |layer: &str| server_count(addr, layer, spat.as_deref());
        if argv[0] == "ogrinfo" {
            let layers = c["layers"].as_object().unwrap();
            assert!(
                layers.contains_key("parcels"),
                "ogrinfo lists no parcels: {c:#}"
            );
            let local = argv.iter().find(|a| written.contains_key(**a));
            for (layer, n) in layers {
                let want = match local {
                    Some(file) => written[*file][layer].as_u64().unwrap(),
                    None => {
                        assert!(
                            argv.iter().any(|a| a.starts_with("OAPIF:http://")),
                            "ogrinfo of neither the server nor a file the lesson wrote: {c:#}"
                        );
                        layer_count(layer)
                    }
                };
                assert_eq!(n.as_u64(), Some(want), "{layer}: {c:#}");
            }
        } else {
            let outputs = c["outputs"].as_object().unwrap();
            let gpkg = outputs
                .iter()
                .find(|(name, _)| name.ends_with(".gpkg"))
                .unwrap_or_else(|| panic!("ogr2ogr wrote no GeoPackage: {c:#}"));
            let read = gpkg.1.as_object().unwrap();
            assert!(!read.is_empty() && !read.contains_key("error"), "{c:#}");
            for (layer, n) in read {
                let want = layer_count(layer);
                assert!(want > 0, "the lesson's box holds no {layer}: {c:#}");
                assert_eq!(n.as_u64(), Some(want), "{layer}: {c:#}");
            }
            for (name, counts) in outputs {
                written.insert(name.clone(), counts.clone());
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!("whole test {secs:.1} s");
    assert!(secs < 90.0, "the QGIS test took {secs:.0} s");
}

#[test]
fn bad_project_requests_are_problems() {
    let (_dir, store) = build_store(300, 3);
    let server = ServeProcess::start(&store);
    for q in [
        "bbox=1,2,3",
        "bbox=105.2,9.9,105.1,10",
        "bbox=105.1,9.9,105.1,10",
        "bbox=NaN,9,106,10",
        "bbox=inf,9,106,10",
        "bbox=105,9,106,95",
        "bbox=0,0,1,1",
        "bbox=80,-10,105.5,9.99",
        "bbox=%3C,9,106,10",
        "lang=fr",
        "lang=en&lang=vi",
        "x=1",
    ] {
        let (status, head, body) = get(server.addr, &format!("/qgis/project.qgs?{q}"));
        assert_eq!(status, 400, "{q}: {}", String::from_utf8_lossy(&body));
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{q}: {head}"
        );
    }
    // Defaults: the data's bounds, Vietnamese.
    let (status, head, body) = get(server.addr, "/qgis/project.qgs");
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-language: vi"));
    let xml = String::from_utf8(body).unwrap();
    assert!(xml.contains("Khu quy hoạch"));
    // A forged Host cannot break out of the XML or the data source strings.
    let (status, _, body) = http_exchange(
        server.addr,
        "GET",
        "/qgis/project.qgs",
        &[("X-Forwarded-Host", "a'\"<b>&c")],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    let xml = String::from_utf8(body).unwrap();
    assert!(!xml.contains("<b>") && !xml.contains("a'\""));
}
