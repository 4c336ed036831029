//! Tile math, Mapbox Vector Tile encoding and PMTiles pyramids for quyhoach.
//!
//! This crate knows nothing of the store or the index: the server implements
//! [`TileSource`] on its index and calls [`encode_tile`] per request, or [`build_pyramid`]
//! for an archive. What a tile holds at each zoom is set per layer by a [`LayerSpec`].
//!
//! - [`tile`]: XYZ tile coordinates, Web Mercator, tiles covering a box.
//! - [`source`]: the source trait and layer rules; [`MemorySource`] for tests.
//! - `generalise`: projection to tile pixels, clipping, grid snapping (crack-free between
//!   adjacent polygons), dropping of small features.
//! - [`encode`] and [`mvt`]: MVT 2.1 encoding with the size cap; a small decoder.
//! - [`gzip`], [`pmtiles`], [`pyramid`], [`tilejson`].

pub mod encode;
mod generalise;
pub mod gzip;
pub mod mvt;
pub mod pmtiles;
pub mod pyramid;
pub mod source;
pub mod tile;
pub mod tilejson;

pub use encode::{
    encode_tile, encode_tile_layers, EncodeOptions, EncodedTile, Reductions, MAX_TILE_BYTES,
};
pub use pyramid::{build_pyramid, PyramidError, PyramidStats, ZoomStats};
pub use source::{
    AttrType, Attribute, GeomKind, LayerSpec, MemoryFeature, MemorySource, PropValue, Properties,
    SourceFeature, TileSource,
};
pub use tile::{
    lonlat_to_mercator, lonlat_to_world, mercator_to_lonlat, pixel_size_m, tiles_covering,
    world_to_lonlat, TileCoord, TileCoordError, TileRange, BUFFER, EXTENT, MAX_ZOOM,
};
pub use tilejson::tilejson;
