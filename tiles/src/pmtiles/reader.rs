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
            if e.run_length == 0 {
                dir = self.directory(self.header.leaves.0 + e.offset, u64::from(e.length))?;
                continue;
            }
            if id >= e.tile_id + u64::from(e.run_length) {
                return Ok(None);
            }
            if e.offset + u64::from(e.length) > self.header.data.1 {
                return Err(PmTilesError::Invalid("tile beyond the data section".into()));
            }
            return self
                .read(self.header.data.0 + e.offset, u64::from(e.length))
                .map(Some);
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
