//! Notices in the portal: officials publish them (`POST /api/v1/notices`), the public reads
//! them per commune (`/thong-bao/{commune}`, its Atom feed and slide deck), and every output
//! of [`super::announce`] is served per notice.
//!
//! - **Publishing** is one web action: the record is built from the loaded store
//!   ([`announce::notice::build`], the consultation window from the portal's
//!   consultations), every file of [`announce::FILES`] is rendered on the blocking pool
//!   (audio takes seconds), and only then are the notice row, its files and the audit row
//!   written in one transaction: a failed render publishes nothing. A tool missing for a
//!   render (espeak-ng, opusenc, lame, the DejaVu fonts) is a 503 naming it.
//! - **Who.** A commune officer announces to their own communes; a notice over a plan's
//!   whole area needs the planning office or an administrator. Withdrawing follows the same
//!   rule. Both are audited in the same transaction.
//! - **Serving.** Files come from the `notice_file` table (several servers answer the same),
//!   by names from [`announce::FILES`] only. A notice over the plan's whole area is listed
//!   for every commune the plan covers ([`super::consult::plan_communes`]). Withdrawn
//!   notices leave every list and page (410 by their id).
//! - **Pages** (`/thong-bao/…`) are server-rendered HTML without script, Vietnamese with
//!   `?lang=en`, for phones first; a notice's own page carries Open Graph tags whose picture
//!   is its `post.png` (1200×630), so a shared link previews as the post does.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::accounts::{audit, Official, Role};
use super::announce::notice::{build, BuildOptions};
use super::announce::{self, slides, text, Notice, NoticeKind, RenderContext, RenderError};
use super::inbox::{clean_text, parse_json};
use super::sql::{now, vals, Row, SqlError, Tx};
use super::twoway::{esc, state_db, ApiError, ApiResult};
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::params::Params;

/// Notices of one list at most (`limit`).
pub const MAX_LIMIT: i64 = 100;
/// Notices of a list by default.
pub const DEFAULT_LIMIT: i64 = 20;
/// Notices a commune's page and slide deck show (newest first).
pub const PAGE_NOTICES: i64 = 20;
/// Notices cycled by a public screen's deck.
pub const DECK_NOTICES: usize = 10;
/// Notices rendered at once on this server: each render runs the speech synthesiser and
/// two encoders for seconds; more publishers wait their turn.
pub const CONCURRENT_RENDERS: usize = 2;
/// Longest office address and phone number, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Longest phone number, in characters.
pub const MAX_PHONE_CHARS: usize = 40;
/// Whole-area notices read to find a commune's (they are filtered by the plan's communes).
const SCAN_WHOLE_AREA: i64 = 500;
/// Seconds lists and pages may be cached (a new notice shows within a minute).
const LIST_MAX_AGE: &str = "public, max-age=60";
/// Seconds a notice's files may be cached (they never change; a withdrawal ends them).
const FILE_MAX_AGE: &str = "public, max-age=300";
/// What the website fragment (`page.html`) may load when opened here: its picture and
/// inline style, no script. The slides send their own ([`slides::content_security_policy`]).
const FRAGMENT_CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; \
    base-uri 'none'; form-action 'none'";
/// The public pages: no script at all.
const PAGE_CSP: &str = "default-src 'none'; img-src 'self' data:; media-src 'self'; \
    style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

// ---------------------------------------------------------------- names and shapes

/// A commune code as the store writes it (`31150`): 1–16 ASCII letters or digits.
pub fn is_commune_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A plan id as catalogs write them (`qhpk-2000-dc`): 1–64 of `[A-Za-z0-9._-]`.
pub fn is_plan_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A notice's public id: 8–120 of `[a-z0-9-]`.
pub fn is_slug(s: &str) -> bool {
    (8..=120).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The area part of a notice's URLs: the commune's code, or `ke-hoach-<plan>` for a plan's
/// whole area.
pub fn area_segment(plan: &str, commune: Option<&str>) -> String {
    match commune {
        Some(c) => c.to_string(),
        None => format!("ke-hoach-{plan}"),
    }
}

/// An area segment of a URL, checked by shape.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Area {
    Commune(String),
    Plan(String),
}

fn parse_area(s: &str) -> ApiResult<Area> {
    if let Some(plan) = s.strip_prefix("ke-hoach-") {
        if is_plan_id(plan) {
            return Ok(Area::Plan(plan.to_string()));
        }
    } else if is_commune_code(s) {
        return Ok(Area::Commune(s.to_string()));
    }
    Err(ApiError::NotFound(
        "no such area: /thong-bao/<commune code> or /thong-bao/ke-hoach-<plan id>".into(),
    ))
}

/// A new public id: the date, the plan, the area and 6 random hex digits.
fn new_slug(date: &str, plan: &str, commune: Option<&str>) -> String {
    let mut clean = String::new();
    for c in plan.to_ascii_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            clean.push(c);
        } else if !clean.ends_with('-') {
            clean.push('-');
        }
    }
    let clean: String = clean.trim_matches('-').chars().take(40).collect();
    let mut r = [0u8; 3];
    let _ = getrandom::fill(&mut r);
    let area = commune.unwrap_or("toan-bo");
    let area: String = area
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!(
        "{}-{}-{}-{:02x}{:02x}{:02x}",
        date.replace('-', ""),
        clean,
        area,
        r[0],
        r[1],
        r[2]
    )
}

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The address links are built with: `--public-url`, else the request's.
fn base_of(st: &PortalState, headers: &HeaderMap) -> String {
    st.proxies
        .public_url()
        .unwrap_or_else(|| crate::proxy::base_url(headers))
        .trim_end_matches('/')
        .to_string()
}

/// A stored notice.
#[derive(Debug, Clone)]
struct Stored {
    id: i64,
    slug: String,
    plan_id: String,
    commune: Option<String>,
    record: String,
    created_at: i64,
    withdrawn_at: Option<i64>,
}

const COLS: &str = "id, slug, plan_id, commune, record, created_at, withdrawn_at";

fn stored_of(r: &Row) -> Result<Stored, SqlError> {
    Ok(Stored {
        id: r.i64(0)?,
        slug: r.text(1)?,
        plan_id: r.text(2)?,
        commune: r.opt_text(3)?,
        record: r.text(4)?,
        created_at: r.i64(5)?,
        withdrawn_at: r.opt_i64(6)?,
    })
}

impl Stored {
    fn notice(&self) -> ApiResult<Notice> {
        serde_json::from_str(&self.record)
            .map_err(|e| ApiError::Internal(format!("notice {}: stored record: {e}", self.slug)))
    }
    fn area(&self) -> String {
        area_segment(&self.plan_id, self.commune.as_deref())
    }
    fn page_url(&self, base: &str) -> String {
        format!("{base}/thong-bao/{}/{}", self.area(), self.slug)
    }
}

/// A notice as the API gives it: the record every file was written from, without its
/// geometries, and its public id, page, time and files.
#[derive(Serialize, JsonSchema)]
pub struct NoticeItem {
    /// The notice's record (kind, titles, plan, area, zones, land-use totals, red lines,
    /// consultation, links, office, messages, date, data version) without the area's
    /// boundary and the zones' and red lines' geometries.
    #[serde(flatten)]
    pub record: Map<String, Value>,
    /// Its public id (`[a-z0-9-]`).
    pub id: String,
    /// Its public page (`/thong-bao/<area>/<id>`), absolute.
    pub url: String,
    /// When it was published (RFC 3339).
    pub created_at: String,
    /// Each of its files (`slides.html`, `post.txt`, `post.png`, `poster-a3.pdf`,
    /// `leaflet-a4.pdf`, `notice.ogg`, `notice.mp3`, `notice.txt`, `page.html`) by name: its
    /// URL.
    pub files: BTreeMap<&'static str, String>,
    /// When it was withdrawn (RFC 3339); only in an official's list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
}

/// Notices, newest first.
#[derive(Serialize, JsonSchema)]
pub struct NoticeList {
    /// The notices.
    pub notices: Vec<NoticeItem>,
}

/// The notice as the API gives it: the record without geometries, its id, page, time and
/// files.
fn item(s: &Stored, base: &str) -> ApiResult<NoticeItem> {
    let mut v: Value = serde_json::from_str(&s.record)
        .map_err(|e| ApiError::Internal(format!("notice {}: stored record: {e}", s.slug)))?;
    if let Some(a) = v.get_mut("area").and_then(Value::as_object_mut) {
        a.remove("boundary");
    }
    for key in ["zones", "redlines"] {
        if let Some(list) = v.get_mut(key).and_then(Value::as_array_mut) {
            for z in list {
                if let Some(o) = z.as_object_mut() {
                    o.remove("geometry");
                }
            }
        }
    }
    let Value::Object(mut record) = v else {
        return Err(ApiError::Internal(format!(
            "notice {}: stored record is not an object",
            s.slug
        )));
    };
    for k in ["id", "url", "created_at", "files", "withdrawn_at"] {
        record.remove(k);
    }
    Ok(NoticeItem {
        record,
        id: s.slug.clone(),
        url: s.page_url(base),
        created_at: rfc3339(s.created_at),
        files: announce::FILES
            .iter()
            .map(|f| (*f, format!("/api/v1/notices/{}/{f}", s.slug)))
            .collect(),
        withdrawn_at: s.withdrawn_at.map(rfc3339),
    })
}

fn with_cache(mut r: Response, cache: &'static str) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

// ---------------------------------------------------------------- reading

fn load_slug(tx: &mut dyn Tx, slug: &str) -> Result<Option<Stored>, SqlError> {
    tx.query_opt(
        &format!("SELECT {COLS} FROM notice WHERE slug = ?"),
        vals![slug],
    )?
    .map(|r| stored_of(&r))
    .transpose()
}

/// A notice by its public id: 404 unknown, 410 withdrawn.
async fn published(st: &PortalState, slug: &str) -> ApiResult<Stored> {
    if !is_slug(slug) {
        return Err(ApiError::NotFound(format!("no notice '{slug}'")));
    }
    let db = state_db(st)?;
    let s = slug.to_string();
    let found = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<_> { Ok(load_slug(tx, &s)?) })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no notice '{slug}'")))?;
    if found.withdrawn_at.is_some() {
        return Err(ApiError::Gone(format!("notice '{slug}' was withdrawn")));
    }
    Ok(found)
}

/// The current notices of an area, newest first: a commune's own and those over the whole
/// area of a plan that covers it; or a plan's whole-area ones.
async fn current(
    st: &PortalState,
    area: &Area,
    plan: Option<String>,
    limit: i64,
) -> ApiResult<Vec<Stored>> {
    let db = state_db(st)?;
    let area2 = area.clone();
    let rows = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Vec<Stored>> {
            let mut sql = format!("SELECT {COLS} FROM notice WHERE withdrawn_at IS NULL");
            let mut params: Vec<super::sql::Value> = Vec::new();
            match &area2 {
                Area::Commune(c) => {
                    sql.push_str(" AND (commune = ? OR commune IS NULL)");
                    params.push(c.as_str().into());
                }
                Area::Plan(p) => {
                    sql.push_str(" AND commune IS NULL AND plan_id = ?");
                    params.push(p.as_str().into());
                }
            }
            if let Some(p) = &plan {
                sql.push_str(" AND plan_id = ?");
                params.push(p.as_str().into());
            }
            sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
            params.push((limit + SCAN_WHOLE_AREA).into());
            tx.query(&sql, &params)?
                .iter()
                .map(|r| stored_of(r).map_err(ApiError::from))
                .collect()
        })
        .await?;
    let Area::Commune(code) = area else {
        return Ok(rows.into_iter().take(limit as usize).collect());
    };
    // Whole-area notices count where their plan covers the commune.
    let ix = st.index.clone();
    let code = code.clone();
    let kept = tokio::task::spawn_blocking(move || {
        let mut covers: std::collections::HashMap<String, bool> = Default::default();
        rows.into_iter()
            .filter(|s| {
                s.commune.is_some()
                    || *covers.entry(s.plan_id.clone()).or_insert_with(|| {
                        super::consult::plan_communes(&*ix, &s.plan_id).contains(&code)
                    })
            })
            .take(limit as usize)
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("notices: {e}")))?;
    Ok(kept)
}

/// The parameters of `GET /api/v1/notices`: a commune's notices, or a plan's whole-area
/// ones.
#[derive(Deserialize, JsonSchema)]
pub struct ListQuery {
    /// A commune's code (letters and digits): its own notices and those over the whole area
    /// of a plan covering it
    #[schemars(length(max = 16))]
    pub commune: Option<String>,
    /// A plan's id: with commune, only that plan's notices; alone, the plan's whole-area
    /// notices
    #[schemars(length(max = 64))]
    pub plan: Option<String>,
    /// Notices at most (20 by default)
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    pub limit: Option<i64>,
}

fn bad_param(e: crate::error::AppError) -> ApiError {
    ApiError::Bad(e.to_string())
}

/// `GET /api/v1/notices?commune=CODE[&plan=ID][&limit=N]`
async fn list(State(st): State<PortalState>, headers: HeaderMap, q: Params) -> ApiResult<Response> {
    let q = q.parse::<ListQuery>().map_err(bad_param)?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let plan = match q.plan.filter(|p| !p.is_empty()) {
        Some(p) if is_plan_id(&p) => Some(p),
        Some(_) => {
            return Err(ApiError::Bad(
                "plan must be a plan id ([A-Za-z0-9._-], at most 64)".into(),
            ))
        }
        None => None,
    };
    let area = match q.commune.filter(|c| !c.is_empty()) {
        Some(c) if is_commune_code(&c) => Area::Commune(c),
        Some(_) => {
            return Err(ApiError::Bad(
                "commune must be a commune code (letters and digits, at most 16), e.g. 31150"
                    .into(),
            ))
        }
        None => match &plan {
            Some(p) => Area::Plan(p.clone()),
            None => return Err(ApiError::Bad(
                "give commune=CODE (a commune's notices) or plan=ID (a plan's whole-area notices)"
                    .into(),
            )),
        },
    };
    let plan = if matches!(area, Area::Plan(_)) {
        None
    } else {
        plan
    };
    let rows = current(&st, &area, plan, limit).await?;
    let base = base_of(&st, &headers);
    let notices = rows
        .iter()
        .map(|s| item(s, &base))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(with_cache(
        Json(NoticeList { notices }).into_response(),
        LIST_MAX_AGE,
    ))
}

/// `GET /api/v1/notices/{id}`
async fn one(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let s = published(&st, &slug).await?;
    let v = item(&s, &base_of(&st, &headers))?;
    Ok(with_cache(Json(v).into_response(), LIST_MAX_AGE))
}

/// `GET /api/v1/notices/{id}/{file}`: one of [`announce::FILES`].
async fn file(
    State(st): State<PortalState>,
    Path((slug, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let Some(name) = announce::FILES.iter().find(|f| **f == name) else {
        return Err(ApiError::NotFound(format!(
            "a notice's files are {}",
            announce::FILES.join(", ")
        )));
    };
    let s = published(&st, &slug).await?;
    let db = state_db(&st)?;
    let id = s.id;
    let (ctype, bytes) = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<(String, Vec<u8>)> {
            let r = tx
                .query_opt(
                    "SELECT content_type, bytes FROM notice_file WHERE notice_id = ? AND name = ?",
                    vals![id, *name],
                )?
                .ok_or_else(|| ApiError::NotFound(format!("no file {name}")))?;
            Ok((r.text(0)?, r.blob(1)?))
        })
        .await?;
    Ok(file_response(bytes, &ctype, name, &s.slug))
}

fn file_response(bytes: Vec<u8>, ctype: &str, name: &str, slug: &str) -> Response {
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ctype)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(FILE_MAX_AGE),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let csp = match name {
        // The options `slides::slides_html` renders the file with.
        "slides.html" => Some(slides::content_security_policy(&slides::DeckOptions {
            interval_s: 12,
            reload_s: None,
            ..Default::default()
        })),
        "page.html" => Some(FRAGMENT_CSP.to_string()),
        _ => None,
    };
    if let Some(v) = csp.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if name.ends_with(".pdf") || name.ends_with(".mp3") || name.ends_with(".ogg") {
        // Downloads keep a useful name; browsers still show PDFs and play audio inline.
        if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{slug}-{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

// ---------------------------------------------------------------- publishing

/// A notice to publish (`POST /api/v1/notices`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// The plan announced (its id).
    #[schemars(length(min = 1, max = 64))]
    plan: String,
    /// The commune announced to (its code); omit for the plan's whole area.
    #[serde(default)]
    #[schemars(length(max = 16))]
    commune: Option<String>,
    /// `approved`, `adjusted` or `consultation`; by default from the plan's status and
    /// consultation.
    #[serde(default)]
    #[schemars(extend("enum" = ["approved", "adjusted", "consultation", null]))]
    kind: Option<String>,
    /// The official's own words, in Vietnamese.
    #[serde(default)]
    #[schemars(length(max = announce::cli::MAX_MESSAGE_CHARS))]
    message_vi: Option<String>,
    /// The official's own words, in English.
    #[serde(default)]
    #[schemars(length(max = announce::cli::MAX_MESSAGE_CHARS))]
    message_en: Option<String>,
    /// Where people come to see the documents and comment in person.
    #[serde(default)]
    #[schemars(length(max = MAX_ADDRESS_CHARS))]
    office_address: Option<String>,
    /// The office's phone number.
    #[serde(default)]
    #[schemars(length(max = MAX_PHONE_CHARS))]
    office_phone: Option<String>,
}

fn renders() -> &'static tokio::sync::Semaphore {
    static S: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    S.get_or_init(|| tokio::sync::Semaphore::new(CONCURRENT_RENDERS))
}

fn optional_line(v: Option<String>, what: &str, max: usize) -> ApiResult<Option<String>> {
    match v.filter(|s| !s.trim().is_empty()) {
        Some(s) => clean_text(&s, what, 1, max, true).map(Some),
        None => Ok(None),
    }
}

fn render_context(st: &PortalState) -> RenderContext {
    let dir = std::path::Path::new(crate::glyphs::DEFAULT_FONTS_DIR);
    RenderContext {
        font_regular: st
            .glyphs
            .font_file(crate::glyphs::FONT_REGULAR)
            .unwrap_or_else(|| dir.join("DejaVuSans.ttf")),
        font_bold: st
            .glyphs
            .font_file(crate::glyphs::FONT_BOLD)
            .unwrap_or_else(|| dir.join("DejaVuSans-Bold.ttf")),
    }
}

/// A rendered file: its name (one of [`announce::FILES`]) and bytes.
pub type NamedFile = (&'static str, Vec<u8>);

/// Every file of `notice`, the post and the fragment with the notice's own addresses.
pub fn render_files(
    notice: &Notice,
    ctx: &RenderContext,
    page: &str,
    files_base: &str,
) -> Result<Vec<NamedFile>, (&'static str, RenderError)> {
    let mut out = Vec::with_capacity(announce::FILES.len());
    for name in announce::FILES {
        let bytes = match name {
            "post.txt" => text::post_text_at(notice, page).into_bytes(),
            "page.html" => {
                text::page_fragment_at(notice, &format!("{files_base}/post.png"), page).into_bytes()
            }
            _ => announce::render(notice, name, ctx).map_err(|e| (name, e))?,
        };
        out.push((name, bytes));
    }
    Ok(out)
}

/// `POST /api/v1/notices`
async fn publish(
    State(st): State<PortalState>,
    headers: HeaderMap,
    who: Official,
    body: Bytes,
) -> ApiResult<Response> {
    let b: PublishBody = parse_json(
        &body,
        r#"{"plan": "qhpk-2000-dc", "commune": "31150", "message_vi": "…"}"#,
    )?;
    let plan = b.plan.trim().to_string();
    if !is_plan_id(&plan) {
        return Err(ApiError::Bad(
            "plan must be a plan id ([A-Za-z0-9._-], at most 64), e.g. qhpk-2000-dc".into(),
        ));
    }
    let commune = match b
        .commune
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
    {
        Some(c) if is_commune_code(&c) => Some(c),
        Some(_) => {
            return Err(ApiError::Bad(
                "commune must be a commune code (letters and digits, at most 16), e.g. 31150"
                    .into(),
            ))
        }
        None => None,
    };
    let kind = match b.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(NoticeKind::parse(k).ok_or_else(|| {
            ApiError::Bad("kind must be approved, adjusted or consultation".into())
        })?),
        None => None,
    };
    let message_vi =
        announce::cli::clean_message(b.message_vi.as_deref()).map_err(ApiError::Bad)?;
    let message_en =
        announce::cli::clean_message(b.message_en.as_deref()).map_err(ApiError::Bad)?;
    let office_address = optional_line(b.office_address, "office address", MAX_ADDRESS_CHARS)?;
    let office_phone = optional_line(b.office_phone, "office phone", MAX_PHONE_CHARS)?;
    match &commune {
        Some(c) if !who.may_act_on(Some(c)) => {
            return Err(ApiError::Forbidden(format!(
                "this account announces for its own communes ({}), not {c}",
                who.communes.join(", ")
            )))
        }
        None if who.role < Role::PlanningOffice => {
            return Err(ApiError::Forbidden(
                "a notice over a plan's whole area needs the planning office or an administrator; \
                 choose one of your communes"
                    .into(),
            ))
        }
        _ => {}
    }
    if !st.index.catalog().plans.contains_key(&plan) {
        return Err(ApiError::NotFound(format!("no plan '{plan}' in the data")));
    }
    let db = state_db(&st)?;
    let (p2, c2) = (plan.clone(), commune.clone());
    let window = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<_> {
            Ok(announce::cli::portal_window(tx, &p2, c2.as_deref())?)
        })
        .await?;
    let base = base_of(&st, &headers);
    let today = super::consult::day_of(now());
    let opts = BuildOptions {
        plan: plan.clone(),
        commune: commune.clone(),
        kind,
        consultation: window.as_ref().map(|w| w.1.clone()),
        consultation_id: window.as_ref().map(|w| w.0),
        public_url: base.clone(),
        office_address,
        office_phone,
        message_vi,
        message_en,
        date: today.clone(),
        data_version: st.etag.to_string(),
    };
    let slug = new_slug(&today, &plan, commune.as_deref());
    let area = area_segment(&plan, commune.as_deref());
    let page = format!("{base}/thong-bao/{area}/{slug}");
    let files_base = format!("{base}/api/v1/notices/{slug}");
    let ctx = render_context(&st);
    let ix = st.index.clone();
    let _permit = renders()
        .acquire()
        .await
        .map_err(|_| ApiError::Unavailable("the server is stopping".into()))?;
    let (notice, files) = {
        let (page, area_url) = (page.clone(), format!("{base}/thong-bao/{area}"));
        tokio::task::spawn_blocking(move || -> ApiResult<_> {
            let mut notice = build(&*ix, &opts).map_err(|e| match e {
                quyhoach_data::planning::QueryError::NotFound(m) => ApiError::NotFound(m),
                quyhoach_data::planning::QueryError::BadRequest(m) => ApiError::Unprocessable(m),
                e => ApiError::Internal(format!("notice: {e}")),
            })?;
            // The area's page: a whole-area notice has one per plan.
            notice.links.notices = area_url;
            let files =
                render_files(&notice, &ctx, &page, &files_base).map_err(|(name, e)| match e {
                    RenderError::Missing(m) => ApiError::Unavailable(format!(
                        "{name} cannot be made on this server: {m}. Install it (Debian: \
                         espeak-ng, opus-tools, lame, fonts-dejavu-core) and publish again; \
                         nothing was published."
                    )),
                    RenderError::Failed(m) => ApiError::Internal(format!("rendering {name}: {m}")),
                })?;
            Ok((notice, files))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("notice render: {e}")))??
    };
    let record = serde_json::to_string(&notice)
        .map_err(|e| ApiError::Internal(format!("notice record: {e}")))?;
    let kind_s = notice.kind.as_str();
    let data_version = notice.data_version.clone();
    let detail = format!(
        "{slug}: {} — {}",
        notice.plan.id,
        commune.as_deref().unwrap_or("whole area")
    );
    let (slug2, plan2, commune2) = (slug.clone(), plan.clone(), commune.clone());
    let stored = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Stored> {
            let at = now();
            let id = tx.query_i64(
                "INSERT INTO notice (slug, plan_id, commune, kind, record, created_by, created_at, data_version) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                vals![slug2.as_str(), plan2.as_str(), commune2.clone(), kind_s, record.as_str(), who.id, at, data_version],
            )?;
            for (name, bytes) in files {
                tx.exec(
                    "INSERT INTO notice_file (notice_id, name, content_type, bytes) VALUES (?, ?, ?, ?)",
                    vals![id, name, announce::content_type(name), bytes],
                )?;
            }
            audit(tx, &who, "notice_publish", "notice", Some(id), &detail)?;
            Ok(Stored {
                id,
                slug: slug2,
                plan_id: plan2,
                commune: commune2,
                record,
                created_at: at,
                withdrawn_at: None,
            })
        })
        .await?;
    let v = item(&stored, &base)?;
    let mut r = (StatusCode::CREATED, Json(v)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/notices/{}", stored.slug)) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

/// `POST /api/v1/notices/{id}/withdraw`
async fn withdraw(
    State(st): State<PortalState>,
    headers: HeaderMap,
    who: Official,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    if !is_slug(&slug) {
        return Err(ApiError::NotFound(format!("no notice '{slug}'")));
    }
    let db = state_db(&st)?;
    let s = slug.clone();
    let stored = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Stored> {
            let mut n = load_slug(tx, &s)?
                .ok_or_else(|| ApiError::NotFound(format!("no notice '{s}'")))?;
            if !who.may_act_on(n.commune.as_deref()) {
                return Err(ApiError::Forbidden(match &n.commune {
                    Some(c) => format!("notice '{s}' is commune {c}'s; this account cannot withdraw it"),
                    None => format!(
                        "notice '{s}' covers a plan's whole area: the planning office or an administrator withdraws it"
                    ),
                }));
            }
            if n.withdrawn_at.is_none() {
                let at = now();
                tx.exec(
                    "UPDATE notice SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                    vals![at, n.id],
                )?;
                audit(tx, &who, "notice_withdraw", "notice", Some(n.id), &s)?;
                n.withdrawn_at = Some(at);
            }
            Ok(n)
        })
        .await?;
    let v = item(&stored, &base_of(&st, &headers))?;
    Ok(with_cache(Json(v).into_response(), "no-store"))
}

/// `GET /api/v1/official/notices`: the notices this official may withdraw, newest first,
/// withdrawn ones too.
async fn mine(
    State(st): State<PortalState>,
    headers: HeaderMap,
    who: Official,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    let w = who.clone();
    let rows = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Vec<Stored>> {
            let mut sql = format!("SELECT {COLS} FROM notice");
            let mut params: Vec<super::sql::Value> = Vec::new();
            if w.role < Role::PlanningOffice {
                if w.communes.is_empty() {
                    return Ok(Vec::new());
                }
                sql.push_str(&format!(
                    " WHERE commune IN ({})",
                    vec!["?"; w.communes.len()].join(", ")
                ));
                params.extend(w.communes.iter().map(|c| c.as_str().into()));
            }
            sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT 50");
            tx.query(&sql, &params)?
                .iter()
                .map(|r| stored_of(r).map_err(ApiError::from))
                .collect()
        })
        .await?;
    let base = base_of(&st, &headers);
    let notices = rows
        .iter()
        .map(|s| item(s, &base))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(with_cache(
        Json(NoticeList { notices }).into_response(),
        "no-store",
    ))
}

// ---------------------------------------------------------------- public pages

/// The parameters of the public pages (`/thong-bao/…`). Others are ignored: a shared
/// link keeps working whatever a messenger adds to it (`fbclid`).
#[derive(Deserialize, JsonSchema, Default)]
pub struct PageQuery {
    /// `en` for English; anything else Vietnamese
    #[schemars(extend("enum" = ["vi", "en"]))]
    pub lang: Option<String>,
    /// slides.html: seconds each slide shows (12 by default)
    #[schemars(range(min = slides::INTERVAL_RANGE.0, max = slides::INTERVAL_RANGE.1))]
    pub interval: Option<u32>,
}

/// The parameter of an area's page (`/thong-bao/{area}`). Others are ignored, as for
/// [`PageQuery`].
#[derive(Deserialize, JsonSchema, Default)]
pub struct LangQuery {
    /// `en` for English; anything else Vietnamese
    #[schemars(extend("enum" = ["vi", "en"]))]
    pub lang: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Vi,
    En,
}

fn lang_of(lang: Option<&str>) -> Lang {
    match lang {
        Some("en") => Lang::En,
        _ => Lang::Vi,
    }
}

/// An area's name and whether it exists: a commune of the store, a plan of the catalog.
async fn area_name(st: &PortalState, area: &Area) -> ApiResult<(String, String)> {
    match area {
        Area::Plan(p) => {
            let plan = st
                .index
                .catalog()
                .plans
                .get(p)
                .ok_or_else(|| ApiError::NotFound(format!("no plan '{p}' in the data")))?;
            Ok((
                format!("khu vực {}", plan.name),
                format!("the area of {}", plan.name),
            ))
        }
        Area::Commune(c) => {
            let ix = st.index.clone();
            let c = c.clone();
            let s = tokio::task::spawn_blocking(move || {
                super::alerts::resolve_subject(&*ix, "commune", &c)
            })
            .await
            .map_err(|e| ApiError::Internal(format!("notices: {e}")))?
            .map_err(|e| match e {
                ApiError::Bad(m) => ApiError::NotFound(m),
                e => e,
            })?;
            Ok((s.label.clone(), s.label))
        }
    }
}

const PAGE_STYLE: &str = "body{font:17px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}\
header,main,footer{max-width:48rem;margin:auto;padding:0 1rem}\
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;justify-content:space-between;align-items:center;padding-top:.5rem;padding-bottom:.5rem;border-bottom:1px solid #ccc}\
a{color:#0b4f9c}\
h1{font-size:1.4rem;line-height:1.3}\
h2{font-size:1.2rem;line-height:1.3;margin-bottom:.25rem}\
.notice{border-top:3px solid #0b4f9c;padding:.5rem 0 1.25rem}\
.meta{color:#444;margin:.25rem 0}\
.draft{background:#fff4cc;border:1px solid #a67c00;padding:.25rem .5rem;display:inline-block}\
img.pic{width:100%;height:auto;border:1px solid #ccc}\
ul.files{padding-left:1.2rem}ul.files li{margin:.35rem 0}\
audio{width:100%;margin:.5rem 0}\
.tools{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem}\
footer{border-top:1px solid #ccc;margin-top:2rem;padding-top:.5rem;padding-bottom:2rem;color:#444;font-size:.95rem}";

struct PageText {
    site: &'static str,
    heading: &'static str,
    none: &'static str,
    open: &'static str,
    slides: &'static str,
    poster: &'static str,
    leaflet: &'static str,
    picture: &'static str,
    post: &'static str,
    spoken: &'static str,
    fragment: &'static str,
    audio: &'static str,
    feed: &'static str,
    screen: &'static str,
    all: &'static str,
    comment: &'static str,
    dates: &'static str,
    published: &'static str,
    draft: &'static str,
    files: &'static str,
    map: &'static str,
    other_lang: &'static str,
    other_code: &'static str,
    footer: &'static str,
}

const VI: PageText = PageText {
    site: "Cổng thông tin quy hoạch",
    heading: "Thông báo quy hoạch",
    none: "Hiện chưa có thông báo quy hoạch nào ở đây.",
    open: "Xem thông báo",
    slides: "Trình chiếu (bảng tin, màn hình công cộng)",
    poster: "Áp phích A3 (PDF)",
    leaflet: "Tờ rơi A4 (PDF)",
    picture: "Ảnh đăng mạng xã hội (PNG)",
    post: "Bài đăng Zalo/Facebook (văn bản)",
    spoken: "Lời đọc trên loa truyền thanh (văn bản)",
    fragment: "Đoạn HTML cho trang thông tin điện tử của xã",
    audio: "Bản ghi âm cho loa truyền thanh",
    feed: "Theo dõi (Atom)",
    screen: "Trình chiếu tất cả thông báo",
    all: "Tất cả thông báo của",
    comment: "Gửi góp ý",
    dates: "Thời gian góp ý",
    published: "Đăng ngày",
    draft: "Dự thảo — chưa có giá trị pháp lý",
    files: "Tệp của thông báo",
    map: "Xem trên bản đồ",
    other_lang: "English",
    other_code: "en",
    footer: "Thông báo do cơ quan nhà nước đăng trên cổng thông tin quy hoạch. Tra cứu thửa đất: ",
};

const EN: PageText = PageText {
    site: "Planning portal",
    heading: "Planning notices",
    none: "There are no planning notices here yet.",
    open: "Open the notice",
    slides: "Slides (bulletin board, public screen)",
    poster: "A3 poster (PDF)",
    leaflet: "A4 leaflet (PDF)",
    picture: "Social media picture (PNG)",
    post: "Zalo/Facebook post (text)",
    spoken: "Words read on the loudspeakers (text)",
    fragment: "HTML fragment for the commune's website",
    audio: "Recording for the loudspeakers",
    feed: "Follow (Atom)",
    screen: "Slides of every notice",
    all: "All notices of",
    comment: "Comment",
    dates: "Comments open",
    published: "Published",
    draft: "Draft — no legal force",
    files: "The notice's files",
    map: "See on the map",
    other_lang: "Tiếng Việt",
    other_code: "vi",
    footer: "Notices published by the authorities on the planning portal. Look up a parcel: ",
};

fn page_shell(
    lang: Lang,
    title: &str,
    head_extra: &str,
    other_lang_href: &str,
    body: &str,
    base: &str,
) -> String {
    let t = if lang == Lang::En { &EN } else { &VI };
    let code = if lang == Lang::En { "en" } else { "vi" };
    format!(
        "<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"icon\" href=\"data:,\">{head_extra}<style>{PAGE_STYLE}</style></head>\n<body>\
         <header><a href=\"/\">{}</a><a href=\"{}\" lang=\"{}\" hreflang=\"{}\">{}</a></header>\n\
         <main>{body}</main>\n<footer><p>{}<a href=\"{base}/text\">{base}/text</a></p></footer>\
         </body></html>\n",
        esc(title),
        esc(t.site),
        esc(other_lang_href),
        t.other_code,
        t.other_code,
        esc(t.other_lang),
        esc(t.footer),
    )
}

fn html_response(body: String, cache: &'static str) -> Response {
    let mut r = (StatusCode::OK, axum::response::Html(body)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// One notice as a section of a page: title, plan, dates, the picture, the audio and every
/// file. `heading`: h2 on lists, none on the notice's own page.
fn notice_section(s: &Stored, n: &Notice, lang: Lang, base: &str, linked_title: bool) -> String {
    let t = if lang == Lang::En { &EN } else { &VI };
    let files = format!("/api/v1/notices/{}", s.slug);
    let (title, area) = match lang {
        Lang::En => (&n.title_en, &n.area.name_en),
        Lang::Vi => (&n.title_vi, &n.area.name_vi),
    };
    let page = s.page_url(base);
    let hl = if lang == Lang::En { "?lang=en" } else { "" };
    let mut o = String::new();
    o.push_str(&format!(
        "<article class=\"notice\" id=\"{}\">",
        esc(&s.slug)
    ));
    if linked_title {
        o.push_str(&format!(
            "<h2><a href=\"{}{hl}\">{} — {}</a></h2>",
            esc(&page),
            esc(title),
            esc(area)
        ));
    }
    o.push_str(&format!(
        "<p class=\"meta\"><strong lang=\"vi\">{}</strong></p>",
        esc(&n.plan.name)
    ));
    let doc = match lang {
        Lang::Vi => text::document_vi(n),
        Lang::En => format!(
            "{} {} ({})",
            n.plan.document_kind_en,
            n.plan.document_number,
            text::date_vi(&n.plan.document_date)
        ),
    };
    o.push_str(&format!("<p class=\"meta\">{}</p>", esc(&doc)));
    if !n.plan.binding {
        o.push_str(&format!("<p class=\"draft\">{}</p>", esc(t.draft)));
    }
    if let (Some(c), NoticeKind::Consultation) = (&n.consultation, n.kind) {
        let dates = match lang {
            Lang::Vi => format!(
                "{}: từ {} đến hết {}",
                t.dates,
                text::date_vi(&c.opens),
                text::date_vi(&c.closes)
            ),
            Lang::En => format!(
                "{}: {} to {}",
                t.dates,
                text::date_vi(&c.opens),
                text::date_vi(&c.closes)
            ),
        };
        o.push_str(&format!("<p class=\"meta\">{}", esc(&dates)));
        if let Some(link) = &n.links.comment {
            o.push_str(&format!(
                " · <a href=\"{}\">{}</a>",
                esc(link),
                esc(t.comment)
            ));
        }
        o.push_str("</p>");
    }
    o.push_str(&format!(
        "<p class=\"meta\">{} {}</p>",
        esc(t.published),
        esc(&text::date_vi(&n.date))
    ));
    let alt = match lang {
        Lang::Vi => format!(
            "{} — {}: bản đồ các ô quy hoạch",
            n.title_vi, n.area.name_vi
        ),
        Lang::En => format!(
            "{} — {}: map of the planned zones",
            n.title_en, n.area.name_en
        ),
    };
    o.push_str(&format!(
        "<img class=\"pic\" src=\"{files}/post.png\" width=\"1200\" height=\"630\" alt=\"{}\" loading=\"lazy\">",
        esc(&alt)
    ));
    o.push_str(&format!(
        "<p><strong>{}</strong></p><audio controls preload=\"none\" src=\"{files}/notice.mp3\" aria-label=\"{}\"><a href=\"{files}/notice.mp3\">{}</a></audio>",
        esc(t.audio),
        esc(t.audio),
        esc(t.audio)
    ));
    let file_links = [
        ("slides.html", t.slides),
        ("poster-a3.pdf", t.poster),
        ("leaflet-a4.pdf", t.leaflet),
        ("post.png", t.picture),
        ("post.txt", t.post),
        ("notice.txt", t.spoken),
        ("notice.mp3", "MP3"),
        ("notice.ogg", "Ogg Opus"),
        ("page.html", t.fragment),
    ];
    // Under the notice's h2 on a list; under the page's h1 on the notice's own page.
    let h = if linked_title { "h3" } else { "h2" };
    o.push_str(&format!("<{h}>{}</{h}><ul class=\"files\">", esc(t.files)));
    for (f, label) in file_links {
        o.push_str(&format!(
            "<li><a href=\"{files}/{f}\">{}</a></li>",
            esc(label)
        ));
    }
    o.push_str(&format!(
        "<li><a href=\"{}\">{}</a></li>",
        esc(&n.links.map),
        esc(t.map)
    ));
    o.push_str("</ul>");
    if linked_title {
        o.push_str(&format!(
            "<p><a href=\"{}{hl}\">{} »</a></p>",
            esc(&page),
            esc(t.open)
        ));
    }
    o.push_str("</article>");
    o
}

/// `GET /thong-bao/{area}`: the area's current notices.
async fn area_page(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path(area_s): Path<String>,
    q: Result<Query<LangQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let lang = lang_of(q.lang.as_deref());
    let area = parse_area(&area_s)?;
    let (name_vi, name_en) = area_name(&st, &area).await?;
    let rows = current(&st, &area, None, PAGE_NOTICES).await?;
    let base = base_of(&st, &headers);
    let t = if lang == Lang::En { &EN } else { &VI };
    let name = if lang == Lang::En { &name_en } else { &name_vi };
    let title = format!("{} — {name}", t.heading);
    let mut body = format!("<h1>{}</h1>", esc(&title));
    let self_path = format!("/thong-bao/{area_s}");
    body.push_str(&format!(
        "<p class=\"tools\"><a href=\"{self_path}/slides.html{}\">{}</a><a href=\"{self_path}/feed.atom\">{}</a></p>",
        if lang == Lang::En { "?lang=en" } else { "" },
        esc(t.screen),
        esc(t.feed)
    ));
    if rows.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(t.none)));
    }
    for s in &rows {
        let n = s.notice()?;
        body.push_str(&notice_section(s, &n, lang, &base, true));
    }
    let other = match lang {
        Lang::Vi => format!("{self_path}?lang=en"),
        Lang::En => self_path.clone(),
    };
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"{base}{self_path}/feed.atom\">",
        esc(&title)
    );
    Ok(html_response(
        page_shell(lang, &title, &head, &other, &body, &base),
        LIST_MAX_AGE,
    ))
}

/// `GET /thong-bao/{area}/{item}`: a notice's page, `feed.atom` or `slides.html`.
async fn area_item(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path((area_s, item_s)): Path<(String, String)>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let area = parse_area(&area_s)?;
    match item_s.as_str() {
        "feed.atom" => feed(&st, &headers, &area, &area_s).await,
        "slides.html" => deck(&st, &headers, &area, &q).await,
        slug => notice_page(&st, &headers, &area_s, slug, lang_of(q.lang.as_deref())).await,
    }
}

async fn notice_page(
    st: &PortalState,
    headers: &HeaderMap,
    area_s: &str,
    slug: &str,
    lang: Lang,
) -> ApiResult<Response> {
    let s = published(st, slug).await?;
    if s.area() != area_s {
        return Err(ApiError::NotFound(format!(
            "notice '{slug}' is not in {area_s}"
        )));
    }
    let n = s.notice()?;
    let base = base_of(st, headers);
    let t = if lang == Lang::En { &EN } else { &VI };
    let page = s.page_url(&base);
    let (title, area) = match lang {
        Lang::En => (&n.title_en, &n.area.name_en),
        Lang::Vi => (&n.title_vi, &n.area.name_vi),
    };
    let title = format!("{title} — {area}");
    let post = text::post_text_at(&n, &page);
    let description: String = post
        .lines()
        .skip(1)
        .take(3)
        .collect::<Vec<_>>()
        .join(" · ")
        .chars()
        .take(300)
        .collect();
    let og_title = text::first_line(&n);
    let og_title = og_title.trim_start_matches("📢").trim();
    let image = format!("{base}/api/v1/notices/{}/post.png", s.slug);
    let head = format!(
        "<meta name=\"description\" content=\"{d}\">\
         <meta property=\"og:type\" content=\"article\">\
         <meta property=\"og:site_name\" content=\"{site}\">\
         <meta property=\"og:locale\" content=\"vi_VN\">\
         <meta property=\"og:title\" content=\"{ot}\">\
         <meta property=\"og:description\" content=\"{d}\">\
         <meta property=\"og:url\" content=\"{u}\">\
         <meta property=\"og:image\" content=\"{i}\">\
         <meta property=\"og:image:type\" content=\"image/png\">\
         <meta property=\"og:image:width\" content=\"1200\">\
         <meta property=\"og:image:height\" content=\"630\">\
         <meta property=\"og:image:alt\" content=\"{ot}\">\
         <meta name=\"twitter:card\" content=\"summary_large_image\">\
         <link rel=\"canonical\" href=\"{u}\">\
         <link rel=\"alternate\" type=\"application/atom+xml\" href=\"{base}/thong-bao/{a}/feed.atom\">",
        d = esc(&description),
        site = esc(VI.site),
        ot = esc(og_title),
        u = esc(&page),
        i = esc(&image),
        a = esc(area_s),
    );
    let mut body = format!("<h1>{}</h1>", esc(&title));
    body.push_str(&notice_section(&s, &n, lang, &base, false));
    if let Some(m) = match lang {
        Lang::En => n.message_en.as_deref().or(n.message_vi.as_deref()),
        Lang::Vi => n.message_vi.as_deref(),
    } {
        for para in m.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            body.push_str(&format!("<p>{}</p>", esc(para).replace('\n', "<br>")));
        }
    }
    body.push_str(&format!(
        "<p><a href=\"/thong-bao/{}{}\">{} {}</a></p>",
        esc(area_s),
        if lang == Lang::En { "?lang=en" } else { "" },
        esc(t.all),
        esc(area)
    ));
    let other = match lang {
        Lang::Vi => format!("/thong-bao/{area_s}/{slug}?lang=en"),
        Lang::En => format!("/thong-bao/{area_s}/{slug}"),
    };
    Ok(html_response(
        page_shell(lang, &title, &head, &other, &body, &base),
        LIST_MAX_AGE,
    ))
}

async fn feed(
    st: &PortalState,
    headers: &HeaderMap,
    area: &Area,
    area_s: &str,
) -> ApiResult<Response> {
    let (name_vi, _) = area_name(st, area).await?;
    let rows = current(st, area, None, PAGE_NOTICES).await?;
    let base = base_of(st, headers);
    let updated = rows.first().map_or(0, |s| s.created_at);
    let host = base.split("://").nth(1).unwrap_or("localhost");
    let host = host.split(':').next().unwrap_or("localhost");
    let mut o = String::with_capacity(4096);
    o.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    o.push_str(&format!(
        "  <id>tag:{},2025:thong-bao/{}</id>\n",
        esc(host),
        esc(area_s)
    ));
    o.push_str(&format!(
        "  <title>{}</title>\n",
        esc(&format!("Thông báo quy hoạch — {name_vi}"))
    ));
    o.push_str(&format!("  <updated>{}</updated>\n", rfc3339(updated)));
    o.push_str("  <author><name>Cổng thông tin quy hoạch</name></author>\n");
    o.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/thong-bao/{}/feed.atom\"/>\n",
        esc(area_s)
    ));
    o.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{base}/thong-bao/{}\"/>\n",
        esc(area_s)
    ));
    for s in &rows {
        let n = s.notice()?;
        for line in text::atom_entry(&n, &s.page_url(&base), &rfc3339(s.created_at)).lines() {
            // Inside the feed the entry takes the feed's namespace.
            let line = line.replace(
                "<entry xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">",
                "<entry>",
            );
            o.push_str("  ");
            o.push_str(&line);
            o.push('\n');
        }
    }
    o.push_str("</feed>\n");
    let mut r = (StatusCode::OK, o).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(LIST_MAX_AGE),
    );
    Ok(r)
}

/// A public screen's deck reloads this often (at the end of a round) to pick up new notices.
const DECK_RELOAD_S: u32 = 300;

async fn deck(
    st: &PortalState,
    headers: &HeaderMap,
    area: &Area,
    q: &PageQuery,
) -> ApiResult<Response> {
    let lang = lang_of(q.lang.as_deref());
    let interval = q.interval.unwrap_or(12);
    let (lo, hi) = slides::INTERVAL_RANGE;
    if !(lo..=hi).contains(&interval) {
        return Err(ApiError::Bad(format!(
            "interval must be {lo} to {hi} seconds"
        )));
    }
    let (name_vi, name_en) = area_name(st, area).await?;
    let rows = current(st, area, None, DECK_NOTICES as i64).await?;
    let portal = base_of(st, headers);
    // A deck draws every notice's maps: the same notices, language, interval and address
    // are drawn once, whoever asks (screens reload it every few minutes, and anyone may).
    let key = format!(
        "{}|{}|{interval}|{portal}|{}",
        area_segment_of(area),
        if lang == Lang::En { "en" } else { "vi" },
        rows.iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    if let Some((html, csp)) = decks().get(&key) {
        return Ok(deck_response(html.as_str(), &csp));
    }
    let notices = rows
        .iter()
        .map(Stored::notice)
        .collect::<ApiResult<Vec<_>>>()?;
    let heading = match lang {
        Lang::Vi => format!("Thông báo quy hoạch — {name_vi}"),
        Lang::En => format!("Planning notices — {name_en}"),
    };
    let opts = slides::DeckOptions {
        interval_s: interval,
        lang: if lang == Lang::En { "en" } else { "vi" }.into(),
        heading,
        reload_s: Some(DECK_RELOAD_S),
        portal: Some(portal),
    };
    let csp = slides::content_security_policy(&opts);
    let permit = renders()
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(format!("deck: {e}")))?;
    let html = tokio::task::spawn_blocking(move || {
        let refs: Vec<&Notice> = notices.iter().collect();
        slides::deck_html(&refs, &opts)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("deck: {e}")))?;
    drop(permit);
    let html = std::sync::Arc::new(html);
    decks().insert(key, (html.clone(), csp.clone()));
    Ok(deck_response(html.as_str(), &csp))
}

/// Decks drawn lately, by notices, language, interval and address: (deck, its CSP, when).
type Decks = std::sync::Mutex<
    std::collections::HashMap<String, (std::sync::Arc<String>, String, std::time::Instant)>,
>;

/// Decks kept at most, and for how long.
const DECKS_KEPT: usize = 64;
const DECK_TTL: std::time::Duration = std::time::Duration::from_secs(600);

struct DeckCache(Decks);

impl DeckCache {
    fn get(&self, key: &str) -> Option<(std::sync::Arc<String>, String)> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(key)
            .filter(|(_, _, at)| at.elapsed() < DECK_TTL)
            .map(|(h, c, _)| (h.clone(), c.clone()))
    }

    fn insert(&self, key: String, (html, csp): (std::sync::Arc<String>, String)) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= DECKS_KEPT {
            m.retain(|_, (_, _, at)| at.elapsed() < DECK_TTL);
            if m.len() >= DECKS_KEPT {
                m.clear();
            }
        }
        m.insert(key, (html, csp, std::time::Instant::now()));
    }
}

fn decks() -> &'static DeckCache {
    static C: OnceLock<DeckCache> = OnceLock::new();
    C.get_or_init(|| DeckCache(Decks::default()))
}

fn area_segment_of(area: &Area) -> String {
    format!("{area:?}")
}

fn deck_response(html: &str, csp: &str) -> Response {
    let mut r = (StatusCode::OK, axum::response::Html(html.to_string())).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(LIST_MAX_AGE),
    );
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

// ---------------------------------------------------------------- routes

/// The routes of notices.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/notices", &["get", "post"], get(list).post(publish)),
        ("/api/v1/notices/{id}", &["get"], get(one)),
        ("/api/v1/notices/{id}/withdraw", &["post"], post(withdraw)),
        ("/api/v1/notices/{id}/{file}", &["get"], get(file)),
        ("/api/v1/official/notices", &["get"], get(mine)),
        ("/thong-bao/{area}", &["get"], get(area_page)),
        ("/thong-bao/{area}/{item}", &["get"], get(area_item)),
    ]
}

/// Their OpenAPI paths.
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    const TAG: &str = "notices";
    let id = |op: Op| {
        op.path(
            "id",
            "The notice's public id ([a-z0-9-])",
            json!({"type": "string"}),
        )
    };
    let area = |op: Op| {
        op.path(
            "area",
            "A commune's code (31150), or ke-hoach-<plan id> for notices over a plan's whole area",
            json!({"type": "string"}),
        )
    };
    let csrf = |op: Op| op.header("X-CSRF-Token", "The session's CSRF token", true);
    let html = json!({"type": "string"});
    let mut p = Map::new();
    let publish = csrf(Op::new(
        "Publish a notice (officials: a commune officer for their communes; a whole-area notice needs the planning office or an administrator). Renders every file (seconds: audio), then stores the notice, its files and the audit row in one transaction",
        TAG,
    ))
    .body::<PublishBody>(sc, "The notice to publish", true)
    .json::<NoticeItem>(sc, "201", "Published (Location: the notice's API address)")
    .problems(&["400", "401", "403", "404", "413", "422", "500", "503"])
    .done();
    p.insert(
        "/api/v1/notices".into(),
        json!({
            "get": Op::new(
                "Current (published, not withdrawn) notices of a commune — its own and those over the whole area of a plan covering it — or of a plan's whole area, newest first",
                TAG,
            )
            .query::<ListQuery>()
            .json::<NoticeList>(sc, "200", "The notices")
            .problems(&["400", "500", "503"])
            .done(),
            "post": publish,
        }),
    );
    p.insert(
        "/api/v1/notices/{id}".into(),
        json!({"get": id(Op::new("One notice", TAG))
            .json::<NoticeItem>(sc, "200", "The notice")
            .problems(&["404", "410", "500", "503"])
            .done()}),
    );
    p.insert(
        "/api/v1/notices/{id}/withdraw".into(),
        json!({"post": csrf(id(Op::new(
            "Withdraw a notice (officials, as for publishing); it leaves every list and page",
            TAG,
        )))
        .json::<NoticeItem>(sc, "200", "Withdrawn (withdrawn_at given)")
        .problems(&["401", "403", "404", "500", "503"])
        .done()}),
    );
    let mut files = Map::new();
    for f in announce::FILES {
        let media = announce::content_type(f);
        let media = media.split(';').next().unwrap_or(media).trim();
        let schema = if media.starts_with("text/") {
            json!({"type": "string"})
        } else {
            json!({"type": "string", "format": "binary"})
        };
        files.insert(media.to_string(), json!({ "schema": schema }));
    }
    let mut file = id(Op::new(
        "One of the notice's files: slides.html, post.txt, post.png (1200×630), poster-a3.pdf, leaflet-a4.pdf, notice.ogg, notice.mp3, notice.txt, page.html",
        TAG,
    ))
    .path("file", "The file's name", json!({"type": "string", "enum": announce::FILES}))
    .problems(&["404", "410", "500", "503"])
    .done();
    file["responses"]["200"] =
        json!({"description": "The file, with its content type", "content": files});
    p.insert("/api/v1/notices/{id}/{file}".into(), json!({ "get": file }));
    p.insert(
        "/api/v1/official/notices".into(),
        json!({"get": Op::new(
            "The notices this official may withdraw (withdrawn ones too, with withdrawn_at), newest first",
            TAG,
        )
        .json::<NoticeList>(sc, "200", "The notices")
        .problems(&["401", "500", "503"])
        .done()}),
    );
    p.insert(
        "/thong-bao/{area}".into(),
        json!({"get": area(Op::new("The area's public notice page (HTML, no script)", TAG))
            .query::<LangQuery>()
            .media("200", "The page", "text/html", html.clone())
            .problems(&["404", "500", "503"])
            .done()}),
    );
    let mut item = area(Op::new(
        "A notice's page (HTML with Open Graph tags whose image is its post.png), or feed.atom (the area's Atom 1.0 feed), or slides.html (the public screen's deck; ?interval= seconds per slide)",
        TAG,
    ))
    .path("item", "A notice's id, feed.atom or slides.html", json!({"type": "string"}))
    .query::<PageQuery>()
    .media("200", "The page, the feed or the deck", "text/html", html.clone())
    .problems(&["400", "404", "410", "500", "503"])
    .done();
    item["responses"]["200"]["content"]["application/atom+xml"] = json!({ "schema": html });
    p.insert("/thong-bao/{area}/{item}".into(), json!({ "get": item }));
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_are_checked_by_shape() {
        assert!(is_commune_code("31150"));
        assert!(!is_commune_code("../x"));
        assert!(!is_commune_code(""));
        assert_eq!(
            parse_area("ke-hoach-qhpk-2000").unwrap(),
            Area::Plan("qhpk-2000".into())
        );
        assert_eq!(parse_area("31150").unwrap(), Area::Commune("31150".into()));
        assert!(parse_area("ke-hoach-a/b").is_err());
        assert!(parse_area("<x>").is_err());
        let s = new_slug("2025-12-01", "QHPK 2000.dc", Some("31150"));
        assert!(is_slug(&s), "{s}");
        assert!(s.starts_with("20251201-qhpk-2000-dc-31150-"), "{s}");
        assert!(!is_slug("../../etc/passwd"));
    }
}
