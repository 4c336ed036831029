//! The PostGIS backend's answers to the planning report ([`PlanningData`]): a parcel by its
//! id, the zones and red lines whose box meets a box (`geom && envelope`, the GiST index),
//! read into the same typed records as the embedded store's.
//!
//! A [`PgData`] is one version of the data: the catalog (layers, their tables, plans) and the
//! communes' names are read when it is opened. An import swaps a layer's table; open a new
//! `PgData` to serve it (the old one's queries of a dropped table then fail with an error,
//! never a wrong answer).

use std::collections::HashMap;

use geo_types::{Geometry, MultiLineString, MultiPolygon};
use geozero::wkb::Wkb;
use geozero::ToGeo;
use postgres::types::ToSql;
use postgres::Row;

use super::{connect, ident, load_catalog, PgError, PgLayer};
use crate::index::commune_key;
use crate::planning::{
    bbox_of, FeatureId, FeatureKey, MetricCache, ParcelRecord, PlanningData, QueryError,
    RedlineRecord, ZoneRecord,
};
use crate::plans::Plan;
use crate::schema::{FieldType, Kind};
use crate::store::Catalog;

/// One version of a PostGIS store, as a [`PlanningData`] backend.
pub struct PgData {
    /// Where to connect again after the connection is lost (a database restart).
    pub(super) url: String,
    pool: super::pool::Pool,
    catalog: Catalog,
    /// Layers in the catalog's order (their positions are the [`FeatureKey`]s' layers).
    pub(super) layers: Vec<(String, PgLayer)>,
    /// Communes of the boundaries by code: their names.
    communes: HashMap<String, Option<String>>,
    /// The same communes in the boundaries' order, with their folded names (for lookups by
    /// name, as the index resolves them).
    pub(super) commune_order: Vec<(String, Option<String>)>,
    cache: MetricCache,
    /// The search index, built on the first search.
    search: std::sync::OnceLock<super::search::PgSearch>,
    /// Parcels found by number (commune as asked, sheet, number) → (layer, id), for
    /// [`crate::lookup::Store::known_parcel_ids`]: the server's report cache finds a repeated
    /// report without a query. This version's data never changes, so neither do they.
    pub(super) numbered: std::sync::Mutex<HashMap<NumberKey, Vec<(String, FeatureId)>>>,
}

/// A parcel number as asked: commune (code or name), sheet, number.
pub(super) type NumberKey = (String, i64, i64);

/// Parcel numbers remembered per version at most (then forgotten all at once).
pub(super) const MAX_NUMBERED: usize = 100_000;

/// A cell of a row, typed as its column.
pub(super) enum Cell {
    Str(String),
    Int(i64),
    Double(f64),
    Null,
}

impl Cell {
    // The same readings as the embedded store's columns (index/props.rs).
    pub(super) fn str(&self) -> Option<&str> {
        match self {
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Double(d) if !d.is_nan() => Some(*d as i64),
            Cell::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub(super) fn double(&self) -> Option<f64> {
        match self {
            Cell::Double(d) => Some(*d).filter(|d| !d.is_nan()),
            Cell::Int(i) => Some(*i as f64),
            Cell::Str(s) => s.trim().parse().ok(),
            Cell::Null => None,
        }
    }
}

/// The fields a query reads from a layer: each a column of the layer or absent.
pub(super) struct Select {
    pub(super) sql: String,
    types: Vec<Option<FieldType>>,
    /// Position of the first field in a row.
    offset: usize,
}

impl Select {
    /// `SELECT fid, <fields>, ST_AsBinary(geom) FROM <table>` for `fields` of `layer`.
    pub(super) fn new(layer: &PgLayer, fields: &[&str]) -> Select {
        let mut sql = String::from("SELECT fid");
        let mut types = Vec::new();
        for f in fields {
            match layer.entry.columns.iter().find(|c| c.name == *f) {
                Some(c) => {
                    sql.push_str(", ");
                    sql.push_str(&ident(f));
                    types.push(Some(c.ty));
                }
                None => {
                    sql.push_str(", NULL");
                    types.push(None);
                }
            }
        }
        sql.push_str(", ST_AsBinary(geom) FROM ");
        sql.push_str(&ident(&layer.table));
        Select {
            sql,
            types,
            offset: 1,
        }
    }

    /// One query over several layers (`(position, layer)`): `SELECT position, fid, <fields>,
    /// ST_AsBinary(geom)` of the rows whose box meets the envelope `$1…$4`, by layer and id.
    /// A field has the type the first layer holding it gives it (the kinds' schemas fix the
    /// types, so they agree); a layer without it gives a typed NULL.
    fn union(layers: &[(u32, &PgLayer)], fields: &[&str]) -> Select {
        let types: Vec<Option<FieldType>> = fields
            .iter()
            .map(|f| {
                layers
                    .iter()
                    .find_map(|(_, l)| l.entry.columns.iter().find(|c| c.name == *f).map(|c| c.ty))
            })
            .collect();
        let parts: Vec<String> = layers
            .iter()
            .map(|(li, l)| {
                let mut sql = format!("SELECT {li}::integer, fid");
                for (f, ty) in fields.iter().zip(&types) {
                    let sql_ty = ty.map_or("text", super::sink::sql_type);
                    match l.entry.columns.iter().find(|c| c.name == *f) {
                        Some(c) if Some(c.ty) == *ty => sql.push_str(&format!(", {}", ident(f))),
                        Some(_) => sql.push_str(&format!(", {}::{sql_ty}", ident(f))),
                        None => sql.push_str(&format!(", NULL::{sql_ty}")),
                    }
                }
                sql.push_str(&format!(
                    ", ST_AsBinary(geom) FROM {} \
                     WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)",
                    ident(&l.table)
                ));
                sql
            })
            .collect();
        Select {
            sql: format!("{} ORDER BY 1, 2", parts.join(" UNION ALL ")),
            types,
            offset: 2,
        }
    }

    /// The cells of the fields in `row`.
    pub(super) fn cells(&self, row: &Row) -> Vec<Cell> {
        self.types
            .iter()
            .enumerate()
            .map(|(i, ty)| cell(row, i + self.offset, *ty))
            .collect()
    }
}

/// A cell of a row's column `i`, typed as the layer's column (`None`: the layer has none).
pub(super) fn cell(row: &Row, i: usize, ty: Option<FieldType>) -> Cell {
    match ty {
        Some(FieldType::String) => row.get::<_, Option<String>>(i).map(Cell::Str),
        Some(FieldType::Int) => row.get::<_, Option<i64>>(i).map(Cell::Int),
        Some(FieldType::Double) => row.get::<_, Option<f64>>(i).map(Cell::Double),
        None => None,
    }
    .unwrap_or(Cell::Null)
}

pub(super) fn internal(e: impl std::fmt::Display) -> QueryError {
    QueryError::Internal(format!("PostgreSQL store: {e}"))
}

/// The geometry of a row's last column (WKB).
pub(super) fn geometry(row: &Row) -> Result<Geometry<f64>, QueryError> {
    let wkb: Vec<u8> = row.get(row.len() - 1);
    Wkb(wkb).to_geo().map_err(internal)
}

pub(super) fn multipolygon(g: Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::MultiPolygon(mp) => mp,
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        _ => MultiPolygon(Vec::new()),
    }
}

pub(super) fn multilinestring(g: Geometry<f64>) -> MultiLineString<f64> {
    match g {
        Geometry::MultiLineString(ml) => ml,
        Geometry::LineString(l) => MultiLineString(vec![l]),
        _ => MultiLineString(Vec::new()),
    }
}

const ZONE_FIELDS: [&str; 9] = [
    "plan_id",
    "landuse",
    "zone_id",
    "name",
    "density_pct",
    "floors_min",
    "floors_max",
    "far",
    "height_m",
];

impl PgData {
    /// Opens the store at `url`: its catalog and the communes' names.
    pub fn open(url: &str) -> Result<PgData, PgError> {
        let mut client = connect(url)?;
        let (catalog, by_id) = load_catalog(&mut client)?;
        let layers: Vec<(String, PgLayer)> = by_id.into_iter().collect();
        // A commune's name: the first boundary (layers in order, features by id) with its code
        // (or, without a code, its name as the code), as the embedded store reads them.
        let mut communes = HashMap::new();
        let mut commune_order = Vec::new();
        for (_, l) in layers
            .iter()
            .filter(|(_, l)| l.entry.kind == Kind::Boundaries)
        {
            let select = Select::new(l, &["name", "code"]);
            let sql = format!("{} ORDER BY fid", select.sql);
            for row in client.query(&sql, &[])? {
                let cells = select.cells(&row);
                let name = cells[0].str().map(str::to_string);
                let Some(code) = cells[1].str().map(str::to_string).or_else(|| name.clone()) else {
                    continue;
                };
                if let std::collections::hash_map::Entry::Vacant(e) = communes.entry(code) {
                    commune_order.push((e.key().clone(), name.as_deref().map(commune_key)));
                    e.insert(name);
                }
            }
        }
        Ok(PgData {
            url: url.to_string(),
            pool: super::pool::Pool::new(url, client),
            catalog,
            layers,
            communes,
            commune_order,
            cache: MetricCache::new(),
            search: std::sync::OnceLock::new(),
            numbered: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The search index of this version, built on the first call (a failed build is tried
    /// again by the next).
    pub(super) fn search_index(&self) -> Result<&super::search::PgSearch, QueryError> {
        if let Some(s) = self.search.get() {
            return Ok(s);
        }
        let built = self.build_search()?;
        Ok(self.search.get_or_init(|| built))
    }

    /// Builds the search index now (a server does before it listens).
    pub fn prepare_search(&self) -> Result<(), QueryError> {
        self.search_index().map(|_| ())
    }

    /// The database's [`super::catalog_stamp`] now, asked on one of this version's
    /// connections (a server polls it every few seconds to see an import land).
    pub fn catalog_stamp(&self) -> Result<String, QueryError> {
        let rows = self.query(super::CATALOG_STAMP, &[])?;
        rows.first()
            .map(|r| r.get(0))
            .ok_or_else(|| internal("the catalog stamp query returned no row"))
    }

    /// The catalog this version was opened with.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(super) fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, QueryError> {
        // Errors of a query on a live connection are answered as they are; a closed one is
        // made again (the pool's rule).
        self.pool.with(|c| c.query(sql, params)).map_err(internal)
    }

    /// The layers of `kind` with their positions.
    fn layers_of(&self, kind: Kind) -> impl Iterator<Item = (u32, &str, &PgLayer)> {
        self.layers
            .iter()
            .enumerate()
            .filter(move |(_, (_, l))| l.entry.kind == kind)
            .map(|(i, (id, l))| (u32::try_from(i).unwrap_or(u32::MAX), id.as_str(), l))
    }

    /// The rows of every layer of `kind` whose box meets `bbox`, in one query (one round
    /// trip per report and kind, not one per layer), by layer position and id.
    fn near(
        &self,
        kind: Kind,
        fields: &[&str],
        bbox: [f64; 4],
    ) -> Result<(Select, Vec<Row>), QueryError> {
        let layers: Vec<(u32, &PgLayer)> = self.layers_of(kind).map(|(i, _, l)| (i, l)).collect();
        let select = Select::union(&layers, fields);
        if layers.is_empty() {
            return Ok((select, Vec::new()));
        }
        let rows = self.query(&select.sql, &[&bbox[0], &bbox[1], &bbox[2], &bbox[3]])?;
        Ok((select, rows))
    }

    /// The layer at position `li` of a row, with its id.
    fn layer_at(&self, row: &Row) -> Result<(u32, &str, &PgLayer), QueryError> {
        let li: i32 = row.get(0);
        let (id, l) = usize::try_from(li)
            .ok()
            .and_then(|i| self.layers.get(i))
            .ok_or_else(|| internal("a row of an unknown layer"))?;
        Ok((li as u32, id.as_str(), l))
    }
}

impl PlanningData for PgData {
    fn parcel(&self, layer: &str, id: FeatureId) -> Result<ParcelRecord, QueryError> {
        let Some((_, l)) = self.layers.iter().find(|(lid, _)| lid == layer) else {
            return Err(QueryError::NotFound(format!("unknown layer '{layer}'")));
        };
        if l.entry.kind != Kind::Parcels {
            return Err(QueryError::BadRequest(format!(
                "layer '{layer}' holds {}, not parcels",
                l.entry.kind
            )));
        }
        let fields = [
            "commune_code",
            "sheet",
            "parcel",
            "address",
            "landuse",
            "area_m2",
            "area_declared_m2",
        ];
        let select = Select::new(l, &fields);
        let fid = i32::try_from(id).unwrap_or(i32::MAX);
        let rows = self.query(&format!("{} WHERE fid = $1", select.sql), &[&fid])?;
        let Some(row) = rows.first() else {
            return Err(QueryError::NotFound(format!(
                "layer '{layer}' has no feature {id}"
            )));
        };
        let c = select.cells(row);
        let geometry = multipolygon(geometry(row)?);
        let bbox = bbox_of(&geometry).ok_or_else(|| internal("a parcel without geometry"))?;
        Ok(ParcelRecord {
            layer: layer.to_string(),
            id,
            geometry,
            bbox,
            measure: l.entry.source.measure,
            srs_definition: l.entry.source.srs_definition.clone(),
            imported_at: l.entry.imported_at.clone(),
            commune_code: c[0].str().map(str::to_string),
            sheet: c[1].int(),
            parcel: c[2].int(),
            address: c[3].str().map(str::to_string),
            landuse: c[4].str().map(str::to_string),
            area_m2: c[5].double(),
            area_declared_m2: c[6].double(),
        })
    }

    fn zones_near(
        &self,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(ZoneRecord<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError> {
        let (select, rows) = self.near(Kind::Zones, &ZONE_FIELDS, bbox)?;
        for row in &rows {
            let (li, lid, l) = self.layer_at(row)?;
            let id = FeatureId::try_from(row.get::<_, i32>(1)).map_err(internal)?;
            let c = select.cells(row);
            let g = multipolygon(geometry(row)?);
            let Some(zb) = bbox_of(&g) else { continue };
            let geometry = || g.clone();
            visit(ZoneRecord {
                key: FeatureKey { layer: li, id },
                layer: lid,
                id,
                imported_at: &l.entry.imported_at,
                plan_id: c[0].str().or(l.entry.plan.as_deref()),
                bbox: zb,
                landuse: c[1].str(),
                zone_id: c[2].str(),
                name: c[3].str(),
                density_pct: c[4].double(),
                floors_min: c[5].int(),
                floors_max: c[6].int(),
                far: c[7].double(),
                height_m: c[8].double(),
                geometry: &geometry,
            })?;
        }
        Ok(())
    }

    fn redlines_near(
        &self,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(RedlineRecord<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError> {
        let (select, rows) =
            self.near(Kind::Redlines, &["plan_id", "road_name", "width_m"], bbox)?;
        for row in &rows {
            let (li, lid, l) = self.layer_at(row)?;
            let id = FeatureId::try_from(row.get::<_, i32>(1)).map_err(internal)?;
            let c = select.cells(row);
            let g = multilinestring(geometry(row)?);
            let geometry = || g.clone();
            visit(RedlineRecord {
                key: FeatureKey { layer: li, id },
                layer: lid,
                id,
                imported_at: &l.entry.imported_at,
                plan_id: c[0].str().or(l.entry.plan.as_deref()),
                road_name: c[1].str(),
                width_m: c[2].double(),
                geometry: &geometry,
            })?;
        }
        Ok(())
    }

    fn plan(&self, id: &str) -> Option<&Plan> {
        self.catalog.plans.get(id)
    }

    fn commune_name(&self, code: &str) -> Option<&str> {
        self.communes.get(code)?.as_deref()
    }

    fn metric_cache(&self) -> Option<&MetricCache> {
        Some(&self.cache)
    }
}
