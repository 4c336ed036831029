//! Questions, data-error reports and comments on draft plans from citizens and businesses;
//! the asker's private link; the public Q&A. See `docs/two-way.md` (section "Questions,
//! error reports and comments") for the routes.
//!
//! - **What it is about, as the person saw it.** A submission names its subject (a parcel,
//!   a drawn site, a plan, or a zone of a plan); the server resolves it in the loaded store
//!   and records the commune, a label, the geometry and `context`: the report's headline
//!   and each plan's verdict and main zones, as the report showed them, with the data
//!   version the person saw (and the server's, when they differ).
//! - **Spam without a captcha.** A signed, time-stamped form token ([`FORM_MIN_SECONDS`]
//!   to [`FORM_MAX_AGE_SECONDS`] old, HMAC-SHA256 with a key shared by every server of the
//!   deployment), a honeypot field (`website`: a filled one gets a 201 that looks real and
//!   stores nothing, so a bot learns nothing), and rate limits per client and for the
//!   whole server, checked in memory before the body is read ([`PER_CLIENT_PER_10MIN`],
//!   [`PER_CLIENT_PER_DAY`], [`global_per_10min`]).
//! - **Bounded and cleaned.** Bodies at most [`MAX_JSON_BYTES`] (JSON) or
//!   [`MAX_MULTIPART_BYTES`] (with an attachment, [`attach`]); text NFC-normalised, control
//!   characters removed (newlines kept), each field bounded.
//! - **Contact details** (name, phone, email; all optional) go to `submission_contact`,
//!   deleted at the end of the retention period by [`sweep`] or at once by the asker; they
//!   appear in no public answer.
//! - **Acknowledged = committed.** The 201 is sent after the transaction committed
//!   (`synchronous=FULL` on SQLite, `synchronous_commit` on PostgreSQL).

#[path = "attach.rs"]
pub mod attach;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Extension;
use hmac::{Hmac, Mac};
use quyhoach_data::lookup::Store;
use quyhoach_data::planning::{Report, Site};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::consult::{self, Window};
use super::sql::{self, fold, like_escape, now, vals, SqlError, StateDb, Tx};
use super::twoway::{self, ApiError, ApiResult};
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::params::{NoParams, Params};

/// A submission sent sooner than this after its form was issued is refused (a person
/// reads the report and types; a bot posts at once).
pub const FORM_MIN_SECONDS: i64 = 3;
/// A form token older than this is refused (the page was left open for a day: reload).
pub const FORM_MAX_AGE_SECONDS: i64 = 24 * 3600;
/// Largest JSON body: a 4,000-character text (12 KB of UTF-8 at most), contact details and
/// a drawn site of up to [`MAX_SITE_VERTICES`] vertices (about 45 bytes each as GeoJSON
/// with full precision: 90 KB) fit within it.
pub const MAX_JSON_BYTES: usize = 192 * 1024;
/// Largest multipart body: the JSON part and one attachment of at most
/// [`attach::MAX_ATTACHMENT_BYTES`], with room for the multipart framing.
pub const MAX_MULTIPART_BYTES: usize = 6 * 1024 * 1024;
/// Longest question, report or comment (as Oracle's planning suite: 4,000 characters).
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest contact name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest phone number (digits, `+` and spaces).
pub const MAX_PHONE_CHARS: usize = 20;
/// Longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest data version (an ETag) recorded.
pub const MAX_DATA_VERSION_CHARS: usize = 100;
/// Most vertices of a drawn site a question may be about (the report API takes more; a
/// question's site is drawn by hand).
pub const MAX_SITE_VERTICES: usize = 2000;
/// Submissions one client (address, or IPv6 /64) may send in 10 minutes.
pub const PER_CLIENT_PER_10MIN: u32 = 5;
/// Submissions one client may send in a day.
pub const PER_CLIENT_PER_DAY: u32 = 30;
/// Submissions the whole server takes in 10 minutes by default, whoever sends them (a
/// distributed flood cannot fill the disk); `QUYHOACH_FEEDBACK_GLOBAL_PER_10MIN` changes it.
pub const DEFAULT_GLOBAL_PER_10MIN: u32 = 600;
/// Clients remembered by the rate limiter at most (about 100 bytes each); when full, old
/// windows are dropped first, and if none can be, new clients wait (429).
pub const MAX_TRACKED_CLIENTS: usize = 100_000;
/// Largest `limit` of the public Q&A.
pub const MAX_QA_LIMIT: i64 = 50;
/// Longest Q&A search text.
pub const MAX_QUERY_CHARS: usize = 200;
/// The salted client key of a submission is cleared after this (it only serves rate
/// limits and abuse tracing in the first days; the salt changes at every restart anyway).
pub const CLIENT_KEEP_SECONDS: i64 = 7 * 24 * 3600;
/// The server's own statement of which kinds and positions exist.
const KINDS: &[&str] = &["question", "error", "comment"];
const POSITIONS: &[&str] = &["support", "object", "other"];

const TEN_MINUTES: i64 = 600;
const DAY: i64 = 86_400;

/// The server-wide cap per 10 minutes: `QUYHOACH_FEEDBACK_GLOBAL_PER_10MIN` (read once),
/// else [`DEFAULT_GLOBAL_PER_10MIN`].
pub fn global_per_10min() -> u32 {
    static V: OnceLock<u32> = OnceLock::new();
    *V.get_or_init(|| {
        std::env::var("QUYHOACH_FEEDBACK_GLOBAL_PER_10MIN")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&v: &u32| v > 0)
            .unwrap_or(DEFAULT_GLOBAL_PER_10MIN)
    })
}

// ---------------------------------------------------------------- per-database state

/// A weak handle to one state database (so tests with many databases in one process, and
/// a server, each get their own form key and rate windows).
enum DbRef {
    Sqlite(Weak<super::db::Db>),
    Postgres(Weak<sql::PgPool>),
}

impl DbRef {
    fn of(db: &StateDb) -> DbRef {
        match db {
            StateDb::Sqlite(a) => DbRef::Sqlite(Arc::downgrade(a)),
            StateDb::Postgres(a) => DbRef::Postgres(Arc::downgrade(a)),
        }
    }
    fn is(&self, db: &StateDb) -> bool {
        match (self, db) {
            (DbRef::Sqlite(w), StateDb::Sqlite(a)) => {
                w.strong_count() > 0 && w.as_ptr() == Arc::as_ptr(a)
            }
            (DbRef::Postgres(w), StateDb::Postgres(a)) => {
                w.strong_count() > 0 && w.as_ptr() == Arc::as_ptr(a)
            }
            _ => false,
        }
    }
    fn alive(&self) -> bool {
        match self {
            DbRef::Sqlite(w) => w.strong_count() > 0,
            DbRef::Postgres(w) => w.strong_count() > 0,
        }
    }
}

#[derive(Default)]
struct ClientWindow {
    short_start: i64,
    short_count: u32,
    day_start: i64,
    day_count: u32,
}

#[derive(Default)]
struct Limiter {
    clients: HashMap<Vec<u8>, ClientWindow>,
    global_start: i64,
    global_count: u32,
}

impl Limiter {
    /// Counts one attempt of `client` at `t`; `Err(seconds to wait)` when over a limit.
    fn hit(&mut self, client: &[u8], t: i64, global_cap: u32) -> Result<(), u64> {
        if t - self.global_start >= TEN_MINUTES {
            self.global_start = t;
            self.global_count = 0;
        }
        if self.global_count >= global_cap {
            return Err((self.global_start + TEN_MINUTES - t).max(1) as u64);
        }
        if !self.clients.contains_key(client) && self.clients.len() >= MAX_TRACKED_CLIENTS {
            self.clients.retain(|_, w| t - w.day_start < DAY);
            if self.clients.len() >= MAX_TRACKED_CLIENTS {
                return Err(TEN_MINUTES as u64);
            }
        }
        let w = self
            .clients
            .entry(client.to_vec())
            .or_insert_with(|| ClientWindow {
                short_start: t,
                day_start: t,
                ..ClientWindow::default()
            });
        if t - w.short_start >= TEN_MINUTES {
            w.short_start = t;
            w.short_count = 0;
        }
        if t - w.day_start >= DAY {
            w.day_start = t;
            w.day_count = 0;
        }
        if w.day_count >= PER_CLIENT_PER_DAY {
            return Err((w.day_start + DAY - t).max(1) as u64);
        }
        if w.short_count >= PER_CLIENT_PER_10MIN {
            return Err((w.short_start + TEN_MINUTES - t).max(1) as u64);
        }
        w.short_count += 1;
        w.day_count += 1;
        self.global_count += 1;
        Ok(())
    }
}

struct PerDb {
    db: DbRef,
    form_key: Option<[u8; 32]>,
    limiter: Limiter,
}

static PER_DB: Mutex<Vec<PerDb>> = Mutex::new(Vec::new());

fn with_per_db<T>(db: &StateDb, f: impl FnOnce(&mut PerDb) -> T) -> T {
    let mut all = PER_DB.lock().unwrap_or_else(|p| p.into_inner());
    all.retain(|p| p.db.alive());
    let i = match all.iter().position(|p| p.db.is(db)) {
        Some(i) => i,
        None => {
            all.push(PerDb {
                db: DbRef::of(db),
                form_key: None,
                limiter: Limiter::default(),
            });
            all.len() - 1
        }
    };
    f(&mut all[i])
}

/// Checks and counts one submission attempt of `client`: 429 with Retry-After when over.
fn rate_check(db: &StateDb, client: &[u8]) -> ApiResult<()> {
    let cap = global_per_10min();
    let t = now();
    with_per_db(db, |p| p.limiter.hit(client, t, cap)).map_err(|secs| {
        ApiError::TooMany(
            format!(
                "too many submissions from here (at most {PER_CLIENT_PER_10MIN} in 10 minutes \
                 and {PER_CLIENT_PER_DAY} a day); try again in {secs} s / bạn gửi quá nhiều, \
                 vui lòng thử lại sau"
            ),
            secs,
        )
    })
}

/// The form key of this database (read once, then cached).
async fn form_key(db: &StateDb) -> ApiResult<[u8; 32]> {
    if let Some(k) = with_per_db(db, |p| p.form_key) {
        return Ok(k);
    }
    let k = db
        .tx(|tx: &mut dyn Tx| twoway::shared_secret(tx, "feedback-form"))
        .await
        .map_err(ApiError::from)?;
    with_per_db(db, |p| p.form_key = Some(k));
    Ok(k)
}

// ---------------------------------------------------------------- form tokens

fn form_mac(key: &[u8; 32], issued: i64, nonce: &str) -> Option<String> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    m.update(format!("feedback-form|v1|{issued}|{nonce}").as_bytes());
    Some(hex(&m.finalize().into_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A new form token issued at `issued`: `v1.<issued>.<nonce>.<hmac>`.
pub fn make_form_token(key: &[u8; 32], issued: i64) -> ApiResult<String> {
    let mut n = [0u8; 16];
    getrandom::fill(&mut n)
        .map_err(|_| ApiError::Internal("the random number generator failed".into()))?;
    let nonce = hex(&n);
    let mac = form_mac(key, issued, &nonce)
        .ok_or_else(|| ApiError::Internal("HMAC key refused".into()))?;
    Ok(format!("v1.{issued}.{nonce}.{mac}"))
}

/// Checks a form token at `t`: 422 saying why when it is missing, forged, too young or
/// too old.
pub fn check_form_token(key: &[u8; 32], token: &str, t: i64) -> ApiResult<()> {
    let bad = |why: &str| {
        ApiError::Unprocessable(format!(
            "{why}; reload the form (GET /api/v1/feedback/form) and send again / biểu mẫu \
             không hợp lệ, vui lòng tải lại"
        ))
    };
    if token.is_empty() {
        return Err(bad("form_token is missing"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [v, issued, nonce, mac] = parts.as_slice() else {
        return Err(bad("form_token is malformed"));
    };
    let issued: i64 = issued.parse().map_err(|_| bad("form_token is malformed"))?;
    if *v != "v1" || nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("form_token is malformed"));
    }
    let want = form_mac(key, issued, nonce).ok_or_else(|| bad("form_token is malformed"))?;
    if !twoway::same_bytes(want.as_bytes(), mac.as_bytes()) {
        return Err(bad("form_token is not one this server issued"));
    }
    let age = t - issued;
    if age < FORM_MIN_SECONDS {
        return Err(ApiError::Unprocessable(format!(
            "sent {age} s after the form was opened; wait at least {FORM_MIN_SECONDS} s \
             (a person reads before sending) / vui lòng đợi vài giây rồi gửi lại"
        )));
    }
    if age > FORM_MAX_AGE_SECONDS {
        return Err(bad("form_token is older than 24 hours"));
    }
    Ok(())
}

/// A form token for one submission (`GET /api/v1/feedback/form`).
#[derive(Serialize, JsonSchema)]
pub struct FeedbackForm {
    /// The signed, time-stamped token (`v1.<issued>.<nonce>.<hmac>`): send it as the
    /// submission's `form_token`.
    pub token: String,
    /// Seconds to wait at least before sending it (a person reads before sending).
    pub min_seconds: i64,
    /// Seconds it stays valid (then reload the form).
    pub max_age_seconds: i64,
}

/// `GET /api/v1/feedback/form`
async fn form(State(st): State<PortalState>, q: Params) -> ApiResult<Response> {
    q.parse::<NoParams>().map_err(bad_param)?;
    let db = twoway::state_db(&st)?;
    let key = form_key(&db).await?;
    let token = make_form_token(&key, now())?;
    Ok(no_store(
        StatusCode::OK,
        &FeedbackForm {
            token,
            min_seconds: FORM_MIN_SECONDS,
            max_age_seconds: FORM_MAX_AGE_SECONDS,
        },
    ))
}

// ---------------------------------------------------------------- text

/// NFC, control characters removed (newlines and tabs kept as newline and space), trimmed.
pub fn clean_text(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let s: String = s
        .replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            '\u{2028}' | '\u{2029}' => Some('\n'),
            c if c.is_control() => None,
            // Bidirectional overrides and zero-width marks that could disguise text.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}' | '\u{FEFF}' => None,
            c => Some(c),
        })
        .collect();
    s.nfc().collect::<String>().trim().to_string()
}

fn bounded(field: &str, v: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    let Some(v) = v else { return Ok(None) };
    let c = clean_text(v);
    let n = c.chars().count();
    if n > max {
        return Err(ApiError::Unprocessable(format!(
            "{field} has {n} characters; at most {max}"
        )));
    }
    Ok((!c.is_empty()).then_some(c))
}

fn check_phone(p: &str) -> ApiResult<()> {
    if !p
        .chars()
        .all(|c| c.is_ascii_digit() || c == '+' || c == ' ')
        || p.chars().filter(char::is_ascii_digit).count() < 6
    {
        return Err(ApiError::Unprocessable(
            "contact.phone may hold digits, + and spaces only (at least 6 digits), e.g. 0912 345 678"
                .into(),
        ));
    }
    Ok(())
}

/// A sane email syntax: one `@`, a local part and a dotted domain, no spaces or angle
/// brackets.
pub fn check_email(e: &str) -> ApiResult<()> {
    let bad = || {
        ApiError::Unprocessable(format!(
            "contact.email is not an email address (e.g. ten@example.vn); at most {MAX_EMAIL_CHARS} characters"
        ))
    };
    let (local, domain) = e.rsplit_once('@').ok_or_else(bad)?;
    let ok_local = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let ok_domain = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if ok_local && ok_domain {
        Ok(())
    } else {
        Err(bad())
    }
}

fn bad_param(e: crate::error::AppError) -> ApiError {
    ApiError::Bad(e.to_string())
}

fn no_store<T: Serialize>(status: StatusCode, v: &T) -> Response {
    let mut r = (status, axum::Json(v)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

// ---------------------------------------------------------------- the request

/// The values of an optional member's `enum`: `values` and null (an absent member reads as
/// null, and OpenAPI 3.0 wants a nullable enum to list it).
fn or_null(values: &[&'static str]) -> Vec<Option<&'static str>> {
    values.iter().copied().map(Some).chain([None]).collect()
}

/// A question, a data-error report or a comment on a draft plan (`POST /api/v1/feedback`:
/// the JSON body, or the `data` part of a multipart body with an attachment).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubmission {
    /// `question`, `error` (a data error) or `comment` (on a draft plan in consultation).
    #[schemars(extend("enum" = KINDS))]
    kind: String,
    /// A comment's position (required there, refused elsewhere): `support`, `object` or
    /// `other`.
    #[serde(default)]
    #[schemars(extend("enum" = or_null(POSITIONS)))]
    position: Option<String>,
    /// The question, report or comment (cleaned of control characters; not empty).
    #[schemars(length(min = 1, max = MAX_BODY_CHARS))]
    body: String,
    /// What it is about.
    subject: SubmissionSubjectIn,
    /// The ETag of the report the person saw.
    #[serde(default)]
    #[schemars(length(max = MAX_DATA_VERSION_CHARS))]
    data_version: Option<String>,
    /// How to reach the person (all optional; deleted after the retention period, never
    /// public).
    #[serde(default)]
    contact: Option<SubmissionContactIn>,
    /// The person's language: `vi` (the default) or `en`.
    #[serde(default)]
    #[schemars(extend("enum" = ["vi", "en", null]))]
    lang: Option<String>,
    /// The token of `GET /api/v1/feedback/form` (required: a submission without one is
    /// refused with 422).
    #[serde(default)]
    form_token: Option<String>,
    /// Leave empty (a field people never see).
    #[serde(default)]
    website: Option<String>,
}

/// The subject of a submission, as the person saw it: a parcel, a drawn site, a plan or
/// a zone of a plan.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionSubjectIn {
    /// `parcel`, `site`, `plan` or `zone`.
    #[schemars(extend("enum" = ["parcel", "site", "plan", "zone"]))]
    kind: String,
    /// A parcel: `commune/sheet/parcel[/n]`, as the app's `?p=` links.
    #[serde(default)]
    parcel: Option<String>,
    /// A site: a GeoJSON Polygon or MultiPolygon, WGS 84 (at most 2,000 vertices).
    #[serde(default)]
    geometry: Option<Value>,
    /// The plan (a plan, a zone; required for comments).
    #[serde(default)]
    plan_id: Option<String>,
    /// The zone (a zone).
    #[serde(default)]
    zone_id: Option<String>,
}

/// Contact details given with a submission.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionContactIn {
    /// A name.
    #[serde(default)]
    #[schemars(length(max = MAX_NAME_CHARS))]
    name: Option<String>,
    /// A phone number: digits, `+` and spaces (at least 6 digits).
    #[serde(default)]
    #[schemars(length(max = MAX_PHONE_CHARS))]
    phone: Option<String>,
    /// An email address.
    #[serde(default)]
    #[schemars(length(max = MAX_EMAIL_CHARS))]
    email: Option<String>,
}

const EXAMPLE: &str = r#"{"kind": "question", "body": "Thửa này có bị quy hoạch làm đường không?", "subject": {"kind": "parcel", "parcel": "31153/4/2"}, "data_version": "\"…\"", "lang": "vi", "form_token": "…", "website": ""}"#;

fn parse_json(bytes: &[u8]) -> ApiResult<NewSubmission> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the JSON has {} bytes; at most {MAX_JSON_BYTES}",
            bytes.len()
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::Bad(format!(
            "the body is not a submission ({e}); send e.g. {EXAMPLE}"
        ))
    })
}

/// What the subject resolved to in the store.
#[derive(Debug, Default)]
struct Resolved {
    kind: String,
    parcel_id: Option<String>,
    commune: Option<String>,
    plan_id: Option<String>,
    zone_id: Option<String>,
    label: String,
    geometry: Option<Value>,
    context: Map<String, Value>,
}

fn query_err(e: quyhoach_data::planning::QueryError) -> ApiError {
    use quyhoach_data::planning::QueryError as Q;
    match e {
        Q::BadRequest(m) => ApiError::Unprocessable(m),
        Q::NotFound(m) => ApiError::NotFound(m),
        Q::TooLarge(m) => ApiError::TooLarge(m),
        Q::Internal(m) => ApiError::Internal(m),
        Q::Cancelled => ApiError::Unavailable("the report took too long and was stopped".into()),
    }
}

/// The context summary of a report: what the person had on screen.
fn report_context(r: &Report) -> Map<String, Value> {
    let plans: Vec<Value> = r
        .plans
        .iter()
        .map(|p| {
            let zones: Vec<Value> = p
                .zones
                .iter()
                .filter(|z| !z.sliver)
                .take(5)
                .map(|z| {
                    json!({"zone_id": z.zone_id, "name": z.name, "landuse": z.landuse,
                        "landuse_name_vi": z.landuse_name_vi,
                        "pct": (z.overlap_pct * 10.0).round() / 10.0})
                })
                .collect();
            json!({"id": p.plan.id, "name": p.plan.name, "binding": p.binding,
                "verdict": p.verdict.kind, "verdict_vi": p.verdict.vi, "zones": zones,
                "road_area_m2": (p.road_area_m2 * 10.0).round() / 10.0})
        })
        .collect();
    let mut m = Map::new();
    m.insert("headline_vi".into(), r.headline_vi.clone().into());
    m.insert("headline_en".into(), r.headline_en.clone().into());
    m.insert("answer_kind".into(), r.answer_kind.clone().into());
    m.insert("summary_vi".into(), r.summary_vi.clone().into());
    m.insert("plans".into(), plans.into());
    m.insert(
        "road_area_m2".into(),
        ((r.road_area_m2 * 10.0).round() / 10.0).into(),
    );
    m.insert("data_date".into(), r.data_date.clone().into());
    m
}

/// The largest non-sliver zone of `plan_id` in a report.
fn main_zone(r: &Report, plan_id: &str) -> Option<String> {
    r.plans
        .iter()
        .find(|p| p.plan.id == plan_id)
        .and_then(|p| p.zones.iter().find(|z| !z.sliver).or(p.zones.first()))
        .and_then(|z| z.zone_id.clone())
}

/// A parcel path `commune/sheet/parcel[/n]`.
fn parse_parcel(s: &str) -> ApiResult<(String, i64, i64, Option<i64>)> {
    let bad = || {
        ApiError::Unprocessable(format!(
            "subject.parcel must be commune/sheet/parcel or commune/sheet/parcel/n (e.g. \
             31153/4/2), got '{}'",
            crate::params::clip(s)
        ))
    };
    let parts: Vec<&str> = s.trim().split('/').collect();
    if !(3..=4).contains(&parts.len()) || s.len() > 80 {
        return Err(bad());
    }
    let commune = parts[0].trim();
    if commune.is_empty() || commune.chars().any(char::is_control) {
        return Err(bad());
    }
    let num = |v: &str, lo: i64| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|x| (lo..=crate::api::MAX_NUMBER).contains(x))
            .ok_or_else(bad)
    };
    let n = match parts.get(3) {
        Some(v) => Some(num(v, 1)?),
        None => None,
    };
    Ok((commune.to_string(), num(parts[1], 0)?, num(parts[2], 0)?, n))
}

fn plan_exists(ix: &dyn Store, id: &str) -> ApiResult<String> {
    match ix.catalog().plans.get(id) {
        Some(p) => Ok(p.name.clone()),
        None => Err(ApiError::Unprocessable(format!(
            "no plan '{}'; plans: {}",
            crate::params::clip(id),
            ix.catalog()
                .plans
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A zone of a plan: its name, land use and geometry.
fn find_zone(
    ix: &dyn Store,
    plan_id: &str,
    zone_id: &str,
) -> Option<(Option<String>, Option<String>, Value)> {
    use quyhoach_data::index::ValueRef;
    use quyhoach_data::schema::Kind;
    let cat = ix.catalog();
    for (lid, l) in &cat.layers {
        if l.kind != Kind::Zones {
            continue;
        }
        let layer_plan = l.plan.as_deref();
        if layer_plan != Some(plan_id) && !l.plans.iter().any(|p| p == plan_id) {
            continue;
        }
        let mut found = None;
        let _ = ix.visit(lid, l.bounds, &mut |f, g| {
            if found.is_some() {
                return;
            }
            let s = |c: &str| match f.value(c) {
                Some(ValueRef::Str(s)) => Some(s.to_string()),
                Some(ValueRef::Int(i)) => Some(i.to_string()),
                _ => None,
            };
            let fplan = s("plan_id").or_else(|| layer_plan.map(str::to_string));
            if fplan.as_deref() == Some(plan_id) && s("zone_id").as_deref() == Some(zone_id) {
                found = Some((s("name"), s("landuse"), quyhoach_data::index::geojson(g)));
            }
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The data's area: the union of every layer's bounds.
fn data_bounds(ix: &dyn Store) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for l in ix.catalog().layers.values() {
        b = Some(quyhoach_data::index::union_bbox(b, l.bounds));
    }
    b
}

/// Resolves a subject in the store (on the blocking pool: reports take CPU time).
fn resolve(ix: &dyn Store, s: &SubmissionSubjectIn, comment: bool) -> ApiResult<Resolved> {
    let clip = crate::params::clip;
    let plan_id = match s
        .plan_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => {
            if p.len() > 100 {
                return Err(ApiError::Unprocessable(
                    "subject.plan_id is too long".into(),
                ));
            }
            plan_exists(ix, p)?;
            Some(p.to_string())
        }
        None => None,
    };
    if comment && plan_id.is_none() {
        return Err(ApiError::Unprocessable(
            "a comment is on a draft plan: subject.plan_id is required".into(),
        ));
    }
    let mut r = Resolved {
        kind: s.kind.clone(),
        plan_id: plan_id.clone(),
        ..Default::default()
    };
    match s.kind.as_str() {
        "parcel" => {
            let text = s.parcel.as_deref().ok_or_else(|| {
                ApiError::Unprocessable("subject.parcel is required (e.g. \"31153/4/2\")".into())
            })?;
            let (commune, sheet, parcel, n) = parse_parcel(text)?;
            let found = ix
                .parcels_by_number(&commune, sheet, parcel)
                .map_err(query_err)?;
            let count = found.len();
            let f = match (count, n) {
                (0, _) => {
                    return Err(ApiError::NotFound(format!(
                        "no parcel {parcel} on sheet {sheet} of commune '{}'",
                        clip(&commune)
                    )))
                }
                (1, None) => found.into_iter().next(),
                (_, None) => {
                    return Err(ApiError::Unprocessable(format!(
                    "{count} parcels are numbered {parcel} on sheet {sheet}; add /1 to /{count} \
                         to subject.parcel to say which (as in the report's link)"
                )))
                }
                (_, Some(n)) => usize::try_from(n - 1)
                    .ok()
                    .and_then(|i| found.into_iter().nth(i)),
            };
            let f = f.ok_or_else(|| {
                ApiError::Unprocessable(format!("subject.parcel: n must be from 1 to {count}"))
            })?;
            let report = ix
                .report(&Site::Parcel {
                    layer: f.layer.clone(),
                    id: f.id,
                })
                .map_err(query_err)?;
            let code = report
                .site
                .commune_code
                .clone()
                .unwrap_or_else(|| commune.clone());
            r.parcel_id = Some(match n {
                Some(n) => format!("{code}/{sheet}/{parcel}/{n}"),
                None => format!("{code}/{sheet}/{parcel}"),
            });
            r.commune = Some(code);
            r.label = report.site.label.clone();
            r.geometry = Some(quyhoach_data::index::geojson(&f.geometry));
            if comment {
                r.zone_id = plan_id.as_deref().and_then(|p| main_zone(&report, p));
            }
            r.context = report_context(&report);
        }
        "site" => {
            let g = s.geometry.as_ref().ok_or_else(|| {
                ApiError::Unprocessable(
                    "subject.geometry is required for a site: a GeoJSON Polygon in WGS 84".into(),
                )
            })?;
            let mp = crate::geojson::parse_site(g)
                .map_err(|e| ApiError::Unprocessable(format!("subject.geometry: {e}")))?;
            use geo::CoordsIter;
            let vertices = mp.coords_count();
            if vertices > MAX_SITE_VERTICES {
                return Err(ApiError::Unprocessable(format!(
                    "the site has {vertices} vertices; at most {MAX_SITE_VERTICES}"
                )));
            }
            use geo::BoundingRect;
            let inside = match (mp.bounding_rect(), data_bounds(ix)) {
                (Some(sb), Some(db)) => {
                    sb.min().x <= db[2]
                        && sb.max().x >= db[0]
                        && sb.min().y <= db[3]
                        && sb.max().y >= db[1]
                }
                _ => false,
            };
            if !inside {
                return Err(ApiError::Unprocessable(
                    "the site is outside the area this portal has data for".into(),
                ));
            }
            let cancel =
                quyhoach_data::planning::Cancel::with_timeout(std::time::Duration::from_secs(20));
            let report = ix
                .report_with_cancel(&Site::Geometry(mp.clone()), &cancel)
                .map_err(query_err)?;
            // The commune: the report's, or that of the parcel under the site's centre.
            let mut commune = report.site.commune_code.clone();
            if commune.is_none() {
                use geo::InteriorPoint;
                if let Some(p) = mp.interior_point() {
                    if let Ok(hits) = ix.parcels_at(p.x(), p.y()) {
                        commune = hits.first().and_then(|h| {
                            h.properties
                                .get("commune_code")
                                .and_then(|v| v.as_str().map(str::to_string))
                        });
                    }
                }
            }
            r.commune = commune;
            r.label = report.site.label.clone();
            r.geometry = Some(quyhoach_data::index::geojson(
                &geo_types::Geometry::MultiPolygon(mp),
            ));
            if comment {
                r.zone_id = plan_id.as_deref().and_then(|p| main_zone(&report, p));
            }
            r.context = report_context(&report);
        }
        "plan" => {
            let p = plan_id.as_deref().ok_or_else(|| {
                ApiError::Unprocessable("subject.plan_id is required for a plan".into())
            })?;
            let plan = ix
                .catalog()
                .plans
                .get(p)
                .ok_or_else(|| ApiError::Unprocessable("no such plan".into()))?;
            r.label = plan.name.clone();
            r.context.insert(
                "plan".into(),
                json!({"id": plan.id, "name": plan.name, "status": plan.status.name_vi()}),
            );
        }
        "zone" => {
            let p = plan_id.as_deref().ok_or_else(|| {
                ApiError::Unprocessable("subject.plan_id is required for a zone".into())
            })?;
            let z = s
                .zone_id
                .as_deref()
                .map(str::trim)
                .filter(|z| !z.is_empty() && z.len() <= 100)
                .ok_or_else(|| {
                    ApiError::Unprocessable("subject.zone_id is required for a zone".into())
                })?;
            let (name, landuse, geometry) = find_zone(ix, p, z).ok_or_else(|| {
                ApiError::NotFound(format!("no zone '{}' in plan '{p}'", clip(z)))
            })?;
            let plan_name = plan_exists(ix, p)?;
            r.zone_id = Some(z.to_string());
            r.label = match &name {
                Some(n) => format!("Ô {z} — {n} ({plan_name})"),
                None => format!("Ô {z} ({plan_name})"),
            };
            r.geometry = Some(geometry);
            r.context.insert(
                "zone".into(),
                json!({"plan_id": p, "plan_name": plan_name, "zone_id": z, "name": name, "landuse": landuse}),
            );
        }
        other => {
            return Err(ApiError::Unprocessable(format!(
                "subject.kind must be parcel, site, plan or zone, got '{}'",
                clip(other)
            )))
        }
    }
    Ok(r)
}

struct Contact {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

/// The checked fields of a submission.
struct Checked {
    kind: String,
    position: Option<String>,
    body: String,
    lang: String,
    data_version: String,
    contact: Option<Contact>,
}

fn check_fields(n: &NewSubmission) -> ApiResult<Checked> {
    let clip = crate::params::clip;
    if !KINDS.contains(&n.kind.as_str()) {
        return Err(ApiError::Unprocessable(format!(
            "kind must be question, error or comment, got '{}'",
            clip(&n.kind)
        )));
    }
    let position = match (n.kind.as_str(), n.position.as_deref()) {
        ("comment", Some(p)) if POSITIONS.contains(&p) => Some(p.to_string()),
        ("comment", _) => return Err(ApiError::Unprocessable(
            "a comment needs position: support, object or other (đồng ý, phản đối, ý kiến khác)"
                .into(),
        )),
        (_, None) => None,
        (_, Some(_)) => {
            return Err(ApiError::Unprocessable(
                "position is for comments only".into(),
            ))
        }
    };
    let body = bounded("body", Some(&n.body), MAX_BODY_CHARS)?.ok_or_else(|| {
        ApiError::Unprocessable("body is empty: write the question, report or comment".into())
    })?;
    let lang = match n.lang.as_deref() {
        None | Some("vi") => "vi",
        Some("en") => "en",
        Some(o) => {
            return Err(ApiError::Unprocessable(format!(
                "lang must be vi or en, got '{}'",
                clip(o)
            )))
        }
    };
    let data_version = bounded(
        "data_version",
        n.data_version.as_deref(),
        MAX_DATA_VERSION_CHARS,
    )?
    .unwrap_or_default();
    let contact = match &n.contact {
        None => None,
        Some(c) => {
            let name = bounded("contact.name", c.name.as_deref(), MAX_NAME_CHARS)?
                .map(|s| s.replace('\n', " "));
            let phone = bounded("contact.phone", c.phone.as_deref(), MAX_PHONE_CHARS)?;
            let email = bounded("contact.email", c.email.as_deref(), MAX_EMAIL_CHARS)?;
            if let Some(p) = &phone {
                check_phone(p)?;
            }
            if let Some(e) = &email {
                check_email(e)?;
            }
            (name.is_some() || phone.is_some() || email.is_some()).then_some(Contact {
                name,
                phone,
                email,
            })
        }
    };
    Ok(Checked {
        kind: n.kind.clone(),
        position,
        body,
        lang: lang.into(),
        data_version,
        contact,
    })
}

fn when(t: i64) -> String {
    let off = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => {
            let d = d.to_offset(off);
            format!(
                "{:02}/{:02}/{} {:02}:{:02}",
                d.day(),
                u8::from(d.month()),
                d.year(),
                d.hour(),
                d.minute()
            )
        }
        Err(_) => t.to_string(),
    }
}

fn window_error(w: Window, plan_id: &str) -> ApiError {
    match w {
        Window::Open { .. } => ApiError::Internal("window_error on an open window".into()),
        Window::Upcoming { opens_at, .. } => ApiError::Unprocessable(format!(
            "lấy ý kiến về quy hoạch này chưa mở: mở từ {} / the consultation on {plan_id} \
             has not opened yet: it opens on {} (Asia/Ho_Chi_Minh)",
            when(opens_at),
            when(opens_at)
        )),
        Window::Closed { closes_at, .. } => ApiError::Unprocessable(format!(
            "lấy ý kiến về quy hoạch này đã kết thúc ngày {} / the consultation on {plan_id} \
             closed on {} (Asia/Ho_Chi_Minh); comments are no longer taken",
            when(closes_at),
            when(closes_at)
        )),
        Window::None => ApiError::Unprocessable(format!(
            "quy hoạch này không lấy ý kiến / plan {plan_id} is not open for consultation \
             here; ask a question instead"
        )),
    }
}

/// A multipart body: its `data` JSON and optional `attachment`.
async fn read_multipart(
    req: Request,
    st: &PortalState,
) -> ApiResult<(Bytes, Option<(Bytes, Option<String>)>)> {
    let mut mp = Multipart::from_request(req, st)
        .await
        .map_err(|e| ApiError::Bad(format!("the multipart body cannot be read: {e}")))?;
    let mut data = None;
    let mut attachment = None;
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "the request is larger than {MAX_MULTIPART_BYTES} bytes; an attachment may have 5 MB"
            ))
        } else {
            ApiError::Bad(format!("the multipart body cannot be read: {e}"))
        }
    };
    while let Some(field) = mp.next_field().await.map_err(too_large)? {
        match field.name().unwrap_or("") {
            "data" if data.is_none() => {
                let b = field.bytes().await.map_err(too_large)?;
                if b.len() > MAX_JSON_BYTES {
                    return Err(ApiError::TooLarge(format!(
                        "the data part has {} bytes; at most {MAX_JSON_BYTES}",
                        b.len()
                    )));
                }
                data = Some(b);
            }
            "attachment" if attachment.is_none() => {
                let name = field.file_name().map(str::to_string);
                let b = field.bytes().await.map_err(too_large)?;
                if b.len() > attach::MAX_ATTACHMENT_BYTES {
                    return Err(ApiError::TooLarge(format!(
                        "the attachment has {} bytes; at most {} (5 MB)",
                        b.len(),
                        attach::MAX_ATTACHMENT_BYTES
                    )));
                }
                if !b.is_empty() {
                    attachment = Some((b, name));
                }
            }
            other => {
                return Err(ApiError::Bad(format!(
                "unexpected part '{}': send a 'data' part (the JSON) and at most one 'attachment'",
                crate::params::clip(other)
            )))
            }
        }
    }
    let data = data.ok_or_else(|| {
        ApiError::Bad("the multipart body has no 'data' part (the submission's JSON)".into())
    })?;
    Ok((data, attachment))
}

/// `POST /api/v1/feedback`
async fn submit(
    State(st): State<PortalState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    q: Params,
    req: Request,
) -> ApiResult<Response> {
    let db = twoway::state_db(&st)?;
    q.parse::<NoParams>().map_err(bad_param)?;
    let client = twoway::client_key(&headers, peer.as_ref().map(|e| &e.0));
    // Before anything heavy: the rate limits.
    rate_check(&db, &client)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (data, attachment) = if ct.starts_with("multipart/form-data") {
        read_multipart(req, &st).await?
    } else if ct.starts_with("application/json") {
        let b = axum::body::to_bytes(req.into_body(), MAX_JSON_BYTES)
            .await
            .map_err(|_| {
                ApiError::TooLarge(format!(
                    "the JSON body is larger than {MAX_JSON_BYTES} bytes (attachments go in a multipart body)"
                ))
            })?;
        (b, None)
    } else {
        return Err(ApiError::Unsupported(
            "send application/json, or multipart/form-data with a 'data' part and an optional 'attachment'"
                .into(),
        ));
    };
    let n = parse_json(&data)?;
    let key = form_key(&db).await?;
    check_form_token(&key, n.form_token.as_deref().unwrap_or(""), now())?;
    let fields = check_fields(&n)?;
    if n.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        // The honeypot: a person never sees this field. Answer as if accepted.
        return Ok(fake_accepted(&fields.kind));
    }
    let comment = fields.kind == "comment";
    let ix = st.index.clone();
    let etag = st.etag.to_string();
    let subject = n.subject;
    let (resolved, checked_attachment) = tokio::task::spawn_blocking(move || {
        let r = resolve(&*ix, &subject, comment)?;
        let a = match attachment {
            Some((bytes, name)) => {
                Some(attach::check(&bytes, name.as_deref()).map_err(|e| match e {
                    attach::AttachError::TooLarge(m) => ApiError::TooLarge(m),
                    attach::AttachError::Unsupported(m) => ApiError::Unsupported(m),
                    attach::AttachError::Refused(m) => ApiError::Unprocessable(m),
                })?)
            }
            None => None,
        };
        Ok::<_, ApiError>((r, a))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("subject resolution: {e}")))??;
    let mut context = resolved.context.clone();
    if fields.data_version != etag {
        context.insert("current_data_version".into(), etag.clone().into());
    }
    let retention = st.portal.twoway.contact_retention_days.max(1);
    let (token, hash) = twoway::new_token();
    let subject_label = resolved.label.clone();
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<(i64, i64)> {
            let t = now();
            let mut consultation_id = None;
            if fields.kind == "comment" {
                let plan = resolved.plan_id.as_deref().unwrap_or("");
                match consult::window_for(tx, plan, resolved.commune.as_deref(), t)? {
                    Window::Open { id, .. } => consultation_id = Some(id),
                    w => return Err(window_error(w, plan)),
                }
            }
            let geometry = resolved.geometry.as_ref().map(Value::to_string);
            let id = tx.query_i64(
                "INSERT INTO submission (kind, position, body, body_folded, lang, subject_kind, \
                 parcel_id, commune, plan_id, zone_id, subject_label, geometry, data_version, \
                 context, consultation_id, state, follow_hash, client, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?) RETURNING id",
                vals![
                    fields.kind.as_str(),
                    fields.position.clone(),
                    fields.body.as_str(),
                    fold(&fields.body),
                    fields.lang.as_str(),
                    resolved.kind.as_str(),
                    resolved.parcel_id.clone(),
                    resolved.commune.clone(),
                    resolved.plan_id.clone(),
                    resolved.zone_id.clone(),
                    resolved.label.as_str(),
                    geometry,
                    fields.data_version.as_str(),
                    Value::Object(context).to_string(),
                    consultation_id,
                    hash,
                    client,
                    t,
                    t
                ],
            )?;
            if let Some(c) = &fields.contact {
                tx.exec(
                    "INSERT INTO submission_contact (submission_id, name, phone, email, delete_after) \
                     VALUES (?, ?, ?, ?, ?)",
                    vals![id, c.name.clone(), c.phone.clone(), c.email.clone(), t + retention * DAY],
                )?;
            }
            if let Some(a) = &checked_attachment {
                use sha2::Digest;
                tx.exec(
                    "INSERT INTO submission_attachment (submission_id, media_type, filename, sha256, size, bytes) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                    vals![
                        id,
                        a.kind.media_type(),
                        a.filename.as_str(),
                        sha2::Sha256::digest(&a.bytes).to_vec(),
                        a.bytes.len() as i64,
                        a.bytes.clone()
                    ],
                )?;
            }
            Ok((id, t))
        })
        .await?;
    let (id, created_at) = out;
    Ok(no_store(
        StatusCode::CREATED,
        &SubmissionReceipt {
            id,
            follow_url: format!("/#/q/{token}"),
            token,
            kind: n.kind,
            state: "new",
            subject_label,
            created_at,
        },
    ))
}

/// A submission received (`POST /api/v1/feedback`, 201): committed before it is sent.
#[derive(Serialize, JsonSchema)]
pub struct SubmissionReceipt {
    /// Its number.
    pub id: i64,
    /// The private link's token (64 hex digits), shown once: the asker's only way back to
    /// it (`GET /api/v1/feedback/{token}`).
    pub token: String,
    /// The app's page of the private link (`/#/q/<token>`).
    pub follow_url: String,
    /// `question`, `error` or `comment`.
    #[schemars(extend("enum" = KINDS))]
    pub kind: String,
    /// `new`.
    pub state: &'static str,
    /// What it is about, as the report named it.
    pub subject_label: String,
    /// When it was received, Unix seconds.
    pub created_at: i64,
}

/// The honeypot's answer: shaped like a real one, with a token that leads nowhere.
fn fake_accepted(kind: &str) -> Response {
    let (token, _) = twoway::new_token();
    let mut r = [0u8; 2];
    let _ = getrandom::fill(&mut r);
    no_store(
        StatusCode::CREATED,
        &SubmissionReceipt {
            id: 1000 + i64::from(u16::from_le_bytes(r)),
            follow_url: format!("/#/q/{token}"),
            token,
            kind: kind.to_string(),
            state: "new",
            subject_label: String::new(),
            created_at: now(),
        },
    )
}

// ---------------------------------------------------------------- the private view

const VIEW_COLUMNS: &str = "s.id, s.kind, s.position, s.body, s.subject_kind, s.parcel_id, \
     s.commune, s.plan_id, s.zone_id, s.subject_label, s.state, s.answer, s.answered_at, \
     o.display_name, s.created_at, s.hidden_reason, s.merged_into, s.published_at";

/// What a submission is about, as resolved in the data when it was sent.
#[derive(Serialize, JsonSchema)]
pub struct SubmissionSubject {
    /// `parcel`, `site`, `plan` or `zone`.
    pub kind: String,
    /// A parcel's `commune/sheet/parcel[/n]`.
    pub parcel: Option<String>,
    /// The commune's code, when known.
    pub commune: Option<String>,
    /// The plan, when it is about one.
    pub plan_id: Option<String>,
    /// The zone, when it is about one.
    pub zone_id: Option<String>,
    /// What it is about, in words.
    pub label: String,
}

fn subject_of(r: &sql::Row) -> sql::SqlResult<SubmissionSubject> {
    Ok(SubmissionSubject {
        kind: r.text(4)?,
        parcel: r.opt_text(5)?,
        commune: r.opt_text(6)?,
        plan_id: r.opt_text(7)?,
        zone_id: r.opt_text(8)?,
        label: r.text(9)?,
    })
}

/// A submission as its asker sees it (`GET /api/v1/feedback/{token}`): no contact details,
/// the answer once it is given (a duplicate merged into another question shows that one's).
#[derive(Serialize, JsonSchema)]
pub struct SubmissionView {
    /// Its number.
    pub id: i64,
    /// `question`, `error` or `comment`.
    #[schemars(extend("enum" = KINDS))]
    pub kind: String,
    /// A comment's position (`support`, `object`, `other`).
    pub position: Option<String>,
    /// The text as sent (cleaned).
    pub body: String,
    /// What it is about.
    pub subject: SubmissionSubject,
    /// `new`, `answered`, `published`, `hidden`, `merged` (into another question: its
    /// answer is shown) or `fixed` (a data error put right).
    #[schemars(extend("enum" = super::inbox::STATES))]
    pub state: String,
    /// The officials' answer (none while new or hidden).
    pub answer: Option<String>,
    /// When it was answered, Unix seconds.
    pub answered_at: Option<i64>,
    /// Who answered (the official's display name).
    pub answered_by: Option<String>,
    /// Whether it is in the public Q&A.
    pub published: bool,
    /// When it was published, Unix seconds.
    pub published_at: Option<i64>,
    /// Why it is not published, when hidden.
    pub hidden_reason: Option<String>,
    /// When it was received, Unix seconds.
    pub created_at: i64,
    /// Whether contact details are still stored (`DELETE …/contact` erases them).
    pub contact_given: bool,
}

fn token_of(token: &str) -> ApiResult<Vec<u8>> {
    if !twoway::is_token(token) {
        return Err(not_found());
    }
    Ok(twoway::token_hash(&token.to_ascii_lowercase()))
}

fn not_found() -> ApiError {
    ApiError::NotFound(
        "no question, report or comment with this link (check the link, or it was deleted)".into(),
    )
}

/// `GET /api/v1/feedback/{token}`
async fn view(
    State(st): State<PortalState>,
    Path(token): Path<String>,
    q: Params,
) -> ApiResult<Response> {
    q.parse::<NoParams>().map_err(bad_param)?;
    let db = twoway::state_db(&st)?;
    let hash = token_of(&token)?;
    let v = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<SubmissionView> {
            let sqlq = format!(
                "SELECT {VIEW_COLUMNS}, \
                 (SELECT count(*) FROM submission_contact c WHERE c.submission_id = s.id) \
                 FROM submission s LEFT JOIN official o ON o.id = s.answered_by \
                 WHERE s.follow_hash = ?"
            );
            let r = tx.query_opt(&sqlq, vals![hash])?.ok_or_else(not_found)?;
            let state = r.text(10)?;
            let mut answer = r.opt_text(11)?;
            let mut answered_by = r.opt_text(13)?;
            let mut answered_at = r.opt_i64(12)?;
            // A duplicate merged into another question shows that one's answer.
            if state == "merged" && answer.is_none() {
                if let Some(into) = r.opt_i64(16)? {
                    if let Some(t) = tx.query_opt(
                        "SELECT s.answer, o.display_name, s.answered_at FROM submission s \
                         LEFT JOIN official o ON o.id = s.answered_by \
                         WHERE s.id = ? AND s.state = 'published'",
                        vals![into],
                    )? {
                        answer = t.opt_text(0)?;
                        answered_by = t.opt_text(1)?;
                        answered_at = t.opt_i64(2)?;
                    }
                }
            }
            if state == "new" || state == "hidden" {
                answer = None;
                answered_by = None;
                answered_at = None;
            }
            Ok(SubmissionView {
                id: r.i64(0)?,
                kind: r.text(1)?,
                position: r.opt_text(2)?,
                body: r.text(3)?,
                subject: subject_of(&r)?,
                published: state == "published",
                hidden_reason: if state == "hidden" {
                    r.opt_text(15)?
                } else {
                    None
                },
                state,
                answer,
                answered_at,
                answered_by,
                published_at: r.opt_i64(17)?,
                created_at: r.i64(14)?,
                contact_given: r.i64(18)? > 0,
            })
        })
        .await?;
    Ok(no_store(StatusCode::OK, &v))
}

/// `DELETE /api/v1/feedback/{token}/contact`
async fn delete_contact(
    State(st): State<PortalState>,
    Path(token): Path<String>,
    q: Params,
) -> ApiResult<Response> {
    q.parse::<NoParams>().map_err(bad_param)?;
    let db = twoway::state_db(&st)?;
    let hash = token_of(&token)?;
    db.tx(move |tx: &mut dyn Tx| -> ApiResult<()> {
        let id = tx
            .query_opt(
                "SELECT id FROM submission WHERE follow_hash = ?",
                vals![hash],
            )?
            .ok_or_else(not_found)?
            .i64(0)?;
        tx.exec(
            "DELETE FROM submission_contact WHERE submission_id = ?",
            vals![id],
        )?;
        Ok(())
    })
    .await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

// ---------------------------------------------------------------- public Q&A

/// `Cache-Control` of the public Q&A: a minute (an answer published now shows within it).
pub const QA_CACHE_CONTROL: &str = "public, max-age=60";

/// Largest `offset` of the public Q&A.
pub const MAX_QA_OFFSET: i64 = 1_000_000;
/// Longest `commune`, `plan`, `parcel` or `zone` of the public Q&A, in bytes.
pub const MAX_QA_ID_BYTES: usize = 100;

/// The parameters of the public Q&A (`GET /api/v1/qa`): every filter given must match.
#[derive(Deserialize, JsonSchema)]
pub struct QaQuery {
    /// Questions about this commune (its code)
    #[schemars(length(max = MAX_QA_ID_BYTES))]
    pub commune: Option<String>,
    /// Questions about this plan (its id)
    #[schemars(length(max = MAX_QA_ID_BYTES))]
    pub plan: Option<String>,
    /// Questions about this parcel: commune/sheet/parcel[/n]
    #[schemars(length(max = MAX_QA_ID_BYTES))]
    pub parcel: Option<String>,
    /// Questions about this zone (its id)
    #[schemars(length(max = MAX_QA_ID_BYTES))]
    pub zone: Option<String>,
    /// Search words in the questions and answers (accents optional)
    #[schemars(length(max = MAX_QUERY_CHARS))]
    pub q: Option<String>,
    /// Questions per page (20 by default)
    #[schemars(range(min = 1, max = MAX_QA_LIMIT))]
    pub limit: Option<i64>,
    /// Questions skipped, newest first (0 by default)
    #[schemars(range(min = 0, max = MAX_QA_OFFSET))]
    pub offset: Option<i64>,
    /// The reader's language (the questions and answers are as written)
    pub lang: Option<QaLang>,
}

/// A reader's language.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum QaLang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

/// A page of the public Q&A (`GET /api/v1/qa`), newest published first.
#[derive(Serialize, JsonSchema)]
pub struct QaPage {
    /// The questions and answers of this page.
    pub items: Vec<QaItem>,
    /// Published ones matching the filters, over all pages.
    pub total: i64,
    /// The page size asked for.
    pub limit: i64,
    /// The ones skipped.
    pub offset: i64,
}

/// A published question (or report, or comment) and its answer: no contact details.
#[derive(Serialize, JsonSchema)]
pub struct QaItem {
    /// Its number.
    pub id: i64,
    /// `question`, `error` or `comment`.
    #[schemars(extend("enum" = KINDS))]
    pub kind: String,
    /// What it is about.
    pub subject: SubmissionSubject,
    /// The question as sent (cleaned).
    pub question: String,
    /// The officials' answer.
    pub answer: Option<String>,
    /// Who answered (the official's display name).
    pub answered_by: Option<String>,
    /// When it was answered, Unix seconds.
    pub answered_at: Option<i64>,
    /// When it was published, Unix seconds.
    pub published_at: Option<i64>,
}

/// `GET /api/v1/qa`
async fn qa(State(st): State<PortalState>, q: Params) -> ApiResult<Response> {
    let QaQuery {
        commune,
        plan,
        parcel,
        zone,
        q: text,
        limit,
        offset,
        lang: _,
    } = q.parse::<QaQuery>().map_err(bad_param)?;
    let db = twoway::state_db(&st)?;
    let limit = limit.unwrap_or(20);
    let offset = offset.unwrap_or(0);
    let mut wh = String::from("s.state = 'published'");
    let mut params: Vec<sql::Value> = Vec::new();
    for (p, v, col) in [
        ("commune", commune, "s.commune"),
        ("plan", plan, "s.plan_id"),
        ("parcel", parcel, "s.parcel_id"),
        ("zone", zone, "s.zone_id"),
    ] {
        if let Some(v) = v {
            if v.len() > MAX_QA_ID_BYTES {
                return Err(ApiError::Bad(format!("{p} is too long")));
            }
            wh.push_str(&format!(" AND {col} = ?"));
            params.push(v.trim().into());
        }
    }
    if let Some(text) = text.as_deref() {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::Bad(format!(
                "q has more than {MAX_QUERY_CHARS} characters"
            )));
        }
        let f = fold(&clean_text(text));
        if !f.is_empty() {
            let pat = format!("%{}%", like_escape(&f));
            wh.push_str(
                " AND (s.body_folded LIKE ? ESCAPE '\\' OR s.answer_folded LIKE ? ESCAPE '\\')",
            );
            params.push(pat.clone().into());
            params.push(pat.into());
        }
    }
    let v = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<QaPage> {
            let total = tx.query_i64(
                &format!("SELECT count(*) FROM submission s WHERE {wh}"),
                &params,
            )?;
            let mut p2 = params.clone();
            p2.push(limit.into());
            p2.push(offset.into());
            let rows = tx.query(
                &format!(
                    "SELECT {VIEW_COLUMNS} FROM submission s \
                     LEFT JOIN official o ON o.id = s.answered_by WHERE {wh} \
                     ORDER BY s.published_at DESC, s.id DESC LIMIT ? OFFSET ?"
                ),
                &p2,
            )?;
            let mut items = Vec::with_capacity(rows.len());
            for r in &rows {
                items.push(QaItem {
                    id: r.i64(0)?,
                    kind: r.text(1)?,
                    subject: subject_of(r)?,
                    question: r.text(3)?,
                    answer: r.opt_text(11)?,
                    answered_by: r.opt_text(13)?,
                    answered_at: r.opt_i64(12)?,
                    published_at: r.opt_i64(17)?,
                });
            }
            Ok(QaPage {
                items,
                total,
                limit,
                offset,
            })
        })
        .await?;
    let mut r = (StatusCode::OK, axum::Json(v)).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(QA_CACHE_CONTROL),
    );
    Ok(r)
}

// ---------------------------------------------------------------- routes

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/feedback/form", &["get"], get(form)),
        (
            "/api/v1/feedback",
            &["post"],
            post(submit).layer(DefaultBodyLimit::max(MAX_MULTIPART_BYTES)),
        ),
        ("/api/v1/feedback/{token}", &["get"], get(view)),
        (
            "/api/v1/feedback/{token}/contact",
            &["delete"],
            delete(delete_contact),
        ),
        ("/api/v1/qa", &["get"], get(qa)),
    ]
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    const TAG: &str = "Questions and comments";
    let token = |op: Op| {
        op.path(
            "token",
            "The private link's token (64 hex digits)",
            json!({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
        )
    };
    let submission = sc.input::<NewSubmission>();
    let mut p = Map::new();
    p.insert(
        "/api/v1/feedback/form".into(),
        json!({"get": Op::new(
            "A form token for one submission (send it no sooner than min_seconds, within 24 h)",
            TAG,
        )
        .query::<NoParams>()
        .json::<FeedbackForm>(sc, "200", "The token and its timing")
        .problems(&["400", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/feedback".into(),
        json!({"post": Op::new(
            "Ask a question, report a data error or comment on a draft plan in consultation",
            TAG,
        )
        .query::<NoParams>()
        .body_content(
            "The submission as JSON, or as the `data` part of a multipart body with one attachment",
            json!({
                "application/json": {"schema": submission},
                "multipart/form-data": {"schema": {"type": "object", "required": ["data"], "properties": {
                    "data": {"type": "string", "description": "the same JSON"},
                    "attachment": {"type": "string", "format": "binary",
                        "description": "one JPEG or PNG photo or a PDF, at most 5 MB"}}}},
            }),
        )
        .json::<SubmissionReceipt>(sc, "201", "Received (committed): the private link")
        .problems(&["400", "404", "413", "415", "422", "429", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/feedback/{token}".into(),
        json!({"get": token(Op::new(
            "The asker's private view: the question, its state and the answer",
            TAG,
        ))
        .query::<NoParams>()
        .json::<SubmissionView>(sc, "200", "The submission as its asker sees it")
        .problems(&["400", "404", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/feedback/{token}/contact".into(),
        json!({"delete": token(Op::new(
            "Erase the contact details given with a submission",
            TAG,
        ))
        .query::<NoParams>()
        .empty("204", "Erased")
        .problems(&["400", "404", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/qa".into(),
        json!({"get": Op::new("Published questions and answers (no contact details)", TAG)
            .query::<QaQuery>()
            .json::<QaPage>(sc, "200", "A page of questions and answers, newest first")
            .problems(&["400", "500", "503"])
            .done()}),
    );
    p
}

/// Deletes contact details past their retention and clears old submissions' client keys.
pub fn sweep(tx: &mut dyn Tx) -> Result<usize, SqlError> {
    let t = now();
    let n = tx.exec(
        "DELETE FROM submission_contact WHERE delete_after < ?",
        vals![t],
    )?;
    let m = tx.exec(
        "UPDATE submission SET client = NULL WHERE client IS NOT NULL AND created_at < ?",
        vals![t - CLIENT_KEEP_SECONDS],
    )?;
    Ok((n + m) as usize)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn form_tokens() {
        let k = [7u8; 32];
        let t = make_form_token(&k, 1000).unwrap();
        assert!(check_form_token(&k, &t, 1001).is_err());
        assert!(check_form_token(&k, &t, 1003).is_ok());
        assert!(check_form_token(&k, &t, 1000 + FORM_MAX_AGE_SECONDS + 1).is_err());
        assert!(check_form_token(&[8u8; 32], &t, 1003).is_err());
        let forged = t.replace("v1.1000.", "v1.900.");
        assert!(check_form_token(&k, &forged, 1003).is_err());
        assert!(check_form_token(&k, "", 1003).is_err());
    }

    #[test]
    fn limiter_windows() {
        let mut l = Limiter::default();
        for _ in 0..PER_CLIENT_PER_10MIN {
            assert!(l.hit(b"a", 100, 1000).is_ok());
        }
        let wait = l.hit(b"a", 100, 1000).unwrap_err();
        assert_eq!(wait, 600);
        assert!(l.hit(b"b", 100, 1000).is_ok());
        assert!(l.hit(b"a", 701, 1000).is_ok());
        let mut g = Limiter::default();
        assert!(g.hit(b"x", 0, 1).is_ok());
        assert!(g.hit(b"y", 0, 1).is_err());
    }

    #[test]
    fn text_is_cleaned() {
        assert_eq!(clean_text(" a\u{0}b\r\nc\u{202E}d "), "ab\ncd");
        assert_eq!(clean_text("Đa\u{0300}"), "Đà");
        assert!(check_email("ten@example.vn").is_ok());
        assert!(check_email("a b@x.vn").is_err());
        assert!(check_email("ab@localhost").is_err());
        assert!(check_phone("+84 912 345 678").is_ok());
        assert!(check_phone("abc").is_err());
    }
}
