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
use quyhoach_data::index::ValueRef;
use quyhoach_data::lookup::Store;
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
    /// Whether the parcels are drawn (the view is close enough and they fit): a tap on the
    /// picture can then name the parcel under the finger.
    pub parcels: bool,
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
    index: &dyn Store,
    layer: &str,
    grid: &Grid,
    key: &dyn Fn(Option<&str>) -> &'static str,
) -> Option<Vec<(&'static str, String)>> {
    let mut groups: Vec<(&'static str, String)> = Vec::new();
    let mut n = 0usize;
    let mut too_many = false;
    let visited = index.visit(layer, grid.reach(), &mut |f, g| {
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
pub fn render(index: &dyn Store, bounds: [f64; 4], highlight: &[Geometry<f64>]) -> Option<Preview> {
    if !drawable(bounds) {
        return None;
    }
    GRIDS
        .iter()
        .find_map(|&units| render_on(index, &Grid::new(bounds, units), bounds, highlight, 1.0))
}

/// Height of the caption band under the map of a link preview, px of the 630-px image:
/// two lines big enough to read on a 300-px chat thumbnail (a quarter of the size).
pub const CAPTION_PX: u32 = 236;

/// Share of the map area the parcel's box fills along its limiting side: the parcel is
/// what a chat thumbnail must show, its neighbours only frame it.
pub const PARCEL_FILL: f64 = 0.78;

/// The caption of a link preview.
#[derive(Debug, Clone, Default)]
pub struct Caption {
    /// "Thửa 345, tờ 12, Vĩnh Thanh" (bold, largest).
    pub title: String,
    /// The answer in a few words ("Bị ảnh hưởng quy hoạch"), coloured by `tone`.
    pub headline: String,
    /// The one-line answer, cut to what fits on one line.
    pub detail: String,
    /// Colour of the headline, `#rrggbb`.
    pub tone: &'static str,
}

/// The fonts the caption is drawn with (regular, bold); `None` draws no text.
pub type CaptionFonts = Option<(std::path::PathBuf, std::path::PathBuf)>;

/// A link preview (`og:image`): the map of `highlight` (the parcels), which fill most of
/// the map area while the neighbourhood is veiled, with `caption` under it, as a
/// `width` × `height` PNG. `None` where [`render`] has no picture.
pub fn render_card(
    index: &dyn Store,
    highlight: &[Geometry<f64>],
    caption: &Caption,
    fonts: &CaptionFonts,
    width: u32,
    height: u32,
) -> Option<Vec<u8>> {
    use geo::BoundingRect;
    let map_h = height.saturating_sub(CAPTION_PX).max(1);
    let (w, h) = (f64::from(width), f64::from(map_h));
    let b = highlight
        .iter()
        .filter_map(|g| g.bounding_rect())
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| quyhoach_data::index::union_bbox(Some(a), b))?;
    // Grow the box so that, fitted into the map area, the parcel spans PARCEL_FILL of it.
    let m = ((b[2] - b[0]).max(b[3] - b[1]) * (1.0 / PARCEL_FILL - 1.0) / 2.0).max(1e-6);
    let bounds = [b[0] - m, b[1] - m, b[2] + m, b[3] + m];
    if !drawable(bounds) {
        return None;
    }
    let mut pixmap = GRIDS.iter().find_map(|&units| {
        let grid = Grid::new(bounds, units);
        let scale = (w / grid.width).min(h / grid.height);
        let p = render_on(index, &grid, bounds, &[], 1.0 / scale)?;
        // The neighbourhood veiled, the parcels clear and outlined.
        let mut rings = String::new();
        for g in highlight {
            push_geometry(&mut rings, &grid, g);
        }
        let big = grid.width.max(grid.height) * 4.0;
        let veil = format!(
            r##"<path fill="#fff" fill-opacity=".55" fill-rule="evenodd" d="M{a} {a}H{big}V{big}H{a}z{rings}"/><path fill="#ffd400" fill-opacity=".35" stroke="#111" stroke-width="{:.1}" d="{rings}"/><path fill="none" stroke="#ffd400" stroke-width="{:.1}" d="{rings}"/>"##,
            7.0 / scale,
            3.0 / scale,
            a = -big,
        );
        let svg = p.svg.replacen("</svg>", &format!("{veil}</svg>"), 1);
        rasterise(&svg, width, height, map_h, scale, (grid.width, grid.height))
    })?;
    draw_caption(&mut pixmap, caption, fonts, map_h);
    pixmap.encode_png().ok()
}

/// Draws `svg` (a `size` viewBox) scaled by `scale` and centred in the top `map_h` rows of
/// a `width` × `height` pixmap over the style's background colour.
fn rasterise(
    svg: &str,
    width: u32,
    height: u32,
    map_h: u32,
    scale: f64,
    size: (f64, f64),
) -> Option<resvg::tiny_skia::Pixmap> {
    use resvg::{tiny_skia, usvg};
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).ok()?;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)?;
    let (r, g, b) = rgb(BACKGROUND);
    pixmap.fill(tiny_skia::Color::from_rgba8(r, g, b, 0xFF));
    let dx = (f64::from(width) - size.0 * scale) / 2.0;
    let dy = (f64::from(map_h) - size.1 * scale) / 2.0;
    let t =
        tiny_skia::Transform::from_row(scale as f32, 0.0, 0.0, scale as f32, dx as f32, dy as f32);
    resvg::render(&tree, t, &mut pixmap.as_mut());
    Some(pixmap)
}

/// `#rrggbb` → (r, g, b); white for anything else.
fn rgb(hex: &str) -> (u8, u8, u8) {
    let c = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0xFF)
    };
    (c(1), c(3), c(5))
}

/// The caption band: white, a dark rule on top, the title, the headline and the detail.
fn draw_caption(
    pixmap: &mut resvg::tiny_skia::Pixmap,
    caption: &Caption,
    fonts: &CaptionFonts,
    top: u32,
) {
    use resvg::tiny_skia::{Color, Paint, Rect, Transform};
    let (w, h) = (pixmap.width() as f32, pixmap.height() as f32);
    let mut paint = Paint::default();
    paint.set_color(Color::WHITE);
    if let Some(r) = Rect::from_xywh(0.0, top as f32, w, h - top as f32) {
        pixmap.fill_rect(r, &paint, Transform::identity(), None);
    }
    paint.set_color(Color::from_rgba8(0x11, 0x11, 0x11, 0xFF));
    if let Some(r) = Rect::from_xywh(0.0, top as f32, w, 4.0) {
        pixmap.fill_rect(r, &paint, Transform::identity(), None);
    }
    let Some((regular, bold)) = fonts else {
        return;
    };
    let Ok(lib) = freetype::Library::init() else {
        return;
    };
    let (Ok(reg), Ok(bld)) = (lib.new_face(regular, 0), lib.new_face(bold, 0)) else {
        tracing::warn!("the link preview's fonts cannot be read; the caption has no text");
        return;
    };
    let margin = 28;
    let max_w = pixmap.width() as i32 - 2 * margin;
    let top = top as i32;
    draw_line(
        pixmap,
        &bld,
        52,
        &caption.title,
        (margin, top + 62),
        max_w,
        (0x11, 0x11, 0x11),
    );
    draw_line(
        pixmap,
        &bld,
        44,
        &caption.headline,
        (margin, top + 124),
        max_w,
        rgb(caption.tone),
    );
    // The detail on up to two lines: broken after a plan's verdict (" · ") when the first
    // verdict fits, else between words; what is left is cut with "…".
    let size = 28;
    if reg.set_pixel_sizes(0, size).is_err() {
        return;
    }
    let (first, second) = wrap_two(&reg, &caption.detail, max_w);
    for (k, line) in [first, second].iter().enumerate() {
        draw_line(
            pixmap,
            &reg,
            size,
            line,
            (margin, top + 166 + 38 * k as i32),
            max_w,
            (0x22, 0x22, 0x22),
        );
    }
}

/// Splits `text` into a first line that fits `max_w` px at the face's current size and the
/// rest: after the last " · " that fits, else after the last word that fits.
fn wrap_two(face: &freetype::Face, text: &str, max_w: i32) -> (String, String) {
    if text_width(face, text) <= max_w {
        return (text.to_string(), String::new());
    }
    let mut best: Option<usize> = None;
    for (i, _) in text.match_indices(" · ") {
        if text_width(face, &text[..i]) <= max_w {
            best = Some(i);
        }
    }
    if let Some(i) = best {
        return (text[..i].to_string(), text[i + " · ".len()..].to_string());
    }
    let mut cut = 0;
    for (i, _) in text.match_indices(' ') {
        if text_width(face, &text[..i]) <= max_w {
            cut = i;
        } else {
            break;
        }
    }
    if cut == 0 {
        return (text.to_string(), String::new());
    }
    (text[..cut].to_string(), text[cut + 1..].to_string())
}

/// Advance of `text` at the face's current size, px.
fn text_width(face: &freetype::Face, text: &str) -> i32 {
    text.chars()
        .filter_map(|c| {
            face.load_char(c as usize, freetype::face::LoadFlag::DEFAULT)
                .ok()
                .map(|_| (face.glyph().advance().x >> 6) as i32)
        })
        .sum()
}

/// Draws one line of `text` at `size` px with its baseline at `at`, cut with "…" to
/// `max_w` px; alpha-blended over the (opaque) pixmap.
fn draw_line(
    pixmap: &mut resvg::tiny_skia::Pixmap,
    face: &freetype::Face,
    size: u32,
    text: &str,
    at: (i32, i32),
    max_w: i32,
    colour: (u8, u8, u8),
) {
    use resvg::tiny_skia::PremultipliedColorU8;
    if text.is_empty() || face.set_pixel_sizes(0, size).is_err() {
        return;
    }
    let mut line: String = text.to_string();
    if text_width(face, &line) > max_w {
        let ellipsis = text_width(face, "…");
        let mut chars: Vec<char> = line.chars().collect();
        while !chars.is_empty()
            && text_width(face, &chars.iter().collect::<String>()) + ellipsis > max_w
        {
            chars.pop();
        }
        line = chars.iter().collect::<String>().trim_end().to_string() + "…";
    }
    let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
    let pixels = pixmap.pixels_mut();
    let mut pen = at.0;
    for c in line.chars() {
        if face
            .load_char(c as usize, freetype::face::LoadFlag::RENDER)
            .is_err()
        {
            continue;
        }
        let g = face.glyph();
        let bm = g.bitmap();
        let (bw, rows, pitch) = (bm.width(), bm.rows(), bm.pitch());
        let buf = bm.buffer();
        let (x0, y0) = (pen + g.bitmap_left(), at.1 - g.bitmap_top());
        for row in 0..rows {
            for col in 0..bw {
                let Some(&a) = usize::try_from(row * pitch + col)
                    .ok()
                    .and_then(|i| buf.get(i))
                else {
                    continue;
                };
                let (x, y) = (x0 + col, y0 + row);
                if a == 0 || x < 0 || y < 0 || x >= pw || y >= ph {
                    continue;
                }
                let px = &mut pixels[(y * pw + x) as usize];
                let mix = |bg: u8, fg: u8| {
                    ((u32::from(bg) * (255 - u32::from(a)) + u32::from(fg) * u32::from(a)) / 255)
                        as u8
                };
                if let Some(c) = PremultipliedColorU8::from_rgba(
                    mix(px.red(), colour.0),
                    mix(px.green(), colour.1),
                    mix(px.blue(), colour.2),
                    0xFF,
                ) {
                    *px = c;
                }
            }
        }
        pen += (g.advance().x >> 6) as i32;
    }
}

/// `GET /api/v1/parcels/{commune}/{sheet}/{parcel}/map.png[?n=][&lang=en]`: the link
/// preview of a parcel (`og:image`): its map, large, its number and the one-line answer.
/// A number shared by several parcels without `n` shows them all, captioned as such.
pub async fn parcel_map_png(
    axum::extract::State(st): axum::extract::State<crate::api::ApiState>,
    axum::extract::State(glyphs): axum::extract::State<std::sync::Arc<crate::glyphs::Glyphs>>,
    axum::extract::Path((commune, sheet, parcel)): axum::extract::Path<(String, String, String)>,
    crate::params::Query(q): crate::params::Query<crate::api::MapQuery>,
) -> crate::error::Result<axum::response::Response> {
    use crate::error::AppError;
    use crate::text::Lang;
    use axum::response::IntoResponse;
    use quyhoach_data::planning::Site;
    let n = q.n;
    let lang = Lang::from_param(q.lang.as_deref());
    let max = crate::api::MAX_NUMBER;
    let sheet = crate::params::parse_int("sheet", &sheet, 0, max)?;
    let parcel = crate::params::parse_int("parcel", &parcel, 0, max)?;
    let fonts: CaptionFonts = match (
        glyphs.font_file(crate::glyphs::FONT_REGULAR),
        glyphs.font_file(crate::glyphs::FONT_BOLD),
    ) {
        (Some(r), Some(b)) if r.is_file() && b.is_file() => Some((r, b)),
        _ => None,
    };
    let index = st.index.clone();
    let png = tokio::task::spawn_blocking(move || -> crate::error::Result<Vec<u8>> {
        let found = index.parcels_by_number(&commune, sheet, parcel)?;
        let what = format!(
            "{parcel} on sheet {sheet} of commune '{}'",
            crate::params::clip(&commune)
        );
        let count = found.len();
        let chosen: Vec<_> = match n {
            _ if count == 0 => return Err(AppError::not_found(format!("no parcel {what}"))),
            Some(k) => vec![found
                .into_iter()
                .nth(usize::try_from(k - 1).unwrap_or(usize::MAX))
                .ok_or_else(|| {
                    AppError::bad(format!(
                        "n must be from 1 to {count} (parcels numbered {what})"
                    ))
                })?],
            None => found,
        };
        let caption = if chosen.len() == 1 {
            let f = &chosen[0];
            let r = index.report(&Site::Parcel {
                layer: f.layer.clone(),
                id: f.id,
            })?;
            let v = serde_json::to_value(&r).unwrap_or_default();
            card_caption(&v, lang)
        } else {
            let c = chosen
                .first()
                .and_then(|f| f.properties.get("commune_code"))
                .and_then(serde_json::Value::as_str)
                .unwrap_or(&commune)
                .to_string();
            Caption {
                title: match lang {
                    Lang::Vi => format!("{count} thửa cùng số {parcel}, tờ {sheet} ({c})"),
                    Lang::En => format!("{count} parcels numbered {parcel}, sheet {sheet} ({c})"),
                },
                headline: lang.t("Chọn thửa của bạn", "Pick your parcel").into(),
                detail: lang
                    .t(
                        "Bản đồ địa chính có các thửa trùng số: mở liên kết để chọn.",
                        "The cadastral map repeats this number: open the link to choose.",
                    )
                    .into(),
                tone: "#1f4e99",
            }
        };
        let geoms: Vec<Geometry<f64>> = chosen.into_iter().map(|f| f.geometry).collect();
        let (w, h) = crate::api::MAP_PNG_SIZE;
        render_card(&*index, &geoms, &caption, &fonts, w, h)
            .ok_or_else(|| AppError::Internal("the map picture could not be drawn".into()))
    })
    .await??;
    Ok(([(axum::http::header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// The caption of one parcel's preview from its report (JSON): the parcel, the answer's
/// kind in a few words, the one-line answer.
pub fn card_caption(r: &serde_json::Value, lang: crate::text::Lang) -> Caption {
    use crate::text::Lang;
    let site = r.get("site").cloned().unwrap_or_default();
    let num = |k: &str| site.get(k).and_then(serde_json::Value::as_i64);
    let commune = site
        .get("commune_name")
        .or_else(|| site.get("commune_code"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let title = match (num("parcel"), num("sheet"), lang) {
        (Some(p), Some(s), Lang::Vi) => format!("Thửa {p}, tờ {s}, {commune}"),
        (Some(p), Some(s), Lang::En) => format!("Parcel {p}, sheet {s}, {commune}"),
        _ => lang.t("Khu đất", "Site").to_string(),
    };
    let plans = r
        .get("plans")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    let affected = r.get("affected").and_then(serde_json::Value::as_bool);
    let kind = r
        .get("answer_kind")
        .and_then(serde_json::Value::as_str)
        .unwrap_or(match (plans, affected) {
            (0, _) => "not_covered",
            (_, Some(true)) => "affected",
            _ => "not_affected",
        });
    let (headline, tone) = match kind {
        "not_covered" => (
            lang.t("Chưa có quy hoạch tại đây", "No plan covers this land"),
            "#444444",
        ),
        "not_affected" => (
            lang.t("Không bị ảnh hưởng quy hoạch", "Not affected by planning"),
            "#0b6b2e",
        ),
        "plans_disagree" => (
            lang.t("Các quy hoạch khác nhau", "The plans disagree"),
            "#8a4b00",
        ),
        "site" => (lang.t("Khu đất vẽ", "Drawn site"), "#1f4e99"),
        _ => (
            lang.t("Bị ảnh hưởng quy hoạch", "Affected by planning"),
            "#b00020",
        ),
    };
    // The answer in a few words when the report has it (readable at thumbnail size), else
    // the one-line answer.
    let detail = r
        .get(lang.t("headline_vi", "headline_en"))
        .and_then(serde_json::Value::as_str)
        .filter(|h| !h.is_empty())
        .or_else(|| {
            r.get(lang.t("summary_vi", "summary_en"))
                .and_then(serde_json::Value::as_str)
        })
        .unwrap_or("");
    // "Thửa đất bị ảnh hưởng bởi quy hoạch: …" repeats the headline; keep what follows.
    let from_summary = r
        .get(lang.t("headline_vi", "headline_en"))
        .and_then(serde_json::Value::as_str)
        .is_none_or(str::is_empty);
    let detail = match detail.split_once(": ") {
        Some((head, rest)) if from_summary && head.chars().count() < 60 && !rest.is_empty() => rest,
        _ => detail,
    };
    let mut detail = detail.to_string();
    if let Some(first) = detail.chars().next() {
        detail = first.to_uppercase().chain(detail.chars().skip(1)).collect();
    }
    Caption {
        title,
        headline: headline.into(),
        detail,
        tone,
    }
}

/// [`render`] on one grid.
fn render_on(
    index: &dyn Store,
    grid: &Grid,
    bounds: [f64; 4],
    highlight: &[Geometry<f64>],
    stroke_scale: f64,
) -> Option<Preview> {
    let zoom = phone_zoom(bounds);
    let specs = store_layer_specs(index.catalog());
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
    let parcels = parts.iter().any(|(p, _)| *p == 1);
    let mut svg = format!(
        r#"<svg viewBox="0 0 {w} {h}" preserveAspectRatio="xMidYMid meet" overflow="visible" aria-hidden="true" focusable="false">"#,
        w = grid.width,
        h = grid.height
    );
    for (_, p) in parts {
        svg.push_str(&p);
    }
    svg.push_str("</svg>");
    Some(Preview {
        svg,
        bounds,
        parcels,
    })
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
