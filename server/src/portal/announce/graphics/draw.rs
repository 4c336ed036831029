//! What the drawings share: the fonts (loaded from the render context only, measured with
//! FreeType so that text is wrapped and ellipsised before it is drawn), an SVG writer whose
//! text never leaves its box, the number and date formats, and the two back ends (resvg for
//! PNG, svg2pdf for PDF).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use resvg::usvg;

use super::super::{RenderContext, RenderError};

/// The family name of the fonts in [`RenderContext`] (DejaVu Sans).
pub const FAMILY: &str = "DejaVu Sans";

/// Kerning is not measured (FreeType's `kern` table reader misses DejaVu's GPOS pairs);
/// measured widths are widened by this share so that a line measured to fit does fit.
const MEASURE_SLACK: f64 = 1.02;

/// The two faces of the render context, measured with FreeType in font units.
pub struct Fonts {
    regular: freetype::Face,
    bold: freetype::Face,
    advances: RefCell<HashMap<(bool, char), f64>>,
    /// The font files, for the SVG renderers' font database.
    pub data: [Vec<u8>; 2],
}

impl Fonts {
    /// Loads the regular and bold fonts of `ctx`; a missing or unreadable file is
    /// [`RenderError::Missing`].
    pub fn load(ctx: &RenderContext) -> Result<Fonts, RenderError> {
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| {
                RenderError::Missing(format!(
                    "font {} cannot be read ({e}): install Debian's fonts-dejavu-core or give --fonts-dir",
                    p.display()
                ))
            })
        };
        let regular_data = read(&ctx.font_regular)?;
        let bold_data = read(&ctx.font_bold)?;
        let lib =
            freetype::Library::init().map_err(|e| RenderError::Failed(format!("FreeType: {e}")))?;
        let face = |bytes: &[u8], p: &std::path::Path| {
            lib.new_memory_face(bytes.to_vec(), 0).map_err(|e| {
                RenderError::Missing(format!("font {} is not a font ({e})", p.display()))
            })
        };
        Ok(Fonts {
            regular: face(&regular_data, &ctx.font_regular)?,
            bold: face(&bold_data, &ctx.font_bold)?,
            advances: RefCell::new(HashMap::new()),
            data: [regular_data, bold_data],
        })
    }

    /// Advance of `c` in ems.
    fn advance(&self, c: char, bold: bool) -> f64 {
        if let Some(a) = self.advances.borrow().get(&(bold, c)) {
            return *a;
        }
        let face = if bold { &self.bold } else { &self.regular };
        let em = f64::from(face.em_size().max(1));
        let a = match face.load_char(c as usize, freetype::face::LoadFlag::NO_SCALE) {
            // NO_SCALE: the advance is in font units.
            Ok(()) => face.glyph().advance().x as f64 / em,
            Err(_) => 0.6,
        };
        self.advances.borrow_mut().insert((bold, c), a);
        a
    }

    /// Width of `text` at `size`.
    pub fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        text.chars().map(|c| self.advance(c, bold)).sum::<f64>() * size * MEASURE_SLACK
    }

    /// `text` cut to `max_w` with "…" when it is longer.
    pub fn ellipsis(&self, text: &str, size: f64, bold: bool, max_w: f64) -> String {
        if self.width(text, size, bold) <= max_w {
            return text.to_string();
        }
        let ell = self.width("…", size, bold);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.width(&c.to_string(), size, bold);
            if w + cw + ell > max_w {
                break;
            }
            w += cw;
            out.push(c);
        }
        let mut out = out.trim_end().to_string();
        out.push('…');
        out
    }

    /// `text` wrapped at spaces into lines of at most `max_w`, at most `max_lines` of them
    /// (the last one ellipsised when text is left); a word wider than a line (an address)
    /// is broken between characters.
    pub fn wrap(
        &self,
        text: &str,
        size: f64,
        bold: bool,
        max_w: f64,
        max_lines: usize,
    ) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut cur = String::new();
        for word in text.split_whitespace() {
            let candidate = if cur.is_empty() {
                word.to_string()
            } else {
                format!("{cur} {word}")
            };
            if self.width(&candidate, size, bold) <= max_w {
                cur = candidate;
                continue;
            }
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            // The word alone: broken between characters when it is too wide.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if self.width(&piece, size, bold) > max_w && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            cur = piece;
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        if lines.len() > max_lines {
            let rest = lines[max_lines.saturating_sub(1)..].join(" ");
            lines.truncate(max_lines.saturating_sub(1));
            if max_lines > 0 {
                // Forced past the width, then ellipsised back into it.
                let mut last = rest;
                last.push_str(" …");
                lines.push(self.ellipsis(&last, size, bold, max_w));
            }
        }
        lines
    }
}

/// Escapes text and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // Control characters are not XML.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// `#rrggbb` when `c` is one, else a neutral grey (the record's colours come from the
/// code table, but a record is data).
pub fn colour(c: &str) -> &str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|h| h.is_ascii_hexdigit());
    if ok {
        c
    } else {
        "#CCCCCC"
    }
}

/// Horizontal anchor of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// An SVG document being written, with the fonts that measure its text.
pub struct Canvas<'f> {
    pub fonts: &'f Fonts,
    pub body: String,
}

impl<'f> Canvas<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Canvas {
            fonts,
            body: String::new(),
        }
    }

    /// One line of text at baseline `y`, ellipsised into `max_w`.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        fill: &str,
        anchor: Anchor,
        max_w: f64,
        s: &str,
    ) {
        let s = self.fonts.ellipsis(s, size, bold, max_w);
        let a = match anchor {
            Anchor::Start => "",
            Anchor::Middle => r#" text-anchor="middle""#,
            Anchor::End => r#" text-anchor="end""#,
        };
        let w = if bold { r#" font-weight="bold""# } else { "" };
        let _ = write!(
            self.body,
            r#"<text x="{x:.2}" y="{y:.2}" font-size="{size:.2}"{w}{a} fill="{fill}">{}</text>"#,
            esc(&s)
        );
    }

    /// Wrapped text from the top `y` (first baseline `y + size`), at most `max_lines`
    /// lines of `lh` each; returns the height used.
    #[allow(clippy::too_many_arguments)]
    pub fn para(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        fill: &str,
        anchor: Anchor,
        max_w: f64,
        max_lines: usize,
        lh: f64,
        s: &str,
    ) -> f64 {
        let lines = self.fonts.wrap(s, size, bold, max_w, max_lines);
        for (i, l) in lines.iter().enumerate() {
            self.text(
                x,
                y + size + i as f64 * lh,
                size,
                bold,
                fill,
                anchor,
                max_w,
                l,
            );
        }
        lines.len() as f64 * lh
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{:.2}" height="{:.2}" {attrs}/>"#,
            w.max(0.0),
            h.max(0.0)
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) {
        let _ = write!(
            self.body,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" {attrs}/>"#
        );
    }

    pub fn raw(&mut self, s: &str) {
        self.body.push_str(s);
    }

    /// The whole document, `w`×`h` user units.
    pub fn finish(self, w: f64, h: f64) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FAMILY}">{}</svg>"#,
            self.body
        )
    }
}

/// A QR code of `text` as a `<path>` of its dark modules at (`x`, `y`), `size` wide with
/// its quiet zone (white); `None` when `text` is longer than a QR code holds.
pub fn qr(text: &str, x: f64, y: f64, size: f64) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let n = code.width();
    let quiet = 4;
    let m = size / (n + 2 * quiet) as f64;
    let colors = code.to_colors();
    let mut d = String::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let _ = write!(d, "M{} {}h1v1h-1z", i % n + quiet, i / n + quiet);
        }
    }
    Some(format!(
        r##"<rect x="{x:.2}" y="{y:.2}" width="{size:.2}" height="{size:.2}" fill="#fff"/><path transform="translate({x:.3} {y:.3}) scale({m:.5})" fill="#000" shape-rendering="crispEdges" d="{d}"/>"##
    ))
}

/// The usvg tree of `svg`, with the render context's fonts and no others.
pub fn tree(svg: &str, fonts: &Fonts) -> Result<usvg::Tree, RenderError> {
    let mut db = usvg::fontdb::Database::new();
    for data in &fonts.data {
        db.load_font_data(data.clone());
    }
    db.set_sans_serif_family(FAMILY);
    let opts = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: Arc::new(db),
        languages: vec!["vi".into(), "en".into()],
        ..Default::default()
    };
    usvg::Tree::from_str(svg, &opts)
        .map_err(|e| RenderError::Failed(format!("drawing could not be read back: {e}")))
}

/// `svg` as a PNG of its own size.
pub fn png(svg: &str, fonts: &Fonts) -> Result<Vec<u8>, RenderError> {
    let tree = tree(svg, fonts)?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| RenderError::Failed("empty picture".into()))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RenderError::Failed(format!("PNG: {e}")))
}

/// `svg` (user units are points) as a one-page PDF of its size, text embedded as text.
pub fn pdf(svg: &str, fonts: &Fonts) -> Result<Vec<u8>, RenderError> {
    let tree = tree(svg, fonts)?;
    let conv = svg2pdf::ConversionOptions {
        embed_text: true,
        ..Default::default()
    };
    svg2pdf::to_pdf(&tree, conv, svg2pdf::PageOptions { dpi: 72.0 })
        .map_err(|e| RenderError::Failed(format!("PDF: {e}")))
}

/// Vietnamese number: `,` before decimals, `.` between thousands.
pub fn num(v: f64, decimals: usize) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let neg = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "−"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{neg}{grouped},{f}"),
        None => format!("{neg}{grouped}"),
    }
}

/// An area for people: hectares from 1 ha ("1,12 ha"), else square metres ("7.243 m²").
pub fn area(m2: f64) -> String {
    if m2.abs() >= 10_000.0 {
        let ha = m2 / 10_000.0;
        format!("{} ha", num(ha, if ha.abs() < 10.0 { 2 } else { 1 }))
    } else {
        format!("{} m²", num(m2, 0))
    }
}

/// The year, month and day of `YYYY-MM-DD` (digits only).
fn ymd_parts(ymd: &str) -> Option<(&str, &str, &str)> {
    let p: Vec<&str> = ymd.split('-').collect();
    (p.len() == 3 && p.iter().all(|s| s.chars().all(|c| c.is_ascii_digit())))
        .then(|| (p[0], p[1], p[2]))
}

/// `YYYY-MM-DD` as `dd/mm/yyyy` (as written in Vietnam); other text unchanged.
pub fn date(ymd: &str) -> String {
    ymd_parts(ymd).map_or_else(|| ymd.to_string(), |(y, m, d)| format!("{d}/{m}/{y}"))
}

/// "ngày 02 tháng 12 năm 2026" for `YYYY-MM-DD`.
pub fn date_words(ymd: &str) -> String {
    ymd_parts(ymd).map_or_else(
        || ymd.to_string(),
        |(y, m, d)| format!("ngày {d} tháng {m} năm {y}"),
    )
}

/// The portal's address as printed: without the scheme and a trailing slash.
pub fn short_url(url: &str) -> String {
    url.trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_areas_read_the_vietnamese_way() {
        assert_eq!(num(1234567.891, 2), "1.234.567,89");
        assert_eq!(num(999.0, 0), "999");
        assert_eq!(num(-1000.0, 0), "−1.000");
        assert_eq!(num(-0.001, 1), "0,0");
        assert_eq!(area(7243.2), "7.243 m²");
        assert_eq!(area(11172.9), "1,12 ha");
        assert_eq!(area(150_340.0), "15,0 ha");
        assert_eq!(date("2026-12-31"), "31/12/2026");
        assert_eq!(date("soon"), "soon");
        assert_eq!(date_words("2026-12-02"), "ngày 02 tháng 12 năm 2026");
        assert_eq!(
            short_url("https://quyhoach.kiengiang.gov.vn/"),
            "quyhoach.kiengiang.gov.vn"
        );
        assert_eq!(colour("#FFAA32"), "#FFAA32");
        assert_eq!(colour("red\" onload=\"x"), "#CCCCCC");
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn a_qr_code_is_square_and_quiet() {
        let q = qr("https://example.vn/#map=16/9.9/105.1", 10.0, 20.0, 100.0).unwrap();
        assert!(q.contains(r#"width="100.00" height="100.00""#));
        assert!(q.contains("h1v1h-1z"));
        assert!(qr(&"x".repeat(10_000), 0.0, 0.0, 10.0).is_none());
    }
}
