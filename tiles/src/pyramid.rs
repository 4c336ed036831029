//! Builds a whole tile pyramid from a [`TileSource`] into a PMTiles archive.

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::encode::{encode_tile_layers, EncodeOptions};
use crate::gzip::gzip;
use crate::pmtiles::{tile_id, ArchiveInfo, ArchiveSummary, PmTilesError, PmTilesWriter};
use crate::source::TileSource;
use crate::tile::{tiles_covering, TileCoord, TileCoordError, MAX_ZOOM};
use crate::tilejson::vector_layers;

/// Tiles encoded in parallel before their bytes are written out in order: large enough to
/// keep every core busy, small enough that a batch of capped tiles stays within memory.
const BATCH: usize = 1024;

/// Errors of [`build_pyramid`].
#[derive(Debug, thiserror::Error)]
pub enum PyramidError {
    /// Zooms or bounds are not usable.
    #[error("invalid pyramid request: {0}")]
    Request(String),
    /// A zoom is above the maximum.
    #[error(transparent)]
    Tile(#[from] TileCoordError),
    /// Writing the archive failed.
    #[error(transparent)]
    Archive(#[from] PmTilesError),
}

/// Counts of one zoom of a built pyramid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoomStats {
    /// Zoom.
    pub z: u8,
    /// Tiles covering the bounds.
    pub tiles_checked: u64,
    /// Tiles with features (written).
    pub tiles_written: u64,
    /// Gzipped bytes of the written tiles (before deduplication).
    pub bytes: u64,
    /// Largest gzipped tile, bytes.
    pub max_tile_bytes: u64,
    /// Tiles that went over the size cap and were reduced.
    pub tiles_reduced: u64,
}

/// What [`build_pyramid`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PyramidStats {
    /// Per zoom, from minzoom.
    pub zooms: Vec<ZoomStats>,
    /// The archive.
    pub archive: ArchiveSummary,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Builds the tiles of `source` covering `bounds` (`[west, south, east, north]`, degrees)
/// from `minzoom` to `maxzoom` into the PMTiles archive `out`, on all cores.
///
/// Empty tiles are skipped. The archive is the same byte for byte for the same source and
/// arguments (tiles in tile-id order, fixed gzip level, no timestamps), is written to a
/// temporary file beside `out` and renamed over it. `progress(done, total)` is called after
/// each batch of tiles.
pub fn build_pyramid(
    source: &dyn TileSource,
    tileset_name: &str,
    bounds: [f64; 4],
    minzoom: u8,
    maxzoom: u8,
    out: &Path,
    progress: impl Fn(u64, u64),
) -> Result<PyramidStats, PyramidError> {
    let started = Instant::now();
    if minzoom > maxzoom || maxzoom > MAX_ZOOM {
        return Err(PyramidError::Request(format!(
            "zooms {minzoom}..{maxzoom}: need minzoom <= maxzoom <= {MAX_ZOOM}"
        )));
    }
    let [w, s, e, n] = bounds;
    if !(bounds.iter().all(|v| v.is_finite())
        && w < e
        && s < n
        && w >= -180.0
        && e <= 180.0
        && s >= -90.0
        && n <= 90.0)
    {
        return Err(PyramidError::Request(format!(
            "bounds {bounds:?}: need west < east and south < north, in degrees"
        )));
    }
    let layers = source.layers();
    let options = EncodeOptions::default();

    let mut tiles: Vec<(u64, TileCoord)> = Vec::new();
    for z in minzoom..=maxzoom {
        tiles.extend(tiles_covering(bounds, z)?.iter().map(|t| (tile_id(t), t)));
    }
    tiles.sort_unstable_by_key(|&(id, _)| id);
    let total = tiles.len() as u64;

    let mut zooms: Vec<ZoomStats> = (minzoom..=maxzoom)
        .map(|z| ZoomStats {
            z,
            tiles_checked: 0,
            tiles_written: 0,
            bytes: 0,
            max_tile_bytes: 0,
            tiles_reduced: 0,
        })
        .collect();
    let mut writer = PmTilesWriter::new(out)?;
    let mut done = 0u64;
    progress(0, total);
    for batch in tiles.chunks(BATCH) {
        let encoded: Vec<(u64, TileCoord, Option<Vec<u8>>, bool)> = batch
            .par_iter()
            .map(|&(id, t)| {
                let tile = encode_tile_layers(source, &layers, t, &options);
                let bytes = (!tile.is_empty()).then(|| gzip(&tile.bytes));
                (id, t, bytes, tile.reductions.is_some())
            })
            .collect();
        for (id, t, bytes, reduced) in encoded {
            let zs = &mut zooms[usize::from(t.z - minzoom)];
            zs.tiles_checked += 1;
            if let Some(b) = bytes {
                zs.tiles_written += 1;
                zs.bytes += b.len() as u64;
                zs.max_tile_bytes = zs.max_tile_bytes.max(b.len() as u64);
                zs.tiles_reduced += u64::from(reduced);
                writer.add_tile(id, &b)?;
            }
        }
        done += batch.len() as u64;
        progress(done, total);
    }

    let center_z = minzoom.max(maxzoom.saturating_sub(2));
    let metadata = serde_json::json!({
        "name": tileset_name,
        "format": "pbf",
        "type": "overlay",
        "generator": concat!("quyhoach-tiles ", env!("CARGO_PKG_VERSION")),
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "vector_layers": vector_layers(&layers, minzoom, maxzoom),
    });
    let archive = writer.finish(&ArchiveInfo {
        minzoom,
        maxzoom,
        bounds,
        center: [(w + e) / 2.0, (s + n) / 2.0, f64::from(center_z)],
        metadata,
    })?;
    Ok(PyramidStats {
        zooms,
        archive,
        seconds: started.elapsed().as_secs_f64(),
    })
}
