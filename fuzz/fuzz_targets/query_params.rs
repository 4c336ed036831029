//! The server's strict query-parameter parsing and the coordinate and number parsing of the
//! API, two ways: the public parsers directly (params.rs, the OGC bbox), and the whole
//! service in-process (router, extractors, handlers) with a fuzzed path, query and body over
//! the demo district. No request may panic or be answered with a 5xx.
//!
//! Input: one selector byte (route prefix: low 5 bits modulo the prefixes; method: high 3
//! bits), then the rest of the URI after the prefix, then optionally a line feed and the
//! request body.
#![no_main]

use axum::body::Body;
use axum::http::{header, Method, Request, Uri};
use libfuzzer_sys::fuzz_target;
use quyhoach_server::ogc::parse_bbox;
use quyhoach_server::params::{
    check_lon_lat, clip, encode_url_part, parse_f64, parse_int, Params,
};

/// Route prefixes; the fuzzed rest of the URI follows.
const PREFIXES: [&str; 32] = [
    "/api/v1/parcels/at?",
    "/api/v1/parcels/",
    "/api/v1/search?",
    "/api/v1/report",
    "/api/v1/convert",
    "/ogc/collections/",
    "/tiles/",
    "/api/v1/plans/",
    "/api/v1/sites/parse",
    "/",
    "/ogc/collections/parcels/items?",
    "/api/v1/parcels/31150/",
    "/ogc",
    "/api/v1/landuse-codes?",
    "/api/v1/layers?",
    "/styles/planning.json?",
    // The text-only site, duplicate-number links and VN-2000 suggestions (issue 11).
    "/text?q=",
    "/text/plans/",
    "/text/communes/",
    "/text/plans?page=",
    "/?p=",
    "/api/v1/parcels/31150/1/312/report.html?n=",
    "/api/v1/parcels/at?srs=vn2000:ha-noi&northing=1100371&easting=",
    "/api/v1/search?q=th%E1%BB%ADa%20",
    // Lessons, workshops, the practice import, the QGIS project and handouts (issue 12).
    "/api/v1/lessons?",
    "/api/v1/lessons/find-parcel/steps/",
    "/api/v1/lessons/read-map/steps/draft-layer/check",
    "/api/v1/workshops/",
    "/api/v1/practice/",
    "/qgis/project.qgs?",
    "/learn/",
    "/learn/leaflet.html?",
];

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The public parsers on the pairs of a query string.
fn parsers(query: &str) {
    let pairs: Vec<(String, String)> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(kv), String::new()),
        })
        .collect();
    for (k, v) in &pairs {
        if let Ok(x) = parse_f64(k, v) {
            assert!(x.is_finite());
        }
        if let Ok(n) = parse_int(k, v, -5, 1000) {
            assert!((-5..=1000).contains(&n));
        }
        if let Ok([w, s, e, n]) = parse_bbox(v) {
            assert!(w <= e && s <= n, "{v}");
            assert!((-180.0..=180.0).contains(&w) && (-180.0..=180.0).contains(&e));
            assert!((-90.0..=90.0).contains(&s) && (-90.0..=90.0).contains(&n));
        }
        assert!(clip(v).chars().count() <= 61);
        assert_eq!(percent_decode(&encode_url_part(v)), *v, "URL part round trip");
    }
    let p = Params::from_pairs(pairs);
    let _ = p.allow(&["lon", "lat", "x", "y", "q", "limit", "bbox"]);
    let _ = p.has("srs");
    let _ = p.required_str("q", "a text");
    if let (Ok(Some(lon)), Ok(Some(lat))) = (p.f64("lon"), p.f64("lat")) {
        if check_lon_lat(lon, lat).is_ok() {
            assert!(lon.abs() <= 180.0 && lat.abs() <= 90.0);
        }
    }
    if let Ok(Some(n)) = p.int("limit", 1, 100) {
        assert!((1..=100).contains(&n));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (tail, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let prefix = PREFIXES[usize::from(sel & 0x1f) % PREFIXES.len()];
    let method = match sel >> 5 {
        0..=3 => Method::GET,
        4..=5 => Method::POST,
        6 => Method::HEAD,
        _ => Method::OPTIONS,
    };
    let mut uri = prefix.as_bytes().to_vec();
    uri.extend_from_slice(tail);
    if let Some(q) = std::str::from_utf8(&uri).ok().and_then(|u| u.split_once('?')) {
        parsers(q.1);
    }
    let Ok(uri) = Uri::try_from(uri) else {
        return;
    };
    let Ok(req) = Request::builder()
        .method(method.clone())
        .uri(uri.clone())
        .header(header::HOST, "fuzz.local")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let (status, resp) = quyhoach_fuzz::send(req);
    // The in-process service has no upload reader program (the sandboxed child of
    // `quyhoach serve`): uploads answer 503 by design here; the reader has its own target.
    // So do the practice import (the same reader) and workshops (no state database in
    // process).
    let no_reader = status == axum::http::StatusCode::SERVICE_UNAVAILABLE
        && (uri.path() == "/api/v1/sites/parse"
            || uri.path().starts_with("/api/v1/practice/import")
            || uri.path().starts_with("/api/v1/workshops"));
    assert!(
        !status.is_server_error() || no_reader,
        "{method} {uri} -> {status}: {}",
        String::from_utf8_lossy(&resp[..resp.len().min(400)])
    );
});
