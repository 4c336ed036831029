//! The two-way routes against hostile visitors, on every state backend (SQLite, and
//! PostgreSQL when `QUYHOACH_TEST_PG` is set): every official route refuses anonymous and
//! wrong-role requests (the list comes from the served OpenAPI document, so a new route
//! cannot be forgotten); CSRF; a submission flood gets 429 while parcel lookups keep their
//! speed (measured on the real binary); no contact detail in any public answer, feed or
//! page; text escaped wherever it is shown; uploads checked and served to officials only.
//!
//! The tests of this file run one at a time (a lock), so the flood's latency figures are
//! not disturbed by the others.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request};
use common::twoway::{make_official, multipart, png, served_parcels, BOUNDARY};
use common::Resp;
use quyhoach_server::portal::accounts::Role;
use quyhoach_server::portal::sql::{vals, SqlError, StateDb, Tx};
use quyhoach_server::AppState;
use serde_json::{json, Value};

/// One test of this file at a time.
fn serial() -> MutexGuard<'static, ()> {
    static L: Mutex<()> = Mutex::new(());
    L.lock().unwrap_or_else(|e| e.into_inner())
}

const PASSWORD: &str = "mật khẩu thử nghiệm 2026";
/// Distinctive contact details: none may appear in any public answer.
const NAME: &str = "Trần Thị Bí Mật Zq";
const PHONE: &str = "0987654321";
const EMAIL: &str = "bimat.zq7@example.vn";
const FOLLOW_EMAIL: &str = "theodoi.zq7@example.vn";
const XSS: &str = "<script>alert(1)</script> và \"><img src=x onerror=alert(2)>";

/// A signed-in official: the session cookie and the CSRF token.
#[derive(Clone, Debug)]
struct Session {
    cookie: String,
    csrf: String,
}

/// A parcel of the demo: `commune/sheet/parcel`.
#[derive(Clone, Debug)]
struct Parcel {
    commune: String,
    id: String,
}

/// The demo, one state database, and the parcels the tests talk about.
struct Env {
    backend: &'static str,
    db: StateDb,
    state: AppState,
    etag: String,
    /// Parcels of two different communes (the first covered by the draft plan).
    a: Parcel,
    b: Parcel,
    _t: common::state::TestDb,
}

/// A client address per number, so per-client limits do not stop a test's own requests.
fn peer(n: u32) -> SocketAddr {
    SocketAddr::from(([10, (n >> 16) as u8, (n >> 8) as u8, n as u8], 40000))
}

impl Env {
    async fn new(t: common::state::TestDb) -> Env {
        let demo = common::demo();
        let state = common::state::with_state(&demo.state, &t.db);
        let (a, b) = demo_parcels(&state).await;
        let r = common::get(&state, &format!("/api/v1/parcels/{}/report", a.id)).await;
        let etag = r
            .headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Env {
            backend: t.backend,
            db: t.db.clone(),
            state,
            etag,
            a,
            b,
            _t: t,
        }
    }

    /// A request from client `ip` with `headers`.
    async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        ip: u32,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "test.local")
            .extension(ConnectInfo(peer(ip)));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        common::send(&self.state, b.body(Body::from(body)).unwrap()).await
    }

    async fn get(&self, uri: &str) -> Resp {
        self.call("GET", uri, &[], Vec::new(), 1).await
    }

    /// A request of a signed-in official (cookie and CSRF token).
    async fn official(&self, s: &Session, method: &str, uri: &str, body: &Value) -> Resp {
        let cookie = format!("qh_session={}", s.cookie);
        let body = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        self.call(
            method,
            uri,
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &s.csrf),
                ("content-type", "application/json"),
            ],
            body,
            2,
        )
        .await
    }

    /// Creates an account directly in the state database.
    fn account(&self, username: &str, role: Role, communes: &[&str]) {
        let name = format!("Cán bộ {username}");
        make_official(&self.db, username, &name, role, communes, PASSWORD);
    }

    async fn login(&self, username: &str, ip: u32) -> Session {
        let r = self
            .call(
                "POST",
                "/api/v1/auth/login",
                &[("content-type", "application/json")],
                json!({"username": username, "password": PASSWORD})
                    .to_string()
                    .into_bytes(),
                ip,
            )
            .await;
        assert_eq!(
            r.status,
            200,
            "{}: login {username}: {}",
            self.backend,
            r.text()
        );
        let set = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("qh_session="))
            .unwrap_or_else(|| panic!("no qh_session cookie: {:?}", r.headers))
            .to_string();
        let lower = set.to_ascii_lowercase();
        assert!(
            lower.contains("httponly") && lower.contains("samesite=strict"),
            "{set}"
        );
        let cookie = set["qh_session=".len()..]
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = r.json()["csrf"].as_str().unwrap().to_string();
        Session { cookie, csrf }
    }

    /// `n` form tokens, each fetched by its own client `ip0 + i`, old enough to be used.
    async fn form_tokens(&self, n: u32, ip0: u32) -> Vec<String> {
        let mut v = Vec::new();
        let mut wait = 3;
        for i in 0..n {
            let r = self
                .call("GET", "/api/v1/feedback/form", &[], Vec::new(), ip0 + i)
                .await;
            assert_eq!(r.status, 200, "{}: form token: {}", self.backend, r.text());
            let j = r.json();
            wait = j["min_seconds"].as_u64().unwrap_or(3);
            v.push(j["token"].as_str().unwrap().to_string());
        }
        tokio::time::sleep(Duration::from_millis(wait * 1000 + 300)).await;
        v
    }

    /// Sends a submission (JSON) from client `ip`.
    async fn submit(&self, body: &Value, ip: u32) -> Resp {
        self.call(
            "POST",
            "/api/v1/feedback",
            &[("content-type", "application/json")],
            body.to_string().into_bytes(),
            ip,
        )
        .await
    }

    /// A question about parcel `p` (with the contact details when `contact`).
    fn question(&self, p: &Parcel, text: &str, token: &str, contact: bool) -> Value {
        let mut q = json!({
            "kind": "question",
            "body": text,
            "subject": {"kind": "parcel", "parcel": p.id},
            "data_version": self.etag,
            "lang": "vi",
            "form_token": token,
            "website": "",
        });
        if contact {
            q["contact"] = json!({"name": NAME, "phone": PHONE, "email": EMAIL});
        }
        q
    }

    /// Opens a consultation on the draft plan, from an hour ago for ten days (straight
    /// into the table: the tests here are about what is done with it).
    fn open_consultation(&self) -> i64 {
        let now = quyhoach_server::portal::sql::now();
        self.db
            .tx_blocking(move |tx: &mut dyn Tx| -> Result<i64, SqlError> {
                tx.query_i64(
                    "INSERT INTO consultation (plan_id, title, description, communes, opens_at, \
                     closes_at, created_at) VALUES (?, ?, ?, '', ?, ?, ?) RETURNING id",
                    vals![
                        "qhpk-2000-dc",
                        "Lấy ý kiến dự thảo quy hoạch phân khu",
                        "Thử nghiệm",
                        now - 3600,
                        now + 10 * 86400,
                        now
                    ],
                )
            })
            .unwrap()
    }

    /// The current item of a submission, as its official sees it.
    async fn item(&self, s: &Session, id: i64) -> Value {
        let r = self
            .official(
                s,
                "GET",
                &format!("/api/v1/official/submissions/{id}"),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: item {id}: {}", self.backend, r.text());
        r.json()
    }

    /// Answers and publishes a submission; the published item.
    async fn answer_and_publish(&self, s: &Session, id: i64, answer: &str) -> Value {
        let v = self.item(s, id).await["version"].as_i64().unwrap();
        let r = self
            .official(
                s,
                "POST",
                &format!("/api/v1/official/submissions/{id}/answer"),
                &json!({"answer": answer, "version": v}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: answer: {}", self.backend, r.text());
        let v = r.json()["version"].as_i64().unwrap();
        let r = self
            .official(
                s,
                "POST",
                &format!("/api/v1/official/submissions/{id}/publish"),
                &json!({"version": v}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: publish: {}", self.backend, r.text());
        r.json()
    }

    /// Everything an action could change, to compare before and after a refused request.
    fn snapshot(&self) -> Vec<String> {
        self.db
            .tx_blocking(|tx: &mut dyn Tx| -> Result<Vec<String>, SqlError> {
                let mut out = Vec::new();
                for (what, sql) in [
                    (
                        "submission",
                        "SELECT id, state, version, COALESCE(answer, ''), COALESCE(hidden_reason, ''), \
                         COALESCE(merged_into, 0), COALESCE(fixed_version, '') FROM submission ORDER BY id",
                    ),
                    (
                        "consultation",
                        "SELECT id, title, opens_at, closes_at, communes FROM consultation ORDER BY id",
                    ),
                    ("official", "SELECT id, password_hash, disabled FROM official ORDER BY id"),
                    ("sessions", "SELECT count(*) FROM official_session"),
                    ("audit", "SELECT count(*) FROM audit_log"),
                    ("contacts", "SELECT count(*) FROM submission_contact"),
                ] {
                    for r in tx.query(sql, &[])? {
                        out.push(format!("{what}: {:?}", r.0));
                    }
                }
                Ok(out)
            })
            .unwrap()
    }
}

/// Two parcels of two communes whose reports answer 200, the first under the draft plan
/// (whose zones lie in a small box of the demo district).
async fn demo_parcels(state: &AppState) -> (Parcel, Parcel) {
    let mut under_draft: Option<Parcel> = None;
    let mut other: Option<Parcel> = None;
    for uri in [
        "/ogc/collections/parcels/items?bbox=105.1053,9.9479,105.1061,9.9486&limit=50",
        "/ogc/collections/parcels/items?limit=300&offset=1500",
        "/ogc/collections/parcels/items?limit=300&offset=2600",
    ] {
        let r = common::get(state, uri).await;
        assert_eq!(r.status, 200, "{}", r.text());
        for f in r.json()["features"].as_array().unwrap() {
            let p = &f["properties"];
            let text = |k: &str| {
                p[k].as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| p[k].to_string())
            };
            let c = text("commune_code");
            let id = format!("{c}/{}/{}", text("sheet"), text("parcel"));
            let rep = common::get(state, &format!("/api/v1/parcels/{id}/report")).await;
            if rep.status != 200 {
                continue;
            }
            let parcel = Parcel {
                commune: c.clone(),
                id,
            };
            match &under_draft {
                None if rep.text().contains("qhpk-2000-dc") => under_draft = Some(parcel),
                Some(a) if other.is_none() && a.commune != c => other = Some(parcel),
                _ => {}
            }
        }
    }
    (
        under_draft.expect("a parcel under the draft plan"),
        other.expect("a parcel of another commune"),
    )
}

/// The served OpenAPI document.
async fn openapi(env: &Env) -> Value {
    let r = env.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    r.json()
}

/// What fills a path's `{…}` segments.
#[derive(Default, Clone)]
struct Fill {
    submission: i64,
    attachment: i64,
    consultation: i64,
    feedback_token: String,
    follow_token: String,
    parcel: String,
    commune: String,
    plan: String,
}

/// A path template with its parameters filled from `f` (by the path and the name).
fn fill(template: &str, f: &Fill) -> String {
    let parcel: Vec<&str> = f.parcel.split('/').collect();
    let mut out = String::new();
    let segs: Vec<&str> = template.split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        let Some(open) = seg.find('{') else {
            out.push_str(seg);
            continue;
        };
        let close = seg.find('}').unwrap();
        let name = &seg[open + 1..close];
        let prev = if i > 0 { segs[i - 1] } else { "" };
        let value = match (prev, name) {
            (_, "commune") if template.contains("/parcels/") => parcel[0].to_string(),
            (_, "sheet") => parcel[1].to_string(),
            (_, "parcel") => parcel[2].to_string(),
            (_, "aid") | (_, "attachment") | (_, "attachment_id") | ("attachments", _) => {
                f.attachment.to_string()
            }
            ("follow", _) | ("follows", _) => f.follow_token.clone(),
            ("feedback", _) => f.feedback_token.clone(),
            ("commune", _) | ("communes", _) => f.commune.clone(),
            ("plan", _) | ("plans", _) => f.plan.clone(),
            ("submissions", _) => f.submission.to_string(),
            ("consultations", _) => f.consultation.to_string(),
            ("collections", _) => "parcels".into(),
            ("items", _) => "1".into(),
            ("tiles", _) if segs.len() == 3 => "planning.json".into(),
            ("tiles", _) => "planning".into(),
            _ => "1".into(),
        };
        out.push_str(&seg[..open]);
        out.push_str(&value);
        let rest = &seg[close + 1..];
        out.push_str(rest);
        if template.starts_with("/feeds/") && rest.is_empty() && i == segs.len() - 1 {
            out.push_str(".atom");
        }
    }
    out
}

/// `(path, method)` of every operation of the OpenAPI document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (m, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&m.as_str()) {
                v.push((path.clone(), m.to_ascii_uppercase()));
            }
        }
    }
    v
}

/// A well-formed body for a state-changing route (so a refusal is about who asks, not
/// about the body).
fn body_for(path: &str, other_id: i64) -> Value {
    let now = quyhoach_server::portal::sql::now();
    match path.rsplit('/').next().unwrap_or("") {
        "answer" => json!({"answer": "Trả lời không được phép", "version": 1}),
        "publish" => json!({"version": 1}),
        "hide" => json!({"reason": "không được phép", "version": 1}),
        "merge" => json!({"into": other_id, "version": 1}),
        "fixed" => json!({"note": "không được phép", "version": 1}),
        "consultations" => json!({"plan_id": "qhpk-2000-dc", "title": "Không được phép",
            "description": "", "communes": [], "opens_at": now, "closes_at": now + 86400}),
        "password" => json!({"old": PASSWORD, "new": "một mật khẩu mới đủ dài"}),
        "logout" => json!({}),
        _ if path.contains("/consultations/") => json!({"title": "Không được phép"}),
        _ => json!({}),
    }
}

/// The routes that need a signed-in official: under `/api/v1/official/`, and the auth
/// routes other than signing in.
fn needs_session(path: &str) -> bool {
    path.starts_with("/api/v1/official/")
        || (path.starts_with("/api/v1/auth/") && path != "/api/v1/auth/login")
}

/// Sets up a scenario: officials, a consultation, questions (with contact details and
/// hostile text) and a comment answered and published, a photo, a follow with an email.
struct Scenario {
    po: Session,
    commune_b: Session,
    fill: Fill,
    question_id: i64,
    other_id: i64,
}

async fn scenario(env: &Env) -> Scenario {
    env.account("phong.qh", Role::PlanningOffice, &[]);
    env.account("xa.b", Role::Commune, &[&env.b.commune]);
    let po = env.login("phong.qh", 900).await;
    let commune_b = env.login("xa.b", 901).await;
    let consultation = env.open_consultation();
    let tokens = env.form_tokens(4, 100).await;
    // A question in commune A with contact details and hostile text.
    let r = env
        .submit(
            &env.question(&env.a, &format!("Câu hỏi ZQA1 {XSS}"), &tokens[0], true),
            100,
        )
        .await;
    assert_eq!(r.status, 201, "{}: question: {}", env.backend, r.text());
    let q = r.json();
    assert!(
        q["follow_url"].as_str().unwrap().starts_with("/#/q/"),
        "{q}"
    );
    let (question_id, feedback_token) = (
        q["id"].as_i64().unwrap(),
        q["token"].as_str().unwrap().to_string(),
    );
    // A comment on the draft plan, with contact details, hostile text and a photo.
    let comment = json!({
        "kind": "comment",
        "position": "object",
        "body": format!("Góp ý ZQA2 {XSS}"),
        "subject": {"kind": "parcel", "parcel": env.a.id, "plan_id": "qhpk-2000-dc"},
        "data_version": env.etag,
        "contact": {"name": NAME, "phone": PHONE, "email": EMAIL},
        "lang": "vi",
        "form_token": tokens[1],
        "website": "",
    });
    let r = env
        .call(
            "POST",
            "/api/v1/feedback",
            &[(
                "content-type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            )],
            multipart(&comment, Some(("anh.png", "image/png", &png(64, 48)))),
            101,
        )
        .await;
    assert_eq!(r.status, 201, "{}: comment: {}", env.backend, r.text());
    let comment_id = r.json()["id"].as_i64().unwrap();
    // A question in commune B.
    let r = env
        .submit(&env.question(&env.b, "Câu hỏi xã B", &tokens[2], true), 102)
        .await;
    assert_eq!(r.status, 201, "{}: question B: {}", env.backend, r.text());
    let other_id = r.json()["id"].as_i64().unwrap();
    env.answer_and_publish(&po, question_id, &format!("Trả lời {XSS}"))
        .await;
    env.answer_and_publish(&po, comment_id, &format!("Tiếp thu {XSS}"))
        .await;
    // A follow of parcel A with an email.
    let r = env
        .call(
            "POST",
            "/api/v1/follows",
            &[("content-type", "application/json")],
            json!({"subject": {"kind": "parcel", "id": env.a.id}, "email": FOLLOW_EMAIL, "lang": "vi"})
                .to_string()
                .into_bytes(),
            103,
        )
        .await;
    assert_eq!(r.status, 201, "{}: follow: {}", env.backend, r.text());
    let follow_token = r.json()["token"].as_str().unwrap().to_string();
    let item = env.item(&po, comment_id).await;
    let attachment = item["attachments"][0]["id"].as_i64().unwrap_or(0);
    Scenario {
        po,
        commune_b,
        fill: Fill {
            submission: comment_id,
            attachment,
            consultation,
            feedback_token,
            follow_token,
            parcel: env.a.id.clone(),
            commune: env.a.commune.clone(),
            plan: "qhpk-2000-dc".into(),
        },
        question_id,
        other_id,
    }
}

/// Runs `f` on every backend, each in its own runtime.
fn on_every_backend<F, Fut>(f: F)
where
    F: Fn(common::state::TestDb) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for t in common::state::every_backend() {
        let backend = t.backend;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(f(t));
        eprintln!("{backend}: ok");
    }
}

#[test]
fn every_official_route_refuses_anonymous_and_wrong_role_requests() {
    let _l = serial();
    on_every_backend(|t| async move {
        let env = Env::new(t).await;
        let s = scenario(&env).await;
        let doc = openapi(&env).await;
        let ops: Vec<_> = operations(&doc)
            .into_iter()
            .filter(|(p, _)| needs_session(p))
            .collect();
        // The list is the served document's: not empty, and every registered route is in it.
        assert!(
            ops.len() >= 10,
            "{}: official routes in openapi.json: {ops:?}",
            env.backend
        );
        for (path, _) in quyhoach_server::route_list() {
            if needs_session(path) {
                assert!(
                    ops.iter().any(|(p, _)| p == path),
                    "{path} is served but not in openapi.json"
                );
            }
        }
        // Targets in commune A, which the commune-B officer may not touch.
        let mut foreign = s.fill.clone();
        foreign.commune = env.a.commune.clone();
        let before = env.snapshot();
        let mut refused = Vec::new();
        let mut wrong = Vec::new();
        for (path, method) in &ops {
            let uri = fill(path, &s.fill);
            let body = body_for(path, s.other_id);
            // Anonymous, a forged cookie, an expired-looking token: 401.
            for cookie in [
                None,
                Some("qh_session=00"),
                Some(&*format!("qh_session={}", "a".repeat(64))),
            ] {
                let mut h = vec![("content-type", "application/json")];
                if let Some(c) = cookie {
                    h.push(("cookie", c));
                }
                let r = env
                    .call(method, &uri, &h, body.to_string().into_bytes(), 5)
                    .await;
                assert_eq!(
                    r.status,
                    401,
                    "{}: {method} {uri} with {cookie:?} answered {}: {}",
                    env.backend,
                    r.status,
                    r.text()
                );
                assert!(
                    r.content_type().contains("json"),
                    "{method} {uri}: {}",
                    r.content_type()
                );
            }
            // The commune-B officer on commune A's things, plan-wide consultations, exports.
            if path.starts_with("/api/v1/auth/") {
                continue;
            }
            let r = env.official(&s.commune_b, method, &uri, &body).await;
            let listing = method == "GET" && !path.contains('{');
            if listing {
                // Lists answer, filtered to the officer's communes (or 403).
                assert!(
                    r.status == 200 || r.status == 403,
                    "{}: {method} {uri} → {}",
                    env.backend,
                    r.status
                );
                if r.status == 200 && path.ends_with("/inbox") {
                    for it in r.json()["items"].as_array().unwrap() {
                        assert_eq!(
                            it["subject"]["commune"].as_str(),
                            Some(env.b.commune.as_str()),
                            "{}: a commune officer sees another commune's submission: {it}",
                            env.backend
                        );
                    }
                    assert!(!r.text().contains(&env.a.id), "{}", r.text());
                }
                if r.status == 200 && path.ends_with("/audit") {
                    assert!(
                        !r.text().contains("phong.qh"),
                        "{}: a commune officer reads another official's actions: {}",
                        env.backend,
                        r.text()
                    );
                }
            } else {
                // A read of one foreign thing may also hide that it exists (404), or answer
                // the officer's own part of it (a consultation's summary of their communes'
                // comments: nothing of commune A); an action is refused (403).
                let own_part = method == "GET"
                    && r.status == 200
                    && !["ZQA1", "ZQA2", env.a.id.as_str()]
                        .iter()
                        .any(|m| r.text().contains(m));
                // Another commune's submission does not exist for a commune officer: 404
                // (reads and actions alike) tells nothing either.
                let foreign_submission = path.contains("/submissions/{") && r.status == 404;
                let fine = r.status == 403
                    || (method == "GET" && r.status == 404)
                    || foreign_submission
                    || own_part;
                if fine {
                    refused.push(format!("{method} {path} → {}", r.status.as_u16()));
                } else {
                    let t = r.text();
                    wrong.push(format!(
                        "{method} {uri} answered {}: {}",
                        r.status,
                        &t[..t.len().min(300)]
                    ));
                }
                assert!(!r.text().contains(NAME) && !r.text().contains(EMAIL));
            }
        }
        assert!(
            wrong.is_empty(),
            "{}: the commune-B officer was not refused (want 403):\n{}",
            env.backend,
            wrong.join("\n")
        );
        // (Exports are audited: compare all but the audit log.)
        let no_audit = |v: Vec<String>| -> Vec<String> {
            v.into_iter().filter(|l| !l.starts_with("audit")).collect()
        };
        assert_eq!(
            no_audit(before),
            no_audit(env.snapshot()),
            "{}: a refused request changed something",
            env.backend
        );
        // The officer's own commune works (the 403s above were about role and commune).
        let r = env
            .official(
                &s.commune_b,
                "GET",
                &format!("/api/v1/official/submissions/{}", s.other_id),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}: own commune: {}", env.backend, r.text());
        eprintln!(
            "{}: {} official operations refuse anonymous requests; {} refuse the commune officer: {refused:?}",
            env.backend,
            ops.len(),
            refused.len()
        );
        let _ = s.question_id;
        let _ = s.po;
    });
}

#[test]
fn state_changing_official_routes_need_the_csrf_token_and_our_origin() {
    let _l = serial();
    on_every_backend(|t| async move {
        let env = Env::new(t).await;
        let s = scenario(&env).await;
        let doc = openapi(&env).await;
        let ops: Vec<_> = operations(&doc)
            .into_iter()
            .filter(|(p, m)| needs_session(p) && m != "GET")
            .collect();
        assert!(ops.len() >= 8, "{}: {ops:?}", env.backend);
        let cookie = format!("qh_session={}", s.po.cookie);
        let before = env.snapshot();
        for (path, method) in &ops {
            let uri = fill(path, &s.fill);
            let mut body = body_for(path, s.other_id);
            // The current version: only the CSRF check stands in the way.
            if body.get("version").is_some() {
                body["version"] = env.item(&s.po, s.fill.submission).await["version"].clone();
            }
            let wrong = "0".repeat(s.po.csrf.len().max(8));
            let cases: [(&str, Vec<(&str, &str)>); 5] = [
                ("no token", vec![("cookie", &cookie)]),
                (
                    "a wrong token",
                    vec![("cookie", &cookie), ("x-csrf-token", &wrong)],
                ),
                (
                    "an empty token",
                    vec![("cookie", &cookie), ("x-csrf-token", "")],
                ),
                (
                    "a foreign Origin",
                    vec![
                        ("cookie", &cookie),
                        ("x-csrf-token", &s.po.csrf),
                        ("origin", "https://evil.example"),
                    ],
                ),
                (
                    "Origin null",
                    vec![
                        ("cookie", &cookie),
                        ("x-csrf-token", &s.po.csrf),
                        ("origin", "null"),
                    ],
                ),
            ];
            for (what, mut h) in cases {
                h.push(("content-type", "application/json"));
                let r = env
                    .call(method, &uri, &h, body.to_string().into_bytes(), 7)
                    .await;
                assert_eq!(
                    r.status,
                    403,
                    "{}: {method} {uri} with {what} answered {}: {}",
                    env.backend,
                    r.status,
                    r.text()
                );
            }
        }
        assert_eq!(
            before,
            env.snapshot(),
            "{}: a request without CSRF changed something",
            env.backend
        );
        // The session is still good, and the same request with the token and our origin works.
        let r = env
            .call(
                "GET",
                "/api/v1/auth/me",
                &[("cookie", &cookie)],
                Vec::new(),
                7,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = env
            .call(
                "POST",
                "/api/v1/auth/logout",
                &[
                    ("cookie", &cookie),
                    ("x-csrf-token", &s.po.csrf),
                    ("origin", "http://test.local"),
                ],
                Vec::new(),
                7,
            )
            .await;
        assert_eq!(
            r.status,
            204,
            "{}: logout with the token: {}",
            env.backend,
            r.text()
        );
        let r = env
            .call(
                "GET",
                "/api/v1/auth/me",
                &[("cookie", &cookie)],
                Vec::new(),
                7,
            )
            .await;
        assert_eq!(
            r.status, 401,
            "{}: the session outlived logout",
            env.backend
        );
        eprintln!(
            "{}: {} state-changing official operations refuse 5 CSRF cases each",
            env.backend,
            ops.len()
        );
    });
}

/// Public GET routes to fetch: every GET of the OpenAPI document outside the official and
/// auth routes, filled, with the query parameters that select the scenario's things; and
/// the pages.
fn public_targets(doc: &Value, f: &Fill) -> Vec<String> {
    let mut v = Vec::new();
    for (path, method) in operations(doc) {
        if method != "GET" || needs_session(&path) || path == "/api/v1/auth/login" {
            continue;
        }
        let base = fill(&path, f);
        v.push(base.clone());
        let params: Vec<String> = doc["paths"][&path]["get"]["parameters"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut q = Vec::new();
        for p in &params {
            let val = match p.as_str() {
                "commune" => f.commune.clone(),
                "plan" => f.plan.clone(),
                "parcel" | "p" => f.parcel.clone(),
                "q" => "Câu hỏi".into(),
                "lang" => "vi".into(),
                "status" => "open".into(),
                "limit" => "100".into(),
                _ => continue,
            };
            q.push(format!(
                "{p}={}",
                percent_encoding::utf8_percent_encode(&val, percent_encoding::NON_ALPHANUMERIC)
            ));
        }
        if !q.is_empty() {
            v.push(format!("{base}?{}", q.join("&")));
        }
    }
    let p = &f.parcel;
    for extra in [
        format!("/?p={p}"),
        format!("/api/v1/parcels/{p}/report.html"),
        format!("/api/v1/parcels/{p}/report.txt"),
        format!("/api/v1/parcels/{p}/report?lang=en"),
        "/text".into(),
        format!("/text/communes/{}", f.commune),
        format!("/text/plans/{}", f.plan),
        "/text/plans/qhpk-2000".into(),
        format!("/text?q={}", p.replace('/', "%2F")),
        format!("/feeds/commune/{}.atom", f.commune),
        format!("/feeds/plan/{}.atom", f.plan),
        "/feeds/plan/qhpk-2000.atom".into(),
        format!("/feeds/follow/{}.atom", f.follow_token),
        format!("/api/v1/feedback/{}", f.feedback_token),
        format!("/api/v1/follows/{}", f.follow_token),
        format!("/api/v1/qa?parcel={}", p.replace('/', "%2F")),
        format!("/api/v1/qa?commune={}", f.commune),
        "/api/v1/qa".into(),
        "/api/v1/qa?q=tra%20loi".into(),
        "/api/v1/consultations".into(),
        format!("/api/v1/consultations/{}", f.consultation),
        format!("/api/v1/consultations/{}/comments", f.consultation),
    ] {
        v.push(extra);
    }
    let set: BTreeSet<String> = v.into_iter().collect();
    set.into_iter().collect()
}

#[test]
fn no_contact_detail_in_any_public_answer_feed_or_page() {
    let _l = serial();
    on_every_backend(|t| async move {
        let env = Env::new(t).await;
        let s = scenario(&env).await;
        let doc = openapi(&env).await;
        let targets = public_targets(&doc, &s.fill);
        let mut ok = BTreeMap::new();
        for uri in &targets {
            let r = env.get(uri).await;
            let text = r.text();
            for secret in [NAME, PHONE, EMAIL, FOLLOW_EMAIL, "bimat.zq7", "0987654321"] {
                assert!(
                    !text.contains(secret),
                    "{}: GET {uri} shows a contact detail ({secret}): {}",
                    env.backend,
                    &text[..text.len().min(2000)]
                );
            }
            // No follow or private tokens of others, no client keys.
            if !uri.contains(&s.fill.feedback_token) && !uri.contains(&s.fill.follow_token) {
                assert!(!text.contains(&s.fill.feedback_token), "{uri}");
                assert!(!text.contains(&s.fill.follow_token), "{uri}");
            }
            ok.insert(uri.clone(), r.status.as_u16());
        }
        // The answers that matter did answer, with the published text in them.
        let must = |uri: &str| {
            let st = ok.get(uri).copied();
            assert_eq!(st, Some(200), "{}: {uri} → {st:?}", env.backend);
        };
        for uri in [
            "/api/v1/qa".to_string(),
            "/api/v1/consultations".to_string(),
            format!("/api/v1/consultations/{}/comments", s.fill.consultation),
            format!("/feeds/commune/{}.atom", s.fill.commune),
            format!("/feeds/plan/{}.atom", s.fill.plan),
            format!("/feeds/follow/{}.atom", s.fill.follow_token),
            format!("/api/v1/feedback/{}", s.fill.feedback_token),
            format!("/api/v1/follows/{}", s.fill.follow_token),
        ] {
            must(&uri);
        }
        let qa = env.get("/api/v1/qa").await.json();
        assert!(
            qa["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"].as_i64() == Some(s.question_id)),
            "{}: the published question is not in the Q&A: {qa}",
            env.backend
        );
        let comments = env
            .get(&format!(
                "/api/v1/consultations/{}/comments",
                s.fill.consultation
            ))
            .await;
        assert!(comments.text().contains("Góp ý"), "{}", comments.text());
        // The asker's private view says only that contact details were given.
        let own = env
            .get(&format!("/api/v1/feedback/{}", s.fill.feedback_token))
            .await
            .json();
        assert_eq!(own["contact_given"], json!(true), "{own}");
        assert!(own.get("contact").is_none_or(Value::is_null), "{own}");
        // The follow's page says only that an email was given.
        let f = env
            .get(&format!("/api/v1/follows/{}", s.fill.follow_token))
            .await
            .json();
        assert_eq!(f["email_given"], json!(true), "{f}");
        // The officials do see them (they are kept, only not published).
        let item = env.item(&s.po, s.question_id).await;
        assert_eq!(item["contact"]["email"].as_str(), Some(EMAIL), "{item}");
        // After the asker erases them, not even officials do.
        let r = env
            .call(
                "DELETE",
                &format!("/api/v1/feedback/{}/contact", s.fill.feedback_token),
                &[],
                Vec::new(),
                100,
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text());
        let item = env.item(&s.po, s.question_id).await;
        assert!(!item.to_string().contains(EMAIL), "{item}");
        let fetched: Vec<_> = ok.iter().filter(|(_, s)| **s == 200).collect();
        eprintln!(
            "{}: {} public URLs fetched ({} answered 200), none shows a contact detail",
            env.backend,
            ok.len(),
            fetched.len()
        );
    });
}

/// Whether a JSON value holds the string `s` anywhere.
fn has_string(v: &Value, s: &str) -> bool {
    match v {
        Value::String(x) => x == s,
        Value::Array(a) => a.iter().any(|x| has_string(x, s)),
        Value::Object(o) => o.values().any(|x| has_string(x, s)),
        _ => false,
    }
}

/// Whether `text` shows markup of the hostile strings unescaped.
fn raw_markup(text: &str) -> Option<&'static str> {
    [
        "<script>alert(1)",
        "<img src=x",
        "<img src=\"x\"",
        "onerror=alert(2)>",
    ]
    .into_iter()
    .find(|m| text.contains(m))
}

#[test]
fn hostile_text_is_escaped_wherever_it_is_shown() {
    let _l = serial();
    on_every_backend(|t| async move {
        let env = Env::new(t).await;
        let s = scenario(&env).await;
        let c = s.fill.consultation;
        // HTML and Atom: escaped.
        let mut pages = vec![
            (
                format!("/api/v1/official/consultations/{c}/summary.html"),
                true,
            ),
            (
                format!("/api/v1/official/consultations/{c}/summary.csv"),
                true,
            ),
            (format!("/feeds/commune/{}.atom", s.fill.commune), false),
            (format!("/feeds/plan/{}.atom", s.fill.plan), false),
            ("/feeds/plan/qhpk-2000.atom".to_string(), false),
            (format!("/feeds/follow/{}.atom", s.fill.follow_token), false),
            (
                format!("/api/v1/parcels/{}/report.html", s.fill.parcel),
                false,
            ),
            (format!("/?p={}", s.fill.parcel), false),
            (format!("/text/communes/{}", s.fill.commune), false),
            (format!("/text/plans/{}", s.fill.plan), false),
        ];
        let mut shown = 0;
        for (uri, official) in pages.drain(..) {
            let r = if official {
                env.official(&s.po, "GET", &uri, &json!({})).await
            } else {
                env.get(&uri).await
            };
            let text = r.text();
            if official {
                assert_eq!(r.status, 200, "{}: {uri}: {text}", env.backend);
            }
            if uri.ends_with(".csv") {
                // CSV is not markup; it must not start a cell with a formula either.
                assert!(
                    text.contains("Tiếp thu"),
                    "{}: {uri} lacks the response: {text}",
                    env.backend
                );
                for line in text.lines() {
                    for cell in line.split(',') {
                        let c = cell.trim_start_matches('"');
                        assert!(
                            !c.starts_with(['=', '+', '@']),
                            "{}: a CSV cell starts a formula: {line}",
                            env.backend
                        );
                    }
                }
                continue;
            }
            if let Some(m) = raw_markup(&text) {
                panic!(
                    "{}: GET {uri} shows {m:?} unescaped: {}",
                    env.backend,
                    &text[..text.len().min(3000)]
                );
            }
            if text.contains("&lt;script&gt;alert(1)") || text.contains("&lt;script&gt;") {
                shown += 1;
            }
            if uri.contains("summary.html") {
                assert!(
                    text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                    "{}: the summary does not show the comment, escaped: {text}",
                    env.backend
                );
                assert!(
                    text.contains("Tiếp thu"),
                    "{}: no response in the summary",
                    env.backend
                );
            }
            if uri.ends_with(".atom") && r.status == 200 {
                assert!(
                    r.content_type().starts_with("application/atom+xml"),
                    "{uri}: {}",
                    r.content_type()
                );
            }
        }
        // JSON: the text comes back as the same string, whole.
        let qa = env.get("/api/v1/qa").await.json();
        let item = qa["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"].as_i64() == Some(s.question_id))
            .unwrap_or_else(|| panic!("{}: not in the Q&A: {qa}", env.backend))
            .clone();
        assert_eq!(
            item["question"].as_str(),
            Some(&*format!("Câu hỏi ZQA1 {XSS}")),
            "{item}"
        );
        assert_eq!(
            item["answer"].as_str(),
            Some(&*format!("Trả lời {XSS}")),
            "{item}"
        );
        let r = env.get("/api/v1/qa").await;
        assert!(
            r.content_type().starts_with("application/json"),
            "{}",
            r.content_type()
        );
        let own = env
            .get(&format!("/api/v1/feedback/{}", s.fill.feedback_token))
            .await
            .json();
        assert_eq!(own["body"].as_str(), Some(&*format!("Câu hỏi ZQA1 {XSS}")));
        let comments = env
            .get(&format!("/api/v1/consultations/{c}/comments"))
            .await;
        assert!(comments.text().contains("Góp ý"), "{}", comments.text());
        assert!(
            has_string(&comments.json(), &format!("Góp ý ZQA2 {XSS}")),
            "{}: the comment is not shown whole: {}",
            env.backend,
            comments.text()
        );
        eprintln!(
            "{}: hostile text escaped; shown escaped on {shown} pages",
            env.backend
        );
    });
}

#[test]
fn uploads_are_checked_and_photos_served_to_officials_only() {
    let _l = serial();
    on_every_backend(|t| async move {
        let env = Env::new(t).await;
        let s = scenario(&env).await;
        let tokens = env.form_tokens(8, 300).await;
        let count = |env: &Env| {
            env.db
                .tx_blocking(|tx: &mut dyn Tx| tx.query_i64("SELECT count(*) FROM submission", &[]))
                .unwrap()
        };
        let n0 = count(&env);
        let mut photo_with_tail = png(32, 32);
        photo_with_tail.extend_from_slice(b"<html><script>alert('tail')</script></html>");
        let pdf_js = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec();
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#.to_vec();
        let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
        let big = {
            let mut v = png(8, 8);
            v.resize(5 * 1024 * 1024 + 10, 0);
            v
        };
        let refused: Vec<(&str, &str, &str, Vec<u8>)> = vec![
            ("HTML named .jpg", "anh.jpg", "image/jpeg", html.clone()),
            ("HTML as text/html", "trang.html", "text/html", html),
            ("SVG named .png", "anh.png", "image/png", svg.clone()),
            ("SVG", "ban-do.svg", "image/svg+xml", svg),
            ("PDF with JavaScript", "don.pdf", "application/pdf", pdf_js),
            ("over 5 MB", "lon.png", "image/png", big),
        ];
        for (i, (what, name, ty, bytes)) in refused.iter().enumerate() {
            let q = env.question(&env.a, &format!("Kèm tệp {what}"), &tokens[i], false);
            let r = env
                .call(
                    "POST",
                    "/api/v1/feedback",
                    &[(
                        "content-type",
                        &format!("multipart/form-data; boundary={BOUNDARY}"),
                    )],
                    multipart(&q, Some((name, ty, bytes))),
                    300 + i as u32,
                )
                .await;
            assert!(
                [413, 415, 422].contains(&r.status.as_u16()),
                "{}: {what} answered {}: {}",
                env.backend,
                r.status,
                r.text()
            );
        }
        assert_eq!(
            count(&env),
            n0,
            "{}: a refused upload left a submission",
            env.backend
        );
        // A photo with markup after its end: refused, or stored without the tail.
        let q = env.question(&env.a, "Ảnh có đuôi lạ", &tokens[6], false);
        let r = env
            .call(
                "POST",
                "/api/v1/feedback",
                &[(
                    "content-type",
                    &format!("multipart/form-data; boundary={BOUNDARY}"),
                )],
                multipart(&q, Some(("anh.png", "image/png", &photo_with_tail))),
                306,
            )
            .await;
        let tail_id = (r.status == 201).then(|| r.json()["id"].as_i64().unwrap());
        // The accepted photo of the scenario: officials only, as an attachment, nosniff.
        assert!(
            s.fill.attachment > 0,
            "{}: the comment's photo is not listed",
            env.backend
        );
        let uri = format!(
            "/api/v1/official/submissions/{}/attachments/{}",
            s.fill.submission, s.fill.attachment
        );
        let r = env.official(&s.po, "GET", &uri, &json!({})).await;
        assert_eq!(r.status, 200, "{}: {uri}: {}", env.backend, r.text());
        let h = |k: &str| {
            r.headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        assert!(
            h("content-disposition").starts_with("attachment"),
            "{:?}",
            r.headers
        );
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert!(
            h("content-security-policy").contains("sandbox"),
            "{:?}",
            r.headers
        );
        assert!(h("cache-control").contains("no-store"), "{:?}", r.headers);
        assert!(
            h("content-type").starts_with("image/png")
                || h("content-type").starts_with("image/jpeg"),
            "{:?}",
            r.headers
        );
        image::load_from_memory(&r.body).expect("the served photo decodes");
        // Nobody else: anonymous 401, the other commune's officer 403.
        let r = env.get(&uri).await;
        assert_eq!(
            r.status, 401,
            "{}: anonymous download: {}",
            env.backend, r.status
        );
        let r = env.official(&s.commune_b, "GET", &uri, &json!({})).await;
        assert!(
            r.status == 403 || r.status == 404,
            "{}: commune B's officer downloads: {}",
            env.backend,
            r.status
        );
        assert!(!r.body.starts_with(b"\x89PNG"));
        // The tail never reaches an official's browser.
        if let Some(id) = tail_id {
            let it = env.item(&s.po, id).await;
            if let Some(aid) = it["attachments"][0]["id"].as_i64() {
                let r = env
                    .official(
                        &s.po,
                        "GET",
                        &format!("/api/v1/official/submissions/{id}/attachments/{aid}"),
                        &json!({}),
                    )
                    .await;
                assert_eq!(r.status, 200);
                assert!(
                    !String::from_utf8_lossy(&r.body).contains("<script"),
                    "{}: the photo's trailing markup was kept",
                    env.backend
                );
            }
        }
        // Public answers carry no attachment.
        for u in [
            "/api/v1/qa".to_string(),
            format!("/api/v1/consultations/{}/comments", s.fill.consultation),
        ] {
            let t = env.get(&u).await.text();
            assert!(!t.contains("attachments/"), "{u}: {t}");
            assert!(!t.contains("iVBORw0KGgo"), "{u} carries a PNG");
        }
        eprintln!(
            "{}: 6 disguised or oversized uploads refused; the photo is served to officials only",
            env.backend
        );
    });
}

// ---- the flood, on the real binary ----------------------------------------------------

/// `quyhoach serve` on the demo store with a state database of `backend`.
fn serve(
    store: &std::path::Path,
    dir: &std::path::Path,
    pg: Option<&str>,
) -> common::process::ServeProcess {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_quyhoach"));
    cmd.args(["serve", "--quiet", "--listen", "127.0.0.1:0", "--store"])
        .arg(store)
        .arg("--db")
        .arg(dir.join("portal.sqlite"));
    if let Some(url) = pg {
        cmd.args(["--db-url", url]);
    }
    common::process::ServeProcess::spawn(cmd)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// `n` parcel report lookups one after the other: latencies in ms.
fn lookups(addr: SocketAddr, parcels: &[String], n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let t0 = Instant::now();
            let (st, _) = common::process::http_request(
                addr,
                "GET",
                &format!("/api/v1/parcels/{}/report", parcels[i % parcels.len()]),
                &[],
                b"",
            )
            .unwrap();
            assert_eq!(st, 200);
            t0.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

/// Submissions of the flood.
const FLOOD: usize = 2000;
/// Each of the flood's 50 threads sends one submission per period (500 a second in all):
/// the test machine has two cores, which an unpaced flood from the test's own threads
/// fills by itself; `bench/twoway_flood.sh` measures the unpaced case.
const FLOOD_PERIOD: Duration = Duration::from_millis(100);

#[test]
fn a_submission_flood_gets_429_and_lookups_keep_their_speed() {
    let _l = serial();
    let demo = common::demo();
    let mut backends: Vec<(&str, Option<String>)> = vec![("sqlite", None)];
    if let Some(url) = common::state::postgres_url() {
        backends.push(("postgres", Some(url)));
    }
    for (backend, pg) in backends {
        let dir = tempfile::tempdir().unwrap();
        let mut srv = serve(&demo.store, dir.path(), pg.as_deref());
        let addr = srv.addr;
        // Real parcels of the store.
        let parcels = served_parcels(addr, 200);
        assert!(parcels.len() > 50, "{}", parcels.len());
        // Form tokens for the flood, from the one client (as many as the server gives).
        let mut tokens = Vec::new();
        for _ in 0..200 {
            match common::process::http_request(addr, "GET", "/api/v1/feedback/form", &[], b"") {
                Ok((200, b)) => {
                    let v: Value = serde_json::from_slice(&b).unwrap();
                    tokens.push(v["token"].as_str().unwrap().to_string());
                }
                _ => break,
            }
        }
        assert!(!tokens.is_empty(), "{backend}: no form token");
        std::thread::sleep(Duration::from_millis(3300));
        lookups(addr, &parcels, 20); // warm
        let mut before = lookups(addr, &parcels, 200);
        let (b50, b95) = (percentile(&mut before, 0.5), percentile(&mut before, 0.95));
        // The flood: 2,000 submissions from 50 threads, one client.
        let sent = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let tokens = Arc::new(tokens);
        let statuses = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
        let retry_after_missing = Arc::new(AtomicUsize::new(0));
        let parcel0 = parcels[0].clone();
        let flood: Vec<_> = (0..50)
            .map(|w| {
                let (sent, stop, tokens, statuses, missing, parcel) = (
                    sent.clone(),
                    stop.clone(),
                    tokens.clone(),
                    statuses.clone(),
                    retry_after_missing.clone(),
                    parcel0.clone(),
                );
                std::thread::spawn(move || loop {
                    let i = sent.fetch_add(1, Ordering::SeqCst);
                    if i >= FLOOD || stop.load(Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(FLOOD_PERIOD);
                    let body = json!({
                        "kind": "question", "body": format!("Lũ câu hỏi {w} {i}"),
                        "subject": {"kind": "parcel", "parcel": parcel},
                        "lang": "vi", "form_token": tokens[i % tokens.len()], "website": "",
                    });
                    match common::process::http_exchange(
                        addr,
                        "POST",
                        "/api/v1/feedback",
                        &[("Content-Type", "application/json")],
                        body.to_string().as_bytes(),
                    ) {
                        Ok((st, head, _)) => {
                            if st == 429 && !head.to_ascii_lowercase().contains("\nretry-after:") {
                                missing.fetch_add(1, Ordering::SeqCst);
                            }
                            *statuses.lock().unwrap().entry(st).or_default() += 1;
                        }
                        Err(_) => *statuses.lock().unwrap().entry(0).or_default() += 1,
                    }
                })
            })
            .collect();
        let t0 = Instant::now();
        // Lookups, one every 5 ms, for as long as the flood lasts.
        let mut during = Vec::new();
        while sent.load(Ordering::SeqCst) < FLOOD && t0.elapsed() < Duration::from_secs(60) {
            during.extend(lookups(addr, &parcels[during.len() % parcels.len()..], 1));
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, Ordering::SeqCst);
        for t in flood {
            t.join().unwrap();
        }
        let flood_s = t0.elapsed().as_secs_f64();
        let (d50, d95) = (percentile(&mut during, 0.5), percentile(&mut during, 0.95));
        let statuses = statuses.lock().unwrap().clone();
        eprintln!(
            "{backend}: report lookups before the flood: median {b50:.2} ms, p95 {b95:.2} ms; \
             during {FLOOD} submissions from 50 threads (each one per {FLOOD_PERIOD:?}: \
             {:.0}/s, {flood_s:.1} s), {} lookups: median {d50:.2} ms, p95 {d95:.2} ms \
             (×{:.2}); submissions answered {statuses:?}",
            FLOOD as f64 / flood_s,
            during.len(),
            d50 / b50
        );
        let n429 = statuses.get(&429).copied().unwrap_or(0);
        assert!(
            during.len() >= 100,
            "{backend}: only {} lookups during the flood",
            during.len()
        );
        assert!(
            n429 > 1000,
            "{backend}: the flood was not limited: {statuses:?}"
        );
        assert!(
            statuses.get(&201).copied().unwrap_or(0) <= 50,
            "{backend}: one client got too many submissions in: {statuses:?}"
        );
        assert_eq!(
            retry_after_missing.load(Ordering::SeqCst),
            0,
            "{backend}: 429 without Retry-After"
        );
        assert!(
            !statuses.keys().any(|s| *s >= 500 || *s == 0),
            "{backend}: {statuses:?}"
        );
        assert!(
            d50 <= (5.0 * b50).max(5.0) && d50 < 50.0,
            "{backend}: lookups slowed by the flood: median {b50:.2} → {d50:.2} ms"
        );
        assert!(srv.alive());
    }
}
