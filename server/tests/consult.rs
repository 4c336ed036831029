//! Consultations on every backend: windows (open, upcoming, closed; commune-scoped),
//! officials opening and changing them (planning office only; plan, dates and lengths
//! checked), the announcement events, the public list, one and published comments (no
//! contact), and the summary: the CSV parsed back equals the comments with their groups and
//! counts, formula cells defused, no contact details in the CSV or the printable page;
//! `quyhoach consultations open|list|close`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::Method;
use common::demo;
use common::twoway::{call, make_official, sign_in};
use quyhoach_server::portal::accounts::Role;
use quyhoach_server::portal::consult::{window_for, Window, CSV_HEADER};
use quyhoach_server::portal::sql::{fold, now, vals, SqlError, StateDb, Tx};
use quyhoach_server::portal::twoway::new_token;
use serde_json::{json, Value};

const PW: &str = "mật khẩu đủ dài 2026";
const PLAN: &str = "qhpk-2000-dc";

/// Number, id, zone, position, group size, state, comment, response.
type Picked = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn add_consultation(db: &StateDb, plan: &str, communes: &str, opens: i64, closes: i64) -> i64 {
    let (plan, communes) = (plan.to_string(), communes.to_string());
    db.tx_blocking(move |tx: &mut dyn Tx| {
        tx.query_i64(
            "INSERT INTO consultation (plan_id, title, communes, opens_at, closes_at, created_at) \
             VALUES (?, 't', ?, ?, ?, 0) RETURNING id",
            vals![plan, communes, opens, closes],
        )
    })
    .unwrap()
}

fn window(db: &StateDb, plan: &str, commune: Option<&str>, at: i64) -> Window {
    let plan = plan.to_string();
    let commune = commune.map(str::to_string);
    db.tx_blocking(move |tx: &mut dyn Tx| window_for(tx, &plan, commune.as_deref(), at))
        .unwrap()
}

#[test]
fn windows_open_upcoming_closed_and_by_commune() {
    for t in common::state::every_backend() {
        let be = t.backend;
        let db = &t.db;
        assert_eq!(window(db, "p", Some("1"), 1000), Window::None, "{be}");
        let closed = add_consultation(db, "p", "", 100, 200);
        let open_a = add_consultation(db, "p", "1,2", 900, 1100);
        let later = add_consultation(db, "p", "", 5000, 6000);
        let sooner = add_consultation(db, "p", "", 3000, 4000);
        add_consultation(db, "other", "", 0, 100_000);
        // Commune 1 is in the open one; 3 is not (the whole-area ones still cover it).
        assert_eq!(
            window(db, "p", Some("1"), 1000),
            Window::Open {
                id: open_a,
                opens_at: 900,
                closes_at: 1100
            },
            "{be}"
        );
        assert_eq!(
            window(db, "p", Some("2"), 900),
            Window::Open {
                id: open_a,
                opens_at: 900,
                closes_at: 1100
            },
            "{be}: opens_at is inside"
        );
        assert_eq!(
            window(db, "p", Some("3"), 1000),
            Window::Upcoming {
                id: sooner,
                opens_at: 3000,
                closes_at: 4000
            },
            "{be}"
        );
        assert_eq!(
            window(db, "p", None, 1000),
            Window::Upcoming {
                id: sooner,
                opens_at: 3000,
                closes_at: 4000
            },
            "{be}"
        );
        // closes_at is outside: at 1100 the commune's window has closed; the next is upcoming.
        assert_eq!(
            window(db, "p", Some("1"), 1100),
            Window::Upcoming {
                id: sooner,
                opens_at: 3000,
                closes_at: 4000
            },
            "{be}"
        );
        assert_eq!(
            window(db, "p", Some("1"), 4500),
            Window::Upcoming {
                id: later,
                opens_at: 5000,
                closes_at: 6000
            },
            "{be}"
        );
        assert_eq!(
            window(db, "p", Some("1"), 9000),
            Window::Closed {
                id: later,
                opens_at: 5000,
                closes_at: 6000
            },
            "{be}"
        );
        assert_eq!(
            window(db, "p", Some("1"), 150),
            Window::Open {
                id: closed,
                opens_at: 100,
                closes_at: 200
            },
            "{be}"
        );
        assert_eq!(
            window(db, "p", Some("1"), 50),
            Window::Upcoming {
                id: closed,
                opens_at: 100,
                closes_at: 200
            },
            "{be}"
        );
        assert_eq!(window(db, "nothing", Some("1"), 50), Window::None, "{be}");
    }
}

#[allow(clippy::too_many_arguments)]
fn comment(
    db: &StateDb,
    consultation: i64,
    commune: &str,
    zone: Option<&str>,
    position: &str,
    body: &str,
    contact: (&str, &str, &str),
    created_at: i64,
) -> i64 {
    let (commune, zone, position, body) = (
        commune.to_string(),
        zone.map(str::to_string),
        position.to_string(),
        body.to_string(),
    );
    let contact = (
        contact.0.to_string(),
        contact.1.to_string(),
        contact.2.to_string(),
    );
    db.tx_blocking(move |tx: &mut dyn Tx| -> Result<i64, SqlError> {
        let id = tx.query_i64(
            "INSERT INTO submission (kind, position, body, body_folded, subject_kind, parcel_id, \
             commune, plan_id, zone_id, subject_label, consultation_id, follow_hash, created_at, \
             updated_at) VALUES ('comment', ?, ?, ?, 'parcel', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            vals![
                position,
                body.as_str(),
                fold(&body),
                format!("{commune}/2/3"),
                commune.as_str(),
                PLAN,
                zone,
                format!("Thửa 3, tờ 2, xã {commune}"),
                consultation,
                new_token().1,
                created_at,
                created_at
            ],
        )?;
        tx.exec(
            "INSERT INTO submission_contact (submission_id, name, phone, email, delete_after) \
             VALUES (?, ?, ?, ?, ?)",
            vals![id, contact.0, contact.1, contact.2, created_at + 86_400],
        )?;
        Ok(id)
    })
    .unwrap()
}

/// RFC 4180 records of a CSV text.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cell.push(c);
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            c => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "the CSV ends with CRLF");
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consultations_comments_and_the_summary() {
    for t in common::state::every_backend() {
        let be = t.backend;
        let st = common::state::with_state(&demo().state, &t.db);
        let db = t.db.clone();
        make_official(&db, "phong", "Cán bộ", Role::PlanningOffice, &[], PW);
        make_official(&db, "xa1", "Cán bộ", Role::Commune, &["31150"], PW);
        let po = sign_in(&st, "phong", PW).await;
        let c1 = sign_in(&st, "xa1", PW).await;
        let n = now();

        // Opening: planning office only; the plan must exist; dates and lengths checked.
        let body = json!({"plan_id": PLAN, "title": "Lấy ý kiến dự thảo 1/2000",
            "description": "Góp ý <b>trực tuyến</b>", "communes": [], "opens_at": n - 3600, "closes_at": n + 10 * 86_400});
        let r = call(
            &st,
            Method::POST,
            "/api/v1/official/consultations",
            Some(&c1),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 403, "{be}");
        let r = call(
            &st,
            Method::POST,
            "/api/v1/official/consultations",
            None,
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 401, "{be}");
        for (patch, want) in [
            (json!({"plan_id": "no-such-plan"}), 422),
            (json!({"closes_at": n - 7200}), 422),
            (json!({"closes_at": n + 800 * 86_400}), 422),
            (json!({"title": "x".repeat(201)}), 400),
            (json!({"title": "a\nb"}), 400),
            (json!({"communes": ["31150; DROP"]}), 400),
            (json!({"opens_at": "mai"}), 400),
            (json!({"extra": 1}), 400),
        ] {
            let mut b = body.clone();
            for (k, v) in patch.as_object().unwrap() {
                b[k] = v.clone();
            }
            let r = call(
                &st,
                Method::POST,
                "/api/v1/official/consultations",
                Some(&po),
                Some(b),
            )
            .await;
            assert_eq!(r.status, want, "{be} {patch}: {}", r.text());
        }
        let r = call(
            &st,
            Method::POST,
            "/api/v1/official/consultations",
            Some(&po),
            Some(body),
        )
        .await;
        assert_eq!(r.status, 201, "{be}: {}", r.text());
        let c = r.json();
        let cid = c["id"].as_i64().unwrap();
        assert_eq!(c["status"], "open");
        assert_eq!(c["plan_name"], st.index.catalog().plans[PLAN].name.as_str());
        // Announced once, for the plan and the communes of its area.
        let events = db
            .tx_blocking(|tx: &mut dyn Tx| {
                tx.query("SELECT subject_kind, subject_id FROM alert_event WHERE kind = 'consultation_opened'", &[])
            })
            .unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.text(0).unwrap() == "plan" && e.text(1).unwrap() == PLAN),
            "{be}"
        );
        assert!(
            events.iter().any(|e| e.text(0).unwrap() == "commune"),
            "{be}: no commune event"
        );
        // Upcoming (a local date) and closed ones, commune-scoped.
        let r = call(&st, Method::POST, "/api/v1/official/consultations", Some(&po),
            Some(json!({"plan_id": PLAN, "title": "Đợt 2", "communes": ["31150"], "opens_at": "2099-01-01", "closes_at": "2099-01-31"}))).await;
        assert_eq!(r.status, 201, "{be}: {}", r.text());
        let up = r.json();
        assert_eq!(up["status"], "upcoming");
        assert_eq!(up["opens_at"], 4_070_883_600_i64, "{be}: 00:00 in Vietnam");
        assert_eq!(
            up["closes_at"],
            4_070_883_600_i64 + 31 * 86_400,
            "{be}: 24:00 of the last day"
        );
        assert_eq!(up["last_day"], "2099-01-31");
        let upid = up["id"].as_i64().unwrap();
        // Changing: dates and title.
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/consultations/{upid}"),
            Some(&po),
            Some(json!({"title": "Đợt 2 (sửa)", "closes_at": "2099-02-28"})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.json()["title"], "Đợt 2 (sửa)");
        assert_eq!(r.json()["last_day"], "2099-02-28");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/consultations/{upid}"),
            Some(&po),
            Some(json!({"closes_at": "2098-01-01"})),
        )
        .await;
        assert_eq!(r.status, 422, "{be}");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/consultations/{upid}"),
            Some(&c1),
            Some(json!({"title": "x"})),
        )
        .await;
        assert_eq!(r.status, 403, "{be}");
        add_consultation(&db, "qhpk-2000", "", 1000, 2000);
        for (q, n_) in [
            ("", 3),
            ("?status=open", 1),
            ("?status=upcoming", 1),
            ("?status=closed", 1),
            (&format!("?plan={PLAN}") as &str, 2),
        ] {
            let r = call(
                &st,
                Method::GET,
                &format!("/api/v1/consultations{q}"),
                None,
                None,
            )
            .await;
            assert_eq!(r.status, 200, "{be} {q}: {}", r.text());
            assert_eq!(r.json().as_array().unwrap().len(), n_, "{be} {q}");
        }
        let r = call(
            &st,
            Method::GET,
            "/api/v1/consultations?status=soon",
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            window(&db, PLAN, Some("31150"), n),
            Window::Open {
                id: cid,
                opens_at: n - 3600,
                closes_at: n + 10 * 86_400
            },
            "{be}"
        );

        // Comments, with contact details, some written to trip spreadsheets.
        let people = [
            ("Trần Thị Góp", "0987000111", "gop@example.vn"),
            ("Lê Văn Ý", "0987000222", "y@example.vn"),
        ];
        let mut ids = Vec::new();
        let spec: [(&str, Option<&str>, &str, &str); 8] = [
            (
                "31150",
                Some("Z2"),
                "object",
                "=HYPERLINK(\"http://evil\",\"bấm\")",
            ),
            (
                "31150",
                Some("Z1"),
                "support",
                "Đồng ý, nhưng cần thêm cây xanh, bãi đỗ xe",
            ),
            ("31151", Some("Z1"), "support", "+84 đồng ý"),
            (
                "31150",
                Some("Z1"),
                "object",
                "-Không đồng ý: \"đường\" quá hẹp\nvà thiếu trường",
            ),
            (
                "31151",
                None,
                "other",
                "@ý kiến khác <script>alert(1)</script>",
            ),
            ("31150", Some("Z1"), "support", "\tđồng ý"),
            ("31151", Some("Z2"), "object", "Bị ẩn"),
            ("31150", Some("Z1"), "support", "Trùng"),
        ];
        for (i, (commune, zone, pos, text)) in spec.iter().enumerate() {
            ids.push(comment(
                &db,
                cid,
                commune,
                *zone,
                pos,
                text,
                people[i % 2],
                n - 1000 + i as i64,
            ));
        }
        // Responses, a publication, a hidden one and a merged one (through the inbox).
        let answer = |id: i64, text: &'static str| {
            let st = st.clone();
            let po = po.clone();
            async move {
                let r = call(
                    &st,
                    Method::POST,
                    &format!("/api/v1/official/submissions/{id}/answer"),
                    Some(&po),
                    Some(json!({"answer": text, "version": 1})),
                )
                .await;
                assert_eq!(r.status, 200, "{}", r.text());
            }
        };
        answer(ids[1], "Tiếp thu: bổ sung 0,5 ha cây xanh").await;
        answer(ids[3], "Giải trình: đường rộng 13 m theo quy chuẩn").await;
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{}/publish", ids[1]),
            Some(&po),
            Some(json!({"version": 2})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{}/hide", ids[6]),
            Some(&po),
            Some(json!({"reason": "Lời lẽ xúc phạm", "version": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{}/merge", ids[7]),
            Some(&po),
            Some(json!({"into": ids[1], "version": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());

        // Public: counts, and the published comment only, without contact details.
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/consultations/{cid}"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.json()["comment_count"],
            6,
            "{be}: hidden and merged are not counted"
        );
        assert_eq!(r.json()["published_count"], 1);
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/consultations/{cid}/comments"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["total"], 1, "{be}");
        assert_eq!(
            v["items"][0]["response"],
            "Tiếp thu: bổ sung 0,5 ha cây xanh"
        );
        assert_eq!(v["items"][0]["position"], "support");
        assert_eq!(v["items"][0]["zone_id"], "Z1");
        let public = r.text();
        for (name, phone, email) in people {
            for s in [name, phone, email] {
                assert!(!public.contains(s), "{be}: public comments leak {s}");
            }
        }
        let r = call(
            &st,
            Method::GET,
            "/api/v1/consultations/999999/comments",
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 404);

        // The CSV summary: BOM, header, the counted comments grouped (zone, then position),
        // with group sizes; then hidden and merged ones; formulas defused; no contact.
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/consultations/{cid}/summary.csv"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 401);
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/consultations/{cid}/summary.csv"),
            Some(&po),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert!(r.content_type().starts_with("text/csv"));
        assert!(r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        let text = String::from_utf8(r.body.clone()).unwrap();
        assert!(text.starts_with('\u{FEFF}'), "{be}: BOM");
        for (name, phone, email) in people {
            for s in [name, phone, email] {
                assert!(!text.contains(s), "{be}: the CSV leaks {s}");
            }
        }
        let rows = parse_csv(&text['\u{FEFF}'.len_utf8()..]);
        assert_eq!(rows[0], CSV_HEADER, "{be}");
        let got: Vec<Picked> = rows[1..]
            .iter()
            .map(|r| {
                (
                    r[0].clone(),
                    r[1].clone(),
                    r[3].clone(),
                    r[4].clone(),
                    r[5].clone(),
                    r[6].clone(),
                    r[9].clone(),
                    r[10].clone(),
                )
            })
            .collect();
        let s = |x: &str| x.to_string();
        let id = |i: usize| ids[i].to_string();
        let want = vec![
            // Zone Z1: support ×3 (1, 2, 5), object ×1 (3).
            (
                s("1"),
                id(1),
                s("Z1"),
                s("support"),
                s("3"),
                s("published"),
                s("Đồng ý, nhưng cần thêm cây xanh, bãi đỗ xe"),
                s("Tiếp thu: bổ sung 0,5 ha cây xanh"),
            ),
            (
                s("2"),
                id(2),
                s("Z1"),
                s("support"),
                s("3"),
                s("new"),
                s("'+84 đồng ý"),
                s(""),
            ),
            (
                s("3"),
                id(5),
                s("Z1"),
                s("support"),
                s("3"),
                s("new"),
                s("'\tđồng ý"),
                s(""),
            ),
            (
                s("4"),
                id(3),
                s("Z1"),
                s("object"),
                s("1"),
                s("answered"),
                s("'-Không đồng ý: \"đường\" quá hẹp\nvà thiếu trường"),
                s("Giải trình: đường rộng 13 m theo quy chuẩn"),
            ),
            // Zone Z2: object ×1.
            (
                s("5"),
                id(0),
                s("Z2"),
                s("object"),
                s("1"),
                s("new"),
                s("'=HYPERLINK(\"http://evil\",\"bấm\")"),
                s(""),
            ),
            // No zone: other ×1.
            (
                s("6"),
                id(4),
                s(""),
                s("other"),
                s("1"),
                s("new"),
                s("'@ý kiến khác <script>alert(1)</script>"),
                s(""),
            ),
            // Not counted.
            (
                s(""),
                id(7),
                s("Z1"),
                s("support"),
                s(""),
                s("merged"),
                s("Trùng"),
                format!("Gộp vào ý kiến #{} / merged into #{}", ids[1], ids[1]),
            ),
            (
                s(""),
                id(6),
                s("Z2"),
                s("object"),
                s(""),
                s("hidden"),
                s(""),
                s("Đã ẩn / hidden: Lời lẽ xúc phạm"),
            ),
        ];
        assert_eq!(got, want, "{be}");
        // Every cell: nothing a spreadsheet would run.
        for r in &rows[1..] {
            for cell in r {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{be}: {cell:?}"
                );
            }
        }
        // Also through Python's csv module when a Python is at hand.
        if let Ok(py) = std::env::var("QUYHOACH_PYTHON") {
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("s.csv");
            std::fs::write(&f, &r.body).unwrap();
            let out = std::process::Command::new(py)
                .args(["-c", "import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))))"])
                .arg(&f)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let py_rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(py_rows, rows, "{be}: Python reads the same CSV");
        }

        // The printable page: A4, escaped, no script, no contact details, the counts.
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/consultations/{cid}/summary.html"),
            Some(&po),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}");
        assert!(r.content_type().starts_with("text/html"));
        let html = r.text();
        assert!(html.contains("@page{size:A4"), "{be}");
        assert!(
            !html.to_lowercase().contains("<script"),
            "{be}: a script in the page"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{be}"
        );
        assert!(html.contains("Góp ý &lt;b&gt;trực tuyến&lt;/b&gt;"), "{be}");
        assert!(
            html.contains("Tổng số ý kiến / total: <strong>6</strong>"),
            "{be}"
        );
        assert!(
            html.contains(&st.index.catalog().plans[PLAN].decision.number),
            "{be}: the decision"
        );
        assert!(
            html.contains("Tiếp thu: bổ sung 0,5 ha cây xanh"),
            "{be}: the response"
        );
        assert!(r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
        for (name, phone, email) in people {
            for s in [name, phone, email] {
                assert!(!html.contains(s), "{be}: the page leaks {s}");
            }
        }
        // A commune officer's summary holds only their commune's comments.
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/consultations/{cid}/summary.csv"),
            Some(&c1),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        let rows = parse_csv(&String::from_utf8(r.body.clone()).unwrap()['\u{FEFF}'.len_utf8()..]);
        assert!(rows[1..].iter().all(|r| r[7] == "31150"), "{be}");
        assert_eq!(rows.len() - 1, 5, "{be}");
        // Each export is in the audit log.
        let exports = db
            .tx_blocking(|tx: &mut dyn Tx| {
                tx.query_i64("SELECT count(*) FROM audit_log WHERE action = 'export' AND target_kind = 'consultation'", &[])
            })
            .unwrap();
        assert_eq!(exports, 3, "{be}");
        let opens = db
            .tx_blocking(|tx: &mut dyn Tx| {
                tx.query_i64("SELECT count(*) FROM audit_log WHERE action IN ('consultation_open', 'consultation_update')", &[])
            })
            .unwrap();
        assert_eq!(opens, 3, "{be}");
    }
}

#[test]
fn the_consultations_command_and_the_demo_consultation() {
    let dir = tempfile::tempdir().unwrap();
    let dbf = dir.path().join("portal.sqlite");
    let store = demo().store.clone();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_quyhoach"))
            .arg("consultations")
            .args(args)
            .arg("--store")
            .arg(&store)
            .arg("--db")
            .arg(&dbf)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let closes = quyhoach_server::portal::consult::day_of(now() + 300 * 86_400);
    let (ok, out, err) = run(&[
        "open",
        "--plan",
        PLAN,
        "--title",
        "Lấy ý kiến",
        "--closes",
        &closes,
        "--commune",
        "31150",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("consultation 1"), "{out}{err}");
    let (ok, out, err) = run(&[
        "open",
        "--plan",
        "no-plan",
        "--title",
        "x",
        "--closes",
        "2099-12-31",
    ]);
    assert!(!ok && err.contains("no plan"), "{out}{err}");
    let (ok, out, err) = run(&[
        "open",
        "--plan",
        PLAN,
        "--title",
        "x",
        "--opens",
        "2099-01-02",
        "--closes",
        "2099-01-01",
    ]);
    assert!(!ok, "{out}{err}");
    let (ok, out, err) = run(&["list", "--json"]);
    assert!(ok, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["status"], "open");
    assert_eq!(v[0]["communes"], json!(["31150"]));
    let (ok, out, err) = run(&["close", "--id", "1"]);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run(&["list"]);
    assert!(ok && out.contains("closed"), "{out}{err}");
    let (ok, out, err) = run(&["close", "--id", "7"]);
    assert!(!ok, "{out}{err}");

    // The demo's consultation: opened once, whatever the number of calls.
    for t in common::state::every_backend() {
        for _ in 0..2 {
            quyhoach_server::portal::consult::ensure_demo(&t.db, &*demo().state.index).unwrap();
        }
        let (n, events) = t
            .db
            .tx_blocking(|tx: &mut dyn Tx| -> Result<(i64, i64), SqlError> {
                Ok((
                    tx.query_i64("SELECT count(*) FROM consultation WHERE plan_id = ?", vals![PLAN])?,
                    tx.query_i64("SELECT count(*) FROM alert_event WHERE kind = 'consultation_opened' AND subject_kind = 'plan'", &[])?,
                ))
            })
            .unwrap();
        assert_eq!((n, events), (1, 1), "{}", t.backend);
        assert!(matches!(
            window(&t.db, PLAN, Some("31150"), now()),
            Window::Open { .. }
        ));
    }
}

/// A parcel of the demo whose number is unique in its commune: "c/s/p".
fn unique_parcel() -> String {
    let (all, _) = common::demo()
        .index
        .features_in_bbox("parcels", None, 1000, 0)
        .unwrap();
    for f in all {
        let c = f.properties["commune_code"].as_str().unwrap().to_string();
        let s = f.properties["sheet"].as_i64().unwrap();
        let p = f.properties["parcel"].as_i64().unwrap();
        if common::demo()
            .index
            .parcels_by_number(&c, s, p)
            .unwrap()
            .len()
            == 1
        {
            return format!("{c}/{s}/{p}");
        }
    }
    panic!("no unique parcel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_through_the_form_inside_and_after_the_window() {
    for t in common::state::every_backend() {
        let be = t.backend;
        let st = common::state::with_state(&demo().state, &t.db);
        let db = t.db.clone();
        let n = now();
        let cid = add_consultation(&db, PLAN, "", n - 100, n + 86_400);
        let key = db
            .tx_blocking(|tx: &mut dyn Tx| {
                quyhoach_server::portal::twoway::shared_secret(tx, "feedback-form")
            })
            .unwrap();
        let parcel = unique_parcel();
        let body = |text: &str| {
            json!({"kind": "comment", "position": "object", "body": text,
                "subject": {"kind": "parcel", "parcel": parcel, "plan_id": PLAN},
                "data_version": st.etag.to_string(),
                "contact": {"name": "Phạm Góp Ý", "email": "gopy@example.vn"}, "lang": "vi",
                "form_token": quyhoach_server::portal::feedback::make_form_token(&key, now() - 10).unwrap(),
                "website": ""})
        };
        let r = call(
            &st,
            Method::POST,
            "/api/v1/feedback",
            None,
            Some(body("Không đồng ý mở đường qua thửa này")),
        )
        .await;
        assert_eq!(r.status, 201, "{be}: {}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        let got = db
            .tx_blocking(move |tx: &mut dyn Tx| {
                tx.query_one(
                    "SELECT consultation_id FROM submission WHERE id = ?",
                    vals![id],
                )
            })
            .unwrap();
        assert_eq!(got.opt_i64(0).unwrap(), Some(cid), "{be}");
        // Closed: refused, with the date it closed.
        db.tx_blocking(move |tx: &mut dyn Tx| {
            tx.exec(
                "UPDATE consultation SET closes_at = ? WHERE id = ?",
                vals![n - 50, cid],
            )
        })
        .unwrap();
        let r = call(
            &st,
            Method::POST,
            "/api/v1/feedback",
            None,
            Some(body("Muộn")),
        )
        .await;
        assert_eq!(r.status, 422, "{be}: {}", r.text());
        // The summary lists the accepted one, without its contact.
        make_official(&db, "phong2", "Cán bộ", Role::PlanningOffice, &[], PW);
        let po = sign_in(&st, "phong2", PW).await;
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/consultations/{cid}/summary.csv"),
            Some(&po),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}");
        let rows = parse_csv(&String::from_utf8(r.body.clone()).unwrap()['\u{FEFF}'.len_utf8()..]);
        assert_eq!(rows.len(), 2, "{be}: {rows:?}");
        assert_eq!(rows[1][1], id.to_string());
        assert_eq!(rows[1][4], "object");
        assert_eq!(rows[1][9], "Không đồng ý mở đường qua thửa này");
        assert!(!r.text().contains("gopy@example.vn") && !r.text().contains("Phạm Góp Ý"));
    }
}

/// A parcel under the first zone of `plan` (the parcel at the middle of the zone's box) and
/// one far from every zone of it.
fn parcels_in_and_out(plan: &str) -> (String, String) {
    let key = |f: &quyhoach_data::index::FeatureOut| {
        format!(
            "{}/{}/{}",
            f.properties["commune_code"].as_str().unwrap(),
            f.properties["sheet"].as_i64().unwrap(),
            f.properties["parcel"].as_i64().unwrap()
        )
    };
    let unique = |k: &str| {
        let p: Vec<&str> = k.split('/').collect();
        common::demo()
            .index
            .parcels_by_number(p[0], p[1].parse().unwrap(), p[2].parse().unwrap())
            .unwrap()
            .len()
            == 1
    };
    let (zones, _) = common::demo()
        .index
        .features_in_bbox(&format!("zones-{plan}"), None, 1, 0)
        .unwrap();
    let bbox = |f: &quyhoach_data::index::FeatureOut| {
        use geo::BoundingRect;
        let r = f.geometry.bounding_rect().unwrap();
        [r.min().x, r.min().y, r.max().x, r.max().y]
    };
    let b = bbox(&zones[0]);
    let inside = common::demo()
        .index
        .parcels_at((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
        .unwrap()
        .iter()
        .map(key)
        .find(|k| unique(k))
        .expect("a parcel under the draft");
    let (all, _) = common::demo()
        .index
        .features_in_bbox("parcels", None, 1000, 0)
        .unwrap();
    let outside = all
        .iter()
        .filter(|f| {
            let pb = bbox(f);
            let (hits, _) = common::demo()
                .index
                .features_in_bbox(&format!("zones-{plan}"), Some(pb), 1, 0)
                .unwrap();
            hits.is_empty()
        })
        .map(key)
        .find(|k| unique(k))
        .expect("a parcel away from the draft");
    (inside, outside)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consultation_opening_over_a_followed_parcel_reaches_its_follower() {
    for t in common::state::every_backend() {
        let be = t.backend;
        let st = common::state::with_state(&demo().state, &t.db);
        let db = t.db.clone();
        let (inside, outside) = parcels_in_and_out(PLAN);
        let mut tokens = Vec::new();
        for p in [&inside, &outside] {
            let r = call(
                &st,
                Method::POST,
                "/api/v1/follows",
                None,
                Some(json!({"subject": {"kind": "parcel", "id": p}, "lang": "vi"})),
            )
            .await;
            assert_eq!(r.status, 201, "{be} {p}: {}", r.text());
            tokens.push(r.json()["token"].as_str().unwrap().to_string());
        }
        make_official(&db, "qh.thongbao", "Cán bộ", Role::PlanningOffice, &[], PW);
        let po = sign_in(&st, "qh.thongbao", PW).await;
        let r = call(
            &st,
            Method::POST,
            "/api/v1/official/consultations",
            Some(&po),
            Some(
                json!({"plan_id": PLAN, "title": "Lấy ý kiến ô phố", "opens_at": "now",
                "closes_at": now() + 60 * 86_400}),
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{be}: {}", r.text());
        let kinds = |v: &Value| -> Vec<String> {
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap_or("").to_string())
                .collect()
        };
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/follows/{}", tokens[0]),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}");
        assert!(
            kinds(&r.json()).iter().any(|k| k == "consultation_opened"),
            "{be}: the follower of {inside}, under the draft, was not told: {}",
            r.text()
        );
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/follows/{}", tokens[1]),
            None,
            None,
        )
        .await;
        assert!(
            !kinds(&r.json()).iter().any(|k| k == "consultation_opened"),
            "{be}: the follower of {outside}, away from the draft, was told: {}",
            r.text()
        );
    }
}
