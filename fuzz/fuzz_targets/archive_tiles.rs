//! The tile-only server (`serve --pmtiles FILE`): archive tiles answered before the router
//! (`tiles::fast_archive_tile`) and everything else through it, with a fuzzed path, query
//! and headers (`Accept-Encoding`, `If-None-Match`, long values). No request may panic or be
//! answered with a 5xx; a 200 tile is the stored tile (gzipped as stored, or unzipped for a
//! client without gzip); `?at=` points of the map page parse to WGS 84 in range or to
//! nothing (`page::parse_point`).
//!
//! Input: up to the first line feed, the URI after `/tiles/` (or, with a leading `@`, the
//! text after `/?at=`, given to the point parser alone); then header lines `name: value`.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use quyhoach_server::tiles::TileService;
use quyhoach_tiles::pmtiles::{tile_id, ArchiveInfo, PmTilesWriter};
use quyhoach_tiles::TileCoord;
use tower::ServiceExt;

/// The stored tiles: every tile of zooms 0–3 except every third (absent), gzipped bytes
/// naming the tile.
fn stored(t: TileCoord) -> Option<Vec<u8>> {
    (tile_id(t) % 3 != 2).then(|| quyhoach_tiles::gzip::gzip(format!("tile {t}").as_bytes()))
}

fn router() -> &'static axum::Router {
    static R: OnceLock<axum::Router> = OnceLock::new();
    R.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("quyhoach-fuzz-archive-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("fz.pmtiles");
        let mut tiles: Vec<TileCoord> = (0u8..=3)
            .flat_map(|z| {
                (0..1u32 << z).flat_map(move |x| {
                    (0..1u32 << z).map(move |y| TileCoord::new_checked(z, x, y).expect("in range"))
                })
            })
            .collect();
        tiles.sort_unstable_by_key(|t| tile_id(*t));
        let mut w = PmTilesWriter::new(&path).expect("the archive");
        for t in tiles {
            if let Some(b) = stored(t) {
                w.add_tile(tile_id(t), &b).expect("a tile");
            }
        }
        w.finish(&ArchiveInfo {
            minzoom: 0,
            maxzoom: 3,
            bounds: [-180.0, -85.0, 180.0, 85.0],
            center: [0.0, 0.0, 1.0],
            metadata: serde_json::json!({"name": "fz"}),
        })
        .expect("finishing the archive");
        let mut service = TileService::archives_only(1 << 20);
        service.add_archive(&path).expect("serving the archive");
        quyhoach_server::tile_app(Arc::new(service), Default::default())
    })
}

fn send(req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    quyhoach_fuzz::runtime().block_on(async {
        let resp = router().clone().oneshot(req).await.expect("infallible");
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        (parts.status, parts.headers, body)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    if let Some(point) = first.strip_prefix('@') {
        if let Some((lon, lat)) = quyhoach_server::page::parse_point(point) {
            assert!(lon.is_finite() && lat.is_finite(), "{point}");
            assert!((-180.0..=180.0).contains(&lon) && (-85.0..=85.0).contains(&lat), "{point}");
        }
        return;
    }
    let mut b = Request::get(format!("/tiles/{first}")).header(header::HOST, "fuzz.local");
    let mut gzip_ok = false;
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("accept-encoding") {
            gzip_ok |= v.contains("gzip") || v.contains('*');
        }
        b = b.header(k.trim(), v.trim());
    }
    let Ok(req) = b.body(Body::empty()) else {
        return;
    };
    let uri = req.uri().clone();
    let (status, headers, body) = send(req);
    assert!(!status.is_server_error(), "{uri} -> {status}");
    // A tile answered 200 is the stored one, as stored or unzipped.
    let path = uri.path().strip_prefix("/tiles/fz/").unwrap_or("");
    let parts: Vec<&str> = path.split('/').collect();
    if status == StatusCode::OK && parts.len() == 3 && uri.query().is_none() {
        let y = parts[2].trim_end_matches(".mvt").trim_end_matches(".pbf");
        if let (Ok(z), Ok(x), Ok(y)) = (parts[0].parse(), parts[1].parse(), y.parse()) {
            if let Ok(t) = TileCoord::new_checked(z, x, y) {
                let want = stored(t).expect("a 200 for a stored tile");
                match headers.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()) {
                    Some(b"gzip") => {
                        assert!(gzip_ok, "{uri}: gzip to a client that did not ask");
                        assert_eq!(body, want, "{uri}");
                    }
                    None => assert_eq!(
                        body,
                        quyhoach_tiles::gzip::gunzip(&want).expect("stored gzip"),
                        "{uri}"
                    ),
                    // Unzipped, then compressed by the router's layer as the client asked.
                    Some(_) => {}
                }
            }
        }
    }
});
