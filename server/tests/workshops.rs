//! Workshops through the HTTP service in-process, on a real portal database file: the API
//! of docs/api.md#workshops, keys, limits, expiry, validation, the trainer's push, a restart
//! (the same file opened again), concurrent progress writes and junk input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::http::{header, Method};
use common::twoway::request;
use common::{demo, Resp};
use quyhoach_server::portal::db::Db;
use quyhoach_server::portal::PortalConfig;
use quyhoach_server::state::ServerConfig;
use quyhoach_server::AppState;
use serde_json::{json, Value};

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    db: Arc<Db>,
    st: AppState,
}

fn state_with(db: Option<Arc<Db>>, workshops: bool) -> AppState {
    let mut st = demo().state.clone();
    st.server = Arc::new(ServerConfig {
        portal: PortalConfig {
            db,
            workshops,
            ..Default::default()
        },
        ..Default::default()
    });
    st
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.sqlite");
    let db = Arc::new(Db::open_without_sweeper(&path).unwrap());
    let st = state_with(Some(db.clone()), true);
    Fixture {
        _dir: dir,
        path,
        db,
        st,
    }
}

fn assert_problem(r: &Resp, status: u16, what: &str) {
    assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text());
    assert!(
        r.content_type().starts_with("application/problem+json"),
        "{what}: {}",
        r.content_type()
    );
    let p = r.json();
    assert_eq!(p["status"], status, "{what}");
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:quyhoach:problem:"),
        "{what}: {p}"
    );
    assert!(!p["detail"].as_str().unwrap().is_empty(), "{what}");
}

struct Started {
    code: String,
    key: String,
}

async fn start(st: &AppState, title: &str) -> Started {
    let r = request(
        st,
        Method::POST,
        "/api/v1/workshops",
        &[],
        &json!({"title": title}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    Started {
        code: v["code"].as_str().unwrap().to_string(),
        key: v["trainer_key"].as_str().unwrap().to_string(),
    }
}

async fn join(st: &AppState, code: &str, name: &str) -> (i64, String) {
    let r = request(
        st,
        Method::POST,
        &format!("/api/v1/workshops/{code}/participants"),
        &[],
        &json!({"name": name}).to_string(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    (
        v["id"].as_i64().unwrap(),
        v["key"].as_str().unwrap().to_string(),
    )
}

async fn progress(
    st: &AppState,
    code: &str,
    id: i64,
    key: &str,
    lesson: &str,
    step: &str,
    event: &str,
) -> Resp {
    request(
        st,
        Method::PUT,
        &format!("/api/v1/workshops/{code}/participants/{id}/progress"),
        &[("x-participant-key", key)],
        &json!({"lesson": lesson, "step": step, "event": event}).to_string(),
    )
    .await
}

async fn board(st: &AppState, w: &Started) -> Value {
    let r = request(
        st,
        Method::GET,
        &format!("/api/v1/workshops/{}/board", w.code),
        &[("x-trainer-key", &w.key)],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    r.json()
}

fn person(b: &Value, id: i64) -> &Value {
    b["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("trainee {id} not on the board: {b}"))
}

#[tokio::test]
async fn a_workshop_from_start_to_push() {
    let f = fixture();
    let st = &f.st;
    let r = request(
        st,
        Method::POST,
        "/api/v1/workshops",
        &[],
        r#"{"title":"  Tập huấn GIS  "}"#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let code = v["code"].as_str().unwrap();
    assert_eq!(code.len(), 6);
    assert!(
        code.bytes()
            .all(|b| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(&b)),
        "{code}"
    );
    let key = v["trainer_key"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    assert_eq!(v["join_url"], format!("http://test.local/#/join/{code}"));
    let expires = time::OffsetDateTime::parse(
        v["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let hours = (expires - time::OffsetDateTime::now_utc()).whole_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    // Only the key's hash is stored.
    let stored: Vec<u8> = f
        .db
        .with_blocking(|c| c.query_row("SELECT trainer_key_hash FROM workshop", [], |r| r.get(0)))
        .unwrap();
    assert_ne!(stored, key.as_bytes());
    assert_eq!(stored.len(), 32);
    let w = Started {
        code: code.to_string(),
        key: key.to_string(),
    };

    let s = request(
        st,
        Method::GET,
        &format!("/api/v1/workshops/{}", code.to_lowercase()),
        &[],
        "",
    )
    .await;
    assert_eq!(s.status, 200);
    assert_eq!(
        s.json(),
        json!({"code": code, "title": "Tập huấn GIS", "expires_at": v["expires_at"], "push": null, "participants": 0})
    );

    let (lan, lan_key) = join(st, code, "Lan").await;
    let (minh, minh_key) = join(st, code, "Nguyễn Văn Minh").await;
    let (hoa, hoa_key) = join(st, code, "  Hoa ").await;
    assert_eq!(
        request(
            st,
            Method::GET,
            &format!("/api/v1/workshops/{code}"),
            &[],
            ""
        )
        .await
        .json()["participants"],
        3
    );

    // Lan finishes a step and enters the next; Minh answers wrongly three times; Hoa uses
    // "show me".
    for (l, s, e) in [
        ("find-parcel", "search", "enter"),
        ("find-parcel", "search", "wrong"),
        ("find-parcel", "search", "done"),
        ("find-parcel", "duplicates", "enter"),
    ] {
        let r = progress(st, code, lan, &lan_key, l, s, e).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json(), json!({"push": null}));
    }
    progress(st, code, minh, &minh_key, "read-map", "layers", "enter").await;
    for _ in 0..3 {
        progress(st, code, minh, &minh_key, "read-map", "layers", "wrong").await;
    }
    progress(st, code, hoa, &hoa_key, "read-map", "legend", "enter").await;
    progress(st, code, hoa, &hoa_key, "read-map", "legend", "shown").await;
    // A reload re-enters the same step: its time and counters go on.
    progress(st, code, minh, &minh_key, "read-map", "layers", "enter").await;

    let b = board(st, &w).await;
    assert_eq!(b["code"], code);
    assert_eq!(b["participants"].as_array().unwrap().len(), 3);
    let p = person(&b, lan);
    assert_eq!(
        (p["name"].as_str(), p["lesson"].as_str(), p["step"].as_str()),
        (Some("Lan"), Some("find-parcel"), Some("duplicates"))
    );
    assert_eq!(
        (
            p["wrong_on_step"].as_i64(),
            p["done_steps"].as_i64(),
            p["stuck"].as_bool()
        ),
        (Some(0), Some(1), Some(false))
    );
    let p = person(&b, minh);
    assert_eq!(
        (
            p["step"].as_str(),
            p["wrong_on_step"].as_i64(),
            p["stuck"].as_bool()
        ),
        (Some("layers"), Some(3), Some(true))
    );
    let p = person(&b, hoa);
    assert_eq!(
        (
            p["name"].as_str(),
            p["shown_on_step"].as_i64(),
            p["stuck"].as_bool()
        ),
        (Some("Hoa"), Some(1), Some(false))
    );
    assert!(p["seconds_on_step"].as_i64().unwrap() < 5);
    assert!(p["since"].is_string() && p["last_seen"].is_string());

    // Minh finishes his step: no longer stuck.
    progress(st, code, minh, &minh_key, "read-map", "layers", "done").await;
    let p = person(&board(st, &w).await, minh).clone();
    assert_eq!(
        (
            p["stuck"].as_bool(),
            p["step_done"].as_bool(),
            p["done_steps"].as_i64()
        ),
        (Some(false), Some(true), Some(1))
    );
    // Done twice counts once.
    progress(st, code, minh, &minh_key, "read-map", "layers", "done").await;
    assert_eq!(person(&board(st, &w).await, minh)["done_steps"], 1);

    // "Show me" finished Hoa's step without counting it as done alone.
    let p = person(&board(st, &w).await, hoa).clone();
    assert_eq!(
        (p["step_done"].as_bool(), p["done_steps"].as_i64()),
        (Some(true), Some(0))
    );
    // Time on a step: five minutes on it marks a trainee stuck (Lan, on a step not done).
    f.db.with_blocking(|c| {
        c.execute(
            "UPDATE participant SET since = since - 301 WHERE id = ?1",
            [lan],
        )
    })
    .unwrap();
    let p = person(&board(st, &w).await, lan).clone();
    assert!(p["seconds_on_step"].as_i64().unwrap() >= 301);
    assert_eq!(p["stuck"], true);

    // The push: everyone gets it with their next report, and in the summary.
    let r = request(
        st,
        Method::POST,
        &format!("/api/v1/workshops/{code}/push"),
        &[("x-trainer-key", key)],
        r#"{"lesson":"coordinates","step":"corner"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"push": {"lesson": "coordinates", "step": "corner", "seq": 1}})
    );
    let want = json!({"push": {"lesson": "coordinates", "step": "corner", "seq": 1}});
    for (id, k) in [(lan, &lan_key), (minh, &minh_key), (hoa, &hoa_key)] {
        assert_eq!(
            progress(st, code, id, k, "read-map", "layers", "enter")
                .await
                .json(),
            want
        );
    }
    let r = request(
        st,
        Method::POST,
        &format!("/api/v1/workshops/{code}/push"),
        &[("x-trainer-key", key)],
        r#"{"lesson":"read-map","step":"legend"}"#,
    )
    .await;
    assert_eq!(r.json()["push"]["seq"], 2);
    let s = request(
        st,
        Method::GET,
        &format!("/api/v1/workshops/{code}"),
        &[],
        "",
    )
    .await
    .json();
    assert_eq!(
        s["push"],
        json!({"lesson": "read-map", "step": "legend", "seq": 2})
    );
    assert_eq!(board(st, &w).await["push"]["seq"], 2);
    // A trainee joining after a push is told where the class is.
    let r = request(
        st,
        Method::POST,
        &format!("/api/v1/workshops/{code}/participants"),
        &[],
        r#"{"name":"Tú"}"#,
    )
    .await;
    assert_eq!(r.json()["push"]["seq"], 2);

    // The trainer ends it: gone with its trainees.
    let r = request(
        st,
        Method::DELETE,
        &format!("/api/v1/workshops/{code}"),
        &[("x-trainer-key", key)],
        "",
    )
    .await;
    assert_eq!(r.status, 204);
    let n: i64 =
        f.db.with_blocking(|c| {
            c.query_row(
                "SELECT (SELECT count(*) FROM participant) + (SELECT count(*) FROM step_done)",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(n, 0);
    assert_problem(
        &request(
            st,
            Method::GET,
            &format!("/api/v1/workshops/{code}"),
            &[],
            "",
        )
        .await,
        404,
        "ended",
    );
}

#[tokio::test]
async fn keys_are_checked() {
    let f = fixture();
    let st = &f.st;
    let a = start(st, "A").await;
    let b = start(st, "B").await;
    let (pa, ka) = join(st, &a.code, "Lan").await;
    let (pa2, ka2) = join(st, &a.code, "Minh").await;
    let (pb, kb) = join(st, &b.code, "Lan").await;
    let board_uri = format!("/api/v1/workshops/{}/board", a.code);
    assert_problem(
        &request(st, Method::GET, &board_uri, &[], "").await,
        401,
        "no key",
    );
    assert_problem(
        &request(st, Method::GET, &board_uri, &[("x-trainer-key", "")], "").await,
        401,
        "empty key",
    );
    assert_problem(
        &request(
            st,
            Method::GET,
            &board_uri,
            &[("x-trainer-key", "nope")],
            "",
        )
        .await,
        403,
        "wrong key",
    );
    assert_problem(
        &request(
            st,
            Method::GET,
            &board_uri,
            &[("x-trainer-key", &b.key)],
            "",
        )
        .await,
        403,
        "B's key on A",
    );
    assert_problem(
        &request(st, Method::GET, &board_uri, &[("x-trainer-key", &ka)], "").await,
        403,
        "a trainee's key as trainer",
    );
    let push_uri = format!("/api/v1/workshops/{}/push", a.code);
    let body = r#"{"lesson":"read-map","step":"layers"}"#;
    assert_problem(
        &request(st, Method::POST, &push_uri, &[], body).await,
        401,
        "push without key",
    );
    assert_problem(
        &request(
            st,
            Method::POST,
            &push_uri,
            &[("x-trainer-key", &b.key)],
            body,
        )
        .await,
        403,
        "push with B's key",
    );
    let del = format!("/api/v1/workshops/{}", a.code);
    assert_problem(
        &request(st, Method::DELETE, &del, &[], "").await,
        401,
        "delete without key",
    );
    assert_problem(
        &request(st, Method::DELETE, &del, &[("x-trainer-key", &b.key)], "").await,
        403,
        "delete with B's key",
    );

    let enter = |code: String, id: i64, key: Option<String>| async move {
        let mut h = vec![];
        if let Some(k) = &key {
            h.push(("x-participant-key", k.as_str()));
        }
        request(
            st,
            Method::PUT,
            &format!("/api/v1/workshops/{code}/participants/{id}/progress"),
            &h,
            r#"{"lesson":"read-map","step":"layers","event":"enter"}"#,
        )
        .await
    };
    assert_eq!(
        enter(a.code.clone(), pa, Some(ka.clone())).await.status,
        200
    );
    assert_problem(
        &enter(a.code.clone(), pa, None).await,
        401,
        "progress without key",
    );
    assert_problem(
        &enter(a.code.clone(), pa, Some("x".into())).await,
        403,
        "progress, wrong key",
    );
    assert_problem(
        &enter(a.code.clone(), pa, Some(ka2.clone())).await,
        403,
        "progress, another trainee's key",
    );
    assert_problem(
        &enter(a.code.clone(), pa, Some(a.key.clone())).await,
        403,
        "progress, the trainer's key",
    );
    assert_problem(
        &enter(a.code.clone(), pb, Some(kb.clone())).await,
        403,
        "B's trainee with A's code",
    );
    assert_problem(
        &enter(a.code.clone(), 999_999, Some(ka.clone())).await,
        404,
        "no such trainee",
    );
    assert_problem(
        &enter(a.code.clone(), 0, Some(ka.clone())).await,
        404,
        "trainee 0",
    );
    // Nothing above moved Minh or B's Lan.
    let b_board = board(st, &b).await;
    assert!(person(&b_board, pb)["lesson"].is_null());
    assert!(person(&board(st, &a).await, pa2)["lesson"].is_null());
    // The public summary needs no key and shows no names.
    let s = request(
        st,
        Method::GET,
        &format!("/api/v1/workshops/{}", a.code),
        &[],
        "",
    )
    .await;
    assert!(
        !s.text().contains("Lan") && !s.text().contains("key"),
        "{}",
        s.text()
    );
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx() {
    let f = fixture();
    let st = &f.st;
    let w = start(st, "").await;
    let c = &w.code;
    let parts = format!("/api/v1/workshops/{c}/participants");
    for (body, status, what) in [
        (r#"{"name":""}"#, 400, "empty name"),
        (r#"{"name":"    "}"#, 400, "blank name"),
        (
            &json!({"name": "x".repeat(41)}).to_string() as &str,
            400,
            "41 characters",
        ),
        (r#"{"name":"a\u0000b"}"#, 400, "NUL"),
        (r#"{"name":"a\u202eb"}"#, 400, "bidi override"),
        (
            r#"{"name":"Lan","email":"lan@example.com"}"#,
            400,
            "other personal data",
        ),
        (r#"{"name":17}"#, 400, "a number"),
        (r#"{"nom":"Lan"}"#, 400, "no name"),
        ("not json", 400, "not JSON"),
        ("", 400, "empty body"),
        (
            &format!(r#"{{"name":"{}"}}"#, "x".repeat(5000)) as &str,
            413,
            "large body",
        ),
    ] {
        assert_problem(
            &request(st, Method::POST, &parts, &[], body).await,
            status,
            what,
        );
    }
    // 40 Vietnamese characters are fine, NFD comes out NFC.
    let r = request(
        st,
        Method::POST,
        &parts,
        &[],
        &json!({"name": "Nguye\u{302}\u{303}n"}).to_string(),
    )
    .await;
    assert_eq!(r.json()["name"], "Nguyễn");
    assert!(join(st, c, &"ễ".repeat(40)).await.0 > 0);
    // A name taken (case-insensitively) in the same workshop.
    assert_problem(
        &request(st, Method::POST, &parts, &[], r#"{"name":"NGUYỄN"}"#).await,
        409,
        "duplicate name",
    );

    let (id, key) = join(st, c, "Lan").await;
    let uri = format!("/api/v1/workshops/{c}/participants/{id}/progress");
    for (body, what) in [
        (
            r#"{"lesson":"read-map","step":"layers","event":"jump"}"#,
            "unknown event",
        ),
        (
            r#"{"lesson":"Read-Map","step":"layers","event":"enter"}"#,
            "upper case id",
        ),
        (
            r#"{"lesson":"../etc","step":"layers","event":"enter"}"#,
            "path in id",
        ),
        (
            r#"{"lesson":"","step":"layers","event":"enter"}"#,
            "empty id",
        ),
        (
            &json!({"lesson": "a".repeat(65), "step": "s", "event": "enter"}).to_string() as &str,
            "long id",
        ),
        (r#"{"lesson":"read-map","event":"enter"}"#, "no step"),
        (
            r#"{"lesson":"read-map","step":"layers","event":"enter","x":1}"#,
            "extra field",
        ),
        (r#"[]"#, "an array"),
    ] {
        assert_problem(
            &request(st, Method::PUT, &uri, &[("x-participant-key", &key)], body).await,
            400,
            what,
        );
    }
    assert_problem(
        &request(
            st,
            Method::POST,
            &format!("/api/v1/workshops/{c}/push"),
            &[("x-trainer-key", &w.key)],
            r#"{"lesson":"a b","step":"c"}"#,
        )
        .await,
        400,
        "bad push",
    );
    assert_problem(
        &request(
            st,
            Method::POST,
            "/api/v1/workshops",
            &[],
            &json!({"title": "t".repeat(81)}).to_string(),
        )
        .await,
        400,
        "long title",
    );
    assert_problem(
        &request(
            st,
            Method::POST,
            "/api/v1/workshops",
            &[],
            r#"{"title":"x","owner":"me"}"#,
        )
        .await,
        400,
        "extra field",
    );
    assert_problem(
        &request(st, Method::POST, "/api/v1/workshops?x=1", &[], "{}").await,
        400,
        "query parameter",
    );
    for code in ["ABC", "ABCDE0", "OOOOOO", "%00%00%00", "ABCDEFGH", "ÂBCDEF"] {
        assert_problem(
            &request(
                st,
                Method::GET,
                &format!("/api/v1/workshops/{code}"),
                &[],
                "",
            )
            .await,
            404,
            code,
        );
    }
    assert_problem(
        &request(st, Method::GET, "/api/v1/workshops/ZZZZZZ", &[], "").await,
        404,
        "unknown code",
    );
    // An empty body starts an untitled workshop.
    assert_eq!(
        request(st, Method::POST, "/api/v1/workshops", &[], "")
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn expired_workshops_are_gone_and_swept() {
    let f = fixture();
    let st = &f.st;
    let w = start(st, "old").await;
    let (id, key) = join(st, &w.code, "Lan").await;
    progress(st, &w.code, id, &key, "read-map", "layers", "done").await;
    let other = start(st, "new").await;
    f.db.with_blocking(|c| {
        c.execute(
            "UPDATE workshop SET expires_at = unixepoch() - 1 WHERE code = ?1",
            [&w.code],
        )
    })
    .unwrap();
    let c = &w.code;
    assert_problem(
        &request(st, Method::GET, &format!("/api/v1/workshops/{c}"), &[], "").await,
        410,
        "summary",
    );
    assert_problem(
        &request(
            st,
            Method::GET,
            &format!("/api/v1/workshops/{c}/board"),
            &[("x-trainer-key", &w.key)],
            "",
        )
        .await,
        410,
        "board",
    );
    assert_problem(
        &request(
            st,
            Method::POST,
            &format!("/api/v1/workshops/{c}/participants"),
            &[],
            r#"{"name":"Minh"}"#,
        )
        .await,
        410,
        "join",
    );
    assert_problem(
        &progress(st, c, id, &key, "read-map", "layers", "enter").await,
        410,
        "progress",
    );
    // The sweep deletes the workshop, its trainees' names and their progress; not the
    // live one.
    f.db.sweep();
    let (ws, ps, ds): (i64, i64, i64) = f
        .db
        .with_blocking(|c| {
            c.query_row(
                "SELECT (SELECT count(*) FROM workshop), (SELECT count(*) FROM participant), (SELECT count(*) FROM step_done)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .unwrap();
    assert_eq!((ws, ps, ds), (1, 0, 0));
    assert_eq!(
        request(
            st,
            Method::GET,
            &format!("/api/v1/workshops/{}", other.code),
            &[],
            ""
        )
        .await
        .status,
        200
    );
    assert_problem(
        &request(st, Method::GET, &format!("/api/v1/workshops/{c}"), &[], "").await,
        404,
        "swept",
    );
    // Opening the database sweeps too.
    f.db.with_blocking(|c| c.execute("UPDATE workshop SET expires_at = 0", []))
        .unwrap();
    let again = Db::open_without_sweeper(&f.path).unwrap();
    let n: i64 = again
        .with_blocking(|c| c.query_row("SELECT count(*) FROM workshop", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn limits_hold() {
    let f = fixture();
    let st = &f.st;
    // Trainees per workshop.
    let w = start(st, "full").await;
    for i in 0..200 {
        join(st, &w.code, &format!("Học viên {i}")).await;
    }
    assert_problem(
        &request(
            st,
            Method::POST,
            &format!("/api/v1/workshops/{}/participants", w.code),
            &[],
            r#"{"name":"one more"}"#,
        )
        .await,
        409,
        "the 201st trainee",
    );
    // Progress reports per trainee per window.
    let w2 = start(st, "busy").await;
    let (id, key) = join(st, &w2.code, "Lan").await;
    let mut limited = None;
    for i in 0..80 {
        let r = progress(st, &w2.code, id, &key, "read-map", "layers", "wrong").await;
        if r.status == 429 {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status, 200);
    }
    let (i, r) = limited.expect("no rate limit on progress reports");
    assert_eq!(i, 60);
    assert_problem(&r, 429, "progress rate");
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // Workshops started per address per hour (all in-process requests share one address).
    let mut started = 2;
    loop {
        let r = request(st, Method::POST, "/api/v1/workshops", &[], "{}").await;
        if r.status == 429 {
            assert_problem(&r, 429, "starts per hour");
            assert!(r.headers.contains_key(header::RETRY_AFTER));
            break;
        }
        assert_eq!(r.status, 201);
        started += 1;
        assert!(started <= 20, "no limit on workshops per address");
    }
    assert_eq!(started, 20);
    // The address is kept only as a salted hash.
    let creators: Vec<Vec<u8>> = f.db.with_blocking(|c| {
        c.prepare("SELECT DISTINCT creator FROM workshop")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    });
    assert_eq!(creators.len(), 1);
    assert_eq!(creators[0].len(), 32);
}

#[tokio::test]
async fn progress_survives_a_restart() {
    let f = fixture();
    let w = start(&f.st, "restart").await;
    let (id, key) = join(&f.st, &w.code, "Lan").await;
    progress(&f.st, &w.code, id, &key, "find-parcel", "search", "done").await;
    progress(
        &f.st,
        &w.code,
        id,
        &key,
        "find-parcel",
        "duplicates",
        "enter",
    )
    .await;
    progress(
        &f.st,
        &w.code,
        id,
        &key,
        "find-parcel",
        "duplicates",
        "wrong",
    )
    .await;
    request(
        &f.st,
        Method::POST,
        &format!("/api/v1/workshops/{}/push", w.code),
        &[("x-trainer-key", &w.key)],
        r#"{"lesson":"read-map","step":"legend"}"#,
    )
    .await;
    let before = board(&f.st, &w).await;
    let Fixture { _dir, path, db, st } = f;
    drop(st);
    drop(db);
    // A new process: the same file opened again.
    let db = Arc::new(Db::open_without_sweeper(&path).unwrap());
    let st = state_with(Some(db), true);
    let mut after = board(&st, &w).await;
    let mut before = before;
    for b in [&mut before, &mut after] {
        b["participants"][0]["seconds_on_step"] = Value::Null;
    }
    assert_eq!(before, after);
    let p = person(&after, id);
    assert_eq!(
        (
            p["step"].as_str(),
            p["wrong_on_step"].as_i64(),
            p["done_steps"].as_i64()
        ),
        (Some("duplicates"), Some(1), Some(1))
    );
    // The trainee's key still works, and the push is still there.
    let r = progress(&st, &w.code, id, &key, "find-parcel", "duplicates", "done").await;
    assert_eq!(r.json()["push"]["seq"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_progress_writes() {
    let f = fixture();
    let w = start(&f.st, "busy room").await;
    let mut people = vec![];
    for i in 0..6 {
        people.push(join(&f.st, &w.code, &format!("P{i}")).await);
    }
    let mut tasks = vec![];
    for (id, key) in people.clone() {
        for s in 0..8 {
            let st = f.st.clone();
            let code = w.code.clone();
            let key = key.clone();
            tasks.push(tokio::spawn(async move {
                let step = format!("s{s}");
                for e in ["enter", "wrong", "done"] {
                    let r = progress(&st, &code, id, &key, "read-map", &step, e).await;
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let b = board(&f.st, &w).await;
    for (id, _) in people {
        assert_eq!(person(&b, id)["done_steps"], 8, "{b}");
    }
}

#[tokio::test]
async fn turned_off_or_without_a_database() {
    let off = state_with(None, false);
    let r = request(&off, Method::POST, "/api/v1/workshops", &[], "{}").await;
    assert_problem(&r, 404, "off");
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("workshops are turned off"));
    assert_problem(
        &request(&off, Method::GET, "/api/v1/workshops/ABCDEF/board", &[], "").await,
        404,
        "off",
    );
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Db::open_without_sweeper(&dir.path().join("p.sqlite")).unwrap());
    let off_with_db = state_with(Some(db), false);
    assert_problem(
        &request(&off_with_db, Method::POST, "/api/v1/workshops", &[], "{}").await,
        404,
        "off with a database",
    );
    let no_db = state_with(None, true);
    assert_problem(
        &request(&no_db, Method::POST, "/api/v1/workshops", &[], "{}").await,
        503,
        "no database",
    );
    assert_problem(
        &request(&no_db, Method::GET, "/api/v1/workshops/ABCDEF", &[], "").await,
        503,
        "no database",
    );
}

#[tokio::test]
async fn junk_never_panics() {
    let f = fixture();
    let st = &f.st;
    let w = start(st, "junk").await;
    let (id, key) = join(st, &w.code, "Lan").await;
    let mut rng = quyhoach_data::demo::Rng::new(12);
    let paths = [
        "/api/v1/workshops".to_string(),
        format!("/api/v1/workshops/{}", w.code),
        format!("/api/v1/workshops/{}/participants", w.code),
        format!("/api/v1/workshops/{}/participants/{id}/progress", w.code),
        format!("/api/v1/workshops/{}/participants/-1/progress", w.code),
        format!(
            "/api/v1/workshops/{}/participants/99999999999999999999999/progress",
            w.code
        ),
        format!("/api/v1/workshops/{}/board", w.code),
        format!("/api/v1/workshops/{}/push", w.code),
    ];
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ];
    for i in 0..400 {
        let len = rng.below(64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        let body = match i % 4 {
            0 => String::from_utf8_lossy(&bytes).to_string(),
            1 => json!({"name": String::from_utf8_lossy(&bytes), "lesson": "a", "step": "b", "event": "enter"}).to_string(),
            2 => json!({"lesson": String::from_utf8_lossy(&bytes), "step": "x", "event": "done"}).to_string(),
            _ => format!("{{\"title\": {}}}", rng.below(1000)),
        };
        let path = &paths[rng.below(paths.len())];
        let method = methods[rng.below(methods.len())].clone();
        let is_delete = method == Method::DELETE;
        let headers: Vec<(&str, &str)> = if is_delete {
            vec![]
        } else {
            vec![("x-participant-key", &key), ("x-trainer-key", "junk")]
        };
        let r = request(st, method, path, &headers, &body).await;
        assert!(r.status.as_u16() < 500, "{path}: {} {}", r.status, r.text());
    }
    // The workshop is still there and whole.
    let b = board(st, &w).await;
    assert!(b["participants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == id && p["name"] == "Lan"));
}

#[tokio::test]
async fn a_backup_while_the_server_writes_holds_everything_answered() {
    let f = fixture();
    let w = start(&f.st, "backup").await;
    let (id, key) = join(&f.st, &w.code, "Lan").await;
    progress(&f.st, &w.code, id, &key, "read-map", "layers", "done").await;
    // The writes are in the write-ahead log, not yet in the main file.
    let mut wal = f.path.as_os_str().to_owned();
    wal.push("-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let out = f._dir.path().join("backups/portal-copy.sqlite");
    let written = quyhoach_server::portal::db::backup(&f.path, &out).unwrap();
    assert_eq!(
        written.info.schema_version,
        quyhoach_server::portal::db::MIGRATIONS.len() as i64
    );
    assert!(written
        .info
        .tables
        .contains(&("participant".to_string(), 1)));
    // The copy is one self-contained file; opened as a database it has the workshop,
    // the trainee and her finished step, and the keys still work on it.
    let mut out_wal = out.as_os_str().to_owned();
    out_wal.push("-wal");
    assert!(!std::path::Path::new(&out_wal).exists());
    let copy = Arc::new(Db::open_without_sweeper(&out).unwrap());
    let st = state_with(Some(copy), true);
    let b = board(&st, &w).await;
    assert_eq!(person(&b, id)["done_steps"], 1);
    // The server went on writing meanwhile; the original is untouched by the backup.
    assert_eq!(
        progress(&f.st, &w.code, id, &key, "read-map", "legend", "enter")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn trainees_leave_or_are_removed() {
    let f = fixture();
    let st = &f.st;
    let a = start(st, "A").await;
    let b = start(st, "B").await;
    let (lan, lan_key) = join(st, &a.code, "Lan").await;
    let (minh, minh_key) = join(st, &a.code, "Minh").await;
    let (hoa, hoa_key) = join(st, &a.code, "Hoa").await;
    let (other, other_key) = join(st, &b.code, "Tú").await;
    progress(st, &a.code, lan, &lan_key, "read-map", "layers", "done").await;
    let uri = |id: i64| format!("/api/v1/workshops/{}/participants/{id}", a.code);
    let del = |id: i64, h: Vec<(&'static str, String)>| {
        let uri = uri(id);
        async move {
            let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
            request(st, Method::DELETE, &uri, &h, "").await
        }
    };
    assert_problem(&del(lan, vec![]).await, 401, "no key");
    assert_problem(
        &del(lan, vec![("x-participant-key", minh_key.clone())]).await,
        403,
        "another trainee's key",
    );
    assert_problem(
        &del(lan, vec![("x-trainer-key", b.key.clone())]).await,
        403,
        "another workshop's trainer",
    );
    assert_problem(
        &del(other, vec![("x-participant-key", other_key.clone())]).await,
        403,
        "B's trainee through A",
    );
    assert_problem(
        &del(other, vec![("x-trainer-key", a.key.clone())]).await,
        404,
        "B's trainee, A's trainer",
    );
    // Lan leaves: her name and progress go at once.
    assert_eq!(
        del(lan, vec![("x-participant-key", lan_key.clone())])
            .await
            .status,
        204
    );
    let left: i64 = f
        .db
        .with_blocking(|c| c.query_row("SELECT (SELECT count(*) FROM participant WHERE name = 'Lan') + (SELECT count(*) FROM step_done)", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(left, 0);
    assert_problem(
        &progress(st, &a.code, lan, &lan_key, "read-map", "layers", "enter").await,
        404,
        "after leaving",
    );
    // The trainer removes Hoa: her own view says so.
    let hoa_me = format!("/api/v1/workshops/{}/participants/{hoa}", a.code);
    let me = request(
        st,
        Method::GET,
        &hoa_me,
        &[("x-participant-key", &hoa_key)],
        "",
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(
        (me.json()["name"].as_str(), me.json()["push"].is_null()),
        (Some("Hoa"), true)
    );
    assert_problem(
        &request(
            st,
            Method::GET,
            &hoa_me,
            &[("x-participant-key", &minh_key)],
            "",
        )
        .await,
        403,
        "Minh's key on Hoa",
    );
    assert_problem(
        &request(st, Method::GET, &hoa_me, &[], "").await,
        401,
        "no key",
    );
    assert_eq!(
        del(hoa, vec![("x-trainer-key", a.key.clone())])
            .await
            .status,
        204
    );
    assert_problem(
        &del(hoa, vec![("x-trainer-key", a.key.clone())]).await,
        404,
        "twice",
    );
    assert_problem(
        &request(
            st,
            Method::GET,
            &hoa_me,
            &[("x-participant-key", &hoa_key)],
            "",
        )
        .await,
        404,
        "removed",
    );
    let ids: Vec<i64> = board(st, &a).await["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![minh]);
    // B's trainee is untouched; her name may now be used in A.
    assert_eq!(
        board(st, &b).await["participants"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    join(st, &a.code, "Lan").await;
}
