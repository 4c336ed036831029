//! Import of vector files read by GDAL into the store, in stages.
//!
//! One import reads one source layer into one store layer:
//!
//! 1. **open** (`open.rs`): options checked, the store locked, the source opened read-only by
//!    GDAL and its layer picked;
//! 2. **resolve the CRS** (`crs.rs`): `--srs` (or the file's own) resolved with the pinned
//!    VN-2000 transformation ([`crate::srs`]), the extent checked before reading;
//! 3. **match fields** (`fields.rs`): source fields onto the kind's schema ([`crate::schema`]),
//!    personal data dropped or kept privately;
//! 4. **decode text** (`decode.rs`): the encoding forced or detected, each feature read into a
//!    `SourceFeature` (geometry and Unicode text, GDAL's dataset left behind);
//! 5. **normalise one feature** (`normalise.rs`): a pure function of the decoded feature and a
//!    prepared context, giving the stored feature or the reason it is rejected (geometry type
//!    and repair, numbers, land-use codes, plan, reprojection to WGS 84, the Vietnam envelope,
//!    areas in the source's metric CRS);
//! 6. **write through a sink** ([`sink::FeatureSink`]): the backend's writer of one layer, all
//!    or nothing. The store's is [`fgb_sink::FgbSink`]: a FlatGeobuf file with a packed Hilbert
//!    R-tree, committed to the store atomically.
//!
//! Every error of every stage fails the whole import and leaves the store as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use gdal::vector::{Layer, LayerAccess};
use geo::BoundingRect;

use crate::encoding::TextEncoding;
use crate::schema::{self, Kind};
use crate::srs::{SrsError, SrsSpec};
use crate::store::{SourceInfo, Store, StoreError};

mod crs;
mod decode;
pub mod fgb_sink;
mod fields;
mod geometry;
mod normalise;
mod open;
mod report;
pub mod sink;

pub(crate) use fgb_sink::{store_layer_writer, HashingWriter};
pub(crate) use geometry::{reproject, shape_geometry};
pub use open::{geometry_is_null, open_source, open_source_with, take_gdal_errors};
pub use report::{FeatureIssue, ImportReport};
pub use sink::{FeatureSink, LayerSchema, LayerSummary, NormalisedFeature, Value};

use fgb_sink::FgbSink;
use fields::FieldPlan;
use normalise::{normalise, Context, Normalised};

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
/// How far outside [`crate::srs::VIETNAM_ENVELOPE`] a feature may lie, in degrees (1° ≈ 110 km): a
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
    /// The PostGIS store refused or could not be reached.
    #[error("{0}")]
    Database(String),
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
    /// A profile file (`--profile FILE`, see [`schema::Profile::load`]), used instead of
    /// [`ImportOptions::profile`]. Never set from a web request: it names a file to read.
    pub profile_file: Option<PathBuf>,
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
            profile_file: None,
            commune: None,
            keep_personal: Vec::new(),
            strict_codes: false,
            allow_outside_vietnam: false,
            progress: false,
            allowed_drivers: None,
        }
    }
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

/// Imports one source layer into the store: a directory (FlatGeobuf files and a catalog) or,
/// when `opts.store` is a `postgresql://` URL, a PostGIS database ([`crate::pg`]). On any
/// error the store is unchanged.
pub fn import(opts: &ImportOptions) -> Result<ImportReport> {
    let store = opts.store.to_string_lossy();
    if crate::pg::is_url(&store) {
        let started = Instant::now();
        let (layer_id, profiles) = check_options(opts)?;
        let (sink, known_plans) = crate::pg::sink::PgSink::open(&store)?;
        let ctx = Opened {
            started,
            layer_id,
            profiles,
            known_plans,
            temp_files: 0,
            temp_bytes: 0,
        };
        return import_into(opts, ctx, sink);
    }
    import_with(opts, |sink| sink)
}

/// What an import knows once its store is open.
struct Opened {
    started: Instant,
    layer_id: String,
    profiles: Vec<schema::Profile>,
    /// Plans the store knows: zones and red lines may only name these.
    known_plans: BTreeSet<String>,
    /// Temporary files of failed imports removed from the store.
    temp_files: u64,
    temp_bytes: u64,
}

/// The layer id and the field profiles of an import, checked before anything is opened.
fn check_options(opts: &ImportOptions) -> Result<(String, Vec<schema::Profile>)> {
    let layer_id = opts
        .layer
        .clone()
        .unwrap_or_else(|| default_layer_id(opts.kind, opts.plan.as_deref()));
    check_layer_id(&layer_id)?;
    let profiles = match &opts.profile_file {
        Some(path) => schema::Profile::load(path).map(|p| vec![p]),
        None => schema::profiles_named(&opts.profile),
    }
    .map_err(ImportError::Options)?;
    Ok((layer_id, profiles))
}

/// [`import`] into a store directory, writing through `wrap` of the store's sink (tests wrap
/// it in one that fails).
fn import_with<S: FeatureSink>(
    opts: &ImportOptions,
    wrap: impl FnOnce(FgbSink) -> S,
) -> Result<ImportReport> {
    let started = Instant::now();
    let (layer_id, profiles) = check_options(opts)?;
    // The store, locked until the sink commits or is dropped.
    let mut store = Store::open_or_create(&opts.store)?;
    let lock = store.lock()?;
    store.reload()?;
    let (temp_files, temp_bytes) = store.clean_temp(&lock);
    let known_plans: BTreeSet<String> = store.catalog.plans.keys().cloned().collect();
    let ctx = Opened {
        started,
        layer_id,
        profiles,
        known_plans,
        temp_files,
        temp_bytes,
    };
    import_into(opts, ctx, wrap(FgbSink::new(store, lock)))
}

/// The import's stages once the store is open: the plan check, the source, the fields, the
/// features into `sink`, its commit.
fn import_into<S: FeatureSink>(
    opts: &ImportOptions,
    ctx: Opened,
    mut sink: S,
) -> Result<ImportReport> {
    let Opened {
        started,
        layer_id,
        profiles,
        known_plans,
        temp_files,
        temp_bytes,
    } = ctx;
    let kind = opts.kind;
    if let Some(plan) = &opts.plan {
        if !kind.needs_plan() {
            return Err(ImportError::Options(format!(
                "--plan applies to zones and redlines, not {kind}"
            )));
        }
        if !known_plans.contains(plan) {
            return Err(StoreError::UnknownPlan(plan.clone()).into());
        }
    }

    let ds = open_source_with(&opts.source, opts.encoding, opts.allowed_drivers.as_deref())?;
    let driver = ds.driver().short_name();
    let mut layer = open::pick_layer(&ds, opts)?;
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

    let (srs, ct) = crs::resolve(opts, &layer, &mut report)?;
    let fields = fields::match_source(opts, &layer, &profiles, &mut report)?;
    let enc = decode::choose_encoding(opts.encoding, &mut layer, &fields, &mut report);

    // Normalise every feature and write it through the sink.
    sink.begin(LayerSchema {
        id: layer_id.clone(),
        kind,
        columns: fields.columns(),
    })?;
    let ctx = Context::new(opts, known_plans, srs.measure, &ct);
    let total = layer
        .try_feature_count()
        .unwrap_or_else(|| layer.feature_count());
    let bar = progress_bar(opts.progress, total, &layer_id);
    let tally = write_features(
        opts,
        &mut layer,
        &fields,
        enc,
        &ctx,
        &mut sink,
        &mut report,
        &bar,
    );
    bar.finish_and_clear();
    let tally = tally?;

    let read_errors = take_gdal_errors();
    if !read_errors.is_empty() {
        return Err(ImportError::Open {
            path: path_text,
            reason: open::in_user_words(read_errors.join("; "), &opts.source),
        });
    }
    if report.read == 0 {
        return Err(ImportError::EmptyLayer {
            path: path_text,
            layer: source_layer,
        });
    }
    if let Some((fid, lon, lat)) = tally.outside {
        let outside_count = tally.outside_count;
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

    // Commit.
    report.bounds = tally.bounds;
    let mut summary = BTreeMap::new();
    summary.insert("read".into(), report.read);
    summary.insert("written".into(), report.written);
    summary.insert("repaired".into(), report.repaired_count);
    summary.insert("rejected".into(), report.rejected_count);
    sink.commit(LayerSummary {
        count: report.written,
        bounds: tally.bounds,
        plan: opts.plan.clone(),
        plans: tally.plans_used,
        source: SourceInfo {
            path: path_text,
            layer: source_layer,
            driver,
            srs: srs.label.clone(),
            srs_definition: srs.definition.clone(),
            encoding: enc.name().into(),
            measure: srs.measure,
        },
        summary,
    })?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What the feature loop gathers besides the report's counts.
struct Tally {
    /// WGS 84 bounds of the features written.
    bounds: [f64; 4],
    /// Plans named by features, in order of first appearance.
    plans_used: Vec<String>,
    /// The first feature outside Vietnam: fid and centre.
    outside: Option<(i64, f64, f64)>,
    /// How many features lie outside Vietnam, kept or not.
    outside_count: u64,
}

/// Decodes, normalises and writes every feature of the layer; rejected ones go to the report.
#[allow(clippy::too_many_arguments)] // the stages' outputs, each used once
fn write_features<S: FeatureSink>(
    opts: &ImportOptions,
    layer: &mut Layer,
    fields: &FieldPlan,
    enc: TextEncoding,
    ctx: &Context,
    sink: &mut S,
    report: &mut ImportReport,
    bar: &indicatif::ProgressBar,
) -> Result<Tally> {
    let mut tally = Tally {
        bounds: [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        plans_used: Vec::new(),
        outside: None,
        outside_count: 0,
    };
    for (n, feature) in layer.features().enumerate() {
        report.read += 1;
        if n % 4096 == 0 {
            bar.set_position(n as u64);
        }
        let src = decode::decode_feature(&feature, n, fields, enc).map_err(|reason| {
            ImportError::Open {
                path: opts.source.display().to_string(),
                reason,
            }
        })?;
        let fid = src.fid;
        let Normalised { feature, notes } = normalise(src, ctx);
        for name in notes.values_dropped {
            *report.values_dropped.entry(name.into()).or_default() += 1;
        }
        for mapped in notes.codes_mapped {
            *report.codes_mapped.entry(mapped).or_default() += 1;
        }
        for unknown in notes.codes_unknown {
            *report.codes_unknown.entry(unknown).or_default() += 1;
        }
        if let Some(p) = notes.plan {
            if !tally.plans_used.contains(&p) {
                tally.plans_used.push(p);
            }
        }
        if let Some(c) = notes.outside {
            tally.outside.get_or_insert((fid, c.x, c.y));
            tally.outside_count += 1;
        }
        let feature = match feature {
            Ok(f) => f,
            Err(reason) => {
                report.reject(fid, reason);
                continue;
            }
        };
        if let Some(r) = notes.repaired {
            report.repair(fid, r);
        }
        if let Some(c) = notes.converted {
            *report.converted.entry(c.into()).or_default() += 1;
        }
        if let Some(r) = feature.geometry.bounding_rect() {
            let b = &mut tally.bounds;
            b[0] = b[0].min(r.min().x);
            b[1] = b[1].min(r.min().y);
            b[2] = b[2].max(r.max().x);
            b[3] = b[3].max(r.max().y);
        }
        sink.write(feature)?;
        report.written += 1;
    }
    Ok(tally)
}

/// A progress bar on stderr, or a hidden one.
fn progress_bar(shown: bool, total: u64, layer_id: &str) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
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
}

/// The current time, RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::testing::store_snapshot;

    /// A sink that passes `left` writes to `inner`, then fails.
    struct FailingSink<S> {
        inner: S,
        left: u64,
    }

    impl<S: FeatureSink> FeatureSink for FailingSink<S> {
        fn begin(&mut self, schema: LayerSchema) -> Result<()> {
            self.inner.begin(schema)
        }
        fn write(&mut self, feature: NormalisedFeature) -> Result<()> {
            if self.left == 0 {
                return Err(ImportError::Write(
                    "no space left on device (test sink)".into(),
                ));
            }
            self.left -= 1;
            self.inner.write(feature)
        }
        fn commit(self, summary: LayerSummary) -> Result<()> {
            self.inner.commit(summary)
        }
    }

    /// A GeoJSON source of `n` parcels (or, with `lines`, roads) near Rạch Giá.
    fn source(dir: &Path, n: u32, lines: bool) -> PathBuf {
        let features: Vec<String> = (0..n)
            .map(|i| {
                let lon = 105.10 + f64::from(i) * 0.001;
                let (a, b) = (lon + 0.0005, 10.0005);
                let geometry = if lines {
                    format!(r#"{{"type":"LineString","coordinates":[[{lon},10.0],[{a},{b}]]}}"#)
                } else {
                    format!(
                        r#"{{"type":"Polygon","coordinates":[[[{lon},10.0],[{a},10.0],[{a},{b}],[{lon},{b}],[{lon},10.0]]]}}"#
                    )
                };
                format!(
                    r#"{{"type":"Feature","properties":{{"commune_code":"31150","sheet":1,"parcel":{i},"name":"Đường {i}"}},"geometry":{geometry}}}"#
                )
            })
            .collect();
        let path = dir.join(if lines {
            "roads.geojson"
        } else {
            "parcels.geojson"
        });
        std::fs::write(
            &path,
            format!(
                r#"{{"type":"FeatureCollection","features":[{}]}}"#,
                features.join(",")
            ),
        )
        .unwrap();
        path
    }

    fn options(src: &Path, kind: Kind, store: &Path) -> ImportOptions {
        ImportOptions::new(src, kind, store, "EPSG:4326".parse().unwrap())
    }

    #[test]
    fn a_sink_failing_on_a_write_fails_the_import_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        for kind in [Kind::Parcels, Kind::Roads] {
            let src = source(dir.path(), 5, kind == Kind::Roads);
            // A layer already there, and one that the failed import would have added.
            import(&options(&src, kind, &store)).unwrap();
            let before = store_snapshot(&store, false);
            for layer in [None, Some("new-layer")] {
                let opts = ImportOptions {
                    layer: layer.map(String::from),
                    ..options(&src, kind, &store)
                };
                let err = import_with(&opts, |inner| FailingSink { inner, left: 2 }).unwrap_err();
                assert_eq!(
                    err.to_string(),
                    "cannot write layer file: no space left on device (test sink)"
                );
                assert_eq!(store_snapshot(&store, false), before, "{kind} {layer:?}");
            }
            // The store's lock was released with the sink: the next import runs.
            import(&options(&src, kind, &store)).unwrap();
        }
        let catalog = Store::open(&store).unwrap().catalog;
        assert_eq!(
            catalog.layers.keys().collect::<Vec<_>>(),
            ["parcels", "roads"]
        );
    }

    #[test]
    fn a_failed_commit_fails_the_import_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let src = source(dir.path(), 3, false);
        import(&options(&src, Kind::Parcels, &store)).unwrap();
        // The catalog's temporary file cannot be created: a directory holds its name (root
        // writes anywhere, so permissions would not stop it).
        let blocker = store.join(format!(".catalog.json.tmp-{}", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        let before = store_snapshot(&store, false);
        let err = import(&ImportOptions {
            layer: Some("parcels-2".into()),
            ..options(&src, Kind::Parcels, &store)
        })
        .unwrap_err();
        assert!(matches!(err, ImportError::Store(_)), "{err}");
        assert_eq!(store_snapshot(&store, false), before);
        std::fs::remove_dir(&blocker).unwrap();
        let catalog = Store::open(&store).unwrap().catalog;
        assert_eq!(catalog.layers.keys().collect::<Vec<_>>(), ["parcels"]);
    }

    #[test]
    fn the_store_sink_refuses_a_feature_that_does_not_fit_its_columns() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(&dir.path().join("store")).unwrap();
        let lock = store.lock().unwrap();
        let mut sink = FgbSink::new(store, lock);
        sink.begin(LayerSchema {
            id: "parcels".into(),
            kind: Kind::Parcels,
            columns: Kind::Parcels
                .fields()
                .iter()
                .map(|f| crate::store::ColumnInfo {
                    name: f.name.into(),
                    ty: f.ty,
                    doc: f.doc.into(),
                })
                .collect(),
        })
        .unwrap();
        let err = sink
            .write(NormalisedFeature {
                geometry: geo_types::Geometry::MultiPolygon(geo_types::MultiPolygon(vec![])),
                values: vec![Some(Value::Int(1))],
            })
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("a feature with 1 values for 9 columns"),
            "{err}"
        );
    }

    #[test]
    fn a_profile_file_names_the_fields() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let src = dir.path().join("tinh-x.geojson");
        std::fs::write(
            &src,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "properties":{"XA":"31150","TO_BD":3,"THUA_DAT":12},
            "geometry":{"type":"Polygon","coordinates":[[[105.1,10.0],[105.1005,10.0],[105.1005,10.0005],[105.1,10.0005],[105.1,10.0]]]}}]}"#,
        )
        .unwrap();
        let profile = dir.path().join("tinh-x.json");
        let with_profile = |text: &str| {
            std::fs::write(&profile, text).unwrap();
            import(&ImportOptions {
                profile_file: Some(profile.clone()),
                ..options(&src, Kind::Parcels, &store)
            })
        };
        // The built-in profiles know none of these names.
        let err = import(&options(&src, Kind::Parcels, &store)).unwrap_err();
        assert!(matches!(err, ImportError::MissingField { .. }), "{err}");
        let err = with_profile(r#"{"aliases": {"sheet": ["TO_BD"], "parcell": ["THUA_DAT"]}}"#)
            .unwrap_err();
        assert!(
            err.to_string().contains("'parcell' is not a schema field"),
            "{err}"
        );
        assert!(
            !store.join("catalog.json").exists()
                || Store::open(&store).unwrap().catalog.layers.is_empty()
        );
        let report = with_profile(
            r#"{"aliases": {"commune_code": ["Xã"], "sheet": ["To BD"], "parcel": ["THUA_DAT"]}}"#,
        )
        .unwrap();
        assert_eq!(report.written, 1);
        assert_eq!(report.field_map["sheet"], "TO_BD");
        assert_eq!(report.field_map["parcel"], "THUA_DAT");
        assert_eq!(report.field_map["commune_code"], "XA");
    }
}
