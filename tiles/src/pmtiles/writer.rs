//! Writes an archive: tiles are streamed to a temporary data file beside the output as they
//! come (in tile-id order), then header, directories and metadata are written in front of
//! them into a second temporary file, which is renamed over the output. A crash leaves the
//! old archive in place.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::directory::{self, Entry};
use super::{e7, Header, PmTilesError, Result, COMPRESSION_GZIP, HEADER_LEN, TILE_TYPE_MVT};
use crate::gzip::gzip;

/// What an archive says about itself besides its tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveInfo {
    /// Zoom range.
    pub minzoom: u8,
    /// Zoom range.
    pub maxzoom: u8,
    /// `[west, south, east, north]`, degrees.
    pub bounds: [f64; 4],
    /// `[lon, lat, zoom]`.
    pub center: [f64; 3],
    /// The JSON metadata (name, vector_layers…).
    pub metadata: serde_json::Value,
}

/// Counts of a written archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveSummary {
    /// Tiles addressed.
    pub addressed_tiles: u64,
    /// Directory entries.
    pub tile_entries: u64,
    /// Distinct tile contents stored.
    pub tile_contents: u64,
    /// Size of the archive, bytes.
    pub file_bytes: u64,
    /// Whether leaf directories were needed.
    pub leaf_directories: bool,
}

/// Streams gzipped MVT tiles into a PMTiles v3 archive.
pub struct PmTilesWriter {
    out: PathBuf,
    data: BufWriter<NamedTempFile>,
    data_len: u64,
    entries: Vec<Entry>,
    seen: HashMap<[u8; 32], (u64, u32)>,
    addressed: u64,
    last_id: Option<u64>,
}

impl PmTilesWriter {
    /// A writer that will create (or replace) `out` on [`finish`](Self::finish).
    pub fn new(out: &Path) -> Result<PmTilesWriter> {
        let data = NamedTempFile::new_in(dir_of(out))?;
        Ok(PmTilesWriter {
            out: out.to_owned(),
            data: BufWriter::new(data),
            data_len: 0,
            entries: Vec::new(),
            seen: HashMap::new(),
            addressed: 0,
            last_id: None,
        })
    }

    /// Adds a tile (gzipped MVT bytes) by tile id (see [`tile_id`](super::tile_id)). Ids
    /// must increase. Identical contents are stored once; consecutive identical tiles share
    /// one entry.
    pub fn add_tile(&mut self, tile_id: u64, gzipped: &[u8]) -> Result<()> {
        if let Some(last) = self.last_id {
            if tile_id <= last {
                return Err(PmTilesError::Order(tile_id, last));
            }
        }
        self.last_id = Some(tile_id);
        let len = u32::try_from(gzipped.len())
            .map_err(|_| PmTilesError::Invalid("tile over 4 GiB".into()))?;
        let hash: [u8; 32] = Sha256::digest(gzipped).into();
        let offset = match self.seen.get(&hash) {
            Some(&(o, _)) => o,
            None => {
                let o = self.data_len;
                self.data.write_all(gzipped)?;
                self.data_len += u64::from(len);
                self.seen.insert(hash, (o, len));
                o
            }
        };
        self.addressed += 1;
        if let Some(e) = self.entries.last_mut() {
            if e.offset == offset
                && e.length == len
                && e.tile_id + u64::from(e.run_length) == tile_id
            {
                e.run_length += 1;
                return Ok(());
            }
        }
        self.entries.push(Entry {
            tile_id,
            offset,
            length: len,
            run_length: 1,
        });
        Ok(())
    }

    /// Writes header, directories and metadata, then the tiles, and renames the result over
    /// the output path.
    pub fn finish(self, info: &ArchiveInfo) -> Result<ArchiveSummary> {
        let (root, leaves) = directory::build(&self.entries);
        let metadata = gzip(&serde_json::to_vec(&info.metadata)?);
        let root_off = HEADER_LEN as u64;
        let meta_off = root_off + root.len() as u64;
        let leaf_off = meta_off + metadata.len() as u64;
        let data_off = leaf_off + leaves.len() as u64;
        let header = Header {
            root: (root_off, root.len() as u64),
            metadata: (meta_off, metadata.len() as u64),
            leaves: (leaf_off, leaves.len() as u64),
            data: (data_off, self.data_len),
            addressed_tiles: self.addressed,
            tile_entries: self.entries.len() as u64,
            tile_contents: self.seen.len() as u64,
            clustered: true,
            internal_compression: COMPRESSION_GZIP,
            tile_compression: COMPRESSION_GZIP,
            tile_type: TILE_TYPE_MVT,
            min_zoom: info.minzoom,
            max_zoom: info.maxzoom,
            bounds_e7: info.bounds.map(e7),
            center_zoom: info.center[2].round().clamp(0.0, 255.0) as u8,
            center_e7: [e7(info.center[0]), e7(info.center[1])],
        };
        let mut data = self
            .data
            .into_inner()
            .map_err(|e| PmTilesError::Io(e.into_error()))?;
        data.as_file_mut().seek(SeekFrom::Start(0))?;
        let out = NamedTempFile::new_in(dir_of(&self.out))?;
        let mut w = BufWriter::new(out);
        w.write_all(&header.to_bytes())?;
        w.write_all(&root)?;
        w.write_all(&metadata)?;
        w.write_all(&leaves)?;
        std::io::copy(data.as_file_mut(), &mut w)?;
        let out = w
            .into_inner()
            .map_err(|e| PmTilesError::Io(e.into_error()))?;
        out.as_file().sync_all()?;
        let file_bytes = data_off + self.data_len;
        out.persist(&self.out)
            .map_err(|e| PmTilesError::Io(e.error))?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir_of(&self.out)) {
            let _ = d.sync_all();
        }
        Ok(ArchiveSummary {
            addressed_tiles: self.addressed,
            tile_entries: self.entries.len() as u64,
            tile_contents: self.seen.len() as u64,
            file_bytes,
            leaf_directories: !leaves.is_empty(),
        })
    }
}

fn dir_of(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
