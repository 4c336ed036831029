//! The officials' inbox: filter, answer, publish, hide, merge, mark fixed.
//!
//! - **Who sees what.** Every route needs a signed-in [`Official`]. A commune officer sees
//!   and acts only on submissions whose commune is one of the account's (filtered in SQL;
//!   another commune's row by id is 404, as if it did not exist); submissions without a
//!   commune (a whole plan, a site across communes) are the planning office's and the
//!   administrator's, who see everything.
//! - **No lost answers.** Each action is one transaction: `UPDATE submission SET …,
//!   version = version + 1 WHERE id = ? AND version = ?`. When no row changed, someone
//!   else acted first: 409 with the current item (`current`), nothing written. The audit row
//!   is written in the same transaction.
//! - **States.** `new` → `answered` (the asker sees the answer on their private link; an
//!   email goes out when they gave an address) → `published` (public Q&A; followers of the
//!   parcel, commune and plan hear of it). `hidden` (a reason is required), `merged` (a
//!   duplicate, into another submission of the same kind; it takes the target's answer when
//!   published), `fixed` (a data error fixed by an import: the data version and the store's
//!   import time are recorded).
//! - **Personal data.** Contact details appear here and only here (official-only routes).
//!   Attachments are served as downloads (`Content-Disposition: attachment`, `nosniff`,
//!   `Content-Security-Policy: sandbox`, never cached).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use unicode_normalization::UnicodeNormalization;

use super::accounts::{audit, Official, Role};
use super::alerts;
use super::sql::{fold, like_escape, now, vals, Row, SqlError, Tx};
use super::twoway::{state_db, ApiError, ApiResult};
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::params::{self, NoParams};

/// Longest answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 8000;
/// Longest reason for hiding, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest note of a fixed data error, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Largest action body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Items of one inbox page at most.
pub const MAX_LIMIT: i64 = 100;
/// Deepest offset of an inbox page.
pub const MAX_OFFSET: i64 = 100_000;
/// Longest search text, in characters.
pub const MAX_Q_CHARS: usize = 200;

/// Submission kinds.
pub const KINDS: &[&str] = &["question", "error", "comment"];
/// Submission states, in the order of `counts`.
pub const STATES: &[&str] = &["new", "answered", "published", "hidden", "merged", "fixed"];

const ITEM_COLS: &str = "s.id, s.kind, s.position, s.body, s.lang, s.subject_kind, s.parcel_id, \
    s.commune, s.plan_id, s.zone_id, s.subject_label, s.geometry, s.data_version, s.context, \
    s.consultation_id, s.state, s.answer, o.display_name, s.answered_at, s.hidden_reason, \
    s.merged_into, s.fixed_version, s.published_at, s.version, s.created_at, s.updated_at, \
    c.submission_id, c.name, c.phone, c.email";
const ITEM_FROM: &str = "FROM submission s LEFT JOIN official o ON o.id = s.answered_by \
    LEFT JOIN submission_contact c ON c.submission_id = s.id";

/// Parses a JSON body of at most [`MAX_BODY_BYTES`].
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    body: &Bytes,
    example: &str,
) -> ApiResult<T> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the body has {} bytes; at most {MAX_BODY_BYTES} are taken",
            body.len()
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::Bad(format!(
            "the body is not the JSON expected ({e}); send e.g. {example}"
        ))
    })
}

/// Maps a path rejection (an id that is not a number) to 404.
pub(crate) fn path_of<T>(p: Result<Path<T>, PathRejection>) -> ApiResult<T> {
    p.map(|Path(v)| v)
        .map_err(|_| ApiError::NotFound("no such item: ids are whole numbers".into()))
}

fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Text an official writes (an answer, a reason, a note): NFC, line ends as `\n`, trimmed;
/// `min`–`max` characters; no control or invisible characters but line breaks and tabs;
/// on one line when `one_line`.
pub(crate) fn clean_text(
    raw: &str,
    what: &str,
    min: usize,
    max: usize,
    one_line: bool,
) -> ApiResult<String> {
    let s: String = raw.replace("\r\n", "\n").trim().nfc().collect();
    if let Some(c) = s.chars().find(|&c| {
        ((c.is_control() && c != '\n' && c != '\t') || is_format_char(c))
            || (one_line && (c == '\n' || c == '\t'))
    }) {
        return Err(ApiError::Bad(format!(
            "the {what} holds the control or invisible character U+{:04X}",
            c as u32
        )));
    }
    let n = s.chars().count();
    if n < min || n > max {
        return Err(ApiError::Bad(format!(
            "the {what} has {n} characters; it needs {min} to {max}"
        )));
    }
    Ok(s)
}

/// A short id, a code or a plan id given as a filter: at most `max` characters, printable.
fn filter_text(raw: Option<&String>, what: &str, max: usize) -> ApiResult<Option<String>> {
    let Some(s) = raw.map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > max || s.chars().any(|c| c.is_control()) {
        return Err(ApiError::Bad(format!(
            "{what} must be at most {max} printable characters"
        )));
    }
    Ok(Some(s.to_string()))
}

fn parse_json_text(s: Option<String>) -> Value {
    s.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// A submission as officials see it: the asker's contact details and the attachments
/// included.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InboxItem {
    /// The submission's id.
    pub id: i64,
    /// `question`, `error` (a data error report) or `comment` (on a consultation).
    #[schemars(extend("enum" = ["question", "error", "comment"]))]
    pub kind: String,
    /// A comment's position: `support`, `object` or `other`; null for the other kinds.
    pub position: Option<String>,
    /// What was sent.
    pub body: String,
    /// The language it was sent from (`vi`, `en`).
    pub lang: String,
    /// What it is about.
    pub subject: InboxSubject,
    /// The data version (the store's ETag) the asker saw.
    pub data_version: String,
    /// The report the asker saw when sending (as stored; null when unreadable).
    pub context: Value,
    /// The consultation a comment belongs to.
    pub consultation_id: Option<i64>,
    /// `new`, `answered`, `published`, `hidden`, `merged` or `fixed`.
    #[schemars(extend("enum" = STATES))]
    pub state: String,
    /// The answer, once answered.
    pub answer: Option<String>,
    /// The display name of the official who answered.
    pub answered_by: Option<String>,
    /// When it was answered (Unix seconds).
    pub answered_at: Option<i64>,
    /// Why it was hidden.
    pub hidden_reason: Option<String>,
    /// The submission it was merged into.
    pub merged_into: Option<i64>,
    /// The data version that fixed a data error.
    pub fixed_version: Option<String>,
    /// When it was published in the public Q&A (Unix seconds).
    pub published_at: Option<i64>,
    /// Its version: give it back with an action (a stale one gets 409).
    pub version: i64,
    /// When it was sent (Unix seconds).
    pub created_at: i64,
    /// When it last changed (Unix seconds).
    pub updated_at: i64,
    /// The asker's contact details, when they gave some (null once past retention).
    pub contact: Option<InboxContact>,
    /// The files sent with it.
    pub attachments: Vec<InboxAttachment>,
}

/// What a submission is about.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InboxSubject {
    /// `parcel`, `site`, `plan` or `zone`.
    #[schemars(extend("enum" = ["parcel", "site", "plan", "zone"]))]
    pub kind: String,
    /// The parcel's number `commune/sheet/parcel`.
    pub parcel: Option<String>,
    /// The commune's code.
    pub commune: Option<String>,
    /// The plan's id.
    pub plan_id: Option<String>,
    /// The zone's id.
    pub zone_id: Option<String>,
    /// How the subject is named to people.
    pub label: String,
    /// The subject's geometry (GeoJSON, WGS 84), when it has one.
    pub geometry: Value,
}

/// An asker's contact details.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InboxContact {
    /// Name.
    pub name: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// Email address (the answer is mailed to it).
    pub email: Option<String>,
}

/// A file sent with a submission (its bytes at `…/attachments/{aid}`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InboxAttachment {
    /// The attachment's id (`aid`).
    pub id: i64,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    /// The name it was sent with.
    pub filename: String,
    /// Bytes.
    pub size: i64,
}

/// A submission as officials see it (without attachments: see [`with_attachments`]).
fn item_of(r: &Row) -> Result<InboxItem, SqlError> {
    let contact = match r.opt_i64(26)? {
        Some(_) => Some(InboxContact {
            name: r.opt_text(27)?,
            phone: r.opt_text(28)?,
            email: r.opt_text(29)?,
        }),
        None => None,
    };
    Ok(InboxItem {
        id: r.i64(0)?,
        kind: r.text(1)?,
        position: r.opt_text(2)?,
        body: r.text(3)?,
        lang: r.text(4)?,
        subject: InboxSubject {
            kind: r.text(5)?,
            parcel: r.opt_text(6)?,
            commune: r.opt_text(7)?,
            plan_id: r.opt_text(8)?,
            zone_id: r.opt_text(9)?,
            label: r.text(10)?,
            geometry: parse_json_text(r.opt_text(11)?),
        },
        data_version: r.text(12)?,
        context: parse_json_text(Some(r.text(13)?)),
        consultation_id: r.opt_i64(14)?,
        state: r.text(15)?,
        answer: r.opt_text(16)?,
        answered_by: r.opt_text(17)?,
        answered_at: r.opt_i64(18)?,
        hidden_reason: r.opt_text(19)?,
        merged_into: r.opt_i64(20)?,
        fixed_version: r.opt_text(21)?,
        published_at: r.opt_i64(22)?,
        version: r.i64(23)?,
        created_at: r.i64(24)?,
        updated_at: r.i64(25)?,
        contact,
        attachments: Vec::new(),
    })
}

/// Items of `rows` with their attachments' descriptions.
fn with_attachments(tx: &mut dyn Tx, rows: &[Row]) -> Result<Vec<InboxItem>, SqlError> {
    let mut items = Vec::with_capacity(rows.len());
    let mut pos = HashMap::new();
    for r in rows {
        pos.insert(r.i64(0)?, items.len());
        items.push(item_of(r)?);
    }
    if items.is_empty() {
        return Ok(items);
    }
    let marks = vec!["?"; pos.len()].join(", ");
    let ids: Vec<super::sql::Value> = pos.keys().map(|&i| i.into()).collect();
    let atts = tx.query(
        &format!(
            "SELECT submission_id, id, media_type, filename, size FROM submission_attachment \
             WHERE submission_id IN ({marks}) ORDER BY id"
        ),
        &ids,
    )?;
    for a in atts {
        if let Some(&i) = pos.get(&a.i64(0)?) {
            items[i].attachments.push(InboxAttachment {
                id: a.i64(1)?,
                media_type: a.text(2)?,
                filename: a.text(3)?,
                size: a.i64(4)?,
            });
        }
    }
    Ok(items)
}

/// One submission as officials see it, or `None`.
pub fn load_item(tx: &mut dyn Tx, id: i64) -> Result<Option<InboxItem>, SqlError> {
    let rows = tx.query(
        &format!("SELECT {ITEM_COLS} {ITEM_FROM} WHERE s.id = ?"),
        vals![id],
    )?;
    Ok(with_attachments(tx, &rows)?.into_iter().next())
}

/// The SQL condition (and its parameters) limiting rows to what `who` may see.
fn scope(who: &Official) -> (String, Vec<super::sql::Value>) {
    if who.role >= Role::PlanningOffice {
        return ("1 = 1".into(), vec![]);
    }
    if who.communes.is_empty() {
        return ("1 = 0".into(), vec![]);
    }
    let marks = vec!["?"; who.communes.len()].join(", ");
    (
        format!("s.commune IN ({marks})"),
        who.communes.iter().map(|c| c.as_str().into()).collect(),
    )
}

/// The submission `id` if `who` may see it: 404 otherwise (a commune officer is not told
/// that another commune's row exists).
fn visible_item(tx: &mut dyn Tx, who: &Official, id: i64) -> ApiResult<InboxItem> {
    let item =
        load_item(tx, id)?.ok_or_else(|| ApiError::NotFound(format!("no submission {id}")))?;
    if !who.may_act_on(item.subject.commune.as_deref()) {
        return Err(ApiError::NotFound(format!("no submission {id}")));
    }
    Ok(item)
}

/// A submission kind, as a filter.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum KindFilter {
    Question,
    Error,
    Comment,
}

impl KindFilter {
    fn as_str(self) -> &'static str {
        match self {
            KindFilter::Question => "question",
            KindFilter::Error => "error",
            KindFilter::Comment => "comment",
        }
    }
}

/// A submission state, as a filter.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum StateFilter {
    New,
    Answered,
    Published,
    Hidden,
    Merged,
    Fixed,
}

impl StateFilter {
    fn as_str(self) -> &'static str {
        match self {
            StateFilter::New => "new",
            StateFilter::Answered => "answered",
            StateFilter::Published => "published",
            StateFilter::Hidden => "hidden",
            StateFilter::Merged => "merged",
            StateFilter::Fixed => "fixed",
        }
    }
}

/// The query of `GET /api/v1/official/inbox`.
#[derive(Deserialize, JsonSchema)]
struct InboxQuery {
    /// Commune code
    #[schemars(length(max = 32))]
    commune: Option<String>,
    /// Plan id
    #[schemars(length(max = 64))]
    plan: Option<String>,
    /// Kind
    kind: Option<KindFilter>,
    /// State
    state: Option<StateFilter>,
    /// Text in the submission, its answer, its subject (accents optional)
    #[schemars(length(max = MAX_Q_CHARS))]
    q: Option<String>,
    /// Consultation id (comments)
    consultation: Option<i64>,
    /// Page size (default 50)
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    limit: Option<i64>,
    /// Items skipped
    #[schemars(range(min = 0, max = MAX_OFFSET))]
    offset: Option<i64>,
}

/// A page of the inbox.
#[derive(Serialize, JsonSchema)]
pub struct InboxPage {
    /// The submissions of the page, newest first.
    pub items: Vec<InboxItem>,
    /// Submissions matching the filters, all pages.
    pub total: i64,
    /// Submissions matching the filters but `state`, per state.
    pub counts: StateCounts,
}

/// Submissions per state.
#[derive(Serialize, JsonSchema, Default)]
pub struct StateCounts {
    /// Not answered yet.
    pub new: i64,
    /// Answered, not public.
    pub answered: i64,
    /// In the public Q&A.
    pub published: i64,
    /// Hidden (with a reason).
    pub hidden: i64,
    /// Merged into another submission.
    pub merged: i64,
    /// Data errors fixed.
    pub fixed: i64,
}

impl StateCounts {
    fn add(&mut self, state: &str, n: i64) {
        let slot = match state {
            "new" => &mut self.new,
            "answered" => &mut self.answered,
            "published" => &mut self.published,
            "hidden" => &mut self.hidden,
            "merged" => &mut self.merged,
            "fixed" => &mut self.fixed,
            _ => return,
        };
        *slot += n;
    }
}

/// `GET /api/v1/official/inbox`
async fn inbox(
    State(st): State<PortalState>,
    who: Official,
    params::Query(q): params::Query<InboxQuery>,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    let commune = filter_text(q.commune.as_ref(), "commune", 32)?;
    let plan = filter_text(q.plan.as_ref(), "plan", 64)?;
    let kind = q.kind.map(KindFilter::as_str);
    let state = q.state.map(StateFilter::as_str);
    let text = filter_text(q.q.as_ref(), "q", MAX_Q_CHARS)?;
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    let (scope_sql, scope_params) = scope(&who);
    let mut cond = vec![scope_sql];
    let mut params = scope_params;
    if let Some(c) = commune {
        cond.push("s.commune = ?".into());
        params.push(c.into());
    }
    if let Some(p) = plan {
        cond.push("s.plan_id = ?".into());
        params.push(p.into());
    }
    if let Some(k) = kind {
        cond.push("s.kind = ?".into());
        params.push(k.into());
    }
    if let Some(c) = q.consultation {
        cond.push("s.consultation_id = ?".into());
        params.push(c.into());
    }
    if let Some(t) = text {
        let pat = format!("%{}%", like_escape(&fold(&t)));
        cond.push(
            "(s.body_folded LIKE ? ESCAPE '\\' OR s.answer_folded LIKE ? ESCAPE '\\' \
             OR s.subject_label LIKE ? ESCAPE '\\' OR s.parcel_id LIKE ? ESCAPE '\\')"
                .into(),
        );
        let raw = format!("%{}%", like_escape(&t));
        params.extend([
            pat.clone().into(),
            pat.into(),
            raw.clone().into(),
            raw.into(),
        ]);
    }
    let base_cond = cond.join(" AND ");
    let base_params = params.clone();
    if let Some(s) = state {
        cond.push("s.state = ?".into());
        params.push(s.into());
    }
    let where_sql = cond.join(" AND ");
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<InboxPage> {
            let total = tx.query_i64(
                &format!("SELECT count(*) FROM submission s WHERE {where_sql}"),
                &params,
            )?;
            let mut page_params = params.clone();
            page_params.push(limit.into());
            page_params.push(offset.into());
            let rows = tx.query(
                &format!(
                    "SELECT {ITEM_COLS} {ITEM_FROM} WHERE {where_sql} \
                     ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?"
                ),
                &page_params,
            )?;
            let items = with_attachments(tx, &rows)?;
            let mut counts = StateCounts::default();
            for r in tx.query(
                &format!(
                    "SELECT s.state, count(*) FROM submission s WHERE {base_cond} GROUP BY s.state"
                ),
                &base_params,
            )? {
                counts.add(&r.text(0)?, r.i64(1)?);
            }
            Ok(InboxPage {
                items,
                total,
                counts,
            })
        })
        .await?;
    Ok(Json(out).into_response())
}

/// A submission and what officials did to it.
#[derive(Serialize, JsonSchema)]
pub struct InboxItemTrail {
    /// The submission.
    #[serde(flatten)]
    pub item: InboxItem,
    /// The audit log's rows on it, oldest first.
    pub audit: Vec<TrailEntry>,
}

/// One action on a submission.
#[derive(Serialize, JsonSchema)]
pub struct TrailEntry {
    /// The audit row's id.
    pub id: i64,
    /// When (Unix seconds).
    pub at: i64,
    /// Who (sign-in name).
    pub username: String,
    /// What: answer, publish, hide, merge, fixed, …
    pub action: String,
    /// Details.
    pub detail: String,
}

/// `GET /api/v1/official/submissions/{id}`: the item and its audit trail.
async fn one(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let db = state_db(&st)?;
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<InboxItemTrail> {
            let item = visible_item(tx, &who, id)?;
            let mut trail = Vec::new();
            for r in tx.query(
                "SELECT id, at, username, action, detail FROM audit_log \
                 WHERE target_kind = 'submission' AND target_id = ? ORDER BY id",
                vals![id],
            )? {
                trail.push(TrailEntry {
                    id: r.i64(0)?,
                    at: r.i64(1)?,
                    username: r.text(2)?,
                    action: r.text(3)?,
                    detail: r.text(4)?,
                });
            }
            Ok(InboxItemTrail { item, audit: trail })
        })
        .await?;
    Ok(Json(out).into_response())
}

/// `GET /api/v1/official/submissions/{id}/attachments/{aid}`: the file, as a download.
async fn attachment(
    State(st): State<PortalState>,
    who: Official,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
) -> ApiResult<Response> {
    let (id, aid) = path_of(ids)?;
    let db = state_db(&st)?;
    let (media_type, filename, bytes) = db
        .tx(
            move |tx: &mut dyn Tx| -> ApiResult<(String, String, Vec<u8>)> {
                visible_item(tx, &who, id)?;
                let r = tx
                    .query_opt(
                        "SELECT media_type, filename, bytes FROM submission_attachment \
                     WHERE id = ? AND submission_id = ?",
                        vals![aid, id],
                    )?
                    .ok_or_else(|| ApiError::NotFound(format!("no attachment {aid} on {id}")))?;
                Ok((r.text(0)?, r.text(1)?, r.blob(2)?))
            },
        )
        .await?;
    let media_type = match media_type.as_str() {
        "image/jpeg" | "image/png" | "application/pdf" => media_type,
        _ => "application/octet-stream".into(),
    };
    let disposition = content_disposition(&filename, id, aid, &media_type);
    Ok(super::twoway::private_file(
        bytes,
        &media_type,
        Some(&disposition),
        "sandbox",
    ))
}

/// `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>`: the name given,
/// stripped of anything that could break the header or a path.
fn content_disposition(filename: &str, id: i64, aid: i64, media_type: &str) -> String {
    let ext = match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    let base: String = filename
        .chars()
        .filter(|c| !c.is_control() && !"/\\\"';".contains(*c))
        .take(100)
        .collect();
    let base = base.trim().trim_start_matches('.').to_string();
    let base = if base.is_empty() {
        format!("submission-{id}-{aid}.{ext}")
    } else {
        base
    };
    let ascii: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(&base, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// What an action did: the new item, or a conflict with the current one.
enum Outcome {
    Done(InboxItem),
    Stale(InboxItem),
}

/// The 409 of an action given a version that is no longer the submission's: a problem
/// document (RFC 7807) with the current item.
#[derive(Serialize, JsonSchema)]
pub struct StaleVersion {
    /// `urn:quyhoach:problem:conflict`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `Conflict`.
    pub title: &'static str,
    /// 409.
    pub status: u16,
    /// What happened: nothing was written.
    pub detail: &'static str,
    /// The submission as it is now: read it, then act again with its version.
    pub current: InboxItem,
}

fn conflict(current: InboxItem) -> Response {
    let body = StaleVersion {
        kind: "urn:quyhoach:problem:conflict",
        title: "Conflict",
        status: 409,
        detail: "someone changed this submission first; nothing was written. Here is the \
                 current version: read it, then act again with its version.",
        current,
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    let mut resp = (StatusCode::CONFLICT, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::error::PROBLEM_JSON),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn respond(o: Outcome) -> Response {
    match o {
        Outcome::Done(v) => Json(v).into_response(),
        Outcome::Stale(v) => conflict(v),
    }
}

/// Runs the conditional update of an action: `set` (with its parameters) on the row at
/// `version`; `Stale` with the current item when another action came first.
fn update_at_version(
    tx: &mut dyn Tx,
    id: i64,
    version: i64,
    set: &str,
    mut params: Vec<super::sql::Value>,
) -> ApiResult<bool> {
    params.push(now().into());
    params.push(id.into());
    params.push(version.into());
    let n = tx.exec(
        &format!(
            "UPDATE submission SET {set}, updated_at = ?, version = version + 1 \
             WHERE id = ? AND version = ?"
        ),
        &params,
    )?;
    Ok(n == 1)
}

/// Queues the answer to the asker when they left an email address.
fn mail_answer(tx: &mut dyn Tx, item: &InboxItem, answer: &str) -> Result<(), SqlError> {
    let Some(email) = item
        .contact
        .as_ref()
        .and_then(|c| c.email.as_deref())
        .filter(|e| !e.is_empty())
    else {
        return Ok(());
    };
    let label = item.subject.label.as_str();
    let what = match item.kind.as_str() {
        "error" => "báo sai dữ liệu",
        "comment" => "góp ý",
        _ => "câu hỏi",
    };
    let question = item.body.as_str();
    let subject = format!("Trả lời {what} của bạn về {label}");
    let body = format!(
        "Xin chào,\n\nCơ quan quản lý quy hoạch đã trả lời {what} của bạn về {label}.\n\n\
         Nội dung bạn gửi:\n{question}\n\nTrả lời:\n{answer}\n\n\
         Bạn có thể xem câu hỏi của bạn tại liên kết riêng đã nhận khi gửi.\n\
         Thư này được gửi tự động; xin đừng trả lời thư này.\n\n---\n\n\
         Hello,\n\nThe planning office has answered what you sent about {label} (above, in \
         Vietnamese). You can see it on the private link you received when you sent it.\n"
    );
    alerts::queue_mail(tx, email, &subject, &body)
}

/// Records `question_answered` for the parcel, commune and plan of a published item.
fn announce_published(
    tx: &mut dyn Tx,
    item: &InboxItem,
    data_version: &str,
) -> Result<(), SqlError> {
    if item.kind == "comment" {
        return Ok(());
    }
    let parcel = item.subject.parcel.as_deref().unwrap_or("");
    let commune = item.subject.commune.as_deref().unwrap_or("");
    let plan = item.subject.plan_id.as_deref().unwrap_or("");
    let label = item.subject.label.as_str();
    let subjects = [("parcel", parcel), ("commune", commune), ("plan", plan)];
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let link = if !parcel.is_empty() {
        format!("/#/qa?parcel={}", enc(parcel))
    } else if !plan.is_empty() {
        format!("/#/qa?plan={}", enc(plan))
    } else if !commune.is_empty() {
        format!("/#/qa?commune={}", enc(commune))
    } else {
        "/#/qa".into()
    };
    let question: String = item.body.chars().take(300).collect();
    let answer: String = item
        .answer
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(1000)
        .collect();
    let title = format!("Câu hỏi về {label} đã được trả lời");
    let summary = format!("Hỏi: {question}\n\nTrả lời: {answer}");
    alerts::record_event(
        tx,
        &alerts::NewEvent {
            kind: "question_answered",
            subjects: &subjects,
            title: &title,
            summary: &summary,
            link: &link,
            data_version,
        },
    )
}

/// An answer to a submission.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InboxAnswerBody {
    /// The answer (line breaks kept; no control or invisible characters).
    #[schemars(length(min = 1, max = MAX_ANSWER_CHARS))]
    answer: String,
    /// The item's version as last read.
    #[schemars(range(min = 1))]
    version: i64,
}

/// The version an action applies to.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InboxVersionBody {
    /// The item's version as last read.
    #[schemars(range(min = 1))]
    version: i64,
}

/// Hiding a submission.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InboxHideBody {
    /// Why (kept with the item and in the audit log).
    #[schemars(length(min = 1, max = MAX_REASON_CHARS))]
    reason: String,
    /// The item's version as last read.
    #[schemars(range(min = 1))]
    version: i64,
}

/// Merging a duplicate.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InboxMergeBody {
    /// The submission (of the same kind) it duplicates.
    into: i64,
    /// The item's version as last read.
    #[schemars(range(min = 1))]
    version: i64,
}

/// Marking a data error fixed.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InboxFixedBody {
    /// What was fixed (optional; the data version and import time are added).
    #[serde(default)]
    #[schemars(length(max = MAX_NOTE_CHARS))]
    note: String,
    /// The item's version as last read.
    #[schemars(range(min = 1))]
    version: i64,
}

/// Loads the item for an action: 404 when not visible; `Err(Stale)` when `version` is not
/// the current one (answered before any check, so a stale client learns the news first).
fn item_for_action(
    tx: &mut dyn Tx,
    who: &Official,
    id: i64,
    version: i64,
) -> ApiResult<Result<InboxItem, InboxItem>> {
    let item = visible_item(tx, who, id)?;
    if item.version != version {
        return Ok(Err(item));
    }
    Ok(Ok(item))
}

/// Ends an action: reloads the item (or, when the update found another version, the current
/// one).
fn finish(tx: &mut dyn Tx, id: i64, changed: bool) -> ApiResult<Outcome> {
    let item =
        load_item(tx, id)?.ok_or_else(|| ApiError::NotFound(format!("no submission {id}")))?;
    Ok(if changed {
        Outcome::Done(item)
    } else {
        Outcome::Stale(item)
    })
}

/// `POST /api/v1/official/submissions/{id}/answer`
async fn answer(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let b: InboxAnswerBody = parse_json(&body, r#"{"answer": "…", "version": 1}"#)?;
    let text = clean_text(&b.answer, "answer", 1, MAX_ANSWER_CHARS, false)?;
    let db = state_db(&st)?;
    let etag = st.etag.to_string();
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Outcome> {
            let item = match item_for_action(tx, &who, id, b.version)? {
                Ok(i) => i,
                Err(cur) => return Ok(Outcome::Stale(cur)),
            };
            let state = item.state.clone();
            if state == "hidden" || state == "merged" {
                return Err(ApiError::Unprocessable(format!(
                    "submission {id} is {state}; a {state} submission is not answered"
                )));
            }
            // A published answer stays published (the public Q&A shows the new text); a
            // fixed error keeps its state.
            let new_state = if state == "new" {
                "answered"
            } else {
                state.as_str()
            };
            let changed = update_at_version(
                tx,
                id,
                b.version,
                "state = ?, answer = ?, answer_folded = ?, answered_by = ?, answered_at = ?",
                vec![
                    new_state.into(),
                    text.as_str().into(),
                    fold(&text).into(),
                    who.id.into(),
                    now().into(),
                ],
            )?;
            if !changed {
                return finish(tx, id, false);
            }
            audit(
                tx,
                &who,
                "answer",
                "submission",
                Some(id),
                &format!("{} characters", text.chars().count()),
            )?;
            mail_answer(tx, &item, &text)?;
            if new_state == "published" {
                if let Some(now_item) = load_item(tx, id)? {
                    announce_published(tx, &now_item, &etag)?;
                }
            }
            finish(tx, id, true)
        })
        .await?;
    Ok(respond(out))
}

/// `POST /api/v1/official/submissions/{id}/publish`
async fn publish(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let b: InboxVersionBody = parse_json(&body, r#"{"version": 2}"#)?;
    let db = state_db(&st)?;
    let etag = st.etag.to_string();
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Outcome> {
            let item = match item_for_action(tx, &who, id, b.version)? {
                Ok(i) => i,
                Err(cur) => return Ok(Outcome::Stale(cur)),
            };
            let state = item.state.as_str();
            if state == "hidden" {
                return Err(ApiError::Unprocessable(format!(
                    "submission {id} is hidden; it cannot be published"
                )));
            }
            if state == "published" {
                return Err(ApiError::Unprocessable(format!(
                    "submission {id} is already published"
                )));
            }
            let mut answer = item.answer.clone();
            let mut answered_by: Option<i64> = None;
            if state == "merged" {
                // A duplicate takes its target's answer.
                let target = item.merged_into.unwrap_or(0);
                let r = tx.query_opt(
                    "SELECT answer, answered_by FROM submission WHERE id = ?",
                    vals![target],
                )?;
                if let Some(r) = r {
                    answer = r.opt_text(0)?;
                    answered_by = r.opt_i64(1)?;
                }
            }
            let Some(answer) = answer.filter(|a| !a.trim().is_empty()) else {
                return Err(ApiError::Unprocessable(format!(
                    "submission {id} has no answer yet (for a merged duplicate: its target has \
                     none); answer it before publishing"
                )));
            };
            let t = now();
            let changed = if state == "merged" {
                update_at_version(
                    tx,
                    id,
                    b.version,
                    "state = 'published', published_at = ?, answer = ?, answer_folded = ?, \
                     answered_by = ?, answered_at = ?",
                    vec![
                        t.into(),
                        answer.as_str().into(),
                        fold(&answer).into(),
                        answered_by.into(),
                        t.into(),
                    ],
                )?
            } else {
                update_at_version(
                    tx,
                    id,
                    b.version,
                    "state = 'published', published_at = ?",
                    vec![t.into()],
                )?
            };
            if !changed {
                return finish(tx, id, false);
            }
            audit(tx, &who, "publish", "submission", Some(id), "")?;
            if let Some(now_item) = load_item(tx, id)? {
                announce_published(tx, &now_item, &etag)?;
            }
            finish(tx, id, true)
        })
        .await?;
    Ok(respond(out))
}

/// `POST /api/v1/official/submissions/{id}/hide`
async fn hide(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let b: InboxHideBody = parse_json(&body, r#"{"reason": "quảng cáo", "version": 1}"#)?;
    let reason = clean_text(&b.reason, "reason", 1, MAX_REASON_CHARS, false)?;
    let db = state_db(&st)?;
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Outcome> {
            if let Err(cur) = item_for_action(tx, &who, id, b.version)? {
                return Ok(Outcome::Stale(cur));
            }
            let changed = update_at_version(
                tx,
                id,
                b.version,
                "state = 'hidden', hidden_reason = ?, published_at = NULL",
                vec![reason.as_str().into()],
            )?;
            if !changed {
                return finish(tx, id, false);
            }
            audit(tx, &who, "hide", "submission", Some(id), &reason)?;
            finish(tx, id, true)
        })
        .await?;
    Ok(respond(out))
}

/// `POST /api/v1/official/submissions/{id}/merge`
async fn merge(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let b: InboxMergeBody = parse_json(&body, r#"{"into": 12, "version": 1}"#)?;
    let db = state_db(&st)?;
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Outcome> {
            let item = match item_for_action(tx, &who, id, b.version)? {
                Ok(i) => i,
                Err(cur) => return Ok(Outcome::Stale(cur)),
            };
            if b.into == id {
                return Err(ApiError::Unprocessable(
                    "a submission cannot be merged into itself".into(),
                ));
            }
            let target = visible_item(tx, &who, b.into).map_err(|_| {
                ApiError::Unprocessable(format!("no submission {} to merge into", b.into))
            })?;
            if target.state == "merged" {
                return Err(ApiError::Unprocessable(format!(
                    "submission {} is itself merged into {}; merge into that one",
                    b.into,
                    target.merged_into.unwrap_or(0)
                )));
            }
            if target.kind != item.kind {
                return Err(ApiError::Unprocessable(format!(
                    "submission {} is a {} and {id} a {}: only the same kind merges",
                    b.into, target.kind, item.kind
                )));
            }
            let changed = update_at_version(
                tx,
                id,
                b.version,
                "state = 'merged', merged_into = ?, published_at = NULL",
                vec![b.into.into()],
            )?;
            if !changed {
                return finish(tx, id, false);
            }
            // Duplicates of this one follow it into the target (no chains, no cycles).
            tx.exec(
                "UPDATE submission SET merged_into = ?, version = version + 1, updated_at = ? \
                 WHERE merged_into = ? AND state = 'merged'",
                vals![b.into, now(), id],
            )?;
            audit(
                tx,
                &who,
                "merge",
                "submission",
                Some(id),
                &format!("into {}", b.into),
            )?;
            finish(tx, id, true)
        })
        .await?;
    Ok(respond(out))
}

/// The store's last import time (RFC 3339), from the catalog's layers.
fn import_time(st: &PortalState) -> String {
    st.index
        .catalog()
        .layers
        .values()
        .map(|l| l.imported_at.as_str())
        .max()
        .unwrap_or("")
        .to_string()
}

/// `POST /api/v1/official/submissions/{id}/fixed`
async fn fixed(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let b: InboxFixedBody = parse_json(&body, r#"{"note": "đã sửa ranh thửa", "version": 1}"#)?;
    let note = clean_text(&b.note, "note", 0, MAX_NOTE_CHARS, false)?;
    let db = state_db(&st)?;
    let etag = st.etag.to_string();
    let imported = import_time(&st);
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Outcome> {
            let item = match item_for_action(tx, &who, id, b.version)? {
                Ok(i) => i,
                Err(cur) => return Ok(Outcome::Stale(cur)),
            };
            if item.kind != "error" {
                return Err(ApiError::Unprocessable(format!(
                    "submission {id} is not a data error report; only those are marked fixed"
                )));
            }
            let state = item.state.as_str();
            if state == "hidden" || state == "merged" {
                return Err(ApiError::Unprocessable(format!(
                    "submission {id} is {state}; it cannot be marked fixed"
                )));
            }
            let record = format!(
                "Dữ liệu đã được sửa (phiên bản dữ liệu {etag}, nhập lúc {imported}). / The data \
                 was fixed (data version {etag}, imported {imported})."
            );
            let text = if note.is_empty() {
                record.clone()
            } else {
                format!("{note}\n\n{record}")
            };
            let changed = update_at_version(
                tx,
                id,
                b.version,
                "state = 'fixed', fixed_version = ?, answer = ?, answer_folded = ?, \
                 answered_by = ?, answered_at = ?",
                vec![
                    etag.as_str().into(),
                    text.as_str().into(),
                    fold(&text).into(),
                    who.id.into(),
                    now().into(),
                ],
            )?;
            if !changed {
                return finish(tx, id, false);
            }
            audit(
                tx,
                &who,
                "fixed",
                "submission",
                Some(id),
                &format!("data version {etag}, imported {imported}"),
            )?;
            mail_answer(tx, &item, &text)?;
            finish(tx, id, true)
        })
        .await?;
    Ok(respond(out))
}

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/official/inbox", &["get"], get(inbox)),
        ("/api/v1/official/submissions/{id}", &["get"], get(one)),
        (
            "/api/v1/official/submissions/{id}/attachments/{aid}",
            &["get"],
            get(attachment),
        ),
        (
            "/api/v1/official/submissions/{id}/answer",
            &["post"],
            post(answer),
        ),
        (
            "/api/v1/official/submissions/{id}/publish",
            &["post"],
            post(publish),
        ),
        (
            "/api/v1/official/submissions/{id}/hide",
            &["post"],
            post(hide),
        ),
        (
            "/api/v1/official/submissions/{id}/merge",
            &["post"],
            post(merge),
        ),
        (
            "/api/v1/official/submissions/{id}/fixed",
            &["post"],
            post(fixed),
        ),
    ]
}

/// The path parameter `id` of a submission or consultation.
pub(crate) fn id_param(o: Op, what: &str) -> Op {
    o.path("id", what, json!({"type": "integer", "minimum": 1}))
}

/// The request header carrying the session's CSRF token.
pub(crate) fn csrf_header(o: Op) -> Op {
    o.header(
        "X-CSRF-Token",
        "The session's CSRF token (from the login answer)",
        true,
    )
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "Officials' inbox";
    let sub = "The submission's id";
    let mut p = Map::new();
    p.insert(
        "/api/v1/official/inbox".into(),
        json!({"get": Op::new(
            "Submissions the official may see, newest first, with counts per state (same filters, any state)",
            tag,
        )
        .query::<InboxQuery>()
        .json::<InboxPage>(sc, "200", "A page of submissions and the counts per state")
        .problems(&["400", "401", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/official/submissions/{id}".into(),
        json!({"get": id_param(
            Op::new(
                "One submission (with contact details and attachments) and its audit trail",
                tag,
            ),
            sub,
        )
        .query::<NoParams>()
        .json::<InboxItemTrail>(sc, "200", "The submission and its audit trail")
        .problems(&["400", "401", "404", "500", "503"])
        .done()}),
    );
    let file = json!({"type": "string", "format": "binary"});
    let mut download = id_param(
        Op::new(
            "An attachment's bytes, as a download (Content-Disposition: attachment; CSP sandbox; nosniff; no-store)",
            tag,
        ),
        sub,
    )
    .path(
        "aid",
        "The attachment's id",
        json!({"type": "integer", "minimum": 1}),
    )
    .query::<NoParams>()
    .media("200", "The file", "application/octet-stream", file.clone())
    .problems(&["400", "401", "404", "500", "503"])
    .done();
    for media in ["image/jpeg", "image/png", "application/pdf"] {
        download["responses"]["200"]["content"][media] = json!({"schema": file});
    }
    p.insert(
        "/api/v1/official/submissions/{id}/attachments/{aid}".into(),
        json!({"get": download}),
    );
    let stale = sc.out::<StaleVersion>();
    let action =
        |summary: &str| csrf_header(id_param(Op::new(summary, tag), sub)).query::<NoParams>();
    let answers = |o: Op, sc: &mut Schemas| {
        o.json::<InboxItem>(sc, "200", "The submission as it is now")
            .media(
                "409",
                "Someone acted first: nothing was written; the current item is given",
                crate::error::PROBLEM_JSON,
                stale.clone(),
            )
            .problems(&["400", "401", "403", "404", "413", "422", "500", "503"])
            .done()
    };
    let actions = [
        (
            "answer",
            action("Answer (new → answered; a published answer is updated in place); mails the asker if they gave an email")
                .body::<InboxAnswerBody>(sc, "The answer and the version it applies to", true),
        ),
        (
            "publish",
            action("Publish in the public Q&A (needs an answer; a merged duplicate takes its target's); followers hear of it")
                .body::<InboxVersionBody>(sc, "The version it applies to", true),
        ),
        (
            "hide",
            action("Hide, with a reason")
                .body::<InboxHideBody>(sc, "The reason and the version it applies to", true),
        ),
        (
            "merge",
            action("Merge a duplicate into another submission of the same kind")
                .body::<InboxMergeBody>(sc, "The target and the version it applies to", true),
        ),
        (
            "fixed",
            action("Mark a data error fixed by the current data (records the data version and import time)")
                .body::<InboxFixedBody>(sc, "A note and the version it applies to", true),
        ),
    ];
    for (name, o) in actions {
        p.insert(
            format!("/api/v1/official/submissions/{{id}}/{name}"),
            json!({"post": answers(o, sc)}),
        );
    }
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn answers_are_cleaned() {
        assert_eq!(
            clean_text(" Được.\r\nCảm ơn ", "answer", 1, 20, false).unwrap(),
            "Được.\nCảm ơn"
        );
        assert!(clean_text("a\u{202E}b", "answer", 1, 10, false).is_err());
        assert!(clean_text("a\u{0}b", "answer", 1, 10, false).is_err());
        assert!(clean_text("a\nb", "title", 1, 10, true).is_err());
        assert!(clean_text("", "answer", 1, 10, false).is_err());
        assert!(clean_text(&"ễ".repeat(11), "answer", 1, 10, false).is_err());
    }

    #[test]
    fn downloads_are_named_safely() {
        let d = content_disposition("../../etc/\"passwd\";.pdf", 1, 2, "application/pdf");
        assert!(d.starts_with("attachment; filename=\""), "{d}");
        assert!(!d.contains('/') || d.contains("UTF-8''"), "{d}");
        assert!(
            !d[..d.find("filename*").unwrap()].contains("\"passwd"),
            "{d}"
        );
        let d = content_disposition("ảnh thửa.jpg", 1, 2, "image/jpeg");
        assert!(d.contains("filename=\"_nh th_a.jpg\""), "{d}");
        assert!(d.contains("UTF-8''%E1%BA%A3nh"), "{d}");
        assert_eq!(
            content_disposition("\u{0}", 3, 4, "image/png"),
            "attachment; filename=\"submission-3-4.png\"; filename*=UTF-8''submission%2D3%2D4%2Epng"
        );
    }
}
