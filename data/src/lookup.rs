//! The citizen's lookups behind one trait, whatever the store: a feature by id, the parcels at
//! a point, the parcels by commune, map sheet and number, and the catalog they come from.
//! The embedded index ([`crate::index::Index`]) and the PostGIS store
//! ([`crate::pg::planning::PgData`]) implement it and give the same answers (same features,
//! same order, same JSON), checked side by side in `data/tests/postgis.rs`.

use crate::index::{FeatureOut, ValueRef};
use crate::planning::{FeatureId, PlanningData, QueryError};
use crate::store::Catalog;

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

/// A feature lent to a visitor (tiles, a commune's box): its id and its public values by
/// column name, borrowed from the store. The index's [`crate::index::FeatureRef`] and the
/// PostGIS store's rows implement it.
pub trait FeatureValues {
    /// Feature id within its layer.
    fn id(&self) -> FeatureId;
    /// A public column's value (None when null, missing or `private_*`).
    fn value(&self, column: &str) -> Option<ValueRef<'_>>;
}
