//! The citizen's lookups behind one trait, whatever the store: a feature by id, the parcels at
//! a point, the parcels by commune, map sheet and number, and the catalog they come from.
//! The embedded index ([`crate::index::Index`]) and the PostGIS store
//! ([`crate::pg::planning::PgData`]) implement it and give the same answers (same features,
//! same order, same JSON), checked side by side in `data/tests/postgis.rs`.

use geo_types::Geometry;

use crate::index::{FeatureOut, Index, SearchHit, ValueRef};
use crate::planning::{Cancel, FeatureId, PlanningData, QueryError, Report, Site};
use crate::store::{Catalog, LayerEntry};

/// The lookups a store answers (besides the report's questions, [`PlanningData`]).
pub trait Lookup: PlanningData {
    /// The catalog: layers and plans.
    fn catalog(&self) -> &Catalog;

    /// One feature with its public properties (never `private_*` columns); `None` when the
    /// layer has no such id.
    fn feature(&self, layer: &str, id: FeatureId) -> Result<Option<FeatureOut>, QueryError>;

    /// Parcels containing the point (WGS 84 longitude, latitude), by layer and id; when none
    /// contains it, those whose boundary it lies on.
    fn parcels_at(&self, lon: f64, lat: f64) -> Result<Vec<FeatureOut>, QueryError>;

    /// Parcels by commune (code, or name without regard to accents, case or a leading
    /// "xã"/"phường"/"thị trấn"), map sheet and parcel number; duplicates all come back. An
    /// unknown commune is [`QueryError::NotFound`].
    fn parcels_by_number(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<FeatureOut>, QueryError>;
}

/// Everything the server asks of a store, whatever holds the data: the report's questions
/// ([`PlanningData`]), the citizen's lookups ([`Lookup`]), features in a box (OGC API, lists),
/// a visit of the features near a box (tiles, previews, notices) and the type-ahead search.
/// The embedded index and the PostGIS store implement it; the server holds an
/// `Arc<dyn Store>` and never names either. The lessons read it too
/// ([`LessonSource`](crate::index::lessons::LessonSource)).
pub trait Store: Lookup + crate::index::lessons::LessonSource {
    /// Where the data is, to show (a directory, or a `postgresql://` URL without its
    /// password).
    fn location(&self) -> String;

    /// A layer's catalog entry.
    fn layer_entry(&self, layer: &str) -> Option<&LayerEntry> {
        self.catalog().layers.get(layer)
    }

    /// Layer ids, in catalog order.
    fn layer_ids(&self) -> Vec<&str> {
        self.catalog().layers.keys().map(String::as_str).collect()
    }

    /// Features whose geometry intersects the box `[w, s, e, n]` (every feature when `None`),
    /// ordered by id, `limit` from `offset`: the page and the number matched. `limit` is at
    /// most [`crate::index::MAX_PAGE`], the box at most [`crate::index::MAX_BBOX_AREA_DEG2`];
    /// an unknown layer is [`QueryError::NotFound`].
    fn features_in_bbox(
        &self,
        layer: &str,
        bbox: Option<[f64; 4]>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<FeatureOut>, usize), QueryError>;

    /// Calls `visit` with every feature of `layer` whose box meets `bbox` (perhaps a few
    /// more: callers clip or test), lending its public values and its geometry. An unknown
    /// layer is [`QueryError::NotFound`].
    fn visit(
        &self,
        layer: &str,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(&dyn FeatureValues, &Geometry<f64>),
    ) -> Result<(), QueryError>;

    /// Type-ahead search (communes, hamlets, addresses, roads, plans, parcel numbers).
    fn search(&self, q: &str, limit: usize) -> Result<Vec<SearchHit>, QueryError>;

    /// The layer and id of each parcel [`Lookup::parcels_by_number`] returns, when the store
    /// knows them without a query (the index's binary search: the report cache's fast path);
    /// `None` otherwise.
    fn known_parcel_ids(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Option<Vec<(String, FeatureId)>> {
        let _ = (commune, sheet, parcel);
        None
    }

    /// The embedded index, when this is one.
    fn as_index(&self) -> Option<&Index> {
        None
    }
}

impl dyn Store + '_ {
    /// The planning report of a site (a parcel, or a drawn polygon up to
    /// [`crate::planning::MAX_SITE_AREA_M2`]).
    pub fn report(&self, site: &Site) -> Result<Report, QueryError> {
        crate::planning::report(
            self,
            site,
            &Cancel::new(),
            crate::planning::MAX_SITE_AREA_M2,
        )
    }

    /// [`report`](Self::report) that stops with [`QueryError::Cancelled`] soon after `cancel`
    /// is cancelled or expires.
    pub fn report_with_cancel(&self, site: &Site, cancel: &Cancel) -> Result<Report, QueryError> {
        crate::planning::report(self, site, cancel, crate::planning::MAX_SITE_AREA_M2)
    }

    /// [`report_with_cancel`](Self::report_with_cancel) of a drawn site up to `max_area_m2`.
    pub fn report_within(
        &self,
        site: &Site,
        cancel: &Cancel,
        max_area_m2: f64,
    ) -> Result<Report, QueryError> {
        crate::planning::report(self, site, cancel, max_area_m2)
    }
}

/// Refuses a point that is not WGS 84 longitude, latitude.
pub(crate) fn check_lon_lat(lon: f64, lat: f64) -> Result<(), QueryError> {
    if !lon.is_finite() || !lat.is_finite() {
        return Err(QueryError::BadRequest(
            "longitude and latitude must be finite numbers (decimal degrees, WGS 84)".into(),
        ));
    }
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(QueryError::BadRequest(format!(
            "point ({lon}, {lat}) is out of range: longitude −180…180, latitude −90…90 (WGS 84 degrees, longitude first)"
        )));
    }
    Ok(())
}

/// The error of an empty commune in [`Lookup::parcels_by_number`].
pub(crate) fn empty_commune() -> QueryError {
    QueryError::BadRequest(
        "commune is empty: give the commune code (e.g. 31150) or its name (e.g. Vĩnh Thanh)".into(),
    )
}

/// The error of an unknown commune in [`Lookup::parcels_by_number`].
pub(crate) fn unknown_commune(commune: &str) -> QueryError {
    QueryError::NotFound(format!(
        "unknown commune '{commune}': give a commune code or name found in the store (search finds them)"
    ))
}

impl<T: FeatureValues + ?Sized> FeatureValues for &T {
    fn id(&self) -> FeatureId {
        (**self).id()
    }
    fn value(&self, column: &str) -> Option<ValueRef<'_>> {
        (**self).value(column)
    }
}

/// A feature lent to a visitor (tiles, a commune's box): its id and its public values by
/// column name, borrowed from the store. The index's [`crate::index::FeatureRef`] and the
/// PostGIS store's rows implement it.
pub trait FeatureValues {
    /// Feature id within its layer.
    fn id(&self) -> FeatureId;
    /// A public column's value (None when null, missing or `private_*`).
    fn value(&self, column: &str) -> Option<ValueRef<'_>>;
}
