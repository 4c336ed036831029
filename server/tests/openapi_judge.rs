//! An independent judge of the OpenAPI documents: openapi-spec-validator (PyPI, installed by
//! `scripts/setup-judges.sh`) must accept `/api/v1/openapi.json` and `/ogc/api` as
//! OpenAPI 3.0, schemas generated from the Rust types included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use axum::http::{header, HeaderValue, Method, StatusCode};

use common::{demo, get, judges_python};

#[tokio::test]
async fn openapi_spec_validator_accepts_both_documents() {
    let st = &demo().state;
    let dir = tempfile::tempdir().unwrap();
    for (name, path) in [
        ("openapi.json", "/api/v1/openapi.json"),
        ("ogc-api.json", "/ogc/api"),
    ] {
        let r = get(st, path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.json()["openapi"], "3.0.3");
        let file = dir.path().join(name);
        std::fs::write(&file, r.text()).unwrap();
        let out = Command::new(judges_python())
            .args([
                "-m",
                "openapi_spec_validator",
                "--schema",
                "3.0",
                "--errors",
                "all",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openapi-spec-validator rejects {path}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The answers' judge (`common::contract`, run on every in-process request) can say no: a
/// real answer passes, and the same answer with a required member gone, a member of the
/// wrong type, a status or media type the document does not give, or on a `/api/v1` path it
/// does not have, is refused.
#[tokio::test]
async fn the_answers_judge_refuses_what_the_document_does_not_describe() {
    let st = &demo().state;
    let get_ = Method::GET;
    let health = get(st, "/api/v1/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(
        common::contract::verdict(&get_, "/api/v1/health", &health),
        "ok"
    );
    // A parcel whose number is its own (a duplicated one answers 409).
    let (parcels, _) = common::demo()
        .index
        .features_in_bbox("parcels", None, 50, 0)
        .unwrap();
    let mut report_path = String::new();
    for p in &parcels {
        let c = p.properties["commune_code"].as_str().unwrap();
        let (s, n) = (&p.properties["sheet"], &p.properties["parcel"]);
        let path = format!("/api/v1/parcels/{c}/{s}/{n}/report");
        if get(st, &path).await.status == 200 {
            report_path = path;
            break;
        }
    }
    let report = get(st, &report_path).await;
    assert_eq!(report.status, 200, "{report_path}");
    assert_eq!(
        common::contract::verdict(&get_, &report_path, &report),
        "ok"
    );

    let with_body = |r: &common::Resp, v: serde_json::Value| {
        let mut out = r.clone();
        out.headers.remove(header::CONTENT_ENCODING);
        out.body = serde_json::to_vec(&v).unwrap();
        out
    };
    let mut cases: Vec<(&str, &str, common::Resp)> = Vec::new();
    let mut v = report.json();
    assert!(v.as_object_mut().unwrap().remove("site").is_some());
    cases.push((
        "a required member gone",
        report_path.as_str(),
        with_body(&report, v),
    ));
    let mut v = report.json();
    v["site"]["area_m2"] = "lots".into();
    cases.push((
        "a number as text",
        report_path.as_str(),
        with_body(&report, v),
    ));
    let mut teapot = health.clone();
    teapot.status = StatusCode::IM_A_TEAPOT;
    cases.push(("an undocumented status", "/api/v1/health", teapot));
    let mut html = health.clone();
    html.headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    cases.push(("an undocumented media type", "/api/v1/health", html));
    cases.push(("an undocumented path", "/api/v1/healthz", health.clone()));
    for (what, path, r) in &cases {
        let word = common::contract::verdict(&get_, path, r);
        assert!(
            word.starts_with("error "),
            "{what}: the judge said {word:?}"
        );
    }
}
