//! Workshops: a trainer starts one (a short code and a QR on the projector), trainees join
//! from their phones with a display name only, the trainer's board shows who is on which
//! lesson step, who is stuck, and can push everyone to a step.
//!
//! Everything lives in the portal database ([`super::db`]): progress survives a page reload
//! (the trainee's key is in the browser's localStorage) and a server restart. Keys are 256
//! random bits from the operating system, given out once and kept only as SHA-256 hashes.
//! Workshops expire [`WORKSHOP_TTL`] after they start (410 Gone); [`sweep`] then deletes
//! them and their trainees' names. Every input is bounded (see the constants) and checked.
//!
//! "Stuck" on the board: a trainee who has not finished the current step and has answered
//! it wrongly [`STUCK_WRONG`] times or more, or has been on it [`STUCK_SECONDS`] or more.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json};
use rusqlite::{params, Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::twoway::{client_ip, problem};
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::error::AppError;
use crate::params::{NoParams, Params};

/// The letters of workshop codes: no 0/O, 1/I/L, which are misread on a projector.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a workshop code: 31⁶ ≈ 887 million codes, against at most
/// [`MAX_LIVE_WORKSHOPS`] live ones.
pub const CODE_LEN: usize = 6;
/// Random bytes in a trainer's or trainee's key (256 bits).
pub const KEY_BYTES: usize = 32;
/// How long a workshop lives: a full training day and the evening after.
pub const WORKSHOP_TTL: i64 = 24 * 3600;
/// Trainees per workshop: a large lecture hall.
pub const MAX_PARTICIPANTS: i64 = 200;
/// Workshops one client address may start per hour (a trainer restarts a few at most).
pub const MAX_STARTS_PER_ADDRESS_HOUR: i64 = 20;
/// Live workshops per client address (a training centre runs several rooms).
pub const MAX_LIVE_PER_ADDRESS: i64 = 50;
/// Live workshops on the whole server: bounds the database whoever asks.
pub const MAX_LIVE_WORKSHOPS: i64 = 5000;
/// Largest request body of these routes: a name, a title or a lesson step are a few dozen
/// bytes of JSON.
pub const MAX_BODY_BYTES: usize = 4096;
/// Longest display name, in characters after trimming.
pub const MAX_NAME_CHARS: usize = 40;
/// Longest workshop title, in characters after trimming.
pub const MAX_TITLE_CHARS: usize = 80;
/// Longest lesson or step id (ids are `[a-z0-9_-]`, e.g. `find-parcel`).
pub const MAX_ID_LEN: usize = 64;
/// Finished steps remembered per trainee: all the lessons' steps many times over.
pub const MAX_DONE_STEPS: i64 = 2000;
/// Progress writes a trainee may make per [`RATE_WINDOW_SECONDS`]; the lesson runner sends
/// a few per step.
pub const MAX_WRITES_PER_WINDOW: i64 = 60;
/// The window of [`MAX_WRITES_PER_WINDOW`].
pub const RATE_WINDOW_SECONDS: i64 = 10;
/// Wrong answers on a step that mark a trainee stuck.
pub const STUCK_WRONG: i64 = 3;
/// Seconds on an unfinished step that mark a trainee stuck.
pub const STUCK_SECONDS: i64 = 300;

/// The header carrying the trainer's key.
pub const TRAINER_KEY_HEADER: &str = "x-trainer-key";
/// The header carrying a trainee's key.
pub const PARTICIPANT_KEY_HEADER: &str = "x-participant-key";

/// What a workshop request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WorkshopError {
    /// 404: the operator turned workshops off (`--no-workshops`).
    #[error("workshops are turned off on this server")]
    Off,
    /// 503: the server runs without a portal database.
    #[error("workshops need the portal database, and this server runs without one")]
    NoDatabase,
    /// 400: a malformed body or field.
    #[error("{0}")]
    Bad(String),
    /// 404: no such workshop or trainee.
    #[error("{0}")]
    NotFound(String),
    /// 410: the workshop has expired.
    #[error("workshop {0} has ended (workshops last 24 hours); the trainer can start a new one")]
    Gone(String),
    /// 401: the key header is missing.
    #[error("this needs the {0} header (the key given when the workshop was started or joined)")]
    NoKey(&'static str),
    /// 403: the key is not this workshop's (or this trainee's).
    #[error("the {0} is not valid for this workshop")]
    WrongKey(&'static str),
    /// 409: a name taken, a workshop full.
    #[error("{0}")]
    Conflict(String),
    /// 413: a body over [`MAX_BODY_BYTES`].
    #[error("the request body has {0} bytes; at most {MAX_BODY_BYTES}")]
    TooLarge(usize),
    /// 429: over a rate limit; retry after the given seconds.
    #[error("{0}")]
    TooMany(String, i64),
    /// 503: the server holds as many workshops as it may.
    #[error("{0}")]
    Full(String),
    /// Another error of the API (query parameters).
    #[error(transparent)]
    App(#[from] AppError),
    /// 500: a database error; logged, answered generically.
    #[error("{0}")]
    Internal(String),
}

impl From<rusqlite::Error> for WorkshopError {
    fn from(e: rusqlite::Error) -> Self {
        WorkshopError::Internal(format!("portal database: {e}"))
    }
}

impl From<super::db::DbError> for WorkshopError {
    fn from(e: super::db::DbError) -> Self {
        WorkshopError::Internal(e.to_string())
    }
}

type Result<T> = std::result::Result<T, WorkshopError>;

impl IntoResponse for WorkshopError {
    fn into_response(self) -> Response {
        let detail = self.to_string();
        match self {
            WorkshopError::Off | WorkshopError::NotFound(_) => {
                problem(StatusCode::NOT_FOUND, &detail)
            }
            WorkshopError::NoDatabase | WorkshopError::Full(_) => {
                problem(StatusCode::SERVICE_UNAVAILABLE, &detail)
            }
            WorkshopError::Bad(_) => problem(StatusCode::BAD_REQUEST, &detail),
            WorkshopError::Gone(_) => problem(StatusCode::GONE, &detail),
            WorkshopError::NoKey(_) => problem(StatusCode::UNAUTHORIZED, &detail),
            WorkshopError::WrongKey(_) => problem(StatusCode::FORBIDDEN, &detail),
            WorkshopError::Conflict(_) => problem(StatusCode::CONFLICT, &detail),
            WorkshopError::TooLarge(_) => problem(StatusCode::PAYLOAD_TOO_LARGE, &detail),
            WorkshopError::TooMany(_, retry) => {
                let mut r = problem(StatusCode::TOO_MANY_REQUESTS, &detail);
                if let Ok(v) = HeaderValue::from_str(&retry.max(1).to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            WorkshopError::App(e) => e.into_response(),
            WorkshopError::Internal(context) => {
                tracing::error!(%context, "workshop: internal error");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; it has been logged. Try again later or report it with the time of the request.",
                )
            }
        }
    }
}

/// JSON with `Cache-Control: no-store`: workshop answers are live and per person.
fn live_json<T: Serialize>(status: StatusCode, v: T) -> Response {
    let mut r = (status, Json(v)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A time as RFC 3339 (`None`, written `null`, for one that cannot be written).
fn rfc3339(t: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| WorkshopError::Internal(format!("the system's random numbers: {e}")))?;
    Ok(b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// A new key and the hash that is stored.
fn new_key() -> Result<(String, Vec<u8>)> {
    let key = hex(&random_bytes::<KEY_BYTES>()?);
    let hash = sha256(key.as_bytes());
    Ok((key, hash))
}

/// A new workshop code, uniform over [`CODE_ALPHABET`] (rejection sampling).
fn new_code() -> Result<String> {
    let n = CODE_ALPHABET.len();
    let limit = 256 - 256 % n;
    let mut code = String::with_capacity(CODE_LEN);
    while code.len() < CODE_LEN {
        for b in random_bytes::<16>()? {
            if (b as usize) < limit && code.len() < CODE_LEN {
                code.push(CODE_ALPHABET[b as usize % n] as char);
            }
        }
    }
    Ok(code)
}

/// The code as stored (upper case), or 404 for anything that cannot be one.
fn parse_code(raw: &str) -> Result<String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        Ok(code)
    } else {
        Err(WorkshopError::NotFound(format!(
            "no workshop {}: codes are {CODE_LEN} letters and digits (no 0, O, 1, I or L)",
            shown(raw)
        )))
    }
}

/// A request's value quoted in a message: cut short, control characters escaped.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(24).collect();
    format!("{:?}", cut)
}

/// Characters refused in names and titles besides control characters: invisible format
/// characters that reorder or hide text on the trainer's board.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// A display name or title: trimmed, NFC, no control or invisible format characters,
/// `min..=max` characters.
fn clean_text(raw: &str, what: &str, min: usize, max: usize) -> Result<String> {
    let s: String = raw.trim().nfc().collect();
    if let Some(c) = s.chars().find(|c| c.is_control() || is_format_char(*c)) {
        return Err(WorkshopError::Bad(format!(
            "the {what} holds the control or invisible character U+{:04X}; use letters, digits, spaces and punctuation",
            c as u32
        )));
    }
    // Runs of spaces collapse: names are shown in one line on the board.
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    if n < min || n > max {
        return Err(WorkshopError::Bad(format!(
            "the {what} has {n} characters after trimming; it needs {min} to {max}"
        )));
    }
    Ok(s)
}

/// A lesson or step id: 1–[`MAX_ID_LEN`] of `a-z`, `0-9`, `-`, `_`.
fn check_id(raw: &str, what: &str) -> Result<String> {
    if raw.is_empty()
        || raw.len() > MAX_ID_LEN
        || !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(WorkshopError::Bad(format!(
            "{what} {} is not an id: 1 to {MAX_ID_LEN} of a-z, 0-9, '-' and '_'",
            shown(raw)
        )));
    }
    Ok(raw.to_string())
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes, example: &str) -> Result<T> {
    if body.len() > MAX_BODY_BYTES {
        return Err(WorkshopError::TooLarge(body.len()));
    }
    serde_json::from_slice(body).map_err(|e| {
        WorkshopError::Bad(format!(
            "the body is not the JSON expected ({e}); send e.g. {example}"
        ))
    })
}

fn db_of(st: &PortalState) -> Result<std::sync::Arc<super::db::Db>> {
    if !st.portal.workshops {
        return Err(WorkshopError::Off);
    }
    st.portal.db.clone().ok_or(WorkshopError::NoDatabase)
}

fn key_header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(WorkshopError::NoKey(name))
}

/// Same length and bytes, without an early exit (the stored hashes are not secret, but
/// there is no reason to hint at them).
fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A workshop's row.
struct Workshop {
    id: i64,
    code: String,
    title: String,
    trainer_key_hash: Vec<u8>,
    expires_at: i64,
    push: Option<(String, String, i64)>,
}

impl Workshop {
    fn push_out(&self) -> Option<WorkshopPush> {
        self.push.as_ref().map(|(lesson, step, seq)| WorkshopPush {
            lesson: lesson.clone(),
            step: step.clone(),
            seq: *seq,
        })
    }

    fn check_trainer(&self, headers: &HeaderMap) -> Result<()> {
        let key = key_header(headers, TRAINER_KEY_HEADER)?;
        if same_hash(&sha256(key.as_bytes()), &self.trainer_key_hash) {
            Ok(())
        } else {
            Err(WorkshopError::WrongKey("trainer key"))
        }
    }
}

/// The live workshop of `code`: 404 if none, 410 if it has expired.
fn load(conn: &Connection, code: &str, now: i64) -> Result<Workshop> {
    let w = conn
        .query_row(
            "SELECT id, code, title, trainer_key_hash, expires_at, push_lesson, push_step, push_seq
             FROM workshop WHERE code = ?1",
            [code],
            |r| {
                let lesson: Option<String> = r.get(5)?;
                let step: Option<String> = r.get(6)?;
                let seq: i64 = r.get(7)?;
                Ok(Workshop {
                    id: r.get(0)?,
                    code: r.get(1)?,
                    title: r.get(2)?,
                    trainer_key_hash: r.get(3)?,
                    expires_at: r.get(4)?,
                    push: lesson.zip(step).map(|(l, s)| (l, s, seq)),
                })
            },
        )
        .optional()?
        .ok_or_else(|| WorkshopError::NotFound(format!("no workshop {code}")))?;
    if w.expires_at <= now {
        return Err(WorkshopError::Gone(code.to_string()));
    }
    Ok(w)
}

/// Deletes expired workshops, their trainees and their progress; the number of workshops.
pub fn sweep(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM workshop WHERE expires_at <= ?1", [now()])
}

/// This database's salt for hashing client addresses (made on first use).
fn address_salt(conn: &Connection) -> Result<Vec<u8>> {
    if let Some(s) = conn
        .query_row(
            "SELECT value FROM portal_meta WHERE key = 'address_salt'",
            [],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()?
    {
        return Ok(s);
    }
    let salt = random_bytes::<16>()?.to_vec();
    conn.execute(
        "INSERT INTO portal_meta (key, value) VALUES ('address_salt', ?1)",
        [&salt],
    )?;
    Ok(salt)
}

/// The pattern of lesson and step ids.
const ID_PATTERN: &str = "^[a-z0-9_-]{1,64}$";

/// A new workshop (the body may also be empty).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewWorkshop {
    /// Its title, shown to the trainees (0–80 characters after trimming; no control or
    /// invisible characters).
    #[schemars(length(max = MAX_TITLE_CHARS))]
    title: Option<String>,
}

/// The trainer's push: the lesson step every trainee is sent to.
#[derive(Serialize, JsonSchema)]
pub struct WorkshopPush {
    /// The lesson's id.
    pub lesson: String,
    /// The step's id.
    pub step: String,
    /// Increases by one with each push, so a trainee follows each one once.
    pub seq: i64,
}

/// A workshop just started (`POST /api/v1/workshops`).
#[derive(Serialize, JsonSchema)]
pub struct WorkshopStarted {
    /// Its code: 6 of `ABCDEFGHJKMNPQRSTUVWXYZ23456789`.
    pub code: String,
    /// The trainer's key, for the `X-Trainer-Key` header: shown this once, kept only as a
    /// hash.
    pub trainer_key: String,
    /// When it ends (RFC 3339), 24 hours after it started.
    pub expires_at: Option<String>,
    /// The page trainees join at (its QR code goes on the projector).
    pub join_url: String,
    /// The trainer's board.
    pub board_url: String,
}

/// A workshop's public summary.
#[derive(Serialize, JsonSchema)]
pub struct WorkshopSummary {
    /// Its code.
    pub code: String,
    /// Its title (may be empty).
    pub title: String,
    /// When it ends (RFC 3339).
    pub expires_at: Option<String>,
    /// The trainer's latest push, null before the first.
    pub push: Option<WorkshopPush>,
    /// How many trainees have joined.
    pub participants: i64,
}

/// A trainee who just joined.
#[derive(Serialize, JsonSchema)]
pub struct WorkshopJoined {
    /// The trainee's id in the workshop.
    pub id: i64,
    /// The trainee's key, for the `X-Participant-Key` header: shown this once, kept only
    /// as a hash.
    pub key: String,
    /// The display name as kept (trimmed, NFC, runs of spaces collapsed).
    pub name: String,
    /// The workshop's code.
    pub code: String,
    /// The workshop's title.
    pub title: String,
    /// When the workshop ends (RFC 3339).
    pub expires_at: Option<String>,
    /// The trainer's latest push, null before the first.
    pub push: Option<WorkshopPush>,
}

/// A trainee's own view.
#[derive(Serialize, JsonSchema)]
pub struct WorkshopTrainee {
    /// The trainee's id.
    pub id: i64,
    /// The display name.
    pub name: String,
    /// The workshop's code.
    pub code: String,
    /// When the workshop ends (RFC 3339).
    pub expires_at: Option<String>,
    /// The trainer's latest push, null before the first.
    pub push: Option<WorkshopPush>,
}

/// The answer to a progress report: where the trainer wants everyone.
#[derive(Serialize, JsonSchema)]
pub struct WorkshopProgressAnswer {
    /// The trainer's latest push, null before the first.
    pub push: Option<WorkshopPush>,
}

/// The push just sent.
#[derive(Serialize, JsonSchema)]
pub struct WorkshopPushed {
    /// The push, its `seq` one more than the previous one's.
    pub push: WorkshopPush,
}

/// When a trainee counts as stuck: not done with the current step and `wrong_answers`
/// wrong answers or more on it, or `seconds` or more on it.
#[derive(Serialize, JsonSchema)]
pub struct StuckRule {
    /// Wrong answers on a step that mark a trainee stuck.
    pub wrong_answers: i64,
    /// Seconds on an unfinished step that mark a trainee stuck.
    pub seconds: i64,
}

/// The trainer's board.
#[derive(Serialize, JsonSchema)]
pub struct WorkshopBoard {
    /// The workshop's code.
    pub code: String,
    /// Its title.
    pub title: String,
    /// When it ends (RFC 3339).
    pub expires_at: Option<String>,
    /// The trainer's latest push, null before the first.
    pub push: Option<WorkshopPush>,
    /// When a trainee is `stuck`.
    pub stuck_rule: StuckRule,
    /// The trainees, in the order they joined.
    pub participants: Vec<BoardTrainee>,
}

/// One trainee on the trainer's board.
#[derive(Serialize, JsonSchema)]
pub struct BoardTrainee {
    /// The trainee's id.
    pub id: i64,
    /// The display name.
    pub name: String,
    /// The lesson the trainee is on, null before the first report.
    pub lesson: Option<String>,
    /// The step the trainee is on, null before the first report.
    pub step: Option<String>,
    /// Since when the trainee is on that step (RFC 3339), null before the first report.
    pub since: Option<String>,
    /// Seconds spent on the step (until it was done, if it is).
    pub seconds_on_step: i64,
    /// Wrong answers on the step.
    pub wrong_on_step: i64,
    /// Times "show me" was used on the step.
    pub shown_on_step: i64,
    /// Whether the step is done (or was shown).
    pub step_done: bool,
    /// Steps the trainee finished alone, all lessons.
    pub done_steps: i64,
    /// Whether the trainee is stuck (see `stuck_rule`).
    pub stuck: bool,
    /// The trainee's last report or join (RFC 3339).
    pub last_seen: Option<String>,
}

async fn create(
    State(st): State<PortalState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    q: Params,
    body: Bytes,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let req: NewWorkshop = if body.iter().all(u8::is_ascii_whitespace) {
        NewWorkshop { title: None }
    } else {
        parse_body(&body, r#"{"title": "Lớp tập huấn GIS"}"#)?
    };
    let title = match req.title.as_deref() {
        Some(t) => clean_text(t, "title", 0, MAX_TITLE_CHARS)?,
        None => String::new(),
    };
    let address = client_ip(&headers, peer.as_ref().map(|e| &e.0))
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let base = crate::proxy::base_url(&headers);
    let (key, key_hash) = new_key()?;
    let (code, expires) = db
        .with(move |c| -> Result<(String, i64)> {
            let tx = c.transaction()?;
            let t = now();
            let mut h = Sha256::new();
            h.update(address_salt(&tx)?);
            h.update(address.as_bytes());
            let creator = h.finalize().to_vec();
            let live: i64 = tx.query_row(
                "SELECT count(*) FROM workshop WHERE expires_at > ?1",
                [t],
                |r| r.get(0),
            )?;
            if live >= MAX_LIVE_WORKSHOPS {
                return Err(WorkshopError::Full(format!(
                    "this server already holds {MAX_LIVE_WORKSHOPS} live workshops; try again later"
                )));
            }
            let (recent, mine): (i64, i64) = tx.query_row(
                "SELECT count(*) FILTER (WHERE created_at > ?2), count(*) FILTER (WHERE expires_at > ?3)
                 FROM workshop WHERE creator = ?1",
                params![creator, t - 3600, t],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if recent >= MAX_STARTS_PER_ADDRESS_HOUR {
                return Err(WorkshopError::TooMany(
                    format!("at most {MAX_STARTS_PER_ADDRESS_HOUR} workshops an hour from one address; use one you started"),
                    600,
                ));
            }
            if mine >= MAX_LIVE_PER_ADDRESS {
                return Err(WorkshopError::TooMany(
                    format!("at most {MAX_LIVE_PER_ADDRESS} live workshops from one address; end some first"),
                    3600,
                ));
            }
            // A code taken (by a live or an expired workshop not yet swept): draw again.
            for _ in 0..20 {
                let code = new_code()?;
                let n = tx.execute(
                    "INSERT INTO workshop (code, title, trainer_key_hash, creator, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (code) DO NOTHING",
                    params![code, title, key_hash, creator, t, t + WORKSHOP_TTL],
                )?;
                if n == 1 {
                    tx.commit()?;
                    return Ok((code, t + WORKSHOP_TTL));
                }
            }
            Err(WorkshopError::Internal("no free workshop code in 20 draws".into()))
        })
        .await??;
    Ok(live_json(
        StatusCode::CREATED,
        WorkshopStarted {
            join_url: format!("{base}/#/join/{code}"),
            board_url: format!("{base}/#/trainer/{code}"),
            code,
            trainer_key: key,
            expires_at: rfc3339(expires),
        },
    ))
}

async fn summary(
    State(st): State<PortalState>,
    Path(code): Path<String>,
    q: Params,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    let v = db
        .with(move |c| -> Result<WorkshopSummary> {
            let w = load(c, &code, now())?;
            let n: i64 = c.query_row(
                "SELECT count(*) FROM participant WHERE workshop_id = ?1",
                [w.id],
                |r| r.get(0),
            )?;
            Ok(WorkshopSummary {
                push: w.push_out(),
                expires_at: rfc3339(w.expires_at),
                code: w.code,
                title: w.title,
                participants: n,
            })
        })
        .await??;
    Ok(live_json(StatusCode::OK, v))
}

async fn end(
    State(st): State<PortalState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    db.with(move |c| -> Result<()> {
        let w = load(c, &code, now())?;
        w.check_trainer(&headers)?;
        c.execute("DELETE FROM workshop WHERE id = ?1", [w.id])?;
        Ok(())
    })
    .await??;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A trainee joining.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WorkshopJoin {
    /// The display name: 1–40 characters after trimming, unique in the workshop (ignoring
    /// case); no control or invisible characters. Nothing else is asked or kept.
    #[schemars(length(min = 1, max = MAX_NAME_CHARS))]
    name: String,
}

async fn join(
    State(st): State<PortalState>,
    Path(code): Path<String>,
    q: Params,
    body: Bytes,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    let req: WorkshopJoin = parse_body(&body, r#"{"name": "Lan"}"#)?;
    let name = clean_text(&req.name, "name", 1, MAX_NAME_CHARS)?;
    let (key, key_hash) = new_key()?;
    let v = db
        .with(move |c| -> Result<WorkshopJoined> {
            let tx = c.transaction()?;
            let t = now();
            let w = load(&tx, &code, t)?;
            let names: Vec<String> = tx
                .prepare("SELECT name FROM participant WHERE workshop_id = ?1")?
                .query_map([w.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if names.len() as i64 >= MAX_PARTICIPANTS {
                return Err(WorkshopError::Conflict(format!(
                    "workshop {code} is full ({MAX_PARTICIPANTS} trainees)"
                )));
            }
            let folded = name.to_lowercase();
            if names.iter().any(|n| n.to_lowercase() == folded) {
                return Err(WorkshopError::Conflict(format!(
                    "someone in workshop {code} is already called {name}; add an initial or a number"
                )));
            }
            tx.execute(
                "INSERT INTO participant (workshop_id, name, key_hash, joined_at, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![w.id, name, key_hash, t],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(WorkshopJoined {
                id,
                key,
                name,
                push: w.push_out(),
                expires_at: rfc3339(w.expires_at),
                code: w.code,
                title: w.title,
            })
        })
        .await??;
    Ok(live_json(StatusCode::CREATED, v))
}

/// A trainee's progress event, as the lesson runner reports it.
#[derive(Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum Event {
    /// Entered the step.
    Enter,
    /// Answered it wrongly.
    Wrong,
    /// Finished it.
    Done,
    /// Used "show me" (which finishes the step, not counted in `done_steps`).
    Shown,
}

/// A trainee's lesson event.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WorkshopProgress {
    /// The lesson's id.
    #[schemars(pattern(ID_PATTERN))]
    lesson: String,
    /// The step's id.
    #[schemars(pattern(ID_PATTERN))]
    step: String,
    /// What happened: `enter` (entered the step), `wrong` (answered it wrongly), `done`
    /// (finished it), `shown` (used "show me", which finishes the step but is not counted
    /// in `done_steps`).
    event: Event,
}

async fn progress(
    State(st): State<PortalState>,
    Path((code, id)): Path<(String, String)>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    let id = participant_id(&id, &code)?;
    let key = key_header(&headers, PARTICIPANT_KEY_HEADER)?.to_string();
    let req: WorkshopProgress = parse_body(
        &body,
        r#"{"lesson": "find-parcel", "step": "search", "event": "enter"}"#,
    )?;
    let lesson = check_id(&req.lesson, "lesson")?;
    let step = check_id(&req.step, "step")?;
    let v = db
        .with(move |c| -> Result<WorkshopProgressAnswer> {
            let tx = c.transaction()?;
            let t = now();
            let w = load(&tx, &code, t)?;
            let row = tx
                .query_row(
                    "SELECT workshop_id, key_hash, lesson, step, rate_window, rate_count
                     FROM participant WHERE id = ?1",
                    [id],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, Vec<u8>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, Option<String>>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, i64>(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((workshop_id, key_hash, cur_lesson, cur_step, window, count)) = row else {
                return Err(no_trainee(id, &code));
            };
            if !same_hash(&sha256(key.as_bytes()), &key_hash) {
                return Err(WorkshopError::WrongKey("participant key"));
            }
            if workshop_id != w.id {
                // A real trainee and key, of another workshop.
                return Err(WorkshopError::WrongKey("participant key"));
            }
            let (window, count) = if t - window >= RATE_WINDOW_SECONDS {
                (t, 1)
            } else {
                (window, count + 1)
            };
            if count > MAX_WRITES_PER_WINDOW {
                return Err(WorkshopError::TooMany(
                    format!("at most {MAX_WRITES_PER_WINDOW} progress reports per {RATE_WINDOW_SECONDS} s"),
                    RATE_WINDOW_SECONDS - (t - window),
                ));
            }
            let same_step =
                cur_lesson.as_deref() == Some(lesson.as_str()) && cur_step.as_deref() == Some(step.as_str());
            if !same_step {
                // Moving to another step (an `enter`, or an answer on a step the server
                // had not heard about): its counters start again.
                tx.execute(
                    "UPDATE participant SET lesson = ?2, step = ?3, since = ?4, wrong = 0, shown = 0,
                     done_at = NULL WHERE id = ?1",
                    params![id, lesson, step, t],
                )?;
            }
            match req.event {
                Event::Enter => {}
                Event::Wrong => {
                    tx.execute("UPDATE participant SET wrong = wrong + 1 WHERE id = ?1", [id])?;
                }
                Event::Shown => {
                    // "Show me" performs the answer: the step is over (not stuck), but it
                    // is not counted among the steps the trainee did alone.
                    tx.execute(
                        "UPDATE participant SET shown = shown + 1, done_at = coalesce(done_at, ?2) WHERE id = ?1",
                        params![id, t],
                    )?;
                }
                Event::Done => {
                    tx.execute(
                        "UPDATE participant SET done_at = coalesce(done_at, ?2) WHERE id = ?1",
                        params![id, t],
                    )?;
                    let done: i64 = tx.query_row(
                        "SELECT count(*) FROM step_done WHERE participant_id = ?1",
                        [id],
                        |r| r.get(0),
                    )?;
                    if done < MAX_DONE_STEPS {
                        tx.execute(
                            "INSERT INTO step_done (participant_id, lesson, step, at) VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT DO NOTHING",
                            params![id, lesson, step, t],
                        )?;
                    }
                }
            }
            tx.execute(
                "UPDATE participant SET last_seen = ?2, rate_window = ?3, rate_count = ?4 WHERE id = ?1",
                params![id, t, window, count],
            )?;
            tx.commit()?;
            Ok(WorkshopProgressAnswer { push: w.push_out() })
        })
        .await??;
    Ok(live_json(StatusCode::OK, v))
}

async fn board(
    State(st): State<PortalState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    let v = db
        .with(move |c| -> Result<WorkshopBoard> {
            let t = now();
            let w = load(c, &code, t)?;
            w.check_trainer(&headers)?;
            let mut stmt = c.prepare(
                "SELECT p.id, p.name, p.lesson, p.step, p.since, p.wrong, p.shown, p.done_at, p.last_seen,
                        (SELECT count(*) FROM step_done d WHERE d.participant_id = p.id)
                 FROM participant p WHERE p.workshop_id = ?1 ORDER BY p.id",
            )?;
            let people = stmt
                .query_map([w.id], |r| {
                    let since: Option<i64> = r.get(4)?;
                    let wrong: i64 = r.get(5)?;
                    let done_at: Option<i64> = r.get(7)?;
                    let on_step = since.map(|s| (done_at.unwrap_or(t) - s).max(0)).unwrap_or(0);
                    let step_done = done_at.is_some();
                    let stuck = since.is_some()
                        && !step_done
                        && (wrong >= STUCK_WRONG || on_step >= STUCK_SECONDS);
                    Ok(BoardTrainee {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        lesson: r.get(2)?,
                        step: r.get(3)?,
                        since: since.and_then(rfc3339),
                        seconds_on_step: on_step,
                        wrong_on_step: wrong,
                        shown_on_step: r.get(6)?,
                        step_done,
                        done_steps: r.get(9)?,
                        stuck,
                        last_seen: rfc3339(r.get(8)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(WorkshopBoard {
                push: w.push_out(),
                expires_at: rfc3339(w.expires_at),
                code: w.code,
                title: w.title,
                stuck_rule: StuckRule {
                    wrong_answers: STUCK_WRONG,
                    seconds: STUCK_SECONDS,
                },
                participants: people,
            })
        })
        .await??;
    Ok(live_json(StatusCode::OK, v))
}

/// A trainee's id from the path: a positive number, else "no such trainee".
fn participant_id(id: &str, code: &str) -> Result<i64> {
    id.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        WorkshopError::NotFound(format!("no trainee {} in workshop {code}", shown(id)))
    })
}

fn no_trainee(id: i64, code: &str) -> WorkshopError {
    WorkshopError::NotFound(format!("no trainee {id} in workshop {code}"))
}

/// A trainee's own view: their name and the trainer's push (404 once removed). Trainees poll it.
async fn me(
    State(st): State<PortalState>,
    Path((code, id)): Path<(String, String)>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    let id = participant_id(&id, &code)?;
    let key = key_header(&headers, PARTICIPANT_KEY_HEADER)?.to_string();
    let v = db
        .with(move |c| -> Result<WorkshopTrainee> {
            let w = load(c, &code, now())?;
            let row: Option<(i64, Vec<u8>, String)> = c
                .query_row(
                    "SELECT workshop_id, key_hash, name FROM participant WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((ws, hash, name)) = row else {
                return Err(no_trainee(id, &code));
            };
            if ws != w.id || !same_hash(&sha256(key.as_bytes()), &hash) {
                return Err(WorkshopError::WrongKey("participant key"));
            }
            Ok(WorkshopTrainee {
                id,
                name,
                push: w.push_out(),
                expires_at: rfc3339(w.expires_at),
                code: w.code,
            })
        })
        .await??;
    Ok(live_json(StatusCode::OK, v))
}

/// Removes a trainee and their progress: the trainer (a name that should not be there) or
/// the trainee (leaving deletes their name at once).
async fn remove(
    State(st): State<PortalState>,
    Path((code, id)): Path<(String, String)>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    let id = participant_id(&id, &code)?;
    db.with(move |c| -> Result<()> {
        let w = load(c, &code, now())?;
        let row: Option<(i64, Vec<u8>)> = c
            .query_row(
                "SELECT workshop_id, key_hash FROM participant WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if headers.contains_key(TRAINER_KEY_HEADER) {
            w.check_trainer(&headers)?;
        } else {
            let key = key_header(&headers, PARTICIPANT_KEY_HEADER)?;
            let ok = row
                .as_ref()
                .is_some_and(|(ws, hash)| *ws == w.id && same_hash(&sha256(key.as_bytes()), hash));
            if !ok && row.is_some() {
                return Err(WorkshopError::WrongKey("participant key"));
            }
        }
        match row {
            Some((ws, _)) if ws == w.id => {
                c.execute("DELETE FROM participant WHERE id = ?1", [id])?;
                Ok(())
            }
            _ => Err(no_trainee(id, &code)),
        }
    })
    .await??;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The lesson step to send every trainee to.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WorkshopPushTo {
    /// The lesson's id.
    #[schemars(pattern(ID_PATTERN))]
    lesson: String,
    /// The step's id.
    #[schemars(pattern(ID_PATTERN))]
    step: String,
}

async fn push(
    State(st): State<PortalState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> Result<Response> {
    let db = db_of(&st)?;
    q.parse::<NoParams>()?;
    let code = parse_code(&code)?;
    let req: WorkshopPushTo = parse_body(&body, r#"{"lesson": "find-parcel", "step": "search"}"#)?;
    let lesson = check_id(&req.lesson, "lesson")?;
    let step = check_id(&req.step, "step")?;
    let v = db
        .with(move |c| -> Result<WorkshopPushed> {
            let tx = c.transaction()?;
            let t = now();
            let w = load(&tx, &code, t)?;
            w.check_trainer(&headers)?;
            let seq: i64 = tx.query_row(
                "UPDATE workshop SET push_lesson = ?2, push_step = ?3, push_seq = push_seq + 1, push_at = ?4
                 WHERE id = ?1 RETURNING push_seq",
                params![w.id, lesson, step, t],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok(WorkshopPushed {
                push: WorkshopPush { lesson, step, seq },
            })
        })
        .await??;
    Ok(live_json(StatusCode::OK, v))
}

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/workshops", &["post"], post(create)),
        (
            "/api/v1/workshops/{code}",
            &["get", "delete"],
            get(summary).delete(end),
        ),
        (
            "/api/v1/workshops/{code}/participants",
            &["post"],
            post(join),
        ),
        (
            "/api/v1/workshops/{code}/participants/{id}/progress",
            &["put"],
            put(progress),
        ),
        (
            "/api/v1/workshops/{code}/participants/{id}",
            &["get", "delete"],
            get(me).delete(remove),
        ),
        ("/api/v1/workshops/{code}/board", &["get"], get(board)),
        ("/api/v1/workshops/{code}/push", &["post"], post(push)),
    ]
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "Workshops";
    let code = |o: Op| {
        o.path(
            "code",
            "The workshop's code (6 of ABCDEFGHJKMNPQRSTUVWXYZ23456789; case-insensitive)",
            json!({"type": "string", "pattern": "^[A-Za-z0-9]{6}$"}),
        )
    };
    let pid = |o: Op| {
        o.path(
            "id",
            "The trainee's id",
            json!({"type": "integer", "minimum": 1}),
        )
    };
    let trainer = |o: Op, required: bool| {
        o.header(
            "X-Trainer-Key",
            "The trainer_key given when the workshop was started",
            required,
        )
    };
    let participant = |o: Op, required: bool| {
        o.header(
            "X-Participant-Key",
            "The key given when the trainee joined",
            required,
        )
    };
    // Every operation can meet a malformed query, workshops turned off (404), no portal
    // database (503) or a database error (500).
    let mut p = Map::new();
    p.insert(
        "/api/v1/workshops".into(),
        json!({"post": Op::new(
            "Start a workshop: its code, the trainer's key (shown once), expiry and join link",
            tag,
        )
        .query::<NoParams>()
        .body::<NewWorkshop>(sc, "The workshop's title (optional; an empty body is accepted)", false)
        .json::<WorkshopStarted>(sc, "201", "The workshop: code, trainer_key, expires_at, join_url, board_url")
        .problems(&["400", "404", "413", "429", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/workshops/{code}".into(),
        json!({
            "get": code(Op::new(
                "A workshop's public summary: title, expiry, the trainer's current push, number of trainees",
                tag,
            ))
            .query::<NoParams>()
            .json::<WorkshopSummary>(sc, "200", "code, title, expires_at, push, participants")
            .problems(&["400", "404", "410", "500", "503"])
            .done(),
            "delete": trainer(code(Op::new(
                "End a workshop now (its trainees and their progress are deleted)",
                tag,
            )), true)
            .query::<NoParams>()
            .empty("204", "Ended")
            .problems(&["400", "401", "403", "404", "410", "500", "503"])
            .done(),
        }),
    );
    p.insert(
        "/api/v1/workshops/{code}/participants".into(),
        json!({"post": code(Op::new(
            "Join a workshop with a display name (1–40 characters; nothing else is asked or kept)",
            tag,
        ))
        .query::<NoParams>()
        .body::<WorkshopJoin>(sc, "The trainee's display name", true)
        .json::<WorkshopJoined>(sc, "201", "id, key (shown once), name, and the workshop's push")
        .problems(&["400", "404", "409", "410", "413", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/workshops/{code}/participants/{id}/progress".into(),
        json!({"put": participant(pid(code(Op::new(
            "Report a trainee's lesson event; the answer carries the trainer's push (or null)",
            tag,
        ))), true)
        .query::<NoParams>()
        .body::<WorkshopProgress>(sc, "The lesson step and what happened on it", true)
        .json::<WorkshopProgressAnswer>(sc, "200", "The trainer's push, or null")
        .problems(&["400", "401", "403", "404", "410", "413", "429", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/workshops/{code}/participants/{id}".into(),
        json!({
            "get": participant(pid(code(Op::new(
                "A trainee's own view (name, the trainer's push); 404 once removed",
                tag,
            ))), true)
            .query::<NoParams>()
            .json::<WorkshopTrainee>(sc, "200", "id, name, code, expires_at, push")
            .problems(&["400", "401", "403", "404", "410", "500", "503"])
            .done(),
            "delete": participant(trainer(pid(code(Op::new(
                "Remove a trainee and their progress: with the trainer's key, or the trainee's own (leaving)",
                tag,
            ))), false), false)
            .query::<NoParams>()
            .empty("204", "Removed")
            .problems(&["400", "401", "403", "404", "410", "500", "503"])
            .done(),
        }),
    );
    p.insert(
        "/api/v1/workshops/{code}/board".into(),
        json!({"get": trainer(code(Op::new(
            "The trainer's board: each trainee's lesson and step, time on it, wrong answers, 'show me' uses, finished steps, stuck",
            tag,
        )), true)
        .query::<NoParams>()
        .json::<WorkshopBoard>(sc, "200", "code, title, push, stuck_rule, participants[]")
        .problems(&["400", "401", "403", "404", "410", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/workshops/{code}/push".into(),
        json!({"post": trainer(code(Op::new(
            "Send every trainee to a lesson step (the push's seq increases by one)",
            tag,
        )), true)
        .query::<NoParams>()
        .body::<WorkshopPushTo>(sc, "The lesson step", true)
        .json::<WorkshopPushed>(sc, "200", "The push sent")
        .problems(&["400", "401", "403", "404", "410", "413", "500", "503"])
        .done()}),
    );
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_use_the_alphabet() {
        for _ in 0..200 {
            let c = new_code().unwrap();
            assert_eq!(c.len(), CODE_LEN);
            assert!(c.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{c}");
            assert_eq!(parse_code(&c.to_lowercase()).unwrap(), c);
        }
        for bad in [
            "", "ABC", "ABCDE0", "ABCDEO", "ABCDE1", "ABCDEI", "ABCDEL", "ABCDEFG", "ÁBCDEF",
        ] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_text("  Lan  ", "name", 1, 40).unwrap(), "Lan");
        // NFD input comes out NFC.
        let nfd = "Nguye\u{302}\u{303}n";
        assert_eq!(clean_text(nfd, "name", 1, 40).unwrap(), "Nguyễn");
        assert_eq!(
            clean_text("Trần   Thị  Lan", "name", 1, 40).unwrap(),
            "Trần Thị Lan"
        );
        for bad in [
            "",
            "   ",
            "a\u{0}b",
            "a\u{202E}b",
            "a\u{200B}b",
            "a\nb",
            "a\tb",
            &"x".repeat(41),
        ] {
            assert!(clean_text(bad, "name", 1, 40).is_err(), "{bad:?}");
        }
        assert!(clean_text(&"ễ".repeat(40), "name", 1, 40).is_ok());
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("find-parcel", "lesson").is_ok());
        assert!(check_id("step_2", "step").is_ok());
        for bad in ["", "Find", "a b", "../x", "x;y", &"a".repeat(65)] {
            assert!(check_id(bad, "lesson").is_err(), "{bad}");
        }
    }
}
