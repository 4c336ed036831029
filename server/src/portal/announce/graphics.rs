//! The notice drawn: the map of its zones (SVG), the 1200×630 post picture (PNG) and the
//! poster and leaflet (A3 and A4 PDF), each one SVG drawing rendered by resvg or svg2pdf.
//!
//! Text is measured with the render context's fonts before it is placed (FreeType advances),
//! so that every line is wrapped or ellipsised inside its box and tables are cut with
//! "… và N ô khác" rather than run off the page; the PDF keeps it as text (svg2pdf embeds
//! the DejaVu subsets), so `pdftotext` and a reader's search find the plan's name.

pub mod draw;
pub mod map;
mod post;
mod poster;

use super::{Notice, RenderContext, RenderError};

pub use map::{map_frame, scale_bar, MapFrame, ScaleBar};

/// Paper of [`poster_pdf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// 297 × 420 mm, portrait: the poster.
    A3,
    /// 210 × 297 mm, portrait: the leaflet.
    A4,
}

impl Paper {
    /// Width and height in PostScript points (1/72 in).
    pub fn size_pt(self) -> (f64, f64) {
        let mm = 72.0 / 25.4;
        match self {
            Paper::A3 => (297.0 * mm, 420.0 * mm),
            Paper::A4 => (210.0 * mm, 297.0 * mm),
        }
    }
}

/// What [`map_svg`] draws besides the zones.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// Index into `notice.zones` of a zone to outline heavily (a slide's zone).
    pub highlight: Option<usize>,
    /// A scale bar (bottom left).
    pub scale_bar: bool,
    /// A north arrow (top right); with it, an inset locator (bottom right) when the map
    /// shows a small part of the commune.
    pub north_arrow: bool,
    /// Part of the drawing kept free of features: `[left, top, right, bottom]` px of
    /// `width`×`height` that other content covers (a slide's card); the map fits the rest.
    pub reserved: [f64; 4],
}

/// The map of the notice's area as an `<svg>` element of `width`×`height` user units.
///
/// Web Mercator, fitted to `notice.area.bbox` in the drawing less `opts.reserved`: zones in
/// their land-use colours with white outlines, red lines, the commune boundary dashed, the
/// highlighted zone outlined in dark blue, zone ids where they fit, and the furniture asked
/// for. The scale bar is a `<g class="scale-bar">` whose `data-metres`, `data-x0`, `data-x1`
/// and `data-y` say what it claims; [`map_frame`] gives the projection to check it.
pub fn map_svg(notice: &Notice, width: f64, height: f64, opts: &MapOptions) -> String {
    let frame = map_frame(notice, width, height, opts);
    let label = format!(
        "Bản đồ quy hoạch: {} — {}",
        notice.plan.name, notice.area.name_vi
    );
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}" font-family="DejaVu Sans, sans-serif">{body}</svg>"#,
        w = frame.width,
        h = frame.height,
        label = draw::esc(&label),
        body = map::draw(notice, &frame, opts),
    )
}

/// The 1200×630 picture of the post and of the notice link's preview.
pub fn post_png(notice: &Notice, ctx: &RenderContext) -> Result<Vec<u8>, RenderError> {
    let fonts = draw::Fonts::load(ctx)?;
    draw::png(&post::svg(notice, &fonts), &fonts)
}

/// The poster (A3) or leaflet (A4), one page.
pub fn poster_pdf(
    notice: &Notice,
    ctx: &RenderContext,
    paper: Paper,
) -> Result<Vec<u8>, RenderError> {
    let fonts = draw::Fonts::load(ctx)?;
    draw::pdf(&poster::svg(notice, &fonts, paper), &fonts)
}

/// The SVG drawings behind [`post_png`] and [`poster_pdf`] (for tests and previews).
pub fn post_svg(notice: &Notice, ctx: &RenderContext) -> Result<String, RenderError> {
    let fonts = draw::Fonts::load(ctx)?;
    Ok(post::svg(notice, &fonts))
}

/// See [`post_svg`].
pub fn poster_svg(
    notice: &Notice,
    ctx: &RenderContext,
    paper: Paper,
) -> Result<String, RenderError> {
    let fonts = draw::Fonts::load(ctx)?;
    Ok(poster::svg(notice, &fonts, paper))
}

/// One land use on a notice's map, for legends.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    pub landuse: String,
    pub name_vi: String,
    pub name_en: String,
    pub color: String,
    /// In the announced area, m².
    pub area_m2: f64,
}

/// Every land use of the zones on the map, largest first (areas from `notice.totals`).
pub fn legend(notice: &Notice) -> Vec<LegendEntry> {
    let mut out: Vec<LegendEntry> = Vec::new();
    for z in &notice.zones {
        if out.iter().any(|e| e.landuse == z.landuse) {
            continue;
        }
        let total = notice.totals.iter().find(|t| t.landuse == z.landuse);
        out.push(LegendEntry {
            landuse: z.landuse.clone(),
            name_vi: z.landuse_vi.clone(),
            name_en: z.landuse_en.clone(),
            color: z.color.clone(),
            area_m2: total.map(|t| t.area_m2).unwrap_or_else(|| {
                notice
                    .zones
                    .iter()
                    .filter(|q| q.landuse == z.landuse)
                    .map(|q| q.area_m2)
                    .sum()
            }),
        });
    }
    out.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    out
}

/// A land-use name without its leading "Đất " (legends in small places).
pub fn short_landuse(name_vi: &str) -> String {
    let s = name_vi.strip_prefix("Đất ").unwrap_or(name_vi);
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Smallest change of a land use's area that counts, m² (below: drawing noise).
const CHANGE_M2: f64 = 1.0;

/// What changes, in one line: "ODT, DGD → TMD · 1,12 ha" for an adjustment or a draft
/// against the plan it changes; `None` for a plan that changes nothing.
pub fn change_line(notice: &Notice) -> Option<String> {
    let mut from = Vec::new();
    let mut to = Vec::new();
    let mut moved = 0.0;
    for t in &notice.totals {
        let before = t.before_m2?;
        let d = t.area_m2 - before;
        if d < -CHANGE_M2 {
            from.push(t.landuse.as_str());
        } else if d > CHANGE_M2 {
            to.push(t.landuse.as_str());
            moved += d;
        }
    }
    if from.is_empty() && to.is_empty() {
        return Some("Không thay đổi chức năng sử dụng đất".into());
    }
    let side = |v: &[&str]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.join(", ")
        }
    };
    Some(format!(
        "{} → {} · {}",
        side(&from),
        side(&to),
        draw::area(moved)
    ))
}

/// The kind in a few capital words ("LẤY Ý KIẾN DỰ THẢO") and its colour.
pub fn kind_badge(notice: &Notice) -> (&'static str, &'static str) {
    use super::NoticeKind::*;
    match notice.kind {
        Consultation => ("LẤY Ý KIẾN DỰ THẢO", "#A84300"),
        Approved => ("CÔNG BỐ QUY HOẠCH", "#1B5E20"),
        Adjusted => ("CÔNG BỐ ĐIỀU CHỈNH QUY HOẠCH", "#0B3D91"),
    }
}
