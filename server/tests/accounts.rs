//! Officials' accounts on every backend (SQLite, and PostgreSQL with `QUYHOACH_TEST_PG`):
//! accounts made by `create_official` and by the real `quyhoach users` binary, sign-in
//! right and wrong (one message for both), the cookie's attributes, `me`, logout, CSRF
//! (no token, a wrong token, a foreign Origin), session expiry and idleness, a disabled
//! account refused at once, throttling (the 6th attempt 429 with Retry-After, the right
//! password refused during the lock, the per-client limit), password changes, roles,
//! the stored Argon2id hash (the password itself nowhere in the database) and the audit log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use axum::http::{header, Method};
use common::state::{every_backend, with_state, TestDb};
use common::twoway::{request, sign_in};
use common::{demo, Resp};
use quyhoach_server::portal::accounts::{self, create_official, Official, Role};
use quyhoach_server::portal::sql::{now, SqlError, StateDb, Tx};
use quyhoach_server::portal::twoway::ApiError;
use quyhoach_server::AppState;
use serde_json::{json, Value};

const PW_ADMIN: &str = "ngựa vằn ăn cỏ 2030";
const PW_COMMUNE: &str = "correct horse battery staple";
const PW_OFFICE: &str = "phòng kinh tế hạ tầng";

struct Accounts {
    admin: i64,
    office: i64,
    commune: i64,
}

fn make_accounts(db: &StateDb) -> Accounts {
    db.tx_blocking(|tx| -> Result<_, ApiError> {
        Ok(Accounts {
            admin: create_official(tx, "admin", "Quản trị", Role::Admin, &[], PW_ADMIN)?,
            office: create_official(
                tx,
                "pkt.huyen",
                "Phòng Kinh tế – Hạ tầng",
                Role::PlanningOffice,
                &[],
                PW_OFFICE,
            )?,
            commune: create_official(
                tx,
                "vinhthanh.ubnd",
                "  UBND xã   Vĩnh Thanh Vân ",
                Role::Commune,
                &["31150".into(), "31153".into()],
                PW_COMMUNE,
            )?,
        })
    })
    .unwrap()
}

/// A JSON request with the session `cookie` (if any) and extra `headers`.
async fn call(
    st: &AppState,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> Resp {
    let mut h: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    h.extend_from_slice(headers);
    request(st, method, uri, &h, body).await
}

async fn login(st: &AppState, user: &str, pw: &str) -> Resp {
    let body = json!({"username": user, "password": pw}).to_string();
    call(st, Method::POST, "/api/v1/auth/login", None, &[], &body).await
}

/// The `qh_session=…` pair of a response's Set-Cookie, and the whole header.
fn cookie_of(r: &Resp) -> (String, String) {
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_string();
    (set.split(';').next().unwrap().to_string(), set)
}

fn detail(r: &Resp) -> String {
    r.json()["detail"].as_str().unwrap_or("").to_string()
}

fn exec(db: &StateDb, sql: &'static str, params: Vec<quyhoach_server::portal::sql::Value>) {
    db.tx_blocking(move |tx: &mut dyn Tx| tx.exec(sql, &params))
        .unwrap();
}

fn count(db: &StateDb, sql: &'static str) -> i64 {
    db.tx_blocking(move |tx: &mut dyn Tx| tx.query_i64(sql, &[]))
        .unwrap()
}

fn state(t: &TestDb) -> AppState {
    with_state(&demo().state, &t.db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sessions_and_csrf() {
    for t in every_backend() {
        let b = t.backend;
        let st = state(&t);
        let ids = make_accounts(&t.db);

        // Wrong password and unknown name: the same 401, word for word.
        let wrong = login(&st, "admin", "not the password at all").await;
        let unknown = login(&st, "nobody.here", "not the password at all").await;
        let malformed = login(&st, "NO SUCH/../name", "x").await;
        for r in [&wrong, &unknown, &malformed] {
            assert_eq!(r.status, 401, "{b}: {}", r.text());
            assert!(r.headers.get(header::SET_COOKIE).is_none(), "{b}");
        }
        assert_eq!(detail(&wrong), detail(&unknown), "{b}");
        assert_eq!(detail(&wrong), detail(&malformed), "{b}");

        // The right one: the official, a CSRF token, and a strict session cookie.
        let r = login(&st, "VinhThanh.UBND ", PW_COMMUNE).await;
        assert_eq!(r.status, 200, "{b}: {}", r.text());
        let v = r.json();
        assert_eq!(
            v["official"],
            json!({"id": ids.commune, "username": "vinhthanh.ubnd",
                "display_name": "UBND xã Vĩnh Thanh Vân", "role": "commune",
                "communes": ["31150", "31153"]}),
            "{b}"
        );
        let csrf = v["csrf"].as_str().unwrap().to_string();
        assert_eq!(csrf.len(), 64, "{b}");
        let (cookie, set) = cookie_of(&r);
        let token = cookie.strip_prefix("qh_session=").unwrap();
        assert_eq!(token.len(), 64, "{b}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(set.split("; ").any(|a| a == attr), "{b}: {set}");
        }
        assert!(!set.contains("Secure"), "{b}: plain http: {set}");
        assert_eq!(
            r.headers.get(header::CACHE_CONTROL).unwrap(),
            "no-store",
            "{b}"
        );
        // Only the token's hash is stored.
        let stored =
            t.db.tx_blocking(|tx: &mut dyn Tx| {
                tx.query("SELECT token_hash, csrf FROM official_session", &[])
            })
            .unwrap();
        assert_eq!(stored.len(), 1, "{b}");
        let h = stored[0].blob(0).unwrap();
        assert_eq!(h, quyhoach_server::portal::twoway::token_hash(token), "{b}");
        assert!(
            !h.windows(token.len()).any(|w| w == token.as_bytes()),
            "{b}"
        );

        // me: the same body with the cookie, 401 without, or with a made-up token.
        let me = call(&st, Method::GET, "/api/v1/auth/me", Some(&cookie), &[], "").await;
        assert_eq!(me.status, 200, "{b}");
        assert_eq!(me.json(), v, "{b}");
        let anon = call(&st, Method::GET, "/api/v1/auth/me", None, &[], "").await;
        assert_eq!(anon.status, 401, "{b}");
        assert!(anon.content_type().contains("problem+json"), "{b}");
        let fake = format!("qh_session={}", "ab".repeat(32));
        let r = call(&st, Method::GET, "/api/v1/auth/me", Some(&fake), &[], "").await;
        assert_eq!(r.status, 401, "{b}");
        let r = call(
            &st,
            Method::GET,
            "/api/v1/auth/me",
            Some("qh_session=../../etc/passwd; other=1"),
            &[],
            "",
        )
        .await;
        assert_eq!(r.status, 401, "{b}");

        // CSRF: a state-changing request needs the token and, when sent, our Origin.
        let logout = |headers: Vec<(&'static str, String)>| {
            let st = st.clone();
            let cookie = cookie.clone();
            async move {
                let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                call(
                    &st,
                    Method::POST,
                    "/api/v1/auth/logout",
                    Some(&cookie),
                    &h,
                    "",
                )
                .await
            }
        };
        let r = logout(vec![]).await;
        assert_eq!(r.status, 403, "{b}: no token: {}", r.text());
        assert!(detail(&r).contains("X-CSRF-Token"), "{b}");
        let r = logout(vec![("x-csrf-token", "0".repeat(64))]).await;
        assert_eq!(r.status, 403, "{b}: wrong token");
        let r = logout(vec![("x-csrf-token", csrf[..63].to_string())]).await;
        assert_eq!(r.status, 403, "{b}: a prefix of the token");
        for origin in [
            "http://evil.example",
            "null",
            "http://test.local.evil.example",
            "https://evil.example/test.local",
        ] {
            let r = logout(vec![
                ("x-csrf-token", csrf.clone()),
                ("origin", origin.to_string()),
            ])
            .await;
            assert_eq!(r.status, 403, "{b}: Origin {origin}");
        }
        // Still signed in after all that.
        let me = call(&st, Method::GET, "/api/v1/auth/me", Some(&cookie), &[], "").await;
        assert_eq!(me.status, 200, "{b}");
        // The sign-in checks Origin too.
        let r = call(
            &st,
            Method::POST,
            "/api/v1/auth/login",
            None,
            &[("origin", "https://evil.example")],
            &json!({"username": "admin", "password": PW_ADMIN}).to_string(),
        )
        .await;
        assert_eq!(r.status, 403, "{b}: login from a foreign page");
        // The right token and our own Origin: signed out, the cookie cleared, the row gone.
        let r = logout(vec![
            ("x-csrf-token", csrf.clone()),
            ("origin", "http://test.local".to_string()),
        ])
        .await;
        assert_eq!(r.status, 204, "{b}: {}", r.text());
        assert!(cookie_of(&r).1.contains("Max-Age=0"), "{b}");
        let me = call(&st, Method::GET, "/api/v1/auth/me", Some(&cookie), &[], "").await;
        assert_eq!(me.status, 401, "{b}: the session ended");
        assert_eq!(count(&t.db, "SELECT count(*) FROM official_session"), 0);

        // Expiry: past expires_at, or idle over two hours.
        let (c1, _) = sign_in(&st, "admin", PW_ADMIN).await;
        exec(
            &t.db,
            "UPDATE official_session SET expires_at = ?",
            vec![(now() - 1).into()],
        );
        let r = call(&st, Method::GET, "/api/v1/auth/me", Some(&c1), &[], "").await;
        assert_eq!(r.status, 401, "{b}: expired");
        assert_eq!(count(&t.db, "SELECT count(*) FROM official_session"), 0);
        let (c2, _) = sign_in(&st, "admin", PW_ADMIN).await;
        exec(
            &t.db,
            "UPDATE official_session SET last_seen = ?",
            vec![(now() - 2 * 3600 - 5).into()],
        );
        let r = call(&st, Method::GET, "/api/v1/auth/me", Some(&c2), &[], "").await;
        assert_eq!(r.status, 401, "{b}: idle");
        // A request keeps a session alive (last_seen moves, at most once a minute).
        let (c3, _) = sign_in(&st, "admin", PW_ADMIN).await;
        exec(
            &t.db,
            "UPDATE official_session SET last_seen = ?",
            vec![(now() - 3600).into()],
        );
        let r = call(&st, Method::GET, "/api/v1/auth/me", Some(&c3), &[], "").await;
        assert_eq!(r.status, 200, "{b}");
        let seen = count(&t.db, "SELECT max(last_seen) FROM official_session");
        assert!(seen >= now() - 5, "{b}: last_seen {seen}");

        // A disabled account: refused at once, its session and any new sign-in.
        exec(
            &t.db,
            "UPDATE official SET disabled = 1 WHERE id = ?",
            vec![ids.admin.into()],
        );
        let r = call(&st, Method::GET, "/api/v1/auth/me", Some(&c3), &[], "").await;
        assert_eq!(r.status, 401, "{b}: disabled");
        let r = login(&st, "admin", PW_ADMIN).await;
        assert_eq!(r.status, 401, "{b}");
        assert_eq!(detail(&r), detail(&wrong), "{b}");
        exec(
            &t.db,
            "UPDATE official SET disabled = 0 WHERE id = ?",
            vec![ids.admin.into()],
        );

        // Changing one's password: the old one checked, the others sessions ended.
        let (mine, csrf) = sign_in(&st, "pkt.huyen", PW_OFFICE).await;
        let (other, _) = sign_in(&st, "pkt.huyen", PW_OFFICE).await;
        let change = |old: &str, new: &str| json!({"old": old, "new": new}).to_string();
        let h = [("x-csrf-token", csrf.as_str())];
        let r = call(
            &st,
            Method::POST,
            "/api/v1/auth/password",
            Some(&mine),
            &[],
            &change(PW_OFFICE, "a new passphrase 1"),
        )
        .await;
        assert_eq!(r.status, 403, "{b}: no CSRF token");
        let r = call(
            &st,
            Method::POST,
            "/api/v1/auth/password",
            Some(&mine),
            &h,
            &change("wrong old password", "a new passphrase 1"),
        )
        .await;
        assert_eq!(r.status, 403, "{b}: {}", r.text());
        let r = call(
            &st,
            Method::POST,
            "/api/v1/auth/password",
            Some(&mine),
            &h,
            &change(PW_OFFICE, "short"),
        )
        .await;
        assert_eq!(r.status, 400, "{b}: {}", r.text());
        assert!(detail(&r).contains("12"), "{b}");
        let r = call(
            &st,
            Method::POST,
            "/api/v1/auth/password",
            Some(&mine),
            &h,
            &change(PW_OFFICE, "a new passphrase 1"),
        )
        .await;
        assert_eq!(r.status, 204, "{b}: {}", r.text());
        let me = call(&st, Method::GET, "/api/v1/auth/me", Some(&mine), &[], "").await;
        assert_eq!(me.status, 200, "{b}: the asking session stays");
        let me = call(&st, Method::GET, "/api/v1/auth/me", Some(&other), &[], "").await;
        assert_eq!(me.status, 401, "{b}: the other session ended");
        assert_eq!(login(&st, "pkt.huyen", PW_OFFICE).await.status, 401);
        assert_eq!(
            login(&st, "pkt.huyen", "a new passphrase 1").await.status,
            200
        );

        // Bodies and parameters are bounded and checked.
        let big = json!({"username": "admin", "password": "x".repeat(5000)}).to_string();
        let r = call(&st, Method::POST, "/api/v1/auth/login", None, &[], &big).await;
        assert_eq!(r.status, 413, "{b}");
        let long = json!({"username": "admin", "password": "é".repeat(300)}).to_string();
        let r = call(&st, Method::POST, "/api/v1/auth/login", None, &[], &long).await;
        assert_eq!(r.status, 401, "{b}");
        for junk in [
            "",
            "{",
            "[]",
            r#"{"username": 1}"#,
            r#"{"username":"a","password":"b","x":1}"#,
        ] {
            let r = call(&st, Method::POST, "/api/v1/auth/login", None, &[], junk).await;
            assert_eq!(r.status, 400, "{b}: {junk}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_locks_names_and_clients() {
    for t in every_backend() {
        let b = t.backend;
        let st = state(&t);
        make_accounts(&t.db);
        for i in 1..=5 {
            let r = login(&st, "admin", "a wrong password").await;
            assert_eq!(r.status, 401, "{b}: attempt {i}");
        }
        // The sixth: 429 with Retry-After, the right password too.
        for pw in ["a wrong password", PW_ADMIN] {
            let r = login(&st, "admin", pw).await;
            assert_eq!(r.status, 429, "{b}: {}", r.text());
            let secs: u64 = r
                .headers
                .get(header::RETRY_AFTER)
                .unwrap()
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((800..=900).contains(&secs), "{b}: Retry-After {secs}");
            assert!(detail(&r).contains("minute"), "{b}");
        }
        // Another account is not locked by it.
        assert_eq!(login(&st, "pkt.huyen", PW_OFFICE).await.status, 200, "{b}");
        // Once the lock and its window are over, the right password works, and the
        // successful sign-in clears the name's count.
        exec(
            &t.db,
            "UPDATE login_throttle SET locked_until = 0, window_start = ?",
            vec![(now() - 16 * 60).into()],
        );
        assert_eq!(login(&st, "admin", PW_ADMIN).await.status, 200, "{b}");
        for _ in 0..4 {
            assert_eq!(login(&st, "admin", "wrong again!!").await.status, 401);
        }
        assert_eq!(login(&st, "admin", PW_ADMIN).await.status, 200, "{b}");

        // Per client: 20 failures from one address over many names lock the address.
        exec(&t.db, "DELETE FROM login_throttle", vec![]);
        for i in 0..20 {
            let r = login(&st, &format!("guess{i:02}"), "a wrong password").await;
            assert_eq!(r.status, 401, "{b}: guess {i}");
        }
        let r = login(&st, "vinhthanh.ubnd", PW_COMMUNE).await;
        assert_eq!(r.status, 429, "{b}: the client is locked");
        assert!(r.headers.get(header::RETRY_AFTER).is_some());

        // Parallel guesses cannot pass the limit: each attempt counts before its check.
        exec(&t.db, "DELETE FROM login_throttle", vec![]);
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let st = st.clone();
            tasks.push(tokio::spawn(async move {
                login(&st, "pkt.huyen", "parallel wrong guess").await.status
            }));
        }
        let mut wrong = 0;
        for task in tasks {
            let s = task.await.unwrap().as_u16();
            assert!(s == 401 || s == 429, "{b}: {s}");
            wrong += usize::from(s == 401);
        }
        assert!(wrong <= 5, "{b}: {wrong} guesses were checked");

        // The sweep deletes throttles a day old, and expired sessions.
        exec(
            &t.db,
            "UPDATE login_throttle SET window_start = ?, locked_until = 0",
            vec![(now() - 2 * 86400).into()],
        );
        exec(
            &t.db,
            "UPDATE official_session SET expires_at = ?",
            vec![(now() - 10).into()],
        );
        let n = t.db.tx_blocking(accounts::sweep).unwrap();
        assert!(n >= 3, "{b}: swept {n}");
        assert_eq!(count(&t.db, "SELECT count(*) FROM login_throttle"), 0);
        assert_eq!(count(&t.db, "SELECT count(*) FROM official_session"), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookie_over_https() {
    let t = common::state::sqlite();
    make_accounts(&t.db);
    let mut st = state(&t);
    let mut server = (*st.server).clone();
    server.proxies =
        quyhoach_server::proxy::Proxies::new(&[], Some("https://quyhoach.example.vn")).unwrap();
    st.server = Arc::new(server);
    let r = login(&st, "admin", PW_ADMIN).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (cookie, set) = cookie_of(&r);
    assert!(set.split("; ").any(|a| a == "Secure"), "{set}");
    let csrf = r.json()["csrf"].as_str().unwrap().to_string();
    // The public host is this server's origin; the Host the client sent is not.
    let r = call(
        &st,
        Method::POST,
        "/api/v1/auth/logout",
        Some(&cookie),
        &[("x-csrf-token", &csrf), ("origin", "http://test.local")],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call(
        &st,
        Method::POST,
        "/api/v1/auth/logout",
        Some(&cookie),
        &[
            ("x-csrf-token", &csrf),
            ("origin", "https://quyhoach.example.vn"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(cookie_of(&r).1.contains("Secure"));
}

#[test]
fn accounts_are_checked_and_hashed() {
    for t in every_backend() {
        let b = t.backend;
        make_accounts(&t.db);
        let make = |user: &str, role: Role, communes: Vec<String>, pw: &str| {
            let (user, pw) = (user.to_string(), pw.to_string());
            t.db.tx_blocking(move |tx| create_official(tx, &user, "Cán bộ", role, &communes, &pw))
        };
        let c = |s: &str| vec![s.to_string()];
        for (user, role, communes, pw, status) in [
            ("admin", Role::Admin, vec![], "long enough pw!", 409),
            ("ADMIN", Role::Admin, vec![], "long enough pw!", 409),
            ("ab", Role::Admin, vec![], "long enough pw!", 400),
            ("a b c", Role::Admin, vec![], "long enough pw!", 400),
            (&"x".repeat(41), Role::Admin, vec![], "long enough pw!", 400),
            ("newone", Role::Admin, vec![], "11 chars!!!", 400),
            ("newone", Role::Admin, vec![], &"p".repeat(257), 400),
            ("newone", Role::Commune, vec![], "long enough pw!", 400),
            ("newone", Role::Commune, c("31a50"), "long enough pw!", 400),
            (
                "newone",
                Role::Commune,
                c("12345678901"),
                "long enough pw!",
                400,
            ),
            ("newone", Role::Admin, c("31150"), "long enough pw!", 400),
            (
                "newone",
                Role::Commune,
                (0..51).map(|i| i.to_string()).collect(),
                "long enough pw!",
                400,
            ),
        ] {
            let r = make(user, role, communes, pw);
            match r {
                Err(e) => assert_eq!(e.status().as_u16(), status, "{b}: {user} {e}"),
                Ok(id) => panic!("{b}: {user} was created ({id})"),
            }
        }
        let long_name = "Ủ".repeat(81);
        let r = t.db.tx_blocking(move |tx| {
            create_official(tx, "named", &long_name, Role::Admin, &[], "long enough pw!")
        });
        assert!(matches!(r, Err(ApiError::Bad(_))), "{b}");
        let r = t.db.tx_blocking(move |tx| {
            create_official(
                tx,
                "named",
                "a\u{202E}b",
                Role::Admin,
                &[],
                "long enough pw!",
            )
        });
        assert!(matches!(r, Err(ApiError::Bad(_))), "{b}");
        // 50 communes and exactly 12 or 256 characters are fine.
        assert!(make(
            "fifty",
            Role::Commune,
            (1..=50).map(|i| i.to_string()).collect(),
            "twelve chars"
        )
        .is_ok());
        assert!(make("long.pw", Role::Admin, vec![], &"ẫ".repeat(256)).is_ok());

        // The hash is an Argon2id PHC string; no password is stored anywhere.
        let hashes =
            t.db.tx_blocking(|tx: &mut dyn Tx| tx.query("SELECT password_hash FROM official", &[]))
                .unwrap();
        for h in &hashes {
            let h = h.text(0).unwrap();
            assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{b}: {h}");
        }
        let dump =
            t.db.tx_blocking(|tx: &mut dyn Tx| -> Result<String, SqlError> {
                let mut s = String::new();
                for table in [
                    "official",
                    "official_session",
                    "audit_log",
                    "login_throttle",
                ] {
                    for r in tx.query(&format!("SELECT * FROM {table}"), &[])? {
                        s.push_str(&format!("{r:?}\n"));
                    }
                }
                Ok(s)
            })
            .unwrap();
        for pw in [PW_ADMIN, PW_COMMUNE, PW_OFFICE, "twelve chars"] {
            assert!(!dump.contains(pw), "{b}: {pw} in the tables");
        }
        if b == "sqlite" {
            let mut bytes = std::fs::read(&t.location).unwrap();
            bytes.extend(std::fs::read(format!("{}-wal", t.location)).unwrap_or_default());
            for pw in [PW_ADMIN, PW_COMMUNE, PW_OFFICE, "twelve chars"] {
                assert!(
                    !bytes.windows(pw.len()).any(|w| w == pw.as_bytes()),
                    "{pw} in the file"
                );
            }
        }
    }
}

#[test]
fn roles_are_ordered_and_communes_bound_commune_officers() {
    assert!(Role::Commune < Role::PlanningOffice && Role::PlanningOffice < Role::Admin);
    let o = |role, communes: &[&str]| Official {
        id: 1,
        username: "u".into(),
        display_name: "U".into(),
        role,
        communes: communes.iter().map(|s| s.to_string()).collect(),
    };
    let commune = o(Role::Commune, &["31150"]);
    assert!(commune.may_act_on(Some("31150")));
    assert!(!commune.may_act_on(Some("31153")));
    assert!(
        !commune.may_act_on(None),
        "plan-level needs the planning office"
    );
    for r in [Role::PlanningOffice, Role::Admin] {
        assert!(o(r, &[]).may_act_on(Some("31153")) && o(r, &[]).may_act_on(None));
    }
    assert!(commune.require(Role::Commune).is_ok());
    assert_eq!(
        commune.require(Role::PlanningOffice).unwrap_err().status(),
        403
    );
    assert!(o(Role::PlanningOffice, &[])
        .require(Role::PlanningOffice)
        .is_ok());
    assert!(o(Role::PlanningOffice, &[]).require(Role::Admin).is_err());
    assert!(o(Role::Admin, &[]).require(Role::PlanningOffice).is_ok());
    assert_eq!(
        serde_json::to_value(Role::PlanningOffice).unwrap(),
        json!("planning_office")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log() {
    for t in every_backend() {
        let b = t.backend;
        let st = state(&t);
        let ids = make_accounts(&t.db);
        let (admin_c, _) = sign_in(&st, "admin", PW_ADMIN).await;
        let (commune_c, _) = sign_in(&st, "vinhthanh.ubnd", PW_COMMUNE).await;
        let who = |id: i64, username: &str, role: Role| Official {
            id,
            username: username.into(),
            display_name: String::new(),
            role,
            communes: vec![],
        };
        let (commune, office) = (
            who(ids.commune, "vinhthanh.ubnd", Role::Commune),
            who(ids.office, "pkt.huyen", Role::PlanningOffice),
        );
        // audit() writes inside the action's transaction: a failed action leaves no row.
        let failed = t.db.tx_blocking({
            let office = office.clone();
            move |tx| -> Result<(), SqlError> {
                accounts::audit(tx, &office, "publish", "submission", Some(9), "rolled back")?;
                Err(SqlError::Other("the action failed".into()))
            }
        });
        assert!(failed.is_err());
        t.db.tx_blocking(move |tx| -> Result<(), SqlError> {
            accounts::audit(tx, &commune, "answer", "submission", Some(7), "answered")?;
            accounts::audit(tx, &commune, "publish", "submission", Some(7), "")?;
            accounts::audit(
                tx,
                &office,
                "consultation_open",
                "consultation",
                Some(1),
                "",
            )?;
            accounts::audit(
                tx,
                &office,
                "export",
                "consultation",
                None,
                &"d".repeat(5000),
            )?;
            Ok(())
        })
        .unwrap();
        let get = |cookie: &str, q: &str| {
            let (st, cookie, q) = (st.clone(), cookie.to_string(), q.to_string());
            async move {
                call(
                    &st,
                    Method::GET,
                    &format!("/api/v1/official/audit{q}"),
                    Some(&cookie),
                    &[],
                    "",
                )
                .await
            }
        };
        let r = get(&admin_c, "").await;
        assert_eq!(r.status, 200, "{b}: {}", r.text());
        let v = r.json();
        assert_eq!(v["total"], 4, "{b}: {v}");
        let items = v["items"].as_array().unwrap();
        assert_eq!(items[0]["action"], "export", "{b}: newest first");
        assert_eq!(items[0]["detail"].as_str().unwrap().chars().count(), 2000);
        assert_eq!(items[3]["username"], "vinhthanh.ubnd");
        assert_eq!(items[3]["target_id"], 7);
        assert!(items[3]["at"].as_i64().unwrap() >= now() - 60);
        let r = get(&admin_c, "?target_kind=submission&target_id=7").await;
        assert_eq!(r.json()["total"], 2, "{b}");
        let r = get(&admin_c, "?limit=1&offset=1").await;
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 1);
        assert_eq!(r.json()["items"][0]["action"], "consultation_open");
        let r = get(&admin_c, &format!("?official={}", ids.office)).await;
        assert_eq!(r.json()["total"], 2, "{b}");
        // A commune officer sees their own actions only, whatever they ask.
        let r = get(&commune_c, "").await;
        assert_eq!(r.status, 200, "{b}");
        assert_eq!(r.json()["total"], 2, "{b}: {}", r.text());
        let r = get(&commune_c, &format!("?official={}", ids.office)).await;
        assert_eq!(r.json()["total"], 2, "{b}");
        assert!(r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["username"] == "vinhthanh.ubnd"));
        // Anonymous: 401; bad parameters: 400.
        let r = call(&st, Method::GET, "/api/v1/official/audit", None, &[], "").await;
        assert_eq!(r.status, 401, "{b}");
        for q in [
            "?limit=0",
            "?limit=501",
            "?target_id=x",
            "?nope=1",
            "?limit=1&limit=2",
        ] {
            assert_eq!(get(&admin_c, q).await.status, 400, "{b}: {q}");
        }
    }
}

/// Runs `quyhoach users …` with the state database of `t`; (exit ok, stdout, stderr).
fn users(t: &TestDb, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quyhoach"));
    cmd.arg("users").args(args);
    if t.backend == "sqlite" {
        cmd.args(["--db", &t.location]);
    } else {
        cmd.args(["--db-url", &t.location]);
    }
    cmd.env_remove("QUYHOACH_DB_URL")
        .env_remove("QUYHOACH_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_command() {
    for t in every_backend() {
        let b = t.backend;
        let st = state(&t);
        let (ok, out, err) = users(&t, &["list"], None);
        assert!(ok, "{b}: {err}");
        assert!(out.contains("no accounts yet"), "{b}: {out}");
        let add = |user: &str, extra: &[&str], pw: &str| {
            let mut a = vec!["add", "--username", user, "--name", "Trần Thị Lan"];
            a.extend_from_slice(extra);
            a.push("--password-stdin");
            users(&t, &a, Some(&format!("{pw}\n")))
        };
        let (ok, out, err) = add("lan.ttl", &["--role", "admin"], "mật khẩu đủ dài");
        assert!(ok, "{b}: {err}");
        assert!(out.contains("added lan.ttl"), "{b}: {out}");
        let (ok, _, err) = add(
            "xa.vinhthanh",
            &[
                "--role",
                "commune",
                "--commune",
                "31150",
                "--commune",
                "31153",
            ],
            "mười hai ký tự",
        );
        assert!(ok, "{b}: {err}");
        // A duplicate, a short password, a bad role, a commune officer without a commune.
        let (ok, _, err) = add("lan.ttl", &["--role", "admin"], "mật khẩu đủ dài");
        assert!(!ok && err.contains("taken"), "{b}: {err}");
        let (ok, _, err) = add("another", &["--role", "admin"], "short");
        assert!(!ok && err.contains("12"), "{b}: {err}");
        let (ok, _, err) = add("another", &["--role", "mayor"], "long enough pw!");
        assert!(
            !ok && err.contains("commune, planning_office, admin"),
            "{b}: {err}"
        );
        let (ok, _, err) = add("another", &["--role", "commune"], "long enough pw!");
        assert!(!ok && err.contains("--commune"), "{b}: {err}");
        // No password on stdin: refused, never a default.
        let (ok, _, err) = add("another", &["--role", "admin"], "");
        assert!(!ok, "{b}: {err}");

        let (ok, out, _) = users(&t, &["list", "--json"], None);
        assert!(ok);
        let list: Value = serde_json::from_str(&out).unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2, "{b}: {out}");
        assert_eq!(list[0]["username"], "lan.ttl");
        assert_eq!(list[0]["role"], "admin");
        assert_eq!(list[0]["display_name"], "Trần Thị Lan");
        assert_eq!(list[1]["communes"], json!(["31150", "31153"]));
        assert_eq!(list[1]["disabled"], false);
        assert!(!out.contains("argon2"), "{b}: the list shows no hash");
        let (_, table, _) = users(&t, &["list"], None);
        assert!(table.contains("xa.vinhthanh") && table.contains("31150,31153"));

        // The accounts sign in through the server.
        let (c1, _) = sign_in(&st, "lan.ttl", "mật khẩu đủ dài").await;
        let (c2, _) = sign_in(&st, "xa.vinhthanh", "mười hai ký tự").await;

        // passwd: the new password works, the old does not, the sessions end.
        let (ok, _, err) = users(
            &t,
            &["passwd", "--username", "lan.ttl", "--password-stdin"],
            Some("một mật khẩu mới\r\n"),
        );
        assert!(ok, "{b}: {err}");
        let r = call(&st, Method::GET, "/api/v1/auth/me", Some(&c1), &[], "").await;
        assert_eq!(r.status, 401, "{b}: passwd ended the session");
        assert_eq!(login(&st, "lan.ttl", "mật khẩu đủ dài").await.status, 401);
        assert_eq!(login(&st, "lan.ttl", "một mật khẩu mới").await.status, 200);
        let (ok, _, err) = users(
            &t,
            &["passwd", "--username", "nobody", "--password-stdin"],
            Some("một mật khẩu mới\n"),
        );
        assert!(!ok && err.contains("no account"), "{b}: {err}");

        // disable: its session ends at once, it cannot sign in; enable undoes it.
        let (ok, _, err) = users(&t, &["disable", "--username", "xa.vinhthanh"], None);
        assert!(ok, "{b}: {err}");
        let r = call(&st, Method::GET, "/api/v1/auth/me", Some(&c2), &[], "").await;
        assert_eq!(r.status, 401, "{b}: disabled");
        assert_eq!(
            login(&st, "xa.vinhthanh", "mười hai ký tự").await.status,
            401
        );
        let (_, out, _) = users(&t, &["list", "--json"], None);
        let list: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(list[1]["disabled"], true, "{b}");
        let (ok, _, _) = users(&t, &["enable", "--username", "xa.vinhthanh"], None);
        assert!(ok);
        assert_eq!(
            login(&st, "xa.vinhthanh", "mười hai ký tự").await.status,
            200
        );

        // Each command left an audit row; the passwords are in none.
        let rows =
            t.db.tx_blocking(|tx: &mut dyn Tx| {
                tx.query(
                    "SELECT action, username, detail FROM audit_log ORDER BY id",
                    &[],
                )
            })
            .unwrap();
        let actions: Vec<String> = rows.iter().map(|r| r.text(0).unwrap()).collect();
        assert_eq!(
            actions,
            [
                "user_add",
                "user_add",
                "user_passwd",
                "user_disable",
                "user_enable"
            ],
            "{b}"
        );
        assert!(!format!("{rows:?}").contains("mật khẩu"), "{b}");
    }
}
