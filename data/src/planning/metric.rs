//! Projection of WGS 84 geometry into a metric CRS for areas and distances.
//!
//! GDAL's `CoordTransform` is neither `Send` nor `Sync`, so each server thread keeps its own
//! transformations, created once per CRS definition (a few milliseconds each with PROJ).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};

use super::{FeatureId, QueryError};

/// Key of a projected feature: the CRS definition, the layer's position and the feature id.
type MetricKey = (Arc<str>, u32, FeatureId);

/// Zones and red lines projected into a report's metric CRS. A zone is measured against every
/// parcel near it, and projecting it again for each (PROJ through GDAL) was a quarter of a
/// parcel report's time. The projection is the same either way, so answers do not depend on
/// the cache. A backend makes a new cache with each version of its data (keys name features
/// by position).
pub struct MetricCache {
    pub(crate) polygons: moka::sync::Cache<MetricKey, Arc<MultiPolygon<f64>>>,
    pub(crate) lines: moka::sync::Cache<MetricKey, Arc<MultiLineString<f64>>>,
}

/// Bytes of projected geometry kept, for zones and again for red lines.
const METRIC_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// An empty cache bounded by [`METRIC_CACHE_BYTES`] (16 bytes a coordinate).
fn bounded<T: geo::CoordsIter + Send + Sync + 'static>() -> moka::sync::Cache<MetricKey, Arc<T>> {
    moka::sync::Cache::builder()
        .max_capacity(METRIC_CACHE_BYTES)
        .weigher(|_, g: &Arc<T>| u32::try_from(g.coords_count() * 16 + 128).unwrap_or(u32::MAX))
        .build()
}

impl MetricCache {
    /// An empty cache, bounded in bytes.
    pub fn new() -> Self {
        MetricCache {
            polygons: bounded(),
            lines: bounded(),
        }
    }
}

impl Default for MetricCache {
    fn default() -> Self {
        Self::new()
    }
}

/// `project(key.0)` from `cache` when this feature was projected before; without a cache (a
/// CRS made for one site only), projected and not kept.
pub(crate) fn cached<T: Send + Sync + 'static>(
    cache: Option<&moka::sync::Cache<MetricKey, Arc<T>>>,
    key: MetricKey,
    project: impl FnOnce(&str) -> Result<T, QueryError>,
) -> Result<Arc<T>, QueryError> {
    let Some(cache) = cache else {
        return Ok(Arc::new(project(&key.0)?));
    };
    if let Some(hit) = cache.get(&key) {
        return Ok(hit);
    }
    let g = Arc::new(project(&key.0)?);
    cache.insert(key, g.clone());
    Ok(g)
}

/// Transformations cached per thread; more distinct CRSs than this (drawn sites each have
/// their own local projection) clear the cache.
const CACHE_CAP: usize = 64;

thread_local! {
    static TRANSFORMS: RefCell<HashMap<(String, bool), CoordTransform>> = RefCell::new(HashMap::new());
}

/// A local transverse Mercator (scale 1 on the central meridian) centred on a longitude:
/// the metric CRS of drawn sites. Over a site a few km wide its scale error is below 1e-6.
pub(crate) fn local_tmerc(lon: f64) -> String {
    format!("+proj=tmerc +lat_0=0 +lon_0={lon:.6} +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs")
}

fn make(def: &str, to_wgs84: bool) -> Result<CoordTransform, gdal::errors::GdalError> {
    let mut srs = if def.trim_start().starts_with('+') {
        SpatialRef::from_proj4(def)?
    } else {
        SpatialRef::from_wkt(def)?
    };
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let wgs = crate::srs::wgs84().map_err(|e| match e {
        crate::srs::SrsError::Gdal(g) => g,
        other => gdal::errors::GdalError::BadArgument(other.to_string()),
    })?;
    if to_wgs84 {
        CoordTransform::new(&srs, &wgs)
    } else {
        CoordTransform::new(&wgs, &srs)
    }
}

/// Transforms coordinate arrays in place between WGS 84 (lon, lat) and `def`.
pub(crate) fn transform(
    def: &str,
    to_wgs84: bool,
    xs: &mut [f64],
    ys: &mut [f64],
) -> Result<(), QueryError> {
    if xs.is_empty() {
        return Ok(());
    }
    TRANSFORMS.with(|cell| {
        let mut cache = cell.borrow_mut();
        let key = (def.to_string(), to_wgs84);
        if !cache.contains_key(&key) {
            if cache.len() >= CACHE_CAP {
                cache.clear();
            }
            let ct = make(def, to_wgs84)
                .map_err(|e| QueryError::Internal(format!("cannot set up projection: {e}")))?;
            cache.insert(key.clone(), ct);
        }
        let ct = cache
            .get(&key)
            .ok_or_else(|| QueryError::Internal("projection cache".into()))?;
        let mut zs = vec![0.0; xs.len()];
        ct.transform_coords(xs, ys, &mut zs)
            .map_err(|e| QueryError::Internal(format!("projection failed: {e}")))
    })
}

/// Projects WGS 84 line strings (rings) into `def`.
fn project_rings(
    def: &str,
    rings: &[&LineString<f64>],
) -> Result<Vec<LineString<f64>>, QueryError> {
    let n: usize = rings.iter().map(|r| r.0.len()).sum();
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for r in rings {
        for c in &r.0 {
            xs.push(c.x);
            ys.push(c.y);
        }
    }
    transform(def, false, &mut xs, &mut ys)?;
    let mut k = 0;
    Ok(rings
        .iter()
        .map(|r| {
            let ls = LineString::new(
                (0..r.0.len())
                    .map(|i| Coord {
                        x: xs[k + i],
                        y: ys[k + i],
                    })
                    .collect(),
            );
            k += r.0.len();
            ls
        })
        .collect())
}

/// Projects a WGS 84 multipolygon into `def`.
pub(crate) fn project_mp(
    def: &str,
    mp: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, QueryError> {
    let rings: Vec<&LineString<f64>> =
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .collect();
    let mut out = project_rings(def, &rings)?.into_iter();
    Ok(MultiPolygon::new(
        mp.0.iter()
            .map(|p| {
                let ext = out.next().unwrap_or_else(|| LineString::new(vec![]));
                let ints = (0..p.interiors().len())
                    .filter_map(|_| out.next())
                    .collect();
                Polygon::new(ext, ints)
            })
            .collect(),
    ))
}

/// Projects a WGS 84 multilinestring into `def`.
pub(crate) fn project_mls(
    def: &str,
    ml: &MultiLineString<f64>,
) -> Result<MultiLineString<f64>, QueryError> {
    let rings: Vec<&LineString<f64>> = ml.0.iter().collect();
    Ok(MultiLineString::new(project_rings(def, &rings)?))
}
