//! A blocking reader: header and root directory read once, leaves parsed once and kept.
//!
//! Reads are positioned (`pread`, [`FileExt::read_exact_at`]): no lock and no seek, so any
//! number of threads read tiles of one reader at once. Parsed leaf directories are kept in
//! a cache bounded by entries ([`MAX_CACHED_LEAF_ENTRIES`]); a tile then costs two binary
//! searches and one read of its bytes.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, RwLock};

use super::directory::{self, Entry};
use super::{
    tile_id, Header, PmTilesError, Result, COMPRESSION_GZIP, COMPRESSION_NONE, HEADER_LEN,
    MAX_DIRECTORY_BYTES, MAX_DIRECTORY_DEPTH,
};
use crate::gzip::gunzip;
use crate::tile::TileCoord;

/// Most directory entries the leaf cache holds (24 bytes each: 6 MiB). A leaf holds at
/// least 4,096 entries in the archives go-pmtiles and we write, so this is at least 64
/// leaves; the whole leaf section of a district's archive fits many times over. When full
/// the cache is emptied and refills with the leaves asked for next.
pub const MAX_CACHED_LEAF_ENTRIES: usize = 256 * 1024;

/// Reads tiles from a PMTiles v3 archive whose directories are gzip-compressed or not.
#[derive(Debug)]
pub struct PmTilesReader {
    file: File,
    /// File size at opening: ranges beyond it are errors without a read.
    size: u64,
    header: Header,
    root: Arc<[Entry]>,
    leaves: LeafCache,
}

/// Parsed leaf directories keyed by their file offset and length.
type Leaves = HashMap<(u64, u64), Arc<[Entry]>>;

/// Parsed leaf directories by their file offset and length.
#[derive(Debug, Default)]
struct LeafCache {
    map: RwLock<Leaves>,
    /// Parses so far (tests check that a leaf is parsed once).
    parsed: std::sync::atomic::AtomicU64,
}
/// The file offset of an entry's bytes in a section `(offset, length)`, checking that they
/// lie within the section.
fn section_range(section: (u64, u64), e: Entry, what: &str) -> Result<u64> {
    let end = e.offset.checked_add(u64::from(e.length));
    if end.is_none_or(|end| end > section.1) {
        return Err(PmTilesError::Invalid(format!("{what} beyond its section")));
    }
    section
        .0
        .checked_add(e.offset)
        .ok_or_else(|| PmTilesError::Invalid(format!("{what} offset past 2^64")))
}

impl PmTilesReader {
    /// Opens an archive and reads its header and root directory.
    pub fn open(path: &Path) -> Result<PmTilesReader> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let mut head = [0u8; HEADER_LEN];
        file.read_exact_at(&mut head, 0)
            .map_err(|_| PmTilesError::Invalid("file shorter than the header".into()))?;
        let header = Header::from_bytes(&head)?;
        if ![COMPRESSION_GZIP, COMPRESSION_NONE].contains(&header.internal_compression) {
            return Err(PmTilesError::Invalid(format!(
                "internal compression {} (only gzip and none are read)",
                header.internal_compression
            )));
        }
        let mut r = PmTilesReader {
            file,
            size,
            root: Arc::from(Vec::new()),
            header,
            leaves: LeafCache::default(),
        };
        r.root = Arc::from(r.directory(r.header.root.0, r.header.root.1)?);
        Ok(r)
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The JSON metadata.
    pub fn metadata(&self) -> Result<serde_json::Value> {
        let raw = self.read(self.header.metadata.0, self.header.metadata.1)?;
        let json = self.inflate(raw)?;
        Ok(serde_json::from_slice(&json)?)
    }

    /// The stored bytes of a tile (gzipped MVT in our archives), None if absent.
    pub fn tile(&self, t: TileCoord) -> Result<Option<Vec<u8>>> {
        match self.tile_range(t)? {
            Some((start, len)) => self.read(start, len).map(Some),
            None => Ok(None),
        }
    }

    /// Where a tile's stored bytes are in the file (offset, length), None if absent: the
    /// directory lookup of [`PmTilesReader::tile`] without the read.
    pub fn tile_range(&self, t: TileCoord) -> Result<Option<(u64, u64)>> {
        let id = tile_id(t);
        let mut dir = self.root.clone();
        for _ in 0..MAX_DIRECTORY_DEPTH {
            let i = dir.partition_point(|e| e.tile_id <= id);
            let Some(e) = i.checked_sub(1).map(|i| dir[i]) else {
                return Ok(None);
            };
            // Offsets and lengths come from the file: checked arithmetic, so that a hostile
            // archive gives an error rather than an overflow (found by fuzz/pmtiles_reader).
            if e.run_length == 0 {
                let start = section_range(self.header.leaves, e, "leaf directory")?;
                dir = self.leaf(start, u64::from(e.length))?;
                continue;
            }
            if id >= e.tile_id.saturating_add(u64::from(e.run_length)) {
                return Ok(None);
            }
            let start = section_range(self.header.data, e, "tile")?;
            return Ok(Some((start, u64::from(e.length))));
        }
        Err(PmTilesError::Invalid(
            "leaf directories nested too deep".into(),
        ))
    }

    /// Reads `len` bytes at `offset` of the archive (a range from
    /// [`PmTilesReader::tile_range`]).
    pub fn read(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        let n = usize::try_from(len)
            .map_err(|_| PmTilesError::Invalid("length over the address space".into()))?;
        if offset.checked_add(len).is_none_or(|end| end > self.size) {
            return Err(PmTilesError::Invalid(
                "range beyond the end of the file".into(),
            ));
        }
        let mut buf = vec![0u8; n];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }

    /// How many leaf directories were read and parsed so far (each once while it stays in
    /// the cache).
    pub fn leaves_parsed(&self) -> u64 {
        self.leaves
            .parsed
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A leaf directory, from the cache or read, parsed and kept.
    fn leaf(&self, offset: u64, len: u64) -> Result<Arc<[Entry]>> {
        let key = (offset, len);
        if let Some(d) = self
            .leaves
            .map
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(d);
        }
        let d: Arc<[Entry]> = Arc::from(self.directory(offset, len)?);
        self.leaves
            .parsed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut m) = self.leaves.map.write() {
            let held: usize = m.values().map(|v| v.len()).sum();
            if held + d.len() > MAX_CACHED_LEAF_ENTRIES {
                m.clear();
            }
            if d.len() <= MAX_CACHED_LEAF_ENTRIES {
                m.insert(key, d.clone());
            }
        }
        Ok(d)
    }

    fn directory(&self, offset: u64, len: u64) -> Result<Vec<Entry>> {
        if len > MAX_DIRECTORY_BYTES {
            return Err(PmTilesError::Invalid(format!("directory of {len} bytes")));
        }
        let raw = self.read(offset, len)?;
        match self.header.internal_compression {
            COMPRESSION_GZIP => directory::deserialize(&raw),
            _ => directory::parse(&raw),
        }
    }

    fn inflate(&self, raw: Vec<u8>) -> Result<Vec<u8>> {
        Ok(match self.header.internal_compression {
            COMPRESSION_GZIP => gunzip(&raw)?,
            _ => raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// An uncompressed archive with one root entry written as raw fields (`offset_plus_one`
    /// as stored: 0 means "follows the previous entry"), and `data` as the data section.
    fn archive(entry: (u64, u64, u64, u64), leaves: (u64, u64), data_at: Option<u64>) -> Vec<u8> {
        let (tile_id, run_length, length, offset_plus_one) = entry;
        let mut dir = Vec::new();
        for v in [1, tile_id, run_length, length, offset_plus_one] {
            varint(&mut dir, v);
        }
        let root = (HEADER_LEN as u64, dir.len() as u64);
        let data = vec![7u8; 100];
        let data_start = root.0 + root.1;
        let h = Header {
            root,
            leaves,
            data: (data_at.unwrap_or(data_start), data.len() as u64),
            internal_compression: COMPRESSION_NONE,
            ..Header::default()
        };
        let mut b = h.to_bytes().to_vec();
        b.extend_from_slice(&dir);
        b.extend_from_slice(&data);
        b
    }

    fn first_tile(bytes: &[u8]) -> Result<Option<Vec<u8>>> {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), bytes).unwrap();
        let r = PmTilesReader::open(f.path())?;
        r.tile(TileCoord::new_checked(0, 0, 0).unwrap())
    }

    #[test]
    fn reads_a_tile() {
        let t = first_tile(&archive((0, 1, 10, 5), (0, 0), None)).unwrap();
        assert_eq!(t, Some(vec![7u8; 10]));
    }

    #[test]
    fn offsets_near_2_pow_64_are_errors_not_overflows() {
        // fuzz/regressions/pmtiles_reader/leaf-offset-overflow: a leaf pointer whose offset
        // plus the leaf section's start passes 2^64.
        let leaf = archive((0, 0, 10, u64::MAX), (200, 100), None);
        assert!(first_tile(&leaf).is_err());
        // A tile whose offset plus length passes 2^64.
        let tile = archive((0, 1, 10, u64::MAX), (0, 0), None);
        assert!(first_tile(&tile).is_err());
        // A tile within its section whose section starts near 2^64.
        let section = archive((0, 1, 10, 51), (0, 0), Some(u64::MAX - 5));
        assert!(first_tile(&section).is_err());
        // A leaf beyond the leaf section.
        let beyond = archive((0, 0, 10, 1), (0, 5), None);
        assert!(first_tile(&beyond).is_err());
    }
}
