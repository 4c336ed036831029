//! Overlays of a site with zones and red lines in a metric CRS, bounded in time however the
//! site is shaped: the site cut to a box ([`clip_to_box`]), its overlap area with a polygon
//! without a polygon overlay ([`overlap_area`]), and the length of a line inside it
//! ([`length_inside`]). Pure geometry; no store.

use geo::{Area, BooleanOps, Euclidean, Length, TriangulateEarcut};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};

use super::{Cancel, QueryError};

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
