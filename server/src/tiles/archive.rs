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
    /// The `pmtiles` crate's reader over positioned reads of the file (no lock, no memory
    /// map: a file truncated under the server gives errors, not SIGBUS): it keeps the
    /// header, the root directory and the leaves it has parsed in memory. A tile is a
    /// page-cache read.
    pub reader: Arc<PmTilesReader>,
    /// The archive's JSON metadata (name, vector_layers…).
    pub metadata: serde_json::Value,
    /// Version for ETags: a hash of the header, root directory and size of the file.
    pub version: String,
    /// Whether tiles are stored gzip-compressed (else uncompressed MVT).
    pub gzip: bool,
    /// Tiles read so far, as stored (`None`: absent), bounded by bytes; `None` when the
    /// budget is 0. Served from memory, a hot tile costs neither a read nor an allocation
    /// (a read of a 60 KB tile into a fresh buffer spent a third of the time in page
    /// faults and copies, `perf` in docs/benchmarks.md).
    cache: Option<moka::sync::Cache<u64, Option<Bytes>>>,
    /// Reads of the file for tiles (cache misses), for tests.
    reads: std::sync::atomic::AtomicU64,
}

impl Archive {
    /// Opens an archive; the tile set is named after the file. Refuses archives that do
    /// not hold MVT tiles, gzip-compressed or not. Tiles read are kept in memory within
    /// `cache_bytes` (0: every request reads the file).
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Archive, PmTilesError> {
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
            cache: (cache_bytes > 0).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(cache_bytes)
                    .weigher(|_, v: &Option<Bytes>| {
                        super::cache_weight(v.as_ref().map_or(0, |b| b.len()))
                    })
                    .build()
            }),
            reads: std::sync::atomic::AtomicU64::new(0),
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

    /// A tile's stored bytes, `None` when absent or empty: from memory when it was read
    /// before and is still cached, else a positioned read of the file (blocking; the page
    /// cache answers it once the tile has been read before).
    pub fn tile(&self, t: TileCoord) -> Result<Option<Bytes>, PmTilesError> {
        let read = || -> Result<Option<Bytes>, PmTilesError> {
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(self.reader.tile_bytes(t)?.filter(|b| !b.is_empty()))
        };
        let Some(cache) = &self.cache else {
            return read();
        };
        let id = quyhoach_tiles::pmtiles::tile_id(t);
        if let Some(hit) = cache.get(&id) {
            return Ok(hit);
        }
        // Two requests for one uncached tile may both read it: a read is cheap, and an
        // error is not cached.
        let tile = read()?;
        cache.insert(id, tile.clone());
        Ok(tile)
    }

    /// Reads of the file for tiles so far (requests the cache did not answer).
    pub fn reads(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }
}
