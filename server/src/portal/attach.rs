//! Attachments to questions and comments: one photo (JPEG, PNG) or one PDF, checked like
//! every other untrusted file before anything keeps it.
//!
//! - **Type by content.** The kind is sniffed from the magic bytes; the name and the
//!   declared type are never trusted (an HTML page named `photo.jpg` is refused, 415).
//! - **Photos are decoded and re-encoded.** Decoded by the `image` crate within
//!   [`MAX_PIXELS`] and [`MAX_DECODE_ALLOC`] (the header's dimensions are checked before
//!   any pixel buffer is allocated, so a "pixel bomb" costs nothing), turned upright by
//!   their EXIF orientation, scaled to at most [`MAX_SIDE`] pixels on the longest side,
//!   and written afresh (JPEG quality [`JPEG_QUALITY`], or PNG). What comes out holds the
//!   pixels only: EXIF (a phone's GPS position and device), comments and anything appended
//!   after the image's end are gone.
//! - **PDFs are scanned for active content** and refused (422, saying what was found) if
//!   they hold any of [`ACTIVE_PDF_NAMES`] — names are read with their `#xx` escapes
//!   decoded (`/J#61vaScript` is `/JavaScript`), in the file and inside every
//!   FlateDecode stream (object streams included), inflated within [`MAX_INFLATED`] in
//!   all. Encrypted PDFs (`/Encrypt`) cannot be checked and are refused; so is an object
//!   stream compressed with a filter other than FlateDecode.
//! - **File names** are kept for display only, sanitised ([`safe_filename`]).

use std::io::{Cursor, Read};

/// Largest attachment accepted, bytes: a phone photo is 2–5 MB; a scanned page as PDF
/// well under that.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// Most pixels a photo may have (40 megapixels: more than any phone camera); checked from
/// the header before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Most memory the decoder may allocate.
pub const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// Longest side of a stored photo, pixels (enough to read a notice or a sign).
pub const MAX_SIDE: u32 = 2560;
/// JPEG quality of re-encoded photos.
pub const JPEG_QUALITY: u8 = 85;
/// Most bytes inflated from a PDF's streams in all (a PDF of 5 MB rarely holds more
/// than a few times that; a deflate bomb stops here).
pub const MAX_INFLATED: usize = 20 * 1024 * 1024;
/// Most streams looked at in one PDF.
pub const MAX_PDF_STREAMS: usize = 20_000;
/// Longest file name kept (for display).
pub const MAX_FILENAME_CHARS: usize = 100;

/// PDF names that start actions, run scripts, embed files or fetch content: a PDF holding
/// any of them is refused.
pub const ACTIVE_PDF_NAMES: &[&str] = &[
    "JavaScript",
    "JS",
    "Launch",
    "OpenAction",
    "AA",
    "EmbeddedFile",
    "EmbeddedFiles",
    "RichMedia",
    "XFA",
    "SubmitForm",
    "ImportData",
    "GoToR",
    "GoToE",
];

/// The kinds of file taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JPEG photo.
    Jpeg,
    /// A PNG image.
    Png,
    /// A PDF document.
    Pdf,
}

impl Kind {
    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Pdf => "application/pdf",
        }
    }
    /// Its file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Pdf => "pdf",
        }
    }
}

/// Why an attachment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    /// 413: over [`MAX_ATTACHMENT_BYTES`].
    #[error("{0}")]
    TooLarge(String),
    /// 415: not a JPEG, PNG or PDF (by its content).
    #[error("{0}")]
    Unsupported(String),
    /// 422: the right type, but refused: undecodable, too many pixels, active content,
    /// encrypted.
    #[error("{0}")]
    Refused(String),
}

/// A checked attachment, ready to store.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What it is.
    pub kind: Kind,
    /// The bytes to keep (re-encoded for photos; as sent for PDFs).
    pub bytes: Vec<u8>,
    /// A safe name for display.
    pub filename: String,
}

/// The kind of a file by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.") {
        Some(Kind::Pdf)
    } else {
        None
    }
}

/// Checks an attachment: sniffs it, re-encodes photos, scans PDFs.
pub fn check(bytes: &[u8], filename: Option<&str>) -> Result<Checked, AttachError> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachError::TooLarge(format!(
            "the attachment has {} bytes; at most {MAX_ATTACHMENT_BYTES} (5 MB)",
            bytes.len()
        )));
    }
    if bytes.is_empty() {
        return Err(AttachError::Unsupported(
            "the attachment is empty; send a JPEG or PNG photo or a PDF".into(),
        ));
    }
    let kind = sniff(bytes).ok_or_else(|| {
        AttachError::Unsupported(
            "the attachment is not a JPEG or PNG photo or a PDF (judged by its content, \
             not its name); only those are taken"
                .into(),
        )
    })?;
    let out = match kind {
        Kind::Jpeg | Kind::Png => reencode(bytes, kind)?,
        Kind::Pdf => {
            check_pdf(bytes)?;
            bytes.to_vec()
        }
    };
    Ok(Checked {
        kind,
        bytes: out,
        filename: safe_filename(filename.unwrap_or(""), kind),
    })
}

/// Decodes a photo within the limits and writes it afresh (see the module's doc).
pub fn reencode(bytes: &[u8], kind: Kind) -> Result<Vec<u8>, AttachError> {
    use image::{ImageDecoder, ImageFormat, ImageReader};
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Pdf => return Err(AttachError::Unsupported("a PDF is not a photo".into())),
    };
    let bad = |e: image::ImageError| {
        AttachError::Refused(format!(
            "the {} could not be read as an image: {e}",
            kind.extension().to_uppercase()
        ))
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    limits.max_image_width = Some(65_535);
    limits.max_image_height = Some(65_535);
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(AttachError::Refused(format!(
            "the image is {w} × {h} pixels; at most {} megapixels are taken",
            MAX_PIXELS / 1_000_000
        )));
    }
    if w == 0 || h == 0 {
        return Err(AttachError::Refused("the image has no pixels".into()));
    }
    decoder.set_limits(limits).map_err(bad)?;
    let orientation = decoder.orientation().ok();
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(bad)?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    if img.width().max(img.height()) > MAX_SIDE {
        img = img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle);
    }
    let mut out = Vec::new();
    match kind {
        Kind::Jpeg => {
            let rgb = img.to_rgb8();
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            rgb.write_with_encoder(enc).map_err(bad)?;
        }
        _ => {
            img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(bad)?;
        }
    }
    Ok(out)
}

fn is_pdf_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    ) || is_pdf_space(b)
}

fn is_pdf_space(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Every name (`/Name`) in `bytes`, with `#xx` escapes decoded (ISO 32000-1 §7.3.5).
pub fn pdf_names(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        i += 1;
        let mut name = Vec::new();
        while i < bytes.len() && !is_pdf_delimiter(bytes[i]) {
            if bytes[i] == b'#' {
                if let (Some(a), Some(b)) = (
                    bytes.get(i + 1).copied().and_then(hex_val),
                    bytes.get(i + 2).copied().and_then(hex_val),
                ) {
                    name.push(a * 16 + b);
                    i += 3;
                    continue;
                }
            }
            name.push(bytes[i]);
            i += 1;
        }
        if !name.is_empty() && name.len() <= 127 {
            out.push(name);
        }
    }
    out
}

/// The first active-content or encryption name in `bytes`, if any.
fn forbidden_name(bytes: &[u8]) -> Option<String> {
    for n in pdf_names(bytes) {
        if n == b"Encrypt" {
            return Some("Encrypt".into());
        }
        if ACTIVE_PDF_NAMES
            .iter()
            .any(|a| a.as_bytes() == n.as_slice())
        {
            return Some(String::from_utf8_lossy(&n).into_owned());
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from >= hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn refused_name(name: &str) -> AttachError {
    if name == "Encrypt" {
        AttachError::Refused(
            "the PDF is encrypted, so it cannot be checked for active content; send it \
             without a password or encryption"
                .into(),
        )
    } else {
        AttachError::Refused(format!(
            "the PDF holds active content (/{name}: scripts, actions, embedded files or \
             forms are not taken); print it to a new PDF or send a photo of the page"
        ))
    }
}

/// Checks a PDF for active content and encryption (see the module's doc).
pub fn check_pdf(bytes: &[u8]) -> Result<(), AttachError> {
    if !(bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.")) {
        return Err(AttachError::Unsupported(
            "not a PDF: it must start with %PDF-1. or %PDF-2.".into(),
        ));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachError::TooLarge(format!(
            "the PDF has {} bytes; at most {MAX_ATTACHMENT_BYTES}",
            bytes.len()
        )));
    }
    if let Some(n) = forbidden_name(bytes) {
        return Err(refused_name(&n));
    }
    // Every stream: inflate FlateDecode ones and scan what comes out.
    let mut budget = MAX_INFLATED;
    let mut pos = 0;
    let mut streams = 0;
    while let Some(s) = find(bytes, b"stream", pos) {
        pos = s + 6;
        // `endstream` also contains `stream`.
        if s >= 3 && &bytes[s - 3..s] == b"end" {
            continue;
        }
        streams += 1;
        if streams > MAX_PDF_STREAMS {
            return Err(AttachError::Refused(format!(
                "the PDF has more than {MAX_PDF_STREAMS} streams; it cannot be checked"
            )));
        }
        // The data starts after the end of line that follows the keyword.
        let mut start = pos;
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(bytes, b"endstream", start).unwrap_or(bytes.len());
        // The stream's dictionary: from the object's start (or 4 KB back) to the keyword.
        let dict_from = s.saturating_sub(4096);
        let head = &bytes[dict_from..s];
        let head = match head.windows(3).rposition(|w| w == b"obj") {
            Some(last) => &head[last..],
            None => head,
        };
        let names = pdf_names(head);
        let has = |n: &[u8]| names.iter().any(|x| x.as_slice() == n);
        let filters: Vec<&Vec<u8>> = names
            .iter()
            .filter(|n| {
                n.ends_with(b"Decode")
                    || matches!(
                        n.as_slice(),
                        b"AHx" | b"A85" | b"LZW" | b"Fl" | b"RL" | b"CCF" | b"DCT"
                    )
            })
            .collect();
        let flate = filters
            .iter()
            .all(|n| n.as_slice() == b"FlateDecode" || n.as_slice() == b"Fl")
            && !filters.is_empty();
        let data = &bytes[start.min(end)..end];
        if flate {
            let mut inflated = Vec::new();
            let mut z = flate2::read::ZlibDecoder::new(data).take(budget as u64 + 1);
            let ok = z.read_to_end(&mut inflated).is_ok();
            if inflated.len() > budget {
                return Err(AttachError::Refused(format!(
                    "the PDF's compressed streams inflate to more than {} MB; it cannot be checked",
                    MAX_INFLATED / (1024 * 1024)
                )));
            }
            budget -= inflated.len();
            if !ok && has(b"ObjStm") {
                return Err(AttachError::Refused(
                    "an object stream of the PDF cannot be decompressed, so it cannot be checked"
                        .into(),
                ));
            }
            if let Some(n) = forbidden_name(&inflated) {
                return Err(refused_name(&n));
            }
        } else if has(b"ObjStm") && !filters.is_empty() {
            return Err(AttachError::Refused(
                "the PDF has an object stream compressed with a filter other than \
                 FlateDecode, so it cannot be checked; save it again (e.g. print to PDF)"
                    .into(),
            ));
        }
        pos = end.max(pos);
    }
    Ok(())
}

/// A file name safe to show: the last path part, letters, digits, `.`, `-`, `_` and
/// spaces only (others become `_`), at most [`MAX_FILENAME_CHARS`], ending with the
/// kind's extension.
pub fn safe_filename(name: &str, kind: Kind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = match base.rsplit_once('.') {
        Some((s, _)) => s,
        None => base,
    };
    let mut out = String::new();
    for c in stem.chars() {
        let keep = c.is_alphanumeric() || matches!(c, '-' | '_' | ' ');
        let c = if keep && !c.is_control() { c } else { '_' };
        if out.chars().count() >= MAX_FILENAME_CHARS - 5 {
            break;
        }
        out.push(c);
    }
    let out = out.trim().trim_start_matches('_').to_string();
    let stem = if out.is_empty() { "attachment" } else { &out };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_are_decoded() {
        let n = pdf_names(b"<< /J#61vaScript (x) /S/Go#54oR >>");
        assert_eq!(n[0], b"JavaScript");
        assert_eq!(n[1], b"S");
        assert_eq!(n[2], b"GoToR");
    }

    #[test]
    fn filenames_are_safe() {
        assert_eq!(
            safe_filename("../../etc/pass<wd>.jpg", Kind::Jpeg),
            "pass_wd_.jpg"
        );
        assert_eq!(safe_filename("", Kind::Pdf), "attachment.pdf");
        assert_eq!(
            safe_filename("ảnh thửa đất.PNG", Kind::Png),
            "ảnh thửa đất.png"
        );
        assert!(safe_filename(&"a".repeat(500), Kind::Pdf).chars().count() <= MAX_FILENAME_CHARS);
    }

    #[test]
    fn junk_is_refused_without_panic() {
        for b in [
            &b""[..],
            b"%PDF-1.",
            b"%PDF-1.4 stream",
            b"%PDF-1.4 /ObjStm /FlateDecode stream\r\n\x78",
            b"\xff\xd8\xff",
            b"\x89PNG\r\n\x1a\n",
        ] {
            let _ = check(b, Some("x"));
        }
        assert!(matches!(
            check(b"<html>", Some("a.jpg")),
            Err(AttachError::Unsupported(_))
        ));
    }
}
