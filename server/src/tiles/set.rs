//! What a tile set is to the tile routes, whatever makes its tiles: the [`TileSet`] trait
//! (as Martin's `Source`). Two kinds today: [`StoreTiles`], encoded on request from the
//! loaded store, and [`Archive`], read as stored from a PMTiles file. Another backend (tiles
//! from PostGIS rows) is one more implementation; the routes, the cache, the ETags and the
//! TileJSON do not change.

use std::sync::Arc;

use axum::body::Bytes;
use quyhoach_tiles::{encode_tile, tilejson, EncodeOptions, LayerSpec, TileCoord, TileSource};
use serde_json::{json, Value};

use super::archive::Archive;
use super::source::{IndexSource, COMBINED_TILESET};
use crate::error::{AppError, Result};

/// How a tile set's tiles are made, which decides how the service treats a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Making {
    /// Encoded on request (CPU-bound): kept in the service's cache of gzipped tiles, loads
    /// single-flight, at most one encoding per core at a time.
    Encoded,
    /// Read as stored (a page-cache read): no shared cache, no encoding slot, and answered
    /// before the router when the answer is a plain one (see `fast_archive_tile`).
    Stored,
}

/// A served tile set.
pub trait TileSet: Send + Sync {
    /// What the `/tiles` list says the set comes from (`store`, `pmtiles`).
    fn source(&self) -> &'static str;

    /// How its tiles are made.
    fn making(&self) -> Making;

    /// The zooms it has tiles for (min, max).
    fn zooms(&self) -> (u8, u8);

    /// Its own version for ETags; `None`: the store's data version.
    fn version(&self) -> Option<&str>;

    /// The names of its MVT layers.
    fn layer_names(&self) -> Vec<String>;

    /// Its TileJSON 3.0 with `url` as the tile template; `name` is what it is served as.
    fn tilejson(&self, name: &str, url: &str) -> Value;

    /// A tile: gzipped MVT (or as the archive stores it, see [`Archive::gzip`]); empty when
    /// the set has no feature there. Blocking: call it on the blocking pool (or, for
    /// [`Making::Stored`] sets, where a page-cache read is acceptable).
    fn tile(&self, t: TileCoord) -> Result<Bytes>;

    /// Reads of its file (requests no cache answered), for tests; 0 when not counted.
    fn reads(&self) -> u64 {
        0
    }
}

/// A tile set encoded from the loaded store: the combined `planning` set or one layer.
pub struct StoreTiles {
    name: String,
    source: IndexSource,
}

impl StoreTiles {
    /// The store's tile set `name` (see [`IndexSource::for_tileset`]).
    pub fn new(name: &str, source: IndexSource) -> StoreTiles {
        StoreTiles {
            name: name.to_string(),
            source,
        }
    }
}

impl TileSet for StoreTiles {
    fn source(&self) -> &'static str {
        "store"
    }

    fn making(&self) -> Making {
        Making::Encoded
    }

    fn zooms(&self) -> (u8, u8) {
        (0, self.source.maxzoom())
    }

    fn version(&self) -> Option<&str> {
        None
    }

    fn layer_names(&self) -> Vec<String> {
        self.source.layers().into_iter().map(|l| l.name).collect()
    }

    fn tilejson(&self, name: &str, url: &str) -> Value {
        let src = &self.source;
        let b = src.bounds().unwrap_or([-180.0, -85.0, 180.0, 85.0]);
        let layers: Vec<LayerSpec> = src.layers();
        let center_z = f64::from(src.minzoom().max(13));
        let mut tj = tilejson(
            name,
            url,
            src.minzoom(),
            src.maxzoom(),
            b,
            [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, center_z],
            &layers,
        );
        tj["description"] = if self.name == COMBINED_TILESET {
            "Every layer of the store: plans, parcels, roads, red lines, boundaries".into()
        } else {
            format!("Store layer {}", self.name).into()
        };
        tj
    }

    fn tile(&self, t: TileCoord) -> Result<Bytes> {
        let tile = encode_tile(&self.source, t, &EncodeOptions::default());
        Ok(if tile.is_empty() {
            Bytes::new()
        } else {
            // Built for this request (and the tile cache): the live effort, not the archive's.
            Bytes::from(quyhoach_tiles::gzip::gzip_with(
                &tile.bytes,
                quyhoach_tiles::gzip::Effort::Live,
            ))
        })
    }
}

impl TileSet for Archive {
    fn source(&self) -> &'static str {
        "pmtiles"
    }

    fn making(&self) -> Making {
        Making::Stored
    }

    fn zooms(&self) -> (u8, u8) {
        Archive::zooms(self)
    }

    fn version(&self) -> Option<&str> {
        Some(&self.version)
    }

    fn layer_names(&self) -> Vec<String> {
        self.metadata
            .get("vector_layers")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|l| l.get("id")?.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn tilejson(&self, name: &str, url: &str) -> Value {
        let (minzoom, maxzoom) = Archive::zooms(self);
        let h = self.reader.header();
        json!({
            "tilejson": "3.0.0",
            "name": name,
            "scheme": "xyz",
            "tiles": [url],
            "minzoom": minzoom,
            "maxzoom": maxzoom,
            "bounds": self.bounds(),
            "center": [f64::from(h.center_e7[0]) / 1e7, f64::from(h.center_e7[1]) / 1e7, h.center_zoom],
            "vector_layers": self.metadata.get("vector_layers").cloned().unwrap_or(json!([])),
        })
    }

    fn tile(&self, t: TileCoord) -> Result<Bytes> {
        Archive::tile(self, t)
            .map(Option::unwrap_or_default)
            .map_err(|e| {
                AppError::Internal(format!("reading tile {t} of {}: {e}", self.path.display()))
            })
    }

    fn reads(&self) -> u64 {
        Archive::reads(self)
    }
}

/// A tile set as the service holds it.
pub type SharedTileSet = Arc<dyn TileSet>;
