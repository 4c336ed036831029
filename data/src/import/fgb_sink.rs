//! The store's backend: each layer is one FlatGeobuf file in EPSG:4326 with a packed Hilbert
//! R-tree, written to a temporary file inside the store, hashed, then moved into place and
//! recorded in the catalog atomically ([`Store::commit_layer`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo_types::Geometry;
use geozero::{ColumnValue, PropertyProcessor};
use sha2::{Digest, Sha256};

use crate::schema::FieldType;
use crate::store::{ColumnInfo, Store, WriteLock};

use super::sink::{FeatureSink, LayerSchema, LayerSummary, NormalisedFeature, Value};
use super::{ImportError, Result};

/// The FlatGeobuf store as a [`FeatureSink`]. It holds the store's write lock from before the
/// import reads its source until the layer is committed or the sink dropped.
///
/// Polygons stream into the writer (which spools them to an anonymous temporary file). Lines
/// wait until every feature is known: the flatgeobuf crate omits the `ends` of a one-part
/// MultiLineString, which GDAL 3.6 (and so QGIS) refuses to read, so one-part lines are
/// written as LineString and the header says LineString, or Unknown when some features have
/// several parts.
pub struct FgbSink {
    store: Store,
    lock: WriteLock,
    /// The layer, once begun.
    schema: Option<LayerSchema>,
    /// The writer of a polygonal layer.
    writer: Option<FgbWriter<'static>>,
    /// The features of a linear layer, until the commit.
    lines: Vec<NormalisedFeature>,
    /// The layer's temporary file inside the store while it exists; removed if the sink is
    /// dropped uncommitted.
    temp: Option<PathBuf>,
}

impl FgbSink {
    /// A sink writing into `store`, whose write lock `lock` is.
    pub fn new(store: Store, lock: WriteLock) -> Self {
        FgbSink {
            store,
            lock,
            schema: None,
            writer: None,
            lines: Vec::new(),
            temp: None,
        }
    }
}

/// The error of a sink used before [`FeatureSink::begin`].
fn not_begun() -> ImportError {
    ImportError::Write("no layer begun (a feature or commit came before begin)".into())
}

impl FeatureSink for FgbSink {
    fn begin(&mut self, schema: LayerSchema) -> Result<()> {
        if schema.kind.is_polygonal() {
            self.writer = Some(fgb_writer(&schema, GeometryType::MultiPolygon)?);
        }
        self.schema = Some(schema);
        Ok(())
    }

    fn write(&mut self, feature: NormalisedFeature) -> Result<()> {
        let schema = self.schema.as_ref().ok_or_else(not_begun)?;
        let feature = NormalisedFeature {
            geometry: match feature.geometry {
                Geometry::MultiLineString(mut ml) if ml.0.len() == 1 => {
                    Geometry::LineString(ml.0.remove(0))
                }
                g => g,
            },
            ..feature
        };
        match self.writer.as_mut() {
            Some(w) => add_feature(w, feature, &schema.columns).map_err(ImportError::Write),
            None => {
                self.lines.push(feature);
                Ok(())
            }
        }
    }

    fn commit(mut self, summary: LayerSummary) -> Result<()> {
        let schema = self.schema.take().ok_or_else(not_begun)?;
        let writer = match self.writer.take() {
            Some(w) => w,
            None => {
                let all_single = self
                    .lines
                    .iter()
                    .all(|f| matches!(f.geometry, Geometry::LineString(_)));
                let ty = if all_single {
                    GeometryType::LineString
                } else {
                    GeometryType::Unknown
                };
                let mut w = fgb_writer(&schema, ty)?;
                for f in std::mem::take(&mut self.lines) {
                    add_feature(&mut w, f, &schema.columns).map_err(ImportError::Write)?;
                }
                w
            }
        };
        let temp = self.store.temp_path(&schema.id);
        self.temp = Some(temp.clone());
        let sha256 = write_file(writer, &temp, self.store.dir())?;
        let id = schema.id.clone();
        let entry = summary.into_entry(schema, sha256);
        self.store.commit_layer(&self.lock, &id, &temp, entry)?;
        // Moved into place (or, on a failed catalog write, removed by the store).
        self.temp = None;
        Ok(())
    }
}

impl Drop for FgbSink {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            // The import has already failed with its own error; a file left here is removed
            // by the next writer (`Store::clean_temp`) and never read.
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Writes the finished layer to `temp` (inside the store at `store_dir`); returns its SHA-256.
fn write_file(fgb: FgbWriter, temp: &Path, store_dir: &Path) -> Result<String> {
    let file = File::create(temp)
        .map_err(|e| ImportError::Write(format!("in the store {}: {e}", store_dir.display())))?;
    let mut out = HashingWriter {
        inner: BufWriter::new(file),
        hash: Sha256::new(),
    };
    fgb.write(&mut out)
        .map_err(|e| e.to_string())
        .and_then(|_| out.flush().map_err(|e| e.to_string()))
        .map_err(ImportError::Write)?;
    Ok(format!("{:x}", out.hash.finalize()))
}

/// A SHA-256-computing writer (the catalog records each layer file's hash; the offline
/// kit's cropped layers are written through it too).
pub(crate) struct HashingWriter<W: Write> {
    pub(crate) inner: W,
    pub(crate) hash: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A FlatGeobuf writer of a store layer: EPSG:4326, a packed R-tree, every feature of the
/// header's geometry type (multi-polygons promoted), no columns yet. The import and the
/// crop of a store write their layers with it.
pub(crate) fn store_layer_writer(
    id: &str,
    title: &str,
    geometry_type: GeometryType,
) -> std::result::Result<FgbWriter<'static>, flatgeobuf::Error> {
    FgbWriter::create_with_options(
        id,
        geometry_type,
        FgbWriterOptions {
            write_index: true,
            // Unknown keeps each feature's own type; otherwise all features share the header's.
            detect_type: false,
            promote_to_multi: geometry_type == GeometryType::MultiPolygon,
            crs: FgbCrs {
                org: Some("EPSG"),
                code: 4326,
                ..Default::default()
            },
            title: Some(title),
            ..Default::default()
        },
    )
}

/// A FlatGeobuf writer in EPSG:4326 with a packed R-tree and the layer's columns.
fn fgb_writer(schema: &LayerSchema, geometry_type: GeometryType) -> Result<FgbWriter<'static>> {
    let title = format!("{}: {}", schema.kind, schema.id);
    let mut fgb = store_layer_writer(&schema.id, &title, geometry_type)
        .map_err(|e| ImportError::Write(e.to_string()))?;
    for c in &schema.columns {
        let ct = match c.ty {
            FieldType::String => ColumnType::String,
            FieldType::Int => ColumnType::Long,
            FieldType::Double => ColumnType::Double,
        };
        fgb.add_column(&c.name, ct, |_, col| col.nullable = true);
    }
    Ok(fgb)
}

/// Writes one feature, its non-null values in column order; the first error of the geometry
/// or of any value is returned (the feature is then half-written and the layer discarded).
fn add_feature(
    fgb: &mut FgbWriter,
    f: NormalisedFeature,
    columns: &[ColumnInfo],
) -> std::result::Result<(), String> {
    if f.values.len() != columns.len() {
        return Err(format!(
            "a feature with {} values for {} columns",
            f.values.len(),
            columns.len()
        ));
    }
    let mut failed: Option<String> = None;
    fgb.add_feature_geom(f.geometry, |w| {
        for (k, (v, column)) in f.values.iter().zip(columns).enumerate() {
            let name = column.name.as_str();
            let written = match v {
                Some(Value::Str(s)) => w.property(k, name, &ColumnValue::String(s)),
                Some(Value::Int(i)) => w.property(k, name, &ColumnValue::Long(*i)),
                Some(Value::Double(d)) => w.property(k, name, &ColumnValue::Double(*d)),
                None => Ok(false),
            };
            if let Err(e) = written {
                failed = Some(format!("column {name}: {e}"));
                return;
            }
        }
    })
    .map_err(|e| e.to_string())?;
    failed.map_or(Ok(()), Err)
}
