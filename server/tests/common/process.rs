//! The real `quyhoach serve` binary on an OS-chosen port, and a plain HTTP/1.1 client, for
//! tests that want nothing of ours between the request and the server but the socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A demo store of `parcels` parcels built with `seed` through the real generator and
/// import path, in its own temporary directory (kept as long as the returned guard).
pub fn build_store(parcels: usize, seed: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    quyhoach_server::demo::build_demo(&quyhoach_server::demo::DemoBuild {
        store: store.clone(),
        parcels,
        seed,
        verbose: false,
        keep_personal: Vec::new(),
    })
    .expect("building the demo store");
    (dir, store)
}

/// `quyhoach serve --store STORE` running until dropped.
pub struct ServeProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    /// Starts the binary on 127.0.0.1, port chosen by the OS, and waits for its
    /// "serving on" line.
    pub fn start(store: &Path) -> ServeProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quyhoach"));
        cmd.args(["serve", "--quiet", "--listen", "127.0.0.1:0", "--store"])
            .arg(store);
        ServeProcess::spawn(cmd)
    }

    /// Runs `cmd` (`quyhoach serve …` on 127.0.0.1:0, with whatever else a test sets) and
    /// waits for its "serving on" line.
    pub fn spawn(mut cmd: Command) -> ServeProcess {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting quyhoach serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on http://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server did not start")
            .parse()
            .unwrap();
        ServeProcess { child, addr }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `POST path` with a JSON body: the status and the body parsed as JSON.
    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, raw) = http_request(
            self.addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let v = serde_json::from_slice(&raw).unwrap_or_else(|e| {
            panic!(
                "POST {path}: answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&raw[..raw.len().min(500)])
            )
        });
        (status, v)
    }
}

/// One request on a fresh connection (`Connection: close`): the status and the body
/// (de-chunked).
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    http_exchange(addr, method, target, headers, body).map(|(status, _, body)| (status, body))
}

/// [`http_request`] with the response head (status line and headers) too.
pub fn http_exchange(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no response head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body)?;
    }
    Ok((status, head, body))
}

fn dechunk(mut b: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| std::io::Error::other("truncated chunk size"))?;
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| std::io::Error::other(format!("bad chunk size: {e}")))?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size + 2 {
            return Err(std::io::Error::other("truncated chunk"));
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// The upload directories a server process `pid` has in the temporary directory.
pub fn upload_dirs_of(pid: u32) -> Vec<PathBuf> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("quyhoach-upload-{pid}-"))
        })
        .collect()
}

/// Runs a command to its end; fails the test with what it printed on stderr unless it
/// succeeded.
pub fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Clients asking `targets` in turn, each request on a new connection, until stopped: the
/// load of the reload and deployment tests. An answer of 500 or more, or no answer, is a
/// failure, kept with what was asked.
pub struct Load {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ok: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    failures: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    clients: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    /// `clients` threads on `addr`, client `i` starting at `targets[i]`.
    pub fn start(addr: SocketAddr, clients: usize, targets: &'static [&'static str]) -> Load {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ok = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let failures = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let clients = (0..clients)
            .map(|i| {
                let (stop, ok, failures) = (stop.clone(), ok.clone(), failures.clone());
                std::thread::spawn(move || {
                    let mut k = i;
                    while !stop.load(Ordering::SeqCst) {
                        let target = targets[k % targets.len()];
                        let gzip = [("Accept-Encoding", "gzip")];
                        match http_request(addr, "GET", target, &gzip, b"") {
                            Ok((status, _)) if status < 500 => {
                                ok.fetch_add(1, Ordering::SeqCst);
                            }
                            Ok((status, body)) => failures.lock().unwrap().push(format!(
                                "{target}: {status} {}",
                                String::from_utf8_lossy(&body[..body.len().min(200)])
                            )),
                            Err(e) => failures.lock().unwrap().push(format!("{target}: {e}")),
                        }
                        k += 1;
                    }
                })
            })
            .collect();
        Load {
            stop,
            ok,
            failures,
            clients,
        }
    }

    /// Requests answered so far.
    pub fn ok(&self) -> usize {
        self.ok.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops the clients: the requests answered and the failures.
    pub fn stop(self) -> (usize, Vec<String>) {
        let Load {
            stop,
            ok,
            failures,
            clients,
        } = self;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
        let failures = failures.lock().unwrap().clone();
        (ok.load(std::sync::atomic::Ordering::SeqCst), failures)
    }
}

/// `quyhoach import` of one new road as the layer `roads-new` into `store` (the GeoJSON
/// written in `dir`), as an office's update lands while servers serve the store.
pub fn import_new_road(store: &Path, dir: &Path) {
    let road = dir.join("new-road.geojson");
    std::fs::write(
        &road,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Đường mới","class":"local","width_m":12},"geometry":{"type":"LineString","coordinates":[[105.11,9.95],[105.12,9.955]]}}]}"#,
    )
    .unwrap();
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_quyhoach"))
            .args([
                "import",
                "--quiet",
                "--kind",
                "roads",
                "--layer",
                "roads-new",
            ])
            .args(["--srs", "EPSG:4326", "--store"])
            .arg(store)
            .arg(&road),
    );
}
