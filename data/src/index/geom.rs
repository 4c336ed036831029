//! Compact in-memory geometry of one layer: every coordinate of the layer in one array, with
//! offsets for rings, parts (polygons or line strings) and features.
//!
//! A million parcels as `geo_types::MultiPolygon`s would cost four heap allocations each;
//! here a parcel costs its coordinates plus three `u32` offsets, and its geometry is rebuilt
//! on demand (a few hundred nanoseconds) for the few features a query touches.

use geo::{Area, BooleanOps, Euclidean, Length, TriangulateEarcut};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon};
use geozero::error::Result as GzResult;
use geozero::GeomProcessor;

use super::{Cancel, QueryError};

/// Geometries of one layer, polygonal or linear.
#[derive(Debug, Default)]
pub(crate) struct FlatGeoms {
    /// Whether parts are polygons (else line strings).
    pub polygonal: bool,
    coords: Vec<Coord<f64>>,
    /// Start of each ring in `coords`, plus a final sentinel.
    rings: Vec<u32>,
    /// Start of each part in `rings`, plus a final sentinel.
    parts: Vec<u32>,
    /// Start of each feature in `parts`, plus a final sentinel.
    features: Vec<u32>,
}

impl FlatGeoms {
    pub fn new(polygonal: bool) -> Self {
        FlatGeoms {
            polygonal,
            coords: Vec::new(),
            rings: vec![0],
            parts: vec![0],
            features: vec![0],
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len() - 1
    }

    /// Bytes held (for the memory report).
    pub fn heap_bytes(&self) -> usize {
        self.coords.capacity() * std::mem::size_of::<Coord<f64>>()
            + (self.rings.capacity() + self.parts.capacity() + self.features.capacity()) * 4
    }

    /// Bytes held by the coordinates alone.
    pub fn coords_bytes(&self) -> usize {
        self.coords.capacity() * std::mem::size_of::<Coord<f64>>()
    }

    pub fn shrink(&mut self) {
        self.coords.shrink_to_fit();
        self.rings.shrink_to_fit();
        self.parts.shrink_to_fit();
        self.features.shrink_to_fit();
    }

    fn ring(&self, r: usize) -> &[Coord<f64>] {
        &self.coords[self.rings[r] as usize..self.rings[r + 1] as usize]
    }

    fn part_rings(&self, p: usize) -> std::ops::Range<usize> {
        self.parts[p] as usize..self.parts[p + 1] as usize
    }

    fn feature_parts(&self, id: usize) -> std::ops::Range<usize> {
        self.features[id] as usize..self.features[id + 1] as usize
    }

    /// All coordinates of a feature (rings in order).
    pub fn feature_coords(&self, id: usize) -> &[Coord<f64>] {
        let parts = self.feature_parts(id);
        let first_ring = self.parts[parts.start] as usize;
        let last_ring = self.parts[parts.end] as usize;
        &self.coords[self.rings[first_ring] as usize..self.rings[last_ring] as usize]
    }

    /// Bounding box `[w, s, e, n]` of a feature (NaN when empty).
    pub fn bbox(&self, id: usize) -> [f64; 4] {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for c in self.feature_coords(id) {
            b[0] = b[0].min(c.x);
            b[1] = b[1].min(c.y);
            b[2] = b[2].max(c.x);
            b[3] = b[3].max(c.y);
        }
        if b[0] > b[2] {
            return [f64::NAN; 4];
        }
        b
    }

    /// A polygonal feature as a multipolygon (empty for linear layers).
    pub fn multipolygon(&self, id: usize) -> MultiPolygon<f64> {
        if !self.polygonal {
            return MultiPolygon::new(vec![]);
        }
        MultiPolygon::new(
            self.feature_parts(id)
                .map(|p| {
                    let mut rings = self
                        .part_rings(p)
                        .map(|r| LineString::new(self.ring(r).to_vec()));
                    let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
                    Polygon::new(exterior, rings.collect())
                })
                .collect(),
        )
    }

    /// A linear feature as a multilinestring (empty for polygonal layers).
    pub fn multilinestring(&self, id: usize) -> MultiLineString<f64> {
        if self.polygonal {
            return MultiLineString::new(vec![]);
        }
        MultiLineString::new(
            self.feature_parts(id)
                .flat_map(|p| self.part_rings(p))
                .map(|r| LineString::new(self.ring(r).to_vec()))
                .collect(),
        )
    }

    /// A feature as a geometry.
    pub fn geometry(&self, id: usize) -> Geometry<f64> {
        if self.polygonal {
            Geometry::MultiPolygon(self.multipolygon(id))
        } else {
            Geometry::MultiLineString(self.multilinestring(id))
        }
    }
}

/// Receives one feature's geometry from geozero straight into a [`FlatGeoms`].
pub(crate) struct FlatWriter<'a> {
    pub geoms: &'a mut FlatGeoms,
    in_polygon: bool,
}

impl<'a> FlatWriter<'a> {
    pub fn new(geoms: &'a mut FlatGeoms) -> Self {
        FlatWriter {
            geoms,
            in_polygon: false,
        }
    }

    /// Closes the current feature (call after each feature, even one without geometry).
    pub fn finish_feature(&mut self) {
        let g = &mut *self.geoms;
        g.features.push((g.parts.len() - 1) as u32);
    }
}

impl GeomProcessor for FlatWriter<'_> {
    fn xy(&mut self, x: f64, y: f64, _idx: usize) -> GzResult<()> {
        self.geoms.coords.push(Coord { x, y });
        Ok(())
    }

    fn linestring_begin(&mut self, _tagged: bool, size: usize, _idx: usize) -> GzResult<()> {
        self.geoms.coords.reserve(size);
        Ok(())
    }

    fn linestring_end(&mut self, _tagged: bool, _idx: usize) -> GzResult<()> {
        let g = &mut *self.geoms;
        g.rings.push(g.coords.len() as u32);
        if !self.in_polygon {
            g.parts.push((g.rings.len() - 1) as u32);
        }
        Ok(())
    }

    fn polygon_begin(&mut self, _tagged: bool, _size: usize, _idx: usize) -> GzResult<()> {
        self.in_polygon = true;
        Ok(())
    }

    fn polygon_end(&mut self, _tagged: bool, _idx: usize) -> GzResult<()> {
        self.in_polygon = false;
        let g = &mut *self.geoms;
        g.parts.push((g.rings.len() - 1) as u32);
        Ok(())
    }
}

/// The part of a polygonal geometry inside the box `[xmin, ymin, xmax, ymax]`, for overlays
/// that only concern what lies in the box: `clip_to_box(a, r) ∘ b == a ∘ b` for any `b`
/// strictly inside `r`, but costs the vertices of `a` near `r` instead of all of them.
///
/// Each ring is clipped on its own by Sutherland–Hodgman against the box's four sides. That
/// keeps the winding number of every point strictly inside the box (the parts of a ring
/// outside are replaced by runs along the box's sides), so the result is the same point set
/// there under the even-odd rule geo's `BooleanOps` use; it may hold zero-width slivers
/// along the box's sides, which overlays and areas ignore. Rings whose box misses `r` are
/// dropped, rings inside `r` are kept whole.
pub(crate) fn clip_to_box(mp: &MultiPolygon<f64>, r: [f64; 4]) -> MultiPolygon<f64> {
    let mut out = Vec::new();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for p in &mp.0 {
        let mut rings = Vec::new();
        for (k, ring) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            let rb = coords_box(&ring.0);
            if rb[0] > r[2] || rb[2] < r[0] || rb[1] > r[3] || rb[3] < r[1] {
                if k == 0 {
                    // Holes lie inside their exterior: none of this polygon is in the box.
                    break;
                }
                continue;
            }
            if rb[0] >= r[0] && rb[2] <= r[2] && rb[1] >= r[1] && rb[3] <= r[3] {
                rings.push(ring.clone());
                continue;
            }
            // The ring without its closing point, clipped side by side.
            let n = ring.0.len().saturating_sub(1);
            a.clear();
            a.extend_from_slice(&ring.0[..n]);
            for (side, &v) in r.iter().enumerate() {
                clip_side(&a, &mut b, side, v);
                std::mem::swap(&mut a, &mut b);
                if a.is_empty() {
                    break;
                }
            }
            if a.len() >= 3 {
                let mut v = a.clone();
                v.push(a[0]);
                rings.push(LineString::new(v));
            }
        }
        if !rings.is_empty() {
            let ext = rings.remove(0);
            out.push(Polygon::new(ext, rings));
        }
    }
    MultiPolygon::new(out)
}

/// One Sutherland–Hodgman step: the closed path `src` clipped to the half-plane
/// x ≥ v (side 0), y ≥ v (1), x ≤ v (2) or y ≤ v (3), into `dst`.
fn clip_side(src: &[Coord<f64>], dst: &mut Vec<Coord<f64>>, side: usize, v: f64) {
    dst.clear();
    let Some(&last) = src.last() else {
        return;
    };
    let coord = |c: &Coord<f64>| if side.is_multiple_of(2) { c.x } else { c.y };
    let inside = |c: &Coord<f64>| {
        if side < 2 {
            coord(c) >= v
        } else {
            coord(c) <= v
        }
    };
    let cut = |p: &Coord<f64>, q: &Coord<f64>| {
        let t = (v - coord(p)) / (coord(q) - coord(p));
        if side.is_multiple_of(2) {
            Coord {
                x: v,
                y: p.y + t * (q.y - p.y),
            }
        } else {
            Coord {
                x: p.x + t * (q.x - p.x),
                y: v,
            }
        }
    };
    let mut prev = last;
    let mut prev_in = inside(&prev);
    for c in src {
        let c_in = inside(c);
        if c_in {
            if !prev_in {
                dst.push(cut(&prev, c));
            }
            dst.push(*c);
        } else if prev_in {
            dst.push(cut(&prev, c));
        }
        prev = *c;
        prev_in = c_in;
    }
}

/// Most site vertices one overlay takes: geo's `BooleanOps` (i_overlay) check segment pairs
/// one by one below 4,000 segments, a few milliseconds here; above that its tree and grid
/// solvers can take minutes on a valid but spiky site (10,000 thin spikes meeting near a
/// centre: measured 8 minutes for one report), and GEOS is no better (7–20 s per overlay).
pub(crate) const MAX_OVERLAY_VERTICES: usize = 1_000;

/// Deepest subdivision of a box in [`for_each_leaf`]: 2^-20 of a kilometre-wide site is a
/// millimetre, finer than any surveyed or drawn boundary.
const MAX_DEPTH: u32 = 20;

/// What [`for_each_leaf`] calls with each piece of the site and its box.
type LeafFn<'a> = dyn FnMut(&MultiPolygon<f64>, [f64; 4]) -> Result<(), QueryError> + 'a;

fn vertex_count(mp: &MultiPolygon<f64>) -> usize {
    mp.0.iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum()
}

/// Calls `f` with pieces of `site` inside boxes that tile `bbox`, each piece holding at most
/// [`MAX_OVERLAY_VERTICES`] vertices (boxes are split in four until it does): an overlay of
/// the site with anything inside `bbox` is the sum of the overlays of the pieces, each
/// bounded in time. Pieces outside the site are skipped. `cancel` is checked at each split.
/// Boxes for which `wanted` is false are skipped.
pub(crate) fn for_each_leaf(
    site: &MultiPolygon<f64>,
    bbox: [f64; 4],
    cancel: &Cancel,
    wanted: &dyn Fn([f64; 4]) -> bool,
    f: &mut LeafFn,
) -> Result<(), QueryError> {
    fn go(
        site: &MultiPolygon<f64>,
        b: [f64; 4],
        depth: u32,
        cancel: &Cancel,
        wanted: &dyn Fn([f64; 4]) -> bool,
        f: &mut LeafFn,
    ) -> Result<(), QueryError> {
        if !wanted(b) {
            return Ok(());
        }
        let part = clip_to_box(site, b);
        if part.0.is_empty() {
            return Ok(());
        }
        if depth >= MAX_DEPTH || vertex_count(&part) <= MAX_OVERLAY_VERTICES {
            return f(&part, b);
        }
        cancel.check()?;
        let (mx, my) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
        for q in [
            [b[0], b[1], mx, my],
            [mx, b[1], b[2], my],
            [b[0], my, mx, b[3]],
            [mx, my, b[2], b[3]],
        ] {
            go(&part, q, depth + 1, cancel, wanted, f)?;
        }
        Ok(())
    }
    go(site, bbox, 0, cancel, wanted, f)
}

/// Area of `site ∩ other` (both polygonal, same CRS, in CRS units²) without a polygon
/// overlay: `other` (a zone or a corridor: tens of vertices) is cut into triangles, and the
/// area inside each triangle is the signed area of the site's rings clipped to it
/// (Sutherland–Hodgman), which counts every point by its winding number: 1 inside the site,
/// 0 outside, for a site oriented by `Orient` (exteriors counter-clockwise, holes clockwise).
/// Linear in the site's vertices near `other`, however the site is shaped; the overlay this
/// replaces can take minutes on a spiky site (see [`MAX_OVERLAY_VERTICES`]). Falls back to
/// that overlay, on the site cut to `other_box`, if `other` does not triangulate.
pub(crate) fn overlap_area(
    site: &MultiPolygon<f64>,
    other: &MultiPolygon<f64>,
    other_box: [f64; 4],
    cancel: &Cancel,
) -> Result<f64, QueryError> {
    let near = clip_to_box(site, other_box);
    if near.0.is_empty() {
        return Ok(0.0);
    }
    let rings: Vec<(&[Coord<f64>], [f64; 4])> = near
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| (&r.0[..r.0.len().saturating_sub(1)], coords_box(&r.0)))
        .collect();
    let mut area = 0.0;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for poly in &other.0 {
        cancel.check()?;
        let triangles = poly.earcut_triangles();
        let covered: f64 = triangles.iter().map(|t| t.unsigned_area()).sum();
        let whole = poly.unsigned_area();
        if (covered - whole).abs() > whole * 1e-9 + 1e-12 {
            // A degenerate polygon earcut could not cover: overlay it, bounded by the cut.
            area += near.intersection(poly).unsigned_area();
            continue;
        }
        for t in triangles {
            let mut v = [t.v1(), t.v2(), t.v3()];
            if t.signed_area() < 0.0 {
                v.swap(1, 2);
            }
            let tb = coords_box(&v);
            for (ring, rb) in &rings {
                if rb[0] > tb[2] || rb[2] < tb[0] || rb[1] > tb[3] || rb[3] < tb[1] {
                    continue;
                }
                a.clear();
                a.extend_from_slice(ring);
                for k in 0..3 {
                    clip_half_plane(&a, &mut b, v[k], v[(k + 1) % 3]);
                    std::mem::swap(&mut a, &mut b);
                    if a.is_empty() {
                        break;
                    }
                }
                area += shoelace(&a);
            }
        }
    }
    Ok(area.max(0.0))
}

fn coords_box(c: &[Coord<f64>]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in c {
        b[0] = b[0].min(c.x);
        b[1] = b[1].min(c.y);
        b[2] = b[2].max(c.x);
        b[3] = b[3].max(c.y);
    }
    b
}

/// Signed area of a closed path given without its closing point.
fn shoelace(c: &[Coord<f64>]) -> f64 {
    let Some(&first) = c.first() else {
        return 0.0;
    };
    // Relative to the first point, for precision far from the origin.
    let mut s = 0.0;
    for w in c.windows(2) {
        let (p, q) = (w[0] - first, w[1] - first);
        s += p.x * q.y - q.x * p.y;
    }
    s / 2.0
}

/// One Sutherland–Hodgman step: the closed path `src` clipped to the half-plane left of the
/// directed line `p → q` (inclusive), into `dst`.
fn clip_half_plane(src: &[Coord<f64>], dst: &mut Vec<Coord<f64>>, p: Coord<f64>, q: Coord<f64>) {
    dst.clear();
    let Some(&last) = src.last() else {
        return;
    };
    let d = q - p;
    let side = |c: &Coord<f64>| d.x * (c.y - p.y) - d.y * (c.x - p.x);
    let mut prev = last;
    let mut prev_s = side(&prev);
    for c in src {
        let s = side(c);
        if s >= 0.0 {
            if prev_s < 0.0 {
                let t = prev_s / (prev_s - s);
                dst.push(prev + (*c - prev) * t);
            }
            dst.push(*c);
        } else if prev_s >= 0.0 {
            let t = prev_s / (prev_s - s);
            dst.push(prev + (*c - prev) * t);
        }
        prev = *c;
        prev_s = s;
    }
}

/// Length of `line` inside `site` or on its boundary (CRS units): geo's `clip` (an
/// i_overlay overlay) on pieces of the site of at most [`MAX_OVERLAY_VERTICES`] vertices, in
/// boxes along the line (see [`for_each_leaf`]).
pub(crate) fn length_inside(
    site: &MultiPolygon<f64>,
    line: &MultiLineString<f64>,
    line_box: [f64; 4],
    cancel: &Cancel,
) -> Result<f64, QueryError> {
    let mut length = 0.0;
    let enters = |b: [f64; 4]| !clip_line_to_box(line, b).0.is_empty();
    for_each_leaf(site, line_box, cancel, &enters, &mut |piece, b| {
        let part = clip_line_to_box(line, b);
        if !part.0.is_empty() {
            length += Euclidean.length(&piece.clip(&part, false));
        }
        Ok(())
    })?;
    Ok(length)
}

/// The segments of `line` inside the box `[xmin, ymin, xmax, ymax]` (Liang–Barsky), each
/// as its own line string.
fn clip_line_to_box(line: &MultiLineString<f64>, b: [f64; 4]) -> MultiLineString<f64> {
    let mut out = Vec::new();
    for ls in &line.0 {
        for w in ls.0.windows(2) {
            let (p, q) = (w[0], w[1]);
            let (dx, dy) = (q.x - p.x, q.y - p.y);
            let (mut t0, mut t1) = (0.0f64, 1.0f64);
            let mut keep = true;
            for (pk, qk) in [
                (-dx, p.x - b[0]),
                (dx, b[2] - p.x),
                (-dy, p.y - b[1]),
                (dy, b[3] - p.y),
            ] {
                if pk == 0.0 {
                    if qk < 0.0 {
                        keep = false;
                        break;
                    }
                } else {
                    let t = qk / pk;
                    if pk < 0.0 {
                        t0 = t0.max(t);
                    } else {
                        t1 = t1.min(t);
                    }
                }
            }
            if keep && t0 < t1 {
                out.push(LineString::new(vec![
                    Coord {
                        x: p.x + t0 * dx,
                        y: p.y + t0 * dy,
                    },
                    Coord {
                        x: p.x + t1 * dx,
                        y: p.y + t1 * dy,
                    },
                ]));
            }
        }
    }
    MultiLineString::new(out)
}

/// GeoJSON geometry object (RFC 7946 §3.1) of a geometry, as JSON.
pub fn geojson(g: &Geometry<f64>) -> serde_json::Value {
    use serde_json::{json, Value};
    fn pos(c: &Coord<f64>) -> Value {
        json!([c.x, c.y])
    }
    fn line(l: &LineString<f64>) -> Value {
        Value::Array(l.0.iter().map(pos).collect())
    }
    fn poly(p: &Polygon<f64>) -> Value {
        Value::Array(
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(line)
                .collect(),
        )
    }
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": pos(&p.0)}),
        Geometry::Line(l) => {
            json!({"type": "LineString", "coordinates": [pos(&l.start), pos(&l.end)]})
        }
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": line(l)}),
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": poly(p)}),
        Geometry::MultiPoint(m) => json!({"type": "MultiPoint",
            "coordinates": m.0.iter().map(|p| pos(&p.0)).collect::<Vec<_>>()}),
        Geometry::MultiLineString(m) => json!({"type": "MultiLineString",
            "coordinates": m.0.iter().map(line).collect::<Vec<_>>()}),
        Geometry::MultiPolygon(m) => json!({"type": "MultiPolygon",
            "coordinates": m.0.iter().map(poly).collect::<Vec<_>>()}),
        Geometry::GeometryCollection(c) => json!({"type": "GeometryCollection",
            "geometries": c.0.iter().map(geojson).collect::<Vec<_>>()}),
        Geometry::Rect(r) => geojson(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => geojson(&Geometry::Polygon(t.to_polygon())),
    }
}

/// `serialize_with` for a geometry field: writes GeoJSON.
pub fn serialize_geojson<S: serde::Serializer>(g: &Geometry<f64>, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&geojson(g), s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::GeozeroGeometry;

    #[test]
    fn round_trips_multipolygons_and_lines() {
        let mp: MultiPolygon<f64> = geo::wkt! {
            MULTIPOLYGON(((0. 0.,4. 0.,4. 4.,0. 4.,0. 0.),(1. 1.,2. 1.,2. 2.,1. 1.)),((5. 5.,6. 5.,6. 6.,5. 5.)))
        };
        let mut g = FlatGeoms::new(true);
        for _ in 0..2 {
            let mut w = FlatWriter::new(&mut g);
            Geometry::MultiPolygon(mp.clone())
                .process_geom(&mut w)
                .unwrap();
            w.finish_feature();
        }
        assert_eq!(g.len(), 2);
        assert_eq!(g.multipolygon(1), mp);
        assert_eq!(g.bbox(0), [0.0, 0.0, 6.0, 6.0]);
        let ml: MultiLineString<f64> =
            geo::wkt! { MULTILINESTRING((0. 0.,1. 1.),(2. 2.,3. 3.,4. 4.)) };
        let mut l = FlatGeoms::new(false);
        let mut w = FlatWriter::new(&mut l);
        Geometry::MultiLineString(ml.clone())
            .process_geom(&mut w)
            .unwrap();
        w.finish_feature();
        assert_eq!(l.multilinestring(0), ml);
    }
}
