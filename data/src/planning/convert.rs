//! VN-2000 ⇄ WGS 84 conversion of point lists with the importer's pinned transformation
//! (EPSG:6960 parameters, see [`crate::srs`]).

use super::metric;
use super::QueryError;
use crate::srs::{ResolvedSrs, SrsSpec, VIETNAM_ENVELOPE};

/// Most points converted in one request: a land-use certificate lists tens of corners, a
/// large boundary a few thousand; more belongs in a file import, not a web request.
pub const MAX_CONVERT_POINTS: usize = 10_000;

/// Farthest a point converted in a VN-2000 TM-3 zone may lie from the zone's central
/// meridian, degrees: provinces span at most about 1.5° either side of theirs.
pub const MAX_MERIDIAN_OFFSET_DEG: f64 = 3.0;

fn in_vietnam(lon: f64, lat: f64) -> bool {
    let [w, s, e, n] = VIETNAM_ENVELOPE;
    (w..=e).contains(&lon) && (s..=n).contains(&lat)
}

/// Converts points between a VN-2000 (or other) CRS given as [`SrsSpec`] text
/// (`vn2000:kien-giang`, `vn2000:tm3:104.5`, `vn2000:utm48`, `EPSG:9210`) and WGS 84.
///
/// Projected points are `(easting, northing)`: Vietnamese documents call the northing X and
/// the easting Y, so a certificate's "X, Y" pair is passed as `(Y, X)`. WGS 84 points are
/// `(longitude, latitude)`. Results (or WGS 84 inputs) outside Vietnam are refused: they
/// mean swapped axes or the wrong province.
pub fn convert(
    points: &[(f64, f64)],
    srs: &str,
    to_wgs84: bool,
) -> Result<Vec<(f64, f64)>, QueryError> {
    if points.len() > MAX_CONVERT_POINTS {
        return Err(QueryError::TooLarge(format!(
            "{} points: at most {MAX_CONVERT_POINTS} are converted per request",
            points.len()
        )));
    }
    if let Some((i, _)) = points
        .iter()
        .enumerate()
        .find(|(_, (x, y))| !x.is_finite() || !y.is_finite())
    {
        return Err(QueryError::BadRequest(format!(
            "point {} is not a pair of finite numbers",
            i + 1
        )));
    }
    let spec: SrsSpec = srs
        .parse()
        .map_err(|e: crate::srs::SrsError| QueryError::BadRequest(e.to_string()))?;
    if spec == SrsSpec::Prj {
        return Err(QueryError::BadRequest(
            "srs 'prj' needs a file; give vn2000:<province>, vn2000:tm3:<meridian>, vn2000:utm48/49 or EPSG:<code>".into(),
        ));
    }
    let resolved = ResolvedSrs::resolve(&spec, None).map_err(|e| match e {
        crate::srs::SrsError::Gdal(g) => QueryError::BadRequest(format!("srs '{srs}': {g}")),
        other => QueryError::BadRequest(other.to_string()),
    })?;
    if points.is_empty() {
        return Ok(Vec::new());
    }
    if !to_wgs84 {
        if let Some((i, (lon, lat))) = points
            .iter()
            .enumerate()
            .find(|(_, (lon, lat))| !in_vietnam(*lon, *lat))
        {
            return Err(QueryError::BadRequest(format!(
                "point {} ({lon}, {lat}) is not in Vietnam: WGS 84 points are longitude first (e.g. 105.08, 10.01)",
                i + 1
            )));
        }
    }
    let mut xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let mut ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    metric::transform(&resolved.definition, to_wgs84, &mut xs, &mut ys).map_err(|_| {
        QueryError::BadRequest(format!(
            "the points cannot be converted with {srs}: check the numbers and the SRS"
        ))
    })?;
    // A TM-3 zone is used within a few degrees of its meridian; farther means swapped axes
    // or the wrong province even when the point still falls inside Vietnam's envelope.
    let meridian = match spec {
        SrsSpec::Vn2000Tm3 { meridian, .. } => Some(meridian),
        _ => None,
    };
    let fits = |lon: f64, lat: f64| {
        in_vietnam(lon, lat) && meridian.is_none_or(|m| (lon - m).abs() <= MAX_MERIDIAN_OFFSET_DEG)
    };
    if to_wgs84 {
        if let Some(i) = (0..xs.len()).find(|&i| !fits(xs[i], ys[i])) {
            return Err(QueryError::BadRequest(format!(
                "point {} ({}, {}) lands at ({:.4}, {:.4}), outside Vietnam or far from the zone of {srs}: pass easting, northing — \
                 in Vietnamese usage X is the northing and Y the easting, so a certificate's (X, Y) is given as (Y, X); \
                 also check the province (central meridian)",
                i + 1,
                points[i].0,
                points[i].1,
                xs[i],
                ys[i]
            )));
        }
    }
    Ok(xs.into_iter().zip(ys).collect())
}
