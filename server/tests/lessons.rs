//! The lessons generated from the data (issue 12, "Done when": "another test checks every
//! lesson's generated tasks and answers on two demo stores made with different seeds").
//!
//! For two demo districts (seeds 1 and 2) and every step of every lesson, this checks
//! through the public API — not through the generator — that the target has the property
//! its picker promises (a duplicate number really has several parcels, the red-line parcel's
//! report has road area, the disagreeing parcel's report says `plans_disagree`, the
//! certificate corner converted by PROJ (pyproj, the judges' Python) lies on the parcel's
//! boundary, the zone has its indicators…), that the answer "show me" gives is what the
//! report and the catalog say and is accepted by `check`, that a wrong answer gets a hint
//! without the answer, that the listing never contains an answer, and that the two seeds
//! give different targets. Hostile inputs get 4xx problems.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;
use geo::{Distance, Euclidean};
use geo_types::{Geometry, LineString, Point};
use quyhoach_data::index::Index;
use quyhoach_server::portal::PortalConfig;
use quyhoach_server::state::ServerConfig;
use quyhoach_server::AppState;
use serde_json::{json, Value};

use common::{get, post};

struct Store {
    _dir: Option<tempfile::TempDir>,
    path: PathBuf,
    state: AppState,
}

/// `state` with the practice import turned on (its facts are part of a lesson) and a fresh
/// lesson cache.
fn with_practice(state: &AppState) -> AppState {
    let mut st = state.clone();
    st.server = Arc::new(ServerConfig {
        portal: PortalConfig {
            practice_import: true,
            ..PortalConfig::default()
        },
        ..ServerConfig::default()
    });
    st.lessons = Arc::default();
    st
}

fn stores() -> &'static [Store; 2] {
    static S: OnceLock<[Store; 2]> = OnceLock::new();
    S.get_or_init(|| {
        let one = common::demo();
        let (dir, path) = common::process::build_store(common::PARCELS, 2);
        let index = Index::load(&path).expect("loading the second demo store");
        [
            Store {
                _dir: None,
                path: one.store.clone(),
                state: with_practice(common::embedded_state()),
            },
            Store {
                _dir: Some(dir),
                path,
                state: with_practice(&AppState::new(index)),
            },
        ]
    })
}

/// VN-2000 TM-3 (easting, northing) on `meridian` → WGS 84 by PROJ with EPSG:6960's datum
/// shift (tests/judges/vn2000_pyproj.py).
fn pyproj_to_wgs84(meridian: f64, easting: f64, northing: f64) -> (f64, f64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/judges/vn2000_pyproj.py");
    let input = json!([{
        "proj": format!("+proj=tmerc +lat_0=0 +lon_0={meridian} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs"),
        "x": easting, "y": northing
    }]);
    let mut child = Command::new(common::judges_python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the pyproj judge");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pyproj judge failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v[0]["lon"].as_f64().unwrap(), v[0]["lat"].as_f64().unwrap())
}

/// Distance in metres from a WGS 84 point to the rings of a GeoJSON (Multi)Polygon.
fn distance_to_boundary_m(geometry: &Value, lon: f64, lat: f64) -> f64 {
    let polys: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![&geometry["coordinates"]],
        Some("MultiPolygon") => geometry["coordinates"].as_array().unwrap().iter().collect(),
        other => panic!("not a polygon: {other:?}"),
    };
    let (kx, ky) = (111_320.0 * lat.to_radians().cos(), 110_574.0);
    let p = Point::new(lon * kx, lat * ky);
    let mut best = f64::INFINITY;
    for poly in polys {
        for ring in poly.as_array().unwrap() {
            let ls: LineString<f64> = ring
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_f64().unwrap() * kx, c[1].as_f64().unwrap() * ky))
                .collect::<Vec<_>>()
                .into();
            best = best.min(Euclidean.distance(&Geometry::LineString(ls), &p));
        }
    }
    best
}

fn main_code(s: &str) -> String {
    s.split(['+', ',', ';'])
        .map(|c| c.trim().to_uppercase())
        .find(|c| !c.is_empty())
        .unwrap_or_default()
}

/// Every number written in a text (decimal point or comma), for leak checks.
fn numbers_in(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .filter_map(|t| {
            let t = t.trim_matches(['.', ',']);
            if t.is_empty() {
                return None;
            }
            t.replace(',', ".")
                .parse::<f64>()
                .ok()
                .or_else(|| t.replace(['.', ','], "").parse().ok())
        })
        .collect()
}

fn words_in(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect()
}

/// Text fields of a step as the listing shows them, options left out.
fn step_text_without_options(step: &Value) -> String {
    let mut s = step.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("options");
    }
    let mut t = String::new();
    for k in ["title", "html"] {
        t.push_str(s[k].as_str().unwrap_or(""));
        t.push('\n');
    }
    if let Some(l) = s["target"]["label"].as_str() {
        t.push_str(l);
    }
    t
}

fn keys_anywhere(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                out.push(k.clone());
                keys_anywhere(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys_anywhere(x, out)),
        _ => {}
    }
}

fn option_label<'a>(step: &'a Value, id: &str) -> &'a str {
    step["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .and_then(|o| o["label"].as_str())
        .unwrap_or_else(|| panic!("no option {id} in {step}"))
}

async fn ok_json(st: &AppState, uri: &str) -> Value {
    let r = get(st, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    r.json()
}

async fn post_json(st: &AppState, uri: &str, body: Value) -> (StatusCode, Value) {
    let r = post(st, uri, body.to_string()).await;
    let status = r.status;
    (status, r.json())
}

/// The parcel (all features sharing its number) of an open_parcel answer or target.
async fn parcels_of(st: &AppState, p: &Value) -> Vec<Value> {
    let uri = format!(
        "/api/v1/parcels/{}/{}/{}",
        p["commune"].as_str().unwrap(),
        p["sheet"].as_str().unwrap(),
        p["parcel"].as_str().unwrap()
    );
    ok_json(st, &uri).await["features"]
        .as_array()
        .unwrap()
        .clone()
}

async fn report_of(st: &AppState, p: &Value) -> Value {
    let mut uri = format!(
        "/api/v1/parcels/{}/{}/{}/report",
        p["commune"].as_str().unwrap(),
        p["sheet"].as_str().unwrap(),
        p["parcel"].as_str().unwrap()
    );
    if let Some(n) = p["n"].as_u64() {
        uri.push_str(&format!("?n={n}"));
    }
    ok_json(st, &uri).await
}

/// What a lesson step was generated for, to compare the two seeds.
fn target_key(step: &Value) -> Option<String> {
    let t = &step["target"];
    match t["kind"].as_str()? {
        "parcel" | "coordinates" | "zone" | "place" => Some(t.to_string()),
        _ => None,
    }
}

/// Checks one store; returns the targets by lesson/step.
async fn check_store(store: &Store) -> BTreeMap<String, String> {
    let st = &store.state;
    let t0 = std::time::Instant::now();
    let en = ok_json(st, "/api/v1/lessons?lang=en").await;
    eprintln!(
        "{}: lessons generated and listed in {:.2}s",
        store.path.display(),
        t0.elapsed().as_secs_f64()
    );
    let vi = ok_json(st, "/api/v1/lessons?lang=vi").await;
    assert_eq!(en["data_version"], vi["data_version"]);
    let catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(store.path.join("catalog.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = en["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "read-map",
            "find-parcel",
            "coordinates",
            "affected",
            "plans-disagree",
            "zoning-site",
            "qgis-gdal",
            "prepare-data"
        ]
    );
    // The listing never carries an answer.
    let mut keys = Vec::new();
    keys_anywhere(&en, &mut keys);
    for bad in [
        "answer",
        "correct",
        "right",
        "expected",
        "hint",
        "explanation",
    ] {
        assert!(
            !keys.iter().any(|k| k == bad),
            "the listing has a '{bad}' member"
        );
    }
    let mut targets = BTreeMap::new();
    let mut kinds_seen = std::collections::BTreeSet::new();
    for (li, lesson) in en["lessons"].as_array().unwrap().iter().enumerate() {
        let lid = lesson["id"].as_str().unwrap();
        assert_eq!(lesson["available"], true, "{lid}: {}", lesson["reason"]);
        assert_eq!(lesson["handout"], format!("/learn/{lid}/handout.html"));
        for (si, step) in lesson["steps"].as_array().unwrap().iter().enumerate() {
            let sid = step["id"].as_str().unwrap();
            let kind = step["kind"].as_str().unwrap();
            let at = format!("{}: {lid}/{sid}", store.path.display());
            kinds_seen.insert(kind.to_string());
            assert_eq!(step["available"], true, "{at}: {}", step["reason"]);
            assert!(
                !step["html"].as_str().unwrap().trim().is_empty(),
                "{at}: no text"
            );
            let vi_step = &vi["lessons"][li]["steps"][si];
            assert_ne!(
                step["html"], vi_step["html"],
                "{at}: the same text in vi and en"
            );
            if let Some(k) = target_key(step) {
                targets.insert(format!("{lid}/{sid}"), k);
            }
            assert_eq!(
                step["options"].is_array(),
                kind == "choose",
                "{at}: options"
            );
            assert_eq!(step["unit"].is_string(), kind == "number", "{at}: unit");
            let base = format!("/api/v1/lessons/{lid}/steps/{sid}");
            let (status, shown) = post_json(st, &format!("{base}/show?lang=en"), json!({})).await;
            assert_eq!(status, StatusCode::OK, "{at}: show {shown}");
            let answer = shown["answer"].clone();
            // The answer "show me" gives is accepted.
            let (status, ck) = post_json(
                st,
                &format!("{base}/check?lang=en"),
                json!({"answer": answer}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{at}: check {ck}");
            assert_eq!(
                ck["correct"], true,
                "{at}: the shown answer {answer} is not accepted"
            );
            assert!(ck.get("hint").is_none(), "{at}");

            // What the answer is, independently of the generator.
            let listing_text = step_text_without_options(step);
            let answer_words: Option<String> = match kind {
                "choose" => {
                    Some(option_label(step, answer["option"].as_str().unwrap()).to_string())
                }
                "text" => Some(answer["text"].as_str().unwrap().to_string()),
                "number" => Some(answer["value"].to_string()),
                "practice_import" => Some(match &answer["value"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
                _ => None,
            };
            match (lid, sid) {
                ("read-map", "draft-layer") => {
                    let layer = step["target"]["layer"].as_str().unwrap();
                    let plan = catalog["layers"][layer]["plan"].as_str().unwrap();
                    assert_eq!(catalog["plans"][plan]["status"], "draft", "{at}");
                    // The draft is drawn by default: the step asks to hide it.
                    assert_eq!(answer, json!({"visible": []}), "{at}");
                }
                ("read-map", "status") => {
                    let plan = step["target"]["id"].as_str().unwrap();
                    assert_eq!(catalog["plans"][plan]["status"], "draft", "{at}");
                    assert_eq!(
                        answer_words.as_deref(),
                        Some("Draft for consultation"),
                        "{at}"
                    );
                }
                ("read-map", "zone-code") | ("read-map", "level") => {
                    let t = &step["target"];
                    let layer = t["layer"].as_str().unwrap();
                    let item =
                        ok_json(st, &format!("/ogc/collections/{layer}/items/{}", t["fid"])).await;
                    let props = &item["properties"];
                    if sid == "zone-code" {
                        assert_eq!(
                            answer["text"].as_str().unwrap(),
                            main_code(props["landuse"].as_str().unwrap()),
                            "{at}"
                        );
                    } else {
                        let plan_id = props["plan_id"]
                            .as_str()
                            .or(catalog["layers"][layer]["plan"].as_str())
                            .unwrap();
                        let plan = ok_json(st, &format!("/api/v1/plans/{plan_id}")).await;
                        assert!(
                            matches!(plan["status"].as_str(), Some("in_force" | "adjusted")),
                            "{at}"
                        );
                        assert_eq!(
                            option_label(vi_step, answer["option"].as_str().unwrap()),
                            plan["level_name_vi"].as_str().unwrap(),
                            "{at}"
                        );
                    }
                }
                ("find-parcel", "open") | ("find-parcel", "current") => {
                    let found = parcels_of(st, &step["target"]).await;
                    assert_eq!(found.len(), 1, "{at}: the plain parcel's number is unique");
                    if sid == "current" {
                        let lu = found[0]["properties"]["landuse"].as_str().unwrap();
                        assert_eq!(answer["text"].as_str().unwrap(), main_code(lu), "{at}");
                    }
                }
                ("find-parcel", "duplicate") => {
                    let t = &step["target"];
                    let found = parcels_of(st, t).await;
                    assert!(
                        found.len() >= 2,
                        "{at}: {} parcels share the number",
                        found.len()
                    );
                    assert_eq!(t["n"], 2, "{at}");
                    assert!(t["link"].as_str().unwrap().ends_with("/2"), "{at}");
                    assert!(
                        step["html"]
                            .as_str()
                            .unwrap()
                            .contains(&found.len().to_string()),
                        "{at}"
                    );
                }
                ("coordinates", "corner") => {
                    let t = &step["target"];
                    assert_eq!(t["kind"], "coordinates");
                    let (x, y, m) = (
                        t["x_northing"].as_f64().unwrap(),
                        t["y_easting"].as_f64().unwrap(),
                        t["meridian"].as_f64().unwrap(),
                    );
                    // X is the northing: seven digits in Vietnam, Y six.
                    assert!(
                        x > 1_000_000.0 && (100_000.0..1_000_000.0).contains(&y),
                        "{at}: {t}"
                    );
                    let (lon, lat) = pyproj_to_wgs84(m, y, x);
                    let found = parcels_of(st, &answer).await;
                    let d = distance_to_boundary_m(&found[0]["geometry"], lon, lat);
                    assert!(
                        d < 0.05,
                        "{at}: the corner is {d:.3} m from the parcel's boundary"
                    );
                    eprintln!(
                        "{at}: corner X={x} Y={y} is {:.1} mm from the parcel's boundary (pyproj)",
                        d * 1000.0
                    );
                }
                ("coordinates", "meridian") | ("prepare-data", "srs") => {
                    let def = catalog["layers"]["parcels"]["source"]["srs_definition"]
                        .as_str()
                        .unwrap();
                    let lon0: f64 = def
                        .split("+lon_0=")
                        .nth(1)
                        .unwrap()
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap();
                    let label = answer_words.clone().unwrap();
                    if sid == "meridian" {
                        assert_eq!(label.parse::<f64>().unwrap(), lon0, "{at}");
                    } else {
                        let slug = label.strip_prefix("vn2000:").unwrap();
                        let p = quyhoach_data::srs::find_province(slug).unwrap();
                        assert_eq!(p.meridian, lon0, "{at}");
                    }
                }
                ("coordinates", "northing") => {
                    assert!(answer_words.as_deref().unwrap().starts_with("X"), "{at}");
                }
                ("affected", "straddle") => {
                    let r = report_of(st, &step["target"]).await;
                    // A binding plan with two zones of different uses, each ≥ 15 % of the parcel.
                    let plan = r["plans"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|p| p["binding"] == true)
                        .find(|p| {
                            let mut codes: Vec<String> = p["zones"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .filter(|z| {
                                    z["sliver"] == false
                                        && z["overlap_pct"].as_f64().unwrap() >= 15.0
                                })
                                .map(|z| main_code(z["landuse"].as_str().unwrap()))
                                .collect();
                            codes.sort();
                            codes.dedup();
                            codes.len() >= 2
                        })
                        .unwrap_or_else(|| panic!("{at}: no binding plan splits the parcel"));
                    let main = plan["verdict"]["main_landuse"].as_str().unwrap();
                    let text = answer["text"].as_str().unwrap();
                    assert_ne!(text, main, "{at}");
                    assert!(
                        plan["zones"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|z| main_code(z["landuse"].as_str().unwrap()) == text
                                && z["sliver"] == false),
                        "{at}: {text} is not a use of the plan"
                    );
                }
                ("affected", _) => {
                    let r = report_of(st, &step["target"]).await;
                    assert!(
                        r["road_area_m2"].as_f64().unwrap() > 5.0,
                        "{at}: {}",
                        r["road_area_m2"]
                    );
                    match sid {
                        "road" => {
                            let v = answer["value"].as_f64().unwrap();
                            let want = r["road_area_m2"].as_f64().unwrap();
                            assert!(
                                (v - want).abs() <= 1.0_f64.max(want * 0.03),
                                "{at}: {v} vs {want}"
                            );
                        }
                        "affected" => {
                            let yes = answer_words.as_deref().unwrap().starts_with("Yes");
                            assert_eq!(yes, r["affected"].as_bool().unwrap(), "{at}");
                        }
                        "planned" => {
                            let first = r["plans"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .find(|p| p["binding"] == true)
                                .unwrap();
                            assert_eq!(answer["text"], first["verdict"]["main_landuse"], "{at}");
                        }
                        _ => {}
                    }
                }
                ("plans-disagree", _) => {
                    let r = report_of(st, &step["target"]).await;
                    assert_eq!(r["answer_kind"], "plans_disagree", "{at}");
                    let binding: Vec<&Value> = r["plans"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|p| p["binding"] == true)
                        .collect();
                    let named =
                        |label: &str| binding.iter().find(|p| p["plan"]["name"] == label).copied();
                    match sid {
                        "which" => {
                            let html = step["html"].as_str().unwrap();
                            let code = html
                                .split("<strong>")
                                .nth(1)
                                .unwrap()
                                .split("</strong>")
                                .next()
                                .unwrap();
                            let p =
                                named(answer_words.as_deref().unwrap()).expect("a binding plan");
                            assert_eq!(p["verdict"]["main_landuse"], code, "{at}");
                        }
                        "permit" => {
                            let p =
                                named(answer_words.as_deref().unwrap()).expect("a binding plan");
                            assert!(
                                matches!(
                                    p["plan"]["level"].as_str(),
                                    Some("zoning_2000" | "detailed_500" | "general_urban")
                                ),
                                "{at}"
                            );
                        }
                        "conversion" => {
                            let p =
                                named(answer_words.as_deref().unwrap()).expect("a binding plan");
                            assert!(
                                matches!(
                                    p["plan"]["level"].as_str(),
                                    Some(
                                        "district_land_use"
                                            | "provincial"
                                            | "regional"
                                            | "national"
                                    )
                                ),
                                "{at}"
                            );
                        }
                        _ => {}
                    }
                }
                ("zoning-site", "floors") | ("zoning-site", "far") | ("zoning-site", "site") => {
                    let t = &step["target"];
                    let layer = t["layer"].as_str().unwrap();
                    let item =
                        ok_json(st, &format!("/ogc/collections/{layer}/items/{}", t["fid"])).await;
                    let props = &item["properties"];
                    for k in ["density_pct", "floors_max", "far"] {
                        assert!(props[k].is_number(), "{at}: the zone has no {k}");
                    }
                    match sid {
                        "floors" => assert_eq!(
                            answer["value"].as_f64(),
                            props["floors_max"].as_f64(),
                            "{at}"
                        ),
                        "far" => {
                            assert_eq!(answer["value"].as_f64(), props["far"].as_f64(), "{at}")
                        }
                        _ => {
                            let r =
                                post(st, "/api/v1/report", answer["geometry"].to_string()).await;
                            assert_eq!(r.status, StatusCode::OK, "{at}: {}", r.text());
                            let r = r.json();
                            let area = r["site"]["area_m2"].as_f64().unwrap();
                            assert!((50.0..=50_000.0).contains(&area), "{at}: {area} m²");
                            let pct = r["plans"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .flat_map(|p| p["zones"].as_array().unwrap().iter())
                                .filter(|z| z["layer"] == layer && z["id"] == t["fid"])
                                .map(|z| z["overlap_pct"].as_f64().unwrap())
                                .fold(0.0, f64::max);
                            assert!(pct >= 80.0, "{at}: only {pct}% in the zone");
                        }
                    }
                }
                ("qgis-gdal", "ogrinfo") => {
                    let layers = ok_json(st, "/api/v1/layers").await;
                    let parcels = layers["layers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|l| l["kind"] == "parcels")
                        .unwrap();
                    assert_eq!(answer["value"].as_f64(), parcels["count"].as_f64(), "{at}");
                    assert!(
                        step["html"]
                            .as_str()
                            .unwrap()
                            .contains("ogrinfo -ro -so \"OAPIF:http://test.local/ogc\" parcels"),
                        "{at}: {}",
                        step["html"]
                    );
                }
                ("qgis-gdal", "ogr2ogr") => {
                    let bbox = step["target"]["label"].as_str().unwrap();
                    let fc = ok_json(
                        st,
                        &format!("/ogc/collections/parcels/items?bbox={bbox}&limit=1"),
                    )
                    .await;
                    assert_eq!(
                        answer["value"].as_f64(),
                        fc["numberMatched"].as_f64(),
                        "{at}"
                    );
                    let spat = bbox.replace(',', " ");
                    assert!(
                        step["html"]
                            .as_str()
                            .unwrap()
                            .contains(&format!("parcels -spat {spat}")),
                        "{at}"
                    );
                }
                ("prepare-data", _) if kind == "practice_import" => {
                    assert!(!answer["value"].is_null(), "{at}");
                }
                _ => assert!(
                    matches!(kind, "read"),
                    "{at}: a step this test does not judge"
                ),
            }

            // A wrong answer gets a hint that does not give the answer away.
            let wrong = match kind {
                "read" => None,
                "open_parcel" => Some(json!({"commune": "99999", "sheet": "1", "parcel": "1"})),
                // The opposite of the shown visibility.
                "toggle_layer" => Some(if answer["visible"].as_array().unwrap().is_empty() {
                    json!({"visible": [step["target"]["layer"]]})
                } else {
                    json!({"visible": []})
                }),
                "choose" => {
                    let right = answer["option"].as_str().unwrap();
                    let other = step["options"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|o| o["id"] != right)
                        .unwrap();
                    Some(json!({"option": other["id"]}))
                }
                "text" => Some(json!({"text": "ZZZ"})),
                "number" => Some(json!({"value": answer["value"].as_f64().unwrap() + 1000.0})),
                "practice_import" => Some(json!({"value": "not-this-987654"})),
                "site" => {
                    // A 4 m square at the zone's point: too small.
                    let (lon, lat) = (
                        step["target"]["lon"].as_f64().unwrap(),
                        step["target"]["lat"].as_f64().unwrap(),
                    );
                    let d = 0.00002;
                    Some(
                        json!({"geometry": {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]}}),
                    )
                }
                other => panic!("{at}: unknown kind {other}"),
            };
            if let Some(wrong) = wrong {
                let (status, ck) = post_json(
                    st,
                    &format!("{base}/check?lang=en"),
                    json!({"answer": wrong}),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{at}: {ck}");
                assert_eq!(
                    ck["correct"], false,
                    "{at}: the wrong answer {wrong} was accepted"
                );
                let hint = ck["hint"].as_str().unwrap();
                assert!(!hint.trim().is_empty(), "{at}: no hint");
                assert!(ck.get("explanation").is_none(), "{at}");
                if let Some(words) = &answer_words {
                    check_no_leak(&at, "hint", hint, kind, words);
                    check_no_leak(&at, "listing", &listing_text, kind, words);
                }
            }
        }
    }
    for k in [
        "read",
        "open_parcel",
        "toggle_layer",
        "choose",
        "text",
        "number",
        "site",
        "practice_import",
    ] {
        assert!(kinds_seen.contains(k), "no {k} step");
    }
    targets
}

/// Whether an answer shows in a text: numbers by value, codes as words, labels as text.
fn check_no_leak(at: &str, what: &str, text: &str, kind: &str, answer: &str) {
    match kind {
        "number" => {
            let v: f64 = answer.parse().unwrap();
            assert!(
                !numbers_in(text).contains(&v),
                "{at}: the {what} shows the answer {v}: {text}"
            );
        }
        "text" => {
            assert!(
                !words_in(text).contains(&answer.to_uppercase()),
                "{at}: the {what} shows the answer {answer}: {text}"
            );
        }
        _ => {
            if let Ok(v) = answer.parse::<f64>() {
                assert!(
                    !numbers_in(text).contains(&v),
                    "{at}: the {what} shows the answer {v}: {text}"
                );
            } else {
                assert!(
                    !text.contains(answer),
                    "{at}: the {what} shows the answer '{answer}': {text}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lesson_on_two_seeds() {
    let [a, b] = stores();
    let ta = check_store(a).await;
    let tb = check_store(b).await;
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    let same: Vec<&String> = ta.keys().filter(|k| ta[*k] == tb[*k]).collect();
    assert!(
        same.len() * 4 <= ta.len(),
        "the two seeds gave the same targets for {same:?}"
    );
    for k in [
        "find-parcel/open",
        "find-parcel/duplicate",
        "affected/open",
        "coordinates/corner",
    ] {
        assert_ne!(ta[k], tb[k], "{k}: the same target on both seeds");
    }
    // Generated once per data version: the same targets on a second listing.
    let again = ok_json(&a.state, "/api/v1/lessons?lang=en").await;
    let first = ok_json(&a.state, "/api/v1/lessons?lang=en").await;
    assert_eq!(again, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_share_one_build() {
    let st = with_practice(&stores()[0].state);
    let (x, y) = tokio::join!(
        get(&st, "/api/v1/lessons?lang=vi"),
        get(&st, "/api/v1/lessons?lang=vi")
    );
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(x.body, y.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_practice_import_turned_off_says_so() {
    let st = stores()[0].state.clone();
    let mut off = st.clone();
    off.server = Arc::new(ServerConfig::default());
    off.lessons = Arc::default();
    let doc = ok_json(&off, "/api/v1/lessons?lang=en").await;
    let l = doc["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "prepare-data")
        .unwrap();
    assert_eq!(l["available"], false);
    assert!(
        l["reason"].as_str().unwrap().contains("turned off"),
        "{}",
        l["reason"]
    );
    let r = post(
        &off,
        "/api/v1/lessons/prepare-data/steps/features/check",
        r#"{"answer":{"value":1}}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // Other lessons are unaffected.
    let l = doc["lessons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "find-parcel")
        .unwrap();
    assert_eq!(l["available"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_inputs_get_problems() {
    let st = &stores()[0].state;
    let check = "/api/v1/lessons/affected/steps/road/check";
    let cases: Vec<(String, String, StatusCode)> = vec![
        ("/api/v1/lessons/nope/steps/road/check".into(), r#"{"answer":{"value":1}}"#.into(), StatusCode::NOT_FOUND),
        ("/api/v1/lessons/affected/steps/nope/check".into(), r#"{"answer":{"value":1}}"#.into(), StatusCode::NOT_FOUND),
        (format!("/api/v1/lessons/{}/steps/road/check", "a".repeat(5000)), r#"{"answer":{"value":1}}"#.into(), StatusCode::NOT_FOUND),
        (check.into(), "not json".into(), StatusCode::BAD_REQUEST),
        (check.into(), "[]".into(), StatusCode::BAD_REQUEST),
        (check.into(), "{}".into(), StatusCode::BAD_REQUEST),
        (check.into(), r#"{"answer":{"value":"NaN"}}"#.into(), StatusCode::BAD_REQUEST),
        (check.into(), r#"{"answer":{"value":"inf"}}"#.into(), StatusCode::BAD_REQUEST),
        (check.into(), r#"{"answer":{"value":1e999}}"#.into(), StatusCode::BAD_REQUEST),
        (check.into(), r#"{"answer":{"value":[1]}}"#.into(), StatusCode::BAD_REQUEST),
        (check.into(), r#"{"answer":{"value":1,"x":2}}"#.into(), StatusCode::BAD_REQUEST),
        (check.into(), r#"{"answer":{"value":1},"more":1}"#.into(), StatusCode::BAD_REQUEST),
        (check.into(), format!(r#"{{"answer":{{"value":"{}"}}}}"#, "9".repeat(100_000)), StatusCode::BAD_REQUEST),
        (check.into(), format!(r#"{{"answer":{{"value":"{}"}}}}"#, "9".repeat(300_000)), StatusCode::PAYLOAD_TOO_LARGE),
        ("/api/v1/lessons/read-map/steps/zone-code/check".into(), format!(r#"{{"answer":{{"text":"{}"}}}}"#, "é".repeat(500)), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/read-map/steps/zone-code/check".into(), r#"{"answer":{"text":7}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/read-map/steps/status/check".into(), r#"{"answer":{"option":"z"}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/read-map/steps/draft-layer/check".into(), r#"{"answer":{"visible":"x"}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/read-map/steps/draft-layer/check".into(), format!(r#"{{"answer":{{"visible":[{}]}}}}"#, vec!["\"x\""; 5000].join(",")), StatusCode::PAYLOAD_TOO_LARGE),
        ("/api/v1/lessons/find-parcel/steps/open/check".into(), r#"{"answer":{"commune":"1","sheet":-1,"parcel":1}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/find-parcel/steps/open/check".into(), r#"{"answer":{"commune":"1","sheet":1.5,"parcel":1}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/find-parcel/steps/open/check".into(), r#"{"answer":{"commune":"1","sheet":"99999999999999999999","parcel":1}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/zoning-site/steps/site/check".into(), r#"{"answer":{"geometry":{"type":"Point","coordinates":[105,10]}}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/zoning-site/steps/site/check".into(), r#"{"answer":{"geometry":{"type":"Polygon","coordinates":[[[105,10],[1e400,10],[105,11],[105,10]]]}}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/zoning-site/steps/site/check".into(), r#"{"answer":{"geometry":{"type":"Polygon","coordinates":[[[105,10],[106,10],[105,11],[105,10]]]}}}"#.into(), StatusCode::PAYLOAD_TOO_LARGE),
        ("/api/v1/lessons/zoning-site/steps/site/check".into(), r#"{"answer":{"geometry":{"type":"Polygon","coordinates":[[[105,10],[105.001,10.001],[105.001,10],[105,10.001],[105,10]]]}}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/read-map/steps/layers/check".into(), r#"{"answer":{"x":1}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/affected/steps/road/check?lang=xx".into(), r#"{"answer":{"value":1}}"#.into(), StatusCode::BAD_REQUEST),
        ("/api/v1/lessons/affected/steps/road/check?foo=1".into(), r#"{"answer":{"value":1}}"#.into(), StatusCode::BAD_REQUEST),
    ];
    for (uri, body, want) in cases {
        let r = post(st, &uri, body.clone()).await;
        assert_eq!(
            r.status,
            want,
            "{} {}: {}",
            &uri[..uri.len().min(80)],
            &body[..body.len().min(80)],
            r.text()
        );
        assert!(
            r.content_type().starts_with("application/problem+json"),
            "{uri}: {}",
            r.content_type()
        );
        assert!(
            !r.text().contains(&"9".repeat(1000)),
            "{uri}: the input is echoed whole"
        );
    }
    for uri in [
        "/api/v1/lessons?lang=xx",
        "/api/v1/lessons?lang=vi&lang=en",
        "/api/v1/lessons?x=1",
    ] {
        let r = get(st, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
    }
    let r = get(st, "/api/v1/lessons/affected/steps/road/check").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn a_bad_lesson_directory_is_refused_with_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in quyhoach_server::portal::lessons::builtin_files() {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    quyhoach_server::portal::lessons::validate_dir(dir.path())
        .expect("the built-in files are valid");
    std::fs::write(
        dir.path().join("09-mine.yaml"),
        "id: mine\norder: 9\nminutes: 5\ntitle: {vi: A, en: A}\nsummary: {vi: B, en: B}\nsteps:\n  - id: s\n    kind: text\n    target: draft_plan\n    answer: zone_code\n    title: {vi: T, en: T}\n    text: {vi: x, en: x}\n    hint: {vi: h, en: h}\n",
    )
    .unwrap();
    let e = format!(
        "{:#}",
        quyhoach_server::portal::lessons::validate_dir(dir.path()).unwrap_err()
    );
    assert!(e.contains("09-mine.yaml") && e.contains("zone_code"), "{e}");
    std::fs::write(dir.path().join("09-mine.yaml"), "id: read-map\norder: 9\n").unwrap();
    let e = format!(
        "{:#}",
        quyhoach_server::portal::lessons::validate_dir(dir.path()).unwrap_err()
    );
    assert!(e.contains("09-mine.yaml"), "{e}");
}

/// The demo district served from PostGIS: the suite's own server when it runs on PostGIS,
/// else the same district built into a new database on `QUYHOACH_TEST_PG` (`None` without
/// one, outside CI). Built on a thread of its own: the PostgreSQL client blocks.
fn postgis_demo() -> Option<AppState> {
    if common::on_postgis() {
        return Some(common::demo().state.clone());
    }
    static S: OnceLock<Option<AppState>> = OnceLock::new();
    S.get_or_init(|| {
        std::thread::scope(|s| {
            s.spawn(|| {
                let url = quyhoach_data::testing::new_pg_database("qh_lessons")?;
                quyhoach_server::demo::build_demo(&quyhoach_server::demo::DemoBuild {
                    store: PathBuf::from(&url),
                    parcels: common::PARCELS,
                    seed: 1,
                    verbose: false,
                    keep_personal: Vec::new(),
                })
                .expect("building the demo in PostGIS");
                quyhoach_data::testing::same_import_times(&url, &common::demo().index);
                let pg = quyhoach_data::pg::planning::PgData::open(&url).unwrap();
                Some(AppState::from_arc(Arc::new(pg)))
            })
            .join()
            .unwrap()
        })
    })
    .clone()
}

/// `state` with the practice import on, a fresh lesson cache and the data version `etag`
/// (the lessons' seed: the two stores name their copies differently).
fn as_version(state: &AppState, etag: &str) -> AppState {
    let mut st = with_practice(state);
    st.etag = etag.into();
    st
}

/// On PostGIS the lessons are those of the embedded store for the same data: for the data
/// version and two other seeds, the listings in both languages and every step's "show me"
/// are byte for byte the same, and the answers shown are accepted (a drawn site is checked
/// by a report on PostGIS).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lessons_on_postgis_are_the_embedded_stores() {
    let Some(pg) = postgis_demo() else {
        return;
    };
    let embedded = common::embedded_state();
    let versions = [
        embedded.etag.to_string(),
        "W/\"x1\"".into(),
        "W/\"x2\"".into(),
    ];
    let mut steps = 0;
    for version in &versions {
        let (a, b) = (as_version(embedded, version), as_version(&pg, version));
        let t0 = std::time::Instant::now();
        let listing = get(&b, "/api/v1/lessons?lang=en").await;
        eprintln!(
            "lessons on PostGIS ({version}): generated and listed in {:.2}s",
            t0.elapsed().as_secs_f64()
        );
        for lang in ["en", "vi"] {
            let uri = format!("/api/v1/lessons?lang={lang}");
            let (x, y) = (get(&a, &uri).await, get(&b, &uri).await);
            assert_eq!(x.status, StatusCode::OK, "{uri}: {}", x.text());
            assert_eq!(
                (y.status, y.text()),
                (x.status, x.text()),
                "{version} {uri}: PostGIS (left) and the embedded store (right) differ"
            );
        }
        let en: Value = listing.json();
        for lesson in en["lessons"].as_array().unwrap() {
            let lid = lesson["id"].as_str().unwrap();
            assert_eq!(lesson["available"], true, "{lid}: {}", lesson["reason"]);
            for step in lesson["steps"].as_array().unwrap() {
                let sid = step["id"].as_str().unwrap();
                let base = format!("/api/v1/lessons/{lid}/steps/{sid}");
                let mut shown = Value::Null;
                for lang in ["en", "vi"] {
                    let uri = format!("{base}/show?lang={lang}");
                    let (x, y) = (
                        post(&a, &uri, json!({}).to_string()).await,
                        post(&b, &uri, json!({}).to_string()).await,
                    );
                    assert_eq!(x.status, StatusCode::OK, "{uri}: {}", x.text());
                    assert_eq!(
                        (y.status, y.text()),
                        (x.status, x.text()),
                        "{version} {uri}: PostGIS (left) and the embedded store (right) differ"
                    );
                    shown = x.json();
                }
                let check = format!("{base}/check?lang=en");
                let body = json!({"answer": shown["answer"]}).to_string();
                let (x, y) = (
                    post(&a, &check, body.clone()).await,
                    post(&b, &check, body).await,
                );
                assert_eq!(
                    (y.status, y.text()),
                    (x.status, x.text()),
                    "{version} {check}"
                );
                assert_eq!(y.json()["correct"], true, "{version} {check}: {}", y.text());
                steps += 1;
            }
        }
    }
    assert!(steps > 60, "only {steps} steps compared");
}
