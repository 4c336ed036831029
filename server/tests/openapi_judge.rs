//! An independent judge of the OpenAPI documents: openapi-spec-validator (PyPI, installed by
//! `scripts/setup-judges.sh`) must accept `/api/v1/openapi.json` and `/ogc/api` as
//! OpenAPI 3.0, schemas generated from the Rust types included.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

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
