//! The planning report of a site: which plans touch it, how its area splits between planned
//! land uses, the red lines near it, and a plain answer to "is my land affected?".
//!
//! Areas and distances are computed in a metric projection: the parcel layer's source CRS
//! (the VN-2000 TM-3 zone the cadastral survey was made in, so a parcel's report area equals
//! its stored `area_m2`), or for a drawn site a local transverse Mercator centred on it.
//! Zones and red lines are projected into the same CRS and intersected with geo's
//! `BooleanOps`.
//!
//! A drawn site may have [`MAX_SITE_VERTICES`] vertices, so no overlay takes the whole site
//! against a small zone or line: the site is first cut to the box of the other geometry
//! ([`clip_to_box`](super::geom::clip_to_box), linear in the site's vertices, exact inside the
//! box), and the road pieces of a plan are merged in one `unary_union`. Every loop checks a
//! [`Cancel`] token, so a report whose deadline passed or whose client left stops within a
//! few milliseconds instead of running on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use geo::orient::Direction;
use geo::{unary_union, Area, BoundingRect, Buffer, Distance, Euclidean, Orient};
use geo_types::{Geometry, MultiPolygon};
use serde::Serialize;

use super::geom::{clip_to_box, length_inside, overlap_area};
use super::metric::{local_tmerc, project_mls, project_mp};
use super::{bbox_of, FeatureId, Index, QueryError, Site};
use crate::landuse;
use crate::plans::{Plan, PlanLevel, PlanStatus};
use crate::schema::Kind;
use crate::srs::Measure;

/// Most vertices of a drawn or uploaded site: a surveyed boundary has hundreds, a detailed
/// one from CAD a few thousand; beyond this the overlay would take seconds per request.
pub const MAX_SITE_VERTICES: usize = 100_000;

/// Largest drawn site, m² (100 km², a whole district): reports are for sites, not regions.
pub const MAX_SITE_AREA_M2: f64 = 100_000_000.0;

/// Red lines this close to a site (m) are listed with their distance, even if they do not
/// cross it: a road widening a few metres away still matters to a buyer.
pub const REDLINE_NEAR_M: f64 = 30.0;

/// Overlaps smaller than this (m²) do not make a site "affected": cadastral and planning
/// maps drawn separately disagree along shared edges by decimetres, which over a 20 m
/// frontage is a fraction of a square metre.
pub const SLIVER_M2: f64 = 1.0;

/// Overlaps below this (m²) are numerical noise and are not listed.
const MIN_OVERLAP_M2: f64 = 0.01;

/// A DGT zone within this distance (m) of a red line is the corridor the line bounds.
const TOUCH_M: f64 = 0.5;

const DRAFT_NOTE_VI: &str = "Dự thảo lấy ý kiến — chưa có giá trị pháp lý";
const DISCLAIMER_VI: &str = "Thông tin chỉ mang tính tham khảo. Căn cứ pháp lý là quyết định phê duyệt quy hoạch \
    và hồ sơ quy hoạch kèm theo; để có thông tin chính thức, liên hệ cơ quan quản lý quy hoạch \
    (Phòng Quản lý đô thị, Phòng Tài nguyên và Môi trường) hoặc đề nghị cung cấp thông tin quy hoạch.";
const DISCLAIMER_EN: &str = "For reference only. The legal reference is the decision approving the plan and \
    its planning documents; for official information ask the planning authority (urban management or \
    natural resources and environment office) for a planning information certificate.";

/// Lets the caller stop a report: cancelled on request ([`Cancel::cancel`], or when a
/// [`CancelOnDrop`] guard is dropped, e.g. with the request future of a client that left) or
/// once its deadline passes. Cheap to clone and to [`check`](Cancel::check) (an atomic load
/// and a clock read).
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A token that is never cancelled unless [`cancel`](Cancel::cancel) is called.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// A token that also expires `after` from now.
    pub fn with_timeout(after: Duration) -> Self {
        Cancel {
            flag: Arc::default(),
            deadline: Instant::now().checked_add(after),
        }
    }

    /// Stops the work holding this token (or a clone of it) at its next check.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether the work should stop.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed) || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err(QueryError::Cancelled)` once the token is cancelled or past its deadline.
    pub fn check(&self) -> Result<(), QueryError> {
        if self.is_cancelled() {
            Err(QueryError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// A guard that cancels this token when dropped: hold it in the future that waits for the
    /// work, so a timeout or a disconnect that drops the future stops the work too.
    pub fn guard(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Cancels its [`Cancel`] token when dropped (see [`Cancel::guard`]).
#[derive(Debug)]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A land-use code with its names and map colour.
#[derive(Debug, Clone, Serialize)]
pub struct LandUseOut {
    /// Code, e.g. `ODT`.
    pub code: String,
    /// Vietnamese name (None for codes not in the table).
    pub name_vi: Option<String>,
    /// English name.
    pub name_en: Option<String>,
    /// Map colour `#RRGGBB`.
    pub color: Option<String>,
}

impl LandUseOut {
    fn new(code: &str) -> Self {
        let l = landuse::lookup(code);
        LandUseOut {
            code: code.to_string(),
            name_vi: l.map(|l| l.name_vi.clone()),
            name_en: l.map(|l| l.name_en.clone()),
            color: l.map(|l| l.color.clone()),
        }
    }
}

/// The site of a report.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSummary {
    /// `parcel` or `drawn`.
    pub kind: String,
    /// "Thửa 345, tờ 12, xã Vĩnh Thanh" or "Khu đất vẽ".
    pub label: String,
    /// Parcel layer.
    pub layer: Option<String>,
    /// Parcel id.
    pub id: Option<FeatureId>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Commune name.
    pub commune_name: Option<String>,
    /// Map sheet number.
    pub sheet: Option<i64>,
    /// Parcel number.
    pub parcel: Option<i64>,
    /// Address.
    pub address: Option<String>,
    /// Area in m², computed in `metric_crs`.
    pub area_m2: f64,
    /// Area stored at import (parcels).
    pub stored_area_m2: Option<f64>,
    /// Area declared in the source (the certificate's area).
    pub declared_area_m2: Option<f64>,
    /// Current land use(s).
    pub current_landuse: Vec<LandUseOut>,
    /// WGS 84 box.
    pub bbox: [f64; 4],
    /// The metric CRS used (PROJ string or WKT).
    pub metric_crs: String,
}

/// The planning report of a site.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The site.
    pub site: SiteSummary,
    /// True if a plan in force (or a draft) plans a use different from the current one on
    /// more than [`SLIVER_M2`], or a red line crosses the site.
    pub affected: bool,
    /// One plain Vietnamese sentence answering "is my land affected?".
    pub summary_vi: String,
    /// The same in English.
    pub summary_en: String,
    /// One per plan with zones or red lines at the site; in force first, drafts marked.
    pub plans: Vec<PlanReport>,
    /// Latest import time of the layers used.
    pub data_date: String,
    /// Legal notice, Vietnamese.
    pub disclaimer_vi: String,
    /// Legal notice, English.
    pub disclaimer_en: String,
}

/// One plan at the site.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// The plan and its approving decision.
    pub plan: Plan,
    /// E.g. "Dự thảo lấy ý kiến — chưa có giá trị pháp lý" for drafts.
    pub status_note: Option<String>,
    /// Zones by overlap, largest first; their percentages add up to `coverage_pct`.
    pub zones: Vec<ZoneOverlap>,
    /// Share of the site covered by this plan's zones, %.
    pub coverage_pct: f64,
    /// Red lines crossing or near the site.
    pub redlines: Vec<RedlineHit>,
    /// Store layers consulted.
    pub layers: Vec<String>,
    /// Latest import time of those layers.
    pub imported_at: String,
}

/// A zone's share of the site.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneOverlap {
    pub layer: String,
    pub id: FeatureId,
    pub zone_id: Option<String>,
    pub name: Option<String>,
    /// Planned land-use code.
    pub landuse: String,
    pub landuse_name_vi: Option<String>,
    pub landuse_name_en: Option<String>,
    pub color: Option<String>,
    /// Overlap with the site, m² (metric CRS).
    pub overlap_m2: f64,
    /// Overlap as % of the site's area.
    pub overlap_pct: f64,
    pub density_pct: Option<f64>,
    pub floors_min: Option<i64>,
    pub floors_max: Option<i64>,
    pub far: Option<f64>,
    pub height_m: Option<f64>,
    /// overlap_m2 × density_pct / 100.
    pub max_footprint_m2: Option<f64>,
    /// overlap_m2 × far.
    pub max_floor_area_m2: Option<f64>,
    /// Whether the planned use is one of the site's current uses.
    pub same_as_current: bool,
}

/// A red line crossing or near the site.
#[derive(Debug, Clone, Serialize)]
pub struct RedlineHit {
    pub layer: String,
    pub id: FeatureId,
    pub road_name: Option<String>,
    /// Planned road width (lộ giới), m.
    pub width_m: Option<f64>,
    /// Whether the line passes through the site's interior.
    pub crosses_site: bool,
    /// Shortest distance from the site, m (0 when it crosses or touches).
    pub distance_m: f64,
    /// Site area inside the future road corridor, m².
    pub area_in_road_m2: f64,
    /// The same as % of the site.
    pub area_in_road_pct: f64,
    /// How the corridor was found: `dgt_zones` (the plan's transport zones bounded by the
    /// line), `buffer` (width_m / 2 each side of the line, when the plan has no such zone)
    /// or `none` (no zone and no width).
    pub method: String,
}

/// Codes of a '+'-separated land-use value ("ODT+CLN").
fn split_codes(s: &str) -> Vec<String> {
    s.split(['+', ',', ';'])
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .collect()
}

fn status_rank(s: PlanStatus) -> u8 {
    match s {
        PlanStatus::InForce => 0,
        PlanStatus::Adjusted => 1,
        PlanStatus::Draft => 2,
        PlanStatus::Expired => 3,
    }
}

fn level_rank(l: PlanLevel) -> u8 {
    match l {
        PlanLevel::Detailed500 => 0,
        PlanLevel::Zoning2000 => 1,
        PlanLevel::GeneralUrban => 2,
        PlanLevel::DistrictLandUse => 3,
        PlanLevel::Provincial => 4,
        PlanLevel::Regional => 5,
        PlanLevel::National => 6,
    }
}

/// Counts in-force weight of a status for "affected".
fn counts(s: PlanStatus) -> bool {
    matches!(s, PlanStatus::InForce | PlanStatus::Draft)
}

fn pct_text(p: f64) -> String {
    if p >= 9.95 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

fn m2_text(a: f64) -> String {
    if a >= 10.0 {
        format!("{a:.0}")
    } else {
        format!("{a:.1}")
    }
}

#[derive(Default)]
struct PlanAcc {
    zones: Vec<ZoneOverlap>,
    redlines: Vec<RedlineHit>,
    layers: BTreeSet<String>,
    imported_at: String,
    /// Projected DGT zones near the site, their metric box and their overlap with it (CRS
    /// units²).
    dgt: Vec<(MultiPolygon<f64>, [f64; 4], f64)>,
    /// Which of `dgt` bound a red line near the site (road corridors).
    dgt_road: BTreeSet<usize>,
    /// Other road corridors (width buffers of red lines), for the plan's total.
    road_buffers: Vec<MultiPolygon<f64>>,
}

/// Metric box `[xmin, ymin, xmax, ymax]` of a geometry, grown by `margin` (None when empty).
fn metric_box<G: BoundingRect<f64>>(g: &G, margin: f64) -> Option<[f64; 4]>
where
    G::Output: Into<Option<geo_types::Rect<f64>>>,
{
    let r: geo_types::Rect<f64> = g.bounding_rect().into()?;
    Some([
        r.min().x - margin,
        r.min().y - margin,
        r.max().x + margin,
        r.max().y + margin,
    ])
}

/// Distance between two boxes (0 when they meet).
fn box_distance(a: [f64; 4], b: [f64; 4]) -> f64 {
    let dx = (a[0] - b[2]).max(b[0] - a[2]).max(0.0);
    let dy = (a[1] - b[3]).max(b[1] - a[3]).max(0.0);
    dx.hypot(dy)
}

fn check_site_geometry(mp: &MultiPolygon<f64>) -> Result<(), QueryError> {
    let n: usize =
        mp.0.iter()
            .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
            .sum();
    if n > MAX_SITE_VERTICES {
        return Err(QueryError::TooLarge(format!(
            "the site has {n} vertices; at most {MAX_SITE_VERTICES} (simplify the boundary)"
        )));
    }
    if n == 0 {
        return Err(QueryError::BadRequest("the site polygon is empty".into()));
    }
    for p in &mp.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            if r.0.len() < 4 {
                return Err(QueryError::BadRequest(
                    "every ring of the site needs at least 4 positions (closed)".into(),
                ));
            }
            for c in &r.0 {
                if !c.x.is_finite() || !c.y.is_finite() {
                    return Err(QueryError::BadRequest(
                        "the site has a coordinate that is not a finite number".into(),
                    ));
                }
                if c.x.abs() > 180.0 || c.y.abs() > 90.0 {
                    return Err(QueryError::BadRequest(format!(
                        "site coordinate ({}, {}) is not WGS 84 longitude, latitude (degrees; VN-2000 metres must be converted first)",
                        c.x, c.y
                    )));
                }
            }
        }
    }
    Ok(())
}

impl Index {
    /// The planning report for a parcel or a drawn polygon (WGS 84).
    pub fn report(&self, site: &Site) -> Result<Report, QueryError> {
        self.report_with_cancel(site, &Cancel::new())
    }

    /// [`report`](Index::report) that stops with [`QueryError::Cancelled`] soon (a few
    /// milliseconds on a 20,000-vertex site) after `cancel` is cancelled or expires.
    pub fn report_with_cancel(&self, site: &Site, cancel: &Cancel) -> Result<Report, QueryError> {
        cancel.check()?;
        let mut used_dates: Vec<String> = Vec::new();
        // The site, its metric CRS and what we know of it.
        let (site_wgs, def, unit, mut summary) = match site {
            Site::Parcel { layer, id } => {
                let l = self
                    .layer(layer)
                    .ok_or_else(|| QueryError::NotFound(format!("unknown layer '{layer}'")))?;
                if l.entry.kind != Kind::Parcels {
                    return Err(QueryError::BadRequest(format!(
                        "layer '{layer}' holds {}, not parcels",
                        l.entry.kind
                    )));
                }
                if *id as usize >= l.len() {
                    return Err(QueryError::NotFound(format!(
                        "layer '{layer}' has no feature {id}"
                    )));
                }
                used_dates.push(l.entry.imported_at.clone());
                let mp = l.geoms.multipolygon(*id as usize);
                let bbox = l.geoms.bbox(*id as usize);
                let (def, unit) = match l.entry.source.measure {
                    Measure::Planar { unit_m } => (l.entry.source.srs_definition.clone(), unit_m),
                    Measure::Geodesic => (local_tmerc((bbox[0] + bbox[2]) / 2.0), 1.0),
                };
                let code = l.str("commune_code", *id).map(str::to_string);
                let commune_name = code
                    .as_deref()
                    .and_then(|c| self.commune_name(c))
                    .map(str::to_string);
                let sheet = l.int("sheet", *id);
                let parcel = l.int("parcel", *id);
                let place = commune_name
                    .clone()
                    .or_else(|| code.clone())
                    .unwrap_or_default();
                let label = match (sheet, parcel) {
                    (Some(s), Some(p)) => format!("Thửa {p}, tờ {s}, {place}"),
                    _ => format!("Thửa đất {id} ({layer})"),
                };
                let current = l
                    .str("landuse", *id)
                    .map(split_codes)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| LandUseOut::new(c))
                    .collect();
                let summary = SiteSummary {
                    kind: "parcel".into(),
                    label,
                    layer: Some(layer.clone()),
                    id: Some(*id),
                    commune_code: code,
                    commune_name,
                    sheet,
                    parcel,
                    address: l.str("address", *id).map(str::to_string),
                    area_m2: 0.0,
                    stored_area_m2: l.double("area_m2", *id),
                    declared_area_m2: l.double("area_declared_m2", *id),
                    current_landuse: current,
                    bbox,
                    metric_crs: def.clone(),
                };
                (mp, def, unit, summary)
            }
            Site::Geometry(mp) => {
                check_site_geometry(mp)?;
                let bbox = bbox_of(mp)
                    .ok_or_else(|| QueryError::BadRequest("the site polygon is empty".into()))?;
                let def = local_tmerc((bbox[0] + bbox[2]) / 2.0);
                let summary = SiteSummary {
                    kind: "drawn".into(),
                    label: "Khu đất vẽ".into(),
                    layer: None,
                    id: None,
                    commune_code: None,
                    commune_name: None,
                    sheet: None,
                    parcel: None,
                    address: None,
                    area_m2: 0.0,
                    stored_area_m2: None,
                    declared_area_m2: None,
                    current_landuse: Vec::new(),
                    bbox,
                    metric_crs: def.clone(),
                };
                (mp.clone(), def, 1.0, summary)
            }
        };
        let a2 = unit * unit;
        // Exteriors counter-clockwise, holes clockwise: overlap_area counts winding numbers.
        let site_m = project_mp(&def, &site_wgs)?.orient(Direction::Default);
        let site_area = site_m.unsigned_area() * a2;
        if site_area.is_nan() || site_area <= 0.0 {
            return Err(QueryError::BadRequest(
                "the site has no area (degenerate polygon)".into(),
            ));
        }
        if matches!(site, Site::Geometry(_)) && site_area > MAX_SITE_AREA_M2 {
            return Err(QueryError::TooLarge(format!(
                "the site covers {:.1} km²; at most {} km² per report",
                site_area / 1e6,
                MAX_SITE_AREA_M2 / 1e6
            )));
        }
        summary.area_m2 = site_area;
        let b = summary.bbox;
        let lat = (b[1] + b[3]) / 2.0;
        let dlat = REDLINE_NEAR_M / 111_000.0;
        let dlon = dlat / lat.to_radians().cos().max(0.01);
        let near = [b[0] - dlon, b[1] - dlat, b[2] + dlon, b[3] + dlat];
        let current: Vec<String> = summary
            .current_landuse
            .iter()
            .map(|l| l.code.clone())
            .collect();
        // Boxes are grown by a metre so the geometry they hold is strictly inside them (see
        // clip_to_box).
        let margin = 1.0 / unit;

        let mut acc: BTreeMap<String, PlanAcc> = BTreeMap::new();
        // Zones.
        for l in self.layers.iter().filter(|l| l.entry.kind == Kind::Zones) {
            for id in l.candidates(near) {
                let Some(plan_id) = l
                    .str("plan_id", id)
                    .map(str::to_string)
                    .or_else(|| l.entry.plan.clone())
                else {
                    continue;
                };
                let zb = l.geoms.bbox(id as usize);
                let touches_site = zb[0] <= b[2] && zb[2] >= b[0] && zb[1] <= b[3] && zb[3] >= b[1];
                let landuse = l.str("landuse", id).unwrap_or("").to_string();
                let codes = split_codes(&landuse);
                let is_dgt = codes.first().is_some_and(|c| c == "DGT");
                if !touches_site && !is_dgt {
                    continue;
                }
                cancel.check()?;
                let zone_m = project_mp(&def, &l.geoms.multipolygon(id as usize))?;
                let Some(zone_box) = metric_box(&zone_m, margin) else {
                    continue;
                };
                let inter = if touches_site {
                    overlap_area(&site_m, &zone_m, zone_box, cancel)?
                } else {
                    0.0
                };
                let overlap = inter * a2;
                let a = acc.entry(plan_id).or_default();
                a.layers.insert(l.id.clone());
                if a.imported_at < l.entry.imported_at {
                    a.imported_at = l.entry.imported_at.clone();
                }
                if is_dgt {
                    a.dgt.push((zone_m, zone_box, inter));
                }
                if overlap < MIN_OVERLAP_M2 {
                    continue;
                }
                let main = codes.first().cloned().unwrap_or_default();
                let lu = LandUseOut::new(&main);
                let density = l.double("density_pct", id);
                let far = l.double("far", id);
                a.zones.push(ZoneOverlap {
                    layer: l.id.clone(),
                    id,
                    zone_id: l.str("zone_id", id).map(str::to_string),
                    name: l.str("name", id).map(str::to_string),
                    landuse: if landuse.is_empty() {
                        main.clone()
                    } else {
                        landuse.clone()
                    },
                    landuse_name_vi: lu.name_vi,
                    landuse_name_en: lu.name_en,
                    color: lu.color,
                    overlap_m2: overlap,
                    overlap_pct: overlap / site_area * 100.0,
                    density_pct: density,
                    floors_min: l.int("floors_min", id),
                    floors_max: l.int("floors_max", id),
                    far,
                    height_m: l.double("height_m", id),
                    max_footprint_m2: density.map(|d| overlap * d / 100.0),
                    max_floor_area_m2: far.map(|f| overlap * f),
                    same_as_current: !main.is_empty() && current.contains(&main),
                });
            }
        }
        // Red lines.
        for l in self
            .layers
            .iter()
            .filter(|l| l.entry.kind == Kind::Redlines)
        {
            for id in l.candidates(near) {
                let Some(plan_id) = l
                    .str("plan_id", id)
                    .map(str::to_string)
                    .or_else(|| l.entry.plan.clone())
                else {
                    continue;
                };
                cancel.check()?;
                let line_m = project_mls(&def, &l.geoms.multilinestring(id as usize))?;
                let Some(line_box) = metric_box(&line_m, margin) else {
                    continue;
                };
                // Every point of the site within REDLINE_NEAR_M of the line is in this box, so
                // the distance to the site cut to it is the same whenever it matters.
                let near_box =
                    metric_box(&line_m, REDLINE_NEAR_M / unit + margin).unwrap_or(line_box);
                let site_near = clip_to_box(&site_m, near_box);
                if site_near.0.is_empty() {
                    continue;
                }
                let line_geom = Geometry::MultiLineString(line_m.clone());
                let distance = Euclidean
                    .distance(&Geometry::MultiPolygon(site_near.clone()), &line_geom)
                    * unit;
                if distance > REDLINE_NEAR_M {
                    continue;
                }
                // A line at a distance does not cross; the clip is an overlay, skipped then.
                let crosses = distance < 0.01
                    && length_inside(&site_near, &line_m, line_box, cancel)? * unit > 0.01;
                let width = l.double("width_m", id);
                let a = acc.entry(plan_id).or_default();
                a.layers.insert(l.id.clone());
                if a.imported_at < l.entry.imported_at {
                    a.imported_at = l.entry.imported_at.clone();
                }
                let mut corridor: Vec<usize> = Vec::new();
                for (i, (z, zb, _)) in a.dgt.iter().enumerate() {
                    cancel.check()?;
                    if box_distance(*zb, line_box) * unit <= TOUCH_M + 2.0
                        && Euclidean.distance(&Geometry::MultiPolygon(z.clone()), &line_geom) * unit
                            <= TOUCH_M
                    {
                        corridor.push(i);
                    }
                }
                let (area, method) = if !corridor.is_empty() {
                    let area = corridor.iter().map(|&i| a.dgt[i].2).sum::<f64>() * a2;
                    a.dgt_road.extend(corridor);
                    (area, "dgt_zones")
                } else if let Some(w) = width.filter(|w| *w > 0.0) {
                    let buffer = line_m.buffer(w / 2.0 / unit);
                    let area = match metric_box(&buffer, margin) {
                        Some(bb) => overlap_area(&site_m, &buffer, bb, cancel)? * a2,
                        None => 0.0,
                    };
                    a.road_buffers.push(buffer);
                    (area, "buffer")
                } else {
                    (0.0, "none")
                };
                a.redlines.push(RedlineHit {
                    layer: l.id.clone(),
                    id,
                    road_name: l.str("road_name", id).map(str::to_string),
                    width_m: width,
                    crosses_site: crosses,
                    distance_m: if crosses { 0.0 } else { distance },
                    area_in_road_m2: area,
                    area_in_road_pct: area / site_area * 100.0,
                    method: method.into(),
                });
            }
        }

        // Assemble, per plan.
        let mut plans: Vec<(PlanReport, f64)> = Vec::new();
        for (plan_id, mut a) in acc {
            if a.zones.is_empty() && a.redlines.is_empty() {
                continue;
            }
            let Some(plan) = self.catalog.plans.get(&plan_id) else {
                tracing::warn!("features reference plan '{plan_id}', which the catalog lacks");
                continue;
            };
            a.zones
                .sort_by(|x, y| y.overlap_m2.total_cmp(&x.overlap_m2).then(x.id.cmp(&y.id)));
            a.redlines.sort_by(|x, y| {
                y.crosses_site
                    .cmp(&x.crosses_site)
                    .then(x.distance_m.total_cmp(&y.distance_m))
                    .then(x.id.cmp(&y.id))
            });
            let coverage = a.zones.iter().map(|z| z.overlap_pct).sum::<f64>();
            // Total road area without counting a corridor twice (both red lines of a road
            // bound the same zone): the site's overlap with the union of the corridors (a
            // union of a few small polygons, not of the site's pieces).
            cancel.check()?;
            let corridors: Vec<MultiPolygon<f64>> = a
                .dgt_road
                .iter()
                .map(|&i| a.dgt[i].0.orient(Direction::Default))
                .chain(a.road_buffers.iter().map(|b| b.orient(Direction::Default)))
                .collect();
            let road_area = if corridors.is_empty() {
                0.0
            } else {
                let road = unary_union(&corridors);
                match metric_box(&road, margin) {
                    Some(bb) => overlap_area(&site_m, &road, bb, cancel)? * a2,
                    None => 0.0,
                }
            };
            used_dates.push(a.imported_at.clone());
            plans.push((
                PlanReport {
                    status_note: (plan.status == PlanStatus::Draft)
                        .then(|| DRAFT_NOTE_VI.to_string())
                        .or_else(|| match plan.status {
                            PlanStatus::Expired => Some("Hết hiệu lực — chỉ để tham khảo".into()),
                            PlanStatus::Adjusted => {
                                Some("Đã được điều chỉnh — xem quyết định điều chỉnh".into())
                            }
                            _ => None,
                        }),
                    plan: plan.clone(),
                    zones: a.zones,
                    coverage_pct: coverage,
                    redlines: a.redlines,
                    layers: a.layers.into_iter().collect(),
                    imported_at: a.imported_at,
                },
                road_area,
            ));
        }
        plans.sort_by(|(x, _), (y, _)| {
            (
                status_rank(x.plan.status),
                level_rank(x.plan.level),
                &x.plan.id,
            )
                .cmp(&(
                    status_rank(y.plan.status),
                    level_rank(y.plan.level),
                    &y.plan.id,
                ))
        });

        let drawn = matches!(site, Site::Geometry(_));
        let (affected, summary_vi, summary_en) = summarise(&plans, drawn, &current, site_area);
        Ok(Report {
            site: summary,
            affected,
            summary_vi,
            summary_en,
            plans: plans.into_iter().map(|(p, _)| p).collect(),
            data_date: used_dates.into_iter().max().unwrap_or_default(),
            disclaimer_vi: DISCLAIMER_VI.into(),
            disclaimer_en: DISCLAIMER_EN.into(),
        })
    }
}

/// Decides "affected" and writes the one-line answers.
fn summarise(
    plans: &[(PlanReport, f64)],
    drawn: bool,
    current: &[String],
    site_area: f64,
) -> (bool, String, String) {
    let (subj_vi, subj_en) = if drawn {
        ("Khu đất", "The site")
    } else {
        ("Thửa đất", "The parcel")
    };
    let plan_ref = |p: &PlanReport| {
        let draft = if p.plan.status == PlanStatus::Draft {
            " (dự thảo, chưa có giá trị pháp lý)"
        } else {
            ""
        };
        (
            format!("{} ({}){draft}", p.plan.name, p.plan.decision.number),
            format!(
                "{} ({}){}",
                p.plan.name,
                p.plan.decision.number,
                if draft.is_empty() {
                    ""
                } else {
                    " (draft, not legally binding)"
                }
            ),
        )
    };
    let relevant: Vec<&(PlanReport, f64)> = plans
        .iter()
        .filter(|(p, _)| counts(p.plan.status))
        .collect();
    if relevant.is_empty() {
        return (
            false,
            format!("{subj_vi} không nằm trong phạm vi quy hoạch nào có trong cơ sở dữ liệu."),
            format!("{subj_en} is not covered by any plan in the database."),
        );
    }
    // The biggest change of use, and the road area, over the plans that count (in force
    // first: they are sorted so).
    let mut change: Option<(&PlanReport, &ZoneOverlap)> = None;
    let mut road: Option<(&PlanReport, f64, bool)> = None;
    for (p, road_area) in &relevant {
        if !drawn && !current.is_empty() {
            for z in &p.zones {
                if !z.same_as_current
                    && z.overlap_m2 >= SLIVER_M2
                    && change.is_none_or(|(_, c)| {
                        z.overlap_m2 > c.overlap_m2 && c.overlap_m2 < site_area * 0.5
                    })
                {
                    change = Some((p, z));
                }
            }
        }
        let crosses = p.redlines.iter().any(|r| r.crosses_site);
        if (*road_area >= SLIVER_M2 || crosses) && road.is_none() {
            road = Some((p, *road_area, crosses));
        }
    }
    let affected = change.is_some() || road.is_some();
    let road_vi = |area: f64, crosses: bool| {
        if area >= SLIVER_M2 {
            format!("{} m² nằm trong chỉ giới đường đỏ", m2_text(area))
        } else if crosses {
            "chỉ giới đường đỏ đi qua".to_string()
        } else {
            String::new()
        }
    };
    let road_en = |area: f64, crosses: bool| {
        if area >= SLIVER_M2 {
            format!(
                "{} m² lies inside the red lines (future road)",
                m2_text(area)
            )
        } else if crosses {
            "a red line crosses it".to_string()
        } else {
            String::new()
        }
    };
    if drawn {
        // Businesses: the planned uses of the site, from the first plan that counts.
        let (p, _) = relevant[0];
        let (pv, pe) = plan_ref(p);
        let uses_vi: Vec<String> = p
            .zones
            .iter()
            .take(4)
            .map(|z| {
                format!(
                    "{}% {} ({})",
                    pct_text(z.overlap_pct),
                    z.landuse_name_vi.clone().unwrap_or_default().to_lowercase(),
                    z.landuse
                )
            })
            .collect();
        let uses_en: Vec<String> = p
            .zones
            .iter()
            .take(4)
            .map(|z| {
                format!(
                    "{}% {} ({})",
                    pct_text(z.overlap_pct),
                    z.landuse_name_en.clone().unwrap_or_default().to_lowercase(),
                    z.landuse
                )
            })
            .collect();
        let mut vi = format!(
            "{subj_vi} ({} m²) theo {pv}: {}",
            m2_text(site_area),
            if uses_vi.is_empty() {
                "không có ô quy hoạch".into()
            } else {
                uses_vi.join(", ")
            }
        );
        let mut en = format!(
            "{subj_en} ({} m²) under {pe}: {}",
            m2_text(site_area),
            if uses_en.is_empty() {
                "no planning zone".into()
            } else {
                uses_en.join(", ")
            }
        );
        if let Some((_, area, crosses)) = road {
            vi.push_str(&format!("; {}", road_vi(area, crosses)));
            en.push_str(&format!("; {}", road_en(area, crosses)));
        }
        vi.push('.');
        en.push('.');
        return (affected, vi, en);
    }
    if !affected {
        let (p, _) = relevant[0];
        let (pv, pe) = plan_ref(p);
        let codes = current.join("+");
        return (
            false,
            format!(
                "{subj_vi} không bị ảnh hưởng: quy hoạch giữ mục đích sử dụng đất hiện trạng ({codes}) theo {pv}."
            ),
            format!(
                "{subj_en} is not affected: the plan keeps its current land use ({codes}) under {pe}."
            ),
        );
    }
    let mut vi = format!("{subj_vi} bị ảnh hưởng bởi quy hoạch: ");
    let mut en = format!("{subj_en} is affected by planning: ");
    if let Some((p, z)) = change {
        let (pv, pe) = plan_ref(p);
        vi.push_str(&format!(
            "{}% chuyển sang {} ({}) theo {pv}",
            pct_text(z.overlap_pct),
            z.landuse_name_vi
                .clone()
                .unwrap_or_else(|| "đất".into())
                .to_lowercase(),
            z.landuse
        ));
        en.push_str(&format!(
            "{}% becomes {} ({}) under {pe}",
            pct_text(z.overlap_pct),
            z.landuse_name_en
                .clone()
                .unwrap_or_else(|| "land".into())
                .to_lowercase(),
            z.landuse
        ));
        if let Some((_, area, crosses)) = road {
            vi.push_str(&format!("; {}", road_vi(area, crosses)));
            en.push_str(&format!("; {}", road_en(area, crosses)));
        }
    } else if let Some((p, area, crosses)) = road {
        let (pv, pe) = plan_ref(p);
        vi.push_str(&format!("{} theo {pv}", road_vi(area, crosses)));
        en.push_str(&format!("{} under {pe}", road_en(area, crosses)));
    }
    vi.push('.');
    en.push('.');
    (affected, vi, en)
}
