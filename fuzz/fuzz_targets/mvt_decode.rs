//! The MVT decoder on arbitrary bytes, and on gzip'd bytes as archives and the tile cache
//! hold them. Decoding must return an error rather than panic or allocate unboundedly; a
//! decoded feature's rings must group into polygons without overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quyhoach_tiles::gzip::{gunzip, gzip, is_gzip};
use quyhoach_tiles::mvt::{decode, ring_area2};

fn check(bytes: &[u8]) {
    let Ok(layers) = decode(bytes) else {
        return;
    };
    for l in &layers {
        for f in &l.features {
            assert!(f.paths.iter().all(|p| !p.is_empty()));
            for p in &f.paths {
                let _ = ring_area2(p);
            }
            let _ = f.polygons();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if is_gzip(data) {
        if let Ok(inflated) = gunzip(data) {
            check(&inflated);
        }
    } else if data.len() < 4096 {
        // gzip is lossless: what we gzip inflates to the same bytes.
        let z = gzip(data);
        assert_eq!(gunzip(&z).expect("our own gzip inflates"), data);
    }
});
