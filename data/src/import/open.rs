//! The open stage: GDAL opens the source read-only (with its messages captured, so that an
//! error is one clear line in the user's words) and the source layer is picked.

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use gdal::errors::GdalError;
use gdal::vector::{Geometry as GdalGeometry, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

use crate::encoding::TextEncoding;
use crate::schema::{self, Kind};

use super::{ImportError, ImportOptions, Result};

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
pub(super) fn in_user_words(text: String, source: &Path) -> String {
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
pub(super) fn pick_layer<'a>(
    ds: &'a Dataset,
    opts: &ImportOptions,
) -> Result<gdal::vector::Layer<'a>> {
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
