//! Glyphs for the map's labels: `/fonts/{fontstack}/{start}-{end}.pbf`, the signed-distance
//! field glyph ranges MapLibre asks for (the `glyphs` URL of the style), rendered from a
//! system font with FreeType by `pbf_font_tools` the first time a range is asked for and
//! cached.
//!
//! The fonts are DejaVu Sans (Debian `fonts-dejavu-core`, installed by `scripts/setup.sh`):
//! it covers every Vietnamese letter, precomposed (U+1EA0–U+1EF9, Ạ…ỹ, and Ă Đ Ĩ Ũ Ơ Ư in
//! Latin Extended-A/B) as well as the combining accents (U+0300–U+0323) that NFD text uses.
//! Serving our own glyphs keeps the map working with no third-party font server, and makes
//! sure no tỉnh, xã or road name is drawn with missing letters.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use pbf_font_tools::prost::Message;
use pbf_font_tools::{Fontstack, Glyph};

use crate::error::{AppError, Result};
use crate::params::Params;

/// Where Debian's `fonts-dejavu-core` puts its fonts; `--fonts-dir` or `QUYHOACH_FONTS_DIR`
/// point elsewhere.
pub const DEFAULT_FONTS_DIR: &str = "/usr/share/fonts/truetype/dejavu";

/// Font stacks served: (name used in styles, file in the fonts directory).
pub const FONTS: &[(&str, &str)] = &[
    ("DejaVu Sans Book", "DejaVuSans.ttf"),
    ("DejaVu Sans Bold", "DejaVuSans-Bold.ttf"),
];

/// The regular font of the style's labels.
pub const FONT_REGULAR: &str = "DejaVu Sans Book";
/// The bold font of the style's labels.
pub const FONT_BOLD: &str = "DejaVu Sans Bold";

/// Glyph ranges rendered and kept at most: 2 fonts × the ranges a Vietnamese map uses
/// (Basic Latin, Latin-1, Extended-A/B, combining marks, Latin Extended Additional,
/// punctuation) is under 20; 64 leaves room for other scripts without letting a client
/// make the server render and keep all 512 ranges (a few MB).
pub const MAX_CACHED_RANGES: u64 = 64;

/// SDF parameters of Mapbox's fontnik, which MapLibre expects: glyphs rendered at 24 px,
/// a 3-px buffer, distances out to 8 px, a quarter of the byte range for the inside.
const SIZE: usize = 24;
const RADIUS: usize = 8;
const BUFFER: usize = 3;
const CUTOFF: f64 = 0.25;

/// The fonts and the cache of rendered ranges.
pub struct Glyphs {
    dir: PathBuf,
    cache: moka::future::Cache<(usize, u32), Bytes>,
}

impl Glyphs {
    /// Glyphs rendered from the fonts in `dir`.
    pub fn new(dir: &FsPath) -> Glyphs {
        for (_, file) in FONTS {
            if !dir.join(file).is_file() {
                tracing::warn!(
                    "font {} is missing: map labels will not render (install fonts-dejavu-core or give --fonts-dir)",
                    dir.join(file).display()
                );
            }
        }
        Glyphs {
            dir: dir.to_path_buf(),
            cache: moka::future::Cache::new(MAX_CACHED_RANGES),
        }
    }

    /// The file of a served font stack (by name in [`FONTS`]); the link preview draws its
    /// caption with it.
    pub fn font_file(&self, name: &str) -> Option<PathBuf> {
        let (_, file) = FONTS.iter().find(|(n, _)| *n == name)?;
        Some(self.dir.join(file))
    }

    /// The PBF of one range of a font (by index in [`FONTS`]).
    pub async fn range(&self, font: usize, start: u32) -> Result<Bytes> {
        let path = self.dir.join(FONTS[font].1);
        let name = FONTS[font].0;
        self.cache
            .try_get_with((font, start), async move {
                tokio::task::spawn_blocking(move || render(&path, name, start))
                    .await
                    .map_err(AppError::from)?
            })
            .await
            .map_err(|e: Arc<AppError>| AppError::Internal(e.to_string()))
    }
}

/// Renders one range the way Mapbox's fontnik does (and `pbf_font_tools`' renderer, which
/// this follows): each glyph's SDF at [`SIZE`] px, metrics relative to the ascender.
fn render(path: &FsPath, name: &str, start: u32) -> Result<Bytes> {
    use freetype::face::LoadFlag;
    let end = start + 255;
    let fail = |e: String| {
        AppError::Internal(format!(
            "rendering glyphs {start}-{end} of {}: {e}",
            path.display()
        ))
    };
    let lib = freetype::Library::init().map_err(|e| fail(e.to_string()))?;
    let face = lib.new_face(path, 0).map_err(|e| fail(e.to_string()))?;
    face.set_char_size(0, (SIZE << 6) as isize, 0, 0)
        .map_err(|e| fail(e.to_string()))?;
    let ascender = face
        .size_metrics()
        .map(|m| (m.ascender >> 6) as i32)
        .ok_or_else(|| fail("no size metrics".into()))?;
    let mut stack = Fontstack {
        name: name.to_string(),
        range: format!("{start}-{end}"),
        glyphs: Vec::new(),
    };
    for code in start..=end {
        // Code points the font lacks are left out, as MapLibre expects.
        let Some(index) = face.get_char_index(code as usize) else {
            continue;
        };
        face.load_glyph(index, LoadFlag::NO_HINTING | LoadFlag::RENDER)
            .map_err(|e| fail(format!("U+{code:04X}: {e}")))?;
        let glyph = face.glyph();
        let bm = glyph.bitmap();
        let (w, h) = (bm.width().max(0) as usize, bm.rows().max(0) as usize);
        // Rows may be padded (pitch > width): keep `width` bytes of each.
        let pitch = bm.pitch().unsigned_abs() as usize;
        let alpha: Vec<u8> = if pitch == w {
            bm.buffer().to_vec()
        } else {
            bm.buffer()
                .chunks(pitch.max(1))
                .take(h)
                .flat_map(|r| r.iter().take(w).copied())
                .collect()
        };
        let sdf = sdf_glyph_renderer::BitmapGlyph::from_unbuffered(&alpha, w, h, BUFFER)
            .map_err(|e| fail(format!("U+{code:04X}: {e}")))?
            .render_sdf(RADIUS);
        let bitmap =
            sdf_glyph_renderer::clamp_to_u8(&sdf, CUTOFF).map_err(|e| fail(e.to_string()))?;
        stack.glyphs.push(Glyph {
            id: code,
            bitmap: Some(bitmap),
            width: w as u32,
            height: h as u32,
            left: glyph.bitmap_left(),
            top: glyph.bitmap_top() - ascender,
            advance: (glyph.metrics().horiAdvance >> 6) as u32,
        });
    }
    let glyphs = pbf_font_tools::Glyphs {
        stacks: vec![stack],
    };
    Ok(Bytes::from(glyphs.encode_to_vec()))
}

/// Parses `{start}-{end}.pbf` of a glyph URL: a range of 256 code points aligned on 256.
pub fn parse_range(file: &str) -> Result<u32> {
    let bad = || {
        AppError::bad(format!(
            "glyph range '{file}' is not of the form START-END.pbf with START a multiple of 256 and END = START + 255, below 65536 (e.g. 0-255.pbf)"
        ))
    };
    let (a, b) = file
        .strip_suffix(".pbf")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let (start, end): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if start % 256 != 0 || end != start + 255 || end > 65_535 {
        return Err(bad());
    }
    Ok(start)
}

/// `GET /fonts/{fontstack}/{start}-{end}.pbf`. A stack of several fonts ("A,B") is served
/// from its first font that we have.
pub async fn glyphs_route(
    State(glyphs): State<Arc<Glyphs>>,
    Path((stack, file)): Path<(String, String)>,
    q: Params,
) -> Result<Response> {
    q.allow(&[])?;
    let start = parse_range(&file)?;
    let font = stack
        .split(',')
        .map(str::trim)
        .find_map(|n| FONTS.iter().position(|(f, _)| *f == n))
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no font in the stack '{stack}'; fonts: {}",
                FONTS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
            ))
        })?;
    let bytes = glyphs.range(font, start).await?;
    let mut r = bytes.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-protobuf"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_strictly() {
        assert_eq!(parse_range("0-255.pbf").unwrap(), 0);
        assert_eq!(parse_range("7680-7935.pbf").unwrap(), 7680);
        for bad in [
            "0-256.pbf",
            "1-256.pbf",
            "0-255",
            "65536-65791.pbf",
            "a-b.pbf",
            "-1-254.pbf",
        ] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }
}
