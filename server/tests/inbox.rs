//! The officials' inbox on every backend (SQLite; PostgreSQL with QUYHOACH_TEST_PG): a
//! question sent through the public form, others recorded directly; filters and counts;
//! commune officers limited to their communes; answer → the asker's private view → publish →
//! the public Q&A; two answers to one version at once (one wins, one 409 with the current);
//! hide, merge, fixed; audit rows; mail to the asker; events; attachment download headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request};
use common::twoway::{call, make_official, sign_in};
use common::{demo, send};
use quyhoach_server::portal::accounts::Role;
use quyhoach_server::portal::sql::{now, vals, SqlError, StateDb, Tx};
use quyhoach_server::portal::twoway::{new_token, shared_secret};
use serde_json::json;

const PW: &str = "mật khẩu đủ dài 2026";

/// A submission recorded directly (as feedback.rs would); its id.
#[allow(clippy::too_many_arguments)]
fn insert(
    db: &StateDb,
    kind: &str,
    commune: Option<&str>,
    plan: Option<&str>,
    zone: Option<&str>,
    position: Option<&str>,
    body: &str,
    consultation: Option<i64>,
    contact: Option<(&str, &str, &str)>,
) -> i64 {
    let (kind, body) = (kind.to_string(), body.to_string());
    let commune = commune.map(str::to_string);
    let plan = plan.map(str::to_string);
    let zone = zone.map(str::to_string);
    let position = position.map(str::to_string);
    let contact = contact.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    db.tx_blocking(move |tx: &mut dyn Tx| -> Result<i64, SqlError> {
        let t = now();
        let label = match &commune {
            Some(c) => format!("Thửa 1, tờ 1, xã {c}"),
            None => "Toàn bộ quy hoạch".into(),
        };
        let id = tx.query_i64(
            "INSERT INTO submission (kind, position, body, body_folded, subject_kind, parcel_id, \
             commune, plan_id, zone_id, subject_label, consultation_id, follow_hash, created_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            vals![
                kind.as_str(),
                position,
                body.as_str(),
                quyhoach_server::portal::sql::fold(&body),
                if commune.is_some() { "parcel" } else { "plan" },
                commune.as_ref().map(|c| format!("{c}/1/1")),
                commune.clone(),
                plan,
                zone,
                label,
                consultation,
                new_token().1,
                t,
                t
            ],
        )?;
        if let Some((n, p, e)) = contact {
            tx.exec(
                "INSERT INTO submission_contact (submission_id, name, phone, email, delete_after) \
                 VALUES (?, ?, ?, ?, ?)",
                vals![id, n, p, e, t + 86_400],
            )?;
        }
        Ok(id)
    })
    .unwrap()
}

/// A parcel of the demo whose number is unique in its commune: (commune, "c/s/p").
fn unique_parcel(skip: usize) -> (String, String) {
    let (all, _) = common::demo()
        .index
        .features_in_bbox("parcels", None, 1000, 0)
        .unwrap();
    let mut seen = 0;
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
            if seen == skip {
                return (c.clone(), format!("{c}/{s}/{p}"));
            }
            seen += 1;
        }
    }
    panic!("no unique parcel");
}

fn count(db: &StateDb, sql: &'static str, params: Vec<quyhoach_server::portal::sql::Value>) -> i64 {
    db.tx_blocking(move |tx: &mut dyn Tx| tx.query_i64(sql, &params))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_on_every_backend() {
    for t in common::state::every_backend() {
        let be = t.backend;
        let st = common::state::with_state(&demo().state, &t.db);
        let db = t.db.clone();
        let (commune_a, parcel_a) = unique_parcel(0);
        // Another commune than A.
        let (all, _) = common::demo()
            .index
            .features_in_bbox("parcels", None, 1000, 0)
            .unwrap();
        let commune_b = all
            .iter()
            .map(|f| f.properties["commune_code"].as_str().unwrap().to_string())
            .find(|c| *c != commune_a)
            .expect("two communes in the demo");
        make_official(
            &db,
            "phong-qh",
            "Phòng Kinh tế",
            Role::PlanningOffice,
            &[],
            PW,
        );
        make_official(&db, "xa-a", "UBND xã A", Role::Commune, &[&commune_a], PW);
        make_official(&db, "xa-b", "UBND xã B", Role::Commune, &[&commune_b], PW);
        let po = sign_in(&st, "phong-qh", PW).await;
        let ca = sign_in(&st, "xa-a", PW).await;
        let cb = sign_in(&st, "xa-b", PW).await;

        // A question through the public form, with an email address.
        let key = db
            .tx_blocking(|tx: &mut dyn Tx| shared_secret(tx, "feedback-form"))
            .unwrap();
        let form = quyhoach_server::portal::feedback::make_form_token(&key, now() - 10).unwrap();
        let r = call(
            &st,
            Method::POST,
            "/api/v1/feedback",
            None,
            Some(json!({"kind": "question", "body": "Thửa này có bị thu hồi làm đường không?",
                "subject": {"kind": "parcel", "parcel": parcel_a}, "data_version": st.etag.to_string(),
                "contact": {"name": "Nguyễn Văn Hỏi", "phone": "0912345678", "email": "hoi@example.vn"},
                "lang": "vi", "form_token": form, "website": ""})),
        )
        .await;
        assert_eq!(r.status, 201, "{be}: {}", r.text());
        let q1 = r.json()["id"].as_i64().unwrap();
        let token = r.json()["token"].as_str().unwrap().to_string();
        // Others recorded directly.
        let err_a = insert(
            &db,
            "error",
            Some(&commune_a),
            None,
            None,
            None,
            "Sai diện tích thửa",
            None,
            None,
        );
        let q_b = insert(
            &db,
            "question",
            Some(&commune_b),
            Some("qhpk-2000"),
            None,
            None,
            "Đất ở xã B được xây mấy tầng?",
            None,
            None,
        );
        let q_plan = insert(
            &db,
            "question",
            None,
            Some("qhsdd-2030"),
            None,
            None,
            "Khi nào quy hoạch có hiệu lực?",
            None,
            None,
        );
        let dup_a = insert(
            &db,
            "question",
            Some(&commune_a),
            None,
            None,
            None,
            "Thửa này có bị thu hồi không ạ",
            None,
            None,
        );
        db.tx_blocking(move |tx: &mut dyn Tx| {
            tx.exec(
                "INSERT INTO submission_attachment (submission_id, media_type, filename, sha256, size, bytes) \
                 VALUES (?, 'image/png', '../ảnh \"thửa\".png', ?, 4, ?)",
                vals![err_a, vec![0u8; 32], b"\x89PNG".to_vec()],
            )
        })
        .unwrap();

        // Anonymous: 401; without the CSRF token: 403.
        let r = call(&st, Method::GET, "/api/v1/official/inbox", None, None).await;
        assert_eq!(r.status, 401, "{be}");
        let r = send(
            &st,
            Request::post(format!("/api/v1/official/submissions/{q1}/answer"))
                .header(header::HOST, "test.local")
                .header(header::COOKIE, &po.0)
                .body(Body::from(json!({"answer": "x", "version": 1}).to_string()))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 403, "{be}: {}", r.text());

        // The planning office sees all five, with the counts.
        let r = call(&st, Method::GET, "/api/v1/official/inbox", Some(&po), None).await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        let v = r.json();
        assert_eq!(v["total"], 5, "{be}: {v}");
        assert_eq!(v["counts"]["new"], 5);
        assert_eq!(v["counts"]["published"], 0);
        let first = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == q1)
            .unwrap();
        assert_eq!(
            first["contact"]["email"], "hoi@example.vn",
            "{be}: officials see the contact"
        );
        assert_eq!(first["subject"]["commune"], commune_a.as_str());
        assert_eq!(first["version"], 1);
        assert!(
            first["context"].is_object(),
            "{be}: the report's context is kept: {first}"
        );
        let with_att = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == err_a)
            .unwrap();
        assert_eq!(with_att["attachments"][0]["media_type"], "image/png");
        // Filters.
        for (q, n) in [
            ("kind=error".to_string(), 1),
            (format!("commune={commune_b}"), 1),
            ("plan=qhsdd-2030".into(), 1),
            ("q=THU%20HOI".into(), 2),
            ("state=answered".into(), 0),
            ("limit=2".into(), 5),
        ] {
            let r = call(
                &st,
                Method::GET,
                &format!("/api/v1/official/inbox?{q}"),
                Some(&po),
                None,
            )
            .await;
            assert_eq!(r.status, 200, "{be} {q}: {}", r.text());
            assert_eq!(r.json()["total"], n, "{be} {q}");
        }
        let r = call(
            &st,
            Method::GET,
            "/api/v1/official/inbox?limit=2",
            Some(&po),
            None,
        )
        .await;
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
        for bad in [
            "kind=x",
            "state=gone",
            "limit=0",
            "limit=101",
            "offset=-1",
            "limit=abc",
        ] {
            let r = call(
                &st,
                Method::GET,
                &format!("/api/v1/official/inbox?{bad}"),
                Some(&po),
                None,
            )
            .await;
            assert_eq!(r.status, 400, "{be} {bad}");
        }

        // A commune officer sees only their commune's rows, and nothing of others by id.
        let r = call(&st, Method::GET, "/api/v1/official/inbox", Some(&ca), None).await;
        let ids: Vec<i64> = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        assert_eq!(r.json()["total"], 3, "{be}: {ids:?}");
        assert!(ids.contains(&q1) && ids.contains(&err_a) && ids.contains(&dup_a));
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/inbox?commune={commune_b}"),
            Some(&ca),
            None,
        )
        .await;
        assert_eq!(r.json()["total"], 0, "{be}");
        for id in [q_b, q_plan] {
            let r = call(
                &st,
                Method::GET,
                &format!("/api/v1/official/submissions/{id}"),
                Some(&ca),
                None,
            )
            .await;
            assert_eq!(r.status, 404, "{be}");
            let r = call(
                &st,
                Method::POST,
                &format!("/api/v1/official/submissions/{id}/answer"),
                Some(&ca),
                Some(json!({"answer": "không", "version": 1})),
            )
            .await;
            assert_eq!(r.status, 404, "{be}");
        }
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/submissions/{err_a}/attachments/1"),
            Some(&cb),
            None,
        )
        .await;
        assert_eq!(r.status, 404, "{be}");

        // Answer: the asker sees it on the private link; a mail is queued (no token in it).
        let answer_text = "Thửa đất không nằm trong chỉ giới đường đỏ, không bị thu hồi.";
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q1}/answer"),
            Some(&ca),
            Some(json!({"answer": answer_text, "version": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.json()["state"], "answered");
        assert_eq!(r.json()["version"], 2);
        assert_eq!(r.json()["answered_by"], "UBND xã A");
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/feedback/{token}"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.json()["answer"], answer_text, "{be}");
        assert_eq!(r.json()["state"], "answered");
        let mails = db
            .tx_blocking(|tx: &mut dyn Tx| {
                tx.query("SELECT to_addr, subject, body FROM mail_outbox", &[])
            })
            .unwrap();
        assert_eq!(mails.len(), 1, "{be}");
        assert_eq!(mails[0].text(0).unwrap(), "hoi@example.vn");
        let mail_body = mails[0].text(2).unwrap();
        assert!(
            mail_body.contains(answer_text) && mail_body.contains("liên kết riêng"),
            "{mail_body}"
        );
        assert!(
            !mail_body.contains(&token),
            "{be}: the private token is never mailed"
        );

        // Two officials answer version 2 at once: one wins, the other gets 409 + current.
        let answer_uri = format!("/api/v1/official/submissions/{q1}/answer");
        let (r1, r2) = tokio::join!(
            call(
                &st,
                Method::POST,
                &answer_uri,
                Some(&po),
                Some(json!({"answer": "Trả lời của phòng", "version": 2}))
            ),
            call(
                &st,
                Method::POST,
                &answer_uri,
                Some(&ca),
                Some(json!({"answer": "Trả lời của xã", "version": 2}))
            ),
        );
        let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{be}: {} / {}", r1.text(), r2.text());
        let (won, lost) = if r1.status == 200 {
            (&r1, &r2)
        } else {
            (&r2, &r1)
        };
        let cur = &lost.json()["current"];
        assert_eq!(cur["version"], 3, "{be}: {}", lost.text());
        assert_eq!(
            cur["answer"],
            won.json()["answer"],
            "{be}: the loser sees the winner's answer"
        );
        let winner_answer = won.json()["answer"].as_str().unwrap().to_string();

        // Publish: stale version → 409; then published, in the public Q&A, without contact.
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q1}/publish"),
            Some(&po),
            Some(json!({"version": 2})),
        )
        .await;
        assert_eq!(r.status, 409, "{be}");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q1}/publish"),
            Some(&po),
            Some(json!({"version": 3})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.json()["state"], "published");
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/qa?parcel={}", parcel_a.replace('/', "%2F")),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        let qa = r.text();
        assert!(qa.contains(&winner_answer), "{be}: {qa}");
        for secret in ["hoi@example.vn", "0912345678", "Nguyễn Văn Hỏi", &token] {
            assert!(!qa.contains(secret), "{be}: the public Q&A leaks {secret}");
        }
        let events = count(
            &db,
            "SELECT count(*) FROM alert_event WHERE kind = 'question_answered'",
            vec![],
        );
        assert!(
            events >= 2,
            "{be}: parcel and commune (and the plan, if any): {events}"
        );
        assert_eq!(
            count(&db, "SELECT count(*) FROM alert_event WHERE kind = 'question_answered' AND subject_kind = 'parcel' AND subject_id = ?", vals![parcel_a.as_str()].to_vec()),
            1
        );

        // Publishing needs an answer; hiding needs a reason.
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q_b}/publish"),
            Some(&po),
            Some(json!({"version": 1})),
        )
        .await;
        assert_eq!(r.status, 422, "{be}");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q_plan}/hide"),
            Some(&po),
            Some(json!({"reason": "  ", "version": 1})),
        )
        .await;
        assert_eq!(r.status, 400, "{be}");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q_plan}/hide"),
            Some(&po),
            Some(json!({"reason": "Quảng cáo", "version": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.json()["state"], "hidden");
        assert_eq!(r.json()["hidden_reason"], "Quảng cáo");
        // Answers are bounded.
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q_b}/answer"),
            Some(&po),
            Some(json!({"answer": "ả".repeat(8001), "version": 1})),
        )
        .await;
        assert_eq!(r.status, 400, "{be}");

        // Merge: not into itself, not across kinds, not into a merged one; the duplicate
        // takes the target's answer when published.
        for (into, want) in [(dup_a, 422), (err_a, 422), (999_999, 422)] {
            let r = call(
                &st,
                Method::POST,
                &format!("/api/v1/official/submissions/{dup_a}/merge"),
                Some(&ca),
                Some(json!({"into": into, "version": 1})),
            )
            .await;
            assert_eq!(r.status, want, "{be} into {into}: {}", r.text());
        }
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{dup_a}/merge"),
            Some(&ca),
            Some(json!({"into": q1, "version": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.json()["state"], "merged");
        assert_eq!(r.json()["merged_into"], q1);
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q_b}/merge"),
            Some(&po),
            Some(json!({"into": dup_a, "version": 1})),
        )
        .await;
        assert_eq!(r.status, 422, "{be}: no chains");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{dup_a}/publish"),
            Some(&ca),
            Some(json!({"version": 2})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.json()["answer"], winner_answer.as_str());

        // Fixed: errors only; records the data version and the import time.
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{q_b}/fixed"),
            Some(&po),
            Some(json!({"note": "x", "version": 1})),
        )
        .await;
        assert_eq!(r.status, 422, "{be}");
        let r = call(
            &st,
            Method::POST,
            &format!("/api/v1/official/submissions/{err_a}/fixed"),
            Some(&ca),
            Some(json!({"note": "Đã sửa diện tích theo đo đạc mới", "version": 1})),
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        let v = r.json();
        assert_eq!(v["state"], "fixed");
        assert_eq!(v["fixed_version"], &*st.etag);
        let imported = st
            .index
            .catalog()
            .layers
            .values()
            .map(|l| l.imported_at.clone())
            .max()
            .unwrap();
        assert!(
            v["answer"].as_str().unwrap().contains(&imported),
            "{be}: {v}"
        );

        // The attachment, as a download.
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/submissions/{err_a}"),
            Some(&po),
            None,
        )
        .await;
        let aid = r.json()["attachments"][0]["id"].as_i64().unwrap();
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/submissions/{err_a}/attachments/{aid}"),
            Some(&ca),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{be}: {}", r.text());
        assert_eq!(r.body, b"\x89PNG");
        assert_eq!(r.content_type(), "image/png");
        let h = |n: &str| {
            r.headers
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert!(
            h("content-disposition").starts_with("attachment;"),
            "{}",
            h("content-disposition")
        );
        assert!(
            !h("content-disposition").contains(".."),
            "{}",
            h("content-disposition")
        );
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("content-security-policy"), "sandbox");
        assert_eq!(h("cache-control"), "private, no-store");
        let r = call(
            &st,
            Method::GET,
            &format!(
                "/api/v1/official/submissions/{err_a}/attachments/{}",
                aid + 100
            ),
            Some(&po),
            None,
        )
        .await;
        assert_eq!(r.status, 404);
        let r = call(
            &st,
            Method::GET,
            "/api/v1/official/submissions/abc",
            Some(&po),
            None,
        )
        .await;
        assert_eq!(r.status, 404);

        // Every action is in the audit log, and the item shows its trail.
        let r = call(
            &st,
            Method::GET,
            &format!("/api/v1/official/submissions/{q1}"),
            Some(&po),
            None,
        )
        .await;
        let actions: Vec<String> = r.json()["audit"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(actions, ["answer", "answer", "publish"], "{be}");
        for (action, n) in [
            ("answer", 2),
            ("publish", 2),
            ("hide", 1),
            ("merge", 1),
            ("fixed", 1),
        ] {
            assert_eq!(
                count(&db, "SELECT count(*) FROM audit_log WHERE action = ? AND target_kind = 'submission'", vals![action].to_vec()),
                n,
                "{be}: {action}"
            );
        }
        let r = call(&st, Method::GET, "/api/v1/official/inbox", Some(&po), None).await;
        let c = &r.json()["counts"];
        assert_eq!(
            (
                c["new"].as_i64(),
                c["published"].as_i64(),
                c["hidden"].as_i64(),
                c["fixed"].as_i64()
            ),
            (Some(1), Some(2), Some(1), Some(1)),
            "{be}: {c}"
        );
    }
}
