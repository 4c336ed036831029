//! The server's strict query-parameter parsing and the coordinate and number parsing of the
//! API, two ways: the public parsers directly (params.rs, the OGC bbox), and the whole
//! service in-process (router, extractors, handlers) with a fuzzed path, query and body over
//! the demo district. No request may panic or be answered with a 5xx.
//!
//! Input: one selector byte (route prefix: low 5 bits modulo the prefixes; method: high 3
//! bits), then the rest of the URI after the prefix, then optionally a line feed and the
//! request body. Selectors with all three high bits set (once OPTIONS on [`PREFIXES`]) pick
//! a prefix of the two-way routes ([`TWOWAY_PREFIXES`], issue 13) instead, with the method
//! in the next byte; those requests go to a service with a SQLite state database, so the
//! questions, Q&A, consultations, follows, feeds and officials' routes are reached past
//! their 503.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode, Uri};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use quyhoach_server::AppState;
use tower::ServiceExt;
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

/// Prefixes of the two-way routes (issue 13): questions and the private link, the public
/// Q&A, consultations, follows and feeds, sign-in and the officials' routes (401/403 without
/// a session, but their parameters are parsed first by some extractors); and the notices
/// and speech routes (issue 14).
const TWOWAY_PREFIXES: [&str; 32] = [
    "/api/v1/feedback",
    "/api/v1/feedback/form?",
    "/api/v1/feedback/",
    "/api/v1/qa?",
    "/api/v1/qa?q=",
    "/api/v1/qa?commune=31150&plan=qhpk-2000&limit=",
    "/api/v1/consultations?",
    "/api/v1/consultations/",
    "/api/v1/consultations/1/comments?",
    "/api/v1/follows",
    "/api/v1/follows/",
    "/feeds/follow/",
    "/feeds/commune/",
    "/feeds/plan/",
    "/feeds/plan/qhpk-2000-dc.atom?",
    "/api/v1/auth/login",
    "/api/v1/auth/me?",
    "/api/v1/auth/logout",
    "/api/v1/auth/password",
    "/api/v1/official/inbox?",
    "/api/v1/official/submissions/",
    "/api/v1/official/consultations/",
    "/api/v1/official/audit?",
    "/api/v1/feedback/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/contact",
    // Notices and speech (issue 14).
    "/api/v1/notices",
    "/api/v1/notices?commune=",
    "/api/v1/notices/",
    "/thong-bao/",
    "/thong-bao/31150/",
    "/thong-bao/ke-hoach-",
    "/thong-bao/31150/slides.html?",
    "/api/v1/speech",
];

/// The service with a state database (SQLite, in the temporary directory, one per process).
fn twoway_state() -> &'static AppState {
    static S: OnceLock<AppState> = OnceLock::new();
    S.get_or_init(|| {
        let base = quyhoach_fuzz::state().clone();
        let dir = std::env::temp_dir().join(format!("quyhoach-fuzz-state-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let db = quyhoach_server::portal::db::Db::open_without_sweeper(&dir.join("portal.sqlite"))
            .expect("the fuzz state database");
        let mut server = (*base.server).clone();
        server.portal.state = Some(quyhoach_server::portal::sql::StateDb::Sqlite(Arc::new(db)));
        let mut s = base;
        s.server = Arc::new(server);
        s
    })
}

/// Sends a request to the two-way service in-process; the status and body.
fn send_twoway(req: Request<Body>) -> (StatusCode, Vec<u8>) {
    static R: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let rt = R.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    });
    rt.block_on(async {
        let resp = quyhoach_server::app(twoway_state().clone())
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        (status, body)
    })
}

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
    let twoway = sel >> 5 == 7;
    let (prefix, method, tail) = if twoway {
        let Some((&m, tail)) = tail.split_first() else {
            return;
        };
        let method = match m & 7 {
            0..=3 => Method::GET,
            4..=5 => Method::POST,
            6 => Method::DELETE,
            _ => Method::OPTIONS,
        };
        let prefix = TWOWAY_PREFIXES[usize::from(sel & 0x1f) % TWOWAY_PREFIXES.len()];
        (prefix, method, tail)
    } else {
        let method = match sel >> 5 {
            0..=3 => Method::GET,
            4..=5 => Method::POST,
            _ => Method::HEAD,
        };
        (PREFIXES[usize::from(sel & 0x1f) % PREFIXES.len()], method, tail)
    };
    let mut uri = prefix.as_bytes().to_vec();
    uri.extend_from_slice(tail);
    if let Some(q) = std::str::from_utf8(&uri).ok().and_then(|u| u.split_once('?')) {
        parsers(q.1);
    }
    let Ok(uri) = Uri::try_from(uri) else {
        return;
    };
    let mut b = Request::builder()
        .method(method.clone())
        .uri(uri.clone())
        .header(header::HOST, "fuzz.local")
        .header(header::CONTENT_TYPE, "application/json");
    if twoway && body.first() == Some(&b'C') {
        // A session cookie and a CSRF token of the body's next 64 bytes (forged: 401).
        let t = String::from_utf8_lossy(&body[1..body.len().min(65)]).into_owned();
        b = b
            .header(header::COOKIE, format!("qh_session={t}"))
            .header("x-csrf-token", t);
    }
    let Ok(req) = b.body(Body::from(body.to_vec())) else {
        return;
    };
    let (status, resp) = if twoway {
        send_twoway(req)
    } else {
        quyhoach_fuzz::send(req)
    };
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
