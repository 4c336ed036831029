//! Alerts on every backend (SQLite; PostgreSQL with `QUYHOACH_TEST_PG`): follow a parcel,
//! re-import the in-force plan's zones through the real import path so its planning
//! changes, detect the change (one `zones_changed` event, none when run again), read the
//! follow's view and its Atom feed (judged by feedparser, tests/judges/atom_feed.py), the
//! public commune and plan feeds; unsubscribe with the code of the mail; and, with the real
//! binary, an email reaching a local SMTP server (tests/judges/smtp_sink.py, aiosmtpd).
//! No email address appears in any view or feed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRef};
use axum::http::{header, Request, StatusCode};
use common::state::{every_backend, with_state};
use common::{send, Resp};
use quyhoach_data::index::Index;
use quyhoach_server::portal::alerts;
use quyhoach_server::portal::sql::{vals, StateDb};
use quyhoach_server::AppState;
use serde_json::{json, Value};

static IP: AtomicU32 = AtomicU32::new(1);

fn fresh_ip() -> SocketAddr {
    let n = IP.fetch_add(1, Ordering::Relaxed);
    SocketAddr::from(([10, 77, (n >> 8) as u8, n as u8], 40000))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_name() != "portal.sqlite"
            && !e
                .file_name()
                .to_string_lossy()
                .starts_with("portal.sqlite-")
        {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Re-imports the in-force zoning plan's zones from the draft's file, as an operator
/// importing a revised plan would: the real import path, into `store`.
fn reimport_zones(store: &Path) {
    let src = store.join("sources/qhpk_2000_dc.gpkg");
    let opts = quyhoach_data::import::ImportOptions {
        source_layer: Some("SuDungDat_A".into()),
        plan: Some("qhpk-2000".into()),
        layer: Some("zones-qhpk-2000".into()),
        ..quyhoach_data::import::ImportOptions::new(
            src,
            quyhoach_data::schema::Kind::Zones,
            store,
            "prj".parse().unwrap(),
        )
    };
    quyhoach_data::import::import(&opts).expect("re-importing the zones");
}

struct Fixture {
    _dir: tempfile::TempDir,
    /// The store as first imported.
    store: PathBuf,
    before: AppState,
    after: AppState,
    /// A parcel whose in-force zones differ after the re-import.
    changed: String,
    /// A parcel whose planning does not change.
    same: String,
    commune: String,
}

fn parcel_id(props: &serde_json::Map<String, Value>) -> Option<String> {
    Some(format!(
        "{}/{}/{}",
        props.get("commune_code")?.as_str()?,
        props.get("sheet")?.as_i64()?,
        props.get("parcel")?.as_i64()?
    ))
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (dir, store) = common::process::build_store(common::PARCELS, 1);
        let revised = dir.path().join("revised");
        copy_dir(&store, &revised);
        reimport_zones(&revised);
        let a = Index::load(&store).unwrap();
        let b = Index::load(&revised).unwrap();
        let (mut changed, mut same) = (None, None);
        let mut offset = 0;
        let (mut seen, mut differ) = (0, 0);
        while changed.is_none() || same.is_none() {
            let (page, _) = a.features_in_bbox("parcels", None, 200, offset).unwrap();
            assert!(
                !page.is_empty(),
                "no parcel changes with the re-import ({seen} parcels, {differ} differ, changed {changed:?}, same {same:?})"
            );
            offset += page.len();
            for f in page {
                let Some(id) = parcel_id(&f.properties) else {
                    continue;
                };
                let Ok(s) = alerts::resolve_subject(&a, "parcel", &id) else {
                    continue;
                };
                if s.parcel != Some((f.layer.clone(), f.id)) {
                    continue;
                }
                let (pa, plans_a) = alerts::parcel_print(&a, &f.layer, f.id).unwrap();
                let (pb, plans_b) = alerts::parcel_print(&b, &f.layer, f.id).unwrap();
                seen += 1;
                if pa != pb {
                    differ += 1;
                }
                let zoned = |p: &[alerts::PlanPrint]| {
                    p.iter()
                        .any(|x| x.plan == "qhpk-2000" && !x.zones.is_empty())
                };
                let uses = |p: &[alerts::PlanPrint]| -> Vec<String> {
                    p.iter()
                        .filter(|x| x.plan == "qhpk-2000")
                        .flat_map(|x| x.zones.iter().map(|z| z.1.clone()))
                        .collect()
                };
                if changed.is_none()
                    && pa != pb
                    && zoned(&plans_a)
                    && zoned(&plans_b)
                    && uses(&plans_a) != uses(&plans_b)
                {
                    changed = Some(id);
                } else if same.is_none() && pa == pb && !plans_a.is_empty() {
                    same = Some(id);
                }
            }
        }
        let changed = changed.unwrap();
        let commune = changed.split('/').next().unwrap().to_string();
        Fixture {
            _dir: dir,
            store,
            before: AppState::new(a),
            after: AppState::new(b),
            changed,
            same: same.unwrap(),
            commune,
        }
    })
}

async fn req(st: &AppState, method: &str, uri: &str, body: Option<Value>, ip: SocketAddr) -> Resp {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "test.local")
        .extension(ConnectInfo(ip));
    if body.is_some() {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    send(st, r.body(body).unwrap()).await
}

async fn follow(st: &AppState, kind: &str, id: &str, email: Option<&str>) -> Resp {
    let mut b = json!({"subject": {"kind": kind, "id": id}, "lang": "vi"});
    if let Some(e) = email {
        b["email"] = json!(e);
    }
    req(st, "POST", "/api/v1/follows", Some(b), fresh_ip()).await
}

async fn detect(st: &AppState) -> alerts::Detected {
    let st = quyhoach_server::portal::PortalState::from_ref(st);
    tokio::task::spawn_blocking(move || alerts::detect_changes(&st).unwrap())
        .await
        .unwrap()
}

fn count(db: &StateDb, sql: &'static str, params: Vec<quyhoach_server::portal::sql::Value>) -> i64 {
    db.tx_blocking(move |tx| tx.query_i64(sql, &params))
        .unwrap()
}

fn judge(dir: &Path) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/judges")
        .join(dir)
}

/// The feed judged by feedparser: its parse, or a failure when not valid Atom 1.0.
fn judge_feed(xml: &str) -> Value {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), xml).unwrap();
    let out = Command::new(common::judges_python())
        .arg(judge(Path::new("atom_feed.py")))
        .arg(tmp.path())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "atom_feed.py: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        out.status.success(),
        "feedparser refused the feed: {v}\n{xml}"
    );
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_parcel_hears_of_a_zone_change_once_in_its_view_feed_and_mail() {
    let f = fixture();
    for t in every_backend() {
        let b = t.backend;
        let before = with_state(&f.before, &t.db);
        let after = with_state(&f.after, &t.db);
        let email = format!("nguoi.theo.doi+{b}@example.vn");

        // Follow the parcel that will change (with an address), one that will not, its
        // commune and the plan (feeds only).
        let r = follow(&before, "parcel", &f.changed, Some(&email)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let created = r.json();
        let token = created["token"].as_str().unwrap().to_string();
        assert_eq!(created["feed_url"], format!("/feeds/follow/{token}.atom"));
        assert_eq!(created["manage_url"], format!("/#/follow/{token}"));
        assert_eq!(created["subject"]["id"], f.changed.as_str());
        assert_eq!(created["email_given"], true);
        assert!(
            !r.text().contains("example.vn"),
            "{b}: the address came back"
        );
        let r = follow(&before, "parcel", &f.same, Some("khong.doi@example.vn")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}");
        let r = follow(&before, "commune", &f.commune, None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());
        let commune_token = r.json()["token"].as_str().unwrap().to_string();
        let label = r.json()["label"].as_str().unwrap().to_string();
        assert!(
            !label.is_empty() && !label.contains("mã"),
            "{b}: commune label {label}"
        );
        let r = follow(&before, "plan", "qhpk-2000", None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{b}: {}", r.text());

        // The same data: nothing to tell.
        assert_eq!(detect(&before).await.changed, 0, "{b}");
        // The revised zones: the parcel and the plan changed, once.
        let d = detect(&after).await;
        assert_eq!(d.changed, 2, "{b}: {d:?}");
        assert_eq!(detect(&after).await.changed, 0, "{b}: not idempotent");
        let events = count(
            &t.db,
            "SELECT count(*) FROM alert_event WHERE subject_kind = 'parcel' AND subject_id = ? AND kind = 'zones_changed'",
            vec![f.changed.as_str().into()],
        );
        assert_eq!(events, 1, "{b}: events of the changed parcel");
        let none = count(
            &t.db,
            "SELECT count(*) FROM alert_event WHERE subject_kind = 'parcel' AND subject_id = ?",
            vec![f.same.as_str().into()],
        );
        assert_eq!(none, 0, "{b}: an event for a parcel that did not change");

        // One mail, to the changed parcel's follower only, with the change and its
        // unsubscribe link.
        let db = t.db.clone();
        let mails = db
            .tx_blocking(|tx| {
                tx.query(
                    "SELECT to_addr, subject, body, follow_id FROM mail_outbox ORDER BY id",
                    vals![],
                )
            })
            .unwrap();
        assert_eq!(mails.len(), 1, "{b}: {mails:?}");
        assert_eq!(mails[0].text(0).unwrap(), email);
        let subject = mails[0].text(1).unwrap();
        let body = mails[0].text(2).unwrap();
        assert!(subject.contains("Quy hoạch thay đổi"), "{b}: {subject}");
        assert!(
            body.contains("Theo ") && body.contains("nay "),
            "{b}: {body}"
        );
        assert!(body.contains("Unfollow"), "{b}: no English part: {body}");
        let code = body
            .split("/#/follow/")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        assert!(code.starts_with('u'), "{b}: {code}");

        // The follow's view: the event, no address.
        let r = req(
            &before,
            "GET",
            &format!("/api/v1/follows/{token}"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        let v = r.json();
        assert_eq!(v["email_given"], true);
        assert!(!r.text().contains('@'), "{b}: an address in the view: {v}");
        let evs = v["events"].as_array().unwrap();
        assert_eq!(evs.len(), 1, "{b}: {v}");
        assert_eq!(evs[0]["kind"], "zones_changed");
        let summary = evs[0]["summary"].as_str().unwrap();
        assert!(
            summary.contains("Theo") && summary.contains('%'),
            "{b}: {summary}"
        );

        // Its feed: valid Atom, the change in it, absolute links, no address.
        let r = req(
            &before,
            "GET",
            &format!("/feeds/follow/{token}.atom"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{b}");
        assert!(r.content_type().starts_with("application/atom+xml"), "{b}");
        assert!(r.headers.get(header::ETAG).is_some());
        let xml = r.text();
        assert!(!xml.contains('@'), "{b}: an address in the feed");
        let feed = judge_feed(&xml);
        let entries = feed["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{b}: {feed}");
        assert!(entries[0]["title"]
            .as_str()
            .unwrap()
            .contains("Quy hoạch thay đổi"));
        assert_eq!(
            entries[0]["link"],
            format!("http://test.local/?p={}", f.changed),
            "{b}"
        );
        assert!(entries[0]["summary"].as_str().unwrap().contains("Theo"));
        let links = feed["feed"]["links"].as_array().unwrap();
        assert!(links.iter().any(|l| l["rel"] == "self"
            && l["href"] == format!("http://test.local/feeds/follow/{token}.atom")));
        // Conditional GET.
        let etag = r
            .headers
            .get(header::ETAG)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let again = send(
            &before,
            Request::get(format!("/feeds/follow/{token}.atom"))
                .header(header::HOST, "test.local")
                .header(header::IF_NONE_MATCH, etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{b}");

        // The public feeds of the commune and the plan.
        for path in [
            format!("/feeds/commune/{}.atom", f.commune),
            "/feeds/plan/qhpk-2000.atom".to_string(),
        ] {
            let r = req(&after, "GET", &path, None, fresh_ip()).await;
            assert_eq!(r.status, StatusCode::OK, "{b} {path}: {}", r.text());
            assert!(!r.text().contains('@'), "{b}: an address in {path}");
            let feed = judge_feed(&r.text());
            assert!(
                !feed["entries"].as_array().unwrap().is_empty(),
                "{b} {path}: {feed}"
            );
        }
        let r = req(
            &before,
            "GET",
            &format!("/api/v1/follows/{commune_token}"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(r.json()["events"].as_array().unwrap().len(), 1, "{b}");
        for path in [
            "/feeds/commune/99999.atom",
            "/feeds/plan/no-such-plan.atom",
            "/feeds/plan/qhpk-2000.rss",
            "/feeds/follow/0000000000000000000000000000000000000000000000000000000000000000.atom",
            "/feeds/follow/..%2F..%2Fetc%2Fpasswd.atom",
        ] {
            let r = req(&before, "GET", path, None, fresh_ip()).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{b} {path}");
        }

        // Unsubscribe with the mail's code: the follow and its address are gone.
        let r = req(
            &before,
            "GET",
            &format!("/api/v1/follows/{code}"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{b}: the mail's code: {}",
            r.text()
        );
        let forged = format!("{}0", &code[..code.len() - 1]);
        let forged = if forged == code {
            format!("{}1", &code[..code.len() - 1])
        } else {
            forged
        };
        let r = req(
            &before,
            "DELETE",
            &format!("/api/v1/follows/{forged}"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}: a forged code");
        let r = req(
            &before,
            "DELETE",
            &format!("/api/v1/follows/{code}"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{b}");
        let left = count(
            &t.db,
            "SELECT count(*) FROM follow WHERE email = ?",
            vec![email.as_str().into()],
        );
        assert_eq!(left, 0, "{b}: the address survived unsubscribing");
        assert_eq!(
            count(
                &t.db,
                "SELECT count(*) FROM mail_outbox WHERE to_addr = ?",
                vec![email.as_str().into()]
            ),
            0
        );
        let r = req(
            &before,
            "GET",
            &format!("/api/v1/follows/{token}"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}");
        let r = req(
            &before,
            "DELETE",
            &format!("/api/v1/follows/{token}"),
            None,
            fresh_ip(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_are_checked_and_rate_limited() {
    let f = fixture();
    for t in every_backend() {
        let b = t.backend;
        let st = with_state(&f.before, &t.db);
        for (body, status) in [
            (
                json!({"subject": {"kind": "parcel", "id": "99999/1/1"}}),
                StatusCode::NOT_FOUND,
            ),
            (
                json!({"subject": {"kind": "parcel", "id": format!("{}/9999/9999", f.commune)}}),
                StatusCode::NOT_FOUND,
            ),
            (
                json!({"subject": {"kind": "parcel", "id": "../../etc"}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"subject": {"kind": "plan", "id": "no-such-plan"}}),
                StatusCode::NOT_FOUND,
            ),
            (
                json!({"subject": {"kind": "commune", "id": "99999"}}),
                StatusCode::NOT_FOUND,
            ),
            (
                json!({"subject": {"kind": "road", "id": "x"}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"subject": {"kind": "plan", "id": "qhpk-2000"}, "email": "not an address"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"subject": {"kind": "plan", "id": "qhpk-2000"}, "email": format!("{}@example.vn", "a".repeat(300))}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"subject": {"kind": "plan", "id": "qhpk-2000"}, "email": "a@b.vn\r\nBcc: x@y.vn"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                json!({"subject": {"kind": "plan", "id": "qhpk-2000"}, "lang": "fr"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"subject": {"kind": "plan", "id": "qhpk-2000"}, "extra": 1}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"subject": {"kind": "plan", "id": "x".repeat(10_000)}}),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
        ] {
            let r = req(
                &st,
                "POST",
                "/api/v1/follows",
                Some(body.clone()),
                fresh_ip(),
            )
            .await;
            assert_eq!(r.status, status, "{b}: {body}: {}", r.text());
        }
        assert_eq!(
            count(&t.db, "SELECT count(*) FROM follow", vec![]),
            0,
            "{b}"
        );
        // Ten an hour from one client, then 429 with Retry-After.
        let ip = fresh_ip();
        for i in 0..alerts::FOLLOWS_PER_CLIENT_HOUR {
            let r = req(
                &st,
                "POST",
                "/api/v1/follows",
                Some(json!({"subject": {"kind": "plan", "id": "qhpk-2000"}})),
                ip,
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{b}: follow {i}");
        }
        let r = req(
            &st,
            "POST",
            "/api/v1/follows",
            Some(json!({"subject": {"kind": "plan", "id": "qhpk-2000"}})),
            ip,
        )
        .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{b}");
        assert!(r.headers.get(header::RETRY_AFTER).is_some());
        // Junk tokens.
        for tok in ["abc", "u1-zz", "u1-00000000000000000000000000000000", "%00"] {
            let r = req(
                &st,
                "GET",
                &format!("/api/v1/follows/{tok}"),
                None,
                fresh_ip(),
            )
            .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{b}: {tok}");
        }
        // The sweep: a follow past its retention goes with its address.
        t.db.tx_blocking(|tx| tx.exec("UPDATE follow SET delete_after = 1", vals![]))
            .unwrap();
        t.db.tx_blocking(alerts::sweep).unwrap();
        assert_eq!(
            count(&t.db, "SELECT count(*) FROM follow", vec![]),
            0,
            "{b}"
        );
    }
}

/// `smtp_sink.py PORT OUT` running until dropped.
struct Sink {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_sink() -> Sink {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mail.jsonl");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(common::judges_python())
        .arg(judge(Path::new("smtp_sink.py")))
        .arg(port.to_string())
        .arg(&out)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready", "smtp_sink.py did not start");
    Sink {
        child,
        port,
        out,
        _dir: dir,
    }
}

fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, Vec<u8>) {
    common::process::http_request(addr, method, path, &[], b"").unwrap()
}

#[test]
fn an_email_reaches_the_smtp_server_with_the_change_and_its_unsubscribe_link() {
    let f = fixture();
    for t in every_backend() {
        let b = t.backend;
        let sink = smtp_sink();
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        copy_dir(&f.store, &store);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quyhoach"));
        cmd.args([
            "serve",
            "--quiet",
            "--listen",
            "127.0.0.1:0",
            "--reload-seconds",
            "1",
            "--store",
        ])
        .arg(&store)
        .args(["--smtp-url", &format!("smtp://127.0.0.1:{}", sink.port)])
        .args(["--mail-from", "quyhoach@example.vn"]);
        if t.backend == "postgres" {
            cmd.args(["--db-url", &t.location]);
        } else {
            cmd.args(["--db", &t.location]);
        }
        let server = common::process::ServeProcess::spawn(cmd);
        let email = format!("dan.{b}@example.vn");
        let (status, v) = server.post_json(
            "/api/v1/follows",
            &json!({"subject": {"kind": "parcel", "id": f.changed}, "email": email, "lang": "vi"}),
        );
        assert_eq!(status, 201, "{b}: {v}");
        let token = v["token"].as_str().unwrap().to_string();
        // The operator imports the revised zones; the server reloads and tells the follower.
        reimport_zones(&store);
        let t0 = Instant::now();
        let mail = loop {
            let text = std::fs::read_to_string(&sink.out).unwrap_or_default();
            if let Some(line) = text.lines().next() {
                break serde_json::from_str::<Value>(line).unwrap();
            }
            assert!(
                t0.elapsed() < Duration::from_secs(90),
                "{b}: no mail reached the SMTP server"
            );
            std::thread::sleep(Duration::from_millis(300));
        };
        assert_eq!(mail["rcpt_tos"], json!([email]), "{b}");
        assert_eq!(mail["mail_from"], "quyhoach@example.vn");
        let subject = mail["subject"].as_str().unwrap();
        assert!(subject.contains("Quy hoạch thay đổi"), "{b}: {subject}");
        assert!(mail["content_type"]
            .as_str()
            .unwrap()
            .contains("text/plain"));
        let body = mail["body"].as_str().unwrap();
        assert!(body.contains("Theo ") && body.contains('%'), "{b}: {body}");
        let site = format!("http://{}", server.addr);
        assert!(
            body.contains(&format!("{site}/?p={}", f.changed)),
            "{b}: {body}"
        );
        let link = format!("{site}/#/follow/u");
        assert!(body.contains(&link), "{b}: no unsubscribe link: {body}");
        let lu = mail["list_unsubscribe"].as_str().unwrap();
        assert!(
            lu.starts_with(&format!("<{site}/api/v1/follows/u")),
            "{b}: {lu}"
        );
        assert_eq!(mail["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
        // The mail's unsubscribe page asks first (a GET never unfollows).
        let page_link = format!("{site}/api/v1/follows/u");
        assert!(
            body.contains(&page_link),
            "{b}: no unsubscribe page link: {body}"
        );
        let page_path = body
            .split(&site)
            .find(|p| p.starts_with("/api/v1/follows/u"))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let (s, html) = http(server.addr, "GET", &page_path);
        let html = String::from_utf8_lossy(&html).to_string();
        assert_eq!(s, 200, "{b}: {html}");
        assert!(
            html.contains("<form method=\"post\"") && !html.contains('@'),
            "{b}: {html}"
        );
        let (s, _) = http(server.addr, "GET", &format!("/api/v1/follows/{token}"));
        assert_eq!(s, 200, "{b}: a GET of the unsubscribe page unfollowed");
        // One-click unsubscribe, as a mail client does it.
        let path = lu
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim_start_matches(&site);
        let (s, _) = http(server.addr, "POST", path);
        assert_eq!(s, 200, "{b}: one-click unsubscribe");
        let (s, _) = http(server.addr, "GET", &format!("/api/v1/follows/{token}"));
        assert_eq!(s, 404, "{b}: still followed after unsubscribing");
        let left = count(
            &t.db,
            "SELECT count(*) FROM follow WHERE email IS NOT NULL",
            vec![],
        );
        assert_eq!(left, 0, "{b}");
        drop(server);
    }
}

#[test]
fn mail_that_cannot_be_sent_is_retried_with_backoff_then_given_up() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = alerts::MailConfig {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from: "quyhoach@example.vn".into(),
    };
    for t in every_backend() {
        let b = t.backend;
        t.db.tx_blocking(|tx| {
            alerts::queue_mail(tx, "nguoi.hoi@example.vn", "Trả lời", "{{site}}/#/q/x")?;
            // Not an address: not queued.
            alerts::queue_mail(tx, "not an address", "x", "y")
        })
        .unwrap();
        assert_eq!(
            count(&t.db, "SELECT count(*) FROM mail_outbox", vec![]),
            1,
            "{b}"
        );
        let before = quyhoach_server::portal::sql::now();
        assert_eq!(alerts::mail::send_due(&t.db, &cfg).unwrap(), 0, "{b}");
        let row =
            t.db.tx_blocking(|tx| {
                tx.query_one(
                    "SELECT attempts, next_try_at, last_error, sent_at FROM mail_outbox",
                    vals![],
                )
            })
            .unwrap();
        assert_eq!(row.i64(0).unwrap(), 1, "{b}");
        let wait = row.i64(1).unwrap() - before;
        assert!((55..=65).contains(&wait), "{b}: first retry in {wait} s");
        assert!(row.opt_text(2).unwrap().is_some(), "{b}: no last_error");
        assert!(row.opt_i64(3).unwrap().is_none());
        // Not due yet: nothing is tried.
        assert_eq!(alerts::mail::send_due(&t.db, &cfg).unwrap(), 0);
        let attempts = count(&t.db, "SELECT attempts FROM mail_outbox", vec![]);
        assert_eq!(attempts, 1, "{b}: retried before its time");
        // Due again five more times: then given up.
        for _ in 0..7 {
            t.db.tx_blocking(|tx| tx.exec("UPDATE mail_outbox SET next_try_at = 0", vals![]))
                .unwrap();
            alerts::mail::send_due(&t.db, &cfg).unwrap();
        }
        let attempts = count(&t.db, "SELECT attempts FROM mail_outbox", vec![]);
        assert_eq!(attempts, alerts::mail::MAX_ATTEMPTS, "{b}: not given up");
    }
}

#[test]
fn two_senders_on_one_outbox_send_each_mail_once() {
    for t in every_backend() {
        let b = t.backend;
        let sink = smtp_sink();
        let cfg = alerts::MailConfig {
            smtp_url: format!("smtp://127.0.0.1:{}", sink.port),
            from: "quyhoach@example.vn".into(),
        };
        t.db.tx_blocking(|tx| {
            for i in 0..20 {
                alerts::queue_mail(tx, &format!("nguoi{i}@example.vn"), "Thư", "Nội dung")?;
            }
            Ok::<_, quyhoach_server::portal::sql::SqlError>(())
        })
        .unwrap();
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let (db, cfg) = (t.db.clone(), cfg.clone());
                std::thread::spawn(move || alerts::mail::send_due(&db, &cfg).unwrap())
            })
            .collect();
        let sent: usize = senders.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sent, 20, "{b}");
        let t0 = Instant::now();
        let lines = loop {
            let n = std::fs::read_to_string(&sink.out)
                .unwrap_or_default()
                .lines()
                .count();
            if n >= 20 || t0.elapsed() > Duration::from_secs(10) {
                break n;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(lines, 20, "{b}: mails received");
        let unsent = count(
            &t.db,
            "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL",
            vec![],
        );
        assert_eq!(unsent, 0, "{b}");
    }
}
