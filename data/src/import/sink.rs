//! Where normalised features go: a [`FeatureSink`], provided by the storage backend.
//!
//! An import hands the sink one layer: [`FeatureSink::begin`] with its schema, then every
//! accepted feature in source order through [`FeatureSink::write`], then
//! [`FeatureSink::commit`] with what the catalog records. The sink makes the layer visible
//! only at the commit, all at once; a sink dropped without a commit leaves the store as it
//! was (the import failed). The store's FlatGeobuf files are the first backend
//! ([`super::fgb_sink::FgbSink`]); nothing here names a file format, so a database backend
//! (a `COPY` inside a transaction) implements the same trait.

use std::collections::BTreeMap;

use geo_types::Geometry;

use crate::schema::Kind;
use crate::store::{ColumnInfo, SourceInfo};

use super::Result;

/// The layer a sink receives.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSchema {
    /// Store layer id.
    pub id: String,
    /// Kind: polygons for parcels, zones and boundaries, lines for red lines and roads.
    pub kind: Kind,
    /// Columns in order: the kind's schema fields, then any personal fields kept with
    /// `--keep-personal` (text, never served).
    pub columns: Vec<ColumnInfo>,
}

/// One attribute value of a normalised feature, of its column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Str(String),
    /// Whole number.
    Int(i64),
    /// Real number.
    Double(f64),
}

/// A feature ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalisedFeature {
    /// WGS 84 longitude/latitude: a `MultiPolygon` for polygonal kinds, a `MultiLineString`
    /// for lines; valid, finite, non-empty.
    pub geometry: Geometry<f64>,
    /// One value per column of the [`LayerSchema`], `None` for null.
    pub values: Vec<Option<Value>>,
}

/// What the catalog records of an imported layer besides its features.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSummary {
    /// Number of features written.
    pub count: u64,
    /// WGS 84 bounds `[west, south, east, north]` of what was written.
    pub bounds: [f64; 4],
    /// Plan given with `--plan`.
    pub plan: Option<String>,
    /// Plans the features name, in order of first appearance.
    pub plans: Vec<String>,
    /// Where the layer came from.
    pub source: SourceInfo,
    /// Counts of the report: read, written, repaired, rejected.
    pub summary: BTreeMap<String, u64>,
}

/// A storage backend's writer of one layer, all or nothing.
///
/// Every method's error fails the import. Until [`commit`](FeatureSink::commit) returns
/// `Ok`, the store shows what it showed before the import; dropping the sink uncommitted
/// discards what was written.
pub trait FeatureSink {
    /// Starts the layer; called once, before any feature.
    fn begin(&mut self, schema: LayerSchema) -> Result<()>;
    /// Adds one feature; its values follow the schema's columns.
    fn write(&mut self, feature: NormalisedFeature) -> Result<()>;
    /// Makes the layer visible in the store, replacing any layer of the same id.
    fn commit(self, summary: LayerSummary) -> Result<()>
    where
        Self: Sized;
}

impl LayerSummary {
    /// The catalog entry of the layer `schema` this summary describes, whose content hash is
    /// `sha256`, imported now (the store fills in `file` where it has one).
    pub fn into_entry(self, schema: LayerSchema, sha256: String) -> crate::store::LayerEntry {
        crate::store::LayerEntry {
            kind: schema.kind,
            file: String::new(),
            count: self.count,
            bounds: self.bounds,
            plan: self.plan,
            plans: self.plans,
            columns: schema.columns,
            source: self.source,
            sha256,
            imported_at: super::now_rfc3339(),
            summary: self.summary,
        }
    }
}
