//! The HTTP service in-process (`tower::ServiceExt::oneshot` on `app()`): every endpoint on
//! the demo district, and every class of bad input answered 4xx with a problem document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{demo, get, get_with, parcel_key as key, personal_demo, post, send, Resp};
use geo::InteriorPoint;
use quyhoach_data::index::FeatureOut;
use quyhoach_server::geojson::geometry_to_json;
use quyhoach_server::text::MAX_REPORT_BYTES;
use serde_json::{json, Value};

fn parcel(k: usize) -> FeatureOut {
    let (page, _) = common::demo()
        .index
        .features_in_bbox("parcels", None, 1, k)
        .unwrap();
    page.into_iter().next().unwrap()
}

fn inside(f: &FeatureOut) -> (f64, f64) {
    let p = f.geometry.interior_point().unwrap();
    (p.x(), p.y())
}

fn ids(v: &Value) -> Vec<u64> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect()
}

fn assert_problem(r: &Resp, status: u16, what: &str) {
    assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text());
    assert!(
        r.content_type().starts_with("application/problem+json"),
        "{what}: content type {}",
        r.content_type()
    );
    let v = r.json();
    assert_eq!(v["status"], status, "{what}");
    assert!(
        v["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:quyhoach:problem:"),
        "{what}"
    );
    assert!(!v["title"].as_str().unwrap().is_empty(), "{what}");
    assert!(v["detail"].as_str().unwrap().len() > 10, "{what}: {v}");
}

#[tokio::test]
async fn health_layers_plans_and_codes() {
    let st = &demo().state;
    let h = get(st, "/api/v1/health").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert_eq!(h.headers[header::CACHE_CONTROL], "no-store");

    let l = get(st, "/api/v1/layers").await.json();
    let cat = st.index.catalog();
    let got: Vec<&str> = l["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        cat.layers.keys().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(
        !l.to_string().contains("sources/"),
        "source paths stay private"
    );

    let p = get(st, "/api/v1/plans").await.json();
    assert_eq!(p["plans"].as_array().unwrap().len(), cat.plans.len());
    let id = cat.plans.keys().next().unwrap();
    let one = get(st, &format!("/api/v1/plans/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["id"], id.as_str());
    assert!(one.json()["decision"]["number"].is_string());

    let c = get(st, "/api/v1/landuse-codes").await.json();
    let codes: Vec<&str> = c["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"ODT") && codes.contains(&"LUC"));
    assert!(c["legacy"].to_string().contains("BHK"));
}

#[tokio::test]
async fn parcel_at_a_point_links_to_its_deep_link_and_report() {
    let st = &demo().state;
    let f = parcel(123);
    let (lon, lat) = inside(&f);
    let r = get(st, &format!("/api/v1/parcels/at?lon={lon}&lat={lat}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/geo+json");
    let v = r.json();
    assert_eq!(ids(&v), vec![f.id as u64]);
    let links = v["features"][0]["links"].as_array().unwrap();
    let (c, s, n) = key(&f);
    let deep = format!("/api/v1/parcels/{c}/{s}/{n}");
    assert!(links.iter().any(|l| l["href"] == deep.as_str()));
    assert!(links
        .iter()
        .any(|l| l["href"] == format!("{deep}/report").as_str()));

    let d = get(st, &deep).await;
    assert_eq!(d.status, 200);
    assert!(ids(&d.json()).contains(&(f.id as u64)));

    // Nowhere: an empty collection, not an error.
    let none = get(st, "/api/v1/parcels/at?lon=106.7&lat=10.8").await;
    assert_eq!(none.status, 200);
    assert!(ids(&none.json()).is_empty());
}

#[tokio::test]
async fn parcel_at_vn2000_coordinates_with_aliases() {
    let st = &demo().state;
    let f = parcel(500);
    let (lon, lat) = inside(&f);
    let xy =
        quyhoach_data::planning::convert(&[(lon, lat)], "vn2000:kien-giang", false).unwrap()[0];
    let a = get(
        st,
        &format!(
            "/api/v1/parcels/at?x={}&y={}&srs=vn2000:kien-giang",
            xy.0, xy.1
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(ids(&a.json()), vec![f.id as u64]);
    let b = get(
        st,
        &format!(
            "/api/v1/parcels/at?northing={}&easting={}&srs=vn2000:tm3:104.5",
            xy.1, xy.0
        ),
    )
    .await;
    assert_eq!(ids(&b.json()), vec![f.id as u64]);
    // The usual mistake: the certificate's X (northing) given as x.
    let swapped = get(
        st,
        &format!(
            "/api/v1/parcels/at?x={}&y={}&srs=vn2000:kien-giang",
            xy.1, xy.0
        ),
    )
    .await;
    assert_problem(&swapped, 400, "swapped axes");
    assert!(swapped.json()["detail"]
        .as_str()
        .unwrap()
        .contains("swapped"));
}

#[tokio::test]
async fn deep_link_by_commune_name_and_duplicates() {
    let st = &demo().state;
    let f = parcel(10);
    let (code, s, n) = key(&f);
    let name = common::demo()
        .index
        .features_in_bbox("communes", None, 1000, 0)
        .unwrap()
        .0
        .into_iter()
        .find(|c| c.properties.get("code").and_then(Value::as_str) == Some(code.as_str()))
        .and_then(|c| c.properties["name"].as_str().map(str::to_string))
        .unwrap();
    let folded = quyhoach_data::encoding::fold(&name).replace(' ', "%20");
    let r = get(st, &format!("/api/v1/parcels/{folded}/{s}/{n}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(ids(&r.json()).contains(&(f.id as u64)));

    // Its report asked by the commune's name (the first ask, computed from the parcel's id
    // without materialising it): the report of this parcel, and its links name the parcel
    // by its commune code, as every other link of the parcel does.
    let rep = get(st, &format!("/api/v1/parcels/{folded}/{s}/{n}/report")).await;
    assert_eq!(rep.status, 200, "{}", rep.text());
    let v = rep.json();
    assert_eq!(v["site"]["id"].as_u64(), Some(u64::from(f.id)));
    let path = format!("/api/v1/parcels/{code}/{s}/{n}");
    let links: Vec<(&str, &str)> = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["rel"].as_str().unwrap(), l["href"].as_str().unwrap()))
        .collect();
    let want = [
        ("about", path.clone()),
        ("self", format!("{path}/report")),
        ("alternate", format!("{path}/report.txt")),
        ("alternate", format!("{path}/report.html")),
    ];
    assert_eq!(links.len(), want.len(), "{links:?}");
    for ((rel, href), (wrel, whref)) in links.iter().zip(&want) {
        assert_eq!((*rel, *href), (*wrel, whref.as_str()));
    }
    // Asked again by its code: the same answer (from the report cache).
    let again = get(st, &format!("{path}/report")).await;
    assert_eq!(again.body, rep.body);

    // A duplicated number: all matches, and the report asks which one.
    let (all, _) = common::demo()
        .index
        .features_in_bbox("parcels", None, 1000, 0)
        .unwrap();
    let mut seen: HashMap<(String, i64, i64), u32> = HashMap::new();
    let dup = all
        .iter()
        .find_map(|p| seen.insert(key(p), p.id).map(|_| key(p)))
        .expect("the demo district has duplicate parcel numbers");
    let (c, s, n) = dup;
    let d = get(st, &format!("/api/v1/parcels/{c}/{s}/{n}")).await;
    assert!(ids(&d.json()).len() >= 2);
    let amb = get(st, &format!("/api/v1/parcels/{c}/{s}/{n}/report")).await;
    assert_problem(&amb, 409, "duplicate parcel report");
    assert!(amb.json()["matches"].as_array().unwrap().len() >= 2);
    let second = get(st, &format!("/api/v1/parcels/{c}/{s}/{n}/report?n=2")).await;
    assert_eq!(second.status, 200, "{}", second.text());
    // `?n=2` is the second of the matches the 409 listed, not the first.
    let matches = amb.json()["matches"].clone();
    assert_eq!(second.json()["site"]["id"], matches[1]["id"]);
    assert_ne!(second.json()["site"]["id"], matches[0]["id"]);
    let first = get(st, &format!("/api/v1/parcels/{c}/{s}/{n}/report?n=1")).await;
    assert_eq!(first.json()["site"]["id"], matches[0]["id"]);
}

#[tokio::test]
async fn search_type_ahead() {
    let st = &demo().state;
    let r = get(st, "/api/v1/search?q=vinh&limit=5").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 5);
    let f = parcel(42);
    let (c, s, n) = key(&f);
    let p = get(st, &format!("/api/v1/search?q={c}%20{s}%20{n}"))
        .await
        .json();
    let href = format!("/api/v1/parcels/{c}/{s}/{n}");
    assert!(
        p["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["href"] == href.as_str()),
        "{p}"
    );
}

#[tokio::test]
async fn planning_reports_json_text_html_and_post() {
    let st = &demo().state;
    let f = parcel(77);
    let (c, s, n) = key(&f);
    let base = format!("/api/v1/parcels/{c}/{s}/{n}/report");
    let j = get(st, &base).await;
    assert_eq!(j.status, 200, "{}", j.text());
    let rep = j.json();
    assert!(rep["summary_vi"].as_str().unwrap().len() > 10);
    // Gzipped for clients that take it (the cached report's gzip): the same JSON, twice.
    for _ in 0..2 {
        let z = get_with(st, &base, &[("accept-encoding", "gzip, deflate, br")]).await;
        assert_eq!(z.status, 200);
        assert_eq!(z.headers[header::CONTENT_ENCODING], "gzip");
        assert!(z.headers[header::VARY]
            .to_str()
            .unwrap()
            .contains("accept-encoding"));
        assert_eq!(z.headers[header::ETAG], j.headers[header::ETAG]);
        assert_eq!(quyhoach_tiles::gzip::gunzip(&z.body).unwrap(), j.body);
    }
    let area = rep["site"]["area_m2"].as_f64().unwrap();
    let stored = f.properties["area_m2"].as_f64().unwrap();
    assert!(
        (area - stored).abs() <= stored * 1e-4 + 0.01,
        "{area} vs {stored}"
    );

    let t = get(st, &format!("{base}.txt")).await;
    assert_eq!(t.status, 200);
    assert!(t.content_type().starts_with("text/plain"));
    assert!(t.body.len() <= MAX_REPORT_BYTES, "{} bytes", t.body.len());
    assert!(
        t.text()
            .contains(&format!("Thửa đất số {n}, tờ bản đồ số {s}")),
        "{}",
        t.text()
    );
    let h = get(st, &format!("{base}.html")).await;
    assert_eq!(h.status, 200);
    assert!(h.content_type().starts_with("text/html"));
    assert!(h.body.len() <= MAX_REPORT_BYTES, "{} bytes", h.body.len());
    assert!(!h.text().to_lowercase().contains("<script"));

    // The same parcel by number, by layer/id and by its geometry.
    let by_number = post(
        st,
        "/api/v1/report",
        json!({"parcel": {"commune": c, "sheet": s, "parcel": n}}).to_string(),
    )
    .await;
    assert_eq!(by_number.status, 200, "{}", by_number.text());
    assert_eq!(by_number.json()["site"]["area_m2"], rep["site"]["area_m2"]);
    assert_eq!(by_number.headers[header::CACHE_CONTROL], "no-store");
    let by_id = post(
        st,
        "/api/v1/report",
        json!({"layer": "parcels", "id": f.id}).to_string(),
    )
    .await;
    assert_eq!(by_id.status, 200, "{}", by_id.text());
    let drawn = post(
        st,
        "/api/v1/report",
        json!({"type": "Feature", "properties": {}, "geometry": geometry_to_json(&f.geometry)})
            .to_string(),
    )
    .await;
    assert_eq!(drawn.status, 200, "{}", drawn.text());
    let drawn_area = drawn.json()["site"]["area_m2"].as_f64().unwrap();
    assert!(
        (drawn_area - stored).abs() < stored * 0.01,
        "{drawn_area} vs {stored}"
    );
    let txt = post(
        st,
        "/api/v1/report?format=txt",
        json!({"layer": "parcels", "id": f.id}).to_string(),
    )
    .await;
    assert!(txt.content_type().starts_with("text/plain") && txt.body.len() <= MAX_REPORT_BYTES);
}

#[tokio::test]
async fn every_report_text_fits_2g_budget() {
    let st = &demo().state;
    for k in (0..2900).step_by(97) {
        let f = parcel(k);
        let body = json!({"layer": "parcels", "id": f.id}).to_string();
        for fmt in ["txt", "html"] {
            let r = post(st, &format!("/api/v1/report?format={fmt}"), body.clone()).await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert!(
                r.body.len() <= MAX_REPORT_BYTES,
                "{fmt} {} bytes",
                r.body.len()
            );
        }
    }
}

#[tokio::test]
async fn convert_both_ways_and_a_corner_table() {
    let st = &demo().state;
    let (lon, lat) = inside(&parcel(5));
    let to = get(
        st,
        &format!("/api/v1/convert?lon={lon}&lat={lat}&to=vn2000:kien-giang"),
    )
    .await;
    assert_eq!(to.status, 200, "{}", to.text());
    let v = to.json();
    let (x, y) = (v["x"].as_f64().unwrap(), v["y"].as_f64().unwrap());
    assert_eq!(v["northing"], v["y"]);
    let back = get(
        st,
        &format!("/api/v1/convert?x={x}&y={y}&from=vn2000:kien-giang"),
    )
    .await;
    let b = back.json();
    assert!((b["lon"].as_f64().unwrap() - lon).abs() < 1e-7);
    assert!((b["lat"].as_f64().unwrap() - lat).abs() < 1e-7);

    let table = json!({"from": "vn2000:kien-giang", "points": [
        {"northing": y, "easting": x}, [x + 10.0, y], {"x": x, "y": y + 10.0}]});
    let r = post(st, "/api/v1/convert", table.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let pts = r.json()["points"].as_array().unwrap().clone();
    assert_eq!(pts.len(), 3);
    assert!((pts[0]["lon"].as_f64().unwrap() - lon).abs() < 1e-7);
    assert!(pts[1]["lon"].as_f64().unwrap() > pts[0]["lon"].as_f64().unwrap());
    assert!(pts[2]["lat"].as_f64().unwrap() > pts[0]["lat"].as_f64().unwrap());
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let st = &demo().state;
    let r = get(st, "/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["servers"][0]["url"], "http://test.local");
    for (path, methods) in quyhoach_server::route_list() {
        for m in methods {
            let op = &doc["paths"][path][m];
            assert!(op.is_object(), "{m} {path} missing from openapi.json");
            // Its success answer: 200, or 201/204 where a route creates or deletes.
            assert!(
                op["responses"]
                    .as_object()
                    .is_some_and(|r| r.keys().any(|k| k.starts_with('2'))),
                "{m} {path}"
            );
        }
    }
    // And every documented path is routed (no 404 from the fallback).
    for path in doc["paths"].as_object().unwrap().keys() {
        let concrete = path
            .replace("{id}", st.index.catalog().plans.keys().next().unwrap())
            .replace("{commune}", "x")
            .replace("{sheet}", "1")
            .replace("{parcel}", "1")
            .replace("{collectionId}", "parcels")
            .replace("{featureId}", "0");
        let resp = get(st, &concrete).await;
        // The text and HTML reports answer their 404 as a page (routed, by construction).
        if resp.status == 404 && resp.content_type().starts_with("application/problem+json") {
            assert!(
                !resp.json()["detail"]
                    .as_str()
                    .unwrap()
                    .starts_with("no such resource"),
                "{path} is documented but not routed"
            );
        }
    }
    // The OGC part alone, for OGC clients.
    let ogc = get(st, "/ogc/api").await;
    assert_eq!(
        ogc.content_type(),
        "application/vnd.oai.openapi+json;version=3.0"
    );
    assert!(ogc.json()["paths"]["/collections/parcels/items"].is_object());
}

#[tokio::test]
async fn ogc_api_features_core() {
    let st = &demo().state;
    let land = get(st, "/ogc").await;
    assert_eq!(land.status, 200);
    assert_eq!(land.content_type(), "application/json");
    let rels: Vec<String> = land.json()["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap().to_string())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel.to_string()), "{rel}");
    }
    assert_eq!(get(st, "/ogc/").await.status, 200);
    let conf = get(st, "/ogc/conformance").await.json();
    assert_eq!(conf["conformsTo"].as_array().unwrap().len(), 3);

    let cols = get(st, "/ogc/collections").await.json();
    let cat = st.index.catalog();
    assert_eq!(
        cols["collections"].as_array().unwrap().len(),
        cat.layers.len()
    );
    for c in cols["collections"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert_eq!(
            c["extent"]["spatial"]["bbox"][0],
            json!(cat.layers[id].bounds)
        );
        let one = get(st, &format!("/ogc/collections/{id}")).await.json();
        assert_eq!(one["extent"], c["extent"]);
        assert_eq!(one["title"], c["title"]);
    }

    // Paging through parcels: next/prev links, numberMatched, limit clamped.
    let n = cat.layers["parcels"].count;
    let p1 = get(st, "/ogc/collections/parcels/items?limit=7").await;
    assert_eq!(p1.content_type(), "application/geo+json");
    let v1 = p1.json();
    assert_eq!(v1["numberMatched"], n);
    assert_eq!(v1["numberReturned"], 7);
    let next = v1["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.starts_with("http://test.local/ogc/collections/parcels/items?"));
    let p2 = get(st, next.trim_start_matches("http://test.local"))
        .await
        .json();
    assert_eq!(ids(&p2), (7..14).collect::<Vec<u64>>());
    assert!(p2["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "prev"));
    let big = get(st, "/ogc/collections/parcels/items?limit=50000")
        .await
        .json();
    assert_eq!(big["numberReturned"], 1000);
    let dt = get(
        st,
        "/ogc/collections/parcels/items?datetime=2020-01-01T00:00:00Z/..",
    )
    .await;
    assert_eq!(dt.status, 200);

    // A bbox around one parcel finds it; a box far away finds nothing; the whole world
    // finds everything (clipped to the layer's extent).
    let f = parcel(321);
    let (lon, lat) = inside(&f);
    let near = get(
        st,
        &format!(
            "/ogc/collections/parcels/items?bbox={},{},{},{}&limit=1000",
            lon - 1e-5,
            lat - 1e-5,
            lon + 1e-5,
            lat + 1e-5
        ),
    )
    .await
    .json();
    assert!(ids(&near).contains(&(f.id as u64)));
    let far = get(st, "/ogc/collections/parcels/items?bbox=5,48,20,70")
        .await
        .json();
    assert_eq!(far["numberMatched"], 0);
    let world = get(st, "/ogc/collections/parcels/items?bbox=-180,-90,180,90")
        .await
        .json();
    assert_eq!(world["numberMatched"], n);

    let item = get(st, &format!("/ogc/collections/parcels/items/{}", f.id)).await;
    assert_eq!(item.status, 200);
    let iv = item.json();
    assert_eq!(iv["id"], f.id);
    assert_eq!(iv["type"], "Feature");
    let rels: Vec<&str> = iv["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert!(rels.contains(&"self") && rels.contains(&"collection"));
}

#[tokio::test]
async fn caching_compression_and_cors() {
    let st = &demo().state;
    let r = get(st, "/api/v1/layers").await;
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    assert!(etag.starts_with("W/\""));
    assert_eq!(
        r.headers[header::CACHE_CONTROL],
        quyhoach_server::CACHE_CONTROL
    );
    let again = send(
        st,
        Request::get("/ogc/collections")
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let gz = send(
        st,
        Request::get("/ogc/collections/parcels/items?limit=100")
            .header(header::ACCEPT_ENCODING, "gzip")
            .header(header::ORIGIN, "https://example.org")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(gz.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let vary: Vec<String> = gz
        .headers
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().unwrap().to_lowercase())
        .collect();
    assert!(
        vary.iter().any(|v| v.contains("accept-encoding")),
        "{vary:?}"
    );
    let pre = send(
        st,
        Request::options("/api/v1/report")
            .header(header::ORIGIN, "https://example.org")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(pre.status.is_success());
}

fn ring(n: usize) -> Value {
    let mut pts: Vec<Value> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            json!([105.2 + 0.001 * a.cos(), 10.0 + 0.001 * a.sin()])
        })
        .collect();
    pts.push(pts[0].clone());
    json!({"type": "Polygon", "coordinates": [pts]})
}

#[tokio::test]
async fn every_bad_input_is_a_4xx_problem() {
    let st = &demo().state;
    let gets: &[(&str, u16)] = &[
        ("/api/v1/parcels/at", 400),
        ("/api/v1/parcels/at?lon=105.2", 400),
        ("/api/v1/parcels/at?lon=abc&lat=10", 400),
        ("/api/v1/parcels/at?lon=NaN&lat=10", 400),
        ("/api/v1/parcels/at?lon=105&lat=inf", 400),
        ("/api/v1/parcels/at?lon=200&lat=10", 400),
        ("/api/v1/parcels/at?lon=105&lat=10&lon=106", 400),
        ("/api/v1/parcels/at?lng=105&lat=10", 400),
        ("/api/v1/parcels/at?x=590000&y=1100000", 400),
        ("/api/v1/parcels/at?x=590000&y=1100000&srs=nowhere", 400),
        (
            "/api/v1/parcels/at?x=1e300&y=1100000&srs=vn2000:kien-giang",
            400,
        ),
        (
            "/api/v1/parcels/at?lon=105&lat=10&x=1&y=2&srs=vn2000:kien-giang",
            400,
        ),
        ("/api/v1/parcels/nowhere-commune/1/1", 404),
        ("/api/v1/parcels/31150/abc/1", 400),
        ("/api/v1/parcels/31150/-1/1", 400),
        ("/api/v1/parcels/31150/1/99999999999999999999", 400),
        ("/api/v1/parcels/31150/1/1/report?n=0", 400),
        ("/api/v1/parcels/31150/1/1/report.pdf", 404),
        ("/api/v1/search", 400),
        ("/api/v1/search?q=", 400),
        ("/api/v1/search?q=vinh&limit=0", 400),
        ("/api/v1/search?q=vinh&limit=100000", 400),
        ("/api/v1/search?q=vinh&limit=ten", 400),
        ("/api/v1/plans/no-such-plan", 404),
        ("/api/v1/convert?x=590000&y=1100000", 400),
        (
            "/api/v1/convert?x=590000&y=1100000&from=vn2000:kien-giang&to=vn2000:kien-giang",
            400,
        ),
        ("/api/v1/convert?lon=105&lat=95&to=vn2000:kien-giang", 400),
        (
            "/api/v1/convert?x=590000&y=1100000&from=vn2000:atlantis",
            400,
        ),
        ("/api/v1/health?verbose=1", 400),
        ("/api/v1/nothing", 404),
        ("/ogc/collections/no-such-layer", 404),
        ("/ogc/collections/no-such-layer/items", 404),
        ("/ogc/collections/parcels/items?limit=unlimited", 400),
        ("/ogc/collections/parcels/items?limit=0", 400),
        ("/ogc/collections/parcels/items?limit=-5", 400),
        ("/ogc/collections/parcels/items?offset=-1", 400),
        ("/ogc/collections/parcels/items?ooga=booga", 400),
        ("/ogc/collections/parcels/items?bbox=1,2,3", 400),
        ("/ogc/collections/parcels/items?bbox=106,10,105,11", 400),
        (
            "/ogc/collections/parcels/items?bbox=-1e308,-90,1e308,90",
            400,
        ),
        ("/ogc/collections/parcels/items?bbox=a,b,c,d", 400),
        ("/ogc/collections/parcels/items?bbox=NaN,10,106,11", 400),
        ("/ogc/collections/parcels/items?datetime=yesterday", 400),
        ("/ogc/collections/parcels/items?f=html", 400),
        ("/ogc/collections/parcels/items/abc", 404),
        ("/ogc/collections/parcels/items/-1", 404),
        ("/ogc/collections/parcels/items/99999999", 404),
        ("/ogc/collections/parcels/items/99999999999999", 404),
        ("/ogc/collections/parcels/items/%FF%FE", 400),
    ];
    for (uri, status) in gets {
        let r = get(st, uri).await;
        assert_problem(&r, *status, uri);
    }

    let too_long = format!("/api/v1/search?q={}", "a".repeat(300));
    assert_problem(&get(st, &too_long).await, 400, "long q");
    let too_long_param = format!("/api/v1/parcels/at?lon={}&lat=10", "1".repeat(2000));
    assert_problem(&get(st, &too_long_param).await, 400, "long param");

    let bowtie = json!({"type": "Polygon", "coordinates": [[[105.2, 10.0], [105.201, 10.001], [105.201, 10.0], [105.2, 10.001], [105.2, 10.0]]]});
    let many: Vec<Value> = (0..10_001).map(|_| json!([590000.0, 1100000.0])).collect();
    let posts: Vec<(&str, String, u16)> = vec![
        ("/api/v1/report", "".into(), 400),
        ("/api/v1/report", "{not json".into(), 400),
        ("/api/v1/report", "[]".into(), 400),
        ("/api/v1/report", json!({"type": "Point", "coordinates": [105, 10]}).to_string(), 400),
        ("/api/v1/report", json!({"type": "Polygon"}).to_string(), 400),
        ("/api/v1/report", json!({"type": "Polygon", "coordinates": [[[105, 10], [105.1, 10], [105, 10]]]}).to_string(), 400),
        ("/api/v1/report", json!({"type": "Polygon", "coordinates": [[["a", 10], [105.1, 10], [105.1, 10.1], ["a", 10]]]}).to_string(), 400),
        ("/api/v1/report", bowtie.to_string(), 400),
        ("/api/v1/report", json!({"type": "Feature", "geometry": null, "properties": {}}).to_string(), 400),
        ("/api/v1/report", json!({"type": "Polygon", "coordinates": [[[0, 0], [3, 0], [3, 3], [0, 0]]]}).to_string(), 413),
        ("/api/v1/report", ring(25_000).to_string(), 413),
        ("/api/v1/report", ring(30_000).to_string(), 413),
        ("/api/v1/report", ring(1_000_000).to_string(), 413),
        ("/api/v1/report", json!({"layer": "no-such-layer", "id": 1}).to_string(), 404),
        ("/api/v1/report", json!({"layer": "parcels", "id": 99_999_999}).to_string(), 404),
        ("/api/v1/report", json!({"layer": "parcels", "id": -1}).to_string(), 400),
        ("/api/v1/report", json!({"layer": "roads", "id": 0}).to_string(), 400),
        ("/api/v1/report", json!({"parcel": {"commune": "nowhere", "sheet": 1, "parcel": 1}}).to_string(), 404),
        ("/api/v1/report", json!({"parcel": {"commune": "31150", "sheet": "x", "parcel": 1}}).to_string(), 400),
        ("/api/v1/report", json!({"parcel": {"sheet": 1, "parcel": 1}}).to_string(), 400),
        ("/api/v1/report?format=pdf", json!({"layer": "parcels", "id": 0}).to_string(), 400),
        ("/api/v1/convert", json!({"points": [[1, 2]]}).to_string(), 400),
        ("/api/v1/convert", json!({"from": "vn2000:kien-giang", "points": []}).to_string(), 400),
        ("/api/v1/convert", json!({"from": "vn2000:kien-giang", "points": [["a", 1]]}).to_string(), 400),
        ("/api/v1/convert", json!({"from": "vn2000:kien-giang", "points": many}).to_string(), 413),
        ("/api/v1/parcels/at", "{}".into(), 405),
    ];
    for (uri, body, status) in posts {
        let r = post(st, uri, body.clone()).await;
        assert_problem(
            &r,
            status,
            &format!("POST {uri} {}", &body[..body.len().min(80)]),
        );
    }
    let del = send(
        st,
        Request::delete("/api/v1/layers")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&del, 405, "DELETE");
}

#[tokio::test]
async fn personal_data_is_never_served() {
    let d = personal_demo();
    let st = &d.state;
    // Precondition: the store did keep the fields, privately.
    let cols: Vec<String> = st.index.catalog().layers["parcels"]
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    assert!(cols.iter().any(|c| c.starts_with("private_")), "{cols:?}");

    let f = {
        let (page, _) = common::demo()
            .index
            .features_in_bbox("parcels", None, 1, 200)
            .unwrap();
        page.into_iter().next().unwrap()
    };
    let (lon, lat) = inside(&f);
    let (c, s, n) = key(&f);
    let uris = vec![
        "/api/v1/layers".to_string(),
        format!("/api/v1/parcels/at?lon={lon}&lat={lat}"),
        format!("/api/v1/parcels/{c}/{s}/{n}"),
        format!("/api/v1/parcels/{c}/{s}/{n}/report"),
        format!("/api/v1/parcels/{c}/{s}/{n}/report.txt"),
        format!("/api/v1/parcels/{c}/{s}/{n}/report.html"),
        "/ogc/collections/parcels".to_string(),
        "/ogc/collections/parcels/items?limit=1000".to_string(),
        format!("/ogc/collections/parcels/items/{}", f.id),
        format!("/api/v1/search?q={c}%20{s}%20{n}"),
        "/api/v1/openapi.json".to_string(),
    ];
    for uri in uris {
        let r = get(st, &uri).await;
        assert!(r.status.is_success(), "{uri}: {}", r.text());
        let t = r.text().to_lowercase();
        for bad in ["private_", "tenchu", "cccd"] {
            assert!(!t.contains(bad), "{uri} leaks {bad}");
        }
    }
}

#[tokio::test]
async fn a_site_at_the_vertex_cap_is_answered() {
    let st = &demo().state;
    let f = parcel(100);
    let (lon, lat) = inside(&f);
    let n = quyhoach_server::geojson::MAX_SITE_VERTICES - 1;
    let mut pts: Vec<Value> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            json!([lon + 0.0005 * a.cos(), lat + 0.0005 * a.sin()])
        })
        .collect();
    pts.push(pts[0].clone());
    let t = std::time::Instant::now();
    let r = post(
        st,
        "/api/v1/report",
        json!({"type": "Polygon", "coordinates": [pts]}).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["site"]["area_m2"].as_f64().unwrap() > 1000.0);
    eprintln!("report on a {n}-vertex site: {:?}", t.elapsed());
}

#[tokio::test]
async fn the_web_app_is_served_at_the_root() {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(web.path().join("assets")).unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>Tra cứu quy hoạch</title>",
    )
    .unwrap();
    std::fs::write(web.path().join("config.json"), "{}").unwrap();
    std::fs::write(web.path().join("assets/app-1a2b3c.js"), "console.log(1)").unwrap();
    let mut st = demo().state.clone();
    st.web_dir = Some(std::sync::Arc::new(web.path().to_path_buf()));
    let page = get(&st, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Tra cứu quy hoạch"));
    assert_eq!(page.headers["cache-control"], "no-cache");
    let asset = get(&st, "/assets/app-1a2b3c.js").await;
    assert_eq!(asset.status, 200);
    assert_eq!(
        asset.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // Precompressed copies from the build are sent to browsers that take them.
    std::fs::write(
        web.path().join("assets/app-1a2b3c.js.br"),
        b"\x0b\x06\x80console.log(1)\x03",
    )
    .unwrap();
    let br = send(
        &st,
        Request::get("/assets/app-1a2b3c.js")
            .header(header::ACCEPT_ENCODING, "br, gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(br.status, 200);
    assert_eq!(br.headers["content-encoding"], "br");
    assert!(br
        .headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v == "accept-encoding"));
    let missing = get(&st, "/assets/nope.js").await;
    assert_eq!(missing.status, 404);
    // Without a built web app, the root says how to build it.
    st.web_dir = None;
    let page = get(&st, "/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("npm run build"));
}

/// A page template with the markers of web/index.html.
fn page_template() -> tempfile::TempDir {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><head><!--qh:meta--><title>Tra cứu quy hoạch</title>\
         <meta property=\"og:title\" content=\"Tra cứu\"/><!--/qh:meta--></head>\
         <body><div id=\"map\"><!--qh:preview--></div><!--qh:answer--></body>",
    )
    .unwrap();
    web
}

fn attr<'a>(html: &'a str, prefix: &str) -> &'a str {
    let at = html
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {html:.300}"))
        + prefix.len();
    &html[at..at + html[at..].find('"').unwrap()]
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn a_shared_parcel_link_carries_its_answer_and_its_map() {
    let web = page_template();
    let mut st = demo().state.clone();
    st.web_dir = Some(std::sync::Arc::new(web.path().to_path_buf()));
    let f = parcel(250);
    let (c, s, p) = key(&f);
    let report = get(&st, &format!("/api/v1/parcels/{c}/{s}/{p}/report"))
        .await
        .json();
    // Messengers append their own parameters; they are ignored.
    let page = get(
        &st,
        &format!("/?p={c}/{s}/{p}&fbclid=IwAR0x&utm_source=zalo"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["cache-control"], "no-cache");
    let html = page.text();
    assert!(!html.contains("qh:"), "markers replaced: {html:.400}");
    let title = unescape(attr(&html, r#"<meta property="og:title" content=""#));
    assert!(
        title.starts_with(&format!("Thửa {p}, tờ bản đồ {s}, ")),
        "{title}"
    );
    let desc = unescape(attr(&html, r#"<meta property="og:description" content=""#));
    assert_eq!(desc, report["summary_vi"].as_str().unwrap());
    assert!(
        attr(&html, r#"<meta property="og:url" content=""#).ends_with(&format!("/?p={c}/{s}/{p}"))
    );
    assert!(html.contains(&format!("<title>Thửa {p}, tờ bản đồ {s}")));
    assert!(html.contains(&format!("/api/v1/parcels/{c}/{s}/{p}/report.html")));
    assert!(
        !html.contains("Tra cứu\"/>"),
        "the default sharing tags are replaced"
    );

    // The picture: the parcel's neighbourhood, the parcel highlighted, zones in the colours
    // of the land uses the report finds on it.
    let b: Vec<f64> = attr(&html, r#"<div id="preview" data-bounds=""#)
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let (lon, lat) = inside(&f);
    assert!(
        b[0] < lon && lon < b[2] && b[1] < lat && lat < b[3],
        "{b:?}"
    );
    assert!(
        b[2] - b[0] < 0.02,
        "a neighbourhood, not the district: {b:?}"
    );
    let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    assert!(
        svg.len() < quyhoach_server::preview::MAX_BYTES,
        "{}",
        svg.len()
    );
    assert!(
        svg.contains(r##"fill="#ffd400""##),
        "the parcel is highlighted"
    );
    let mut checked = 0;
    for plan in report["plans"].as_array().unwrap() {
        for z in plan["zones"].as_array().into_iter().flatten() {
            checked += 1;
            let code = z["landuse"].as_str().or(z["code"].as_str()).unwrap_or("");
            if let Some(lu) =
                quyhoach_data::landuse::lookup(&code.chars().take(3).collect::<String>())
            {
                assert!(
                    svg.contains(&format!("fill=\"{}\"", lu.color)),
                    "zone {code} drawn in {}",
                    lu.color
                );
            }
        }
    }
    assert!(checked > 0, "the parcel lies in planned zones");
    // One parcel: its whole report in the page (a section), read before any script.
    assert!(html.contains(r#"<section id="preview-answer""#));
    // The labels' glyphs are asked for with the page: numbers (regular) and names (bold),
    // Vietnamese ranges.
    for font in ["DejaVu%20Sans%20Book", "DejaVu%20Sans%20Bold"] {
        for range in ["0-255", "256-511", "7680-7935"] {
            let link = format!(
                r#"<link rel="preload" href="/fonts/{font}/{range}.pbf" as="fetch" crossorigin>"#
            );
            assert!(html.contains(&link), "{link}");
            assert_eq!(
                get(&st, &format!("/fonts/{font}/{range}.pbf")).await.status,
                200
            );
        }
    }
    assert!(html.contains(
        report["summary_vi"]
            .as_str()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
    ));

    // The link preview's picture: the parcel's map as a PNG, read back by tiny-skia's decoder.
    let image = attr(&html, r#"<meta property="og:image" content=""#);
    assert!(
        image.ends_with(&format!("/api/v1/parcels/{c}/{s}/{p}/map.png")),
        "{image}"
    );
    let png = get(&st, &format!("/api/v1/parcels/{c}/{s}/{p}/map.png")).await;
    assert_eq!(png.status, 200);
    assert_eq!(png.content_type(), "image/png");
    let pix = resvg::tiny_skia::Pixmap::decode_png(&png.body).unwrap();
    assert_eq!((pix.width(), pix.height()), (1200, 630));
    let colours: std::collections::HashSet<[u8; 4]> = pix
        .pixels()
        .iter()
        .map(|c| [c.red(), c.green(), c.blue(), c.alpha()])
        .collect();
    assert!(
        colours.len() > 20,
        "a map, not a blank: {} colours",
        colours.len()
    );
    // The parcel is in the middle of the map (above the caption band), tinted by the
    // highlight's yellow over its zone.
    let mid = pix
        .pixel(600, (630 - quyhoach_server::preview::CAPTION_PX) / 2)
        .unwrap();
    assert!(
        mid.red() > 200 && mid.green() > 180 && mid.blue() < 200,
        "centre pixel {mid:?}"
    );
    assert_problem(
        &get(&st, "/api/v1/parcels/99999/1/1/map.png").await,
        404,
        "unknown commune",
    );
    assert_problem(
        &get(&st, &format!("/api/v1/parcels/{c}/{s}/999999/map.png")).await,
        404,
        "unknown parcel",
    );
    assert_problem(
        &get(
            &st,
            &format!("/api/v1/parcels/{c}/{s}/{p}/map.png?size=9999"),
        )
        .await,
        400,
        "unknown parameter",
    );

    // English.
    let en = get(&st, &format!("/?p={c}/{s}/{p}&lang=en")).await.text();
    let desc = unescape(attr(&en, r#"<meta property="og:description" content=""#));
    assert_eq!(desc, report["summary_en"].as_str().unwrap());
    assert!(attr(&en, r#"<meta property="og:title" content=""#)
        .starts_with(&format!("Parcel {p}, map sheet {s}")));

    // The default page: the district's picture, the page's own sharing tags.
    let home = get(&st, "/").await.text();
    assert!(home.contains("<meta property=\"og:title\" content=\"Tra cứu\"/>"));
    assert!(!home.contains("preview-answer"));
    assert!(home.contains("/fonts/DejaVu%20Sans%20Bold/0-255.pbf"));
    assert!(
        !home.contains("/fonts/DejaVu%20Sans%20Book/"),
        "no parcel numbers at the district's zoom"
    );
    let b: Vec<f64> = attr(&home, r#"<div id="preview" data-bounds=""#)
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let communes = st.index.layer_entry("communes").unwrap().bounds;
    for i in 0..4 {
        assert!((b[i] - communes[i]).abs() < 1e-6, "{b:?} vs {communes:?}");
    }

    // Links that name nothing, or nonsense, give the default page; nothing is echoed.
    for q in [
        "/?p=99999/1/1",
        "/?p=%3Cscript%3Ealert(1)%3C/script%3E/1/1",
        "/?p=%ZZ",
        "/?p=,,,/",
        "/?p=31150/abc/1",
        "/index.html?p=&lang=xx",
    ] {
        let r = get(&st, q).await;
        assert_eq!(r.status, 200, "{q}");
        let t = r.text();
        assert!(
            t.contains("<meta property=\"og:title\" content=\"Tra cứu\"/>"),
            "{q}"
        );
        assert!(!t.contains("<script>alert"), "{q}");
        assert!(t.contains(r#"<div id="preview""#), "{q}");
    }
}

#[tokio::test]
async fn a_site_uploaded_as_a_zipped_shapefile_or_kml_gets_a_report() {
    let st = &demo().state;
    let f = parcel(100);
    let (lon, lat) = inside(&f);
    // A surveyor's boundary: a Shapefile in VN-2000 (Kiên Giang) with its .prj, zipped.
    let xy =
        quyhoach_data::planning::convert(&[(lon, lat)], "vn2000:kien-giang", false).unwrap()[0];
    let dir = tempfile::tempdir().unwrap();
    let gj = dir.path().join("lo.geojson");
    let (x, y) = xy;
    std::fs::write(
        &gj,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"ten":"Lô A"}},
            "geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}]}}"#,
            x0 = x - 20.0,
            x1 = x + 20.0,
            y0 = y - 20.0,
            y1 = y + 20.0
        ),
    )
    .unwrap();
    let shp = dir.path().join("lo.shp");
    let proj = quyhoach_data::srs::vn2000_tm3_proj4(104.5);
    let ok = std::process::Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", "-a_srs", &proj])
        .arg(&shp)
        .arg(&gj)
        .status()
        .unwrap();
    assert!(ok.success());
    let zip = dir.path().join("lo.zip");
    let ok = std::process::Command::new("zip")
        .arg("-qj")
        .arg(&zip)
        .args(["shp", "shx", "dbf", "prj"].map(|e| dir.path().join(format!("lo.{e}"))))
        .status()
        .expect("zip (Debian) must be installed");
    assert!(ok.success());
    let r = post(st, "/api/v1/sites/parse", std::fs::read(&zip).unwrap()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let site = r.json();
    assert_eq!(site["geometry"]["type"], "MultiPolygon");
    let report = post(st, "/api/v1/report", site["geometry"].to_string()).await;
    assert_eq!(report.status, 200, "{}", report.text());
    let area = report.json()["site"]["area_m2"].as_f64().unwrap();
    assert!(
        (area - 1600.0).abs() < 2.0,
        "40 m × 40 m in VN-2000 metres, got {area}"
    );

    let kml = format!(
        r#"<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><Polygon><outerBoundaryIs><LinearRing>
        <coordinates>{a},{b} {c},{b} {c},{d} {a},{d} {a},{b}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"#,
        a = lon - 0.0002,
        b = lat - 0.0002,
        c = lon + 0.0002,
        d = lat + 0.0002
    );
    let r = post(st, "/api/v1/sites/parse", kml).await;
    assert_eq!(r.status, 200, "{}", r.text());

    for (body, status) in [
        // Read, but not a boundary: 422 (the request itself was well-formed).
        (b"not a boundary file".to_vec(), 422),
        (Vec::new(), 400),
        (
            br#"{"type":"LineString","coordinates":[[105.1,9.9],[105.2,9.9]]}"#.to_vec(),
            422,
        ),
    ] {
        let r = post(st, "/api/v1/sites/parse", body).await;
        assert_eq!(r.status, status, "{}", r.text());
        assert!(
            r.content_type().contains("problem+json"),
            "{}",
            r.content_type()
        );
    }
    let r = post(st, "/api/v1/sites/parse?srs=vn2000:atlantis", kml_bytes()).await;
    assert_eq!(r.status, 400);
}

fn kml_bytes() -> Vec<u8> {
    br#"<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>105.1,9.95 105.101,9.95 105.101,9.951 105.1,9.95</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"#.to_vec()
}

/// The attack review's site: a valid star of 19,999 positions (thin spikes 450 m out, 60 m
/// in) over the zoning plan, which the old overlays took minutes on, is answered 200 well
/// within the request timeout.
#[tokio::test]
async fn spiky_20k_vertex_site_is_answered() {
    let st = &demo().state;
    let b = st
        .index
        .layer_entry("zones-qhpk-2000")
        .expect("zoning plan")
        .bounds;
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let n = quyhoach_server::geojson::MAX_SITE_VERTICES - 1;
    let m = 1.0 / 111_000.0;
    let mut pts: Vec<Value> = (0..n - 1)
        .map(|i| {
            let a = i as f64 / (n - 1) as f64 * std::f64::consts::TAU;
            let r = if i % 2 == 0 { 450.0 } else { 60.0 } * m;
            json!([cx + r * a.cos() / cy.to_radians().cos(), cy + r * a.sin()])
        })
        .collect();
    pts.push(pts[0].clone());
    let body = json!({"type": "Polygon", "coordinates": [pts]}).to_string();
    let t = std::time::Instant::now();
    let r = post(st, "/api/v1/report", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["plans"].as_array().is_some_and(|p| !p.is_empty()));
    // Far from the 30 s timeout even on a busy 2-core CI machine (about 1.5 s measured).
    assert!(
        t.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        t.elapsed()
    );
}

/// Where `value` and the document's `schema` for it disagree: members the schema does not
/// describe (a field added to a response type without its schema would be one, if the
/// document were not generated from the types), required members missing, and values of
/// another type than the schema's. Paths like `plans[0].zones[1].floors_max`.
fn undocumented(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = merged(doc, schema);
    if value.is_null() {
        let typed = schema.get("type").is_some() || schema.get("$ref").is_some();
        if typed
            && schema["nullable"] != true
            && !schema["enum"]
                .as_array()
                .is_some_and(|e| e.contains(&Value::Null))
        {
            out.push(format!("{at}: null, not nullable in the schema"));
        }
        return;
    }
    for alternatives in ["anyOf", "oneOf"] {
        if let Some(alts) = schema[alternatives].as_array() {
            let tries: Vec<Vec<String>> = alts
                .iter()
                .map(|alt| {
                    let mut errs = Vec::new();
                    undocumented(doc, alt, value, at, &mut errs);
                    errs
                })
                .collect();
            if !tries.iter().any(Vec::is_empty) {
                out.extend(tries.into_iter().min_by_key(Vec::len).unwrap_or_default());
            }
        }
    }
    if let Some(want) = schema["type"].as_str() {
        let fits = match want {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !fits {
            out.push(format!("{at}: {value} is not of the schema's type {want}"));
            return;
        }
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !choices.contains(value) {
            out.push(format!("{at}: {value} is none of the schema's {choices:?}"));
        }
    }
    if let Some(members) = value.as_object() {
        let props = schema["properties"].as_object();
        for k in schema["required"].as_array().into_iter().flatten() {
            if !members.contains_key(k.as_str().unwrap()) {
                out.push(format!(
                    "{at}.{}: required by the schema, not served",
                    k.as_str().unwrap()
                ));
            }
        }
        for (k, v) in members {
            let here = format!("{at}.{k}");
            match (
                props.and_then(|p| p.get(k)),
                &schema["additionalProperties"],
            ) {
                (Some(s), _) => undocumented(doc, s, v, &here, out),
                (None, extra) if extra.is_object() => undocumented(doc, extra, v, &here, out),
                (None, Value::Bool(true)) => {}
                // No members described at all: a free-form object.
                (None, _) if props.is_none() => {}
                (None, _) => out.push(format!("{here}: served, not in the schema")),
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            undocumented(doc, schema, v, &format!("{at}[{i}]"), out);
        }
    }
}

/// `schema` with its `$ref` followed and its `allOf` parts merged into one.
fn merged(doc: &Value, schema: &Value) -> Value {
    let mut s = schema.clone();
    while let Some(r) = s["$ref"].as_str() {
        let target = doc
            .pointer(r.strip_prefix('#').unwrap())
            .unwrap_or_else(|| panic!("{r} is not in the document"))
            .clone();
        s = target;
    }
    let Some(parts) = s.as_object_mut().and_then(|o| o.remove("allOf")) else {
        return s;
    };
    for part in parts.as_array().unwrap() {
        let part = merged(doc, part);
        for (k, v) in part.as_object().unwrap() {
            match (s.get_mut(k), v) {
                (Some(Value::Object(mine)), Value::Object(theirs)) => {
                    mine.extend(theirs.clone());
                }
                (Some(Value::Array(mine)), Value::Array(theirs)) => {
                    mine.extend(theirs.iter().cloned());
                }
                (Some(_), _) => {}
                (None, v) => {
                    s[k] = v.clone();
                }
            }
        }
    }
    s
}

/// The schema the document gives for the answer of `method path` with `status`.
fn response_schema(doc: &Value, path: &str, method: &str, status: u16) -> Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not in the document");
    let mut resp = op["responses"][status.to_string()].clone();
    if let Some(r) = resp["$ref"].as_str() {
        resp = doc.pointer(r.strip_prefix('#').unwrap()).unwrap().clone();
    }
    let content = resp["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} {status}: no content in the document: {resp}"));
    content.values().next().unwrap()["schema"].clone()
}

#[tokio::test]
async fn every_member_of_every_answer_is_in_the_documents_schema() {
    let st = &demo().state;
    let doc = get(st, "/api/v1/openapi.json").await.json();
    let ogc_doc = get(st, "/ogc/api").await.json();
    let f = parcel(77);
    let (c, s, n) = key(&f);
    let (lon, lat) = inside(&f);
    let xy =
        quyhoach_data::planning::convert(&[(lon, lat)], "vn2000:kien-giang", false).unwrap()[0];
    let plan = st.index.catalog().plans.keys().next().unwrap().clone();
    let (all, _) = common::demo()
        .index
        .features_in_bbox("parcels", None, 1000, 0)
        .unwrap();
    let mut seen: HashMap<(String, i64, i64), u32> = HashMap::new();
    let (dc, ds, dn) = all
        .iter()
        .find_map(|p| seen.insert(key(p), p.id).map(|_| key(p)))
        .unwrap();
    let square = |d: f64| {
        json!({"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d],
            [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]})
    };
    // A drawn site on a red line.
    let redline_layer = st
        .index
        .catalog()
        .layers
        .iter()
        .find(|(_, l)| l.kind == quyhoach_data::schema::Kind::Redlines)
        .map(|(id, _)| id.clone())
        .unwrap();
    let (lines, _) = common::demo()
        .index
        .features_in_bbox(&redline_layer, None, 1, 0)
        .unwrap();
    let on_line = geo::CoordsIter::coords_iter(&lines[0].geometry)
        .nth(1)
        .unwrap();
    let across = json!({"type": "Polygon", "coordinates": [[[on_line.x - 0.0003, on_line.y - 0.0003],
        [on_line.x + 0.0003, on_line.y - 0.0003], [on_line.x + 0.0003, on_line.y + 0.0003],
        [on_line.x - 0.0003, on_line.y + 0.0003], [on_line.x - 0.0003, on_line.y - 0.0003]]]});
    // (documented path, method, request, body, status)
    let mut cases: Vec<(&str, &str, String, Option<String>, u16)> = vec![
        ("/api/v1/health", "get", "/api/v1/health".into(), None, 200),
        ("/api/v1/layers", "get", "/api/v1/layers".into(), None, 200),
        ("/api/v1/plans", "get", "/api/v1/plans".into(), None, 200),
        ("/api/v1/plans/{id}", "get", format!("/api/v1/plans/{plan}"), None, 200),
        ("/api/v1/landuse-codes", "get", "/api/v1/landuse-codes".into(), None, 200),
        ("/api/v1/parcels/at", "get", format!("/api/v1/parcels/at?lon={lon}&lat={lat}"), None, 200),
        // A VN-2000 point read on the wrong meridian: on no parcel, with suggestions.
        ("/api/v1/parcels/at", "get",
            format!("/api/v1/parcels/at?x={}&y={}&srs=vn2000:tm3:105.75", xy.0, xy.1), None, 200),
        ("/api/v1/parcels/{commune}/{sheet}/{parcel}", "get", format!("/api/v1/parcels/{c}/{s}/{n}"), None, 200),
        ("/api/v1/parcels/{commune}/{sheet}/{parcel}/report", "get",
            format!("/api/v1/parcels/{dc}/{ds}/{dn}/report"), None, 409),
        ("/api/v1/parcels/{commune}/{sheet}/{parcel}/report", "get",
            "/api/v1/parcels/nowhere/1/1/report".into(), None, 404),
        ("/api/v1/search", "get", "/api/v1/search?q=vinh&limit=5".into(), None, 200),
        ("/api/v1/search", "get", format!("/api/v1/search?q={c}%20{s}%20{n}"), None, 200),
        ("/api/v1/report", "post", "/api/v1/report".into(), Some(square(0.0004).to_string()), 200),
        ("/api/v1/report", "post", "/api/v1/report".into(), Some(across.to_string()), 200),
        ("/api/v1/report", "post", "/api/v1/report".into(),
            Some(json!({"parcel": {"commune": c, "sheet": s, "parcel": n}}).to_string()), 200),
        ("/api/v1/convert", "get",
            format!("/api/v1/convert?lon={lon}&lat={lat}&to=vn2000:kien-giang"), None, 200),
        ("/api/v1/convert", "post", "/api/v1/convert".into(),
            Some(json!({"from": "vn2000:kien-giang", "points": [[xy.0, xy.1]]}).to_string()), 200),
        ("/api/v1/sites/parse", "post", "/api/v1/sites/parse".into(),
            Some(json!({"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {}, "geometry": square(0.0002)},
                {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}).to_string()), 200),
        ("/ogc", "get", "/ogc".into(), None, 200),
        ("/ogc/conformance", "get", "/ogc/conformance".into(), None, 200),
        ("/ogc/collections", "get", "/ogc/collections".into(), None, 200),
        ("/ogc/collections/{collectionId}", "get", "/ogc/collections/parcels".into(), None, 200),
        ("/ogc/collections/{collectionId}/items", "get",
            "/ogc/collections/parcels/items?limit=3&offset=3".into(), None, 200),
        ("/ogc/collections/{collectionId}/items/{featureId}", "get",
            format!("/ogc/collections/parcels/items/{}", f.id), None, 200),
    ];
    // Reports of parcels of every kind the demo has: zones, red lines, several plans.
    for k in (0..400).step_by(20) {
        let (c, s, n) = key(&parcel(k));
        let first = all.iter().find(|p| key(p) == (c.clone(), s, n)).unwrap().id;
        let nth = all
            .iter()
            .filter(|p| key(p) == (c.clone(), s, n))
            .position(|p| p.id == first)
            .unwrap()
            + 1;
        cases.push((
            "/api/v1/parcels/{commune}/{sheet}/{parcel}/report",
            "get",
            format!("/api/v1/parcels/{c}/{s}/{n}/report?n={nth}"),
            None,
            200,
        ));
    }
    let mut redlines = 0;
    let mut zones = 0;
    let mut suggestions = 0;
    for (path, method, uri, body, status) in &cases {
        let r = match body {
            Some(b) => post(st, uri, b.clone()).await,
            None => get(st, uri).await,
        };
        assert_eq!(r.status.as_u16(), *status, "{uri}: {}", r.text());
        let v = r.json();
        let reported = v.get("site").map(|_| &v["plans"]);
        for p in reported.and_then(Value::as_array).into_iter().flatten() {
            redlines += p["redlines"].as_array().unwrap().len();
            zones += p["zones"].as_array().unwrap().len();
        }
        suggestions += v["suggestions"].as_array().map_or(0, Vec::len);
        for d in [&doc, &ogc_doc] {
            let path = match (d == &ogc_doc, path.strip_prefix("/ogc")) {
                (false, _) => path.to_string(),
                (true, Some("")) => "/".to_string(),
                (true, Some(rest)) => rest.to_string(),
                (true, None) => continue,
            };
            let schema = response_schema(d, &path, method, *status);
            let mut errs = Vec::new();
            undocumented(d, &schema, &v, "", &mut errs);
            assert!(
                errs.is_empty(),
                "{method} {uri} answers what its schema does not say:\n{}",
                errs.join("\n")
            );
        }
    }
    assert!(
        zones > 0 && redlines > 0 && suggestions > 0,
        "{zones} {redlines} {suggestions}"
    );

    // The check sees a member the schema lacks, deep down or at the top.
    let report = get(st, &format!("/api/v1/parcels/{c}/{s}/{n}/report"))
        .await
        .json();
    let schema = response_schema(
        &doc,
        "/api/v1/parcels/{commune}/{sheet}/{parcel}/report",
        "get",
        200,
    );
    for pointer in ["", "/site", "/plans/0/verdict"] {
        let mut v = report.clone();
        v.pointer_mut(pointer).unwrap()["added_field"] = json!(1);
        let mut errs = Vec::new();
        undocumented(&doc, &schema, &v, "", &mut errs);
        assert_eq!(errs.len(), 1, "{pointer}: {errs:?}");
        assert!(
            errs[0].ends_with(".added_field: served, not in the schema"),
            "{errs:?}"
        );
    }
}
