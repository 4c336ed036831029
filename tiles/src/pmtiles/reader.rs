//! A blocking reader: header and root directory read once, leaves on demand.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;

use super::directory::{self, Entry};
use super::{
    tile_id, Header, PmTilesError, Result, COMPRESSION_GZIP, COMPRESSION_NONE, HEADER_LEN,
    MAX_DIRECTORY_BYTES, MAX_DIRECTORY_DEPTH,
};
use crate::gzip::gunzip;
use crate::tile::TileCoord;

/// Reads tiles from a PMTiles v3 archive whose directories are gzip-compressed or not.
#[derive(Debug)]
pub struct PmTilesReader {
    file: Mutex<File>,
    header: Header,
    root: Vec<Entry>,
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
        let mut file = File::open(path)?;
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head)
            .map_err(|_| PmTilesError::Invalid("file shorter than the header".into()))?;
        let header = Header::from_bytes(&head)?;
        if ![COMPRESSION_GZIP, COMPRESSION_NONE].contains(&header.internal_compression) {
            return Err(PmTilesError::Invalid(format!(
                "internal compression {} (only gzip and none are read)",
                header.internal_compression
            )));
        }
        let r = PmTilesReader {
            file: Mutex::new(file),
            root: Vec::new(),
            header,
        };
        let root = r.directory(r.header.root.0, r.header.root.1)?;
        Ok(PmTilesReader { root, ..r })
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
                dir = self.directory(start, u64::from(e.length))?;
                continue;
            }
            if id >= e.tile_id.saturating_add(u64::from(e.run_length)) {
                return Ok(None);
            }
            let start = section_range(self.header.data, e, "tile")?;
            return self.read(start, u64::from(e.length)).map(Some);
        }
        Err(PmTilesError::Invalid(
            "leaf directories nested too deep".into(),
        ))
    }

    fn directory(&self, offset: u64, len: u64) -> Result<Vec<Entry>> {
        if len > MAX_DIRECTORY_BYTES {
            return Err(PmTilesError::Invalid(format!("directory of {len} bytes")));
        }
        let raw = self.read(offset, len)?;
        match self.header.internal_compression {
            COMPRESSION_GZIP => directory::deserialize(&raw),
            _ => directory::deserialize(&crate::gzip::gzip(&raw)),
        }
    }

    fn inflate(&self, raw: Vec<u8>) -> Result<Vec<u8>> {
        Ok(match self.header.internal_compression {
            COMPRESSION_GZIP => gunzip(&raw)?,
            _ => raw,
        })
    }

    fn read(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        let len = usize::try_from(len)
            .map_err(|_| PmTilesError::Invalid("length over the address space".into()))?;
        let mut f = self
            .file
            .lock()
            .map_err(|_| PmTilesError::Invalid("reader poisoned by a panic".into()))?;
        let size = f.metadata()?.len();
        if offset.saturating_add(len as u64) > size {
            return Err(PmTilesError::Invalid(
                "range beyond the end of the file".into(),
            ));
        }
        f.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0u8; len];
        f.read_exact(&mut buf)?;
        Ok(buf)
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
