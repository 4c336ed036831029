//! The server's state: every service over one loaded store, composed. The top of the
//! server's module graph: it names the services (tiles, glyphs, the API's caches, the page,
//! the portal) and hands each handler only the part it takes (`FromRef`); no service
//! module names [`AppState`].

use std::sync::Arc;

use quyhoach_data::lookup::Store;

use axum::extract::FromRef;

use crate::api::{ApiState, ReportCache};
use crate::glyphs::{Glyphs, DEFAULT_FONTS_DIR};
use crate::page::{page_cache, PageCache, PageState};
use crate::portal::PortalState;
use crate::tiles::{TileConfig, TileService, DEFAULT_TILE_CACHE_BYTES};
use crate::upload::Uploads;
use crate::version::data_etag;

/// Shared state of the service; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The loaded store.
    pub index: Arc<dyn Store>,
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
    pub pages: Arc<PageCache>,
    /// Finished parcel reports of this data version (JSON and its gzip).
    pub(crate) reports: Arc<ReportCache>,
    /// What does not change with the data: upload readers, proxies, the public address.
    pub server: Arc<ServerConfig>,
    /// The lessons generated from this data (built on first use).
    pub lessons: Arc<crate::portal::lessons::LessonCache>,
}

impl FromRef<AppState> for Arc<TileService> {
    fn from_ref(st: &AppState) -> Self {
        st.tiles.clone()
    }
}

impl FromRef<AppState> for Arc<Glyphs> {
    fn from_ref(st: &AppState) -> Self {
        st.glyphs.clone()
    }
}

impl FromRef<AppState> for Arc<ServerConfig> {
    fn from_ref(st: &AppState) -> Self {
        st.server.clone()
    }
}

impl FromRef<AppState> for Uploads {
    fn from_ref(st: &AppState) -> Self {
        st.server.uploads.clone()
    }
}

impl FromRef<AppState> for ApiState {
    fn from_ref(st: &AppState) -> Self {
        ApiState {
            index: st.index.clone(),
            etag: st.etag.clone(),
            reports: st.reports.clone(),
        }
    }
}

impl FromRef<AppState> for PageState {
    fn from_ref(st: &AppState) -> Self {
        PageState {
            index: st.index.clone(),
            etag: st.etag.clone(),
            web_dir: st.web_dir.clone(),
            pages: st.pages.clone(),
        }
    }
}

/// Made once per router (the portal's routes get it with `with_state`), not per request.
impl FromRef<AppState> for PortalState {
    fn from_ref(st: &AppState) -> Self {
        PortalState {
            index: st.index.clone(),
            etag: st.etag.clone(),
            reports: st.reports.clone(),
            portal: Arc::new(st.server.portal.clone()),
            proxies: st.server.proxies.clone(),
            uploads: st.server.uploads.clone(),
            lessons: st.lessons.clone(),
            glyphs: st.glyphs.clone(),
        }
    }
}

/// The server's settings that outlive a data reload.
#[derive(Clone, Default)]
pub struct ServerConfig {
    /// How uploaded files are read (a sandboxed child process).
    pub uploads: Uploads,
    /// Which peers may set `X-Forwarded-*`, and the public base URL if configured.
    pub proxies: crate::proxy::Proxies,
    /// The portal's state database, lessons, workshops and practice imports.
    pub portal: crate::portal::PortalConfig,
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
    pub fn new(index: quyhoach_data::index::Index) -> Self {
        Self::from_arc(Arc::new(index))
    }

    /// Wraps a shared index, with the default tile settings.
    pub fn from_arc(index: Arc<dyn Store>) -> Self {
        let etag = data_etag(&*index, &[]);
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
        index: Arc<dyn Store>,
        config: &TileConfig,
        server: Arc<ServerConfig>,
    ) -> anyhow::Result<Self> {
        let mut tiles = TileService::new(&index, &data_etag(&*index, &[]), config.cache_bytes);
        for a in &config.archives {
            tiles.add_archive(a)?;
        }
        tiles.map_archive = config.map_archive.clone();
        // The archives are part of the data version of TileJSON and styles.
        let etag = data_etag(&*index, &tiles.archive_versions());
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
