//! A server-drawn picture of the planning map, inlined as SVG into the web page so that a
//! phone on a slow link sees the zones, red lines and its parcel with the page's first
//! bytes — seconds before MapLibre (hundreds of KiB of JavaScript) can draw the tiles.
//!
//! The picture is the same data the tiles carry, in the style's colours and drawing order
//! (zones filled by planned land use, parcels, roads, red lines, boundaries), projected to
//! Web Mercator. Its `viewBox` is the view's box: shown with `preserveAspectRatio="xMidYMid
//! meet"` inside the map's box less 20 px padding it covers exactly what MapLibre's
//! `fitBounds(bounds, {padding: 20})` shows, so the map replaces it in place. Features
//! beyond the box are drawn too (the SVG overflows), as far as a phone in portrait shows.
//!
//! Coordinates are integers on a grid of [`GRID`] units across the box, simplified to half
//! a unit and written as relative path commands: a district of zones is a few tens of KiB
//! before compression. A province of tens of thousands of zones is drawn on coarser grids
//! ([`GRIDS`]; 250 units still give a phone more than a unit per pixel pair) before it is
//! given up. Layers a phone would not show at the view's zoom are left out, as
//! the style's `minzoom`s do; parcels are dropped first when the picture would exceed
//! [`MAX_BYTES`].

use std::fmt::Write as _;

use geo::Simplify;
use geo_types::{Coord, Geometry, LineString};
use quyhoach_data::index::{Index, ValueRef};
use quyhoach_data::schema::Kind;

use quyhoach_tiles::{lonlat_to_world, world_to_lonlat};

use crate::style::{
    is_draft, landuse_colour_of, LinePaint, BACKGROUND, BOUNDARY, DRAFT_ZONE_OUTLINE, PARCEL_LINE,
    REDLINE, ROAD, ZONE_OUTLINE,
};

use crate::tiles::source::{store_layer_specs, PARCELS_MINZOOM, REDLINES_MINZOOM, ROADS_MINZOOM};

/// Grid units across the longer side of the view.
pub const GRID: f64 = 1000.0;

/// The grids tried, finest first, until the picture fits in [`MAX_BYTES`].
const GRIDS: [f64; 3] = [GRID, 500.0, 250.0];

/// Largest picture, bytes before compression (about a third after gzip).
pub const MAX_BYTES: usize = 160_000;

/// The phone the layer choice is made for: MapLibre's 512-px tiles, a 412 × 700 CSS-px map.
const PHONE_PX: (f64, f64) = (412.0, 700.0);

/// The style's padding around fitted bounds (CSS px).
const PADDING_PX: f64 = 20.0;

/// Most features drawn per layer; beyond it the layer is too dense to read as a picture.
const MAX_FEATURES: usize = 20_000;

/// A rendered preview.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The `<svg>` element.
    pub svg: String,
    /// The view, WGS 84 `[w, s, e, n]`: the web page fits the map to it.
    pub bounds: [f64; 4],
}

/// The zoom at which MapLibre fits `bounds` into the reference phone's map.
pub fn phone_zoom(bounds: [f64; 4]) -> f64 {
    let (x0, y1) = lonlat_to_world(bounds[0], bounds[1]);
    let (x1, y0) = lonlat_to_world(bounds[2], bounds[3]);
    let w = ((x1 - x0) * 512.0).max(1e-12);
    let h = ((y1 - y0) * 512.0).max(1e-12);
    let zx = ((PHONE_PX.0 - 2.0 * PADDING_PX) / w).log2();
    let zy = ((PHONE_PX.1 - 2.0 * PADDING_PX) / h).log2();
    zx.min(zy)
}

/// Maps WGS 84 to grid units of the view.
struct Grid {
    x0: f64,
    y0: f64,
    scale: f64,
    width: f64,
    height: f64,
}

impl Grid {
    fn new(bounds: [f64; 4], units: f64) -> Grid {
        let (x0, y1) = lonlat_to_world(bounds[0], bounds[1]);
        let (x1, y0) = lonlat_to_world(bounds[2], bounds[3]);
        let span = (x1 - x0).max(y1 - y0).max(1e-12);
        let scale = units / span;
        Grid {
            x0,
            y0,
            scale,
            width: ((x1 - x0) * scale).round().max(1.0),
            height: ((y1 - y0) * scale).round().max(1.0),
        }
    }

    fn project(&self, c: Coord<f64>) -> Coord<f64> {
        let (x, y) = lonlat_to_world(c.x, c.y);
        Coord {
            x: (x - self.x0) * self.scale,
            y: (y - self.y0) * self.scale,
        }
    }

    /// The WGS 84 box of everything a portrait phone or a landscape screen can show around
    /// the view when it is fitted with "meet": the longer side of the view, twice, square.
    fn reach(&self) -> [f64; 4] {
        let span = self.width.max(self.height) / self.scale;
        let cx = self.x0 + self.width / self.scale / 2.0;
        let cy = self.y0 + self.height / self.scale / 2.0;
        let (w, n) = world_to_lonlat(cx - span, cy - span);
        let (e, s) = world_to_lonlat(cx + span, cy + span);
        [w, s, e, n]
    }
}

/// Appends one ring or line as `M x y l dx dy …` (closed rings end with `z`). Returns
/// false when nothing is left of it at this scale.
fn push_path(d: &mut String, grid: &Grid, coords: &[Coord<f64>], closed: bool) -> bool {
    let projected: LineString<f64> = coords.iter().map(|&c| grid.project(c)).collect();
    let simple = projected.simplify(0.5);
    let mut pts: Vec<(i64, i64)> = Vec::with_capacity(simple.0.len());
    for c in &simple.0 {
        let p = (c.x.round() as i64, c.y.round() as i64);
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    if closed && pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < if closed { 3 } else { 2 } {
        return false;
    }
    let (mut px, mut py) = pts[0];
    let _ = write!(d, "M{px} {py}l");
    for (i, &(x, y)) in pts[1..].iter().enumerate() {
        let (dx, dy) = (x - px, y - py);
        if i > 0 && dx >= 0 {
            d.push(' ');
        }
        let _ = write!(d, "{dx}");
        if dy >= 0 {
            d.push(' ');
        }
        let _ = write!(d, "{dy}");
        (px, py) = (x, y);
    }
    if closed {
        d.push('z');
    }
    true
}

/// Appends every ring or line of a geometry; features smaller than a unit are skipped.
fn push_geometry(d: &mut String, grid: &Grid, g: &Geometry<f64>) {
    match g {
        Geometry::Polygon(p) => {
            push_polygon(d, grid, p);
        }
        Geometry::MultiPolygon(mp) => {
            for p in &mp.0 {
                push_polygon(d, grid, p);
            }
        }
        Geometry::LineString(l) => {
            push_path(d, grid, &l.0, false);
        }
        Geometry::MultiLineString(ml) => {
            for l in &ml.0 {
                push_path(d, grid, &l.0, false);
            }
        }
        _ => {}
    }
}

fn push_polygon(d: &mut String, grid: &Grid, p: &geo_types::Polygon<f64>) {
    if !push_path(d, grid, &p.exterior().0, true) {
        return;
    }
    for hole in p.interiors() {
        push_path(d, grid, &hole.0, true);
    }
}

/// Path data of a layer's features in the reach of the view, grouped by `key` (a colour),
/// in first-seen order. `None` when the layer has more than [`MAX_FEATURES`] there.
fn layer_paths(
    index: &Index,
    layer: &str,
    grid: &Grid,
    key: &dyn Fn(Option<&str>) -> &'static str,
) -> Option<Vec<(&'static str, String)>> {
    let mut groups: Vec<(&'static str, String)> = Vec::new();
    let mut n = 0usize;
    let mut too_many = false;
    let visited = index.visit_bbox(layer, grid.reach(), &mut |f, g| {
        n += 1;
        if n > MAX_FEATURES {
            too_many = true;
            return;
        }
        let landuse = match f.value("landuse") {
            Some(ValueRef::Str(s)) => Some(s),
            _ => None,
        };
        let k = key(landuse);
        let at = match groups.iter().position(|(c, _)| *c == k) {
            Some(i) => i,
            None => {
                groups.push((k, String::new()));
                groups.len() - 1
            }
        };
        push_geometry(&mut groups[at].1, grid, g);
    });
    if visited.is_err() || too_many {
        return None;
    }
    groups.retain(|(_, d)| !d.is_empty());
    Some(groups)
}

/// A box with an inside: finite and west < east, south < north.
fn drawable(b: [f64; 4]) -> bool {
    b.iter().all(|v| v.is_finite()) && b[0] < b[2] && b[1] < b[3]
}

/// Draws the view `bounds` (WGS 84 `[w, s, e, n]`) with `highlight` (parcels the page is
/// about) on top. `None` when even the zones alone would exceed [`MAX_BYTES`] on the
/// coarsest grid.
pub fn render(index: &Index, bounds: [f64; 4], highlight: &[Geometry<f64>]) -> Option<Preview> {
    if !drawable(bounds) {
        return None;
    }
    GRIDS
        .iter()
        .find_map(|&units| render_on(index, &Grid::new(bounds, units), bounds, highlight, 1.0))
}

/// The picture as a `width` × `height` PNG (the view fitted inside, its surroundings
/// beyond), for messengers' link previews (`og:image`). Line widths are in pixels of the
/// image. `None` where [`render`] has no picture.
pub fn render_png(
    index: &Index,
    bounds: [f64; 4],
    highlight: &[Geometry<f64>],
    width: u32,
    height: u32,
) -> Option<Vec<u8>> {
    if !drawable(bounds) {
        return None;
    }
    let (w, h) = (f64::from(width), f64::from(height));
    GRIDS.iter().find_map(|&units| {
        let grid = Grid::new(bounds, units);
        let scale = (w / grid.width).min(h / grid.height);
        let p = render_on(index, &grid, bounds, highlight, 1.0 / scale)?;
        rasterise(&p.svg, width, height, scale, (grid.width, grid.height))
    })
}

/// Draws `svg` (a `size` viewBox) scaled by `scale` and centred on a `width` × `height`
/// pixmap over the style's background colour.
fn rasterise(svg: &str, width: u32, height: u32, scale: f64, size: (f64, f64)) -> Option<Vec<u8>> {
    use resvg::{tiny_skia, usvg};
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).ok()?;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)?;
    let channel = |i: usize| u8::from_str_radix(&BACKGROUND[i..i + 2], 16).unwrap_or(0xFF);
    pixmap.fill(tiny_skia::Color::from_rgba8(
        channel(1),
        channel(3),
        channel(5),
        0xFF,
    ));
    let dx = (f64::from(width) - size.0 * scale) / 2.0;
    let dy = (f64::from(height) - size.1 * scale) / 2.0;
    let t =
        tiny_skia::Transform::from_row(scale as f32, 0.0, 0.0, scale as f32, dx as f32, dy as f32);
    resvg::render(&tree, t, &mut pixmap.as_mut());
    pixmap.encode_png().ok()
}

/// [`render`] on one grid.
fn render_on(
    index: &Index,
    grid: &Grid,
    bounds: [f64; 4],
    highlight: &[Geometry<f64>],
    stroke_scale: f64,
) -> Option<Preview> {
    let zoom = phone_zoom(bounds);
    let specs = store_layer_specs(index);
    let ids_of = |k: Kind| -> Vec<String> {
        specs
            .iter()
            .filter(|s| index.layer_entry(&s.name).map(|e| e.kind) == Some(k))
            .map(|s| s.name.clone())
            .collect()
    };
    let shows = |minzoom: u8| zoom + 0.5 >= f64::from(minzoom);
    let plain = |_: Option<&str>| "";

    // Each part is (priority, markup): parts with priority 1 (parcels) go first when the
    // picture is too big.
    let mut parts: Vec<(u8, String)> = Vec::new();
    // Colours, widths and dashes are the style's (style.rs), at the phone's zoom.
    let stroke = |paint: &LinePaint| {
        let mut a = format!(
            r#"stroke="{}" stroke-width="{:.1}""#,
            paint.color,
            paint.width.at(zoom) * stroke_scale
        );
        if let Some([on, off]) = paint.dash {
            let _ = write!(
                a,
                r#" stroke-dasharray="{:.1} {:.1}""#,
                on * stroke_scale,
                off * stroke_scale
            );
        }
        a
    };
    for id in ids_of(Kind::Zones) {
        let Some(groups) = layer_paths(index, &id, grid, &landuse_colour_of) else {
            continue;
        };
        let (opacity, outline) = if is_draft(index, &id) {
            (".35", &DRAFT_ZONE_OUTLINE)
        } else {
            (".65", &ZONE_OUTLINE)
        };
        let mut g = format!(r#"<g fill-opacity="{opacity}" {}>"#, stroke(outline));
        for (colour, d) in groups {
            let _ = write!(g, r#"<path fill="{colour}" d="{d}"/>"#);
        }
        g.push_str("</g>");
        parts.push((0, g));
    }
    let mut line_layer = |kind: Kind, minzoom: u8, paint: &LinePaint, extra: &str, priority: u8| {
        if !shows(minzoom) {
            return;
        }
        let attrs = format!("{}{extra}", stroke(paint));
        for id in ids_of(kind) {
            let Some(groups) = layer_paths(index, &id, grid, &plain) else {
                continue;
            };
            let d: String = groups.into_iter().map(|(_, d)| d).collect();
            if !d.is_empty() {
                parts.push((priority, format!(r#"<path fill="none" {attrs} d="{d}"/>"#)));
            }
        }
    };
    line_layer(
        Kind::Parcels,
        PARCELS_MINZOOM,
        &PARCEL_LINE,
        r#" stroke-opacity=".8""#,
        1,
    );
    line_layer(
        Kind::Roads,
        ROADS_MINZOOM,
        &ROAD,
        r#" stroke-linecap="round" stroke-linejoin="round""#,
        0,
    );
    line_layer(Kind::Redlines, REDLINES_MINZOOM, &REDLINE, "", 0);
    line_layer(Kind::Boundaries, 0, &BOUNDARY, "", 0);
    let mut hl = String::new();
    for g in highlight {
        push_geometry(&mut hl, grid, g);
    }
    if !hl.is_empty() {
        parts.push((
            0,
            format!(
                r##"<path fill="#ffd400" fill-opacity=".35" stroke="#111" stroke-width="{:.1}" d="{hl}"/><path fill="none" stroke="#ffd400" stroke-width="{:.1}" d="{hl}"/>"##,
                4.0 * stroke_scale,
                2.0 * stroke_scale
            ),
        ));
    }

    let size = |parts: &[(u8, String)]| parts.iter().map(|(_, s)| s.len()).sum::<usize>();
    if size(&parts) > MAX_BYTES {
        parts.retain(|(p, _)| *p == 0);
    }
    if size(&parts) > MAX_BYTES || parts.is_empty() {
        return None;
    }
    let mut svg = format!(
        r#"<svg viewBox="0 0 {w} {h}" preserveAspectRatio="xMidYMid meet" overflow="visible" aria-hidden="true" focusable="false">"#,
        w = grid.width,
        h = grid.height
    );
    for (_, p) in parts {
        svg.push_str(&p);
    }
    svg.push_str("</svg>");
    Some(Preview { svg, bounds })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_compact_and_round_trip() {
        let grid = Grid::new([105.0, 10.0, 105.01, 10.01], GRID);
        let ring = [
            Coord { x: 105.0, y: 10.0 },
            Coord {
                x: 105.005,
                y: 10.0,
            },
            Coord {
                x: 105.005,
                y: 10.005,
            },
            Coord { x: 105.0, y: 10.0 },
        ];
        let mut d = String::new();
        assert!(push_path(&mut d, &grid, &ring, true));
        // Start at the bottom left of the box, east by half the box, then north.
        assert!(d.starts_with("M0 1000l"), "{d}");
        let nums: Vec<i64> = d
            .trim_start_matches("M0 1000l")
            .trim_end_matches('z')
            .replace('-', " -")
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(nums.len(), 4, "{d}");
        // The box is taller than wide in Mercator (by 1/cos 10°): the taller side is the grid.
        let east = (500.0 * 10f64.to_radians().cos()).round() as i64;
        assert!((nums[0] - east).abs() <= 1 && nums[1] == 0, "{d}");
        assert_eq!(nums[2], 0);
        assert!((nums[3] + 500).abs() <= 1, "{d}");
    }

    #[test]
    fn slivers_vanish_at_the_scale_of_the_view() {
        let grid = Grid::new([105.0, 10.0, 106.0, 11.0], GRID);
        let tiny = [
            Coord { x: 105.5, y: 10.5 },
            Coord {
                x: 105.500_01,
                y: 10.5,
            },
            Coord {
                x: 105.500_01,
                y: 10.500_01,
            },
            Coord { x: 105.5, y: 10.5 },
        ];
        let mut d = String::new();
        assert!(!push_path(&mut d, &grid, &tiny, true));
        assert!(d.is_empty());
    }

    #[test]
    fn phone_zoom_matches_maplibre_fit() {
        // 0.01° wide at the equator on a 372-px-wide map: log2(372 / (0.01/360 × 512)).
        let z = phone_zoom([0.0, -0.001, 0.01, 0.001]);
        let expect = (372.0_f64 / (0.01 / 360.0 * 512.0)).log2();
        assert!((z - expect).abs() < 0.01, "{z} vs {expect}");
    }
}
