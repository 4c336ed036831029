//! The in-memory index of a store (the embedded backend) and the queries the server answers:
//! parcels at a point or by number, features in a box, type-ahead search; it answers the
//! planning report's questions through [`PlanningData`](crate::planning::PlanningData)
//! (see `records.rs`).
//!
//! [`Index::load`] reads every layer's FlatGeobuf once into compact arrays (one coordinate
//! array per layer, dictionary-encoded text columns; `private_*` columns are never read) and
//! indexes the features' bounding boxes per layer in a packed Hilbert R-tree ([`boxes`]).
//! All geometry is WGS 84 longitude/latitude; areas and distances in reports are computed in a metric projection
//! (see [`crate::planning::report`]).
//!
//! The index is immutable once loaded (`Send + Sync`): the server holds it in an `Arc` and
//! swaps in a new one after an import.

mod boxes;
mod geom;
pub mod lessons;
mod props;
mod records;
mod search;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use flatgeobuf::{ColumnType, FallibleStreamingIterator, FgbReader};
use geo::{Contains, Intersects};
use geo_types::{Coord, Point, Rect};
use geozero::{FeatureProperties, GeozeroGeometry};
use serde::Serialize;

use crate::encoding::fold;
use crate::lookup::{check_lon_lat, empty_commune, unknown_commune};
use crate::planning::MetricCache;
use crate::schema::{FieldType, Kind};
use crate::store::{Catalog, LayerEntry, Store, StoreError};

use crate::planning::{FeatureId, QueryError};
pub(crate) use search::{
    name_column, search as search_with, AddressVisit, CommuneTerm, LineVisit, ParcelFacts,
    SearchFeed,
};
pub use search::{
    renames, EntryKind, Found, Rename, SearchBuilder, SearchIndex, Suggestion, MAX_QUERY_CHARS,
    MAX_SEARCH_LIMIT,
};

pub use geom::geojson;
use geom::{FlatGeoms, FlatWriter};
use props::{Column, Columns};

/// Largest page of [`Index::features_in_bbox`]: a page of 1000 parcels is about 1 MB of
/// GeoJSON, as much as a phone on a weak connection should be sent at once.
pub const MAX_PAGE: usize = 1000;

/// Largest box of [`Index::features_in_bbox`], in square degrees (about 110 × 110 km near the
/// equator, a whole province): larger boxes would make the server count millions of features
/// for one request; whole layers are downloaded without a box, page by page.
pub const MAX_BBOX_AREA_DEG2: f64 = 1.0;

/// Errors while loading the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The store or its catalog cannot be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A layer file cannot be opened.
    #[error("cannot open layer '{layer}' ({path}): {source}")]
    Io {
        /// Layer id.
        layer: String,
        /// File path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A layer file is not valid FlatGeobuf or a feature cannot be decoded.
    #[error("cannot read layer '{layer}' ({path}): {reason}")]
    Read {
        /// Layer id.
        layer: String,
        /// File path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A layer holds more features than a [`FeatureId`] can number.
    #[error("layer '{0}' has more than 4 294 967 295 features")]
    TooManyFeatures(String),
}

/// A feature as served: geometry and public properties (never `private_*` columns).
#[derive(Debug, Clone, Serialize)]
pub struct FeatureOut {
    /// Layer id.
    pub layer: String,
    /// Feature id within the layer.
    pub id: FeatureId,
    /// WGS 84 geometry; serialised as a GeoJSON geometry object.
    #[serde(serialize_with = "geom::serialize_geojson")]
    pub geometry: geo_types::Geometry<f64>,
    /// Public properties.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// A type-ahead search result.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// `commune`, `hamlet`, `road`, `plan`, `parcel` or `place` (a commune of the 2025
    /// reorganisation outside the store, by its centre).
    pub kind: String,
    /// Shown to the user, in Vietnamese.
    pub label: String,
    /// E.g. the communes a road runs through, or a plan's decision.
    pub detail: Option<String>,
    /// Layer of the feature, if the hit is one.
    pub layer: Option<String>,
    /// Feature id, if the hit is one feature.
    pub id: Option<FeatureId>,
    /// WGS 84 box `[w, s, e, n]` to zoom the map to.
    pub bbox: Option<[f64; 4]>,
    /// Higher is better: 4 parcel number, 3 prefix (3.6 exact name), 2 word prefix, 1 substring, plus a bonus
    /// for shorter labels.
    pub score: f64,
    /// For parcels: commune code, sheet and parcel numbers (deep link
    /// `/parcels/{commune}/{sheet}/{parcel}`).
    pub parcel: Option<(String, i64, i64)>,
    /// For an old (pre-2025) commune name: what it is now ("Vĩnh Hòa Phú (trước 1/7/2025) →
    /// nay là xã Bình An, tỉnh An Giang").
    pub note: Option<String>,
}

/// One loaded layer.
pub(crate) struct Layer {
    pub id: String,
    pub entry: LayerEntry,
    pub geoms: FlatGeoms,
    pub columns: Columns,
    pub boxes: boxes::BoxIndex,
}

impl Layer {
    pub fn len(&self) -> usize {
        self.geoms.len()
    }

    pub fn str(&self, column: &str, id: FeatureId) -> Option<&str> {
        self.columns.get(column)?.str(id as usize)
    }

    pub fn int(&self, column: &str, id: FeatureId) -> Option<i64> {
        self.columns.get(column)?.int(id as usize)
    }

    pub fn double(&self, column: &str, id: FeatureId) -> Option<f64> {
        self.columns.get(column)?.double(id as usize)
    }

    /// Candidates whose bounding box intersects `[w, s, e, n]` (and perhaps one a few
    /// centimetres short of it, see [`boxes`]), in ascending id order.
    pub fn candidates(&self, b: [f64; 4]) -> impl Iterator<Item = FeatureId> + '_ {
        self.boxes.query(b).into_iter()
    }

    fn out(&self, id: FeatureId) -> FeatureOut {
        FeatureOut {
            layer: self.id.clone(),
            id,
            geometry: self.geoms.geometry(id as usize),
            properties: self.columns.properties(id as usize),
        }
    }

    fn heap_bytes(&self) -> usize {
        self.geoms.heap_bytes()
            + self
                .columns
                .columns
                .iter()
                .map(Column::heap_bytes)
                .sum::<usize>()
            + self.boxes.heap_bytes()
    }
}

/// A commune known from the boundaries or the parcels' commune codes.
#[derive(Debug, Clone)]
pub(crate) struct Commune {
    pub code: String,
    pub name: Option<String>,
    pub level: Option<String>,
    /// Folded name without the level word ("vinh thanh").
    pub folded: Option<String>,
    /// Boundary feature (layer index, id).
    pub boundary: Option<(usize, FeatureId)>,
}

/// A numbered parcel (layer index, feature id). [`Index::parcel_keys`] holds them sorted by
/// (commune, sheet, parcel, layer, id) for binary search; the numbers themselves are read
/// from the layer's columns ([`Index::key_numbers`]), so a key costs 8 bytes, not 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParcelKey {
    pub layer: u16,
    pub id: FeatureId,
}

/// Where a parcel layer keeps the numbers of its keys: the column positions of the commune
/// code, sheet and parcel number, and the commune (index into [`Index::communes`]) of each
/// code of the commune column's dictionary.
#[derive(Debug)]
struct KeyColumns {
    commune: usize,
    sheet: usize,
    parcel: usize,
    syms: Vec<u32>,
}

/// The loaded store.
pub struct Index {
    dir: PathBuf,
    catalog: Catalog,
    pub(crate) layers: Vec<Layer>,
    layer_pos: HashMap<String, usize>,
    pub(crate) communes: Vec<Commune>,
    commune_by_code: HashMap<String, u32>,
    pub(crate) parcel_keys: Vec<ParcelKey>,
    /// By layer index: where a parcel layer's key numbers are (None for other layers).
    key_columns: Vec<Option<KeyColumns>>,
    pub(crate) search: search::SearchIndex,
    /// Zones and red lines already projected for a report (see [`MetricCache`]).
    pub(crate) metric: MetricCache,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("dir", &self.dir)
            .field("layers", &self.layer_ids())
            .finish()
    }
}

/// Folds a commune name for matching and drops a leading level word ("Xã Vĩnh Thanh",
/// "phường 5" → "vinh thanh", "5").
pub(crate) fn commune_key(name: &str) -> String {
    let folded = normalize(name);
    for prefix in ["thi tran ", "phuong ", "xa ", "tt ", "p. ", "x. "] {
        if let Some(rest) = folded.strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    folded
}

/// Folds accents and case and collapses white space.
pub(crate) fn normalize(text: &str) -> String {
    fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks a `[w, s, e, n]` box: finite, ordered, on the globe and under the area cap.
pub fn check_bbox(b: [f64; 4]) -> Result<(), QueryError> {
    if b.iter().any(|v| !v.is_finite()) {
        return Err(QueryError::BadRequest(
            "bbox must be four finite numbers west,south,east,north (WGS 84 degrees)".into(),
        ));
    }
    let [w, s, e, n] = b;
    if w > e || s > n {
        return Err(QueryError::BadRequest(format!(
            "bbox {w},{s},{e},{n}: west must not exceed east nor south exceed north (order west,south,east,north)"
        )));
    }
    if w < -180.0 || e > 180.0 || s < -90.0 || n > 90.0 {
        return Err(QueryError::BadRequest(format!(
            "bbox {w},{s},{e},{n} is off the globe: longitudes −180…180, latitudes −90…90"
        )));
    }
    let area = (e - w) * (n - s);
    if area > MAX_BBOX_AREA_DEG2 {
        return Err(QueryError::TooLarge(format!(
            "bbox covers {area:.2} square degrees; at most {MAX_BBOX_AREA_DEG2} are answered at once (zoom in, or page through the layer without a bbox)"
        )));
    }
    Ok(())
}

fn load_layer(dir: &Path, id: &str, entry: &LayerEntry) -> Result<Layer, IndexError> {
    let path = dir.join(&entry.file);
    let read_err = |reason: String| IndexError::Read {
        layer: id.to_string(),
        path: path.clone(),
        reason,
    };
    let file = File::open(&path).map_err(|source| IndexError::Io {
        layer: id.to_string(),
        path: path.clone(),
        source,
    })?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let fgb = FgbReader::open(&mut reader).map_err(|e| read_err(e.to_string()))?;
    let header = fgb.header();
    let expected = header.features_count() as usize;
    if expected > u32::MAX as usize {
        return Err(IndexError::TooManyFeatures(id.to_string()));
    }
    let mut columns = Columns::default();
    if let Some(cols) = header.columns() {
        for c in cols.iter() {
            let name = c.name();
            if name.starts_with("private_") {
                columns.slot_of_file_column.push(None);
                continue;
            }
            let ty = entry
                .columns
                .iter()
                .find(|ci| ci.name == name)
                .map(|ci| ci.ty)
                .unwrap_or(match c.type_() {
                    ColumnType::Byte
                    | ColumnType::UByte
                    | ColumnType::Short
                    | ColumnType::UShort
                    | ColumnType::Int
                    | ColumnType::UInt
                    | ColumnType::Long
                    | ColumnType::ULong => FieldType::Int,
                    ColumnType::Float | ColumnType::Double => FieldType::Double,
                    _ => FieldType::String,
                });
            columns
                .slot_of_file_column
                .push(Some(columns.columns.len()));
            columns.columns.push(Column::new(name, ty));
        }
    }
    let mut geoms = FlatGeoms::new(entry.kind.is_polygonal());
    let mut iter = fgb.select_all().map_err(|e| read_err(e.to_string()))?;
    let mut n = 0usize;
    while let Some(feature) = iter.next().map_err(|e| read_err(e.to_string()))? {
        columns.begin_feature();
        let mut w = FlatWriter::new(&mut geoms);
        if feature.geometry().is_some() {
            feature
                .process_geom(&mut w)
                .map_err(|e| read_err(format!("feature {n}: {e}")))?;
        }
        w.finish_feature();
        feature
            .process_properties(&mut columns)
            .map_err(|e| read_err(format!("feature {n}: {e}")))?;
        n += 1;
        if n > u32::MAX as usize {
            return Err(IndexError::TooManyFeatures(id.to_string()));
        }
    }
    geoms.shrink();
    for c in &mut columns.columns {
        c.shrink();
    }
    let boxes = boxes::BoxIndex::build(&geoms);
    if expected != 0 && expected != geoms.len() {
        tracing::warn!(
            "layer {id}: header says {expected} features, read {}",
            geoms.len()
        );
    }
    Ok(Layer {
        id: id.to_string(),
        entry: entry.clone(),
        geoms,
        columns,
        boxes,
    })
}

impl Index {
    /// Reads the catalog and every layer, and builds the R-trees and lookup tables.
    pub fn load(store_dir: &Path) -> Result<Index, IndexError> {
        Self::load_with_progress(store_dir, false)
    }

    /// [`Index::load`], printing each layer as it is read when `progress` is set.
    pub fn load_with_progress(store_dir: &Path, progress: bool) -> Result<Index, IndexError> {
        let store = Store::open(store_dir)?;
        let catalog = store.catalog.clone();
        let t0 = std::time::Instant::now();
        // The parcel layer dominates; the other layers load on a second thread meanwhile.
        let entries: Vec<(&String, &LayerEntry)> = catalog.layers.iter().collect();
        let (big, small): (Vec<_>, Vec<_>) = entries
            .iter()
            .enumerate()
            .partition(|(_, (_, e))| e.kind == Kind::Parcels);
        let load_all = |list: Vec<(usize, &(&String, &LayerEntry))>| {
            list.into_iter()
                .map(|(i, (id, entry))| {
                    let t = std::time::Instant::now();
                    let layer = load_layer(store_dir, id, entry);
                    if progress {
                        eprintln!(
                            "loaded layer {id}: {} features in {:.2}s",
                            entry.count,
                            t.elapsed().as_secs_f64()
                        );
                    }
                    layer.map(|l| (i, l))
                })
                .collect::<Result<Vec<_>, IndexError>>()
        };
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| load_all(small));
            let a = load_all(big);
            let b = h
                .join()
                .unwrap_or_else(|_| Err(IndexError::TooManyFeatures("panic".into())));
            (a, b)
        });
        let mut loaded: Vec<(usize, Layer)> = a?.into_iter().chain(b?).collect();
        loaded.sort_by_key(|(i, _)| *i);
        let layers: Vec<Layer> = loaded.into_iter().map(|(_, l)| l).collect();
        let layer_pos = layers
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        let mut index = Index {
            dir: store_dir.to_path_buf(),
            catalog,
            layers,
            layer_pos,
            communes: Vec::new(),
            commune_by_code: HashMap::new(),
            parcel_keys: Vec::new(),
            key_columns: Vec::new(),
            search: search::SearchIndex::default(),
            metric: MetricCache::new(),
        };
        index.build_communes();
        // The index's own feed reads memory: it cannot fail.
        index.search = search::SearchIndex::build(&index).unwrap_or_default();
        if progress {
            eprintln!(
                "index ready: {} layers in {:.2}s, about {} MB",
                index.layers.len(),
                t0.elapsed().as_secs_f64(),
                index.heap_bytes() / 1_000_000
            );
        }
        Ok(index)
    }

    fn build_communes(&mut self) {
        let mut communes: Vec<Commune> = Vec::new();
        let mut by_code: HashMap<String, u32> = HashMap::new();
        for (li, layer) in self.layers.iter().enumerate() {
            if layer.entry.kind != Kind::Boundaries {
                continue;
            }
            for id in 0..layer.len() as FeatureId {
                let name = layer.str("name", id).map(str::to_string);
                let code = layer
                    .str("code", id)
                    .map(str::to_string)
                    .or_else(|| name.clone());
                let Some(code) = code else { continue };
                if by_code.contains_key(&code) {
                    continue;
                }
                by_code.insert(code.clone(), communes.len() as u32);
                communes.push(Commune {
                    folded: name.as_deref().map(commune_key),
                    level: layer.str("level", id).map(str::to_string),
                    name,
                    code,
                    boundary: Some((li, id)),
                });
            }
        }
        // Full keys while sorting (32 bytes each); only their (layer, id) is kept.
        let mut keys: Vec<(u32, i64, i64, u16, FeatureId)> = Vec::new();
        let mut key_columns: Vec<Option<KeyColumns>> = Vec::new();
        for (li, layer) in self.layers.iter().enumerate() {
            key_columns.push(None);
            if layer.entry.kind != Kind::Parcels {
                continue;
            }
            let (Some(ci), Some(si), Some(pi)) = (
                layer.columns.position("commune_code"),
                layer.columns.position("sheet"),
                layer.columns.position("parcel"),
            ) else {
                continue;
            };
            let cols = &layer.columns.columns;
            let (cc, sc, pc) = (&cols[ci], &cols[si], &cols[pi]);
            for id in 0..layer.len() {
                let (Some(code), Some(sheet), Some(parcel)) = (cc.str(id), sc.int(id), pc.int(id))
                else {
                    continue;
                };
                let sym = match by_code.get(code) {
                    Some(s) => *s,
                    None => {
                        let s = communes.len() as u32;
                        by_code.insert(code.to_string(), s);
                        communes.push(Commune {
                            code: code.to_string(),
                            name: None,
                            level: None,
                            folded: None,
                            boundary: None,
                        });
                        s
                    }
                };
                keys.push((sym, sheet, parcel, li as u16, id as FeatureId));
            }
            // Every code of a numbered parcel has its commune by now; others are never read.
            let syms = cc
                .dict_strings()
                .map(|code| by_code.get(code).copied().unwrap_or(u32::MAX))
                .collect();
            key_columns[li] = Some(KeyColumns {
                commune: ci,
                sheet: si,
                parcel: pi,
                syms,
            });
        }
        keys.sort_unstable();
        self.communes = communes;
        self.commune_by_code = by_code;
        self.parcel_keys = keys
            .into_iter()
            .map(|(_, _, _, layer, id)| ParcelKey { layer, id })
            .collect();
        self.key_columns = key_columns;
    }

    /// Heap memory held by the index, part by part (`layer/part`, bytes), for the memory
    /// report: geometry coordinates and offsets, each column, the R-tree (walked node by
    /// node), the parcel-number keys and the search index.
    pub fn heap_breakdown(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for l in &self.layers {
            out.push((format!("{}/coords", l.id), l.geoms.coords_bytes()));
            out.push((
                format!("{}/offsets", l.id),
                l.geoms.heap_bytes() - l.geoms.coords_bytes(),
            ));
            for c in &l.columns.columns {
                out.push((format!("{}/column {}", l.id, c.name), c.heap_bytes()));
            }
            out.push((format!("{}/rtree", l.id), l.boxes.heap_bytes()));
        }
        out.push(("parcel keys".into(), self.keys_heap_bytes()));
        out.push(("search".into(), self.search.heap_bytes()));
        out
    }

    /// Approximate heap memory held by the index, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.layers.iter().map(Layer::heap_bytes).sum::<usize>() + self.keys_heap_bytes()
    }

    fn keys_heap_bytes(&self) -> usize {
        self.parcel_keys.capacity() * std::mem::size_of::<ParcelKey>()
            + self
                .key_columns
                .iter()
                .flatten()
                .map(|kc| kc.syms.capacity() * 4)
                .sum::<usize>()
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The catalog as loaded.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Layer ids, in catalog order.
    pub fn layer_ids(&self) -> Vec<&str> {
        self.layers.iter().map(|l| l.id.as_str()).collect()
    }

    /// A layer's catalog entry.
    pub fn layer_entry(&self, layer: &str) -> Option<&LayerEntry> {
        self.layer(layer).map(|l| &l.entry)
    }

    pub(crate) fn layer(&self, layer: &str) -> Option<&Layer> {
        self.layer_pos.get(layer).map(|&i| &self.layers[i])
    }

    fn layer_or_404(&self, layer: &str) -> Result<&Layer, QueryError> {
        self.layer(layer).ok_or_else(|| {
            QueryError::NotFound(format!(
                "unknown layer '{layer}'; layers: {}",
                self.layer_ids().join(", ")
            ))
        })
    }

    /// One feature.
    pub fn feature(&self, layer: &str, id: FeatureId) -> Option<FeatureOut> {
        let l = self.layer(layer)?;
        ((id as usize) < l.len()).then(|| l.out(id))
    }

    /// Features whose geometry intersects the box `[w, s, e, n]` (every feature when `None`),
    /// ordered by id, `limit` from `offset`. Returns the page and the number matched.
    /// `limit` is at most [`MAX_PAGE`]; the box at most [`MAX_BBOX_AREA_DEG2`].
    pub fn features_in_bbox(
        &self,
        layer: &str,
        bbox: Option<[f64; 4]>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<FeatureOut>, usize), QueryError> {
        let l = self.layer_or_404(layer)?;
        if limit > MAX_PAGE {
            return Err(QueryError::TooLarge(format!(
                "limit {limit} is over the page size cap {MAX_PAGE}; page with offset"
            )));
        }
        let Some(b) = bbox else {
            let total = l.len();
            let page = (offset.min(total)..offset.saturating_add(limit).min(total))
                .map(|i| l.out(i as FeatureId))
                .collect();
            return Ok((page, total));
        };
        check_bbox(b)?;
        let rect = Rect::new(Coord { x: b[0], y: b[1] }, Coord { x: b[2], y: b[3] });
        let ids: Vec<FeatureId> = l
            .candidates(b)
            .filter(|&id| {
                let f = l.geoms.bbox(id as usize);
                let inside = f[0] >= b[0] && f[1] >= b[1] && f[2] <= b[2] && f[3] <= b[3];
                inside || l.geoms.geometry(id as usize).intersects(&rect)
            })
            .collect();
        let total = ids.len();
        let page = ids
            .iter()
            .skip(offset)
            .take(limit)
            .map(|&id| l.out(id))
            .collect();
        Ok((page, total))
    }

    /// Parcels containing the point (longitude, latitude): usually none or one; overlapping
    /// parcels all come back. A point on a shared boundary returns the parcels it touches.
    pub fn parcels_at(&self, lon: f64, lat: f64) -> Result<Vec<FeatureOut>, QueryError> {
        check_lon_lat(lon, lat)?;
        let p = Point::new(lon, lat);
        let mut inside = Vec::new();
        let mut touching = Vec::new();
        for l in self.layers.iter().filter(|l| l.entry.kind == Kind::Parcels) {
            for id in l.candidates([lon, lat, lon, lat]) {
                let mp = l.geoms.multipolygon(id as usize);
                if mp.contains(&p) {
                    inside.push((l, id));
                } else if mp.intersects(&p) {
                    touching.push((l, id));
                }
            }
        }
        let mut hits = if inside.is_empty() { touching } else { inside };
        hits.sort_by(|a, b| (&a.0.id, a.1).cmp(&(&b.0.id, b.1)));
        Ok(hits.into_iter().map(|(l, id)| l.out(id)).collect())
    }

    /// Communes matching a code or a name (accents, case and a leading "xã"/"phường"/"thị
    /// trấn" ignored). With `prefix`, names starting with the text match too.
    pub(crate) fn resolve_communes(&self, text: &str, prefix: bool) -> Vec<u32> {
        let t = text.trim();
        if let Some(&sym) = self.commune_by_code.get(t) {
            return vec![sym];
        }
        let key = commune_key(t);
        if key.is_empty() {
            return Vec::new();
        }
        let exact: Vec<u32> = (0..self.communes.len() as u32)
            .filter(|&i| self.communes[i as usize].folded.as_deref() == Some(key.as_str()))
            .collect();
        if !exact.is_empty() || !prefix {
            return exact;
        }
        (0..self.communes.len() as u32)
            .filter(|&i| {
                self.communes[i as usize]
                    .folded
                    .as_deref()
                    .is_some_and(|f| f.starts_with(&key))
            })
            .collect()
    }

    /// The (commune, sheet, parcel) numbers of a key, read from its layer's columns.
    pub(crate) fn key_numbers(&self, k: ParcelKey) -> (u32, i64, i64) {
        let numbers = || {
            let kc = self.key_columns.get(k.layer as usize)?.as_ref()?;
            let cols = &self.layers[k.layer as usize].columns.columns;
            let id = k.id as usize;
            let sym = *kc.syms.get(cols[kc.commune].code(id)? as usize)?;
            Some((sym, cols[kc.sheet].int(id)?, cols[kc.parcel].int(id)?))
        };
        // Every key was made from a parcel with all three numbers.
        numbers().unwrap_or((u32::MAX, i64::MAX, i64::MAX))
    }

    /// Parcel keys of one commune with a sheet and parcel number.
    pub(crate) fn keys_for(&self, commune: u32, sheet: i64, parcel: i64) -> &[ParcelKey] {
        let target = (commune, sheet, parcel);
        let start = self
            .parcel_keys
            .partition_point(|k| self.key_numbers(*k) < target);
        let end =
            start + self.parcel_keys[start..].partition_point(|k| self.key_numbers(*k) == target);
        &self.parcel_keys[start..end]
    }

    /// Parcels by commune (code, or name without accents such as "vinh thanh"), map sheet
    /// and parcel number. Duplicate numbers in a sheet all come back. An unknown commune is
    /// [`QueryError::NotFound`]; a known commune without that parcel gives an empty list.
    pub fn parcels_by_number(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<FeatureOut>, QueryError> {
        if commune.trim().is_empty() {
            return Err(empty_commune());
        }
        let syms = self.resolve_communes(commune, false);
        if syms.is_empty() {
            return Err(unknown_commune(commune));
        }
        let mut out = Vec::new();
        for sym in syms {
            for k in self.keys_for(sym, sheet, parcel) {
                out.push(self.layers[k.layer as usize].out(k.id));
            }
        }
        Ok(out)
    }

    /// The layer and id of each parcel [`Index::parcels_by_number`] returns, in the same
    /// order, without building the features (a few binary-search steps: for caches keyed by
    /// feature). Errors as [`Index::parcels_by_number`].
    pub fn parcel_ids_by_number(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<(&str, FeatureId)>, QueryError> {
        if commune.trim().is_empty() {
            return Err(QueryError::BadRequest("commune is empty".into()));
        }
        let syms = self.resolve_communes(commune, false);
        if syms.is_empty() {
            return Err(QueryError::NotFound(format!("unknown commune '{commune}'")));
        }
        let mut out = Vec::new();
        for sym in syms {
            for k in self.keys_for(sym, sheet, parcel) {
                out.push((self.layers[k.layer as usize].id.as_str(), k.id));
            }
        }
        Ok(out)
    }

    /// A commune's display name for a code (falls back to the code).
    pub(crate) fn commune_name(&self, code: &str) -> Option<&str> {
        self.commune_by_code
            .get(code)
            .and_then(|&s| self.communes[s as usize].name.as_deref())
    }
}

/// A value lent by [`FeatureRef::value`], borrowed from the index's columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// Text (dictionary-encoded in the index: this borrows the dictionary entry).
    Str(&'a str),
    /// Whole number.
    Int(i64),
    /// Real number.
    Double(f64),
}

/// One feature lent by [`Index::visit_bbox`]: its id and its public attribute values,
/// borrowed from the index (nothing is copied until a caller copies it).
#[derive(Clone, Copy)]
pub struct FeatureRef<'a> {
    layer: &'a Layer,
    id: FeatureId,
}

impl<'a> FeatureRef<'a> {
    /// Feature id within the layer (as in [`FeatureOut::id`]).
    pub fn id(&self) -> FeatureId {
        self.id
    }

    /// The value of a public column, None when the column is absent or the value null.
    pub fn value(&self, column: &str) -> Option<ValueRef<'a>> {
        let c = self.layer.columns.get(column)?;
        let i = self.id as usize;
        match &c.data {
            props::ColumnData::Str { .. } => c.str(i).map(ValueRef::Str),
            props::ColumnData::Int(v) => v.get(i).map(ValueRef::Int),
            props::ColumnData::Double(_) => c.double(i).map(ValueRef::Double),
        }
    }
}

impl crate::lookup::FeatureValues for FeatureRef<'_> {
    fn id(&self) -> FeatureId {
        self.id
    }

    fn value(&self, column: &str) -> Option<ValueRef<'_>> {
        FeatureRef::value(self, column)
    }
}

impl Index {
    /// Calls `visit` with every feature of `layer` whose bounding box meets `bbox`
    /// (`[w, s, e, n]`, WGS 84 degrees), lending its attributes and its geometry.
    ///
    /// For vector tiles: unlike [`Index::features_in_bbox`] there is no area cap, no exact
    /// intersection test (tile encoders clip anyway) and no copy of the attributes. The
    /// geometry is rebuilt from the layer's flat coordinate array for each call (a few
    /// hundred nanoseconds; the tile encoder spends far more per feature). Features come in
    /// the R-tree's order, which is the same on every call for the same arguments. An
    /// unknown layer is [`QueryError::NotFound`].
    pub fn visit_bbox(
        &self,
        layer: &str,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(FeatureRef<'_>, &geo_types::Geometry<f64>),
    ) -> Result<(), QueryError> {
        let l = self.layer_or_404(layer)?;
        if bbox.iter().any(|v| v.is_nan()) || bbox[0] > bbox[2] || bbox[1] > bbox[3] {
            return Ok(());
        }
        // One geometry refilled from feature to feature (see `geometry_into`).
        let mut g = geo_types::Geometry::MultiPolygon(geo_types::MultiPolygon::new(Vec::new()));
        let mut pool = Vec::new();
        for id in l.candidates(bbox) {
            // The R-tree's boxes are f32 (a candidate may miss by centimetres): the exact box
            // decides, so every store visits the same features.
            if !boxes_meet(&l.geoms.bbox(id as usize), &bbox) {
                continue;
            }
            l.geoms.geometry_into(id as usize, &mut g, &mut pool);
            visit(FeatureRef { layer: l, id }, &g);
        }
        Ok(())
    }
}

/// Whether two boxes `[w, s, e, n]` meet (touching counts; an empty box, NaN, meets none).
pub fn boxes_meet(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// Union of two boxes.
pub fn union_bbox(a: Option<[f64; 4]>, b: [f64; 4]) -> [f64; 4] {
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
