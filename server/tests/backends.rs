//! The server on PostGIS answers as the server on the embedded store: the demo district built
//! into a directory and into a PostgreSQL/PostGIS database (same generator, same seed), one
//! server on each, and the same requests to both — every parcel's report (JSON; text and HTML
//! for a sample), lookups by number and at points, the search, OGC API pages, boxes and
//! features, every tile of the combined set from z10 to z18, TileJSON, the style, the page and
//! the text site. Bodies and statuses must be byte-identical once the parts that name the
//! copy are set aside: each layer's SHA-256 (the embedded store hashes its FlatGeobuf file,
//! PostGIS its rows) and the data version derived from them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request};
use quyhoach_data::lookup::Store;
use quyhoach_data::pg::planning::PgData;
use quyhoach_server::demo::{build_demo, DemoBuild};
use quyhoach_server::AppState;
use quyhoach_tiles::tiles_covering;
use serde_json::Value;

struct Side {
    router: axum::Router,
    /// Texts that name this copy (layer hashes, the data version), each replaced by a mark.
    names: Vec<(String, String)>,
}

impl Side {
    fn new(state: AppState) -> Side {
        let mut names = Vec::new();
        let version = state.etag.trim_start_matches("W/").trim_matches('"');
        names.push((version.to_string(), "<version>".to_string()));
        for (id, e) in &state.index.catalog().layers {
            names.push((e.sha256.clone(), format!("<sha256 of {id}>")));
        }
        Side {
            router: quyhoach_server::app(state),
            names,
        }
    }

    async fn call(&self, req: Request<Body>) -> (u16, String, String) {
        let r = common::send_to(self.router.clone(), req).await;
        let kind = r.content_type().to_string();
        let mut body = match std::str::from_utf8(&r.body) {
            Ok(t) => t.to_string(),
            Err(_) => format!("{:?}", r.body),
        };
        for (from, to) in &self.names {
            if !from.is_empty() {
                body = body.replace(from.as_str(), to);
            }
        }
        // OGC's `timeStamp` is the clock when the page was made: the two servers' answers
        // can straddle a second.
        if let Some(at) = body.find("\"timeStamp\":\"") {
            let start = at + "\"timeStamp\":\"".len();
            if let Some(len) = body[start..].find('"') {
                body.replace_range(start..start + len, "…");
            }
        }
        (r.status.as_u16(), kind, body)
    }
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "test.local")
        .body(Body::empty())
        .unwrap()
}

fn post(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header(header::HOST, "test.local")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// Asks both servers; panics at the first difference, naming the request.
async fn same(a: &Side, b: &Side, what: &str, req: impl Fn() -> Request<Body>) -> u16 {
    let (x, y) = (a.call(req()).await, b.call(req()).await);
    if x != y {
        let at =
            x.2.bytes()
                .zip(y.2.bytes())
                .position(|(p, q)| p != q)
                .unwrap_or(x.2.len().min(y.2.len()));
        let from = at.saturating_sub(200);
        panic!(
            "{what}: the embedded store and PostGIS differ (status {} / {}, type {} / {}) at byte {at}:\n  embedded: {}\n  postgis:  {}",
            x.0,
            y.0,
            x.1,
            y.1,
            &x.2.get(from..(at + 200).min(x.2.len())).unwrap_or(""),
            &y.2.get(from..(at + 200).min(y.2.len())).unwrap_or(""),
        );
    }
    x.0
}

/// The database is filled and opened before the runtime starts (the PostgreSQL client blocks);
/// the servers then run on a runtime as in production, where a blocking query on an async
/// thread would panic.
#[test]
fn a_server_on_postgis_answers_as_one_on_the_embedded_store() {
    let Some(url) = quyhoach_data::testing::new_pg_database("qh_srv") else {
        return;
    };
    let embedded = &common::demo().state;
    build_demo(&DemoBuild {
        store: std::path::PathBuf::from(&url),
        parcels: common::PARCELS,
        seed: 1,
        verbose: false,
        keep_personal: Vec::new(),
    })
    .expect("building the demo in PostGIS");
    let ix = &*common::demo().index;
    quyhoach_data::testing::same_import_times(&url, ix);
    let pg: Arc<dyn Store> = Arc::new(PgData::open(&url).unwrap());
    let (a, b) = (
        Side::new(embedded.clone()),
        Side::new(AppState::from_arc(pg.clone())),
    );
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(compare(ix, &a, &b));
}

async fn compare(ix: &quyhoach_data::index::Index, a: &Side, b: &Side) {
    let mut asked = 0usize;

    // The catalog, plans, health, OGC's landing and collections, tile sets, the style.
    for uri in [
        "/api/v1/layers",
        "/api/v1/plans",
        "/api/v1/plans/qhpk-2000",
        "/api/v1/plans/nope",
        "/ogc",
        "/ogc/collections",
        "/tiles",
        "/tiles/planning.json",
        "/tiles/parcels.json",
        "/styles/planning.json",
        "/text",
        "/text/plans",
        "/text/plans/qhpk-2000",
    ] {
        same(a, b, uri, || get(uri)).await;
        asked += 1;
    }

    // Every parcel: its number's answer and report; a sample in text and HTML, and at a point
    // inside it.
    let parcels = ix.layer_entry("parcels").unwrap().count as usize;
    let mut communes = std::collections::BTreeSet::new();
    let mut addresses = Vec::new();
    for offset in (0..parcels).step_by(1000) {
        let (page, _) = ix.features_in_bbox("parcels", None, 1000, offset).unwrap();
        for f in page {
            let p = &f.properties;
            let (c, s, n) = (
                p["commune_code"].as_str().unwrap().to_string(),
                p["sheet"].as_i64().unwrap(),
                p["parcel"].as_i64().unwrap(),
            );
            communes.insert(c.clone());
            let base = format!("/api/v1/parcels/{c}/{s}/{n}");
            same(a, b, &base, || get(&base)).await;
            let report = format!("{base}/report");
            same(a, b, &report, || get(&report)).await;
            asked += 2;
            if f.id % 25 == 0 {
                for suffix in [".txt", ".html"] {
                    let uri = format!("{report}{suffix}");
                    same(a, b, &uri, || get(&uri)).await;
                }
                let c = geo::InteriorPoint::interior_point(&f.geometry).unwrap();
                let uri = format!("/api/v1/parcels/at?lon={}&lat={}", c.x(), c.y());
                same(a, b, &uri, || get(&uri)).await;
                let uri = format!("/?at={},{}", c.x(), c.y());
                same(a, b, &uri, || get(&uri)).await;
                asked += 4;
            }
            if f.id % 97 == 0 {
                if let Some(addr) = p.get("address").and_then(Value::as_str) {
                    addresses.push(addr.to_string());
                }
            }
        }
    }
    for c in &communes {
        let uri = format!("/text/communes/{c}");
        same(a, b, &uri, || get(&uri)).await;
        asked += 1;
    }

    // The search: communes, numbers in every wording, addresses, roads, plans, typos, old
    // names, nothing, refusals.
    let mut queries: Vec<String> = [
        "vinh thanh",
        "Vĩnh Thanh Vân",
        "vinh tahnh",
        "345/12",
        "12/345",
        "thửa 5 tờ 1",
        "thửa đất số 7, tờ bản đồ số 2, thị trấn Vĩnh Thanh",
        "ap 5",
        "duong",
        "quy hoach phan khu",
        "2341/QĐ-UBND",
        "qhsdd-2030",
        "vinh hoa phu",
        "UBND xã",
        "zzzz",
        "",
        "a",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    queries.extend(addresses.iter().cloned());
    queries.extend(communes.iter().map(|c| format!("{c} 1 5")));
    for (id, e) in &ix.catalog().layers {
        if e.kind == quyhoach_data::schema::Kind::Roads {
            let (page, _) = ix.features_in_bbox(id, None, 10, 0).unwrap();
            for f in page {
                if let Some(n) = f.properties.get("name").and_then(Value::as_str) {
                    queries.push(n.to_string());
                }
            }
        }
    }
    for q in &queries {
        for limit in ["", "&limit=3"] {
            let uri = format!("/api/v1/search?q={}{limit}", url_escape(q));
            same(a, b, &uri, || get(&uri)).await;
            asked += 1;
        }
    }

    // OGC API: every collection's description, pages, a box, features by id, refusals.
    for (id, e) in &ix.catalog().layers {
        let [w, s, east, n] = e.bounds;
        let (cx, cy) = ((w + east) / 2.0, (s + n) / 2.0);
        for uri in [
            format!("/ogc/collections/{id}"),
            format!("/ogc/collections/{id}/items?limit=50"),
            format!("/ogc/collections/{id}/items?limit=50&offset=50"),
            format!(
                "/ogc/collections/{id}/items?limit=1000&offset={}",
                e.count.saturating_sub(3)
            ),
            format!(
                "/ogc/collections/{id}/items?limit=20&bbox={},{},{},{}",
                cx - 0.002,
                cy - 0.002,
                cx + 0.002,
                cy + 0.002
            ),
            format!(
                "/ogc/collections/{id}/items?limit=20&offset=7&bbox={},{},{},{}",
                w, s, cx, cy
            ),
            format!("/ogc/collections/{id}/items/0"),
            format!("/ogc/collections/{id}/items/{}", e.count / 2),
            format!("/ogc/collections/{id}/items/{}", e.count),
            format!("/ogc/collections/{id}/items?bbox=1,2,3"),
        ] {
            same(a, b, &uri, || get(&uri)).await;
            asked += 1;
        }
    }

    // Drawn sites: the report of a box around each sampled parcel, one across the plan's
    // edge, a refusal.
    let bounds = ix.layer_entry("zones-qhpk-2000").unwrap().bounds;
    let square = |x: f64, y: f64, d: f64| {
        serde_json::json!({"geometry": {"type": "Polygon", "coordinates": [[
            [x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]
        ]]}})
    };
    for i in 0..12 {
        let t = i as f64 / 12.0;
        let (x, y) = (
            bounds[0] + (bounds[2] - bounds[0]) * t,
            bounds[1] + (bounds[3] - bounds[1]) * (1.0 - t),
        );
        let body = square(x, y, 0.0004);
        same(a, b, &format!("POST /api/v1/report {body}"), || {
            post("/api/v1/report", &body)
        })
        .await;
        asked += 1;
    }
    let body = serde_json::json!({"geometry": {"type": "Point", "coordinates": [105.1, 9.9]}});
    same(a, b, "POST /api/v1/report point", || {
        post("/api/v1/report", &body)
    })
    .await;

    // Every tile of the combined set z10–z18, and of the parcels set at z15.
    let all = ix
        .catalog()
        .layers
        .values()
        .map(|e| e.bounds)
        .reduce(|p, q| quyhoach_data::index::union_bbox(Some(p), q))
        .unwrap();
    let mut tiles = 0;
    for z in 10..=18u8 {
        for t in tiles_covering(all, z).unwrap().iter() {
            let uri = format!("/tiles/planning/{z}/{}/{}.pbf", t.x, t.y);
            same(a, b, &uri, || get(&uri)).await;
            tiles += 1;
        }
    }
    for t in tiles_covering(all, 15).unwrap().iter() {
        let uri = format!("/tiles/parcels/15/{}/{}.pbf", t.x, t.y);
        same(a, b, &uri, || get(&uri)).await;
        tiles += 1;
    }
    asked += tiles;
    assert!(tiles > 300, "only {tiles} tiles");
    eprintln!("{asked} requests answered alike by both stores ({tiles} tiles)");
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
