//! What every handler shares: the loaded index and the data version.

use std::sync::Arc;

use axum::http::{header, HeaderMap};
use quyhoach_data::index::Index;

use crate::glyphs::{Glyphs, DEFAULT_FONTS_DIR};
use crate::tiles::{TileConfig, TileService, DEFAULT_TILE_CACHE_BYTES};
use sha2::{Digest, Sha256};

/// Shared state of the service; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The loaded store.
    pub index: Arc<Index>,
    /// Weak entity tag of the data version: a hash of every layer's SHA-256, the plans and
    /// this server's version. Any re-import or plan change gives a new tag.
    pub etag: Arc<str>,
    /// Tile sets and the tile cache.
    pub tiles: Arc<TileService>,
    /// Glyphs of the map's labels.
    pub glyphs: Arc<Glyphs>,
    /// The built web app (`web/dist`), served at `/` when present.
    pub web_dir: Option<Arc<std::path::PathBuf>>,
    /// The page's server-rendered parts, per data version, link and language.
    pub pages: Arc<moka::future::Cache<String, Arc<crate::page::Rendered>>>,
    /// Finished parcel reports of this data version (JSON and its gzip).
    pub(crate) reports: Arc<crate::api::ReportCache>,
    /// What does not change with the data: upload readers, proxies, the public address.
    pub server: Arc<ServerConfig>,
    /// The lessons generated from this data (built on first use).
    pub lessons: Arc<crate::portal::lessons::LessonCache>,
}

impl axum::extract::FromRef<AppState> for Arc<TileService> {
    fn from_ref(st: &AppState) -> Self {
        st.tiles.clone()
    }
}

/// The server's settings that outlive a data reload.
#[derive(Clone, Default)]
pub struct ServerConfig {
    /// How uploaded files are read (a sandboxed child process).
    pub uploads: crate::upload::Uploads,
    /// Which peers may set `X-Forwarded-*`, and the public base URL if configured.
    pub proxies: crate::proxy::Proxies,
    /// The portal's state database, lessons, workshops and practice imports.
    pub portal: crate::portal::PortalConfig,
}

/// Rendered pages kept: the default view and the most shared parcel links.
const PAGE_CACHE_ENTRIES: u64 = 512;

fn page_cache() -> Arc<moka::future::Cache<String, Arc<crate::page::Rendered>>> {
    Arc::new(moka::future::Cache::new(PAGE_CACHE_ENTRIES))
}

/// Where the built web app is: `QUYHOACH_WEB_DIR`, else `web/dist` under the current
/// directory, else `web/dist` of the source tree the binary was built in
/// (`target/release/quyhoach` → `../../web/dist`). `None` when it has not been built.
pub fn default_web_dir() -> Option<std::path::PathBuf> {
    if let Ok(d) = std::env::var("QUYHOACH_WEB_DIR") {
        return Some(std::path::PathBuf::from(d));
    }
    let mut candidates = vec![std::path::PathBuf::from("web/dist")];
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|p| p.to_path_buf()))
    {
        candidates.push(exe_dir.join("../../web/dist"));
        candidates.push(exe_dir.join("../../../web/dist"));
    }
    candidates
        .into_iter()
        .find(|p| p.join("index.html").is_file())
}

impl AppState {
    /// Wraps a loaded index.
    pub fn new(index: Index) -> Self {
        Self::from_arc(Arc::new(index))
    }

    /// Wraps a shared index, with the default tile settings.
    pub fn from_arc(index: Arc<Index>) -> Self {
        let etag = data_etag(&index, &[]);
        let tiles = TileService::new(&index, &etag, DEFAULT_TILE_CACHE_BYTES);
        AppState {
            index,
            etag: Arc::from(etag),
            tiles: Arc::new(tiles),
            glyphs: Arc::new(Glyphs::new(std::path::Path::new(DEFAULT_FONTS_DIR))),
            web_dir: default_web_dir().map(Arc::new),
            pages: page_cache(),
            reports: crate::api::report_cache(),
            server: Arc::new(ServerConfig::default()),
            lessons: Arc::default(),
        }
    }

    /// Wraps a shared index with tile settings (cache size, archives to serve, fonts) and
    /// the server's settings.
    pub fn with_config(
        index: Arc<Index>,
        config: &TileConfig,
        server: Arc<ServerConfig>,
    ) -> anyhow::Result<Self> {
        let mut tiles = TileService::new(&index, &data_etag(&index, &[]), config.cache_bytes);
        for a in &config.archives {
            tiles.add_archive(a)?;
        }
        // The archives are part of the data version of TileJSON and styles.
        let etag = data_etag(&index, &tiles.archive_versions());
        Ok(AppState {
            index,
            etag: Arc::from(etag),
            tiles: Arc::new(tiles),
            glyphs: Arc::new(Glyphs::new(&config.fonts_dir)),
            web_dir: default_web_dir().map(Arc::new),
            pages: page_cache(),
            reports: crate::api::report_cache(),
            server,
            lessons: Arc::default(),
        })
    }
}

/// The weak ETag of the data: the store's layers and plans, the archives served and this
/// server's version.
pub(crate) fn data_etag(index: &Index, archive_versions: &[String]) -> String {
    {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        let cat = index.catalog();
        for (id, l) in &cat.layers {
            h.update(id.as_bytes());
            h.update(l.sha256.as_bytes());
        }
        // Plans change without any layer changing (a decision is recorded or adjusted).
        h.update(serde_json::to_vec(&cat.plans).unwrap_or_default());
        for v in archive_versions {
            h.update(v.as_bytes());
        }
        let digest = h.finalize();
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("W/\"{hex}\"")
    }
}

/// The absolute base URL of this service as the client reached it (`http://host:port`),
/// from `X-Forwarded-Proto`/`X-Forwarded-Host` behind a proxy or the `Host` header.
/// OGC API links must be absolute for some clients (GDAL, ogctests), so they are built
/// from this.
pub fn base_url(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()))
    };
    let proto = get("x-forwarded-proto")
        .filter(|p| p == "http" || p == "https")
        .unwrap_or_else(|| "http".to_string());
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .filter(|h| !h.contains(['/', '\\', '"', '<', '>']))
        .unwrap_or_else(|| "localhost".to_string());
    format!("{proto}://{host}")
}
