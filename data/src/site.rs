//! A site uploaded as a file — a business's boundary as a zipped Shapefile, KML, GeoJSON or
//! GeoPackage — read into one WGS 84 MultiPolygon for a planning report.
//!
//! The upload is hostile until proven otherwise. This module is the part that touches it:
//! it runs inside the server's sandboxed child process (`quyhoach __read-site`, see the
//! server's `upload` module), so a crash in C code costs one request. Here, whatever the
//! process around it:
//! - only four GDAL drivers can open the file (GeoJSON, KML, ESRI Shapefile, GPKG), each only
//!   for its own file type: a VRT, a `/vsicurl/` path or any other driver is never tried;
//! - a zip is unpacked by us, not by GDAL's `/vsizip/`: entry names are reduced to safe
//!   names in our own directory, only the files of those formats are written, and the
//!   unpacked bytes are counted as they are written ([`MAX_UNZIPPED_BYTES`]);
//! - features and vertices are counted while reading ([`MAX_SITE_FEATURES`],
//!   [`MAX_SITE_VERTICES`]), before any geometry is converted or reprojected;
//! - geometry leaves GDAL as WKB and is parsed in Rust; no attribute is read;
//! - every feature not used is reported with its reason;
//! - messages never name the server's directories.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use gdal::vector::LayerAccess;
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::CoordsIter;
use geo_types::{Geometry, MultiPolygon};
use geozero::ToGeo;
use serde::{Deserialize, Serialize};

use crate::import::{reproject, shape_geometry, take_gdal_errors};
use crate::schema::Kind;
use crate::srs::{ResolvedSrs, SrsError, SrsSpec};

/// Most features in an uploaded site file: a site is a few lots, not a cadastre.
pub const MAX_SITE_FEATURES: usize = 500;
/// Most vertices, all features together: the same cap as a drawn site.
pub const MAX_SITE_VERTICES: usize = 20_000;
/// Most bytes unpacked from a zip, all files together. A 20,000-vertex Shapefile with its
/// index and a generous table is under 2 MB; 32 MiB leaves room for a wide `.dbf` while
/// stopping zip bombs (a 1 MB zip can hold 1 GiB of zeros) before they reach GDAL.
pub const MAX_UNZIPPED_BYTES: u64 = 32 * 1024 * 1024;
/// Most entries in a zip: a Shapefile is 3–6 files; macOS adds a few more.
pub const MAX_ZIP_ENTRIES: usize = 64;
/// Most skipped features listed one by one in the answer (all are counted).
pub const MAX_SKIPPED_LISTED: usize = 50;
/// Longest GDAL message passed on, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// What the web map and the API accept.
const ACCEPTED: &str =
    "a zipped Shapefile (.zip with .shp, .shx, .dbf and .prj), KML, GeoJSON or GeoPackage";

/// Errors of reading an uploaded site.
#[derive(Debug, thiserror::Error, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum SiteError {
    /// Not a format we read, or a file a driver of that format cannot open.
    #[error("{0}")]
    Format(String),
    /// A reference-system problem.
    #[error("{0}")]
    Srs(String),
    /// No polygon in the file.
    #[error("{0}")]
    Empty(String),
    /// Over a cap.
    #[error("{0}")]
    TooLarge(String),
    /// Our own filesystem work failed (the server's fault, not the file's).
    #[error("cannot store the upload: {0}")]
    Io(String),
}

impl From<std::io::Error> for SiteError {
    fn from(e: std::io::Error) -> Self {
        SiteError::Io(e.kind().to_string())
    }
}

impl From<SrsError> for SiteError {
    fn from(e: SrsError) -> Self {
        // The importer's words name its command-line option; here it is a query parameter.
        SiteError::Srs(e.to_string().replace("--srs ", "srs="))
    }
}

/// A feature of the upload that is not part of the site, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Skipped {
    /// The layer it is in (a GeoPackage or KML can have several).
    pub layer: String,
    /// Its position in the layer, from 1.
    pub feature: u64,
    /// Why it was not used.
    pub reason: String,
}

/// An upload read as a site.
#[derive(Debug, Clone)]
pub struct SiteRead {
    /// The site's polygons, WGS 84 longitude/latitude.
    pub site: MultiPolygon<f64>,
    /// The format it was read as: `shapefile`, `kml`, `geojson` or `gpkg`.
    pub format: String,
    /// The layer the polygons came from.
    pub layer: String,
    /// The reference system the coordinates were read in.
    pub srs: String,
    /// Features not used, with reasons (at most [`MAX_SKIPPED_LISTED`]).
    pub skipped: Vec<Skipped>,
    /// How many features were not used in all.
    pub skipped_count: u64,
}

/// The formats we read, by what a file starts with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Zip,
    GeoPackage,
    GeoJson,
    Kml,
}

fn sniff(bytes: &[u8]) -> Option<Format> {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text_start: Vec<u8> = start
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take(512)
        .collect();
    if start.starts_with(b"PK\x03\x04") {
        Some(Format::Zip)
    } else if start.starts_with(b"SQLite format 3\0") {
        Some(Format::GeoPackage)
    } else if text_start.starts_with(b"{") {
        Some(Format::GeoJson)
    } else if text_start.starts_with(b"<") && String::from_utf8_lossy(&text_start).contains("<kml")
    {
        Some(Format::Kml)
    } else {
        None
    }
}

/// A source file we will hand to GDAL: its path and the one driver allowed to open it.
struct Source {
    path: PathBuf,
    driver: &'static str,
    format: &'static str,
}

fn main_source(path: PathBuf, ext: &str) -> Option<Source> {
    let (driver, format) = match ext {
        "shp" => ("ESRI Shapefile", "shapefile"),
        "kml" => ("KML", "kml"),
        "geojson" | "json" => ("GeoJSON", "geojson"),
        "gpkg" => ("GPKG", "gpkg"),
        _ => return None,
    };
    Some(Source {
        path,
        driver,
        format,
    })
}

/// Files that come with a Shapefile and are written beside it.
const SIDECARS: &[&str] = &["shx", "dbf", "prj", "cpg"];
/// Files that often ride along in a zip and are not needed: left out, not refused.
const IGNORED: &[&str] = &[
    "qix", "sbn", "sbx", "xml", "qmd", "qpj", "txt", "pdf", "md", "htm", "html", "jpg", "png",
    "lyr", "lyrx", "qml", "sld", "aux", "atx", "fix", "ain", "aih", "shp.xml",
];

/// A zip entry's name reduced to a file name of ASCII letters, digits, `-` and `_`
/// (everything else becomes `_`), without directories; and its lower-case extension.
fn safe_name(raw: &str) -> Option<(String, String)> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    if base.is_empty() || base.starts_with("._") || base == ".DS_Store" {
        return None;
    }
    let (stem, ext) = base.rsplit_once('.').unwrap_or((base, ""));
    let stem: String = stem
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = if stem.is_empty() { "site".into() } else { stem };
    Some((stem, ext.to_ascii_lowercase()))
}

/// Unpacks a zip into `dir`, within the caps, and finds its one source.
fn unzip(bytes: &[u8], dir: &Path) -> Result<Source, SiteError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| SiteError::Format(format!("not a readable zip file ({e})")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(SiteError::TooLarge(format!(
            "the zip holds {} files; at most {MAX_ZIP_ENTRIES}",
            zip.len()
        )));
    }
    let mut total: u64 = 0;
    let mut sources: Vec<(String, Source)> = Vec::new();
    let mut written: Vec<String> = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| SiteError::Format(format!("a file in the zip cannot be read ({e})")))?;
        // A name that is not UTF-8 is read as bytes; only its extension matters.
        let raw = String::from_utf8_lossy(entry.name_raw()).to_string();
        if entry.is_dir() || raw.starts_with("__MACOSX/") {
            continue;
        }
        let Some((stem, ext)) = safe_name(&raw) else {
            continue;
        };
        let shown: String = raw.chars().take(100).collect();
        if IGNORED.contains(&ext.as_str()) {
            continue;
        }
        if !SIDECARS.contains(&ext.as_str()) && main_source(PathBuf::new(), &ext).is_none() {
            return Err(SiteError::Format(format!(
                "the zip holds '{shown}', which is not accepted: send {ACCEPTED}"
            )));
        }
        let name = format!("{stem}.{ext}");
        if written.contains(&name) {
            return Err(SiteError::Format(format!(
                "the zip holds two files named like '{shown}'; keep one"
            )));
        }
        let path = dir.join(&name);
        let mut out = std::fs::File::create(&path)?;
        // Count what is really unpacked: the sizes in a zip's headers are the sender's word.
        let remaining = MAX_UNZIPPED_BYTES - total;
        let n = std::io::copy(&mut (&mut entry).take(remaining + 1), &mut out).map_err(|e| {
            SiteError::Format(format!("'{shown}' in the zip cannot be unpacked ({e})"))
        })?;
        total += n;
        if total > MAX_UNZIPPED_BYTES {
            return Err(SiteError::TooLarge(format!(
                "the zip unpacks to more than {} MiB; a site boundary is far smaller (simplify it, or send only its polygons)",
                MAX_UNZIPPED_BYTES / 1024 / 1024
            )));
        }
        out.flush()?;
        written.push(name);
        if let Some(src) = main_source(path, &ext) {
            sources.push((shown, src));
        }
    }
    match sources.len() {
        0 => Err(SiteError::Format(format!(
            "the zip holds no boundary file: send {ACCEPTED}"
        ))),
        1 => Ok(sources.remove(0).1),
        _ => Err(SiteError::Format(format!(
            "the zip holds several boundary files ({}); send one",
            sources
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// GDAL's messages, without the server's paths, short.
fn gdal_message(dir: &Path) -> String {
    let mut msgs = take_gdal_errors();
    msgs.dedup();
    let text = msgs.join("; ");
    let dir = dir.to_string_lossy();
    let text = text.replace(dir.as_ref(), "").replace("/vsimem/", "");
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// Sets the GDAL options that keep a reader inside its file. Called once per process
/// before any upload is opened.
pub fn lock_down_gdal() {
    for (k, v) in [
        // No SQL function that opens other files (GDAL ≥ 3.7 has gdal_get_pixel_value).
        ("OGR_SQLITE_ALLOW_EXTERNAL_ACCESS", "NO"),
        // A GeoJSON object larger than this is refused by the driver itself (MB).
        ("OGR_GEOJSON_MAX_OBJ_SIZE", "16"),
        // No network: no HTTP in GDAL, no PROJ grids from the network.
        ("GDAL_HTTP_TIMEOUT", "1"),
        ("GDAL_HTTP_MAX_RETRY", "0"),
        ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".__none__"),
        ("PROJ_NETWORK", "OFF"),
        ("GDAL_NUM_THREADS", "1"),
    ] {
        let _ = gdal::config::set_config_option(k, v);
    }
}

/// Counts a geometry's vertices from its WKB without parsing it: the number of bytes of
/// coordinates over 16 bounds it from above for 2D data, which is enough to refuse early.
fn wkb_vertex_bound(wkb: &[u8]) -> usize {
    wkb.len() / 16
}

/// The polygons of one feature, as read and checked; `Err` is the reason it is skipped.
fn feature_polygons(
    g: &gdal::vector::Geometry,
    budget: &mut usize,
) -> Result<MultiPolygon<f64>, String> {
    let wkb = g
        .wkb()
        .map_err(|_| "its geometry cannot be read".to_string())?;
    if wkb_vertex_bound(&wkb) > *budget + 64 {
        return Err(over_vertices());
    }
    // GDAL writes Z as the old flag bit (as EWKB does) and M the ISO way.
    let geo = geozero::wkb::Ewkb(&wkb)
        .to_geo()
        .or_else(|_| geozero::wkb::Wkb(&wkb).to_geo())
        .map_err(|e| format!("its geometry cannot be read ({e})"))?;
    let n = geo.coords_count();
    if n > *budget {
        return Err(over_vertices());
    }
    if geo
        .coords_iter()
        .any(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        return Err("it has a coordinate that is not a finite number (NaN or infinity)".into());
    }
    // From here on the geometry is well-formed and finite: shape it as the importer does
    // (polygonal parts, closed lines, GEOS repair).
    let clean: gdal::vector::Geometry = match &geo {
        Geometry::Point(_) | Geometry::MultiPoint(_) => {
            return Err("it is a point, not a polygon".into())
        }
        other => gdal::vector::ToGdal::to_gdal(other)
            .map_err(|_| "its geometry cannot be read".to_string())?,
    };
    let shaped = shape_geometry(Kind::Parcels, &clean)?;
    *budget -= n;
    match shaped.geom {
        Geometry::MultiPolygon(mp) => Ok(mp),
        _ => Err("it is not a polygon".into()),
    }
}

fn over_vertices() -> String {
    format!("the site has more than {MAX_SITE_VERTICES} vertices; simplify it first")
}

/// Reads the polygons of an uploaded file (the first layer that has any) as one
/// MultiPolygon in WGS 84, using `dir` (empty, ours) for its files. `srs` is what the file
/// is in: `prj` trusts its own CRS (KML and GeoJSON are WGS 84); VN-2000 gets the pinned
/// transformation. Invalid polygons are repaired as on import.
pub fn read_site_in(dir: &Path, bytes: &[u8], srs: &SrsSpec) -> Result<SiteRead, SiteError> {
    let source = write_source(dir, bytes)?;
    read_source(dir, source, srs)
}

/// An upload written into its own directory by [`write_upload`].
#[derive(Debug, Clone)]
pub struct WrittenUpload {
    /// The file GDAL is to open (the `.shp` of a zipped Shapefile).
    pub path: PathBuf,
    /// The one GDAL driver allowed to open it: `ESRI Shapefile`, `KML`, `GeoJSON` or `GPKG`.
    pub driver: &'static str,
    /// `shapefile`, `kml`, `geojson` or `gpkg`.
    pub format: &'static str,
}

/// Writes an upload into `dir` (empty, ours) the way a site upload is written: the format
/// recognised by its first bytes, a zip unpacked by us within the caps
/// ([`MAX_ZIP_ENTRIES`], [`MAX_UNZIPPED_BYTES`] counted while writing), entry names reduced
/// to safe names in `dir`, only Shapefile, KML, GeoJSON and GeoPackage files accepted. The
/// server's practice import uses it before handing the file to the real import with only
/// the returned driver allowed.
pub fn write_upload(dir: &Path, bytes: &[u8]) -> Result<WrittenUpload, SiteError> {
    let s = write_source(dir, bytes)?;
    Ok(WrittenUpload {
        path: s.path,
        driver: s.driver,
        format: s.format,
    })
}

fn write_source(dir: &Path, bytes: &[u8]) -> Result<Source, SiteError> {
    let format = sniff(bytes)
        .ok_or_else(|| SiteError::Format(format!("unrecognised file: send {ACCEPTED}")))?;
    Ok(match format {
        Format::Zip => unzip(bytes, dir)?,
        other => {
            let (name, ext) = match other {
                Format::GeoPackage => ("site.gpkg", "gpkg"),
                Format::GeoJson => ("site.geojson", "geojson"),
                _ => ("site.kml", "kml"),
            };
            let path = dir.join(name);
            std::fs::write(&path, bytes)?;
            main_source(path, ext).ok_or_else(|| SiteError::Format(ACCEPTED.into()))?
        }
    })
}

fn read_source(dir: &Path, source: Source, srs: &SrsSpec) -> Result<SiteRead, SiteError> {
    lock_down_gdal();
    take_gdal_errors();
    let mut open_options: Vec<&str> = Vec::new();
    if source.driver == "ESRI Shapefile" {
        // No attribute is read; this only stops the driver guessing an encoding.
        open_options.push("ENCODING=ISO-8859-1");
    }
    let ds = Dataset::open_ex(
        &source.path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&[source.driver]),
            open_options: (!open_options.is_empty()).then_some(&open_options[..]),
            sibling_files: None,
        },
    )
    .map_err(|_| {
        let why = gdal_message(dir);
        SiteError::Format(if why.is_empty() {
            format!("not a {} file that can be read", source.format)
        } else {
            format!("not a {} file that can be read: {why}", source.format)
        })
    })?;
    let mut budget = MAX_SITE_VERTICES;
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut skipped_count = 0u64;
    let mut features_seen = 0usize;
    // A file GDAL had to complain about is damaged: a coordinate it could not read is left
    // out of a ring, a truncated file ends early. A site with a hole silently missing is
    // worse than no site, so it is refused with GDAL's words.
    let damaged = |m: String| {
        SiteError::Format(format!(
            "the {} file is damaged or incomplete: {m}",
            source.format
        ))
    };
    if let Some(e) = ds_error(dir) {
        return Err(damaged(e));
    }
    let mut skip = |layer: &str, n: u64, reason: String, skipped_count: &mut u64| {
        *skipped_count += 1;
        if skipped.len() < MAX_SKIPPED_LISTED {
            skipped.push(Skipped {
                layer: layer.to_string(),
                feature: n,
                reason,
            });
        }
    };
    for mut layer in ds.layers() {
        let layer_name = layer.name();
        let resolved = ResolvedSrs::resolve(srs, layer.spatial_ref().as_ref())?;
        let ct = resolved.to_wgs84()?;
        let mut polygons = Vec::new();
        for (i, feature) in layer.features().enumerate() {
            let n = i as u64 + 1;
            features_seen += 1;
            if features_seen > MAX_SITE_FEATURES {
                return Err(SiteError::TooLarge(format!(
                    "more than {MAX_SITE_FEATURES} features: a site is a few lots; merge them first"
                )));
            }
            let Some(g) = feature.geometry() else {
                skip(
                    &layer_name,
                    n,
                    "it has no geometry".into(),
                    &mut skipped_count,
                );
                continue;
            };
            match feature_polygons(g, &mut budget) {
                Ok(mp) => {
                    let mut geom = Geometry::MultiPolygon(mp);
                    match reproject(&mut geom, &ct) {
                        Ok(()) => {
                            if let Geometry::MultiPolygon(mp) = geom {
                                polygons.extend(mp.0);
                            }
                        }
                        Err(e) => skip(
                            &layer_name,
                            n,
                            format!("{e} ({})", resolved.label),
                            &mut skipped_count,
                        ),
                    }
                }
                Err(reason) if reason == over_vertices() => {
                    return Err(SiteError::TooLarge(reason));
                }
                Err(reason) => {
                    // What GDAL said about this feature is in its reason, not damage to the
                    // file (a null geometry makes GDAL complain as it is read).
                    take_gdal_errors();
                    skip(&layer_name, n, reason, &mut skipped_count)
                }
            }
        }
        if let Some(e) = ds_error(dir) {
            return Err(damaged(e));
        }
        if !polygons.is_empty() {
            return Ok(SiteRead {
                site: MultiPolygon(polygons),
                format: source.format.into(),
                layer: layer_name,
                srs: resolved.label.clone(),
                skipped,
                skipped_count,
            });
        }
    }
    let detail = match skipped.first() {
        Some(s) if skipped_count == 1 => format!(": feature {} {}", s.feature, s.reason),
        Some(s) => format!(
            " ({skipped_count} features not used; the first, feature {}: {})",
            s.feature, s.reason
        ),
        None => String::new(),
    };
    Err(SiteError::Empty(format!(
        "the file has no polygon (lines and points are not sites){detail}"
    )))
}

/// What GDAL reported while reading a layer (a truncated file ends the layer early).
fn ds_error(dir: &Path) -> Option<String> {
    let m = gdal_message(dir);
    (!m.is_empty()).then_some(m)
}

/// [`read_site_in`] in a fresh temporary directory, removed afterwards. The server does not
/// call this in its own process (see its `upload` module); tests and tools do.
pub fn read_site(bytes: &[u8], srs: &SrsSpec) -> Result<SiteRead, SiteError> {
    let dir = tempfile::Builder::new()
        .prefix("quyhoach-upload-")
        .tempdir()?;
    read_site_in(dir.path(), bytes, srs)
}

/// Reads at most `max` bytes of `r`; `None` if there are more.
pub fn read_capped(r: &mut impl Read, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.take(max as u64 + 1).read_to_end(&mut buf)?;
    Ok((buf.len() <= max).then_some(buf))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo::GeodesicArea;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            for (name, data) in files {
                w.start_file(
                    *name,
                    zip::write::SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated),
                )
                .unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn kml_and_geojson_sites() {
        let kml = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Lô A</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
105.11,9.95,0 105.111,9.95,0 105.111,9.951,0 105.11,9.951,0 105.11,9.95,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"#;
        let r = read_site(kml.as_bytes(), &SrsSpec::Prj).unwrap();
        assert_eq!(r.format, "kml");
        let area = r.site.geodesic_area_unsigned();
        assert!((area - 12_100.0).abs() < 300.0, "{area}");
        let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
          "geometry":{"type":"Polygon","coordinates":[[[566000,1100000],[566100,1100000],[566100,1100100],[566000,1100100],[566000,1100000]]]}}]}"#;
        let r = read_site(gj.as_bytes(), &"vn2000:kien-giang".parse().unwrap()).unwrap();
        let [lon, lat] = [r.site.0[0].exterior().0[0].x, r.site.0[0].exterior().0[0].y];
        assert!(
            (105.0..105.2).contains(&lon) && (9.9..10.1).contains(&lat),
            "{lon} {lat}"
        );
        assert!(matches!(
            read_site(b"hello", &SrsSpec::Prj),
            Err(SiteError::Format(_))
        ));
        let line = r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[105.1,9.9],[105.2,9.9]]}}"#;
        assert!(matches!(
            read_site(line.as_bytes(), &SrsSpec::Prj),
            Err(SiteError::Empty(_))
        ));
    }

    #[test]
    fn unused_features_are_reported() {
        let gj = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[105.11,9.95],[105.111,9.95],[105.111,9.951],[105.11,9.95]]]}},
          {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[105.1,9.9],[105.2,9.9]]}},
          {"type":"Feature","properties":{},"geometry":null}]}"#;
        let r = read_site(gj.as_bytes(), &SrsSpec::Prj).unwrap();
        assert_eq!(r.site.0.len(), 1);
        assert_eq!(r.skipped_count, 2, "{:?}", r.skipped);
        assert_eq!(r.skipped[0].feature, 2);
        assert!(r.skipped[0].reason.contains("polygon"), "{:?}", r.skipped);
        assert_eq!(r.skipped[1].feature, 3);
    }

    #[test]
    fn zips_are_unpacked_by_us_within_caps() {
        // A VRT is refused, whatever it names.
        let vrt = br#"<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>"#;
        let e = read_site(&zip_of(&[("site.vrt", vrt)]), &SrsSpec::Prj).unwrap_err();
        assert!(
            matches!(&e, SiteError::Format(m) if m.contains("site.vrt")),
            "{e:?}"
        );
        // A zip bomb stops at the cap, not at the end of the entry.
        let zeros = vec![0u8; (MAX_UNZIPPED_BYTES + 1024) as usize];
        let e = read_site(&zip_of(&[("a.shp", &zeros)]), &SrsSpec::Prj).unwrap_err();
        assert!(matches!(e, SiteError::TooLarge(_)), "{e:?}");
        // Directories in names are dropped; a GeoJSON in a folder is found.
        let gj = br#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[105.11,9.95],[105.111,9.95],[105.111,9.951],[105.11,9.95]]]}}"#;
        let r = read_site(&zip_of(&[("../../x/lo A.geojson", gj)]), &SrsSpec::Prj).unwrap();
        assert_eq!(r.site.0.len(), 1);
        // Two sources are ambiguous.
        let e = read_site(
            &zip_of(&[("a.geojson", gj), ("b.geojson", gj)]),
            &SrsSpec::Prj,
        )
        .unwrap_err();
        assert!(matches!(e, SiteError::Format(_)), "{e:?}");
    }

    #[test]
    fn non_finite_holes_are_skipped() {
        // GDAL's GeoJSON reader reads 1e999 as infinity.
        let gj = r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[
            [[105.11,9.95],[105.12,9.95],[105.12,9.96],[105.11,9.95]],
            [[105.115,9.952],[1e999,9.953],[105.116,9.953],[105.115,9.952]]]}}"#;
        let e = read_site(gj.as_bytes(), &SrsSpec::Prj).unwrap_err();
        assert!(
            matches!(&e, SiteError::Empty(m) if m.contains("finite")),
            "{e:?}"
        );
    }

    #[test]
    fn too_many_vertices_is_refused() {
        let n = MAX_SITE_VERTICES + 10;
        let ring: Vec<String> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                format!("[{},{}]", 105.1 + 0.001 * a.cos(), 9.95 + 0.001 * a.sin())
            })
            .chain(std::iter::once("[105.101,9.95]".to_string()))
            .collect();
        let gj = format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
            ring.join(",")
        );
        let e = read_site(gj.as_bytes(), &SrsSpec::Prj).unwrap_err();
        assert!(matches!(e, SiteError::TooLarge(_)), "{e:?}");
    }
}
