//! Announcements: one plan notice, every channel the provinces use.
//!
//! A planning office chooses a plan and an area (a commune, or the plan's whole extent) and
//! the portal builds one [`Notice`] record from the loaded store ([`notice::build`]): the
//! plan and its approving document, the zones in the area with their areas (the real site
//! report of the area's boundary), what changes against the binding plan of the same level,
//! the red lines, the consultation window, and the links. Every output is written from that
//! record, and from nothing else:
//!
//! | file | module | what |
//! |---|---|---|
//! | `slides.html` | [`slides`] | bulletin-board slides for the commune's public screen |
//! | `post.txt`, `page.html`, Atom entry | [`text`] | Zalo/Facebook post, the commune website's fragment |
//! | `post.png`, `poster-a3.pdf`, `leaflet-a4.pdf` | [`graphics`] | picture and print, one SVG drawing each |
//! | `notice.txt`, `notice.ogg`, `notice.mp3` | [`audio`] | the words spoken (normalised) and the audio for loudspeakers |
//!
//! The CLI (`quyhoach announce`) writes them into a directory ([`write_all`]); the portal
//! stores the record (`notice` table) and serves the same files per notice
//! ([`super::notices`]).

pub mod audio;
pub mod cli;
pub mod graphics;
pub mod notice;
pub mod slides;
pub mod text;

use std::path::{Path, PathBuf};

use geo_types::{MultiLineString, MultiPolygon};
use serde::{Deserialize, Serialize};

/// Why the notice is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A plan approved (công bố quy hoạch được phê duyệt).
    Approved,
    /// An adjustment approved (công bố điều chỉnh quy hoạch).
    Adjusted,
    /// A draft put to consultation (lấy ý kiến về dự thảo).
    Consultation,
}

impl NoticeKind {
    /// The identifier used in files, URLs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Approved => "approved",
            NoticeKind::Adjusted => "adjusted",
            NoticeKind::Consultation => "consultation",
        }
    }

    /// From [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(NoticeKind::Approved),
            "adjusted" => Some(NoticeKind::Adjusted),
            "consultation" => Some(NoticeKind::Consultation),
            _ => None,
        }
    }

    /// Title of the notice, Vietnamese ("Thông báo công bố quy hoạch").
    pub fn title_vi(self) -> &'static str {
        match self {
            NoticeKind::Approved => "Thông báo công bố quy hoạch",
            NoticeKind::Adjusted => "Thông báo công bố điều chỉnh quy hoạch",
            NoticeKind::Consultation => "Thông báo lấy ý kiến về dự thảo quy hoạch",
        }
    }

    /// Title of the notice, English.
    pub fn title_en(self) -> &'static str {
        match self {
            NoticeKind::Approved => "Notice of an approved plan",
            NoticeKind::Adjusted => "Notice of an approved plan adjustment",
            NoticeKind::Consultation => "Consultation on a draft plan",
        }
    }
}

/// The plan a notice is about, as the record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticePlan {
    pub id: String,
    /// Full name ("Quy hoạch phân khu tỷ lệ 1/2000 khu đô thị mới Vĩnh Thanh").
    pub name: String,
    /// Level, in words ("Quy hoạch phân khu tỷ lệ 1/2000"; English "Zoning plan 1:2000").
    pub level_vi: String,
    pub level_en: String,
    /// `in_force`, `adjusted`, `expired`, `draft`.
    pub status: String,
    pub status_vi: String,
    pub status_en: String,
    /// Whether it binds (in force); a draft does not.
    pub binding: bool,
    /// The document's number as written ("2341/QĐ-UBND"; a draft's "85/TTr-UBND").
    pub document_number: String,
    /// Its kind read from the number ("Quyết định", "Tờ trình"; English "Decision", "Submission").
    pub document_kind_vi: String,
    pub document_kind_en: String,
    /// Signed, `YYYY-MM-DD`.
    pub document_date: String,
    /// "UBND tỉnh Kiên Giang"; English "Kien Giang Provincial People's Committee".
    pub authority_vi: String,
    pub authority_en: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub document_url: Option<String>,
}

/// The area announced: a commune, or the plan's whole extent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeArea {
    /// The commune's code; `None`: the plan's whole extent.
    pub commune: Option<String>,
    /// "xã Vĩnh Thanh" (with its level word) or the plan's extent ("khu vực quy hoạch").
    pub name_vi: String,
    pub name_en: String,
    /// The commune's boundary (WGS 84); `None` for the plan's extent.
    pub boundary: Option<MultiPolygon<f64>>,
    /// What the maps show, WGS 84 `[w, s, e, n]`: the plan's zones in the area, with a margin.
    pub bbox: [f64; 4],
    /// Area of the commune (or of the plan's zones), m², metric CRS of the store.
    pub area_m2: f64,
}

/// A planned zone in the area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeZone {
    /// The zone's own id in the plan ("C1", "OTM-03").
    pub zone_id: Option<String>,
    pub name: Option<String>,
    /// Planned land-use code and its names and colour (from the code table).
    pub landuse: String,
    pub landuse_vi: String,
    pub landuse_en: String,
    /// `#rrggbb`.
    pub color: String,
    /// Its area inside the announced area, m².
    pub area_m2: f64,
    pub density_pct: Option<f64>,
    pub floors_min: Option<i64>,
    pub floors_max: Option<i64>,
    pub far: Option<f64>,
    pub height_m: Option<f64>,
    /// Road corridor (transport land, `DGT`): drawn, never presented on its own slide.
    pub road: bool,
    /// The zone's geometry (whole, not clipped), WGS 84.
    pub geometry: MultiPolygon<f64>,
}

/// Planned land use in the area, summed per code; with the area the binding plan of the
/// same level gave the code in the same place (an adjustment's "what changes").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandUseTotal {
    pub landuse: String,
    pub landuse_vi: String,
    pub landuse_en: String,
    pub color: String,
    /// In this plan, m².
    pub area_m2: f64,
    /// Share of the plan's zones in the area, %.
    pub pct: f64,
    /// In the plan it changes, over the same ground, m²; `None` when nothing is changed
    /// (no binding plan of the same level there).
    pub before_m2: Option<f64>,
}

/// A red line (planned road boundary) in the area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeRedline {
    pub road_name: Option<String>,
    pub width_m: Option<f64>,
    /// WGS 84.
    pub geometry: MultiLineString<f64>,
}

/// When and where people can comment (consultations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeConsultation {
    /// First and last day, `YYYY-MM-DD` (Vietnam time).
    pub opens: String,
    pub closes: String,
}

/// Links printed, spoken and encoded in QR codes; all absolute (the portal's public URL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeLinks {
    /// The portal's address ("https://quyhoach.kiengiang.gov.vn"), said and printed.
    pub portal: String,
    /// The map at the area with the plan shown (QR codes point here).
    pub map: String,
    /// Where to comment on the draft (its consultation), if any.
    pub comment: Option<String>,
    /// The commune's notice page ("thông báo quy hoạch").
    pub notices: String,
    /// The plain-text lookup for basic phones (`/text`).
    pub text_lookup: String,
}

/// Who publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeOffice {
    /// "UBND xã Vĩnh Thanh".
    pub name_vi: String,
    pub name_en: String,
    /// Where people come to see the documents and comment in person, if given.
    pub address: Option<String>,
    pub phone: Option<String>,
}

/// One notice: the record every output is written from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The title, Vietnamese and English ("Thông báo công bố quy hoạch").
    pub title_vi: String,
    pub title_en: String,
    pub plan: NoticePlan,
    pub area: NoticeArea,
    /// The plan's zones in the area, largest first.
    pub zones: Vec<NoticeZone>,
    /// Land use summed per code, largest first.
    pub totals: Vec<LandUseTotal>,
    /// Id and name of the binding plan of the same level the plan changes in the area, if any.
    pub changes_plan: Option<(String, String)>,
    pub redlines: Vec<NoticeRedline>,
    pub consultation: Option<NoticeConsultation>,
    pub links: NoticeLinks,
    pub office: NoticeOffice,
    /// The official's own words, optional ("Nội dung chính"), plain text.
    pub message_vi: Option<String>,
    pub message_en: Option<String>,
    /// Date of the notice, `YYYY-MM-DD`.
    pub date: String,
    /// The store's data version the notice was built from.
    pub data_version: String,
}

/// The files of a notice, in the order the CLI writes and the portal lists them.
pub const FILES: [&str; 9] = [
    "slides.html",
    "post.txt",
    "post.png",
    "poster-a3.pdf",
    "leaflet-a4.pdf",
    "notice.ogg",
    "notice.mp3",
    "notice.txt",
    "page.html",
];

/// What rendering needs besides the record.
#[derive(Debug, Clone)]
pub struct RenderContext {
    /// DejaVu Sans regular and bold (the map's label fonts), drawn into pictures and PDFs.
    pub font_regular: PathBuf,
    pub font_bold: PathBuf,
}

impl RenderContext {
    /// The fonts of `dir` (Debian `fonts-dejavu-core`).
    pub fn from_fonts_dir(dir: &Path) -> Self {
        RenderContext {
            font_regular: dir.join("DejaVuSans.ttf"),
            font_bold: dir.join("DejaVuSans-Bold.ttf"),
        }
    }
}

/// Failure to write an output.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A tool or font the output needs is missing (espeak-ng, opusenc, lame, DejaVu).
    #[error("{0}")]
    Missing(String),
    /// The output could not be made.
    #[error("{0}")]
    Failed(String),
}

/// Renders the file `name` (one of [`FILES`]) of `notice`.
pub fn render(notice: &Notice, name: &str, ctx: &RenderContext) -> Result<Vec<u8>, RenderError> {
    match name {
        "slides.html" => Ok(slides::slides_html(notice).into_bytes()),
        "post.txt" => Ok(text::post_text(notice).into_bytes()),
        "page.html" => Ok(text::page_fragment(notice).into_bytes()),
        "post.png" => graphics::post_png(notice, ctx),
        "poster-a3.pdf" => graphics::poster_pdf(notice, ctx, graphics::Paper::A3),
        "leaflet-a4.pdf" => graphics::poster_pdf(notice, ctx, graphics::Paper::A4),
        "notice.txt" => Ok(audio::spoken_text(notice, "vi").into_bytes()),
        "notice.ogg" => {
            audio::synthesize(&audio::spoken_text(notice, "vi"), "vi", audio::Format::Ogg)
        }
        "notice.mp3" => {
            audio::synthesize(&audio::spoken_text(notice, "vi"), "vi", audio::Format::Mp3)
        }
        other => Err(RenderError::Failed(format!("unknown output {other}"))),
    }
}

/// Content type of each of [`FILES`].
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "pdf" => "application/pdf",
        "ogg" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Writes every output of `notice` (and `notice.json`, the record) into `out`. Every file is
/// rendered first, so a failure writes nothing; then each goes through a temporary file
/// renamed into place. `progress` hears each name as it is rendered.
pub fn write_all(
    notice: &Notice,
    ctx: &RenderContext,
    out: &Path,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut files: Vec<(&str, Vec<u8>)> = vec![("notice.json", serde_json::to_vec_pretty(notice)?)];
    for name in FILES {
        let bytes = render(notice, name, ctx).with_context(|| format!("cannot write {name}"))?;
        progress(name);
        files.push((name, bytes));
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, bytes) in files {
        write_atomic(&out.join(name), &bytes)?;
    }
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    tmp.write_all(bytes)?;
    // Readable as any file the office writes (a temporary file is private: 0600).
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
