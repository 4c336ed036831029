//! Shared fixtures of the fuzz targets: the demo district built once per machine (cached in
//! the temporary directory, so every fuzzing process after the first starts in a second), its
//! loaded index, the service and a runtime to call it in-process.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use quyhoach_data::index::Index;
use quyhoach_server::demo::{build_demo, DemoBuild};
use quyhoach_server::AppState;
use tower::ServiceExt;

/// Parcels of the fuzzing district: several communes, sheets, plans and red lines, small
/// enough that every query is fast.
pub const PARCELS: usize = 1500;

/// Where the demo store is kept between runs (`QUYHOACH_FUZZ_DEMO` overrides).
pub fn demo_dir() -> PathBuf {
    std::env::var_os("QUYHOACH_FUZZ_DEMO")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("quyhoach-fuzz-demo-{PARCELS}")))
}

/// The demo store, built on first use (into a temporary name, then renamed, so that two
/// fuzzers started together never read a half-built store).
pub fn demo_store() -> PathBuf {
    let dir = demo_dir();
    if !dir.join("catalog.json").exists() {
        let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        build_demo(&DemoBuild {
            store: tmp.clone(),
            parcels: PARCELS,
            seed: 1,
            verbose: false,
            keep_personal: Vec::new(),
        })
        .expect("building the demo store");
        if std::fs::rename(&tmp, &dir).is_err() {
            // Another process won the race; use its store.
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
    dir
}

/// The loaded demo index, shared.
pub fn index() -> Arc<Index> {
    static I: OnceLock<Arc<Index>> = OnceLock::new();
    I.get_or_init(|| Arc::new(Index::load(&demo_store()).expect("loading the demo store")))
        .clone()
}

/// The service state over the demo index.
pub fn state() -> &'static AppState {
    static S: OnceLock<AppState> = OnceLock::new();
    S.get_or_init(|| AppState::from_arc(index()))
}

/// The demo district's WGS 84 box `[w, s, e, n]` (union of the layers' bounds).
pub fn district_bbox() -> [f64; 4] {
    static B: OnceLock<[f64; 4]> = OnceLock::new();
    *B.get_or_init(|| {
        let ix = index();
        let mut b: Option<[f64; 4]> = None;
        for id in ix.layer_ids() {
            if let Some(e) = ix.layer_entry(id) {
                b = Some(quyhoach_data::index::union_bbox(b, e.bounds));
            }
        }
        b.expect("the demo has layers with bounds")
    })
}

/// A current-thread runtime to call the service in, one per process.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static R: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    R.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// Sends a request to the whole service in-process; the status and body.
pub fn send(req: Request<Body>) -> (StatusCode, Vec<u8>) {
    runtime().block_on(async {
        let resp = quyhoach_server::app(state().clone())
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        (status, body)
    })
}
