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
use geo::{unary_union, Area, BooleanOps, BoundingRect, Buffer, Distance, Euclidean, Orient};
use geo_types::{Geometry, MultiPolygon};
use serde::Serialize;

use super::metric::{cached, local_tmerc, project_mls, project_mp};
use super::overlay::{clip_to_box, length_inside, overlap_area};
use super::{bbox_of, FeatureId, FeatureKey, PlanningData, QueryError, Site};
use crate::landuse;
use crate::plans::{authority_en, DocumentKind, DocumentType, Plan, PlanLevel, PlanStatus};
use crate::srs::Measure;

/// Most vertices of a drawn or uploaded site: a surveyed boundary has hundreds, a detailed
/// one from CAD a few thousand; beyond this the overlay would take seconds per request.
pub const MAX_SITE_VERTICES: usize = 100_000;

/// Drawn sites up to this many vertices are checked for validity again once projected to
/// metres (see `report_with_cancel`).
const METRIC_CHECK_MAX_VERTICES: usize = 5_000;

/// Largest drawn site, m² (100 km², a whole district): reports are for sites, not regions.
pub const MAX_SITE_AREA_M2: f64 = 100_000_000.0;

/// Red lines this close to a site (m) are listed with their distance, even if they do not
/// cross it: a road widening a few metres away still matters to a buyer.
pub const REDLINE_NEAR_M: f64 = 30.0;

/// Overlaps smaller than this (m²) are slivers, not a change of use: cadastral and planning
/// maps drawn separately disagree along shared edges by decimetres, which over a 20 m
/// frontage is a square metre or two.
pub const SLIVER_M2: f64 = 2.0;

/// Overlaps below this share of the site (%) are slivers too: on a large parcel the same
/// decimetres along a long boundary add up to tens of square metres.
pub const SLIVER_PCT: f64 = 0.5;

/// Overlaps below this (m²) are numerical noise and are not listed.
const MIN_OVERLAP_M2: f64 = 0.01;

/// A DGT zone within this distance (m) of a red line is a corridor the line bounds: the
/// road along it, or a junction or cross street it ends at (all road land inside the red
/// lines of the plan).
const TOUCH_M: f64 = 0.5;

const DRAFT_NOTE_VI: &str = "Dự thảo lấy ý kiến — chưa có giá trị pháp lý";

/// The office a citizen asks for official planning information, since the two-level local
/// government of 1 July 2025 (districts abolished): the commune or ward People's Committee and
/// its economic office. The report's disclaimer, the text pages and the help name this one.
pub const OFFICE_VI: &str = "Ủy ban nhân dân xã, phường nơi có đất (Phòng Kinh tế ở xã; \
    Phòng Kinh tế, Hạ tầng và Đô thị ở phường)";
/// [`OFFICE_VI`] in English.
pub const OFFICE_EN: &str = "the People's Committee of the commune or ward where the land lies \
    (its Economic Office in a commune; its Office of Economy, Infrastructure and Urban Affairs in a ward)";

/// The report's legal notice, Vietnamese.
pub const DISCLAIMER_VI: &str = "Thông tin chỉ mang tính tham khảo. Căn cứ pháp lý là quyết định phê duyệt quy hoạch \
    và hồ sơ quy hoạch kèm theo. Để có thông tin chính thức, đề nghị Ủy ban nhân dân xã, phường nơi có đất \
    (Phòng Kinh tế ở xã; Phòng Kinh tế, Hạ tầng và Đô thị ở phường) cung cấp thông tin quy hoạch.";
/// The report's legal notice, English.
pub const DISCLAIMER_EN: &str = "For reference only. The legal reference is the decision approving the plan and \
    its planning documents. For official information, ask the People's Committee of the commune or ward \
    where the land lies (its Economic Office in a commune; its Office of Economy, Infrastructure and \
    Urban Affairs in a ward) to provide planning information.";

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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// The site.
    pub site: SiteSummary,
    /// True if a binding plan (in force or adjusted) plans a use different from the current
    /// one on more than a sliver (see [`ZoneOverlap::sliver`]), or a red line crosses the site.
    pub affected: bool,
    /// `not_covered` (no binding plan at the site), `not_affected` (binding plans keep today's
    /// use, no red line), `affected` (binding plans agree; something changes or a red line
    /// crosses), `plans_disagree` (binding plans whose main zones plan different uses) or
    /// `site` (a drawn site, which has no current use to compare).
    pub answer_kind: String,
    /// One plain Vietnamese sentence answering "is my land affected?": every binding plan's
    /// verdict with its document, then any draft's, marked as not binding.
    pub summary_vi: String,
    /// The same in English.
    pub summary_en: String,
    /// The answer in a few words, for a chat preview or a notice board: each binding plan's
    /// short verdict ("QH phân khu: giữ ODT 60,5%, 39,5% thành DGT, 36 m² trong chỉ giới đỏ ·
    /// QH sử dụng đất: 100% thành DGT").
    pub headline_vi: String,
    /// The same in English.
    pub headline_en: String,
    /// Site area inside red lines, m²: the largest over the binding plans.
    pub road_area_m2: f64,
    /// The same as % of the site.
    pub road_area_pct: f64,
    /// One section per plan with zones or red lines at the site: binding plans first (in
    /// force, then adjusted), then drafts, then expired plans.
    pub plans: Vec<PlanReport>,
    /// Latest import time of the layers used.
    pub data_date: String,
    /// Legal notice, Vietnamese.
    pub disclaimer_vi: String,
    /// Legal notice, English.
    pub disclaimer_en: String,
}

/// One plan at the site: a section of the report, as in the Swiss ÖREB extract.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanReport {
    /// The plan and its approving decision.
    pub plan: Plan,
    /// Legally binding: in force or adjusted. Drafts and expired plans are not.
    pub binding: bool,
    /// The plan's level, Vietnamese ("Quy hoạch phân khu tỷ lệ 1/2000").
    pub level_name_vi: String,
    /// The plan's level, English.
    pub level_name_en: String,
    /// What this kind of plan decides, Vietnamese.
    pub role_vi: String,
    /// What this kind of plan decides, English.
    pub role_en: String,
    /// The real type of the approving document, from its number ("Tờ trình" is a proposal).
    pub document: DocumentType,
    /// The authority in English, when its form is recognised.
    pub authority_en: Option<String>,
    /// This plan's own verdict for the site.
    pub verdict: PlanVerdict,
    /// E.g. "Dự thảo lấy ý kiến — chưa có giá trị pháp lý" for drafts.
    pub status_note: Option<String>,
    /// Zones by overlap, largest first.
    pub zones: Vec<ZoneOverlap>,
    /// Share of the site covered by this plan's zones (their union), %; at most 100. Where two
    /// zones of the plan overlap each other, their rows count the common part twice.
    pub coverage_pct: f64,
    /// Site area inside this plan's red-line corridors, m²: the sum of `redlines[].area_in_road_m2`.
    pub road_area_m2: f64,
    /// The same as % of the site.
    pub road_area_pct: f64,
    /// Red lines crossing or near the site; their `area_in_road_m2` add up to `road_area_m2`.
    pub redlines: Vec<RedlineHit>,
    /// Store layers consulted.
    pub layers: Vec<String>,
    /// Latest import time of those layers.
    pub imported_at: String,
}

/// A plan's verdict for the site.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanVerdict {
    /// `keeps` (its main zone plans a current use), `changes` (it plans another use on more
    /// than a sliver), `uses` (the site's current use is unknown: planned uses only), `roads`
    /// (only red lines at the site), `edge` (only slivers) or `site` (a drawn site).
    pub kind: String,
    /// Planned use of the largest non-sliver zone.
    pub main_landuse: Option<String>,
    /// Its share of the site, % (zones of the same use added up).
    pub main_pct: Option<f64>,
    /// The verdict in Vietnamese, e.g. "giữ đất ở tại đô thị (ODT) 60,5%, chuyển sang đất
    /// công trình giao thông (DGT) 39,5%; 36 m² trong chỉ giới đường đỏ".
    pub vi: String,
    /// The same in English.
    pub en: String,
}

/// A zone's share of the site.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
    /// Below the tolerance ([`SLIVER_M2`] or [`SLIVER_PCT`]): an edge mismatch between maps
    /// drawn separately, never a change of use.
    pub sliver: bool,
}

/// A red line crossing or near the site.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
    /// Site area inside the future road corridor, m², counted once: a corridor piece bounded
    /// by several red lines is counted on the first of them (crossing lines first, then the
    /// nearest), so the rows of a plan add up to its `road_area_m2`.
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

/// Legally binding statuses.
fn binding(s: PlanStatus) -> bool {
    matches!(s, PlanStatus::InForce | PlanStatus::Adjusted)
}

/// `x` with `decimals` decimals, digits grouped by three: Vietnamese `1.234,5`, English
/// `1,234.5`.
fn number(x: f64, decimals: usize, vi: bool) -> String {
    let t = format!("{:.*}", decimals, x.abs());
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let (group, point) = if vi { ('.', ',') } else { (',', '.') };
    let mut out = String::new();
    if x < 0.0 && t.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (n, ch) in int.chars().enumerate() {
        if n > 0 && (int.len() - n) % 3 == 0 {
            out.push(group);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// A share: one decimal, none when it is whole ("60,5%", "100%").
fn pct_text(p: f64, vi: bool) -> String {
    let r = (p * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}%", number(r, 0, vi))
    } else {
        format!("{}%", number(r, 1, vi))
    }
}

/// An area in m²: whole square metres from 10 m² up, one decimal below.
pub(crate) fn m2_text(a: f64, vi: bool) -> String {
    if a >= 10.0 {
        format!("{} m²", number(a, 0, vi))
    } else {
        format!("{} m²", number(a, 1, vi))
    }
}

#[derive(Default)]
struct PlanAcc {
    zones: Vec<(FeatureKey, ZoneOverlap)>,
    layers: BTreeSet<String>,
    imported_at: String,
    /// Projected DGT (road) zones near the site.
    dgt: Vec<RoadZone>,
    /// Red lines near the site, with the DGT zones (indices into `dgt`) that they bound and
    /// their width buffer when they bound none.
    lines: Vec<LineAcc>,
    /// The plan's zones overlapping the site (by at least `MIN_OVERLAP_M2`, as `zones`), cut
    /// to the site's box, for the plan's coverage.
    zone_pieces: Vec<(FeatureKey, MultiPolygon<f64>)>,
}

/// A DGT (road) zone near the site, projected.
struct RoadZone {
    key: FeatureKey,
    zone: Arc<MultiPolygon<f64>>,
    /// Its metric box.
    bbox: [f64; 4],
    /// Its overlap with the site, CRS units².
    overlap: f64,
}

/// A red line near the site, before its corridor area is counted.
struct LineAcc {
    key: FeatureKey,
    hit: RedlineHit,
    corridor: Vec<usize>,
    buffer: Option<MultiPolygon<f64>>,
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

/// Whether two `[w, s, e, n]` boxes share a point.
fn boxes_meet(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1]
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

/// The planning report of a parcel or a drawn polygon (WGS 84), from any store.
///
/// Stops with [`QueryError::Cancelled`] soon (a few milliseconds on a 20,000-vertex site)
/// after `cancel` is cancelled or expires. A drawn site may cover at most `max_area_m2`:
/// [`MAX_SITE_AREA_M2`] for a visitor's request, more for an office's own work on a whole
/// commune or plan (a notice).
pub fn report(
    data: &dyn PlanningData,
    site: &Site,
    cancel: &Cancel,
    max_area_m2: f64,
) -> Result<Report, QueryError> {
    cancel.check()?;
    let mut used_dates: Vec<String> = Vec::new();
    // The site, its metric CRS and what we know of it.
    let (site_wgs, def, unit, mut summary, planar) = match site {
        Site::Parcel { layer, id } => {
            let p = data.parcel(layer, *id)?;
            used_dates.push(p.imported_at.clone());
            let bbox = p.bbox;
            let (def, unit) = match p.measure {
                Measure::Planar { unit_m } => (p.srs_definition.clone(), unit_m),
                Measure::Geodesic => (local_tmerc((bbox[0] + bbox[2]) / 2.0), 1.0),
            };
            let commune_name = p
                .commune_code
                .as_deref()
                .and_then(|c| data.commune_name(c))
                .map(str::to_string);
            let place = commune_name
                .clone()
                .or_else(|| p.commune_code.clone())
                .unwrap_or_default();
            let label = match (p.sheet, p.parcel) {
                (Some(s), Some(n)) => format!("Thửa {n}, tờ {s}, {place}"),
                _ => format!("Thửa đất {id} ({layer})"),
            };
            let current = p
                .landuse
                .as_deref()
                .map(split_codes)
                .unwrap_or_default()
                .iter()
                .map(|c| LandUseOut::new(c))
                .collect();
            let planar = matches!(p.measure, Measure::Planar { .. });
            let summary = SiteSummary {
                kind: "parcel".into(),
                label,
                layer: Some(layer.clone()),
                id: Some(*id),
                commune_code: p.commune_code,
                commune_name,
                sheet: p.sheet,
                parcel: p.parcel,
                address: p.address,
                area_m2: 0.0,
                stored_area_m2: p.area_m2,
                declared_area_m2: p.area_declared_m2,
                current_landuse: current,
                bbox,
                metric_crs: def.clone(),
            };
            (p.geometry, def, unit, summary, planar)
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
            (mp.clone(), def, 1.0, summary, false)
        }
    };
    let a2 = unit * unit;
    // Exteriors counter-clockwise, holes clockwise: overlap_area counts winding numbers.
    let site_m = project_mp(&def, &site_wgs)?.orient(Direction::Default);
    // A drawn site valid in degrees can be pinched once projected (a hair-thin strip whose
    // ring touches itself): its winding numbers would then cancel lobes of the overlay.
    // Checked up to METRIC_CHECK_MAX_VERTICES (a few milliseconds); beyond, the check
    // (seconds on a spiky 20,000-vertex site) could not be cancelled, and such pinches
    // come from sliver-thin sketches, not from surveyed boundaries.
    if matches!(site, Site::Geometry(_))
        && geo::CoordsIter::coords_count(&site_m) <= METRIC_CHECK_MAX_VERTICES
    {
        if let Some(why) = crate::validity::invalidity(&site_m) {
            return Err(QueryError::BadRequest(format!(
                "the site boundary is not a valid polygon once measured in metres ({why}); \
                 it is probably a sliver or a ring that touches itself: redraw it"
            )));
        }
    }
    let site_area = site_m.unsigned_area() * a2;
    if site_area.is_nan() || site_area <= 0.0 {
        return Err(QueryError::BadRequest(
            "the site has no area (degenerate polygon)".into(),
        ));
    }
    if matches!(site, Site::Geometry(_)) && site_area > max_area_m2 {
        return Err(QueryError::TooLarge(format!(
            "the site covers {:.1} km²; at most {} km² per report",
            site_area / 1e6,
            max_area_m2 / 1e6
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
    let site_box = metric_box(&site_m, margin).ok_or_else(|| {
        QueryError::BadRequest("the site has no area (degenerate polygon)".into())
    })?;

    let mut acc: BTreeMap<String, PlanAcc> = BTreeMap::new();
    let def_key: Arc<str> = Arc::from(def.as_str());
    // Projected zones and red lines are kept for the next report only in a CRS that
    // other reports use too: a layer's own metric CRS, not a site's local one.
    let metric_cache = if planar { data.metric_cache() } else { None };
    // Zones.
    data.zones_near(near, &mut |z| {
        let Some(plan_id) = z.plan_id else {
            return Ok(());
        };
        let zb = z.bbox;
        // A backend may visit a few more (an R-tree of rounded boxes): only zones whose box
        // meets `near` count, the same set whatever the backend.
        if !boxes_meet(zb, near) {
            return Ok(());
        }
        let touches_site = boxes_meet(zb, b);
        let landuse = z.landuse.unwrap_or("");
        let codes = split_codes(landuse);
        let is_dgt = codes.first().is_some_and(|c| c == "DGT");
        if !touches_site && !is_dgt {
            return Ok(());
        }
        cancel.check()?;
        let zone_m = cached(
            metric_cache.map(|c| &c.polygons),
            (def_key.clone(), z.key.layer, z.key.id),
            |def| project_mp(def, &(z.geometry)()),
        )?;
        let Some(zone_box) = metric_box(&*zone_m, margin) else {
            return Ok(());
        };
        let inter = if touches_site {
            overlap_area(&site_m, &zone_m, zone_box, cancel)?
        } else {
            0.0
        };
        let overlap = inter * a2;
        let a = acc.entry(plan_id.to_string()).or_default();
        a.layers.insert(z.layer.to_string());
        if a.imported_at.as_str() < z.imported_at {
            a.imported_at = z.imported_at.to_string();
        }
        if overlap >= MIN_OVERLAP_M2 {
            a.zone_pieces.push((z.key, clip_to_box(&zone_m, site_box)));
        }
        if is_dgt {
            a.dgt.push(RoadZone {
                key: z.key,
                zone: zone_m,
                bbox: zone_box,
                overlap: inter,
            });
        }
        if overlap < MIN_OVERLAP_M2 {
            return Ok(());
        }
        let main = codes.first().cloned().unwrap_or_default();
        let lu = LandUseOut::new(&main);
        a.zones.push((
            z.key,
            ZoneOverlap {
                layer: z.layer.to_string(),
                id: z.id,
                zone_id: z.zone_id.map(str::to_string),
                name: z.name.map(str::to_string),
                landuse: if landuse.is_empty() {
                    main.clone()
                } else {
                    landuse.to_string()
                },
                landuse_name_vi: lu.name_vi,
                landuse_name_en: lu.name_en,
                color: lu.color,
                overlap_m2: overlap,
                overlap_pct: overlap / site_area * 100.0,
                density_pct: z.density_pct,
                floors_min: z.floors_min,
                floors_max: z.floors_max,
                far: z.far,
                height_m: z.height_m,
                max_footprint_m2: z.density_pct.map(|d| overlap * d / 100.0),
                max_floor_area_m2: z.far.map(|f| overlap * f),
                same_as_current: !main.is_empty() && current.contains(&main),
                sliver: overlap < SLIVER_M2 || overlap / site_area * 100.0 < SLIVER_PCT,
            },
        ));
        Ok(())
    })?;
    // What follows is summed and merged in the order of the features' keys, whatever order
    // the backend visited them in, so every backend gives the same figures to the last bit.
    for a in acc.values_mut() {
        a.dgt.sort_by_key(|d| d.key);
    }
    // Red lines.
    data.redlines_near(near, &mut |r| {
        let Some(plan_id) = r.plan_id else {
            return Ok(());
        };
        cancel.check()?;
        let line_m = cached(
            metric_cache.map(|c| &c.lines),
            (def_key.clone(), r.key.layer, r.key.id),
            |def| project_mls(def, &(r.geometry)()),
        )?;
        let Some(line_box) = metric_box(&*line_m, margin) else {
            return Ok(());
        };
        // Every point of the site within REDLINE_NEAR_M of the line is in this box, so
        // the distance to the site cut to it is the same whenever it matters.
        let near_box = metric_box(&*line_m, REDLINE_NEAR_M / unit + margin).unwrap_or(line_box);
        let site_near = clip_to_box(&site_m, near_box);
        if site_near.0.is_empty() {
            return Ok(());
        }
        let line_geom = Geometry::MultiLineString((*line_m).clone());
        let distance =
            Euclidean.distance(&Geometry::MultiPolygon(site_near.clone()), &line_geom) * unit;
        if distance > REDLINE_NEAR_M {
            return Ok(());
        }
        // A line at a distance does not cross; the clip is an overlay, skipped then.
        let crosses =
            distance < 0.01 && length_inside(&site_near, &line_m, line_box, cancel)? * unit > 0.01;
        let width = r.width_m;
        let a = acc.entry(plan_id.to_string()).or_default();
        a.layers.insert(r.layer.to_string());
        if a.imported_at.as_str() < r.imported_at {
            a.imported_at = r.imported_at.to_string();
        }
        let mut corridor: Vec<usize> = Vec::new();
        for (i, d) in a.dgt.iter().enumerate() {
            cancel.check()?;
            if box_distance(d.bbox, line_box) * unit <= TOUCH_M + 2.0
                && Euclidean.distance(&Geometry::MultiPolygon((*d.zone).clone()), &line_geom) * unit
                    <= TOUCH_M
            {
                corridor.push(i);
            }
        }
        let buffer = if corridor.is_empty() {
            width
                .filter(|w| *w > 0.0)
                .map(|w| line_m.buffer(w / 2.0 / unit))
        } else {
            None
        };
        let method = if !corridor.is_empty() {
            "dgt_zones"
        } else if buffer.is_some() {
            "buffer"
        } else {
            "none"
        };
        a.lines.push(LineAcc {
            key: r.key,
            hit: RedlineHit {
                layer: r.layer.to_string(),
                id: r.id,
                road_name: r.road_name.map(str::to_string),
                width_m: width,
                crosses_site: crosses,
                distance_m: if crosses { 0.0 } else { distance },
                area_in_road_m2: 0.0,
                area_in_road_pct: 0.0,
                method: method.into(),
            },
            corridor,
            buffer,
        });
        Ok(())
    })?;

    // Assemble, per plan.
    let mut plans: Vec<PlanReport> = Vec::new();
    for (plan_id, mut a) in acc {
        if a.zones.is_empty() && a.lines.is_empty() {
            continue;
        }
        let Some(plan) = data.plan(&plan_id) else {
            tracing::warn!("features reference plan '{plan_id}', which the catalog lacks");
            continue;
        };
        a.zones.sort_by_key(|z| z.0);
        a.zone_pieces.sort_by_key(|z| z.0);
        a.lines.sort_by_key(|l| l.key);
        let mut zones: Vec<ZoneOverlap> = a.zones.into_iter().map(|z| z.1).collect();
        zones.sort_by(|x, y| y.overlap_m2.total_cmp(&x.overlap_m2).then(x.id.cmp(&y.id)));
        let zone_pieces: Vec<MultiPolygon<f64>> = a.zone_pieces.into_iter().map(|z| z.1).collect();
        // Coverage: the site's overlap with the union of the plan's zones, so zones that
        // overlap each other by slivers are not counted twice.
        cancel.check()?;
        // By inclusion–exclusion over pairs: the zones' overlaps, less the site's overlap
        // with each pair's common part (zones of one plan meet by slivers; a point in
        // three zones at once is a sliver's corner). No overlay of the site itself: a
        // union of the zones is large and would be triangulated against every site vertex.
        let mut coverage_m2 = zones.iter().map(|z| z.overlap_m2).sum::<f64>();
        let boxes: Vec<Option<[f64; 4]>> = zone_pieces.iter().map(|z| metric_box(z, 0.0)).collect();
        for i in 0..zone_pieces.len() {
            for j in i + 1..zone_pieces.len() {
                let (Some(bi), Some(bj)) = (boxes[i], boxes[j]) else {
                    continue;
                };
                if box_distance(bi, bj) > 0.0 {
                    continue;
                }
                cancel.check()?;
                let common = zone_pieces[i]
                    .orient(Direction::Default)
                    .intersection(&zone_pieces[j].orient(Direction::Default));
                if common.unsigned_area() * a2 < 1e-6 {
                    continue;
                }
                if let Some(bb) = metric_box(&common, margin) {
                    coverage_m2 -= overlap_area(&site_m, &common, bb, cancel)? * a2;
                }
            }
        }
        let coverage_m2 = coverage_m2.max(0.0);
        let coverage = (coverage_m2 / site_area * 100.0).min(100.0);
        // Red-line corridors: each piece counted once, on the first line that bounds it
        // (crossing lines first, then the nearest), so the rows add up to the total.
        a.lines.sort_by(|x, y| {
            y.hit
                .crosses_site
                .cmp(&x.hit.crosses_site)
                .then(x.hit.distance_m.total_cmp(&y.hit.distance_m))
                .then(x.hit.id.cmp(&y.hit.id))
        });
        let mut assigned: BTreeSet<usize> = BTreeSet::new();
        let mut counted: Option<MultiPolygon<f64>> = None;
        let mut road_area = 0.0;
        let mut redlines = Vec::with_capacity(a.lines.len());
        for line in a.lines {
            cancel.check()?;
            let mut hit = line.hit;
            let piece: Option<MultiPolygon<f64>> = if !line.corridor.is_empty() {
                let own: Vec<MultiPolygon<f64>> = line
                    .corridor
                    .iter()
                    .filter(|&&i| assigned.insert(i) && a.dgt[i].overlap > 0.0)
                    .map(|&i| clip_to_box(&a.dgt[i].zone, site_box).orient(Direction::Default))
                    .filter(|m| !m.0.is_empty())
                    .collect();
                (!own.is_empty()).then(|| unary_union(&own))
            } else {
                line.buffer
                    .map(|b| clip_to_box(&b, site_box).orient(Direction::Default))
                    .filter(|m| !m.0.is_empty())
            };
            if let Some(piece) = piece {
                let new = match &counted {
                    Some(c) => piece.difference(c),
                    None => piece,
                };
                let area = match metric_box(&new, margin) {
                    Some(bb) => overlap_area(&site_m, &new, bb, cancel)? * a2,
                    None => 0.0,
                };
                hit.area_in_road_m2 = area;
                hit.area_in_road_pct = area / site_area * 100.0;
                road_area += area;
                counted = Some(match counted {
                    Some(c) => c.union(&new),
                    None => new,
                });
            }
            redlines.push(hit);
        }
        used_dates.push(a.imported_at.clone());
        let status_note = match plan.status {
            PlanStatus::Draft => Some(DRAFT_NOTE_VI.to_string()),
            PlanStatus::Expired => Some("Hết hiệu lực — chỉ để tham khảo".into()),
            PlanStatus::Adjusted => Some("Đã được điều chỉnh — xem quyết định điều chỉnh".into()),
            PlanStatus::InForce => None,
        };
        let mut pr = PlanReport {
            binding: binding(plan.status),
            level_name_vi: plan.level.name_vi().into(),
            level_name_en: plan.level.name_en().into(),
            role_vi: plan.level.role_vi().into(),
            role_en: plan.level.role_en().into(),
            document: DocumentKind::of_number(&plan.decision.number).named(),
            authority_en: authority_en(&plan.decision.authority),
            verdict: PlanVerdict {
                kind: String::new(),
                main_landuse: None,
                main_pct: None,
                vi: String::new(),
                en: String::new(),
            },
            status_note,
            plan: plan.clone(),
            zones,
            coverage_pct: coverage,
            road_area_m2: road_area,
            road_area_pct: road_area / site_area * 100.0,
            redlines,
            layers: a.layers.into_iter().collect(),
            imported_at: a.imported_at,
        };
        pr.verdict = plan_verdict(&pr, matches!(site, Site::Geometry(_)), &current);
        plans.push(pr);
    }
    plans.sort_by(|x, y| {
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
    let answer = summarise(&plans, drawn, site_area);
    let (headline_vi, headline_en) = headline(&plans, drawn);
    let road_area_m2 = plans
        .iter()
        .filter(|p| p.binding)
        .map(|p| p.road_area_m2)
        .fold(0.0, f64::max);
    Ok(Report {
        site: summary,
        affected: answer.affected,
        answer_kind: answer.kind.into(),
        summary_vi: answer.vi,
        summary_en: answer.en,
        headline_vi,
        headline_en,
        road_area_m2,
        road_area_pct: road_area_m2 / site_area * 100.0,
        plans,
        data_date: used_dates.into_iter().max().unwrap_or_default(),
        disclaimer_vi: DISCLAIMER_VI.into(),
        disclaimer_en: DISCLAIMER_EN.into(),
    })
}

/// Planned uses of a plan at the site, non-sliver zones of the same use added up, largest
/// first: (code, m², %, name_vi, name_en, same as current).
fn use_groups(p: &PlanReport) -> Vec<(String, f64, f64, String, String, bool)> {
    let mut groups: Vec<(String, f64, f64, String, String, bool)> = Vec::new();
    for z in p.zones.iter().filter(|z| !z.sliver) {
        let code = split_codes(&z.landuse)
            .into_iter()
            .next()
            .unwrap_or_else(|| z.landuse.clone());
        if let Some(g) = groups.iter_mut().find(|g| g.0 == code) {
            g.1 += z.overlap_m2;
            g.2 += z.overlap_pct;
            g.5 |= z.same_as_current;
        } else {
            groups.push((
                code,
                z.overlap_m2,
                z.overlap_pct,
                z.landuse_name_vi
                    .clone()
                    .unwrap_or_else(|| "đất".into())
                    .to_lowercase(),
                z.landuse_name_en
                    .clone()
                    .unwrap_or_else(|| "land".into())
                    .to_lowercase(),
                z.same_as_current,
            ));
        }
    }
    groups.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    groups
}

/// Uses listed in a verdict; the rest are summed up.
const VERDICT_USES: usize = 3;

/// A plan's own verdict for the site.
fn plan_verdict(p: &PlanReport, drawn: bool, current: &[String]) -> PlanVerdict {
    let groups = use_groups(p);
    let know_current = !drawn && !current.is_empty();
    let changes = know_current && groups.iter().any(|g| !g.5);
    let crosses = p.redlines.iter().any(|r| r.crosses_site);
    let kind = if drawn {
        "site"
    } else if groups.is_empty() && !p.redlines.is_empty() {
        "roads"
    } else if groups.is_empty() {
        "edge"
    } else if !know_current {
        "uses"
    } else if changes {
        "changes"
    } else {
        "keeps"
    };
    let mut vi: Vec<String> = Vec::new();
    let mut en: Vec<String> = Vec::new();
    for g in groups.iter().take(VERDICT_USES) {
        let (code, _, pct, name_vi, name_en, same) = g;
        let (pv, pe) = (pct_text(*pct, true), pct_text(*pct, false));
        if !know_current {
            vi.push(format!("{pv} {name_vi} ({code})"));
            en.push(format!("{pe} {name_en} ({code})"));
        } else if *same {
            vi.push(format!("giữ {name_vi} ({code}) {pv}"));
            en.push(format!("keeps {name_en} ({code}) {pe}"));
        } else {
            vi.push(format!("chuyển sang {name_vi} ({code}) {pv}"));
            en.push(format!("becomes {name_en} ({code}) {pe}"));
        }
    }
    if groups.len() > VERDICT_USES {
        let rest: f64 = groups[VERDICT_USES..].iter().map(|g| g.2).sum();
        vi.push(format!(
            "{} loại đất khác {}",
            groups.len() - VERDICT_USES,
            pct_text(rest, true)
        ));
        en.push(format!(
            "{} other uses {}",
            groups.len() - VERDICT_USES,
            pct_text(rest, false)
        ));
    }
    if groups.is_empty() && p.redlines.is_empty() {
        let what = if drawn { "khu đất" } else { "thửa đất" };
        vi.push(format!(
            "chỉ chạm mép {what} (sai lệch ranh giới giữa các bản đồ)"
        ));
        en.push("only touches the edge (mismatch between maps)".into());
    }
    let mut vi = vi.join(", ");
    let mut en = en.join(", ");
    if !groups.is_empty() && p.coverage_pct < 100.0 - SLIVER_PCT {
        vi = format!("phủ {} diện tích, gồm {vi}", pct_text(p.coverage_pct, true));
        en = format!(
            "covers {} of the area, of which {en}",
            pct_text(p.coverage_pct, false)
        );
    }
    let road_vi;
    let road_en;
    if p.road_area_m2 >= SLIVER_M2 {
        road_vi = format!(
            "{} nằm trong chỉ giới đường đỏ",
            m2_text(p.road_area_m2, true)
        );
        road_en = format!(
            "{} lies inside the red lines (future road)",
            m2_text(p.road_area_m2, false)
        );
    } else if crosses {
        road_vi = "chỉ giới đường đỏ đi qua".to_string();
        road_en = "a red line crosses it".to_string();
    } else if groups.is_empty() {
        let d = p
            .redlines
            .iter()
            .map(|r| r.distance_m)
            .fold(f64::INFINITY, f64::min);
        road_vi = if d.is_finite() {
            format!("chỉ giới đường đỏ cách {} m", number(d, 1, true))
        } else {
            String::new()
        };
        road_en = if d.is_finite() {
            format!("a red line runs {} m away", number(d, 1, false))
        } else {
            String::new()
        };
    } else {
        road_vi = String::new();
        road_en = String::new();
    }
    for (text, road) in [(&mut vi, road_vi), (&mut en, road_en)] {
        if !road.is_empty() {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(&road);
        }
    }
    let main = groups.first();
    PlanVerdict {
        kind: kind.into(),
        main_landuse: main.map(|g| g.0.clone()),
        main_pct: main.map(|g| g.2),
        vi,
        en,
    }
}

/// The one-line answer.
struct Answer {
    affected: bool,
    kind: &'static str,
    vi: String,
    en: String,
}

/// "Quy hoạch … (Quyết định 2341/QĐ-UBND)": a plan and its document, named by its real type.
fn plan_ref(p: &PlanReport) -> (String, String) {
    (
        format!(
            "{} ({} {})",
            p.plan.name, p.document.name_vi, p.plan.decision.number
        ),
        format!(
            "{} ({} {})",
            p.plan.name,
            p.document.name_en.split(' ').next().unwrap_or("Document"),
            p.plan.decision.number
        ),
    )
}

/// Decides "affected" and writes the one-line answer: every binding plan's verdict with its
/// document (never one plan's silently), whether they disagree, then drafts, marked as not
/// binding.
fn summarise(plans: &[PlanReport], drawn: bool, site_area: f64) -> Answer {
    let (subj_vi, subj_en) = if drawn {
        ("Khu đất", "The site")
    } else {
        ("Thửa đất", "The parcel")
    };
    let binding: Vec<&PlanReport> = plans.iter().filter(|p| p.binding).collect();
    let drafts: Vec<&PlanReport> = plans
        .iter()
        .filter(|p| p.plan.status == PlanStatus::Draft)
        .collect();
    let each = |ps: &[&PlanReport]| -> (String, String) {
        let vi: Vec<String> = ps
            .iter()
            .map(|p| format!("theo {}: {}", plan_ref(p).0, p.verdict.vi))
            .collect();
        let en: Vec<String> = ps
            .iter()
            .map(|p| format!("under {}: {}", plan_ref(p).1, p.verdict.en))
            .collect();
        (vi.join("; "), en.join("; "))
    };
    let mut draft_vi = String::new();
    let mut draft_en = String::new();
    for d in &drafts {
        let (rv, re) = plan_ref(d);
        draft_vi.push_str(&format!(
            " Dự thảo {rv} đang lấy ý kiến, chưa có giá trị pháp lý: {}.",
            d.verdict.vi
        ));
        draft_en.push_str(&format!(
            " Draft {re}, under consultation and not legally binding: {}.",
            d.verdict.en
        ));
    }
    if binding.is_empty() {
        return Answer {
            affected: false,
            kind: "not_covered",
            vi: format!(
                "{subj_vi} không thuộc quy hoạch nào có hiệu lực trong cơ sở dữ liệu.{draft_vi}"
            ),
            en: format!("{subj_en} is not covered by any plan in force in the database.{draft_en}"),
        };
    }
    let mains: BTreeSet<&str> = binding
        .iter()
        .filter_map(|p| p.verdict.main_landuse.as_deref())
        .collect();
    let disagree = mains.len() > 1;
    let (list_vi, list_en) = each(&binding);
    if drawn {
        let affected = binding
            .iter()
            .any(|p| p.road_area_m2 >= SLIVER_M2 || p.redlines.iter().any(|r| r.crosses_site));
        let (dv, de) = if disagree {
            (
                "các quy hoạch có hiệu lực quy định khác nhau — ",
                "the plans in force differ — ",
            )
        } else {
            ("", "")
        };
        return Answer {
            affected,
            kind: "site",
            vi: format!(
                "{subj_vi} ({}): {dv}{list_vi}.{draft_vi}",
                m2_text(site_area, true)
            ),
            en: format!(
                "{subj_en} ({}): {de}{list_en}.{draft_en}",
                m2_text(site_area, false)
            ),
        };
    }
    let affected = binding.iter().any(|p| {
        p.verdict.kind == "changes"
            || p.road_area_m2 >= SLIVER_M2
            || p.redlines.iter().any(|r| r.crosses_site)
    });
    if disagree {
        return Answer {
            affected,
            kind: "plans_disagree",
            vi: format!(
                "Các quy hoạch có hiệu lực quy định khác nhau cho thửa đất này: {list_vi}.{draft_vi}"
            ),
            en: format!(
                "The plans in force disagree about this parcel: {list_en}.{draft_en}"
            ),
        };
    }
    if affected {
        return Answer {
            affected,
            kind: "affected",
            vi: format!("{subj_vi} bị ảnh hưởng bởi quy hoạch: {list_vi}.{draft_vi}"),
            en: format!("{subj_en} is affected by planning: {list_en}.{draft_en}"),
        };
    }
    Answer {
        affected,
        kind: "not_affected",
        vi: format!("{subj_vi} không bị ảnh hưởng: {list_vi}.{draft_vi}"),
        en: format!("{subj_en} is not affected: {list_en}.{draft_en}"),
    }
}

/// A plan level in a word or two.
fn level_short(l: PlanLevel) -> (&'static str, &'static str) {
    match l {
        PlanLevel::Detailed500 => ("QH chi tiết", "detailed plan"),
        PlanLevel::Zoning2000 => ("QH phân khu", "zoning plan"),
        PlanLevel::GeneralUrban => ("QH chung", "general plan"),
        PlanLevel::DistrictLandUse => ("QH sử dụng đất", "land-use plan"),
        PlanLevel::Provincial => ("QH tỉnh", "provincial plan"),
        PlanLevel::Regional => ("QH vùng", "regional plan"),
        PlanLevel::National => ("QH quốc gia", "national plan"),
    }
}

/// The answer in a few words: each binding plan's short verdict (its two largest uses by
/// code, kept or changed, and the area inside red lines), or the first draft's when no plan
/// binds.
fn headline(plans: &[PlanReport], drawn: bool) -> (String, String) {
    let binding: Vec<&PlanReport> = plans.iter().filter(|p| p.binding).collect();
    let (shown, draft) = if binding.is_empty() {
        (
            plans
                .iter()
                .filter(|p| p.plan.status == PlanStatus::Draft)
                .take(1)
                .collect::<Vec<_>>(),
            true,
        )
    } else {
        (binding, false)
    };
    if shown.is_empty() {
        return (
            "Chưa có quy hoạch trong cơ sở dữ liệu".into(),
            "No plan in the database".into(),
        );
    }
    let mut vi = Vec::new();
    let mut en = Vec::new();
    for p in shown {
        let (lv, le) = level_short(p.plan.level);
        let mut pv: Vec<String> = Vec::new();
        let mut pe: Vec<String> = Vec::new();
        let know = p.verdict.kind == "keeps" || p.verdict.kind == "changes";
        for g in use_groups(p).iter().take(2) {
            let (code, pct) = (&g.0, g.2);
            let (cv, ce) = (pct_text(pct, true), pct_text(pct, false));
            if drawn || !know {
                pv.push(format!("{code} {cv}"));
                pe.push(format!("{code} {ce}"));
            } else if g.5 {
                pv.push(format!("giữ {code} {cv}"));
                pe.push(format!("keeps {code} {ce}"));
            } else {
                pv.push(format!("{cv} thành {code}"));
                pe.push(format!("{ce} to {code}"));
            }
        }
        if p.road_area_m2 >= SLIVER_M2 {
            pv.push(format!(
                "{} trong chỉ giới đỏ",
                m2_text(p.road_area_m2, true)
            ));
            pe.push(format!(
                "{} inside red lines",
                m2_text(p.road_area_m2, false)
            ));
        } else if p.redlines.iter().any(|r| r.crosses_site) {
            pv.push("chỉ giới đỏ đi qua".into());
            pe.push("a red line crosses".into());
        }
        if pv.is_empty() {
            pv.push("chỉ chạm mép".into());
            pe.push("edge only".into());
        }
        let draft_vi = if draft { "dự thảo " } else { "" };
        let draft_en = if draft { "draft " } else { "" };
        vi.push(format!("{draft_vi}{lv}: {}", pv.join(", ")));
        en.push(format!("{draft_en}{le}: {}", pe.join(", ")));
    }
    (vi.join(" · "), en.join(" · "))
}
