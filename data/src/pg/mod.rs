//! The PostgreSQL/PostGIS backend, for users who outgrow one machine: `--store
//! postgresql://user@host/db`.
//!
//! Layout (made by [`ensure_schema`], in the connection's default schema):
//! - `quyhoach_layers (id, kind, tbl, entry)`: one row per layer, `entry` the catalog entry
//!   (JSON, as in the embedded store's `catalog.json`), `tbl` the table holding its features;
//! - `quyhoach_plans (id, plan)`: the plans and their approving decisions (JSON);
//! - one table per layer, `quyhoach_l_<n>`: `fid` (the feature id, numbered as the embedded
//!   store numbers it: in the packed Hilbert R-tree's order, so the two backends give the
//!   same ids and the same answers), `geom` (`MultiPolygon` or `MultiLineString`, EPSG:4326,
//!   GiST-indexed) and one typed column per field of the layer (`text`, `bigint`,
//!   `double precision`). Personal fields kept with `--keep-personal` are stored like in the
//!   embedded store and never selected.
//!
//! An import writes the new table and swaps it in, the old one dropped, in one transaction
//! ([`sink::PgSink`]): readers see the old layer or the new one, never a part. Imports are
//! serialised by an advisory lock, as the embedded store's are by its lock file.

mod lessons;
pub mod lookup;
pub mod planning;
mod pool;
mod search;
pub mod sink;

use std::collections::BTreeMap;

use postgres::{Client, NoTls};

use crate::plans::Plan;
use crate::store::{Catalog, LayerEntry};

/// Errors of the PostGIS backend.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The server refused, or the connection failed: the message with its causes.
    #[error("PostgreSQL: {0}")]
    Sql(String),
    /// The database holds something this version cannot read.
    #[error("PostgreSQL store: {0}")]
    Data(String),
}

impl From<postgres::Error> for PgError {
    fn from(e: postgres::Error) -> Self {
        // The client's message repeats its own cause's words ("error connecting to server"),
        // and its cause (e.g. "Connection refused") is only in the source chain: one line of
        // each distinct part.
        let mut parts: Vec<String> = Vec::new();
        let mut next: Option<&dyn std::error::Error> = Some(&e);
        while let Some(err) = next {
            let text = err.to_string();
            if !parts.iter().any(|p| p.contains(&text)) {
                parts.retain(|p| !text.contains(p.as_str()));
                parts.push(text);
            }
            next = err.source();
        }
        PgError::Sql(parts.join(": "))
    }
}

/// Whether a `--store` value names a PostgreSQL database rather than a directory.
pub fn is_url(store: &str) -> bool {
    store.starts_with("postgresql://") || store.starts_with("postgres://")
}

/// A database URL as shown to a person: without its password.
pub fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Connects to `url` (no TLS: a database on the same machine or network).
pub fn connect(url: &str) -> Result<Client, PgError> {
    Ok(Client::connect(url, NoTls)?)
}

/// The advisory lock key of imports (any constant shared by every writer).
pub(crate) const IMPORT_LOCK: i64 = 0x7175_796b_6f61_6368; // "quyhoach"

/// Creates PostGIS and the catalog tables if they are missing.
pub fn ensure_schema(client: &mut Client) -> Result<(), PgError> {
    client.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS postgis;
         CREATE TABLE IF NOT EXISTS quyhoach_layers (
             id text PRIMARY KEY,
             kind text NOT NULL,
             tbl text NOT NULL,
             entry jsonb NOT NULL);
         CREATE TABLE IF NOT EXISTS quyhoach_plans (
             id text PRIMARY KEY,
             plan jsonb NOT NULL);
         CREATE SEQUENCE IF NOT EXISTS quyhoach_table_seq;",
    )?;
    Ok(())
}

/// A hash of the catalog tables: it changes with every import (a new table and entry) and
/// every plan change. Cheap enough to ask every few seconds.
pub fn catalog_stamp(url: &str) -> Result<String, PgError> {
    let mut client = connect(url)?;
    Ok(client.query_one(CATALOG_STAMP, &[])?.get(0))
}

/// The query of [`catalog_stamp`]: an MD5 of the catalog tables' rows in a fixed order.
pub(crate) const CATALOG_STAMP: &str = "SELECT md5(
     coalesce((SELECT string_agg(id || ' ' || tbl || ' ' || entry::text, ';'
               ORDER BY id COLLATE \"C\") FROM quyhoach_layers), '')
     || ';;' ||
     coalesce((SELECT string_agg(id || ' ' || plan::text, ';'
               ORDER BY id COLLATE \"C\") FROM quyhoach_plans), ''))";

/// A layer as the database records it.
#[derive(Debug, Clone)]
pub struct PgLayer {
    /// The catalog entry.
    pub entry: LayerEntry,
    /// The table of its features.
    pub table: String,
}

/// Reads the catalog: layers (ordered by id as the embedded catalog is, byte-wise) with their
/// tables, and plans.
pub fn load_catalog(client: &mut Client) -> Result<(Catalog, BTreeMap<String, PgLayer>), PgError> {
    let mut catalog = Catalog::default();
    let mut layers = BTreeMap::new();
    for row in client.query(
        "SELECT id, tbl, entry::text FROM quyhoach_layers ORDER BY id COLLATE \"C\"",
        &[],
    )? {
        let id: String = row.get(0);
        let table: String = row.get(1);
        let text: String = row.get(2);
        let entry: LayerEntry =
            serde_json::from_str(&text).map_err(|e| PgError::Data(format!("layer '{id}': {e}")))?;
        catalog.layers.insert(id.clone(), entry.clone());
        layers.insert(id, PgLayer { entry, table });
    }
    for row in client.query("SELECT id, plan::text FROM quyhoach_plans", &[])? {
        let id: String = row.get(0);
        let text: String = row.get(1);
        let plan: Plan =
            serde_json::from_str(&text).map_err(|e| PgError::Data(format!("plan '{id}': {e}")))?;
        catalog.plans.insert(id, plan);
    }
    Ok((catalog, layers))
}

/// Records plans (replacing those of the same id), in one transaction.
pub fn put_plans(client: &mut Client, plans: &[Plan]) -> Result<(), PgError> {
    let mut tx = client.transaction()?;
    for p in plans {
        let json = serde_json::to_string(p).map_err(|e| PgError::Data(e.to_string()))?;
        tx.execute(
            "INSERT INTO quyhoach_plans (id, plan) VALUES ($1, $2::text::jsonb)
             ON CONFLICT (id) DO UPDATE SET plan = EXCLUDED.plan",
            &[&p.id, &json],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Removes a plan that no layer uses, in one transaction that holds the layers still (an
/// import linking a layer to the plan waits for it, then finds the plan gone).
pub fn remove_plan(client: &mut Client, id: &str) -> Result<(), PgError> {
    use crate::store::StoreError;
    let mut tx = client.transaction()?;
    tx.batch_execute("LOCK TABLE quyhoach_layers IN SHARE ROW EXCLUSIVE MODE")?;
    let users: Vec<String> = tx
        .query(
            "SELECT id FROM quyhoach_layers WHERE entry->'plans' ? $1 ORDER BY id COLLATE \"C\"",
            &[&id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !users.is_empty() {
        return Err(PgError::Data(
            StoreError::PlanInUse {
                plan: id.to_string(),
                layers: users.join(", "),
            }
            .to_string(),
        ));
    }
    if tx.execute("DELETE FROM quyhoach_plans WHERE id = $1", &[&id])? == 0 {
        return Err(PgError::Data(
            StoreError::UnknownPlan(id.to_string()).to_string(),
        ));
    }
    tx.commit()?;
    Ok(())
}

/// A column name as an SQL identifier (quoted: the names come from the layer's schema, and a
/// personal field's name from the source file).
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
