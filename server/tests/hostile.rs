//! The real server on a socket against hostile visitors: uploads that try to read files or
//! reach the network, zip bombs, giant polygons, NaN, forged proxy headers, idle connections
//! by the thousand — and an import into the served store under load; and random requests at
//! every route, the two-way ones (questions, Q&A, consultations, follows, feeds, sign-in,
//! the officials' routes with forged cookies, CSRF tokens and origins) included.
//!
//! Each test starts `quyhoach serve` (the binary) on an OS-chosen port and talks to it with a
//! plain HTTP/1.1 client written here, so nothing between the two is ours but the server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: SocketAddr,
    out: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `quyhoach serve` on `store`, optionally under `prlimit` (open files).
    fn start(store: &Path, extra: &[&str], nofile: Option<u32>) -> Server {
        Self::start_with_reader(
            store,
            extra,
            nofile,
            Path::new(env!("CARGO_BIN_EXE_quyhoach")),
        )
    }

    /// The same with another program as the upload reader.
    fn start_with_reader(
        store: &Path,
        extra: &[&str],
        nofile: Option<u32>,
        reader: &Path,
    ) -> Server {
        let bin = env!("CARGO_BIN_EXE_quyhoach");
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args(["serve", "--quiet", "--listen", "127.0.0.1:0", "--store"])
            .arg(store)
            .args(extra)
            .env("QUYHOACH_SITE_READER", reader)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("starting quyhoach serve");
        let stdout = child.stdout.take().unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on http://").nth(1) {
                    let addr = rest.split('/').next().unwrap().to_string();
                    let _ = tx.send(addr);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server did not start")
            .parse()
            .unwrap();
        Server { child, addr, out }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
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
}

/// One request on a fresh connection (`Connection: close`).
fn http(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let (status, head, body) = common::process::http_exchange(addr, method, target, headers, body)?;
    Ok(Resp { status, head, body })
}

fn get(addr: SocketAddr, target: &str) -> Resp {
    http(addr, "GET", target, &[], b"").unwrap()
}

fn upload(addr: SocketAddr, body: &[u8]) -> Resp {
    http(addr, "POST", "/api/v1/sites/parse", &[], body).unwrap()
}

fn health_ok(addr: SocketAddr) -> bool {
    let t0 = Instant::now();
    let ok = http(addr, "GET", "/api/v1/health", &[], b"").is_ok_and(|r| r.status == 200);
    ok && t0.elapsed() < Duration::from_secs(3)
}

use common::zips::{zip_of, Writer};

fn zeros(w: &mut dyn Write, mut n: u64) {
    let chunk = vec![0u8; 1 << 20];
    while n > 0 {
        let k = n.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..k]).unwrap();
        n -= k as u64;
    }
}

/// The 100-byte header of a polygon Shapefile or its index, `words` 16-bit words long.
fn shp_header(words: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(100);
    h.extend_from_slice(&9994u32.to_be_bytes());
    h.extend_from_slice(&[0u8; 20]);
    h.extend_from_slice(&words.to_be_bytes());
    h.extend_from_slice(&1000u32.to_le_bytes());
    h.extend_from_slice(&5u32.to_le_bytes());
    for v in [105.0f64, 9.9, 105.2, 10.0, 0.0, 0.0, 0.0, 0.0] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h
}

/// A one-record `.dbf` with one numeric field.
fn dbf() -> Vec<u8> {
    let mut d = vec![0x03, 126, 1, 1];
    d.extend_from_slice(&1u32.to_le_bytes());
    d.extend_from_slice(&65u16.to_le_bytes());
    d.extend_from_slice(&11u16.to_le_bytes());
    d.extend_from_slice(&[0u8; 20]);
    let mut field = [0u8; 32];
    field[..2].copy_from_slice(b"ID");
    field[11] = b'N';
    field[16] = 10;
    d.extend_from_slice(&field);
    d.push(0x0D);
    d.extend_from_slice(b"          1");
    d.push(0x1A);
    d
}

const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// A zipped Shapefile whose one polygon declares `points` vertices, all zeros but the
/// header (the vertices are really there: the `.shp` is `16 × points` bytes long).
fn giant_polygon_zip(points: u64) -> Vec<u8> {
    let content_bytes = 4 + 32 + 4 + 4 + 4 + points * 16;
    let shp_words = ((100 + 8 + content_bytes) / 2) as u32;
    let mut shx = shp_header(54);
    shx.extend_from_slice(&50u32.to_be_bytes());
    shx.extend_from_slice(&((content_bytes / 2) as u32).to_be_bytes());
    zip_of(vec![
        (
            "bomb.shp",
            Box::new(move |w: &mut dyn Write| {
                w.write_all(&shp_header(shp_words)).unwrap();
                w.write_all(&1u32.to_be_bytes()).unwrap();
                w.write_all(&((content_bytes / 2) as u32).to_be_bytes())
                    .unwrap();
                w.write_all(&5u32.to_le_bytes()).unwrap();
                for v in [105.0f64, 9.9, 105.2, 10.0] {
                    w.write_all(&v.to_le_bytes()).unwrap();
                }
                w.write_all(&1u32.to_le_bytes()).unwrap();
                w.write_all(&(points as u32).to_le_bytes()).unwrap();
                w.write_all(&0u32.to_le_bytes()).unwrap();
                zeros(w, points * 16);
            }),
        ),
        (
            "bomb.shx",
            Box::new(move |w: &mut dyn Write| w.write_all(&shx).unwrap()),
        ),
        (
            "bomb.dbf",
            Box::new(|w: &mut dyn Write| w.write_all(&dbf()).unwrap()),
        ),
        (
            "bomb.prj",
            Box::new(|w: &mut dyn Write| w.write_all(WGS84_PRJ.as_bytes()).unwrap()),
        ),
    ])
}

use common::process::upload_dirs_of;

/// Accepts connections on a local port and counts them: a trap for requests an upload
/// might make the server send.
fn trap() -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            if c.is_ok() {
                h.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (port, hits)
}

const SQUARE: &str = "[[105.11,9.95],[105.111,9.95],[105.111,9.951],[105.11,9.951],[105.11,9.95]]";

#[test]
fn uploads_cannot_read_local_files_or_reach_the_network() {
    let mut srv = Server::start(&common::demo().store, &[], None);
    let (port, hits) = trap();
    // A VRT that would read the server's own files, alone and zipped.
    let vrt = format!(
        r#"<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource><SrcSQL>SELECT * FROM x</SrcSQL></OGRVRTLayer><OGRVRTLayer name="y"><SrcDataSource>/vsicurl/http://127.0.0.1:{port}/x.geojson</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"#
    );
    let r = upload(srv.addr, vrt.as_bytes());
    assert_eq!(r.status, 422, "{}", r.text());
    let z = {
        let v = vrt.clone();
        zip_of(vec![(
            "site.vrt",
            Box::new(move |w: &mut dyn Write| w.write_all(v.as_bytes()).unwrap()),
        )])
    };
    let r = upload(srv.addr, &z);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("site.vrt"), "{}", r.text());
    // A GeoJSON whose CRS is a link, and a KML with a network link, to the trap.
    let gj = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"link","properties":{{"href":"http://127.0.0.1:{port}/crs.wkt","type":"ogcwkt"}}}},"features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[{SQUARE}]}}}}]}}"#
    );
    let r = upload(srv.addr, gj.as_bytes());
    assert!(r.status == 200 || r.status == 422, "{}", r.text());
    let kml = format!(
        r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link><href>http://127.0.0.1:{port}/more.kml</href></Link></NetworkLink><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>105.11,9.95 105.111,9.95 105.111,9.951 105.11,9.95</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"#
    );
    let r = upload(srv.addr, kml.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    // A zipped GeoJSON with the link, under a name that climbs out of the directory.
    let z = {
        let g = gj.clone();
        zip_of(vec![(
            "../../../../tmp/x/../site.geojson",
            Box::new(move |w: &mut dyn Write| w.write_all(g.as_bytes()).unwrap()),
        )])
    };
    let r = upload(srv.addr, &z);
    assert!(r.status == 200 || r.status == 422, "{}", r.text());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "an upload made the server connect"
    );
    // Messages name no server directory; nothing is left behind.
    for body in [&b"PK\x03\x04garbage"[..], b"{\"type\":", b"<kml><broken"] {
        let r = upload(srv.addr, body);
        assert!((400..500).contains(&r.status), "{} {}", r.status, r.text());
        assert!(!r.text().contains("/tmp"), "{}", r.text());
    }
    assert!(upload_dirs_of(srv.pid()).is_empty());
    assert!(srv.alive() && health_ok(srv.addr));
}

#[test]
fn a_reader_that_crashes_costs_one_request() {
    // A reader that dies by SIGSEGV as GDAL might on a hostile file.
    let dir = tempfile::tempdir().unwrap();
    let crash = dir.path().join("crash.sh");
    std::fs::write(&crash, "#!/bin/sh\ncat > /dev/null\nkill -SEGV $$\n").unwrap();
    std::fs::set_permissions(&crash, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut srv = Server::start_with_reader(&common::demo().store, &[], None, &crash);
    for _ in 0..3 {
        let r = upload(srv.addr, SQUARE.as_bytes());
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains("reader stopped"), "{}", r.text());
    }
    assert!(srv.alive() && health_ok(srv.addr));
    assert!(upload_dirs_of(srv.pid()).is_empty());
}

#[test]
fn zip_bombs_and_giant_polygons_get_4xx_while_health_answers() {
    let mut srv = Server::start(&common::demo().store, &[], None);
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let probe = {
        let (stop, failures, addr) = (stop.clone(), failures.clone(), srv.addr);
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                if !health_ok(addr) {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
                n += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            n
        })
    };
    // 1 GiB of zeros as a .shp, with a valid .shx and .dbf.
    let bomb = zip_of(vec![
        (
            "zero.shp",
            Box::new(|w: &mut dyn Write| zeros(w, 1 << 30)) as Writer,
        ),
        (
            "zero.shx",
            Box::new(|w: &mut dyn Write| {
                let mut shx = shp_header(54);
                shx.extend_from_slice(&50u32.to_be_bytes());
                shx.extend_from_slice(&24u32.to_be_bytes());
                w.write_all(&shx).unwrap()
            }),
        ),
        (
            "zero.dbf",
            Box::new(|w: &mut dyn Write| w.write_all(&dbf()).unwrap()),
        ),
    ]);
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let r = upload(srv.addr, &bomb);
    assert_eq!(r.status, 413, "{}", r.text());
    // One polygon of 64 million vertices (1 GiB) in a 1 MB zip.
    let giant = giant_polygon_zip(64 << 20);
    assert!(giant.len() < 2 * 1024 * 1024, "{}", giant.len());
    let r = upload(srv.addr, &giant);
    assert_eq!(r.status, 413, "{}", r.text());
    // A Shapefile just under the unpacked cap, its polygon far over the vertex cap.
    let big = giant_polygon_zip(1 << 20);
    let r = upload(srv.addr, &big);
    assert_eq!(r.status, 413, "{}", r.text());
    stop.store(true, Ordering::SeqCst);
    let probes = probe.join().unwrap();
    assert!(probes > 0);
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "/health failed during the uploads"
    );
    assert!(srv.alive());
    assert!(upload_dirs_of(srv.pid()).is_empty());
}

/// Peak resident memory of a process, kB.
fn peak_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn twenty_million_vertices_are_refused_before_memory_grows() {
    let srv = Server::start(&common::demo().store, &[], None);
    let before = peak_kb(srv.pid());
    let z = giant_polygon_zip(20_000_000);
    let r = upload(srv.addr, &z);
    assert_eq!(r.status, 413, "{}", r.text());
    let grew_mb = (peak_kb(srv.pid()) - before) / 1024;
    eprintln!(
        "zip {} KB; server peak memory grew {grew_mb} MB",
        z.len() / 1024
    );
    assert!(grew_mb < 500, "peak memory grew by {grew_mb} MB");
}

#[test]
fn nan_and_infinity_in_any_ring_get_4xx() {
    let srv = Server::start(&common::demo().store, &[], None);
    let hole = |bad: &str| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[105.11,9.95],[105.12,9.95],[105.12,9.96],[105.11,9.96],[105.11,9.95]],[[105.112,9.952],[{bad},9.953],[105.113,9.954],[105.112,9.952]]]}}"#
        )
    };
    for bad in ["1e999", "-1e999", "NaN", "Infinity", "\"NaN\""] {
        let g = hole(bad);
        let r = http(srv.addr, "POST", "/api/v1/report", &[], g.as_bytes()).unwrap();
        assert!(
            (400..500).contains(&r.status),
            "report {bad}: {} {}",
            r.status,
            r.text()
        );
        let f = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{g}}}"#);
        let r = upload(srv.addr, f.as_bytes());
        assert!(
            (400..500).contains(&r.status),
            "upload {bad}: {} {}",
            r.status,
            r.text()
        );
    }
    assert!(health_ok(srv.addr));
}

#[test]
fn a_forged_forwarded_host_changes_no_link() {
    let srv = Server::start(&common::demo().store, &[], None);
    let forged = [
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("Forwarded", "host=evil.example;proto=https"),
    ];
    for target in [
        "/tiles/planning.json",
        "/styles/planning.json",
        "/ogc",
        "/ogc/collections",
        "/api/v1/openapi.json",
        "/tiles",
        "/?p=31150/1/18",
    ] {
        let plain = http(srv.addr, "GET", target, &[], b"").unwrap();
        let r = http(srv.addr, "GET", target, &forged, b"").unwrap();
        assert_eq!(r.status, plain.status, "{target}");
        assert!(!r.text().contains("evil.example"), "{target}: {}", r.text());
        assert_eq!(r.body, plain.body, "{target}");
    }
    // A Host that is not a host name is ignored too.
    let r = http(srv.addr, "GET", "/ogc", &[("Host", "a\"><script>")], b"").unwrap();
    assert!(!r.text().contains("<script>"));
    // Behind a trusted proxy (here: loopback), the forwarded host is the public one; a
    // public URL wins over everything.
    let tiles_base = |extra: &[&str]| {
        let srv = Server::start(&common::demo().store, extra, None);
        let r = http(srv.addr, "GET", "/tiles/planning.json", &forged[..2], b"").unwrap();
        let tj: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        tj["tiles"][0].as_str().unwrap().to_string()
    };
    assert!(
        tiles_base(&["--trusted-proxy", "127.0.0.1"]).starts_with("https://evil.example/tiles/")
    );
    let public = tiles_base(&[
        "--trusted-proxy",
        "127.0.0.1",
        "--public-url",
        "https://qh.example.vn",
    ]);
    assert!(
        public.starts_with("https://qh.example.vn/tiles/"),
        "{public}"
    );
}

#[test]
fn idle_connections_do_not_lock_out_health() {
    let srv = Server::start(&common::demo().store, &[], Some(1024));
    let mut idle = Vec::new();
    for _ in 0..1100 {
        match TcpStream::connect_timeout(&srv.addr, Duration::from_secs(2)) {
            Ok(s) => idle.push(s),
            Err(e) => panic!("connect {}: {e}", idle.len()),
        }
    }
    // Half of them start a request and stop in the middle of its head.
    for s in idle.iter_mut().step_by(2) {
        let _ = s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n");
    }
    std::thread::sleep(Duration::from_millis(300));
    for i in 0..5 {
        let t0 = Instant::now();
        let r = http(srv.addr, "GET", "/api/v1/health", &[], b"");
        assert!(
            r.as_ref().is_ok_and(|r| r.status == 200),
            "health #{i} with 1,100 idle connections: {:?}",
            r.err()
        );
        assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    }
    // Long requests and headers get problem documents, not bare errors.
    let long = format!("/api/v1/search?q={}", "a".repeat(9000));
    let r = get(srv.addr, &long);
    assert_eq!(r.status, 414, "{}", r.head);
    assert!(r.head.contains("application/problem+json"), "{}", r.head);
    let big = "x".repeat(20_000);
    let r = http(srv.addr, "GET", "/api/v1/health", &[("X-Big", &big)], b"").unwrap();
    assert_eq!(r.status, 431, "{}", r.head);
    assert!(r.head.contains("application/problem+json"), "{}", r.head);
    let r = get(srv.addr, &format!("/assets/{}.js", "n".repeat(5000)));
    assert_eq!(r.status, 404, "{}", r.head);
    assert!(r.head.contains("application/problem+json"), "{}", r.head);
    drop(idle);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn an_import_shows_up_without_a_restart_and_without_a_failed_request() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    copy_dir(&common::demo().store, &store);
    let srv = Server::start(&store, &["--reload-seconds", "1"], None);
    let etag_before = get(srv.addr, "/api/v1/layers")
        .head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("etag:"))
        .unwrap()
        .to_string();
    let load = common::process::Load::start(
        srv.addr,
        4,
        &[
            "/api/v1/layers",
            "/api/v1/parcels/at?lon=105.1193&lat=9.9498",
            "/api/v1/search?q=vinh",
            "/tiles/planning/14/12975/7736.mvt",
        ],
    );
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    common::process::import_new_road(&store, dir.path());
    let imported = t0.elapsed();
    let seen = loop {
        let r = get(srv.addr, "/api/v1/layers");
        if r.text().contains("roads-new") {
            break t0.elapsed();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the import never showed up"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(500));
    let (ok, failures) = load.stop();
    let etag_after = get(srv.addr, "/api/v1/layers")
        .head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("etag:"))
        .unwrap()
        .to_string();
    assert_ne!(etag_before, etag_after, "the data version did not change");
    let tj = get(srv.addr, "/tiles/roads-new.json");
    assert_eq!(tj.status, 200, "{}", tj.text());
    eprintln!(
        "import took {:.2} s; the server answered with it {:.2} s after the import started; {} requests ok, {} failed; log: {:?}",
        imported.as_secs_f64(),
        seen.as_secs_f64(),
        ok,
        failures.len(),
        srv.out.lock().unwrap().iter().filter(|l| l.contains("reloaded")).collect::<Vec<_>>()
    );
    assert!(failures.is_empty(), "failed requests: {failures:#?}");
    assert!(ok > 0);
}

/// A small deterministic generator (xorshift64*): the same requests every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Values that have broken parsers before: numbers at and past every limit, encodings,
/// path tricks, markup.
const NASTY: &[&str] = &[
    "0",
    "-1",
    "1",
    "12",
    "345",
    "31150",
    "99999999999999999999",
    "-0",
    "1e999",
    "NaN",
    "inf",
    "0x10",
    "1.5",
    "105.1193",
    "9.9498",
    "-180",
    "180.0001",
    "91",
    "1100512.3",
    "566489.1",
    "vinh thanh",
    "Vĩnh Thạnh",
    "%00",
    "%ff%fe",
    "%2e%2e",
    "..",
    "../../etc/passwd",
    "%",
    "%zz",
    "<script>alert(1)</script>",
    "'\"",
    "a,b,c",
    "1,2,3,4",
    "105,9,106,10",
    "-200,-100,200,100",
    "EPSG:4326",
    "EPSG:4978",
    "vn2000:kien-giang",
    "vn2000:atlantis",
    "prj",
    "planning",
    "parcels",
    "qhpk-2000",
    "x.json",
    "14",
    "13017",
    "7756.mvt",
    "0-255",
    "65280-65535",
    "Open Sans Regular",
    "json",
    "html",
    "en",
    "vi",
    "",
    " ",
    "\u{202e}",
    "🏠",
    "∞",
    "thửa đất số 345, tờ bản đồ số 12, xã Vĩnh Thanh",
    "345/12",
    "31150/1/312/2",
    "31150/1/312/0",
    "31150/1/312/99999999999999999999",
    "31150/1/312/2,31150/1/312/1,31150/1/312/x",
    "1100371.058",
    "567707.083",
    "vn2000:kien-giang",
    "vn2000:104.5",
    "vinh hoa phu huyen chau thanh tinh kien giang",
    "ubnd xa vinh lac",
    "thua-dat-tcvn3.zip",
    "thua-dat-vni.zip",
    "sheet=TO_SO",
    "tcvn3",
    "find-parcel",
    "read-map",
    "prepare-data",
    "duplicate",
    "draft-layer",
    "K7M2QX",
    "ABCDEF",
    "1",
    // The two-way routes (issue 13): tokens, ids, states, kinds, feeds.
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdeg",
    "v1.1700000000.0123456789abcdef0123456789abcdef.00",
    "qhpk-2000-dc",
    "31150.atom",
    "qhpk-2000.atom",
    "x.atom",
    ".atom",
    "question",
    "comment",
    "published",
    "hidden",
    "support",
    "open",
    "closed",
    "summary.csv",
    "summary.html",
    "9223372036854775807",
    "-9223372036854775808",
];
const KEYS: &[&str] = &[
    "lon",
    "lat",
    "q",
    "limit",
    "offset",
    "bbox",
    "srs",
    "x",
    "y",
    "easting",
    "northing",
    "n",
    "lang",
    "f",
    "format",
    "properties",
    "datetime",
    "from",
    "to",
    "p",
    "commune",
    "sheet",
    "parcel",
    "zoom",
    "page",
    "unknown",
    "kind",
    "encoding",
    "map",
    "profile",
    "layer",
    "plan",
    "state",
    "status",
    "zone",
    "target_kind",
    "target_id",
    "",
];
const TEMPLATES: &[&str] = &[
    "/api/v1/health",
    "/api/v1/openapi.json",
    "/api/v1/layers",
    "/api/v1/plans",
    "/api/v1/plans/{}",
    "/api/v1/landuse-codes",
    "/api/v1/parcels/at",
    "/api/v1/parcels/{}/{}/{}",
    "/api/v1/parcels/{}/{}/{}/report",
    "/api/v1/parcels/{}/{}/{}/report.txt",
    "/api/v1/parcels/{}/{}/{}/report.html",
    "/api/v1/parcels/{}/{}/{}/map.png",
    "/api/v1/search",
    "/api/v1/report",
    "/api/v1/sites/parse",
    "/api/v1/convert",
    "/text",
    "/text/help",
    "/text/plans",
    "/text/plans/{}",
    "/text/communes/{}",
    "/ogc",
    "/ogc/api",
    "/ogc/conformance",
    "/ogc/collections",
    "/ogc/collections/{}",
    "/ogc/collections/{}/items",
    "/ogc/collections/{}/items/{}",
    "/tiles",
    "/tiles/{}",
    "/tiles/{}/{}/{}/{}",
    "/styles/planning.json",
    "/fonts/{}/{}",
    "/api/v1/lessons",
    "/api/v1/lessons/{}/steps/{}/check",
    "/api/v1/lessons/{}/steps/{}/show",
    "/api/v1/workshops",
    "/api/v1/workshops/{}",
    "/api/v1/workshops/{}/participants",
    "/api/v1/workshops/{}/participants/{}",
    "/api/v1/workshops/{}/participants/{}/progress",
    "/api/v1/workshops/{}/board",
    "/api/v1/workshops/{}/push",
    "/api/v1/practice/import",
    "/api/v1/practice/samples/{}",
    "/qgis/project.qgs",
    "/learn/{}/handout.html",
    "/learn/leaflet.html",
    "/",
    "/index.html",
    "/assets/{}",
    "/{}",
    // The two-way routes (issue 13).
    "/api/v1/feedback/form",
    "/api/v1/feedback",
    "/api/v1/feedback/{}",
    "/api/v1/feedback/{}/contact",
    "/api/v1/qa",
    "/api/v1/consultations",
    "/api/v1/consultations/{}",
    "/api/v1/consultations/{}/comments",
    "/api/v1/follows",
    "/api/v1/follows/{}",
    "/api/v1/follows/{}/unsubscribe",
    "/feeds/follow/{}",
    "/feeds/commune/{}",
    "/feeds/plan/{}",
    "/api/v1/auth/login",
    "/api/v1/auth/logout",
    "/api/v1/auth/me",
    "/api/v1/auth/password",
    "/api/v1/official/audit",
    "/api/v1/official/inbox",
    "/api/v1/official/submissions/{}",
    "/api/v1/official/submissions/{}/attachments/{}",
    "/api/v1/official/submissions/{}/{}",
    "/api/v1/official/consultations",
    "/api/v1/official/consultations/{}",
    "/api/v1/official/consultations/{}/{}",
];

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn random_request(rng: &mut Rng) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let method = rng.pick(&[
        "GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS",
    ]);
    let mut path = String::new();
    for (i, part) in rng.pick(TEMPLATES).split("{}").enumerate() {
        if i > 0 {
            let v = rng.pick(NASTY);
            // Mostly encoded, sometimes raw (percent signs and dots as they are).
            if rng.below(4) == 0 && v.is_ascii() && !v.contains([' ', '"', '<', '>']) {
                path.push_str(v);
            } else {
                path.push_str(&encode(v));
            }
        }
        path.push_str(part);
    }
    let mut query = Vec::new();
    for _ in 0..rng.below(5) {
        query.push(format!(
            "{}={}",
            encode(rng.pick(KEYS)),
            encode(rng.pick(NASTY))
        ));
    }
    if rng.below(10) == 0 {
        query.push(String::from_utf8_lossy(&rng.bytes(20)).replace(['#', ' '], ""));
    }
    let target = if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    };
    let mut headers = Vec::new();
    for _ in 0..rng.below(3) {
        let (k, v) = match rng.below(6) {
            0 => (
                "If-None-Match",
                rng.pick(&["*", "W/\"x\"", "\"", ""]).to_string(),
            ),
            1 => (
                "Accept-Encoding",
                rng.pick(&["gzip", "br", "identity;q=0", "*"]).to_string(),
            ),
            2 => ("X-Forwarded-Host", rng.pick(NASTY).to_string()),
            3 => (
                "Range",
                rng.pick(&["bytes=0-10", "bytes=-1", "bytes=99999999-"])
                    .to_string(),
            ),
            4 if rng.below(3) == 0 => (
                rng.pick(&[
                    "X-Trainer-Key",
                    "X-Participant-Key",
                    "X-CSRF-Token",
                    "Origin",
                ]),
                rng.pick(NASTY).to_string(),
            ),
            4 if rng.below(2) == 0 => ("Cookie", format!("qh_session={}", rng.pick(NASTY))),
            4 => (
                "Content-Type",
                rng.pick(&[
                    "application/json",
                    "text/plain",
                    "multipart/form-data",
                    "multipart/form-data; boundary=b",
                ])
                .to_string(),
            ),
            _ => ("Accept-Language", rng.pick(NASTY).to_string()),
        };
        if v.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            headers.push((k.to_string(), v));
        }
    }
    let square = r#"{"type":"Polygon","coordinates":[[[105.11,9.95],[105.112,9.95],[105.112,9.952],[105.11,9.95]]]}"#;
    let kml = "<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>105.1,9.95 105.101,9.95 105.101,9.951 105.1,9.95</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>";
    let body = if method == "POST" || method == "PUT" {
        let mut b = match rng.below(11) {
            7 => format!(r#"{{"kind":"{}","position":"object","body":"{}","subject":{{"kind":"{}","parcel":"31150/1/312/2","plan_id":"qhpk-2000-dc","geometry":{square}}},"contact":{{"name":"A","phone":"090","email":"a@b.vn"}},"lang":"vi","form_token":"v1.1.0123456789abcdef0123456789abcdef.00","website":""}}"#,
                rng.pick(&["question", "error", "comment", "x"]), rng.pick(NASTY), rng.pick(&["parcel", "site", "plan", "zone", ""])).into_bytes(),
            8 => format!(r#"{{"username":"{}","password":"{}"}}"#, rng.pick(NASTY), rng.pick(NASTY)).into_bytes(),
            9 => format!(r#"{{"subject":{{"kind":"{}","id":"{}"}},"email":"{}","lang":"vi"}}"#,
                rng.pick(&["parcel", "commune", "plan"]), rng.pick(NASTY), rng.pick(NASTY)).into_bytes(),
            10 => format!("--b\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n{{}}\r\n--b\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{}\"\r\nContent-Type: image/png\r\n\r\n\u{89}PNG\r\n\x1a\n{}\r\n--b--\r\n",
                rng.pick(NASTY), rng.pick(NASTY)).into_bytes(),
            0 => {
                let n = rng.below(2000);
                rng.bytes(n)
            }
            1 => square.as_bytes().to_vec(),
            2 => kml.as_bytes().to_vec(),
            3 => format!(r#"{{"answer":{{"commune":"31150","sheet":"1","parcel":"312","n":2,"geometry":{square},"option":"a","text":"ODT","value":36.2,"visible":["parcels"]}}}}"#).into_bytes(),
            4 => r#"{"name":"Lan","title":"Tập huấn"}"#.as_bytes().to_vec(),
            5 => br#"{"lesson":"find-parcel","step":"open","event":"wrong"}"#.to_vec(),
            _ => br#"{"points":[[566489.1,1100512.3]],"from":"vn2000:kien-giang"}"#.to_vec(),
        };
        // Flip, cut or splice a few bytes.
        for _ in 0..rng.below(4) {
            if b.is_empty() {
                break;
            }
            let i = rng.below(b.len());
            match rng.below(3) {
                0 => b[i] = rng.next() as u8,
                1 => b.truncate(i),
                _ => {
                    let v = rng.pick(NASTY).as_bytes().to_vec();
                    b.splice(i..i, v);
                }
            }
        }
        b
    } else {
        Vec::new()
    };
    (method.to_string(), target, headers, body)
}

/// Random requests at every endpoint for a bounded time: never a 5xx, never a dead server.
#[test]
fn random_requests_at_every_endpoint_get_no_5xx() {
    let mut srv = Server::start(&common::demo().store, &[], None);
    let budget = Duration::from_secs(
        std::env::var("QUYHOACH_HTTP_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(40),
    );
    let t0 = Instant::now();
    let workers: Vec<_> = (0..2u64)
        .map(|w| {
            let addr = srv.addr;
            std::thread::spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w + 1));
                let mut sent = 0u64;
                let mut server_errors = Vec::new();
                while t0.elapsed() < budget {
                    sent += 1;
                    if rng.below(25) == 0 {
                        // Not HTTP at all, or HTTP cut short.
                        let n = rng.below(300);
                        let mut raw = rng.bytes(n);
                        if rng.below(2) == 0 {
                            raw.splice(0..0, b"GET /api/v1/health HTTP/1.1\r\n".iter().copied());
                        }
                        if let Ok(mut s) = TcpStream::connect(addr) {
                            let _ = s.set_read_timeout(Some(Duration::from_secs(15)));
                            let _ = s.write_all(&raw);
                            let _ = s.shutdown(std::net::Shutdown::Write);
                            let mut out = Vec::new();
                            let _ = s.read_to_end(&mut out);
                            if out.starts_with(b"HTTP/1.1 5") {
                                server_errors.push(format!("raw {raw:?}"));
                            }
                        }
                        continue;
                    }
                    let (method, target, headers, body) = random_request(&mut rng);
                    let h: Vec<(&str, &str)> = headers
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    match http(addr, &method, &target, &h, &body) {
                        Ok(r) if r.status >= 500 => server_errors.push(format!(
                            "{method} {target} {headers:?} body {:?} → {} {}",
                            String::from_utf8_lossy(&body[..body.len().min(200)]),
                            r.status,
                            r.text()
                        )),
                        Ok(_) => {}
                        // A request the server refused at the HTTP level is fine, if it lives.
                        Err(_) => {}
                    }
                }
                (sent, server_errors)
            })
        })
        .collect();
    let mut sent = 0;
    let mut errors = Vec::new();
    for w in workers {
        let (n, e) = w.join().unwrap();
        sent += n;
        errors.extend(e);
    }
    eprintln!(
        "{sent} random requests in {:.0} s",
        t0.elapsed().as_secs_f64()
    );
    assert!(srv.alive(), "the server died");
    assert!(health_ok(srv.addr), "the server does not answer /health");
    assert!(
        errors.is_empty(),
        "{} answers 5xx, e.g.:\n{}",
        errors.len(),
        errors[..errors.len().min(5)].join("\n")
    );
    assert!(upload_dirs_of(srv.pid()).is_empty());
}
