//! Reading tiles out of a PMTiles archive: ours (`quyhoach_tiles::pmtiles::PmTilesReader`,
//! what `quyhoach serve --pmtiles` serves from: the `pmtiles` crate's `AsyncPmTilesReader`
//! over positioned reads of the file, directories checked by our parser, driven on the
//! calling thread) against the crate as Martin runs it (0.23, `AsyncPmTilesReader` on a
//! memory map with its `HashMapCache`, on tokio), the same tiles of the same archive, one
//! thread and two.
//!
//! Needs an archive: `QUYHOACH_BENCH_PMTILES=/tmp/peers/district.pmtiles cargo bench -p
//! quyhoach-tiles --bench pmtiles_read` (bench/peers.sh builds that one from the
//! 1,000,000-parcel district). Without it the bench says so and measures nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use pmtiles::{AsyncPmTilesReader, HashMapCache};
use quyhoach_tiles::pmtiles::PmTilesReader;
use quyhoach_tiles::{tiles_covering, TileCoord};

/// Up to `n` tiles the archive holds, spread over its zooms and extent (every k-th of those
/// covering its bounds), in a fixed order.
fn stored_tiles(ours: &PmTilesReader, n: usize) -> Vec<TileCoord> {
    let h = ours.header();
    let b = h.bounds_e7.map(|v| f64::from(v) / 1e7);
    let mut all = Vec::new();
    for z in h.min_zoom..=h.max_zoom {
        if let Ok(cover) = tiles_covering(b, z) {
            for t in cover.iter() {
                if matches!(ours.tile_bytes(t), Ok(Some(_))) {
                    all.push(t);
                }
            }
        }
    }
    let step = (all.len() / n).max(1);
    all.into_iter().step_by(step).take(n).collect()
}

fn coord(t: TileCoord) -> pmtiles::TileCoord {
    pmtiles::TileCoord::new(t.z, t.x, t.y).expect("a valid tile")
}

fn bench(c: &mut Criterion) {
    let Some(path) = std::env::var_os("QUYHOACH_BENCH_PMTILES").map(PathBuf::from) else {
        eprintln!("set QUYHOACH_BENCH_PMTILES to an archive to measure (see the file's doc)");
        return;
    };
    let ours = PmTilesReader::open(&path).expect("our reader opens the archive");
    let tiles = stored_tiles(&ours, 2_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let theirs = rt
        .block_on(AsyncPmTilesReader::new_with_cached_path(
            HashMapCache::default(),
            &path,
        ))
        .expect("the pmtiles crate opens the archive");
    // Both read the same bytes for every tile, or the comparison means nothing.
    for &t in &tiles {
        let a = ours.tile(t).unwrap().unwrap();
        let b = rt.block_on(theirs.get_tile(coord(t))).unwrap().unwrap();
        assert_eq!(a, b.as_ref(), "tile {t}");
    }
    eprintln!("{} tiles of {}", tiles.len(), path.display());

    let mut g = c.benchmark_group(format!("read {} tiles", tiles.len()));
    g.sample_size(20);
    g.bench_function("ours, one thread", |b| {
        b.iter(|| {
            tiles
                .iter()
                .map(|&t| ours.tile_bytes(t).unwrap().map_or(0, |v| v.len()))
                .sum::<usize>()
        })
    });
    g.bench_function("pmtiles crate, one thread", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut n = 0;
                for &t in &tiles {
                    n += theirs
                        .get_tile(coord(t))
                        .await
                        .unwrap()
                        .map_or(0, |v| v.len());
                }
                n
            })
        })
    });
    let halves: Vec<&[TileCoord]> = tiles.chunks(tiles.len().div_ceil(2)).collect();
    g.bench_function("ours, two threads", |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                let hs: Vec<_> = halves
                    .iter()
                    .map(|half| {
                        let ours = &ours;
                        s.spawn(move || {
                            half.iter()
                                .map(|&t| ours.tile_bytes(t).unwrap().map_or(0, |v| v.len()))
                                .sum::<usize>()
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
            })
        })
    });
    let theirs = std::sync::Arc::new(theirs);
    g.bench_function("pmtiles crate, two tasks", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tasks: Vec<_> = halves
                    .iter()
                    .map(|half| {
                        let (theirs, half) = (theirs.clone(), half.to_vec());
                        tokio::spawn(async move {
                            let mut n = 0;
                            for t in half {
                                n += theirs
                                    .get_tile(coord(t))
                                    .await
                                    .unwrap()
                                    .map_or(0, |v| v.len());
                            }
                            n
                        })
                    })
                    .collect();
                let mut n = 0;
                for t in tasks {
                    n += t.await.unwrap();
                }
                n
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
