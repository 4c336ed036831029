//! The `quyhoach` command as a user runs it: clear one-line errors, non-zero exits, plans,
//! reports, and a killed import that leaves the store as it was.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

use std::process::{Command, Output};
use std::time::Duration;

use quyhoach_data::demo::{generate, DemoOptions};
use quyhoach_data::testing::{shared_data, store_snapshot};

fn quyhoach(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quyhoach"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn bad_arguments_get_one_clear_line_and_a_failure_exit() {
    let store = tempfile::tempdir().unwrap();
    let s = store.path().to_str().unwrap();
    let src = shared_data("countries.fgb");
    let src = src.to_str().unwrap();
    for (args, expected) in [
        (
            vec![
                "import", src, "--kind", "orchards", "--store", s, "--srs", "prj",
            ],
            "unknown kind 'orchards'",
        ),
        (
            vec![
                "import",
                src,
                "--kind",
                "parcels",
                "--store",
                s,
                "--srs",
                "vn2000:atlantis",
            ],
            "unknown province 'atlantis'",
        ),
        (
            vec![
                "import", src, "--kind", "parcels", "--store", s, "--srs", "lambert",
            ],
            "unknown SRS 'lambert'",
        ),
        (
            vec![
                "import",
                src,
                "--kind",
                "boundaries",
                "--store",
                s,
                "--srs",
                "prj",
                "--encoding",
                "klingon",
            ],
            "klingon",
        ),
        (
            vec![
                "import",
                src,
                "--kind",
                "boundaries",
                "--store",
                s,
                "--srs",
                "prj",
                "--map",
                "name",
            ],
            "TARGET=SOURCE",
        ),
        (
            vec![
                "import",
                "/no/such.shp",
                "--kind",
                "parcels",
                "--store",
                s,
                "--srs",
                "prj",
            ],
            "no such file",
        ),
        (vec!["info", "--store", s], "not a quyhoach store"),
    ] {
        let out = quyhoach(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = stderr(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(
            err.trim().lines().count() <= 3,
            "short error for {args:?}: {err}"
        );
    }
}

#[test]
fn plans_are_recorded_checked_and_shown() {
    let store = tempfile::tempdir().unwrap();
    let s = store.path().to_str().unwrap();
    let add = |date: &str, status: &str| {
        quyhoach(&[
            "plans",
            "add",
            "--store",
            s,
            "--id",
            "qhpk-2000",
            "--name",
            "Quy hoạch phân khu 1/2000",
            "--level",
            "zoning_2000",
            "--decision",
            "512/QĐ-UBND",
            "--decision-date",
            date,
            "--authority",
            "UBND tỉnh Kiên Giang",
            "--status",
            status,
        ])
    };
    let bad = add("2023-02-30", "in_force");
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("not a date"), "{}", stderr(&bad));
    let bad = add("2023-02-01", "approved");
    assert!(
        stderr(&bad).contains("unknown plan status"),
        "{}",
        stderr(&bad)
    );
    assert!(add("2023-02-01", "in_force").status.success());
    let list = quyhoach(&["plans", "list", "--store", s]);
    assert!(stdout(&list).contains("512/QĐ-UBND"), "{}", stdout(&list));
    let show = quyhoach(&["plans", "show", "qhpk-2000", "--store", s, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&show)).unwrap();
    assert_eq!(v["plan"]["status"], "in_force");
    assert_eq!(v["plan"]["decision"]["authority"], "UBND tỉnh Kiên Giang");
    let missing = quyhoach(&["plans", "show", "nope", "--store", s]);
    assert!(!missing.status.success());
}

#[test]
fn import_writes_a_json_report_and_a_killed_import_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let sources = generate(
        &DemoOptions {
            parcels: 150_000,
            seed: 3,
        },
        &work.path().join("src"),
        &|_, _| {},
    )
    .unwrap();
    let store = work.path().join("store");
    let s = store.to_str().unwrap();
    let roads = sources.dir.join("duong_giao_thong.shp");
    let report = work.path().join("report.json");
    let out = quyhoach(&[
        "import",
        roads.to_str().unwrap(),
        "--kind",
        "roads",
        "--store",
        s,
        "--srs",
        "vn2000:Kiên Giang",
        "--report",
        report.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["written"].as_u64().unwrap() as usize, sources.stats.roads);
    assert_eq!(r["srs"], "vn2000:kien-giang");
    assert!(stdout(&out).contains(&format!("written {}", sources.stats.roads)));

    // Replace that layer with a big import and kill it half-way.
    let before = store_snapshot(&store, true);
    let parcels = sources.dir.join("thua_dat.shp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_quyhoach"))
        .args([
            "import",
            parcels.to_str().unwrap(),
            "--kind",
            "parcels",
            "--layer",
            "roads",
            "--store",
            s,
            "--srs",
            "prj",
            "-q",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let finished_already = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    assert!(
        !finished_already,
        "the import finished before it could be killed; use more parcels"
    );
    assert_eq!(
        store_snapshot(&store, true),
        before,
        "a killed import changed the store"
    );
    let info = quyhoach(&["info", "--store", s]);
    assert!(info.status.success());
    assert!(stdout(&info).contains("roads"), "{}", stdout(&info));
}

/// A GeoJSON file of parcels near Rạch Giá (or wherever `lon`, `lat` say), with extra
/// properties and an optional hole ring (GeoJSON coordinates text) in the first parcel.
fn parcels_geojson(
    path: &std::path::Path,
    lon: f64,
    lat: f64,
    extra: &str,
    hole: Option<&str>,
) -> String {
    let features: Vec<String> = (0..3)
        .map(|n| {
            let x = lon + f64::from(n) * 0.002;
            let outer = format!(
                "[[{x},{lat}],[{},{lat}],[{},{}],[{x},{}],[{x},{lat}]]",
                x + 0.001,
                x + 0.001,
                lat + 0.001,
                lat + 0.001
            );
            let rings = match (n, hole) {
                (0, Some(h)) => format!("{outer},{h}"),
                _ => outer,
            };
            format!(
                r#"{{"type":"Feature","properties":{{"commune_code":"31150","sheet":1,"parcel":{n}{extra}}},"geometry":{{"type":"Polygon","coordinates":[{rings}]}}}}"#
            )
        })
        .collect();
    std::fs::write(
        path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn impossible_imports_fail_in_one_line_and_change_nothing() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let s = store.to_str().unwrap();
    let good = parcels_geojson(
        &work.path().join("good.geojson"),
        105.1,
        10.0,
        r#","CCCD":"012345678901""#,
        None,
    );
    let import = |src: &str, extra: &[&str]| {
        let mut args = vec!["import", src, "--kind", "parcels", "--store", s, "-q"];
        if !extra.contains(&"--srs") {
            args.extend(["--srs", "EPSG:4326"]);
        }
        args.extend_from_slice(extra);
        quyhoach(&args)
    };
    let out = import(&good, &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A NaN/infinity in a hole: that feature is rejected, nothing panics.
    let holed = parcels_geojson(
        &work.path().join("hole.geojson"),
        105.1,
        10.0,
        "",
        Some("[[105.1002,10.0002],[1e999,10.0002],[105.1004,10.0004],[105.1002,10.0002]]"),
    );
    let out = import(&holed, &["--layer", "holed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("written 2, repaired 0, rejected 1"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("non-finite coordinate"));

    let paris = parcels_geojson(&work.path().join("paris.geojson"), 2.35, 48.85, "", None);
    let garbage = work.path().join("thua_dat.shp");
    std::fs::write(&garbage, b"not a shapefile").unwrap();
    let garbage = garbage.to_str().unwrap();
    let before = store_snapshot(&store, false);
    for (src, extra, expected) in [
        (&good, vec!["--srs", "EPSG:4978"], "geocentric"),
        (&good, vec!["--srs", "EPSG:5773"], "vertical"),
        (&paris, vec![], "3 of 3 features lie outside Vietnam"),
        (
            &good,
            vec!["--map", "address=CCCD"],
            "'CCCD' holds personal data",
        ),
        (
            &garbage.to_string(),
            vec![],
            "not a vector file GDAL can read",
        ),
    ] {
        let out = import(src, &extra);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
        assert_eq!(store_snapshot(&store, false), before, "{extra:?}");
    }
    // Data really elsewhere, explicitly allowed.
    let out = import(&paris, &["--allow-outside-vietnam", "--layer", "paris"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("outside Vietnam"), "{}", stdout(&out));
}

#[test]
fn a_profile_file_names_a_province_s_fields() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let s = store.to_str().unwrap();
    // Parcels whose fields no built-in profile knows.
    let src_path = work.path().join("tinh-x.geojson");
    parcels_geojson(&src_path, 105.1, 10.0, "", None);
    let src = std::fs::read_to_string(&src_path)
        .unwrap()
        .replace("commune_code", "XA")
        .replace("sheet", "TO_BD")
        .replace(r#""parcel""#, r#""THUA_DAT""#);
    std::fs::write(&src_path, src).unwrap();
    let profile = work.path().join("tinh-x.json");
    let import = |profile: &str| {
        quyhoach(&[
            "import",
            src_path.to_str().unwrap(),
            "--kind",
            "parcels",
            "--store",
            s,
            "--srs",
            "EPSG:4326",
            "--profile",
            profile,
            "-q",
        ])
    };
    let p = profile.to_str().unwrap();
    for (text, expected) in [
        (
            r#"{"aliases": {"sheet": ["TO_BD"], "parcell": ["THUA_DAT"]}}"#,
            "'parcell' is not a schema field (fields: address,",
        ),
        (
            r#"{"aliases": {"sheet": ["TO_BD"]"#,
            "not a valid profile file",
        ),
    ] {
        std::fs::write(&profile, text).unwrap();
        let out = import(p);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!store.join("catalog.json").exists(), "{err}");
    }
    let out = import("nope");
    assert!(
        stderr(&out).contains("unknown profile 'nope': auto, cadastral"),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        &profile,
        r#"{"name": "tinh-x", "aliases": {"commune_code": ["Xã"], "sheet": ["TO_BD"], "parcel": ["Thửa đất"]}}"#,
    )
    .unwrap();
    let out = import(p);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("written 3"), "{}", stdout(&out));
    let out = quyhoach(&["info", "--store", s]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 features"), "{}", stdout(&out));
}

#[test]
fn info_reports_temporary_files_of_an_interrupted_import() {
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let s = store.to_str().unwrap();
    let src = parcels_geojson(&work.path().join("p.geojson"), 105.1, 10.0, "", None);
    let import = || {
        quyhoach(&[
            "import",
            &src,
            "--kind",
            "parcels",
            "--store",
            s,
            "--srs",
            "EPSG:4326",
            "-q",
        ])
    };
    assert!(import().status.success());
    // What a killed import leaves: a layer file being written and a catalog being replaced.
    std::fs::write(store.join("layers/.tmp-parcels-99-1"), vec![0u8; 1_200_000]).unwrap();
    std::fs::write(store.join(".catalog.json.tmp-99"), b"{").unwrap();
    let info = quyhoach(&["info", "--store", s]);
    assert!(
        stdout(&info).contains(
            "2 temporary files from an interrupted import (1.2 MB); the next import removes them"
        ),
        "{}",
        stdout(&info)
    );
    let json = quyhoach(&["info", "--store", s, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["temporary_files"]["count"], 2);
    assert_eq!(v["temporary_files"]["bytes"], 1_200_001);
    assert!(v["layers"]["parcels"].is_object());
    let out = import();
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("removed 2 temporary file(s)"),
        "{}",
        stdout(&out)
    );
    let info = quyhoach(&["info", "--store", s]);
    assert!(!stdout(&info).contains("temporary"), "{}", stdout(&info));
    let json = quyhoach(&["info", "--store", s, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["temporary_files"]["count"], 0);
}

#[test]
fn a_url_as_store_is_refused_where_a_directory_is_needed_and_nothing_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let src = shared_data("countries.fgb");
    let src = src.to_str().unwrap();
    let url = "postgresql://quyhoach@127.0.0.1/planning";
    let other = "https://example.org/store";
    let import = |store: &'static str| {
        vec![
            "import",
            src,
            "--kind",
            "boundaries",
            "--srs",
            "EPSG:4326",
            "--store",
            store,
        ]
    };
    for (args, says) in [
        // An announcement's files come from a directory's store.
        (
            vec!["announce", "--plan", "qhpk-2000", "--store", url],
            "this command takes a store directory",
        ),
        // Other URLs than PostgreSQL's are nobody's store.
        (import(other), "a URL of another kind"),
        (vec!["info", "--store", other], "a URL of another kind"),
        (
            vec!["plans", "list", "--store", other],
            "a URL of another kind",
        ),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_quyhoach"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = stderr(&o);
        assert!(err.contains(says), "{args:?}: {err}");
        // Nothing made beside it: no `postgresql:` directory, no archive.
        let made: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(made.is_empty(), "{args:?} made {made:?}");
    }
    // The environment variable is checked alike.
    let o = Command::new(env!("CARGO_BIN_EXE_quyhoach"))
        .args(["announce", "--plan", "qhpk-2000", "--out", "x"])
        .env("QUYHOACH_STORE", url)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(stderr(&o).contains("is a URL"), "{}", stderr(&o));
    // A directory whose name has a colon is still a directory.
    let odd = dir.path().join("store:2026");
    let o = quyhoach(&["info", "--store", odd.to_str().unwrap()]);
    assert!(!stderr(&o).contains("is a URL"), "{}", stderr(&o));
}

#[test]
fn plans_and_layers_go_into_a_postgis_store() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_cli") else {
        return;
    };
    // A password in the URL (trust authentication ignores it) is never printed.
    let url = url.replacen("quyhoach@", "quyhoach:s3cret-pw@", 1);
    let dir = tempfile::tempdir().unwrap();
    let sources = generate(
        &DemoOptions {
            parcels: 200,
            seed: 4,
        },
        &dir.path().join("sources"),
        &|_, _| {},
    )
    .unwrap();
    let plans = sources.plans_file.to_str().unwrap();
    let o = quyhoach(&["plans", "import", plans, "--store", &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    let zones = sources.imports.iter().find(|i| i.kind == "zones").unwrap();
    let plan = zones.plan.clone().unwrap();
    let o = quyhoach(&[
        "import",
        zones.path.to_str().unwrap(),
        "--kind",
        "zones",
        "--srs",
        &zones.srs,
        "--plan",
        &plan,
        "--store",
        &url,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written: u64 = stdout(&o)
        .split(", ")
        .find_map(|part| part.strip_prefix("written "))
        .map(|n| n.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no 'written N' in {}", stdout(&o)));
    assert!(written > 10);
    let info = quyhoach(&["info", "--store", &url]);
    let text = stdout(&info);
    assert!(info.status.success(), "{}", stderr(&info));
    let layer = format!("zones-{plan}");
    assert!(text.contains(&layer) && text.contains(&plan), "{text}");
    let json = quyhoach(&["info", "--store", &url, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["layers"][&layer]["count"], written);
    let list = quyhoach(&["plans", "list", "--store", &url]);
    assert!(stdout(&list).contains(&plan), "{}", stdout(&list));
    let show = quyhoach(&["plans", "show", &plan, "--store", &url, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&show)).unwrap();
    assert_eq!(v["layers"][0]["count"], written);
    let missing = quyhoach(&["plans", "show", "nope", "--store", &url]);
    assert!(!missing.status.success());
    // Adding and removing plans: a plan a layer uses stays, with the layer named; an unused
    // one goes; an unknown one is said so.
    let add = quyhoach(&[
        "plans",
        "add",
        "--store",
        &url,
        "--id",
        "qhct-test",
        "--name",
        "Quy hoạch chi tiết thử",
        "--level",
        "detailed_500",
        "--decision",
        "12/QĐ-UBND",
        "--decision-date",
        "2026-01-05",
        "--authority",
        "UBND huyện Thử",
    ]);
    assert!(add.status.success(), "{}", stderr(&add));
    let list = quyhoach(&["plans", "list", "--store", &url]);
    assert!(stdout(&list).contains("qhct-test"), "{}", stdout(&list));
    let in_use = quyhoach(&["plans", "remove", &plan, "--store", &url]);
    assert!(!in_use.status.success());
    assert!(
        stderr(&in_use).contains(&format!("plan '{plan}' is used by layer(s) {layer}")),
        "{}",
        stderr(&in_use)
    );
    let gone = quyhoach(&["plans", "remove", "qhct-test", "--store", &url]);
    assert!(gone.status.success(), "{}", stderr(&gone));
    let unknown = quyhoach(&["plans", "remove", "qhct-test", "--store", &url]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("unknown plan 'qhct-test'"),
        "{}",
        stderr(&unknown)
    );
    let list = quyhoach(&["plans", "list", "--store", &url]);
    assert!(
        !stdout(&list).contains("qhct-test") && stdout(&list).contains(&plan),
        "{}",
        stdout(&list)
    );
    // A zone layer naming a plan the database lacks: one clear line, nothing imported.
    let o = quyhoach(&[
        "import",
        zones.path.to_str().unwrap(),
        "--kind",
        "zones",
        "--srs",
        &zones.srs,
        "--plan",
        "no-such-plan",
        "--store",
        &url,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no-such-plan"), "{}", stderr(&o));
    let json = quyhoach(&["info", "--store", &url, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["layers"].as_object().unwrap().len(), 1);
    // No server there: one clear line, no password.
    let o = quyhoach(&[
        "info",
        "--store",
        "postgresql://quyhoach:s3cret-pw@127.0.0.1:1/none",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("PostgreSQL"), "{}", stderr(&o));
    for out in [&info, &list, &show, &missing, &o, &add, &in_use, &unknown] {
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(
            !all.contains("s3cret-pw"),
            "the password was printed: {all}"
        );
    }
}

#[test]
fn tiles_from_a_postgis_store_are_the_embedded_stores_bytes() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_cli") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sources = generate(
        &DemoOptions {
            parcels: 1500,
            seed: 6,
        },
        &dir.path().join("sources"),
        &|_, _| {},
    )
    .unwrap();
    let store = dir.path().join("store");
    quyhoach_data::demo::import_sources(&sources, &store, false, &[]).unwrap();
    quyhoach_data::demo::import_sources(&sources, std::path::Path::new(&url), false, &[]).unwrap();
    let mut outs = Vec::new();
    for (name, s) in [("dir", store.to_str().unwrap()), ("pg", url.as_str())] {
        for (tileset, extra) in [
            ("planning", vec![]),
            ("parcels", vec!["--commune", "31150"]),
        ] {
            let out = dir.path().join(format!("{name}-{tileset}.pmtiles"));
            let mut args = vec![
                "tiles",
                "--store",
                s,
                "--tileset",
                tileset,
                "--minzoom",
                "10",
                "--maxzoom",
                "17",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ];
            args.extend(extra);
            let o = quyhoach(&args);
            assert!(o.status.success(), "{name} {tileset}: {}", stderr(&o));
            outs.push((format!("{name} {tileset}"), std::fs::read(&out).unwrap()));
        }
    }
    assert!(
        outs[0].1.len() > 100_000,
        "a small archive: {}",
        outs[0].1.len()
    );
    assert!(outs[0].1 == outs[2].1, "the combined archives differ");
    assert!(
        outs[1].1 == outs[3].1,
        "the commune's parcel archives differ"
    );
    // An unknown commune or tile set: the same refusal from both.
    for s in [store.to_str().unwrap(), url.as_str()] {
        let o = quyhoach(&[
            "tiles",
            "--store",
            s,
            "--commune",
            "99999",
            "--out",
            "x.pmtiles",
        ]);
        assert!(
            stderr(&o).contains("no commune with code '99999'"),
            "{}",
            stderr(&o)
        );
        let o = quyhoach(&[
            "tiles",
            "--store",
            s,
            "--tileset",
            "nope",
            "--out",
            "x.pmtiles",
        ]);
        assert!(
            stderr(&o).contains("unknown tile set 'nope'"),
            "{}",
            stderr(&o)
        );
    }
}
