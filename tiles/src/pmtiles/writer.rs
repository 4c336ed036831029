//! Writes an archive with the `pmtiles` crate's writer. Tiles are streamed to a temporary
//! data file beside the output as they come (in tile-id order, identical contents once),
//! because the crate writes the metadata before the tiles and ours is known only at the end;
//! at [`PmTilesWriter::finish`] they are handed in order to the crate, which writes header,
//! root directory, metadata, tile data and leaf directories into a second temporary file,
//! renamed over the output. A crash leaves the old archive in place.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use pmtiles::{Compression, TileId, TileType};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::directory::Entry;
use super::{Header, PmTilesError, Result, HEADER_LEN};

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

    /// Hands the tiles to the crate's writer with the archive's header fields and metadata,
    /// and renames the result over the output path.
    pub fn finish(self, info: &ArchiveInfo) -> Result<ArchiveSummary> {
        let data = self
            .data
            .into_inner()
            .map_err(|e| PmTilesError::Io(e.into_error()))?;
        let data = data.as_file();
        let out = NamedTempFile::new_in(dir_of(&self.out))?;
        let [w, s, e, n] = info.bounds;
        let mut writer = pmtiles::PmTilesWriter::new(TileType::Mvt)
            .internal_compression(Compression::Gzip)
            .tile_compression(Compression::Gzip)
            .min_zoom(info.minzoom)
            .max_zoom(info.maxzoom)
            .bounds(w, s, e, n)
            .center_zoom(info.center[2].round().clamp(0.0, 255.0) as u8)
            .center(info.center[0], info.center[1])
            .metadata(&serde_json::to_string(&info.metadata)?)
            .create(out.as_file())?;
        let mut buf = Vec::new();
        for e in &self.entries {
            buf.resize(e.length as usize, 0);
            data.read_exact_at(&mut buf, e.offset)?;
            for k in 0..u64::from(e.run_length) {
                let id = TileId::new(e.tile_id + k)?;
                writer.add_raw_tile(id.into(), &buf)?;
            }
        }
        writer.finalize()?;
        out.as_file().sync_all()?;
        let mut head = [0u8; HEADER_LEN];
        out.as_file().read_exact_at(&mut head, 0)?;
        let header = Header::from_bytes(&head)?;
        let file_bytes = out.as_file().metadata()?.len();
        out.persist(&self.out)
            .map_err(|e| PmTilesError::Io(e.error))?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(dir_of(&self.out)) {
            let _ = d.sync_all();
        }
        Ok(ArchiveSummary {
            addressed_tiles: header.addressed_tiles,
            tile_entries: header.tile_entries,
            tile_contents: header.tile_contents,
            file_bytes,
            leaf_directories: header.leaves.1 > 0,
        })
    }
}

fn dir_of(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
