//! The decode stage: the text encoding (forced, or detected from a sample of the text fields)
//! and each GDAL feature read into a [`SourceFeature`] — its geometry as `geo` types and its
//! attributes as Unicode text — which [`super::normalise`] then checks without GDAL's
//! dataset.

use gdal::vector::{Feature, Layer, LayerAccess};
use geo_types::Geometry;
use unicode_normalization::UnicodeNormalization;

use crate::encoding::{self, TextEncoding};

use super::fields::FieldPlan;
use super::geometry::to_geo;
use super::open::geometry_is_null;
use super::report::ImportReport;
use super::MAX_ATTRIBUTE_BYTES;

/// How many features the encoding detector samples.
const ENCODING_SAMPLE: usize = 2000;

/// A source value over [`MAX_ATTRIBUTE_BYTES`]: its field and its size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TooLong {
    /// The source field.
    pub(crate) field: String,
    /// The value's size in bytes.
    pub(crate) bytes: usize,
}

impl TooLong {
    /// The reason for rejecting a feature with this value.
    pub(crate) fn reason(&self) -> String {
        format!(
            "field '{}' holds {} bytes, over the {} KiB cap on an attribute value",
            self.field,
            self.bytes,
            MAX_ATTRIBUTE_BYTES / 1024
        )
    }
}

/// One attribute as read: its text (decoded, NFC, trimmed; `None` when null or blank), or a
/// value over the cap, which is never decoded.
pub(crate) type Attr = std::result::Result<Option<String>, TooLong>;

/// A source feature as read, before any check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SourceFeature {
    /// Feature id in the source (its position when the source has none).
    pub(crate) fid: i64,
    /// The geometry, 2D, in the source CRS; `Err` says why the feature has none to use.
    pub(crate) geometry: std::result::Result<Geometry<f64>, String>,
    /// One per schema field, in schema order (`Ok(None)` where no source field feeds it).
    pub(crate) values: Vec<Attr>,
    /// One per personal field kept, in [`FieldPlan::kept`] order.
    pub(crate) kept: Vec<Attr>,
}

/// The encoding of the source's text: the forced one, or one detected from the first
/// [`ENCODING_SAMPLE`] features (any text that is not a legacy byte string means UTF-8).
/// Records it in the report.
pub(super) fn choose_encoding(
    forced: Option<TextEncoding>,
    layer: &mut Layer,
    fields: &FieldPlan,
    report: &mut ImportReport,
) -> TextEncoding {
    let enc = match forced {
        Some(e) => e,
        None => {
            report.encoding_detected = true;
            let mut samples: Vec<Vec<u8>> = Vec::new();
            let mut unicode = false;
            for f in layer.features().take(ENCODING_SAMPLE) {
                for &i in &fields.text_fields {
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
    enc
}

/// Reads the `n`-th feature of the source: its geometry and the fields the plan reads.
/// `Err` is a read error of the source (the import fails), not a problem of the feature.
pub(super) fn decode_feature(
    feature: &Feature,
    n: usize,
    fields: &FieldPlan,
    enc: TextEncoding,
) -> std::result::Result<SourceFeature, String> {
    let fid = feature.fid().map(|f| f as i64).unwrap_or(n as i64);
    let geometry = match feature.geometry().filter(|g| !geometry_is_null(g)) {
        None => Err("no geometry".to_string()),
        Some(g) if g.is_empty() => Err("empty geometry".to_string()),
        Some(g) => to_geo(g),
    };
    let read = |i: usize| read_text(feature, i, &fields.source_fields[i], enc);
    let values = fields
        .matched
        .iter()
        .map(|m| m.map_or(Ok(Ok(None)), read))
        .collect::<std::result::Result<Vec<Attr>, String>>()?;
    let kept = fields
        .kept
        .iter()
        .map(|(i, _)| read(*i))
        .collect::<std::result::Result<Vec<Attr>, String>>()?;
    Ok(SourceFeature {
        fid,
        geometry,
        values,
        kept,
    })
}

/// Reads a source field as text, undoing legacy encodings; a value over the cap is checked
/// before any decoding or copying.
fn read_text(
    feature: &Feature,
    idx: usize,
    name: &str,
    enc: TextEncoding,
) -> std::result::Result<Attr, String> {
    let raw = match feature.field_as_string(idx) {
        Ok(Some(raw)) => raw,
        Ok(None) => return Ok(Ok(None)),
        Err(e) => return Err(format!("field '{name}' of a feature: {e}")),
    };
    if raw.len() > MAX_ATTRIBUTE_BYTES {
        return Ok(Err(TooLong {
            field: name.to_string(),
            bytes: raw.len(),
        }));
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
    Ok(Ok((!t.is_empty()).then(|| t.to_string())))
}
