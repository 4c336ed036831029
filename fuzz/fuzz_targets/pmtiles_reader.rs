//! The PMTiles reader (header, root and leaf directories, varints, metadata, tile lookup)
//! over arbitrary file contents. The reader takes a path, so each input is written to a file
//! of this process (in /dev/shm when there is one) first.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use quyhoach_tiles::pmtiles::PmTilesReader;
use quyhoach_tiles::TileCoord;

fn path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        dir.join(format!("quyhoach-fuzz-{}.pmtiles", std::process::id()))
    })
}

/// A directory entry with any field values: the structured half of the target writes these
/// as a well-formed archive (header offsets right, varints right) so that the fuzzer reaches
/// the arithmetic on entry values without first having to forge gzip CRCs and varints.
#[derive(Arbitrary, Debug)]
struct RawEntry {
    tile_id_delta: u64,
    run_length: u64,
    length: u64,
    /// 0: follows the previous entry's bytes; else offset + 1.
    offset_plus_one: u64,
}

#[derive(Arbitrary, Debug)]
struct RawArchive {
    gzip: bool,
    root: Vec<RawEntry>,
    leaf: Vec<RawEntry>,
    leaves_offset_delta: u64,
    data_len_delta: u64,
    zooms: [u8; 3],
    data: Vec<u8>,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn directory(entries: &[RawEntry], gzip: bool) -> Vec<u8> {
    let mut b = Vec::new();
    varint(&mut b, entries.len() as u64);
    for e in entries {
        varint(&mut b, e.tile_id_delta);
    }
    for e in entries {
        varint(&mut b, e.run_length);
    }
    for e in entries {
        varint(&mut b, e.length);
    }
    for e in entries {
        varint(&mut b, e.offset_plus_one);
    }
    if gzip {
        quyhoach_tiles::gzip::gzip(&b)
    } else {
        b
    }
}

fn archive(a: &RawArchive) -> Vec<u8> {
    let root = directory(&a.root[..a.root.len().min(16)], a.gzip);
    let leaf = directory(&a.leaf[..a.leaf.len().min(16)], a.gzip);
    let r0 = 127u64;
    let l0 = r0 + root.len() as u64;
    let d0 = l0 + leaf.len() as u64;
    let mut h = b"PMTiles\x03".to_vec();
    let u64s = [
        r0,
        root.len() as u64,
        0,
        0,
        l0.wrapping_add(a.leaves_offset_delta),
        leaf.len() as u64,
        d0,
        (a.data.len() as u64).wrapping_add(a.data_len_delta),
        1,
        1,
        1,
    ];
    for v in u64s {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&[1, if a.gzip { 2 } else { 1 }, 2, 1, a.zooms[0], a.zooms[1]]);
    h.extend_from_slice(&[0; 16]);
    h.push(a.zooms[2]);
    h.extend_from_slice(&[0; 8]);
    debug_assert_eq!(h.len(), 127);
    h.extend_from_slice(&root);
    h.extend_from_slice(&leaf);
    h.extend_from_slice(&a.data);
    h
}

fuzz_target!(|data: &[u8]| {
    read(data);
    if let Ok(a) = RawArchive::arbitrary(&mut Unstructured::new(data)) {
        read(&archive(&a));
    }
});

fn read(data: &[u8]) {
    let p = path();
    std::fs::write(p, data).expect("writing the archive");
    let Ok(r) = PmTilesReader::open(p) else {
        return;
    };
    let _ = r.metadata();
    let h = r.header().clone();
    // Every tile of zooms 0..=3, and a few at the header's zooms.
    for z in 0..=3u8 {
        for x in 0..(1u32 << z) {
            for y in 0..(1u32 << z) {
                if let Ok(t) = TileCoord::new_checked(z, x, y) {
                    let _ = r.tile(t);
                }
            }
        }
    }
    for z in [h.min_zoom, h.max_zoom, h.center_zoom] {
        let n = 1u32.checked_shl(u32::from(z)).unwrap_or(0);
        for (x, y) in [(0, 0), (n / 2, n / 3), (n.saturating_sub(1), n.saturating_sub(1))] {
            if let Ok(t) = TileCoord::new_checked(z, x, y) {
                let _ = r.tile(t);
            }
        }
    }
}
