//! The lessons on a PostGIS store: the facts the lesson generator reads
//! ([`LessonFeed`]), read from the rows once per generation (the server generates the
//! lessons once per data version), so the same data gives the same picks and answers as the
//! embedded store.
//!
//! Read at once: the numbered parcels' numbers (`fid`, commune code, sheet, number; about
//! 40 bytes per parcel, read in slices of [`KEY_SLICE`] ids), sorted in the index's key
//! order with the communes numbered in the index's order; the zones and red lines (the
//! columns the pickers read, and their geometry, held by the index's own flat geometry and
//! R-tree code); the parcels' land-use codes. The parcels' areas and geometry are read only
//! for the parcels the pickers draw, a few hundred per query ([`LessonFeed::prefetch`]).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;

use geo::CoordsIter;
use geo_types::MultiPolygon;
use postgres::Row;

use super::planning::{cell, geometry, internal, multipolygon, Cell, PgData, Select};
use super::search::coords_bbox;
use super::{ident, PgLayer};
use crate::index::lessons::{HeldLayer, HeldValue, LessonFeed, LessonSource};
use crate::planning::{FeatureId, QueryError};
use crate::schema::{FieldType, Kind};

/// Parcel ids read per query of the numbers.
const KEY_SLICE: i32 = 200_000;

/// The zone columns the pickers read.
const ZONE_COLUMNS: [&str; 7] = [
    "plan_id",
    "landuse",
    "density_pct",
    "floors_max",
    "far",
    "name",
    "zone_id",
];

impl LessonSource for PgData {
    fn lesson_feed(&self) -> Result<Box<dyn LessonFeed + '_>, QueryError> {
        Ok(Box::new(PgLessons::read(self)?))
    }
}

/// A parcel read for the pickers.
struct Parcel {
    area_m2: Option<f64>,
    geometry: MultiPolygon<f64>,
    bbox: [f64; 4],
}

/// The lesson facts of one version of a PostGIS store.
struct PgLessons<'a> {
    data: &'a PgData,
    /// Features per layer position.
    lens: Vec<usize>,
    /// Zones and red lines, by layer position.
    held: Vec<Option<HeldLayer>>,
    /// Commune codes by symbol (the index's order).
    codes: Vec<String>,
    /// Numbered parcels, sorted: commune symbol, sheet, number, layer, id.
    keys: Vec<(u32, i64, i64, u16, FeatureId)>,
    /// By layer position, by id: the position of the parcel's key (`u32::MAX`: none).
    key_of: Vec<Vec<u32>>,
    /// The distinct land-use codes of the parcel layers, by layer position.
    landuse: Vec<Vec<String>>,
    /// Parcels read so far.
    parcels: Mutex<HashMap<(usize, FeatureId), Parcel>>,
}

fn held(c: Cell) -> HeldValue {
    match c {
        Cell::Str(s) => HeldValue::Str(s),
        Cell::Int(i) => HeldValue::Int(i),
        Cell::Double(d) => HeldValue::Double(d),
        Cell::Null => HeldValue::Null,
    }
}

fn column_type(l: &PgLayer, name: &str) -> Option<FieldType> {
    l.entry
        .columns
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.ty)
}

fn fid(row: &Row) -> Result<FeatureId, QueryError> {
    FeatureId::try_from(row.get::<_, i32>(0)).map_err(internal)
}

impl<'a> PgLessons<'a> {
    fn read(data: &'a PgData) -> Result<PgLessons<'a>, QueryError> {
        let n = data.layers.len();
        let mut lessons = PgLessons {
            data,
            lens: vec![0; n],
            held: (0..n).map(|_| None).collect(),
            codes: Vec::new(),
            keys: Vec::new(),
            key_of: vec![Vec::new(); n],
            landuse: vec![Vec::new(); n],
            parcels: Mutex::new(HashMap::new()),
        };
        // Communes in the index's order: the boundaries' first, then the parcels' codes.
        let mut by_code: HashMap<String, u32> = HashMap::new();
        for (code, _) in &data.commune_order {
            by_code.insert(code.clone(), lessons.codes.len() as u32);
            lessons.codes.push(code.clone());
        }
        for (li, (_, l)) in data.layers.iter().enumerate() {
            match l.entry.kind {
                Kind::Parcels => lessons.read_parcels(li, l, &mut by_code)?,
                Kind::Zones => lessons.read_held(li, l, &ZONE_COLUMNS)?,
                Kind::Redlines => lessons.read_held(li, l, &["plan_id"])?,
                _ => {}
            }
        }
        lessons.keys.sort_unstable();
        for (i, &(_, _, _, li, id)) in lessons.keys.iter().enumerate() {
            if let Some(slot) = lessons
                .key_of
                .get_mut(li as usize)
                .and_then(|v| v.get_mut(id as usize))
            {
                *slot = i as u32;
            }
        }
        Ok(lessons)
    }

    /// A parcel layer's count, numbers (in id order, so new communes are numbered as the
    /// index numbers them) and land-use codes.
    fn read_parcels(
        &mut self,
        li: usize,
        l: &PgLayer,
        by_code: &mut HashMap<String, u32>,
    ) -> Result<(), QueryError> {
        let table = ident(&l.table);
        let rows = self
            .data
            .query(&format!("SELECT count(*), max(fid) FROM {table}"), &[])?;
        let (count, max): (i64, Option<i32>) = rows
            .first()
            .map(|r| (r.get(0), r.get(1)))
            .unwrap_or((0, None));
        self.lens[li] = usize::try_from(count).map_err(internal)?;
        let ids = max.map_or(0, |m| m as usize + 1);
        if column_type(l, "landuse") == Some(FieldType::String) {
            let sql = format!("SELECT DISTINCT landuse FROM {table} WHERE landuse IS NOT NULL");
            self.landuse[li] = self
                .data
                .query(&sql, &[])?
                .iter()
                .map(|r| r.get(0))
                .collect();
        }
        let types = [
            column_type(l, "commune_code"),
            column_type(l, "sheet"),
            column_type(l, "parcel"),
        ];
        if types.iter().any(Option::is_none) {
            return Ok(());
        }
        self.key_of[li] = vec![u32::MAX; ids];
        let sql = format!(
            "SELECT fid, commune_code, sheet, parcel FROM {table} \
             WHERE fid >= $1 AND fid < $2 AND commune_code IS NOT NULL \
             AND sheet IS NOT NULL AND parcel IS NOT NULL ORDER BY fid"
        );
        let layer = u16::try_from(li).map_err(internal)?;
        let mut from = 0i32;
        while (from as usize) < ids {
            let to = from.saturating_add(KEY_SLICE);
            for row in self.data.query(&sql, &[&from, &to])? {
                let (code, sheet, parcel) = (
                    cell(&row, 1, types[0]),
                    cell(&row, 2, types[1]),
                    cell(&row, 3, types[2]),
                );
                let (Some(code), Some(sheet), Some(parcel)) =
                    (code.str(), sheet.int(), parcel.int())
                else {
                    continue;
                };
                let sym = match by_code.get(code) {
                    Some(&s) => s,
                    None => {
                        let s = self.codes.len() as u32;
                        by_code.insert(code.to_string(), s);
                        self.codes.push(code.to_string());
                        s
                    }
                };
                self.keys.push((sym, sheet, parcel, layer, fid(&row)?));
            }
            from = to;
        }
        Ok(())
    }

    /// A zones or red-lines layer, held whole.
    fn read_held(&mut self, li: usize, l: &PgLayer, names: &[&str]) -> Result<(), QueryError> {
        let select = Select::new(l, names);
        let rows = self
            .data
            .query(&format!("{} ORDER BY fid", select.sql), &[])?;
        let mut features = Vec::with_capacity(rows.len());
        for row in &rows {
            let cells = select.cells(row).into_iter().map(held).collect();
            let wkb: Option<Vec<u8>> = row.get(row.len() - 1);
            features.push((fid(row)?, cells, wkb));
        }
        let layer = HeldLayer::build(l.entry.kind.is_polygonal(), names, features)?;
        self.lens[li] = layer.len();
        self.held[li] = Some(layer);
        Ok(())
    }

    fn is_parcels(&self, li: usize) -> bool {
        self.data
            .layers
            .get(li)
            .is_some_and(|(_, l)| l.entry.kind == Kind::Parcels)
    }

    /// Reads the parcels not read yet (those of parcel layers only).
    fn read_parcel_rows(&self, parcels: &[(usize, FeatureId)]) -> Result<(), QueryError> {
        let mut by_layer: HashMap<usize, Vec<i32>> = HashMap::new();
        {
            let have = self.parcels.lock().unwrap_or_else(|e| e.into_inner());
            for &(li, id) in parcels {
                if self.is_parcels(li) && !have.contains_key(&(li, id)) {
                    by_layer
                        .entry(li)
                        .or_default()
                        .push(i32::try_from(id).map_err(internal)?);
                }
            }
        }
        for (li, ids) in by_layer {
            let (_, l) = &self.data.layers[li];
            let select = Select::new(l, &["area_m2"]);
            let rows = self.data.query(
                &format!("{} WHERE fid = ANY($1) AND geom IS NOT NULL", select.sql),
                &[&ids],
            )?;
            let mut read = Vec::with_capacity(ids.len());
            for row in &rows {
                let geometry = multipolygon(geometry(row)?);
                let bbox = coords_bbox(geometry.coords_iter());
                read.push((
                    (li, fid(row)?),
                    Parcel {
                        area_m2: select.cells(row)[0].double(),
                        geometry,
                        bbox,
                    },
                ));
            }
            let mut have = self.parcels.lock().unwrap_or_else(|e| e.into_inner());
            // Ids without geometry are remembered as empty, not asked again.
            for id in ids {
                have.entry((li, id as FeatureId)).or_insert(Parcel {
                    area_m2: None,
                    geometry: MultiPolygon(Vec::new()),
                    bbox: [f64::NAN; 4],
                });
            }
            for (k, p) in read {
                have.insert(k, p);
            }
        }
        Ok(())
    }

    /// What `f` reads of a parcel, read first if it is not yet.
    fn with_parcel<T>(&self, li: usize, id: FeatureId, f: impl Fn(&Parcel) -> T) -> Option<T> {
        if !self.is_parcels(li) {
            return None;
        }
        let read = |s: &Self| {
            let have = s.parcels.lock().unwrap_or_else(|e| e.into_inner());
            have.get(&(li, id)).map(&f)
        };
        if let Some(v) = read(self) {
            return Some(v);
        }
        if let Err(e) = self.read_parcel_rows(&[(li, id)]) {
            tracing::warn!("lessons: parcel {id} of layer {li}: {e}");
        }
        read(self)
    }
}

impl LessonFeed for PgLessons<'_> {
    fn len(&self, li: usize) -> usize {
        self.lens.get(li).copied().unwrap_or(0)
    }

    fn key_count(&self) -> usize {
        self.keys.len()
    }

    fn key(&self, i: usize) -> (usize, FeatureId) {
        let k = self.keys[i];
        (k.3 as usize, k.4)
    }

    fn key_numbers(&self, i: usize) -> (u32, i64, i64) {
        let k = self.keys[i];
        (k.0, k.1, k.2)
    }

    fn keys_for(&self, sym: u32, sheet: i64, parcel: i64) -> Range<usize> {
        let target = (sym, sheet, parcel);
        let start = self.keys.partition_point(|k| (k.0, k.1, k.2) < target);
        let end = start + self.keys[start..].partition_point(|k| (k.0, k.1, k.2) == target);
        start..end
    }

    fn parcel_numbers(&self, li: usize, id: FeatureId) -> Option<(String, u32, i64, i64)> {
        let i = *self.key_of.get(li)?.get(id as usize)?;
        let (sym, sheet, parcel, _, _) = *self.keys.get(i as usize)?;
        Some((self.codes.get(sym as usize)?.clone(), sym, sheet, parcel))
    }

    fn str(&self, li: usize, column: &str, id: FeatureId) -> Option<&str> {
        self.held.get(li)?.as_ref()?.str(column, id)
    }

    fn int(&self, li: usize, column: &str, id: FeatureId) -> Option<i64> {
        self.held.get(li)?.as_ref()?.int(column, id)
    }

    fn double(&self, li: usize, column: &str, id: FeatureId) -> Option<f64> {
        if let Some(h) = self.held.get(li)?.as_ref() {
            return h.double(column, id);
        }
        if column == "area_m2" {
            return self.with_parcel(li, id, |p| p.area_m2).flatten();
        }
        None
    }

    fn bbox(&self, li: usize, id: FeatureId) -> [f64; 4] {
        if let Some(Some(h)) = self.held.get(li) {
            return h.bbox(id);
        }
        self.with_parcel(li, id, |p| p.bbox)
            .unwrap_or([f64::NAN; 4])
    }

    fn multipolygon(&self, li: usize, id: FeatureId) -> MultiPolygon<f64> {
        if let Some(Some(h)) = self.held.get(li) {
            return h.multipolygon(id);
        }
        self.with_parcel(li, id, |p| p.geometry.clone())
            .unwrap_or(MultiPolygon(Vec::new()))
    }

    fn candidates(&self, li: usize, b: [f64; 4]) -> Vec<FeatureId> {
        match self.held.get(li) {
            Some(Some(h)) => h.candidates(b),
            _ => self
                .parcels_near(li, b)
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
        }
    }

    fn parcels_near(&self, li: usize, b: [f64; 4]) -> Vec<(FeatureId, MultiPolygon<f64>)> {
        let Some((_, l)) = self.data.layers.get(li) else {
            return Vec::new();
        };
        // PostGIS's boxes are float4 rounded outward: these hold every parcel whose exact
        // box meets `b`, and the pickers test the geometry.
        let sql = format!(
            "SELECT fid, ST_AsBinary(geom) FROM {} \
             WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY fid",
            ident(&l.table)
        );
        let read = || -> Result<Vec<(FeatureId, MultiPolygon<f64>)>, QueryError> {
            let rows = self.data.query(&sql, &[&b[0], &b[1], &b[2], &b[3]])?;
            rows.iter()
                .map(|row| Ok((fid(row)?, multipolygon(geometry(row)?))))
                .collect()
        };
        read().unwrap_or_else(|e| {
            tracing::warn!("lessons: parcels near {b:?}: {e}");
            Vec::new()
        })
    }

    fn landuse_values(&self, li: usize) -> Vec<&str> {
        match self.held.get(li) {
            Some(Some(h)) => h.distinct("landuse"),
            _ => self
                .landuse
                .get(li)
                .map_or_else(Vec::new, |v| v.iter().map(String::as_str).collect()),
        }
    }

    fn prefetch(&self, parcels: &[(usize, FeatureId)]) {
        if let Err(e) = self.read_parcel_rows(parcels) {
            tracing::warn!("lessons: reading {} parcels: {e}", parcels.len());
        }
    }
}
