//! Tests on a small demo store (3000 parcels), generated once per test binary.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use geo::InteriorPoint;
use geo_types::{coord, MultiPolygon, Polygon, Rect};

use super::*;
use crate::demo::DemoStats;
use crate::planning::*;
use crate::plans::PlanStatus;

struct Fixture {
    _dir: tempfile::TempDir,
    sources: PathBuf,
    stats: DemoStats,
    index: Index,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sources_dir = dir.path().join("sources");
        let store_dir = dir.path().join("store");
        let sources = crate::testing::demo_store(dir.path(), 3000, 1, &[&store_dir]);
        let index = Index::load(&store_dir).unwrap();
        Fixture {
            _dir: dir,
            sources: sources_dir,
            stats: sources.stats,
            index,
        }
    })
}

/// The small demo store, loaded once per test binary.
pub(crate) fn ix() -> &'static Index {
    &fixture().index
}

fn parcels() -> &'static Layer {
    ix().layer("parcels").unwrap()
}

fn report_of(id: FeatureId) -> Report {
    ix().report(&Site::Parcel {
        layer: "parcels".into(),
        id,
    })
    .unwrap()
}

fn plan<'a>(r: &'a Report, id: &str) -> Option<&'a PlanReport> {
    r.plans.iter().find(|p| p.plan.id == id)
}

/// Parcel ids whose box meets a layer's bounds.
fn parcels_near(layer: &str) -> Vec<FeatureId> {
    let b = ix().layer_entry(layer).unwrap().bounds;
    let mut ids: Vec<FeatureId> = parcels().candidates(b).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn loads_every_layer_without_private_columns() {
    let ix = ix();
    for id in [
        "parcels",
        "communes",
        "roads",
        "zones-qhsdd-2030",
        "zones-qhpk-2000",
        "zones-qhpk-2000-dc",
        "redlines-qhpk-2000",
    ] {
        let entry = ix.layer_entry(id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(ix.layer(id).unwrap().len() as u64, entry.count, "{id}");
    }
    assert_eq!(parcels().len(), fixture().stats.parcels);
    let f = ix.feature("parcels", 0).unwrap();
    assert!(f.properties.contains_key("commune_code"));
    assert!(f.properties.keys().all(|k| !k.starts_with("private_")));
    assert!(ix.feature("parcels", u32::MAX).is_none());
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["geometry"]["type"], "MultiPolygon");
    eprintln!("index of 3000 parcels: {} kB", ix.heap_bytes() / 1000);
}

#[test]
fn parcel_at_an_interior_point() {
    let l = parcels();
    for id in (0..l.len() as FeatureId).step_by(97) {
        let p = l.geoms.multipolygon(id as usize).interior_point().unwrap();
        let hits = ix().parcels_at(p.x(), p.y()).unwrap();
        assert!(
            hits.iter().any(|h| h.layer == "parcels" && h.id == id),
            "parcel {id} not found at its interior point"
        );
        assert!(hits.len() <= 2, "{} parcels at one point", hits.len());
    }
    assert!(ix().parcels_at(0.0, 0.0).unwrap().is_empty());
}

#[test]
fn parcels_by_number_with_duplicates_and_names() {
    let ix = ix();
    assert!(fixture().stats.duplicate_parcel_numbers > 0);
    let keys = &ix.parcel_keys;
    let dup = keys
        .windows(2)
        .find(|w| ix.key_numbers(w[0]) == ix.key_numbers(w[1]))
        .expect("a duplicate parcel number")[0];
    let (dup_commune, dup_sheet, dup_parcel) = ix.key_numbers(dup);
    let expected = ix.keys_for(dup_commune, dup_sheet, dup_parcel).len();
    assert!(expected >= 2);
    let commune = &ix.communes[dup_commune as usize];
    let by_code = ix
        .parcels_by_number(&commune.code, dup_sheet, dup_parcel)
        .unwrap();
    assert_eq!(by_code.len(), expected);
    for f in &by_code {
        assert_eq!(f.properties["sheet"], dup_sheet);
        assert_eq!(f.properties["parcel"], dup_parcel);
    }
    let name = commune.name.clone().unwrap();
    let folded = crate::encoding::fold(&name);
    assert_ne!(folded, name, "demo commune names carry accents");
    for text in [
        folded.clone(),
        folded.to_uppercase(),
        format!("Xã {name}"),
        name,
    ] {
        let got = ix.parcels_by_number(&text, dup_sheet, dup_parcel).unwrap();
        assert_eq!(got.len(), expected, "{text}");
    }
    assert!(ix
        .parcels_by_number(&commune.code, 99_999, 1)
        .unwrap()
        .is_empty());
    assert!(matches!(
        ix.parcels_by_number("Atlantis", 1, 1),
        Err(QueryError::NotFound(_))
    ));
    assert!(matches!(
        ix.parcels_by_number("  ", 1, 1),
        Err(QueryError::BadRequest(_))
    ));
}

#[test]
fn search_finds_communes_roads_plans_and_parcels() {
    let ix = ix();
    let hits = ix.search("vinh thanh", 10).unwrap();
    assert_eq!(hits[0].kind, "commune", "{hits:#?}");
    assert!(hits[0].label.ends_with("Vĩnh Thanh"), "{}", hits[0].label);
    assert!(hits[0].bbox.is_some());

    let hits = ix.search("nguyen trung", 10).unwrap();
    let road = hits.iter().find(|h| h.kind == "road").expect("road");
    assert_eq!(road.label, "Nguyễn Trung Trực");
    assert!(road.bbox.is_some());

    let plan = &ix.catalog().plans["qhpk-2000"];
    for q in [plan.decision.number.clone(), "2341".to_string()] {
        let hits = ix.search(&q, 5).unwrap();
        assert!(
            hits.iter()
                .any(|h| h.kind == "plan" && h.label == plan.name),
            "{q}: {hits:#?}"
        );
    }

    // Parcel numbers in the forms people type.
    let l = parcels();
    let id = 123;
    let code = l.str("commune_code", id).unwrap().to_string();
    let sheet = l.int("sheet", id).unwrap();
    let parcel = l.int("parcel", id).unwrap();
    let name = ix.commune_name(&code).unwrap().to_string();
    let folded = crate::encoding::fold(&name);
    for q in [
        format!("{folded} {sheet} {parcel}"),
        format!("{name} tờ {sheet} thửa {parcel}"),
        format!("thửa {parcel} tờ {sheet} {name}"),
        format!("{code} {sheet} {parcel}"),
        format!("{sheet}/{parcel}"),
    ] {
        let hits = ix.search(&q, 20).unwrap();
        assert_eq!(hits[0].kind, "parcel", "{q}: {hits:#?}");
        let found = hits
            .iter()
            .any(|h| h.id == Some(id) && h.parcel == Some((code.clone(), sheet, parcel)));
        assert!(found, "{q}: {hits:#?}");
        if !q.contains('/') {
            assert!(hits.iter().filter(|h| h.kind == "parcel").all(|h| h
                .parcel
                .as_ref()
                .unwrap()
                .0
                == code));
        }
    }
    assert!(matches!(
        ix.search("   ", 5),
        Err(QueryError::BadRequest(_))
    ));
    assert!(matches!(
        ix.search(&"x".repeat(MAX_QUERY_CHARS + 1), 5),
        Err(QueryError::TooLarge(_))
    ));
    assert!(ix.search("a", 1000).unwrap().len() <= MAX_SEARCH_LIMIT);
}

#[test]
fn bbox_pages_are_stable_and_capped() {
    let ix = ix();
    let b = ix.layer_entry("parcels").unwrap().bounds;
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let bbox = [b[0], b[1], cx, cy];
    let (p1, total) = ix.features_in_bbox("parcels", Some(bbox), 50, 0).unwrap();
    let (p2, total2) = ix.features_in_bbox("parcels", Some(bbox), 50, 50).unwrap();
    assert_eq!(total, total2);
    assert!(total > 100, "{total}");
    let ids: Vec<u32> = p1.iter().chain(&p2).map(|f| f.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let (again, _) = ix.features_in_bbox("parcels", Some(bbox), 50, 0).unwrap();
    assert_eq!(
        again.iter().map(|f| f.id).collect::<Vec<_>>(),
        ids[..50].to_vec()
    );
    // Every match, paged, is exactly the set of parcels meeting the box.
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let (page, _) = ix
            .features_in_bbox("parcels", Some(bbox), MAX_PAGE, offset)
            .unwrap();
        if page.is_empty() {
            break;
        }
        offset += page.len();
        all.extend(page.into_iter().map(|f| f.id));
    }
    assert_eq!(all.len(), total);
    let (none, n) = ix.features_in_bbox("parcels", None, 10, 2995).unwrap();
    assert_eq!(n, parcels().len());
    assert_eq!(none.len(), 10.min(n - 2995));
    assert!(matches!(
        ix.features_in_bbox("parcels", Some(bbox), MAX_PAGE + 1, 0),
        Err(QueryError::TooLarge(_))
    ));
    assert!(matches!(
        ix.features_in_bbox("parcels", Some([100.0, 5.0, 110.0, 20.0]), 10, 0),
        Err(QueryError::TooLarge(_))
    ));
    for bad in [
        [f64::NAN, 0.0, 1.0, 1.0],
        [2.0, 0.0, 1.0, 1.0],
        [0.0, 2.0, 1.0, 1.0],
        [179.5, 0.0, 180.5, 0.5],
    ] {
        assert!(
            matches!(
                ix.features_in_bbox("parcels", Some(bad), 10, 0),
                Err(QueryError::BadRequest(_))
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        ix.features_in_bbox("nope", None, 10, 0),
        Err(QueryError::NotFound(_))
    ));
}

#[test]
fn report_area_equals_stored_area_and_percentages_add_up() {
    let mut straddling = 0;
    let mut checked = 0;
    for id in parcels_near("zones-qhpk-2000")
        .into_iter()
        .step_by(7)
        .take(150)
    {
        let r = report_of(id);
        let stored = r.site.stored_area_m2.unwrap();
        let rel = (r.site.area_m2 - stored).abs() / stored;
        assert!(
            rel < 1e-4,
            "parcel {id}: {} vs stored {stored}",
            r.site.area_m2
        );
        for p in &r.plans {
            // Coverage is the union of the zones: their rows add up to it, or to more where
            // two zones of the plan overlap each other.
            let sum: f64 = p.zones.iter().map(|z| z.overlap_pct).sum();
            assert!(
                sum >= p.coverage_pct - 1e-6,
                "{id}: {sum} < {}",
                p.coverage_pct
            );
            assert!(p.coverage_pct <= 100.0, "{id}: {}", p.coverage_pct);
            // The red-line rows add up to the plan's road area.
            let rows: f64 = p.redlines.iter().map(|h| h.area_in_road_m2).sum();
            assert!(
                (rows - p.road_area_m2).abs() <= 1e-9 * p.road_area_m2.max(1.0),
                "{id}: rows {rows} vs {}",
                p.road_area_m2
            );
            for z in &p.zones {
                if let (Some(d), Some(fp)) = (z.density_pct, z.max_footprint_m2) {
                    assert!((fp - z.overlap_m2 * d / 100.0).abs() < 1e-9);
                }
            }
        }
        let lu = plan(&r, "qhsdd-2030").expect("the land-use plan covers the district");
        assert!(lu.coverage_pct > 99.0, "{id}: {}", lu.coverage_pct);
        if let Some(pk) = plan(&r, "qhpk-2000") {
            if pk.zones.len() >= 2 && pk.coverage_pct > 99.9 {
                straddling += 1;
            }
        }
        assert!(!r.summary_vi.is_empty() && !r.summary_en.is_empty());
        assert!(r.disclaimer_vi.contains("quyết định phê duyệt"));
        assert!(!r.data_date.is_empty());
        checked += 1;
    }
    assert!(checked > 50);
    assert!(
        straddling > 0,
        "no parcel straddles zones of the zoning plan"
    );
}

#[test]
fn red_line_crossing_takes_road_area() {
    let mut found = None;
    for id in parcels_near("redlines-qhpk-2000") {
        let r = report_of(id);
        let crossing = plan(&r, "qhpk-2000").and_then(|p| {
            p.redlines
                .iter()
                .find(|h| h.crosses_site && h.area_in_road_m2 > 1.0)
                .cloned()
        });
        if let Some(h) = crossing {
            found = Some((r, h));
            break;
        }
    }
    let (r, h) = found.expect("a parcel crossed by a red line");
    assert_eq!(h.distance_m, 0.0);
    assert_eq!(h.method, "dgt_zones");
    assert!(h.area_in_road_pct > 0.0 && h.area_in_road_pct <= 100.0);
    assert!(r.affected);
    assert!(
        r.summary_vi
            .starts_with("Thửa đất bị ảnh hưởng bởi quy hoạch:")
            || r.summary_vi
                .starts_with("Các quy hoạch có hiệu lực quy định khác nhau"),
        "{}",
        r.summary_vi
    );
    assert!(
        r.summary_vi.contains("chỉ giới đường đỏ"),
        "{}",
        r.summary_vi
    );
    // The corridor found from DGT zones agrees with the one from width / 2 on each side.
    let l = ix().layer("redlines-qhpk-2000").unwrap();
    assert!(l.double("width_m", h.id).unwrap() > 0.0);
}

#[test]
fn unaffected_parcel_says_so() {
    let r = (0..parcels().len() as FeatureId)
        .step_by(13)
        .map(report_of)
        .find(|r| !r.affected && !r.plans.is_empty())
        .expect("an unaffected parcel");
    assert!(
        r.summary_vi.starts_with("Thửa đất không bị ảnh hưởng"),
        "{}",
        r.summary_vi
    );
    assert!(r.plans[0].zones.iter().any(|z| z.same_as_current));
}

#[test]
fn draft_plan_is_marked_and_listed_after_plans_in_force() {
    let r = parcels_near("zones-qhpk-2000-dc")
        .into_iter()
        .map(report_of)
        .find(|r| plan(r, "qhpk-2000-dc").is_some_and(|p| !p.zones.is_empty()))
        .expect("a parcel under the draft");
    let draft = plan(&r, "qhpk-2000-dc").unwrap();
    assert_eq!(draft.plan.status, PlanStatus::Draft);
    assert_eq!(
        draft.status_note.as_deref(),
        Some("Dự thảo lấy ý kiến — chưa có giá trị pháp lý")
    );
    let pos = |id: &str| r.plans.iter().position(|p| p.plan.id == id).unwrap();
    assert!(pos("qhpk-2000-dc") > pos("qhsdd-2030"));
    assert_eq!(r.plans[0].plan.status, PlanStatus::InForce);
}

#[test]
fn drawn_site_report() {
    // Around the middle of the zoning plan's largest block.
    let zones = ix().layer("zones-qhpk-2000").unwrap();
    let big = (0..zones.len())
        .max_by(|a, b| {
            let area = |i: usize| geo::Area::unsigned_area(&zones.geoms.multipolygon(i));
            area(*a).total_cmp(&area(*b))
        })
        .unwrap();
    let c = zones.geoms.multipolygon(big).interior_point().unwrap();
    let (cx, cy) = (c.x(), c.y());
    let d = 0.0006; // about 65 m
    let rect = Rect::new(coord! {x: cx - d, y: cy - d}, coord! {x: cx + d, y: cy + d});
    let mp = MultiPolygon::new(vec![rect.to_polygon()]);
    let r = ix().report(&Site::Geometry(mp.clone())).unwrap();
    assert_eq!(r.site.kind, "drawn");
    let geodesic = geo::GeodesicArea::geodesic_area_unsigned(&mp);
    assert!(
        (r.site.area_m2 - geodesic).abs() / geodesic < 1e-3,
        "{} vs {geodesic}",
        r.site.area_m2
    );
    let pk = plan(&r, "qhpk-2000").expect("zoning plan at the town centre");
    assert!(
        pk.coverage_pct > 99.0 && pk.coverage_pct <= 100.0 + 1e-3,
        "{}",
        pk.coverage_pct
    );
    assert!(pk.zones.len() > 1);
    assert!(r.summary_vi.starts_with("Khu đất"), "{}", r.summary_vi);
    assert!(pk.zones.iter().any(|z| z.max_floor_area_m2.is_some()));
}

#[test]
fn bad_sites_are_refused() {
    let ix = ix();
    let nan = MultiPolygon::new(vec![Polygon::new(
        vec![(f64::NAN, 1.0), (1.0, 1.0), (1.0, 2.0), (f64::NAN, 1.0)].into(),
        vec![],
    )]);
    assert!(matches!(
        ix.report(&Site::Geometry(nan)),
        Err(QueryError::BadRequest(_))
    ));
    let metres = MultiPolygon::new(vec![Rect::new(
        coord! {x: 563_000.0, y: 1_107_000.0},
        coord! {x: 563_100.0, y: 1_107_100.0},
    )
    .to_polygon()]);
    assert!(matches!(
        ix.report(&Site::Geometry(metres)),
        Err(QueryError::BadRequest(_))
    ));
    let n = MAX_SITE_VERTICES + 10;
    let ring: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            (105.1 + 0.001 * a.cos(), 10.0 + 0.001 * a.sin())
        })
        .collect();
    let big = MultiPolygon::new(vec![Polygon::new(ring.into(), vec![])]);
    assert!(matches!(
        ix.report(&Site::Geometry(big)),
        Err(QueryError::TooLarge(_))
    ));
    let huge = MultiPolygon::new(vec![Rect::new(
        coord! {x: 104.0, y: 9.0},
        coord! {x: 106.0, y: 11.0},
    )
    .to_polygon()]);
    assert!(matches!(
        ix.report(&Site::Geometry(huge)),
        Err(QueryError::TooLarge(_))
    ));
    assert!(matches!(
        ix.report(&Site::Parcel {
            layer: "nope".into(),
            id: 0
        }),
        Err(QueryError::NotFound(_))
    ));
    assert!(matches!(
        ix.report(&Site::Parcel {
            layer: "parcels".into(),
            id: u32::MAX
        }),
        Err(QueryError::NotFound(_))
    ));
    assert!(matches!(
        ix.report(&Site::Parcel {
            layer: "communes".into(),
            id: 0
        }),
        Err(QueryError::BadRequest(_))
    ));
    assert!(matches!(
        ix.parcels_at(f64::NAN, 10.0),
        Err(QueryError::BadRequest(_))
    ));
    assert!(matches!(
        ix.parcels_at(200.0, 10.0),
        Err(QueryError::BadRequest(_))
    ));
    assert!(matches!(
        ix.parcels_at(105.0, 95.0),
        Err(QueryError::BadRequest(_))
    ));
}

#[test]
fn conversion_round_trip_and_bad_input() {
    // Rạch Giá in VN-2000 / Kiên Giang (easting, northing).
    let pts = [(563_000.0, 1_107_000.0), (565_123.456, 1_108_765.432)];
    let wgs = convert(&pts, "vn2000:kien-giang", true).unwrap();
    assert!(
        (105.0..105.2).contains(&wgs[0].0) && (9.9..10.1).contains(&wgs[0].1),
        "{wgs:?}"
    );
    let back = convert(&wgs, "vn2000:kien-giang", false).unwrap();
    for (a, b) in pts.iter().zip(&back) {
        assert!(
            (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-3,
            "{a:?} {b:?}"
        );
    }
    // The same with the EPSG code of the zone (EPSG:9207), pinned to the same parameters.
    let epsg = convert(&pts, "EPSG:9207", true).unwrap();
    assert!((epsg[0].0 - wgs[0].0).abs() < 1e-7 && (epsg[0].1 - wgs[0].1).abs() < 1e-7);
    // Swapped axes (certificate order X = northing first) land outside Vietnam.
    match convert(&[(1_107_000.0, 563_000.0)], "vn2000:kien-giang", true) {
        Err(QueryError::BadRequest(m)) => assert!(m.contains("northing"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        convert(&[(f64::NAN, 1.0)], "vn2000:kien-giang", true),
        Err(QueryError::BadRequest(_))
    ));
    assert!(matches!(
        convert(&[(10.0, 105.0)], "vn2000:kien-giang", false),
        Err(QueryError::BadRequest(_))
    ));
    assert!(matches!(
        convert(&[(1.0, 1.0)], "vn2000:atlantis", true),
        Err(QueryError::BadRequest(_))
    ));
    assert!(matches!(
        convert(
            &vec![(563_000.0, 1_107_000.0); MAX_CONVERT_POINTS + 1],
            "vn2000:kien-giang",
            true
        ),
        Err(QueryError::TooLarge(_))
    ));
    assert!(convert(&[], "vn2000:kien-giang", true).unwrap().is_empty());
}

/// GDAL/OGR as the judge: zone overlaps of ~20 parcels computed by GEOS on the delivered
/// VN-2000 files must match the index's (which went through WGS 84 and back) to 0.1 point.
#[test]
fn zone_overlaps_match_gdal() {
    let python = "/usr/bin/python3";
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/judges/zone_overlaps.py"
    );
    let l = parcels();
    let mut chosen: Vec<(FeatureId, i64)> = Vec::new();
    for id in parcels_near("zones-qhpk-2000").into_iter().step_by(5) {
        let r = report_of(id);
        if r.plans.iter().map(|p| p.zones.len()).sum::<usize>() >= 3 {
            chosen.push((id, l.int("source_fid", id).unwrap()));
        }
        if chosen.len() == 20 {
            break;
        }
    }
    assert!(chosen.len() >= 10, "{}", chosen.len());
    let out = Command::new(python)
        .arg(script)
        .arg(&fixture().sources)
        .args(chosen.iter().map(|(_, fid)| fid.to_string()))
        .output()
        .expect("run /usr/bin/python3 (python3-gdal)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut judged = 0;
    for (id, fid) in &chosen {
        let r = report_of(*id);
        let ours: Vec<(String, f64)> = r
            .plans
            .iter()
            .flat_map(|p| &p.zones)
            .map(|z| (z.zone_id.clone().unwrap(), z.overlap_pct))
            .collect();
        let theirs: Vec<(String, f64)> = text
            .lines()
            .filter_map(|line| {
                let mut it = line.split(',');
                let f: i64 = it.next()?.parse().ok()?;
                if f != *fid {
                    return None;
                }
                Some((it.next()?.to_string(), it.next()?.parse().ok()?))
            })
            .collect();
        for (zone, pct) in &theirs {
            let mine = ours
                .iter()
                .find(|(z, _)| z == zone)
                .map_or(0.0, |(_, p)| *p);
            assert!(
                (mine - pct).abs() < 0.1,
                "parcel {id} (fid {fid}) zone {zone}: index {mine:.4}% vs GDAL {pct:.4}%"
            );
            judged += 1;
        }
        for (zone, pct) in &ours {
            if *pct >= 0.1 {
                assert!(
                    theirs.iter().any(|(z, _)| z == zone),
                    "parcel {id}: zone {zone} ({pct}%) unknown to GDAL"
                );
            }
        }
    }
    assert!(judged >= 40, "{judged}");
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Index>();
}

#[test]
fn visit_bbox_lends_what_features_in_bbox_finds() {
    let ix = ix();
    let l = parcels();
    let b = l.entry.bounds;
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let bbox = [cx - 0.003, cy - 0.003, cx + 0.003, cy + 0.003];
    let mut seen = Vec::new();
    ix.visit_bbox("parcels", bbox, &mut |f, g| {
        assert_eq!(g, &l.geoms.geometry(f.id() as usize));
        assert_eq!(
            f.value("commune_code"),
            l.str("commune_code", f.id()).map(ValueRef::Str)
        );
        assert!(matches!(f.value("sheet"), Some(ValueRef::Int(_))));
        assert!(matches!(f.value("area_m2"), Some(ValueRef::Double(_))));
        assert_eq!(f.value("no_such_column"), None);
        seen.push(f.id());
    })
    .unwrap();
    // Every feature that truly intersects is visited (candidates may be more).
    let (exact, n) = ix.features_in_bbox("parcels", Some(bbox), 1000, 0).unwrap();
    assert!(n > 0 && n <= seen.len(), "{n} vs {}", seen.len());
    for f in exact {
        assert!(seen.contains(&f.id));
    }
    // Same order on every call.
    let mut again = Vec::new();
    ix.visit_bbox("parcels", bbox, &mut |f, _| again.push(f.id()))
        .unwrap();
    assert_eq!(seen, again);
    assert!(matches!(
        ix.visit_bbox("nope", bbox, &mut |_, _| {}),
        Err(QueryError::NotFound(_))
    ));
}

/// A star-shaped site of `n` vertices (closing one included) around `(cx, cy)`: radius
/// `r(i)` metres at vertex `i`, angles evenly spaced, so the ring never crosses itself.
fn radial_site(n: usize, cx: f64, cy: f64, r: impl Fn(usize) -> f64) -> MultiPolygon<f64> {
    let k = n - 1;
    let m = 1.0 / 111_000.0;
    let mut ring: Vec<(f64, f64)> = (0..k)
        .map(|i| {
            let a = i as f64 / k as f64 * std::f64::consts::TAU;
            let d = r(i) * m;
            (cx + d * a.cos() / cy.to_radians().cos(), cy + d * a.sin())
        })
        .collect();
    ring.push(ring[0]);
    MultiPolygon::new(vec![Polygon::new(ring.into(), vec![])])
}

/// The 20,000-vertex star of the benchmarks: 9,999 thin spikes (450 m out, 60 m in) around
/// the zoning plan's centre, the site the old overlays took minutes on.
fn star_site(n: usize) -> MultiPolygon<f64> {
    let b = ix().layer_entry("zones-qhpk-2000").unwrap().bounds;
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    radial_site(n, cx, cy, |i| if i % 2 == 0 { 450.0 } else { 60.0 })
}

#[test]
fn cancelled_report_stops_soon() {
    let site = Site::Geometry(star_site(MAX_SITE_VERTICES.min(20_000)));
    // Already expired: nothing is done.
    let expired = Cancel::with_timeout(std::time::Duration::ZERO);
    assert_eq!(
        ix().report_with_cancel(&site, &expired).unwrap_err(),
        QueryError::Cancelled
    );
    // Cancelled from another thread while it runs (a dropped guard, as the server does).
    let cancel = Cancel::new();
    let guard = cancel.guard();
    let t = std::time::Instant::now();
    std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(guard);
        });
        let r = ix().report_with_cancel(&site, &cancel);
        let took = t.elapsed();
        // Unless the report finished within the 50 ms, it must say it was stopped.
        if took > std::time::Duration::from_millis(60) {
            assert_eq!(r.unwrap_err(), QueryError::Cancelled);
        }
        assert!(took < std::time::Duration::from_millis(500), "{took:?}");
    });
}

/// GEOS (through GDAL) as the judge of the overlap figures on hard drawn sites: ~20 random
/// star-shaped sites and a spiky one, each zone's m² and share within 0.1 %, and every zone
/// GEOS finds over 0.1 % of the site listed.
#[test]
fn drawn_site_overlaps_match_geos() {
    use gdal::vector::ToGdal;
    let b = ix().layer_entry("zones-qhpk-2000").unwrap().bounds;
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut sites = vec![star_site(2_001)];
    for _ in 0..20 {
        let (cx, cy) = (b[0] + (b[2] - b[0]) * next(), b[1] + (b[3] - b[1]) * next());
        let base = 30.0 + 200.0 * next();
        let mut r = base;
        let radii: Vec<f64> = (0..300)
            .map(|_| {
                r = (r + (next() - 0.5) * base * 0.3).clamp(base * 0.3, base * 2.0);
                r
            })
            .collect();
        sites.push(radial_site(301, cx, cy, |i| radii[i]));
    }
    let mut judged = 0;
    for mp in sites {
        let r = ix().report(&Site::Geometry(mp.clone())).unwrap();
        let def = &r.site.metric_crs;
        let site_m = crate::planning::metric::project_mp(def, &mp).unwrap();
        let site_g = site_m.to_gdal().unwrap();
        assert!((site_g.area() - r.site.area_m2).abs() < 1e-6 * r.site.area_m2);
        for p in &r.plans {
            let layers: Vec<&Layer> = p
                .layers
                .iter()
                .filter_map(|l| ix().layer(l))
                .filter(|l| l.entry.kind == crate::schema::Kind::Zones)
                .collect();
            for l in layers {
                for id in l.candidates(r.site.bbox) {
                    let zone_m = crate::planning::metric::project_mp(
                        def,
                        &l.geoms.multipolygon(id as usize),
                    )
                    .unwrap();
                    let geos = site_g
                        .intersection(&zone_m.to_gdal().unwrap())
                        .map_or(0.0, |g| g.area());
                    let ours = p
                        .zones
                        .iter()
                        .find(|z| z.layer == l.id && z.id == id)
                        .map_or(0.0, |z| z.overlap_m2);
                    assert!(
                        (ours - geos).abs() <= geos * 1e-3 + 0.01,
                        "zone {} {id}: ours {ours} m², GEOS {geos} m²",
                        l.id
                    );
                    if geos > r.site.area_m2 * 1e-3 {
                        judged += 1;
                    }
                }
            }
        }
    }
    assert!(judged >= 40, "{judged}");
}

#[test]
fn plans_that_disagree_are_both_in_the_answer() {
    let mut seen = 0;
    for id in parcels_near("zones-qhpk-2000").into_iter().step_by(3) {
        let r = report_of(id);
        let mains: Vec<(&PlanReport, &str)> = r
            .plans
            .iter()
            .filter(|p| p.binding)
            .filter_map(|p| p.verdict.main_landuse.as_deref().map(|m| (p, m)))
            .collect();
        let disagree = mains.iter().any(|(_, m)| *m != mains[0].1);
        assert_eq!(
            r.answer_kind == "plans_disagree",
            disagree,
            "{id}: {} / {:?}",
            r.answer_kind,
            mains
                .iter()
                .map(|(p, m)| (&p.plan.id, m))
                .collect::<Vec<_>>()
        );
        // Every binding plan's verdict is in the answer, with its document, whatever the kind.
        for p in r.plans.iter().filter(|p| p.binding) {
            assert!(
                r.summary_vi.contains(&p.plan.decision.number)
                    && r.summary_vi.contains(&p.verdict.vi),
                "{id}: {} lacks {}",
                r.summary_vi,
                p.plan.id
            );
        }
        // Vietnamese text: decimal commas.
        let b = r.summary_vi.as_bytes();
        for w in b.windows(4) {
            assert!(
                !(w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit() && w[3] == b'%'),
                "{id}: a dot decimal in {}",
                r.summary_vi
            );
        }
        if disagree {
            seen += 1;
            assert!(r
                .summary_vi
                .starts_with("Các quy hoạch có hiệu lực quy định khác nhau"));
        }
        if seen >= 5 {
            break;
        }
    }
    assert!(seen > 0, "no parcel where the plans in force disagree");
}

#[test]
fn drafts_are_apart_and_their_document_named_by_type() {
    let r = parcels_near("zones-qhpk-2000-dc")
        .into_iter()
        .map(report_of)
        .find(|r| plan(r, "qhpk-2000-dc").is_some_and(|p| !p.zones.is_empty()))
        .expect("a parcel under the draft");
    let d = plan(&r, "qhpk-2000-dc").unwrap();
    assert!(!d.binding);
    assert_eq!(d.document.kind, crate::plans::DocumentKind::Submission);
    assert!(
        r.summary_vi.contains("Tờ trình 85/TTr-UBND"),
        "{}",
        r.summary_vi
    );
    assert!(
        !r.summary_vi.contains("Quyết định 85/TTr"),
        "{}",
        r.summary_vi
    );
    assert!(r.summary_vi.contains("chưa có giá trị pháp lý"));
    // The draft's verdict comes after every binding plan's.
    let draft_at = r.summary_vi.find("Dự thảo").unwrap();
    for p in r.plans.iter().filter(|p| p.binding) {
        assert!(r.summary_vi.find(&p.plan.decision.number).unwrap() < draft_at);
    }
    let last_binding = r.plans.iter().rposition(|p| p.binding).unwrap();
    let first_other = r.plans.iter().position(|p| !p.binding).unwrap();
    assert!(last_binding < first_other);
}

#[test]
fn slivers_are_not_a_change_of_use() {
    let mut seen = 0;
    for id in parcels_near("zones-qhpk-2000") {
        let r = report_of(id);
        for p in r.plans.iter().filter(|p| p.binding) {
            for z in p.zones.iter().filter(|z| z.sliver) {
                assert!(z.overlap_m2 < SLIVER_M2 || z.overlap_pct < SLIVER_PCT);
                let code = format!("({})", z.landuse);
                if !p.zones.iter().any(|o| !o.sliver && o.landuse == z.landuse) {
                    seen += 1;
                    assert!(
                        !p.verdict.vi.contains(&code),
                        "{id}: sliver {} m² of {code} in {}",
                        z.overlap_m2,
                        p.verdict.vi
                    );
                }
            }
        }
        if seen >= 10 {
            break;
        }
    }
    assert!(seen > 0, "no sliver zone found near the zoning plan");
}

#[test]
fn the_2025_reorganisation_in_both_directions() {
    let ix = ix();
    // A commune of the store under its old name says what it is part of now.
    let hits = ix.search("vinh thanh van", 5).unwrap();
    let c = hits
        .iter()
        .find(|h| h.kind == "commune")
        .expect("the commune");
    assert!(
        c.note
            .as_deref()
            .is_some_and(|n| n.contains("nay thuộc phường Rạch Giá, tỉnh An Giang")),
        "{c:?}"
    );
    // The new ward's name finds the ward once, listing the old communes it was made of.
    let hits = ix.search("phuong rach gia", 5).unwrap();
    let places: Vec<_> = hits.iter().filter(|h| h.kind == "place").collect();
    assert_eq!(places.len(), 1, "{hits:#?}");
    let note = places[0].note.as_deref().unwrap_or("");
    for old in ["Vĩnh Thanh", "Vĩnh Thanh Vân", "Vĩnh Lạc", "Rạch Sỏi"] {
        assert!(note.contains(old), "{note}");
    }
    assert!(
        note.contains("thành phố Rạch Giá, tỉnh Kiên Giang"),
        "{note}"
    );
    // An old commune outside the store finds the new one, with the way it went.
    let hits = ix
        .search("xã Vĩnh Hòa Phú, huyện Châu Thành, tỉnh Kiên Giang", 5)
        .unwrap();
    assert_eq!(hits[0].label, "Xã Bình An, An Giang", "{hits:#?}");
    assert!(hits[0]
        .note
        .as_deref()
        .is_some_and(|n| n.starts_with("Vĩnh Hòa Phú (trước 1/7/2025) → nay là xã Bình An")));
}

#[test]
fn reports_from_cached_projections_equal_reports_projected_afresh() {
    let store = fixture()._dir.path().join("store");
    let warm = Index::load(&store).unwrap();
    let fresh = Index::load(&store).unwrap();
    let n = parcels().len().min(400) as FeatureId;
    for id in 0..n {
        let site = Site::Parcel {
            layer: "parcels".into(),
            id,
        };
        let a = serde_json::to_string(&warm.report(&site).unwrap()).unwrap();
        fresh.metric.polygons.invalidate_all();
        fresh.metric.lines.invalidate_all();
        let b = serde_json::to_string(&fresh.report(&site).unwrap()).unwrap();
        assert_eq!(a, b, "parcel {id}");
    }
    warm.metric.polygons.run_pending_tasks();
    assert!(
        warm.metric.polygons.entry_count() > 0,
        "the reports used the cache"
    );
}

/// Every set of parcels sharing a number reads as that many different suggestions when the
/// number is searched with its commune: a person can tell theirs apart (by address, or by the
/// certificate's area when one address covers several) before choosing.
#[test]
fn parcels_sharing_a_number_are_told_apart_in_the_suggestions() {
    let ix = ix();
    let keys = &ix.parcel_keys;
    let mut sets = 0;
    let mut same_address = 0;
    let mut i = 0;
    while i < keys.len() {
        let k = ix.key_numbers(keys[i]);
        let mut j = i + 1;
        while j < keys.len() && ix.key_numbers(keys[j]) == k {
            j += 1;
        }
        if j - i >= 2 {
            sets += 1;
            let (commune, sheet, parcel) = k;
            let c = &ix.communes[commune as usize];
            let q = format!("thửa {parcel} tờ {sheet} {}", c.name.clone().unwrap());
            let hits: Vec<_> = ix
                .search(&q, 20)
                .unwrap()
                .into_iter()
                .filter(|h| h.parcel == Some((c.code.clone(), sheet, parcel)))
                .collect();
            assert_eq!(hits.len(), j - i, "{q}: {hits:?}");
            let shown: std::collections::HashSet<_> =
                hits.iter().map(|h| (&h.label, &h.detail)).collect();
            assert_eq!(
                shown.len(),
                hits.len(),
                "{q}: suggestions read the same: {hits:?}"
            );
            let feats = ix.parcels_by_number(&c.code, sheet, parcel).unwrap();
            if feats
                .iter()
                .all(|f| f.properties.get("address") == feats[0].properties.get("address"))
            {
                same_address += 1;
                assert!(
                    hits.iter()
                        .all(|h| h.detail.as_deref().is_some_and(|d| d.ends_with(" m²"))),
                    "{hits:?}"
                );
            }
        }
        i = j;
    }
    assert!(sets > 0, "the demo has parcels sharing a number");
    eprintln!("{sets} shared numbers, {same_address} of them with one address");
}
