//! An independent overlay judge of whole planning reports.
//!
//! 100 random parcels (seeded: spread over the communes, with parcels under several plans,
//! parcels crossed by red lines and duplicate-numbered parcels) and 20 random drawn sites
//! (0.2–5 ha, convex and concave, some with a hole, over the zoning plan, straddling zone
//! borders and red lines), plus the drawn sites that fuzzing found (fuzz/regressions/
//! site_report/), are reported by the real `quyhoach serve` binary over a socket. The judge
//! (tests/judges/overlay.py: pyogrio reads the store's FlatGeobuf layers, pyproj projects them
//! into each report's `site.metric_crs`, shapely/GEOS overlays) recomputes the site area,
//! every zone's overlap, each plan's coverage (site ∩ ⋃ zones), every red line's distance,
//! crossing and corridor, and each plan's road area (site ∩ ⋃ corridors). The test then holds
//! every report to the judge and to itself: what a reader could add up must add up.
//!
//! It needs the judges' Python (`QUYHOACH_PYTHON`, else target/judges-venv made by
//! scripts/setup-judges.sh) and fails when it is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use quyhoach_data::demo::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::process::{build_store, ServeProcess};
use geo::{BoundingRect, Intersects};
use geo_types::{Geometry, LineString};
use serde_json::{json, Value};

/// Parcels and drawn sites judged.
const PARCELS: usize = 100;
const DRAWN: usize = 20;
/// Seed of every random choice: the same run each time.
const SEED: u64 = 0x5155_5948_4f41_4348;

/// Areas agree within 0.1 % or 0.05 m², whichever is larger (the task's tolerance).
fn area_tol(judge: f64) -> f64 {
    (judge.abs() * 1e-3).max(0.05)
}
/// Shares of the site agree within 0.1 percentage point.
const PCT_TOL: f64 = 0.1;
/// A zone overlap below this (m²) or below [`SLIVER_PCT`] of the site is a sliver: never a
/// change of use.
const SLIVER_M2: f64 = 2.0;
const SLIVER_PCT: f64 = 0.5;
/// Red lines within this distance are listed by the report.
const NEAR_M: f64 = 30.0;

/// The fuzzing district (1,500 parcels, seed 1) the reproducers were found on.
const FUZZ_PARCELS: usize = 1500;

/// The drawn sites of fuzz/regressions/site_report/, decoded from the fuzz target's input
/// format (its `arbitrary` layout: vertices as fractions of the fuzzing district's box, which
/// is the union of the 1,500-parcel seed-1 demo's layer bounds) into WGS 84, rings closed as
/// geo's `Polygon::new` closes them. The name says what the report gave.
const FUZZ_SITES: &[(&str, &str)] = &[
    (
        "coverage-100.07pct-valid-strip",
        "[[[105.11589772820943,9.956572802901146],[105.11589772820943,9.956572802901146],[105.11590452820943,9.956581202901146],[105.10573512969138,9.94822896593348],[105.10531000037848,9.947607998688822],[105.09925987018937,9.942485253424636],[105.11589772820943,9.956572802901146]]]",
    ),
    (
        "coverage-101pct-valid-1m-strip",
        "[[[105.11589772820943,9.956572802901146],[105.10481092349129,9.947369273365913],[105.11741026075671,9.957853489217193],[105.09925987018937,9.942485253424636],[105.11589772820943,9.956572802901146]]]",
    ),
    (
        "coverage-122pct-self-intersecting-site",
        "[[[105.11589772820943,9.956572802901146],[105.11095965044613,9.948244677717994],[105.10188431668386,9.946323618930894],[105.09925987018937,9.942485253424636],[105.11589772820943,9.956572802901146]]]",
    ),
    (
        "coverage-163pct-needle-site",
        "[[[105.11589772820943,9.956572802901146],[105.10004282821384,9.943148196929414],[105.10005132821385,9.943156696929414],[105.10005132821385,9.943156696929414],[105.09925987018937,9.942485253424636],[105.11589772820943,9.956572802901146]]]",
    ),
    (
        "coverage-over-100pct-sliver",
        "[[[105.11589772820943,9.956572802901146],[105.10666127459193,9.949463865295403],[105.10667037459193,9.949463865295403],[105.11589772820943,9.956572802901146]]]",
    ),
];

/// The judges' Python: `QUYHOACH_PYTHON`, else the venv of scripts/setup-judges.sh. Missing
/// is a failure, not a skip: a judge that does not run judges nothing.
fn python() -> PathBuf {
    let p = std::env::var_os("QUYHOACH_PYTHON").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/judges-venv/bin/python"),
        PathBuf::from,
    );
    let ok =
        std::fs::metadata(&p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    assert!(
        ok,
        "the judge's Python {} is missing or not executable: run scripts/setup-judges.sh or set \
         QUYHOACH_PYTHON to a Python with shapely 2, pyproj and pyogrio",
        p.display()
    );
    p
}

/// One site to report and judge.
struct Case {
    key: String,
    /// What it is, for the table ("parcel 123 (31150/13/368)", "drawn #4 concave hole").
    what: String,
    /// The body of `POST /api/v1/report`.
    body: Value,
    /// Tags the coverage of the sample is counted by.
    tags: BTreeSet<&'static str>,
    /// A fuzzing reproducer: coverage may not pass 100 % + 0.1 pp.
    fuzz: bool,
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The first code of a land-use value ("ODT+CLN" → "ODT"), as the report and the judge take it.
fn main_code(s: &str) -> String {
    s.split(['+', ',', ';'])
        .map(|c| c.trim().to_uppercase())
        .find(|c| !c.is_empty())
        .unwrap_or_default()
}

fn rings_of(g: &Geometry<f64>) -> Vec<LineString<f64>> {
    match g {
        Geometry::Polygon(p) => std::iter::once(p.exterior().clone())
            .chain(p.interiors().iter().cloned())
            .collect(),
        Geometry::MultiPolygon(mp) => {
            mp.0.iter()
                .flat_map(|p| rings_of(&Geometry::Polygon(p.clone())))
                .collect()
        }
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        _ => Vec::new(),
    }
}

/// Every feature of a layer: id, attributes (as JSON) and geometry.
fn features(
    store_index: &quyhoach_data::index::Index,
    layer: &str,
) -> Vec<(u32, BTreeMap<String, Value>, Geometry<f64>)> {
    let bounds = store_index.layer_entry(layer).unwrap().bounds;
    let mut out = Vec::new();
    store_index
        .visit_bbox(layer, bounds, &mut |f, g| {
            let mut attrs = BTreeMap::new();
            for c in ["commune_code", "sheet", "parcel", "plan_id", "landuse"] {
                use quyhoach_data::index::ValueRef;
                if let Some(v) = f.value(c) {
                    attrs.insert(
                        c.to_string(),
                        match v {
                            ValueRef::Str(s) => json!(s),
                            ValueRef::Int(i) => json!(i),
                            ValueRef::Double(d) => json!(d),
                        },
                    );
                }
            }
            out.push((f.id(), attrs, g.clone()));
        })
        .unwrap();
    out.sort_by_key(|f| f.0);
    out
}

/// Picks the parcels: duplicates, red-line crossers, parcels under several plans, then the
/// rest spread over the communes.
fn pick_parcels(rng: &mut Rng, catalog: &Value) -> Vec<Case> {
    let ix = &*common::demo().index;
    let layers = catalog["layers"].as_object().unwrap();
    let parcels = features(ix, "parcels");
    let kind_layers = |kind: &str| -> Vec<String> {
        layers
            .iter()
            .filter(|(_, l)| l["kind"] == kind)
            .map(|(k, _)| k.clone())
            .collect()
    };
    let zone_layers = kind_layers("zones");
    let line_layers = kind_layers("redlines");
    let bbox = |g: &Geometry<f64>| {
        let r = g.bounding_rect().unwrap();
        [r.min().x, r.min().y, r.max().x, r.max().y]
    };
    // Plans meeting each parcel.
    let mut plans_of: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for (id, _, g) in &parcels {
        for zl in &zone_layers {
            ix.visit_bbox(zl, bbox(g), &mut |f, zg| {
                if zg.intersects(g) {
                    let plan = match f.value("plan_id") {
                        Some(quyhoach_data::index::ValueRef::Str(s)) => s.to_string(),
                        _ => layers[zl]["plan"].as_str().unwrap_or(zl).to_string(),
                    };
                    plans_of.entry(*id).or_default().insert(plan);
                }
            })
            .unwrap();
        }
    }
    // Parcels a red line passes through.
    let mut crossed: BTreeSet<u32> = BTreeSet::new();
    for ll in &line_layers {
        for (_, _, line) in features(ix, ll) {
            ix.visit_bbox("parcels", bbox(&line), &mut |f, pg| {
                if line.intersects(pg) {
                    crossed.insert(f.id());
                }
            })
            .unwrap();
        }
    }
    // Duplicate numbers.
    let mut by_number: BTreeMap<(String, i64, i64), Vec<u32>> = BTreeMap::new();
    for (id, a, _) in &parcels {
        if let (Some(c), Some(s), Some(p)) = (
            a.get("commune_code").and_then(Value::as_str),
            a.get("sheet").and_then(Value::as_i64),
            a.get("parcel").and_then(Value::as_i64),
        ) {
            by_number
                .entry((c.to_string(), s, p))
                .or_default()
                .push(*id);
        }
    }
    let mut dup_groups: Vec<Vec<u32>> = by_number.into_values().filter(|v| v.len() > 1).collect();
    rng.shuffle(&mut dup_groups);

    let mut chosen: BTreeMap<u32, BTreeSet<&'static str>> = BTreeMap::new();
    for g in dup_groups.iter().take(5) {
        for id in g.iter().take(2) {
            chosen.entry(*id).or_default().insert("duplicate number");
        }
    }
    let mut take = |pool: Vec<u32>,
                    n: usize,
                    tag: &'static str,
                    chosen: &mut BTreeMap<u32, BTreeSet<&'static str>>| {
        let mut pool = pool;
        rng.shuffle(&mut pool);
        let mut added = 0;
        for id in pool {
            if added == n {
                break;
            }
            if !chosen.contains_key(&id) {
                chosen.entry(id).or_default().insert(tag);
                added += 1;
            }
        }
    };
    take(
        crossed.iter().copied().collect(),
        25,
        "crossed by a red line",
        &mut chosen,
    );
    take(
        plans_of
            .iter()
            .filter(|(_, p)| p.len() >= 2)
            .map(|(id, _)| *id)
            .collect(),
        30,
        "under several plans",
        &mut chosen,
    );
    // The rest spread over the communes: round robin, random within each.
    let mut by_commune: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (id, a, _) in &parcels {
        let c = a
            .get("commune_code")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        by_commune.entry(c).or_default().push(*id);
    }
    let mut pools: Vec<Vec<u32>> = by_commune.into_values().collect();
    for p in &mut pools {
        rng.shuffle(p);
    }
    'fill: loop {
        let mut any = false;
        for p in &mut pools {
            while let Some(id) = p.pop() {
                any = true;
                if chosen.len() >= PARCELS {
                    break 'fill;
                }
                if let std::collections::btree_map::Entry::Vacant(e) = chosen.entry(id) {
                    e.insert(BTreeSet::from(["spread over communes"]));
                    break;
                }
            }
        }
        if !any || chosen.len() >= PARCELS {
            break;
        }
    }
    chosen
        .into_iter()
        .map(|(id, mut tags)| {
            let a = &parcels[id as usize].1;
            if plans_of.get(&id).is_some_and(|p| p.len() >= 2) {
                tags.insert("under several plans");
            }
            if crossed.contains(&id) {
                tags.insert("crossed by a red line");
            }
            Case {
                key: format!("parcel-{id}"),
                what: format!(
                    "parcel {id} ({}/{}/{})",
                    a.get("commune_code").and_then(Value::as_str).unwrap_or("?"),
                    a.get("sheet").map_or("?".into(), Value::to_string),
                    a.get("parcel").map_or("?".into(), Value::to_string)
                ),
                body: json!({"layer": "parcels", "id": id}),
                tags,
                fuzz: false,
            }
        })
        .collect()
}

/// Random drawn sites over the zoning plans: star-shaped polygons (so always simple) of
/// 0.2–5 ha, centred on red-line vertices, zone corners or zone middles.
fn drawn_sites(rng: &mut Rng, catalog: &Value) -> Vec<Case> {
    let ix = &*common::demo().index;
    let layers = catalog["layers"].as_object().unwrap();
    let plans = catalog["plans"].as_object().unwrap();
    let level = |l: &Value| {
        l["plan"]
            .as_str()
            .and_then(|p| plans.get(p))
            .map_or("", |p| p["level"].as_str().unwrap_or(""))
            .to_string()
    };
    let status = |l: &Value| {
        l["plan"]
            .as_str()
            .and_then(|p| plans.get(p))
            .map_or("", |p| p["status"].as_str().unwrap_or(""))
            .to_string()
    };
    // Zoning (not land-use) plans' zones, drafts apart, and red lines.
    let mut zoning: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut drafts: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut lines: Vec<Vec<[f64; 2]>> = Vec::new();
    for (id, l) in layers {
        let kind = l["kind"].as_str().unwrap_or("");
        if kind != "zones" && kind != "redlines" {
            continue;
        }
        if kind == "zones" && level(l).contains("land_use") {
            continue;
        }
        for (_, _, g) in features(ix, id) {
            let pts: Vec<[f64; 2]> = rings_of(&g)
                .iter()
                .flat_map(|r| r.0.iter().map(|c| [c.x, c.y]))
                .collect();
            if pts.is_empty() {
                continue;
            }
            match (kind, status(l).as_str()) {
                ("redlines", _) => lines.push(pts),
                (_, "draft") => drafts.push(pts),
                _ => zoning.push(pts),
            }
        }
    }
    assert!(
        !zoning.is_empty() && !lines.is_empty(),
        "the demo has no zoning plan or red lines"
    );
    let mut out = Vec::new();
    for i in 0..DRAWN {
        let (centre, at) = match i % 4 {
            0 => {
                let l = &lines[rng.below(lines.len())];
                (l[rng.below(l.len())], "on a red line")
            }
            1 => {
                let z = &zoning[rng.below(zoning.len())];
                (z[rng.below(z.len())], "on a zone corner")
            }
            2 => {
                let z = &zoning[rng.below(zoning.len())];
                let n = z.len() as f64;
                (
                    [
                        z.iter().map(|p| p[0]).sum::<f64>() / n,
                        z.iter().map(|p| p[1]).sum::<f64>() / n,
                    ],
                    "in a zone",
                )
            }
            _ => {
                let pool = if drafts.is_empty() { &zoning } else { &drafts };
                let z = &pool[rng.below(pool.len())];
                (z[rng.below(z.len())], "on a draft plan's zone")
            }
        };
        let convex = i % 2 == 0;
        let hole = i % 3 == 0;
        let n = 6 + rng.below(9);
        let step = std::f64::consts::TAU / n as f64;
        let phase = rng.f64() * std::f64::consts::TAU;
        let ring: Vec<[f64; 2]> = (0..n)
            .map(|k| {
                let a = phase + step * (k as f64 + (rng.f64() - 0.5) * 0.6);
                let r = if convex { 1.0 } else { 0.35 + 0.65 * rng.f64() };
                [r * a.cos(), r * a.sin()]
            })
            .collect();
        let shoelace = |r: &[[f64; 2]]| {
            (0..r.len())
                .map(|k| {
                    let (p, q) = (r[k], r[(k + 1) % r.len()]);
                    p[0] * q[1] - q[0] * p[1]
                })
                .sum::<f64>()
                .abs()
                / 2.0
        };
        // The hole: a hexagon of radius 0.15, inside every ring above (its nearest edge is
        // at least 0.35 × cos(48°) ≈ 0.23 from the centre).
        let hole_ring: Vec<[f64; 2]> = (0..6)
            .map(|k| {
                let a = std::f64::consts::TAU * k as f64 / 6.0;
                [0.15 * a.cos(), 0.15 * a.sin()]
            })
            .collect();
        let unit_area = shoelace(&ring) - if hole { shoelace(&hole_ring) } else { 0.0 };
        let target = (2_000f64.ln() + rng.f64() * (50_000f64.ln() - 2_000f64.ln())).exp();
        let scale = (target / unit_area).sqrt();
        let lat = centre[1].to_radians();
        let to_wgs = |r: &[[f64; 2]], reverse: bool| -> Value {
            let mut pts: Vec<Value> = r
                .iter()
                .map(|p| {
                    json!([
                        centre[0] + p[0] * scale / (111_320.0 * lat.cos()),
                        centre[1] + p[1] * scale / 110_574.0
                    ])
                })
                .collect();
            if reverse {
                pts.reverse();
            }
            pts.push(pts[0].clone());
            Value::Array(pts)
        };
        let mut rings = vec![to_wgs(&ring, false)];
        if hole {
            rings.push(to_wgs(&hole_ring, true));
        }
        let mut tags = BTreeSet::from([if convex {
            "drawn convex"
        } else {
            "drawn concave"
        }]);
        if hole {
            tags.insert("drawn with a hole");
        }
        out.push(Case {
            key: format!("drawn-{i}"),
            what: format!(
                "drawn #{i} {} {}{} ~{:.2} ha",
                if convex { "convex" } else { "concave" },
                at,
                if hole { " with hole" } else { "" },
                target / 10_000.0
            ),
            body: json!({"type": "Polygon", "coordinates": rings}),
            tags,
            fuzz: false,
        });
    }
    out
}

fn fuzz_cases() -> Vec<Case> {
    FUZZ_SITES
        .iter()
        .map(|(name, coords)| Case {
            key: format!("fuzz-{name}"),
            what: format!("fuzz {name}"),
            body: json!({"type": "Polygon", "coordinates": serde_json::from_str::<Value>(coords).unwrap()}),
            tags: BTreeSet::from(["fuzz reproducer"]),
            fuzz: true,
        })
        .collect()
}

/// Runs the judge over the reported sites of one store.
fn judge(store: &Path, cases: &[(&Case, Value)]) -> BTreeMap<String, Value> {
    let sites: Vec<Value> = cases
        .iter()
        .map(|(c, r)| {
            let mut s = json!({"key": c.key, "metric_crs": r["site"]["metric_crs"]});
            if c.body.get("layer").is_some() {
                s["parcel"] = c.body.clone();
            } else {
                s["geometry"] = c.body.clone();
            }
            s
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("request.json");
    std::fs::write(&req, json!({"store": store, "sites": sites}).to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/judges/overlay.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(&req)
        .output()
        .expect("running the overlay judge");
    assert!(
        out.status.success(),
        "the overlay judge failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the judge's answer is JSON");
    eprintln!("judge: {}", v["versions"]);
    v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// One compared figure: report vs judge.
struct Cmp {
    case: String,
    what: String,
    ours: f64,
    theirs: f64,
    tol: f64,
}

#[derive(Default)]
struct Verdicts {
    /// check name → failures (case: detail).
    failures: BTreeMap<&'static str, Vec<String>>,
    /// check name → number of times checked.
    checked: BTreeMap<&'static str, usize>,
    cmps: Vec<Cmp>,
    /// Where a plan's zones overlap each other at the site: what the report made of it.
    overlaps: Vec<String>,
}

impl Verdicts {
    fn check(&mut self, name: &'static str, ok: bool, case: &str, detail: impl FnOnce() -> String) {
        *self.checked.entry(name).or_default() += 1;
        if !ok {
            self.failures
                .entry(name)
                .or_default()
                .push(format!("{case}: {}", detail()));
        }
    }

    /// An area or percentage against the judge's.
    fn figure(
        &mut self,
        name: &'static str,
        case: &str,
        what: String,
        ours: f64,
        theirs: f64,
        tol: f64,
    ) {
        let ok = ours.is_finite() && (ours - theirs).abs() <= tol;
        self.check(name, ok, case, || {
            format!("{what}: report {ours:.4}, judge {theirs:.4} (tolerance {tol:.4})")
        });
        self.cmps.push(Cmp {
            case: case.to_string(),
            what,
            ours,
            theirs,
            tol,
        });
    }
}

/// Whether the summary names a plan (by its decision number or its name).
fn names_plan(summary: &str, plan: &Value) -> bool {
    let number = plan["decision"]["number"].as_str().unwrap_or("\u{0}");
    let name = plan["name"].as_str().unwrap_or("\u{0}");
    summary.contains(number) || summary.contains(name)
}

/// Land-use codes written in parentheses in a summary: "(LUC)", "(ODT)".
fn codes_in(summary: &str) -> BTreeSet<String> {
    summary
        .split('(')
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .filter(|c| (2..=4).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_uppercase()))
        .map(str::to_string)
        .collect()
}

fn judge_report(v: &mut Verdicts, case: &Case, report: &Value, j: &Value) {
    let key = case.what.as_str();
    let area = num(j, "site_area_m2").unwrap();
    let site = &report["site"];
    v.check(
        "an accepted site is valid (GEOS, in the report's metric CRS)",
        j["site_valid"].as_bool().unwrap_or(false),
        key,
        || {
            format!(
                "the server reported on a site GEOS finds invalid ({}); the judge measures it after make_valid",
                j["site_invalid_reason"]
            )
        },
    );
    v.figure(
        "site area",
        key,
        "site m²".into(),
        num(site, "area_m2").unwrap_or(f64::NAN),
        area,
        area_tol(area),
    );
    if let Some(p) = j.get("parcel") {
        v.check(
            "the report is about the parcel asked for",
            site["id"] == case.body["id"]
                && site["commune_code"] == p["commune_code"]
                && site["sheet"] == p["sheet"]
                && site["parcel"] == p["parcel"],
            key,
            || {
                format!(
                    "asked {}, judge reads {p}, report says {} {}/{}/{}",
                    case.body, site["id"], site["commune_code"], site["sheet"], site["parcel"]
                )
            },
        );
    }
    let pct = |m2: f64| m2 / area * 100.0;
    let is_sliver = |m2: f64| m2 < SLIVER_M2 || pct(m2) < SLIVER_PCT;
    let empty =
        json!({"zones": {}, "redlines": {}, "union_m2": 0.0, "sum_m2": 0.0, "road_m2": 0.0});
    let jplans = j["plans"].as_object().unwrap();
    let plans = report["plans"].as_array().cloned().unwrap_or_default();
    let current: BTreeSet<String> = site["current_landuse"]
        .as_array()
        .map(|a| a.iter().map(|l| text(l, "code").to_string()).collect())
        .unwrap_or_default();
    let binding_status = |s: &str| s == "in_force" || s == "adjusted";

    // Plans the judge finds that the report lacks.
    let reported: BTreeSet<&str> = plans
        .iter()
        .map(|p| p["plan"]["id"].as_str().unwrap_or(""))
        .collect();
    for (pid, jp) in jplans {
        let big_zone = jp["zones"]
            .as_object()
            .unwrap()
            .values()
            .any(|z| num(z, "overlap_m2").unwrap() >= 0.05);
        let line = jp["redlines"]
            .as_object()
            .unwrap()
            .values()
            .any(|r| num(r, "distance_m").unwrap() < NEAR_M - 0.1);
        v.check("every plan at the site is reported", reported.contains(pid.as_str()) || !(big_zone || line), key, || {
            format!("plan {pid} meets the site (zones {big_zone}, red lines {line}) but is not in the report")
        });
    }

    let mut road_binding: f64 = 0.0;
    let mut mains: Vec<(&Value, String)> = Vec::new();
    let mut ambiguous_main = false;
    let mut seen_binding_after_other = false;
    let mut last_binding = true;
    for p in &plans {
        let pid = p["plan"]["id"].as_str().unwrap_or("");
        let status = text(&p["plan"], "status");
        let binding = binding_status(status);
        if let Some(b) = p.get("binding").and_then(Value::as_bool) {
            v.check("binding flag follows the status", b == binding, key, || {
                format!("plan {pid} ({status}) binding: {b}")
            });
        }
        if binding && !last_binding {
            seen_binding_after_other = true;
        }
        last_binding = binding;
        let jp = jplans.get(pid).unwrap_or(&empty);
        let jzones = jp["zones"].as_object().unwrap();
        let zones = p["zones"].as_array().cloned().unwrap_or_default();
        let mut listed = BTreeSet::new();
        let mut sum_pct = 0.0;
        for z in &zones {
            let zk = format!("{}/{}", text(z, "layer"), z["id"]);
            let jz = jzones.get(&zk);
            let jm2 = jz.and_then(|z| num(z, "overlap_m2")).unwrap_or(0.0);
            let m2 = num(z, "overlap_m2").unwrap_or(f64::NAN);
            let zp = num(z, "overlap_pct").unwrap_or(f64::NAN);
            sum_pct += zp;
            v.figure(
                "zone overlap m²",
                key,
                format!("{pid} zone {zk} m²"),
                m2,
                jm2,
                area_tol(jm2),
            );
            v.figure(
                "zone share %",
                key,
                format!("{pid} zone {zk} %"),
                zp,
                pct(jm2),
                PCT_TOL,
            );
            if let Some(jz) = jz {
                v.check(
                    "zone land use",
                    main_code(text(z, "landuse")) == text(jz, "landuse"),
                    key,
                    || {
                        format!(
                            "{pid} zone {zk}: report {}, store {}",
                            text(z, "landuse"),
                            text(jz, "landuse")
                        )
                    },
                );
            }
            if let Some(s) = z.get("sliver").and_then(Value::as_bool) {
                // Only where the judge is clear of the thresholds by the tolerance.
                let clear = (jm2 - SLIVER_M2).abs() > area_tol(jm2)
                    && (pct(jm2) - SLIVER_PCT).abs() > PCT_TOL;
                if clear {
                    v.check("sliver flag", s == is_sliver(jm2), key, || {
                        format!(
                            "{pid} zone {zk} ({jm2:.3} m², {:.3}%) sliver: {s}",
                            pct(jm2)
                        )
                    });
                }
            }
            listed.insert(zk);
        }
        for (zk, jz) in jzones {
            let jm2 = num(jz, "overlap_m2").unwrap();
            v.check(
                "every zone meeting the site is listed",
                listed.contains(zk) || jm2 < 0.05,
                key,
                || {
                    format!(
                        "{pid} zone {zk} overlaps {jm2:.3} m² ({:.3}%) but is not listed",
                        pct(jm2)
                    )
                },
            );
        }
        let cov = num(p, "coverage_pct").unwrap_or(f64::NAN);
        let cap = if case.fuzz {
            100.0 + PCT_TOL
        } else {
            100.0 + 1e-9
        };
        v.check("coverage ≤ 100 %", cov <= cap, key, || {
            format!("{pid} coverage {cov:.6}%")
        });
        let junion = num(jp, "union_m2").unwrap();
        v.figure(
            "coverage = ⋃ zones ∩ site",
            key,
            format!("{pid} coverage %"),
            cov,
            pct(junion),
            PCT_TOL,
        );
        // Where the store's zones of one plan overlap each other at the site, the zones'
        // shares count the overlap twice: the test reports what the report made of it and
        // holds the shares to the coverage only where they do not.
        let double_m2 = num(jp, "sum_m2").unwrap() - junion;
        if pct(double_m2) <= 0.01 {
            v.check(
                "zone shares add up to the coverage",
                (sum_pct - cov).abs() <= PCT_TOL,
                key,
                || format!("{pid}: zones add up to {sum_pct:.4}%, coverage {cov:.4}%"),
            );
        }
        if double_m2 > 0.01 {
            v.overlaps.push(format!(
                "{key} {pid}: zones overlap each other by {double_m2:.3} m² ({:.4}% of the site); zones listed add up to {sum_pct:.4}%, coverage {cov:.4}%, judge ⋃ {:.4}%",
                pct(double_m2),
                pct(junion)
            ));
        }

        // Red lines.
        let jlines = jp["redlines"].as_object().unwrap();
        let rows = p["redlines"].as_array().cloned().unwrap_or_default();
        let mut row_sum = 0.0;
        let mut seen = BTreeSet::new();
        for r in &rows {
            let rk = format!("{}/{}", text(r, "layer"), r["id"]);
            seen.insert(rk.clone());
            let d = num(r, "distance_m").unwrap_or(f64::NAN);
            let a = num(r, "area_in_road_m2").unwrap_or(f64::NAN);
            let crosses = r["crosses_site"].as_bool().unwrap_or(false);
            row_sum += a;
            let Some(jr) = jlines.get(&rk) else {
                v.check("every listed red line is within 30 m", d > NEAR_M - 0.1, key, || format!("{pid} line {rk} listed at {d:.3} m, judge finds it farther than {NEAR_M} m"));
                continue;
            };
            let jd = num(jr, "distance_m").unwrap();
            v.figure(
                "red line distance",
                key,
                format!("{pid} line {rk} m"),
                d,
                jd,
                (jd * 1e-3).max(0.01),
            );
            v.check(
                "corridor method",
                text(r, "method") == text(jr, "method"),
                key,
                || {
                    format!(
                        "{pid} line {rk}: report {}, judge {}",
                        text(r, "method"),
                        text(jr, "method")
                    )
                },
            );
            if jr["crosses_robust"].as_bool().unwrap_or(false) {
                v.check(
                    "crosses_site",
                    crosses == jr["crosses"].as_bool().unwrap(),
                    key,
                    || {
                        format!(
                            "{pid} line {rk}: report crosses {crosses}, judge {}",
                            jr["crosses"]
                        )
                    },
                );
            }
            let jc = num(jr, "corridor_m2").unwrap();
            v.check("a row's road area is inside its line's corridor", a <= jc + area_tol(jc), key, || {
                format!("{pid} line {rk}: {a:.3} m² in road, judge's corridor of the line ∩ site {jc:.3} m²")
            });
            v.check("no road area on a line that neither crosses nor owns a corridor piece", crosses || a <= 0.05 || jc > 0.05, key, || {
                format!("{pid} line {rk}: crosses_site false, {a:.3} m² in road, its corridor ∩ site {jc:.3} m²")
            });
            // The row's share against its own area and the report's own site area.
            let own = a / num(site, "area_m2").unwrap_or(f64::NAN) * 100.0;
            v.figure(
                "red line % of site",
                key,
                format!("{pid} line {rk} %"),
                num(r, "area_in_road_pct").unwrap_or(f64::NAN),
                own,
                1e-6 + own.abs() * 1e-9,
            );
        }
        for (rk, jr) in jlines {
            let jd = num(jr, "distance_m").unwrap();
            v.check(
                "every red line within 30 m is listed",
                seen.contains(rk) || jd > NEAR_M - 0.1,
                key,
                || format!("{pid} line {rk} at {jd:.3} m not listed"),
            );
        }
        let jroad = num(jp, "road_m2").unwrap();
        match num(p, "road_area_m2") {
            Some(road) => {
                v.figure("plan road area = ⋃ corridors ∩ site", key, format!("{pid} road m²"), road, jroad, area_tol(jroad));
                v.figure("red-line rows add up to the plan's road_area_m2", key, format!("{pid} Σ rows m²"), row_sum, road, area_tol(road));
            }
            None => v.check("red-line rows add up to the plan's road_area_m2", false, key, || {
                format!("{pid} has no road_area_m2 (rows add up to {row_sum:.3} m², judge's road area {jroad:.3} m²)")
            }),
        }
        if binding {
            road_binding = road_binding.max(jroad);
            // The plan's main zone by the judge, when it is no sliver and clearly first.
            let mut js: Vec<(f64, &str)> = jzones
                .values()
                .map(|z| (num(z, "overlap_m2").unwrap(), text(z, "landuse")))
                .collect();
            js.sort_by(|a, b| b.0.total_cmp(&a.0));
            if let Some(&(m2, code)) = js.first() {
                if !is_sliver(m2) {
                    if js
                        .get(1)
                        .is_some_and(|s| s.1 != code && (m2 - s.0) <= area_tol(m2))
                    {
                        ambiguous_main = true;
                    }
                    mains.push((p, code.to_string()));
                }
            }
        }
    }
    v.check(
        "binding plans come first",
        !seen_binding_after_other,
        key,
        || {
            format!(
                "order: {:?}",
                plans
                    .iter()
                    .map(|p| text(&p["plan"], "status"))
                    .collect::<Vec<_>>()
            )
        },
    );
    if let Some(road) = num(report, "road_area_m2") {
        v.figure(
            "report road area = largest over binding plans",
            key,
            "report road m²".into(),
            road,
            road_binding,
            area_tol(road_binding),
        );
    }

    // The one-line answer.
    let summary = text(report, "summary_vi");
    let distinct: BTreeSet<&str> = mains.iter().map(|(_, c)| c.as_str()).collect();
    if !ambiguous_main && distinct.len() >= 2 && site["kind"] == "parcel" {
        if let Some(kind) = report.get("answer_kind").and_then(Value::as_str) {
            v.check(
                "answer_kind plans_disagree",
                kind == "plans_disagree",
                key,
                || format!("binding plans' main uses {distinct:?}, answer_kind {kind}"),
            );
        }
        for (p, code) in &mains {
            v.check(
                "the answer names every disagreeing binding plan",
                names_plan(summary, &p["plan"]),
                key,
                || {
                    format!(
                        "plan {} (main use {code}) not named in: {summary}",
                        text(&p["plan"], "id")
                    )
                },
            );
        }
    } else if distinct.len() < 2 && !ambiguous_main {
        if let Some(kind) = report.get("answer_kind").and_then(Value::as_str) {
            v.check(
                "plans_disagree only when binding plans disagree",
                kind != "plans_disagree",
                key,
                || format!("binding plans' main uses {distinct:?}, answer_kind {kind}: {summary}"),
            );
        }
    }
    // A code in the answer stands on a real share of the site (or is a current use).
    let backed: BTreeSet<String> = plans
        .iter()
        .flat_map(|p| {
            let jp = jplans
                .get(p["plan"]["id"].as_str().unwrap_or(""))
                .unwrap_or(&empty);
            jp["zones"]
                .as_object()
                .unwrap()
                .values()
                .filter(|z| {
                    !is_sliver(num(z, "overlap_m2").unwrap())
                        || num(z, "overlap_m2").unwrap() >= area - area_tol(area)
                })
                .map(|z| text(z, "landuse").to_string())
                .collect::<Vec<_>>()
        })
        .chain(current.iter().cloned())
        .collect();
    let known: BTreeSet<String> = plans
        .iter()
        .flat_map(|p| p["zones"].as_array().cloned().unwrap_or_default())
        .map(|z| main_code(text(&z, "landuse")))
        .collect();
    for code in codes_in(summary) {
        if known.contains(&code) {
            v.check(
                "no sliver is a change of use in the answer",
                backed.contains(&code),
                key,
                || {
                    format!(
                        "({code}) is only a sliver of the site but the answer names it: {summary}"
                    )
                },
            );
        }
    }
}

#[test]
fn whole_reports_agree_with_an_independent_overlay() {
    let started = std::time::Instant::now();
    python();
    let demo = common::demo();
    let catalog: Value =
        serde_json::from_slice(&std::fs::read(demo.store.join("catalog.json")).unwrap()).unwrap();
    let mut rng = Rng::new(SEED);
    let mut cases = pick_parcels(&mut rng, &catalog);
    assert!(cases.len() == PARCELS, "picked {} parcels", cases.len());
    cases.extend(drawn_sites(&mut rng, &catalog));

    let (_fuzz_dir, fuzz_store) = build_store(FUZZ_PARCELS, 1);
    let fuzz = fuzz_cases();

    let mut v = Verdicts::default();
    let mut tags: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (store, cases) in [(&demo.store, &cases), (&fuzz_store, &fuzz)] {
        let server = ServeProcess::start(store);
        let mut reported: Vec<(&Case, Value)> = Vec::new();
        for c in cases.iter() {
            let (status, body) = server.post_json("/api/v1/report", &c.body);
            if status == 200 {
                reported.push((c, body));
                continue;
            }
            // Only a fuzz reproducer may be refused, and only as a client error with a
            // reason, for a site GEOS also finds invalid (checked below).
            v.check(
                "every site gets a report (or a clear 4xx)",
                c.fuzz && (400..500).contains(&status) && !text(&body, "detail").is_empty(),
                &c.what,
                || format!("HTTP {status}: {body}"),
            );
            if c.fuzz {
                let r = json!({"site": {"metric_crs": "+proj=tmerc +lat_0=0 +lon_0=105.1 +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs"}});
                let j = judge(store, &[(c, r)]);
                let valid = j[&c.key]["site_valid"].as_bool().unwrap();
                v.check("only invalid sites are refused", !valid, &c.what, || {
                    format!("HTTP {status} for a site GEOS finds valid: {body}")
                });
                eprintln!(
                    "{}: HTTP {status} ({}); GEOS: {}",
                    c.what,
                    text(&body, "detail"),
                    j[&c.key]["site_invalid_reason"]
                );
            }
        }
        let judged = judge(store, &reported);
        for (c, r) in &reported {
            let j = &judged[&c.key];
            judge_report(&mut v, c, r, j);
            for t in &c.tags {
                *tags.entry(t).or_default() += 1;
            }
            // What the judge saw of the site, for the sample's coverage.
            let jp = j["plans"].as_object().unwrap();
            if jp.len() >= 2 {
                *tags.entry("judge: several plans").or_default() += 1;
            }
            if jp.values().any(|p| {
                p["redlines"]
                    .as_object()
                    .unwrap()
                    .values()
                    .any(|r| r["crosses"] == true)
            }) {
                *tags.entry("judge: a red line crosses").or_default() += 1;
            }
            if jp.values().any(|p| {
                p["zones"]
                    .as_object()
                    .unwrap()
                    .values()
                    .filter(|z| z["overlap_m2"].as_f64().unwrap() >= SLIVER_M2)
                    .count()
                    >= 2
            }) {
                *tags.entry("judge: straddles a zone border").or_default() += 1;
            }
        }
    }

    // The worst disagreements, relative to their tolerance.
    v.cmps.sort_by(|a, b| {
        ((b.ours - b.theirs).abs() / b.tol).total_cmp(&((a.ours - a.theirs).abs() / a.tol))
    });
    eprintln!("\nworst disagreements (report vs judge):");
    eprintln!(
        "{:<44} {:<44} {:>14} {:>14} {:>10} {:>8}",
        "site", "figure", "report", "judge", "diff", "×tol"
    );
    for c in v.cmps.iter().take(15) {
        let d = c.ours - c.theirs;
        eprintln!(
            "{:<44} {:<44} {:>14.4} {:>14.4} {:>10.4} {:>8.2}",
            c.case,
            c.what,
            c.ours,
            c.theirs,
            d,
            d.abs() / c.tol
        );
    }
    eprintln!(
        "\nzones of a plan overlapping each other at the site ({}):",
        v.overlaps.len()
    );
    for o in v.overlaps.iter().take(10) {
        eprintln!("  {o}");
    }
    eprintln!("\nsample: {tags:?}");
    eprintln!("\nchecks:");
    for (name, n) in &v.checked {
        let failed = v.failures.get(name).map_or(0, Vec::len);
        eprintln!("  {:>5} checked {:>5} failed  {name}", n, failed);
    }
    for (name, fails) in &v.failures {
        eprintln!("\nFAILED {name} ({}):", fails.len());
        for f in fails.iter().take(8) {
            eprintln!("  {f}");
        }
    }
    eprintln!(
        "\n{} comparisons in {:.1} s",
        v.cmps.len(),
        started.elapsed().as_secs_f64()
    );

    // The sample must hold what it claims, or the test judges less than it says.
    let need = |t: &str, n: usize| tags.get(t).copied().unwrap_or(0) >= n;
    assert!(
        need("judge: several plans", 20),
        "too few sites under several plans: {tags:?}"
    );
    assert!(
        need("judge: a red line crosses", 10),
        "too few sites crossed by a red line: {tags:?}"
    );
    assert!(
        need("judge: straddles a zone border", 10),
        "too few sites across zone borders: {tags:?}"
    );
    assert!(
        need("drawn with a hole", 5) && need("drawn concave", 8),
        "{tags:?}"
    );
    assert!(
        need("duplicate number", 2),
        "no duplicate-numbered parcels judged: {tags:?}"
    );
    assert!(
        v.cmps.len() > 1000,
        "only {} figures compared",
        v.cmps.len()
    );
    assert!(
        v.failures.is_empty(),
        "reports disagree with the overlay judge or with themselves: {}",
        v.failures
            .iter()
            .map(|(k, f)| format!("{k} ({})", f.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
