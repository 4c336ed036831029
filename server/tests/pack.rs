//! `quyhoach workshop pack`, the offline workshop kit, as a trainer runs it: the cropped
//! store holds exactly what GDAL's own spatial filter finds in the commune's box (same
//! features, same geometry, same attributes), the plans and layer metadata are kept, no
//! personal data travels, the kit's store loads, and bad input gives one clear error and
//! leaves nothing behind. The kit running with no network is `web/tests/e2e-offline.mjs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use quyhoach_data::index::Index;
use quyhoach_data::schema::Kind;
use quyhoach_data::store::Store;
use quyhoach_server::demo::{build_demo, DemoBuild};
use serde_json::Value;

fn quyhoach(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quyhoach"))
        .args(args)
        .output()
        .expect("running quyhoach")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn run(program: &str, args: &[&str]) -> String {
    let o = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(
        o.status.success(),
        "{program} {args:?}: {}",
        text(&o.stderr)
    );
    text(&o.stdout)
}

/// A demo store whose parcels keep the owners' names (as `private_*`), so the kit's
/// leaving them out is seen.
fn demo_store(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    build_demo(&DemoBuild {
        store: store.clone(),
        parcels: 3000,
        seed: 1,
        verbose: false,
        keep_personal: vec!["TenChu".into()],
    })
    .expect("building the demo store");
    store
}

/// The communes of a boundaries layer as GDAL reads them: code → bounding box.
fn communes_by_gdal(file: &Path) -> Vec<(String, [f64; 4])> {
    let json: Value = serde_json::from_str(&run(
        "ogr2ogr",
        &["-f", "GeoJSON", "/vsistdout/", file.to_str().unwrap()],
    ))
    .unwrap();
    let mut out = Vec::new();
    for f in json["features"].as_array().unwrap() {
        let code = f["properties"]["code"].as_str().unwrap().to_string();
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        fn walk(v: &Value, b: &mut [f64; 4]) {
            let a = v.as_array().unwrap();
            if a.first().is_some_and(Value::is_number) {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            } else {
                a.iter().for_each(|p| walk(p, b));
            }
        }
        walk(&f["geometry"]["coordinates"], &mut b);
        out.push((code, b));
    }
    out
}

/// `ogrinfo -so` feature count of a layer file, with an optional spatial filter.
fn gdal_count(file: &Path, layer: &str, spat: Option<[f64; 4]>) -> u64 {
    let mut args: Vec<String> = vec!["-ro".into(), "-so".into()];
    if let Some(b) = spat {
        args.push("-spat".into());
        args.extend(b.iter().map(|v| format!("{v:.12}")));
    }
    args.push(file.to_str().unwrap().into());
    args.push(layer.into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run("ogrinfo", &argv);
    out.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count from ogrinfo {argv:?}:\n{out}"))
        .trim()
        .parse()
        .unwrap()
}

/// Every feature of a layer file as GDAL writes it to CSV (WKT geometry, the given
/// columns), sorted: equal lists mean the same features, shapes and attributes.
fn gdal_rows(file: &Path, columns: &[String], spat: Option<[f64; 4]>) -> Vec<String> {
    let select = columns.join(",");
    let mut args: Vec<String> = vec![
        "-f".into(),
        "CSV".into(),
        "/vsistdout/".into(),
        "-lco".into(),
        "GEOMETRY=AS_WKT".into(),
        "-select".into(),
        select,
    ];
    if let Some(b) = spat {
        args.push("-spat".into());
        args.extend(b.iter().map(|v| format!("{v:.12}")));
    }
    args.push(file.to_str().unwrap().into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut rows: Vec<String> = run("ogr2ogr", &argv).lines().map(String::from).collect();
    rows.sort();
    rows
}

/// The field names GDAL sees in a layer file.
fn gdal_fields(file: &Path, layer: &str) -> Vec<String> {
    run("ogrinfo", &["-ro", "-so", file.to_str().unwrap(), layer])
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(": ")?;
            (!name.contains(' ')
                && ["String", "Integer", "Real", "Integer64"]
                    .iter()
                    .any(|t| rest.starts_with(t)))
            .then(|| name.to_string())
        })
        .collect()
}

/// Entries of a directory (names), to see that nothing was left behind.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn the_kit_holds_what_gdal_finds_in_the_commune_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = demo_store(dir.path());
    let source = Store::open(&store_dir).unwrap();
    let (boundaries_id, boundaries) = source
        .catalog
        .layers
        .iter()
        .find(|(_, l)| l.kind == Kind::Boundaries)
        .expect("a boundaries layer");
    // The smallest commune (by its box), so the crop leaves much out.
    let communes = communes_by_gdal(&source.layer_path(boundaries));
    assert!(communes.len() >= 2, "{communes:?}");
    let (code, commune_box) = communes
        .iter()
        .min_by(|a, b| {
            let area = |b: &[f64; 4]| (b[2] - b[0]) * (b[3] - b[1]);
            area(&a.1).total_cmp(&area(&b.1))
        })
        .cloned()
        .unwrap();

    // Two diagonal roads at the crop box's south-east corner: both boxes overlap it, one
    // road crosses into it, the other passes outside the corner. An R-tree (box) search
    // finds both; the kit must hold only the one GDAL's spatial filter finds.
    let dlat = 100.0 / 111_320.0;
    let dlon = 100.0 / (111_320.0 * commune_box[3].abs().to_radians().cos());
    let (e, s) = (commune_box[2] + dlon, commune_box[1] - dlat);
    let diagonals = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "ngoài góc"}, "geometry": {"type": "LineString",
         "coordinates": [[e - 0.0005, s - 0.002], [e + 0.002, s + 0.0005]]}},
        {"type": "Feature", "properties": {"name": "cắt góc"}, "geometry": {"type": "LineString",
         "coordinates": [[e - 0.0007, s - 0.0003], [e + 0.0003, s + 0.0007]]}},
    ]});
    let diag_file = dir.path().join("diagonals.geojson");
    std::fs::write(&diag_file, diagonals.to_string()).unwrap();
    let o = quyhoach(&[
        "import",
        diag_file.to_str().unwrap(),
        "--kind",
        "roads",
        "--layer",
        "diagonals",
        "--store",
        store_dir.to_str().unwrap(),
        "--srs",
        "EPSG:4326",
        "-q",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::remove_file(&diag_file).unwrap();
    let source = Store::open(&store_dir).unwrap();

    let out = dir.path().join("kit");
    let t0 = std::time::Instant::now();
    let o = quyhoach(&pack_args(
        store_dir.to_str().unwrap(),
        &code,
        out.to_str().unwrap(),
        &["--margin-m", "100"],
    ));
    assert!(o.status.success(), "pack failed: {}", text(&o.stderr));
    let seconds = t0.elapsed().as_secs_f64();
    let stdout = text(&o.stdout);
    let stderr = text(&o.stderr);
    eprintln!("{stderr}{stdout}packed in {seconds:.1}s");
    assert!(
        stderr.contains("[2/6]") && stderr.contains("[6/6]"),
        "progress: {stderr}"
    );
    assert!(stdout.contains(&format!("commune {code}")), "{stdout}");
    assert_eq!(
        entries(dir.path()),
        vec!["kit".to_string(), "store".to_string()],
        "nothing but the kit is left beside it"
    );

    // The box: the commune's boundary box (as GDAL reads it) plus 100 m each side.
    let kit_text = std::fs::read_to_string(out.join("kit.json")).unwrap();
    let kit: Value = serde_json::from_str(&kit_text).unwrap();
    assert_eq!(kit["commune"], code.as_str());
    let bbox: Vec<f64> = serde_json::from_value(kit["bbox"].clone()).unwrap();
    let bbox: [f64; 4] = bbox.try_into().unwrap();
    let dlat = 100.0 / 111_320.0;
    assert!(
        (commune_box[1] - bbox[1] - dlat).abs() < 1e-9,
        "{bbox:?} {commune_box:?}"
    );
    assert!(
        (bbox[3] - commune_box[3] - dlat).abs() < 1e-9,
        "{bbox:?} {commune_box:?}"
    );
    let lat = commune_box[3].abs().to_radians().cos();
    for (west_or_east, d) in [(commune_box[0] - bbox[0]), (bbox[2] - commune_box[2])]
        .into_iter()
        .enumerate()
    {
        let metres = d * 111_320.0 * lat;
        assert!(
            (metres - 100.0).abs() < 1e-6,
            "margin {west_or_east}: {metres} m"
        );
    }

    // Every layer: GDAL's spatial filter on the original file finds exactly the kit's
    // features, with the same shapes and public attributes.
    let kit_store = Store::open(&out.join("store")).unwrap();
    let mut cropped_somewhere = false;
    for (id, entry) in &source.catalog.layers {
        let src_file = source.layer_path(entry);
        let expected = gdal_count(&src_file, id, Some(bbox));
        let Some(kept) = kit_store.catalog.layers.get(id) else {
            assert_eq!(expected, 0, "layer {id} left out but GDAL finds {expected}");
            continue;
        };
        let kit_file = kit_store.layer_path(kept);
        assert_eq!(kept.count, expected, "layer {id}: catalog count");
        assert_eq!(
            gdal_count(&kit_file, id, None),
            expected,
            "layer {id}: file"
        );
        cropped_somewhere |= expected < entry.count;
        let fields = gdal_fields(&kit_file, id);
        assert!(
            fields.iter().all(|f| !f.starts_with("private_")),
            "layer {id} carries personal data: {fields:?}"
        );
        assert_eq!(
            gdal_rows(&kit_file, &fields, None),
            gdal_rows(&src_file, &fields, Some(bbox)),
            "layer {id}: features differ"
        );
        // Metadata kept; the counts, bounds and hash are the kit's own.
        assert_eq!(kept.kind, entry.kind);
        assert_eq!(kept.plan, entry.plan);
        assert_eq!(kept.plans, entry.plans);
        assert_eq!(kept.source, entry.source);
        assert_eq!(kept.imported_at, entry.imported_at);
        assert_eq!(
            kept.columns,
            entry
                .columns
                .iter()
                .filter(|c| !c.name.starts_with("private_"))
                .cloned()
                .collect::<Vec<_>>()
        );
        assert_eq!(kept.summary.get("cropped_from"), Some(&entry.count));
        assert!(
            kept.bounds[0] >= entry.bounds[0] - 1e-9 && kept.bounds[2] <= entry.bounds[2] + 1e-9
        );
    }
    assert!(
        cropped_somewhere,
        "the crop left nothing out: the test proves nothing"
    );
    let parcels = source.catalog.layers.get("parcels").unwrap();
    assert!(
        parcels
            .columns
            .iter()
            .any(|c| c.name.starts_with("private_")),
        "the source store should hold personal data for this test"
    );
    assert!(kit_store
        .catalog
        .layers
        .contains_key(boundaries_id.as_str()));
    assert_eq!(kit_store.catalog.plans, source.catalog.plans, "plans kept");

    // The kit's store loads as the server loads it.
    let index = Index::load(&out.join("store")).expect("the kit's store loads");
    let features: u64 = index.catalog().layers.values().map(|l| l.count).sum();
    assert!(features > 0);

    // The rest of the kit.
    let version = run(out.join("bin/quyhoach").to_str().unwrap(), &["--version"]);
    assert!(version.starts_with("quyhoach"), "{version}");
    assert!(out.join("web/index.html").is_file());
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("web/config.json")).unwrap())
            .unwrap();
    assert!(config["raster_base"].is_null(), "{config}");
    for f in ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"] {
        assert!(
            std::fs::metadata(out.join("fonts").join(f)).unwrap().len() > 100_000,
            "{f}"
        );
    }
    let lessons = quyhoach_server::portal::lessons::builtin_files();
    assert!(!lessons.is_empty());
    for (name, content) in &lessons {
        assert_eq!(
            std::fs::read_to_string(out.join("lessons").join(name)).unwrap(),
            *content,
            "lesson file {name}"
        );
    }
    let readme = std::fs::read_to_string(out.join("README.txt")).unwrap();
    assert!(readme.contains("TIẾNG VIỆT") && readme.contains("ENGLISH"));
    assert!(readme.contains(&code), "README names the area");
    run("bash", &["-n", out.join("start.sh").to_str().unwrap()]);
    let help = run(out.join("start.sh").to_str().unwrap(), &["--help"]);
    assert!(help.contains("--listen"), "{help}");
    use std::os::unix::fs::PermissionsExt;
    for f in ["start.sh", "bin/quyhoach"] {
        let mode = std::fs::metadata(out.join(f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{f} is executable");
    }
    let size = std::fs::metadata(out.join("bin/quyhoach")).unwrap().len();
    let own = std::fs::metadata(env!("CARGO_BIN_EXE_quyhoach"))
        .unwrap()
        .len();
    assert!(
        size <= own,
        "the kit's program is at most this one ({size} > {own})"
    );

    // --force replaces a kit; without it an existing kit is refused and kept.
    let again = quyhoach(&pack_args(
        store_dir.to_str().unwrap(),
        &code,
        out.to_str().unwrap(),
        &["-q"],
    ));
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("exists and is not empty"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(out.join("kit.json")).unwrap(),
        kit_text,
        "the refused pack left the kit as it was"
    );
    std::fs::write(out.join("workshop.sqlite"), b"old state").unwrap();
    let forced = quyhoach(&pack_args(
        store_dir.to_str().unwrap(),
        &code,
        out.to_str().unwrap(),
        &["--margin-m", "0", "--force", "-q"],
    ));
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let kit2: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("kit.json")).unwrap()).unwrap();
    assert_eq!(kit2["margin_m"], 0.0);
    assert!(
        !out.join("workshop.sqlite").exists(),
        "--force makes a fresh kit"
    );
    assert_eq!(
        entries(dir.path()),
        vec!["kit".to_string(), "store".to_string()]
    );
}

/// Runs a pack that must fail; returns its error output after checking that the output's
/// parent directory is as it was.
/// `quyhoach workshop pack --store S --commune C --out O` and more options.
fn pack_args<'a>(store: &'a str, commune: &'a str, out: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "workshop",
        "pack",
        "--store",
        store,
        "--commune",
        commune,
        "--out",
        out,
    ];
    a.extend_from_slice(more);
    a
}

fn pack_fails(args: &[&str], parent: &Path) -> String {
    let before = entries(parent);
    let o = quyhoach(args);
    assert!(!o.status.success(), "{args:?} succeeded");
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert_eq!(entries(parent), before, "{args:?} left something behind");
    err
}

#[test]
fn bad_input_gives_one_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = demo_store(dir.path());
    let store = store_dir.to_str().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let out = work.join("kit");
    let out_s = out.to_str().unwrap();

    let err = pack_fails(&pack_args(store, "99999", out_s, &["-q"]), &work);
    assert!(
        err.contains("no commune with code '99999'") && err.contains("codes there:"),
        "{err}"
    );
    for bad in ["../x", "", "31150;rm"] {
        let err = pack_fails(&pack_args(store, bad, out_s, &["-q"]), &work);
        assert!(
            err.contains("--commune takes a commune code"),
            "{bad}: {err}"
        );
    }
    for bad in ["-5", "NaN", "1e9"] {
        let margin = format!("--margin-m={bad}");
        let err = pack_fails(&pack_args(store, "31150", out_s, &[&margin, "-q"]), &work);
        assert!(err.contains("--margin-m"), "{bad}: {err}");
    }
    let err = pack_fails(
        &pack_args(
            work.join("nostore").to_str().unwrap(),
            "31150",
            out_s,
            &["-q"],
        ),
        &work,
    );
    assert!(err.contains("not a quyhoach store"), "{err}");

    // An existing, non-empty directory is refused and kept.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    let err = pack_fails(&pack_args(store, "31150", out_s, &["-q"]), &work);
    assert!(
        err.contains("exists and is not empty") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");

    // --force never replaces what the kit is made from.
    let err = pack_fails(
        &pack_args(
            store,
            "31150",
            dir.path().to_str().unwrap(),
            &["--force", "-q"],
        ),
        dir.path(),
    );
    assert!(
        err.contains("holds the store") && err.contains("choose another --out"),
        "{err}"
    );
    assert!(Store::open(&store_dir).is_ok(), "the store is still there");

    // A file where the kit would go, and a kit under a file.
    let file = work.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = pack_fails(
        &pack_args(store, "31150", file.to_str().unwrap(), &["-q"]),
        &work,
    );
    assert!(err.contains("is not a directory"), "{err}");
    let err = pack_fails(
        &pack_args(store, "31150", file.join("kit").to_str().unwrap(), &["-q"]),
        &work,
    );
    assert!(err.contains("is not a directory"), "{err}");
    let err = pack_fails(
        &pack_args(
            store,
            "31150",
            work.join("missing/kit").to_str().unwrap(),
            &["-q"],
        ),
        &work,
    );
    assert!(err.contains("does not exist"), "{err}");

    // A directory the trainer cannot write to: a read-only file system (root writes through
    // permission bits, so a read-only mount in a user and mount namespace stands in).
    let ro = work.join("readonly");
    std::fs::create_dir(&ro).unwrap();
    let script = format!(
        "mount -t tmpfs -o ro none '{}' && exec '{}' workshop pack --store '{}' --commune 31150 --out '{}' -q",
        ro.display(),
        env!("CARGO_BIN_EXE_quyhoach"),
        store,
        ro.join("kit").display()
    );
    let o = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .output()
        .expect("running unshare");
    let err = text(&o.stderr);
    assert!(!o.status.success(), "packed into a read-only file system");
    assert!(
        err.contains("cannot write the kit in") && err.contains("Read-only file system"),
        "{err}"
    );
    assert_eq!(entries(&ro), Vec::<String>::new());

    // A trainer's own lesson files: a broken one is refused at pack time, naming the file;
    // edited ones travel as they are.
    let mine = work.join("my-lessons");
    std::fs::create_dir(&mine).unwrap();
    let builtin = quyhoach_server::portal::lessons::builtin_files();
    for (name, content) in &builtin {
        std::fs::write(mine.join(name), content).unwrap();
    }
    let (first, content) = builtin[0];
    std::fs::write(mine.join(first), format!("{content}\n  - : [unclosed\n")).unwrap();
    let err = pack_fails(
        &pack_args(
            store,
            "31150",
            work.join("kit3").to_str().unwrap(),
            &["--lessons", mine.to_str().unwrap(), "-q"],
        ),
        &work,
    );
    assert!(err.contains("--lessons") && err.contains(first), "{err}");
    let edited = content.replacen("vi: ", "vi: (Sửa bởi giảng viên) ", 1);
    assert_ne!(edited, content, "the lesson file has a vi: text to edit");
    std::fs::write(mine.join(first), &edited).unwrap();
    let kit3 = work.join("kit3");
    let o = quyhoach(&pack_args(
        store,
        "31150",
        kit3.to_str().unwrap(),
        &["--lessons", mine.to_str().unwrap(), "-q"],
    ));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(kit3.join("lessons").join(first)).unwrap(),
        edited
    );
    std::fs::remove_dir_all(&kit3).unwrap();

    // A web app that is not built.
    let err = pack_fails(
        &pack_args(
            store,
            "31150",
            work.join("kit2").to_str().unwrap(),
            &["--web-dir", work.to_str().unwrap(), "-q"],
        ),
        &work,
    );
    assert!(err.contains("no index.html"), "{err}");
}

#[test]
fn start_sh_names_the_debian_packages_of_missing_libraries() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = demo_store(dir.path());
    let out = dir.path().join("kit");
    let o = quyhoach(&pack_args(
        store_dir.to_str().unwrap(),
        "31150",
        out.to_str().unwrap(),
        &["-q"],
    ));
    assert!(o.status.success(), "{}", text(&o.stderr));
    // A program that needs a GDAL and a FreeType this laptop does not have: linked against
    // stand-ins that are then removed, as on a laptop without libgdal32 and libfreetype6.
    let build = dir.path().join("build");
    std::fs::create_dir(&build).unwrap();
    std::fs::write(
        build.join("empty.c"),
        "int quyhoach_stand_in(void) { return 0; }\n",
    )
    .unwrap();
    std::fs::write(
        build.join("main.c"),
        "int quyhoach_stand_in(void);\nint main(void) { return quyhoach_stand_in(); }\n",
    )
    .unwrap();
    let b = build.to_str().unwrap();
    for soname in [
        "libgdal.so.99",
        "libfreetype.so.99",
        "libquyhoachnothing.so.1",
    ] {
        run(
            "cc",
            &[
                "-shared",
                "-fPIC",
                "-o",
                &format!("{b}/{soname}"),
                &format!("-Wl,-soname,{soname}"),
                &format!("{b}/empty.c"),
            ],
        );
    }
    run(
        "cc",
        &[
            "-Wl,--no-as-needed",
            "-o",
            out.join("bin/quyhoach").to_str().unwrap(),
            &format!("{b}/main.c"),
            &format!("{b}/libgdal.so.99"),
            &format!("{b}/libfreetype.so.99"),
            &format!("{b}/libquyhoachnothing.so.1"),
        ],
    );
    std::fs::remove_dir_all(&build).unwrap();
    let o = Command::new(out.join("start.sh"))
        .args(["--listen", "127.0.0.1:9"])
        .current_dir("/")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("libgdal.so.99")
            && err.contains("sudo apt-get install libfreetype6 libgdal32"),
        "{err}"
    );
    assert!(
        err.contains("libquyhoachnothing.so.1 (try: apt-file search"),
        "{err}"
    );
    assert!(err.contains("Debian 12"), "{err}");
    assert!(!out.join("workshop.sqlite").exists(), "nothing started");

    // Bad options are refused before anything runs.
    for (args, expected) in [
        (vec!["--listen"], "--listen needs ADDR:PORT"),
        (vec!["--listen", "8080"], "takes ADDR:PORT"),
        (
            vec!["--listen", "0.0.0.0:http"],
            "the port must be a number",
        ),
        (vec!["--bogus"], "unknown option '--bogus'"),
    ] {
        let o = Command::new(out.join("start.sh"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains(expected),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
}
