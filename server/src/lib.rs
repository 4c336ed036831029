//! The quyhoach HTTP service: parcel lookup, planning reports, coordinate conversion and
//! OGC API - Features over a loaded store.
//!
//! [`app`] builds the whole service as an axum `Router`, so tests call it in-process;
//! [`serve`] runs it on a socket. Modules by domain noun: [`api`] (the portal's JSON API),
//! [`ogc`] (OGC API - Features), [`openapi`] (the API definitions), [`text`] (the 2G
//! report), [`geojson`] (geometry in and out), [`params`] (strict query parameters),
//! [`error`] (RFC 7807 problems), [`state`] and [`demo`] (building the demo store);
//! [`tiles`] (vector tiles and TileJSON), [`style`] (the MapLibre style) and [`glyphs`]
//! (the style's fonts).

pub mod api;
pub mod apidoc;
pub mod demo;
pub mod error;
pub mod geojson;
pub mod glyphs;
pub mod listener;
pub mod live;
pub mod ogc;
pub mod openapi;
pub mod pack;
pub mod page;
pub mod params;
pub mod portal;
pub mod preview;
pub mod proxy;
pub mod state;
pub mod style;
pub mod text;
pub mod textsite;
pub mod tiles;
pub mod upload;
pub mod version;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use state::AppState;

use crate::api::ReportFormat;
use crate::error::{problem, PROBLEM_JSON};
use crate::params::Params;

/// Largest request body: a drawn site or an uploaded boundary of up to
/// [`geojson::MAX_SITE_VERTICES`] vertices is well under 1 MB of GeoJSON; 2 MB leaves room
/// for properties and pretty-printing while refusing uploads of whole layers.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Longest a request may take before it is answered 503: a report on the largest site
/// allowed takes well under a second; anything near this is a bug or an overload.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest request target (path and query) answered; longer gets 414. The longest real
/// links (a multi-parcel share link, an OGC query with a bbox and properties) are under 1 KB.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Longest path segment: no file or identifier of ours is longer; longer gets 404 before any
/// handler or the file server sees it.
pub const MAX_SEGMENT_BYTES: usize = 255;
/// Most header bytes (names and values) answered; more gets 431. hyper itself closes
/// connections whose head exceeds [`listener::MAX_HEAD_BYTES`].
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Whether `value` looks like a URL (`scheme://…`) rather than a path.
fn is_url(value: &str) -> bool {
    let scheme = value.split_once("://").map(|(s, _)| s);
    scheme.is_some_and(|s| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// The value of `--store` for commands that read or write a store directory only (`serve`,
/// `demo`, `plans add`, `plans remove`, `workshop`, …). A URL is refused with a clear
/// message rather than taken as a relative path (which made a directory named `postgresql:`
/// and imported into it).
pub fn store_dir(value: &str) -> Result<std::path::PathBuf, String> {
    if is_url(value) {
        return Err(format!(
            "'{value}' is a URL; this command takes a store directory. A PostGIS store \
             (postgresql://…) is taken by `import`, `plans`, `info`, `tiles`, `demo` and \
             `serve`. The portal's own state goes to PostgreSQL with --db-url"
        ));
    }
    if value.is_empty() {
        return Err("--store is empty: name the store directory".into());
    }
    Ok(std::path::PathBuf::from(value))
}

/// The value of `--store` for commands that take either backend: a store directory or a
/// PostGIS database (`postgresql://user[:password]@host[:port]/db`, kept as the path's text;
/// [`quyhoach_data::pg::is_url`] tells them apart). Other URLs are refused.
pub fn store_location(value: &str) -> Result<std::path::PathBuf, String> {
    if quyhoach_data::pg::is_url(value) {
        return Ok(std::path::PathBuf::from(value));
    }
    if is_url(value) {
        return Err(format!(
            "'{value}' is a URL of another kind; --store takes a store directory or a \
             PostGIS database (postgresql://user@host/db)"
        ));
    }
    store_dir(value)
}

/// `Cache-Control` of read endpoints: the data changes only on import, and the ETag
/// lets clients revalidate cheaply after five minutes.
pub const CACHE_CONTROL: &str = "public, max-age=300";

/// Routes as the server lists them: path, methods, handler.
type Routes = Vec<(
    &'static str,
    &'static [&'static str],
    MethodRouter<AppState>,
)>;

fn report_route(format: ReportFormat) -> MethodRouter<AppState> {
    let page = match format {
        ReportFormat::Json => {
            return get(
                move |State(st): State<api::ApiState>,
                      Path(p): Path<(String, String, String)>,
                      headers: HeaderMap,
                      q: Params| async move {
                    let gzip_ok = tiles::accepts_gzip(&headers);
                    api::parcel_report(st, p, q, format, gzip_ok).await
                },
            )
        }
        ReportFormat::Text => textsite::Format::Text,
        ReportFormat::Html => textsite::Format::Html,
    };
    // The text and HTML reports are pages of the text-only site: errors in the page's
    // language, duplicates as a page of choices.
    get(
        move |State(st): State<api::ApiState>,
              Path(p): Path<(String, String, String)>,
              headers: HeaderMap,
              q: Result<
            axum::extract::Query<Vec<(String, String)>>,
            axum::extract::rejection::QueryRejection,
        >| async move { textsite::parcel_report(st, p, headers, q, page).await },
    )
}

/// The server's own routes (the portal's are [`portal::routes`]): path, methods, handler.
/// [`app`] registers exactly these and the portal's, and the tests check that each of
/// [`route_list`] appears in the OpenAPI document.
fn routes() -> Routes {
    vec![
        ("/api/v1/health", &["get"], get(api::health)),
        ("/api/v1/openapi.json", &["get"], get(openapi_json)),
        ("/api/v1/layers", &["get"], get(api::layers)),
        ("/api/v1/plans", &["get"], get(api::plans)),
        ("/api/v1/plans/{id}", &["get"], get(api::plan)),
        ("/api/v1/landuse-codes", &["get"], get(api::landuse_codes)),
        ("/api/v1/parcels/at", &["get"], get(api::parcels_at)),
        (
            "/api/v1/parcels/{commune}/{sheet}/{parcel}",
            &["get"],
            get(api::parcel_by_number),
        ),
        (
            "/api/v1/parcels/{commune}/{sheet}/{parcel}/report",
            &["get"],
            report_route(ReportFormat::Json),
        ),
        (
            "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.txt",
            &["get"],
            report_route(ReportFormat::Text),
        ),
        (
            "/api/v1/parcels/{commune}/{sheet}/{parcel}/report.html",
            &["get"],
            report_route(ReportFormat::Html),
        ),
        (
            "/api/v1/parcels/{commune}/{sheet}/{parcel}/map.png",
            &["get"],
            get(preview::parcel_map_png),
        ),
        ("/api/v1/search", &["get"], get(api::search)),
        ("/api/v1/report", &["post"], post(api::report)),
        ("/api/v1/sites/parse", &["post"], post(api::parse_site_file)),
        (
            "/api/v1/convert",
            &["get", "post"],
            get(api::convert_get).post(api::convert_post),
        ),
        ("/ogc", &["get"], get(ogc::landing)),
        ("/ogc/", &["get"], get(ogc::landing)),
        ("/ogc/api", &["get"], get(openapi::ogc_api)),
        ("/ogc/conformance", &["get"], get(ogc::conformance)),
        ("/ogc/collections", &["get"], get(ogc::collections)),
        (
            "/ogc/collections/{collectionId}",
            &["get"],
            get(ogc::collection),
        ),
        (
            "/ogc/collections/{collectionId}/items",
            &["get"],
            get(ogc::items),
        ),
        (
            "/ogc/collections/{collectionId}/items/{featureId}",
            &["get"],
            get(ogc::item),
        ),
        ("/tiles", &["get"], get(tiles::list)),
        // axum's router has no `{tileset}.json` segments: the handlers strip the suffix.
        ("/tiles/{tilejson}", &["get"], get(tiles::tilejson_route)),
        (
            "/tiles/{tileset}/{z}/{x}/{tile}",
            &["get"],
            get(tiles::tile),
        ),
        ("/styles/planning.json", &["get"], get(style_json)),
        (
            "/fonts/{fontstack}/{range}",
            &["get"],
            get(glyphs::glyphs_route),
        ),
    ]
}

/// The (path, methods) of every route, the portal's included, for documentation checks.
pub fn route_list() -> Vec<(&'static str, &'static [&'static str])> {
    let own = routes().into_iter().map(|(p, m, _)| (p, m));
    own.chain(portal::routes().into_iter().map(|(p, m, _)| (p, m)))
        .collect()
}

async fn style_json(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> error::Result<Response> {
    q.allow(&[])?;
    let base = proxy::base_url(&headers);
    let mut doc = style::planning_style(&*st.index, &base);
    if let Some(url) = &st.tiles.map_archive {
        style::archive_tileset(&mut doc, &base, url);
    } else if let Some(tj) = tiles::tilejson_of(&st.tiles, &base, tiles::COMBINED_TILESET) {
        style::inline_tileset(&mut doc, &tj);
    }
    Ok(Json(doc).into_response())
}

async fn openapi_json(headers: HeaderMap, q: Params) -> error::Result<Response> {
    q.allow(&[])?;
    Ok(Json(openapi::document(&proxy::base_url(&headers))).into_response())
}

/// The whole service.
pub fn app(state: AppState) -> Router {
    let tiles = state.tiles.clone();
    with_fast_archive_tiles(tiles, full_app(state))
}

/// Archive tiles answered before the router (see [`tiles::fast_archive_tile`]); every
/// other request goes to `inner`. Without archives, `inner` itself.
fn with_fast_archive_tiles(tiles: Arc<tiles::TileService>, inner: Router) -> Router {
    if !tiles.has_archives() {
        return inner;
    }
    let svc = tower::service_fn(move |req: Request| {
        let fast = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            tiles::fast_archive_tile(&tiles, &req)
        }))
        .ok()
        .flatten();
        let inner = inner.clone();
        async move {
            match fast {
                Some(r) => Ok(r),
                None => tower::ServiceExt::oneshot(inner, req).await,
            }
        }
    });
    Router::new().fallback_service(svc)
}

/// The CORS answers of every route: any origin, the ETag readable, preflights cached a day.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG])
        .max_age(Duration::from_secs(86_400))
        // Every origin gets the same answer, so nothing varies by origin: a `Vary: Origin`
        // would split the browser's cache between a page's preloads and its workers.
        .vary::<[header::HeaderName; 0]>([])
}

/// The tile-only service of `quyhoach serve --pmtiles FILE` without a store: the archives,
/// their TileJSON, the `/tiles` list and `/api/v1/health`; no index is loaded. The same
/// limits, problem documents, CORS and forwarded-header rules as [`app`].
pub fn tile_app(tiles: Arc<tiles::TileService>, server: Arc<state::ServerConfig>) -> Router {
    let health = {
        let tiles = tiles.clone();
        move |params::Query(params::NoParams {}): params::Query<params::NoParams>| {
            let tiles = tiles.clone();
            async move {
                Json(api::TileHealth {
                    status: "ok",
                    version: env!("CARGO_PKG_VERSION"),
                    mode: "tiles",
                    tilesets: tiles.names().map(str::to_string).collect(),
                    data_version: tiles.archive_versions().join("-"),
                })
            }
        }
    };
    let inner = Router::new()
        .route("/api/v1/health", get(health))
        .route("/tiles", get(tiles::list))
        .route("/tiles/{tilejson}", get(tiles::tilejson_route))
        .route("/tiles/{tileset}/{z}/{x}/{tile}", get(tiles::tile))
        .fallback(|uri: axum::http::Uri| async move {
            error::AppError::not_found(format!(
                "no such resource {}; this server serves tiles only: /tiles lists them",
                uri.path().chars().take(200).collect::<String>()
            ))
        })
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn(no_store_unless_set))
        .layer(middleware::from_fn_with_state(server, forwarded_headers));
    let inner = outer_layers(inner).with_state(tiles.clone());
    with_fast_archive_tiles(tiles, inner)
}

/// Middleware: `Host` and `X-Forwarded-*` as the handlers may believe them ([`proxy::sanitize`]).
async fn forwarded_headers(
    State(server): State<Arc<state::ServerConfig>>,
    mut req: Request,
    next: Next,
) -> Response {
    proxy::sanitize(&server.proxies, &mut req);
    next.run(req).await
}

/// `Cache-Control: no-store` on answers that set none (errors, the list), as [`caching`]
/// does for answers that are not tagged with the data version.
async fn no_store_unless_set(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if !resp.headers().contains_key(header::CACHE_CONTROL) {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

fn full_app(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, _, handler) in routes() {
        router = router.route(path, handler);
    }
    // The portal's routes take their state made once for this router.
    let portal_state = portal::PortalState::from_ref(&state);
    for (path, _, handler) in portal::routes() {
        router = router.route(path, handler.with_state(portal_state.clone()));
    }
    // The text-only site: pages, not API (not in the OpenAPI document).
    router = router
        .route("/text", get(textsite::home))
        .route("/text/help", get(textsite::help_page))
        .route("/text/plans", get(textsite::plans_page))
        .route("/text/plans/{id}", get(textsite::plan_page))
        .route("/text/communes/{code}", get(textsite::commune_page));
    if let Some(web) = state.web_dir.as_deref() {
        // The web app: its page (with the server's preview and sharing tags), its assets.
        router = router
            .route("/", get(page::index_page))
            .route("/index.html", get(page::index_page))
            .route_service("/config.json", ServeFile::new(web.join("config.json")))
            .route_service("/favicon.svg", ServeFile::new(web.join("favicon.svg")))
            // Assets come precompressed from the build (brotli and gzip next to each file).
            .nest_service(
                "/assets",
                ServeDir::new(web.join("assets"))
                    .precompressed_br()
                    .precompressed_gzip(),
            );
    } else {
        router = router.route("/", axum::routing::get(web_not_built));
    }
    let router = router
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), caching))
        .layer(middleware::from_fn_with_state(
            state.server.clone(),
            forwarded_headers,
        ))
        .layer(middleware::from_fn(web_cache_headers));
    outer_layers(router).with_state(state)
}

/// The layers every request passes, outermost last, of the full server and the tile-only
/// one: the body limit, the request timeout, problem documents for bare errors (outside the
/// timeout, so its bare 503 becomes one too), the URI and header limits, panics caught,
/// compression, CORS and tracing.
fn outer_layers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(problems_for_bare_errors))
        .layer(middleware::from_fn(request_limits))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("a handler panicked");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; it has been logged",
                    None,
                )
            },
        ))
        .layer(CompressionLayer::new())
        .layer(cors())
        .layer(TraceLayer::new_for_http())
}

pub(crate) fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| {
            t == "*" || t == etag || t.trim_start_matches("W/") == etag.trim_start_matches("W/")
        })
}

/// Conditional GET and caching headers on read endpoints: the ETag is the data version.
async fn caching(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let cacheable = matches!(*req.method(), Method::GET | Method::HEAD)
        && version::conditional_get(path)
        && !has_own_etag(path);
    if cacheable && etag_matches(req.headers(), &st.etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        set_cache_headers(r.headers_mut(), &st.etag);
        return r;
    }
    let mut resp = next.run(req).await;
    let has_cc = resp.headers().contains_key(header::CACHE_CONTROL);
    if cacheable && resp.status() == StatusCode::OK && !has_cc {
        set_cache_headers(resp.headers_mut(), &st.etag);
    } else if !has_cc {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Tiles and glyphs carry their own ETag and `Cache-Control` (per tile, per archive); the
/// web app's files have their own (below).
fn has_own_etag(path: &str) -> bool {
    path.starts_with("/fonts/")
        || (path.starts_with("/tiles/") && path.matches('/').count() >= 5)
        || is_web_path(path)
}

/// The web app's files: the page, its config and its hashed assets.
fn is_web_path(path: &str) -> bool {
    matches!(path, "/" | "/index.html" | "/config.json" | "/favicon.svg")
        || path.starts_with("/assets/")
}

/// Asset file names carry a content hash: cache them for a year. The page and its config
/// must be revalidated so a new build is picked up at once.
async fn web_cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut resp = next.run(req).await;
    if is_web_path(&path) && resp.status().is_success() {
        let cc = if path.starts_with("/assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
        // Precompressed assets differ by Accept-Encoding; caches must know.
        if path.starts_with("/assets/") {
            resp.headers_mut()
                .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    resp
}

/// `/` when `web/dist` has not been built: say how to build it, and where the API is.
async fn web_not_built() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>quyhoach</title>\
         <h1>quyhoach</h1><p>Bản đồ web chưa được build / the web map is not built: run \
         <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (the README's first command does it) \
         or set QUYHOACH_WEB_DIR.</p><p>API: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> · \
         OGC API - Features: <a href=\"/ogc\">/ogc</a></p></html>",
    )
        .into_response()
}

fn set_cache_headers(h: &mut HeaderMap, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
}

/// 414 for over-long request targets, 404 for over-long path segments, 431 for over-large
/// headers: as problem documents, before routing.
async fn request_limits(req: Request, next: Next) -> Response {
    let uri_len = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().len())
        .unwrap_or(0);
    if uri_len > MAX_URI_BYTES {
        return problem(
            StatusCode::URI_TOO_LONG,
            &format!("the request target has {uri_len} bytes; at most {MAX_URI_BYTES}"),
            None,
        );
    }
    // No file or identifier of ours holds a control character; the file server answers a
    // NUL with an I/O error (500), so such paths end here.
    let control =
        percent_encoding::percent_decode_str(req.uri().path()).any(|b| b < 0x20 || b == 0x7f);
    if control
        || req
            .uri()
            .path()
            .split('/')
            .any(|s| s.len() > MAX_SEGMENT_BYTES)
    {
        return problem(
            StatusCode::NOT_FOUND,
            &format!(
                "no such resource (a path segment is longer than {MAX_SEGMENT_BYTES} bytes or holds a control character)"
            ),
            None,
        );
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES {
        return problem(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            &format!("the request headers have {header_bytes} bytes; at most {MAX_HEADER_BYTES}"),
            None,
        );
    }
    next.run(req).await
}

/// Error responses made by axum or tower (extractor rejections, 405, timeouts) come as
/// plain text or empty; they are rewritten as problem JSON like every other error.
async fn problems_for_bare_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || textsite::is_own_body(&resp) {
        return resp;
    }
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with(PROBLEM_JSON) {
        return resp;
    }
    let detail = match status {
        StatusCode::SERVICE_UNAVAILABLE => format!(
            "the request took longer than {} s and was stopped; try a smaller site or area",
            REQUEST_TIMEOUT.as_secs()
        ),
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than {} bytes; simplify the geometry or send fewer points",
            MAX_BODY_BYTES
        ),
        _ => {
            let body = axum::body::to_bytes(resp.into_body(), 4096)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&body).trim().to_string();
            if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text
            }
        }
    };
    problem(status, &detail, None)
}

/// Serves `app(state)` on `listener` until Ctrl-C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let router = app(state);
    listener::serve(
        listener,
        std::sync::Arc::new(move || router.clone()),
        listener::Limits {
            max_connections: None,
        },
        shutdown_signal(),
    )
    .await
}

/// Serves a fixed router (the tile-only service, [`tile_app`]) on `listener` until Ctrl-C
/// or SIGTERM.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: listener::Limits,
) -> std::io::Result<()> {
    listener::serve(
        listener,
        Arc::new(move || router.clone()),
        limits,
        shutdown_signal(),
    )
    .await
}

/// Serves the live store on `listener` until Ctrl-C or SIGTERM, reloading it on SIGHUP and,
/// with `reload`, when a check at that interval sees that an import changed it.
pub async fn serve_live(
    listener: tokio::net::TcpListener,
    live: std::sync::Arc<live::Live>,
    limits: listener::Limits,
    reload: Option<Duration>,
) -> std::io::Result<()> {
    tokio::spawn(live.clone().watch(reload));
    let source = live.clone();
    listener::serve(
        listener,
        std::sync::Arc::new(move || source.router()),
        limits,
        shutdown_signal(),
    )
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn bare_errors_become_problems() {
        let app: Router = Router::new()
            .route("/slow", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
            .layer(middleware::from_fn(problems_for_bare_errors));
        let resp = app
            .oneshot(
                Request::get("/slow")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = axum::body::to_bytes(resp.into_body(), 10_000)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "urn:quyhoach:problem:timeout");
        assert!(v["detail"].as_str().unwrap().contains("30 s"));
    }

    #[test]
    fn etags_match_weak_and_lists() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(etag_matches(&h, "W/\"abc\""));
        assert!(!etag_matches(&h, "W/\"abd\""));
    }
}
