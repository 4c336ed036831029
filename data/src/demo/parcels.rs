//! Subdividing a superblock into parcels.
//!
//! Parcels are first laid out as axis-aligned rectangles in the superblock's local
//! decimetre grid (u east, v north), which makes "no gap, no overlap" hold by construction.
//! [`to_world`] then builds each ring with every neighbour's corner that lies on its edges
//! (T-junctions), adds bends on some edges and maps the vertices to the world with the
//! superblock's bilinear map plus a jitter keyed by the vertex's local position, so a
//! shared vertex lands on the same point for both neighbours.

use std::collections::HashMap;

use geo_types::{Coord, LineString, Polygon};

use super::layout::{District, Quad};
use super::rng::{key, unit, Rng};

/// A rectangle in local decimetres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub u0: i32,
    pub v0: i32,
    pub u1: i32,
    pub v1: i32,
}

impl Rect {
    fn new(u0: i32, v0: i32, u1: i32, v1: i32) -> Rect {
        Rect { u0, v0, u1, v1 }
    }
    fn w(&self) -> i32 {
        self.u1 - self.u0
    }
    fn h(&self) -> i32 {
        self.v1 - self.v0
    }
}

/// What a parcel is, which decides its size and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Town lot on a street front (ODT, some TMD), 40–400 m².
    TownLot,
    /// Rural house lot along a road (ONT, ONT+CLN, …).
    HouseLot,
    /// Rice or other farm plot, 500–20,000 m².
    Farm,
    /// A small parcel filling a hole in a bigger one (pond, graves, house).
    Inner,
    /// School, clinic, pagoda, market, workshop: one parcel for a whole block.
    Public,
    /// A field road strip (DGT).
    Road,
}

/// Which street a lot's address is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreetRef {
    /// A town street, by id in [`District::streets`].
    Town(usize),
    /// The road on horizontal grid line `j`.
    HLine(usize),
    /// The road on vertical grid line `i`.
    VLine(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addr {
    /// House number on a street.
    Street(StreetRef, u32),
    /// Only the hamlet (ấp) or quarter.
    Hamlet,
}

#[derive(Debug, Clone)]
pub(crate) struct LocalParcel {
    pub rect: Rect,
    pub hole: Option<Rect>,
    pub code: &'static str,
    pub kind: Kind,
    pub addr: Addr,
}

/// A town street inside an urban superblock: its edges in local decimetres.
#[derive(Debug, Clone)]
pub(crate) struct Street {
    pub lo: i32,
    pub hi: i32,
    pub width: f64,
    pub planned: Option<f64>,
    pub name: usize,
}

impl Street {
    pub(crate) fn centre(&self) -> f64 {
        f64::from(self.lo + self.hi) / 2.0
    }
}

/// The street grid of an urban superblock.
#[derive(Debug, Clone)]
pub(crate) struct UrbanPlan {
    /// East–west streets, south to north.
    pub hstreets: Vec<Street>,
    /// North–south streets, west to east.
    pub vstreets: Vec<Street>,
    /// Block rows (v intervals) and columns (u intervals).
    pub rows: Vec<(i32, i32)>,
    pub cols: Vec<(i32, i32)>,
}

/// Splits `total` decimetres into `n` parts with weights in [1 - spread, 1 + spread],
/// each a multiple of `step` except the last.
fn split(total: i32, n: usize, spread: f64, step: i32, rng: &mut Rng) -> Vec<i32> {
    let w: Vec<f64> = (0..n)
        .map(|_| rng.range(1.0 - spread, 1.0 + spread))
        .collect();
    let sum: f64 = w.iter().sum();
    let mut out = Vec::with_capacity(n);
    let mut used = 0;
    for (k, wk) in w.iter().enumerate() {
        if k + 1 == n {
            out.push(total - used);
        } else {
            let part = ((f64::from(total) * wk / sum / f64::from(step)).round() as i32) * step;
            out.push(part);
            used += part;
        }
    }
    out
}

/// Metres to decimetres.
fn dm(m: f64) -> i32 {
    (m * 10.0).round() as i32
}

pub(crate) fn urban_plan(d: &District, i: usize, j: usize, q: &Quad) -> UrbanPlan {
    let (nr, nc) = d.urban_counts(i, j);
    let street = |dir: u8, line: usize, k: usize, widths: &[f64], widen: (f64, &[f64])| {
        // Keyed by the street, not the superblock, so a street keeps its width.
        let town = d.town_of.get(&(i, j)).copied().unwrap_or(0) as u64;
        let mut r = Rng::new(key(&[
            d.seed,
            11,
            town,
            u64::from(dir),
            line as u64,
            k as u64,
        ]));
        let width = *r.pick(widths);
        let planned = if r.chance(widen.0) {
            Some(r.pick(widen.1).max(width + 4.0))
        } else {
            None
        };
        (width, planned)
    };
    let mut rng = Rng::new(key(&[d.seed, 10, i as u64, j as u64]));
    let hs: Vec<(f64, Option<f64>)> = (0..nr - 1)
        .map(|k| {
            street(
                0,
                j,
                k,
                &[8.0, 10.0, 12.0, 13.0],
                (0.5, &[16.0, 20.0, 24.0]),
            )
        })
        .collect();
    let vs: Vec<(f64, Option<f64>)> = (0..nc - 1)
        .map(|k| street(1, i, k, &[6.0, 7.0, 8.0], (0.4, &[12.0, 16.0])))
        .collect();
    let lay = |total: i32, streets: &[(f64, Option<f64>)], dir: u8, rng: &mut Rng, spread: f64| {
        let used: i32 = streets.iter().map(|s| dm(s.0)).sum();
        let parts = split(total - used, streets.len() + 1, spread, 5, rng);
        let mut blocks = Vec::new();
        let mut out = Vec::new();
        let mut pos = 0;
        for (k, part) in parts.iter().enumerate() {
            blocks.push((pos, pos + part));
            pos += part;
            if let Some(s) = streets.get(k) {
                out.push(Street {
                    lo: pos,
                    hi: pos + dm(s.0),
                    width: s.0,
                    planned: s.1,
                    name: d.street(i, j, dir, k),
                });
                pos += dm(s.0);
            }
        }
        (blocks, out)
    };
    let (rows, hstreets) = lay(q.h, &hs, 0, &mut rng, 0.1);
    let (cols, vstreets) = lay(q.w, &vs, 1, &mut rng, 0.15);
    UrbanPlan {
        hstreets,
        vstreets,
        rows,
        cols,
    }
}

/// Frontage cuts of one row of town lots between `a` and `b` (decimetres).
fn lot_cuts(a: i32, b: i32, rng: &mut Rng) -> Vec<i32> {
    let mut cuts = vec![a];
    let mut pos = a;
    loop {
        let f = if rng.chance(0.1) {
            rng.int(17, 28) as i32 * 5
        } else {
            rng.int(8, 16) as i32 * 5
        };
        if b - (pos + f) < 40 {
            break;
        }
        pos += f;
        cuts.push(pos);
    }
    cuts.push(b);
    // The last lot takes the rest; split it if too wide.
    let n = cuts.len();
    if n >= 3 && cuts[n - 1] - cuts[n - 2] > 150 {
        let mid = (cuts[n - 2] + cuts[n - 1]) / 10 * 5;
        cuts.insert(n - 1, mid);
    }
    cuts
}

/// Snaps cuts of the back row to front-row cuts within 1 m, dropping any that would make a
/// lot narrower than 4 m; shared midline vertices are then never closer than 1 m.
fn snap(cuts: &mut Vec<i32>, to: &[i32]) {
    for c in cuts.iter_mut() {
        if let Some(&t) = to.iter().find(|&&t| (t - *c).abs() < 10) {
            *c = t;
        }
    }
    let mut out: Vec<i32> = Vec::with_capacity(cuts.len());
    let last = cuts.len() - 1;
    for (k, &c) in cuts.iter().enumerate() {
        match out.last() {
            Some(&p) if c - p < 40 && k != last => continue,
            Some(&p) if c - p < 40 => {
                if out.len() > 1 {
                    out.pop();
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    *cuts = out;
}

const PUBLIC_CODES: &[(&str, f64)] = &[
    ("DGD", 3.0),
    ("DYT", 1.5),
    ("TON", 2.0),
    ("TMD", 3.0),
    ("SKC", 1.5),
    ("DSH", 0.5),
    ("DDT", 0.4),
];

pub(crate) fn urban_parcels(
    d: &District,
    i: usize,
    j: usize,
    plan: &UrbanPlan,
) -> Vec<LocalParcel> {
    let mut rng = Rng::new(key(&[d.seed, 12, i as u64, j as u64]));
    let mut out = Vec::new();
    let nr = plan.rows.len();
    let base = (i as u32) * 200;
    for (r, &(v0, v1)) in plan.rows.iter().enumerate() {
        let south = if r == 0 {
            StreetRef::HLine(j)
        } else {
            StreetRef::Town(plan.hstreets[r - 1].name)
        };
        let north = if r + 1 == nr {
            StreetRef::HLine(j + 1)
        } else {
            StreetRef::Town(plan.hstreets[r].name)
        };
        let (mut num_s, mut num_n) = (base + 1, base + 2);
        for &(u0, u1) in &plan.cols {
            let block = Rect::new(u0, v0, u1, v1);
            if rng.chance(0.07) {
                let code = rng.weighted(PUBLIC_CODES);
                let hole = if code == "TON" && rng.chance(0.6) {
                    let (hw, hh) = (rng.int(16, 28) as i32 * 5, rng.int(16, 24) as i32 * 5);
                    let hu = u0
                        + 30
                        + rng.int(0, i64::from((block.w() - hw - 60).max(0) / 5)) as i32 * 5;
                    let hv = v0
                        + 30
                        + rng.int(0, i64::from((block.h() - hh - 60).max(0) / 5)) as i32 * 5;
                    (hw + 60 <= block.w() && hh + 60 <= block.h())
                        .then(|| Rect::new(hu, hv, hu + hw, hv + hh))
                } else {
                    None
                };
                out.push(LocalParcel {
                    rect: block,
                    hole,
                    code,
                    kind: Kind::Public,
                    addr: Addr::Street(south, num_s),
                });
                if let Some(h) = hole {
                    out.push(LocalParcel {
                        rect: h,
                        hole: None,
                        code: "ODT",
                        kind: Kind::Inner,
                        addr: Addr::Street(south, num_s),
                    });
                }
                num_s += 2;
                continue;
            }
            // Two back-to-back rows of lots; the south row's depth is about half the block.
            let depth = block.h();
            let lo = 110.max(depth - 200);
            let hi = 200.min(depth - 110).max(lo);
            let half = (depth / 2 + rng.int(-4, 4) as i32 * 5).clamp(lo, hi);
            let mid = v0 + half;
            let south_cuts = lot_cuts(u0, u1, &mut rng);
            let mut north_cuts = lot_cuts(u0, u1, &mut rng);
            snap(&mut north_cuts, &south_cuts);
            for w in south_cuts.windows(2) {
                out.push(LocalParcel {
                    rect: Rect::new(w[0], v0, w[1], mid),
                    hole: None,
                    code: if rng.chance(0.04) { "TMD" } else { "ODT" },
                    kind: Kind::TownLot,
                    addr: Addr::Street(south, num_s),
                });
                num_s += 2;
            }
            for w in north_cuts.windows(2) {
                out.push(LocalParcel {
                    rect: Rect::new(w[0], mid, w[1], v1),
                    hole: None,
                    code: if rng.chance(0.04) { "TMD" } else { "ODT" },
                    kind: Kind::TownLot,
                    addr: Addr::Street(north, num_n),
                });
                num_n += 2;
            }
        }
    }
    out
}

const HOUSE_CODES: &[(&str, f64)] = &[
    ("ONT", 70.0),
    ("ONT+CLN", 20.0),
    ("TMD", 3.0),
    ("SKC", 1.5),
    ("DGD", 1.2),
    ("DYT", 0.5),
    ("TON", 1.5),
    ("DSH", 0.6),
];

const FARM_CODES: &[(&str, f64)] = &[
    ("LUC", 45.0),
    ("LUK", 15.0),
    ("CLN", 20.0),
    ("HNK", 8.0),
    ("NTS", 12.0),
];

fn house_kind(code: &str) -> Kind {
    match code {
        "ONT" | "ONT+CLN" | "TMD" => Kind::HouseLot,
        _ => Kind::Public,
    }
}

/// Legacy (2018-and-earlier) codes that the importer must map: about 1 % of all parcels.
fn legacy(code: &'static str, rng: &mut Rng) -> &'static str {
    if !rng.chance(0.025) {
        return code;
    }
    match code {
        "HNK" | "LUK" => "NHK",
        _ => "BHK",
    }
}

pub(crate) fn rural_parcels(d: &District, i: usize, j: usize, q: &Quad) -> Vec<LocalParcel> {
    let mut rng = Rng::new(key(&[d.seed, 13, i as u64, j as u64]));
    let mut out = Vec::new();
    let (w, h) = (q.w / 10 * 10, q.h / 10 * 10);
    let (w_end, h_end) = (q.w, q.h);
    let frontage = |rng: &mut Rng| rng.int(10, 25) as i32 * 10;
    // House lots along the southern road.
    let dh = (rng.int(30, 50) as i32 * 10).min(h / 3);
    let mut pos = 0;
    let mut num = (i as u32) * 60 + 1;
    while pos < w_end {
        let mut next = pos + frontage(&mut rng);
        if w - next < 100 {
            next = w_end;
        }
        let code = rng.weighted(HOUSE_CODES);
        out.push(LocalParcel {
            rect: Rect::new(pos, 0, next, dh),
            hole: None,
            code,
            kind: house_kind(code),
            addr: Addr::Street(StreetRef::HLine(j), num),
        });
        num += 2;
        pos = next;
    }
    // Often a second row along the western road.
    let dw = if rng.chance(0.5) {
        let dw = (rng.int(30, 50) as i32 * 10).min(w / 3);
        let mut pos = dh;
        let mut num = (j as u32) * 60 + 1;
        while pos < h_end {
            let mut next = pos + frontage(&mut rng);
            if h - next < 100 {
                next = h_end;
            }
            let code = rng.weighted(HOUSE_CODES);
            out.push(LocalParcel {
                rect: Rect::new(0, pos, dw, next),
                hole: None,
                code,
                kind: house_kind(code),
                addr: Addr::Street(StreetRef::VLine(i), num),
            });
            num += 2;
            pos = next;
        }
        dw
    } else {
        0
    };
    // Farmland in bands between field roads, each band in long strips.
    let farm_h = h_end - dh;
    // Bands of 150–350 m; small superblocks still get one field road.
    let bands =
        ((f64::from(farm_h) / 2600.0).round() as usize).max(1 + usize::from(farm_h >= 2000));
    let roads: Vec<i32> = (0..bands - 1).map(|_| rng.int(4, 6) as i32 * 10).collect();
    let heights = split(
        farm_h - roads.iter().sum::<i32>(),
        bands,
        0.25,
        10,
        &mut rng,
    );
    let mut v = dh;
    for (b, &bh) in heights.iter().enumerate() {
        let dominant = rng.weighted(FARM_CODES);
        let mut u = dw;
        while u < w_end {
            let sw = if rng.chance(0.6) {
                rng.int(15, 40)
            } else {
                rng.int(40, 60)
            } as i32
                * 10;
            let mut next = u + sw;
            if w - next < 150 {
                next = w_end;
            }
            let width_m = f64::from(next - u) / 10.0;
            let len_m = f64::from(bh) / 10.0;
            let need = (width_m * len_m / 18_000.0).ceil() as i64;
            let most = ((len_m / 70.0).floor() as i64).max(1);
            let k = rng.int(1, 3).max(need).min(most).max(1) as usize;
            let pieces = split(bh, k, 0.3, 10, &mut rng);
            let mut pv = v;
            for piece in pieces {
                let rect = Rect::new(u, pv, next, pv + piece);
                pv += piece;
                let code = if rng.chance(0.8) {
                    dominant
                } else if rng.chance(0.03) {
                    "NTD"
                } else {
                    rng.weighted(FARM_CODES)
                };
                let code = legacy(code, &mut rng);
                let area = f64::from(rect.w()) * f64::from(rect.h()) / 100.0;
                let hole = if area >= 2_000.0 && rng.chance(0.04) {
                    let (hw, hh) = (rng.int(8, 20) as i32 * 10, rng.int(8, 20) as i32 * 10);
                    (hw + 80 <= rect.w() && hh + 80 <= rect.h()).then(|| {
                        let hu = rect.u0
                            + 40
                            + rng.int(0, i64::from((rect.w() - hw - 80) / 10)) as i32 * 10;
                        let hv = rect.v0
                            + 40
                            + rng.int(0, i64::from((rect.h() - hh - 80) / 10)) as i32 * 10;
                        Rect::new(hu, hv, hu + hw, hv + hh)
                    })
                } else {
                    None
                };
                out.push(LocalParcel {
                    rect,
                    hole,
                    code,
                    kind: if code == "NTD" {
                        Kind::Public
                    } else {
                        Kind::Farm
                    },
                    addr: Addr::Hamlet,
                });
                if let Some(hr) = hole {
                    let code = rng.weighted(&[("NTS", 2.0), ("NTD", 1.0), ("ONT", 1.0)]);
                    out.push(LocalParcel {
                        rect: hr,
                        hole: None,
                        code,
                        kind: Kind::Inner,
                        addr: Addr::Hamlet,
                    });
                }
            }
            u = next;
        }
        v += bh;
        if let Some(&rw) = roads.get(b) {
            out.push(LocalParcel {
                rect: Rect::new(dw, v, w_end, v + rw),
                hole: None,
                code: "DGT",
                kind: Kind::Road,
                addr: Addr::Hamlet,
            });
            v += rw;
        }
    }
    out
}

/// Corners of every rectangle, by line, for T-junction lookup.
struct Corners {
    /// v → sorted u of corners on that horizontal line.
    h: HashMap<i32, Vec<i32>>,
    /// u → sorted v of corners on that vertical line.
    v: HashMap<i32, Vec<i32>>,
}

impl Corners {
    fn new(parcels: &[LocalParcel]) -> Corners {
        let mut h: HashMap<i32, Vec<i32>> = HashMap::new();
        let mut v: HashMap<i32, Vec<i32>> = HashMap::new();
        for p in parcels {
            for r in std::iter::once(&p.rect).chain(p.hole.iter()) {
                for (u, w) in [(r.u0, r.v0), (r.u1, r.v0), (r.u1, r.v1), (r.u0, r.v1)] {
                    h.entry(w).or_default().push(u);
                    v.entry(u).or_default().push(w);
                }
            }
        }
        for list in h.values_mut().chain(v.values_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        Corners { h, v }
    }

    /// Corners strictly between `a` and `b` on a line, in the direction a → b.
    fn between(list: Option<&Vec<i32>>, a: i32, b: i32, out: &mut Vec<i32>) {
        let Some(list) = list else { return };
        let (lo, hi) = (a.min(b), a.max(b));
        let start = list.partition_point(|&x| x <= lo);
        let end = list.partition_point(|&x| x < hi);
        let slice = &list[start..end];
        if a < b {
            out.extend_from_slice(slice);
        } else {
            out.extend(slice.iter().rev());
        }
    }

    /// The CCW ring of a rectangle with every T-junction on its edges (not closed).
    fn ring(&self, r: &Rect) -> Vec<(i32, i32)> {
        let mut pts = Vec::with_capacity(8);
        let mut tmp = Vec::new();
        pts.push((r.u0, r.v0));
        Self::between(self.h.get(&r.v0), r.u0, r.u1, &mut tmp);
        pts.extend(tmp.drain(..).map(|u| (u, r.v0)));
        pts.push((r.u1, r.v0));
        Self::between(self.v.get(&r.u1), r.v0, r.v1, &mut tmp);
        pts.extend(tmp.drain(..).map(|v| (r.u1, v)));
        pts.push((r.u1, r.v1));
        Self::between(self.h.get(&r.v1), r.u1, r.u0, &mut tmp);
        pts.extend(tmp.drain(..).map(|u| (u, r.v1)));
        pts.push((r.u0, r.v1));
        Self::between(self.v.get(&r.u0), r.v1, r.v0, &mut tmp);
        pts.extend(tmp.drain(..).map(|v| (r.u0, v)));
        pts
    }
}

/// Maps local parcels to world polygons.
pub(crate) struct Warp<'a> {
    pub quad: &'a Quad,
    /// Key of the superblock for jitter.
    pub key: u64,
    /// Vertex jitter amplitude, metres (kept below a quarter of the closest vertex spacing).
    pub jitter: f64,
    /// Largest sideways bend added in the middle of a long edge, decimetres.
    pub bend: i32,
}

impl Warp<'_> {
    fn world(&self, (u, v): (i32, i32)) -> Coord {
        let k = key(&[self.key, u as u64, v as u64]);
        let c = self.quad.map(f64::from(u), f64::from(v));
        Coord {
            x: c.x + (unit(k) * 2.0 - 1.0) * self.jitter,
            y: c.y + (unit(k.rotate_left(23)) * 2.0 - 1.0) * self.jitter,
        }
    }

    /// Adds a bend in the middle of some long edges; decided from both end points so the
    /// neighbour across the edge adds the same one.
    fn bends(&self, ring: &[(i32, i32)]) -> Vec<(i32, i32)> {
        let mut out = Vec::with_capacity(ring.len() * 2);
        for (k, &a) in ring.iter().enumerate() {
            out.push(a);
            let b = ring[(k + 1) % ring.len()];
            let len = (a.0 - b.0).abs() + (a.1 - b.1).abs();
            if len < 80 {
                continue;
            }
            let (p, q) = if a < b { (a, b) } else { (b, a) };
            let h = key(&[self.key, 7, p.0 as u64, p.1 as u64, q.0 as u64, q.1 as u64]);
            if !h.is_multiple_of(3) {
                continue;
            }
            let most = self.bend.min(len / 30);
            let off = ((unit(h.rotate_left(17)) * 2.0 - 1.0) * f64::from(most)).round() as i32;
            let mid = ((a.0 + b.0) / 2, (a.1 + b.1) / 2);
            out.push(if a.1 == b.1 {
                (mid.0, mid.1 + off)
            } else {
                (mid.0 + off, mid.1)
            });
        }
        out
    }

    fn ring(&self, local: &[(i32, i32)], reverse: bool) -> LineString {
        let mut pts: Vec<Coord> = self
            .bends(local)
            .into_iter()
            .map(|p| self.world(p))
            .collect();
        if reverse {
            pts.reverse();
        }
        if let Some(&first) = pts.first() {
            pts.push(first);
        }
        LineString::new(pts)
    }
}

/// World polygons of a superblock's parcels, in the same order.
pub(crate) fn to_world(parcels: &[LocalParcel], warp: &Warp) -> Vec<Polygon> {
    let corners = Corners::new(parcels);
    parcels
        .iter()
        .map(|p| {
            let exterior = warp.ring(&corners.ring(&p.rect), false);
            let holes = p
                .hole
                .iter()
                .map(|h| warp.ring(&corners.ring(h), true))
                .collect();
            Polygon::new(exterior, holes)
        })
        .collect()
}
