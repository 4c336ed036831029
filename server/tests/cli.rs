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
