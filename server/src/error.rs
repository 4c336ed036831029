//! One error type for every handler, answered as RFC 7807 problem JSON.
//!
//! Client errors say plainly what was wrong and what is accepted; internal errors are logged
//! with their context and answered with a generic message (nothing about the machine leaks).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quyhoach_data::planning::QueryError;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// Media type of RFC 7807 problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Result alias of the handlers.
pub type Result<T> = std::result::Result<T, AppError>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: a parameter or body is missing, malformed or out of range.
    #[error("{0}")]
    BadRequest(String),
    /// 404: the layer, plan, commune, parcel or route does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409: a parcel number matches several parcels and the request needs exactly one.
    #[error("{detail}")]
    Ambiguous {
        /// What happened and how to choose.
        detail: String,
        /// The candidates, each with the links that select it.
        matches: Vec<Value>,
    },
    /// 413: the body or geometry is over a documented cap.
    #[error("{0}")]
    TooLarge(String),
    /// 422: a well-formed request whose content cannot be used (an uploaded file that is
    /// not a readable boundary).
    #[error("{0}")]
    Unprocessable(String),
    /// 503: the server cannot do this now (busy, or the work took too long and was stopped).
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or a broken store; logged, answered generically.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A 400 with the given explanation.
    pub fn bad(detail: impl Into<String>) -> Self {
        AppError::BadRequest(detail.into())
    }

    /// A 404 with the given explanation.
    pub fn not_found(detail: impl Into<String>) -> Self {
        AppError::NotFound(detail.into())
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Ambiguous { .. } => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<QueryError> for AppError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::BadRequest(m) => AppError::BadRequest(m),
            QueryError::NotFound(m) => AppError::NotFound(m),
            QueryError::TooLarge(m) => AppError::TooLarge(m),
            QueryError::Internal(m) => AppError::Internal(m),
            QueryError::Cancelled => AppError::Unavailable(
                "the report took too long and was stopped; simplify the site (fewer vertices) or try again later"
                    .into(),
            ),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("query task failed: {e}"))
    }
}

/// The `type` URI of a status: one stable name per kind of problem, documented in
/// `docs/api.md#errors`.
pub fn problem_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "urn:quyhoach:problem:bad-request",
        404 => "urn:quyhoach:problem:not-found",
        405 => "urn:quyhoach:problem:method-not-allowed",
        409 => "urn:quyhoach:problem:ambiguous-parcel",
        413 => "urn:quyhoach:problem:too-large",
        414 => "urn:quyhoach:problem:uri-too-long",
        415 => "urn:quyhoach:problem:unsupported-media-type",
        422 => "urn:quyhoach:problem:unreadable-file",
        431 => "urn:quyhoach:problem:headers-too-large",
        503 => "urn:quyhoach:problem:timeout",
        s if s >= 500 => "urn:quyhoach:problem:internal",
        _ => "about:blank",
    }
}

/// A problem document (RFC 7807): what was wrong and what is accepted.
#[derive(Serialize, JsonSchema)]
pub struct Problem<'a> {
    /// The kind of problem, one stable URI per kind (`urn:quyhoach:problem:…`, see
    /// docs/api.md#errors).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The HTTP status's reason phrase.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What was wrong, and what is accepted.
    pub detail: &'a str,
    /// Extension members of some problems: `matches` (409: the parcels sharing the number
    /// asked for, each with `n` for `?n=` and the `report_body` that selects it in
    /// `POST /api/v1/report`), `messages` and `hint` (the practice import's texts in
    /// Vietnamese and English).
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

/// A problem response with the given status, detail and extension members.
pub fn problem(status: StatusCode, detail: &str, extra: Option<(&str, Value)>) -> Response {
    let body = Problem {
        kind: problem_type(status),
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        extensions: extra.map(|(k, v)| (k.to_string(), v)).into_iter().collect(),
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            AppError::Internal(context) => {
                tracing::error!(%context, "internal error");
                problem(
                    status,
                    "internal error; it has been logged. Try again later or report it with the time of the request.",
                    None,
                )
            }
            AppError::Ambiguous { detail, matches } => {
                problem(status, &detail, Some(("matches", Value::Array(matches))))
            }
            AppError::BadRequest(d)
            | AppError::NotFound(d)
            | AppError::TooLarge(d)
            | AppError::Unprocessable(d)
            | AppError::Unavailable(d) => problem(status, &d, None),
        }
    }
}
