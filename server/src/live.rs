//! The store as the running server sees it, swapped when an import changes it.
//!
//! An import commits by renaming a new `catalog.json` over the old one. The server checks the
//! catalog every [`DEFAULT_RELOAD_INTERVAL`] (and at once on `SIGHUP`); when it changed, it
//! loads the new store beside the old one, builds a new router (new data version: new ETags,
//! an empty tile cache) and swaps it in atomically. Requests already running finish on the
//! old store; every request that arrives after the swap gets the new one; none fails. If the
//! new store cannot be loaded (an import still writing, a broken file), the old one stays and
//! the next check tries again. For a moment both stores are in memory.
//!
//! A PostGIS store (`postgresql://…`) is watched the same way: its stamp is a hash of the
//! catalog tables (an import commits a new table name and entry), read from the primary or a
//! replica; a change opens a new [`PgData`] (catalog, communes, search terms) and swaps it
//! in. Servers on a replica see an import when the replica has replayed its commit.

use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::{ArcSwap, ArcSwapOption};
use axum::Router;
use quyhoach_data::index::Index;
use quyhoach_data::lookup::Store;
use quyhoach_data::pg::planning::PgData;
use quyhoach_data::store::CATALOG_FILE;

use axum::extract::FromRef;

use crate::portal::PortalState;
use crate::state::{AppState, ServerConfig};
use crate::tiles::TileConfig;

/// How often the catalog is checked for a new import.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// What identifies a version of the store without loading it: a catalog file's metadata, or
/// a hash of a database's catalog tables.
#[derive(Clone, Debug, PartialEq)]
enum Stamp {
    File {
        len: u64,
        modified: Option<SystemTime>,
        inode: u64,
    },
    Database(String),
}

/// Where the served data is.
#[derive(Clone, Debug)]
pub enum Source {
    /// An embedded store's directory.
    Dir(PathBuf),
    /// A PostGIS database (`postgresql://…`).
    Database(String),
}

impl Source {
    /// A `--store` value: a `postgresql://` URL or a directory.
    pub fn of(store: &Path) -> Source {
        let text = store.to_string_lossy();
        if quyhoach_data::pg::is_url(&text) {
            Source::Database(text.into_owned())
        } else {
            Source::Dir(store.to_path_buf())
        }
    }

    /// To show: the directory, or the URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Source::Dir(d) => d.display().to_string(),
            Source::Database(url) => quyhoach_data::pg::shown_url(url),
        }
    }

    /// The stamp now; a database's asked on `open`'s connections when there is one (a
    /// server polls every few seconds: no new connection per poll).
    fn stamp(&self, open: Option<&PgData>) -> Option<Stamp> {
        match self {
            Source::Dir(store) => {
                let m = std::fs::metadata(store.join(CATALOG_FILE)).ok()?;
                Some(Stamp::File {
                    len: m.len(),
                    modified: m.modified().ok(),
                    inode: std::os::unix::fs::MetadataExt::ino(&m),
                })
            }
            Source::Database(url) => match open {
                Some(pg) => pg.catalog_stamp().map_err(|e| e.to_string()),
                None => quyhoach_data::pg::catalog_stamp(url).map_err(|e| e.to_string()),
            }
            .map_err(|e| tracing::warn!("checking the database's catalog: {e}"))
            .ok()
            .map(Stamp::Database),
        }
    }

    /// Loads the store: the index into memory, or a database's catalog (and, for a server,
    /// its search terms).
    pub fn load(&self, progress: bool) -> anyhow::Result<Loaded> {
        Ok(match self {
            Source::Dir(d) => Loaded::from(Index::load_with_progress(d, progress)?),
            Source::Database(url) => {
                let data = Arc::new(PgData::open(url)?);
                data.prepare_search()?;
                Loaded {
                    store: data.clone(),
                    pg: Some(data),
                }
            }
        })
    }
}

/// A loaded version of the store.
#[derive(Clone)]
pub struct Loaded {
    /// What the server asks.
    pub store: Arc<dyn Store>,
    /// The same, when it is a database (its connections also watch the catalog).
    pg: Option<Arc<PgData>>,
}

impl From<Index> for Loaded {
    fn from(index: Index) -> Loaded {
        Loaded {
            store: Arc::new(index),
            pg: None,
        }
    }
}

/// The served store and its router.
pub struct Live {
    store: Source,
    tiles: TileConfig,
    server: Arc<ServerConfig>,
    current: ArcSwap<(AppState, Router)>,
    pg: ArcSwapOption<PgData>,
    stamp: Mutex<Option<Stamp>>,
}

impl Live {
    /// Serves `index`, loaded from `store`.
    pub fn new(
        store: &Path,
        index: Index,
        tiles: TileConfig,
        server: Arc<ServerConfig>,
    ) -> anyhow::Result<Self> {
        Self::serve(Source::of(store), Loaded::from(index), tiles, server)
    }

    /// Serves `data`, loaded from `store`.
    pub fn serve(
        store: Source,
        data: Loaded,
        tiles: TileConfig,
        server: Arc<ServerConfig>,
    ) -> anyhow::Result<Self> {
        let before = store.stamp(data.pg.as_deref());
        let state = AppState::with_config(data.store, &tiles, server.clone())?;
        let router = crate::app(state.clone());
        // Followed parcels whose planning changed while the server was down.
        crate::portal::alerts::on_data(&PortalState::from_ref(&state));
        Ok(Live {
            store,
            tiles,
            server,
            current: ArcSwap::from_pointee((state, router)),
            pg: ArcSwapOption::new(data.pg),
            stamp: Mutex::new(before),
        })
    }

    /// The router for a request arriving now.
    pub fn router(&self) -> Router {
        self.current.load().1.clone()
    }

    /// The state served now.
    pub fn state(&self) -> AppState {
        self.current.load().0.clone()
    }

    /// Loads the store again if its catalog changed since the last load; true if it did.
    /// Blocking (loading takes seconds for a province).
    pub fn reload_if_changed(&self) -> anyhow::Result<bool> {
        let now = self.store.stamp(self.pg.load().as_deref());
        {
            let last = self
                .stamp
                .lock()
                .map_err(|_| anyhow::anyhow!("reload lock poisoned"))?;
            if *last == now {
                return Ok(false);
            }
        }
        self.reload(now)?;
        Ok(true)
    }

    /// Loads the store again now.
    pub fn reload_now(&self) -> anyhow::Result<()> {
        self.reload(self.store.stamp(self.pg.load().as_deref()))
    }

    fn reload(&self, seen: Option<Stamp>) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        let data = self.store.load(false)?;
        let old = self.current.load_full();
        let mut state = AppState::with_config(data.store, &self.tiles, self.server.clone())?;
        // The label fonts do not change with the data: keep what is rendered.
        state.glyphs = old.0.glyphs.clone();
        let changed = state.etag != old.0.etag;
        let router = crate::app(state.clone());
        self.current.store(Arc::new((state, router)));
        self.pg.store(data.pg);
        if let Ok(mut s) = self.stamp.lock() {
            *s = seen;
        }
        if changed {
            // Tell the followers of every parcel whose zones or red lines changed.
            crate::portal::alerts::on_data(&PortalState::from_ref(&self.current.load().0));
            println!(
                "reloaded {} in {:.1}s: data version {}",
                self.store.shown(),
                t0.elapsed().as_secs_f64(),
                self.current.load().0.etag
            );
        }
        Ok(())
    }

    /// Checks the catalog every `interval` (if any) and on `SIGHUP`, until the process ends.
    pub async fn watch(self: Arc<Self>, interval: Option<Duration>) {
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            let forced = {
                let tick = async {
                    match interval {
                        Some(i) => tokio::time::sleep(i).await,
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(unix)]
                let signal = async {
                    match hup.as_mut() {
                        Some(h) => {
                            h.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let signal = std::future::pending::<()>();
                tokio::select! {
                    () = tick => false,
                    () = signal => true,
                }
            };
            let me = self.clone();
            let r = tokio::task::spawn_blocking(move || {
                if forced {
                    me.reload_now().map(|()| true)
                } else {
                    me.reload_if_changed()
                }
            })
            .await;
            match r {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(
                    "reloading the store: {e:#}; still serving the data loaded before"
                ),
                Err(e) => tracing::error!("reload task: {e}"),
            }
        }
    }
}
