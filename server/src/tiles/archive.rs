//! PMTiles archives served as tile sets (`quyhoach serve --pmtiles FILE`): the archive's
//! tiles as they are stored, its TileJSON from its header and metadata.
//!
//! Only vector archives are served: the tile type must be MVT and the tile compression gzip
//! or none, else the archive is refused at start with a message saying what it holds. A
//! Brotli or Zstandard archive could be served with its `Content-Encoding`, but browsers
//! send `Accept-Encoding: br, zstd` only over HTTPS and other clients (GDAL, QGIS) may not
//! take them, so such tiles would need decoding on the server: better to say so at start
//! than to serve tiles some clients cannot read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use quyhoach_tiles::pmtiles::{
    compression_name, tile_type_name, PmTilesError, PmTilesReader, COMPRESSION_GZIP,
    COMPRESSION_NONE, TILE_TYPE_MVT,
};
use quyhoach_tiles::TileCoord;
use sha2::{Digest, Sha256};

/// An opened archive.
pub struct Archive {
    /// Tile set name (the file name without `.pmtiles`).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Blocking reader with positioned reads (no lock): it keeps the header, the root
    /// directory and the leaves it has parsed in memory. A tile is a page-cache read.
    pub reader: Arc<PmTilesReader>,
    /// The archive's JSON metadata (name, vector_layers…).
    pub metadata: serde_json::Value,
    /// Version for ETags: a hash of the header, root directory and size of the file.
    pub version: String,
    /// Whether tiles are stored gzip-compressed (else uncompressed MVT).
    pub gzip: bool,
}

impl Archive {
    /// Opens an archive; the tile set is named after the file. Refuses archives that do
    /// not hold MVT tiles, gzip-compressed or not.
    pub fn open(path: &Path) -> Result<Archive, PmTilesError> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.strip_suffix(".pmtiles").unwrap_or(n).to_string())
            .unwrap_or_else(|| "archive".into());
        let reader = PmTilesReader::open(path)?;
        let h = reader.header();
        if h.tile_type != TILE_TYPE_MVT {
            return Err(PmTilesError::Invalid(format!(
                "tệp chứa ô loại {} (mã {}), không phải ô vector MVT / the archive holds {} tiles \
                 (tile type {}), not MVT vector tiles: only vector archives are served",
                tile_type_name(h.tile_type),
                h.tile_type,
                tile_type_name(h.tile_type),
                h.tile_type
            )));
        }
        if ![COMPRESSION_GZIP, COMPRESSION_NONE].contains(&h.tile_compression) {
            return Err(PmTilesError::Invalid(format!(
                "ô được nén kiểu {} (mã {}); chỉ phục vụ gzip hoặc không nén / tiles are \
                 {}-compressed (tile compression {}); only gzip or uncompressed tiles are \
                 served (rebuild with `pmtiles convert` or `quyhoach tiles`)",
                compression_name(h.tile_compression),
                h.tile_compression,
                compression_name(h.tile_compression),
                h.tile_compression
            )));
        }
        let gzip = h.tile_compression == COMPRESSION_GZIP;
        let metadata = reader.metadata()?;
        let mut hash = Sha256::new();
        let size = std::fs::metadata(path)?.len();
        hash.update(size.to_le_bytes());
        let head = reader.read(0, size.min(16_384))?;
        hash.update(&head);
        let version: String = hash
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
            gzip,
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

    /// A tile's stored bytes (no copy after the read), `None` when absent or empty.
    /// Blocking: a positioned read of the file, from the page cache once the tile has been
    /// read before.
    pub fn tile(&self, t: TileCoord) -> Result<Option<Bytes>, PmTilesError> {
        Ok(self
            .reader
            .tile(t)?
            .filter(|b| !b.is_empty())
            .map(Bytes::from))
    }
}
