//! What the two-way features share (questions and comments [`super::feedback`], the
//! officials' inbox [`super::inbox`], consultations [`super::consult`], accounts
//! [`super::accounts`], alerts [`super::alerts`]): the error type answered as a problem
//! document, the state database handle, client keys for rate limits, random tokens, the
//! retention settings and the sweeps.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::sql::{SqlError, StateDb, Tx};
use super::PortalState;

/// What a two-way request can fail with; answered as an RFC 7807 problem document.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a malformed body, field or parameter.
    #[error("{0}")]
    Bad(String),
    /// 401: not signed in (or the session expired).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: signed in but not allowed (role, commune, CSRF token, origin).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing.
    #[error("{0}")]
    NotFound(String),
    /// 409: someone changed it first (give the current version), or a name is taken.
    #[error("{0}")]
    Conflict(String),
    /// 410: gone (a consultation closed, a link expired).
    #[error("{0}")]
    Gone(String),
    /// 413: a body or file over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// 415: a file of a type that is not taken.
    #[error("{0}")]
    Unsupported(String),
    /// 422: well-formed but refused (outside a consultation window, active content).
    #[error("{0}")]
    Unprocessable(String),
    /// 429: over a rate limit; retry after the given seconds.
    #[error("{0}")]
    TooMany(String, u64),
    /// 503: the server runs without a state database.
    #[error("{0}")]
    Unavailable(String),
    /// 500: logged with its detail, answered generically.
    #[error("{0}")]
    Internal(String),
}

impl From<SqlError> for ApiError {
    fn from(e: SqlError) -> Self {
        ApiError::Internal(format!("state database: {e}"))
    }
}

/// Result of the two-way handlers.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Bad(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooMany(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

fn problem_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "urn:quyhoach:problem:unauthorized",
        403 => "urn:quyhoach:problem:forbidden",
        409 => "urn:quyhoach:problem:conflict",
        410 => "urn:quyhoach:problem:gone",
        422 => "urn:quyhoach:problem:unprocessable",
        429 => "urn:quyhoach:problem:too-many-requests",
        503 => "urn:quyhoach:problem:unavailable",
        s => crate::error::problem_type(StatusCode::from_u16(s).unwrap_or_default()),
    }
}

/// A problem document (RFC 7807), not to be cached, with the two-way types for the statuses
/// the rest of the API does not use.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": problem_type(status),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::error::PROBLEM_JSON),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Internal(d) => {
                tracing::error!(detail = %d, "two-way request failed");
                "internal error; it has been logged. Try again later.".to_string()
            }
            e => e.to_string(),
        };
        let mut resp = problem(status, &detail);
        let h = resp.headers_mut();
        if let ApiError::TooMany(_, secs) = self {
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

/// A file for officials only (an attachment, a consultation summary): 200 with its type,
/// `Cache-Control: private, no-store`, `nosniff`, the given Content-Security-Policy and,
/// when given, a Content-Disposition.
pub fn private_file(
    body: impl Into<axum::body::Body>,
    content_type: &str,
    disposition: Option<&str>,
    csp: &'static str,
) -> Response {
    let mut resp = (StatusCode::OK, body.into()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Some(d) = disposition.and_then(|d| HeaderValue::from_str(d).ok()) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    resp
}

/// The state database, or 503 when the server runs without one.
pub fn state_db(st: &PortalState) -> ApiResult<StateDb> {
    st.portal.state.clone().ok_or_else(|| {
        ApiError::Unavailable(
            "questions, comments, accounts and alerts need the portal's state database, and \
             this server runs without one (see --db / --db-url)"
                .into(),
        )
    })
}

/// Settings of the two-way features (part of [`super::PortalConfig`]).
#[derive(Clone, Debug)]
pub struct TwowayConfig {
    /// Days contact details (and followers' email addresses) are kept before the sweep
    /// deletes them.
    pub contact_retention_days: i64,
    /// Where alert emails go out; `None`: no email, feeds only.
    pub mail: Option<Arc<MailConfig>>,
}

impl Default for TwowayConfig {
    fn default() -> Self {
        TwowayConfig {
            contact_retention_days: DEFAULT_CONTACT_RETENTION_DAYS,
            mail: None,
        }
    }
}

/// Contact details are kept this long by default (a question is answered within weeks; a
/// consultation's summary is made within months of its closing).
pub const DEFAULT_CONTACT_RETENTION_DAYS: i64 = 365;

/// A feature's deletion of its expired rows, on either database; returns how many went.
pub type Sweep = fn(&mut dyn Tx) -> Result<usize, SqlError>;

/// Where alert emails go out.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port`.
    pub smtp_url: String,
    /// The From address.
    pub from: String,
}

/// Runs every sweep now; logs what went.
pub fn sweep_now(db: &StateDb) {
    for (what, f) in super::STATE_SWEEPS {
        match db.tx_blocking(move |tx| f(tx)) {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, what, "state database: deleted expired rows"),
            Err(e) => tracing::error!(%e, what, "state database: the sweep failed"),
        }
    }
}

/// Sweeps now and then every [`super::db::SWEEP_INTERVAL`] on a thread of its own.
pub fn start_sweeper(db: StateDb) {
    let _ = std::thread::Builder::new()
        .name("state-db-sweep".into())
        .spawn(move || loop {
            sweep_now(&db);
            std::thread::sleep(super::db::SWEEP_INTERVAL);
        });
}

/// Where a command finds the state database: `--db-url` (PostgreSQL), else `--db FILE`,
/// else `portal.sqlite` in `--store`.
#[derive(clap::Args, Debug, Clone)]
pub struct StateArgs {
    /// The store directory whose `portal.sqlite` is the state database (the server's
    /// default).
    #[arg(long, env = "QUYHOACH_STORE", default_value = "demo-store", value_parser = crate::store_dir)]
    pub store: std::path::PathBuf,
    /// The portal database file (SQLite), if not the store's.
    #[arg(long, env = "QUYHOACH_DB", value_name = "FILE")]
    pub db: Option<std::path::PathBuf>,
    /// PostgreSQL for the two-way state (`postgresql://user[:password]@host[:port]/db`).
    #[arg(long = "db-url", env = "QUYHOACH_DB_URL", value_name = "URL")]
    pub db_url: Option<String>,
}

impl StateArgs {
    /// Opens (creating and migrating) the state database.
    pub fn open(&self) -> anyhow::Result<StateDb> {
        if let Some(url) = &self.db_url {
            return StateDb::open(Some(url), None)?
                .ok_or_else(|| anyhow::anyhow!("no state database"));
        }
        let path = self
            .db
            .clone()
            .unwrap_or_else(|| self.store.join("portal.sqlite"));
        let db = super::db::Db::open_without_sweeper(&path)?;
        Ok(StateDb::Sqlite(Arc::new(db)))
    }
}

/// A secret shared by every server using this state database (an HMAC key): made at
/// random by the first server that asks for `name`, read by the others. Blocking: call it
/// inside a transaction closure or from a thread, and cache the answer.
pub fn shared_secret(tx: &mut dyn Tx, name: &str) -> Result<[u8; 32], SqlError> {
    let mut fresh = [0u8; 32];
    if getrandom::fill(&mut fresh).is_err() || fresh.iter().all(|&x| x == 0) {
        return Err(SqlError::Other("the random number generator failed".into()));
    }
    tx.exec(
        "INSERT INTO portal_secret (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        super::sql::vals![name, fresh.to_vec()],
    )?;
    let v = tx.query_one(
        "SELECT value FROM portal_secret WHERE name = ?",
        super::sql::vals![name],
    )?;
    v.blob(0)?
        .try_into()
        .map_err(|_| SqlError::Other(format!("secret {name} is not 32 bytes")))
}

/// A new random token for a link or a cookie (256 bits, URL-safe hex) and the SHA-256 that
/// is stored instead of it.
pub fn new_token() -> (String, Vec<u8>) {
    let mut b = [0u8; 32];
    // The operating system's generator does not fail on Linux once booted; a failure
    // would leave zeros, so it is checked.
    if getrandom::fill(&mut b).is_err() || b.iter().all(|&x| x == 0) {
        panic!("the operating system's random number generator failed");
    }
    let token: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let hash = token_hash(&token);
    (token, hash)
}

/// The SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether a string looks like a token of [`new_token`] (before hashing it at all).
pub fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Same length and bytes, without an early exit.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's address: the peer, or the client a trusted proxy names (the forwarding
/// middleware has removed `X-Forwarded-For` from anyone else's requests).
pub fn client_ip(headers: &HeaderMap, peer: Option<&ConnectInfo<SocketAddr>>) -> Option<IpAddr> {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .and_then(|v| v.parse::<IpAddr>().ok());
    forwarded.or(peer.map(|p| p.0.ip()))
}

/// The part of an address that identifies one client for rate limits: IPv4 whole, IPv6 by
/// its /64 (one household or phone gets a whole /64).
pub fn client_prefix(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".into(),
    }
}

static SALT: OnceLock<[u8; 32]> = OnceLock::new();

/// A salted SHA-256 of the client's address prefix: rate limits and the abuse trail keep no
/// address in clear. The salt is random per server process (rate windows are short).
pub fn client_key(headers: &HeaderMap, peer: Option<&ConnectInfo<SocketAddr>>) -> Vec<u8> {
    let salt = SALT.get_or_init(|| {
        let mut b = [0u8; 32];
        let _ = getrandom::fill(&mut b);
        b
    });
    let mut h = Sha256::new();
    h.update(salt);
    h.update(client_prefix(client_ip(headers, peer)).as_bytes());
    h.finalize().to_vec()
}

/// Escapes text for HTML (element content and quoted attributes).
pub fn esc(s: &str) -> String {
    crate::text::esc(s)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert!(is_token(&a));
        assert!(same_bytes(&ha, &token_hash(&a)));
        assert!(!is_token("../etc/passwd"));
    }

    #[test]
    fn v6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(client_prefix(Some(a)), client_prefix(Some(b)));
        assert_eq!(
            client_prefix(Some("::ffff:10.0.0.1".parse().unwrap())),
            "10.0.0.1"
        );
    }
}
