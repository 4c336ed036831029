//! Cold tiles: every tile over the demo district's town at z14, z15 and z16 encoded from a
//! loaded store and gzipped, as `quyhoach serve --tile-cache-mb 0` does for each request
//! (the server's own `IndexSource`, the same `encode_tile` and `gzip`).
//!
//! `QUYHOACH_BENCH_STORE=DIR` points at a store (e.g. one made by
//! `quyhoach demo --store /tmp/s1m --parcels 1000000 --seed 1 --quiet --no-serve`); without
//! it a demo district of `QUYHOACH_BENCH_PARCELS` parcels (default 20 000, seed 1) is made in
//! a temporary directory. The town is the extent of the zoning plan `zones-qhpk-2000`, with
//! the tiles chosen as `bench/tiles_vs_martin.sh` part (b) chooses them.
//!
//! Criterion: `QUYHOACH_BENCH_STORE=/tmp/s1m cargo bench -p quyhoach-server --bench cold`.
//!
//! One pass without criterion, for instruction counts and to check that tiles did not
//! change: `QUYHOACH_BENCH_ONCE=1` (optionally `QUYHOACH_BENCH_ZOOM=15`) runs each zoom once
//! and prints the tile count, the MVT bytes and a SHA-256 over every tile's MVT bytes (the
//! gzip stream is summed apart). Under callgrind, count only the encoding:
//!
//! ```text
//! QUYHOACH_BENCH_ONCE=1 QUYHOACH_BENCH_ZOOM=15 QUYHOACH_BENCH_STORE=/tmp/s1m \
//!   valgrind --tool=callgrind --toggle-collect='cold::encode_zoom*' \
//!   target/release/deps/cold-<hash> --bench
//! ```

/// The server binary's allocator (server/src/main.rs), so that the bench measures what
/// `serve` does and its profiles show the server's allocation costs, not glibc's.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[path = "../../data/benches/store.rs"]
mod store;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use quyhoach_data::index::Index;
use quyhoach_server::tiles::IndexSource;
use quyhoach_tiles::gzip::{gzip_with, Effort};
use quyhoach_tiles::{encode_tile, EncodeOptions, TileCoord};
use sha2::{Digest, Sha256};

/// Every tile over `[w, s, e, n]` at zoom `z`, the corners' tiles included (as the bench
/// script's Python does).
fn cover(b: [f64; 4], z: u8) -> Vec<TileCoord> {
    let [w, s, e, n] = b;
    let (Ok(nw), Ok(se)) = (
        TileCoord::containing(w, n, z),
        TileCoord::containing(e, s, z),
    ) else {
        return Vec::new();
    };
    (nw.x..=se.x)
        .flat_map(|x| (nw.y..=se.y).map(move |y| TileCoord { z, x, y }))
        .collect()
}

/// Encodes and gzips every tile; returns (MVT bytes, gzip bytes, features, SHA-256 of the
/// MVT bytes, SHA-256 of the gzip bytes).
#[inline(never)]
fn encode_zoom(src: &IndexSource, tiles: &[TileCoord]) -> (usize, usize, usize, String, String) {
    let (mut mvt, mut gz, mut feats) = (0, 0, 0);
    let (mut h, mut hz) = (Sha256::new(), Sha256::new());
    for &t in tiles {
        let tile = encode_tile(src, t, &EncodeOptions::default());
        let z = if tile.is_empty() {
            Vec::new()
        } else {
            gzip_with(&tile.bytes, Effort::Live)
        };
        mvt += tile.bytes.len();
        gz += z.len();
        feats += tile.feature_count();
        h.update((tile.bytes.len() as u64).to_le_bytes());
        h.update(&tile.bytes);
        hz.update(&z);
    }
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    (mvt, gz, feats, hex(&h.finalize()), hex(&hz.finalize()))
}

fn setup() -> (Option<tempfile::TempDir>, IndexSource, [f64; 4]) {
    let (tmp, dir) = store::store(20_000);
    let t = Instant::now();
    let index = Arc::new(Index::load(&dir).expect("load the store"));
    eprintln!(
        "store {} loaded in {:.2}s",
        dir.display(),
        t.elapsed().as_secs_f64()
    );
    let town = index
        .layer_entry("zones-qhpk-2000")
        .map(|e| e.bounds)
        .expect("the demo's zoning plan zones-qhpk-2000");
    let store: Arc<dyn quyhoach_data::lookup::Store> = index;
    let src = IndexSource::for_tileset(&store, "planning").expect("tile set");
    (tmp, src, town)
}

fn zooms() -> Vec<u8> {
    match std::env::var("QUYHOACH_BENCH_ZOOM")
        .ok()
        .and_then(|z| z.parse().ok())
    {
        Some(z) => vec![z],
        None => vec![14, 15, 16],
    }
}

fn once() {
    let (_tmp, src, town) = setup();
    // Under `valgrind --instr-atstart=no`, time to switch instrumentation on
    // (`callgrind_control -i on`) before the first tile.
    if let Some(s) = std::env::var("QUYHOACH_BENCH_PAUSE")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_secs_f64(s));
    }
    for z in zooms() {
        let tiles = cover(town, z);
        let t = Instant::now();
        let (mvt, gz, feats, h, hz) = encode_zoom(&src, &tiles);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "z{z}: {} tiles, {feats} features, {mvt} MVT bytes, {gz} gzip bytes, {:.2} ms/tile\n  mvt sha256 {h}\n  gzip sha256 {hz}",
            tiles.len(),
            secs * 1000.0 / tiles.len().max(1) as f64
        );
    }
}

fn bench(c: &mut Criterion) {
    let (_tmp, src, town) = setup();
    let mut g = c.benchmark_group("cold");
    g.sample_size(10);
    for z in zooms() {
        let tiles = cover(town, z);
        g.bench_function(
            format!("z{z}: {} town tiles, encode + gzip", tiles.len()),
            |b| b.iter(|| black_box(encode_zoom(&src, &tiles))),
        );
    }
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("QUYHOACH_BENCH_ONCE").is_some() {
        once();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
