//! The portal's state database: one SQLite file for every piece of state the portal keeps
//! beyond the (read-only) store — workshops and their progress today, questions and
//! consultations later.
//!
//! - **One store, numbered migrations.** The schema is built by [`MIGRATIONS`] (the files
//!   `server/migrations/NNNN_*.sql`, compiled in; `PRAGMA user_version` holds the number
//!   applied). A later feature adds its tables in a new file at the end of the list.
//! - **Durable.** WAL journal with `synchronous=FULL`: a write the server has answered is
//!   on disk, even if the process is killed (`kill -9`) or the machine loses power right
//!   after. `foreign_keys` on, so deleting a workshop deletes its trainees.
//! - **Never blocks the async runtime.** One connection behind a mutex, used from
//!   [`Db::with`] on tokio's blocking pool. SQLite serialises writers anyway; the portal's
//!   writes are a few small rows each.
//! - **Retention.** [`Db::open`] deletes expired rows at once and then every
//!   [`SWEEP_INTERVAL`] on a background thread (see [`super::DB_SWEEPS`]).
//! - **Backups** with SQLite's online backup API ([`backup`]): `quyhoach db backup`.
//!
//! See `docs/portal-state.md`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Migrations, M};

/// The schema's migrations (SQL), in order; the database's `user_version` is how many were
/// applied. Append only: a released migration never changes.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_workshops.sql"),
    include_str!("../../migrations/0002_accounts.sql"),
    include_str!("../../migrations/0003_feedback.sql"),
    include_str!("../../migrations/0004_consultations.sql"),
    include_str!("../../migrations/0005_alerts.sql"),
    include_str!("../../migrations/0006_notices.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// How long a statement waits for another connection's lock (a backup, `quyhoach db info`)
/// before giving up with "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often expired rows are deleted while the server runs.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// A feature's function deleting its expired rows; returns how many top-level rows went.
pub type Sweep = fn(&Connection) -> rusqlite::Result<usize>;

/// Errors of [`Db::with`].
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The blocking task running the closure failed (it panicked or was cancelled).
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The open database; share it as `Arc<Db>`.
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

/// Sets the connection's pragmas: WAL, full sync, busy timeout, foreign keys.
/// Opens tried before "database is locked" is given up (about 4 s of waiting in all).
const OPEN_ATTEMPTS: u32 = 12;

/// Whether an open may succeed when tried again: another connection held the lock, or
/// migrated the schema under this one (its migration then fails on "table … already
/// exists", and the next try sees the new user_version and has nothing to do).
fn is_busy(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<rusqlite_migration::Error>().is_some()
            || c.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
                matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                )
            })
    })
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode answers with the mode set; WAL stays set in the file.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(%mode, "the portal database is not in WAL mode (its file system may not support it)");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// Runs every sweep; logs what went.
fn sweep(conn: &Connection) {
    for (what, f) in super::DB_SWEEPS {
        match f(conn) {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, what, "portal database: deleted expired rows"),
            Err(e) => tracing::error!(%e, what, "portal database: the sweep failed"),
        }
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A closure that panicked leaves the connection usable: rusqlite rolls back an open
    // transaction when it is dropped.
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Db {
    /// Opens (creating and migrating) the database at `path`, deletes expired rows, and
    /// starts the hourly sweep (a thread that ends when the `Db` is dropped).
    pub fn open(path: &Path) -> anyhow::Result<Db> {
        let db = Db::open_without_sweeper(path)?;
        let weak = Arc::downgrade(&db.conn);
        std::thread::Builder::new()
            .name("portal-db-sweep".into())
            .spawn(move || sweeper(weak))
            .context("starting the sweep thread")?;
        Ok(db)
    }

    /// [`Db::open`] without the background thread (the sweep at open still runs): for
    /// commands and tests.
    pub fn open_without_sweeper(path: &Path) -> anyhow::Result<Db> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the directory {}", dir.display()))?;
        }
        // Several servers may open one file at the same moment (tests, a restart overlapping
        // the old process): SQLite then answers "database is locked" to the loser of the
        // WAL switch or of the migration's write transaction without waiting on the busy
        // timeout. The migration is idempotent (user_version), so the open is simply retried.
        let mut attempt = 0;
        let conn = loop {
            attempt += 1;
            let tried = Connection::open(path)
                .map_err(anyhow::Error::from)
                .and_then(|mut conn| {
                    configure(&conn)?;
                    migrations()
                        .to_latest(&mut conn)
                        .context("migrating the schema")?;
                    Ok(conn)
                });
            match tried {
                Ok(conn) => break conn,
                Err(e) if attempt < OPEN_ATTEMPTS && is_busy(&e) => {
                    std::thread::sleep(Duration::from_millis(50 * attempt as u64));
                }
                Err(e) => return Err(e),
            }
        };
        sweep(&conn);
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection on tokio's blocking pool (the async runtime never waits
    /// on SQLite). `f` returns its own result, errors included; this adds only a failed task.
    pub async fn with<T, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut Connection) -> T + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.conn.clone();
        Ok(tokio::task::spawn_blocking(move || f(&mut lock(&conn))).await?)
    }

    /// Runs `f` with the connection on this thread (commands, tests, sweeps).
    pub fn with_blocking<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut lock(&self.conn))
    }

    /// Deletes expired rows now (also done at open and hourly).
    pub fn sweep(&self) {
        self.with_blocking(|c| sweep(c));
    }
}

fn sweeper(conn: Weak<Mutex<Connection>>) {
    loop {
        std::thread::sleep(SWEEP_INTERVAL);
        let Some(conn) = conn.upgrade() else { return };
        sweep(&lock(&conn));
    }
}

/// `quyhoach db …`
#[derive(clap::Subcommand)]
pub enum DbCommand {
    /// Copy the database, consistently, while the server runs (SQLite's online backup):
    /// written to a temporary file next to OUT (its directory is created), checked, then
    /// renamed to OUT.
    Backup {
        /// The portal database (default of `serve`: portal.sqlite in the store directory).
        #[arg(long, env = "QUYHOACH_DB", value_name = "FILE")]
        db: PathBuf,
        /// The backup file to write (replaced if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the schema version and how many rows each table holds.
    Info {
        /// The portal database.
        #[arg(long, env = "QUYHOACH_DB", value_name = "FILE")]
        db: PathBuf,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `db` command.
pub fn run(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Backup { db, out } => {
            let written = backup(&db, &out)?;
            println!(
                "wrote {} ({} bytes, schema version {}, {})",
                out.display(),
                written.bytes,
                written.info.schema_version,
                counts_line(&written.info)
            );
            Ok(())
        }
        DbCommand::Info { db, json } => {
            let conn = open_existing(&db)?;
            let i = info(&conn)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&i.to_json(&db))?);
            } else {
                let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                println!("database        {}", db.display());
                println!(
                    "schema version  {} (this program knows {})",
                    i.schema_version,
                    MIGRATIONS.len()
                );
                println!("file            {} bytes", size(&db));
                println!("write-ahead log {} bytes", size(&wal_path(&db)));
                for (t, n) in &i.tables {
                    println!("{t:<15} {n} rows");
                }
            }
            Ok(())
        }
    }
}

fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

/// Opens an existing database for a command (never creates one, never migrates it).
fn open_existing(path: &Path) -> anyhow::Result<Connection> {
    if !path.is_file() {
        anyhow::bail!(
            "{} is not a file (the portal database: --db FILE)",
            path.display()
        );
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// What a database holds.
#[derive(Debug, Clone)]
pub struct Info {
    /// The migrations applied (`PRAGMA user_version`).
    pub schema_version: i64,
    /// Every table of the portal and its row count.
    pub tables: Vec<(String, i64)>,
}

impl Info {
    fn to_json(&self, path: &Path) -> serde_json::Value {
        serde_json::json!({
            "database": path.display().to_string(),
            "schema_version": self.schema_version,
            "known_version": MIGRATIONS.len(),
            "tables": self.tables.iter().map(|(t, n)| (t.clone(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

fn counts_line(i: &Info) -> String {
    i.tables
        .iter()
        .map(|(t, n)| format!("{t}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The schema version and the row count of every table.
pub fn info(conn: &Connection) -> anyhow::Result<Info> {
    let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut tables = Vec::new();
    for name in names {
        // The names come from the schema, quoted as identifiers all the same.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {quoted}"), [], |r| r.get(0))?;
        tables.push((name, n));
    }
    Ok(Info {
        schema_version,
        tables,
    })
}

/// What [`backup`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The size of the backup file.
    pub bytes: u64,
    /// What the backup holds.
    pub info: Info,
}

/// Pages copied per step of the online backup; between steps the server may write.
const BACKUP_PAGES_PER_STEP: i32 = 256;
/// How many times in a row a backup step may find the database busy before giving up.
const BACKUP_MAX_BUSY: u32 = 500;

/// Copies the database at `db` to `out` with SQLite's online backup API (consistent while
/// the server writes), into a temporary file next to `out` that is checked
/// (`PRAGMA integrity_check`), switched to a single self-contained file (no WAL), synced,
/// and only then renamed to `out`.
pub fn backup(db: &Path, out: &Path) -> anyhow::Result<Written> {
    use rusqlite::backup::{Backup, StepResult};
    let src = open_existing(db)?;
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .context("--out must name a file")?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = (|| -> anyhow::Result<Written> {
        let _ = std::fs::remove_file(&tmp);
        {
            let mut dst =
                Connection::open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
            {
                let b = Backup::new(&src, &mut dst)?;
                let mut busy = 0;
                loop {
                    match b.step(BACKUP_PAGES_PER_STEP)? {
                        StepResult::Done => break,
                        StepResult::More => busy = 0,
                        StepResult::Busy | StepResult::Locked => {
                            busy += 1;
                            if busy > BACKUP_MAX_BUSY {
                                anyhow::bail!("the database stayed busy; try again");
                            }
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            }
            let check: String = dst.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if check != "ok" {
                anyhow::bail!("the copy failed its integrity check: {check}");
            }
            // One file, readable by any SQLite without its -wal and -shm.
            let _: String = dst.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        }
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, out)
            .with_context(|| format!("renaming {} to {}", tmp.display(), out.display()))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        let copy = open_existing(out)?;
        Ok(Written {
            bytes: std::fs::metadata(out)?.len(),
            info: info(&copy)?,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn many_opens_of_a_new_file_at_once_all_succeed() {
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("portal.sqlite");
            let barrier = Arc::new(std::sync::Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Db::open_without_sweeper(&path).map(|_| ())
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap().unwrap();
            }
        }
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn open_migrates_and_backup_copies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/portal.sqlite");
        let db = Db::open_without_sweeper(&path).unwrap();
        let (mode, sync, fk): (String, i64, i64) = db.with_blocking(|c| {
            (
                c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                    .unwrap(),
                c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap(),
                c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                    .unwrap(),
            )
        });
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
        db.with_blocking(|c| {
            c.execute(
                "INSERT INTO portal_meta (key, value) VALUES ('x', x'01')",
                [],
            )
            .unwrap()
        });
        let out = dir.path().join("backup.sqlite");
        let w = backup(&path, &out).unwrap();
        assert_eq!(w.info.schema_version, MIGRATIONS.len() as i64);
        assert!(w.info.tables.contains(&("portal_meta".to_string(), 1)));
        assert!(!wal_path(&out).exists());
        // Opening again keeps the data and does not migrate twice.
        drop(db);
        let again = Db::open_without_sweeper(&path).unwrap();
        let n: i64 = again.with_blocking(|c| {
            c.query_row("SELECT count(*) FROM portal_meta", [], |r| r.get(0))
                .unwrap()
        });
        assert_eq!(n, 1);
        assert!(backup(&dir.path().join("missing.sqlite"), &out).is_err());
    }
}
