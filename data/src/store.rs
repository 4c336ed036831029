//! The store: one FlatGeobuf file per layer (with its packed Hilbert R-tree) plus a catalog.
//!
//! ```text
//! STORE/
//!   catalog.json                      layers, plans, bounds, counts, sources, checksums
//!   layers/parcels.<stamp>.fgb        one file per layer version
//!   .lock                             held by a writer
//! ```
//!
//! Writes are atomic: a new layer is written to a temporary file, synced and renamed to a new
//! versioned name; only then is `catalog.json` replaced (again by temp file and rename) to
//! point at it, and the previous file removed. A failed or interrupted import leaves the
//! previous catalog, and every file it points to, untouched.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::plans::Plan;
use crate::schema::{FieldType, Kind};

/// The catalog's file name.
pub const CATALOG_FILE: &str = "catalog.json";
/// Folder of the layer files.
pub const LAYERS_DIR: &str = "layers";
/// Version of the catalog format.
pub const CATALOG_VERSION: u32 = 1;

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file system operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The directory has no catalog.
    #[error("{0} is not a quyhoach store (no catalog.json); import a layer first or run `quyhoach demo`")]
    NotAStore(PathBuf),
    /// The catalog cannot be parsed.
    #[error("catalog {path} is damaged: {reason}")]
    BadCatalog {
        /// The catalog path.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
    /// Another process holds the store's lock.
    #[error("the store {0} is being written by another process; try again when it finishes")]
    Locked(PathBuf),
    /// A plan referenced by layers cannot be removed.
    #[error("plan '{plan}' is used by layer(s) {layers}; remove or re-import them first")]
    PlanInUse {
        /// The plan id.
        plan: String,
        /// The layers.
        layers: String,
    },
    /// A plan id that is not in the catalog.
    #[error(
        "unknown plan '{0}': add it first with `quyhoach plans add` or `quyhoach plans import`"
    )]
    UnknownPlan(String),
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, StoreError>;

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Where a layer came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Path as given.
    pub path: String,
    /// Layer inside the source.
    pub layer: String,
    /// GDAL driver.
    pub driver: String,
    /// The SRS asked for (`vn2000:kien-giang`, `prj`, …).
    pub srs: String,
    /// The definition used (PROJ string or WKT).
    pub srs_definition: String,
    /// Text encoding found or forced.
    pub encoding: String,
    /// How areas were measured (`planar` in the source CRS, or `geodesic`).
    pub measure: crate::srs::Measure,
}

/// A column of a layer file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Meaning.
    pub doc: String,
}

/// One layer in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerEntry {
    /// Kind.
    pub kind: Kind,
    /// File name relative to the store.
    pub file: String,
    /// Number of features.
    pub count: u64,
    /// WGS 84 bounds `[west, south, east, north]`.
    pub bounds: [f64; 4],
    /// Plan, for zones and red lines imported with `--plan`.
    #[serde(default)]
    pub plan: Option<String>,
    /// Plans referenced by the features.
    #[serde(default)]
    pub plans: Vec<String>,
    /// Columns.
    pub columns: Vec<ColumnInfo>,
    /// Source.
    pub source: SourceInfo,
    /// SHA-256 of the layer file.
    pub sha256: String,
    /// Import time, RFC 3339 UTC.
    pub imported_at: String,
    /// Import summary counts.
    pub summary: BTreeMap<String, u64>,
}

/// The catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Format version.
    pub version: u32,
    /// Layers by id.
    pub layers: BTreeMap<String, LayerEntry>,
    /// Plans by id.
    pub plans: BTreeMap<String, Plan>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            version: CATALOG_VERSION,
            layers: BTreeMap::new(),
            plans: BTreeMap::new(),
        }
    }
}

/// A store directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    /// The catalog as last read or written.
    pub catalog: Catalog,
}

/// An exclusive write lock on a store, released on drop.
///
/// It is an `flock` on `STORE/.lock`, which belongs to the open file description: two threads
/// (each opening the file) or two processes exclude each other. Dropping it unlocks explicitly
/// before closing, because closing is not enough: a child process spawned by any thread of this
/// process holds a copy of every descriptor between its fork and its exec (when close-on-exec
/// descriptors are closed), and an `flock` stays held until *every* copy is closed. Without the
/// explicit unlock, a test thread spawning `ogr2ogr` at the wrong moment kept another thread's
/// released lock alive, and that thread's next lock on its own fresh store failed with
/// "being written by another process" (`data/tests/store_lock.rs`).
#[derive(Debug)]
pub struct WriteLock {
    file: File,
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        // Releases the lock for every copy of the descriptor (see above), then closes ours.
        let _ = self.file.unlock();
    }
}

impl Store {
    /// Opens an existing store.
    pub fn open(dir: &Path) -> Result<Store> {
        let path = dir.join(CATALOG_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NotAStore(dir.to_path_buf()))
            }
            Err(e) => return Err(io_err("cannot read", &path)(e)),
        };
        let catalog: Catalog = serde_json::from_str(&text).map_err(|e| StoreError::BadCatalog {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(Store {
            dir: dir.to_path_buf(),
            catalog,
        })
    }

    /// Opens a store, creating an empty one if the directory has none.
    pub fn open_or_create(dir: &Path) -> Result<Store> {
        match Store::open(dir) {
            Err(StoreError::NotAStore(_)) => {
                fs::create_dir_all(dir.join(LAYERS_DIR)).map_err(io_err("cannot create", dir))?;
                Ok(Store {
                    dir: dir.to_path_buf(),
                    catalog: Catalog::default(),
                })
            }
            other => other,
        }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Full path of a layer's file.
    pub fn layer_path(&self, entry: &LayerEntry) -> PathBuf {
        self.dir.join(&entry.file)
    }

    /// Takes the store's write lock (non-blocking: fails if another writer holds it).
    pub fn lock(&self) -> Result<WriteLock> {
        fs::create_dir_all(&self.dir).map_err(io_err("cannot create", &self.dir))?;
        let path = self.dir.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("cannot open", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(WriteLock { file }),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked(self.dir.clone())),
            Err(fs::TryLockError::Error(e)) => Err(io_err("cannot lock", &path)(e)),
        }
    }

    /// Re-reads the catalog from disk (call after taking the lock).
    pub fn reload(&mut self) -> Result<()> {
        match Store::open(&self.dir) {
            Ok(s) => {
                self.catalog = s.catalog;
                Ok(())
            }
            Err(StoreError::NotAStore(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A new temporary file inside the store (same file system, so rename is atomic).
    pub fn temp_path(&self, stem: &str) -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        self.dir
            .join(LAYERS_DIR)
            .join(format!(".tmp-{stem}-{}-{nanos}", std::process::id()))
    }

    /// Temporary files left by interrupted (killed) imports and catalog writes, with their
    /// sizes: `layers/.tmp-*` (a layer file being written) and `.catalog.json.tmp-*`. Only a
    /// writer holding the lock makes them, so without the lock every one is a leftover.
    pub fn temp_files(&self) -> Vec<(PathBuf, u64)> {
        let catalog_tmp = format!(".{CATALOG_FILE}.tmp-");
        let mut out = Vec::new();
        for (dir, prefix) in [
            (self.dir.join(LAYERS_DIR), ".tmp-"),
            (self.dir.clone(), catalog_tmp.as_str()),
        ] {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(prefix) {
                    let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                    out.push((e.path(), size));
                }
            }
        }
        out.sort();
        out
    }

    /// Removes the temporary files left by interrupted imports (only under the lock, so none
    /// belongs to a running writer); returns how many were removed and their bytes.
    pub fn clean_temp(&self, _lock: &WriteLock) -> (u64, u64) {
        let (mut files, mut bytes) = (0, 0);
        for (path, size) in self.temp_files() {
            if fs::remove_file(&path).is_ok() {
                files += 1;
                bytes += size;
            }
        }
        (files, bytes)
    }

    /// Moves a finished temporary layer file into place and records it in the catalog, then
    /// removes the file of the layer version it replaces.
    pub fn commit_layer(
        &mut self,
        _lock: &WriteLock,
        id: &str,
        temp: &Path,
        mut entry: LayerEntry,
    ) -> Result<()> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let file = format!("{LAYERS_DIR}/{id}.{stamp}.fgb");
        let dest = self.dir.join(&file);
        // Errors name the store, not the temporary file.
        sync_file(temp).map_err(|e| match e {
            StoreError::Io { what, source, .. } => StoreError::Io {
                what,
                path: self.dir.clone(),
                source,
            },
            e => e,
        })?;
        fs::rename(temp, &dest).map_err(io_err("cannot move into place", &dest))?;
        entry.file = file;
        let previous = self.catalog.layers.insert(id.to_string(), entry);
        if let Err(e) = self.write_catalog() {
            // Roll back: the old catalog is still on disk; drop the new file.
            let _ = fs::remove_file(&dest);
            if let Some(p) = previous {
                self.catalog.layers.insert(id.to_string(), p);
            } else {
                self.catalog.layers.remove(id);
            }
            return Err(e);
        }
        if let Some(p) = previous {
            if p.file != self.catalog.layers[id].file {
                // The new version is committed; an old file left behind costs only space.
                let old = self.dir.join(&p.file);
                if let Err(e) = fs::remove_file(&old) {
                    tracing::warn!(path = %old.display(), %e, "the replaced layer file was not removed");
                }
            }
        }
        Ok(())
    }

    /// Adds or replaces plans.
    pub fn put_plans(&mut self, _lock: &WriteLock, plans: Vec<Plan>) -> Result<()> {
        let before = self.catalog.clone();
        for p in plans {
            self.catalog.plans.insert(p.id.clone(), p);
        }
        self.write_catalog().inspect_err(|_| self.catalog = before)
    }

    /// Removes a plan that no layer uses.
    pub fn remove_plan(&mut self, _lock: &WriteLock, id: &str) -> Result<()> {
        if !self.catalog.plans.contains_key(id) {
            return Err(StoreError::UnknownPlan(id.to_string()));
        }
        let users: Vec<&str> = self
            .catalog
            .layers
            .iter()
            .filter(|(_, l)| l.plans.iter().any(|p| p == id))
            .map(|(k, _)| k.as_str())
            .collect();
        if !users.is_empty() {
            return Err(StoreError::PlanInUse {
                plan: id.to_string(),
                layers: users.join(", "),
            });
        }
        let before = self.catalog.clone();
        self.catalog.plans.remove(id);
        self.write_catalog().inspect_err(|_| self.catalog = before)
    }

    /// Writes the catalog atomically.
    fn write_catalog(&self) -> Result<()> {
        let path = self.dir.join(CATALOG_FILE);
        let tmp = self
            .dir
            .join(format!(".{CATALOG_FILE}.tmp-{}", std::process::id()));
        let text = serde_json::to_string_pretty(&self.catalog).map_err(|e| StoreError::Io {
            what: "cannot serialise",
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        {
            let mut f = File::create(&tmp).map_err(io_err("cannot create", &tmp))?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(io_err("cannot write", &tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io_err("cannot replace", &path))?;
        // The rename is done and the import succeeds; without the directory's fsync a power
        // cut soon after may still bring the old catalog back, so say so.
        if let Err(e) = File::open(&self.dir).and_then(|d| d.sync_all()) {
            tracing::warn!(dir = %self.dir.display(), %e, "the store directory was not synced");
        }
        Ok(())
    }
}

/// A size for people: `512 B`, `1.2 kB`, `3.4 MB`, `5.6 GB` (decimal units).
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b / 1e6),
        _ => format!("{:.1} GB", b / 1e9),
    }
}

fn sync_file(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err("cannot sync", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_store_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::NotAStore(_)));
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(dir.path()).unwrap();
        let lock = store.lock().unwrap();
        let other = Store::open_or_create(dir.path()).unwrap();
        assert!(matches!(other.lock(), Err(StoreError::Locked(_))));
        drop(lock);
        assert!(other.lock().is_ok());
    }

    #[test]
    fn leftover_temporary_files_are_listed_and_removed_under_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(dir.path()).unwrap();
        fs::write(dir.path().join("layers/.tmp-parcels-1-2"), vec![0u8; 1500]).unwrap();
        fs::write(dir.path().join(".catalog.json.tmp-7"), b"{}").unwrap();
        fs::write(dir.path().join("layers/parcels.1.fgb"), b"kept").unwrap();
        let found = store.temp_files();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found.iter().map(|(_, s)| s).sum::<u64>(), 1502);
        let lock = store.lock().unwrap();
        assert_eq!(store.clean_temp(&lock), (2, 1502));
        assert!(store.temp_files().is_empty());
        assert!(dir.path().join("layers/parcels.1.fgb").exists());
        assert_eq!(human_bytes(1502), "1.5 kB");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
    }

    #[test]
    fn damaged_catalog_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CATALOG_FILE), "{ not json").unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::BadCatalog { .. })
        ));
    }
}
