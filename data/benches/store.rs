//! The store a benchmark runs on, shared by `data/benches/index.rs` and
//! `server/benches/cold.rs` (each includes this file with `#[path]`).

use std::path::PathBuf;

use quyhoach_data::demo::{self, DemoOptions};

/// `QUYHOACH_BENCH_STORE=DIR` when set; otherwise a demo district of
/// `QUYHOACH_BENCH_PARCELS` parcels (default `default_parcels`, seed 1) made through the real
/// generator and import in a temporary directory, kept as long as the returned guard.
pub fn store(default_parcels: usize) -> (Option<tempfile::TempDir>, PathBuf) {
    if let Ok(dir) = std::env::var("QUYHOACH_BENCH_STORE") {
        return (None, PathBuf::from(dir));
    }
    let parcels = std::env::var("QUYHOACH_BENCH_PARCELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_parcels);
    let tmp = tempfile::tempdir().expect("temp dir");
    let store_dir = tmp.path().join("store");
    let sources = demo::generate(
        &DemoOptions { parcels, seed: 1 },
        &tmp.path().join("sources"),
        &|_, _| {},
    )
    .expect("demo");
    demo::import_sources(&sources, &store_dir, false, &[]).expect("import");
    (Some(tmp), store_dir)
}
