//! Import into PostGIS: a [`FeatureSink`] writing a layer with `COPY` inside one transaction.
//!
//! Features are copied into a temporary staging table in source order, with their box kept
//! in memory (40 bytes each). At the commit they are numbered as the embedded store numbers
//! them — the order of the FlatGeobuf packed Hilbert R-tree, computed by the same crate
//! function on the same boxes — and inserted in that order into the layer's new table, which
//! gets its GiST index and statistics; the catalog row then points at it and the old table is
//! dropped. Until `COMMIT` nobody sees any of it; a sink dropped uncommitted (a failed import)
//! rolls it all back.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;

use flatgeobuf::packed_r_tree::{calc_extent, hilbert_sort, NodeItem};
use geo_types::Geometry;
use geozero::wkb::WkbDialect;
use geozero::{CoordDimensions, ToWkb};
use postgres::Client;
use sha2::{Digest, Sha256};

use super::{ensure_schema, ident, PgError, IMPORT_LOCK};
use crate::import::{FeatureSink, ImportError, LayerSchema, LayerSummary};
use crate::import::{NormalisedFeature, Value};
use crate::schema::{FieldType, Kind};

type Result<T> = std::result::Result<T, ImportError>;

fn pg(e: impl Into<PgError>) -> ImportError {
    ImportError::Database(e.into().to_string())
}

/// Bytes of `COPY` text gathered before they are sent.
const COPY_CHUNK: usize = 8 * 1024 * 1024;

/// A PostGIS database as a [`FeatureSink`]: one transaction from [`PgSink::open`] to the
/// commit, holding the import lock.
pub struct PgSink {
    client: Client,
    schema: Option<LayerSchema>,
    /// `COPY` text not yet sent.
    buf: String,
    /// Each feature's box, its source position as `offset`.
    nodes: Vec<NodeItem>,
    /// SHA-256 of every row copied: the layer's content hash (the catalog's `sha256`).
    hash: Sha256,
    committed: bool,
}

impl PgSink {
    /// Connects to `url`, makes the schema if missing, begins the import's transaction and
    /// waits for the import lock. Returns the sink and the ids of the plans the database
    /// knows (zones and red lines may only name those).
    pub fn open(url: &str) -> Result<(PgSink, BTreeSet<String>)> {
        let mut client = super::connect(url).map_err(pg)?;
        ensure_schema(&mut client).map_err(pg)?;
        client.batch_execute("BEGIN").map_err(pg)?;
        client
            .execute("SELECT pg_advisory_xact_lock($1)", &[&IMPORT_LOCK])
            .map_err(pg)?;
        let plans = client
            .query("SELECT id FROM quyhoach_plans", &[])
            .map_err(pg)?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        Ok((
            PgSink {
                client,
                schema: None,
                buf: String::new(),
                nodes: Vec::new(),
                hash: Sha256::new(),
                committed: false,
            },
            plans,
        ))
    }

    /// Sends the gathered `COPY` text to the staging table.
    fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut w = self
            .client
            .copy_in("COPY quyhoach_stage FROM STDIN")
            .map_err(pg)?;
        w.write_all(self.buf.as_bytes())
            .map_err(|e| ImportError::Database(format!("PostgreSQL COPY: {e}")))?;
        w.finish().map_err(pg)?;
        self.buf.clear();
        Ok(())
    }
}

/// The error of a sink used before [`FeatureSink::begin`].
fn not_begun() -> ImportError {
    ImportError::Database("no layer begun (a feature or commit came before begin)".into())
}

/// The SQL type of a field.
pub(super) fn sql_type(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "text",
        FieldType::Int => "bigint",
        FieldType::Double => "double precision",
    }
}

/// Appends `s` escaped for `COPY`'s text format.
fn copy_text(out: &mut String, s: &str, column: &str) -> Result<()> {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => {
                return Err(ImportError::Database(format!(
                "column {column}: a text with a NUL character, which PostgreSQL text cannot hold"
            )))
            }
            c => out.push(c),
        }
    }
    Ok(())
}

/// The box of a geometry as the FlatGeobuf writer computes it (every coordinate).
fn node_of(g: &Geometry<f64>, offset: u64) -> NodeItem {
    let mut n = NodeItem::create(offset);
    for c in geo::CoordsIter::coords_iter(g) {
        n.expand_xy(c.x, c.y);
    }
    n
}

impl FeatureSink for PgSink {
    fn begin(&mut self, schema: LayerSchema) -> Result<()> {
        let geom = if schema.kind.is_polygonal() {
            "MultiPolygon"
        } else {
            "MultiLineString"
        };
        let mut cols = String::new();
        for c in &schema.columns {
            let _ = write!(cols, ", {} {}", ident(&c.name), sql_type(c.ty));
        }
        self.client
            .batch_execute(&format!(
                "CREATE TEMPORARY TABLE quyhoach_stage (seq integer NOT NULL, \
                 geom geometry({geom}, 4326) NOT NULL{cols}) ON COMMIT DROP"
            ))
            .map_err(pg)?;
        self.schema = Some(schema);
        Ok(())
    }

    fn write(&mut self, feature: NormalisedFeature) -> Result<()> {
        let schema = self.schema.as_ref().ok_or_else(not_begun)?;
        if feature.values.len() != schema.columns.len() {
            return Err(ImportError::Database(format!(
                "a feature with {} values for {} columns",
                feature.values.len(),
                schema.columns.len()
            )));
        }
        let seq = self.nodes.len();
        let seq32 = u32::try_from(seq)
            .ok()
            .filter(|s| *s < i32::MAX as u32)
            .ok_or_else(|| ImportError::Database("more than 2^31 features in one layer".into()))?;
        let wkb = feature
            .geometry
            .to_wkb_dialect(
                WkbDialect::Ewkb,
                CoordDimensions::xy(),
                Some(4326),
                Vec::new(),
            )
            .map_err(|e| ImportError::Database(format!("geometry to WKB: {e}")))?;
        self.nodes.push(node_of(&feature.geometry, seq as u64));
        let start = self.buf.len();
        let _ = write!(self.buf, "{seq32}\t");
        for b in &wkb {
            let _ = write!(self.buf, "{b:02X}");
        }
        for (v, c) in feature.values.iter().zip(&schema.columns) {
            self.buf.push('\t');
            match v {
                None => self.buf.push_str("\\N"),
                Some(Value::Str(s)) => copy_text(&mut self.buf, s, &c.name)?,
                Some(Value::Int(i)) => {
                    let _ = write!(self.buf, "{i}");
                }
                Some(Value::Double(d)) if d.is_finite() => {
                    // Shortest text that reads back as the same double.
                    let _ = write!(self.buf, "{d:?}");
                }
                Some(Value::Double(d)) => {
                    return Err(ImportError::Database(format!(
                        "column {}: the number {d} is not finite",
                        c.name
                    )))
                }
            }
        }
        self.buf.push('\n');
        self.hash.update(&self.buf.as_bytes()[start..]);
        if self.buf.len() >= COPY_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn commit(mut self, summary: LayerSummary) -> Result<()> {
        let schema = self.schema.take().ok_or_else(not_begun)?;
        self.flush()?;
        // Number the features as the FlatGeobuf writer orders them (packed Hilbert R-tree).
        let mut nodes = std::mem::take(&mut self.nodes);
        if !nodes.is_empty() {
            let extent = calc_extent(&nodes);
            hilbert_sort(&mut nodes, &extent);
        }
        let c = &mut self.client;
        c.batch_execute(
            "CREATE TEMPORARY TABLE quyhoach_order (seq integer, fid integer) ON COMMIT DROP",
        )
        .map_err(pg)?;
        {
            let mut order = String::with_capacity(nodes.len() * 16);
            for (fid, n) in nodes.iter().enumerate() {
                let _ = writeln!(order, "{}\t{fid}", n.offset);
            }
            let mut w = c.copy_in("COPY quyhoach_order FROM STDIN").map_err(pg)?;
            w.write_all(order.as_bytes())
                .map_err(|e| ImportError::Database(format!("PostgreSQL COPY: {e}")))?;
            w.finish().map_err(pg)?;
        }
        let n: i64 = c
            .query_one("SELECT nextval('quyhoach_table_seq')", &[])
            .map_err(pg)?
            .get(0);
        let table = format!("quyhoach_l_{n}");
        let geom = if schema.kind.is_polygonal() {
            "MultiPolygon"
        } else {
            "MultiLineString"
        };
        let mut defs = String::new();
        let mut names = String::new();
        for col in &schema.columns {
            let _ = write!(defs, ", {} {}", ident(&col.name), sql_type(col.ty));
            let _ = write!(names, ", s.{}", ident(&col.name));
        }
        c.batch_execute(&format!(
            "CREATE TABLE {table} (fid integer PRIMARY KEY, \
             geom geometry({geom}, 4326) NOT NULL{defs});
             INSERT INTO {table} SELECT o.fid, s.geom{names} \
               FROM quyhoach_stage s JOIN quyhoach_order o USING (seq) ORDER BY o.fid;
             CREATE INDEX ON {table} USING gist (geom);"
        ))
        .map_err(pg)?;
        // Parcels by their number (commune, map sheet, parcel), as citizens look them up.
        let named = |n: &str| schema.columns.iter().any(|c| c.name == n);
        if schema.kind == Kind::Parcels
            && ["commune_code", "sheet", "parcel"].iter().all(|n| named(n))
        {
            c.batch_execute(&format!(
                "CREATE INDEX ON {table} (commune_code, sheet, parcel)"
            ))
            .map_err(pg)?;
        }
        c.batch_execute(&format!("ANALYZE {table}")).map_err(pg)?;
        let (id, kind) = (schema.id.clone(), schema.kind);
        let entry = summary.into_entry(schema, format!("{:x}", self.hash.clone().finalize()));
        let json = serde_json::to_string(&entry)
            .map_err(|e| ImportError::Database(format!("catalog entry: {e}")))?;
        let old: Option<String> = c
            .query_opt(
                "SELECT tbl FROM quyhoach_layers WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .map_err(pg)?
            .map(|r| r.get(0));
        c.execute(
            "INSERT INTO quyhoach_layers (id, kind, tbl, entry) VALUES ($1, $2, $3, $4::text::jsonb)
             ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, tbl = EXCLUDED.tbl,
                 entry = EXCLUDED.entry",
            &[&id, &kind.id(), &table, &json],
        )
        .map_err(pg)?;
        if let Some(old) = old {
            c.batch_execute(&format!("DROP TABLE IF EXISTS {}", ident(&old)))
                .map_err(pg)?;
        }
        c.batch_execute("COMMIT").map_err(pg)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PgSink {
    fn drop(&mut self) {
        if !self.committed {
            // The import has failed with its own error; closing the connection would roll
            // back too, this only does it sooner.
            if let Err(e) = self.client.batch_execute("ROLLBACK") {
                tracing::warn!("rolling back a failed PostgreSQL import: {e}");
            }
        }
    }
}
