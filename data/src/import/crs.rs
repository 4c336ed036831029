//! The CRS stage: the source's reference system resolved from `--srs` (and the file's own,
//! for `prj`), a warning when the two disagree, and the layer's extent checked against it
//! before any feature is read.

use gdal::spatial_ref::CoordTransform;
use gdal::vector::{Layer, LayerAccess};

use crate::srs::{ResolvedSrs, SrsSpec, MAX_COORDINATE_ABS};

use super::report::ImportReport;
use super::{ImportOptions, Result};

/// Resolves the source's CRS and its transformation to WGS 84; records the SRS and any
/// warning in the report.
pub(super) fn resolve(
    opts: &ImportOptions,
    layer: &Layer,
    report: &mut ImportReport,
) -> Result<(ResolvedSrs, CoordTransform)> {
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
    Ok((srs, ct))
}
