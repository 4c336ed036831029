//! PMTiles archives served as tile sets (`quyhoach serve --pmtiles FILE`): the archive's
//! tiles as they are stored, its TileJSON from its header and metadata.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use quyhoach_tiles::pmtiles::{PmTilesError, PmTilesReader};
use quyhoach_tiles::TileCoord;
use sha2::{Digest, Sha256};

/// An opened archive.
pub struct Archive {
    /// Tile set name (the file name without `.pmtiles`).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Blocking reader: called on the blocking pool only. It keeps header and root
    /// directory in memory and reads leaves and tiles with positioned reads under a mutex.
    pub reader: Arc<PmTilesReader>,
    /// The archive's JSON metadata (name, vector_layers…).
    pub metadata: serde_json::Value,
    /// Version for ETags: a hash of the header, root directory and size of the file.
    pub version: String,
}

impl Archive {
    /// Opens an archive; the tile set is named after the file.
    pub fn open(path: &Path) -> Result<Archive, PmTilesError> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.strip_suffix(".pmtiles").unwrap_or(n).to_string())
            .unwrap_or_else(|| "archive".into());
        let reader = PmTilesReader::open(path)?;
        let metadata = reader.metadata()?;
        let mut h = Sha256::new();
        h.update(std::fs::metadata(path)?.len().to_le_bytes());
        let mut head = vec![0u8; 16_384];
        {
            use std::io::Read;
            let mut f = std::fs::File::open(path)?;
            let n = f.read(&mut head)?;
            head.truncate(n);
        }
        h.update(&head);
        let version: String = h
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Archive {
            name,
            path: path.to_path_buf(),
            reader: Arc::new(reader),
            metadata,
            version,
        })
    }

    /// Zoom range of the archive.
    pub fn zooms(&self) -> (u8, u8) {
        let h = self.reader.header();
        (h.min_zoom, h.max_zoom)
    }

    /// Bounds `[w, s, e, n]` from the header.
    pub fn bounds(&self) -> [f64; 4] {
        self.reader.header().bounds_e7.map(|v| f64::from(v) / 1e7)
    }

    /// Whether the tile is within the archive's zoom range.
    pub fn has_zoom(&self, t: TileCoord) -> bool {
        let (lo, hi) = self.zooms();
        (lo..=hi).contains(&t.z)
    }
}
