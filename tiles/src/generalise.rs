//! Per-zoom generalisation of one feature into tile pixels: project, drop if too small,
//! snap to the pixel grid, clip to the buffered tile, clean up.
//!
//! # Choices
//!
//! **Polygons are not simplified by Douglas–Peucker or Visvalingam.** Simplifying each
//! polygon on its own moves the vertices of an edge two zones share differently in each, which
//! opens cracks (slivers of background) between adjacent zones and parcels; even
//! `SimplifyVwPreserve` only preserves the topology *within* one polygon. Instead every vertex
//! is snapped to the grid of tile pixels (a coarser grid of 2, 4, 8… pixels when a tile is over
//! its size cap, see [`crate::encode`]), and then repeated and exactly collinear vertices are
//! removed (integer cross product = 0, which also removes zero-width spikes). Snapping is a
//! function of the vertex alone, computed in global pixel coordinates with round-half-up, so
//! a vertex two polygons share lands on the same pixel in both, in every tile: shared edges
//! stay identical and no cracks open, at every zoom. A collinear vertex removed from one
//! polygon but kept in its neighbour leaves a T-junction, whose vertex lies exactly on the
//! other polygon's edge: no gap either. The grid bounds the detail to one vertex per pixel,
//! which is what a tile can show.
//!
//! **Lines** (red lines, roads) share no edges, so they are simplified with Douglas–Peucker
//! (geo's `Simplify`) at one grid step, after clipping and before snapping.
//!
//! **Polygon clipping** uses geo's `BooleanOps::intersection` with the buffered tile square
//! (i_overlay: robust, valid output with holes assigned to their shells). It runs only on
//! polygons that cross the buffered tile's edge, on coordinates already snapped to the grid,
//! so i_overlay's internal integer grid reproduces them exactly; a polygon much larger than
//! the tile (a province at z16) is first cut with Sutherland–Hodgman to the tile plus one
//! tile on each side, whose edges lie outside the clip square, to keep i_overlay's numbers
//! small. **Line clipping** is Liang–Barsky per segment (exact, splits a line that leaves and
//! re-enters the tile into parts).
//!
//! Snapping after clipping can make a polygon touch itself at a pixel (two vertices of a
//! narrow neck landing on the same pixel); that is inherent to integer tile coordinates and
//! renderers draw it correctly.

use geo::{BooleanOps, Simplify};
use geo_types::{Coord, Geometry, LineString, Polygon, Rect};

use crate::tile::{lonlat_to_world, world_x, world_y, TileCoord, BUFFER, EXTENT};

/// A point in tile pixels (0..EXTENT inside the tile).
pub(crate) type Pt = [i64; 2];

/// A feature's geometry in tile pixels: polygons as rings (exterior first, not closed), or
/// line parts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TileGeom {
    Polygons(Vec<Vec<Vec<Pt>>>),
    Lines(Vec<Vec<Pt>>),
    Points(Vec<Pt>),
}

/// The pixel frame of one tile at one grid step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    scale: f64,
    ox: f64,
    oy: f64,
    /// Grid step in tile pixels (1 = full detail).
    pub grid: i64,
    /// The buffered tile, `[xmin, ymin, xmax, ymax]` in tile pixels.
    pub clip: [i64; 4],
}

impl Frame {
    pub fn new(t: TileCoord, grid: i64) -> Frame {
        let scale = TileCoord::tiles_per_side(t.z) as f64 * f64::from(EXTENT);
        let e = i64::from(EXTENT);
        let b = i64::from(BUFFER);
        Frame {
            scale,
            ox: f64::from(t.x) * f64::from(EXTENT),
            oy: f64::from(t.y) * f64::from(EXTENT),
            grid: grid.max(1),
            clip: [-b, -b, e + b, e + b],
        }
    }

    /// Tile pixel coordinates (not snapped). The subtraction of the tile's integer origin
    /// from the global pixel coordinate is exact, so a point has the same fractional part in
    /// every tile.
    fn px(&self, c: Coord<f64>) -> [f64; 2] {
        let (wx, wy) = lonlat_to_world(c.x, c.y);
        [wx * self.scale - self.ox, wy * self.scale - self.oy]
    }

    /// [`Frame::px`], the same bits, with the latitude's world y from `memo`.
    fn px_memo(&self, c: Coord<f64>, memo: &mut LatMemo) -> [f64; 2] {
        [
            world_x(c.x) * self.scale - self.ox,
            memo.world_y(c.y) * self.scale - self.oy,
        ]
    }

    /// Snaps to the grid, rounding half up (not half away from zero) so that the result does
    /// not depend on which tile's origin the coordinate is relative to.
    fn snap(&self, v: f64) -> i64 {
        let g = self.grid as f64;
        floor_i64(v / g + 0.5) * self.grid
    }

    fn snap_pt(&self, p: [f64; 2]) -> Pt {
        [self.snap(p[0]), self.snap(p[1])]
    }
}

/// `x.floor() as i64`, without the call to `floor` that a baseline x86-64 build makes (no
/// SSE4.1 rounding instruction): the truncation, one less when it rounded a negative value
/// up. The same value for every finite `x` in range; NaN gives 0 and out-of-range values
/// saturate, as the cast does.
#[inline]
fn floor_i64(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x && t != i64::MIN {
        t - 1
    } else {
        t
    }
}

/// Twice the signed area of a ring by the MVT spec's formula (positive = clockwise on screen,
/// y down).
pub(crate) fn area2(ring: &[Pt]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let a = ring[i];
            let b = ring[(i + 1) % n];
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

fn area2_f(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let a = ring[i];
            let b = ring[(i + 1) % n];
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

fn cross(a: Pt, b: Pt, c: Pt) -> i64 {
    (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])
}

/// Removes repeated and collinear vertices (including zero-width spikes) of a closed ring
/// given without its closing vertex. Returns false when fewer than 3 vertices or no area
/// remain.
pub(crate) fn clean_ring(ring: &mut Vec<Pt>) -> bool {
    // In place: the kept vertices `ring[..n]` are a stack that never passes the vertex read.
    let mut n = 0;
    for r in 0..ring.len() {
        let p = ring[r];
        if n > 0 && ring[n - 1] == p {
            continue;
        }
        while n >= 2 && cross(ring[n - 2], ring[n - 1], p) == 0 {
            n -= 1;
        }
        if n > 0 && ring[n - 1] == p {
            continue;
        }
        ring[n] = p;
        n += 1;
    }
    ring.truncate(n);
    let out = ring;
    // The seam between the last and the first vertex.
    while out.len() >= 3 {
        let n = out.len();
        if out[n - 1] == out[0] || cross(out[n - 2], out[n - 1], out[0]) == 0 {
            out.pop();
        } else if cross(out[n - 1], out[0], out[1]) == 0 {
            out.remove(0);
        } else {
            break;
        }
    }
    out.len() >= 3 && area2(out) != 0
}

/// Polygonal geometry of `geom` in this frame, or None when it is empty here, smaller than
/// `min_area_px2` (computed on the whole polygon before clipping, so a feature does not
/// vanish at a tile edge), or outside the buffered tile. Also returns its unclipped area in
/// px².
pub(crate) fn polygons(
    frame: &Frame,
    geom: &Geometry<f64>,
    min_area_px2: f64,
    scratch: &mut Scratch,
) -> Option<(TileGeom, f64)> {
    // Polygons and multipolygons (nearly every feature) are read in place; other kinds are
    // collected first.
    let mut refs: Vec<&Polygon<f64>> = Vec::new();
    let mut owned: Vec<Polygon<f64>> = Vec::new();
    let polys: &[Polygon<f64>] = match geom {
        Geometry::Polygon(p) => std::slice::from_ref(p),
        Geometry::MultiPolygon(mp) => &mp.0,
        _ => {
            collect_polygons(geom, &mut refs, &mut owned);
            &[]
        }
    };

    // Project, measure and find the box: every ring's pixels in one buffer, `ring_ends[k]`
    // the end of ring k, `poly_ends[j]` the end of polygon j's rings (buffers reused from
    // feature to feature).
    let mut area = 0.0;
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let Scratch {
        pts,
        ring_ends,
        poly_ends,
        lat,
    } = scratch;
    pts.clear();
    ring_ends.clear();
    poly_ends.clear();
    for p in polys.iter().chain(refs.iter().copied()).chain(owned.iter()) {
        for (i, ls) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            let start = pts.len();
            pts.extend(ls.0.iter().map(|&c| frame.px_memo(c, lat)));
            let r = &pts[start..];
            if r.len() > 1 && r.first() == r.last() {
                pts.pop();
            }
            let r = &pts[start..];
            let a = area2_f(r).abs() / 2.0;
            if i == 0 {
                for q in r {
                    bbox[0] = bbox[0].min(q[0]);
                    bbox[1] = bbox[1].min(q[1]);
                    bbox[2] = bbox[2].max(q[0]);
                    bbox[3] = bbox[3].max(q[1]);
                }
                area += a;
            } else {
                area -= a;
            }
            ring_ends.push(pts.len());
        }
        poly_ends.push(ring_ends.len());
    }
    if poly_ends.is_empty() || !area.is_finite() || area < min_area_px2 {
        return None;
    }
    let c = frame.clip.map(|v| v as f64);
    if bbox[2] < c[0] || bbox[0] > c[2] || bbox[3] < c[1] || bbox[1] > c[3] {
        return None;
    }
    let inside = bbox[0] >= c[0] && bbox[1] >= c[1] && bbox[2] <= c[2] && bbox[3] <= c[3];

    let mut out: Vec<Vec<Vec<Pt>>> = Vec::with_capacity(poly_ends.len());
    let (mut ring0, mut start) = (0, 0);
    for &pe in poly_ends.iter() {
        let snapped: Vec<Vec<Pt>> = ring_ends[ring0..pe]
            .iter()
            .map(|&end| {
                let r: Vec<Pt> = pts[start..end].iter().map(|&p| frame.snap_pt(p)).collect();
                start = end;
                r
            })
            .collect();
        ring0 = pe;
        if inside {
            out.push(snapped);
        } else {
            out.extend(clip_polygon(frame, snapped));
        }
    }
    out.retain_mut(|rings| {
        if rings.is_empty() || !clean_ring(&mut rings[0]) {
            return false;
        }
        let mut exterior = true;
        rings.retain_mut(|r| std::mem::take(&mut exterior) || clean_ring(r));
        true
    });
    (!out.is_empty()).then_some((TileGeom::Polygons(out), area))
}

/// Buffers [`polygons`] reuses from one feature to the next (one per tile).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pts: Vec<[f64; 2]>,
    ring_ends: Vec<usize>,
    poly_ends: Vec<usize>,
    lat: LatMemo,
}

/// Slots of a [`LatMemo`] (a power of two): 64 KB, within a core's L2 cache.
const LAT_MEMO_SLOTS: usize = 4096;

/// The world y of recently projected latitudes. Neighbouring parcels and zones share their
/// boundary vertices, so a tile projects most latitudes two or three times; `tan` and `ln`
/// were 9 % of a cold z15 tile. A direct-mapped table keyed by the latitude's bits: a hit
/// gives the very value [`world_y`] gave, so tiles are byte for byte the same.
#[derive(Debug)]
pub(crate) struct LatMemo {
    slots: Vec<(u64, f64)>,
}

impl Default for LatMemo {
    fn default() -> Self {
        // Empty slots hold a NaN's bits with NaN, which is also what that NaN projects to.
        LatMemo {
            slots: vec![(f64::NAN.to_bits(), f64::NAN); LAT_MEMO_SLOTS],
        }
    }
}

impl LatMemo {
    #[inline]
    fn world_y(&mut self, lat: f64) -> f64 {
        let bits = lat.to_bits();
        // Fibonacci hashing: the top bits of the product mix every bit of the latitude.
        let i = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - LAT_MEMO_SLOTS.trailing_zeros()))
            as usize;
        let slot = &mut self.slots[i];
        if slot.0 != bits {
            *slot = (bits, world_y(lat));
        }
        slot.1
    }
}

fn collect_polygons<'a>(
    geom: &'a Geometry<f64>,
    out: &mut Vec<&'a Polygon<f64>>,
    owned: &mut Vec<Polygon<f64>>,
) {
    match geom {
        Geometry::Polygon(p) => out.push(p),
        Geometry::MultiPolygon(mp) => out.extend(mp.0.iter()),
        Geometry::Rect(r) => owned.push(r.to_polygon()),
        Geometry::Triangle(t) => owned.push(t.to_polygon()),
        Geometry::GeometryCollection(gc) => {
            for g in &gc.0 {
                collect_polygons(g, out, owned);
            }
        }
        _ => {}
    }
}

/// Clips one polygon (snapped rings, exterior first) to the frame's buffered tile.
fn clip_polygon(frame: &Frame, rings: Vec<Vec<Pt>>) -> Vec<Vec<Vec<Pt>>> {
    let [x0, y0, x1, y1] = frame.clip;
    let e = i64::from(EXTENT);
    let outer = [x0 - e, y0 - e, x1 + e, y1 + e];
    let to_ls = |r: &[Pt]| -> LineString<f64> {
        let mut cs: Vec<Coord<f64>> = r
            .iter()
            .map(|p| Coord {
                x: p[0] as f64,
                y: p[1] as f64,
            })
            .collect();
        if let Some(&first) = cs.first() {
            cs.push(first);
        }
        LineString(cs)
    };
    let mut lss = Vec::with_capacity(rings.len());
    for (i, r) in rings.iter().enumerate() {
        let r = if r
            .iter()
            .any(|p| p[0] < outer[0] || p[0] > outer[2] || p[1] < outer[1] || p[1] > outer[3])
        {
            sutherland_hodgman(r, outer)
        } else {
            r.clone()
        };
        if r.len() < 3 {
            if i == 0 {
                return Vec::new();
            }
            continue;
        }
        lss.push(to_ls(&r));
    }
    let mut it = lss.into_iter();
    let Some(ext) = it.next() else {
        return Vec::new();
    };
    let poly = Polygon::new(ext, it.collect());
    let rect = Rect::new(
        Coord {
            x: x0 as f64,
            y: y0 as f64,
        },
        Coord {
            x: x1 as f64,
            y: y1 as f64,
        },
    )
    .to_polygon();
    let clipped = poly.intersection(&rect);
    clipped
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|ls| {
                    let mut r: Vec<Pt> = ls.0.iter().map(|c| frame.snap_pt([c.x, c.y])).collect();
                    if r.len() > 1 && r.first() == r.last() {
                        r.pop();
                    }
                    r
                })
                .collect()
        })
        .collect()
}

/// Sutherland–Hodgman clip of a ring to an axis-aligned box. Output may have zero-width
/// edges along the box, which is why it is only a pre-cut before the exact clip. Crossing
/// points are computed from the segment's endpoints in a fixed order, so the two polygons
/// sharing an edge get the same point.
fn sutherland_hodgman(ring: &[Pt], b: [i64; 4]) -> Vec<Pt> {
    let mut pts = ring.to_vec();
    // (axis, bound, keep when >= bound?)
    for (axis, bound, keep_ge) in [
        (0, b[0], true),
        (0, b[2], false),
        (1, b[1], true),
        (1, b[3], false),
    ] {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &Pt| {
            if keep_ge {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = pts[i];
            let prev = pts[(i + pts.len() - 1) % pts.len()];
            let (ci, pi) = (inside(&cur), inside(&prev));
            if ci != pi {
                out.push(crossing(prev, cur, axis, bound));
            }
            if ci {
                out.push(cur);
            }
        }
        pts = out;
    }
    pts
}

fn crossing(a: Pt, b: Pt, axis: usize, bound: i64) -> Pt {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let other = 1 - axis;
    let t = (bound - a[axis]) as f64 / (b[axis] - a[axis]) as f64;
    let v = a[other] as f64 + t * (b[other] - a[other]) as f64;
    let mut p = [0; 2];
    p[axis] = bound;
    p[other] = (v + 0.5).floor() as i64;
    p
}

/// Linear geometry of `geom` in this frame, or None when empty here, shorter than
/// `min_length_px` (whole length, before clipping) or outside the buffered tile. Also
/// returns its unclipped length in px.
pub(crate) fn lines(
    frame: &Frame,
    geom: &Geometry<f64>,
    min_length_px: f64,
) -> Option<(TileGeom, f64)> {
    let mut lss: Vec<&LineString<f64>> = Vec::new();
    collect_lines(geom, &mut lss);
    let mut length = 0.0;
    let mut projected = Vec::with_capacity(lss.len());
    for ls in lss {
        let r: Vec<[f64; 2]> = ls.0.iter().map(|&c| frame.px(c)).collect();
        length += r
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
            .sum::<f64>();
        projected.push(r);
    }
    if projected.is_empty() || !length.is_finite() || length < min_length_px {
        return None;
    }
    let c = frame.clip.map(|v| v as f64);
    let eps = frame.grid as f64;
    let mut parts = Vec::new();
    for line in projected {
        for part in clip_line(&line, c) {
            let ls = LineString(part.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
            let simple = ls.simplify(eps);
            let mut out: Vec<Pt> = Vec::with_capacity(simple.0.len());
            for q in simple.0 {
                let p = frame.snap_pt([q.x, q.y]);
                if out.last() != Some(&p) {
                    out.push(p);
                }
            }
            if out.len() >= 2 {
                parts.push(out);
            }
        }
    }
    (!parts.is_empty()).then_some((TileGeom::Lines(parts), length))
}

/// A point or multipoint in tile pixels, keeping only the points inside the tile proper
/// (`0 <= x, y < EXTENT`, after snapping): every point is in exactly one tile of a zoom, so a
/// label anchored on it is drawn once. Its "size" is the number of points.
pub(crate) fn points(frame: &Frame, geom: &Geometry<f64>) -> Option<(TileGeom, f64)> {
    let all: Vec<Coord<f64>> = match geom {
        Geometry::Point(p) => vec![p.0],
        Geometry::MultiPoint(m) => m.0.iter().map(|p| p.0).collect(),
        _ => return None,
    };
    let e = i64::from(EXTENT);
    let inside: Vec<Pt> = all
        .into_iter()
        .map(|c| frame.snap_pt(frame.px(c)))
        .filter(|p| (0..e).contains(&p[0]) && (0..e).contains(&p[1]))
        .collect();
    let n = inside.len() as f64;
    (!inside.is_empty()).then_some((TileGeom::Points(inside), n))
}

fn collect_lines<'a>(geom: &'a Geometry<f64>, out: &mut Vec<&'a LineString<f64>>) {
    match geom {
        Geometry::LineString(ls) => out.push(ls),
        Geometry::MultiLineString(m) => out.extend(m.0.iter()),
        Geometry::GeometryCollection(gc) => {
            for g in &gc.0 {
                collect_lines(g, out);
            }
        }
        _ => {}
    }
}

/// Liang–Barsky clip of a polyline to a box; a line that leaves and re-enters gives several
/// parts.
fn clip_line(line: &[[f64; 2]], b: [f64; 4]) -> Vec<Vec<[f64; 2]>> {
    let mut parts = Vec::new();
    let mut cur: Vec<[f64; 2]> = Vec::new();
    for w in line.windows(2) {
        let (p, q) = (w[0], w[1]);
        let d = [q[0] - p[0], q[1] - p[1]];
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (pk, qk) in [
            (-d[0], p[0] - b[0]),
            (d[0], b[2] - p[0]),
            (-d[1], p[1] - b[1]),
            (d[1], b[3] - p[1]),
        ] {
            if pk == 0.0 {
                if qk < 0.0 {
                    visible = false;
                    break;
                }
            } else {
                let r = qk / pk;
                if pk < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !visible || t0 > t1 {
            if cur.len() >= 2 {
                parts.push(std::mem::take(&mut cur));
            }
            cur.clear();
            continue;
        }
        let a = [p[0] + t0 * d[0], p[1] + t0 * d[1]];
        let z = [p[0] + t1 * d[0], p[1] + t1 * d[1]];
        if t0 > 0.0 || cur.is_empty() {
            if cur.len() >= 2 {
                parts.push(std::mem::take(&mut cur));
            }
            cur.clear();
            cur.push(a);
        }
        cur.push(z);
        if t1 < 1.0 {
            if cur.len() >= 2 {
                parts.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    if cur.len() >= 2 {
        parts.push(cur);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn lat_memo_gives_world_y_bit_for_bit() {
        let mut memo = LatMemo::default();
        // Real latitudes (many land in the same slot and evict each other), the clamped
        // poles and beyond, signed zeros, NaN (also the empty slots' key) and infinities;
        // twice, so the second pass reads what the first stored.
        let mut lats: Vec<f64> = (0..20_000).map(|i| 8.0 + f64::from(i) * 1.3e-4).collect();
        lats.extend([
            0.0,
            -0.0,
            85.051_128_779_806_59,
            89.9,
            -90.0,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            21.028_511,
        ]);
        for _ in 0..2 {
            for &lat in &lats {
                let (got, want) = (memo.world_y(lat), world_y(lat));
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{lat}: {got} against {want}"
                );
            }
        }
        let f = Frame::new(
            TileCoord {
                z: 15,
                x: 25_950,
                y: 15_470,
            },
            1,
        );
        let c = Coord {
            x: 105.85,
            y: 21.03,
        };
        assert_eq!(f.px_memo(c, &mut memo), f.px(c));
    }

    #[test]
    fn floor_i64_is_floor_as_i64() {
        for x in [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            1.5,
            -1.5,
            -1e-12,
            4160.49,
            -64.5,
            2.5e15,
            -2.5e15,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(floor_i64(x), x.floor() as i64, "{x}");
        }
    }

    #[test]
    fn clean_ring_removes_duplicates_collinear_and_spikes() {
        let mut r = vec![
            [0, 0],
            [5, 0],
            [10, 0],
            [10, 0],
            [10, 10],
            [10, 20],
            [10, 10],
            [0, 10],
        ];
        assert!(clean_ring(&mut r));
        assert_eq!(r, vec![[0, 0], [10, 0], [10, 10], [0, 10]]);
        let mut flat = vec![[0, 0], [5, 0], [10, 0], [5, 0]];
        assert!(!clean_ring(&mut flat));
        // Collinear at the seam.
        let mut s = vec![[5, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
        assert!(clean_ring(&mut s));
        assert_eq!(s.len(), 4);
        assert!(!s.contains(&[5, 0]));
    }

    #[test]
    fn line_clip_splits_parts() {
        let b = [0.0, 0.0, 10.0, 10.0];
        let parts = clip_line(
            &[
                [-5.0, 5.0],
                [5.0, 5.0],
                [5.0, 15.0],
                [8.0, 15.0],
                [8.0, 5.0],
            ],
            b,
        );
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], vec![[0.0, 5.0], [5.0, 5.0], [5.0, 10.0]]);
        assert_eq!(parts[1], vec![[8.0, 10.0], [8.0, 5.0]]);
        assert!(clip_line(&[[20.0, 20.0], [30.0, 30.0]], b).is_empty());
    }

    #[test]
    fn sutherland_hodgman_cuts_to_box() {
        let r = vec![[-10, -10], [20, -10], [20, 20], [-10, 20]];
        let out = sutherland_hodgman(&r, [0, 0, 10, 10]);
        let mut c = out.clone();
        assert!(clean_ring(&mut c));
        assert_eq!(area2(&c).abs(), 200);
    }

    #[test]
    fn polygon_crossing_edge_is_clipped_to_buffer() {
        let t = TileCoord::new_checked(14, 13050, 7730).unwrap();
        let [w, s, e, n] = t.bounds_lonlat();
        let dx = e - w;
        // From the tile's middle to half a tile past its east edge.
        let p = polygon![(x: w + dx / 2.0, y: s), (x: e + dx / 2.0, y: s), (x: e + dx / 2.0, y: n), (x: w + dx / 2.0, y: n)];
        let f = Frame::new(t, 1);
        let (g, area) = polygons(&f, &Geometry::Polygon(p), 0.0, &mut Scratch::default()).unwrap();
        assert!((area - 4096.0 * 4096.0).abs() < 4096.0 * 2.0, "{area}");
        let TileGeom::Polygons(ps) = g else { panic!() };
        assert_eq!(ps.len(), 1);
        let xs: Vec<i64> = ps[0][0].iter().map(|p| p[0]).collect();
        assert_eq!(*xs.iter().min().unwrap(), 2048);
        assert_eq!(*xs.iter().max().unwrap(), 4096 + 64);
        assert_eq!(area2(&ps[0][0]).abs(), 2 * (4160 - 2048) * 4096);
    }
}
