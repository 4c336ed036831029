//! The PMTiles reader (header, root and leaf directories, varints, metadata, tile lookup)
//! over arbitrary file contents. The reader takes a path, so each input is written to a file
//! of this process (in /dev/shm when there is one) first.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

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

fuzz_target!(|data: &[u8]| {
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
});
