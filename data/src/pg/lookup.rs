//! The PostGIS store's answers to the citizen's lookups ([`Lookup`]): the same features, in the
//! same order, with the same properties as the embedded index gives.
//!
//! The database finds candidates (`fid`, `geom &&` a point's envelope, the parcel-number
//! index); the exact tests (a point in or on a parcel) are geo's, as in the index, so a point
//! on a shared boundary answers alike.

use geo::{Contains, CoordsIter, Intersects};
use geo_types::{Coord, Geometry, Point, Rect};
use postgres::Row;
use serde_json::{Map, Number, Value};

use super::planning::{geometry, internal, multilinestring, multipolygon, Cell, PgData, Select};
use super::search::coords_bbox;
use super::PgLayer;
use crate::index::{
    boxes_meet, check_bbox, commune_key, FeatureOut, SearchHit, ValueRef, MAX_PAGE,
};
use crate::lookup::{check_lon_lat, empty_commune, unknown_commune, FeatureValues, Lookup};
use crate::planning::{FeatureId, QueryError};
use crate::schema::Kind;
use crate::store::Catalog;

/// The public columns of a layer (never `private_*`).
fn public_columns(layer: &PgLayer) -> Vec<&str> {
    layer
        .entry
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| !n.starts_with("private_"))
        .collect()
}

/// A row's geometry as the index gives it: a MultiPolygon for polygonal kinds, else a
/// MultiLineString.
fn layer_geometry(layer: &PgLayer, row: &Row) -> Result<Geometry<f64>, QueryError> {
    let g = geometry(row)?;
    Ok(if layer.entry.kind.is_polygonal() {
        Geometry::MultiPolygon(multipolygon(g))
    } else {
        Geometry::MultiLineString(multilinestring(g))
    })
}

/// A row as a served feature: its public properties as the index serialises its columns.
fn feature_out(
    layer_id: &str,
    layer: &PgLayer,
    select: &Select,
    names: &[&str],
    row: &Row,
) -> Result<FeatureOut, QueryError> {
    let id = FeatureId::try_from(row.get::<_, i32>(0)).map_err(internal)?;
    let geometry = layer_geometry(layer, row)?;
    let mut properties = Map::new();
    // The cells are typed by their columns already (`Select`).
    for (name, cell) in names.iter().zip(select.cells(row)) {
        let value = match cell {
            Cell::Str(s) => Value::String(s),
            Cell::Int(i) => Value::from(i),
            c @ Cell::Double(_) => c
                .double()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number),
            Cell::Null => Value::Null,
        };
        properties.insert((*name).to_string(), value);
    }
    Ok(FeatureOut {
        layer: layer_id.to_string(),
        id,
        geometry,
        properties,
    })
}

impl PgData {
    /// The layer `id`.
    fn layer_named(&self, id: &str) -> Option<&PgLayer> {
        self.layers.iter().find(|(l, _)| l == id).map(|(_, l)| l)
    }

    /// The codes a commune text names: the code itself when a boundary or a numbered parcel
    /// has it, else the boundaries whose folded name is the text's (the index's rule).
    fn commune_codes(&self, text: &str) -> Result<Vec<String>, QueryError> {
        let t = text.trim();
        if self.commune_order.iter().any(|(c, _)| c == t) {
            return Ok(vec![t.to_string()]);
        }
        for (_, l) in self
            .layers
            .iter()
            .filter(|(_, l)| l.entry.kind == Kind::Parcels)
        {
            if !has_numbers(l) {
                continue;
            }
            let sql = format!(
                "SELECT 1 FROM {} WHERE commune_code = $1 AND sheet IS NOT NULL \
                 AND parcel IS NOT NULL LIMIT 1",
                super::ident(&l.table)
            );
            if !self.query(&sql, &[&t])?.is_empty() {
                return Ok(vec![t.to_string()]);
            }
        }
        let key = commune_key(t);
        if key.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .commune_order
            .iter()
            .filter(|(_, folded)| folded.as_deref() == Some(key.as_str()))
            .map(|(c, _)| c.clone())
            .collect())
    }
}

/// Whether a parcel layer has the three columns of a parcel's number.
fn has_numbers(l: &PgLayer) -> bool {
    ["commune_code", "sheet", "parcel"]
        .iter()
        .all(|n| l.entry.columns.iter().any(|c| c.name == *n))
}

impl Lookup for PgData {
    fn catalog(&self) -> &Catalog {
        PgData::catalog(self)
    }

    fn feature(&self, layer: &str, id: FeatureId) -> Result<Option<FeatureOut>, QueryError> {
        let Some(l) = self.layer_named(layer) else {
            return Ok(None);
        };
        let Ok(fid) = i32::try_from(id) else {
            return Ok(None);
        };
        let names = public_columns(l);
        let select = Select::new(l, &names);
        let rows = self.query(&format!("{} WHERE fid = $1", select.sql), &[&fid])?;
        rows.first()
            .map(|row| feature_out(layer, l, &select, &names, row))
            .transpose()
    }

    fn parcels_at(&self, lon: f64, lat: f64) -> Result<Vec<FeatureOut>, QueryError> {
        check_lon_lat(lon, lat)?;
        let p = Point::new(lon, lat);
        let (mut inside, mut touching) = (Vec::new(), Vec::new());
        for (id, l) in self
            .layers
            .iter()
            .filter(|(_, l)| l.entry.kind == Kind::Parcels)
        {
            let names = public_columns(l);
            let select = Select::new(l, &names);
            let sql = format!(
                "{} WHERE geom && ST_MakeEnvelope($1, $2, $1, $2, 4326) ORDER BY fid",
                select.sql
            );
            for row in self.query(&sql, &[&lon, &lat])? {
                let f = feature_out(id, l, &select, &names, &row)?;
                let Geometry::MultiPolygon(mp) = &f.geometry else {
                    continue;
                };
                if mp.contains(&p) {
                    inside.push(f);
                } else if mp.intersects(&p) {
                    touching.push(f);
                }
            }
        }
        let mut hits = if inside.is_empty() { touching } else { inside };
        hits.sort_by(|a, b| (&a.layer, a.id).cmp(&(&b.layer, b.id)));
        Ok(hits)
    }

    fn parcels_by_number(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<FeatureOut>, QueryError> {
        if commune.trim().is_empty() {
            return Err(empty_commune());
        }
        let codes = self.commune_codes(commune)?;
        if codes.is_empty() {
            return Err(unknown_commune(commune));
        }
        let mut out = Vec::new();
        for code in &codes {
            for (id, l) in self
                .layers
                .iter()
                .filter(|(_, l)| l.entry.kind == Kind::Parcels)
            {
                if !has_numbers(l) {
                    continue;
                }
                let names = public_columns(l);
                let select = Select::new(l, &names);
                let sql = format!(
                    "{} WHERE commune_code = $1 AND sheet = $2 AND parcel = $3 ORDER BY fid",
                    select.sql
                );
                for row in self.query(&sql, &[code, &sheet, &parcel])? {
                    out.push(feature_out(id, l, &select, &names, &row)?);
                }
            }
        }
        if let Ok(mut known) = self.numbered.lock() {
            if known.len() >= super::planning::MAX_NUMBERED {
                known.clear();
            }
            known.insert(
                (commune.to_string(), sheet, parcel),
                out.iter().map(|f| (f.layer.clone(), f.id)).collect(),
            );
        }
        Ok(out)
    }
}

/// A row lent by [`PgData::visit_bbox`].
pub struct RowRef<'a> {
    id: FeatureId,
    names: &'a [&'a str],
    cells: &'a [Cell],
}

impl FeatureValues for RowRef<'_> {
    fn id(&self) -> FeatureId {
        self.id
    }

    fn value(&self, column: &str) -> Option<ValueRef<'_>> {
        let i = self.names.iter().position(|n| *n == column)?;
        match &self.cells[i] {
            Cell::Str(s) => Some(ValueRef::Str(s)),
            Cell::Int(v) => Some(ValueRef::Int(*v)),
            Cell::Double(_) => self.cells[i].double().map(ValueRef::Double),
            Cell::Null => None,
        }
    }
}

impl PgData {
    /// Calls `visit` with every feature of `layer` whose box meets `bbox` (the GiST index's
    /// test, as the index's R-tree: callers clip), by id, with its public values and its
    /// geometry. An unknown layer is [`QueryError::NotFound`].
    pub fn visit_bbox(
        &self,
        layer: &str,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(RowRef<'_>, &Geometry<f64>),
    ) -> Result<(), QueryError> {
        let l = self
            .layer_named(layer)
            .ok_or_else(|| QueryError::NotFound(format!("unknown layer '{layer}'")))?;
        if bbox.iter().any(|v| v.is_nan()) || bbox[0] > bbox[2] || bbox[1] > bbox[3] {
            return Ok(());
        }
        let names = public_columns(l);
        let select = Select::new(l, &names);
        let sql = format!(
            "{} WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY fid",
            select.sql
        );
        for row in self.query(&sql, &[&bbox[0], &bbox[1], &bbox[2], &bbox[3]])? {
            let id = FeatureId::try_from(row.get::<_, i32>(0)).map_err(internal)?;
            let g = layer_geometry(l, &row)?;
            // PostGIS's boxes are float4, rounded outward: the exact box decides, as in the
            // index.
            if !boxes_meet(&coords_bbox(g.coords_iter()), &bbox) {
                continue;
            }
            let cells = select.cells(&row);
            visit(
                RowRef {
                    id,
                    names: &names,
                    cells: &cells,
                },
                &g,
            );
        }
        Ok(())
    }
}

impl crate::lookup::Store for PgData {
    fn location(&self) -> String {
        super::shown_url(&self.url)
    }

    fn features_in_bbox(
        &self,
        layer: &str,
        bbox: Option<[f64; 4]>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<FeatureOut>, usize), QueryError> {
        let l = self.layer_named(layer).ok_or_else(|| {
            QueryError::NotFound(format!(
                "unknown layer '{layer}'; layers: {}",
                self.layers
                    .iter()
                    .map(|(id, _)| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if limit > MAX_PAGE {
            return Err(QueryError::TooLarge(format!(
                "limit {limit} is over the page size cap {MAX_PAGE}; page with offset"
            )));
        }
        let names = public_columns(l);
        let select = Select::new(l, &names);
        let Some(b) = bbox else {
            let total: i64 = self
                .query(
                    &format!("SELECT count(*) FROM {}", super::ident(&l.table)),
                    &[],
                )?
                .first()
                .map_or(0, |r| r.get(0));
            let (lim, off) = (
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX),
            );
            let sql = format!("{} ORDER BY fid LIMIT $1 OFFSET $2", select.sql);
            let page = self
                .query(&sql, &[&lim, &off])?
                .iter()
                .map(|row| feature_out(layer, l, &select, &names, row))
                .collect::<Result<_, _>>()?;
            return Ok((page, usize::try_from(total).unwrap_or(0)));
        };
        check_bbox(b)?;
        // The database finds candidates by box; the exact test is geo's, as in the index,
        // on the geometries alone; the page's rows are then read whole.
        let rect = Rect::new(Coord { x: b[0], y: b[1] }, Coord { x: b[2], y: b[3] });
        let sql = format!(
            "SELECT fid, ST_AsBinary(geom) FROM {} \
             WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY fid",
            super::ident(&l.table)
        );
        let mut total = 0;
        let mut ids: Vec<i32> = Vec::new();
        for row in self.query(&sql, &[&b[0], &b[1], &b[2], &b[3]])? {
            if !layer_geometry(l, &row)?.intersects(&rect) {
                continue;
            }
            if total >= offset && ids.len() < limit {
                ids.push(row.get(0));
            }
            total += 1;
        }
        if ids.is_empty() {
            return Ok((Vec::new(), total));
        }
        let sql = format!("{} WHERE fid = ANY($1) ORDER BY fid", select.sql);
        let page = self
            .query(&sql, &[&ids])?
            .iter()
            .map(|row| feature_out(layer, l, &select, &names, row))
            .collect::<Result<Vec<_>, _>>()?;
        if page.len() != ids.len() {
            return Err(internal(
                "features changed between two reads of one data version",
            ));
        }
        Ok((page, total))
    }

    fn visit(
        &self,
        layer: &str,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(&dyn FeatureValues, &Geometry<f64>),
    ) -> Result<(), QueryError> {
        self.visit_bbox(layer, bbox, &mut |f, g| visit(&f, g))
    }

    fn search(&self, q: &str, limit: usize) -> Result<Vec<SearchHit>, QueryError> {
        self.search_terms(q, limit)
    }

    fn known_parcel_ids(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Option<Vec<(String, FeatureId)>> {
        let known = self.numbered.lock().ok()?;
        known.get(&(commune.to_string(), sheet, parcel)).cloned()
    }
}
