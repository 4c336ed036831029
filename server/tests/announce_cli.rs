//! `quyhoach announce` as a planning office runs it: one command writes every output of a
//! notice for a demo plan, and each output is judged by a tool we did not write (pdfinfo,
//! pdftotext, ffprobe, soxi) or read as a person reads it. Wrong choices get a clear error
//! and write nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_quyhoach");
const PUBLIC: &str = "https://quyhoach.example.vn";

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("QUYHOACH_DB_URL")
        .env_remove("QUYHOACH_PUBLIC_URL")
        .output()
        .expect("running quyhoach")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "quyhoach failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed by this test (scripts/setup-judges.sh installs it): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of the demo store (the consultation is opened in its own portal database).
fn store_copy(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let status = Command::new("cp")
        .arg("-r")
        .arg(&common::demo().store)
        .arg(&store)
        .status()
        .unwrap();
    assert!(status.success());
    store
}

fn pdf_page(path: &Path) -> (u32, f64, f64) {
    let info = tool("pdfinfo", &[path.to_str().unwrap()]);
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("pdfinfo has no {name}:\n{info}"))
            .split_once(':')
            .unwrap()
            .1
            .trim()
            .to_string()
    };
    let pages: u32 = field("Pages").parse().unwrap();
    // "Page size:      841.89 x 1190.55 pts (A3)"
    let size = field("Page size");
    let mut it = size.split_whitespace();
    let w: f64 = it.next().unwrap().parse().unwrap();
    it.next();
    let h: f64 = it.next().unwrap().parse().unwrap();
    (pages, w, h)
}

fn audio_seconds(path: &Path, codec: &str) -> f64 {
    let p = path.to_str().unwrap();
    let probe = tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,channels:format=duration",
            "-of",
            "json",
            p,
        ],
    );
    let v: Value = serde_json::from_str(&probe).unwrap();
    assert_eq!(v["streams"][0]["codec_name"], codec, "{p}: {probe}");
    let secs: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    // sox reads the MP3 too (Debian's sox has no Opus reader), and agrees on its length.
    if codec == "mp3" {
        let soxi: f64 = tool("soxi", &["-D", p]).trim().parse().unwrap();
        assert!(
            (soxi - secs).abs() < 0.5,
            "{p}: ffprobe says {secs} s, soxi {soxi} s"
        );
    }
    secs
}

/// Every output of one notice, judged.
fn check_outputs(out: &Path, plan_name: &str, expect_consultation: bool) -> Value {
    let record: Value =
        serde_json::from_slice(&std::fs::read(out.join("notice.json")).unwrap()).unwrap();
    assert_eq!(record["plan"]["name"], plan_name);
    for name in quyhoach_server::portal::announce::FILES {
        let len = std::fs::metadata(out.join(name))
            .unwrap_or_else(|e| panic!("{name} was not written: {e}"))
            .len();
        assert!(len > 100, "{name} has {len} bytes");
    }

    // The slides: one HTML file that asks nothing of the network.
    let slides = std::fs::read_to_string(out.join("slides.html")).unwrap();
    assert!(
        slides.to_lowercase().starts_with("<!doctype html"),
        "slides.html: {}",
        &slides[..80.min(slides.len())]
    );
    assert!(slides.contains("lang=\"vi\""));
    for outside in ["src=\"http", "href=\"http://fonts", "@import", "url(http"] {
        assert!(
            !slides.contains(outside),
            "slides.html loads from outside: {outside}"
        );
    }

    // The post: short, its first line says what and where, the link is in it.
    let post = std::fs::read_to_string(out.join("post.txt")).unwrap();
    assert!(
        post.chars().count() <= 2000,
        "post.txt has {} characters",
        post.chars().count()
    );
    let first = post.lines().next().unwrap();
    assert!(first.chars().count() <= 80, "first line too long: {first}");
    let link = if expect_consultation {
        record["links"]["comment"].as_str().unwrap()
    } else {
        record["links"]["notices"].as_str().unwrap()
    };
    assert!(link.starts_with(PUBLIC), "{link}");
    assert!(post.contains(link), "post.txt lacks {link}:\n{post}");

    // The picture: 1200×630.
    let png = image::load_from_memory(&std::fs::read(out.join("post.png")).unwrap()).unwrap();
    assert_eq!((png.width(), png.height()), (1200, 630));

    // The poster and the leaflet: one page each, A3 and A4 portrait, real text.
    for (name, w, h) in [
        ("poster-a3.pdf", 841.89, 1190.55),
        ("leaflet-a4.pdf", 595.28, 841.89),
    ] {
        let path = out.join(name);
        let (pages, pw, ph) = pdf_page(&path);
        assert_eq!(pages, 1, "{name}");
        assert!(
            (pw - w).abs() < 1.0 && (ph - h).abs() < 1.0,
            "{name}: {pw} x {ph} pt"
        );
        let tmp = tempfile::tempdir().unwrap();
        let prefix = tmp.path().join("page");
        tool(
            "pdftoppm",
            &[
                "-r",
                "30",
                "-png",
                path.to_str().unwrap(),
                prefix.to_str().unwrap(),
            ],
        );
        let rendered: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(
            rendered.len(),
            1,
            "{name}: pdftoppm rendered {} pages",
            rendered.len()
        );
        let text = tool("pdftotext", &[path.to_str().unwrap(), "-"]);
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for want in [
            record["plan"]["document_number"].as_str().unwrap(),
            record["area"]["name_vi"].as_str().unwrap(),
        ] {
            assert!(flat.contains(want), "{name} lacks '{want}':\n{flat}");
        }
    }

    // The words spoken: no digit left for the voice; the audio as long as the words.
    let spoken = std::fs::read_to_string(out.join("notice.txt")).unwrap();
    assert!(
        !spoken.chars().any(|c| c.is_ascii_digit()),
        "digits in notice.txt: {spoken}"
    );
    let words = spoken.split_whitespace().count() as f64;
    assert!(words > 40.0, "notice.txt has only {words} words");
    for (name, codec) in [("notice.ogg", "opus"), ("notice.mp3", "mp3")] {
        let secs = audio_seconds(&out.join(name), codec);
        // Vietnamese read aloud: about 2 to 4 syllables a second, pauses included.
        assert!(
            secs > words / 4.5 && secs < words / 1.2,
            "{name}: {secs:.1} s for {words} words"
        );
    }

    // The website fragment: no script.
    let page = std::fs::read_to_string(out.join("page.html")).unwrap();
    assert!(!page.to_lowercase().contains("<script"));
    assert!(page.contains(plan_name.split(' ').next().unwrap()));
    record
}

#[test]
fn one_command_writes_every_output_of_a_consultation_notice() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_copy(dir.path());
    let s = store.to_str().unwrap();
    // The office opens the consultation in the portal; the notice takes its window.
    ok(&run(&[
        "consultations",
        "open",
        "--store",
        s,
        "--plan",
        "qhpk-2000-dc",
        "--title",
        "Lấy ý kiến điều chỉnh cục bộ",
        "--opens",
        "2026-12-05",
        "--closes",
        "2027-01-04",
        "--commune",
        "31150",
    ]));
    let out = dir.path().join("out");
    let o = run(&[
        "announce",
        "--store",
        s,
        "--plan",
        "qhpk-2000-dc",
        "--commune",
        "31150",
        "--out",
        out.to_str().unwrap(),
        "--public-url",
        PUBLIC,
        "--office-address",
        "Số 1 đường 3/2, thị trấn Vĩnh Thanh",
    ]);
    ok(&o);
    // Progress: every file named as it is done.
    let err = String::from_utf8_lossy(&o.stderr);
    for name in quyhoach_server::portal::announce::FILES {
        assert!(err.contains(name), "no progress line for {name}:\n{err}");
    }
    let plan = common::demo().state.index.catalog().plans["qhpk-2000-dc"]
        .name
        .clone();
    let n = check_outputs(&out, &plan, true);
    assert_eq!(n["kind"], "consultation");
    assert_eq!(n["consultation"]["opens"], "2026-12-05");
    assert_eq!(n["consultation"]["closes"], "2027-01-04");
    assert!(n["links"]["comment"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{PUBLIC}/#/consultations/")));
    // What changes adds up: the draft's zones cover the same ground the binding plan gave
    // to other uses.
    let totals = n["totals"].as_array().unwrap();
    let after: f64 = totals.iter().map(|t| t["area_m2"].as_f64().unwrap()).sum();
    let before: f64 = totals
        .iter()
        .map(|t| t["before_m2"].as_f64().unwrap())
        .sum();
    assert!(
        after > 1000.0 && (after - before).abs() / after < 0.01,
        "{after} vs {before}"
    );
    assert_eq!(n["changes_plan"][0], "qhpk-2000");
}

#[test]
fn an_approved_plan_over_a_commune_and_over_its_whole_area() {
    let dir = tempfile::tempdir().unwrap();
    let store = &common::demo().store;
    let plan = common::demo().state.index.catalog().plans["qhpk-2000"]
        .name
        .clone();
    let out = dir.path().join("commune");
    ok(&run(&[
        "announce",
        "--store",
        store.to_str().unwrap(),
        "--plan",
        "qhpk-2000",
        "--commune",
        "31150",
        "--out",
        out.to_str().unwrap(),
        "--public-url",
        PUBLIC,
        "-q",
    ]));
    let n = check_outputs(&out, &plan, false);
    assert_eq!(n["kind"], "approved");
    assert!(n["zones"].as_array().unwrap().len() > 10);
    let pct: f64 = n["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["pct"].as_f64().unwrap())
        .sum();
    assert!((pct - 100.0).abs() < 0.01, "{pct}");
    // The whole plan: no commune, the approving authority publishes.
    let out = dir.path().join("whole");
    ok(&run(&[
        "announce",
        "--store",
        store.to_str().unwrap(),
        "--plan",
        "qhpk-2000",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]));
    let n: Value =
        serde_json::from_slice(&std::fs::read(out.join("notice.json")).unwrap()).unwrap();
    assert!(n["area"]["commune"].is_null());
    assert_eq!(n["office"]["name_vi"], n["plan"]["authority_vi"]);
}

#[test]
fn wrong_choices_are_refused_clearly_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::demo().store.to_str().unwrap().to_string();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--plan", "khong-co"], "no plan 'khong-co'"),
        (
            &["--plan", "qhpk-2000", "--commune", "99999"],
            "no commune '99999'",
        ),
        (
            &[
                "--plan",
                "qhpk-2000-dc",
                "--commune",
                "31153",
                "--closes",
                "2027-01-01",
            ],
            "choose a commune it covers (31150",
        ),
        (
            &["--plan", "qhpk-2000", "--kind", "consultation"],
            "not a draft",
        ),
        (
            &["--plan", "qhpk-2000-dc", "--commune", "31150"],
            "no consultation window",
        ),
        (
            &[
                "--plan",
                "qhpk-2000-dc",
                "--commune",
                "31150",
                "--closes",
                "2026-13-40",
            ],
            "not a date",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["announce", "--store", &store, "--out", o, "-q"];
        all.extend_from_slice(args);
        let r = run(&all);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: wanted '{want}' in: {err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}
