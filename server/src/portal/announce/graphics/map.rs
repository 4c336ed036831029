//! The map of a notice: its zones in Web Mercator (EPSG:3857: north up, not stretched at
//! any latitude), fitted into the part of the drawing that nothing else covers.

use std::fmt::Write as _;

use geo::{Centroid, Contains, InteriorPoint};
use geo_types::{coord, Coord, LineString, MultiPolygon, Point, Polygon};

use super::draw::{colour, esc};
use super::MapOptions;
use crate::portal::announce::Notice;

/// WGS 84 semi-major axis, the sphere of Web Mercator, m.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;
/// WGS 84 first eccentricity squared: the true length of a degree of longitude on the
/// ellipsoid (the scale bar) differs from the sphere's by up to 0.1 % in Vietnam.
const E2: f64 = 0.006_694_379_990_14;
/// Narrowest span a map shows, m: a notice about one small zone still shows its street.
const MIN_SPAN_M: f64 = 60.0;
/// Web Mercator's latitude limit.
const MAX_LAT: f64 = 85.0;

/// Outline of the highlighted zone (a slide's zone): dark blue, heavy.
pub const HIGHLIGHT: &str = "#0B3D91";
/// Red lines, as on the portal's map.
pub const REDLINE: &str = crate::style::REDLINE.color;
/// The commune boundary: dark, dashed.
pub const BOUNDARY: &str = "#333333";
/// The map's ground.
pub const GROUND: &str = crate::style::BACKGROUND;

/// Where the map is in a drawing: an affine of Web Mercator metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapFrame {
    /// The drawing, user units.
    pub width: f64,
    pub height: f64,
    /// The part of the drawing the map is fitted in, `[x0, y0, x1, y1]`: the drawing less
    /// `MapOptions::reserved`.
    pub area: [f64; 4],
    /// Web Mercator x of the drawing's left edge and y of its top edge, m.
    pub left_m: f64,
    pub top_m: f64,
    /// Drawing units per Web Mercator metre (the same both ways: not stretched).
    pub px_per_m: f64,
}

fn merc(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    (
        EARTH_RADIUS_M * lon.to_radians(),
        EARTH_RADIUS_M * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    )
}

fn unmerc(x: f64, y: f64) -> (f64, f64) {
    (
        (x / EARTH_RADIUS_M).to_degrees(),
        (2.0 * (y / EARTH_RADIUS_M).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    )
}

fn finite_bbox(b: [f64; 4]) -> bool {
    b.iter().all(|v| v.is_finite())
        && b[0] <= b[2]
        && b[1] <= b[3]
        && b[0] >= -180.0
        && b[2] <= 180.0
        && b[1] >= -90.0
        && b[3] <= 90.0
}

/// What a notice's map shows, WGS 84: the record's box, else its zones' (a record is data).
pub fn view_bbox(notice: &Notice) -> [f64; 4] {
    if finite_bbox(notice.area.bbox) {
        return notice.area.bbox;
    }
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for z in &notice.zones {
        for p in &z.geometry.0 {
            for c in p.exterior().coords() {
                b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
            }
        }
    }
    if finite_bbox(b) {
        b
    } else {
        // Nothing to show: a small box at the district the demo uses.
        [105.1, 9.94, 105.11, 9.95]
    }
}

impl MapFrame {
    /// `bbox` (WGS 84 `[w, s, e, n]`) fitted and centred in `width`×`height` less
    /// `reserved` (`[left, top, right, bottom]`), with a small margin.
    pub fn new(bbox: [f64; 4], width: f64, height: f64, reserved: [f64; 4]) -> MapFrame {
        let width = if width.is_finite() && width > 0.0 {
            width
        } else {
            1.0
        };
        let height = if height.is_finite() && height > 0.0 {
            height
        } else {
            1.0
        };
        let r = reserved.map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 });
        let mut area = [r[0], r[1], width - r[2], height - r[3]];
        // Reserved past reason (more than nine tenths): the whole drawing.
        if area[2] - area[0] < width * 0.1 || area[3] - area[1] < height * 0.1 {
            area = [0.0, 0.0, width, height];
        }
        let (aw, ah) = (area[2] - area[0], area[3] - area[1]);
        let pad = 0.04 * aw.min(ah);
        let (x0, y0) = merc(bbox[0], bbox[1]);
        let (x1, y1) = merc(bbox[2], bbox[3]);
        let cos = ((bbox[1] + bbox[3]) / 2.0).to_radians().cos().max(0.05);
        // The narrowest span, in Mercator metres at this latitude.
        let min_span = MIN_SPAN_M / cos;
        let dx = (x1 - x0).max(min_span);
        let dy = (y1 - y0).max(min_span);
        let px_per_m = ((aw - 2.0 * pad) / dx)
            .min((ah - 2.0 * pad) / dy)
            .max(1e-12);
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let (acx, acy) = ((area[0] + area[2]) / 2.0, (area[1] + area[3]) / 2.0);
        MapFrame {
            width,
            height,
            area,
            left_m: cx - acx / px_per_m,
            top_m: cy + acy / px_per_m,
            px_per_m,
        }
    }

    /// Drawing coordinates of a WGS 84 point.
    pub fn to_px(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = merc(lon, lat);
        (
            (x - self.left_m) * self.px_per_m,
            (self.top_m - y) * self.px_per_m,
        )
    }

    /// WGS 84 of a point of the drawing.
    pub fn to_lonlat(&self, x: f64, y: f64) -> (f64, f64) {
        unmerc(
            self.left_m + x / self.px_per_m,
            self.top_m - y / self.px_per_m,
        )
    }

    /// Metres on the ground (WGS 84 ellipsoid, east–west) per drawing unit at height `y`.
    pub fn ground_m_per_px(&self, y: f64) -> f64 {
        let (_, lat) = self.to_lonlat(0.0, y);
        let phi = lat.to_radians();
        phi.cos() / (1.0 - E2 * phi.sin().powi(2)).sqrt() / self.px_per_m
    }

    /// The visible map, WGS 84 `[w, s, e, n]`.
    pub fn visible_bbox(&self) -> [f64; 4] {
        let (w, n) = self.to_lonlat(self.area[0], self.area[1]);
        let (e, s) = self.to_lonlat(self.area[2], self.area[3]);
        [w, s, e, n]
    }

    /// A unit for strokes and labels: 1 for a map about 400 units across.
    pub fn unit(&self) -> f64 {
        ((self.area[2] - self.area[0]).min(self.area[3] - self.area[1]) / 400.0).clamp(0.5, 4.0)
    }
}

/// The frame [`super::map_svg`] draws `notice` in.
pub fn map_frame(notice: &Notice, width: f64, height: f64, opts: &MapOptions) -> MapFrame {
    MapFrame::new(view_bbox(notice), width, height, opts.reserved)
}

/// A scale bar: a round length at the bar's own latitude.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleBar {
    /// Its ends and baseline in the drawing.
    pub x0: f64,
    pub x1: f64,
    pub y: f64,
    /// Its length on the ground, m.
    pub metres: f64,
    /// "200 m", "1 km".
    pub label: String,
}

/// The round length nearest (in ratio) to `m`: 1, 2 or 5 times a power of ten.
fn round_length(m: f64) -> f64 {
    if !(m.is_finite() && m > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(m.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * p)
        .min_by(|a, b| (a / m).ln().abs().total_cmp(&(b / m).ln().abs()))
        .unwrap_or(p)
}

/// The scale bar of `frame`: bottom left of the map, about a fifth of its width.
pub fn scale_bar(frame: &MapFrame) -> ScaleBar {
    let u = frame.unit();
    let margin = 12.0 * u;
    let y = frame.area[3] - margin;
    let x0 = frame.area[0] + margin;
    let mpp = frame.ground_m_per_px(y);
    let target = (frame.area[2] - frame.area[0]) / 5.0 * mpp;
    let metres = round_length(target);
    let label = if metres >= 1000.0 {
        format!("{} km", super::draw::num(metres / 1000.0, 0))
    } else {
        format!(
            "{} m",
            super::draw::num(metres, if metres < 1.0 { 1 } else { 0 })
        )
    };
    ScaleBar {
        x0,
        x1: x0 + metres / mpp,
        y,
        metres,
        label,
    }
}

/// Path data of a polygon in the frame (rings closed, repeated points dropped).
fn polygon_d(d: &mut String, frame: &MapFrame, p: &Polygon<f64>, dx: f64, dy: f64) {
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        let mut last: Option<(i64, i64)> = None;
        let mut n = 0;
        for c in ring.coords() {
            let (x, y) = frame.to_px(c.x, c.y);
            let (x, y) = (x + dx, y + dy);
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            let key = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
            if last == Some(key) {
                continue;
            }
            last = Some(key);
            let _ = write!(d, "{}{:.1} {:.1}", if n == 0 { "M" } else { "L" }, x, y);
            n += 1;
        }
        if n > 0 {
            d.push('Z');
        }
    }
}

fn multipolygon_d(frame: &MapFrame, mp: &MultiPolygon<f64>) -> String {
    let mut d = String::new();
    for p in &mp.0 {
        polygon_d(&mut d, frame, p, 0.0, 0.0);
    }
    d
}

/// Whether `mp`'s box meets the frame's drawing.
fn visible(frame: &MapFrame, mp: &MultiPolygon<f64>) -> bool {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in &mp.0 {
        for c in p.exterior().coords() {
            let (x, y) = frame.to_px(c.x, c.y);
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    }
    b[0] <= frame.width && b[2] >= 0.0 && b[1] <= frame.height && b[3] >= 0.0
}

/// A conservative width of `s` in DejaVu Sans, ems (labels are checked against their
/// zone without the fonts at hand; wider than the real text, never narrower).
pub fn approx_em_width(s: &str) -> f64 {
    s.chars()
        .map(|c| match c {
            '0'..='9' => 0.64,
            'M' | 'W' | 'm' | 'w' => 1.0,
            'A'..='Z' => 0.78,
            'i' | 'l' | 'j' | '.' | ',' | ':' | '\'' => 0.32,
            '-' | ' ' => 0.4,
            _ => 0.66,
        })
        .sum()
}

type Rect = [f64; 4];

fn overlaps(a: &Rect, b: &Rect) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// The map's drawing without its `<svg>` root, in `frame`'s coordinates.
pub fn draw(notice: &Notice, frame: &MapFrame, opts: &MapOptions) -> String {
    let u = frame.unit();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<rect width="{:.1}" height="{:.1}" fill="{GROUND}"/>"#,
        frame.width, frame.height
    );
    // Zones (roads last, so that corridors stay continuous), white outlines.
    let mut order: Vec<usize> = (0..notice.zones.len()).collect();
    order.sort_by_key(|&i| notice.zones[i].road);
    let _ = write!(
        s,
        r##"<g stroke="#FFFFFF" stroke-width="{:.2}" stroke-linejoin="round" fill-rule="evenodd">"##,
        0.8 * u
    );
    for &i in &order {
        let z = &notice.zones[i];
        if !visible(frame, &z.geometry) {
            continue;
        }
        let d = multipolygon_d(frame, &z.geometry);
        if d.is_empty() {
            continue;
        }
        let _ = write!(s, r#"<path fill="{}" d="{d}"/>"#, colour(&z.color));
    }
    s.push_str("</g>");
    // Red lines.
    if !notice.redlines.is_empty() {
        let _ = write!(
            s,
            r#"<g fill="none" stroke="{REDLINE}" stroke-width="{:.2}" stroke-linecap="round" stroke-linejoin="round">"#,
            1.8 * u
        );
        for r in &notice.redlines {
            let mut d = String::new();
            for l in &r.geometry.0 {
                let mut n = 0;
                for c in l.coords() {
                    let (x, y) = frame.to_px(c.x, c.y);
                    if x.is_finite() && y.is_finite() {
                        let _ = write!(d, "{}{x:.1} {y:.1}", if n == 0 { "M" } else { "L" });
                        n += 1;
                    }
                }
            }
            if !d.is_empty() {
                let _ = write!(s, r#"<path d="{d}"/>"#);
            }
        }
        s.push_str("</g>");
    }
    // The commune boundary.
    if let Some(b) = &notice.area.boundary {
        let d = multipolygon_d(frame, b);
        if !d.is_empty() {
            let _ = write!(
                s,
                r#"<path fill="none" stroke="{BOUNDARY}" stroke-width="{:.2}" stroke-dasharray="{:.1} {:.1}" d="{d}"/>"#,
                1.6 * u,
                8.0 * u,
                4.0 * u
            );
        }
    }
    // The highlighted zone, on top.
    let highlight = opts.highlight.and_then(|i| notice.zones.get(i));
    if let Some(z) = highlight {
        let d = multipolygon_d(frame, &z.geometry);
        if !d.is_empty() {
            let _ = write!(
                s,
                r#"<path class="highlight" fill="none" stroke="{HIGHLIGHT}" stroke-width="{:.2}" stroke-linejoin="round" d="{d}"/>"#,
                5.0 * u
            );
        }
    }
    // Furniture: where it goes, so that labels keep clear of it.
    let mut taken: Vec<Rect> = Vec::new();
    let mut furniture = String::new();
    if opts.scale_bar {
        let bar = scale_bar(frame);
        let h = 5.0 * u;
        let fs = 11.0 * u;
        let half = (bar.x0 + bar.x1) / 2.0;
        let back = [
            bar.x0 - 6.0 * u,
            bar.y - h - fs - 8.0 * u,
            bar.x1 + 6.0 * u + approx_em_width(&bar.label) * fs / 2.0,
            bar.y + 5.0 * u,
        ];
        taken.push(back);
        let _ = write!(
            furniture,
            r##"<g class="scale-bar" data-metres="{m}" data-x0="{x0:.3}" data-x1="{x1:.3}" data-y="{y:.3}"><rect x="{bx:.1}" y="{by:.1}" width="{bw:.1}" height="{bh:.1}" rx="{r:.1}" fill="#FFFFFF" fill-opacity=".85"/><rect x="{x0:.3}" y="{top:.3}" width="{hw:.3}" height="{h:.2}" fill="#111111"/><rect x="{half:.3}" y="{top:.3}" width="{hw:.3}" height="{h:.2}" fill="#FFFFFF" stroke="#111111" stroke-width="{sw:.2}"/><rect x="{x0:.3}" y="{top:.3}" width="{w:.3}" height="{h:.2}" fill="none" stroke="#111111" stroke-width="{sw:.2}"/><text x="{x0:.1}" y="{ty:.1}" font-size="{fs:.1}" fill="#111111">0</text><text x="{x1:.1}" y="{ty:.1}" font-size="{fs:.1}" text-anchor="middle" fill="#111111">{label}</text></g>"##,
            m = bar.metres,
            x0 = bar.x0,
            x1 = bar.x1,
            y = bar.y,
            bx = back[0],
            by = back[1],
            bw = back[2] - back[0],
            bh = back[3] - back[1],
            r = 3.0 * u,
            top = bar.y - h,
            hw = (bar.x1 - bar.x0) / 2.0,
            w = bar.x1 - bar.x0,
            sw = 0.6 * u,
            ty = bar.y - h - 4.0 * u,
            label = esc(&bar.label),
        );
    }
    if opts.north_arrow {
        let h = 34.0 * u;
        let w = 20.0 * u;
        let x = frame.area[2] - 14.0 * u - w;
        let y = frame.area[1] + 12.0 * u;
        taken.push([x - 4.0 * u, y - 4.0 * u, x + w + 4.0 * u, y + h + 4.0 * u]);
        let cx = x + w / 2.0;
        let _ = write!(
            furniture,
            r##"<g class="north-arrow"><rect x="{bx:.1}" y="{by:.1}" width="{bw:.1}" height="{bh:.1}" rx="{r:.1}" fill="#FFFFFF" fill-opacity=".85"/><path d="M{cx:.1} {y1:.1}L{xr:.1} {y3:.1}L{cx:.1} {y2:.1}L{xl:.1} {y3:.1}Z" fill="#111111"/><path d="M{cx:.1} {y1:.1}L{cx:.1} {y2:.1}L{xl:.1} {y3:.1}Z" fill="#FFFFFF" stroke="#111111" stroke-width="{sw:.2}"/><text x="{cx:.1}" y="{ty:.1}" font-size="{fs:.1}" font-weight="bold" text-anchor="middle" fill="#111111">B</text></g>"##,
            bx = x - 4.0 * u,
            by = y - 4.0 * u,
            bw = w + 8.0 * u,
            bh = h + 8.0 * u,
            r = 3.0 * u,
            y1 = y,
            y2 = y + 0.55 * h,
            y3 = y + 0.7 * h,
            xl = x + 0.1 * w,
            xr = x + 0.9 * w,
            sw = 0.8 * u,
            ty = y + h,
            fs = 10.0 * u,
        );
    }
    if let Some(inset) = locator(notice, frame, opts, &mut taken) {
        furniture.push_str(&inset);
    }
    s.push_str(&labels(notice, frame, &taken));
    s.push_str(&furniture);
    s
}

/// Zone ids (and land-use codes) where a zone holds them, clear of each other and of the
/// furniture; roads carry none.
fn labels(notice: &Notice, frame: &MapFrame, taken: &[Rect]) -> String {
    let u = frame.unit();
    let a = frame.area;
    let mut placed: Vec<Rect> = taken.to_vec();
    let mut out = String::new();
    for z in notice.zones.iter().filter(|z| !z.road) {
        // Its largest part, in the frame.
        let Some(part) = z.geometry.0.iter().max_by(|p, q| {
            let area = |p: &Polygon<f64>| {
                use geo::Area;
                p.unsigned_area()
            };
            area(p).total_cmp(&area(q))
        }) else {
            continue;
        };
        let px = |ls: &LineString<f64>| -> LineString<f64> {
            ls.coords()
                .map(|c| {
                    let (x, y) = frame.to_px(c.x, c.y);
                    coord! { x: x, y: y }
                })
                .collect()
        };
        let poly = Polygon::new(
            px(part.exterior()),
            part.interiors().iter().map(px).collect(),
        );
        let mut candidates: Vec<Point<f64>> = Vec::new();
        if let Some(c) = poly.centroid() {
            candidates.push(c);
        }
        if let Some(c) = poly.interior_point() {
            candidates.push(c);
        }
        let id = z.zone_id.clone().unwrap_or_default();
        let texts: Vec<Vec<&str>> = if id.is_empty() {
            vec![vec![z.landuse.as_str()]]
        } else {
            vec![vec![id.as_str(), z.landuse.as_str()], vec![id.as_str()]]
        };
        'found: for size in [10.0 * u, 8.5 * u] {
            for lines in &texts {
                let w =
                    lines.iter().map(|l| approx_em_width(l)).fold(0.0, f64::max) * size + 2.0 * u;
                let lh = size * 1.15;
                let h = lh * lines.len() as f64;
                for c in &candidates {
                    let r = [
                        c.x() - w / 2.0,
                        c.y() - h / 2.0,
                        c.x() + w / 2.0,
                        c.y() + h / 2.0,
                    ];
                    if r[0] < a[0] || r[1] < a[1] || r[2] > a[2] || r[3] > a[3] {
                        continue;
                    }
                    let inside = [
                        (r[0], r[1]),
                        (r[2], r[1]),
                        (r[0], r[3]),
                        (r[2], r[3]),
                        (c.x(), r[1]),
                        (c.x(), r[3]),
                        (r[0], c.y()),
                        (r[2], c.y()),
                    ]
                    .iter()
                    .all(|&(x, y)| poly.contains(&Coord { x, y }));
                    if !inside || placed.iter().any(|p| overlaps(p, &r)) {
                        continue;
                    }
                    placed.push(r);
                    let _ = write!(
                        out,
                        r##"<text class="zone-label" x="{:.1}" y="{:.1}" font-size="{size:.1}" text-anchor="middle" fill="#1A1A1A" stroke="#FFFFFF" stroke-width="{:.2}" stroke-linejoin="round" stroke-opacity=".8" paint-order="stroke">"##,
                        c.x(),
                        r[1] + size * 0.95,
                        0.22 * size
                    );
                    for (i, l) in lines.iter().enumerate() {
                        // The land-use code bold, the id regular.
                        let is_code = i == 1 || id.is_empty();
                        let bold = if is_code {
                            r#" font-weight="bold""#
                        } else {
                            ""
                        };
                        let _ = write!(
                            out,
                            r#"<tspan x="{:.1}" dy="{:.1}"{bold}>{}</tspan>"#,
                            c.x(),
                            if i == 0 { 0.0 } else { lh },
                            esc(l)
                        );
                    }
                    out.push_str("</text>");
                    break 'found;
                }
            }
        }
    }
    out
}

/// The inset locator: the commune's outline and the map's box, bottom right, when the map
/// shows a small part of the commune (a local adjustment of one block).
fn locator(
    notice: &Notice,
    frame: &MapFrame,
    opts: &MapOptions,
    taken: &mut Vec<Rect>,
) -> Option<String> {
    if !opts.north_arrow {
        return None;
    }
    let boundary = notice.area.boundary.as_ref()?;
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in &boundary.0 {
        for c in p.exterior().coords() {
            b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
        }
    }
    if !finite_bbox(b) {
        return None;
    }
    let v = frame.visible_bbox();
    let span = |b: [f64; 4]| {
        let (x0, y0) = merc(b[0], b[1]);
        let (x1, y1) = merc(b[2], b[3]);
        ((x1 - x0) * (y1 - y0)).abs()
    };
    if span(v) >= 0.3 * span(b) {
        return None;
    }
    let u = frame.unit();
    let a = frame.area;
    let size = 0.28 * (a[2] - a[0]).min(a[3] - a[1]);
    let x = a[2] - 12.0 * u - size;
    let y = a[3] - 12.0 * u - size;
    taken.push([x, y, x + size, y + size]);
    let both = [
        b[0].min(v[0]),
        b[1].min(v[1]),
        b[2].max(v[2]),
        b[3].max(v[3]),
    ];
    let inner = MapFrame::new(both, size, size, [0.0; 4]);
    let mut d = String::new();
    for p in &boundary.0 {
        polygon_d(&mut d, &inner, p, x, y);
    }
    let (vx0, vy0) = inner.to_px(v[0], v[3]);
    let (vx1, vy1) = inner.to_px(v[2], v[1]);
    let (vx0, vy0, vx1, vy1) = (vx0 + x, vy0 + y, vx1 + x, vy1 + y);
    let mut s = format!(
        r##"<g class="locator"><rect x="{x:.1}" y="{y:.1}" width="{size:.1}" height="{size:.1}" fill="#FFFFFF" fill-opacity=".92" stroke="#555555" stroke-width="{:.2}"/><path d="{d}" fill="#E4E0D6" stroke="{BOUNDARY}" stroke-width="{:.2}" fill-rule="evenodd"/>"##,
        0.8 * u,
        1.0 * u
    );
    let min = 5.0 * u;
    if vx1 - vx0 < min || vy1 - vy0 < min {
        // Too small to see as a box: a ring around its centre.
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{:.1}" fill="none" stroke="{HIGHLIGHT}" stroke-width="{:.2}"/>"#,
            (vx0 + vx1) / 2.0,
            (vy0 + vy1) / 2.0,
            min,
            2.0 * u
        );
    } else {
        let _ = write!(
            s,
            r#"<rect x="{vx0:.1}" y="{vy0:.1}" width="{:.1}" height="{:.1}" fill="{HIGHLIGHT}" fill-opacity=".15" stroke="{HIGHLIGHT}" stroke-width="{:.2}"/>"#,
            vx1 - vx0,
            vy1 - vy0,
            2.0 * u
        );
    }
    s.push_str("</g>");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_lengths() {
        assert_eq!(round_length(180.0), 200.0);
        assert_eq!(round_length(130.0), 100.0);
        assert_eq!(round_length(380.0), 500.0);
        assert_eq!(round_length(760.0), 1000.0);
        assert_eq!(round_length(0.0), 1.0);
    }

    #[test]
    fn the_frame_round_trips_and_is_not_stretched() {
        let f = MapFrame::new(
            [105.10, 9.94, 105.11, 9.96],
            800.0,
            600.0,
            [100.0, 0.0, 0.0, 50.0],
        );
        let (x, y) = f.to_px(105.105, 9.95);
        let (lon, lat) = f.to_lonlat(x, y);
        assert!((lon - 105.105).abs() < 1e-9 && (lat - 9.95).abs() < 1e-9);
        // Centred in the area left by the reserve.
        assert!((x - 450.0).abs() < 1.0, "{x}");
        assert!((y - 275.0).abs() < 5.0, "{y}");
        // Fitted: the taller side fills the height less the margin.
        let (_, top) = f.to_px(105.105, 9.96);
        let (_, bottom) = f.to_px(105.105, 9.94);
        assert!(top >= 0.0 && bottom <= 550.0 && bottom - top > 500.0);
        // 100 m east and 100 m north are the same length on the drawing.
        let m_per_deg_lat = 110_600.0;
        let m_per_deg_lon = 111_320.0 * 9.95f64.to_radians().cos();
        let (ex, _) = f.to_px(105.105 + 100.0 / m_per_deg_lon, 9.95);
        let (_, ny) = f.to_px(105.105, 9.95 + 100.0 / m_per_deg_lat);
        let ratio = (ex - x) / (y - ny);
        assert!((ratio - 1.0).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn hostile_sizes_give_a_frame() {
        let f = MapFrame::new([f64::NAN, 0.0, 1.0, 1.0], -5.0, f64::INFINITY, [1e9; 4]);
        assert!(f.px_per_m.is_finite());
    }
}
