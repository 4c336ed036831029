//! Questions, data-error reports and comments (`/api/v1/feedback`), the private link and the
//! public Q&A, in process on the demo store and on every state database backend: what is
//! stored is what the report said; comments follow the consultation window; spam defences
//! (form token, honeypot, rate limits); attachments are re-encoded or refused; no contact
//! detail is ever public; the sweep deletes contacts past retention.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request};
use common::{send, Resp};
use quyhoach_data::schema::Kind;
use quyhoach_server::portal::feedback;
use quyhoach_server::portal::sql::{now, vals, SqlError, StateDb, Tx};
use quyhoach_server::AppState;
use serde_json::{json, Value};

const DRAFT: &str = "qhpk-2000-dc";
const IN_FORCE: &str = "qhpk-2000";

static IP: AtomicU32 = AtomicU32::new(1);

/// A new client address for each request (the per-client limit is tested on its own).
fn fresh_ip() -> SocketAddr {
    let n = IP.fetch_add(1, Ordering::Relaxed);
    SocketAddr::from(([10, (n >> 16) as u8, (n >> 8) as u8, n as u8], 40000))
}

/// A parcel under both the in-force plan and the draft (non-sliver zones), numbered once
/// in its sheet: `(path c/s/p, in-force zone id, draft zone id, report)`.
fn parcel() -> &'static (String, String, String, Value) {
    static P: std::sync::OnceLock<(String, String, String, Value)> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let ix = &common::demo().index;
        let layer = ix
            .catalog()
            .layers
            .iter()
            .find(|(_, l)| l.kind == Kind::Parcels)
            .map(|(id, _)| id.clone())
            .unwrap();
        let feats = (0..4).flat_map(|page| {
            ix.features_in_bbox(&layer, None, 1000, page * 1000)
                .unwrap()
                .0
        });
        for f in feats {
            let p = &f.properties;
            let c = p["commune_code"].as_str().unwrap().to_string();
            let (s, n) = (p["sheet"].as_i64().unwrap(), p["parcel"].as_i64().unwrap());
            if ix.parcels_by_number(&c, s, n).unwrap().len() != 1 {
                continue;
            }
            let r = ix
                .report(&quyhoach_data::planning::Site::Parcel {
                    layer: f.layer.clone(),
                    id: f.id,
                })
                .unwrap();
            let zone = |plan: &str| {
                r.plans
                    .iter()
                    .find(|pl| pl.plan.id == plan)
                    .and_then(|pl| pl.zones.iter().find(|z| !z.sliver))
                    .and_then(|z| z.zone_id.clone())
            };
            if let (Some(a), Some(b)) = (zone(IN_FORCE), zone(DRAFT)) {
                return (
                    format!("{c}/{s}/{n}"),
                    a,
                    b,
                    serde_json::to_value(&r).unwrap(),
                );
            }
        }
        panic!("no parcel under both plans in the demo store");
    })
}

fn form_token(db: &StateDb) -> String {
    let key = db
        .tx_blocking(|tx: &mut dyn Tx| {
            quyhoach_server::portal::twoway::shared_secret(tx, "feedback-form")
        })
        .unwrap();
    feedback::make_form_token(&key, now() - 10).unwrap()
}

async fn submit_from(st: &AppState, ip: SocketAddr, body: &Value) -> Resp {
    let req = Request::post("/api/v1/feedback")
        .header(header::HOST, "test.local")
        .header(header::CONTENT_TYPE, "application/json")
        .extension(ConnectInfo(ip))
        .body(Body::from(body.to_string()))
        .unwrap();
    send(st, req).await
}

async fn submit(st: &AppState, body: &Value) -> Resp {
    submit_from(st, fresh_ip(), body).await
}

async fn call(st: &AppState, method: &str, uri: &str) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "test.local")
        .extension(ConnectInfo(fresh_ip()))
        .body(Body::empty())
        .unwrap();
    send(st, req).await
}

fn question(db: &StateDb, subject: Value, body: &str) -> Value {
    json!({"kind": "question", "body": body, "subject": subject, "lang": "vi",
        "form_token": form_token(db), "website": "", "data_version": "\"seen-by-asker\""})
}

fn detail(r: &Resp) -> String {
    r.json()["detail"].as_str().unwrap_or("").to_string()
}

fn count(db: &StateDb, sql: &'static str) -> i64 {
    db.tx_blocking(move |tx: &mut dyn Tx| tx.query_i64(sql, &[]))
        .unwrap()
}

/// A small square (WGS 84) around a point.
fn square(lon: f64, lat: f64, d: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d],
        [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]})
}

#[tokio::test(flavor = "multi_thread")]
async fn questions_on_every_subject_record_what_the_report_said() {
    let demo = common::demo();
    let (path, zone, _, report) = parcel();
    let web = common::get(&demo.state, &format!("/api/v1/parcels/{path}/report")).await;
    assert_eq!(web.status, 200);
    let headline = web.json()["headline_vi"].as_str().unwrap().to_string();
    assert_eq!(headline, report["headline_vi"].as_str().unwrap());
    for t in common::state::every_backend() {
        let st = common::state::with_state(&demo.state, &t.db);
        let b = t.backend;
        // A question on a parcel, with contact details.
        let mut q = question(
            &t.db,
            json!({"kind": "parcel", "parcel": path}),
            "  Thửa này có bị quy hoạch làm đường không?\u{0}  ",
        );
        q["contact"] =
            json!({"name": "Nguyễn Văn A", "phone": "0912 345 678", "email": "a@example.vn"});
        let r = submit(&st, &q).await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        let created = r.json();
        assert_eq!(created["state"], "new");
        assert_eq!(created["kind"], "question");
        let token = created["token"].as_str().unwrap().to_string();
        assert_eq!(created["follow_url"], format!("/#/q/{token}"));
        assert_eq!(created["subject_label"], report["site"]["label"]);
        assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
        let id = created["id"].as_i64().unwrap();
        let row = t
            .db
            .tx_blocking(move |tx: &mut dyn Tx| {
                tx.query_one(
                    "SELECT body, parcel_id, commune, context, geometry, data_version, subject_label \
                     FROM submission WHERE id = ?",
                    vals![id],
                )
            })
            .unwrap();
        assert_eq!(
            row.text(0).unwrap(),
            "Thửa này có bị quy hoạch làm đường không?"
        );
        assert_eq!(row.text(1).unwrap(), *path);
        assert_eq!(row.text(2).unwrap(), path.split('/').next().unwrap());
        let ctx: Value = serde_json::from_str(&row.text(3).unwrap()).unwrap();
        assert_eq!(ctx["headline_vi"], headline, "{b}");
        assert_eq!(ctx["answer_kind"], report["answer_kind"]);
        let plans = ctx["plans"].as_array().unwrap();
        let in_force = plans.iter().find(|p| p["id"] == IN_FORCE).unwrap();
        assert_eq!(in_force["zones"][0]["zone_id"], zone.as_str());
        // The asker saw another data version: the server's is recorded beside it.
        assert_eq!(row.text(5).unwrap(), "\"seen-by-asker\"");
        assert_eq!(ctx["current_data_version"], demo.state.etag.as_ref());
        let geom: Value = serde_json::from_str(&row.text(4).unwrap()).unwrap();
        assert!(geom["type"].as_str().unwrap().contains("Polygon"));

        // The private view.
        let v = call(&st, "GET", &format!("/api/v1/feedback/{token}")).await;
        assert_eq!(v.status, 200, "{b}: {}", v.text());
        assert_eq!(v.headers[header::CACHE_CONTROL], "no-store");
        let v = v.json();
        assert_eq!(v["id"], id);
        assert_eq!(v["state"], "new");
        assert_eq!(v["subject"]["parcel"], path.as_str());
        assert_eq!(v["contact_given"], true);
        assert_eq!(v["answer"], Value::Null);
        assert_eq!(v["published"], false);
        assert!(
            !v.to_string().contains("0912"),
            "the view echoes no contact"
        );
        let unknown = call(&st, "GET", &format!("/api/v1/feedback/{}", "0".repeat(64))).await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            call(&st, "GET", "/api/v1/feedback/..%2Fetc").await.status,
            404
        );
        // Erasing the contact.
        let d = call(&st, "DELETE", &format!("/api/v1/feedback/{token}/contact")).await;
        assert_eq!(d.status, 204, "{b}: {}", d.text());
        let v = call(&st, "GET", &format!("/api/v1/feedback/{token}"))
            .await
            .json();
        assert_eq!(v["contact_given"], false);
        assert_eq!(count(&t.db, "SELECT count(*) FROM submission_contact"), 0);

        // On a drawn site around the parcel's centre.
        let bbox = report["site"]["bbox"].as_array().unwrap();
        let (lon, lat) = (
            (bbox[0].as_f64().unwrap() + bbox[2].as_f64().unwrap()) / 2.0,
            (bbox[1].as_f64().unwrap() + bbox[3].as_f64().unwrap()) / 2.0,
        );
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "site", "geometry": square(lon, lat, 0.0001)}),
                "Khu đất này quy hoạch gì?",
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        let sid = r.json()["id"].as_i64().unwrap();
        let row =
            t.db.tx_blocking(move |tx: &mut dyn Tx| {
                tx.query_one(
                    "SELECT subject_kind, commune, context FROM submission WHERE id = ?",
                    vals![sid],
                )
            })
            .unwrap();
        assert_eq!(row.text(0).unwrap(), "site");
        assert_eq!(row.opt_text(1).unwrap().as_deref(), path.split('/').next());
        let ctx: Value = serde_json::from_str(&row.text(2).unwrap()).unwrap();
        assert!(!ctx["headline_vi"].as_str().unwrap().is_empty());
        // A site far outside the data, and one with too many vertices.
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "site", "geometry": square(2.0, 48.0, 0.001)}),
                "?",
            ),
        )
        .await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        let ring: Vec<Value> = (0..=2500)
            .map(|i| {
                let a = i as f64 / 2500.0 * std::f64::consts::TAU;
                json!([lon + 0.0005 * a.cos(), lat + 0.0005 * a.sin()])
            })
            .collect();
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "site", "geometry": {"type": "Polygon", "coordinates": [ring]}}),
                "?",
            ),
        )
        .await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        assert!(detail(&r).contains("2000"), "{}", detail(&r));

        // On a plan, on a zone of it; an unknown plan, zone, parcel.
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "plan", "plan_id": IN_FORCE}),
                "Khi nào điều chỉnh?",
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        assert!(!r.json()["subject_label"].as_str().unwrap().is_empty());
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "zone", "plan_id": IN_FORCE, "zone_id": zone}),
                "Ô này cao mấy tầng?",
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        assert!(r.json()["subject_label"]
            .as_str()
            .unwrap()
            .contains(zone.as_str()));
        let r = submit(
            &st,
            &question(&t.db, json!({"kind": "plan", "plan_id": "nope"}), "?"),
        )
        .await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "zone", "plan_id": IN_FORCE, "zone_id": "no-such-zone"}),
                "?",
            ),
        )
        .await;
        assert_eq!(r.status, 404, "{b}: {}", r.text());
        let c = path.split('/').next().unwrap();
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "parcel", "parcel": format!("{c}/999999/999999")}),
                "?",
            ),
        )
        .await;
        assert_eq!(r.status, 404, "{b}: {}", r.text());
        let r = submit(
            &st,
            &question(
                &t.db,
                json!({"kind": "parcel", "parcel": "../../etc/passwd"}),
                "?",
            ),
        )
        .await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());

        // A data-error report; bad fields.
        let mut e = question(
            &t.db,
            json!({"kind": "parcel", "parcel": path}),
            "Diện tích sai, sổ đỏ ghi 120 m²",
        );
        e["kind"] = "error".into();
        let r = submit(&st, &e).await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        let mut long = question(
            &t.db,
            json!({"kind": "plan", "plan_id": IN_FORCE}),
            &"a".repeat(4001),
        );
        let r = submit(&st, &long).await;
        assert_eq!(r.status, 422);
        long["body"] = "ok".into();
        long["contact"] = json!({"email": "not an email"});
        assert_eq!(submit(&st, &long).await.status, 422);
        long["contact"] = json!({"phone": "<script>"});
        assert_eq!(submit(&st, &long).await.status, 422);
        long["contact"] = Value::Null;
        long["extra"] = "x".into();
        assert_eq!(submit(&st, &long).await.status, 400);
        assert_eq!(
            count(&t.db, "SELECT count(*) FROM submission"),
            5,
            "{b}: parcel, site, plan, zone, error"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn public_qa_shows_published_rows_only_without_contacts_and_finds_words_without_accents() {
    let demo = common::demo();
    let (path, _, _, _) = parcel();
    for t in common::state::every_backend() {
        let st = common::state::with_state(&demo.state, &t.db);
        let b = t.backend;
        let mut ids = Vec::new();
        for text in [
            "Đất ở tại thửa này có được xây nhà 3 tầng không?",
            "Con đường dự kiến rộng bao nhiêu mét?",
            "Câu hỏi chưa trả lời về đất ở",
        ] {
            let mut q = question(&t.db, json!({"kind": "parcel", "parcel": path}), text);
            q["contact"] = json!({"name": "Trần Thị Bí Mật", "phone": "0987 654 321", "email": "secret@example.vn"});
            let r = submit(&st, &q).await;
            assert_eq!(r.status, 201, "{b}: {}", r.text());
            ids.push(r.json()["id"].as_i64().unwrap());
        }
        // The inbox is another module's: answer and publish the first two by SQL.
        let (a, c) = (ids[0], ids[1]);
        t.db.tx_blocking(move |tx: &mut dyn Tx| -> Result<(), SqlError> {
            for (id, ans) in [
                (a, "Được, theo quy hoạch đất ở đô thị."),
                (c, "Lộ giới 20 m."),
            ] {
                tx.exec(
                    "UPDATE submission SET state = 'published', answer = ?, answer_folded = ?, \
                     answered_at = ?, published_at = ? WHERE id = ?",
                    vals![
                        ans,
                        quyhoach_server::portal::sql::fold(ans),
                        now(),
                        now(),
                        id
                    ],
                )?;
            }
            Ok(())
        })
        .unwrap();
        let all = call(&st, "GET", "/api/v1/qa").await;
        assert_eq!(all.status, 200, "{b}: {}", all.text());
        assert_eq!(
            all.headers[header::CACHE_CONTROL],
            feedback::QA_CACHE_CONTROL
        );
        let text = all.text();
        for secret in ["Bí Mật", "0987", "secret@", "token", "client", "follow"] {
            assert!(!text.contains(secret), "{b}: '{secret}' in the public Q&A");
        }
        let v = all.json();
        assert_eq!(v["total"], 2, "{b}: published rows only");
        assert!(v["items"][0]["answer"].as_str().is_some());
        assert_eq!(v["items"][0]["subject"]["parcel"], path.as_str());
        let find = |q: &'static str| {
            let st = st.clone();
            async move {
                let r = call(&st, "GET", &format!("/api/v1/qa?q={q}")).await;
                assert_eq!(r.status, 200);
                r.json()["total"].as_i64().unwrap()
            }
        };
        assert_eq!(find("dat%20o").await, 1, "{b}: folded search");
        assert_eq!(
            find("%C4%91%E1%BA%A5t%20%E1%BB%9F").await,
            1,
            "{b}: 'đất ở'"
        );
        assert_eq!(
            find("LO%20GIOI").await,
            1,
            "{b}: the answer is searched too"
        );
        assert_eq!(find("100%25").await, 0, "{b}: % is literal");
        assert_eq!(find("chua%20tra%20loi").await, 0, "{b}: unpublished");
        let commune = path.split('/').next().unwrap();
        let r = call(
            &st,
            "GET",
            &format!("/api/v1/qa?commune={commune}&parcel={path}&limit=1"),
        )
        .await;
        assert_eq!(r.json()["total"], 2);
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 1);
        assert_eq!(
            call(&st, "GET", "/api/v1/qa?commune=00000").await.json()["total"],
            0
        );
        assert_eq!(call(&st, "GET", "/api/v1/qa?limit=51").await.status, 400);
        assert_eq!(call(&st, "GET", "/api/v1/qa?bogus=1").await.status, 400);
        // The asker sees the answer on the private link.
        let _ = a;
    }
}

async fn comment(st: &AppState, db: &StateDb, position: &str) -> Resp {
    let (path, _, _, _) = parcel();
    submit(
        st,
        &json!({"kind": "comment", "position": position, "body": "Tôi đồng ý mở rộng đường",
            "subject": {"kind": "parcel", "parcel": path, "plan_id": DRAFT},
            "form_token": form_token(db), "website": ""}),
    )
    .await
}

fn consultation(db: &StateDb, opens: i64, closes: i64) -> i64 {
    db.tx_blocking(move |tx: &mut dyn Tx| {
        tx.query_i64(
            "INSERT INTO consultation (plan_id, title, communes, opens_at, closes_at, created_at) \
             VALUES (?, 'Lấy ý kiến', '', ?, ?, ?) RETURNING id",
            vals![DRAFT, opens, closes, now()],
        )
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn comments_are_taken_inside_the_window_only() {
    let demo = common::demo();
    let (_, _, draft_zone, _) = parcel();
    for t in common::state::every_backend() {
        let st = common::state::with_state(&demo.state, &t.db);
        let b = t.backend;
        let r = comment(&st, &t.db, "support").await;
        assert_eq!(r.status, 422, "{b}: no consultation: {}", r.text());
        // Closed on 2024-03-01 (Asia/Ho_Chi_Minh).
        consultation(&t.db, 1_700_000_000, 1_709_226_000);
        let r = comment(&st, &t.db, "support").await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        assert!(
            detail(&r).contains("closed") && detail(&r).contains("01/03/2024"),
            "{}",
            detail(&r)
        );
        let upcoming = consultation(&t.db, now() + 86_400 * 3, now() + 86_400 * 30);
        let r = comment(&st, &t.db, "object").await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        assert!(detail(&r).contains("opens"), "{}", detail(&r));
        t.db.tx_blocking(move |tx: &mut dyn Tx| {
            tx.exec(
                "UPDATE consultation SET opens_at = ? WHERE id = ?",
                vals![now() - 60, upcoming],
            )
        })
        .unwrap();
        let r = comment(&st, &t.db, "object").await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        let row = t
            .db
            .tx_blocking(move |tx: &mut dyn Tx| {
                tx.query_one("SELECT consultation_id, zone_id, position, plan_id FROM submission WHERE id = ?", vals![id])
            })
            .unwrap();
        assert_eq!(row.opt_i64(0).unwrap(), Some(upcoming));
        assert_eq!(
            row.opt_text(1).unwrap().as_deref(),
            Some(draft_zone.as_str()),
            "{b}: the draft's zone"
        );
        assert_eq!(row.text(2).unwrap(), "object");
        assert_eq!(row.text(3).unwrap(), DRAFT);
        // A comment needs a position and a plan.
        assert_eq!(comment(&st, &t.db, "maybe").await.status, 422);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn spam_defences_token_honeypot_and_rate_limits() {
    let demo = common::demo();
    let plan = json!({"kind": "plan", "plan_id": IN_FORCE});
    for t in common::state::every_backend() {
        let st = common::state::with_state(&demo.state, &t.db);
        let b = t.backend;
        // Missing, forged, too young.
        let mut q = question(&t.db, plan.clone(), "Xin hỏi");
        q.as_object_mut().unwrap().remove("form_token");
        let r = submit(&st, &q).await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        assert!(detail(&r).contains("form_token"));
        let good = form_token(&t.db);
        let forged = format!("{}0", &good[..good.len() - 1]);
        let forged = if forged == good {
            format!("{}1", &good[..good.len() - 1])
        } else {
            forged
        };
        q["form_token"] = forged.into();
        assert_eq!(submit(&st, &q).await.status, 422);
        let f = call(&st, "GET", "/api/v1/feedback/form").await;
        assert_eq!(f.status, 200);
        assert_eq!(f.json()["min_seconds"], 3);
        q["form_token"] = f.json()["token"].clone();
        let r = submit(&st, &q).await;
        assert_eq!(r.status, 422, "{b}: too young: {}", r.text());
        assert!(detail(&r).contains("wait"), "{}", detail(&r));
        // The same token, a few seconds later, is taken: a person reads first.
        tokio::time::sleep(Duration::from_millis(3100)).await;
        assert_eq!(submit(&st, &q).await.status, 201, "{b}");
        // The honeypot: looks accepted, stores nothing.
        let before = count(&t.db, "SELECT count(*) FROM submission");
        let mut bot = question(&t.db, plan.clone(), "Buy now");
        bot["website"] = "http://spam.example".into();
        bot["contact"] = json!({"email": "bot@spam.example"});
        let r = submit(&st, &bot).await;
        assert_eq!(r.status, 201, "{b}");
        assert!(r.json()["token"].as_str().unwrap().len() == 64);
        assert_eq!(count(&t.db, "SELECT count(*) FROM submission"), before);
        assert_eq!(count(&t.db, "SELECT count(*) FROM submission_contact"), 0);
        // One client: 5 in 10 minutes, then 429 with Retry-After; another client goes on.
        let ip = fresh_ip();
        for i in 0..5 {
            let r = submit_from(&st, ip, &question(&t.db, plan.clone(), "Hỏi")).await;
            assert_eq!(r.status, 201, "{b}: #{i}: {}", r.text());
        }
        let r = submit_from(&st, ip, &question(&t.db, plan.clone(), "Hỏi")).await;
        assert_eq!(r.status, 429, "{b}");
        let wait: u64 = r.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=600).contains(&wait), "{wait}");
        // Refused before the body is even read: junk gets 429 too.
        let req = Request::post("/api/v1/feedback")
            .header(header::HOST, "test.local")
            .header(header::CONTENT_TYPE, "application/json")
            .extension(ConnectInfo(ip))
            .body(Body::from("{not json"))
            .unwrap();
        assert_eq!(send(&st, req).await.status, 429);
        assert_eq!(
            submit(&st, &question(&t.db, plan.clone(), "Hỏi"))
                .await
                .status,
            201
        );
        // Other content types, oversized JSON.
        let req = Request::post("/api/v1/feedback")
            .header(header::HOST, "test.local")
            .header(header::CONTENT_TYPE, "text/plain")
            .extension(ConnectInfo(fresh_ip()))
            .body(Body::from("hi"))
            .unwrap();
        assert_eq!(send(&st, req).await.status, 415);
        let mut big = question(&t.db, plan.clone(), "x");
        big["body"] = "x".repeat(200_000).into();
        assert_eq!(submit(&st, &big).await.status, 413);
    }
}

// ---------------------------------------------------------------- attachments

fn multipart(data: &Value, file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----qh-test-boundary-7d3f";
    let mut out = Vec::new();
    out.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"data\"\r\nContent-Type: application/json\r\n\r\n{data}\r\n").as_bytes(),
    );
    if let Some((name, ct, bytes)) = file {
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), out)
}

async fn with_file(st: &AppState, db: &StateDb, name: &str, ct: &str, bytes: &[u8]) -> Resp {
    let data = question(
        db,
        json!({"kind": "plan", "plan_id": IN_FORCE}),
        "Ảnh hiện trạng kèm theo",
    );
    let (ctype, body) = multipart(&data, Some((name, ct, bytes)));
    let req = Request::post("/api/v1/feedback")
        .header(header::HOST, "test.local")
        .header(header::CONTENT_TYPE, ctype)
        .extension(ConnectInfo(fresh_ip()))
        .body(Body::from(body))
        .unwrap();
    send(st, req).await
}

fn stored(db: &StateDb, id: i64) -> (String, String, Vec<u8>) {
    db.tx_blocking(move |tx: &mut dyn Tx| {
        let r = tx.query_one(
            "SELECT media_type, filename, bytes FROM submission_attachment WHERE submission_id = ?",
            vals![id],
        )?;
        Ok::<_, SqlError>((r.text(0)?, r.text(1)?, r.blob(2)?))
    })
    .unwrap()
}

/// A JPEG photo with an EXIF APP1 segment holding a GPS IFD and a marker text.
fn jpeg_with_gps() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    let mut jpg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpg, 90)
        .encode_image(&img)
        .unwrap();
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    // IFD0: one entry, GPSInfo (0x8825) → offset 26.
    tiff.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    // GPS IFD: GPSLatitudeRef = "N".
    tiff.extend_from_slice(&[0, 1, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0]);
    tiff.extend_from_slice(b"GPS-MARKER 10.7769N 106.7009E");
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpg[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn pdf(objects: &[&[u8]]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    for (i, o) in objects.iter().enumerate() {
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    out.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_are_reencoded_or_refused() {
    use std::io::Write;
    let demo = common::demo();
    for t in common::state::every_backend() {
        let st = common::state::with_state(&demo.state, &t.db);
        let b = t.backend;
        // A phone photo with GPS in EXIF comes back without it.
        let jpg = jpeg_with_gps();
        assert!(contains(&jpg, b"GPS-MARKER"));
        let r = with_file(&st, &t.db, "../../IMG_0001.JPG", "image/jpeg", &jpg).await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        let (mt, name, bytes) = stored(&t.db, r.json()["id"].as_i64().unwrap());
        assert_eq!(mt, "image/jpeg");
        assert_eq!(name, "IMG_0001.jpg");
        assert!(
            !contains(&bytes, b"Exif") && !contains(&bytes, b"GPS-MARKER"),
            "{b}: EXIF kept"
        );
        let back = image::load_from_memory(&bytes).unwrap();
        assert_eq!((back.width(), back.height()), (64, 48));
        // A PNG with something appended after its end.
        let mut png = Vec::new();
        image::RgbaImage::from_pixel(20, 10, image::Rgba([200, 10, 10, 255]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        png.extend_from_slice(b"PK\x03\x04<script>alert('junk')</script>");
        let r = with_file(&st, &t.db, "hien-trang.png", "image/png", &png).await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        let (mt, _, bytes) = stored(&t.db, r.json()["id"].as_i64().unwrap());
        assert_eq!(mt, "image/png");
        assert!(!contains(&bytes, b"junk") && !contains(&bytes, b"PK\x03\x04"));
        // PDFs: clean accepted as sent; active content refused, however hidden.
        let clean = pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
        ]);
        let r = with_file(&st, &t.db, "to-trinh.pdf", "application/pdf", &clean).await;
        assert_eq!(r.status, 201, "{b}: {}", r.text());
        let (mt, _, bytes) = stored(&t.db, r.json()["id"].as_i64().unwrap());
        assert_eq!((mt.as_str(), bytes), ("application/pdf", clean.clone()));
        let js = pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 3 0 R >> >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            b"<< /S /JavaScript /JS (app.alert(1)) >>",
        ]);
        let escaped = pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert(1)) >>",
        ]);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Long enough to be Huffman-coded (a short input may be stored as is).
        z.write_all(b"4 0 << /S /JavaScript /JS (app.alert(1)) >>")
            .unwrap();
        z.write_all(&b"% padding padding padding\n".repeat(200))
            .unwrap();
        let packed = z.finish().unwrap();
        let mut objstm = format!(
            "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
            packed.len()
        )
        .into_bytes();
        objstm.extend_from_slice(&packed);
        objstm.extend_from_slice(b"\nendstream");
        let hidden = pdf(&[
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            &objstm,
        ]);
        assert!(!contains(&hidden, b"JavaScript"));
        let encrypted = pdf(&[b"<< /Type /Catalog >>"]).replace_trailer();
        for (what, bytes) in [
            ("js", &js),
            ("escaped", &escaped),
            ("object stream", &hidden),
            ("encrypted", &encrypted),
        ] {
            let r = with_file(&st, &t.db, "a.pdf", "application/pdf", bytes).await;
            assert_eq!(r.status, 422, "{b}: {what}: {}", r.text());
            let d = detail(&r);
            if what != "encrypted" {
                assert!(d.contains("active content"), "{what}: {d}");
            } else {
                assert!(d.contains("encrypted"), "{d}");
            }
        }
        assert!(
            detail(&with_file(&st, &t.db, "a.pdf", "application/pdf", &escaped).await)
                .contains("JavaScript")
        );
        // An HTML page named .jpg; a 6 MB file; a pixel bomb.
        let r = with_file(
            &st,
            &t.db,
            "photo.jpg",
            "image/jpeg",
            b"<html><script>alert(1)</script></html>",
        )
        .await;
        assert_eq!(r.status, 415, "{b}: {}", r.text());
        let r = with_file(
            &st,
            &t.db,
            "big.jpg",
            "image/jpeg",
            &vec![0xFFu8; 6 * 1024 * 1024],
        )
        .await;
        assert_eq!(r.status, 413, "{b}: {}", r.text());
        let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = 60_000u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&60_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        bomb.extend(png_chunk(b"IHDR", &ihdr));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 1 << 20]).unwrap();
        bomb.extend(png_chunk(b"IDAT", &z.finish().unwrap()));
        bomb.extend(png_chunk(b"IEND", b""));
        let started = Instant::now();
        let r = with_file(&st, &t.db, "bomb.png", "image/png", &bomb).await;
        assert_eq!(r.status, 422, "{b}: {}", r.text());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(detail(&r).contains("pixels"), "{}", detail(&r));
        // Nothing of the refused ones was stored.
        assert_eq!(
            count(&t.db, "SELECT count(*) FROM submission_attachment"),
            3
        );
        assert_eq!(count(&t.db, "SELECT count(*) FROM submission"), 3);
    }
}

trait Encrypted {
    fn replace_trailer(self) -> Vec<u8>;
}
impl Encrypted for Vec<u8> {
    fn replace_trailer(self) -> Vec<u8> {
        let s = String::from_utf8_lossy(&self).replace(
            "<< /Root 1 0 R >>",
            "<< /Root 1 0 R /Encrypt << /Filter /Standard /V 2 >> >>",
        );
        s.into_bytes()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_deletes_contacts_past_retention() {
    let demo = common::demo();
    for t in common::state::every_backend() {
        let st = common::state::with_state(&demo.state, &t.db);
        for _ in 0..2 {
            let mut q = question(&t.db, json!({"kind": "plan", "plan_id": IN_FORCE}), "Hỏi");
            q["contact"] = json!({"email": "a@example.vn"});
            assert_eq!(submit(&st, &q).await.status, 201);
        }
        let retention = count(&t.db, "SELECT min(delete_after - created_at) FROM submission_contact s JOIN submission ON submission.id = s.submission_id");
        assert_eq!(
            retention,
            365 * 86_400,
            "{}: the default retention",
            t.backend
        );
        t.db.tx_blocking(|tx: &mut dyn Tx| {
            tx.exec(
                "UPDATE submission_contact SET delete_after = ? WHERE submission_id = (SELECT min(id) FROM submission)",
                vals![now() - 1],
            )?;
            tx.exec("UPDATE submission SET created_at = ? WHERE id = (SELECT min(id) FROM submission)", vals![now() - 30 * 86_400])
        })
        .unwrap();
        let n =
            t.db.tx_blocking(|tx: &mut dyn Tx| feedback::sweep(tx))
                .unwrap();
        assert_eq!(n, 2, "{}: one contact, one client key", t.backend);
        assert_eq!(count(&t.db, "SELECT count(*) FROM submission_contact"), 1);
        assert_eq!(
            count(
                &t.db,
                "SELECT count(*) FROM submission WHERE client IS NULL"
            ),
            1
        );
    }
}
