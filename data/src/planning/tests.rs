//! The report through the seam: a second backend, which keeps owned records in vectors and
//! hands them out in another order than the embedded store, must give the same reports.

use std::collections::HashMap;

use geo_types::{MultiLineString, MultiPolygon};

use super::*;
use crate::index::tests::ix;
use crate::index::Index;

/// A zone or red line copied out of a backend, with its geometry.
struct Owned<G> {
    key: FeatureKey,
    layer: String,
    id: FeatureId,
    imported_at: String,
    plan_id: Option<String>,
    bbox: [f64; 4],
    text: [Option<String>; 3],
    numbers: [Option<f64>; 4],
    ints: [Option<i64>; 2],
    geometry: G,
}

/// Everything in memory, zones and red lines visited last-first (a database returns rows in
/// whatever order its plan finds them).
struct Memory {
    parcels: HashMap<(String, FeatureId), ParcelRecord>,
    zones: Vec<Owned<MultiPolygon<f64>>>,
    lines: Vec<Owned<MultiLineString<f64>>>,
    plans: HashMap<String, Plan>,
    communes: HashMap<String, String>,
    kinds: HashMap<String, crate::schema::Kind>,
    cache: MetricCache,
}

fn meets(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1]
}

const WORLD: [f64; 4] = [-180.0, -90.0, 180.0, 90.0];

impl Memory {
    fn copy(ix: &Index) -> Memory {
        let mut zones = Vec::new();
        ix.zones_near(WORLD, &mut |z| {
            zones.push(Owned {
                key: z.key,
                layer: z.layer.into(),
                id: z.id,
                imported_at: z.imported_at.into(),
                plan_id: z.plan_id.map(str::to_string),
                bbox: z.bbox,
                text: [z.landuse, z.zone_id, z.name].map(|t| t.map(str::to_string)),
                numbers: [z.density_pct, z.far, z.height_m, None],
                ints: [z.floors_min, z.floors_max],
                geometry: (z.geometry)(),
            });
            Ok(())
        })
        .unwrap();
        let mut lines = Vec::new();
        ix.redlines_near(WORLD, &mut |r| {
            lines.push(Owned {
                key: r.key,
                layer: r.layer.into(),
                id: r.id,
                imported_at: r.imported_at.into(),
                plan_id: r.plan_id.map(str::to_string),
                bbox: bbox_of(&(r.geometry)()).unwrap(),
                text: [r.road_name.map(str::to_string), None, None],
                numbers: [r.width_m, None, None, None],
                ints: [None, None],
                geometry: (r.geometry)(),
            });
            Ok(())
        })
        .unwrap();
        zones.reverse();
        lines.reverse();
        let n = ix.layer_entry("parcels").unwrap().count;
        let parcels = (0..n as FeatureId)
            .map(|id| {
                (
                    ("parcels".to_string(), id),
                    ix.parcel("parcels", id).unwrap(),
                )
            })
            .collect();
        let communes = (0..n as FeatureId)
            .filter_map(|id| ix.parcel("parcels", id).unwrap().commune_code)
            .filter_map(|c| Some((c.clone(), ix.commune_name(&c)?.to_string())))
            .collect();
        Memory {
            parcels,
            zones,
            lines,
            plans: ix.catalog().plans.clone().into_iter().collect(),
            kinds: ix
                .catalog()
                .layers
                .iter()
                .map(|(id, e)| (id.clone(), e.kind))
                .collect(),
            communes,
            cache: MetricCache::new(),
        }
    }
}

impl PlanningData for Memory {
    fn parcel(&self, layer: &str, id: FeatureId) -> Result<ParcelRecord, QueryError> {
        // The same refusals as the index's.
        match self.kinds.get(layer) {
            None => return Err(QueryError::NotFound(format!("unknown layer '{layer}'"))),
            Some(k) if *k != crate::schema::Kind::Parcels => {
                return Err(QueryError::BadRequest(format!(
                    "layer '{layer}' holds {k}, not parcels"
                )))
            }
            Some(_) => {}
        }
        self.parcels
            .get(&(layer.to_string(), id))
            .cloned()
            .ok_or_else(|| QueryError::NotFound(format!("layer '{layer}' has no feature {id}")))
    }

    fn zones_near(
        &self,
        bbox: [f64; 4],
        visit: &mut dyn FnMut(ZoneRecord<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError> {
        for z in self.zones.iter().filter(|z| meets(z.bbox, bbox)) {
            let geometry = || z.geometry.clone();
            visit(ZoneRecord {
                key: z.key,
                layer: &z.layer,
                id: z.id,
                imported_at: &z.imported_at,
                plan_id: z.plan_id.as_deref(),
                bbox: z.bbox,
                landuse: z.text[0].as_deref(),
                zone_id: z.text[1].as_deref(),
                name: z.text[2].as_deref(),
                density_pct: z.numbers[0],
                floors_min: z.ints[0],
                floors_max: z.ints[1],
                far: z.numbers[1],
                height_m: z.numbers[2],
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
        for r in self.lines.iter().filter(|r| meets(r.bbox, bbox)) {
            let geometry = || r.geometry.clone();
            visit(RedlineRecord {
                key: r.key,
                layer: &r.layer,
                id: r.id,
                imported_at: &r.imported_at,
                plan_id: r.plan_id.as_deref(),
                road_name: r.text[0].as_deref(),
                width_m: r.numbers[0],
                geometry: &geometry,
            })?;
        }
        Ok(())
    }

    fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.get(id)
    }

    fn commune_name(&self, code: &str) -> Option<&str> {
        self.communes.get(code).map(String::as_str)
    }

    fn metric_cache(&self) -> Option<&MetricCache> {
        Some(&self.cache)
    }
}

#[test]
fn a_second_backend_gives_the_same_reports() {
    let ix = ix();
    let memory = Memory::copy(ix);
    assert!(memory.zones.len() > 50 && memory.lines.len() > 10);
    let count = ix.layer_entry("parcels").unwrap().count as FeatureId;
    let bounds = ix.layer_entry("parcels").unwrap().bounds;
    let affected = crate::testing::same_reports(ix, &memory, count, bounds);
    assert!(
        affected > 100,
        "only {affected} parcels are affected by a plan"
    );
}
