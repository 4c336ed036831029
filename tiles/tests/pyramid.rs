//! Pyramids: deterministic archives, every covering tile readable, empty tiles skipped.

#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use geo_types::Geometry;
use quyhoach_tiles::pmtiles::PmTilesReader;
use quyhoach_tiles::{
    build_pyramid, encode_tile, gzip, mvt, tiles_covering, EncodeOptions, MemoryFeature,
    MemorySource,
};

fn district() -> (MemorySource, [f64; 4]) {
    // Zones with a shared wiggly edge and a block of parcels, over ~2 km of Rạch Giá.
    let b = [105.07, 10.0, 105.09, 10.02];
    let (west, east) = adjacent_zones(b, 200, 3);
    let mut src = MemorySource::new();
    src.add_layer(
        zones_spec(),
        vec![
            MemoryFeature::new(
                Some(1),
                Geometry::Polygon(west),
                props(&[("landuse", "ODT".into())]),
            ),
            MemoryFeature::new(
                Some(2),
                Geometry::Polygon(east),
                props(&[("landuse", "CLN".into())]),
            ),
        ],
    );
    src.add_layer(
        parcels_spec(),
        dense_parcels([105.075, 10.005, 105.08, 10.01], 20, 20, 8),
    );
    (src, b)
}

#[test]
fn pyramid_is_deterministic_and_readable() {
    let (src, b) = district();
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (dir.path().join("a.pmtiles"), dir.path().join("b.pmtiles"));
    let calls = AtomicU64::new(0);
    let stats = build_pyramid(&src, "district", b, 8, 16, &p1, |done, total| {
        assert!(done <= total);
        calls.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    assert!(calls.load(Ordering::Relaxed) >= 2);
    build_pyramid(&src, "district", b, 8, 16, &p2, |_, _| {}).unwrap();
    let (a, c) = (std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());
    assert_eq!(a.len() as u64, stats.archive.file_bytes);
    assert!(a == c, "two builds differ");
    // Nothing but the two archives is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

    let r = PmTilesReader::open(&p1).unwrap();
    let meta = r.metadata().unwrap();
    assert_eq!(meta["name"], "district");
    assert_eq!(meta["vector_layers"][1]["id"], "parcels");
    assert_eq!(meta["vector_layers"][1]["minzoom"], 14);
    let mut written = 0;
    for z in 8..=16 {
        let zs = &stats.zooms[usize::from(z - 8)];
        assert_eq!(zs.tiles_checked, tiles_covering(b, z).unwrap().len());
        for t in tiles_covering(b, z).unwrap().iter() {
            let direct = encode_tile(&src, t, &EncodeOptions::default());
            match r.tile(t).unwrap() {
                Some(g) => {
                    written += 1;
                    assert_eq!(gzip::gunzip(&g).unwrap(), direct.bytes, "{t}");
                    assert!(!mvt::decode(&direct.bytes).unwrap().is_empty());
                }
                None => assert!(direct.is_empty(), "{t} missing"),
            }
        }
    }
    assert_eq!(written, stats.archive.addressed_tiles);
    assert!(stats.archive.tile_contents <= stats.archive.addressed_tiles);
    assert_eq!(r.header().min_zoom, 8);
}

#[test]
fn bad_requests_are_refused() {
    let (src, b) = district();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.pmtiles");
    assert!(build_pyramid(&src, "x", b, 10, 9, &out, |_, _| {}).is_err());
    assert!(build_pyramid(&src, "x", b, 0, 25, &out, |_, _| {}).is_err());
    assert!(build_pyramid(&src, "x", [106.0, 10.0, 105.0, 11.0], 0, 5, &out, |_, _| {}).is_err());
    assert!(!out.exists());
    // A file that is not an archive is refused by the reader.
    std::fs::write(&out, b"not an archive at all, just some text of some length to read ...............................................................").unwrap();
    assert!(PmTilesReader::open(&out).is_err());
}

/// An archive large enough for leaf directories: every tile found from several threads at
/// once (positioned reads, no lock), each leaf parsed once however many tiles it serves.
#[test]
fn leaves_are_parsed_once_and_read_concurrently() {
    use quyhoach_tiles::pmtiles::{tile_id, ArchiveInfo, PmTilesWriter};
    use quyhoach_tiles::TileCoord;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.pmtiles");
    // 30,000 distinct tiles of zoom 9 and 10, every other tile id: too many entries for a
    // 16 KiB root, so the writer makes leaves of at least 4,096 entries.
    let mut tiles: Vec<(u64, TileCoord)> = (9u8..=10)
        .flat_map(|z| {
            (0..1u32 << z).flat_map(move |x| {
                (0..1u32 << z).map(move |y| TileCoord::new_checked(z, x, y).unwrap())
            })
        })
        .map(|t| (tile_id(t), t))
        .filter(|(id, _)| id % 2 == 0)
        .take(30_000)
        .collect();
    tiles.sort_unstable_by_key(|(id, _)| *id);
    // Lengths drawn from a well-mixed hash (splitmix64) over 0..1000, about 10 bits of
    // entropy per entry, so that no gzip backend (miniz_oxide or zlib-rs) packs the
    // directory into the 16 KiB root.
    let content = |id: u64| {
        let mut z = id.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let n = (z ^ (z >> 31)) % 1000;
        format!("tile {id} {}", "x".repeat(n as usize)).into_bytes()
    };
    let mut w = PmTilesWriter::new(&path).unwrap();
    for (id, _) in &tiles {
        w.add_tile(*id, &content(*id)).unwrap();
    }
    let summary = w
        .finish(&ArchiveInfo {
            minzoom: 9,
            maxzoom: 10,
            bounds: [-180.0, -85.0, 180.0, 85.0],
            center: [0.0, 0.0, 9.0],
            metadata: serde_json::json!({"name": "big"}),
        })
        .unwrap();
    assert!(summary.leaf_directories);
    let r = PmTilesReader::open(&path).unwrap();
    assert_eq!(r.leaves_parsed(), 0);
    for (id, t) in &tiles {
        assert_eq!(r.tile(*t).unwrap(), Some(content(*id)), "{t}");
    }
    let parsed = r.leaves_parsed();
    assert!((2..=8).contains(&parsed), "{parsed} leaves parsed");
    // Again from four threads at once, with absent tiles between: same bytes, no new parse.
    std::thread::scope(|s| {
        for k in 0..4usize {
            let (r, tiles) = (&r, &tiles);
            s.spawn(move || {
                for (id, t) in tiles.iter().skip(k).step_by(3) {
                    assert_eq!(r.tile(*t).unwrap(), Some(content(*id)), "{t}");
                    let other = TileCoord::new_checked(t.z, t.x ^ 1, t.y).unwrap();
                    if tile_id(other) % 2 == 1 {
                        assert_eq!(r.tile(other).unwrap(), None, "{other}");
                    }
                }
            });
        }
    });
    assert_eq!(r.leaves_parsed(), parsed);
}
