//! PMTiles v3 archives (<https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>):
//! one file holding a whole tile pyramid, served by byte ranges or read locally.
//!
//! Read with the `pmtiles` crate (the reader Martin uses: its directory parsing, cache and
//! tile lookup) over positioned reads of the file rather than its memory map, with every
//! directory checked by our bounded parser before the crate sees it ([`reader`]).
//!
//! Written with the crate's writer too ([`writer`]): header (127 bytes), root directory
//! (in the first 16 KiB, the rest of which is left zero), metadata, tile data, leaf
//! directories; directories and metadata gzip-compressed, tiles gzip-compressed MVT, tile
//! data in tile-id order (clustered), identical tiles stored once, runs of identical
//! consecutive tiles as one entry.

mod directory;
pub mod reader;
pub mod writer;

pub use directory::Entry;
pub use reader::{LeafCache, PmTilesReader, PreadBackend, MAX_CACHED_LEAF_ENTRIES};
pub use writer::{ArchiveInfo, ArchiveSummary, PmTilesWriter};

use crate::tile::TileCoord;

/// Size of the fixed header, bytes.
pub const HEADER_LEN: usize = 127;

/// The root directory must end within the first 16 KiB (header included) so that a client
/// gets header and root in one request (spec §2).
pub const ROOT_MAX_END: usize = 16_384;

/// Largest directory (decompressed) a reader accepts, bytes: leaves of a large pyramid are a
/// few hundred KiB; more is a corrupt or hostile file.
pub const MAX_DIRECTORY_BYTES: u64 = 8 * 1024 * 1024;

/// Errors reading or writing archives.
#[derive(Debug, thiserror::Error)]
pub enum PmTilesError {
    /// Reading or writing the file failed.
    #[error("PMTiles I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a PMTiles v3 archive we can read.
    #[error("not a readable PMTiles v3 archive: {0}")]
    Invalid(String),
    /// Tiles were added out of tile-id order.
    #[error("tiles must be added in increasing tile id order ({0} after {1})")]
    Order(u64, u64),
    /// The metadata cannot be serialised.
    #[error("metadata: {0}")]
    Json(#[from] serde_json::Error),
}

/// `Result` of this module.
pub type Result<T> = std::result::Result<T, PmTilesError>;

/// Compression byte value (spec §3.5): unknown.
pub const COMPRESSION_UNKNOWN: u8 = 0;
/// Compression byte value (spec §3.5): none.
pub const COMPRESSION_NONE: u8 = 1;
/// Compression byte value (spec §3.5): gzip.
pub const COMPRESSION_GZIP: u8 = 2;
/// Compression byte value (spec §3.5): Brotli.
pub const COMPRESSION_BROTLI: u8 = 3;
/// Compression byte value (spec §3.5): Zstandard.
pub const COMPRESSION_ZSTD: u8 = 4;
/// Tile type (spec §3.6): Mapbox Vector Tiles.
pub const TILE_TYPE_MVT: u8 = 1;

/// The name of a compression byte value, for messages.
pub fn compression_name(c: u8) -> &'static str {
    match c {
        COMPRESSION_UNKNOWN => "unknown",
        COMPRESSION_NONE => "none",
        COMPRESSION_GZIP => "gzip",
        COMPRESSION_BROTLI => "brotli",
        COMPRESSION_ZSTD => "zstd",
        _ => "not in the spec",
    }
}

/// The name of a tile type byte value, for messages.
pub fn tile_type_name(t: u8) -> &'static str {
    match t {
        0 => "unknown",
        TILE_TYPE_MVT => "mvt",
        2 => "png",
        3 => "jpeg",
        4 => "webp",
        5 => "avif",
        6 => "mlt",
        _ => "not in the spec",
    }
}

/// The PMTiles tile id of a tile: the number of tiles of all lower zooms plus the tile's
/// position along the Hilbert curve of its zoom (spec §3.1).
pub fn tile_id(t: TileCoord) -> u64 {
    let z = u32::from(t.z);
    let base = ((1u64 << (2 * z)) - 1) / 3;
    let n = 1u64 << z;
    let (mut x, mut y) = (u64::from(t.x), u64::from(t.y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    base + d
}

/// The fixed header (spec §3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// Root directory offset and length.
    pub root: (u64, u64),
    /// Metadata offset and length.
    pub metadata: (u64, u64),
    /// Leaf directories offset and length.
    pub leaves: (u64, u64),
    /// Tile data offset and length.
    pub data: (u64, u64),
    /// Number of tiles addressed (runs counted in full).
    pub addressed_tiles: u64,
    /// Number of directory entries.
    pub tile_entries: u64,
    /// Number of distinct tile contents.
    pub tile_contents: u64,
    /// Whether tile data is in tile-id order.
    pub clustered: bool,
    /// Compression of directories and metadata.
    pub internal_compression: u8,
    /// Compression of tiles.
    pub tile_compression: u8,
    /// Tile type.
    pub tile_type: u8,
    /// Zoom range.
    pub min_zoom: u8,
    /// Zoom range.
    pub max_zoom: u8,
    /// Bounds `[w, s, e, n]` in degrees × 10⁷.
    pub bounds_e7: [i32; 4],
    /// Center zoom.
    pub center_zoom: u8,
    /// Center `[lon, lat]` in degrees × 10⁷.
    pub center_e7: [i32; 2],
}

impl Header {
    /// The header's 127 bytes (tests forge archives with it).
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..7].copy_from_slice(b"PMTiles");
        b[7] = 3;
        let u64s = [
            self.root.0,
            self.root.1,
            self.metadata.0,
            self.metadata.1,
            self.leaves.0,
            self.leaves.1,
            self.data.0,
            self.data.1,
            self.addressed_tiles,
            self.tile_entries,
            self.tile_contents,
        ];
        for (i, v) in u64s.iter().enumerate() {
            b[8 + 8 * i..16 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        b[96] = u8::from(self.clustered);
        b[97] = self.internal_compression;
        b[98] = self.tile_compression;
        b[99] = self.tile_type;
        b[100] = self.min_zoom;
        b[101] = self.max_zoom;
        for (i, v) in self.bounds_e7.iter().enumerate() {
            b[102 + 4 * i..106 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
        b[118] = self.center_zoom;
        b[119..123].copy_from_slice(&self.center_e7[0].to_le_bytes());
        b[123..127].copy_from_slice(&self.center_e7[1].to_le_bytes());
        b
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Result<Header> {
        if b.len() < HEADER_LEN || &b[..7] != b"PMTiles" {
            return Err(PmTilesError::Invalid("no PMTiles magic number".into()));
        }
        if b[7] != 3 {
            return Err(PmTilesError::Invalid(format!(
                "spec version {} (only 3 is read)",
                b[7]
            )));
        }
        let u = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[8 + 8 * i..16 + 8 * i]);
            u64::from_le_bytes(a)
        };
        let i32_at = |o: usize| {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[o..o + 4]);
            i32::from_le_bytes(a)
        };
        Ok(Header {
            root: (u(0), u(1)),
            metadata: (u(2), u(3)),
            leaves: (u(4), u(5)),
            data: (u(6), u(7)),
            addressed_tiles: u(8),
            tile_entries: u(9),
            tile_contents: u(10),
            clustered: b[96] == 1,
            internal_compression: b[97],
            tile_compression: b[98],
            tile_type: b[99],
            min_zoom: b[100],
            max_zoom: b[101],
            bounds_e7: [i32_at(102), i32_at(106), i32_at(110), i32_at(114)],
            center_zoom: b[118],
            center_e7: [i32_at(119), i32_at(123)],
        })
    }
}

/// Degrees to the header's ×10⁷ integers.
#[cfg(test)]
pub(crate) fn e7(deg: f64) -> i32 {
    (deg * 1e7)
        .round()
        .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(z: u8, x: u32, y: u32) -> TileCoord {
        TileCoord::new_checked(z, x, y).unwrap()
    }

    #[test]
    fn tile_ids_follow_the_spec() {
        // Spec §3.1 examples and the Hilbert order of zoom 1.
        assert_eq!(tile_id(t(0, 0, 0)), 0);
        assert_eq!(tile_id(t(1, 0, 0)), 1);
        assert_eq!(tile_id(t(1, 0, 1)), 2);
        assert_eq!(tile_id(t(1, 1, 1)), 3);
        assert_eq!(tile_id(t(1, 1, 0)), 4);
        assert_eq!(tile_id(t(2, 0, 0)), 5);
        assert_eq!(tile_id(t(3, 0, 0)), 21);
        // pmtiles-rs / go-pmtiles test vectors.
        assert_eq!(tile_id(t(12, 3423, 1763)), 19_078_479);
        // Ids of one zoom are a permutation of its range.
        let mut ids: Vec<u64> = (0..8)
            .flat_map(|x| (0..8).map(move |y| tile_id(t(3, x, y))))
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (21..85).collect::<Vec<_>>());
    }

    #[test]
    fn header_round_trip() {
        let h = Header {
            root: (127, 40),
            metadata: (167, 30),
            leaves: (197, 0),
            data: (197, 1000),
            addressed_tiles: 10,
            tile_entries: 9,
            tile_contents: 8,
            clustered: true,
            internal_compression: COMPRESSION_GZIP,
            tile_compression: COMPRESSION_GZIP,
            tile_type: TILE_TYPE_MVT,
            min_zoom: 0,
            max_zoom: 14,
            bounds_e7: [e7(104.8), e7(9.9), e7(105.2), e7(10.1)],
            center_zoom: 10,
            center_e7: [e7(105.0), e7(10.0)],
        };
        assert_eq!(Header::from_bytes(&h.to_bytes()).unwrap(), h);
        assert!(Header::from_bytes(b"PMTiles\x02").is_err());
    }
}
