//! The notice record built from the loaded store: the plan, the area's boundary, the
//! plan's zones there measured by the real site report of that boundary, what the plan
//! changes against the binding plan of the same level, the red lines, and the links.

use std::collections::BTreeMap;

use geo::BooleanOps;
use geo_types::{Geometry, LineString, MultiLineString, MultiPolygon, Polygon};
use quyhoach_data::index::ValueRef;
use quyhoach_data::lookup::Store;
use quyhoach_data::planning::{bbox_of, Cancel, PlanReport, QueryError, Site, SLIVER_M2};
use quyhoach_data::plans::PlanStatus;
use quyhoach_data::schema::Kind;

use super::{
    LandUseTotal, Notice, NoticeArea, NoticeConsultation, NoticeKind, NoticeLinks, NoticeOffice,
    NoticePlan, NoticeRedline, NoticeZone,
};

/// Land use of road corridors: drawn on maps, never given a slide or a sentence of its own.
pub const ROAD_LANDUSE: &str = "DGT";

/// Most zones a notice keeps (largest first); a commune's plan has tens to a few hundred.
pub const MAX_ZONES: usize = 2_000;

/// The largest area a notice measures, m²: a province (the biggest is under 16,000 km²).
pub const MAX_NOTICE_AREA_M2: f64 = 20_000e6;

/// How long measuring a notice's area may take.
pub const BUILD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// What the official (or the CLI) chose.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The plan's id.
    pub plan: String,
    /// A commune code; `None`: the plan's whole extent.
    pub commune: Option<String>,
    /// Why; `None`: from the plan (a draft is put to consultation, a plan of a level that a
    /// binding plan already covers there is an adjustment, else an approval).
    pub kind: Option<NoticeKind>,
    /// The consultation window (required for a consultation).
    pub consultation: Option<NoticeConsultation>,
    /// The consultation's id in the portal, for the link to its page.
    pub consultation_id: Option<i64>,
    /// The portal's public address, no trailing slash.
    pub public_url: String,
    /// Where documents can be seen and comments handed in, and a phone number.
    pub office_address: Option<String>,
    pub office_phone: Option<String>,
    /// The official's own words.
    pub message_vi: Option<String>,
    pub message_en: Option<String>,
    /// Today, `YYYY-MM-DD`.
    pub date: String,
    /// The store's data version.
    pub data_version: String,
}

fn status_en(s: PlanStatus) -> &'static str {
    match s {
        PlanStatus::InForce => "In force",
        PlanStatus::Adjusted => "Adjusted",
        PlanStatus::Expired => "Expired",
        PlanStatus::Draft => "Draft for consultation",
    }
}

fn str_prop(f: &dyn quyhoach_data::lookup::FeatureValues, col: &str) -> Option<String> {
    match f.value(col)? {
        ValueRef::Str(s) => Some(s.to_string()),
        ValueRef::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Polygons of a geometry (others dropped).
fn polygons(g: Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        Geometry::MultiPolygon(mp) => mp,
        Geometry::GeometryCollection(gc) => {
            MultiPolygon(gc.0.into_iter().flat_map(|g| polygons(g).0).collect())
        }
        _ => MultiPolygon(Vec::new()),
    }
}

/// Lines of a geometry: polygons by their rings.
fn lines(g: Geometry<f64>) -> MultiLineString<f64> {
    match g {
        Geometry::LineString(l) => MultiLineString(vec![l]),
        Geometry::MultiLineString(m) => m,
        Geometry::Polygon(p) => {
            let (ext, holes) = p.into_inner();
            MultiLineString(std::iter::once(ext).chain(holes).collect())
        }
        Geometry::MultiPolygon(mp) => MultiLineString(
            mp.0.into_iter()
                .flat_map(|p| {
                    let (ext, holes) = p.into_inner();
                    std::iter::once(ext)
                        .chain(holes)
                        .collect::<Vec<LineString<f64>>>()
                })
                .collect(),
        ),
        Geometry::GeometryCollection(gc) => {
            MultiLineString(gc.0.into_iter().flat_map(|g| lines(g).0).collect())
        }
        _ => MultiLineString(Vec::new()),
    }
}

fn rect(b: [f64; 4]) -> MultiPolygon<f64> {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![
            (b[0], b[1]),
            (b[2], b[1]),
            (b[2], b[3]),
            (b[0], b[3]),
            (b[0], b[1]),
        ]),
        Vec::new(),
    )])
}

/// The commune's boundary, name and level word, from the boundary layers.
fn commune_boundary(
    index: &dyn Store,
    code: &str,
) -> Option<(MultiPolygon<f64>, String, Option<String>)> {
    let cat = index.catalog();
    for (id, l) in &cat.layers {
        if l.kind != Kind::Boundaries {
            continue;
        }
        let mut found: Option<(quyhoach_data::planning::FeatureId, String, Option<String>)> = None;
        let _ = index.visit(id, l.bounds, &mut |f, _| {
            if found.is_none() && str_prop(f, "code").as_deref() == Some(code) {
                let name = str_prop(f, "name").unwrap_or_else(|| code.to_string());
                found = Some((f.id(), name, str_prop(f, "level")));
            }
        });
        if let Some((fid, name, level)) = found {
            let g = index.feature(id, fid).ok()??.geometry;
            return Some((polygons(g), name, level));
        }
    }
    None
}

/// The communes (code, name) holding a point inside at least one of the plan's zones, in
/// code order: where a notice of the plan can be addressed.
pub fn communes_with_zones(index: &dyn Store, plan_id: &str) -> Vec<(String, String)> {
    use geo::{Contains, InteriorPoint};
    let cat = index.catalog();
    let mut points = Vec::new();
    for (id, l) in &cat.layers {
        let of_plan = l.plan.as_deref() == Some(plan_id) || l.plans.iter().any(|p| p == plan_id);
        if l.kind != Kind::Zones || !of_plan {
            continue;
        }
        let _ = index.visit(id, l.bounds, &mut |_, g| {
            if points.len() < MAX_ZONES {
                if let Some(p) = polygons(g.clone()).interior_point() {
                    points.push(p);
                }
            }
        });
    }
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for (id, l) in &cat.layers {
        if l.kind != Kind::Boundaries {
            continue;
        }
        for p in &points {
            let b = [p.x(), p.y(), p.x(), p.y()];
            let _ = index.visit(id, b, &mut |f, g| {
                if let Some(code) = str_prop(f, "code") {
                    if !found.contains_key(&code) && polygons(g.clone()).contains(p) {
                        let name = str_prop(f, "name").unwrap_or_default();
                        found.insert(code, name);
                    }
                }
            });
        }
    }
    found.into_iter().collect()
}

fn section<'a>(report: &'a quyhoach_data::planning::Report, plan: &str) -> Option<&'a PlanReport> {
    report.plans.iter().find(|p| p.plan.id == plan)
}

fn landuse_names(code: &str) -> (String, String, String) {
    match quyhoach_data::landuse::lookup(code) {
        Some(c) => (c.name_vi.clone(), c.name_en.clone(), c.color.clone()),
        None => (
            code.to_string(),
            code.to_string(),
            crate::style::landuse_colour_of(Some(code)).to_string(),
        ),
    }
}

/// Builds the notice of `opts.plan` over `opts.commune` (or the plan's extent).
pub fn build(index: &dyn Store, opts: &BuildOptions) -> Result<Notice, QueryError> {
    let cat = index.catalog();
    let plan = cat
        .plans
        .get(&opts.plan)
        .ok_or_else(|| QueryError::NotFound(format!("no plan '{}' in the store", opts.plan)))?;
    let plan_layers: Vec<(&String, &quyhoach_data::store::LayerEntry)> = cat
        .layers
        .iter()
        .filter(|(_, l)| l.plan.as_deref() == Some(plan.id.as_str()) || l.plans.contains(&plan.id))
        .collect();
    let zone_bounds = plan_layers
        .iter()
        .filter(|(_, l)| l.kind == Kind::Zones)
        .map(|(_, l)| l.bounds)
        .reduce(|a, b| quyhoach_data::index::union_bbox(Some(a), b))
        .ok_or_else(|| {
            QueryError::BadRequest(format!("plan '{}' has no zones layer to announce", plan.id))
        })?;

    // The area and the site measured.
    let (site, boundary, name_vi, name_en) = match &opts.commune {
        Some(code) => {
            let (b, name, level) = commune_boundary(index, code).ok_or_else(|| {
                QueryError::NotFound(format!("no commune '{code}' in the store's boundaries"))
            })?;
            let level = level.unwrap_or_else(|| "Xã".into());
            let vi = format!("{} {name}", level.to_lowercase());
            let en = format!(
                "{name} {}",
                match level.to_lowercase().as_str() {
                    "phường" => "Ward",
                    "thị trấn" => "Township",
                    "đặc khu" => "Special Zone",
                    _ => "Commune",
                }
            );
            (b.clone(), Some(b), vi, en)
        }
        None => (
            rect(zone_bounds),
            None,
            "khu vực quy hoạch".to_string(),
            "the plan's area".to_string(),
        ),
    };
    let cancel = Cancel::with_timeout(BUILD_TIMEOUT);
    let report = index.report_within(&Site::Geometry(site.clone()), &cancel, MAX_NOTICE_AREA_M2)?;
    let not_here = || {
        let covered: Vec<String> = communes_with_zones(index, &plan.id)
            .into_iter()
            .map(|(code, name)| format!("{code} {name}"))
            .collect();
        QueryError::BadRequest(format!(
            "plan '{}' has no zones in {name_vi}: choose a commune it covers ({})",
            plan.id,
            if covered.is_empty() {
                "none in the store's boundaries".to_string()
            } else {
                covered.join(", ")
            }
        ))
    };
    let sec = section(&report, &plan.id).ok_or_else(not_here)?;

    let mut zones: Vec<NoticeZone> = Vec::new();
    // A zone is small against a whole commune: only the edge slivers of maps drawn apart
    // (under SLIVER_M2) are left out, not zones under SLIVER_PCT of the area.
    for z in sec.zones.iter().filter(|z| z.overlap_m2 >= SLIVER_M2) {
        let Ok(Some(f)) = index.feature(&z.layer, z.id) else {
            continue;
        };
        let (vi, en, color) = landuse_names(&z.landuse);
        zones.push(NoticeZone {
            zone_id: z.zone_id.clone(),
            name: z.name.clone(),
            landuse: z.landuse.clone(),
            landuse_vi: z.landuse_name_vi.clone().unwrap_or(vi),
            landuse_en: z.landuse_name_en.clone().unwrap_or(en),
            color: z.color.clone().unwrap_or(color),
            area_m2: z.overlap_m2,
            density_pct: z.density_pct,
            floors_min: z.floors_min,
            floors_max: z.floors_max,
            far: z.far,
            height_m: z.height_m,
            road: z.landuse == ROAD_LANDUSE,
            geometry: polygons(f.geometry),
        });
    }
    if zones.is_empty() {
        return Err(not_here());
    }
    zones.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    zones.truncate(MAX_ZONES);

    // Totals per code.
    let total: f64 = zones.iter().map(|z| z.area_m2).sum();
    let mut per: BTreeMap<&str, f64> = BTreeMap::new();
    for z in &zones {
        *per.entry(z.landuse.as_str()).or_default() += z.area_m2;
    }

    // What changes: the binding plan of the same level over the ground this plan's zones cover.
    let changes = report
        .plans
        .iter()
        .find(|p| p.binding && p.plan.id != plan.id && p.plan.level == plan.level);
    let mut before: BTreeMap<String, f64> = BTreeMap::new();
    if let Some(old) = changes {
        let mut ground = MultiPolygon(Vec::new());
        for z in &zones {
            ground = ground.union(&z.geometry);
        }
        let ground = ground.intersection(&site);
        if !ground.0.is_empty() {
            let r2 = index.report_within(&Site::Geometry(ground), &cancel, MAX_NOTICE_AREA_M2)?;
            if let Some(s2) = section(&r2, &old.plan.id) {
                for z in s2.zones.iter().filter(|z| z.overlap_m2 >= SLIVER_M2) {
                    *before.entry(z.landuse.clone()).or_default() += z.overlap_m2;
                }
            }
        }
    }
    let mut totals: Vec<LandUseTotal> = per
        .iter()
        .map(|(code, a)| {
            let (vi, en, color) = landuse_names(code);
            LandUseTotal {
                landuse: code.to_string(),
                landuse_vi: vi,
                landuse_en: en,
                color,
                area_m2: *a,
                pct: if total > 0.0 { a / total * 100.0 } else { 0.0 },
                before_m2: changes.map(|_| before.get(*code).copied().unwrap_or(0.0)),
            }
        })
        .collect();
    for (code, a) in &before {
        if !per.contains_key(code.as_str()) {
            let (vi, en, color) = landuse_names(code);
            totals.push(LandUseTotal {
                landuse: code.clone(),
                landuse_vi: vi,
                landuse_en: en,
                color,
                area_m2: 0.0,
                pct: 0.0,
                before_m2: Some(*a),
            });
        }
    }
    totals.sort_by(|a, b| {
        b.area_m2.total_cmp(&a.area_m2).then(
            b.before_m2
                .unwrap_or(0.0)
                .total_cmp(&a.before_m2.unwrap_or(0.0)),
        )
    });

    let redlines: Vec<NoticeRedline> = sec
        .redlines
        .iter()
        .filter(|r| r.crosses_site)
        .filter_map(|r| {
            let f = index.feature(&r.layer, r.id).ok()??;
            Some(NoticeRedline {
                road_name: r.road_name.clone(),
                width_m: r.width_m,
                geometry: lines(f.geometry),
            })
        })
        .collect();

    // What the maps show: the plan's zones inside the area, with a margin.
    let zb = zones
        .iter()
        .filter_map(|z| bbox_of(&z.geometry))
        .reduce(|a, b| quyhoach_data::index::union_bbox(Some(a), b))
        .unwrap_or(zone_bounds);
    let ab = bbox_of(&site).unwrap_or(zb);
    let mut b = [
        zb[0].max(ab[0]),
        zb[1].max(ab[1]),
        zb[2].min(ab[2]),
        zb[3].min(ab[3]),
    ];
    if !(b[0] < b[2] && b[1] < b[3]) {
        b = zb;
    }
    let m = (b[2] - b[0]).max(b[3] - b[1]) * 0.04;
    let bbox = [b[0] - m, b[1] - m, b[2] + m, b[3] + m];

    let kind = match opts.kind {
        Some(k) => k,
        None if plan.status == PlanStatus::Draft => NoticeKind::Consultation,
        None if changes.is_some() => NoticeKind::Adjusted,
        None => NoticeKind::Approved,
    };
    match (kind, plan.status) {
        (NoticeKind::Consultation, s) if s != PlanStatus::Draft => {
            return Err(QueryError::BadRequest(format!(
                "plan '{}' is not a draft: only a draft is put to consultation",
                plan.id
            )))
        }
        (NoticeKind::Approved | NoticeKind::Adjusted, PlanStatus::Draft) => {
            return Err(QueryError::BadRequest(format!(
                "plan '{}' is a draft: announce its consultation, not its approval",
                plan.id
            )))
        }
        (NoticeKind::Approved | NoticeKind::Adjusted, PlanStatus::Expired) => {
            return Err(QueryError::BadRequest(format!(
                "plan '{}' is no longer in force",
                plan.id
            )))
        }
        _ => {}
    }
    if kind == NoticeKind::Consultation && opts.consultation.is_none() {
        return Err(QueryError::BadRequest(format!(
            "plan '{}' has no consultation window{}: open one first (quyhoach consultations open, or the inbox)",
            plan.id,
            opts.commune.as_deref().map(|c| format!(" over commune {c}")).unwrap_or_default()
        )));
    }

    let base = opts.public_url.trim_end_matches('/');
    let (cx, cy) = ((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0);
    let zoom = crate::preview::phone_zoom(bbox).clamp(10.0, 18.0);
    let notices = match &opts.commune {
        Some(c) => format!("{base}/thong-bao/{c}"),
        None => format!("{base}/thong-bao/ke-hoach-{}", plan.id),
    };
    let links = NoticeLinks {
        portal: base.to_string(),
        map: format!("{base}/#map={zoom:.2}/{cy:.6}/{cx:.6}"),
        comment: (kind == NoticeKind::Consultation).then(|| match opts.consultation_id {
            Some(id) => format!("{base}/#/consultations/{id}"),
            None => format!("{base}/#/consultations"),
        }),
        notices,
        text_lookup: format!("{base}/text"),
    };
    let authority_vi = plan.decision.authority.clone();
    let office = match &opts.commune {
        Some(_) => NoticeOffice {
            name_vi: format!("UBND {name_vi}"),
            name_en: format!("{name_en} People's Committee"),
            address: opts.office_address.clone(),
            phone: opts.office_phone.clone(),
        },
        None => NoticeOffice {
            name_vi: authority_vi.clone(),
            name_en: sec
                .authority_en
                .clone()
                .unwrap_or_else(|| authority_vi.clone()),
            address: opts.office_address.clone(),
            phone: opts.office_phone.clone(),
        },
    };
    Ok(Notice {
        kind,
        title_vi: kind.title_vi().to_string(),
        title_en: kind.title_en().to_string(),
        plan: NoticePlan {
            id: plan.id.clone(),
            name: plan.name.clone(),
            level_vi: sec.level_name_vi.clone(),
            level_en: sec.level_name_en.clone(),
            status: plan.status.id().to_string(),
            status_vi: plan.status.name_vi().to_string(),
            status_en: status_en(plan.status).to_string(),
            binding: sec.binding,
            document_number: plan.decision.number.clone(),
            document_kind_vi: sec.document.name_vi.to_string(),
            document_kind_en: sec.document.name_en.to_string(),
            document_date: plan.decision.date.clone(),
            authority_vi: authority_vi.clone(),
            authority_en: sec.authority_en.clone().unwrap_or(authority_vi),
            valid_from: plan.valid_from.clone(),
            valid_to: plan.valid_to.clone(),
            document_url: plan.document_url.clone(),
        },
        area: NoticeArea {
            commune: opts.commune.clone(),
            name_vi,
            name_en,
            boundary,
            bbox,
            area_m2: report.site.area_m2,
        },
        zones,
        totals,
        changes_plan: changes.map(|p| (p.plan.id.clone(), p.plan.name.clone())),
        redlines,
        consultation: opts.consultation.clone(),
        links,
        office,
        message_vi: opts.message_vi.clone(),
        message_en: opts.message_en.clone(),
        date: opts.date.clone(),
        data_version: opts.data_version.clone(),
    })
}
