//! One way to run the two-way features' SQL on SQLite (the embedded default, the portal
//! database of [`super::db`]) or PostgreSQL (`--db-url postgresql://…`, for several servers
//! sharing one state): the same statements, the same code, tested against both.
//!
//! - **Portable SQL.** Statements use `?` placeholders (rewritten to `$1…` for PostgreSQL),
//!   `INSERT … RETURNING id`, `ON CONFLICT … DO …`, `LIMIT ? OFFSET ?`, integers for times
//!   (Unix seconds, from [`now`]) and booleans (0/1). Avoid `? IS NULL` (PostgreSQL cannot
//!   type the parameter; build the statement instead), `ILIKE`, `GROUP_CONCAT`/`string_agg`,
//!   `SUM` without `CAST(… AS BIGINT)` (PostgreSQL answers NUMERIC), and selecting boolean
//!   expressions. Search matches a folded column ([`fold`]) with `LIKE`.
//! - **Schemas** differ only in DDL: each feature has one migration file per dialect
//!   (`server/migrations/NNNN_*.sql` for SQLite, listed in [`super::db::MIGRATIONS`];
//!   `server/migrations/pg/NNNN_*.sql` for PostgreSQL, listed in [`PG_MIGRATIONS`]), with the
//!   same tables and columns. Integer columns are `BIGINT` in PostgreSQL.
//! - **Transactions.** [`StateDb::tx`] runs a closure in one transaction (SQLite:
//!   `BEGIN IMMEDIATE`; PostgreSQL: READ COMMITTED) off the async runtime, commits when it
//!   returns `Ok` and rolls back otherwise. A commit that returned is durable
//!   (SQLite `synchronous=FULL`, PostgreSQL `synchronous_commit` on).
//! - **A failed statement fails its transaction** on both databases (PostgreSQL aborts it
//!   anyway): the closure's result is replaced by the error and everything is rolled back.
//!   To insert-or-detect a duplicate, use `ON CONFLICT … DO NOTHING` and check the count.
//! - **Concurrent writers** never overwrite each other when updates are conditional
//!   (`UPDATE … WHERE id = ? AND version = ?`, then check the count).
//!
//! See `docs/portal-state.md`.

use std::sync::{mpsc, Arc, Mutex};

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type};

use super::db::Db;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (times, ids, counts, booleans).
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (hashes, attachments).
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Blob(v.to_vec())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a `&[Value]` from expressions: `vals![id, "text", None::<i64>]`.
#[macro_export]
macro_rules! vals {
    ($($v:expr),* $(,)?) => {
        &[$($crate::portal::sql::Value::from($v)),*][..]
    };
}
pub use crate::vals;

/// What a statement can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// A UNIQUE or PRIMARY KEY constraint refused the row.
    #[error("unique constraint: {0}")]
    Unique(String),
    /// A row was expected and there was none.
    #[error("no row")]
    NoRow,
    /// A value had another type than the code asked for.
    #[error("column {0}: {1}")]
    Type(usize, String),
    /// Any other database error.
    #[error("{0}")]
    Other(String),
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, ref msg) = e {
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            {
                return SqlError::Unique(msg.clone().unwrap_or_default());
            }
        }
        if matches!(e, rusqlite::Error::QueryReturnedNoRows) {
            return SqlError::NoRow;
        }
        SqlError::Other(format!("sqlite: {e}"))
    }
}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> Self {
        if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
            return SqlError::Unique(e.to_string());
        }
        match e.as_db_error() {
            Some(db) => SqlError::Other(format!("postgresql: {}", db.message())),
            None => SqlError::Other(format!("postgresql: {e}")),
        }
    }
}

/// Result of this module.
pub type SqlResult<T> = std::result::Result<T, SqlError>;

/// One row of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> SqlResult<&Value> {
        self.0
            .get(i)
            .ok_or_else(|| SqlError::Type(i, "no such column".into()))
    }
    /// An integer column.
    pub fn i64(&self, i: usize) -> SqlResult<i64> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            v => Err(SqlError::Type(i, format!("expected an integer, got {v:?}"))),
        }
    }
    /// An integer column that may be NULL.
    pub fn opt_i64(&self, i: usize) -> SqlResult<Option<i64>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.i64(i).map(Some),
        }
    }
    /// A real column (integers are widened).
    pub fn f64(&self, i: usize) -> SqlResult<f64> {
        match self.at(i)? {
            Value::Real(v) => Ok(*v),
            Value::Int(v) => Ok(*v as f64),
            v => Err(SqlError::Type(i, format!("expected a number, got {v:?}"))),
        }
    }
    /// A text column.
    pub fn text(&self, i: usize) -> SqlResult<String> {
        match self.at(i)? {
            Value::Text(v) => Ok(v.clone()),
            v => Err(SqlError::Type(i, format!("expected text, got {v:?}"))),
        }
    }
    /// A text column that may be NULL.
    pub fn opt_text(&self, i: usize) -> SqlResult<Option<String>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    /// A bytes column.
    pub fn blob(&self, i: usize) -> SqlResult<Vec<u8>> {
        match self.at(i)? {
            Value::Blob(v) => Ok(v.clone()),
            v => Err(SqlError::Type(i, format!("expected bytes, got {v:?}"))),
        }
    }
    /// A bytes column that may be NULL.
    pub fn opt_blob(&self, i: usize) -> SqlResult<Option<Vec<u8>>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.blob(i).map(Some),
        }
    }
}

/// The database a transaction runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (the portal database file).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A transaction: run statements in it.
pub trait Tx {
    /// Runs a statement; returns the rows it changed.
    fn exec(&mut self, sql: &str, params: &[Value]) -> SqlResult<u64>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> SqlResult<Vec<Row>>;
    /// Which database this is.
    fn dialect(&self) -> Dialect;

    /// The first row of a query, or `None`.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> SqlResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
    /// The first row of a query; [`SqlError::NoRow`] when there is none.
    fn query_one(&mut self, sql: &str, params: &[Value]) -> SqlResult<Row> {
        self.query_opt(sql, params)?.ok_or(SqlError::NoRow)
    }
    /// The first column of the first row, as an integer (`SELECT count(*) …`,
    /// `INSERT … RETURNING id`).
    fn query_i64(&mut self, sql: &str, params: &[Value]) -> SqlResult<i64> {
        self.query_one(sql, params)?.i64(0)
    }
}

// ---------------------------------------------------------------- SQLite

struct SqliteTx<'a>(rusqlite::Transaction<'a>, Option<String>);

/// Notes the first failed statement of a transaction.
fn noted<T>(failed: &mut Option<String>, r: SqlResult<T>) -> SqlResult<T> {
    if let Err(e) = &r {
        failed.get_or_insert_with(|| e.to_string());
    }
    r
}

fn failed_tx(first: String) -> SqlError {
    SqlError::Other(format!(
        "a statement failed, so its transaction was rolled back: {first}"
    ))
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn sqlite_params(params: &[Value]) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    params
        .iter()
        .map(|p| match p {
            Value::Null => V::Null,
            Value::Int(i) => V::Integer(*i),
            Value::Real(f) => V::Real(*f),
            Value::Text(t) => V::Text(t.clone()),
            Value::Blob(b) => V::Blob(b.clone()),
        })
        .collect()
}

impl SqliteTx<'_> {
    fn exec_inner(&mut self, sql: &str, params: &[Value]) -> SqlResult<u64> {
        let mut st = self.0.prepare_cached(sql)?;
        let n = st.execute(rusqlite::params_from_iter(sqlite_params(params)))?;
        Ok(n as u64)
    }
    fn query_inner(&mut self, sql: &str, params: &[Value]) -> SqlResult<Vec<Row>> {
        let mut st = self.0.prepare_cached(sql)?;
        let cols = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(sqlite_params(params)))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(cols);
            for i in 0..cols {
                row.push(sqlite_value(r.get_ref(i)?));
            }
            out.push(Row(row));
        }
        Ok(out)
    }
}

impl Tx for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, params: &[Value]) -> SqlResult<u64> {
        let r = self.exec_inner(sql, params);
        noted(&mut self.1, r)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> SqlResult<Vec<Row>> {
        let r = self.query_inner(sql, params);
        noted(&mut self.1, r)
    }
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

fn sqlite_tx<T, E: From<SqlError>>(
    conn: &mut rusqlite::Connection,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
) -> Result<T, E> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(SqlError::from)?;
    let mut t = SqliteTx(tx, None);
    let out = f(&mut t)?;
    if let Some(first) = t.1 {
        return Err(failed_tx(first).into());
    }
    t.0.commit().map_err(SqlError::from)?;
    Ok(out)
}

// ---------------------------------------------------------------- PostgreSQL

/// Rewrites `?` placeholders to `$1, $2, …` (outside quoted strings and identifiers).
pub fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut n, mut quote) = (0, None::<char>);
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            Value::Text(t) => t.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    postgres::types::to_sql_checked!();
}

fn pg_row(r: &postgres::Row) -> SqlResult<Row> {
    let mut row = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let err = |e: postgres::Error| SqlError::Type(i, e.to_string());
        let v = match *col.type_() {
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)
                .map_err(err)?
                .map(|v| Value::Int(v.into())),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)
                .map_err(err)?
                .map(|v| Value::Int(v.into())),
            Type::INT8 => r.try_get::<_, Option<i64>>(i).map_err(err)?.map(Value::Int),
            Type::BOOL => r
                .try_get::<_, Option<bool>>(i)
                .map_err(err)?
                .map(|v| Value::Int(v.into())),
            Type::FLOAT4 => r
                .try_get::<_, Option<f32>>(i)
                .map_err(err)?
                .map(|v| Value::Real(v.into())),
            Type::FLOAT8 => r
                .try_get::<_, Option<f64>>(i)
                .map_err(err)?
                .map(Value::Real),
            Type::BYTEA => r
                .try_get::<_, Option<Vec<u8>>>(i)
                .map_err(err)?
                .map(Value::Blob),
            _ => r
                .try_get::<_, Option<String>>(i)
                .map_err(err)?
                .map(Value::Text),
        };
        row.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(row))
}

struct PgTx<'a>(postgres::Transaction<'a>, Option<String>);

fn pg_params(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Tx for PgTx<'_> {
    fn exec(&mut self, sql: &str, params: &[Value]) -> SqlResult<u64> {
        let r = self
            .0
            .execute(pg_placeholders(sql).as_str(), &pg_params(params))
            .map_err(SqlError::from);
        noted(&mut self.1, r)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> SqlResult<Vec<Row>> {
        let r = self
            .0
            .query(pg_placeholders(sql).as_str(), &pg_params(params))
            .map_err(SqlError::from)
            .and_then(|rows| rows.iter().map(pg_row).collect());
        noted(&mut self.1, r)
    }
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

/// The PostgreSQL migrations, in order (append only), applied by [`PgPool::connect`] under
/// an advisory lock; `portal_schema.version` holds how many were applied.
pub const PG_MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/pg/0001_accounts.sql"),
    include_str!("../../migrations/pg/0002_feedback.sql"),
    include_str!("../../migrations/pg/0003_consultations.sql"),
    include_str!("../../migrations/pg/0004_alerts.sql"),
    include_str!("../../migrations/pg/0005_notices.sql"),
];

/// A job run on one of the pool's connections.
type Job = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// Connections to PostgreSQL, each owned by its own thread (the blocking client runs a
/// small runtime of its own, which must not be driven or dropped on the server's runtime).
pub struct PgPool {
    jobs: Mutex<mpsc::Sender<Job>>,
    url_redacted: String,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("url", &self.url_redacted)
            .finish()
    }
}

/// Connections in the pool.
pub const PG_POOL_SIZE: usize = 4;

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            let user = cred.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

impl PgPool {
    /// Connects (checking the URL and the server at once), migrates the schema, and starts
    /// [`PG_POOL_SIZE`] connection threads. Blocking: call it before the runtime serves.
    pub fn connect(url: &str) -> anyhow::Result<PgPool> {
        use anyhow::Context;
        let redacted = redact_url(url);
        let connect = {
            let url = url.to_string();
            move || postgres::Client::connect(&url, postgres::NoTls)
        };
        // Migrate on a thread of its own (this may be called from inside a runtime).
        let first = {
            let connect = connect.clone();
            std::thread::spawn(move || -> anyhow::Result<postgres::Client> {
                let mut c = connect()?;
                pg_migrate(&mut c)?;
                Ok(c)
            })
            .join()
            .map_err(|_| anyhow::anyhow!("the migration thread panicked"))?
            .with_context(|| format!("connecting to {redacted}"))?
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut first = Some(first);
        for i in 0..PG_POOL_SIZE {
            let rx = rx.clone();
            let connect = connect.clone();
            let mut client = first.take();
            let redacted = redacted.clone();
            std::thread::Builder::new()
                .name(format!("portal-pg-{i}"))
                .spawn(move || loop {
                    let job = {
                        let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
                        match rx.recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        }
                    };
                    if client.as_ref().is_none_or(|c| c.is_closed()) {
                        client = match connect() {
                            Ok(c) => Some(c),
                            Err(e) => {
                                tracing::error!(%e, url = %redacted, "portal database: cannot connect");
                                None
                            }
                        };
                    }
                    match client.as_mut() {
                        Some(c) => job(c),
                        // The job is dropped: its caller sees the channel closed.
                        None => drop(job),
                    }
                })
                .context("starting a database thread")?;
        }
        Ok(PgPool {
            jobs: Mutex::new(tx),
            url_redacted: redacted,
        })
    }

    fn submit(&self, job: Job) -> SqlResult<()> {
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .map_err(|_| SqlError::Other("the database threads have stopped".into()))
    }
}

fn pg_migrate(c: &mut postgres::Client) -> anyhow::Result<()> {
    let mut tx = c.transaction()?;
    // One migrator at a time across every server starting together.
    tx.execute("SELECT pg_advisory_xact_lock(7142003)", &[])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS portal_schema (version BIGINT NOT NULL)")?;
    let done: i64 = match tx.query_opt("SELECT version FROM portal_schema", &[])? {
        Some(r) => r.get(0),
        None => {
            tx.execute("INSERT INTO portal_schema (version) VALUES (0)", &[])?;
            0
        }
    };
    for (i, sql) in PG_MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
        tx.batch_execute(sql)
            .map_err(|e| anyhow::anyhow!("PostgreSQL migration {}: {e}", i + 1))?;
    }
    tx.execute(
        "UPDATE portal_schema SET version = $1",
        &[&(PG_MIGRATIONS.len() as i64)],
    )?;
    tx.commit()?;
    Ok(())
}

fn pg_tx<T, E: From<SqlError>>(
    c: &mut postgres::Client,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
) -> Result<T, E> {
    let tx = c.transaction().map_err(SqlError::from)?;
    let mut t = PgTx(tx, None);
    let out = f(&mut t)?;
    if let Some(first) = t.1 {
        return Err(failed_tx(first).into());
    }
    t.0.commit().map_err(SqlError::from)?;
    Ok(out)
}

// ---------------------------------------------------------------- the handle

/// Where the two-way state lives: the portal's SQLite file, or PostgreSQL.
#[derive(Clone, Debug)]
pub enum StateDb {
    /// The portal database file (shared with the workshops).
    Sqlite(Arc<Db>),
    /// PostgreSQL, shared by every server of a deployment.
    Postgres(Arc<PgPool>),
}

impl StateDb {
    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        match self {
            StateDb::Sqlite(_) => Dialect::Sqlite,
            StateDb::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` in one transaction off the async runtime; commits if it returns `Ok`.
    pub async fn tx<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<SqlError> + Send + 'static,
    {
        match self {
            StateDb::Sqlite(db) => db
                .with(move |c| sqlite_tx(c, f))
                .await
                .map_err(|e| E::from(SqlError::Other(e.to_string())))?,
            StateDb::Postgres(pool) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                pool.submit(Box::new(move |c| {
                    let _ = tx.send(pg_tx(c, f));
                }))?;
                rx.await.map_err(|_| {
                    E::from(SqlError::Other(
                        "the database connection failed (see the server's log)".into(),
                    ))
                })?
            }
        }
    }

    /// [`StateDb::tx`] on this thread (commands, tests, background threads — never on the
    /// async runtime's threads).
    pub fn tx_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<SqlError> + Send + 'static,
    {
        match self {
            StateDb::Sqlite(db) => db.with_blocking(move |c| sqlite_tx(c, f)),
            StateDb::Postgres(pool) => {
                let (tx, rx) = mpsc::channel();
                pool.submit(Box::new(move |c| {
                    let _ = tx.send(pg_tx(c, f));
                }))?;
                rx.recv().map_err(|_| {
                    E::from(SqlError::Other(
                        "the database connection failed (see the server's log)".into(),
                    ))
                })?
            }
        }
    }

    /// Opens the state database: a `postgresql://` (or `postgres://`) URL, else the SQLite
    /// portal database given.
    pub fn open(url: Option<&str>, sqlite: Option<Arc<Db>>) -> anyhow::Result<Option<StateDb>> {
        match url {
            Some(u) if u.starts_with("postgresql://") || u.starts_with("postgres://") => {
                Ok(Some(StateDb::Postgres(Arc::new(PgPool::connect(u)?))))
            }
            Some(u) => anyhow::bail!(
                "--db-url must be a postgresql:// URL (got {}); the SQLite file is --db FILE",
                redact_url(u)
            ),
            None => Ok(sqlite.map(StateDb::Sqlite)),
        }
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Text folded for search: lower case, Vietnamese diacritics removed (đ → d), runs of
/// whitespace as one space. Store it in a `…_folded` column and match `LIKE '%' || ? || '%'`
/// with the folded query.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The PostgreSQL URL the tests use (`QUYHOACH_TEST_PG`, set by `scripts/test.sh` after it
/// starts a server); `None` when the tests run on SQLite only.
pub fn test_pg_url() -> Option<String> {
    std::env::var("QUYHOACH_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            pg_placeholders("SELECT '?', \"a?\" FROM t WHERE a = ? AND b = ?"),
            "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b = $2"
        );
    }

    #[test]
    fn fold_removes_marks_and_case() {
        assert_eq!(
            fold("  Đất  ở tại\nNÔNG thôn "),
            "dat o tai nong thon".to_string()
        );
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgresql://u:secret@h:5432/db"),
            "postgresql://u@h:5432/db"
        );
        assert_eq!(redact_url("postgresql://h/db"), "postgresql://h/db");
    }
}
