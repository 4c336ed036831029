//! gzip of encoded tiles, for HTTP (`Content-Encoding: gzip`) and PMTiles archives.
//!
//! Compressed with libdeflate (whole buffers, which is what a tile is), inflated with flate2.

use std::cell::RefCell;
use std::io::Read;

use flate2::read::GzDecoder;
use libdeflater::{CompressionLvl, Compressor};

/// gzip level: 6 is within a few percent of the highest levels on tiles at a fraction of
/// the time. Fixed so that archives come out byte for byte the same.
pub const GZIP_LEVEL: i32 = 6;

/// Largest output of [`gunzip`], bytes: a gzip bomb (1 KB inflating to 1 GB) must not take
/// the server's memory. Twice [`MAX_TILE_BYTES`](crate::MAX_TILE_BYTES) leaves room for tiles
/// made by other tools; PMTiles directories are far smaller.
pub const MAX_GUNZIP_BYTES: u64 = 16 * 1024 * 1024;

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

thread_local! {
    /// This thread's compressor (its tables are a few hundred KB, so made once) and the
    /// buffer it writes into (as large as the largest input's bound so far).
    static COMPRESSOR: RefCell<Option<(Compressor, Vec<u8>)>> = const { RefCell::new(None) };
}

/// gzips `bytes` at [`GZIP_LEVEL`], with no file name and a zero timestamp (same input, same
/// output).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (c, buf) = slot.get_or_insert_with(|| {
            let level = CompressionLvl::new(GZIP_LEVEL).unwrap_or_default();
            (Compressor::new(level), Vec::new())
        });
        let bound = c.gzip_compress_bound(bytes.len());
        if buf.len() < bound {
            buf.resize(bound, 0);
        }
        // The buffer holds the bound, so compression cannot run out of room.
        let n = c.gzip_compress(bytes, buf).unwrap_or(0);
        let out = buf[..n].to_vec();
        // A huge input leaves a huge buffer: do not keep more than a large tile needs.
        if buf.len() > 4 * crate::MAX_TILE_BYTES {
            *buf = Vec::new();
        }
        out
    })
}

/// Inflates gzip `bytes`, refusing output over [`MAX_GUNZIP_BYTES`].
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .take(MAX_GUNZIP_BYTES + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > MAX_GUNZIP_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("gzip data inflates past {MAX_GUNZIP_BYTES} bytes"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_deterministic() {
        let data: Vec<u8> = (0..10_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let z = gzip(&data);
        assert!(is_gzip(&z));
        assert_eq!(z, gzip(&data));
        assert!(z.len() < data.len());
        assert_eq!(gunzip(&z).unwrap(), data);
        assert!(gunzip(b"not gzip").is_err());
    }

    #[test]
    fn one_thread_alternating_sizes_gets_each_its_own_bytes() {
        let small = b"tile".repeat(10);
        let large: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 13) as u8).collect();
        for _ in 0..3 {
            assert_eq!(gunzip(&gzip(&large)).unwrap(), large);
            assert_eq!(gunzip(&gzip(&small)).unwrap(), small);
            assert_eq!(gunzip(&gzip(b"")).unwrap(), b"");
        }
    }

    #[test]
    fn bomb_is_refused() {
        let big = vec![0u8; (MAX_GUNZIP_BYTES + 10) as usize];
        assert!(gunzip(&gzip(&big)).is_err());
    }
}
