//! One tile from a [`TileSource`]: query each layer, generalise its features for the zoom
//! (see [`crate::generalise`]'s module docs for the choices), encode MVT, and keep the result
//! under [`MAX_TILE_BYTES`].
//!
//! # The size cap
//!
//! A tile over the cap is built again with the next step of [`LEVELS`], in this order, until
//! it fits:
//!
//! 1. a coarser grid: 2 then 4 tile pixels (shared edges still snap alike, so no cracks;
//!    lines are simplified with the same tolerance);
//! 2. only the essential attributes (ids and the land-use codes styles colour by);
//! 3. a grid of 8 pixels;
//!
//! and if the last level is still too big, the smallest features are dropped: a quarter of
//! the features of the layer that takes the most bytes, smallest area (or length) first,
//! repeatedly, until it fits. Fixed size thresholds would wipe out a whole layer of equal
//! parcels at once; dropping by rank keeps the largest. [`EncodedTile::reductions`] says
//! what was done.

use serde::Serialize;

use crate::generalise::{self, Frame, TileGeom};
use crate::mvt::proto;
use crate::mvt::write::{Commands, LayerWriter, ValueTable};
use crate::source::{GeomKind, LayerSpec, TileSource};
use crate::tile::{TileCoord, BUFFER};

/// Largest encoded (uncompressed) tile, bytes. MapLibre and Mapbox recommend tiles under
/// 500 KB; on a weak rural 3G link (~1 Mbit/s) one such tile, gzipped to ~150 KB, still loads
/// in about a second.
pub const MAX_TILE_BYTES: usize = 500 * 1024;

/// One step of generalisation: grid in tile pixels and whether only essential attributes are
/// kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// Snapping grid in tile pixels (and Douglas–Peucker tolerance for lines).
    pub grid_px: i64,
    /// Only attributes marked essential.
    pub essential_only: bool,
}

/// The generalisation levels tried in order when a tile is over the cap (level 0 is full
/// detail).
pub const LEVELS: [Level; 5] = [
    Level {
        grid_px: 1,
        essential_only: false,
    },
    Level {
        grid_px: 2,
        essential_only: false,
    },
    Level {
        grid_px: 4,
        essential_only: false,
    },
    Level {
        grid_px: 4,
        essential_only: true,
    },
    Level {
        grid_px: 8,
        essential_only: true,
    },
];

/// Options of [`encode_tile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Cap on the encoded size, bytes.
    pub max_tile_bytes: usize,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            max_tile_bytes: MAX_TILE_BYTES,
        }
    }
}

/// What was done to keep a tile under the cap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reductions {
    /// Index in [`LEVELS`] of the level used.
    pub level: usize,
    /// Its grid, tile pixels.
    pub grid_px: i64,
    /// Whether only essential attributes were kept.
    pub essential_attributes_only: bool,
    /// Features dropped after the last level, smallest first.
    pub features_dropped: usize,
    /// Size at full detail, bytes.
    pub bytes_full_detail: usize,
}

/// An encoded tile.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedTile {
    /// The tile.
    pub coord: TileCoord,
    /// MVT bytes (not compressed); empty when no layer has a feature here.
    pub bytes: Vec<u8>,
    /// Features per layer, in layer order (layers without features are left out).
    pub layers: Vec<(String, usize)>,
    /// None when the tile fit at full detail.
    pub reductions: Option<Reductions>,
}

impl EncodedTile {
    /// Whether no feature is in the tile.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Number of features over all layers.
    pub fn feature_count(&self) -> usize {
        self.layers.iter().map(|(_, n)| n).sum()
    }
}

/// A generalised feature, ready to encode.
struct GenFeature {
    id: Option<u64>,
    geom: TileGeom,
    /// Unclipped area (px²) or length (px), to drop the smallest first.
    size: f64,
    /// Its attributes: `tags[start..end]` of its [`GenLayer`].
    tags: (u32, u32),
}

/// A layer's generalised features, their attributes as (index in the layer spec's
/// `attributes`, index in `values`), and the layer's distinct values.
#[derive(Default)]
struct GenLayer {
    feats: Vec<GenFeature>,
    tags: Vec<(u16, u32)>,
    values: ValueTable,
}

/// Encodes the tile `coord` of `source` with the source's layers.
pub fn encode_tile(
    source: &dyn TileSource,
    coord: TileCoord,
    options: &EncodeOptions,
) -> EncodedTile {
    encode_tile_layers(source, &source.layers(), coord, options)
}

/// Encodes the tile `coord` of `source` with the given layers (a pyramid asks the source for
/// its layers once).
pub fn encode_tile_layers(
    source: &dyn TileSource,
    layers: &[LayerSpec],
    coord: TileCoord,
    options: &EncodeOptions,
) -> EncodedTile {
    let mut full_size = 0;
    let mut last = Vec::new();
    for (li, level) in LEVELS.iter().enumerate() {
        let gen = generalise_layers(source, layers, coord, level);
        let bytes = encode_layers(layers, &gen);
        if li == 0 {
            full_size = bytes.len();
        }
        if bytes.len() <= options.max_tile_bytes {
            return finish(
                coord,
                layers,
                &gen,
                bytes,
                (li > 0).then(|| reductions(li, 0, full_size)),
            );
        }
        last = gen;
    }
    // Still too big: drop the smallest quarter of the largest layer until it fits.
    let li = LEVELS.len() - 1;
    for l in &mut last {
        l.feats
            .sort_by(|a, b| b.size.total_cmp(&a.size).then(a.id.cmp(&b.id)));
    }
    let mut dropped = 0;
    loop {
        let mut sorted: Vec<Vec<&GenFeature>> =
            last.iter().map(|l| l.feats.iter().collect()).collect();
        for feats in &mut sorted {
            feats.sort_by_key(|f| f.id.map_or((1, 0), |id| (0, id)));
        }
        let (bytes, layer_sizes) = encode_sorted(layers, &last, &sorted);
        if bytes.len() <= options.max_tile_bytes || last.iter().all(|l| l.feats.is_empty()) {
            return finish(
                coord,
                layers,
                &last,
                bytes,
                Some(reductions(li, dropped, full_size)),
            );
        }
        let biggest = (0..last.len())
            .max_by_key(|&i| (layer_sizes[i], usize::MAX - i))
            .unwrap_or(0);
        let feats = &mut last[biggest].feats;
        let keep = feats.len() - feats.len().div_ceil(4);
        dropped += feats.len() - keep;
        feats.truncate(keep);
    }
}

fn reductions(level: usize, dropped: usize, full: usize) -> Reductions {
    let l = LEVELS[level];
    Reductions {
        level,
        grid_px: l.grid_px,
        essential_attributes_only: l.essential_only,
        features_dropped: dropped,
        bytes_full_detail: full,
    }
}

fn finish(
    coord: TileCoord,
    layers: &[LayerSpec],
    gen: &[GenLayer],
    bytes: Vec<u8>,
    reductions: Option<Reductions>,
) -> EncodedTile {
    EncodedTile {
        coord,
        bytes,
        layers: layers
            .iter()
            .zip(gen)
            .filter(|(_, g)| !g.feats.is_empty())
            .map(|(l, g)| (l.name.clone(), g.feats.len()))
            .collect(),
        reductions,
    }
}

fn generalise_layers(
    source: &dyn TileSource,
    layers: &[LayerSpec],
    coord: TileCoord,
    level: &Level,
) -> Vec<GenLayer> {
    let frame = Frame::new(coord, level.grid_px);
    let bbox = coord.buffered_bounds_lonlat(BUFFER);
    let mut scratch = generalise::Scratch::default();
    layers
        .iter()
        .map(|spec| {
            let mut layer = GenLayer::default();
            if !spec.visible_at(coord.z) {
                return layer;
            }
            let attrs: Vec<(u16, &str)> = spec
                .attributes
                .iter()
                .enumerate()
                .filter(|(_, a)| a.minzoom <= coord.z && (a.essential || !level.essential_only))
                .map(|(i, a)| (i as u16, a.name.as_str()))
                .collect();
            let (min_area, min_length) = (spec.min_area_px2, spec.min_length_px);
            source.query(&spec.name, bbox, &mut |f| {
                let g = match spec.kind {
                    GeomKind::Polygon => {
                        generalise::polygons(&frame, f.geometry, min_area, &mut scratch)
                    }
                    GeomKind::Line => generalise::lines(&frame, f.geometry, min_length),
                    GeomKind::Point => generalise::points(&frame, f.geometry),
                };
                let Some((geom, size)) = g else { return };
                let start = layer.tags.len() as u32;
                for &(slot, name) in &attrs {
                    if let Some(v) = f.properties.get(name) {
                        let i = layer.values.intern(v);
                        layer.tags.push((slot, i));
                    }
                }
                layer.feats.push(GenFeature {
                    id: f.id,
                    geom,
                    size,
                    tags: (start, layer.tags.len() as u32),
                });
            });
            // Features in id order (those without an id last, in source order): the same
            // bytes whatever order the source visits them in.
            layer
                .feats
                .sort_by_key(|f| f.id.map_or((1, 0), |id| (0, id)));
            layer
        })
        .collect()
}

fn encode_layers(layers: &[LayerSpec], gen: &[GenLayer]) -> Vec<u8> {
    let refs: Vec<Vec<&GenFeature>> = gen.iter().map(|l| l.feats.iter().collect()).collect();
    encode_sorted(layers, gen, &refs).0
}

/// The tile's bytes and each layer's encoded size.
fn encode_sorted(
    layers: &[LayerSpec],
    gen: &[GenLayer],
    order: &[Vec<&GenFeature>],
) -> (Vec<u8>, Vec<usize>) {
    let mut tile = Vec::new();
    let mut sizes = vec![0; layers.len()];
    let mut cmds = Commands::new();
    for (li, ((spec, layer), feats)) in layers.iter().zip(gen).zip(order).enumerate() {
        if feats.is_empty() {
            continue;
        }
        let names: Vec<&str> = spec.attributes.iter().map(|a| a.name.as_str()).collect();
        let mut b = LayerWriter::new(&spec.name, names.len());
        for f in feats {
            cmds.clear();
            let ty = match &f.geom {
                TileGeom::Polygons(ps) => {
                    cmds.polygons(ps);
                    proto::GEOM_POLYGON
                }
                TileGeom::Lines(ls) => {
                    cmds.lines(ls);
                    proto::GEOM_LINESTRING
                }
                TileGeom::Points(ps) => {
                    cmds.points(ps);
                    proto::GEOM_POINT
                }
            };
            let tags = &layer.tags[f.tags.0 as usize..f.tags.1 as usize];
            b.add(f.id, ty, &cmds.out, tags, &layer.values, &names);
        }
        sizes[li] = b.finish(&mut tile);
    }
    (tile, sizes)
}
