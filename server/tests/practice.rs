//! The practice import of the data-preparation lesson, through the real binary: the samples
//! generated from the store, uploaded and imported in the fenced child, give the facts the
//! lesson checks; hostile uploads get a clear 4xx or 503, read nothing outside the child's
//! directory, leave nothing behind and change nothing served; the operator can turn it off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// `quyhoach serve` with its own state database (servers of parallel tests share the store).
struct Server {
    p: common::process::ServeProcess,
    addr: SocketAddr,
    _db: tempfile::TempDir,
}

impl Server {
    /// `quyhoach serve` on `store` with `reader` as the upload reader.
    fn start(store: &Path, extra: &[&str], reader: &Path) -> Server {
        let db = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quyhoach"));
        cmd.args(["serve", "--quiet", "--listen", "127.0.0.1:0", "--store"])
            .arg(store)
            .args(["--reload-seconds", "0", "--db"])
            .arg(db.path().join("portal.sqlite"))
            .args(extra)
            .env("QUYHOACH_SITE_READER", reader);
        let p = common::process::ServeProcess::spawn(cmd);
        Server {
            addr: p.addr,
            p,
            _db: db,
        }
    }

    fn alive(&mut self) -> bool {
        self.p.alive()
    }

    fn pid(&self) -> u32 {
        self.p.pid()
    }
}

struct Resp {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

fn get(addr: SocketAddr, target: &str) -> Resp {
    let (status, head, body) =
        common::process::http_exchange(addr, "GET", target, &[], b"").unwrap();
    Resp { status, head, body }
}

fn import(addr: SocketAddr, query: &str, body: &[u8]) -> Resp {
    let target = format!("/api/v1/practice/import?{query}");
    let (status, head, body) =
        common::process::http_exchange(addr, "POST", &target, &[], body).unwrap();
    Resp { status, head, body }
}

fn health_ok(addr: SocketAddr) -> bool {
    get(addr, "/api/v1/health").status == 200
}

use common::process::upload_dirs_of;

/// A reader that notes each command it is run with in `log`, optionally sleeps, then runs
/// the real binary: proof that the child process is used, and a slow child for the
/// semaphore.
fn logging_reader(dir: &Path, log: &Path, sleep_s: u32) -> PathBuf {
    let script = dir.join(format!("reader-{sleep_s}.sh"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\nsleep {sleep_s}\nexec '{}' \"$@\"\n",
            log.display(),
            env!("CARGO_BIN_EXE_quyhoach")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    script
}

/// The text values of a `.dbf`'s column, as bytes.
fn dbf_column(dbf: &[u8], column: &str) -> Vec<Vec<u8>> {
    let records = u32::from_le_bytes(dbf[4..8].try_into().unwrap()) as usize;
    let header = u16::from_le_bytes(dbf[8..10].try_into().unwrap()) as usize;
    let record = u16::from_le_bytes(dbf[10..12].try_into().unwrap()) as usize;
    let mut offset = 1; // the deletion flag
    let mut at = None;
    for f in dbf[32..header - 1].chunks(32) {
        let name: String = f[..11]
            .iter()
            .take_while(|b| **b != 0)
            .map(|b| *b as char)
            .collect();
        let len = f[16] as usize;
        if name == column {
            at = Some((offset, len));
        }
        offset += len;
    }
    let (start, len) = at.unwrap_or_else(|| panic!("no column {column}"));
    (0..records)
        .map(|i| {
            let r = &dbf[header + i * record..header + (i + 1) * record];
            let v = &r[start..start + len];
            let end = v.iter().rposition(|b| *b != b' ').map_or(0, |e| e + 1);
            v[..end].to_vec()
        })
        .collect()
}

/// The members of a zip, by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut v).unwrap();
            (f.name().unwrap().to_string(), v)
        })
        .collect()
}

use common::zips::{zip_of, Writer};

fn bytes_of(b: Vec<u8>) -> Writer {
    Box::new(move |w: &mut dyn Write| w.write_all(&b).unwrap())
}

#[test]
fn the_samples_imported_in_the_child_give_the_facts() {
    let demo = common::demo();
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("reader.log");
    let reader = logging_reader(tmp.path(), &log, 0);
    let mut srv = Server::start(&demo.store, &[], &reader);
    let catalog_before = std::fs::read(demo.store.join("catalog.json")).unwrap();
    let layers_before = get(srv.addr, "/api/v1/layers").text();

    // The facts, from importing the samples in-process (the lesson generator's way).
    let facts = quyhoach_server::portal::practice::facts(&*demo.state.index);
    let fact = |k: &str| {
        facts
            .get(k)
            .unwrap_or_else(|| panic!("no fact {k}: {facts:?}"))
    };
    assert_eq!(fact("sample.features"), 20, "{facts:?}");
    assert_eq!(fact("sample.read"), 20);
    assert_eq!(fact("sample.repaired"), 1);
    assert_eq!(fact("sample.rejected"), 0);
    assert_eq!(fact("sample.encoding"), "tcvn3");
    assert_eq!(fact("sample.personal_fields"), 1);
    assert_eq!(fact("sample.personal_field"), "TENCHU");
    assert_eq!(fact("sample.srs"), "vn2000:kien-giang");
    assert_eq!(fact("sample.srs_province"), "Kiên Giang");
    assert_eq!(fact("sample.meridian"), 104.5);
    assert_eq!(fact("mapping.features"), 20);
    assert_eq!(fact("mapping.repaired"), 0);
    assert_eq!(fact("mapping.encoding"), "vni");
    assert_eq!(fact("mapping.srs"), "prj");
    assert_eq!(fact("mapping.sheet_field"), "TO_SO");
    assert_eq!(fact("mapping.parcel_field"), "SO_HIEU");
    assert_eq!(fact("mapping.personal_fields"), 2);

    // The samples over HTTP: zips, the same bytes each time.
    let s1 = get(srv.addr, "/api/v1/practice/samples/thua-dat-tcvn3.zip");
    assert_eq!(s1.status, 200, "{}", s1.text());
    assert!(s1
        .head
        .to_ascii_lowercase()
        .contains("content-type: application/zip"));
    assert_eq!(
        get(srv.addr, "/api/v1/practice/samples/thua-dat-tcvn3.zip").body,
        s1.body
    );
    // Made afresh (not from the server's cache), the files are byte for byte the same.
    let again = quyhoach_data::practice::samples(&*demo.state.index).unwrap();
    assert_eq!(again[0].name, "thua-dat-tcvn3.zip");
    assert_eq!(again[0].bytes, s1.body);
    let s2 = get(srv.addr, "/api/v1/practice/samples/thua-dat-vni.zip");
    assert_eq!(again[1].bytes, s2.body);
    assert_eq!(s2.status, 200);
    let files1 = unzip(&s1.body);
    assert_eq!(
        files1.keys().collect::<Vec<_>>(),
        ["thua_dat.dbf", "thua_dat.shp", "thua_dat.shx"],
        "no .prj in the TCVN3 sample"
    );
    assert!(unzip(&s2.body).contains_key("thua_dat.prj"));
    for bad in [
        "nope.zip",
        "..%2F..%2Fetc%2Fpasswd",
        "thua-dat-tcvn3.zip.bak",
    ] {
        let r = get(srv.addr, &format!("/api/v1/practice/samples/{bad}"));
        assert_eq!(r.status, 404, "{bad}: {}", r.text());
    }

    // The TCVN3 sample: no .prj, so srs=prj is the lesson's first error.
    let r = import(srv.addr, "kind=parcels", &s1.body);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains(".prj"), "{}", r.text());
    assert!(r.json()["hint"]["vi"].is_string());
    // Degrees are the wrong guess: the import's own "not in Vietnam" advice.
    let r = import(srv.addr, "kind=parcels&srs=EPSG:4326", &s1.body);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("does not fall in Vietnam"),
        "{}",
        r.text()
    );
    // The right province: the report, judged by the facts.
    let r = import(
        srv.addr,
        "kind=parcels&srs=vn2000:kien-giang&encoding=auto",
        &s1.body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let rep = r.json();
    assert_eq!(rep["written"], *fact("sample.features"));
    assert_eq!(rep["repaired_count"], *fact("sample.repaired"));
    assert_eq!(rep["encoding"], *fact("sample.encoding"));
    assert_eq!(rep["encoding_detected"], true);
    assert_eq!(
        rep["personal_fields_dropped"],
        serde_json::json!(["TENCHU"])
    );
    assert_eq!(rep["field_map"]["sheet"], "SOTO");
    assert_eq!(rep["source"], "thua_dat.shp");
    assert!(rep["summary"]["vi"].as_str().unwrap().contains("TCVN3"));
    assert!(rep["summary"]["en"].as_str().unwrap().contains("1 invalid"));
    // No owner's name reaches the answer, in TCVN3 bytes or decoded.
    let text = r.text();
    let owners = dbf_column(&files1["thua_dat.dbf"], "TENCHU");
    assert_eq!(owners.len(), 20);
    for raw in &owners {
        let latin1: String = raw.iter().map(|b| char::from(*b)).collect();
        let decoded =
            quyhoach_data::encoding::decode(raw, quyhoach_data::encoding::TextEncoding::Tcvn3);
        assert!(decoded.chars().count() > 5, "{decoded}");
        assert!(
            !text.contains(&latin1) && !text.contains(&decoded),
            "{decoded} in {text}"
        );
    }
    // A feature without geometry is rejected with its reason; the others are imported.
    let gj = br#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"SoTo":1,"SoThua":2,"MaXa":"31150"},"geometry":{"type":"Polygon","coordinates":[[[105.11,9.95],[105.111,9.95],[105.111,9.951],[105.11,9.95]]]}},
        {"type":"Feature","properties":{"SoTo":1,"SoThua":3,"MaXa":"31150"},"geometry":null}]}"#;
    let r = import(srv.addr, "srs=EPSG:4326", gj);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["written"], 1);
    assert_eq!(r.json()["rejected"][0]["reason"], "no geometry");
    // The wrong province is a warning, as on the command line.
    let r = import(srv.addr, "srs=vn2000:ha-noi", &s1.body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["warnings"][0].as_str().unwrap().contains("Hà Nội"));

    // The VNI sample: its field names need map=.
    let r = import(srv.addr, "srs=prj", &s2.body);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("map=sheet="), "{}", r.text());
    let r = import(
        srv.addr,
        "srs=prj&map=sheet=TO_SO&map=parcel=SO_HIEU",
        &s2.body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let rep = r.json();
    assert_eq!(rep["written"], *fact("mapping.features"));
    assert_eq!(rep["encoding"], *fact("mapping.encoding"));
    assert_eq!(rep["field_map"]["parcel"], *fact("mapping.parcel_field"));
    // A personal field cannot be mapped into a public one.
    let r = import(srv.addr, "srs=prj&map=sheet=CHUSUDUNG", &s2.body);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("personal data"), "{}", r.text());
    // Bad parameters cost no child.
    let children = std::fs::read_to_string(&log).unwrap().lines().count();
    for q in [
        "kind=zones",
        "srs=vn2000:atlantis",
        "encoding=klingon",
        "map=nope",
        "map=floors=X",
        "profile=nope",
        "srs=prj&srs=prj",
        "bogus=1",
    ] {
        let r = import(srv.addr, q, &s2.body);
        assert_eq!(r.status, 400, "{q}: {}", r.text());
        assert!(r.json()["detail"].as_str().unwrap().len() > 10);
    }
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        children
    );
    // Every import ran in the child; nothing is left behind; the served data is unchanged.
    let commands = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        commands
            .lines()
            .filter(|l| *l == "__practice-import")
            .count(),
        8,
        "{commands}"
    );
    assert!(upload_dirs_of(srv.pid()).is_empty());
    assert_eq!(
        std::fs::read(demo.store.join("catalog.json")).unwrap(),
        catalog_before
    );
    assert_eq!(get(srv.addr, "/api/v1/layers").text(), layers_before);
    assert!(srv.alive() && health_ok(srv.addr));
}

/// A GeoPackage of one WGS 84 polygon made by ogr2ogr, then given a trigger, views and a
/// `gpkg_contents` row naming a file instead of a table.
fn hostile_gpkg(dir: &Path, canary: &Path) -> Vec<u8> {
    let gj = dir.join("one.geojson");
    std::fs::write(
        &gj,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"sheet":1,"parcel":2,"commune_code":"31150"},"geometry":{"type":"Polygon","coordinates":[[[105.11,9.95],[105.111,9.95],[105.111,9.951],[105.11,9.951],[105.11,9.95]]]}}]}"#,
    )
    .unwrap();
    let gpkg = dir.join("hostile.gpkg");
    let ok = Command::new("ogr2ogr")
        .args(["-f", "GPKG", "-nln", "thua"])
        .arg(&gpkg)
        .arg(&gj)
        .status()
        .expect("ogr2ogr");
    assert!(ok.success());
    let db = rusqlite::Connection::open(&gpkg).unwrap();
    let c = canary.display();
    db.execute_batch(&format!(
        "CREATE TRIGGER t AFTER INSERT ON thua BEGIN SELECT load_extension('{c}'); END;
         CREATE VIEW passwd AS SELECT * FROM thua;
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
           VALUES ('{c}', 'features', '{c}', 4326);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
           VALUES ('passwd', 'features', 'passwd', 4326);"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    drop(db);
    std::fs::read(&gpkg).unwrap()
}

#[test]
fn hostile_practice_uploads_get_4xx_read_nothing_and_leave_nothing() {
    let demo = common::demo();
    let tmp = tempfile::tempdir().unwrap();
    let canary = tmp.path().join("canary.txt");
    let secret = format!("CANARY-{}-{}", std::process::id(), line!());
    std::fs::write(&canary, format!("{secret},105.11,9.95\n{secret},1,2\n")).unwrap();
    let escape = tmp.path().join("escaped.geojson");
    let mut srv = Server::start(&demo.store, &[], Path::new(env!("CARGO_BIN_EXE_quyhoach")));
    let c = canary.display().to_string();
    let vrt = format!(
        r#"<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{c}</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"#
    );
    let gj_polygon = r#"{"type":"Feature","properties":{"SoTo":1,"SoThua":2,"MaXa":"31150"},"geometry":{"type":"Polygon","coordinates":[[[105.11,9.95],[105.111,9.95],[105.111,9.951],[105.11,9.95]]]}}"#;
    // name, query, body, the statuses accepted
    let mut cases: Vec<(&str, &str, Vec<u8>, &[u16])> = vec![
        (
            "zip bomb",
            "srs=EPSG:4326",
            zip_of(vec![(
                "a.shp",
                Box::new(|w: &mut dyn Write| {
                    let chunk = vec![0u8; 1 << 20];
                    for _ in 0..40 {
                        w.write_all(&chunk).unwrap();
                    }
                }),
            )]),
            &[413],
        ),
        ("bare VRT", "srs=EPSG:4326", vrt.clone().into_bytes(), &[422]),
        (
            "VRT in a zip",
            "srs=EPSG:4326",
            zip_of(vec![("thua.vrt", bytes_of(vrt.clone().into_bytes()))]),
            &[422],
        ),
        (
            "CSV in a zip",
            "srs=EPSG:4326",
            zip_of(vec![(
                "thua.csv",
                bytes_of(format!("WKT,x\n\"POINT(105 9)\",{c}\n").into_bytes()),
            )]),
            &[422],
        ),
        (
            "path traversal",
            "srs=EPSG:4326",
            zip_of(vec![(
                &format!("../../../../../..{}", escape.display()),
                bytes_of(gj_polygon.as_bytes().to_vec()),
            )]),
            &[200, 400, 422],
        ),
        (
            "a .shp that is text",
            "srs=EPSG:4326",
            zip_of(vec![
                ("thua.shp", bytes_of(format!("hello {c}\n").into_bytes())),
                ("thua.shx", bytes_of(b"not an index".to_vec())),
                ("thua.dbf", bytes_of(b"not a table".to_vec())),
            ]),
            &[422],
        ),
        (
            "huge coordinates",
            "srs=EPSG:4326",
            br#"{"type":"Feature","properties":{"SoTo":1,"SoThua":2,"MaXa":"31150"},"geometry":{"type":"Polygon","coordinates":[[[1e300,9.95],[105.111,1e300],[105.111,9.951],[1e300,9.95]]]}}"#.to_vec(),
            &[400, 422],
        ),
        (
            "a polygon of 1.9 million vertices (30 MiB unpacked)",
            "srs=EPSG:4326",
            {
                // One ring going back and forth on a line: 1.9 M vertices, deflated to little.
                let n: u64 = 1_900_000;
                let content = 4 + 32 + 4 + 4 + 4 + n * 16;
                let mut head = vec![0u8; 100];
                head[..4].copy_from_slice(&9994u32.to_be_bytes());
                head[24..28].copy_from_slice(&(((100 + 8 + content) / 2) as u32).to_be_bytes());
                head[28..32].copy_from_slice(&1000u32.to_le_bytes());
                head[32..36].copy_from_slice(&5u32.to_le_bytes());
                let mut shx = head.clone();
                shx[24..28].copy_from_slice(&54u32.to_be_bytes());
                shx.extend_from_slice(&50u32.to_be_bytes());
                shx.extend_from_slice(&((content / 2) as u32).to_be_bytes());
                zip_of(vec![
                    (
                        "big.shp",
                        Box::new(move |w: &mut dyn Write| {
                            w.write_all(&head).unwrap();
                            w.write_all(&1u32.to_be_bytes()).unwrap();
                            w.write_all(&((content / 2) as u32).to_be_bytes()).unwrap();
                            w.write_all(&5u32.to_le_bytes()).unwrap();
                            for v in [105.0f64, 9.9, 105.2, 10.0] {
                                w.write_all(&v.to_le_bytes()).unwrap();
                            }
                            w.write_all(&1u32.to_le_bytes()).unwrap();
                            w.write_all(&(n as u32).to_le_bytes()).unwrap();
                            w.write_all(&0u32.to_le_bytes()).unwrap();
                            let mut buf = Vec::with_capacity(1 << 20);
                            for i in 0..n {
                                let x = if i % 2 == 0 { 105.1 } else { 105.2 };
                                buf.extend_from_slice(&f64::to_le_bytes(x));
                                buf.extend_from_slice(&f64::to_le_bytes(9.95));
                                if buf.len() >= 1 << 20 {
                                    w.write_all(&buf).unwrap();
                                    buf.clear();
                                }
                            }
                            w.write_all(&buf).unwrap();
                        }),
                    ),
                    ("big.shx", bytes_of(shx)),
                ])
            },
            &[413, 422],
        ),
        (
            "a GeoJSON polygon of 60,000 vertices",
            "srs=EPSG:4326",
            {
                let ring: Vec<String> = (0..60_000)
                    .map(|i| format!("[105.{:05},9.9{}]", i, i % 2))
                    .chain(std::iter::once("[105.00000,9.90]".to_string()))
                    .collect();
                format!(
                    r#"{{"type":"Feature","properties":{{"SoTo":1,"SoThua":2,"MaXa":"31150"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
                    ring.join(",")
                )
                .into_bytes()
            },
            &[413],
        ),
        (
            "GeoPackage with a trigger, views and gpkg_contents naming a file",
            "srs=prj",
            hostile_gpkg(tmp.path(), &canary),
            &[200, 400, 422],
        ),
        ("KML", "srs=prj", br#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document></Document></kml>"#.to_vec(), &[422]),
        ("3 MB", "srs=prj", vec![b' '; 3 * 1024 * 1024], &[413]),
        ("empty", "srs=prj", Vec::new(), &[400]),
        ("not a file", "srs=prj", b"hello".to_vec(), &[422]),
    ];
    // Symlinks: one to the canary, as the whole upload and beside a real GeoJSON.
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        w.add_symlink("thua.geojson", &c, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.finish().unwrap();
    }
    cases.push(("symlink", "srs=EPSG:4326", out.into_inner(), &[422]));

    let mut bodies = String::new();
    for (name, query, body, accepted) in &cases {
        let t0 = Instant::now();
        let r = import(srv.addr, query, body);
        eprintln!(
            "{name}: {} in {:?}: {}",
            r.status,
            t0.elapsed(),
            r.text().chars().take(240).collect::<String>()
        );
        assert!(
            accepted.contains(&r.status),
            "{name}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            t0.elapsed() < Duration::from_secs(25),
            "{name}: {:?}",
            t0.elapsed()
        );
        if r.status != 200 {
            assert!(
                r.head
                    .to_ascii_lowercase()
                    .contains("application/problem+json"),
                "{name}: {}",
                r.head
            );
            let detail = r.json()["detail"].as_str().unwrap_or("").to_string();
            assert!(detail.len() > 10, "{name}: {}", r.text());
            assert!(!detail.contains("/tmp"), "{name}: {detail}");
        }
        bodies.push_str(&r.text());
        assert!(health_ok(srv.addr), "{name}: the server stopped answering");
    }
    assert!(!bodies.contains(&secret), "the canary leaked: {bodies}");
    assert!(
        !escape.exists(),
        "a zip entry was written outside its directory"
    );
    assert!(upload_dirs_of(srv.pid()).is_empty());
    assert!(srv.alive() && health_ok(srv.addr));
}

#[test]
fn a_busy_practice_import_answers_503_with_retry_after_and_turned_off_is_404() {
    let demo = common::demo();
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("slow.log");
    // Each child waits 6 s before it starts: two hold the slots past the queue's wait.
    let slow = logging_reader(tmp.path(), &log, 6);
    let srv = Server::start(&demo.store, &[], &slow);
    let sample = get(srv.addr, "/api/v1/practice/samples/thua-dat-tcvn3.zip").body;
    let addr = srv.addr;
    let handles: Vec<_> = (0..5)
        .map(|_| {
            let s = sample.clone();
            std::thread::spawn(move || {
                let r = import(addr, "srs=vn2000:kien-giang", &s);
                (r.status, r.head.clone(), r.text())
            })
        })
        .collect();
    let results: Vec<(u16, String, String)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ok = results.iter().filter(|r| r.0 == 200).count();
    let busy: Vec<_> = results.iter().filter(|r| r.0 == 503).collect();
    assert_eq!(
        ok,
        quyhoach_server::upload::MAX_CONCURRENT_PRACTICE,
        "{results:?}"
    );
    assert_eq!(busy.len(), 5 - ok, "{results:?}");
    for (_, head, text) in &busy {
        assert!(
            head.to_ascii_lowercase().contains("retry-after: 5"),
            "{head}"
        );
        assert!(text.contains("try again"), "{text}");
    }
    assert!(health_ok(srv.addr));
    drop(srv);

    // Turned off by the operator: 404 in the visitor's language, no child started.
    let off_log = tmp.path().join("off.log");
    let reader = logging_reader(tmp.path(), &off_log, 0);
    let srv = Server::start(&demo.store, &["--no-practice-import"], &reader);
    let r = import(srv.addr, "srs=vn2000:kien-giang", &sample);
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.text().contains("tắt"), "{}", r.text());
    let r = import(srv.addr, "srs=vn2000:kien-giang&lang=en", &sample);
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["detail"],
        "the practice import is turned off on this server"
    );
    assert!(
        !off_log.exists(),
        "a child ran while the practice import was off"
    );
    assert!(health_ok(srv.addr));
}
