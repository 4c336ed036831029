//! Import of vector files read by GDAL into the store.
//!
//! One import reads one source layer, normalises its attributes to the kind's schema
//! ([`crate::schema`]), repairs what can be repaired, reprojects to WGS 84 with the pinned
//! VN-2000 transformation ([`crate::srs`]), measures areas in the source's metric CRS, writes a
//! FlatGeobuf file with a packed Hilbert R-tree and commits it to the store atomically.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use gdal::errors::GdalError;
use gdal::vector::{Geometry as GdalGeometry, LayerAccess, ToGdal};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{Area, BoundingRect, CoordsIter, Euclidean, Geodesic, GeodesicArea, Length};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon};
use geozero::{ColumnValue, PropertyProcessor};
use serde::Serialize;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::encoding::{self, TextEncoding};
use crate::landuse::{check_codes, CodeCheck};
use crate::schema::{self, FieldType, Kind};
use crate::srs::{Measure, ResolvedSrs, SrsError, SrsSpec, MAX_COORDINATE_ABS, VIETNAM_ENVELOPE};
use crate::store::{ColumnInfo, LayerEntry, SourceInfo, Store, StoreError};

/// How many features the encoding detector samples.
const ENCODING_SAMPLE: usize = 2000;
/// How many repaired/rejected entries a report lists one by one (the counts are always
/// complete); keeps the JSON report small for a million bad features.
const REPORT_LIST_CAP: usize = 10_000;
/// Longest attribute value accepted, in bytes of text: 64 KiB. Real attributes are short (a
/// code, a name, an address, a list of land-use codes); a longer value is a broken or hostile
/// file, and every byte of it would be stored and then served with each request for the
/// feature (API, reports, OGC items, tiles). A feature with a longer value in any field the
/// import reads is rejected, with the field and the size in the report: cutting the value
/// would silently store something the source does not say.
pub const MAX_ATTRIBUTE_BYTES: usize = 64 * 1024;
/// Most fields a source layer may have: 2,000, GeoPackage's own limit (a DBF has at most 255).
/// Every field name goes into the report and into some error messages.
pub const MAX_SOURCE_FIELDS: usize = 2000;
/// Longest source field name accepted, in bytes (255: a DBF name has at most 10, GeoPackage
/// and GeoJSON names are rarely over 60); names are repeated in reports and error messages.
pub const MAX_FIELD_NAME_BYTES: usize = 255;
/// How far outside [`VIETNAM_ENVELOPE`] a feature may lie, in degrees (1° ≈ 110 km): a
/// feature whose centre is farther out is in the wrong reference system or wrongly placed.
pub const OUTSIDE_VIETNAM_MARGIN_DEG: f64 = 1.0;

/// Errors of an import. Each leaves the store as it was.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// GDAL cannot open or read the source.
    #[error("cannot read {path}: {reason}")]
    Open {
        /// The source.
        path: String,
        /// GDAL's message.
        reason: String,
    },
    /// The named layer is not in the source.
    #[error("{path} has no layer '{name}' (layers: {available})")]
    LayerNotFound {
        /// The source.
        path: String,
        /// The layer asked for.
        name: String,
        /// What it has.
        available: String,
    },
    /// Several layers and none chosen.
    #[error("{path} has several layers ({available}): choose one with --layer-name")]
    ChooseLayer {
        /// The source.
        path: String,
        /// What it has.
        available: String,
    },
    /// A source without features.
    #[error("{path}: layer '{layer}' is empty, nothing to import")]
    EmptyLayer {
        /// The source.
        path: String,
        /// Its layer.
        layer: String,
    },
    /// Every feature was rejected.
    #[error("{path}: all {read} features were rejected (first reason: {reason}); the store is unchanged")]
    AllRejected {
        /// The source.
        path: String,
        /// How many were read.
        read: u64,
        /// The first rejection.
        reason: String,
    },
    /// A required schema field has no source field.
    #[error("{path}: no field for '{field}' of {kind} (source fields: {available}); map one with --map {field}=SOURCE_FIELD")]
    MissingField {
        /// The source.
        path: String,
        /// The kind.
        kind: Kind,
        /// The schema field.
        field: String,
        /// The source's fields.
        available: String,
    },
    /// Bad options: mappings, layer id, profile.
    #[error("{0}")]
    Options(String),
    /// Zones and red lines need a plan known to the store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A coordinate reference system problem.
    #[error(transparent)]
    Srs(#[from] SrsError),
    /// Most features lie far outside Vietnam (and `--allow-outside-vietnam` was not given).
    #[error("{path}: {outside} of {total} features lie outside Vietnam (e.g. fid {fid} at {lon:.3}°, {lat:.3}°) with --srs {srs} — check the SRS; pass --allow-outside-vietnam if the data really is elsewhere; the store is unchanged")]
    OutsideVietnam {
        /// The source.
        path: String,
        /// Features outside.
        outside: u64,
        /// Features that reached the check.
        total: u64,
        /// One of them.
        fid: i64,
        /// Its centre's longitude.
        lon: f64,
        /// Its centre's latitude.
        lat: f64,
        /// The SRS label.
        srs: String,
    },
    /// Writing the FlatGeobuf file failed.
    #[error("cannot write layer file: {0}")]
    Write(String),
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, ImportError>;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Source file (or `.zip`, or a GDAL connection string).
    pub source: PathBuf,
    /// Layer inside the source, when it has several.
    pub source_layer: Option<String>,
    /// Kind of layer.
    pub kind: Kind,
    /// Store directory.
    pub store: PathBuf,
    /// Source SRS.
    pub srs: SrsSpec,
    /// Plan of zones/red lines.
    pub plan: Option<String>,
    /// Store layer id (default from kind and plan).
    pub layer: Option<String>,
    /// Text encoding; `None` detects it.
    pub encoding: Option<TextEncoding>,
    /// Explicit `target=source` field mappings.
    pub mappings: Vec<(String, String)>,
    /// Mapping profile name (`auto` tries them all).
    pub profile: String,
    /// Commune code for parcels whose source has none.
    pub commune: Option<String>,
    /// Personal-data source fields to keep (stored as `private_<name>`, never served).
    pub keep_personal: Vec<String>,
    /// Reject features with unknown land-use codes instead of keeping them.
    pub strict_codes: bool,
    /// Accept features lying far outside Vietnam (otherwise they are rejected, and the whole
    /// import refused when they are the majority).
    pub allow_outside_vietnam: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// The only GDAL drivers that may open the source (short names, e.g. `ESRI Shapefile`,
    /// `GeoJSON`, `GPKG`); `None` lets GDAL try every driver it has. When set, the source
    /// must be a plain file path: no `/vsi…` path and no `.zip` (read through `/vsizip/`)
    /// is opened. The server's practice import sets it for trainees' uploads, so that a VRT,
    /// a CSV or any other driver that can name other files is never tried.
    pub allowed_drivers: Option<Vec<String>>,
}

impl ImportOptions {
    /// Options with defaults for everything but the essentials.
    pub fn new(
        source: impl Into<PathBuf>,
        kind: Kind,
        store: impl Into<PathBuf>,
        srs: SrsSpec,
    ) -> Self {
        ImportOptions {
            source: source.into(),
            source_layer: None,
            kind,
            store: store.into(),
            srs,
            plan: None,
            layer: None,
            encoding: None,
            mappings: Vec::new(),
            profile: "auto".into(),
            commune: None,
            keep_personal: Vec::new(),
            strict_codes: false,
            allow_outside_vietnam: false,
            progress: false,
            allowed_drivers: None,
        }
    }
}

/// One feature that was repaired or rejected.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureIssue {
    /// Feature id in the source.
    pub fid: i64,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    /// Store layer id.
    pub layer: String,
    /// Kind.
    pub kind: String,
    /// Source path.
    pub source: String,
    /// Source layer.
    pub source_layer: String,
    /// GDAL driver.
    pub driver: String,
    /// SRS label and the definition used.
    pub srs: String,
    /// The definition used.
    pub srs_definition: String,
    /// Encoding used.
    pub encoding: String,
    /// Whether the encoding was detected (not forced).
    pub encoding_detected: bool,
    /// Features read.
    pub read: u64,
    /// Features written.
    pub written: u64,
    /// Number repaired.
    pub repaired_count: u64,
    /// Number rejected.
    pub rejected_count: u64,
    /// Repaired features (first entries).
    pub repaired: Vec<FeatureIssue>,
    /// Rejected features (first entries).
    pub rejected: Vec<FeatureIssue>,
    /// Geometries converted to the kind's type (closed lines to polygons, …).
    pub converted: BTreeMap<String, u64>,
    /// Legacy land-use codes mapped, `OLD->NEW` → count.
    pub codes_mapped: BTreeMap<String, u64>,
    /// Unknown land-use codes → count.
    pub codes_unknown: BTreeMap<String, u64>,
    /// Values set to null because they were out of range or not numbers, field → count.
    pub values_dropped: BTreeMap<String, u64>,
    /// Schema field → source field.
    pub field_map: BTreeMap<String, String>,
    /// Source fields not imported.
    pub fields_ignored: Vec<String>,
    /// Source fields dropped as personal data.
    pub personal_fields_dropped: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Temporary files of interrupted imports removed from the store, and their bytes.
    pub temporary_files_removed: u64,
    /// Their size in bytes.
    pub temporary_bytes_removed: u64,
    /// WGS 84 bounds of what was written.
    pub bounds: [f64; 4],
    /// Seconds taken.
    pub seconds: f64,
}

impl ImportReport {
    fn repair(&mut self, fid: i64, reason: String) {
        self.repaired_count += 1;
        if self.repaired.len() < REPORT_LIST_CAP {
            self.repaired.push(FeatureIssue { fid, reason });
        }
    }

    fn reject(&mut self, fid: i64, reason: String) {
        self.rejected_count += 1;
        if self.rejected.len() < REPORT_LIST_CAP {
            self.rejected.push(FeatureIssue { fid, reason });
        }
    }

    /// A human summary, several lines.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} ← {} [{}] ({}; {}; encoding {}{})\n  read {}, written {}, repaired {}, rejected {}\n",
            self.layer,
            self.source,
            self.source_layer,
            self.driver,
            self.srs,
            self.encoding,
            if self.encoding_detected { ", detected" } else { "" },
            self.read,
            self.written,
            self.repaired_count,
            self.rejected_count,
        );
        let list = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.converted.is_empty() {
            s += &format!("  converted: {}\n", list(&self.converted));
        }
        if !self.codes_mapped.is_empty() {
            s += &format!("  legacy codes mapped: {}\n", list(&self.codes_mapped));
        }
        if !self.codes_unknown.is_empty() {
            s += &format!(
                "  unknown land-use codes kept: {}\n",
                list(&self.codes_unknown)
            );
        }
        if !self.values_dropped.is_empty() {
            s += &format!("  values set to null: {}\n", list(&self.values_dropped));
        }
        if !self.personal_fields_dropped.is_empty() {
            s += &format!(
                "  personal data dropped: {}\n",
                self.personal_fields_dropped.join(", ")
            );
        }
        if !self.fields_ignored.is_empty() {
            s += &format!(
                "  fields not in the schema: {}\n",
                self.fields_ignored.join(", ")
            );
        }
        for (what, list) in [("repaired", &self.repaired), ("rejected", &self.rejected)] {
            for i in list.iter().take(5) {
                s += &format!("  {what} fid {}: {}\n", i.fid, i.reason);
            }
            if list.len() > 5 {
                s += &format!("  … {} more {what} (see --report)\n", list.len() - 5);
            }
        }
        for w in &self.warnings {
            s += &format!("  warning: {w}\n");
        }
        if self.temporary_files_removed > 0 {
            s += &format!(
                "  removed {} temporary file(s) of an interrupted import ({})\n",
                self.temporary_files_removed,
                crate::store::human_bytes(self.temporary_bytes_removed)
            );
        }
        s
    }
}

/// GDAL's recent error messages, captured instead of printed so that errors are one clear
/// line. GDAL reports an error on the thread that raised it; each message keeps its thread so
/// that concurrent imports (and tests) each take only their own.
fn gdal_messages() -> &'static Mutex<Vec<(std::thread::ThreadId, String)>> {
    static MESSAGES: OnceLock<Mutex<Vec<(std::thread::ThreadId, String)>>> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        gdal::config::set_error_handler(|class, _num, msg| {
            if matches!(
                class,
                gdal::errors::CplErrType::Failure | gdal::errors::CplErrType::Fatal
            ) {
                if let Ok(mut m) = gdal_messages().lock() {
                    if m.len() > 200 {
                        m.remove(0);
                    }
                    m.push((std::thread::current().id(), msg.trim().to_string()));
                }
            } else {
                tracing::debug!("GDAL: {msg}");
            }
        });
        Mutex::new(Vec::new())
    })
}

/// Takes this thread's GDAL errors since its last call.
pub fn take_gdal_errors() -> Vec<String> {
    let me = std::thread::current().id();
    gdal_messages()
        .lock()
        .map(|mut m| {
            let (mine, others): (Vec<_>, Vec<_>) = m.drain(..).partition(|(t, _)| *t == me);
            *m = others;
            mine.into_iter().map(|(_, msg)| msg).collect()
        })
        .unwrap_or_default()
}

/// Whether a feature's geometry is null (a GeoJSON `"geometry": null`, a Shapefile's null
/// shape). The gdal crate hands those out as a geometry on a NULL pointer, and every call on
/// it makes GDAL report an error; the probe's own complaint is taken back out of this
/// thread's messages so that it does not fail the import as a read error. A real geometry
/// is never of the unknown type.
pub fn geometry_is_null(g: &GdalGeometry) -> bool {
    gdal_messages();
    if g.geometry_type() != gdal_sys::OGRwkbGeometryType::wkbUnknown {
        return false;
    }
    let me = std::thread::current().id();
    if let Ok(mut m) = gdal_messages().lock() {
        m.retain(|(t, msg)| *t != me || !msg.contains("is NULL in 'OGR_G_GetGeometryType'"));
    }
    true
}

/// GDAL's reason for an error, in a person's words: its captured messages, with the path GDAL
/// was given (`/vsizip/…` of an absolute path) replaced by the user's own `source`; and for a
/// bare "returned a NULL pointer" (GDAL opened nothing and said nothing), what that means.
fn gdal_reason(e: &GdalError, source: &Path) -> String {
    let mut msgs = take_gdal_errors();
    msgs.dedup();
    let text = if !msgs.is_empty() {
        msgs.join("; ")
    } else {
        match e {
            GdalError::NullPointer { method_name, .. } if method_name.contains("Open") => {
                "not a vector file GDAL can read (no GDAL driver recognises it)".to_string()
            }
            GdalError::NullPointer { .. } => "GDAL could not read it".to_string(),
            other => other.to_string(),
        }
    };
    in_user_words(text, source)
}

/// GDAL's text with the path GDAL was given (`/vsizip/` and an absolute path for a `.zip`)
/// replaced by the source as the user named it.
fn in_user_words(text: String, source: &Path) -> String {
    let shown = source.display().to_string();
    let internal = gdal_path(source);
    if internal != shown {
        text.replace(&internal, &shown)
    } else {
        text
    }
}

/// The GDAL path for a source: `.zip` files are read through `/vsizip/`.
fn gdal_path(source: &Path) -> String {
    let s = source.to_string_lossy().to_string();
    let lower = s.to_lowercase();
    if lower.ends_with(".zip") && !lower.starts_with("/vsi") {
        let abs = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
        format!("/vsizip/{}", abs.to_string_lossy())
    } else {
        s
    }
}

/// Opens a source read-only. Shapefiles are opened with their DBF text passed through as
/// Latin-1 (byte for byte) unless UTF-8 is forced, so that TCVN3/VNI bytes survive to the
/// encoding detector.
pub fn open_source(source: &Path, encoding: Option<TextEncoding>) -> Result<Dataset> {
    open_source_with(source, encoding, None)
}

/// [`open_source`] with only the given GDAL drivers allowed to open the source (see
/// [`ImportOptions::allowed_drivers`]); `None` allows every driver.
pub fn open_source_with(
    source: &Path,
    encoding: Option<TextEncoding>,
    allowed_drivers: Option<&[String]>,
) -> Result<Dataset> {
    gdal_messages();
    take_gdal_errors();
    if allowed_drivers.is_some() {
        let text = source.to_string_lossy().to_lowercase();
        if text.starts_with("/vsi") || text.ends_with(".zip") || !source.is_file() {
            return Err(ImportError::Open {
                path: source.display().to_string(),
                reason: "with a restricted set of drivers only a plain file is opened (no /vsi path, no .zip)".into(),
            });
        }
    }
    let path = if allowed_drivers.is_some() {
        source.to_string_lossy().to_string()
    } else {
        gdal_path(source)
    };
    let lower = path.to_lowercase();
    let mut open_options: Vec<&str> = Vec::new();
    let shapefile =
        lower.ends_with(".shp") || lower.ends_with(".dbf") || lower.contains("/vsizip/");
    if shapefile && encoding != Some(TextEncoding::Utf8) {
        open_options.push("ENCODING=ISO-8859-1");
    }
    if lower.ends_with(".csv") {
        open_options.extend([
            "GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom,wkt_geom,shape",
            "KEEP_GEOM_COLUMNS=NO",
        ]);
    }
    if !source.exists() && !path.starts_with("/vsi") {
        return Err(ImportError::Open {
            path: source.display().to_string(),
            reason: "no such file".into(),
        });
    }
    let drivers: Option<Vec<&str>> =
        allowed_drivers.map(|d| d.iter().map(String::as_str).collect());
    let ds = Dataset::open_ex(
        &path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            open_options: if open_options.is_empty() {
                None
            } else {
                Some(&open_options)
            },
            allowed_drivers: drivers.as_deref(),
            sibling_files: None,
        },
    )
    .map_err(|e| ImportError::Open {
        path: source.display().to_string(),
        reason: gdal_reason(&e, source),
    })?;
    let errors = take_gdal_errors();
    if ds.layer_count() == 0 {
        return Err(ImportError::Open {
            path: source.display().to_string(),
            reason: if errors.is_empty() {
                "no vector layer in it".into()
            } else {
                in_user_words(errors.join("; "), source)
            },
        });
    }
    Ok(ds)
}

/// Picks the source layer: the named one, the only one, or one whose name says its kind in the
/// Circular 16/2025 way (`ChiGioiDuongDo_L` for red lines, `*_A` for zones).
fn pick_layer<'a>(ds: &'a Dataset, opts: &ImportOptions) -> Result<gdal::vector::Layer<'a>> {
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let path = opts.source.display().to_string();
    if let Some(name) = &opts.source_layer {
        return ds
            .layer_by_name(name)
            .map_err(|_| ImportError::LayerNotFound {
                path,
                name: name.clone(),
                available: names.join(", "),
            });
    }
    if names.len() == 1 {
        return ds.layer(0).map_err(|e| ImportError::Open {
            path,
            reason: gdal_reason(&e, &opts.source),
        });
    }
    let guess: Vec<&String> = names
        .iter()
        .filter(|n| {
            let k = schema::field_key(n);
            match opts.kind {
                Kind::Redlines => k.starts_with("chigioiduongdo"),
                Kind::Zones => k.starts_with("sudungdat") || k.starts_with("khuquyhoach"),
                _ => false,
            }
        })
        .collect();
    if let [one] = guess.as_slice() {
        return ds.layer_by_name(one).map_err(|e| ImportError::Open {
            path,
            reason: gdal_reason(&e, &opts.source),
        });
    }
    Err(ImportError::ChooseLayer {
        path,
        available: names.join(", "),
    })
}

/// Checks a store layer id.
pub fn check_layer_id(id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(ImportError::Options(format!(
            "bad layer id '{id}': use 1–64 lowercase ASCII letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}

/// The default store layer id for a kind and plan.
pub fn default_layer_id(kind: Kind, plan: Option<&str>) -> String {
    match (kind, plan) {
        (Kind::Zones | Kind::Redlines, Some(p)) => format!("{}-{p}", kind.id()),
        _ => kind.id().to_string(),
    }
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

/// A value read for a schema field.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
    Double(f64),
}

/// Parses a number the way sources write them ("12", "12.0", "12,5", " 7 ").
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let t = if t.contains(',') && !t.contains('.') {
        t.replace(',', ".")
    } else {
        t.to_string()
    };
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A source value over [`MAX_ATTRIBUTE_BYTES`]: its size in bytes.
struct TooLong(usize);

/// Reads a source string field, undoing legacy encodings; `Err` for a value over the cap
/// (checked before any decoding or copying).
fn read_text(
    feature: &gdal::vector::Feature,
    idx: usize,
    enc: TextEncoding,
) -> std::result::Result<Option<String>, TooLong> {
    let Some(raw) = feature.field_as_string(idx).ok().flatten() else {
        return Ok(None);
    };
    if raw.len() > MAX_ATTRIBUTE_BYTES {
        return Err(TooLong(raw.len()));
    }
    let text = match enc {
        TextEncoding::Utf8 => match encoding::legacy_bytes(&raw) {
            // Shapefiles opened as Latin-1 hand us the raw bytes; re-read them as UTF-8.
            Some(bytes) if std::str::from_utf8(&bytes).is_ok() => encoding::decode(&bytes, enc),
            _ => raw.nfc().collect(),
        },
        other => encoding::repair(&raw, other),
    };
    let t = text.trim();
    Ok((!t.is_empty()).then(|| t.to_string()))
}

/// The reason for rejecting a feature with a value over the cap.
fn too_long(field: &str, TooLong(bytes): TooLong) -> String {
    format!(
        "field '{field}' holds {bytes} bytes, over the {} KiB cap on an attribute value",
        MAX_ATTRIBUTE_BYTES / 1024
    )
}

/// Collects all coordinates of a geometry, mutably, in a fixed order.
fn for_each_coord_mut(g: &mut Geometry<f64>, f: &mut dyn FnMut(&mut Coord<f64>)) {
    fn ring(ls: &mut LineString<f64>, f: &mut dyn FnMut(&mut Coord<f64>)) {
        ls.0.iter_mut().for_each(f);
    }
    fn poly(p: &mut Polygon<f64>, f: &mut dyn FnMut(&mut Coord<f64>)) {
        p.exterior_mut(|e| ring(e, f));
        p.interiors_mut(|is| is.iter_mut().for_each(|i| ring(i, f)));
    }
    match g {
        Geometry::MultiPolygon(mp) => mp.0.iter_mut().for_each(|p| poly(p, f)),
        Geometry::MultiLineString(ml) => ml.0.iter_mut().for_each(|l| ring(l, f)),
        Geometry::Polygon(p) => poly(p, f),
        Geometry::LineString(l) => ring(l, f),
        _ => {}
    }
}

/// Reprojects a geometry in place with one PROJ call for all its coordinates.
pub(crate) fn reproject(
    g: &mut Geometry<f64>,
    ct: &gdal::spatial_ref::CoordTransform,
) -> std::result::Result<(), String> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for_each_coord_mut(g, &mut |c| {
        xs.push(c.x);
        ys.push(c.y);
    });
    // Garbage never reaches PROJ/GDAL (see MAX_COORDINATE_ABS): it can make them spin.
    if xs
        .iter()
        .chain(&ys)
        .any(|v| !v.is_finite() || v.abs() > MAX_COORDINATE_ABS)
    {
        return Err("non-finite or impossibly large coordinate".into());
    }
    let mut zs = vec![0.0; xs.len()];
    ct.transform_coords(&mut xs, &mut ys, &mut zs)
        .map_err(|e| format!("cannot transform to WGS 84: {e}"))?;
    if xs.iter().chain(&ys).any(|v| !v.is_finite()) {
        return Err("coordinates outside the CRS's valid area".into());
    }
    let mut i = 0;
    for_each_coord_mut(g, &mut |c| {
        c.x = xs[i];
        c.y = ys[i];
        i += 1;
    });
    Ok(())
}

/// Takes the polygonal parts of a geometry.
fn polygons_of(g: Geometry<f64>, out: &mut Vec<Polygon<f64>>, dropped: &mut u64) {
    match g {
        Geometry::Polygon(p) => out.push(p),
        Geometry::MultiPolygon(mp) => out.extend(mp.0),
        Geometry::GeometryCollection(gc) => {
            gc.0.into_iter().for_each(|g| polygons_of(g, out, dropped))
        }
        Geometry::Rect(r) => out.push(r.to_polygon()),
        Geometry::Triangle(t) => out.push(t.to_polygon()),
        _ => *dropped += 1,
    }
}

/// Takes the linear parts of a geometry (polygon rings become lines).
fn lines_of(g: Geometry<f64>, out: &mut Vec<LineString<f64>>, from_polygons: &mut u64) {
    match g {
        Geometry::LineString(l) => out.push(l),
        Geometry::Line(l) => out.push(LineString::from(vec![l.start, l.end])),
        Geometry::MultiLineString(ml) => out.extend(ml.0),
        Geometry::Polygon(p) => {
            *from_polygons += 1;
            let (ext, ints) = p.into_inner();
            out.push(ext);
            out.extend(ints);
        }
        Geometry::MultiPolygon(mp) => {
            mp.0.into_iter()
                .for_each(|p| lines_of(Geometry::Polygon(p), out, from_polygons))
        }
        Geometry::GeometryCollection(gc) => {
            gc.0.into_iter()
                .for_each(|g| lines_of(g, out, from_polygons))
        }
        _ => {}
    }
}

/// Outcome of shaping one geometry.
pub(crate) struct Shaped {
    pub(crate) geom: Geometry<f64>,
    /// Source-CRS measure (area for polygons, length for lines), in source units.
    planar: f64,
    repaired: Option<String>,
    converted: Option<&'static str>,
}

/// Brings a source geometry to the kind's type, valid, or says why it cannot.
pub(crate) fn shape_geometry(
    kind: Kind,
    src: &GdalGeometry,
) -> std::result::Result<Shaped, String> {
    let mut g2 = src.clone();
    g2.flatten_to_2d();
    let geo: Geometry<f64> = Geometry::try_from(&g2).map_err(|_| {
        format!(
            "unsupported geometry type {}",
            gdal::vector::geometry_type_to_name(src.geometry_type())
        )
    })?;
    // Before anything computes with it (validation, GEOS repair, PROJ, areas, the R-tree): a
    // NaN, an infinity or a garbage magnitude in any ring, part or member of any geometry type.
    for c in geo.coords_iter() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err("non-finite coordinate (NaN or infinity)".into());
        }
        if c.x.abs() > MAX_COORDINATE_ABS || c.y.abs() > MAX_COORDINATE_ABS {
            return Err(format!(
                "coordinate ({:e}, {:e}) is on no map of the Earth (beyond ±{MAX_COORDINATE_ABS:e})",
                c.x, c.y
            ));
        }
    }
    let mut converted = None;
    if kind.is_polygonal() {
        let mut polys = Vec::new();
        let mut dropped = 0;
        let geo = match geo {
            // Closed polylines (DXF, MapInfo) delivered for areas become polygons.
            Geometry::LineString(ls) if ls.is_closed() && ls.0.len() >= 4 => {
                converted = Some("closed line → polygon");
                Geometry::Polygon(Polygon::new(ls, vec![]))
            }
            Geometry::MultiLineString(ml)
                if !ml.0.is_empty() && ml.0.iter().all(|l| l.is_closed() && l.0.len() >= 4) =>
            {
                converted = Some("closed lines → polygons");
                Geometry::MultiPolygon(ml.0.into_iter().map(|l| Polygon::new(l, vec![])).collect())
            }
            g => g,
        };
        let type_name = geometry_name(&geo);
        polygons_of(geo, &mut polys, &mut dropped);
        if polys.is_empty() {
            return Err(format!("expected a polygon, got {type_name}"));
        }
        if dropped > 0 {
            converted = Some("non-polygon parts dropped from a collection");
        }
        polys.retain(|p| p.exterior().0.len() >= 4 || !p.interiors().is_empty());
        if polys.is_empty() {
            return Err("empty geometry".into());
        }
        let mut mp = MultiPolygon(polys);
        let mut repaired = None;
        if let Some(reason) = crate::validity::invalidity(&mp) {
            mp = make_valid(&mp)
                .ok_or_else(|| format!("invalid ({reason}) and GEOS could not repair it"))?;
            repaired = Some(reason);
        }
        let planar = mp.unsigned_area();
        if planar <= 0.0 {
            return Err("zero area".into());
        }
        Ok(Shaped {
            geom: Geometry::MultiPolygon(mp),
            planar,
            repaired,
            converted,
        })
    } else {
        let mut lines = Vec::new();
        let mut from_polygons = 0;
        let type_name = geometry_name(&geo);
        lines_of(geo, &mut lines, &mut from_polygons);
        if from_polygons > 0 {
            converted = Some("polygon boundary → line");
        }
        lines.retain(|l| l.0.len() >= 2);
        if lines.is_empty() {
            return Err(format!("expected a line, got {type_name}"));
        }
        let ml = MultiLineString(lines);
        let planar = Euclidean.length(&ml);
        if planar <= 0.0 {
            return Err("zero length".into());
        }
        Ok(Shaped {
            geom: Geometry::MultiLineString(ml),
            planar,
            repaired: None,
            converted,
        })
    }
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

/// Repairs a polygon with GEOS's MakeValid (through GDAL) and keeps its polygonal parts.
fn make_valid(mp: &MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
    let g = mp.to_gdal().ok()?;
    let fixed = g.make_valid(&gdal::cpl::CslStringList::new()).ok()?;
    let geo: Geometry<f64> = Geometry::try_from(&fixed).ok()?;
    let mut polys = Vec::new();
    let mut dropped = 0;
    polygons_of(geo, &mut polys, &mut dropped);
    let out = MultiPolygon(polys);
    (out.unsigned_area() > 0.0).then_some(out)
}

/// Geodesic area on the WGS 84 ellipsoid of a longitude/latitude multipolygon: the sum over
/// its polygons of the exterior's area minus its holes', whatever way each ring turns.
///
/// geo's `geodesic_area_unsigned` takes a polygon's exterior to run counter-clockwise and its
/// holes clockwise: a clockwise exterior (Shapefiles store them so, GEOS repairs may return
/// them) measures as the rest of the Earth, 5.1e14 m² minus the polygon, and a
/// counter-clockwise hole likewise. One ring alone has a signed area in (−A/2, A/2] (A the
/// Earth's area; geographiclib's `PolygonArea`, through geo), ± what it encloses, so its
/// magnitude is right for any ring smaller than half the Earth. The polygons of a valid
/// multipolygon (a repaired one included) do not overlap, so their areas add up.
fn geodesic_area(mp: &MultiPolygon<f64>) -> f64 {
    let ring = |r: &LineString<f64>| Polygon::new(r.clone(), vec![]).geodesic_area_signed().abs();
    mp.0.iter()
        .map(|p| {
            let holes: f64 = p.interiors().iter().map(ring).sum();
            (ring(p.exterior()) - holes).max(0.0)
        })
        .sum()
}

/// Whether a WGS 84 point lies outside Vietnam's envelope widened by
/// [`OUTSIDE_VIETNAM_MARGIN_DEG`].
fn outside_vietnam(c: Coord<f64>) -> bool {
    let [w, s, e, n] = VIETNAM_ENVELOPE;
    let m = OUTSIDE_VIETNAM_MARGIN_DEG;
    !((w - m..=e + m).contains(&c.x) && (s - m..=n + m).contains(&c.y))
}

/// A feature ready for the writer.
struct PendingFeature {
    geom: Geometry<f64>,
    values: Vec<Option<Value>>,
    kept: Vec<Option<String>>,
}

/// A FlatGeobuf writer in EPSG:4326 with a packed R-tree and the given columns.
fn fgb_writer<'a>(
    layer_id: &str,
    title: &'a str,
    geometry_type: GeometryType,
    columns: &[ColumnInfo],
) -> Result<FgbWriter<'a>> {
    let mut fgb = FgbWriter::create_with_options(
        layer_id,
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
    .map_err(|e| ImportError::Write(e.to_string()))?;
    for c in columns {
        let ct = match c.ty {
            FieldType::String => ColumnType::String,
            FieldType::Int => ColumnType::Long,
            FieldType::Double => ColumnType::Double,
        };
        fgb.add_column(&c.name, ct, |_, col| col.nullable = true);
    }
    Ok(fgb)
}

/// Writes one feature: the schema's values, then the kept personal fields.
fn add_feature(
    fgb: &mut FgbWriter,
    f: PendingFeature,
    specs: &[schema::FieldSpec],
    kept: &[(usize, String)],
) -> std::result::Result<(), String> {
    fgb.add_feature_geom(f.geom, |w| {
        for (k, v) in f.values.iter().enumerate() {
            let name = specs[k].name;
            let _ = match v {
                Some(Value::Str(s)) => w.property(k, name, &ColumnValue::String(s)),
                Some(Value::Int(i)) => w.property(k, name, &ColumnValue::Long(*i)),
                Some(Value::Double(d)) => w.property(k, name, &ColumnValue::Double(*d)),
                None => Ok(false),
            };
        }
        for (j, v) in f.kept.iter().enumerate() {
            if let Some(s) = v {
                let _ = w.property(specs.len() + j, &kept[j].1, &ColumnValue::String(s));
            }
        }
    })
    .map_err(|e| e.to_string())
}

/// Imports one source layer into the store. On any error the store is unchanged.
pub fn import(opts: &ImportOptions) -> Result<ImportReport> {
    let started = Instant::now();
    let kind = opts.kind;
    let layer_id = opts
        .layer
        .clone()
        .unwrap_or_else(|| default_layer_id(kind, opts.plan.as_deref()));
    check_layer_id(&layer_id)?;
    let profiles = schema::profiles_named(&opts.profile).map_err(ImportError::Options)?;

    let mut store = Store::open_or_create(&opts.store)?;
    let lock = store.lock()?;
    store.reload()?;
    let (temp_files, temp_bytes) = store.clean_temp(&lock);
    if let Some(plan) = &opts.plan {
        if !kind.needs_plan() {
            return Err(ImportError::Options(format!(
                "--plan applies to zones and redlines, not {kind}"
            )));
        }
        if !store.catalog.plans.contains_key(plan) {
            return Err(StoreError::UnknownPlan(plan.clone()).into());
        }
    }

    let ds = open_source_with(&opts.source, opts.encoding, opts.allowed_drivers.as_deref())?;
    let driver = ds.driver().short_name();
    let mut layer = pick_layer(&ds, opts)?;
    let path_text = opts.source.display().to_string();
    let source_layer = layer.name();
    let mut report = ImportReport {
        layer: layer_id.clone(),
        kind: kind.id().into(),
        source: path_text.clone(),
        source_layer: source_layer.clone(),
        driver: driver.clone(),
        temporary_files_removed: temp_files,
        temporary_bytes_removed: temp_bytes,
        ..Default::default()
    };

    if layer.feature_count() == 0 {
        return Err(ImportError::EmptyLayer {
            path: path_text,
            layer: source_layer,
        });
    }

    // Reference system: resolve, then check the extent before reading anything.
    let file_srs = layer.spatial_ref();
    let srs = ResolvedSrs::resolve(&opts.srs, file_srs.as_ref())?;
    if let (Some(fs), SrsSpec::Vn2000Tm3 { .. } | SrsSpec::Vn2000Utm(_) | SrsSpec::Epsg(_)) =
        (&file_srs, &opts.srs)
    {
        let file_def = fs.to_proj4().unwrap_or_default();
        let ours = srs.spatial_ref().to_proj4().unwrap_or_default();
        let key = |s: &str| {
            s.split_whitespace()
                .filter(|p| {
                    p.starts_with("+proj=")
                        || p.starts_with("+lon_0=")
                        || p.starts_with("+zone=")
                        || p.starts_with("+k=")
                })
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        if key(&file_def) != key(&ours) {
            report.warnings.push(format!(
                "the file's own CRS ({file_def}) differs from --srs {}; using --srs",
                srs.label
            ));
        }
    }
    report.srs = srs.label.clone();
    report.srs_definition = srs.definition.clone();
    let extent = layer
        .try_get_extent()
        .ok()
        .flatten()
        .or_else(|| layer.get_extent().ok());
    let count_hint = layer.try_feature_count().unwrap_or(0);
    match extent {
        // A non-finite or garbage extent comes from a feature with such a coordinate, which is
        // rejected on its own below (and the import refused if most features land outside
        // Vietnam).
        Some(e)
            if (count_hint > 0 || e.MinX <= e.MaxX)
                && [e.MinX, e.MinY, e.MaxX, e.MaxY]
                    .iter()
                    .all(|v| v.is_finite() && v.abs() <= MAX_COORDINATE_ABS) =>
        {
            if let Some(w) = srs.check_extent([e.MinX, e.MinY, e.MaxX, e.MaxY])? {
                report.warnings.push(w);
            }
        }
        _ => {}
    }
    let ct = srs.to_wgs84()?;

    // Fields.
    let source_fields: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    if source_fields.len() > MAX_SOURCE_FIELDS {
        return Err(ImportError::Open {
            path: path_text,
            reason: format!(
                "{} fields, more than the {MAX_SOURCE_FIELDS} accepted",
                source_fields.len()
            ),
        });
    }
    if let Some(long) = source_fields
        .iter()
        .find(|f| f.len() > MAX_FIELD_NAME_BYTES)
    {
        let start: String = long.chars().take(40).collect();
        return Err(ImportError::Open {
            path: path_text,
            reason: format!(
                "a field name of {} bytes ('{start}…'), longer than the {MAX_FIELD_NAME_BYTES} accepted",
                long.len()
            ),
        });
    }
    let field_types: Vec<u32> = layer.defn().fields().map(|f| f.field_type()).collect();
    let matched = schema::match_fields(kind, &source_fields, &opts.mappings, &profiles)
        .map_err(ImportError::Options)?;
    let specs = kind.fields();
    for (spec, m) in specs.iter().zip(&matched) {
        if let Some(i) = m {
            report
                .field_map
                .insert(spec.name.into(), source_fields[*i].clone());
        }
    }
    let has = |name: &str| {
        specs
            .iter()
            .position(|s| s.name == name)
            .and_then(|i| matched[i])
            .is_some()
    };
    for spec in specs.iter().filter(|s| s.required) {
        let satisfied = has(spec.name) || (spec.name == "commune_code" && opts.commune.is_some());
        if !satisfied {
            return Err(ImportError::MissingField {
                path: path_text,
                kind,
                field: spec.name.into(),
                available: if source_fields.is_empty() {
                    "none".into()
                } else {
                    source_fields.join(", ")
                },
            });
        }
    }
    if kind.needs_plan() && opts.plan.is_none() && !has("plan_id") {
        return Err(ImportError::Options(format!(
            "{kind} belong to a plan: pass --plan PLAN_ID or map a plan field with --map plan_id=FIELD"
        )));
    }
    let mut kept: Vec<(usize, String)> = Vec::new();
    for (i, name) in source_fields.iter().enumerate() {
        if matched.contains(&Some(i)) {
            continue;
        }
        if schema::is_personal(name) {
            let column = format!("private_{}", schema::field_key(name));
            let wanted = opts
                .keep_personal
                .iter()
                .any(|k| schema::field_key(k) == schema::field_key(name));
            // Two source spellings of one name (`CCCD` and `cccd`, `Số CCCD` and `SoCCCD`)
            // would make two columns of one name: the first is kept, the others dropped.
            if wanted && kept.iter().all(|(_, c)| *c != column) {
                kept.push((i, column));
            } else {
                if wanted {
                    report.warnings.push(format!(
                        "--keep-personal: '{name}' is another spelling of a field already kept as {column}; dropped"
                    ));
                }
                report.personal_fields_dropped.push(name.clone());
            }
        } else {
            report.fields_ignored.push(name.clone());
        }
    }
    for k in &opts.keep_personal {
        if !source_fields
            .iter()
            .any(|f| schema::field_key(f) == schema::field_key(k))
        {
            return Err(ImportError::Options(format!(
                "--keep-personal {k}: no such source field"
            )));
        }
    }

    // Encoding: forced, or detected from a sample of the text fields.
    let text_fields: Vec<usize> = specs
        .iter()
        .zip(&matched)
        .filter(|(s, _)| s.ty == FieldType::String)
        .filter_map(|(_, m)| *m)
        .chain(kept.iter().map(|(i, _)| *i))
        .filter(|i| field_types[*i] == gdal_sys::OGRFieldType::OFTString)
        .collect();
    let enc = match opts.encoding {
        Some(e) => e,
        None => {
            report.encoding_detected = true;
            let mut samples: Vec<Vec<u8>> = Vec::new();
            let mut unicode = false;
            for f in layer.features().take(ENCODING_SAMPLE) {
                for &i in &text_fields {
                    if let Ok(Some(s)) = f.field_as_string(i) {
                        if s.len() > MAX_ATTRIBUTE_BYTES {
                            continue;
                        }
                        match encoding::legacy_bytes(&s) {
                            Some(b) => samples.push(b),
                            None => unicode = true,
                        }
                    }
                }
            }
            layer.reset_feature_reading();
            if unicode {
                TextEncoding::Utf8
            } else {
                let refs: Vec<&[u8]> = samples.iter().map(|s| s.as_slice()).collect();
                encoding::detect(&refs)
            }
        }
    };
    report.encoding = enc.name().into();

    // The columns: the schema's, then any kept personal fields.
    let mut columns: Vec<ColumnInfo> = specs
        .iter()
        .map(|spec| ColumnInfo {
            name: spec.name.into(),
            ty: spec.ty,
            doc: spec.doc.into(),
        })
        .collect();
    columns.extend(kept.iter().map(|(_, name)| ColumnInfo {
        name: name.clone(),
        ty: FieldType::String,
        doc: "personal data kept with --keep-personal; never served".into(),
    }));
    let title = format!("{kind}: {layer_id}");
    // Polygons stream straight into the writer. Lines wait until every feature is known: the
    // flatgeobuf crate omits the `ends` of a one-part MultiLineString, which GDAL 3.6 (and so
    // QGIS) refuses to read, so one-part lines are written as LineString and the header says
    // LineString, or Unknown when some features have several parts.
    let mut fgb = if kind.is_polygonal() {
        Some(fgb_writer(
            &layer_id,
            &title,
            GeometryType::MultiPolygon,
            &columns,
        )?)
    } else {
        None
    };
    let mut pending_lines: Vec<PendingFeature> = Vec::new();

    let total = layer
        .try_feature_count()
        .unwrap_or_else(|| layer.feature_count());
    let bar = if opts.progress {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} features ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b.set_message(format!("importing {layer_id}"));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };

    let idx_of = |name: &str| specs.iter().position(|s| s.name == name);
    let landuse_idx = idx_of("landuse");
    let landuse_source_idx = idx_of("landuse_source");
    let plan_idx = idx_of("plan_id");
    let commune_idx = idx_of("commune_code");
    let area_idx = idx_of("area_m2");
    let length_idx = idx_of("length_m");
    let fid_idx = idx_of("source_fid");
    let unit_m = match srs.measure {
        Measure::Planar { unit_m } => unit_m,
        Measure::Geodesic => 1.0,
    };
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut plans_used: Vec<String> = Vec::new();
    let mut write_error: Option<String> = None;
    // Features whose centre lies outside Vietnam: how many, and the first one.
    let mut outside: Option<(i64, f64, f64)> = None;
    let mut outside_count: u64 = 0;

    for (n, feature) in layer.features().enumerate() {
        report.read += 1;
        if n % 4096 == 0 {
            bar.set_position(n as u64);
        }
        let fid = feature.fid().map(|f| f as i64).unwrap_or(n as i64);
        let Some(src_geom) = feature.geometry().filter(|g| !geometry_is_null(g)) else {
            report.reject(fid, "no geometry".into());
            continue;
        };
        if src_geom.is_empty() {
            report.reject(fid, "empty geometry".into());
            continue;
        }
        let mut shaped = match shape_geometry(kind, src_geom) {
            Ok(s) => s,
            Err(reason) => {
                report.reject(fid, reason);
                continue;
            }
        };

        // Attributes.
        let mut values: Vec<Option<Value>> = vec![None; specs.len()];
        let mut rejection: Option<String> = None;
        for (k, spec) in specs.iter().enumerate() {
            let Some(si) = matched[k] else { continue };
            let text = match read_text(&feature, si, enc) {
                Ok(Some(text)) => text,
                Ok(None) => continue,
                Err(long) => {
                    rejection = Some(too_long(&source_fields[si], long));
                    break;
                }
            };
            let v = match spec.ty {
                FieldType::String => Some(Value::Str(text.clone())),
                FieldType::Int => parse_number(&text)
                    .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
                    .map(|v| Value::Int(v as i64)),
                FieldType::Double => parse_number(&text).map(Value::Double),
            };
            let v = match (v, spec.range) {
                (Some(Value::Int(i)), Some((lo, hi))) if !(lo..=hi).contains(&(i as f64)) => None,
                (Some(Value::Double(d)), Some((lo, hi))) if !(lo..=hi).contains(&d) => None,
                (v, _) => v,
            };
            if v.is_none() {
                if spec.required {
                    rejection = Some(format!("{} '{text}' is not a valid number", spec.name));
                    break;
                }
                *report.values_dropped.entry(spec.name.into()).or_default() += 1;
            }
            values[k] = v;
        }
        if rejection.is_none() {
            if let (Some(ci), Some(c)) = (commune_idx, &opts.commune) {
                if values[ci].is_none() {
                    values[ci] = Some(Value::Str(c.clone()));
                }
            }
            for (k, spec) in specs.iter().enumerate() {
                if spec.required && values[k].is_none() {
                    rejection = Some(format!("{} is empty", spec.name));
                    break;
                }
            }
        }
        // Land-use codes: current kept, legacy mapped, unknown reported.
        if rejection.is_none() {
            if let Some(li) = landuse_idx {
                if let Some(Value::Str(text)) = values[li].clone() {
                    let mut codes = Vec::new();
                    let mut changed = false;
                    for c in check_codes(&text) {
                        match c {
                            CodeCheck::Current(c) => codes.push(c),
                            CodeCheck::Mapped(old, new) => {
                                *report
                                    .codes_mapped
                                    .entry(format!("{old}->{new}"))
                                    .or_default() += 1;
                                codes.push(new);
                                changed = true;
                            }
                            CodeCheck::Unknown(u) => {
                                *report.codes_unknown.entry(u.clone()).or_default() += 1;
                                if opts.strict_codes {
                                    rejection = Some(format!("unknown land-use code '{u}'"));
                                }
                                codes.push(u);
                                changed = true;
                            }
                        }
                    }
                    let joined = codes.join("+");
                    if changed || joined != text {
                        if let Some(lsi) = landuse_source_idx {
                            values[lsi] = Some(Value::Str(text.clone()));
                        }
                    }
                    values[li] = (!joined.is_empty()).then_some(Value::Str(joined));
                    if values[li].is_none() && specs[li].required {
                        rejection = Some("no land-use code".into());
                    }
                }
            }
        }
        // Plan.
        if rejection.is_none() {
            if let Some(pi) = plan_idx {
                if let Some(p) = &opts.plan {
                    values[pi] = Some(Value::Str(p.clone()));
                }
                match &values[pi] {
                    Some(Value::Str(p))
                        if store.catalog.plans.contains_key(p) && !plans_used.contains(p) =>
                    {
                        plans_used.push(p.clone());
                    }
                    Some(Value::Str(p)) if store.catalog.plans.contains_key(p) => {}
                    Some(Value::Str(p)) => rejection = Some(format!("unknown plan '{p}'")),
                    _ if kind.needs_plan() => rejection = Some("no plan id".into()),
                    _ => {}
                }
            }
        }
        let mut kept_values: Vec<Option<String>> = Vec::with_capacity(kept.len());
        if rejection.is_none() {
            for (i, _) in &kept {
                match read_text(&feature, *i, enc) {
                    Ok(v) => kept_values.push(v),
                    Err(long) => {
                        rejection = Some(too_long(&source_fields[*i], long));
                        break;
                    }
                }
            }
        }
        if let Some(reason) = rejection {
            report.reject(fid, reason);
            continue;
        }

        // Geometry: measure in the source CRS, then reproject.
        if let Err(reason) = reproject(&mut shaped.geom, &ct) {
            report.reject(fid, reason);
            continue;
        }
        if let Some(c) = shaped.geom.bounding_rect().map(|r| r.center()) {
            if outside_vietnam(c) {
                outside.get_or_insert((fid, c.x, c.y));
                outside_count += 1;
                if !opts.allow_outside_vietnam {
                    report.reject(
                        fid,
                        format!(
                            "lies outside Vietnam (centre {:.4}°, {:.4}°); --allow-outside-vietnam accepts it",
                            c.x, c.y
                        ),
                    );
                    continue;
                }
            }
        }
        let measure = match (srs.measure, &shaped.geom) {
            (Measure::Planar { .. }, Geometry::MultiPolygon(_)) => shaped.planar * unit_m * unit_m,
            (Measure::Planar { .. }, _) => shaped.planar * unit_m,
            (Measure::Geodesic, Geometry::MultiPolygon(mp)) => geodesic_area(mp),
            (Measure::Geodesic, Geometry::MultiLineString(ml)) => Geodesic.length(ml),
            (Measure::Geodesic, _) => 0.0,
        };
        if let Some(ai) = area_idx {
            values[ai] = Some(Value::Double((measure * 1e4).round() / 1e4));
        }
        if let Some(li) = length_idx {
            values[li] = Some(Value::Double((measure * 1e4).round() / 1e4));
        }
        if let Some(fi) = fid_idx {
            values[fi] = Some(Value::Int(fid));
        }
        if let Some(r) = shaped.repaired.take() {
            report.repair(fid, r);
        }
        if let Some(c) = shaped.converted {
            *report.converted.entry(c.into()).or_default() += 1;
        }
        if let Some(r) = shaped.geom.bounding_rect() {
            bounds[0] = bounds[0].min(r.min().x);
            bounds[1] = bounds[1].min(r.min().y);
            bounds[2] = bounds[2].max(r.max().x);
            bounds[3] = bounds[3].max(r.max().y);
        }
        let feature = PendingFeature {
            geom: match shaped.geom {
                Geometry::MultiLineString(mut ml) if ml.0.len() == 1 => {
                    Geometry::LineString(ml.0.remove(0))
                }
                g => g,
            },
            values,
            kept: kept_values,
        };
        match fgb.as_mut() {
            Some(w) => {
                if let Err(e) = add_feature(w, feature, specs, &kept) {
                    write_error = Some(e);
                    break;
                }
            }
            None => pending_lines.push(feature),
        }
        report.written += 1;
    }
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(ImportError::Write(e));
    }
    let fgb = match fgb {
        Some(w) => w,
        None => {
            let all_single = pending_lines
                .iter()
                .all(|f| matches!(f.geom, Geometry::LineString(_)));
            let ty = if all_single {
                GeometryType::LineString
            } else {
                GeometryType::Unknown
            };
            let mut w = fgb_writer(&layer_id, &title, ty, &columns)?;
            for f in pending_lines {
                add_feature(&mut w, f, specs, &kept).map_err(ImportError::Write)?;
            }
            w
        }
    };
    let read_errors = take_gdal_errors();
    if !read_errors.is_empty() {
        return Err(ImportError::Open {
            path: path_text,
            reason: in_user_words(read_errors.join("; "), &opts.source),
        });
    }
    if report.read == 0 {
        return Err(ImportError::EmptyLayer {
            path: path_text,
            layer: source_layer,
        });
    }
    if let Some((fid, lon, lat)) = outside {
        if opts.allow_outside_vietnam {
            report.warnings.push(format!(
                "{outside_count} feature(s) lie outside Vietnam (e.g. fid {fid} at {lon:.4}°, {lat:.4}°), kept with --allow-outside-vietnam"
            ));
        } else if outside_count > report.written {
            return Err(ImportError::OutsideVietnam {
                path: path_text,
                outside: outside_count,
                total: outside_count + report.written,
                fid,
                lon,
                lat,
                srs: srs.label.clone(),
            });
        }
    }
    if report.written == 0 {
        return Err(ImportError::AllRejected {
            path: path_text,
            read: report.read,
            reason: report
                .rejected
                .first()
                .map(|r| r.reason.clone())
                .unwrap_or_default(),
        });
    }

    // Write the file to a temporary name inside the store, then commit.
    let temp = store.temp_path(&layer_id);
    let sha256 = {
        let file = File::create(&temp).map_err(|e| {
            ImportError::Write(format!("in the store {}: {e}", store.dir().display()))
        })?;
        let mut out = HashingWriter {
            inner: BufWriter::new(file),
            hash: Sha256::new(),
        };
        let written = fgb
            .write(&mut out)
            .map_err(|e| e.to_string())
            .and_then(|_| out.flush().map_err(|e| e.to_string()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(ImportError::Write(e));
        }
        format!("{:x}", out.hash.finalize())
    };
    report.bounds = bounds;
    report.seconds = started.elapsed().as_secs_f64();
    let mut summary = BTreeMap::new();
    summary.insert("read".into(), report.read);
    summary.insert("written".into(), report.written);
    summary.insert("repaired".into(), report.repaired_count);
    summary.insert("rejected".into(), report.rejected_count);
    let entry = LayerEntry {
        kind,
        file: String::new(),
        count: report.written,
        bounds,
        plan: opts.plan.clone(),
        plans: plans_used,
        columns,
        source: SourceInfo {
            path: path_text,
            layer: source_layer,
            driver,
            srs: srs.label.clone(),
            srs_definition: srs.definition.clone(),
            encoding: enc.name().into(),
            measure: srs.measure,
        },
        sha256,
        imported_at: now_rfc3339(),
        summary,
    };
    if let Err(e) = store.commit_layer(&lock, &layer_id, &temp, entry) {
        let _ = std::fs::remove_file(&temp);
        return Err(e.into());
    }
    Ok(report)
}

/// The current time, RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod geodesic_area_tests {
    use geo::GeodesicArea;
    use geo_types::{polygon, MultiPolygon};

    use super::geodesic_area;

    /// A 0.02° square near Rạch Giá with a 0.01° hole, both rings counter-clockwise.
    fn square_with_hole() -> geo_types::Polygon<f64> {
        polygon!(
            exterior: [(x: 105.10, y: 10.01), (x: 105.12, y: 10.01), (x: 105.12, y: 10.03), (x: 105.10, y: 10.03), (x: 105.10, y: 10.01)],
            interiors: [[(x: 105.105, y: 10.015), (x: 105.115, y: 10.015), (x: 105.115, y: 10.025), (x: 105.105, y: 10.025), (x: 105.105, y: 10.015)]],
        )
    }

    #[test]
    fn every_ring_orientation_gives_exterior_minus_holes() {
        let p = square_with_hole();
        let exterior = geo_types::Polygon::new(p.exterior().clone(), vec![]);
        let hole = geo_types::Polygon::new(p.interiors()[0].clone(), vec![]);
        // Reference from geo with both rings in the orientation it expects.
        let want = exterior.geodesic_area_unsigned() - hole.geodesic_area_unsigned();
        assert!((4.0e6..6.0e6).contains(&(want + hole.geodesic_area_unsigned())));
        let reversed = |r: &geo_types::LineString<f64>| {
            let mut r = r.clone();
            r.0.reverse();
            r
        };
        for (ext_cw, hole_cw) in [(false, false), (false, true), (true, false), (true, true)] {
            let ext = if ext_cw {
                reversed(p.exterior())
            } else {
                p.exterior().clone()
            };
            // The hole as written turns counter-clockwise.
            let h = if hole_cw {
                reversed(&p.interiors()[0])
            } else {
                p.interiors()[0].clone()
            };
            let q = geo_types::Polygon::new(ext, vec![h]);
            let got = geodesic_area(&MultiPolygon(vec![q.clone(), q]));
            assert!(
                (got - 2.0 * want).abs() < 1e-6 * want,
                "exterior cw {ext_cw}, hole cw {hole_cw}: {got} vs {}",
                2.0 * want
            );
        }
    }
}
