//! Polygon validity (OGC Simple Features, ISO 19125-1 §6.1.11), fast for any size.
//!
//! geo's `Validation` explains what is wrong but is quadratic in the vertex count (0.23 s for
//! 1,000 vertices, 4.4 s for 5,000); GEOS's IsValid (through GDAL) is O(n log n) but only
//! says yes or no. Small polygons use geo; large ones ask GEOS first and only explain the
//! problem with geo while that stays cheap.

use gdal::vector::ToGdal;
use geo::CoordsIter;
use geo::Validation;
use geo_types::MultiPolygon;

/// Up to this many vertices geo's validation is used directly (well under a millisecond).
pub const GEO_CHECK_MAX_VERTICES: usize = 256;

/// Up to this many vertices an invalid polygon's problem is explained by geo (about 0.5 s).
pub const EXPLAIN_MAX_VERTICES: usize = 1_500;

/// `None` when the polygon is valid, otherwise what is wrong with it.
pub fn invalidity(mp: &MultiPolygon<f64>) -> Option<String> {
    let n = mp.coords_count();
    if n <= GEO_CHECK_MAX_VERTICES {
        return mp
            .validation_errors()
            .into_iter()
            .next()
            .map(|e| e.to_string());
    }
    let valid = match mp.to_gdal() {
        Ok(g) => g.is_valid(),
        Err(e) => return Some(format!("cannot be checked: {e}")),
    };
    if valid {
        return None;
    }
    if n <= EXPLAIN_MAX_VERTICES {
        if let Some(e) = mp.validation_errors().into_iter().next() {
            return Some(e.to_string());
        }
    }
    Some("not a valid polygon: a ring intersects itself or another ring".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, LineString, Polygon};

    fn circle(n: usize, bow_tie: bool) -> MultiPolygon<f64> {
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (a.cos(), a.sin())
            })
            .collect();
        if bow_tie {
            pts.swap(0, n / 2);
        }
        pts.push(pts[0]);
        MultiPolygon(vec![Polygon::new(LineString::from(pts), vec![])])
    }

    #[test]
    fn small_and_large_polygons() {
        let square = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)],
        ]);
        assert_eq!(invalidity(&square), None);
        let tie = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.)],
        ]);
        assert!(invalidity(&tie).unwrap().contains("self-intersection"));
        assert_eq!(invalidity(&circle(1000, false)), None);
        assert!(invalidity(&circle(1000, true)).is_some());
        let t = std::time::Instant::now();
        assert_eq!(invalidity(&circle(100_000, false)), None);
        assert!(invalidity(&circle(100_000, true)).is_some());
        assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
    }
}
