//! Vector tiles over HTTP: `/tiles` (the tile sets), `/tiles/{tileset}.json` (TileJSON 3.0)
//! and `/tiles/{tileset}/{z}/{x}/{y}.mvt` (or `.pbf`).
//!
//! Tile sets are the combined `planning` set (every store layer, MVT layers named after the
//! store layer ids), one set per store layer, and the PMTiles archives given to
//! `quyhoach serve --pmtiles`. Store tiles are encoded on demand on the blocking pool by
//! [`quyhoach_tiles::encode_tile`] — the same function `quyhoach tiles` calls, so served and
//! archived tiles are the same bytes — and kept gzipped in a cache bounded by bytes, whose
//! loads are single-flight: many clients asking for one cold tile make it be built once.

pub mod archive;
pub mod set;
pub mod source;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use quyhoach_data::lookup::Store;
use quyhoach_tiles::gzip::{gunzip, is_gzip};
use quyhoach_tiles::{TileCoord, MAX_ZOOM};
use serde_json::{json, Value};

pub use archive::Archive;
pub use set::{Making, StoreTiles, TileSet};
pub use source::{IndexSource, StoreSource, COMBINED_TILESET, DEFAULT_MAXZOOM};

use crate::error::{AppError, Result};
use crate::params::Params;
use crate::proxy::base_url;

/// Default byte budget of the tile cache: 256 MB holds about 20,000 typical gzipped tiles
/// (5–15 KB each), every tile a busy district's visitors ask for in a day, and is a tenth
/// of what the index of a million parcels takes.
pub const DEFAULT_TILE_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Bytes counted for a cached tile besides its content (key, entry bookkeeping), so that a
/// cache of empty tiles is bounded too.
const CACHE_ENTRY_OVERHEAD: u32 = 96;

/// The weight of a cached tile of `len` bytes in its cache's byte budget: the store tiles'
/// cache and each archive's.
pub(crate) fn cache_weight(len: usize) -> u32 {
    u32::try_from(len)
        .unwrap_or(u32::MAX)
        .saturating_add(CACHE_ENTRY_OVERHEAD)
}

/// Media type of Mapbox Vector Tiles.
pub const MVT_MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// `Cache-Control` of tiles: tiles change only on import; the per-tile ETag lets clients
/// revalidate after an hour at the cost of a 304.
pub const TILE_CACHE_CONTROL: &str = "public, max-age=3600";

/// Settings of the tile routes.
#[derive(Debug, Clone)]
pub struct TileConfig {
    /// Byte budget of the tile cache; 0 turns the cache off (every request encodes; for
    /// benchmarks of cold tiles).
    pub cache_bytes: u64,
    /// PMTiles archives to serve, each as a tile set named after its file.
    pub archives: Vec<PathBuf>,
    /// Directory of the fonts the glyph route renders (see [`crate::glyphs`]).
    pub fonts_dir: PathBuf,
    /// A PMTiles archive of the combined tile set on a static host or CDN (an `http(s)://`
    /// URL or a path on this host, checked by [`map_archive_url`]): the style's planning
    /// source points at it (`pmtiles://…`) and the web map reads its tiles from there.
    pub map_archive: Option<String>,
}

impl Default for TileConfig {
    fn default() -> Self {
        TileConfig {
            cache_bytes: DEFAULT_TILE_CACHE_BYTES,
            archives: Vec::new(),
            fonts_dir: PathBuf::from(crate::glyphs::DEFAULT_FONTS_DIR),
            map_archive: None,
        }
    }
}

type CacheKey = (Arc<str>, TileCoord);

/// The tile sets, the cache and the counters.
pub struct TileService {
    tilesets: BTreeMap<Arc<str>, Arc<dyn TileSet>>,
    cache: Option<moka::future::Cache<CacheKey, Bytes>>,
    /// Tiles encoded or read so far (cache misses): tests check single-flight with it.
    pub generated: AtomicU64,
    /// Version of the store's tiles (the data ETag's hash).
    store_version: String,
    /// Byte budget of each archive's cache of tiles read (see [`Archive::tile`]).
    cache_bytes: u64,
    /// Where the web map reads the combined tile set instead (see [`TileConfig::map_archive`]).
    pub map_archive: Option<String>,
}

/// Longest `--map-pmtiles` value.
const MAX_ARCHIVE_URL: usize = 2_000;

/// Checks a `--map-pmtiles` value: an `http://` or `https://` URL, or an absolute path on
/// this host (`/static/x.pmtiles`, served by the proxy in front), ending in `.pmtiles`, with
/// no characters that a URL must escape (it goes into the style as it is).
pub fn map_archive_url(value: &str) -> std::result::Result<String, String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .map(|r| r.split_once('/').map_or("", |(_, path)| path))
        .or_else(|| value.strip_prefix('/').filter(|p| !p.starts_with('/')));
    let Some(path) = rest else {
        return Err(format!(
            "'{value}' is not an http(s):// URL or a path beginning with one '/': name the \
             archive as the browser fetches it, e.g. https://cdn.example.vn/cantho.pmtiles"
        ));
    };
    if value.len() > MAX_ARCHIVE_URL {
        return Err(format!("the URL is longer than {MAX_ARCHIVE_URL} bytes"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_graphic()) || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`'))
    {
        return Err(format!(
            "'{value}' holds {c:?}: percent-encode it (the URL goes into the map style as it is)"
        ));
    }
    let file = path.split(['?', '#']).next().unwrap_or("");
    if !file.ends_with(".pmtiles") {
        return Err(format!(
            "'{value}' does not name a .pmtiles file (build one with `quyhoach tiles --out FILE.pmtiles`)"
        ));
    }
    Ok(value.to_string())
}

impl TileService {
    /// The tile sets of `index` (the combined set and one per layer), cached within
    /// `cache_bytes` (0: no cache).
    pub fn new(index: &Arc<dyn Store>, data_etag: &str, cache_bytes: u64) -> Self {
        let mut tilesets: BTreeMap<Arc<str>, Arc<dyn TileSet>> = BTreeMap::new();
        let mut names: Vec<String> = vec![COMBINED_TILESET.to_string()];
        names.extend(index.layer_ids().iter().map(|s| s.to_string()));
        for name in names {
            if let Some(src) = IndexSource::for_tileset(index, &name) {
                let set = StoreTiles::new(&name, src);
                tilesets.insert(Arc::from(name.as_str()), Arc::new(set));
            }
        }
        let cache = (cache_bytes > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(cache_bytes)
                .weigher(|_: &CacheKey, v: &Bytes| cache_weight(v.len()))
                .build()
        });
        TileService {
            tilesets,
            cache,
            cache_bytes,
            map_archive: None,
            generated: AtomicU64::new(0),
            store_version: data_etag
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_string(),
        }
    }

    /// No tile set yet, for a tile-only server (`serve --pmtiles` without a store): add
    /// archives with [`TileService::add_archive`], each caching the tiles read within
    /// `cache_bytes`.
    pub fn archives_only(cache_bytes: u64) -> Self {
        TileService {
            tilesets: BTreeMap::new(),
            cache: None,
            cache_bytes,
            map_archive: None,
            generated: AtomicU64::new(0),
            store_version: String::new(),
        }
    }

    /// Adds a PMTiles archive as a tile set named after its file. Fails when it cannot be
    /// opened or its name is taken.
    pub fn add_archive(&mut self, path: &std::path::Path) -> anyhow::Result<()> {
        let a = Archive::open(path, self.cache_bytes)
            .map_err(|e| anyhow::anyhow!("cannot serve {}: {e}", path.display()))?;
        let name = a.name.clone();
        self.add_tileset(&name, Arc::new(a))
            .map_err(|e| anyhow::anyhow!("cannot serve {}: {e}; rename the file", path.display()))
    }

    /// Adds a tile set of any kind under `name`. Fails when the name is taken.
    pub fn add_tileset(&mut self, name: &str, set: Arc<dyn TileSet>) -> anyhow::Result<()> {
        if self.tilesets.contains_key(name) {
            anyhow::bail!(
                "tile set '{name}' already exists (store layers and `planning` are tile sets)"
            );
        }
        self.tilesets.insert(Arc::from(name), set);
        Ok(())
    }

    /// Whether any tile set is read as stored (an archive).
    pub fn has_archives(&self) -> bool {
        self.tilesets.values().any(|t| t.making() == Making::Stored)
    }

    /// A tile set by name.
    pub fn tileset(&self, name: &str) -> Option<(&Arc<str>, &Arc<dyn TileSet>)> {
        self.tilesets.get_key_value(name)
    }

    /// Tile set names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tilesets.keys().map(|k| &**k)
    }

    /// The archives' versions (for the data ETag of TileJSON and styles).
    pub fn archive_versions(&self) -> Vec<String> {
        self.tilesets
            .values()
            .filter_map(|t| t.version().map(str::to_string))
            .collect()
    }

    /// The gzipped tile (empty when the tile has no feature), from the cache or made once.
    /// Archive tiles are read as stored (gzipped or not, see [`Archive::gzip`]), from the
    /// archive's own cache (see [`Archive::tile`]).
    pub async fn tile(
        &self,
        name: &Arc<str>,
        set: &Arc<dyn TileSet>,
        t: TileCoord,
    ) -> Result<Bytes> {
        if set.making() == Making::Stored {
            return set.tile(t);
        }
        match &self.cache {
            Some(cache) => cache
                .try_get_with((name.clone(), t), self.make(set.clone(), t))
                .await
                .map_err(|e: Arc<AppError>| AppError::Internal(e.to_string())),
            None => self.make(set.clone(), t).await,
        }
    }

    async fn make(&self, set: Arc<dyn TileSet>, t: TileCoord) -> Result<Bytes> {
        // Encoded tiles are made at most one per core at a time, the rest wait their turn
        // in order: a tile then takes its own CPU time rather than a share of every other
        // one's (cold z15: p99 lower at the same throughput), and a tile whose request is
        // dropped while it waits (a map panned away) is never encoded.
        let _slot = encode_slots()
            .acquire()
            .await
            .map_err(|e| AppError::Internal(format!("tile encoders: {e}")))?;
        self.generated.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || set.tile(t)).await?
    }

    /// The ETag of one tile of a set: the set's own version (an archive's) or the data
    /// version, and the tile.
    fn etag(&self, set: &dyn TileSet, t: TileCoord) -> String {
        let v = set.version().unwrap_or(&self.store_version);
        format!("W/\"{v}-{}-{}-{}\"", t.z, t.x, t.y)
    }
}

/// Tile encodings allowed at once in this process: one per core.
fn encode_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

/// Parses `{z}`, `{x}` and `{y}.mvt` (or `.pbf`) of a tile URL; says what is accepted.
pub fn parse_tile_path(z: &str, x: &str, file: &str) -> Result<TileCoord> {
    let Some(y) = file
        .strip_suffix(".mvt")
        .or_else(|| file.strip_suffix(".pbf"))
    else {
        return Err(AppError::not_found(format!(
            "unknown tile format '{file}': tiles are /tiles/{{tileset}}/{{z}}/{{x}}/{{y}}.mvt (or .pbf)"
        )));
    };
    let num = |what: &str, v: &str| -> Result<u32> {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) || v.len() > 10 {
            return Err(AppError::bad(format!(
                "tile {what} '{v}' is not a whole number ≥ 0: tiles are /tiles/{{tileset}}/{{z}}/{{x}}/{{y}}.mvt"
            )));
        }
        v.parse::<u32>()
            .map_err(|_| AppError::bad(format!("tile {what} '{v}' is too large")))
    };
    let (zn, xn, yn) = (num("zoom", z)?, num("column x", x)?, num("row y", y)?);
    let z = u8::try_from(zn)
        .ok()
        .filter(|&z| z <= MAX_ZOOM)
        .ok_or_else(|| AppError::bad(format!("zoom {zn} is above {MAX_ZOOM}")))?;
    TileCoord::new_checked(z, xn, yn).map_err(|e| AppError::bad(e.to_string()))
}

fn unknown_tileset(tiles: &TileService, name: &str) -> AppError {
    AppError::not_found(format!(
        "unknown tile set '{name}'; tile sets: {} (list at /tiles)",
        tiles.names().collect::<Vec<_>>().join(", ")
    ))
}

/// Whether the client takes gzip (`Accept-Encoding: gzip` or `*`, not with q=0).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("").to_ascii_lowercase();
            let q_zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding == "gzip" || coding == "x-gzip" || coding == "*") && !q_zero
        })
}

fn tile_headers(h: &mut HeaderMap, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(TILE_CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
}

/// `GET /tiles/{tileset}/{z}/{x}/{y}.mvt`.
pub async fn tile(
    State(tiles): State<Arc<TileService>>,
    Path((name, z, x, file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response> {
    q.allow(&[])?;
    let t = parse_tile_path(&z, &x, &file)?;
    let (key, set) = tiles
        .tileset(&name)
        .ok_or_else(|| unknown_tileset(&tiles, &name))?;
    let (minzoom, maxzoom) = set.zooms();
    if t.z > maxzoom || t.z < minzoom {
        return Err(AppError::not_found(format!(
            "tile set '{name}' has zooms {minzoom}–{maxzoom}; map clients overzoom beyond its maxzoom (see /tiles/{name}.json)"
        )));
    }
    let etag = tiles.etag(&**set, t);
    if crate::etag_matches(&headers, &etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        tile_headers(r.headers_mut(), &etag);
        return Ok(r);
    }
    let gz = tiles.tile(key, set, t).await?;
    if gz.is_empty() {
        let mut r = StatusCode::NO_CONTENT.into_response();
        tile_headers(r.headers_mut(), &etag);
        return Ok(r);
    }
    // Tiles of uncompressed archives (or not gzipped in a gzip archive) go as they are.
    let mut r = if !is_gzip(&gz) {
        Response::new(Body::from(gz))
    } else if accepts_gzip(&headers) {
        let mut r = Response::new(Body::from(gz));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let raw =
            gunzip(&gz).map_err(|e| AppError::Internal(format!("gunzip of tile {t}: {e}")))?;
        Response::new(Body::from(raw))
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(MVT_MEDIA_TYPE),
    );
    tile_headers(r.headers_mut(), &etag);
    Ok(r)
}

/// Most request header bytes the fast path answers (as [`crate::MAX_HEADER_BYTES`]):
/// requests with more go through the router, which answers 431.
fn header_bytes(h: &HeaderMap) -> usize {
    h.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum()
}

/// The CORS headers the router's `CorsLayer` puts on every non-preflight answer (any
/// origin, the ETag readable).
fn cors_headers(h: &mut HeaderMap) {
    for (name, value) in [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::ACCESS_CONTROL_EXPOSE_HEADERS, "etag"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// Answers `GET /tiles/{archive}/{z}/{x}/{y}.mvt` of a served archive at once, without the
/// router and its middleware, when the answer is a plain one: a tile read as stored (200),
/// an absent tile (204) or a matching `If-None-Match` (304), with the same headers the
/// router gives (`Content-Encoding`, `Content-Type`, `ETag`, `Cache-Control`, `Vary` and
/// CORS). Everything else — other methods, a query string, a bad or unknown path, a zoom
/// outside the archive, a client that takes no gzip, oversized headers, a read error — is
/// `None`, and the router answers it as before (problems, 431, 405…).
///
/// What the router's layers did that this skips, and why that is safe here: the request
/// has no body (GET; hyper bounds the head); the path was parsed strictly, so the URI and
/// segment caps cannot be hit; the answer is a page-cache read, so no timeout is needed;
/// tiles are already compressed; the code does not panic on any input (it is also run
/// under `catch_unwind` by the caller); tracing of every tile is off by default anyway.
pub fn fast_archive_tile<B>(tiles: &TileService, req: &axum::http::Request<B>) -> Option<Response> {
    if req.method() != axum::http::Method::GET || req.uri().query().is_some() {
        return None;
    }
    let rest = req.uri().path().strip_prefix("/tiles/")?;
    let mut parts = rest.split('/');
    let (name, z, x, file) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let set = tiles.tilesets.get(name)?;
    if set.making() != Making::Stored {
        return None;
    }
    let t = parse_tile_path(z, x, file).ok()?;
    let headers = req.headers();
    let (minzoom, maxzoom) = set.zooms();
    if !(minzoom..=maxzoom).contains(&t.z) || header_bytes(headers) > crate::MAX_HEADER_BYTES {
        return None;
    }
    let etag = tiles.etag(&**set, t);
    let status = if crate::etag_matches(headers, &etag) {
        StatusCode::NOT_MODIFIED
    } else {
        match set.tile(t).ok()? {
            bytes if bytes.is_empty() => StatusCode::NO_CONTENT,
            bytes => {
                let gz = is_gzip(&bytes);
                if gz && !accepts_gzip(headers) {
                    return None;
                }
                let mut r = Response::new(Body::from(bytes));
                let h = r.headers_mut();
                if gz {
                    h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                }
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(MVT_MEDIA_TYPE),
                );
                tile_headers(h, &etag);
                cors_headers(h);
                return Some(r);
            }
        }
    };
    let mut r = status.into_response();
    tile_headers(r.headers_mut(), &etag);
    cors_headers(r.headers_mut());
    Some(r)
}

/// The TileJSON of a tile set, with absolute tile URLs on `base`.
pub fn tilejson_of(tiles: &TileService, base: &str, name: &str) -> Option<Value> {
    let (_, set) = tiles.tileset(name)?;
    let url = format!("{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt");
    let mut tj = set.tilejson(name, &url);
    tj["attribution"] = "quyhoach — dữ liệu quy hoạch công khai".into();
    Some(tj)
}

/// `GET /tiles/{tileset}.json`.
pub async fn tilejson_route(
    State(tiles): State<Arc<TileService>>,
    Path(file): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response> {
    q.allow(&[])?;
    let Some(name) = file.strip_suffix(".json") else {
        return Err(AppError::not_found(format!(
            "'/tiles/{file}' names no TileJSON: TileJSON is at /tiles/{{tileset}}.json, tiles at /tiles/{{tileset}}/{{z}}/{{x}}/{{y}}.mvt"
        )));
    };
    let tj = tilejson_of(&tiles, &base_url(&headers), name)
        .ok_or_else(|| unknown_tileset(&tiles, name))?;
    Ok(Json(tj).into_response())
}

/// `GET /tiles`: every tile set with its TileJSON link.
pub async fn list(
    State(tiles): State<Arc<TileService>>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response> {
    q.allow(&[])?;
    let base = base_url(&headers);
    let sets: Vec<Value> = tiles
        .tilesets
        .iter()
        .map(|(name, set)| {
            json!({
                "name": &**name,
                "source": set.source(),
                "layers": set.layer_names(),
                "tilejson": format!("{base}/tiles/{name}.json"),
                "tiles": format!("{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt"),
            })
        })
        .collect();
    Ok(Json(json!({
        "tilesets": sets,
        "style": format!("{base}/styles/planning.json"),
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_acceptance() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&m)
        };
        assert!(h("gzip"));
        assert!(h("br, gzip;q=0.5"));
        assert!(h("*"));
        assert!(!h("br"));
        assert!(!h("gzip;q=0"));
        assert!(!h("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn tile_paths_parse_strictly() {
        assert_eq!(
            parse_tile_path("14", "12975", "7736.mvt").unwrap(),
            TileCoord {
                z: 14,
                x: 12975,
                y: 7736
            }
        );
        assert!(parse_tile_path("1", "1", "1.pbf").is_ok());
        for (z, x, f) in [
            ("a", "0", "0.mvt"),
            ("-1", "0", "0.mvt"),
            ("1", "+1", "0.mvt"),
            ("1", "0", "2.mvt"),
            ("25", "0", "0.mvt"),
            ("1", "0", "0.png"),
            ("1", "0", ".mvt"),
        ] {
            assert!(parse_tile_path(z, x, f).is_err(), "{z}/{x}/{f}");
        }
    }
}

#[cfg(test)]
mod map_archive_tests {
    use super::map_archive_url;

    #[test]
    fn an_archive_url_is_http_or_a_path_to_a_pmtiles_file_and_nothing_else() {
        for ok in [
            "https://cdn.example.vn/cantho.pmtiles",
            "http://127.0.0.1:8081/tiles/cantho.pmtiles",
            "/static/cantho.pmtiles",
            "https://cdn.example.vn/x.pmtiles?v=2026-12-03",
        ] {
            assert_eq!(map_archive_url(ok).as_deref(), Ok(ok));
        }
        for (bad, says) in [
            ("javascript:alert(1)//x.pmtiles", "not an http(s):// URL"),
            ("//evil.example/x.pmtiles", "not an http(s):// URL"),
            ("file:///etc/passwd.pmtiles", "not an http(s):// URL"),
            ("cantho.pmtiles", "not an http(s):// URL"),
            (
                "https://cdn.example.vn/cantho.mbtiles",
                "does not name a .pmtiles file",
            ),
            ("https://cdn.example.vn", "does not name a .pmtiles file"),
            ("https://cdn.example.vn/a\".pmtiles", "percent-encode"),
            ("https://cdn.example.vn/a b.pmtiles", "percent-encode"),
            ("https://cdn.example.vn/tỉnh.pmtiles", "percent-encode"),
            ("/a<script>.pmtiles", "percent-encode"),
        ] {
            let e = map_archive_url(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let long = format!("https://cdn.example.vn/{}.pmtiles", "a".repeat(3000));
        assert!(map_archive_url(&long).unwrap_err().contains("longer than"));
    }
}
