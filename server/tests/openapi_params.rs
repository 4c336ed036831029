//! The query parameters the OpenAPI documents list are the ones the handlers take: for
//! every operation of `/api/v1/openapi.json` (and of `/ogc/api`), each documented name is
//! accepted (never "unknown parameter"), and a made-up name is refused with a 400 whose list
//! of accepted names is exactly the documented ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{header, Method, Request};
use common::{demo, get, send, Resp};
use serde_json::Value;

/// A concrete URI of a documented path: path parameters given plausible values (the query
/// is read before anything is looked up, so they need not name anything).
fn concrete(path: &str, plan: &str) -> String {
    let known = [
        ("{id}", plan),
        ("{commune}", "31150"),
        ("{sheet}", "1"),
        ("{parcel}", "1"),
        ("{collectionId}", "parcels"),
        ("{featureId}", "0"),
        ("{tilejson}", "planning.json"),
        ("{tileset}", "planning"),
        ("{z}", "0"),
        ("{x}", "0"),
        ("{tile}", "0.mvt"),
        ("{fontstack}", "DejaVu%20Sans%20Book"),
        ("{range}", "0-255.pbf"),
    ];
    let mut out = path.to_string();
    for (k, v) in known {
        out = out.replace(k, v);
    }
    // Any other path parameter (the portal's): a number.
    while let (Some(a), Some(b)) = (out.find('{'), out.find('}')) {
        out.replace_range(a..=b, "1");
    }
    out
}

async fn call(method: &str, uri: &str) -> Resp {
    let st = &demo().state;
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    send(
        st,
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "test.local")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// The documented query parameter names of an operation, in order (references resolved).
fn documented(doc: &Value, op: &Value) -> Vec<String> {
    op["parameters"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| match p["$ref"].as_str() {
            Some(r) => doc
                .pointer(r.strip_prefix('#').unwrap())
                .unwrap_or_else(|| panic!("dangling {r}"))
                .clone(),
            None => p.clone(),
        })
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

/// The accepted names a 400 for an unknown parameter lists, or `None` when the answer is
/// not such a 400.
fn accepted_names(r: &Resp, made_up: &str) -> Option<Vec<String>> {
    if r.status != 400 || !r.content_type().starts_with("application/problem+json") {
        return None;
    }
    let detail = r.json()["detail"].as_str()?.to_string();
    if !detail.contains(&format!("unknown parameter '{made_up}'")) {
        return None;
    }
    if detail.ends_with("this endpoint takes no parameters") {
        return Some(Vec::new());
    }
    let (_, list) = detail.split_once("; accepted: ")?;
    Some(list.split(", ").map(str::to_string).collect())
}

/// What one document's operations did with a made-up name: (method, path) → the names their
/// 400 listed, or `None` when they did not refuse it.
async fn check_document(
    doc: &Value,
    prefix: &str,
) -> BTreeMap<(String, String), Option<Vec<String>>> {
    let plan = demo().index.catalog().plans.keys().next().unwrap().clone();
    let mut seen = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let names = documented(doc, op);
            let uri = format!("{prefix}{}", concrete(path, &plan));
            let at = format!("{} {path}", method.to_uppercase());
            // Every documented name is taken (whatever its value makes of the request).
            for name in &names {
                let r = call(method, &format!("{uri}?{name}=1")).await;
                let unknown = r.status == 400
                    && r.content_type().starts_with("application/problem+json")
                    && r.json()["detail"]
                        .as_str()
                        .unwrap_or("")
                        .contains("unknown parameter");
                assert!(
                    !unknown,
                    "{at}: the documented '{name}' is refused: {}",
                    r.text()
                );
            }
            // A made-up name is refused, naming exactly the documented ones.
            let made_up = "zz_not_a_parameter";
            let r = call(method, &format!("{uri}?{made_up}=1")).await;
            let accepted = accepted_names(&r, made_up);
            if let Some(accepted) = &accepted {
                assert_eq!(
                    accepted, &names,
                    "{at}: the handler accepts {accepted:?}, the document lists {names:?}"
                );
            }
            seen.insert((method.clone(), path.clone()), accepted);
        }
    }
    seen
}

/// The operations that take parameters they do not know: the text and HTML reports are
/// pages that messengers link to, adding their own parameters (`fbclid`, `utm_*`).
const LENIENT: [&str; 2] = [
    "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.txt",
    "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.html",
];

#[tokio::test]
async fn every_documented_query_parameter_is_the_handlers() {
    let st = &demo().state;
    let doc = get(st, "/api/v1/openapi.json").await.json();
    let seen = check_document(&doc, "").await;
    // Every operation of the API and of OGC API - Features refuses a made-up name with
    // the documented list (the portal's operations may answer an anonymous request
    // otherwise first: a login, a token).
    let portal =
        quyhoach_server::portal::openapi_paths(&mut quyhoach_server::apidoc::Schemas::new());
    let mut checked = 0;
    for ((method, path), accepted) in &seen {
        let core = path.starts_with("/api/v1/")
            && !LENIENT.contains(&path.as_str())
            && !portal.contains_key(path)
            || path.starts_with("/ogc");
        if core {
            assert!(
                accepted.is_some(),
                "{method} {path} does not refuse a made-up parameter"
            );
        }
        checked += usize::from(accepted.is_some());
    }
    assert!(checked >= 20, "only {checked} operations checked: {seen:?}");
    for path in LENIENT {
        assert!(
            seen.contains_key(&("get".to_string(), path.to_string())),
            "{path}"
        );
    }

    // The OGC part alone: the same parameters.
    let ogc = get(st, "/ogc/api").await.json();
    let seen = check_document(&ogc, "/ogc").await;
    for ((method, path), accepted) in &seen {
        assert!(
            accepted.is_some(),
            "{method} /ogc{path} does not refuse a made-up parameter"
        );
    }
    // The shared OGC parameters keep the names and form OGC 17-069r4 gives them.
    for d in [&doc, &ogc] {
        let shared = &d["components"]["parameters"];
        for name in ["bbox", "limit", "offset", "datetime"] {
            assert_eq!(shared[name]["name"], name);
            assert_eq!(shared[name]["in"], "query");
            assert_eq!(shared[name]["required"], false);
        }
        assert_eq!(shared["bbox"]["schema"]["type"], "array");
        assert_eq!(shared["bbox"]["schema"]["minItems"], 4);
        assert_eq!(shared["bbox"]["schema"]["maxItems"], 6);
        assert_eq!(shared["bbox"]["schema"]["items"]["type"], "number");
        assert_eq!(shared["limit"]["schema"]["type"], "integer");
        assert_eq!(shared["limit"]["schema"]["minimum"], 1);
        assert_eq!(
            shared["limit"]["schema"]["maximum"],
            quyhoach_server::ogc::MAX_LIMIT
        );
        assert_eq!(
            shared["limit"]["schema"]["default"],
            quyhoach_server::ogc::DEFAULT_LIMIT
        );
        assert_eq!(shared["offset"]["schema"]["minimum"], 0);
        assert_eq!(shared["datetime"]["schema"]["type"], "string");
        let items = &d["paths"][if std::ptr::eq(d, &doc) {
            "/ogc/collections/{collectionId}/items"
        } else {
            "/collections/{collectionId}/items"
        }]["get"]["parameters"];
        let refs: Vec<&str> = items
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["$ref"].as_str())
            .collect();
        assert_eq!(
            refs,
            [
                "#/components/parameters/bbox",
                "#/components/parameters/limit",
                "#/components/parameters/offset",
                "#/components/parameters/datetime"
            ]
        );
    }
}

/// The caps a handler applies are the documented schema's: a value just inside is taken,
/// one just outside refused with the documented bounds.
#[tokio::test]
async fn documented_caps_are_the_handlers() {
    let st = &demo().state;
    let doc = get(st, "/api/v1/openapi.json").await.json();
    let param = |path: &str, name: &str| -> Value {
        let op = &doc["paths"][path]["get"];
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no {name}"))
            .clone()
    };
    let limit = param("/api/v1/search", "limit");
    assert_eq!(limit["required"], false);
    let max = limit["schema"]["maximum"].as_i64().unwrap();
    assert_eq!(max, quyhoach_server::api::MAX_SEARCH_LIMIT);
    assert_eq!(limit["schema"]["minimum"], 1);
    let q = param("/api/v1/search", "q");
    assert_eq!(q["required"], true);
    assert_eq!(q["schema"]["type"], "string");
    assert_eq!(
        get(st, &format!("/api/v1/search?q=vinh&limit={max}"))
            .await
            .status,
        200
    );
    let over = get(st, &format!("/api/v1/search?q=vinh&limit={}", max + 1)).await;
    assert_eq!(over.status, 400);
    assert!(
        over.json()["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("must be from 1 to {max}")),
        "{}",
        over.text()
    );
    // A required parameter missing: named, with its description.
    let missing = get(st, "/api/v1/search?limit=5").await;
    assert_eq!(missing.status, 400);
    assert!(missing.json()["detail"]
        .as_str()
        .unwrap()
        .starts_with("parameter 'q' is required: the text to search"));

    // Numbers are numbers.
    let lon = param("/api/v1/parcels/at", "lon");
    assert_eq!(lon["schema"]["type"], "number");
    assert!(lon["schema"].get("nullable").is_none(), "{lon}");
    assert_eq!(lon["description"], "WGS 84 longitude, degrees");

    // The report's format: the documented values, and only those.
    let format = &doc["paths"]["/api/v1/report"]["post"]["parameters"][0];
    assert_eq!(format["name"], "format");
    let values: Vec<&str> = format["schema"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{format}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(values, ["json", "txt", "html"]);

    // OGC's limit: clamped above its maximum, refused below its minimum.
    let max = quyhoach_server::ogc::MAX_LIMIT;
    let r = get(
        st,
        &format!("/ogc/collections/parcels/items?limit={}", max * 10),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["numberReturned"].as_u64().unwrap() <= max as u64);
    assert_eq!(
        get(st, "/ogc/collections/parcels/items?limit=0")
            .await
            .status,
        400
    );
}
