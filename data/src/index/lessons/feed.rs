//! What the lesson generator reads of a store besides its reports: the numbered parcels in
//! the index's key order, the zones' and red lines' columns, boxes and geometry, and the
//! parcels' areas, boxes and geometry — [`LessonFeed`]. The index lends its own
//! ([`IndexFeed`]); the PostGIS store reads the same facts from its rows once per generation
//! (`pg/lessons.rs`) into [`HeldLayer`]s built with the index's own geometry and R-tree code,
//! so the picks and the answers are the same for the same data.

use std::ops::Range;

use geo_types::MultiPolygon;
use geozero::GeozeroGeometry;

use super::super::boxes::BoxIndex;
use super::super::geom::{FlatGeoms, FlatWriter};
use super::super::Index;
use crate::planning::{FeatureId, QueryError};

/// A store the lessons can be generated from: a supertrait of [`crate::lookup::Store`].
pub trait LessonSource {
    /// The lesson facts of this version of the data (the index lends its own; PostGIS reads
    /// them from its rows now, the parcels' geometry on demand).
    fn lesson_feed(&self) -> Result<Box<dyn LessonFeed + '_>, QueryError>;
}

impl LessonSource for Index {
    fn lesson_feed(&self) -> Result<Box<dyn LessonFeed + '_>, QueryError> {
        Ok(Box::new(IndexFeed(self)))
    }
}

/// The facts the pickers read, by layer position in the catalog (`li`) and feature id.
///
/// The numbered parcels ("keys") are sorted as the index sorts them: by commune (the index's
/// commune order: boundaries first, then the codes of the parcels), sheet, number, layer
/// and id. Columns are read as the index reads them (a number parsed from text, and so on).
pub trait LessonFeed {
    /// Features of a layer.
    fn len(&self, li: usize) -> usize;
    /// Numbered parcels.
    fn key_count(&self) -> usize;
    /// The `i`-th numbered parcel: layer position, id.
    fn key(&self, i: usize) -> (usize, FeatureId);
    /// The `i`-th numbered parcel's commune (symbol), sheet and number.
    fn key_numbers(&self, i: usize) -> (u32, i64, i64);
    /// Positions of the keys of a commune (symbol), sheet and number.
    fn keys_for(&self, sym: u32, sheet: i64, parcel: i64) -> Range<usize>;
    /// A parcel's commune code, commune symbol, sheet and number, when it is numbered.
    fn parcel_numbers(&self, li: usize, id: FeatureId) -> Option<(String, u32, i64, i64)>;
    /// A text cell of a zone or red line.
    fn str(&self, li: usize, column: &str, id: FeatureId) -> Option<&str>;
    /// A whole-number cell of a zone.
    fn int(&self, li: usize, column: &str, id: FeatureId) -> Option<i64>;
    /// A number cell of a zone, or a parcel's `area_m2`.
    fn double(&self, li: usize, column: &str, id: FeatureId) -> Option<f64>;
    /// A feature's box (NaN when it has no geometry).
    fn bbox(&self, li: usize, id: FeatureId) -> [f64; 4];
    /// A polygonal feature's geometry.
    fn multipolygon(&self, li: usize, id: FeatureId) -> MultiPolygon<f64>;
    /// Zones or red lines whose box meets `b` (as the index's R-tree finds them), by id.
    fn candidates(&self, li: usize, b: [f64; 4]) -> Vec<FeatureId>;
    /// Parcels of a layer whose box meets `b` (perhaps a few more), by id, with geometry.
    fn parcels_near(&self, li: usize, b: [f64; 4]) -> Vec<(FeatureId, MultiPolygon<f64>)>;
    /// The distinct values of a layer's `landuse` text column.
    fn landuse_values(&self, li: usize) -> Vec<&str>;
    /// The parcels the pickers read next (a store that reads them from elsewhere reads them
    /// all at once).
    fn prefetch(&self, parcels: &[(usize, FeatureId)]) {
        let _ = parcels;
    }
}

/// The index's own facts.
pub(super) struct IndexFeed<'a>(pub(super) &'a Index);

impl LessonFeed for IndexFeed<'_> {
    fn len(&self, li: usize) -> usize {
        self.0.layers.get(li).map_or(0, |l| l.len())
    }

    fn key_count(&self) -> usize {
        self.0.parcel_keys.len()
    }

    fn key(&self, i: usize) -> (usize, FeatureId) {
        let k = self.0.parcel_keys[i];
        (k.layer as usize, k.id)
    }

    fn key_numbers(&self, i: usize) -> (u32, i64, i64) {
        self.0.key_numbers(self.0.parcel_keys[i])
    }

    fn keys_for(&self, sym: u32, sheet: i64, parcel: i64) -> Range<usize> {
        let ix = self.0;
        let target = (sym, sheet, parcel);
        let start = ix
            .parcel_keys
            .partition_point(|k| ix.key_numbers(*k) < target);
        let end = start + ix.parcel_keys[start..].partition_point(|k| ix.key_numbers(*k) == target);
        start..end
    }

    fn parcel_numbers(&self, li: usize, id: FeatureId) -> Option<(String, u32, i64, i64)> {
        let l = self.0.layers.get(li)?;
        let code = l.str("commune_code", id)?;
        let sheet = l.int("sheet", id)?;
        let parcel = l.int("parcel", id)?;
        let sym = *self.0.commune_by_code.get(code)?;
        Some((code.to_string(), sym, sheet, parcel))
    }

    fn str(&self, li: usize, column: &str, id: FeatureId) -> Option<&str> {
        self.0.layers.get(li)?.str(column, id)
    }

    fn int(&self, li: usize, column: &str, id: FeatureId) -> Option<i64> {
        self.0.layers.get(li)?.int(column, id)
    }

    fn double(&self, li: usize, column: &str, id: FeatureId) -> Option<f64> {
        self.0.layers.get(li)?.double(column, id)
    }

    fn bbox(&self, li: usize, id: FeatureId) -> [f64; 4] {
        self.0
            .layers
            .get(li)
            .map_or([f64::NAN; 4], |l| l.geoms.bbox(id as usize))
    }

    fn multipolygon(&self, li: usize, id: FeatureId) -> MultiPolygon<f64> {
        self.0.layers.get(li).map_or(MultiPolygon(Vec::new()), |l| {
            l.geoms.multipolygon(id as usize)
        })
    }

    fn candidates(&self, li: usize, b: [f64; 4]) -> Vec<FeatureId> {
        self.0
            .layers
            .get(li)
            .map_or_else(Vec::new, |l| l.candidates(b).collect())
    }

    fn parcels_near(&self, li: usize, b: [f64; 4]) -> Vec<(FeatureId, MultiPolygon<f64>)> {
        let Some(l) = self.0.layers.get(li) else {
            return Vec::new();
        };
        l.candidates(b)
            .map(|id| (id, l.geoms.multipolygon(id as usize)))
            .collect()
    }

    fn landuse_values(&self, li: usize) -> Vec<&str> {
        self.0
            .layers
            .get(li)
            .and_then(|l| l.columns.get("landuse"))
            .map_or_else(Vec::new, |c| c.dict_strings().collect())
    }
}

/// A cell of a [`HeldLayer`], read as the index reads its columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HeldValue {
    /// Text.
    Str(String),
    /// Whole number.
    Int(i64),
    /// Real number.
    Double(f64),
    /// Null, or no such column.
    Null,
}

impl HeldValue {
    fn str(&self) -> Option<&str> {
        match self {
            HeldValue::Str(s) => Some(s),
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            HeldValue::Int(i) => Some(*i),
            HeldValue::Double(d) if !d.is_nan() => Some(*d as i64),
            HeldValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn double(&self) -> Option<f64> {
        match self {
            HeldValue::Double(d) => Some(*d).filter(|d| !d.is_nan()),
            HeldValue::Int(i) => Some(*i as f64),
            HeldValue::Str(s) => s.trim().parse().ok(),
            HeldValue::Null => None,
        }
    }
}

/// A layer's features held in memory for the lessons by a store that keeps them elsewhere:
/// its geometry and R-tree made by the index's code (so boxes and candidates are the
/// index's to the bit) and the columns the pickers read.
pub(crate) struct HeldLayer {
    geoms: FlatGeoms,
    boxes: BoxIndex,
    names: Vec<String>,
    /// By feature id, one cell per name.
    cells: Vec<Vec<HeldValue>>,
}

impl HeldLayer {
    /// A layer of `names` columns from rows `(id, cells, WKB geometry)` in ascending id
    /// order; ids left out are features without geometry or values.
    pub(crate) fn build(
        polygonal: bool,
        names: &[&str],
        rows: impl IntoIterator<Item = (FeatureId, Vec<HeldValue>, Option<Vec<u8>>)>,
    ) -> Result<HeldLayer, QueryError> {
        let bad = |e: String| QueryError::Internal(format!("lesson facts: {e}"));
        let mut geoms = FlatGeoms::new(polygonal);
        let mut cells: Vec<Vec<HeldValue>> = Vec::new();
        for (id, values, wkb) in rows {
            let id = id as usize;
            if id < cells.len() {
                return Err(bad(format!("feature {id} out of order")));
            }
            while cells.len() < id {
                FlatWriter::new(&mut geoms).finish_feature();
                cells.push(vec![HeldValue::Null; names.len()]);
            }
            let mut w = FlatWriter::new(&mut geoms);
            if let Some(wkb) = wkb {
                geozero::wkb::Wkb(wkb)
                    .process_geom(&mut w)
                    .map_err(|e| bad(format!("feature {id}: {e}")))?;
            }
            w.finish_feature();
            cells.push(values);
        }
        geoms.shrink();
        let boxes = BoxIndex::build(&geoms);
        Ok(HeldLayer {
            geoms,
            boxes,
            names: names.iter().map(|n| n.to_string()).collect(),
            cells,
        })
    }

    /// Features.
    pub(crate) fn len(&self) -> usize {
        self.geoms.len()
    }

    fn cell(&self, column: &str, id: FeatureId) -> Option<&HeldValue> {
        let i = self.names.iter().position(|n| n == column)?;
        self.cells.get(id as usize)?.get(i)
    }

    pub(crate) fn str(&self, column: &str, id: FeatureId) -> Option<&str> {
        self.cell(column, id)?.str()
    }

    pub(crate) fn int(&self, column: &str, id: FeatureId) -> Option<i64> {
        self.cell(column, id)?.int()
    }

    pub(crate) fn double(&self, column: &str, id: FeatureId) -> Option<f64> {
        self.cell(column, id)?.double()
    }

    pub(crate) fn bbox(&self, id: FeatureId) -> [f64; 4] {
        if id as usize >= self.geoms.len() {
            return [f64::NAN; 4];
        }
        self.geoms.bbox(id as usize)
    }

    pub(crate) fn multipolygon(&self, id: FeatureId) -> MultiPolygon<f64> {
        if id as usize >= self.geoms.len() {
            return MultiPolygon(Vec::new());
        }
        self.geoms.multipolygon(id as usize)
    }

    pub(crate) fn candidates(&self, b: [f64; 4]) -> Vec<FeatureId> {
        self.boxes.query(b)
    }

    /// The distinct values of a text column, in first-seen order.
    pub(crate) fn distinct(&self, column: &str) -> Vec<&str> {
        let Some(i) = self.names.iter().position(|n| n == column) else {
            return Vec::new();
        };
        let mut seen = std::collections::HashSet::new();
        self.cells
            .iter()
            .filter_map(|c| c.get(i)?.str())
            .filter(|s| seen.insert(*s))
            .collect()
    }
}
