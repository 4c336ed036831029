//! Officials' accounts: sign-in, sessions, CSRF, roles, login throttling, the audit log and
//! `quyhoach users`.
//!
//! - **Passwords** are hashed with Argon2id (RustCrypto's `argon2`, its default parameters
//!   m=19456 KiB, t=2, p=1 — OWASP's first recommendation) and stored as PHC strings. A
//!   sign-in with an unknown name verifies a dummy hash, so the time taken does not tell
//!   which accounts exist; both failures get the same 401. Hashing runs on blocking
//!   threads, at most [`hash_slots`] at once, with at most [`MAX_HASH_QUEUE`] waiting.
//! - **Sessions**: a 256-bit random token in the `qh_session` cookie (`HttpOnly`,
//!   `SameSite=Strict`, `Path=/`, `Secure` over https); only its SHA-256 is stored. A
//!   session lasts [`SESSION_LIFETIME_SECS`] at most and ends after
//!   [`SESSION_IDLE_SECS`] without a request. Logout deletes it; a new password, or
//!   disabling the account, ends the account's sessions.
//! - **CSRF**: every request other than GET/HEAD/OPTIONS must echo the session's CSRF token
//!   in `X-CSRF-Token`, and its `Origin`, when sent, must be this server (OWASP's
//!   synchronizer-token pattern plus the origin check; `SameSite=Strict` on top).
//! - **Throttling** is kept in the state database, so several servers share it: per
//!   username ([`USER_MAX_FAILURES`] failures in [`THROTTLE_WINDOW_SECS`] lock it for
//!   [`LOCK_SECS`]) and per client address ([`CLIENT_MAX_FAILURES`]); 429 with
//!   `Retry-After`. Each attempt counts before its password is checked, so parallel
//!   guesses cannot pass the limit.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Extension;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::sql::{now, vals, Row, SqlError, SqlResult, Tx};
use super::twoway::{
    client_ip, client_prefix, new_token, same_bytes, shared_secret, state_db, token_hash, ApiError,
    ApiResult, StateArgs,
};
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::params::{NoParams, Params, Query};

/// The session cookie's name.
pub const COOKIE: &str = "qh_session";
/// The header state-changing requests carry the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends this long after sign-in, whatever happens (12 h: one working day).
pub const SESSION_LIFETIME_SECS: i64 = 12 * 3600;
/// A session ends after this long without a request (2 h).
pub const SESSION_IDLE_SECS: i64 = 2 * 3600;
/// `last_seen` is written at most this often (a write per request would serialise reads).
pub const TOUCH_EVERY_SECS: i64 = 60;
/// Sessions kept per account; signing in once more ends the oldest.
pub const MAX_SESSIONS_PER_ACCOUNT: i64 = 20;
/// Failed sign-ins of one username within [`THROTTLE_WINDOW_SECS`] that lock it.
pub const USER_MAX_FAILURES: i64 = 5;
/// Failed sign-ins from one client address (IPv4, or IPv6 /64) that lock it.
pub const CLIENT_MAX_FAILURES: i64 = 20;
/// The window failures are counted in (15 min).
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
/// How long a lock lasts (15 min).
pub const LOCK_SECS: i64 = 15 * 60;
/// Throttle rows are deleted by the sweep a day after their window started.
pub const THROTTLE_KEEP_SECS: i64 = 24 * 3600;
/// Largest request body of these routes: a name and two passwords fit many times over.
pub const MAX_BODY_BYTES: usize = 4096;
/// Username: 3–40 of `a-z 0-9 . _ -`.
pub const USERNAME_MIN: usize = 3;
/// See [`USERNAME_MIN`].
pub const USERNAME_MAX: usize = 40;
/// Display names are 1–80 characters (NFC), shown with every answer.
pub const DISPLAY_NAME_MAX: usize = 80;
/// Passwords: at least 12 characters (NIST SP 800-63B allows long passphrases; no
/// composition rules).
pub const PASSWORD_MIN: usize = 12;
/// At most 256 characters: bounds the hashing work of a hostile sign-in.
pub const PASSWORD_MAX: usize = 256;
/// Communes one commune officer answers for.
pub const MAX_COMMUNES: usize = 50;
/// A commune code: 1–10 digits (the national administrative codes).
pub const COMMUNE_CODE_MAX: usize = 10;
/// Audit rows in one answer, at most (default 100).
pub const AUDIT_MAX_LIMIT: i64 = 500;
/// Deepest offset of an audit page.
pub const AUDIT_MAX_OFFSET: i64 = 1_000_000;
/// Longest audit `detail` kept, in characters (longer ones are cut).
pub const AUDIT_DETAIL_MAX: usize = 2000;
/// Sign-ins waiting for a hashing slot, at most; more get 429 (a flood of sign-ins must
/// not take the CPU from lookups).
pub const MAX_HASH_QUEUE: usize = 32;

/// The answer to every failed sign-in (unknown name, wrong password, disabled account).
const WRONG: &str = "wrong username or password";
/// The answer without a valid session.
const SIGN_IN: &str = "sign in first (no session, or it expired)";

/// What an official may do. Ordered: each role may do what the ones before it may.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A commune (or ward) officer: answers for the communes of the account.
    Commune,
    /// The planning office: the whole province; opens consultations.
    PlanningOffice,
    /// Administrator: everything, and the audit log.
    Admin,
}

impl Role {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Commune => "commune",
            Role::PlanningOffice => "planning_office",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or typed name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "commune" => Some(Role::Commune),
            "planning_office" => Some(Role::PlanningOffice),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s)
            .ok_or_else(|| format!("unknown role '{s}'; one of commune, planning_office, admin"))
    }
}

/// The signed-in official of a request (an axum extractor): 401 without a valid session;
/// for every method but GET/HEAD/OPTIONS, 403 unless the `X-CSRF-Token` header carries the
/// session's token and `Origin` (when sent) is this server.
#[derive(Debug, Clone, serde::Serialize, JsonSchema)]
#[schemars(description = "An official's account: who is signed in, with the role and communes.")]
pub struct Official {
    /// The account's id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown with answers ("UBND xã Vĩnh Thanh Vân", "Phòng Kinh tế").
    pub display_name: String,
    /// The account's role.
    pub role: Role,
    /// The communes a commune officer answers for (codes); empty for other roles.
    pub communes: Vec<String>,
}

impl Official {
    /// Whether this official may act on something in `commune` (`None`: not tied to a
    /// commune, e.g. a whole plan — planning office and admin only).
    pub fn may_act_on(&self, commune: Option<&str>) -> bool {
        match self.role {
            Role::Admin | Role::PlanningOffice => true,
            Role::Commune => commune.is_some_and(|c| self.communes.iter().any(|x| x == c)),
        }
    }

    /// 403 unless the role is at least `role`.
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {role} role or higher; this account is {}",
                self.role
            )))
        }
    }

    /// Reads `id, username, display_name, role, communes` from `row` at `at..at+5`.
    fn from_row(row: &Row, at: usize) -> SqlResult<Official> {
        let role_s = row.text(at + 3)?;
        let role = Role::parse(&role_s)
            .ok_or_else(|| SqlError::Type(at + 3, format!("unknown role '{role_s}'")))?;
        Ok(Official {
            id: row.i64(at)?,
            username: row.text(at + 1)?,
            display_name: row.text(at + 2)?,
            role,
            communes: split_communes(&row.text(at + 4)?),
        })
    }
}

fn split_communes(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

const OFFICIAL_COLUMNS: &str = "o.id, o.username, o.display_name, o.role, o.communes";

// ---------------------------------------------------------------- sessions

/// A signed-in session (the extractor behind [`Official`]; also gives the CSRF token and
/// the token's hash to `me`, `logout` and `password`).
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub official: Official,
    /// The session's CSRF token.
    pub csrf: String,
    /// The stored hash of the cookie's token.
    token_hash: Vec<u8>,
}

/// The `qh_session` cookie's value, if it looks like a token.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .filter(|(k, _)| k.trim() == COOKIE)
        .map(|(_, v)| v.trim().trim_matches('"'))
        .find(|v| super::twoway::is_token(v))
        .map(str::to_string)
}

/// Reads the session of `hash` and keeps it alive; `None` (and the row deleted) when it
/// expired, sat idle too long or its account is disabled.
fn load_session(tx: &mut dyn Tx, hash: &[u8], at: i64) -> SqlResult<Option<Session>> {
    let sql = format!(
        "SELECT s.csrf, s.last_seen, s.expires_at, o.disabled, {OFFICIAL_COLUMNS} \
         FROM official_session s JOIN official o ON o.id = s.official_id \
         WHERE s.token_hash = ?"
    );
    let Some(row) = tx.query_opt(&sql, vals![hash])? else {
        return Ok(None);
    };
    let (last_seen, expires_at, disabled) = (row.i64(1)?, row.i64(2)?, row.i64(3)?);
    if expires_at <= at || last_seen + SESSION_IDLE_SECS <= at || disabled != 0 {
        tx.exec(
            "DELETE FROM official_session WHERE token_hash = ?",
            vals![hash],
        )?;
        return Ok(None);
    }
    if at - last_seen >= TOUCH_EVERY_SECS {
        tx.exec(
            "UPDATE official_session SET last_seen = ? WHERE token_hash = ?",
            vals![at, hash],
        )?;
    }
    Ok(Some(Session {
        official: Official::from_row(&row, 4)?,
        csrf: row.text(0)?,
        token_hash: hash.to_vec(),
    }))
}

/// `host[:port]` lower-cased, without the scheme's default port.
fn normal_host(host: &str, https: bool) -> String {
    let h = host.trim().to_ascii_lowercase();
    let default = if https { ":443" } else { ":80" };
    h.strip_suffix(default).map(str::to_string).unwrap_or(h)
}

/// 403 when the request names an `Origin` that is not this server (the host clients use:
/// `Host`, a trusted proxy's `X-Forwarded-Host`, or `--public-url`).
pub fn check_origin(headers: &HeaderMap) -> ApiResult<()> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let refuse = || {
        ApiError::Forbidden(
            "the request comes from a page of another site (its Origin is not this server)".into(),
        )
    };
    let origin = origin.to_str().map_err(|_| refuse())?.trim();
    let (scheme, host) = origin.split_once("://").ok_or_else(refuse)?;
    if !matches!(scheme, "http" | "https") || host.contains('/') || host.is_empty() {
        return Err(refuse());
    }
    let base = crate::proxy::base_url(headers);
    let ours = base.split_once("://").map_or("", |(_, h)| h);
    if normal_host(host, scheme == "https") == normal_host(ours, base.starts_with("https:")) {
        Ok(())
    } else {
        Err(refuse())
    }
}

fn is_safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<PortalState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &PortalState) -> ApiResult<Self> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(s.clone());
        }
        let db = state_db(state)?;
        let token =
            session_cookie(&parts.headers).ok_or_else(|| ApiError::Unauthorized(SIGN_IN.into()))?;
        let hash = token_hash(&token);
        let session = db
            .tx(move |tx| load_session(tx, &hash, now()))
            .await?
            .ok_or_else(|| ApiError::Unauthorized(SIGN_IN.into()))?;
        if !is_safe_method(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !same_bytes(sent, session.csrf.as_bytes()) {
                return Err(ApiError::Forbidden(
                    "missing or wrong X-CSRF-Token header: send the csrf value the sign-in \
                     (or GET /api/v1/auth/me) gave"
                        .into(),
                ));
            }
            check_origin(&parts.headers)?;
        }
        parts.extensions.insert(session.clone());
        Ok(session)
    }
}

impl FromRequestParts<PortalState> for Official {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &PortalState) -> ApiResult<Self> {
        Ok(Session::from_request_parts(parts, state).await?.official)
    }
}

// ---------------------------------------------------------------- the audit log

/// Records an official's action in the audit log (inside the action's transaction).
pub fn audit(
    tx: &mut dyn Tx,
    who: &Official,
    action: &str,
    target_kind: &str,
    target_id: Option<i64>,
    detail: &str,
) -> SqlResult<()> {
    audit_row(
        tx,
        Some(who.id),
        &who.username,
        action,
        target_kind,
        target_id,
        detail,
    )
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn audit_row(
    tx: &mut dyn Tx,
    official_id: Option<i64>,
    username: &str,
    action: &str,
    target_kind: &str,
    target_id: Option<i64>,
    detail: &str,
) -> SqlResult<()> {
    tx.exec(
        "INSERT INTO audit_log (at, official_id, username, action, target_kind, target_id, detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        vals![
            now(),
            official_id,
            clip(username, USERNAME_MAX + 20),
            clip(action, 40),
            clip(target_kind, 40),
            target_id,
            clip(detail, AUDIT_DETAIL_MAX)
        ],
    )?;
    Ok(())
}

/// The name audit rows of `quyhoach users …` carry.
const CLI_ACTOR: &str = "(command line)";

// ---------------------------------------------------------------- checks and hashing

/// A username as typed (trimmed, lower-cased), or why not.
pub fn check_username(raw: &str) -> ApiResult<String> {
    let u = raw.trim().to_ascii_lowercase();
    let n = u.len();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&n)
        || !u.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
    {
        return Err(ApiError::Bad(format!(
            "a username is {USERNAME_MIN} to {USERNAME_MAX} of a-z, 0-9, '.', '_' and '-' \
             (e.g. vinhthanh.ubnd)"
        )));
    }
    Ok(u)
}

fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// A display name: trimmed, NFC, spaces collapsed, no control or invisible characters,
/// 1–[`DISPLAY_NAME_MAX`] characters.
pub fn check_display_name(raw: &str) -> ApiResult<String> {
    let s: String = raw.trim().nfc().collect();
    if let Some(c) = s.chars().find(|c| c.is_control() || is_format_char(*c)) {
        return Err(ApiError::Bad(format!(
            "the display name holds the control or invisible character U+{:04X}",
            c as u32
        )));
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    if n == 0 || n > DISPLAY_NAME_MAX {
        return Err(ApiError::Bad(format!(
            "the display name has {n} characters; it needs 1 to {DISPLAY_NAME_MAX}"
        )));
    }
    Ok(s)
}

/// A new password's length (characters), or why not.
pub fn check_password(p: &str) -> ApiResult<()> {
    let n = p.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        return Err(ApiError::Bad(format!(
            "a password needs {PASSWORD_MIN} to {PASSWORD_MAX} characters (a few words make a \
             good one); this one has {n}"
        )));
    }
    if p.chars().any(|c| c.is_control()) {
        return Err(ApiError::Bad(
            "a password cannot hold control characters (tabs, line breaks)".into(),
        ));
    }
    Ok(())
}

/// The communes of an account of `role`: commune officers need 1–[`MAX_COMMUNES`] codes of
/// 1–[`COMMUNE_CODE_MAX`] digits; other roles none.
pub fn check_communes(role: Role, communes: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in communes.iter().flat_map(|c| c.split(',')).map(str::trim) {
        if c.is_empty() {
            continue;
        }
        if c.len() > COMMUNE_CODE_MAX || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::Bad(format!(
                "commune code '{}' is not 1 to {COMMUNE_CODE_MAX} digits (e.g. 31150)",
                clip(c, 20)
            )));
        }
        if !out.iter().any(|x| x == c) {
            out.push(c.to_string());
        }
        if out.len() > MAX_COMMUNES {
            return Err(ApiError::Bad(format!(
                "at most {MAX_COMMUNES} communes per account"
            )));
        }
    }
    match role {
        Role::Commune if out.is_empty() => Err(ApiError::Bad(
            "a commune officer needs at least one commune (--commune CODE)".into(),
        )),
        Role::PlanningOffice | Role::Admin if !out.is_empty() => Err(ApiError::Bad(format!(
            "communes are for commune officers; a {role} account acts on every commune"
        ))),
        _ => Ok(out),
    }
}

/// An Argon2id PHC string of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> ApiResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::Internal(format!("random salt: {e}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// A hash of a random password, verified when the account does not exist so that a wrong
/// name takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let (random, _) = new_token();
        hash_password(&random).unwrap_or_default()
    })
}

/// Whether `password` matches `phc` (constant-time comparison inside `argon2`); `None`
/// verifies the dummy hash and answers false.
pub fn verify_password(password: &str, phc: Option<&str>) -> bool {
    // Made on the first call whichever the case, so the first answer tells nothing either.
    let dummy = dummy_hash();
    let (phc, real) = match phc {
        Some(h) => (h, true),
        None => (dummy, false),
    };
    let ok = match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            // A damaged stored hash: spend the same time, then refuse.
            if let Ok(parsed) = PasswordHash::new(dummy) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
            }
            false
        }
    };
    ok && real
}

/// Concurrent hashings allowed: half the processors (at least one).
pub fn hash_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

static HASH_WAITING: AtomicUsize = AtomicUsize::new(0);

fn hash_semaphore() -> &'static tokio::sync::Semaphore {
    static S: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    S.get_or_init(|| tokio::sync::Semaphore::new(hash_slots()))
}

/// Runs a hashing job on a blocking thread, when a slot is free; 429 when too many wait.
async fn hashing<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    struct Waiting;
    impl Drop for Waiting {
        fn drop(&mut self) {
            HASH_WAITING.fetch_sub(1, Ordering::Relaxed);
        }
    }
    if HASH_WAITING.fetch_add(1, Ordering::Relaxed) >= MAX_HASH_QUEUE {
        HASH_WAITING.fetch_sub(1, Ordering::Relaxed);
        return Err(ApiError::TooMany(
            "too many sign-ins at once; try again in a few seconds".into(),
            5,
        ));
    }
    let waiting = Waiting;
    let _permit = hash_semaphore()
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(format!("hashing slots: {e}")))?;
    drop(waiting);
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ApiError::Internal(format!("hashing thread: {e}")))
}

// ---------------------------------------------------------------- accounts

/// Creates an account (checks the fields, hashes the password with Argon2id); its id.
/// 409 when the username is taken.
pub fn create_official(
    tx: &mut dyn Tx,
    username: &str,
    display_name: &str,
    role: Role,
    communes: &[String],
    password: &str,
) -> ApiResult<i64> {
    let username = check_username(username)?;
    let display_name = check_display_name(display_name)?;
    let communes = check_communes(role, communes)?;
    check_password(password)?;
    let taken = tx.query_opt(
        "SELECT id FROM official WHERE username = ?",
        vals![username.as_str()],
    )?;
    if taken.is_some() {
        return Err(ApiError::Conflict(format!(
            "the username '{username}' is taken; choose another"
        )));
    }
    let hash = hash_password(password)?;
    let at = now();
    let ids = tx.query(
        "INSERT INTO official (username, display_name, role, communes, password_hash, disabled, \
         created_at, password_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?) \
         ON CONFLICT (username) DO NOTHING RETURNING id",
        vals![
            username.as_str(),
            display_name,
            role.as_str(),
            communes.join(","),
            hash,
            at,
            at
        ],
    )?;
    match ids.first() {
        Some(r) => Ok(r.i64(0)?),
        None => Err(ApiError::Conflict(format!(
            "the username '{username}' is taken; choose another"
        ))),
    }
}

/// Sets a new password (already checked and hashed) and ends the account's sessions but
/// `keep` (the session that asked, if any).
fn set_password_hash(tx: &mut dyn Tx, id: i64, hash: &str, keep: Option<&[u8]>) -> SqlResult<()> {
    tx.exec(
        "UPDATE official SET password_hash = ?, password_at = ? WHERE id = ?",
        vals![hash, now(), id],
    )?;
    match keep {
        Some(k) => tx.exec(
            "DELETE FROM official_session WHERE official_id = ? AND token_hash <> ?",
            vals![id, k],
        )?,
        None => tx.exec(
            "DELETE FROM official_session WHERE official_id = ?",
            vals![id],
        )?,
    };
    Ok(())
}

// ---------------------------------------------------------------- throttling

/// The throttle key of a username or a client (a hash salted with a secret every server of
/// the deployment shares, so no name or address is kept in clear).
fn throttle_key(secret: &[u8], kind: &str, value: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(secret);
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    h.finalize().to_vec()
}

/// Seconds left of a lock on `key`, if locked.
fn locked_for(tx: &mut dyn Tx, key: &[u8], at: i64) -> SqlResult<Option<i64>> {
    let row = tx.query_opt(
        "SELECT locked_until FROM login_throttle WHERE key = ?",
        vals![key],
    )?;
    Ok(match row {
        Some(r) if r.i64(0)? > at => Some(r.i64(0)? - at),
        _ => None,
    })
}

/// Counts one attempt on `key` (a new window when the last one is over); the count.
fn count_attempt(tx: &mut dyn Tx, key: &[u8], at: i64) -> SqlResult<i64> {
    let stale = at - THROTTLE_WINDOW_SECS;
    tx.exec(
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES (?, 1, ?, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.window_start <= ? THEN 1 \
                      ELSE login_throttle.failures + 1 END, \
           window_start = CASE WHEN login_throttle.window_start <= ? THEN ? \
                          ELSE login_throttle.window_start END",
        vals![key, at, stale, stale, at],
    )?;
    tx.query_i64(
        "SELECT failures FROM login_throttle WHERE key = ?",
        vals![key],
    )
}

/// Locks `key` for [`LOCK_SECS`] when it has `max` failures or more.
fn lock_if_over(tx: &mut dyn Tx, key: &[u8], max: i64, at: i64) -> SqlResult<()> {
    tx.exec(
        "UPDATE login_throttle SET locked_until = ? WHERE key = ? AND failures >= ?",
        vals![at + LOCK_SECS, key, max],
    )?;
    Ok(())
}

fn too_many(secs: i64) -> ApiError {
    let mins = (secs + 59) / 60;
    ApiError::TooMany(
        format!(
            "too many failed sign-ins; try again in {mins} minute{}",
            if mins == 1 { "" } else { "s" }
        ),
        secs.max(1) as u64,
    )
}

// ---------------------------------------------------------------- routes

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes, example: &str) -> ApiResult<T> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the request body has {} bytes; at most {MAX_BODY_BYTES}",
            body.len()
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::Bad(format!(
            "the body is not the JSON expected ({e}); send e.g. {example}"
        ))
    })
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Whether the client reached this server over https (a trusted proxy's
/// `X-Forwarded-Proto`, or `--public-url https://…`).
fn over_https(headers: &HeaderMap) -> bool {
    crate::proxy::base_url(headers).starts_with("https://")
}

fn session_cookie_header(token: &str, headers: &HeaderMap) -> ApiResult<HeaderValue> {
    let secure = if over_https(headers) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_LIFETIME_SECS}{secure}"
    ))
    .map_err(|e| ApiError::Internal(format!("cookie: {e}")))
}

fn clear_cookie_header(headers: &HeaderMap) -> HeaderValue {
    let secure = if over_https(headers) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("qh_session=; Path=/; Max-Age=0"))
}

/// The signed-in official and the session's CSRF token (the answer of a sign-in and of
/// `GET /api/v1/auth/me`).
#[derive(serde::Serialize, JsonSchema)]
pub struct SessionOut<'a> {
    /// Who is signed in.
    pub official: &'a Official,
    /// The session's CSRF token: send it in `X-CSRF-Token` with every request other than
    /// GET, HEAD and OPTIONS.
    pub csrf: &'a str,
}

fn session_body(s: &Session) -> SessionOut<'_> {
    SessionOut {
        official: &s.official,
        csrf: &s.csrf,
    }
}

/// A sign-in.
#[derive(serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    /// The account's sign-in name: 3–40 of a-z, 0-9, '.', '_' and '-' (surrounding spaces
    /// and capitals ignored).
    username: String,
    /// Its password (a longer one than 256 characters is never right).
    #[schemars(length(max = PASSWORD_MAX))]
    password: String,
}

/// What the first transaction of a sign-in found.
enum Attempt {
    Locked(i64),
    Check {
        account: Option<(i64, String, bool)>,
        user_key: Option<Vec<u8>>,
        client_key: Vec<u8>,
    },
}

async fn login(
    State(st): State<PortalState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    q: Params,
    body: Bytes,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    q.parse::<NoParams>()
        .map_err(|e| ApiError::Bad(e.to_string()))?;
    check_origin(&headers)?;
    let req: LoginBody = parse_body(&body, r#"{"username": "vinhthanh.ubnd", "password": "…"}"#)?;
    // A name that cannot exist is still throttled per client and still hashed.
    let username = check_username(&req.username).ok();
    let password = req.password;
    let prefix = client_prefix(client_ip(&headers, peer.as_ref().map(|e| &e.0)));

    let name = username.clone();
    let attempt = db
        .tx(move |tx| -> SqlResult<Attempt> {
            let at = now();
            let secret = shared_secret(tx, "login_throttle")?;
            let user_key = name.as_deref().map(|u| throttle_key(&secret, "user", u));
            let client_key = throttle_key(&secret, "client", &prefix);
            for k in user_key.iter().chain([&client_key]) {
                if let Some(secs) = locked_for(tx, k, at)? {
                    return Ok(Attempt::Locked(secs));
                }
            }
            // Counted before the password is checked: parallel guesses cannot pass the limit.
            for (k, max) in user_key
                .iter()
                .map(|k| (k, USER_MAX_FAILURES))
                .chain([(&client_key, CLIENT_MAX_FAILURES)])
            {
                if count_attempt(tx, k, at)? > max {
                    lock_if_over(tx, k, max, at)?;
                    return Ok(Attempt::Locked(LOCK_SECS));
                }
            }
            let account = match &name {
                Some(u) => tx
                    .query_opt(
                        "SELECT id, password_hash, disabled FROM official WHERE username = ?",
                        vals![u.as_str()],
                    )?
                    .map(|r| -> SqlResult<_> { Ok((r.i64(0)?, r.text(1)?, r.i64(2)? != 0)) })
                    .transpose()?,
                None => None,
            };
            Ok(Attempt::Check {
                account,
                user_key,
                client_key,
            })
        })
        .await?;
    let (account, user_key, client_key) = match attempt {
        Attempt::Locked(secs) => return Err(too_many(secs)),
        Attempt::Check {
            account,
            user_key,
            client_key,
        } => (account, user_key, client_key),
    };
    let stored = account.as_ref().map(|(_, h, _)| h.clone());
    let verified = hashing(move || {
        let long = password.chars().count() > PASSWORD_MAX;
        // An over-long password is never right; the dummy keeps the time the same.
        verify_password(&password, if long { None } else { stored.as_deref() })
    })
    .await?;
    let ok_id = match account {
        Some((id, _, disabled)) if verified && !disabled => Some(id),
        _ => None,
    };
    let session = db
        .tx(move |tx| -> SqlResult<Option<(Session, String)>> {
            let at = now();
            let Some(id) = ok_id else {
                if let Some(k) = &user_key {
                    lock_if_over(tx, k, USER_MAX_FAILURES, at)?;
                }
                lock_if_over(tx, &client_key, CLIENT_MAX_FAILURES, at)?;
                return Ok(None);
            };
            if let Some(k) = &user_key {
                tx.exec("DELETE FROM login_throttle WHERE key = ?", vals![k.as_slice()])?;
            }
            tx.exec(
                "UPDATE login_throttle SET failures = failures - 1 WHERE key = ? AND failures > 0",
                vals![client_key.as_slice()],
            )?;
            let (token, hash) = new_token();
            let (csrf, _) = new_token();
            tx.exec(
                "DELETE FROM official_session WHERE official_id = ? AND (expires_at <= ? OR last_seen <= ?)",
                vals![id, at, at - SESSION_IDLE_SECS],
            )?;
            // Bounded sessions per account: the oldest go first.
            tx.exec(
                "DELETE FROM official_session WHERE token_hash IN (SELECT token_hash FROM \
                 official_session WHERE official_id = ? ORDER BY created_at DESC, token_hash \
                 LIMIT 1000 OFFSET ?)",
                vals![id, MAX_SESSIONS_PER_ACCOUNT - 1],
            )?;
            tx.exec(
                "INSERT INTO official_session (token_hash, official_id, csrf, created_at, last_seen, \
                 expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                vals![hash.as_slice(), id, csrf.as_str(), at, at, at + SESSION_LIFETIME_SECS],
            )?;
            Ok(load_session(tx, &hash, at)?.map(|s| (s, token)))
        })
        .await?;
    let Some((session, token)) = session else {
        return Err(ApiError::Unauthorized(WRONG.into()));
    };
    tracing::info!(username = %session.official.username, "official signed in");
    let mut resp = (StatusCode::OK, axum::Json(session_body(&session))).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie_header(&token, &headers)?);
    Ok(no_store(resp))
}

async fn logout(
    State(st): State<PortalState>,
    headers: HeaderMap,
    session: Session,
    Query(NoParams {}): Query<NoParams>,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    let hash = session.token_hash.clone();
    db.tx(move |tx| {
        tx.exec(
            "DELETE FROM official_session WHERE token_hash = ?",
            vals![hash.as_slice()],
        )
    })
    .await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, clear_cookie_header(&headers));
    Ok(no_store(resp))
}

async fn me(session: Session, q: Params) -> ApiResult<Response> {
    q.parse::<NoParams>()
        .map_err(|e| ApiError::Bad(e.to_string()))?;
    Ok(no_store(axum::Json(session_body(&session)).into_response()))
}

/// A new password for the signed-in official.
#[derive(serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    /// The current password.
    old: String,
    /// The new one: 12 to 256 characters, no control characters, not the current one.
    #[schemars(length(min = PASSWORD_MIN, max = PASSWORD_MAX))]
    new: String,
}

async fn change_password(
    State(st): State<PortalState>,
    session: Session,
    Query(NoParams {}): Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    let req: PasswordBody = parse_body(
        &body,
        r#"{"old": "the current password", "new": "a new one of 12 characters or more"}"#,
    )?;
    check_password(&req.new)?;
    if req.new == req.old {
        return Err(ApiError::Bad(
            "the new password is the same as the current one".into(),
        ));
    }
    let id = session.official.id;
    let username = session.official.username.clone();
    let begin = db
        .tx(move |tx| -> SqlResult<Result<(String, Vec<u8>), i64>> {
            let at = now();
            let secret = shared_secret(tx, "login_throttle")?;
            let key = throttle_key(&secret, "user", &username);
            if let Some(secs) = locked_for(tx, &key, at)? {
                return Ok(Err(secs));
            }
            if count_attempt(tx, &key, at)? > USER_MAX_FAILURES {
                lock_if_over(tx, &key, USER_MAX_FAILURES, at)?;
                return Ok(Err(LOCK_SECS));
            }
            let h = tx.query_one("SELECT password_hash FROM official WHERE id = ?", vals![id])?;
            Ok(Ok((h.text(0)?, key)))
        })
        .await?;
    let (stored, key) = begin.map_err(too_many)?;
    let (old, new) = (req.old, req.new);
    let new_hash = hashing(move || {
        if old.chars().count() <= PASSWORD_MAX && verify_password(&old, Some(&stored)) {
            hash_password(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await??;
    let keep = session.token_hash.clone();
    let who = session.official.clone();
    let changed = db
        .tx(move |tx| -> SqlResult<bool> {
            let at = now();
            let Some(h) = new_hash else {
                lock_if_over(tx, &key, USER_MAX_FAILURES, at)?;
                return Ok(false);
            };
            tx.exec(
                "DELETE FROM login_throttle WHERE key = ?",
                vals![key.as_slice()],
            )?;
            set_password_hash(tx, who.id, &h, Some(&keep))?;
            audit(tx, &who, "password", "official", Some(who.id), "")?;
            Ok(true)
        })
        .await?;
    if !changed {
        return Err(ApiError::Forbidden(
            "the current password is wrong; the password was not changed".into(),
        ));
    }
    Ok(no_store(StatusCode::NO_CONTENT.into_response()))
}

/// The query of `GET /api/v1/official/audit`.
#[derive(serde::Deserialize, JsonSchema)]
struct AuditQuery {
    /// What the actions were on: submission, consultation, official, …
    #[schemars(length(max = 40))]
    target_kind: Option<String>,
    /// The target's id
    #[schemars(range(min = 0))]
    target_id: Option<i64>,
    /// Only this official's actions (planning office and admin)
    #[schemars(range(min = 1))]
    official: Option<i64>,
    /// Rows (default 100)
    #[schemars(range(min = 1, max = AUDIT_MAX_LIMIT))]
    limit: Option<i64>,
    /// Rows skipped
    #[schemars(range(min = 0, max = AUDIT_MAX_OFFSET))]
    offset: Option<i64>,
}

/// A page of the audit log.
#[derive(serde::Serialize, JsonSchema)]
pub struct AuditPage {
    /// The rows, newest first.
    pub items: Vec<AuditRow>,
    /// Rows matching the filters, all pages.
    pub total: i64,
}

/// One row of the audit log.
#[derive(serde::Serialize, JsonSchema)]
pub struct AuditRow {
    /// The row's id (increasing).
    pub id: i64,
    /// When (Unix seconds).
    pub at: i64,
    /// The official's account id; null for `quyhoach` commands.
    pub official_id: Option<i64>,
    /// The official's sign-in name, or `(command line)`.
    pub username: String,
    /// What was done: login, answer, publish, hide, merge, fixed, consultation_open, …
    pub action: String,
    /// What it was done to: submission, consultation, official, …
    pub target_kind: String,
    /// The target's id, when it has one.
    pub target_id: Option<i64>,
    /// Details (at most 2000 characters).
    pub detail: String,
}

async fn audit_list(
    State(st): State<PortalState>,
    who: Official,
    q: Params,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    let q: AuditQuery = q.parse().map_err(|e| ApiError::Bad(e.to_string()))?;
    let kind = q.target_kind;
    if kind.as_ref().is_some_and(|k| k.chars().count() > 40) {
        return Err(ApiError::Bad("target_kind is at most 40 characters".into()));
    }
    let target = q.target_id;
    let official = q.official;
    let limit = q.limit.unwrap_or(100);
    let offset = q.offset.unwrap_or(0);
    let mut wh: Vec<&str> = Vec::new();
    let mut params: Vec<super::sql::Value> = Vec::new();
    if let Some(k) = kind.filter(|k| !k.is_empty()) {
        wh.push("target_kind = ?");
        params.push(k.into());
    }
    if let Some(t) = target {
        wh.push("target_id = ?");
        params.push(t.into());
    }
    // Commune officers see their own actions only.
    let only = if who.role >= Role::PlanningOffice {
        official
    } else {
        Some(who.id)
    };
    if let Some(o) = only {
        wh.push("official_id = ?");
        params.push(o.into());
    }
    let filter = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    let (items, total) = db
        .tx(move |tx| -> SqlResult<(Vec<AuditRow>, i64)> {
            let total =
                tx.query_i64(&format!("SELECT count(*) FROM audit_log{filter}"), &params)?;
            let mut p = params.clone();
            p.push(limit.into());
            p.push(offset.into());
            let rows = tx.query(
                &format!(
                    "SELECT id, at, official_id, username, action, target_kind, target_id, detail \
                     FROM audit_log{filter} ORDER BY id DESC LIMIT ? OFFSET ?"
                ),
                &p,
            )?;
            let items = rows
                .iter()
                .map(|r| -> SqlResult<AuditRow> {
                    Ok(AuditRow {
                        id: r.i64(0)?,
                        at: r.i64(1)?,
                        official_id: r.opt_i64(2)?,
                        username: r.text(3)?,
                        action: r.text(4)?,
                        target_kind: r.text(5)?,
                        target_id: r.opt_i64(6)?,
                        detail: r.text(7)?,
                    })
                })
                .collect::<SqlResult<Vec<_>>>()?;
            Ok((items, total))
        })
        .await?;
    Ok(no_store(
        axum::Json(AuditPage { items, total }).into_response(),
    ))
}

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/auth/login", &["post"], post(login)),
        ("/api/v1/auth/logout", &["post"], post(logout)),
        ("/api/v1/auth/me", &["get"], get(me)),
        ("/api/v1/auth/password", &["post"], post(change_password)),
        ("/api/v1/official/audit", &["get"], get(audit_list)),
    ]
}

/// The request header carrying the session's CSRF token.
fn csrf(o: Op) -> Op {
    o.header(
        "X-CSRF-Token",
        "The session's CSRF token (the csrf of the sign-in or of /api/v1/auth/me)",
        true,
    )
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "Officials";
    let session = "The signed-in official and the session's CSRF token";
    let mut p = Map::new();
    p.insert(
        "/api/v1/auth/login".into(),
        json!({"post": Op::new(
            "Sign in (sets the qh_session cookie: HttpOnly, SameSite=Strict, Secure over https)",
            tag,
        )
        .query::<NoParams>()
        .body::<LoginBody>(sc, "The account's name and password", true)
        .json::<SessionOut>(sc, "200", session)
        .problems(&["400", "401", "403", "413", "429", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/auth/logout".into(),
        json!({"post": csrf(Op::new("Sign out (ends the session)", tag))
            .query::<NoParams>()
            .empty("204", "Signed out; the cookie is cleared")
            .problems(&["400", "401", "403", "500", "503"])
            .done()}),
    );
    p.insert(
        "/api/v1/auth/me".into(),
        json!({"get": Op::new("The signed-in official", tag)
            .query::<NoParams>()
            .json::<SessionOut>(sc, "200", session)
            .problems(&["400", "401", "500", "503"])
            .done()}),
    );
    p.insert(
        "/api/v1/auth/password".into(),
        json!({"post": csrf(Op::new(
            "Change one's password (ends the account's other sessions)",
            tag,
        ))
        .query::<NoParams>()
        .body::<PasswordBody>(sc, "The current password and the new one", true)
        .empty("204", "Changed")
        .problems(&["400", "401", "403", "413", "429", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/official/audit".into(),
        json!({"get": Op::new(
            "The audit log, newest first (planning office and admin: everyone's; commune officers: their own)",
            tag,
        )
        .query::<AuditQuery>()
        .json::<AuditPage>(sc, "200", "A page of the audit log")
        .problems(&["400", "401", "500", "503"])
        .done()}),
    );
    p
}

/// Deletes expired sessions and stale login throttles.
pub fn sweep(tx: &mut dyn Tx) -> Result<usize, SqlError> {
    let at = now();
    let s = tx.exec(
        "DELETE FROM official_session WHERE expires_at <= ? OR last_seen <= ?",
        vals![at, at - SESSION_IDLE_SECS],
    )?;
    let t = tx.exec(
        "DELETE FROM login_throttle WHERE window_start <= ? AND locked_until <= ?",
        vals![at - THROTTLE_KEEP_SECS, at],
    )?;
    Ok((s + t) as usize)
}

// ---------------------------------------------------------------- the command

/// `quyhoach users …`
#[derive(clap::Subcommand)]
pub enum UsersCommand {
    /// Create an official's account. The password is asked twice on the terminal (not
    /// shown), or read from standard input with --password-stdin. There is no default
    /// password.
    Add {
        #[command(flatten)]
        state: StateArgs,
        /// Sign-in name: 3–40 of a-z, 0-9, '.', '_' and '-'.
        #[arg(long)]
        username: String,
        /// Name shown with the account's answers (e.g. "UBND xã Vĩnh Thanh Vân").
        #[arg(long)]
        name: String,
        /// commune (answers for its --commune codes), planning_office (the whole
        /// province, opens consultations) or admin (everything, the audit log).
        #[arg(long)]
        role: Role,
        /// A commune code the officer answers for (repeat for several; commune role only).
        #[arg(long = "commune", value_name = "CODE")]
        communes: Vec<String>,
        /// Read the password from standard input (one line) instead of the terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the officials' accounts.
    List {
        #[command(flatten)]
        state: StateArgs,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set an account's password (ends its sessions).
    Passwd {
        #[command(flatten)]
        state: StateArgs,
        /// The account.
        #[arg(long)]
        username: String,
        /// Read the password from standard input (one line) instead of the terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it cannot sign in, and its sessions end at once.
    Disable {
        #[command(flatten)]
        state: StateArgs,
        /// The account.
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        state: StateArgs,
        /// The account.
        #[arg(long)]
        username: String,
    },
}

/// Reads a password: one line of standard input, or twice from the terminal without echo.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    use std::io::{BufRead, Read};
    if from_stdin {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take((PASSWORD_MAX * 4 + 2) as u64)
            .read_until(b'\n', &mut buf)?;
        let s = String::from_utf8(buf)
            .map_err(|_| anyhow::anyhow!("the password on standard input is not UTF-8"))?;
        let s = s.strip_suffix('\n').unwrap_or(&s);
        let s = s.strip_suffix('\r').unwrap_or(s);
        return Ok(s.to_string());
    }
    let first = prompt_hidden("Mật khẩu / Password: ")?;
    check_password(&first).map_err(|e| anyhow::anyhow!("{e}"))?;
    let second = prompt_hidden("Nhập lại / Again: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// Asks on the terminal with echo off (`stty -echo`; restored on every path).
fn prompt_hidden(prompt: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, Write};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| {
            anyhow::anyhow!(
                "no terminal to ask the password on; pipe it with --password-stdin \
                 (e.g. printf '%s\\n' \"$PW\" | quyhoach users add … --password-stdin)"
            )
        })?;
    let stty = |arg: &str| -> anyhow::Result<()> {
        let input = tty.try_clone()?;
        let ok = std::process::Command::new("stty")
            .arg(arg)
            .stdin(input)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            Ok(())
        } else {
            anyhow::bail!("cannot turn the terminal's echo off (stty); use --password-stdin")
        }
    };
    struct Echo<'a>(&'a dyn Fn(&str) -> anyhow::Result<()>);
    impl Drop for Echo<'_> {
        fn drop(&mut self) {
            let _ = (self.0)("echo");
        }
    }
    let mut out = tty.try_clone()?;
    write!(out, "{prompt}")?;
    out.flush()?;
    stty("-echo")?;
    let restore = Echo(&stty);
    let mut line = String::new();
    std::io::BufReader::new(tty.try_clone()?).read_line(&mut line)?;
    drop(restore);
    writeln!(out)?;
    let s = line.strip_suffix('\n').unwrap_or(&line);
    Ok(s.strip_suffix('\r').unwrap_or(s).to_string())
}

fn api(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The id of an account, or a clear error.
fn account_id(tx: &mut dyn Tx, username: &str) -> ApiResult<i64> {
    let u = check_username(username)?;
    tx.query_opt(
        "SELECT id FROM official WHERE username = ?",
        vals![u.as_str()],
    )?
    .map(|r| r.i64(0))
    .transpose()?
    .ok_or_else(|| ApiError::NotFound(format!("no account named '{u}' (see users list)")))
}

/// Runs a `users` command.
pub fn run(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            state,
            username,
            name,
            role,
            communes,
            password_stdin,
        } => {
            // Every field is checked before the password is asked.
            let username = check_username(&username).map_err(api)?;
            check_display_name(&name).map_err(api)?;
            let communes = check_communes(role, &communes).map_err(api)?;
            let db = state.open()?;
            let u = username.clone();
            let exists = db.tx_blocking(move |tx| -> SqlResult<bool> {
                Ok(tx
                    .query_opt(
                        "SELECT id FROM official WHERE username = ?",
                        vals![u.as_str()],
                    )?
                    .is_some())
            })?;
            if exists {
                anyhow::bail!(
                    "the username '{username}' is taken; choose another (see users list)"
                );
            }
            let password = read_password(password_stdin)?;
            check_password(&password).map_err(api)?;
            let u = username.clone();
            let id = db
                .tx_blocking(move |tx| -> ApiResult<i64> {
                    let id = create_official(tx, &u, &name, role, &communes, &password)?;
                    audit_row(tx, None, CLI_ACTOR, "user_add", "official", Some(id), &u)?;
                    Ok(id)
                })
                .map_err(api)?;
            println!("added {username} (id {id}, {role})");
            Ok(())
        }
        UsersCommand::List { state, json } => {
            let db = state.open()?;
            let rows = db.tx_blocking(|tx| {
                tx.query(
                    "SELECT o.id, o.username, o.display_name, o.role, o.communes, o.disabled, \
                     o.created_at, o.password_at, \
                     (SELECT count(*) FROM official_session s WHERE s.official_id = o.id AND s.expires_at > ?) \
                     FROM official o ORDER BY o.username",
                    vals![now()],
                )
            })?;
            let mut list = Vec::new();
            for r in &rows {
                let o = Official::from_row(r, 0)?;
                list.push((o, r.i64(5)? != 0, r.i64(6)?, r.i64(7)?, r.i64(8)?));
            }
            if json {
                let v: Vec<Value> = list
                    .iter()
                    .map(|(o, disabled, created, pw, sessions)| {
                        json!({"id": o.id, "username": o.username, "display_name": o.display_name,
                            "role": o.role, "communes": o.communes, "disabled": disabled,
                            "created_at": created, "password_at": pw, "sessions": sessions})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if list.is_empty() {
                println!("no accounts yet; create the first admin with: quyhoach users add --username admin --name \"…\" --role admin");
            } else {
                println!(
                    "{:<5} {:<24} {:<16} {:<9} {:<8} {:<20} name",
                    "id", "username", "role", "state", "sessions", "communes"
                );
                for (o, disabled, _, _, sessions) in &list {
                    println!(
                        "{:<5} {:<24} {:<16} {:<9} {:<8} {:<20} {}",
                        o.id,
                        o.username,
                        o.role.as_str(),
                        if *disabled { "disabled" } else { "active" },
                        sessions,
                        o.communes.join(","),
                        o.display_name
                    );
                }
            }
            Ok(())
        }
        UsersCommand::Passwd {
            state,
            username,
            password_stdin,
        } => {
            let db = state.open()?;
            let u = username.clone();
            db.tx_blocking(move |tx| account_id(tx, &u)).map_err(api)?;
            let password = read_password(password_stdin)?;
            check_password(&password).map_err(api)?;
            let hash = hash_password(&password).map_err(api)?;
            let u = username.clone();
            db.tx_blocking(move |tx| -> ApiResult<()> {
                let id = account_id(tx, &u)?;
                set_password_hash(tx, id, &hash, None)?;
                audit_row(tx, None, CLI_ACTOR, "user_passwd", "official", Some(id), &u)?;
                Ok(())
            })
            .map_err(api)?;
            println!("password of {username} changed; its sessions ended");
            Ok(())
        }
        UsersCommand::Disable { state, username } => set_disabled(&state, &username, true),
        UsersCommand::Enable { state, username } => set_disabled(&state, &username, false),
    }
}

/// `users disable` / `users enable`: disabling ends the account's sessions at once.
fn set_disabled(state: &StateArgs, username: &str, disabled: bool) -> anyhow::Result<()> {
    let db = state.open()?;
    let u = username.to_string();
    db.tx_blocking(move |tx| -> ApiResult<()> {
        let id = account_id(tx, &u)?;
        tx.exec(
            "UPDATE official SET disabled = ? WHERE id = ?",
            vals![disabled, id],
        )?;
        if disabled {
            tx.exec(
                "DELETE FROM official_session WHERE official_id = ?",
                vals![id],
            )?;
        }
        let action = if disabled {
            "user_disable"
        } else {
            "user_enable"
        };
        audit_row(tx, None, CLI_ACTOR, action, "official", Some(id), &u)?;
        Ok(())
    })
    .map_err(api)?;
    if disabled {
        println!("{username} disabled; its sessions ended");
    } else {
        println!("{username} enabled");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origins_must_be_this_server() {
        let ok =
            |o: &str, host: &str| check_origin(&headers(&[("origin", o), ("host", host)])).is_ok();
        assert!(
            check_origin(&headers(&[("host", "a.vn")])).is_ok(),
            "no Origin"
        );
        assert!(ok("http://a.vn", "a.vn"));
        assert!(ok("http://A.vn:80", "a.vn"));
        assert!(ok("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!ok("http://127.0.0.1:8081", "127.0.0.1:8080"));
        assert!(!ok("http://a.vn.evil.vn", "a.vn"));
        assert!(!ok("null", "a.vn"));
        assert!(!ok("file://", "a.vn"));
        assert!(!ok("http://a.vn/x", "a.vn"));
        // Behind a trusted proxy the forwarded host is ours.
        let h = headers(&[
            ("origin", "https://qh.example.vn"),
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "qh.example.vn"),
            ("x-forwarded-proto", "https"),
        ]);
        assert!(check_origin(&h).is_ok());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let t = "ab".repeat(32);
        let h = headers(&[("cookie", &format!("lang=vi; qh_session={t}; x=1"))]);
        assert_eq!(session_cookie(&h), Some(t.clone()));
        let h = headers(&[
            ("cookie", "qh_session=../x"),
            ("cookie", &format!("qh_session={t}")),
        ]);
        assert_eq!(session_cookie(&h), Some(t));
        assert_eq!(
            session_cookie(&headers(&[("cookie", "qh_sessionX=1")])),
            None
        );
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("mười hai ký tự").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mười hai ký tự", Some(&h)));
        assert!(!verify_password("mười hai ký tụ", Some(&h)));
        assert!(!verify_password("mười hai ký tự", None));
        assert!(!verify_password("x", Some("not a hash")));
        assert_ne!(h, hash_password("mười hai ký tự").unwrap(), "salted");
    }
}
