//! The district's skeleton: a jittered grid of superblocks between roads and canal-bank
//! roads, the communes made of superblocks, the town centres and the road names.
//!
//! Grid line `i` (vertical, west to east) and `j` (horizontal, south to north) are road
//! centre lines; superblock `(i, j)` lies between lines `i`, `i + 1`, `j` and `j + 1`.
//! Parcels fill each superblock, inset from the roads by half their current width.

use std::collections::HashMap;

use geo_types::{Coord, LineString, Polygon};

use super::names;
use super::rng::{key, unit, Rng};

/// South-west corner of the district (VN-2000 / TM-3 104°30′, metres, E and N).
pub(crate) const ORIGIN_E: f64 = 566_000.0;
/// See [`ORIGIN_E`].
pub(crate) const ORIGIN_N: f64 = 1_100_000.0;

/// Parcels in one urban superblock of the nominal 800 m size (calibrated on the generator).
const URBAN_PARCELS_800: f64 = 4_100.0;
/// Parcels in one rural superblock of the nominal 800 m size (calibrated on the generator).
const RURAL_PARCELS_800: f64 = 215.0;
/// Share of the parcels that are town lots.
const URBAN_SHARE: f64 = 0.4;
/// Parcels per commune (the brief says one commune per 5,000–8,000 parcels).
const PARCELS_PER_COMMUNE: f64 = 6_500.0;
/// Gap between the road's edge and the first parcel (verge, drain), metres.
pub(crate) const VERGE: f64 = 0.5;

/// A road along a grid line (or a town street).
#[derive(Debug, Clone)]
pub(crate) struct Road {
    pub name: String,
    /// LoaiDuong: "Quốc lộ", "Đường tỉnh", "Đường huyện", "Đường xã", "Đường đô thị".
    pub class: &'static str,
    /// Current width, metres.
    pub width: f64,
    /// Planned width in the 1:2000 zoning plan where it is wider than today.
    pub planned: Option<f64>,
}

/// One superblock of the grid.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub commune: usize,
    /// A town superblock (lots on streets) rather than farmland.
    pub urban: bool,
    /// In the main town's core: covered by the 1:2000 zoning plan.
    pub core: bool,
    /// The hamlet (ấp) or quarter (khu phố) number inside the commune.
    pub hamlet: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Commune {
    pub code: String,
    pub name: String,
    /// "Phường", "Thị trấn" or "Xã".
    pub kind: &'static str,
    /// Superblocks `(i, j)`, north to south then west to east (the numbering order).
    pub cells: Vec<(usize, usize)>,
    /// Row intervals `(j, i0, i1)`: the commune holds cells `i0..i1` of row `j`.
    pub rows: Vec<(usize, usize, usize)>,
}

/// A superblock's parcel area: the quadrilateral inside the four roads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quad {
    pub sw: Coord,
    pub se: Coord,
    pub ne: Coord,
    pub nw: Coord,
    /// Local width and height in decimetres (u east, v north).
    pub w: i32,
    pub h: i32,
}

impl Quad {
    /// Local decimetres to world metres (bilinear).
    pub(crate) fn map(&self, u: f64, v: f64) -> Coord {
        let s = u / f64::from(self.w);
        let t = v / f64::from(self.h);
        let a = (1.0 - s) * (1.0 - t);
        let b = s * (1.0 - t);
        let c = s * t;
        let d = (1.0 - s) * t;
        Coord {
            x: a * self.sw.x + b * self.se.x + c * self.ne.x + d * self.nw.x,
            y: a * self.sw.y + b * self.se.y + c * self.ne.y + d * self.nw.y,
        }
    }
}

#[derive(Debug)]
pub(crate) struct District {
    pub seed: u64,
    pub nx: usize,
    pub ny: usize,
    /// Nominal superblock size, metres.
    pub size: f64,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// Roads on vertical grid lines `0..=nx`.
    pub vroads: Vec<Road>,
    /// Roads on horizontal grid lines `0..=ny`.
    pub hroads: Vec<Road>,
    /// Cells, row-major from the south-west: index `j * nx + i`.
    pub cells: Vec<Cell>,
    pub communes: Vec<Commune>,
    /// Town street names, keyed by (town, direction 0 = E-W / 1 = N-S, grid index, street).
    pub street_names: HashMap<(usize, u8, usize, usize), usize>,
    pub streets: Vec<String>,
    /// Which town each urban cell belongs to (0 = the main town).
    pub town_of: HashMap<(usize, usize), usize>,
}

impl District {
    /// A district of about `parcels` parcels: the grid is planned from per-superblock
    /// estimates, then the superblock size is tuned on exact counts of the layout.
    pub(crate) fn new(parcels: usize, seed: u64) -> District {
        let n = parcels.max(200) as f64;
        // Smaller superblocks for small districts so tests stay small but keep every feature.
        let size = (800.0 * (n / 20_000.0).sqrt()).clamp(300.0, 800.0);
        let scale = (size / 800.0).powi(2);
        let per_urban = URBAN_PARCELS_800 * scale;
        let per_rural = RURAL_PARCELS_800 * scale;
        let urban = ((URBAN_SHARE * n / per_urban).round() as usize).max(1);
        let rural = (((n - urban as f64 * per_urban) / per_rural).round() as usize).max(8);
        let total = urban + rural;
        let nx = ((total as f64).sqrt().ceil() as usize).max(3);
        let ny = ((total as f64 / nx as f64).round() as usize).max(3);
        let communes = ((n / PARCELS_PER_COMMUNE).round() as usize).max(4);
        let mut d = District::build(seed, nx, ny, size, urban, communes);
        for _ in 0..4 {
            let count = d.count_parcels() as f64;
            let ratio = n / count.max(1.0);
            if (ratio - 1.0).abs() < 0.01 {
                break;
            }
            let size = (d.size * ratio.sqrt()).clamp(250.0, 950.0);
            d = District::build(seed, nx, ny, size, urban, communes);
        }
        d
    }

    /// Exact number of parcels the layout will produce.
    fn count_parcels(&self) -> usize {
        let mut n = 0;
        for j in 0..self.ny {
            for i in 0..self.nx {
                let q = self.quad(i, j);
                let local = if self.cell(i, j).urban {
                    super::parcels::urban_parcels(
                        self,
                        i,
                        j,
                        &super::parcels::urban_plan(self, i, j, &q),
                    )
                } else {
                    super::parcels::rural_parcels(self, i, j, &q)
                };
                n += local.len();
            }
        }
        n
    }

    fn build(
        seed: u64,
        nx: usize,
        ny: usize,
        size: f64,
        urban: usize,
        communes: usize,
    ) -> District {
        let jit = |tag: u64, a: usize, b: usize, amp: f64| {
            (unit(key(&[seed, tag, a as u64, b as u64])) * 2.0 - 1.0) * amp
        };
        let xs: Vec<f64> = (0..=nx)
            .map(|i| ORIGIN_E + i as f64 * size + jit(1, i, 0, size * 0.07))
            .collect();
        let ys: Vec<f64> = (0..=ny)
            .map(|j| ORIGIN_N + j as f64 * size + jit(2, j, 0, size * 0.07))
            .collect();

        let mut d = District {
            seed,
            nx,
            ny,
            size,
            xs,
            ys,
            vroads: Vec::new(),
            hroads: Vec::new(),
            cells: Vec::new(),
            communes: Vec::new(),
            street_names: HashMap::new(),
            streets: Vec::new(),
            town_of: HashMap::new(),
        };
        d.assign_communes(communes);
        d.mark_towns(urban);
        d.name_roads();
        d.name_communes();
        d
    }

    /// Grid intersection `(i, j)`, jittered a little so roads are not ruler-straight.
    pub(crate) fn point(&self, i: usize, j: usize) -> Coord {
        let amp = self.size * 0.008;
        let k = key(&[self.seed, 3, i as u64, j as u64]);
        Coord {
            x: self.xs[i] + (unit(k) * 2.0 - 1.0) * amp,
            y: self.ys[j] + (unit(k.rotate_left(29)) * 2.0 - 1.0) * amp,
        }
    }

    pub(crate) fn cell(&self, i: usize, j: usize) -> &Cell {
        &self.cells[j * self.nx + i]
    }

    /// The parcel area of superblock `(i, j)`.
    pub(crate) fn quad(&self, i: usize, j: usize) -> Quad {
        let w = |r: &Road| r.width / 2.0 + VERGE;
        let (ww, we) = (w(&self.vroads[i]), w(&self.vroads[i + 1]));
        let (ws, wn) = (w(&self.hroads[j]), w(&self.hroads[j + 1]));
        let add = |c: Coord, dx: f64, dy: f64| Coord {
            x: c.x + dx,
            y: c.y + dy,
        };
        let sw = add(self.point(i, j), ww, ws);
        let se = add(self.point(i + 1, j), -we, ws);
        let ne = add(self.point(i + 1, j + 1), -we, -wn);
        let nw = add(self.point(i, j + 1), ww, -wn);
        let len = |a: Coord, b: Coord| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        let wm = (len(sw, se) + len(nw, ne)) / 2.0;
        let hm = (len(sw, nw) + len(se, ne)) / 2.0;
        Quad {
            sw,
            se,
            ne,
            nw,
            w: (wm * 10.0).round() as i32,
            h: (hm * 10.0).round() as i32,
        }
    }

    /// Communes in bands of rows, each band split west to east with staggered borders
    /// (the borders follow roads and canals, as real commune borders do).
    fn assign_communes(&mut self, count: usize) {
        let (nx, ny) = (self.nx, self.ny);
        let mut count = count.min(nx * ny);
        let mut bands =
            ((count as f64 * ny as f64 / nx as f64).sqrt().round() as usize).clamp(1, ny);
        while count.div_ceil(bands) > nx {
            bands += 1;
        }
        if bands > ny {
            bands = ny;
            count = count.min(bands * nx);
        }
        self.cells = vec![
            Cell {
                commune: 0,
                urban: false,
                core: false,
                hamlet: 0,
            };
            nx * ny
        ];
        let mut rng = Rng::new(key(&[self.seed, 4]));
        let mut next = 0;
        for b in 0..bands {
            let (r0, r1) = (b * ny / bands, (b + 1) * ny / bands);
            let per = count / bands + usize::from(b < count % bands);
            let stagger = nx / per.max(1) >= 4;
            let mut offsets = vec![0i64; per + 1];
            let mut rows: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); per];
            for r in r0..r1 {
                let mut borders = Vec::with_capacity(per + 1);
                for (k, off) in offsets.iter_mut().enumerate() {
                    let base = (k * nx / per) as i64;
                    if stagger && k > 0 && k < per {
                        *off = (*off + rng.int(-1, 1)).clamp(-1, 1);
                    }
                    borders.push((base + *off) as usize);
                }
                for k in 0..per {
                    let (i0, i1) = (borders[k], borders[k + 1]);
                    for i in i0..i1 {
                        self.cells[r * nx + i].commune = next + k;
                    }
                    rows[k].push((r, i0, i1));
                }
            }
            for row in rows {
                self.communes.push(Commune {
                    code: String::new(),
                    name: String::new(),
                    kind: "Xã",
                    cells: Vec::new(),
                    rows: row,
                });
            }
            next += per;
        }
        for (c, commune) in self.communes.iter_mut().enumerate() {
            let mut cells: Vec<(usize, usize)> = commune
                .rows
                .iter()
                .flat_map(|&(j, i0, i1)| (i0..i1).map(move |i| (i, j)))
                .collect();
            cells.sort_by_key(|&(i, j)| (std::cmp::Reverse(j), i));
            for (h, &(i, j)) in cells.iter().enumerate() {
                self.cells[j * nx + i].hamlet = h + 1;
            }
            debug_assert!(cells
                .iter()
                .all(|&(i, j)| self.cells[j * nx + i].commune == c));
            commune.cells = cells;
        }
    }

    /// The main town grows from the south-west corner (next to Rạch Giá); other communes
    /// get a small town (thị trấn) at their seat while urban superblocks remain.
    fn mark_towns(&mut self, urban: usize) {
        let nx = self.nx;
        let main = if urban <= 1 { 1 } else { (urban / 2).max(2) };
        let mut order: Vec<(usize, usize)> = (0..self.ny)
            .flat_map(|j| (0..nx).map(move |i| (i, j)))
            .collect();
        order.sort_by_key(|&(i, j)| (i.max(j), i, j));
        for &(i, j) in order.iter().take(main) {
            let c = &mut self.cells[j * nx + i];
            c.urban = true;
            c.core = true;
            self.town_of.insert((i, j), 0);
        }
        let mut left = urban.saturating_sub(main);
        for c in 1..self.communes.len() {
            if left == 0 {
                break;
            }
            let cells = &self.communes[c].cells;
            let (sx, sy) = cells
                .iter()
                .fold((0.0, 0.0), |(a, b), &(i, j)| (a + i as f64, b + j as f64));
            let (cx, cy) = (sx / cells.len() as f64, sy / cells.len() as f64);
            let seat = cells.iter().copied().min_by(|a, b| {
                let da = (a.0 as f64 - cx).powi(2) + (a.1 as f64 - cy).powi(2);
                let db = (b.0 as f64 - cx).powi(2) + (b.1 as f64 - cy).powi(2);
                da.total_cmp(&db)
            });
            if let Some((i, j)) = seat {
                if !self.cells[j * nx + i].urban {
                    self.cells[j * nx + i].urban = true;
                    self.town_of.insert((i, j), c);
                    left -= 1;
                }
            }
        }
    }

    fn name_communes(&mut self) {
        for (c, commune) in self.communes.iter_mut().enumerate() {
            commune.code = format!("{}", 31_150 + 3 * c);
            commune.name = names::commune_name(c);
            let urban = commune
                .cells
                .iter()
                .filter(|&&(i, j)| self.cells[j * self.nx + i].urban)
                .count();
            commune.kind = if urban * 2 >= commune.cells.len() {
                "Phường"
            } else if urban > 0 {
                "Thị trấn"
            } else {
                "Xã"
            };
        }
    }

    /// National and provincial roads on a few grid lines, district and canal-bank roads on
    /// the others; town streets inside urban superblocks get the town's street names.
    fn name_roads(&mut self) {
        let line = |name: String, class: &'static str, width: f64| Road {
            name,
            class,
            width,
            planned: None,
        };
        let (nx, ny) = (self.nx, self.ny);
        let mut canal = 0;
        let mut district = 0;
        let mut vroads = Vec::new();
        for i in 0..=nx {
            vroads.push(if i == 1 {
                line("Quốc lộ 61".into(), "Quốc lộ", 12.0)
            } else if i == nx / 2 + 1 && i < nx {
                line("Đường tỉnh 961".into(), "Đường tỉnh", 9.0)
            } else if i % 3 == 0 {
                district += 1;
                line(format!("Đường huyện ĐH.{district:02}"), "Đường huyện", 7.0)
            } else {
                canal += 1;
                line(format!("Đường Kênh {canal}"), "Đường xã", 5.0)
            });
        }
        let mut hroads = Vec::new();
        for j in 0..=ny {
            hroads.push(if j == 1 {
                line("Quốc lộ 80".into(), "Quốc lộ", 13.0)
            } else if j == ny / 2 + 1 && j < ny {
                line("Đường tỉnh 963".into(), "Đường tỉnh", 9.0)
            } else if j % 3 == 0 {
                district += 1;
                line(format!("Đường huyện ĐH.{district:02}"), "Đường huyện", 7.0)
            } else {
                canal += 1;
                line(format!("Đường Kênh {canal}"), "Đường xã", 5.0)
            });
        }
        // Lines along the main town become town streets, and the arterials through it are
        // widened by the zoning plan.
        let mut next = 0;
        let core: Vec<(usize, usize)> = self
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.core)
            .map(|(k, _)| (k % nx, k / nx))
            .collect();
        let mut touch_v = std::collections::BTreeSet::new();
        let mut touch_h = std::collections::BTreeSet::new();
        for &(i, j) in &core {
            touch_v.insert(i);
            touch_v.insert(i + 1);
            touch_h.insert(j);
            touch_h.insert(j + 1);
        }
        for (roads, touch) in [(&mut hroads, &touch_h), (&mut vroads, &touch_v)] {
            for &k in touch {
                let r = &mut roads[k];
                match r.class {
                    "Quốc lộ" => r.planned = Some(30.0),
                    "Đường tỉnh" => r.planned = Some(24.0),
                    _ => {
                        *r = Road {
                            name: names::street_name(next),
                            class: "Đường đô thị",
                            width: 12.0,
                            planned: Some(20.0),
                        };
                        next += 1;
                    }
                }
            }
        }
        self.vroads = vroads;
        self.hroads = hroads;
        // Street names inside towns: main town first so it gets the famous names.
        let mut urban: Vec<(usize, usize, usize)> =
            self.town_of.iter().map(|(&(i, j), &t)| (t, j, i)).collect();
        urban.sort_unstable();
        self.streets = (0..next).map(names::street_name).collect();
        for (t, j, i) in urban {
            let (rows, cols) = self.urban_counts(i, j);
            for k in 0..rows.saturating_sub(1) {
                self.street_id(t, 0, j, k);
            }
            for k in 0..cols.saturating_sub(1) {
                self.street_id(t, 1, i, k);
            }
        }
    }

    fn street_id(&mut self, town: usize, dir: u8, line: usize, k: usize) -> usize {
        if let Some(&id) = self.street_names.get(&(town, dir, line, k)) {
            return id;
        }
        let id = self.streets.len();
        self.streets.push(names::street_name(id));
        self.street_names.insert((town, dir, line, k), id);
        id
    }

    /// Block rows and block columns of an urban superblock, from the nominal grid so that
    /// streets line up across a row of superblocks.
    pub(crate) fn urban_counts(&self, i: usize, j: usize) -> (usize, usize) {
        let h = self.ys[j + 1] - self.ys[j];
        let w = self.xs[i + 1] - self.xs[i];
        let rows = ((h - 10.0) / 42.0).round().max(1.0) as usize;
        let cols = ((w - 10.0) / 150.0).round().max(1.0) as usize;
        (rows, cols)
    }

    /// Street name id of a town street.
    pub(crate) fn street(&self, i: usize, j: usize, dir: u8, k: usize) -> usize {
        let town = self.town_of.get(&(i, j)).copied().unwrap_or(0);
        let line = if dir == 0 { j } else { i };
        self.street_names
            .get(&(town, dir, line, k))
            .copied()
            .unwrap_or(0)
    }

    /// A commune's boundary through the grid intersections (roads' centre lines), CCW.
    pub(crate) fn commune_polygon(&self, c: usize) -> Polygon {
        let rows = &self.communes[c].rows;
        let mut pts: Vec<(usize, usize)> = Vec::new();
        let mut push = |p: (usize, usize)| {
            if pts.last() != Some(&p) {
                pts.push(p);
            }
        };
        let walk = |a: usize, b: usize| -> Vec<usize> {
            if a <= b {
                (a..=b).collect()
            } else {
                (b..=a).rev().collect()
            }
        };
        let (j0, l0, r0) = rows[0];
        for i in walk(l0, r0) {
            push((i, j0));
        }
        for (k, &(j, _, r)) in rows.iter().enumerate() {
            push((r, j));
            push((r, j + 1));
            if let Some(&(_, _, rn)) = rows.get(k + 1) {
                for i in walk(r, rn) {
                    push((i, j + 1));
                }
            }
        }
        let (jt, lt, rt) = rows[rows.len() - 1];
        for i in walk(rt, lt) {
            push((i, jt + 1));
        }
        for k in (0..rows.len()).rev() {
            let (j, l, _) = rows[k];
            push((l, j + 1));
            push((l, j));
            if k > 0 {
                let (_, lp, _) = rows[k - 1];
                for i in walk(l, lp) {
                    push((i, j));
                }
            }
        }
        let mut coords: Vec<Coord> = pts.iter().map(|&(i, j)| self.point(i, j)).collect();
        if coords.first() != coords.last() {
            if let Some(&first) = coords.first() {
                coords.push(first);
            }
        }
        Polygon::new(LineString::new(coords), vec![])
    }

    /// The district's outer boundary through the grid intersections, CCW.
    pub(crate) fn boundary(&self) -> Polygon {
        let (nx, ny) = (self.nx, self.ny);
        let mut c: Vec<Coord> = Vec::new();
        c.extend((0..nx).map(|i| self.point(i, 0)));
        c.extend((0..ny).map(|j| self.point(nx, j)));
        c.extend((1..=nx).rev().map(|i| self.point(i, ny)));
        c.extend((1..=ny).rev().map(|j| self.point(0, j)));
        c.push(self.point(0, 0));
        Polygon::new(LineString::new(c), vec![])
    }
}
