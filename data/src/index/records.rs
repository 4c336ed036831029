//! The embedded store as a [`PlanningData`] backend: its columns read into typed records, and
//! the report, which lives in [`crate::planning`], asked of it.

use super::{FeatureOut, Index, Layer};
use crate::lookup::Lookup;
use crate::planning::{
    self, Cancel, FeatureId, FeatureKey, MetricCache, ParcelRecord, PlanningData, QueryError,
    RedlineRecord, Report, Site, ZoneRecord, MAX_SITE_AREA_M2,
};
use crate::plans::Plan;
use crate::schema::Kind;
use crate::store::Catalog;

impl Index {
    /// The layers holding `kind`, with their positions (for [`FeatureKey`]s).
    fn layers_of(&self, kind: Kind) -> impl Iterator<Item = (u32, &Layer)> {
        self.layers
            .iter()
            .enumerate()
            .filter(move |(_, l)| l.entry.kind == kind)
            .map(|(i, l)| (u32::try_from(i).unwrap_or(u32::MAX), l))
    }

    /// The planning report for a parcel or a drawn polygon (WGS 84): [`planning::report`]
    /// of this store, for a visitor (no deadline, sites up to [`MAX_SITE_AREA_M2`]).
    pub fn report(&self, site: &Site) -> Result<Report, QueryError> {
        planning::report(self, site, &Cancel::new(), MAX_SITE_AREA_M2)
    }

    /// [`report`](Index::report) that stops with [`QueryError::Cancelled`] soon after
    /// `cancel` is cancelled or expires.
    pub fn report_with_cancel(&self, site: &Site, cancel: &Cancel) -> Result<Report, QueryError> {
        planning::report(self, site, cancel, MAX_SITE_AREA_M2)
    }
}

impl PlanningData for Index {
    fn parcel(&self, layer: &str, id: FeatureId) -> Result<ParcelRecord, QueryError> {
        let l = self
            .layer(layer)
            .ok_or_else(|| QueryError::NotFound(format!("unknown layer '{layer}'")))?;
        if l.entry.kind != Kind::Parcels {
            return Err(QueryError::BadRequest(format!(
                "layer '{layer}' holds {}, not parcels",
                l.entry.kind
            )));
        }
        if id as usize >= l.len() {
            return Err(QueryError::NotFound(format!(
                "layer '{layer}' has no feature {id}"
            )));
        }
        let text = |c: &str| l.str(c, id).map(str::to_string);
        Ok(ParcelRecord {
            layer: l.id.clone(),
            id,
            geometry: l.geoms.multipolygon(id as usize),
            bbox: l.geoms.bbox(id as usize),
            measure: l.entry.source.measure,
            srs_definition: l.entry.source.srs_definition.clone(),
            imported_at: l.entry.imported_at.clone(),
            commune_code: text("commune_code"),
            sheet: l.int("sheet", id),
            parcel: l.int("parcel", id),
            address: text("address"),
            landuse: text("landuse"),
            area_m2: l.double("area_m2", id),
            area_declared_m2: l.double("area_declared_m2", id),
        })
    }

    fn zones_near(
        &self,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(ZoneRecord<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError> {
        for (li, l) in self.layers_of(Kind::Zones) {
            for id in l.candidates(bbox) {
                let geometry = || l.geoms.multipolygon(id as usize);
                visit(ZoneRecord {
                    key: FeatureKey { layer: li, id },
                    layer: &l.id,
                    id,
                    imported_at: &l.entry.imported_at,
                    plan_id: l.str("plan_id", id).or(l.entry.plan.as_deref()),
                    bbox: l.geoms.bbox(id as usize),
                    landuse: l.str("landuse", id),
                    zone_id: l.str("zone_id", id),
                    name: l.str("name", id),
                    density_pct: l.double("density_pct", id),
                    floors_min: l.int("floors_min", id),
                    floors_max: l.int("floors_max", id),
                    far: l.double("far", id),
                    height_m: l.double("height_m", id),
                    geometry: &geometry,
                })?;
            }
        }
        Ok(())
    }

    fn redlines_near(
        &self,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(RedlineRecord<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError> {
        for (li, l) in self.layers_of(Kind::Redlines) {
            for id in l.candidates(bbox) {
                let geometry = || l.geoms.multilinestring(id as usize);
                visit(RedlineRecord {
                    key: FeatureKey { layer: li, id },
                    layer: &l.id,
                    id,
                    imported_at: &l.entry.imported_at,
                    plan_id: l.str("plan_id", id).or(l.entry.plan.as_deref()),
                    road_name: l.str("road_name", id),
                    width_m: l.double("width_m", id),
                    geometry: &geometry,
                })?;
            }
        }
        Ok(())
    }

    fn plan(&self, id: &str) -> Option<&Plan> {
        self.catalog().plans.get(id)
    }

    fn commune_name(&self, code: &str) -> Option<&str> {
        Index::commune_name(self, code)
    }

    fn metric_cache(&self) -> Option<&MetricCache> {
        Some(&self.metric)
    }
}

impl Lookup for Index {
    fn catalog(&self) -> &Catalog {
        Index::catalog(self)
    }

    fn feature(&self, layer: &str, id: FeatureId) -> Result<Option<FeatureOut>, QueryError> {
        Ok(Index::feature(self, layer, id))
    }

    fn parcels_at(&self, lon: f64, lat: f64) -> Result<Vec<FeatureOut>, QueryError> {
        Index::parcels_at(self, lon, lat)
    }

    fn parcels_by_number(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Result<Vec<FeatureOut>, QueryError> {
        Index::parcels_by_number(self, commune, sheet, parcel)
    }
}

impl crate::lookup::Store for Index {
    fn location(&self) -> String {
        self.dir().display().to_string()
    }

    fn layer_entry(&self, layer: &str) -> Option<&crate::store::LayerEntry> {
        Index::layer_entry(self, layer)
    }

    fn layer_ids(&self) -> Vec<&str> {
        Index::layer_ids(self)
    }

    fn features_in_bbox(
        &self,
        layer: &str,
        bbox: Option<[f64; 4]>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<FeatureOut>, usize), QueryError> {
        Index::features_in_bbox(self, layer, bbox, limit, offset)
    }

    fn visit(
        &self,
        layer: &str,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(&dyn crate::lookup::FeatureValues, &geo_types::Geometry<f64>),
    ) -> Result<(), QueryError> {
        self.visit_bbox(layer, bbox, &mut |f, g| visit(&f, g))
    }

    fn search(&self, q: &str, limit: usize) -> Result<Vec<crate::index::SearchHit>, QueryError> {
        Index::search(self, q, limit)
    }

    fn known_parcel_ids(
        &self,
        commune: &str,
        sheet: i64,
        parcel: i64,
    ) -> Option<Vec<(String, FeatureId)>> {
        let ids = self.parcel_ids_by_number(commune, sheet, parcel).ok()?;
        Some(ids.into_iter().map(|(l, id)| (l.to_string(), id)).collect())
    }

    fn as_index(&self) -> Option<&Index> {
        Some(self)
    }
}
