//! gzip of encoded tiles, for HTTP (`Content-Encoding: gzip`) and PMTiles archives.
//!
//! Compressed with libdeflate (whole buffers, which is what a tile is), inflated with flate2.

use std::cell::RefCell;
use std::io::Read;

use flate2::read::GzDecoder;
use libdeflater::{CompressionLvl, Compressor};

/// How hard to compress: the same bytes are worth more time when they are served many times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Tiles of a PMTiles archive and its directories (built once, served many times):
    /// libdeflate level 6, within a few percent of the highest levels at a fraction of
    /// the time.
    Archive,
    /// A tile built for one request (`serve` from a store): level 5, which on the demo
    /// district's z14 and z15 town tiles took 20–22 % less time than level 6 for 0.2–0.4 %
    /// more bytes (docs/benchmarks.md).
    Live,
    /// A parcel's JSON report (about 5 KB, kept gzipped in the report cache after the first
    /// ask): level 1, half the time of level 6 for about 95 more bytes on 2.2 KB, which
    /// stay within the same first round trip of a TCP connection.
    Report,
}

impl Effort {
    /// The libdeflate level.
    pub const fn level(self) -> i32 {
        match self {
            Effort::Archive => 6,
            Effort::Live => 5,
            Effort::Report => 1,
        }
    }
}

/// gzip level of archives ([`Effort::Archive`]). Fixed so that archives come out byte for
/// byte the same.
pub const GZIP_LEVEL: i32 = Effort::Archive.level();

/// Largest output of [`gunzip`], bytes: a gzip bomb (1 KB inflating to 1 GB) must not take
/// the server's memory. Twice [`MAX_TILE_BYTES`](crate::MAX_TILE_BYTES) leaves room for tiles
/// made by other tools; PMTiles directories are far smaller.
pub const MAX_GUNZIP_BYTES: u64 = 16 * 1024 * 1024;

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// One thread's compressor of one level and the buffer it writes into.
type Slot = Option<(Compressor, Vec<u8>)>;

thread_local! {
    /// This thread's compressors, one per [`Effort`] in its declaration order (their tables
    /// are a few hundred KB, so made once), and the buffers they write into (as large as the
    /// largest input's bound so far).
    static COMPRESSORS: RefCell<[Slot; 3]> = const { RefCell::new([None, None, None]) };
}

/// gzips `bytes` at [`GZIP_LEVEL`] (archives), with no file name and a zero timestamp (same
/// input, same output).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_with(bytes, Effort::Archive)
}

/// gzips `bytes` with the given effort, with no file name and a zero timestamp (same input
/// and effort, same output).
pub fn gzip_with(bytes: &[u8], effort: Effort) -> Vec<u8> {
    COMPRESSORS.with(|cell| {
        let mut slots = cell.borrow_mut();
        let (c, buf) = slots[effort as usize].get_or_insert_with(|| {
            let level = CompressionLvl::new(effort.level()).unwrap_or_default();
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
    fn every_effort_round_trips_and_is_deterministic() {
        let data: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        let mut sizes = Vec::new();
        for effort in [Effort::Report, Effort::Live, Effort::Archive] {
            let z = gzip_with(&data, effort);
            assert_eq!(z, gzip_with(&data, effort));
            assert_eq!(gunzip(&z).unwrap(), data);
            sizes.push(z.len());
        }
        // More effort, no more bytes; the archive level is what `gzip` uses.
        assert!(sizes[0] >= sizes[1] && sizes[1] >= sizes[2], "{sizes:?}");
        assert_eq!(gzip(&data), gzip_with(&data, Effort::Archive));
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
