//! The plans over the demo district: the district land-use plan's zones (a jittered
//! partition that ignores parcel boundaries), the 1:2000 zoning plan's blocks, road zones
//! and red lines over the main town, its draft adjustment, and the road centre lines.

use geo::{Area, BooleanOps, BoundingRect, Centroid};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::layout::{District, Road, VERGE};
use super::parcels::{urban_plan, Street};
use super::rng::{key, unit, Rng};

/// A zone of the district land-use plan (qhsdd-2030).
#[derive(Debug, Clone)]
pub(crate) struct LandUseZone {
    pub id: String,
    pub code: &'static str,
    pub name: String,
    pub geom: MultiPolygon,
}

/// A zone (ô phố or road) of a 1:2000 zoning plan.
#[derive(Debug, Clone)]
pub(crate) struct PlanZone {
    pub id: String,
    pub plan: &'static str,
    pub code: &'static str,
    pub block: String,
    pub density: Option<f64>,
    pub floors_min: Option<i32>,
    pub floors_max: Option<i32>,
    pub far: Option<f64>,
    pub height: Option<f64>,
    pub geom: Polygon,
}

/// A red line (chỉ giới đường đỏ): one edge of a widened road's planned corridor.
#[derive(Debug, Clone)]
pub(crate) struct RedLine {
    pub id: String,
    pub street: String,
    pub width: f64,
    pub geom: LineString,
}

/// A road centre line.
#[derive(Debug, Clone)]
pub(crate) struct RoadLine {
    pub name: String,
    pub class: &'static str,
    pub width: f64,
    pub geom: LineString,
}

fn label(code: &str) -> &'static str {
    match code {
        "ODT" => "Khu đất ở đô thị",
        "ONT" => "Khu dân cư nông thôn",
        "LUC" => "Vùng chuyên trồng lúa",
        "CLN" => "Vùng cây lâu năm",
        "HNK" => "Vùng cây hằng năm",
        "NTS" => "Vùng nuôi trồng thủy sản",
        "SKN" => "Cụm công nghiệp",
        "TMD" => "Khu thương mại dịch vụ",
        "DGT" => "Đất giao thông",
        "DGD" => "Đất giáo dục",
        "DYT" => "Đất y tế",
        "DTT" => "Đất thể dục thể thao",
        "DKV" => "Khu vui chơi giải trí công cộng",
        "NTD" => "Nghĩa trang",
        "DDT" => "Khu di tích",
        _ => "Khu",
    }
}

const TOWN_ZONES: &[(&str, f64)] = &[
    ("ODT", 55.0),
    ("TMD", 12.0),
    ("DGD", 6.0),
    ("DYT", 3.0),
    ("DTT", 5.0),
    ("DKV", 8.0),
    ("DGT", 8.0),
    ("DDT", 1.5),
];
const GROWTH_ZONES: &[(&str, f64)] = &[
    ("ODT", 45.0),
    ("ONT", 10.0),
    ("TMD", 8.0),
    ("DKV", 5.0),
    ("DTT", 4.0),
    ("SKN", 6.0),
    ("LUC", 12.0),
    ("CLN", 10.0),
];
const RURAL_ZONES: &[(&str, f64)] = &[
    ("LUC", 48.0),
    ("CLN", 14.0),
    ("NTS", 9.0),
    ("ONT", 14.0),
    ("HNK", 3.0),
    ("SKN", 2.0),
    ("NTD", 2.0),
    ("DGT", 4.0),
    ("TMD", 2.0),
    ("DGD", 1.0),
    ("DDT", 0.5),
];

/// The district land-use plan's zones: a jittered lattice of quadrilaterals with bent edges,
/// about `target` of them, clipped to the district.
pub(crate) fn land_use_zones(d: &District, target: usize) -> Vec<LandUseZone> {
    let boundary = d.boundary();
    let Some(bb) = boundary.bounding_rect() else {
        return Vec::new();
    };
    let sp = (boundary.unsigned_area() / target.max(1) as f64).sqrt();
    let (ox, oy) = (bb.min().x - 0.63 * sp, bb.min().y - 0.41 * sp);
    let na = ((bb.max().x - ox) / sp).ceil() as usize + 1;
    let nb = ((bb.max().y - oy) / sp).ceil() as usize + 1;
    let seed = d.seed;
    let lattice = |a: usize, b: usize| {
        let k = key(&[seed, 30, a as u64, b as u64]);
        Coord {
            x: ox + a as f64 * sp + (unit(k) * 2.0 - 1.0) * 0.25 * sp,
            y: oy + b as f64 * sp + (unit(k.rotate_left(21)) * 2.0 - 1.0) * 0.25 * sp,
        }
    };
    let bend = |dir: u64, a: usize, b: usize, p: Coord, q: Coord| {
        let k = key(&[seed, 31, dir, a as u64, b as u64]);
        let off = (unit(k) * 2.0 - 1.0) * 0.12 * sp;
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        Coord {
            x: (p.x + q.x) / 2.0 - dy / len * off,
            y: (p.y + q.y) / 2.0 + dx / len * off,
        }
    };
    // The inner rectangle certainly inside the district: no clipping needed there.
    let (nx, ny) = (d.nx, d.ny);
    let ix0 = (0..=ny).map(|j| d.point(0, j).x).fold(f64::MIN, f64::max) + 1.0;
    let ix1 = (0..=ny).map(|j| d.point(nx, j).x).fold(f64::MAX, f64::min) - 1.0;
    let iy0 = (0..=nx).map(|i| d.point(i, 0).y).fold(f64::MIN, f64::max) + 1.0;
    let iy1 = (0..=nx).map(|i| d.point(i, ny).y).fold(f64::MAX, f64::min) - 1.0;
    let clip = MultiPolygon::new(vec![boundary]);

    let towns: Vec<(Coord, usize)> = d
        .town_of
        .iter()
        .map(|(&(i, j), &t)| {
            let q = d.quad(i, j);
            (q.map(f64::from(q.w) / 2.0, f64::from(q.h) / 2.0), t)
        })
        .collect();

    let mut out = Vec::new();
    for b in 0..nb {
        for a in 0..na {
            let (p00, p10, p11, p01) = (
                lattice(a, b),
                lattice(a + 1, b),
                lattice(a + 1, b + 1),
                lattice(a, b + 1),
            );
            let ring = vec![
                p00,
                bend(0, a, b, p00, p10),
                p10,
                bend(1, a + 1, b, p10, p11),
                p11,
                bend(0, a, b + 1, p01, p11),
                p01,
                bend(1, a, b, p00, p01),
                p00,
            ];
            let quad = Polygon::new(LineString::new(ring), vec![]);
            let Some(r) = quad.bounding_rect() else {
                continue;
            };
            let geom = if r.min().x > ix0 && r.max().x < ix1 && r.min().y > iy0 && r.max().y < iy1 {
                MultiPolygon::new(vec![quad])
            } else {
                let mut g = MultiPolygon::new(vec![quad]).intersection(&clip);
                g.0.retain(|p| p.unsigned_area() > 1.0);
                g
            };
            if geom.0.is_empty() {
                continue;
            }
            let Some(c) = geom.centroid() else { continue };
            let near = towns
                .iter()
                .map(|(p, t)| (((p.x - c.x()).powi(2) + (p.y - c.y()).powi(2)).sqrt(), *t))
                .min_by(|x, y| x.0.total_cmp(&y.0));
            let mut rng = Rng::new(key(&[seed, 32, a as u64, b as u64]));
            let code = match near {
                Some((dist, _)) if dist < 0.6 * d.size => rng.weighted(TOWN_ZONES),
                Some((dist, 0)) if dist < 1.4 * d.size => rng.weighted(GROWTH_ZONES),
                _ => rng.weighted(RURAL_ZONES),
            };
            let n = out.len() + 1;
            out.push(LandUseZone {
                id: format!("QHSDD-{n:05}"),
                code,
                name: format!("{} số {n}", label(code)),
                geom,
            });
        }
    }
    out
}

/// A planned corridor in local decimetres: `lo..hi`, with the road it belongs to.
struct Corridor {
    lo: i32,
    hi: i32,
    name: String,
    planned: Option<f64>,
}

fn dm(m: f64) -> i32 {
    (m * 10.0).round() as i32
}

/// The corridor of a grid-line road reaching into the superblock, where widened.
fn edge_strip(r: &Road) -> Option<i32> {
    let p = r.planned?;
    let s = dm(p / 2.0 - (r.width / 2.0 + VERGE));
    (s > 0).then_some(s)
}

fn corridors(d: &District, streets: &[Street], total: i32, lo: &Road, hi: &Road) -> Vec<Corridor> {
    let mut out = Vec::new();
    if let Some(s) = edge_strip(lo) {
        out.push(Corridor {
            lo: 0,
            hi: s,
            name: lo.name.clone(),
            planned: lo.planned,
        });
    }
    for s in streets {
        let half = dm(s.planned.unwrap_or(s.width) / 2.0);
        let c = s.centre().round() as i32;
        out.push(Corridor {
            lo: c - half,
            hi: c + half,
            name: d.streets[s.name].clone(),
            planned: s.planned,
        });
    }
    if let Some(s) = edge_strip(hi) {
        out.push(Corridor {
            lo: total - s,
            hi: total,
            name: hi.name.clone(),
            planned: hi.planned,
        });
    }
    out
}

/// Gaps between corridors over `0..total`.
fn gaps(cs: &[Corridor], total: i32) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for c in cs {
        if c.lo > pos {
            out.push((pos, c.lo));
        }
        pos = pos.max(c.hi);
    }
    if total > pos {
        out.push((pos, total));
    }
    out
}

const BLOCK_CODES: &[(&str, f64)] = &[
    ("ODT", 78.0),
    ("TMD", 10.0),
    ("DKV", 5.0),
    ("DTT", 3.0),
    ("DGD", 3.0),
    ("DYT", 1.0),
];

/// Planning indicators of a block: density %, min and max floors, FAR, height m.
type Indicators = (
    Option<f64>,
    Option<i32>,
    Option<i32>,
    Option<f64>,
    Option<f64>,
);

fn indicators(code: &str, rng: &mut Rng) -> Indicators {
    let (density, fmin, fmax): (f64, i32, i32) = match code {
        "ODT" => (
            rng.int(12, 18) as f64 * 5.0,
            rng.int(1, 3) as i32,
            rng.int(3, 7) as i32,
        ),
        "TMD" => (rng.int(8, 14) as f64 * 5.0, 3, rng.int(5, 15) as i32),
        "DGD" => (40.0, 1, 4),
        "DYT" => (40.0, 1, 7),
        "DTT" => (30.0, 1, 3),
        "DKV" => (5.0, 1, 1),
        _ => return (None, None, None, None, None),
    };
    let far = ((density / 100.0 * f64::from(fmax) * 0.85 * 10.0).round() / 10.0).clamp(0.05, 7.0);
    let far = if matches!(code, "ODT" | "TMD") {
        far.max(1.5)
    } else {
        far
    };
    let height = f64::from(fmax) * 3.6 + 1.5;
    (
        Some(density),
        Some(fmin),
        Some(fmax),
        Some(far),
        Some(height),
    )
}

/// Zones and red lines of the 1:2000 zoning plan over the main town, and the zones of its
/// draft adjustment.
pub(crate) fn zoning(d: &District) -> (Vec<PlanZone>, Vec<RedLine>, Vec<PlanZone>) {
    let mut zones = Vec::new();
    let mut lines = Vec::new();
    let mut draft = Vec::new();
    let mut core: Vec<(usize, usize)> = d
        .town_of
        .iter()
        .filter(|(_, &t)| t == 0)
        .map(|(&c, _)| c)
        .collect();
    core.sort_by_key(|&(i, j)| (j, i));
    for (n, &(i, j)) in core.iter().enumerate() {
        let q = d.quad(i, j);
        let plan = urban_plan(d, i, j, &q);
        let hc = corridors(d, &plan.hstreets, q.h, &d.hroads[j], &d.hroads[j + 1]);
        let vc = corridors(d, &plan.vstreets, q.w, &d.vroads[i], &d.vroads[i + 1]);
        let mut rng = Rng::new(key(&[d.seed, 40, i as u64, j as u64]));
        let letter = char::from(b'A' + (n % 26) as u8);
        let rect = |u0: i32, v0: i32, u1: i32, v1: i32| {
            let pts = [(u0, v0), (u1, v0), (u1, v1), (u0, v1), (u0, v0)];
            Polygon::new(
                LineString::new(
                    pts.iter()
                        .map(|&(u, v)| q.map(f64::from(u), f64::from(v)))
                        .collect(),
                ),
                vec![],
            )
        };
        let road_zone = |c: &Corridor, geom: Polygon, zones: &mut Vec<PlanZone>| {
            let k = zones.len() + 1;
            zones.push(PlanZone {
                id: format!("PK2000-{k:05}"),
                plan: "qhpk-2000",
                code: "DGT",
                block: match c.planned {
                    Some(p) => format!("{} (lộ giới {p} m)", c.name),
                    None => c.name.clone(),
                },
                density: None,
                floors_min: None,
                floors_max: None,
                far: None,
                height: None,
                geom,
            });
        };
        let red = |street: &str, width: f64, a: Coord, b: Coord, lines: &mut Vec<RedLine>| {
            let k = lines.len() + 1;
            lines.push(RedLine {
                id: format!("CGDD-{k:05}"),
                street: street.to_string(),
                width,
                geom: LineString::new(vec![a, b]),
            });
        };
        for c in &hc {
            road_zone(c, rect(0, c.lo, q.w, c.hi), &mut zones);
            if let Some(p) = c.planned {
                for v in [c.lo, c.hi] {
                    if v != 0 && v != q.h {
                        let (a, b) = (
                            q.map(0.0, f64::from(v)),
                            q.map(f64::from(q.w), f64::from(v)),
                        );
                        red(&c.name, p, a, b, &mut lines);
                    }
                }
            }
        }
        let mut block_no = 0;
        for (va, vb) in gaps(&hc, q.h) {
            for c in &vc {
                road_zone(c, rect(c.lo, va, c.hi, vb), &mut zones);
                if let Some(p) = c.planned {
                    for u in [c.lo, c.hi] {
                        if u != 0 && u != q.w {
                            let (a, b) = (
                                q.map(f64::from(u), f64::from(va)),
                                q.map(f64::from(u), f64::from(vb)),
                            );
                            red(&c.name, p, a, b, &mut lines);
                        }
                    }
                }
            }
            for (ua, ub) in gaps(&vc, q.w) {
                block_no += 1;
                let code = rng.weighted(BLOCK_CODES);
                let (density, floors_min, floors_max, far, height) = indicators(code, &mut rng);
                let k = zones.len() + 1;
                let zone = PlanZone {
                    id: format!("PK2000-{k:05}"),
                    plan: "qhpk-2000",
                    code,
                    block: format!("Ô phố {letter}{block_no}"),
                    density,
                    floors_min,
                    floors_max,
                    far,
                    height,
                    geom: rect(ua, va, ub, vb),
                };
                // The draft adjustment re-plans a few blocks in the north-east of the first
                // core superblock as commercial, taller.
                if n == 0 && draft.len() < 5 && ub > q.w / 2 && va > q.h / 2 {
                    let mut dz = zone.clone();
                    dz.id = format!("PK2000DC-{:03}", draft.len() + 1);
                    dz.plan = "qhpk-2000-dc";
                    dz.code = "TMD";
                    dz.density = Some(60.0);
                    dz.floors_min = Some(5);
                    dz.floors_max = Some(20);
                    dz.far = Some(6.5);
                    dz.height = Some(75.0);
                    dz.block = format!("{} (điều chỉnh)", zone.block);
                    draft.push(dz);
                }
                zones.push(zone);
            }
        }
    }
    (zones, lines, draft)
}

/// Road centre lines: one per grid line, then the town streets per superblock.
pub(crate) fn roads(d: &District) -> Vec<RoadLine> {
    let mut out = Vec::new();
    for (i, r) in d.vroads.iter().enumerate() {
        out.push(RoadLine {
            name: r.name.clone(),
            class: r.class,
            width: r.width,
            geom: LineString::new((0..=d.ny).map(|j| d.point(i, j)).collect()),
        });
    }
    for (j, r) in d.hroads.iter().enumerate() {
        out.push(RoadLine {
            name: r.name.clone(),
            class: r.class,
            width: r.width,
            geom: LineString::new((0..=d.nx).map(|i| d.point(i, j)).collect()),
        });
    }
    let mut urban: Vec<(usize, usize)> = d.town_of.keys().copied().collect();
    urban.sort_by_key(|&(i, j)| (j, i));
    for (i, j) in urban {
        let q = d.quad(i, j);
        let plan = urban_plan(d, i, j, &q);
        let ext = |r: &Road| f64::from(dm(r.width / 2.0 + VERGE));
        let (w, e) = (ext(&d.vroads[i]), ext(&d.vroads[i + 1]));
        let (s, n) = (ext(&d.hroads[j]), ext(&d.hroads[j + 1]));
        for st in &plan.hstreets {
            let v = st.centre();
            out.push(RoadLine {
                name: d.streets[st.name].clone(),
                class: "Đường đô thị",
                width: st.width,
                geom: LineString::new(vec![q.map(-w, v), q.map(f64::from(q.w) + e, v)]),
            });
        }
        for st in &plan.vstreets {
            let u = st.centre();
            out.push(RoadLine {
                name: d.streets[st.name].clone(),
                class: "Đường đô thị",
                width: st.width,
                geom: LineString::new(vec![q.map(u, -s), q.map(u, f64::from(q.h) + n)]),
            });
        }
    }
    out
}
