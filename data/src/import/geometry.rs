//! Geometry on import: a source geometry brought to the kind's type and made valid
//! ([`shape`]), reprojected with one PROJ call ([`reproject`]) and measured ([`geodesic_area`]
//! for sources in degrees; planar measures come from [`Shaped::planar`]).

use gdal::vector::{Geometry as GdalGeometry, ToGdal};
use geo::{Area, CoordsIter, Euclidean, GeodesicArea, Length};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon};

use crate::schema::Kind;
use crate::srs::{MAX_COORDINATE_ABS, VIETNAM_ENVELOPE};

use super::OUTSIDE_VIETNAM_MARGIN_DEG;

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
    pub(crate) planar: f64,
    /// Why the geometry was repaired, when it was.
    pub(crate) repaired: Option<String>,
    /// How it was converted to the kind's type, when it was.
    pub(crate) converted: Option<&'static str>,
}

/// [`shape`] of a GDAL geometry (the site reader's entry).
pub(crate) fn shape_geometry(
    kind: Kind,
    src: &GdalGeometry,
) -> std::result::Result<Shaped, String> {
    shape(kind, to_geo(src)?)
}

/// A GDAL geometry as a 2D `geo` geometry, or why it cannot be one.
pub(crate) fn to_geo(src: &GdalGeometry) -> std::result::Result<Geometry<f64>, String> {
    let mut g2 = src.clone();
    g2.flatten_to_2d();
    Geometry::try_from(&g2).map_err(|_| {
        format!(
            "unsupported geometry type {}",
            gdal::vector::geometry_type_to_name(src.geometry_type())
        )
    })
}

/// Brings a source geometry (2D, in the source CRS) to the kind's type, valid, or says why it
/// cannot.
pub(crate) fn shape(kind: Kind, geo: Geometry<f64>) -> std::result::Result<Shaped, String> {
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
pub(crate) fn geodesic_area(mp: &MultiPolygon<f64>) -> f64 {
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
pub(crate) fn outside_vietnam(c: Coord<f64>) -> bool {
    let [w, s, e, n] = VIETNAM_ENVELOPE;
    let m = OUTSIDE_VIETNAM_MARGIN_DEG;
    !((w - m..=e + m).contains(&c.x) && (s - m..=n + m).contains(&c.y))
}

#[cfg(test)]
mod tests {
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
