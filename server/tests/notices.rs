//! Notices on every backend: an officer of 31150 publishes the demo draft's consultation
//! notice (one web action, every file), other officers and anonymous callers are refused,
//! CSRF is required, bad plans are refused; the list, one and file routes with each file's
//! type (PDF, a 1200×630 PNG, Ogg and MP3), the post within its limits, the website fragment
//! without script; the public page, the notice's page with its Open Graph tags and the Atom
//! feed judged by Python's HTML parser and feedparser; a whole-area notice of the planning
//! office listed for a commune its plan covers; withdrawal; a render that fails (no fonts)
//! publishes nothing; hostile paths.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use axum::http::Method;
use common::twoway::{call, make_official, request, sign_in};
use common::{demo, get, Resp};
use quyhoach_server::portal::accounts::Role;
use quyhoach_server::portal::announce::{content_type, text, FILES};
use quyhoach_server::portal::sql::{vals, StateDb, Tx};
use quyhoach_server::AppState;
use serde_json::{json, Value};

const PW: &str = "mật khẩu đủ dài 2026";
const DRAFT: &str = "qhpk-2000-dc";
const IN_FORCE: &str = "qhpk-2000";

/// `notice_feed.py MODE` on `body`: its JSON, or a failure.
fn judge(mode: &str, body: &[u8]) -> Value {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), body).unwrap();
    let out = Command::new(common::judges_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/judges/notice_feed.py"))
        .arg(mode)
        .arg(tmp.path())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "notice_feed.py: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "the judge refused it: {v}");
    v
}

fn count(db: &StateDb, sql: &'static str) -> i64 {
    db.tx_blocking(move |tx: &mut dyn Tx| tx.query_i64(sql, vals![]))
        .unwrap()
}

async fn publish(st: &AppState, who: Option<&(String, String)>, body: Value) -> Resp {
    call(st, Method::POST, "/api/v1/notices", who, Some(body)).await
}

fn has_geometry(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k == "geometry" || k == "boundary" || has_geometry(v)),
        Value::Array(a) => a.iter().any(has_geometry),
        _ => false,
    }
}

fn ids(r: &Resp) -> Vec<String> {
    r.json()["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

/// Each file answers with its type, and is what it says.
async fn check_files(st: &AppState, item: &Value) {
    let id = item["id"].as_str().unwrap();
    for name in FILES {
        let url = item["files"][name].as_str().unwrap();
        assert_eq!(url, format!("/api/v1/notices/{id}/{name}"));
        let r = get(st, url).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text());
        assert_eq!(r.content_type(), content_type(name), "{name}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{name}");
        assert!(!r.body.is_empty(), "{name} is empty");
        match name {
            "poster-a3.pdf" | "leaflet-a4.pdf" => assert!(r.body.starts_with(b"%PDF-"), "{name}"),
            "post.png" => {
                let img = image::load_from_memory_with_format(&r.body, image::ImageFormat::Png)
                    .expect("post.png is a PNG");
                assert_eq!((img.width(), img.height()), (1200, 630));
            }
            "notice.ogg" => assert!(r.body.starts_with(b"OggS"), "notice.ogg"),
            "notice.mp3" => assert!(
                r.body.starts_with(b"ID3") || (r.body[0] == 0xFF && r.body[1] & 0xE0 == 0xE0),
                "notice.mp3 is not MP3"
            ),
            "post.txt" => {
                let post = r.text();
                assert!(post.chars().count() <= text::POST_MAX_CHARS, "{post}");
                let first = post.lines().next().unwrap();
                assert!(
                    first.chars().count() <= text::POST_FIRST_LINE_MAX,
                    "{first}"
                );
                assert!(
                    first.contains("Vĩnh Thanh"),
                    "first line says where: {first}"
                );
                assert!(
                    first.contains("Lấy ý kiến"),
                    "first line says what: {first}"
                );
                assert!((5..=9).contains(&post.lines().count()), "{post}");
                assert!(
                    post.contains(item["links"]["comment"].as_str().unwrap()),
                    "the post links the comment page: {post}"
                );
                assert!(post.contains("TMD"), "says what changes: {post}");
            }
            "page.html" => {
                let f = r.text();
                assert!(!f.to_ascii_lowercase().contains("<script"), "{f}");
                assert!(
                    f.contains(&format!(
                        "<img src=\"http://test.local/api/v1/notices/{id}/post.png\""
                    )),
                    "the fragment's picture is absolute: {f}"
                );
                assert!(f.starts_with("<article"));
            }
            "slides.html" => assert!(r.text().contains("<html"), "slides"),
            _ => {}
        }
    }
    let r = get(st, &format!("/api/v1/notices/{id}/catalog.json")).await;
    assert_eq!(r.status, 404, "only the notice's files");
    let r = get(st, &format!("/api/v1/notices/{id}/..%2F..%2Fcatalog.json")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officials_publish_and_the_public_reads() {
    for t in common::state::every_backend() {
        let be = t.backend;
        let db = t.db.clone();
        let st = common::state::with_state(&demo().state, &db);
        let (db2, ix) = (db.clone(), st.index.clone());
        tokio::task::spawn_blocking(move || {
            quyhoach_server::portal::consult::ensure_demo(&db2, &*ix)
        })
        .await
        .unwrap()
        .unwrap();
        make_official(
            &db,
            "xa1",
            "UBND TT Vĩnh Thanh",
            Role::Commune,
            &["31150"],
            PW,
        );
        make_official(&db, "xa2", "UBND xã khác", Role::Commune, &["31153"], PW);
        make_official(&db, "phong", "Phòng Kinh tế", Role::PlanningOffice, &[], PW);
        let xa1 = sign_in(&st, "xa1", PW).await;
        let xa2 = sign_in(&st, "xa2", PW).await;
        let phong = sign_in(&st, "phong", PW).await;
        let body = json!({"plan": DRAFT, "commune": "31150",
            "message_vi": "Mời bà con góp ý.", "office_address": "Số 1 đường 30/4", "office_phone": "0297 3 123 456"});

        // Refusals, before anything is rendered.
        let r = publish(&st, None, body.clone()).await;
        assert_eq!(r.status, 401, "{be}: anonymous: {}", r.text());
        let r = publish(&st, Some(&xa2), body.clone()).await;
        assert_eq!(
            r.status,
            403,
            "{be}: another commune's officer: {}",
            r.text()
        );
        let r = request(
            &st,
            Method::POST,
            "/api/v1/notices",
            &[("cookie", xa1.0.as_str())],
            &body.to_string(),
        )
        .await;
        assert_eq!(r.status, 403, "{be}: no CSRF token: {}", r.text());
        let r = request(
            &st,
            Method::POST,
            "/api/v1/notices",
            &[
                ("cookie", xa1.0.as_str()),
                ("x-csrf-token", xa1.1.as_str()),
                ("origin", "https://evil.example"),
            ],
            &body.to_string(),
        )
        .await;
        assert_eq!(r.status, 403, "{be}: another site's page: {}", r.text());
        let r = publish(
            &st,
            Some(&xa1),
            json!({"plan": "no-such-plan", "commune": "31150"}),
        )
        .await;
        assert_eq!(r.status, 404, "{be}: {}", r.text());
        let r = publish(&st, Some(&xa1), json!({"plan": "../x", "commune": "31150"})).await;
        assert_eq!(r.status, 400, "{be}: {}", r.text());
        let r = publish(
            &st,
            Some(&xa1),
            json!({"plan": DRAFT, "commune": "31150", "extra": 1}),
        )
        .await;
        assert_eq!(r.status, 400, "{be}: unknown field: {}", r.text());
        let r = publish(&st, Some(&xa1), json!({"plan": DRAFT})).await;
        assert_eq!(
            r.status, 403,
            "{be}: a whole-area notice by a commune officer"
        );
        let r = publish(
            &st,
            Some(&xa1),
            json!({"plan": IN_FORCE, "commune": "31150", "kind": "consultation"}),
        )
        .await;
        assert_eq!(
            r.status,
            422,
            "{be}: a consultation on a plan in force: {}",
            r.text()
        );
        assert_eq!(count(&db, "SELECT count(*) FROM notice"), 0, "{be}");

        // A failed render publishes nothing, and says what is missing.
        let mut broken = st.clone();
        broken.glyphs = Arc::new(quyhoach_server::glyphs::Glyphs::new(Path::new(
            "/nonexistent-fonts",
        )));
        let r = publish(&broken, Some(&xa1), body.clone()).await;
        assert_eq!(r.status, 503, "{be}: {}", r.text());
        assert!(r.text().contains("fonts-dejavu-core"), "{}", r.text());
        assert_eq!(count(&db, "SELECT count(*) FROM notice"), 0, "{be}");
        assert_eq!(count(&db, "SELECT count(*) FROM notice_file"), 0, "{be}");

        // The web action: one request, every file.
        let r = publish(&st, Some(&xa1), body.clone()).await;
        assert_eq!(r.status, 201, "{be}: {}", r.text());
        let item = r.json();
        let id = item["id"].as_str().unwrap().to_string();
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        assert_eq!(item["kind"], "consultation");
        assert_eq!(item["area"]["commune"], "31150");
        assert_eq!(
            item["url"],
            format!("http://test.local/thong-bao/31150/{id}")
        );
        assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(!has_geometry(&item), "{be}: geometries are left out");
        assert!(
            item["consultation"]["closes"].is_string(),
            "{be}: the window"
        );
        assert_eq!(
            count(&db, "SELECT count(*) FROM notice_file"),
            FILES.len() as i64
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM audit_log WHERE action = 'notice_publish'"
            ),
            1
        );

        // List, one, files.
        let r = get(&st, "/api/v1/notices?commune=31150").await;
        assert_eq!(r.status, 200, "{be}");
        assert_eq!(ids(&r), vec![id.clone()]);
        assert!(r.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age"));
        assert!(!has_geometry(&r.json()));
        let r = get(&st, "/api/v1/notices?commune=31153").await;
        assert!(ids(&r).is_empty(), "{be}: another commune's list");
        let r = get(
            &st,
            &format!("/api/v1/notices?commune=31150&plan={IN_FORCE}"),
        )
        .await;
        assert!(ids(&r).is_empty(), "{be}: filtered by plan");
        for bad in [
            "/api/v1/notices?commune=%3Cx%3E",
            "/api/v1/notices?commune=31150&limit=0",
            "/api/v1/notices",
        ] {
            assert_eq!(get(&st, bad).await.status, 400, "{be}: {bad}");
        }
        let r = get(&st, &format!("/api/v1/notices/{id}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["id"], id.as_str());
        check_files(&st, &item).await;

        // The public page, the notice's page and the feed.
        let r = get(&st, "/thong-bao/31150").await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert!(r.content_type().starts_with("text/html"));
        let page = judge("page", &r.body);
        assert_eq!(page["scripts"], 0);
        assert!(page["h1"]
            .as_str()
            .unwrap()
            .starts_with("Thông báo quy hoạch"));
        let links: Vec<&str> = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        for name in FILES {
            assert!(
                links.contains(&format!("/api/v1/notices/{id}/{name}").as_str()),
                "{be}: the page links {name}: {links:?}"
            );
        }
        assert!(r.text().contains("<audio controls"));
        let r = get(&st, "/thong-bao/31150?lang=en").await;
        assert!(r.text().contains("<html lang=\"en\""));
        assert!(r.text().contains("Planning notices"));

        let r = get(&st, &format!("/thong-bao/31150/{id}")).await;
        assert_eq!(r.status, 200, "{be}");
        let page = judge("page", &r.body);
        let m = &page["meta"];
        assert_eq!(
            m["og:image"],
            format!("http://test.local/api/v1/notices/{id}/post.png")
        );
        assert_eq!(m["og:image:width"], "1200");
        assert_eq!(m["og:image:height"], "630");
        assert_eq!(
            m["og:url"],
            format!("http://test.local/thong-bao/31150/{id}")
        );
        let og_title = m["og:title"].as_str().unwrap();
        assert!(
            og_title.contains("Lấy ý kiến") && og_title.contains("Vĩnh Thanh"),
            "{og_title}"
        );
        let post = get(&st, &format!("/api/v1/notices/{id}/post.txt"))
            .await
            .text();
        let second = post.lines().nth(1).unwrap();
        assert!(
            m["og:description"].as_str().unwrap().starts_with(second),
            "og:description is the post's first lines: {m}"
        );
        assert_eq!(
            get(&st, &format!("/thong-bao/31153/{id}")).await.status,
            404,
            "{be}: wrong area"
        );

        let r = get(&st, "/thong-bao/31150/feed.atom").await;
        assert_eq!(r.status, 200);
        assert!(r.content_type().starts_with("application/atom+xml"));
        let feed = judge("feed", &r.body);
        let entries = feed["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{be}: {feed}");
        let e = &entries[0];
        assert_eq!(e["id"], format!("http://test.local/thong-bao/31150/{id}"));
        assert!(e["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "alternate"
                && l["href"] == format!("http://test.local/thong-bao/31150/{id}")));
        assert_eq!(
            e["enclosures"][0]["href"],
            format!("http://test.local/api/v1/notices/{id}/notice.mp3")
        );
        assert_eq!(e["enclosures"][0]["type"], "audio/mpeg");

        let r = get(&st, "/thong-bao/31150/slides.html?interval=10").await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert!(r.content_type().starts_with("text/html"));
        assert_eq!(
            get(&st, "/thong-bao/31150/slides.html?interval=1000")
                .await
                .status,
            400
        );

        // A whole-area notice of the planning office is listed for a commune its plan covers.
        let r = publish(&st, Some(&phong), json!({"plan": IN_FORCE})).await;
        assert_eq!(r.status, 201, "{be}: {}", r.text());
        let whole = r.json();
        let wid = whole["id"].as_str().unwrap().to_string();
        assert_eq!(whole["area"]["commune"], Value::Null);
        assert_eq!(
            whole["url"],
            format!("http://test.local/thong-bao/ke-hoach-{IN_FORCE}/{wid}")
        );
        assert_eq!(
            ids(&get(&st, "/api/v1/notices?commune=31150").await),
            vec![wid.clone(), id.clone()]
        );
        assert_eq!(
            ids(&get(&st, &format!("/api/v1/notices?plan={IN_FORCE}")).await),
            vec![wid.clone()]
        );
        assert_eq!(
            get(&st, &format!("/thong-bao/ke-hoach-{IN_FORCE}"))
                .await
                .status,
            200
        );
        assert_eq!(
            get(&st, &format!("/thong-bao/ke-hoach-{IN_FORCE}/{wid}"))
                .await
                .status,
            200
        );
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/notices/{wid}/withdraw"),
            Some(&xa1),
            None,
        )
        .await;
        assert_eq!(
            r.status, 403,
            "{be}: a commune officer cannot withdraw a whole-area notice"
        );

        // The official's list.
        let r = call(
            &st,
            Method::GET,
            "/api/v1/official/notices",
            Some(&xa1),
            None,
        )
        .await;
        assert_eq!(
            ids(&r),
            vec![id.clone()],
            "{be}: a commune officer's notices"
        );
        let r = call(
            &st,
            Method::GET,
            "/api/v1/official/notices",
            Some(&phong),
            None,
        )
        .await;
        assert_eq!(ids(&r).len(), 2);

        // Withdrawal.
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/notices/{id}/withdraw"),
            Some(&xa2),
            None,
        )
        .await;
        assert_eq!(r.status, 403, "{be}");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/notices/{id}/withdraw"),
            Some(&xa1),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert!(r.json()["withdrawn_at"].is_string());
        assert_eq!(
            ids(&get(&st, "/api/v1/notices?commune=31150").await),
            vec![wid.clone()]
        );
        assert_eq!(get(&st, &format!("/api/v1/notices/{id}")).await.status, 410);
        assert_eq!(
            get(&st, &format!("/api/v1/notices/{id}/post.png"))
                .await
                .status,
            410
        );
        assert_eq!(
            get(&st, &format!("/thong-bao/31150/{id}")).await.status,
            410
        );
        assert!(!get(&st, "/thong-bao/31150").await.text().contains(&id));
        let feed = judge("feed", &get(&st, "/thong-bao/31150/feed.atom").await.body);
        assert_eq!(
            feed["entries"].as_array().unwrap().len(),
            1,
            "{be}: only the whole-area one"
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM audit_log WHERE action = 'notice_withdraw'"
            ),
            1
        );
        let r = call(
            &st,
            Method::GET,
            "/api/v1/official/notices",
            Some(&xa1),
            None,
        )
        .await;
        assert!(
            r.json()["notices"][0]["withdrawn_at"].is_string(),
            "{be}: still in the official's list"
        );

        // Hostile paths: shapes first, unknown things 404.
        for bad in [
            "/thong-bao/99999",
            "/thong-bao/%3Cscript%3E",
            "/thong-bao/ke-hoach-nope",
            "/thong-bao/31150/nope-nope-nope",
            "/thong-bao/31150/..%2F..%2Fetc",
            "/api/v1/notices/x",
            "/api/v1/notices/aaaaaaaaaaaaaaaa",
        ] {
            let r = get(&st, bad).await;
            assert_eq!(r.status, 404, "{be}: {bad}: {}", r.text());
        }
    }
}
