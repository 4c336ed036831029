//! The planning logic, apart from any store: the report of a site (which plans touch it, how
//! its area splits between planned uses, the red lines near it, the plain answer), the
//! overlays it is measured with, the metric projections, and VN-2000 coordinate conversion.
//!
//! It reads the data through one trait, [`PlanningData`]: a parcel by its id, the zones and
//! the red lines near a box, a plan of the catalog, a commune's name. Each answer is a typed
//! record ([`ParcelRecord`], [`ZoneRecord`], [`RedlineRecord`], [`Plan`]) with the fields the
//! logic uses, not columns read by name, so a backend only has to fill them in. The embedded
//! store ([`crate::index::Index`], FlatGeobuf + R-trees) is the first backend; the logic here
//! knows none.

pub mod convert;
pub(crate) mod metric;
mod overlay;
pub mod report;
#[cfg(test)]
mod tests;

use geo::BoundingRect;
use geo_types::{MultiPolygon, Rect};

use crate::plans::Plan;
use crate::srs::Measure;

pub use convert::{convert, MAX_CONVERT_POINTS};
pub use metric::MetricCache;
pub use report::{
    report, Cancel, CancelOnDrop, LandUseOut, PlanReport, PlanVerdict, RedlineHit, Report,
    SiteSummary, ZoneOverlap, DISCLAIMER_EN, DISCLAIMER_VI, MAX_SITE_AREA_M2, MAX_SITE_VERTICES,
    OFFICE_EN, OFFICE_VI, REDLINE_NEAR_M, SLIVER_M2, SLIVER_PCT,
};

/// Index of a feature within its layer (its position in the layer), stable while a version of
/// the data is served.
pub type FeatureId = u32;

/// Errors of a request: the server maps them to HTTP statuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// 400: the request is malformed; says what was wrong and what is accepted.
    #[error("{0}")]
    BadRequest(String),
    /// 404: the layer, feature, commune or plan does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 413: the input is over a documented cap.
    #[error("{0}")]
    TooLarge(String),
    /// 500: an internal failure (e.g. PROJ refused a transformation).
    #[error("{0}")]
    Internal(String),
    /// 503: the work was stopped by its [`Cancel`] token (its deadline passed or its client
    /// went away).
    #[error("the report took too long and was stopped")]
    Cancelled,
}

/// The site of a planning report.
#[derive(Debug, Clone)]
pub enum Site {
    /// A stored parcel.
    Parcel {
        /// Parcel layer id.
        layer: String,
        /// Feature id.
        id: FeatureId,
    },
    /// A drawn or uploaded polygon, WGS 84.
    Geometry(MultiPolygon<f64>),
}

/// A feature's key: the layer's position in the catalog's order of layers and the feature's
/// id. The report merges what it finds in the order of these keys (whatever order a backend
/// visits features in), and caches projected geometry by them. Stable while one version of
/// the data is served (a backend hands out a new [`MetricCache`] with each version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeatureKey {
    /// The layer's position.
    pub layer: u32,
    /// The feature's id within it.
    pub id: FeatureId,
}

/// A parcel, as the report reads it.
#[derive(Debug, Clone)]
pub struct ParcelRecord {
    /// Parcel layer id.
    pub layer: String,
    /// Feature id within the layer.
    pub id: FeatureId,
    /// Boundary, WGS 84 longitude/latitude.
    pub geometry: MultiPolygon<f64>,
    /// `[w, s, e, n]` of the boundary.
    pub bbox: [f64; 4],
    /// How the layer's source measures areas: planar in its CRS or geodesic.
    pub measure: Measure,
    /// The layer's source CRS (PROJ definition): a parcel is measured in the CRS it was
    /// surveyed in, so its report area equals its stored `area_m2`.
    pub srs_definition: String,
    /// When the layer was imported (RFC 3339).
    pub imported_at: String,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Map sheet number.
    pub sheet: Option<i64>,
    /// Parcel number on the sheet.
    pub parcel: Option<i64>,
    /// Address.
    pub address: Option<String>,
    /// Current land use codes, `+`/`,`-separated as stored (e.g. `ONT+CLN`).
    pub landuse: Option<String>,
    /// Area the import measured, m².
    pub area_m2: Option<f64>,
    /// Area declared in the source (the certificate's), m².
    pub area_declared_m2: Option<f64>,
}

/// A planning zone near a site, borrowed from the backend while it is visited.
pub struct ZoneRecord<'a> {
    /// Cache key.
    pub key: FeatureKey,
    /// Zone layer id.
    pub layer: &'a str,
    /// Feature id.
    pub id: FeatureId,
    /// When the layer was imported (RFC 3339).
    pub imported_at: &'a str,
    /// The plan the zone belongs to: its own `plan_id`, else its layer's plan.
    pub plan_id: Option<&'a str>,
    /// `[w, s, e, n]` of the zone.
    pub bbox: [f64; 4],
    /// Planned land use codes as stored (main use first).
    pub landuse: Option<&'a str>,
    /// The plan's own zone code (e.g. `OTM-03`).
    pub zone_id: Option<&'a str>,
    /// Zone name.
    pub name: Option<&'a str>,
    /// Building density, %.
    pub density_pct: Option<f64>,
    /// Fewest floors.
    pub floors_min: Option<i64>,
    /// Most floors.
    pub floors_max: Option<i64>,
    /// Floor area ratio.
    pub far: Option<f64>,
    /// Height limit, m.
    pub height_m: Option<f64>,
    /// The zone's boundary, WGS 84, made on demand (most zones visited are only boxes the
    /// report skips, or are found projected in the [`MetricCache`]).
    pub geometry: &'a dyn Fn() -> MultiPolygon<f64>,
}

/// A red line (the boundary of a planned road) near a site.
pub struct RedlineRecord<'a> {
    /// Cache key.
    pub key: FeatureKey,
    /// Red-line layer id.
    pub layer: &'a str,
    /// Feature id.
    pub id: FeatureId,
    /// When the layer was imported (RFC 3339).
    pub imported_at: &'a str,
    /// The plan: the line's own `plan_id`, else its layer's plan.
    pub plan_id: Option<&'a str>,
    /// Road name.
    pub road_name: Option<&'a str>,
    /// Planned road width between the red lines, m.
    pub width_m: Option<f64>,
    /// The line, WGS 84, made on demand.
    pub geometry: &'a dyn Fn() -> geo_types::MultiLineString<f64>,
}

/// The questions the planning logic asks of a store. Implemented by the embedded store
/// ([`crate::index::Index`]); a backend answers them from whatever it keeps.
pub trait PlanningData: Send + Sync {
    /// The parcel `id` of layer `layer`: [`QueryError::NotFound`] for an unknown layer or id,
    /// [`QueryError::BadRequest`] for a layer that does not hold parcels.
    fn parcel(&self, layer: &str, id: FeatureId) -> Result<ParcelRecord, QueryError>;

    /// Visits the zones whose box meets `bbox` (`[w, s, e, n]`, WGS 84), layer by layer in
    /// the catalog's order; an error from `visit` stops the visit and is returned.
    fn zones_near(
        &self,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(ZoneRecord<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError>;

    /// Visits the red lines whose box meets `bbox`, layer by layer in the catalog's order.
    fn redlines_near(
        &self,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(RedlineRecord<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError>;

    /// A plan of the catalog.
    fn plan(&self, id: &str) -> Option<&Plan>;

    /// A commune's name by its code.
    fn commune_name(&self, code: &str) -> Option<&str>;

    /// Zones and red lines already projected, kept for this version of the data (none: every
    /// report projects its own).
    fn metric_cache(&self) -> Option<&MetricCache> {
        None
    }
}

/// Bounding box of a geometry as `[w, s, e, n]` (None when it is empty).
pub fn bbox_of<G: BoundingRect<f64>>(g: &G) -> Option<[f64; 4]>
where
    G::Output: Into<Option<Rect<f64>>>,
{
    let r: Option<Rect<f64>> = g.bounding_rect().into();
    r.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}
