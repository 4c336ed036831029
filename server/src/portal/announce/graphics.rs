//! The notice drawn: the map of its zones (SVG), the 1200×630 post picture (PNG) and the
//! poster and leaflet (A3 and A4 PDF), each one SVG drawing rendered by resvg or svg2pdf.

use super::{Notice, RenderContext, RenderError};

/// Paper of [`poster_pdf`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// 297 × 420 mm, portrait: the poster.
    A3,
    /// 210 × 297 mm, portrait: the leaflet.
    A4,
}

/// What [`map_svg`] draws besides the zones.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// Index into `notice.zones` of a zone to outline heavily (a slide's zone).
    pub highlight: Option<usize>,
    /// A scale bar (bottom left).
    pub scale_bar: bool,
    /// A north arrow (top right).
    pub north_arrow: bool,
    /// Part of the drawing kept free of features: `[left, top, right, bottom]` px of
    /// `width`×`height` that other content covers (a slide's card); the map fits the rest.
    pub reserved: [f64; 4],
}

/// The map of the notice's area as an `<svg>` element of `width`×`height` user units.
pub fn map_svg(notice: &Notice, width: f64, height: f64, opts: &MapOptions) -> String {
    let _ = (notice, opts);
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"></svg>"#)
}

/// The 1200×630 picture of the post and of the notice link's preview.
pub fn post_png(notice: &Notice, ctx: &RenderContext) -> Result<Vec<u8>, RenderError> {
    let _ = (notice, ctx);
    Err(RenderError::Failed("post.png is not written yet".into()))
}

/// The poster (A3) or leaflet (A4), one page.
pub fn poster_pdf(notice: &Notice, ctx: &RenderContext, paper: Paper) -> Result<Vec<u8>, RenderError> {
    let _ = (notice, ctx, paper);
    Err(RenderError::Failed("the poster is not written yet".into()))
}
