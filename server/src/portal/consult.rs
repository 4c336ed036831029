//! Consultations on draft plans: their windows ([`window_for`], what a comment's submission
//! checks), the public listing and published comments, officials opening and changing them,
//! the consultation summary (CSV and a printable A4 page) and `quyhoach consultations`.
//!
//! - **Windows.** A consultation takes comments from `opens_at` (inclusive) until
//!   `closes_at` (exclusive), Unix seconds. Dates given as `YYYY-MM-DD` are local days in
//!   Vietnam (UTC+7): it opens at 00:00 of the first and closes at 24:00 of the last.
//!   `communes`: '' for the plan's whole area, else the comma-separated commune codes it is
//!   held in.
//! - **Announcements.** A consultation that is open is announced once (`announced`):
//!   `consultation_opened` events for the plan and its communes (the listed ones, or for a
//!   whole-area consultation the communes whose boundaries meet the plan's layers). An
//!   official's consultation opening at once is announced when created; one opening later
//!   (or opened by the command line) on the first public listing after it opened.
//! - **The summary** lists every comment, grouped by zone and position with counts, with the
//!   official's response; hidden and merged ones are listed apart, not counted. It never
//!   holds contact details. CSV: RFC 4180, UTF-8 with a BOM (Excel), cells that a
//!   spreadsheet would read as a formula prefixed with `'`. HTML: one printable A4 page, no
//!   script, everything escaped.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use quyhoach_data::lookup::Store;
use quyhoach_data::plans::{Decision, PlanStatus};
use quyhoach_data::schema::Kind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::accounts::{Official, Role};
use super::alerts;
use super::inbox::{clean_text, csrf_header, id_param, parse_json, path_of};
use super::sql::{now, vals, Row, SqlError, SqlResult, StateDb, Tx};
use super::twoway::{esc, state_db, ApiError, ApiResult};
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::params::{self, NoParams};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Communes one consultation names at most.
pub const MAX_COMMUNES: usize = 100;
/// Longest consultation: two years.
pub const MAX_SPAN_SECONDS: i64 = 2 * 366 * 86_400;
/// Vietnam's offset from UTC (no summer time).
pub const VN_OFFSET_SECONDS: i64 = 7 * 3600;
/// Consultations one listing gives at most (newest first).
pub const MAX_LISTED: i64 = 500;
/// Published comments of one page at most.
pub const MAX_COMMENTS_PAGE: i64 = 200;
/// The demo's draft plan, put to consultation by [`ensure_demo`].
pub const DEMO_PLAN: &str = "qhpk-2000-dc";

const POSITIONS: &[&str] = &["support", "object", "other"];

/// Where a consultation's window stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum WindowStatus {
    /// Taking comments.
    Open,
    /// Opens later.
    Upcoming,
    /// Closed.
    Closed,
}

impl WindowStatus {
    /// The window `opens_at..closes_at` at `now`.
    pub fn at(opens_at: i64, closes_at: i64, now: i64) -> WindowStatus {
        if now < opens_at {
            WindowStatus::Upcoming
        } else if now < closes_at {
            WindowStatus::Open
        } else {
            WindowStatus::Closed
        }
    }

    /// `open`, `upcoming` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowStatus::Open => "open",
            WindowStatus::Upcoming => "upcoming",
            WindowStatus::Closed => "closed",
        }
    }
}

/// `open`, `upcoming` or `closed` at `now`.
pub fn status_at(opens_at: i64, closes_at: i64, now: i64) -> &'static str {
    WindowStatus::at(opens_at, closes_at, now).as_str()
}

/// A local day `YYYY-MM-DD` (Vietnam): the Unix second its 00:00 is, plus `days` days.
pub fn local_day(s: &str, days: i64) -> Option<i64> {
    let d = time::Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let utc = d.midnight().assume_utc().unix_timestamp();
    Some(utc - VN_OFFSET_SECONDS + days * 86_400)
}

/// Unix seconds as a local date `YYYY-MM-DD` (Vietnam).
pub fn day_of(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t + VN_OFFSET_SECONDS)
        .ok()
        .and_then(|d| {
            d.format(time::macros::format_description!("[year]-[month]-[day]"))
                .ok()
        })
        .unwrap_or_default()
}

/// Unix seconds as a local date and time `YYYY-MM-DD HH:MM` (Vietnam).
pub fn time_of(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t + VN_OFFSET_SECONDS)
        .ok()
        .and_then(|d| {
            d.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// The last day of a window closing at `closes_at` (24:00 of that day).
pub fn last_day_of(closes_at: i64) -> String {
    day_of(closes_at - 1)
}

/// When a window opens or closes, as given in a body: Unix seconds, `"now"` (opening) or a
/// local day `YYYY-MM-DD` (opening: its 00:00; closing: 24:00).
fn moment(v: &Value, what: &str, closing: bool) -> ApiResult<i64> {
    let bad = || {
        ApiError::Bad(format!(
            "{what} must be Unix seconds or a date YYYY-MM-DD (Vietnam's day{})",
            if closing { "" } else { ", or \"now\"" }
        ))
    };
    match v {
        Value::Number(n) => n
            .as_i64()
            .filter(|t| (0..=253_402_300_799).contains(t))
            .ok_or_else(bad),
        Value::String(s) if !closing && s == "now" => Ok(now()),
        Value::String(s) if s.len() <= 10 => {
            local_day(s, if closing { 1 } else { 0 }).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// Commune codes: 1–32 of letters, digits, `-` and `_`, at most [`MAX_COMMUNES`], no repeats.
fn clean_communes(list: &[String]) -> ApiResult<Vec<String>> {
    if list.len() > MAX_COMMUNES {
        return Err(ApiError::Bad(format!(
            "at most {MAX_COMMUNES} communes per consultation"
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for c in list {
        let c = c.trim();
        if c.is_empty()
            || c.len() > 32
            || !c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::Bad(
                "a commune is its code: 1 to 32 letters, digits, '-' or '_' (e.g. 31153)".into(),
            ));
        }
        if !out.iter().any(|x| x == c) {
            out.push(c.to_string());
        }
    }
    Ok(out)
}

fn check_window(opens_at: i64, closes_at: i64) -> ApiResult<()> {
    if closes_at <= opens_at {
        return Err(ApiError::Unprocessable(
            "the consultation must close after it opens".into(),
        ));
    }
    if closes_at - opens_at > MAX_SPAN_SECONDS {
        return Err(ApiError::Unprocessable(
            "a consultation lasts at most two years".into(),
        ));
    }
    Ok(())
}

/// The communes of a plan's area: those whose boundaries meet the bounds of the plan's
/// layers (at most 500).
pub fn plan_communes(index: &dyn Store, plan_id: &str) -> Vec<String> {
    let cat = index.catalog();
    let mut bounds: Option<[f64; 4]> = None;
    for l in cat.layers.values() {
        if l.plan.as_deref() == Some(plan_id) || l.plans.iter().any(|p| p == plan_id) {
            bounds = Some(quyhoach_data::index::union_bbox(bounds, l.bounds));
        }
    }
    let Some(b) = bounds else {
        return Vec::new();
    };
    let mut found = BTreeSet::new();
    for (id, l) in &cat.layers {
        if l.kind != Kind::Boundaries {
            continue;
        }
        let _ = index.visit(id, b, &mut |f, _| {
            if found.len() >= 500 {
                return;
            }
            let code = match f.value("code").or_else(|| f.value("name")) {
                Some(quyhoach_data::index::ValueRef::Str(s)) => Some(s.to_string()),
                Some(quyhoach_data::index::ValueRef::Int(i)) => Some(i.to_string()),
                _ => None,
            };
            if let Some(c) = code {
                found.insert(c);
            }
        });
    }
    found.into_iter().collect()
}

/// A consultation row as read by [`SELECT_COLS`].
#[derive(Debug, Clone)]
struct Consultation {
    id: i64,
    plan_id: String,
    title: String,
    description: String,
    communes: Vec<String>,
    opens_at: i64,
    closes_at: i64,
    created_at: i64,
    comment_count: i64,
    published_count: i64,
}

const SELECT_COLS: &str = "c.id, c.plan_id, c.title, c.description, c.communes, c.opens_at, \
    c.closes_at, c.created_at, \
    (SELECT count(*) FROM submission s WHERE s.consultation_id = c.id AND s.kind = 'comment' \
     AND s.state <> 'hidden' AND s.state <> 'merged'), \
    (SELECT count(*) FROM submission s WHERE s.consultation_id = c.id AND s.kind = 'comment' \
     AND s.state = 'published')";

fn split_communes(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

impl Consultation {
    fn of(r: &Row) -> SqlResult<Self> {
        Ok(Consultation {
            id: r.i64(0)?,
            plan_id: r.text(1)?,
            title: r.text(2)?,
            description: r.text(3)?,
            communes: split_communes(&r.text(4)?),
            opens_at: r.i64(5)?,
            closes_at: r.i64(6)?,
            created_at: r.i64(7)?,
            comment_count: r.i64(8)?,
            published_count: r.i64(9)?,
        })
    }

    fn json(&self, index: &dyn Store, at: i64) -> ConsultationOut {
        let plan = index.catalog().plans.get(&self.plan_id);
        ConsultationOut {
            id: self.id,
            plan_id: self.plan_id.clone(),
            plan_name: plan.map(|p| p.name.clone()),
            plan_status: plan.map(|p| p.status),
            decision: plan.map(|p| p.decision.clone()),
            document_url: plan.and_then(|p| p.document_url.clone()),
            title: self.title.clone(),
            description: self.description.clone(),
            communes: self.communes.clone(),
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            first_day: day_of(self.opens_at),
            last_day: last_day_of(self.closes_at),
            status: WindowStatus::at(self.opens_at, self.closes_at, at),
            comment_count: self.comment_count,
            published_count: self.published_count,
            created_at: self.created_at,
        }
    }
}

/// A consultation on a plan, as the public and officials see it.
#[derive(Serialize, JsonSchema)]
pub struct ConsultationOut {
    /// The consultation's id.
    pub id: i64,
    /// The plan put to consultation.
    pub plan_id: String,
    /// The plan's name (null when the catalog no longer has it).
    pub plan_name: Option<String>,
    /// The plan's legal status.
    pub plan_status: Option<PlanStatus>,
    /// The decision approving (or to approve) the plan.
    pub decision: Option<Decision>,
    /// Where the plan's documents are.
    pub document_url: Option<String>,
    /// Title.
    pub title: String,
    /// What is asked, how to comment.
    pub description: String,
    /// The communes it is held in (codes); empty for the plan's whole area.
    pub communes: Vec<String>,
    /// When it opens (Unix seconds, inclusive).
    pub opens_at: i64,
    /// When it closes (Unix seconds, exclusive).
    pub closes_at: i64,
    /// Its first day, `YYYY-MM-DD` in Vietnam.
    pub first_day: String,
    /// Its last day, `YYYY-MM-DD` in Vietnam (until 24:00).
    pub last_day: String,
    /// Where the window stands now.
    pub status: WindowStatus,
    /// Comments taken (not hidden or merged).
    pub comment_count: i64,
    /// Comments published.
    pub published_count: i64,
    /// When it was created (Unix seconds).
    pub created_at: i64,
}

fn load(tx: &mut dyn Tx, id: i64) -> SqlResult<Option<Consultation>> {
    tx.query_opt(
        &format!("SELECT {SELECT_COLS} FROM consultation c WHERE c.id = ?"),
        vals![id],
    )?
    .map(|r| Consultation::of(&r))
    .transpose()
}

/// What an announcement says of a plan: its name and the communes of its area.
struct PlanInfo {
    name: String,
    communes: Vec<String>,
}

impl PlanInfo {
    fn of(index: &dyn Store, plan_id: &str) -> PlanInfo {
        PlanInfo {
            name: index
                .catalog()
                .plans
                .get(plan_id)
                .map_or(plan_id.to_string(), |p| p.name.clone()),
            communes: plan_communes(index, plan_id),
        }
    }
}

/// Records `consultation_opened` for the plan and its communes, once per consultation
/// (`announced` is set in the same transaction).
fn announce(tx: &mut dyn Tx, c: &Consultation, plan: &PlanInfo) -> SqlResult<bool> {
    let n = tx.exec(
        "UPDATE consultation SET announced = 1 WHERE id = ? AND announced = 0",
        vals![c.id],
    )?;
    if n == 0 {
        return Ok(false);
    }
    let communes = if c.communes.is_empty() {
        &plan.communes
    } else {
        &c.communes
    };
    let mut subjects: Vec<(&str, &str)> = vec![("plan", c.plan_id.as_str())];
    for cm in communes
        .iter()
        .take(alerts::MAX_EVENT_SUBJECTS.saturating_sub(1))
    {
        subjects.push(("commune", cm.as_str()));
    }
    let title = format!("Lấy ý kiến: {}", c.title);
    let summary = format!(
        "Dự thảo {} được lấy ý kiến từ ngày {} đến hết ngày {}. Bạn có thể góp ý \
         (đồng ý, không đồng ý, ý kiến khác) trên báo cáo của thửa đất hoặc khu vực.",
        plan.name,
        day_of(c.opens_at),
        last_day_of(c.closes_at)
    );
    let link = format!("/#/consultations/{}", c.id);
    alerts::record_event(
        tx,
        &alerts::NewEvent {
            kind: "consultation_opened",
            subjects: &subjects,
            title: &title,
            summary: &summary,
            link: &link,
            data_version: "",
        },
    )?;
    // Followers of a parcel the draft lies over hear of it too: the parcel's last planning
    // fingerprint (alerts.rs, kept for every followed parcel) lists the plans over it.
    let pattern = format!(
        "%\"plan\":{}%",
        super::sql::like_escape(&serde_json::Value::from(c.plan_id.as_str()).to_string())
    );
    let parcels = tx.query(
        "SELECT subject_id FROM subject_fingerprint WHERE subject_kind = 'parcel' \
         AND summary LIKE ? ESCAPE '\\' ORDER BY subject_id LIMIT ?",
        vals![pattern, MAX_ANNOUNCED_PARCELS],
    )?;
    for r in parcels {
        let parcel = r.text(0)?;
        let commune = parcel.split('/').next().unwrap_or("");
        if !c.communes.is_empty() && !c.communes.iter().any(|x| x == commune) {
            continue;
        }
        alerts::record_event(
            tx,
            &alerts::NewEvent {
                kind: "consultation_opened",
                subjects: &[("parcel", parcel.as_str())],
                title: &title,
                summary: &summary,
                link: &link,
                data_version: "",
            },
        )?;
    }
    Ok(true)
}

/// Followed parcels told of one consultation at most (each gets its own event row).
const MAX_ANNOUNCED_PARCELS: i64 = 100_000;

/// Announces every consultation that is open and was not yet (see the module's doc).
fn announce_due(tx: &mut dyn Tx, index: &dyn Store) -> SqlResult<usize> {
    let t = now();
    let rows = tx.query(
        &format!(
            "SELECT {SELECT_COLS} FROM consultation c WHERE c.announced = 0 AND c.opens_at <= ? \
             AND c.closes_at > ? ORDER BY c.id LIMIT 50"
        ),
        vals![t, t],
    )?;
    let mut n = 0;
    for r in rows {
        let c = Consultation::of(&r)?;
        if announce(tx, &c, &PlanInfo::of(index, &c.plan_id))? {
            n += 1;
        }
    }
    Ok(n)
}

/// The query of `GET /api/v1/consultations`.
#[derive(Deserialize, JsonSchema)]
struct ListQuery {
    /// Plan id
    #[schemars(length(max = 64))]
    plan: Option<String>,
    /// Only the consultations whose window stands so now
    status: Option<WindowStatus>,
}

/// `GET /api/v1/consultations`
async fn list(
    State(st): State<PortalState>,
    params::Query(q): params::Query<ListQuery>,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    let plan = q.plan.filter(|p| !p.is_empty());
    if plan.as_ref().is_some_and(|p| p.len() > 64) {
        return Err(ApiError::Bad(
            "plan is a plan id (at most 64 characters)".into(),
        ));
    }
    let status = q.status;
    let index = st.index.clone();
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Vec<ConsultationOut>> {
            announce_due(tx, &*index)?;
            let t = now();
            let mut cond = vec!["1 = 1".to_string()];
            let mut params: Vec<super::sql::Value> = Vec::new();
            if let Some(p) = plan {
                cond.push("c.plan_id = ?".into());
                params.push(p.into());
            }
            match status {
                Some(WindowStatus::Open) => {
                    cond.push("c.opens_at <= ? AND c.closes_at > ?".into());
                    params.extend([t.into(), t.into()]);
                }
                Some(WindowStatus::Upcoming) => {
                    cond.push("c.opens_at > ?".into());
                    params.push(t.into());
                }
                Some(WindowStatus::Closed) => {
                    cond.push("c.closes_at <= ?".into());
                    params.push(t.into());
                }
                None => {}
            }
            params.push(MAX_LISTED.into());
            let rows = tx.query(
                &format!(
                    "SELECT {SELECT_COLS} FROM consultation c WHERE {} \
                     ORDER BY c.opens_at DESC, c.id DESC LIMIT ?",
                    cond.join(" AND ")
                ),
                &params,
            )?;
            let mut out = Vec::new();
            for r in rows {
                out.push(Consultation::of(&r)?.json(&*index, t));
            }
            Ok(out)
        })
        .await?;
    Ok(Json(out).into_response())
}

/// `GET /api/v1/consultations/{id}`
async fn one(
    State(st): State<PortalState>,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let db = state_db(&st)?;
    let index = st.index.clone();
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<ConsultationOut> {
            announce_due(tx, &*index)?;
            let c =
                load(tx, id)?.ok_or_else(|| ApiError::NotFound(format!("no consultation {id}")))?;
            Ok(c.json(&*index, now()))
        })
        .await?;
    Ok(Json(out).into_response())
}

/// Deepest offset of a page of published comments.
pub const MAX_COMMENTS_OFFSET: i64 = 100_000;

/// The query of `GET /api/v1/consultations/{id}/comments`.
#[derive(Deserialize, JsonSchema)]
struct CommentsQuery {
    /// Page size (default 100)
    #[schemars(range(min = 1, max = MAX_COMMENTS_PAGE))]
    limit: Option<i64>,
    /// Items skipped
    #[schemars(range(min = 0, max = MAX_COMMENTS_OFFSET))]
    offset: Option<i64>,
}

/// A page of a consultation's published comments.
#[derive(Serialize, JsonSchema)]
pub struct CommentsPage {
    /// The comments, last published first.
    pub items: Vec<PublishedComment>,
    /// Published comments, all pages.
    pub total: i64,
}

/// A published comment (no contact details).
#[derive(Serialize, JsonSchema)]
pub struct PublishedComment {
    /// The submission's id.
    pub id: i64,
    /// `support`, `object` or `other`.
    pub position: Option<String>,
    /// The comment.
    pub body: String,
    /// What it is about.
    pub subject: CommentSubject,
    /// The subject's label (as in `subject`).
    pub subject_label: String,
    /// The zone it is about (as in `subject`).
    pub zone_id: Option<String>,
    /// The official response.
    pub response: Option<String>,
    /// Who responded (the official's display name).
    pub responded_by: Option<String>,
    /// When (Unix seconds).
    pub responded_at: Option<i64>,
    /// When it was published (Unix seconds).
    pub published_at: Option<i64>,
}

/// What a published comment is about.
#[derive(Serialize, JsonSchema)]
pub struct CommentSubject {
    /// `parcel`, `site`, `plan` or `zone`.
    #[schemars(extend("enum" = ["parcel", "site", "plan", "zone"]))]
    pub kind: String,
    /// How the subject is named to people.
    pub label: String,
    /// The parcel's number `commune/sheet/parcel`.
    pub parcel: Option<String>,
    /// The commune's code.
    pub commune: Option<String>,
    /// The plan's id.
    pub plan_id: Option<String>,
    /// The zone's id.
    pub zone_id: Option<String>,
}

/// `GET /api/v1/consultations/{id}/comments`: published comments only, no contact.
async fn comments(
    State(st): State<PortalState>,
    id: Result<Path<i64>, PathRejection>,
    params::Query(q): params::Query<CommentsQuery>,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    let limit = q.limit.unwrap_or(100);
    let offset = q.offset.unwrap_or(0);
    let db = state_db(&st)?;
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<CommentsPage> {
            if load(tx, id)?.is_none() {
                return Err(ApiError::NotFound(format!("no consultation {id}")));
            }
            let total = tx.query_i64(
                "SELECT count(*) FROM submission WHERE consultation_id = ? AND kind = 'comment' \
                 AND state = 'published'",
                vals![id],
            )?;
            let rows = tx.query(
                "SELECT s.id, s.position, s.body, s.subject_kind, s.subject_label, s.parcel_id, \
                 s.commune, s.plan_id, s.zone_id, s.answer, o.display_name, s.answered_at, \
                 s.published_at FROM submission s LEFT JOIN official o ON o.id = s.answered_by \
                 WHERE s.consultation_id = ? AND s.kind = 'comment' AND s.state = 'published' \
                 ORDER BY s.published_at DESC, s.id DESC LIMIT ? OFFSET ?",
                vals![id, limit, offset],
            )?;
            let mut items = Vec::new();
            for r in rows {
                items.push(PublishedComment {
                    id: r.i64(0)?,
                    position: r.opt_text(1)?,
                    body: r.text(2)?,
                    subject: CommentSubject {
                        kind: r.text(3)?,
                        label: r.text(4)?,
                        parcel: r.opt_text(5)?,
                        commune: r.opt_text(6)?,
                        plan_id: r.opt_text(7)?,
                        zone_id: r.opt_text(8)?,
                    },
                    subject_label: r.text(4)?,
                    zone_id: r.opt_text(8)?,
                    response: r.opt_text(9)?,
                    responded_by: r.opt_text(10)?,
                    responded_at: r.opt_i64(11)?,
                    published_at: r.opt_i64(12)?,
                });
            }
            Ok(CommentsPage { items, total })
        })
        .await?;
    Ok(Json(out).into_response())
}

/// When a window opens or closes, as a body gives it (read by [`moment`]): Unix seconds,
/// or a day in Vietnam `YYYY-MM-DD` (opening at 00:00, closing at 24:00), or `"now"`
/// (opening only).
#[derive(Deserialize)]
#[serde(transparent)]
struct Moment(Value);

impl JsonSchema for Moment {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Moment".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 253_402_300_799_i64,
                    "description": "Unix seconds"},
                {"type": "string", "pattern": "^(\\d{4}-\\d{2}-\\d{2}|now)$",
                    "description": "A day in Vietnam (opens at 00:00, closes at 24:00); \"now\" for opens_at"},
            ],
        })
    }
}

/// A new consultation.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConsultationCreate {
    /// The plan put to consultation (its id in the catalog).
    plan_id: String,
    /// The title shown to the public (one line).
    #[schemars(length(min = 1, max = MAX_TITLE_CHARS))]
    title: String,
    /// What is asked, how to comment.
    #[serde(default)]
    #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
    description: String,
    /// Commune codes (1 to 32 letters, digits, '-' or '_'); empty for the plan's whole area.
    #[serde(default)]
    #[schemars(length(max = MAX_COMMUNES))]
    communes: Vec<String>,
    /// When it opens: Unix seconds, a day `YYYY-MM-DD` (from 00:00 in Vietnam) or "now".
    opens_at: Moment,
    /// When it closes: Unix seconds or a day `YYYY-MM-DD` (until 24:00 in Vietnam).
    closes_at: Moment,
}

/// Changes to a consultation: the members given replace the current ones.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConsultationUpdate {
    /// The title shown to the public (one line).
    #[schemars(length(min = 1, max = MAX_TITLE_CHARS))]
    title: Option<String>,
    /// What is asked, how to comment.
    #[schemars(length(max = MAX_DESCRIPTION_CHARS))]
    description: Option<String>,
    /// Commune codes (1 to 32 letters, digits, '-' or '_'); empty for the plan's whole area.
    #[schemars(length(max = MAX_COMMUNES))]
    communes: Option<Vec<String>>,
    /// When it opens: Unix seconds, a day `YYYY-MM-DD` (from 00:00 in Vietnam) or "now".
    opens_at: Option<Moment>,
    /// When it closes: Unix seconds or a day `YYYY-MM-DD` (until 24:00 in Vietnam).
    closes_at: Option<Moment>,
}

fn insert_audit(
    tx: &mut dyn Tx,
    who: Option<&Official>,
    action: &str,
    id: i64,
    detail: &str,
) -> SqlResult<()> {
    match who {
        Some(w) => super::accounts::audit(tx, w, action, "consultation", Some(id), detail),
        None => {
            tx.exec(
                "INSERT INTO audit_log (at, official_id, username, action, target_kind, \
                 target_id, detail) VALUES (?, NULL, ?, ?, 'consultation', ?, ?)",
                vals![now(), "(command line)", action, id, detail],
            )?;
            Ok(())
        }
    }
}

/// Inserts a consultation (fields checked by the caller); its id.
#[allow(clippy::too_many_arguments)]
fn insert(
    tx: &mut dyn Tx,
    plan_id: &str,
    title: &str,
    description: &str,
    communes: &[String],
    opens_at: i64,
    closes_at: i64,
    created_by: Option<i64>,
) -> SqlResult<i64> {
    tx.query_i64(
        "INSERT INTO consultation (plan_id, title, description, communes, opens_at, closes_at, \
         created_by, created_at, announced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id",
        vals![
            plan_id,
            title,
            description,
            communes.join(","),
            opens_at,
            closes_at,
            created_by,
            now()
        ],
    )
}

/// `POST /api/v1/official/consultations`
async fn create(
    State(st): State<PortalState>,
    who: Official,
    params::Query(NoParams {}): params::Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    who.require(Role::PlanningOffice)?;
    let b: ConsultationCreate = parse_json(
        &body,
        r#"{"plan_id": "qhpk-2000-dc", "title": "…", "description": "…", "communes": ["31153"], "opens_at": "2026-01-05", "closes_at": "2026-02-04"}"#,
    )?;
    let plan_id = b.plan_id.trim().to_string();
    if !st.index.catalog().plans.contains_key(&plan_id) {
        return Err(ApiError::Unprocessable(format!(
            "no plan '{}' in the catalog",
            plan_id.chars().take(64).collect::<String>()
        )));
    }
    let title = clean_text(&b.title, "title", 1, MAX_TITLE_CHARS, true)?;
    let description = clean_text(
        &b.description,
        "description",
        0,
        MAX_DESCRIPTION_CHARS,
        false,
    )?;
    let communes = clean_communes(&b.communes)?;
    let opens_at = moment(&b.opens_at.0, "opens_at", false)?;
    let closes_at = moment(&b.closes_at.0, "closes_at", true)?;
    check_window(opens_at, closes_at)?;
    let db = state_db(&st)?;
    let index = st.index.clone();
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<ConsultationOut> {
            let id = insert(
                tx,
                &plan_id,
                &title,
                &description,
                &communes,
                opens_at,
                closes_at,
                Some(who.id),
            )?;
            insert_audit(
                tx,
                Some(&who),
                "consultation_open",
                id,
                &format!(
                    "{plan_id}: {} – {}",
                    day_of(opens_at),
                    last_day_of(closes_at)
                ),
            )?;
            let c = load(tx, id)?.ok_or(SqlError::NoRow)?;
            let t = now();
            if status_at(c.opens_at, c.closes_at, t) == "open" {
                announce(tx, &c, &PlanInfo::of(&*index, &c.plan_id))?;
            }
            Ok(c.json(&*index, t))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `POST /api/v1/official/consultations/{id}`: change the title, description, communes or
/// dates.
async fn update(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    who.require(Role::PlanningOffice)?;
    let b: ConsultationUpdate = parse_json(&body, r#"{"closes_at": "2026-03-01"}"#)?;
    let title = b
        .title
        .map(|t| clean_text(&t, "title", 1, MAX_TITLE_CHARS, true))
        .transpose()?;
    let description = b
        .description
        .map(|t| clean_text(&t, "description", 0, MAX_DESCRIPTION_CHARS, false))
        .transpose()?;
    let communes = b.communes.map(|c| clean_communes(&c)).transpose()?;
    let opens = b
        .opens_at
        .map(|v| moment(&v.0, "opens_at", false))
        .transpose()?;
    let closes = b
        .closes_at
        .map(|v| moment(&v.0, "closes_at", true))
        .transpose()?;
    let db = state_db(&st)?;
    let index = st.index.clone();
    let out = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<ConsultationOut> {
            let c =
                load(tx, id)?.ok_or_else(|| ApiError::NotFound(format!("no consultation {id}")))?;
            let opens_at = opens.unwrap_or(c.opens_at);
            let closes_at = closes.unwrap_or(c.closes_at);
            check_window(opens_at, closes_at)?;
            let title = title.unwrap_or(c.title.clone());
            let description = description.unwrap_or(c.description.clone());
            let communes = communes.unwrap_or(c.communes.clone());
            tx.exec(
                "UPDATE consultation SET title = ?, description = ?, communes = ?, opens_at = ?, \
                 closes_at = ? WHERE id = ?",
                vals![
                    title.as_str(),
                    description.as_str(),
                    communes.join(","),
                    opens_at,
                    closes_at,
                    id
                ],
            )?;
            insert_audit(
                tx,
                Some(&who),
                "consultation_update",
                id,
                &format!("{} – {}", day_of(opens_at), last_day_of(closes_at)),
            )?;
            let c = load(tx, id)?.ok_or(SqlError::NoRow)?;
            let t = now();
            if status_at(c.opens_at, c.closes_at, t) == "open" {
                announce(tx, &c, &PlanInfo::of(&*index, &c.plan_id))?;
            }
            Ok(c.json(&*index, t))
        })
        .await?;
    Ok(Json(out).into_response())
}

/// One comment of a summary.
#[derive(Debug, Clone)]
struct Comment {
    id: i64,
    created_at: i64,
    position: String,
    zone: String,
    label: String,
    commune: String,
    body: String,
    state: String,
    answer: String,
    answered_by: String,
    answered_at: Option<i64>,
    hidden_reason: String,
    merged_into: Option<i64>,
}

impl Comment {
    fn counted(&self) -> bool {
        self.state != "hidden" && self.state != "merged"
    }
    fn position_rank(&self) -> usize {
        POSITIONS
            .iter()
            .position(|p| *p == self.position)
            .unwrap_or(POSITIONS.len())
    }
}

/// Vietnamese and English words for a position.
fn position_words(p: &str) -> (&'static str, &'static str) {
    match p {
        "support" => ("Đồng ý", "Support"),
        "object" => ("Không đồng ý", "Object"),
        "other" => ("Ý kiến khác", "Other"),
        _ => ("Không rõ", "Unknown"),
    }
}

fn state_words(s: &str) -> &'static str {
    match s {
        "new" => "Chưa trả lời / new",
        "answered" => "Đã trả lời / answered",
        "published" => "Đã công khai / published",
        "hidden" => "Đã ẩn / hidden",
        "merged" => "Đã gộp / merged",
        "fixed" => "Đã sửa / fixed",
        _ => "?",
    }
}

/// What a summary holds: the consultation, its comments in order (counted ones grouped by
/// zone and position, then hidden and merged ones) and the groups' sizes.
struct Summary {
    consultation: Consultation,
    comments: Vec<Comment>,
    /// Communes the reader is limited to (a commune officer), empty for everyone.
    limited_to: Vec<String>,
}

impl Summary {
    fn counted(&self) -> impl Iterator<Item = &Comment> {
        self.comments.iter().filter(|c| c.counted())
    }
    fn group_size(&self, zone: &str, position: &str) -> usize {
        self.counted()
            .filter(|c| c.zone == zone && c.position == position)
            .count()
    }
    fn zones(&self) -> Vec<String> {
        let mut z: Vec<String> = self.counted().map(|c| c.zone.clone()).collect();
        z.sort_by(|a, b| (a.is_empty(), a).cmp(&(b.is_empty(), b)));
        z.dedup();
        z
    }
}

fn load_summary(tx: &mut dyn Tx, who: &Official, id: i64) -> ApiResult<Summary> {
    let consultation =
        load(tx, id)?.ok_or_else(|| ApiError::NotFound(format!("no consultation {id}")))?;
    let mut sql = String::from(
        "SELECT s.id, s.created_at, s.position, s.zone_id, s.subject_label, s.commune, s.body, \
         s.state, s.answer, o.display_name, s.answered_at, s.hidden_reason, s.merged_into \
         FROM submission s LEFT JOIN official o ON o.id = s.answered_by \
         WHERE s.consultation_id = ? AND s.kind = 'comment'",
    );
    let mut params: Vec<super::sql::Value> = vec![id.into()];
    let limited_to = if who.role >= Role::PlanningOffice {
        Vec::new()
    } else {
        if who.communes.is_empty() {
            return Err(ApiError::Forbidden(
                "this account answers for no commune".into(),
            ));
        }
        sql.push_str(&format!(
            " AND s.commune IN ({})",
            vec!["?"; who.communes.len()].join(", ")
        ));
        params.extend(who.communes.iter().map(|c| c.as_str().into()));
        who.communes.clone()
    };
    sql.push_str(" ORDER BY s.created_at, s.id");
    let mut comments = Vec::new();
    for r in tx.query(&sql, &params)? {
        comments.push(Comment {
            id: r.i64(0)?,
            created_at: r.i64(1)?,
            position: r.opt_text(2)?.unwrap_or_default(),
            zone: r.opt_text(3)?.unwrap_or_default(),
            label: r.text(4)?,
            commune: r.opt_text(5)?.unwrap_or_default(),
            body: r.text(6)?,
            state: r.text(7)?,
            answer: r.opt_text(8)?.unwrap_or_default(),
            answered_by: r.opt_text(9)?.unwrap_or_default(),
            answered_at: r.opt_i64(10)?,
            hidden_reason: r.opt_text(11)?.unwrap_or_default(),
            merged_into: r.opt_i64(12)?,
        });
    }
    // Counted comments by zone (no zone last), position, arrival; then the others.
    comments.sort_by(|a, b| {
        (
            !a.counted(),
            a.zone.is_empty(),
            &a.zone,
            a.position_rank(),
            a.created_at,
            a.id,
        )
            .cmp(&(
                !b.counted(),
                b.zone.is_empty(),
                &b.zone,
                b.position_rank(),
                b.created_at,
                b.id,
            ))
    });
    Ok(Summary {
        consultation,
        comments,
        limited_to,
    })
}

/// A CSV cell: defused against formula injection (a leading `=`, `+`, `-`, `@`, tab or CR
/// gets a `'`), quoted per RFC 4180 when it needs to be.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The header of the summary CSV.
pub const CSV_HEADER: &[&str] = &[
    "STT / No",
    "Mã / Id",
    "Ngày gửi / Received",
    "Khu / Zone",
    "Ý kiến / Position",
    "Số ý kiến cùng nhóm / In group",
    "Trạng thái / State",
    "Xã / Commune",
    "Đối tượng / Subject",
    "Nội dung / Comment",
    "Trả lời / Response",
    "Người trả lời / Answered by",
    "Ngày trả lời / Answered",
];

fn response_of(c: &Comment) -> String {
    match c.state.as_str() {
        "hidden" => format!("Đã ẩn / hidden: {}", c.hidden_reason),
        "merged" => format!(
            "Gộp vào ý kiến #{} / merged into #{}",
            c.merged_into.unwrap_or(0),
            c.merged_into.unwrap_or(0)
        ),
        _ => c.answer.clone(),
    }
}

fn summary_csv(s: &Summary) -> String {
    let mut out = String::from("\u{FEFF}");
    let line = |cells: Vec<String>| -> String {
        let mut l = cells
            .iter()
            .map(|c| csv_cell(c))
            .collect::<Vec<_>>()
            .join(",");
        l.push_str("\r\n");
        l
    };
    out.push_str(&line(CSV_HEADER.iter().map(|h| h.to_string()).collect()));
    let mut n = 0;
    for c in &s.comments {
        let (number, group) = if c.counted() {
            n += 1;
            (
                n.to_string(),
                s.group_size(&c.zone, &c.position).to_string(),
            )
        } else {
            (String::new(), String::new())
        };
        out.push_str(&line(vec![
            number,
            c.id.to_string(),
            day_of(c.created_at),
            c.zone.clone(),
            c.position.clone(),
            group,
            c.state.clone(),
            c.commune.clone(),
            c.label.clone(),
            if c.state == "hidden" {
                String::new()
            } else {
                c.body.clone()
            },
            response_of(c),
            if c.counted() {
                c.answered_by.clone()
            } else {
                String::new()
            },
            if c.counted() {
                c.answered_at.map(day_of).unwrap_or_default()
            } else {
                String::new()
            },
        ]));
    }
    out
}

fn zone_name(z: &str) -> String {
    if z.is_empty() {
        "(không xác định khu / no zone)".into()
    } else {
        z.to_string()
    }
}

fn paragraphs(s: &str) -> String {
    esc(s).replace('\n', "<br>")
}

fn summary_html(s: &Summary, index: &dyn Store, made_by: &str) -> String {
    let c = &s.consultation;
    let plan = index.catalog().plans.get(&c.plan_id);
    let mut h = String::with_capacity(16 * 1024);
    h.push_str(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
    );
    h.push_str(&format!(
        "<title>Tổng hợp ý kiến — {}</title>",
        esc(&c.title)
    ));
    h.push_str(
        "<style>@page{size:A4;margin:18mm 16mm}body{font-family:\"Noto Sans\",\"DejaVu Sans\",\
         Arial,sans-serif;font-size:11pt;line-height:1.4;color:#000;max-width:180mm;margin:0 auto}\
         h1{font-size:16pt;margin:0 0 4pt}h2{font-size:13pt;margin:14pt 0 4pt;\
         break-after:avoid}h3{font-size:11.5pt;margin:10pt 0 4pt;break-after:avoid}\
         table{border-collapse:collapse;width:100%;margin:6pt 0}th,td{border:1px solid #444;\
         padding:3pt 5pt;text-align:left;vertical-align:top}td.n,th.n{text-align:right}\
         .c{border-top:1px solid #999;padding:4pt 0;break-inside:avoid}.meta{font-size:9.5pt;\
         color:#333}.resp{margin:3pt 0 0 10pt;padding-left:6pt;border-left:3px solid #666}\
         .small{font-size:9.5pt}</style></head><body>",
    );
    h.push_str(&format!(
        "<h1>Tổng hợp ý kiến góp ý dự thảo quy hoạch</h1><p class=\"small\">Consultation \
         summary · {}</p>",
        esc(&c.title)
    ));
    h.push_str("<table><tbody>");
    let row = |h: &mut String, k: &str, v: &str| {
        h.push_str(&format!("<tr><th scope=\"row\">{k}</th><td>{v}</td></tr>"));
    };
    row(
        &mut h,
        "Quy hoạch / Plan",
        &format!(
            "{} <span class=\"small\">({})</span>",
            esc(plan.map_or(c.plan_id.as_str(), |p| p.name.as_str())),
            esc(&c.plan_id)
        ),
    );
    if let Some(p) = plan {
        row(
            &mut h,
            "Quyết định / Decision",
            &esc(&format!(
                "{} ngày {} — {}",
                p.decision.number, p.decision.date, p.decision.authority
            )),
        );
        if let Some(u) = &p.document_url {
            row(&mut h, "Hồ sơ / Documents", &esc(u));
        }
    }
    row(
        &mut h,
        "Thời gian lấy ý kiến / Window",
        &esc(&format!(
            "từ 00:00 ngày {} đến 24:00 ngày {} (giờ Việt Nam)",
            day_of(c.opens_at),
            last_day_of(c.closes_at)
        )),
    );
    row(
        &mut h,
        "Phạm vi / Area",
        &esc(&if c.communes.is_empty() {
            "Toàn bộ phạm vi quy hoạch / the plan's whole area".to_string()
        } else {
            format!("Xã / communes: {}", c.communes.join(", "))
        }),
    );
    if !s.limited_to.is_empty() {
        row(
            &mut h,
            "Trích cho / Extract for",
            &esc(&format!(
                "ý kiến tại xã {} / comments in these communes only",
                s.limited_to.join(", ")
            )),
        );
    }
    row(
        &mut h,
        "Lập lúc / Made",
        &esc(&format!("{} — {}", time_of(now()), made_by)),
    );
    h.push_str("</tbody></table>");
    if !c.description.is_empty() {
        h.push_str(&format!("<p>{}</p>", paragraphs(&c.description)));
    }
    // Counts per zone and position.
    let zones = s.zones();
    let total = s.counted().count();
    h.push_str(&format!(
        "<h2>Số ý kiến theo khu và ý kiến / Counts</h2><p>Tổng số ý kiến / total: \
         <strong>{total}</strong></p><table><thead><tr><th scope=\"col\">Khu / Zone</th>"
    ));
    for p in POSITIONS {
        let (vi, en) = position_words(p);
        h.push_str(&format!("<th scope=\"col\" class=\"n\">{vi} / {en}</th>"));
    }
    h.push_str("<th scope=\"col\" class=\"n\">Cộng / Total</th></tr></thead><tbody>");
    for z in &zones {
        h.push_str(&format!(
            "<tr><th scope=\"row\">{}</th>",
            esc(&zone_name(z))
        ));
        for p in POSITIONS {
            h.push_str(&format!("<td class=\"n\">{}</td>", s.group_size(z, p)));
        }
        let zt = s.counted().filter(|x| &x.zone == z).count();
        h.push_str(&format!("<td class=\"n\">{zt}</td></tr>"));
    }
    h.push_str("<tr><th scope=\"row\">Cộng / Total</th>");
    for p in POSITIONS {
        let pt = s.counted().filter(|x| x.position == *p).count();
        h.push_str(&format!("<td class=\"n\">{pt}</td>"));
    }
    h.push_str(&format!(
        "<td class=\"n\">{total}</td></tr></tbody></table>"
    ));
    // Each comment, by group.
    h.push_str("<h2>Nội dung ý kiến và trả lời / Comments and responses</h2>");
    let mut n = 0;
    let mut current: Option<(String, String)> = None;
    for c in s.counted() {
        let key = (c.zone.clone(), c.position.clone());
        if current.as_ref() != Some(&key) {
            let (vi, en) = position_words(&c.position);
            h.push_str(&format!(
                "<h3>Khu {} — {vi} / {en} ({} ý kiến)</h3>",
                esc(&zone_name(&c.zone)),
                s.group_size(&c.zone, &c.position)
            ));
            current = Some(key);
        }
        n += 1;
        let (vi, _) = position_words(&c.position);
        h.push_str(&format!(
            "<div class=\"c\"><p class=\"meta\"><strong>{n}.</strong> Ngày {} · mã #{} · {vi} · \
             {} · {}</p><p>{}</p>",
            esc(&day_of(c.created_at)),
            c.id,
            esc(&c.label),
            esc(state_words(&c.state)),
            paragraphs(&c.body)
        ));
        if c.answer.is_empty() {
            h.push_str("<p class=\"resp small\">Chưa có trả lời / no response yet.</p>");
        } else {
            h.push_str(&format!(
                "<p class=\"resp\"><strong>Trả lời / Response</strong>{}: {}</p>",
                if c.answered_by.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({}{})",
                        esc(&c.answered_by),
                        c.answered_at
                            .map(|t| format!(", {}", day_of(t)))
                            .unwrap_or_default()
                    )
                },
                paragraphs(&c.answer)
            ));
        }
        h.push_str("</div>");
    }
    if total == 0 {
        h.push_str("<p>Chưa có ý kiến / no comments.</p>");
    }
    let others: Vec<&Comment> = s.comments.iter().filter(|c| !c.counted()).collect();
    if !others.is_empty() {
        h.push_str(&format!(
            "<h2>Không tính / Not counted ({})</h2><p class=\"small\">Ý kiến trùng đã gộp và ý \
             kiến đã ẩn (có lý do) / merged duplicates and hidden comments, with the reason.</p>",
            others.len()
        ));
        for c in others {
            h.push_str(&format!(
                "<div class=\"c\"><p class=\"meta\">Mã #{} · ngày {} · {} · {}</p>",
                c.id,
                esc(&day_of(c.created_at)),
                esc(&c.label),
                esc(state_words(&c.state))
            ));
            if c.state == "merged" {
                h.push_str(&format!("<p>{}</p>", paragraphs(&c.body)));
            }
            h.push_str(&format!(
                "<p class=\"resp small\">{}</p></div>",
                esc(&response_of(c))
            ));
        }
    }
    h.push_str(
        "<p class=\"small\">Tài liệu này không chứa thông tin liên hệ của người góp ý. / This \
         document holds no contact details of the people who commented.</p></body></html>",
    );
    h
}

async fn summary(st: PortalState, who: Official, id: i64, csv: bool) -> ApiResult<Response> {
    let db = state_db(&st)?;
    let index = st.index.clone();
    let made_by = who.display_name.clone();
    let s = db
        .tx(move |tx: &mut dyn Tx| -> ApiResult<Summary> {
            let s = load_summary(tx, &who, id)?;
            insert_audit(
                tx,
                Some(&who),
                "export",
                id,
                &format!(
                    "summary.{}: {} comments",
                    if csv { "csv" } else { "html" },
                    s.comments.len()
                ),
            )?;
            Ok(s)
        })
        .await?;
    let (ctype, body, disposition) = if csv {
        (
            "text/csv; charset=utf-8",
            summary_csv(&s),
            Some(format!("attachment; filename=\"tong-hop-y-kien-{id}.csv\"")),
        )
    } else {
        (
            "text/html; charset=utf-8",
            summary_html(&s, &*index, &made_by),
            None,
        )
    };
    Ok(super::twoway::private_file(
        body,
        ctype,
        disposition.as_deref(),
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ))
}

/// `GET /api/v1/official/consultations/{id}/summary.csv`
async fn summary_csv_route(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    summary(st, who, id, true).await
}

/// `GET /api/v1/official/consultations/{id}/summary.html`
async fn summary_html_route(
    State(st): State<PortalState>,
    who: Official,
    id: Result<Path<i64>, PathRejection>,
    params::Query(NoParams {}): params::Query<NoParams>,
) -> ApiResult<Response> {
    let id = path_of(id)?;
    summary(st, who, id, false).await
}

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/consultations", &["get"], get(list)),
        ("/api/v1/consultations/{id}", &["get"], get(one)),
        (
            "/api/v1/consultations/{id}/comments",
            &["get"],
            get(comments),
        ),
        ("/api/v1/official/consultations", &["post"], post(create)),
        (
            "/api/v1/official/consultations/{id}",
            &["post"],
            post(update),
        ),
        (
            "/api/v1/official/consultations/{id}/summary.csv",
            &["get"],
            get(summary_csv_route),
        ),
        (
            "/api/v1/official/consultations/{id}/summary.html",
            &["get"],
            get(summary_html_route),
        ),
    ]
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "Consultations";
    let cid = "The consultation's id";
    let mut p = Map::new();
    p.insert(
        "/api/v1/consultations".into(),
        json!({"get": Op::new(
            "Consultations on plans (newest first, at most 500): window, status, counts of comments and of published ones",
            tag,
        )
        .query::<ListQuery>()
        .json::<Vec<ConsultationOut>>(sc, "200", "The consultations")
        .problems(&["400", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/consultations/{id}".into(),
        json!({"get": id_param(Op::new("One consultation", tag), cid)
            .query::<NoParams>()
            .json::<ConsultationOut>(sc, "200", "The consultation")
            .problems(&["400", "404", "500", "503"])
            .done()}),
    );
    p.insert(
        "/api/v1/consultations/{id}/comments".into(),
        json!({"get": id_param(
            Op::new("Published comments of a consultation (no contact details)", tag),
            cid,
        )
        .query::<CommentsQuery>()
        .json::<CommentsPage>(sc, "200", "A page of published comments")
        .problems(&["400", "404", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/official/consultations".into(),
        json!({"post": csrf_header(Op::new(
            "Open a consultation on a plan (planning office or admin); announced to followers when it opens at once",
            tag,
        ))
        .query::<NoParams>()
        .body::<ConsultationCreate>(sc, "The consultation", true)
        .json::<ConsultationOut>(sc, "201", "The consultation")
        .problems(&["400", "401", "403", "413", "422", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/official/consultations/{id}".into(),
        json!({"post": csrf_header(id_param(
            Op::new(
                "Change a consultation's title, description, communes or dates (planning office or admin)",
                tag,
            ),
            cid,
        ))
        .query::<NoParams>()
        .body::<ConsultationUpdate>(sc, "The members to change", true)
        .json::<ConsultationOut>(sc, "200", "The consultation")
        .problems(&["400", "401", "403", "404", "413", "422", "500", "503"])
        .done()}),
    );
    let text = json!({"type": "string"});
    for (ext, media, summary) in [
        (
            "csv",
            "text/csv",
            "The consultation summary as CSV (UTF-8 with BOM): every comment grouped by zone and position with counts and the response; no contact details",
        ),
        (
            "html",
            "text/html",
            "The consultation summary as a printable A4 page; no contact details",
        ),
    ] {
        p.insert(
            format!("/api/v1/official/consultations/{{id}}/summary.{ext}"),
            json!({"get": id_param(Op::new(summary, tag), cid)
                .query::<NoParams>()
                .media("200", "The summary", media, text.clone())
                .problems(&["400", "401", "403", "404", "500", "503"])
                .done()}),
        );
    }
    p
}

/// Opens a consultation on the demo's draft plan ([`DEMO_PLAN`]) from now for 30 days,
/// unless one exists, and announces it. Idempotent. Blocking (call it off the async
/// runtime).
pub fn ensure_demo(db: &StateDb, index: &dyn Store) -> anyhow::Result<()> {
    let Some(plan) = index.catalog().plans.get(DEMO_PLAN) else {
        return Ok(());
    };
    let title: String = format!("Lấy ý kiến cộng đồng về {}", plan.name)
        .chars()
        .take(MAX_TITLE_CHARS)
        .collect();
    let info = PlanInfo::of(index, DEMO_PLAN);
    db.tx_blocking(move |tx: &mut dyn Tx| -> SqlResult<()> {
        let n = tx.query_i64(
            "SELECT count(*) FROM consultation WHERE plan_id = ?",
            vals![DEMO_PLAN],
        )?;
        if n > 0 {
            return Ok(());
        }
        let t = now();
        let id = insert(
            tx,
            DEMO_PLAN,
            &title,
            "Người dân, tổ chức góp ý dự thảo trên báo cáo của thửa đất: đồng ý, không đồng ý \
             hoặc ý kiến khác, kèm ảnh hoặc PDF nếu cần.",
            &[],
            t,
            t + 30 * 86_400,
            None,
        )?;
        insert_audit(tx, None, "consultation_open", id, "demo: 30 days from now")?;
        if let Some(c) = load(tx, id)? {
            announce(tx, &c, &info)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `quyhoach consultations …`
#[derive(clap::Subcommand)]
pub enum ConsultCommand {
    /// Open a consultation on a plan of the store's catalog.
    Open {
        /// The plan (its id in the catalog, e.g. qhpk-2000-dc).
        #[arg(long)]
        plan: String,
        /// The title shown to the public.
        #[arg(long)]
        title: String,
        /// What is asked, how to comment.
        #[arg(long, default_value = "")]
        description: String,
        /// The first day (Vietnam's date YYYY-MM-DD, from 00:00), or "now".
        #[arg(long, default_value = "now")]
        opens: String,
        /// The last day (YYYY-MM-DD, until 24:00 Vietnam's time).
        #[arg(long)]
        closes: String,
        /// A commune it is held in (repeat); none: the plan's whole area.
        #[arg(long = "commune")]
        communes: Vec<String>,
        #[command(flatten)]
        state: super::twoway::StateArgs,
    },
    /// List the consultations.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        state: super::twoway::StateArgs,
    },
    /// Close a consultation now.
    Close {
        /// The consultation's id (see `list`).
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        state: super::twoway::StateArgs,
    },
}

fn api_err(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Runs a `consultations` command.
pub fn run(command: ConsultCommand) -> anyhow::Result<()> {
    match command {
        ConsultCommand::Open {
            plan,
            title,
            description,
            opens,
            closes,
            communes,
            state,
        } => {
            let store = quyhoach_data::store::Store::open(&state.store).map_err(|e| {
                anyhow::anyhow!(
                    "reading the store {} (its catalog names the plans): {e}",
                    state.store.display()
                )
            })?;
            let Some(p) = store.catalog.plans.get(&plan) else {
                anyhow::bail!(
                    "no plan '{plan}' in the catalog of {}; plans: {}",
                    state.store.display(),
                    store
                        .catalog
                        .plans
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            let title = clean_text(&title, "title", 1, MAX_TITLE_CHARS, true).map_err(api_err)?;
            let description =
                clean_text(&description, "description", 0, MAX_DESCRIPTION_CHARS, false)
                    .map_err(api_err)?;
            let communes = clean_communes(&communes).map_err(api_err)?;
            let opens_at = moment(&Value::String(opens), "--opens", false).map_err(api_err)?;
            let closes_at = moment(&Value::String(closes), "--closes", true).map_err(api_err)?;
            check_window(opens_at, closes_at).map_err(api_err)?;
            let db = state.open()?;
            let plan_id = plan.clone();
            let id = db.tx_blocking(move |tx: &mut dyn Tx| -> SqlResult<i64> {
                let id = insert(
                    tx,
                    &plan_id,
                    &title,
                    &description,
                    &communes,
                    opens_at,
                    closes_at,
                    None,
                )?;
                insert_audit(
                    tx,
                    None,
                    "consultation_open",
                    id,
                    &format!(
                        "{plan_id}: {} – {}",
                        day_of(opens_at),
                        last_day_of(closes_at)
                    ),
                )?;
                Ok(id)
            })?;
            println!(
                "consultation {id} on {} ({}): from {} 00:00 to {} 24:00 (Vietnam); announced \
                 to followers by the server once it is open",
                plan,
                p.name,
                day_of(opens_at),
                last_day_of(closes_at)
            );
            Ok(())
        }
        ConsultCommand::List {
            json: as_json,
            state,
        } => {
            let db = state.open()?;
            let rows = db.tx_blocking(|tx: &mut dyn Tx| -> SqlResult<Vec<Consultation>> {
                tx.query(
                    &format!(
                        "SELECT {SELECT_COLS} FROM consultation c ORDER BY c.opens_at DESC, c.id DESC"
                    ),
                    &[],
                )?
                .iter()
                .map(Consultation::of)
                .collect()
            })?;
            let t = now();
            if as_json {
                let v: Vec<Value> = rows
                    .iter()
                    .map(|c| {
                        json!({"id": c.id, "plan_id": c.plan_id, "title": c.title,
                            "communes": c.communes, "opens_at": c.opens_at, "closes_at": c.closes_at,
                            "status": status_at(c.opens_at, c.closes_at, t),
                            "comment_count": c.comment_count, "published_count": c.published_count})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            if rows.is_empty() {
                println!("no consultations");
            }
            for c in rows {
                println!(
                    "{:>4}  {:<8}  {} – {}  {:<16}  {:>4} comments ({} published)  {}{}",
                    c.id,
                    status_at(c.opens_at, c.closes_at, t),
                    day_of(c.opens_at),
                    last_day_of(c.closes_at),
                    c.plan_id,
                    c.comment_count,
                    c.published_count,
                    c.title,
                    if c.communes.is_empty() {
                        String::new()
                    } else {
                        format!("  [communes {}]", c.communes.join(","))
                    }
                );
            }
            Ok(())
        }
        ConsultCommand::Close { id, state } => {
            let db = state.open()?;
            let t = now();
            let done = db.tx_blocking(move |tx: &mut dyn Tx| -> SqlResult<Option<bool>> {
                let Some(c) = load(tx, id)? else {
                    return Ok(None);
                };
                if c.closes_at <= t {
                    return Ok(Some(false));
                }
                tx.exec(
                    "UPDATE consultation SET opens_at = ?, closes_at = ? WHERE id = ?",
                    vals![c.opens_at.min(t), t, id],
                )?;
                insert_audit(tx, None, "consultation_update", id, "closed now")?;
                Ok(Some(true))
            })?;
            match done {
                None => anyhow::bail!("no consultation {id}"),
                Some(false) => println!("consultation {id} was already closed"),
                Some(true) => println!("consultation {id} closed at {}", time_of(t)),
            }
            Ok(())
        }
    }
}

/// Where a plan's consultation stands for a commune at a moment: what a comment's
/// submission checks ([`window_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A consultation is open: comments are taken.
    Open {
        /// The consultation.
        id: i64,
        /// When it opened (Unix seconds).
        opens_at: i64,
        /// When it closes.
        closes_at: i64,
    },
    /// None is open; the next one opens later.
    Upcoming {
        /// The consultation.
        id: i64,
        /// When it opens.
        opens_at: i64,
        /// When it closes.
        closes_at: i64,
    },
    /// None is open or upcoming; the last one closed.
    Closed {
        /// The consultation.
        id: i64,
        /// When it opened.
        opens_at: i64,
        /// When it closed.
        closes_at: i64,
    },
    /// The plan has never been put to consultation (in that commune).
    None,
}

/// The consultation window of `plan_id` covering `commune` (a consultation with no
/// communes covers the plan's whole area) at `now`.
///
/// A consultation is open when `opens_at <= now < closes_at`. Its `communes` ('' for the
/// plan's whole area, else comma-separated codes) must include `commune` (with
/// `commune = None`, only whole-area consultations count). Picks the open one (the one
/// closing last when several are), else the soonest upcoming, else the latest closed.
pub fn window_for(
    tx: &mut dyn Tx,
    plan_id: &str,
    commune: Option<&str>,
    now: i64,
) -> SqlResult<Window> {
    let rows = tx.query(
        "SELECT id, communes, opens_at, closes_at FROM consultation WHERE plan_id = ? \
         ORDER BY id",
        vals![plan_id],
    )?;
    let mut open: Option<(i64, i64, i64)> = None;
    let mut upcoming: Option<(i64, i64, i64)> = None;
    let mut closed: Option<(i64, i64, i64)> = None;
    for r in rows {
        let (id, communes, opens_at, closes_at) = (r.i64(0)?, r.text(1)?, r.i64(2)?, r.i64(3)?);
        if !covers(&communes, commune) {
            continue;
        }
        let w = (id, opens_at, closes_at);
        if opens_at <= now && now < closes_at {
            if open.is_none_or(|o| closes_at > o.2) {
                open = Some(w);
            }
        } else if opens_at > now {
            if upcoming.is_none_or(|u| opens_at < u.1) {
                upcoming = Some(w);
            }
        } else if closed.is_none_or(|c| closes_at > c.2) {
            closed = Some(w);
        }
    }
    Ok(if let Some((id, opens_at, closes_at)) = open {
        Window::Open {
            id,
            opens_at,
            closes_at,
        }
    } else if let Some((id, opens_at, closes_at)) = upcoming {
        Window::Upcoming {
            id,
            opens_at,
            closes_at,
        }
    } else if let Some((id, opens_at, closes_at)) = closed {
        Window::Closed {
            id,
            opens_at,
            closes_at,
        }
    } else {
        Window::None
    })
}

/// Whether a consultation held in `communes` ('' = the plan's whole area, else
/// comma-separated codes) covers `commune`.
pub fn covers(communes: &str, commune: Option<&str>) -> bool {
    let communes = communes.trim();
    if communes.is_empty() {
        return true;
    }
    match commune {
        Some(c) => communes.split(',').any(|x| x.trim() == c),
        None => false,
    }
}
