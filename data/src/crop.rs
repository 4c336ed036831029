//! Cropping a store to an area: a new store holding, of every layer, the features that
//! intersect a box, with the plans and the layers' metadata kept (the offline workshop kit
//! carries one commune, not a province).
//!
//! Each layer is read through its own packed R-tree (only the candidates in the box are
//! read), every candidate is tested against the box itself (a feature whose bounding box
//! overlaps the box but whose shape does not reach into it is left out, as GDAL's spatial
//! filter does), and the features are copied unchanged — geometry and every property, in
//! the file's own column order — into a FlatGeobuf file with a packed R-tree that the
//! destination store commits atomically ([`Store::commit_layer`]). Personal data kept with
//! `--keep-personal` (`private_*` columns) is not copied: a kit goes to a laptop.
//!
//! A layer with no feature in the box is left out of the cropped store (its plans stay in
//! the catalog).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use flatgeobuf::{ColumnType, FallibleStreamingIterator, FgbReader};
use geo::{BoundingRect, Intersects};
use geo_types::{coord, Rect};
use geozero::{ColumnValue, FeatureProperties, PropertyProcessor, ToGeo};
use sha2::{Digest, Sha256};

use crate::schema::Kind;
use crate::store::{Store, StoreError};

/// Metres per degree of latitude (and of longitude at the equator), for the margin.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum CropError {
    /// The source or destination store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A layer file cannot be read.
    #[error("cannot read layer {layer} ({path}): {reason}")]
    Read {
        /// Layer id.
        layer: String,
        /// Its file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A cropped layer cannot be written.
    #[error("cannot write the cropped layer {layer}: {reason}")]
    Write {
        /// Layer id.
        layer: String,
        /// What went wrong.
        reason: String,
    },
    /// No boundary carries the commune code.
    #[error("no commune with code '{code}' in the store's boundaries layers{known}")]
    UnknownCommune {
        /// The code asked for.
        code: String,
        /// `" (codes: a, b, …)"`, a few of the codes there are, or empty.
        known: String,
    },
    /// The box is not a box.
    #[error("the area to crop to is not a valid box west,south,east,north: {0:?}")]
    BadBox([f64; 4]),
    /// The destination already holds a store.
    #[error("{0} already holds a store; crop into a new directory")]
    DestinationNotEmpty(PathBuf),
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, CropError>;

/// One layer of a crop.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LayerCrop {
    /// Layer id.
    pub id: String,
    /// Its kind.
    pub kind: Kind,
    /// Features in the source store.
    pub source_count: u64,
    /// Features kept (intersecting the box).
    pub count: u64,
    /// Whether the layer is in the cropped store (no: no feature in the box).
    pub kept: bool,
    /// `private_*` columns left out.
    pub personal_columns_dropped: Vec<String>,
}

/// What a crop did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CropReport {
    /// The box cropped to, WGS 84 `[west, south, east, north]`.
    pub bbox: [f64; 4],
    /// Each source layer.
    pub layers: Vec<LayerCrop>,
    /// Plans copied.
    pub plans: usize,
}

/// A commune found in the boundaries layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// Its code.
    pub code: String,
    /// Its name, when the boundary has one.
    pub name: Option<String>,
    /// The bounding box of its boundary, WGS 84 `[west, south, east, north]`.
    pub bbox: [f64; 4],
}

/// A commune's boundary (every boundaries layer's features whose `code` is `code`): its
/// name and bounding box.
pub fn find_commune(store: &Store, code: &str) -> Result<Commune> {
    let mut found: Option<[f64; 4]> = None;
    let mut name: Option<String> = None;
    let mut known: Vec<String> = Vec::new();
    for (id, entry) in &store.catalog.layers {
        if entry.kind != Kind::Boundaries {
            continue;
        }
        let path = store.layer_path(entry);
        let read_err = |reason: String| CropError::Read {
            layer: id.clone(),
            path: path.clone(),
            reason,
        };
        let file = File::open(&path).map_err(|e| read_err(e.to_string()))?;
        let mut reader = BufReader::new(file);
        let mut features = FgbReader::open(&mut reader)
            .and_then(|r| r.select_all())
            .map_err(|e| read_err(e.to_string()))?;
        while let Some(f) = features.next().map_err(|e| read_err(e.to_string()))? {
            let Ok(c) = f.property::<String>("code") else {
                continue;
            };
            if c != code {
                if known.len() < 12 && !known.contains(&c) {
                    known.push(c);
                }
                continue;
            }
            if name.is_none() {
                name = f.property::<String>("name").ok().filter(|n| !n.is_empty());
            }
            let g = f.to_geo().map_err(|e| read_err(e.to_string()))?;
            if let Some(r) = g.bounding_rect() {
                let b = [r.min().x, r.min().y, r.max().x, r.max().y];
                found = Some(union(found, b));
            }
        }
    }
    let bbox = found.ok_or_else(|| CropError::UnknownCommune {
        code: code.to_string(),
        known: if known.is_empty() {
            String::new()
        } else {
            known.sort();
            format!(" (codes there: {})", known.join(", "))
        },
    })?;
    Ok(Commune {
        code: code.to_string(),
        name,
        bbox,
    })
}

/// A box widened by `metres` on every side (degrees of longitude shrink with the cosine of
/// the latitude; the box's latitude farthest from the equator is used, so the margin is at
/// least `metres` everywhere).
pub fn widen_bbox(b: [f64; 4], metres: f64) -> [f64; 4] {
    let metres = if metres.is_finite() {
        metres.max(0.0)
    } else {
        0.0
    };
    let dlat = metres / METRES_PER_DEGREE;
    let lat = b[1].abs().max(b[3].abs()).min(89.0);
    let dlon = metres / (METRES_PER_DEGREE * lat.to_radians().cos());
    [
        (b[0] - dlon).max(-180.0),
        (b[1] - dlat).max(-90.0),
        (b[2] + dlon).min(180.0),
        (b[3] + dlat).min(90.0),
    ]
}

fn union(a: Option<[f64; 4]>, b: [f64; 4]) -> [f64; 4] {
    match a {
        None => b,
        Some(a) => [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ],
    }
}

/// Passes a feature's properties on under the destination's column numbers, dropping the
/// columns that are not copied.
struct Remap<'a, P: PropertyProcessor> {
    inner: &'a mut P,
    /// Destination column of each source column (`None`: dropped).
    map: &'a [Option<usize>],
    /// The first error of the writer, if any.
    error: Option<String>,
}

impl<P: PropertyProcessor> PropertyProcessor for Remap<'_, P> {
    fn property(
        &mut self,
        i: usize,
        name: &str,
        value: &ColumnValue,
    ) -> geozero::error::Result<bool> {
        let Some(Some(j)) = self.map.get(i) else {
            return Ok(false);
        };
        if let Err(e) = self.inner.property(*j, name, value) {
            self.error.get_or_insert(e.to_string());
            return Ok(true);
        }
        Ok(false)
    }
}

/// Crops `source` to `bbox` into a new store at `dest` (created; it must not hold a store
/// already). `progress(layer, done, total)` is called as each layer's features are copied.
/// On error the destination may hold a partial store: callers write into a temporary
/// directory and remove it on failure (as `quyhoach workshop pack` does).
pub fn crop_store(
    source: &Store,
    dest: &Path,
    bbox: [f64; 4],
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<CropReport> {
    if !(bbox.iter().all(|v| v.is_finite()) && bbox[0] <= bbox[2] && bbox[1] <= bbox[3]) {
        return Err(CropError::BadBox(bbox));
    }
    let mut out = Store::open_or_create(dest)?;
    if !out.catalog.layers.is_empty() || !out.catalog.plans.is_empty() {
        return Err(CropError::DestinationNotEmpty(dest.to_path_buf()));
    }
    let lock = out.lock()?;
    let rect = Rect::new(
        coord! { x: bbox[0], y: bbox[1] },
        coord! { x: bbox[2], y: bbox[3] },
    );
    let mut report = CropReport {
        bbox,
        layers: Vec::new(),
        plans: 0,
    };
    for (id, entry) in &source.catalog.layers {
        let path = source.layer_path(entry);
        let read_err = |reason: String| CropError::Read {
            layer: id.clone(),
            path: path.clone(),
            reason,
        };
        let write_err = |reason: String| CropError::Write {
            layer: id.clone(),
            reason,
        };
        let file = File::open(&path).map_err(|e| read_err(e.to_string()))?;
        let mut reader = BufReader::new(file);
        let fgb = FgbReader::open(&mut reader).map_err(|e| read_err(e.to_string()))?;
        let header = fgb.header();
        let geometry_type = header.geometry_type();
        let title = header.title().unwrap_or(id.as_str()).to_string();
        let source_count = header.features_count();
        // The file's columns, less the personal ones.
        let mut columns: Vec<(String, ColumnType)> = Vec::new();
        let mut map: Vec<Option<usize>> = Vec::new();
        let mut dropped: Vec<String> = Vec::new();
        if let Some(cols) = header.columns() {
            for c in cols.iter() {
                if c.name().starts_with("private_") {
                    dropped.push(c.name().to_string());
                    map.push(None);
                } else {
                    map.push(Some(columns.len()));
                    columns.push((c.name().to_string(), c.type_()));
                }
            }
        }
        let mut writer = crate::import::store_layer_writer(id, &title, geometry_type)
            .map_err(|e| write_err(e.to_string()))?;
        for (name, ty) in &columns {
            writer.add_column(name, *ty, |_, col| col.nullable = true);
        }
        let mut bounds: Option<[f64; 4]> = None;
        let mut count: u64 = 0;
        if source_count > 0 {
            let mut features = fgb
                .select_bbox(bbox[0], bbox[1], bbox[2], bbox[3])
                .map_err(|e| read_err(e.to_string()))?;
            let total = features.features_count().unwrap_or(0) as u64;
            let mut seen: u64 = 0;
            while let Some(f) = features.next().map_err(|e| read_err(e.to_string()))? {
                seen += 1;
                if seen.is_multiple_of(4096) {
                    progress(id, seen, total);
                }
                let g = f.to_geo().map_err(|e| read_err(e.to_string()))?;
                if !g.intersects(&rect) {
                    continue;
                }
                if let Some(r) = g.bounding_rect() {
                    bounds = Some(union(bounds, [r.min().x, r.min().y, r.max().x, r.max().y]));
                }
                let mut error = None;
                writer
                    .add_feature_geom(g, |w| {
                        let mut remap = Remap {
                            inner: w,
                            map: &map,
                            error: None,
                        };
                        if let Err(e) = f.process_properties(&mut remap) {
                            error = Some(e.to_string());
                        }
                        if let Some(e) = remap.error {
                            error = Some(e);
                        }
                    })
                    .map_err(|e| write_err(e.to_string()))?;
                if let Some(e) = error {
                    return Err(read_err(e));
                }
                count += 1;
            }
            progress(id, total, total);
        }
        let kept = count > 0;
        report.layers.push(LayerCrop {
            id: id.clone(),
            kind: entry.kind,
            source_count,
            count,
            kept,
            personal_columns_dropped: dropped,
        });
        let Some(bounds) = bounds.filter(|_| kept) else {
            continue;
        };
        let temp = out.temp_path(id);
        let sha256 = {
            let file = File::create(&temp).map_err(|e| write_err(format!("{e}")))?;
            let mut w = crate::import::HashingWriter {
                inner: BufWriter::new(file),
                hash: Sha256::new(),
            };
            let written = writer
                .write(&mut w)
                .map_err(|e| e.to_string())
                .and_then(|_| w.flush().map_err(|e| e.to_string()));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&temp);
                return Err(write_err(e));
            }
            format!("{:x}", w.hash.finalize())
        };
        let mut new_entry = entry.clone();
        new_entry.count = count;
        new_entry.bounds = bounds;
        new_entry.sha256 = sha256;
        new_entry
            .columns
            .retain(|c| !c.name.starts_with("private_"));
        new_entry
            .summary
            .insert("cropped_from".into(), source_count);
        if let Err(e) = out.commit_layer(&lock, id, &temp, new_entry) {
            let _ = std::fs::remove_file(&temp);
            return Err(e.into());
        }
    }
    report.plans = source.catalog.plans.len();
    out.put_plans(&lock, source.catalog.plans.values().cloned().collect())?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_adds_the_margin_in_metres() {
        let b = widen_bbox([105.0, 10.0, 105.01, 10.01], 1000.0);
        let dlat = (10.0 - b[1]) * METRES_PER_DEGREE;
        assert!((dlat - 1000.0).abs() < 1e-6, "{dlat}");
        let dlon = (105.0 - b[0]) * METRES_PER_DEGREE * 10.01_f64.to_radians().cos();
        assert!((dlon - 1000.0).abs() < 1e-6, "{dlon}");
        assert_eq!(
            widen_bbox([1.0, 2.0, 3.0, 4.0], f64::NAN),
            [1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(widen_bbox([1.0, 2.0, 3.0, 4.0], -5.0), [1.0, 2.0, 3.0, 4.0]);
    }
}
