//! Shared fixtures: a small demo store built once per test binary through the real
//! generator and import path, and helpers to call the service in-process.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod contract;
pub mod process;
pub mod state;
pub mod twoway;
pub mod zips;

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use quyhoach_data::index::{FeatureOut, Index};
use quyhoach_server::demo::{build_demo, DemoBuild};
use quyhoach_server::AppState;
use serde_json::Value;
use tower::ServiceExt;

/// Parcels in the test district: enough for several communes, sheets, duplicates and
/// both plans, small enough to build in seconds.
pub const PARCELS: usize = 3000;

pub struct Demo {
    _dir: tempfile::TempDir,
    pub store: PathBuf,
    pub state: AppState,
    /// The demo directory's index (what a test judges the served answers by, whichever
    /// store serves them).
    pub index: std::sync::Arc<Index>,
}

fn build(keep_personal: &[&str]) -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    build_demo(&DemoBuild {
        store: store.clone(),
        parcels: PARCELS,
        seed: 1,
        verbose: false,
        keep_personal: keep_personal.iter().map(|s| s.to_string()).collect(),
    })
    .expect("building the demo store");
    let index = std::sync::Arc::new(Index::load(&store).expect("loading the demo store"));
    Demo {
        _dir: dir,
        state: AppState::from_arc(served_store(&index, keep_personal)),
        store,
        index,
    }
}

/// The store the tests' server reads: the demo directory, or with
/// `QUYHOACH_TEST_STORE=postgis` the same district built into a new PostGIS database on
/// `QUYHOACH_TEST_PG` (scripts/test.sh runs the server's suite both ways).
fn served_store(
    index: &std::sync::Arc<Index>,
    keep_personal: &[&str],
) -> std::sync::Arc<dyn quyhoach_data::lookup::Store> {
    if !on_postgis() {
        return index.clone();
    }
    // Built on a thread of its own: a test on a runtime may call this, and the PostgreSQL
    // client blocks.
    std::thread::scope(|s| {
        s.spawn(|| {
            let url = quyhoach_data::testing::new_pg_database("qh_suite")
                .expect("QUYHOACH_TEST_STORE=postgis needs QUYHOACH_TEST_PG");
            build_demo(&DemoBuild {
                store: PathBuf::from(&url),
                parcels: PARCELS,
                seed: 1,
                verbose: false,
                keep_personal: keep_personal.iter().map(|s| s.to_string()).collect(),
            })
            .expect("building the demo in PostGIS");
            quyhoach_data::testing::same_import_times(&url, index);
            std::sync::Arc::new(
                quyhoach_data::pg::planning::PgData::open(&url).expect("opening the PostGIS demo"),
            ) as std::sync::Arc<dyn quyhoach_data::lookup::Store>
        })
        .join()
        .expect("building the PostGIS demo")
    })
}

/// The demo district served from its directory whatever store the suite serves: the
/// lessons' reference (`lessons_on_postgis_are_the_embedded_stores` in lessons.rs finds the
/// lessons on PostGIS the same).
pub fn embedded_state() -> &'static AppState {
    static S: OnceLock<AppState> = OnceLock::new();
    S.get_or_init(|| AppState::from_arc(demo().index.clone()))
}

/// Whether the suite serves its store from PostGIS (`QUYHOACH_TEST_STORE=postgis`).
pub fn on_postgis() -> bool {
    std::env::var("QUYHOACH_TEST_STORE").as_deref() == Ok("postgis")
}

/// The demo district (personal data dropped at import, as by default).
pub fn demo() -> &'static Demo {
    static D: OnceLock<Demo> = OnceLock::new();
    D.get_or_init(|| build(&[]))
}

/// The demo district imported with the owners' name and ID-card fields kept as
/// `private_*` columns, as `--keep-personal` does.
pub fn personal_demo() -> &'static Demo {
    static D: OnceLock<Demo> = OnceLock::new();
    D.get_or_init(|| build(&["TenChu", "SoCCCD"]))
}

#[derive(Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn send(state: &AppState, req: Request<Body>) -> Resp {
    send_to(quyhoach_server::app(state.clone()), req).await
}

/// A request through any router (the tile-only one has no `AppState`).
pub async fn send_to(router: axum::Router, req: Request<Body>) -> Resp {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = router.oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let resp = Resp {
        status,
        headers,
        body,
    };
    contract::check(&method, &path, &resp);
    resp
}

/// A GET with extra headers.
pub async fn get_with(state: &AppState, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = Request::get(uri).header(header::HOST, "test.local");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(state, req.body(Body::empty()).unwrap()).await
}

pub async fn get(state: &AppState, uri: &str) -> Resp {
    send(
        state,
        Request::get(uri)
            .header(header::HOST, "test.local")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

pub async fn post(state: &AppState, uri: &str, body: impl Into<Body>) -> Resp {
    send(
        state,
        Request::post(uri)
            .header(header::HOST, "test.local")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .unwrap(),
    )
    .await
}

/// The judges' Python (`QUYHOACH_PYTHON`, else the venv of scripts/setup-judges.sh); missing
/// is a failure: a judge that does not run judges nothing.
pub fn judges_python() -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let p = std::env::var_os("QUYHOACH_PYTHON").map_or_else(
        || {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/judges-venv/bin/python")
        },
        PathBuf::from,
    );
    let ok =
        std::fs::metadata(&p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    assert!(
        ok,
        "the judges' Python {} is missing: run scripts/setup-judges.sh or set QUYHOACH_PYTHON",
        p.display()
    );
    p
}

/// A parcel's number: (commune code, map sheet, parcel).
pub fn parcel_key(f: &FeatureOut) -> (String, i64, i64) {
    (
        f.properties["commune_code"].as_str().unwrap().to_string(),
        f.properties["sheet"].as_i64().unwrap(),
        f.properties["parcel"].as_i64().unwrap(),
    )
}

/// Every parcel of the demo store, page by page.
pub fn all_parcels() -> Vec<FeatureOut> {
    let mut all = Vec::new();
    loop {
        let (page, _) = demo()
            .index
            .features_in_bbox("parcels", None, 1000, all.len())
            .unwrap();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}
