//! The two-way features' state database for tests, on every backend: SQLite always, and
//! PostgreSQL when `QUYHOACH_TEST_PG` names a server (`scripts/test.sh` starts one; under CI
//! its absence fails the test). Each call gets a new, empty database.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use quyhoach_server::portal::sql::StateDb;
use quyhoach_server::AppState;

/// A fresh state database and what keeps it alive.
pub struct TestDb {
    /// Which backend: "sqlite" or "postgres".
    pub backend: &'static str,
    pub db: StateDb,
    /// The SQLite file (its directory lives as long as this), or the PostgreSQL URL.
    pub location: String,
    _dir: Option<tempfile::TempDir>,
}

static N: AtomicUsize = AtomicUsize::new(0);

/// A new empty SQLite state database (the portal database file).
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.sqlite");
    let db = quyhoach_server::portal::db::Db::open_without_sweeper(&path).unwrap();
    TestDb {
        backend: "sqlite",
        db: StateDb::Sqlite(Arc::new(db)),
        location: path.display().to_string(),
        _dir: Some(dir),
    }
}

/// The URL of a new, empty PostgreSQL database, or `None` without `QUYHOACH_TEST_PG`
/// (a failure under CI).
pub fn postgres_url() -> Option<String> {
    let Some(admin) = quyhoach_server::portal::sql::test_pg_url() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "QUYHOACH_TEST_PG is not set: the two-way tests must run on PostgreSQL too \
                 (scripts/test.sh starts a server with scripts/setup-postgres.sh)"
            );
        }
        eprintln!("note: QUYHOACH_TEST_PG not set; PostgreSQL half of this test skipped");
        return None;
    };
    let name = format!(
        "qh_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let admin2 = admin.clone();
    let name2 = name.clone();
    // The blocking client must not run on a test's async runtime.
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&admin2, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to QUYHOACH_TEST_PG: {e}"));
        c.batch_execute(&format!("CREATE DATABASE {name2}"))
            .unwrap();
    })
    .join()
    .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    Some(format!("{base}/{name}"))
}

/// A new, empty PostgreSQL state database, or `None` (see [`postgres_url`]).
pub fn postgres() -> Option<TestDb> {
    let url = postgres_url()?;
    let db = StateDb::open(Some(&url), None).unwrap().unwrap();
    Some(TestDb {
        backend: "postgres",
        db,
        location: url,
        _dir: None,
    })
}

/// SQLite, and PostgreSQL when available: run the test's body on each.
pub fn every_backend() -> Vec<TestDb> {
    let mut v = vec![sqlite()];
    v.extend(postgres());
    v
}

/// `state` with the two-way state database set.
pub fn with_state(state: &AppState, db: &StateDb) -> AppState {
    let mut server = (*state.server).clone();
    server.portal.state = Some(db.clone());
    let mut s = state.clone();
    s.server = Arc::new(server);
    s
}
