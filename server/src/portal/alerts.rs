//! Alerts: follows of a parcel, a commune or a plan; events; Atom feeds; change detection
//! on a new import; email through the operator's SMTP server.
//!
//! - **Events** ([`record_event`]): one `alert_event` row per subject (a parcel's, its
//!   commune's and its plan's followers all hear of it), and one queued mail per follow with
//!   an email address, even when it follows several of the subjects.
//! - **Mail** ([`queue_mail`], the sender in `mail.rs`): rows of `mail_outbox`, sent by a
//!   background thread when `--smtp-url` is set. A body may hold the marker [`SITE`], replaced
//!   when the mail is sent by the public address of the site (`--public-url`, else the address
//!   the last request to an alerts route came to, else `http://localhost`).
//! - **Unsubscribing from a mail.** A follow's token is stored only hashed, so a mail cannot
//!   carry it. It carries instead an *unsubscribe code* `u<id>-<32 hex>`: the follow's id and
//!   the first 128 bits of HMAC-SHA-256(`follow:<id>`) keyed with the deployment's shared
//!   secret `unsubscribe` ([`super::twoway::shared_secret`]). Every route taking a follow's
//!   token also takes its unsubscribe code; nothing new is stored.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use hmac::{Hmac, Mac};
use quyhoach_data::lookup::Store;
use quyhoach_data::planning::Site;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::sql::{now, vals, SqlError, SqlResult, Tx};
pub use super::twoway::MailConfig;
use super::twoway::{
    client_key, is_token, new_token, same_bytes, state_db, token_hash, ApiError, ApiResult,
};
use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};

#[path = "mail.rs"]
pub mod mail;

/// Replaced, in a queued mail's body, by the site's public address (no trailing slash) when
/// the mail is sent: write links as `{{site}}/#/q/…`.
pub const SITE: &str = "{{site}}";
/// Subjects of one event at most (a parcel, its commune, its plans).
pub const MAX_EVENT_SUBJECTS: usize = 16;
/// Longest event title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest event summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 4000;
/// Longest mail subject, in characters.
pub const MAX_MAIL_SUBJECT_CHARS: usize = 200;
/// Longest mail body, in characters.
pub const MAX_MAIL_BODY_CHARS: usize = 20_000;

/// Something followers hear of, about one or more subjects (each gets its own event row,
/// so a parcel's, its commune's and its plan's followers all hear of it). Public text only:
/// feeds are readable by whoever has the link.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// `zones_changed` | `redlines_changed` | `consultation_opened` | `question_answered`.
    pub kind: &'a str,
    /// `(subject_kind, subject_id)`: `("parcel", "31153/4/2")`, `("commune", "31153")`,
    /// `("plan", "qhpk-2035")`.
    pub subjects: &'a [(&'a str, &'a str)],
    /// One line, in Vietnamese.
    pub title: &'a str,
    /// A few sentences, in Vietnamese.
    pub summary: &'a str,
    /// The page it is about, relative to the site (`/?p=31153/4/2`, `/#/qa?plan=…`).
    pub link: &'a str,
    /// The data version it was seen in ('' if none).
    pub data_version: &'a str,
}

fn cut(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// What an event kind is called in a mail, in Vietnamese and English.
pub fn kind_words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "zones_changed" => ("Quy hoạch thay đổi", "Planning zones changed"),
        "redlines_changed" => ("Chỉ giới đường đỏ thay đổi", "Red lines changed"),
        "consultation_opened" => ("Mở lấy ý kiến", "Consultation opened"),
        "question_answered" => ("Câu hỏi được trả lời", "Question answered"),
        "plan_changed" => ("Dữ liệu quy hoạch cập nhật", "Plan data updated"),
        _ => ("Cập nhật", "Update"),
    }
}

/// Records an event for each subject, and queues an email to every follower of those
/// subjects who gave an address (once per follower). Inside the caller's transaction.
pub fn record_event(tx: &mut dyn Tx, event: &NewEvent<'_>) -> SqlResult<()> {
    let at = now();
    let title = cut(event.title, MAX_TITLE_CHARS);
    let summary = cut(event.summary, MAX_SUMMARY_CHARS);
    let link = cut(event.link, 1000);
    let mut subjects: Vec<(&str, &str)> = Vec::new();
    for s in event.subjects.iter().take(MAX_EVENT_SUBJECTS) {
        if !s.1.is_empty() && !subjects.contains(s) {
            subjects.push(*s);
        }
    }
    let mut first_event = None;
    for (kind, id) in &subjects {
        let eid = tx.query_i64(
            "INSERT INTO alert_event (at, kind, subject_kind, subject_id, title, summary, link, \
             data_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            vals![
                at,
                event.kind,
                *kind,
                *id,
                title.as_str(),
                summary.as_str(),
                link.as_str(),
                event.data_version
            ],
        )?;
        first_event.get_or_insert(eid);
    }
    if subjects.is_empty() {
        return Ok(());
    }
    // Every follow with an address of any of the subjects, once.
    let mut sql = String::from(
        "SELECT id, email, label FROM follow WHERE email IS NOT NULL AND delete_after > ? AND (",
    );
    let mut params = vec![super::sql::Value::Int(at)];
    for (i, (kind, id)) in subjects.iter().enumerate() {
        if i > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str("(subject_kind = ? AND subject_id = ?)");
        params.push((*kind).into());
        params.push((*id).into());
    }
    sql.push_str(") ORDER BY id");
    let rows = tx.query(&sql, &params)?;
    if rows.is_empty() {
        return Ok(());
    }
    let (vi, en) = kind_words(event.kind);
    let subject = cut(&format!("[Quy hoạch] {title}"), MAX_MAIL_SUBJECT_CHARS);
    let key = unsubscribe_key(tx)?;
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        let fid = r.i64(0)?;
        if !seen.insert(fid) {
            continue;
        }
        let to = r.text(1)?;
        let label = r.text(2)?;
        let code = unsubscribe_code(&key, fid);
        let body = follow_mail_body(vi, en, &title, &summary, &link, &label, &code);
        tx.exec(
            "INSERT INTO mail_outbox (follow_id, event_id, to_addr, subject, body, created_at, \
             next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vals![fid, first_event, to, subject.as_str(), body, at, at],
        )?;
    }
    Ok(())
}

fn follow_mail_body(
    vi: &str,
    en: &str,
    title: &str,
    summary: &str,
    link: &str,
    label: &str,
    code: &str,
) -> String {
    let page = if link.starts_with('/') {
        format!("{SITE}{link}")
    } else {
        format!("{SITE}/")
    };
    format!(
        "{vi}: {title}\n\n{summary}\n\nXem chi tiết: {page}\n\n\
         Bạn nhận thư này vì đã đăng ký theo dõi {label} trên cổng thông tin quy hoạch.\n\
         Các thông báo và ngừng theo dõi: {SITE}/#/follow/{code}\n\
         Ngừng theo dõi và xóa địa chỉ email của bạn: {SITE}/api/v1/follows/{code}/unsubscribe\n\n\
         ---\n\n\
         {en}: {title}\n\n(The details above are in Vietnamese.) See: {page}\n\n\
         You get this email because you follow {label} on the planning portal.\n\
         News and unfollowing: {SITE}/#/follow/{code}\n\
         Unfollow and delete your email address: {SITE}/api/v1/follows/{code}/unsubscribe\n"
    )
}

/// Queues one email (sent by the mail thread when SMTP is configured; dropped by the sweep
/// otherwise). Inside the caller's transaction. `body` may use [`SITE`] for the site's
/// address; an empty or over-long address, or one with a line break, is not queued.
pub fn queue_mail(tx: &mut dyn Tx, to: &str, subject: &str, body: &str) -> SqlResult<()> {
    let to = to.trim();
    if valid_email(to).is_none() {
        return Ok(());
    }
    let at = now();
    tx.exec(
        "INSERT INTO mail_outbox (to_addr, subject, body, created_at, next_try_at) \
         VALUES (?, ?, ?, ?, ?)",
        vals![
            to,
            cut(&subject.replace(['\r', '\n'], " "), MAX_MAIL_SUBJECT_CHARS),
            cut(body, MAX_MAIL_BODY_CHARS),
            at,
            at
        ],
    )?;
    Ok(())
}

/// Longest email address taken.
pub const MAX_EMAIL_CHARS: usize = 254;

/// The address, trimmed, if it looks like one (`local@domain.tld`, no spaces or controls,
/// at most [`MAX_EMAIL_CHARS`]).
pub fn valid_email(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > MAX_EMAIL_CHARS {
        return None;
    }
    let (local, domain) = s.rsplit_once('@')?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"@".contains(c);
    if local.is_empty()
        || local.len() > 64
        || local.chars().any(bad)
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with(['.', '-'])
        || domain.ends_with(['.', '-'])
        || domain.contains("..")
        || !domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
    {
        return None;
    }
    // lettre parses it the same way the sender will.
    s.parse::<lettre::Address>().ok()?;
    Some(s.to_string())
}

type HmacSha256 = Hmac<Sha256>;

/// The key of unsubscribe codes (read in the transaction: each database has its own).
fn unsubscribe_key(tx: &mut dyn Tx) -> SqlResult<[u8; 32]> {
    super::twoway::shared_secret(tx, "unsubscribe")
}

fn unsubscribe_mac(key: &[u8; 32], follow_id: i64) -> String {
    let Ok(mut m) = HmacSha256::new_from_slice(key) else {
        return String::new();
    };
    m.update(format!("follow:{follow_id}").as_bytes());
    let out = m.finalize().into_bytes();
    out.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The unsubscribe code of a follow (see the module's documentation).
pub fn unsubscribe_code(key: &[u8; 32], follow_id: i64) -> String {
    format!("u{follow_id}-{}", unsubscribe_mac(key, follow_id))
}

// ---------------------------------------------------------------- subjects

/// A followable thing, resolved in the loaded store.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `parcel` | `commune` | `plan`.
    pub kind: &'static str,
    /// Its canonical id (`31153/4/2[/n]`, `31153`, `qhpk-2000`).
    pub id: String,
    /// What people call it, in Vietnamese.
    pub label: String,
    /// A parcel's layer and feature.
    pub parcel: Option<(String, u32)>,
}

/// Longest subject id taken.
pub const MAX_SUBJECT_ID_CHARS: usize = 80;

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn small_int(s: &str, min: i64, max: i64) -> Option<i64> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().filter(|v| (min..=max).contains(v))
}

/// A commune's label from one of its parcels (falls back to its code).
fn commune_label(ix: &dyn Store, code: &str) -> Option<String> {
    // Known commune: an unknown one is an error, a known one without the parcel is empty.
    ix.parcels_by_number(code, 0, 0).ok()?;
    let name = ix
        .search(code, 5)
        .ok()
        .and_then(|hits| {
            hits.into_iter()
                .find(|h| h.kind == "commune")
                .map(|h| h.label)
        })
        .unwrap_or_else(|| format!("xã/phường mã {code}"));
    Some(name)
}

/// Resolves `kind`/`id` in the store: 404 when it is not there, 400 when malformed.
pub fn resolve_subject(ix: &dyn Store, kind: &str, id: &str) -> ApiResult<Subject> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > MAX_SUBJECT_ID_CHARS {
        return Err(ApiError::Bad(format!(
            "subject.id must be 1 to {MAX_SUBJECT_ID_CHARS} characters"
        )));
    }
    match kind {
        "parcel" => {
            let parts: Vec<&str> = id.split('/').collect();
            let bad = || {
                ApiError::Bad(
                    "a parcel is commune/sheet/parcel[/n], e.g. 31153/4/2 (as in the app's ?p= links)"
                        .into(),
                )
            };
            if !(3..=4).contains(&parts.len()) || !is_code(parts[0]) {
                return Err(bad());
            }
            let sheet = small_int(parts[1], 0, 1_000_000_000).ok_or_else(bad)?;
            let number = small_int(parts[2], 0, 1_000_000_000).ok_or_else(bad)?;
            let n = match parts.get(3) {
                Some(n) => Some(small_int(n, 1, 1000).ok_or_else(bad)?),
                None => None,
            };
            let found = ix.parcels_by_number(parts[0], sheet, number).map_err(|_| {
                ApiError::NotFound(format!("no commune '{}' in the data", parts[0]))
            })?;
            let count = found.len();
            let f = match (count, n) {
                (0, _) => None,
                (1, None) => found.into_iter().next(),
                (_, None) => {
                    return Err(ApiError::Unprocessable(format!(
                        "{count} parcels are numbered {number} on sheet {sheet}: add /1 … /{count} to the id"
                    )))
                }
                (_, Some(n)) => usize::try_from(n - 1)
                    .ok()
                    .and_then(|i| found.into_iter().nth(i)),
            }
            .ok_or_else(|| ApiError::NotFound(format!("no parcel {id} in the data")))?;
            let canonical = match n {
                Some(n) => format!("{}/{sheet}/{number}/{n}", parts[0]),
                None => format!("{}/{sheet}/{number}", parts[0]),
            };
            let label = match ix.report(&Site::Parcel {
                layer: f.layer.clone(),
                id: f.id,
            }) {
                Ok(r) => r.site.label,
                Err(_) => format!("Thửa {number}, tờ {sheet}, mã xã {}", parts[0]),
            };
            Ok(Subject {
                kind: "parcel",
                id: canonical,
                label,
                parcel: Some((f.layer, f.id)),
            })
        }
        "commune" => {
            if !is_code(id) {
                return Err(ApiError::Bad("a commune is its code, e.g. 31153".into()));
            }
            let label = commune_label(ix, id)
                .ok_or_else(|| ApiError::NotFound(format!("no commune '{id}' in the data")))?;
            Ok(Subject {
                kind: "commune",
                id: id.to_string(),
                label,
                parcel: None,
            })
        }
        "plan" => {
            let plan = ix
                .catalog()
                .plans
                .get(id)
                .ok_or_else(|| ApiError::NotFound(format!("no plan '{id}' in the data")))?;
            Ok(Subject {
                kind: "plan",
                id: id.to_string(),
                label: plan.name.clone(),
                parcel: None,
            })
        }
        _ => Err(ApiError::Bad(
            "subject.kind must be parcel, commune or plan".into(),
        )),
    }
}

// ---------------------------------------------------------------- fingerprints

/// `(zone id, land use, overlap in tenths of a per cent)`.
pub type ZoneShare = (String, String, i64);

/// One plan's part of a parcel's planning, as compared between data versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanPrint {
    /// Plan id.
    pub plan: String,
    /// Plan name.
    pub name: String,
    /// Plan status (`in_force`, `draft`, …).
    pub status: String,
    /// `(zone id, land use, overlap in tenths of a per cent)`, sorted.
    pub zones: Vec<ZoneShare>,
    /// `(red line id, m² of the parcel inside the road corridor)`, sorted.
    pub redlines: Vec<(String, i64)>,
}

/// A parcel's planning fingerprint: `z<hash>-r<hash>` and what it was made of.
pub fn parcel_print(ix: &dyn Store, layer: &str, id: u32) -> Option<(String, Vec<PlanPrint>)> {
    let r = ix
        .report(&Site::Parcel {
            layer: layer.to_string(),
            id,
        })
        .ok()?;
    let mut plans: Vec<PlanPrint> = r
        .plans
        .iter()
        .map(|p| {
            let mut zones: Vec<ZoneShare> = p
                .zones
                .iter()
                .map(|z| {
                    (
                        z.zone_id.clone().unwrap_or_else(|| format!("#{}", z.id)),
                        z.landuse.clone(),
                        (z.overlap_pct * 10.0).round() as i64,
                    )
                })
                .collect();
            zones.sort();
            let mut redlines: Vec<(String, i64)> = p
                .redlines
                .iter()
                .map(|h| (format!("#{}", h.id), h.area_in_road_m2.round() as i64))
                .filter(|h| h.1 > 0)
                .collect();
            redlines.sort();
            PlanPrint {
                plan: p.plan.id.clone(),
                name: p.plan.name.clone(),
                status: serde_json::to_value(p.plan.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                zones,
                redlines,
            }
        })
        .collect();
    plans.sort_by(|a, b| a.plan.cmp(&b.plan));
    Some((fingerprint_of(&plans), plans))
}

fn sha_hex(v: &impl Serialize) -> String {
    let d = Sha256::digest(serde_json::to_vec(v).unwrap_or_default());
    d.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn fingerprint_of(plans: &[PlanPrint]) -> String {
    let zones: Vec<(&str, &str, &Vec<ZoneShare>)> = plans
        .iter()
        .map(|p| (p.plan.as_str(), p.status.as_str(), &p.zones))
        .collect();
    let red: Vec<(&str, &Vec<(String, i64)>)> = plans
        .iter()
        .filter(|p| !p.redlines.is_empty())
        .map(|p| (p.plan.as_str(), &p.redlines))
        .collect();
    format!("z{}-r{}", sha_hex(&zones), sha_hex(&red))
}

/// A plan's fingerprint: its status and its layers' SHA-256.
pub fn plan_print(ix: &dyn Store, plan: &str) -> Option<String> {
    let cat = ix.catalog();
    let p = cat.plans.get(plan)?;
    let mut zones = Vec::new();
    let mut red = Vec::new();
    for (id, l) in &cat.layers {
        if l.plan.as_deref() == Some(plan) || l.plans.iter().any(|x| x == plan) {
            let entry = (id.as_str(), l.sha256.as_str());
            if l.kind == quyhoach_data::schema::Kind::Redlines {
                red.push(entry);
            } else {
                zones.push(entry);
            }
        }
    }
    let status = serde_json::to_value(p.status).unwrap_or_default();
    Some(format!(
        "z{}-r{}",
        sha_hex(&(status, &zones)),
        sha_hex(&red)
    ))
}

fn pct(tenths: i64) -> String {
    let s = format!("{:.1}", tenths as f64 / 10.0);
    let s = s.strip_suffix(".0").unwrap_or(&s).replace('.', ",");
    format!("{s}%")
}

/// "60% ODT và 40% DGT" (land uses added up, largest first).
fn uses_text(zones: &[ZoneShare]) -> String {
    let mut by: Vec<(String, i64)> = Vec::new();
    for (_, lu, t) in zones {
        match by.iter_mut().find(|(l, _)| l == lu) {
            Some(e) => e.1 += t,
            None => by.push((lu.clone(), *t)),
        }
    }
    by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let parts: Vec<String> = by.iter().map(|(l, t)| format!("{} {l}", pct(*t))).collect();
    match parts.len() {
        0 => "không thuộc khu quy hoạch nào".into(),
        1 => parts[0].clone(),
        n => format!("{} và {}", parts[..n - 1].join(", "), parts[n - 1]),
    }
}

/// What changed between two fingerprints, in plain Vietnamese: (zones changed, red lines
/// changed, text).
pub fn describe_change(old: &[PlanPrint], new: &[PlanPrint]) -> (bool, bool, String) {
    let (mut zones, mut red) = (false, false);
    let mut lines = Vec::new();
    let mut ids: Vec<&str> = old.iter().chain(new).map(|p| p.plan.as_str()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let o = old.iter().find(|p| p.plan == id);
        let n = new.iter().find(|p| p.plan == id);
        let name = n.or(o).map(|p| p.name.as_str()).unwrap_or(id);
        let empty = Vec::new();
        let (oz, nz) = (
            o.map_or(&empty, |p| &p.zones),
            n.map_or(&empty, |p| &p.zones),
        );
        let (os, ns) = (o.map(|p| p.status.as_str()), n.map(|p| p.status.as_str()));
        let mut parts = Vec::new();
        if oz != nz || os != ns {
            zones = true;
            if os != ns && os.is_some() && ns.is_some() {
                parts.push(format!(
                    "tình trạng: trước {}, nay {}",
                    status_vi(os.unwrap_or_default()),
                    status_vi(ns.unwrap_or_default())
                ));
            }
            if oz != nz {
                let (a, b) = (uses_text(oz), uses_text(nz));
                if a == b {
                    parts.push(format!("ranh giới các ô quy hoạch thay đổi ({b})"));
                } else {
                    parts.push(format!("trước {a}, nay {b}"));
                }
            }
        }
        let sum =
            |p: Option<&PlanPrint>| p.map_or(0, |p| p.redlines.iter().map(|r| r.1).sum::<i64>());
        let (or, nr) = (
            o.map_or(Vec::new(), |p| p.redlines.clone()),
            n.map_or(Vec::new(), |p| p.redlines.clone()),
        );
        if or != nr {
            red = true;
            let (a, b) = (sum(o), sum(n));
            parts.push(if b > a && a == 0 {
                format!("thêm {b} m² nằm trong chỉ giới đường đỏ")
            } else if b > a {
                format!("thêm {} m² trong chỉ giới đường đỏ (nay {b} m²)", b - a)
            } else if b < a && b == 0 {
                "nay không còn phần nào trong chỉ giới đường đỏ".to_string()
            } else if b < a {
                format!("bớt {} m² trong chỉ giới đường đỏ (nay {b} m²)", a - b)
            } else {
                format!("chỉ giới đường đỏ qua thửa thay đổi (vẫn {b} m²)")
            });
        }
        if !parts.is_empty() {
            lines.push(format!("Theo {name}: {}.", parts.join("; ")));
        }
    }
    (zones, red, lines.join(" "))
}

fn status_vi(s: &str) -> &'static str {
    match s {
        "in_force" => "còn hiệu lực",
        "adjusted" => "đã điều chỉnh",
        "expired" => "hết hiệu lực",
        "draft" => "dự thảo",
        _ => "không rõ",
    }
}

/// Stores a subject's fingerprint if it has none yet (at follow time).
fn remember_print(
    tx: &mut dyn Tx,
    kind: &str,
    id: &str,
    version: &str,
    print: &str,
    summary: &str,
) -> SqlResult<()> {
    tx.exec(
        "INSERT INTO subject_fingerprint (subject_kind, subject_id, data_version, fingerprint, \
         summary) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject_kind, subject_id) DO NOTHING",
        vals![kind, id, version, print, summary],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- change detection

/// Followed parcels looked at per run at most.
pub const MAX_FOLLOWED_PARCELS: usize = 100_000;
/// Followed subjects read per batch.
const BATCH: i64 = 500;

/// What a detection run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// Subjects compared.
    pub checked: usize,
    /// Subjects whose planning changed (events recorded by this run).
    pub changed: usize,
}

static DETECTING: Mutex<()> = Mutex::new(());

/// Compares every followed parcel and plan with its last fingerprint and records events
/// for those that changed (blocking; [`on_data`] runs it on a thread of its own). Idempotent
/// for a data version; with several servers, the conditional UPDATE of the fingerprint
/// decides which one records the event.
pub fn detect_changes(state: &PortalState) -> SqlResult<Detected> {
    let Some(db) = state.portal.state.clone() else {
        return Ok(Detected::default());
    };
    let _one = DETECTING
        .lock()
        .map_err(|_| SqlError::Other("detection lock poisoned".into()))?;
    let ix = state.index.clone();
    let version = state.etag.to_string();
    let mut out = Detected::default();
    let mut after = String::new();
    let mut seen = 0usize;
    while seen < MAX_FOLLOWED_PARCELS {
        let a = after.clone();
        let ids: Vec<String> = db.tx_blocking(move |tx| {
            tx.query(
                "SELECT DISTINCT subject_id FROM follow WHERE subject_kind = 'parcel' \
                 AND subject_id > ? ORDER BY subject_id LIMIT ?",
                vals![a, BATCH],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<SqlResult<Vec<String>>>()
        })?;
        let Some(last) = ids.last() else { break };
        after = last.clone();
        seen += ids.len();
        for id in ids {
            let Ok(subject) = resolve_subject(&*ix, "parcel", &id) else {
                continue; // the parcel is gone from the data: nothing to compare
            };
            let Some((layer, fid)) = subject.parcel.clone() else {
                continue;
            };
            let Some((print, plans)) = parcel_print(&*ix, &layer, fid) else {
                continue;
            };
            out.checked += 1;
            let version = version.clone();
            let changed =
                db.tx_blocking(move |tx| parcel_changed(tx, &subject, &version, &print, &plans))?;
            if changed {
                out.changed += 1;
            }
        }
    }
    // Followed plans.
    let plans: Vec<String> = db.tx_blocking(|tx| {
        tx.query(
            "SELECT DISTINCT subject_id FROM follow WHERE subject_kind = 'plan' ORDER BY subject_id LIMIT 10000",
            &[],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<SqlResult<Vec<String>>>()
    })?;
    for plan in plans {
        let Some(print) = plan_print(&*ix, &plan) else {
            continue;
        };
        let name = ix
            .catalog()
            .plans
            .get(&plan)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        out.checked += 1;
        let version = version.clone();
        let changed = db.tx_blocking(move |tx| plan_changed(tx, &plan, &name, &version, &print))?;
        if changed {
            out.changed += 1;
        }
    }
    Ok(out)
}

fn parcel_changed(
    tx: &mut dyn Tx,
    subject: &Subject,
    version: &str,
    print: &str,
    plans: &[PlanPrint],
) -> SqlResult<bool> {
    let summary = serde_json::to_string(plans).unwrap_or_else(|_| "[]".into());
    let Some(row) = tx.query_opt(
        "SELECT fingerprint, summary FROM subject_fingerprint WHERE subject_kind = 'parcel' AND subject_id = ?",
        vals![subject.id.as_str()],
    )?
    else {
        remember_print(tx, "parcel", &subject.id, version, print, &summary)?;
        return Ok(false);
    };
    let old_print = row.text(0)?;
    if old_print == print {
        return Ok(false);
    }
    // Whoever moves the fingerprint on records the event (several servers, one event).
    let n = tx.exec(
        "UPDATE subject_fingerprint SET fingerprint = ?, summary = ?, data_version = ? \
         WHERE subject_kind = 'parcel' AND subject_id = ? AND fingerprint = ?",
        vals![
            print,
            summary.as_str(),
            version,
            subject.id.as_str(),
            old_print.as_str()
        ],
    )?;
    if n != 1 {
        return Ok(false);
    }
    let old: Vec<PlanPrint> = serde_json::from_str(&row.text(1)?).unwrap_or_default();
    let (zones, red, text) = describe_change(&old, plans);
    let commune = subject.id.split('/').next().unwrap_or_default().to_string();
    let mut touched: Vec<String> = Vec::new();
    for p in old.iter().chain(plans) {
        let o = old.iter().find(|x| x.plan == p.plan);
        let nw = plans.iter().find(|x| x.plan == p.plan);
        if o != nw && !touched.contains(&p.plan) {
            touched.push(p.plan.clone());
        }
    }
    let link = format!("/?p={}", subject.id);
    let mut subjects: Vec<(&str, &str)> = vec![("parcel", subject.id.as_str())];
    if !commune.is_empty() {
        subjects.push(("commune", commune.as_str()));
    }
    for p in &touched {
        subjects.push(("plan", p.as_str()));
    }
    let mut record = |kind: &str, what: &str| {
        record_event(
            tx,
            &NewEvent {
                kind,
                subjects: &subjects,
                title: &format!("{what}: {}", subject.label),
                summary: &text,
                link: &link,
                data_version: version,
            },
        )
    };
    if zones {
        record("zones_changed", "Quy hoạch thay đổi")?;
    } else if red {
        record("redlines_changed", "Chỉ giới đường đỏ thay đổi")?;
    }
    // Both changed: one event (zones_changed) that says both, so followers get one mail.
    Ok(zones || red)
}

fn plan_changed(
    tx: &mut dyn Tx,
    plan: &str,
    name: &str,
    version: &str,
    print: &str,
) -> SqlResult<bool> {
    let Some(row) = tx.query_opt(
        "SELECT fingerprint FROM subject_fingerprint WHERE subject_kind = 'plan' AND subject_id = ?",
        vals![plan],
    )?
    else {
        remember_print(tx, "plan", plan, version, print, "{}")?;
        return Ok(false);
    };
    let old = row.text(0)?;
    if old == print {
        return Ok(false);
    }
    let n = tx.exec(
        "UPDATE subject_fingerprint SET fingerprint = ?, data_version = ? \
         WHERE subject_kind = 'plan' AND subject_id = ? AND fingerprint = ?",
        vals![print, version, plan, old.as_str()],
    )?;
    if n != 1 {
        return Ok(false);
    }
    let part = |s: &str, c: char| s.split('-').find(|p| p.starts_with(c)).map(str::to_string);
    let zones = part(&old, 'z') != part(print, 'z');
    let (kind, title, summary) = if zones {
        (
            "zones_changed",
            format!("Dữ liệu quy hoạch cập nhật: {name}"),
            format!(
                "Các ô quy hoạch (hoặc tình trạng) của {name} vừa được cập nhật trong dữ liệu. \
                 Xem lại báo cáo của thửa đất quan tâm."
            ),
        )
    } else {
        (
            "redlines_changed",
            format!("Chỉ giới đường đỏ cập nhật: {name}"),
            format!("Các chỉ giới đường đỏ của {name} vừa được cập nhật trong dữ liệu."),
        )
    };
    record_event(
        tx,
        &NewEvent {
            kind,
            subjects: &[("plan", plan)],
            title: &title,
            summary: &summary,
            link: &format!("/#/qa?plan={plan}"),
            data_version: version,
        },
    )?;
    Ok(true)
}

/// Called with each data version the server starts serving (at start and after every
/// reload that changed the data): compares the followed subjects' planning with what was
/// last seen and records events (and mail) for those that changed. Runs in the background;
/// returns at once. Also starts the mail sender (once per process) when SMTP is set.
pub fn on_data(state: &PortalState) {
    if state.portal.state.is_none() {
        return;
    }
    if let Some(p) = state.proxies.public_url() {
        let _ = PUBLIC_URL.set(p);
    }
    mail::start(state);
    let st = state.clone();
    let _ = std::thread::Builder::new()
        .name("alerts-detect".into())
        .spawn(move || match detect_changes(&st) {
            Ok(d) if d.changed > 0 => {
                tracing::info!(
                    checked = d.checked,
                    changed = d.changed,
                    "alerts: planning changes recorded"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(%e, "alerts: change detection failed"),
        });
}

// ---------------------------------------------------------------- follows

/// Follows one client may start per hour (in memory, per server).
pub const FOLLOWS_PER_CLIENT_HOUR: u32 = 10;
/// Largest request body of `POST /api/v1/follows`.
pub const MAX_BODY_BYTES: usize = 4096;
/// Events in a follow's view and in a feed, newest first.
pub const MAX_FEED_ENTRIES: i64 = 50;
/// Clients remembered by the rate limit at most (older windows are dropped first).
const MAX_RATE_CLIENTS: usize = 100_000;

/// Per client key: the hour's window start and the follows made in it.
type RateMap = HashMap<Vec<u8>, (i64, u32)>;
static RATE: Mutex<Option<RateMap>> = Mutex::new(None);
static SITE_BASE: Mutex<Option<String>> = Mutex::new(None);
/// The configured `--public-url`, which links in mail always use when it is set.
static PUBLIC_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Notes the address the site is reached at (for links in mail); see [`SITE`].
fn note_base(headers: &HeaderMap) -> String {
    let base = crate::proxy::base_url(headers);
    if let Ok(mut g) = SITE_BASE.lock() {
        *g = Some(base.clone());
    }
    base
}

/// The site's address for links in mail: `--public-url` when configured, else the address
/// the last request to an alerts route came to, else `http://localhost`.
pub fn site_base() -> String {
    if let Some(p) = PUBLIC_URL.get() {
        return p.clone();
    }
    SITE_BASE
        .lock()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_else(|| "http://localhost".into())
}

fn rate_check(key: &[u8]) -> ApiResult<()> {
    let t = now();
    let window = t - t % 3600;
    let Ok(mut g) = RATE.lock() else {
        return Ok(());
    };
    let m = g.get_or_insert_with(HashMap::new);
    if m.len() >= MAX_RATE_CLIENTS {
        m.retain(|_, (w, _)| *w == window);
        if m.len() >= MAX_RATE_CLIENTS {
            m.clear();
        }
    }
    let e = m.entry(key.to_vec()).or_insert((window, 0));
    if e.0 != window {
        *e = (window, 0);
    }
    if e.1 >= FOLLOWS_PER_CLIENT_HOUR {
        let retry = u64::try_from(window + 3600 - t).unwrap_or(60);
        return Err(ApiError::TooMany(
            format!(
                "at most {FOLLOWS_PER_CLIENT_HOUR} follows an hour from one address; try again later"
            ),
            retry,
        ));
    }
    e.1 += 1;
    Ok(())
}

/// What to follow.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowSubjectIn {
    /// `parcel`, `commune` or `plan`.
    #[schemars(extend("enum" = ["parcel", "commune", "plan"]))]
    kind: String,
    /// A parcel: `commune/sheet/parcel[/n]` (as the app's `?p=` links); a commune: its code;
    /// a plan: its id.
    #[schemars(length(min = 1, max = MAX_SUBJECT_ID_CHARS))]
    id: String,
}

/// A new follow (`POST /api/v1/follows`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowIn {
    /// What to follow.
    subject: FollowSubjectIn,
    /// Where to mail its news (optional: the Atom feed works without; deleted after the
    /// retention period or when unfollowing).
    #[serde(default)]
    #[schemars(length(max = MAX_EMAIL_CHARS))]
    email: Option<String>,
    /// The language of the mail: `vi` (the default) or `en`.
    #[serde(default)]
    #[schemars(extend("enum" = ["vi", "en", null]))]
    lang: Option<String>,
}

/// A followed subject, by kind and canonical id.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FollowSubject {
    /// `parcel`, `commune` or `plan`.
    #[schemars(extend("enum" = ["parcel", "commune", "plan"]))]
    pub kind: String,
    /// Its canonical id (`31153/4/2[/n]`, `31153`, `qhpk-2000`).
    pub id: String,
}

/// A follow made (`POST /api/v1/follows`, 201). The token is shown once: it is stored
/// hashed.
#[derive(Serialize, JsonSchema)]
pub struct FollowCreated {
    /// The follow's token (64 hex digits): the key to its feed and to unfollowing.
    pub token: String,
    /// Its private Atom feed (`/feeds/follow/<token>.atom`).
    pub feed_url: String,
    /// The same, absolute (for a feed reader).
    pub feed_url_absolute: String,
    /// The app's page of the follow (`/#/follow/<token>`).
    pub manage_url: String,
    /// What is followed.
    pub subject: FollowSubject,
    /// What people call it, in Vietnamese.
    pub label: String,
    /// Whether an email address was given (it is never shown again).
    pub email_given: bool,
}

/// A follow as its holder sees it (`GET /api/v1/follows/{token}`): never the address.
#[derive(Serialize, JsonSchema)]
pub struct FollowView {
    /// What is followed.
    pub subject: FollowSubject,
    /// What people call it, in Vietnamese.
    pub label: String,
    /// The language of its mail (`vi`, `en`).
    pub lang: String,
    /// Whether an email address is stored.
    pub email_given: bool,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Its private Atom feed; null when it was reached by a mail's unsubscribe code (the
    /// code is no feed key).
    pub feed_url: Option<String>,
    /// Its subject's latest events (at most 50), newest first.
    pub events: Vec<AlertEvent>,
}

/// Something followers of a subject heard of.
#[derive(Serialize, JsonSchema)]
pub struct AlertEvent {
    /// Its number.
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// `zones_changed`, `redlines_changed`, `consultation_opened`, `question_answered`, …
    pub kind: String,
    /// The subject it was recorded for.
    pub subject: FollowSubject,
    /// One line, in Vietnamese.
    pub title: String,
    /// A few sentences, in Vietnamese.
    pub summary: String,
    /// The page it is about, relative to the site.
    pub link: String,
    /// The data version it was seen in (empty if none).
    pub data_version: String,
}

/// Unfollowed (`POST /api/v1/follows/{token}/unsubscribe`, to a client that is not a
/// browser).
#[derive(Serialize, JsonSchema)]
pub struct Unsubscribed {
    /// `true`.
    pub unsubscribed: bool,
    /// What happened, in Vietnamese and English.
    pub message: &'static str,
}

fn json_resp<T: Serialize>(status: StatusCode, v: &T) -> Response {
    let mut r = (status, Json(v)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn create_follow(
    State(st): State<PortalState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> ApiResult<Response> {
    let db = state_db(&st)?;
    mail::start(&st);
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the body is over {MAX_BODY_BYTES} bytes"
        )));
    }
    let req: FollowIn = serde_json::from_slice(&body).map_err(|e| {
        ApiError::Bad(format!(
            "the body is not the JSON expected ({e}); send e.g. \
             {{\"subject\": {{\"kind\": \"parcel\", \"id\": \"31153/4/2\"}}, \"email\": \"ten@example.vn\", \"lang\": \"vi\"}}"
        ))
    })?;
    let lang = match req.lang.as_deref() {
        None | Some("vi") => "vi",
        Some("en") => "en",
        Some(_) => return Err(ApiError::Bad("lang must be vi or en".into())),
    };
    let email = match req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(e) => Some(valid_email(e).ok_or_else(|| {
            ApiError::Unprocessable(
                "email is not an address (name@domain.vn, at most 254 characters)".into(),
            )
        })?),
    };
    if req.subject.kind.len() > 16 || req.subject.id.len() > 4 * MAX_SUBJECT_ID_CHARS {
        return Err(ApiError::Bad("subject too long".into()));
    }
    rate_check(&client_key(&headers, peer.as_ref().map(|e| &e.0)))?;
    let base = note_base(&headers);
    let ix = st.index.clone();
    let (kind, id) = (req.subject.kind.clone(), req.subject.id.clone());
    let (subject, print) = tokio::task::spawn_blocking(move || -> ApiResult<_> {
        let s = resolve_subject(&*ix, &kind, &id)?;
        let print = match (&s.parcel, s.kind) {
            (Some((layer, fid)), _) => parcel_print(&*ix, layer, *fid).map(|(p, plans)| {
                (
                    p,
                    serde_json::to_string(&plans).unwrap_or_else(|_| "[]".into()),
                )
            }),
            (None, "plan") => plan_print(&*ix, &s.id).map(|p| (p, "{}".to_string())),
            _ => None,
        };
        Ok((s, print))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("follow: {e}")))??;
    let (token, hash) = new_token();
    let retention = st.portal.twoway.contact_retention_days.max(1);
    let version = st.etag.to_string();
    let s2 = subject.clone();
    let email2 = email.clone();
    db.tx(move |tx| -> ApiResult<()> {
        let t = now();
        tx.exec(
            "INSERT INTO follow (token_hash, subject_kind, subject_id, label, lang, email, \
             delete_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vals![
                hash,
                s2.kind,
                s2.id.as_str(),
                s2.label.as_str(),
                lang,
                email2,
                t + retention * 86_400,
                t
            ],
        )?;
        if let Some((p, summary)) = &print {
            remember_print(tx, s2.kind, &s2.id, &version, p, summary)?;
        }
        Ok(())
    })
    .await?;
    Ok(json_resp(
        StatusCode::CREATED,
        &FollowCreated {
            feed_url: format!("/feeds/follow/{token}.atom"),
            feed_url_absolute: format!("{base}/feeds/follow/{token}.atom"),
            manage_url: format!("/#/follow/{token}"),
            token,
            subject: FollowSubject {
                kind: subject.kind.to_string(),
                id: subject.id,
            },
            label: subject.label,
            email_given: email.is_some(),
        },
    ))
}

/// A follow found by its token or its unsubscribe code.
struct FollowRow {
    id: i64,
    kind: String,
    subject_id: String,
    label: String,
    lang: String,
    email_given: bool,
    created_at: i64,
}

fn find_follow(tx: &mut dyn Tx, token: &str) -> SqlResult<Option<FollowRow>> {
    let row = if is_token(token) {
        tx.query_opt(
            "SELECT id, subject_kind, subject_id, label, lang, email, created_at FROM follow \
             WHERE token_hash = ?",
            vals![token_hash(token)],
        )?
    } else if let Some(id) = parse_unsubscribe_code(token) {
        let key = unsubscribe_key(tx)?;
        if !same_bytes(unsubscribe_code(&key, id).as_bytes(), token.as_bytes()) {
            return Ok(None);
        }
        tx.query_opt(
            "SELECT id, subject_kind, subject_id, label, lang, email, created_at FROM follow \
             WHERE id = ?",
            vals![id],
        )?
    } else {
        None
    };
    let Some(r) = row else { return Ok(None) };
    Ok(Some(FollowRow {
        id: r.i64(0)?,
        kind: r.text(1)?,
        subject_id: r.text(2)?,
        label: r.text(3)?,
        lang: r.text(4)?,
        email_given: r.opt_text(5)?.is_some(),
        created_at: r.i64(6)?,
    }))
}

/// The follow id of an unsubscribe code `u<id>-<32 hex>` (not yet checked).
fn parse_unsubscribe_code(s: &str) -> Option<i64> {
    let rest = s.strip_prefix('u')?;
    let (id, mac) = rest.split_once('-')?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if mac.len() != 32 || !mac.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    id.parse().ok()
}

#[derive(Debug, Clone)]
struct EventOut {
    id: i64,
    at: i64,
    kind: String,
    subject: FollowSubject,
    title: String,
    summary: String,
    link: String,
    data_version: String,
}

fn events_of(tx: &mut dyn Tx, kind: &str, id: &str) -> SqlResult<Vec<EventOut>> {
    tx.query(
        "SELECT id, at, kind, subject_kind, subject_id, title, summary, link, data_version \
         FROM alert_event WHERE subject_kind = ? AND subject_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        vals![kind, id, MAX_FEED_ENTRIES],
    )?
    .iter()
    .map(|r| {
        Ok(EventOut {
            id: r.i64(0)?,
            at: r.i64(1)?,
            kind: r.text(2)?,
            subject: FollowSubject {
                kind: r.text(3)?,
                id: r.text(4)?,
            },
            title: r.text(5)?,
            summary: r.text(6)?,
            link: r.text(7)?,
            data_version: r.text(8)?,
        })
    })
    .collect()
}

fn check_token_shape(token: &str) -> ApiResult<()> {
    if is_token(token) || parse_unsubscribe_code(token).is_some() {
        Ok(())
    } else {
        Err(ApiError::NotFound("no such follow".into()))
    }
}

async fn show_follow(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    check_token_shape(&token)?;
    let db = state_db(&st)?;
    note_base(&headers);
    let t = token.clone();
    let (f, events) = db
        .tx(move |tx| -> ApiResult<_> {
            let f =
                find_follow(tx, &t)?.ok_or_else(|| ApiError::NotFound("no such follow".into()))?;
            let events = events_of(tx, &f.kind, &f.subject_id)?;
            Ok((f, events))
        })
        .await?;
    let feed = is_token(&token).then(|| format!("/feeds/follow/{token}.atom"));
    Ok(json_resp(
        StatusCode::OK,
        &FollowView {
            subject: FollowSubject {
                kind: f.kind,
                id: f.subject_id,
            },
            label: f.label,
            lang: f.lang,
            email_given: f.email_given,
            created_at: rfc3339(f.created_at),
            feed_url: feed,
            events: events.into_iter().map(AlertEvent::from).collect(),
        },
    ))
}

impl From<EventOut> for AlertEvent {
    fn from(e: EventOut) -> Self {
        AlertEvent {
            id: e.id,
            at: rfc3339(e.at),
            kind: e.kind,
            subject: e.subject,
            title: e.title,
            summary: e.summary,
            link: e.link,
            data_version: e.data_version,
        }
    }
}

/// Deletes a follow, its address and its unsent mail; false when there was none.
fn unfollow(tx: &mut dyn Tx, token: &str) -> SqlResult<bool> {
    let Some(f) = find_follow(tx, token)? else {
        return Ok(false);
    };
    tx.exec("DELETE FROM mail_outbox WHERE follow_id = ?", vals![f.id])?;
    tx.exec("DELETE FROM follow WHERE id = ?", vals![f.id])?;
    Ok(true)
}

async fn delete_follow(
    State(st): State<PortalState>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    check_token_shape(&token)?;
    let db = state_db(&st)?;
    let gone = db
        .tx(move |tx| -> ApiResult<bool> { Ok(unfollow(tx, &token)?) })
        .await?;
    if !gone {
        return Err(ApiError::NotFound("no such follow".into()));
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn html_page(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;line-height:1.5\">\
         <main>{body}</main></body></html>\n",
        super::twoway::esc(title)
    );
    let mut r = (status, axum::response::Html(page)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

const NOT_FOUND_PAGE: &str = "<h1>Không tìm thấy đăng ký theo dõi này</h1>\
    <p>Có thể bạn đã ngừng theo dõi rồi.</p>\
    <p lang=\"en\">No such follow: perhaps you have already unfollowed.</p>";

/// `GET /api/v1/follows/{token}/unsubscribe`: a page asking to confirm (a GET never
/// unfollows: mail scanners open links).
async fn unsubscribe_page(
    State(st): State<PortalState>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    check_token_shape(&token)?;
    let db = state_db(&st)?;
    let t = token.clone();
    let f = db
        .tx(move |tx| -> ApiResult<_> { Ok(find_follow(tx, &t)?) })
        .await?;
    let Some(f) = f else {
        return Ok(html_page(
            StatusCode::NOT_FOUND,
            "Không tìm thấy / Not found",
            NOT_FOUND_PAGE,
        ));
    };
    let label = super::twoway::esc(&f.label);
    Ok(html_page(
        StatusCode::OK,
        "Ngừng theo dõi / Unfollow",
        &format!(
            "<h1>Ngừng theo dõi {label}?</h1>\
             <p>Đăng ký theo dõi và địa chỉ email của bạn sẽ bị xóa ngay.</p>\
             <p lang=\"en\">Unfollow {label}? The follow and your email address are deleted at once.</p>\
             <form method=\"post\"><button type=\"submit\" style=\"font-size:1.1em;padding:.5em 1em\">\
             Ngừng theo dõi / Unfollow</button></form>"
        ),
    ))
}

/// `POST /api/v1/follows/{token}/unsubscribe`: the one-click unsubscribe of RFC 8058 (the
/// mail's `List-Unsubscribe-Post`) and the form of [`unsubscribe_page`]; the body is
/// ignored. Answers a page to a browser (`Accept: text/html`), JSON otherwise.
async fn one_click(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    check_token_shape(&token)?;
    let db = state_db(&st)?;
    let gone = db
        .tx(move |tx| -> ApiResult<bool> { Ok(unfollow(tx, &token)?) })
        .await?;
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if browser {
        return Ok(if gone {
            html_page(
                StatusCode::OK,
                "Đã ngừng theo dõi / Unfollowed",
                "<h1>Đã ngừng theo dõi</h1><p>Địa chỉ email của bạn đã được xóa.</p>\
                 <p lang=\"en\">Unfollowed: your email address is deleted.</p>",
            )
        } else {
            html_page(
                StatusCode::NOT_FOUND,
                "Không tìm thấy / Not found",
                NOT_FOUND_PAGE,
            )
        });
    }
    if !gone {
        return Err(ApiError::NotFound(
            "no such follow (already unsubscribed?)".into(),
        ));
    }
    Ok(json_resp(
        StatusCode::OK,
        &Unsubscribed {
            unsubscribed: true,
            message: "Đã ngừng theo dõi và xóa địa chỉ email. / Unfollowed; the email address is deleted.",
        },
    ))
}

// ---------------------------------------------------------------- feeds

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// XML text: escaped, without the characters XML 1.0 forbids.
fn xml(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect();
    super::twoway::esc(&clean)
}

fn tag_host(base: &str) -> String {
    let host = base.split("://").nth(1).unwrap_or("localhost");
    let host = match host.rsplit_once(':') {
        Some((h, p))
            if p.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(']')
                || host.starts_with('[') && host.contains("]:") =>
        {
            h.trim_start_matches('[').trim_end_matches(']').to_string()
        }
        _ => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    };
    host.replace(':', "-")
}

/// An Atom 1.0 feed of `events`.
fn atom(
    base: &str,
    feed_id: &str,
    self_path: &str,
    alternate: &str,
    title: &str,
    events: &[EventOut],
) -> String {
    let host = tag_host(base);
    let updated = events.first().map_or(0, |e| e.at);
    let mut o = String::with_capacity(2048 + events.len() * 800);
    o.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    o.push_str(&format!("  <id>tag:{host},2025:{}</id>\n", xml(feed_id)));
    o.push_str(&format!("  <title>{}</title>\n", xml(title)));
    o.push_str("  <subtitle>Thông báo thay đổi quy hoạch, câu hỏi được trả lời và đợt lấy ý kiến / Planning changes, answered questions and consultations</subtitle>\n");
    o.push_str(&format!("  <updated>{}</updated>\n", rfc3339(updated)));
    o.push_str("  <author><name>Cổng thông tin quy hoạch</name></author>\n");
    o.push_str("  <generator>quyhoach</generator>\n");
    o.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml(&format!("{base}{self_path}"))
    ));
    o.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        xml(&format!("{base}{alternate}"))
    ));
    for e in events {
        let link = if e.link.starts_with('/') {
            format!("{base}{}", e.link)
        } else {
            format!("{base}/")
        };
        o.push_str("  <entry>\n");
        o.push_str(&format!("    <id>tag:{host},2025:event/{}</id>\n", e.id));
        o.push_str(&format!("    <title>{}</title>\n", xml(&e.title)));
        o.push_str(&format!("    <updated>{}</updated>\n", rfc3339(e.at)));
        o.push_str(&format!("    <published>{}</published>\n", rfc3339(e.at)));
        o.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&link)
        ));
        o.push_str(&format!("    <category term=\"{}\"/>\n", xml(&e.kind)));
        o.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            xml(&e.summary)
        ));
        o.push_str("  </entry>\n");
    }
    o.push_str("</feed>\n");
    o
}

fn feed_response(headers: &HeaderMap, body: String, public: bool) -> Response {
    let etag = format!("W/\"{}\"", sha_hex(&body));
    let cache = if public {
        "public, max-age=300"
    } else {
        "private, max-age=60"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut r = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if !public {
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    }
    r
}

fn atom_name(file: &str) -> ApiResult<&str> {
    file.strip_suffix(".atom")
        .filter(|s| !s.is_empty() && s.len() <= 100)
        .ok_or_else(|| ApiError::NotFound("feeds are /feeds/…/<name>.atom".into()))
}

async fn follow_feed(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    let token = atom_name(&file)?.to_string();
    check_token_shape(&token)?;
    let db = state_db(&st)?;
    let base = note_base(&headers);
    let t = token.clone();
    let (f, events) = db
        .tx(move |tx| -> ApiResult<_> {
            let f =
                find_follow(tx, &t)?.ok_or_else(|| ApiError::NotFound("no such follow".into()))?;
            let events = events_of(tx, &f.kind, &f.subject_id)?;
            Ok((f, events))
        })
        .await?;
    let body = atom(
        &base,
        &format!("follow/{}", f.id),
        &format!("/feeds/follow/{token}.atom"),
        &format!("/#/follow/{token}"),
        &format!("Theo dõi: {}", f.label),
        &events,
    );
    Ok(feed_response(&headers, body, false))
}

async fn public_feed(
    st: PortalState,
    headers: HeaderMap,
    kind: &'static str,
    file: String,
) -> ApiResult<Response> {
    let id = atom_name(&file)?.to_string();
    let db = state_db(&st)?;
    let base = note_base(&headers);
    let ix = st.index.clone();
    let (k, i) = (kind, id.clone());
    let subject = tokio::task::spawn_blocking(move || resolve_subject(&*ix, k, &i))
        .await
        .map_err(|e| ApiError::Internal(format!("feed: {e}")))?
        .map_err(|e| match e {
            ApiError::Bad(m) => ApiError::NotFound(m),
            e => e,
        })?;
    let sid = subject.id.clone();
    let events = db
        .tx(move |tx| -> ApiResult<_> { Ok(events_of(tx, kind, &sid)?) })
        .await?;
    let (title, alternate) = match kind {
        "commune" => (
            format!("Quy hoạch — {}", subject.label),
            format!("/#/qa?commune={}", subject.id),
        ),
        _ => (
            format!("Quy hoạch — {}", subject.label),
            format!("/#/qa?plan={}", subject.id),
        ),
    };
    let body = atom(
        &base,
        &format!("{kind}/{}", subject.id),
        &format!("/feeds/{kind}/{}.atom", subject.id),
        &alternate,
        &title,
        &events,
    );
    Ok(feed_response(&headers, body, true))
}

async fn commune_feed(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    public_feed(st, headers, "commune", file).await
}

async fn plan_feed(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    public_feed(st, headers, "plan", file).await
}

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/follows", &["post"], post(create_follow)),
        (
            "/api/v1/follows/{token}",
            &["get", "delete"],
            get(show_follow).delete(delete_follow),
        ),
        (
            "/api/v1/follows/{token}/unsubscribe",
            &["get", "post"],
            get(unsubscribe_page).post(one_click),
        ),
        ("/feeds/follow/{file}", &["get"], get(follow_feed)),
        ("/feeds/commune/{file}", &["get"], get(commune_feed)),
        ("/feeds/plan/{file}", &["get"], get(plan_feed)),
    ]
}

/// `op`'s answer of `status` given in HTML too (a page for a browser), besides its JSON
/// (a problem document when `status` is one of `op`'s problems).
fn also_html(sc: &mut Schemas, mut op: Value, status: &str, description: &str) -> Value {
    let html = json!({"schema": {"type": "string"}});
    let r = &mut op["responses"][status];
    if r.get("$ref").is_some() {
        *r = json!({"description": description, "content": {
            "application/problem+json": {"schema": sc.out::<crate::error::Problem>()}}});
    }
    r["content"]["text/html"] = html;
    op
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    const TAG: &str = "alerts";
    let token = |op: Op| {
        op.path(
            "token",
            "The follow's token (64 hex) or the unsubscribe code of its mail (u<id>-<32 hex>)",
            json!({"type": "string", "maxLength": 64}),
        )
    };
    let file = |op: Op, what: &str| {
        op.path(
            "file",
            &format!("{what}, then .atom"),
            json!({"type": "string"}),
        )
    };
    let atom = json!({"type": "string"});
    let feed = |op: Op, what: &str| {
        file(op, what)
            .media("200", "The feed", "application/atom+xml", atom.clone())
            .empty("304", "Not modified (its ETag matches If-None-Match)")
            .problems(&["404", "500", "503"])
            .done()
    };
    let mut p = Map::new();
    p.insert(
        "/api/v1/follows".into(),
        json!({"post": Op::new(
            "Follow a parcel, a commune or a plan: a private Atom feed, and email if an address is given (10 an hour per client)",
            TAG,
        )
        .body::<FollowIn>(sc, "What to follow, and where to mail its news", true)
        .json::<FollowCreated>(sc, "201", "Followed: the token, shown once")
        .problems(&["400", "404", "413", "422", "429", "500", "503"])
        .done()}),
    );
    p.insert(
        "/api/v1/follows/{token}".into(),
        json!({
            "get": token(Op::new(
                "A follow: its subject, label, email_given (never the address) and its subject's latest 50 events",
                TAG,
            ))
            .json::<FollowView>(sc, "200", "The follow")
            .problems(&["404", "500", "503"])
            .done(),
            "delete": token(Op::new("Unfollow: deletes the follow and its email address", TAG))
                .empty("204", "Deleted")
                .problems(&["404", "500", "503"])
                .done(),
        }),
    );
    let page = token(Op::new(
        "A page (HTML) asking to confirm unfollowing; a GET never unfollows",
        TAG,
    ))
    .media("200", "The page", "text/html", json!({"type": "string"}))
    .problems(&["404", "500", "503"])
    .done();
    let one_click = token(Op::new(
        "Unfollow: the one-click unsubscribe of RFC 8058 (the mail's List-Unsubscribe) and the page's form; HTML to a browser, JSON otherwise",
        TAG,
    ))
    .json::<Unsubscribed>(sc, "200", "Unfollowed")
    .problems(&["404", "500", "503"])
    .done();
    let one_click = also_html(sc, one_click, "200", "Unfollowed");
    p.insert(
        "/api/v1/follows/{token}/unsubscribe".into(),
        json!({
            "get": also_html(sc, page, "404", "No such follow (a page when the follow is gone)"),
            "post": also_html(sc, one_click, "404", "No such follow (a page to a browser)"),
        }),
    );
    p.insert(
        "/feeds/follow/{file}".into(),
        json!({"get": feed(
            Op::new("A follow's private Atom 1.0 feed (latest 50 events)", TAG),
            "The follow's token",
        )}),
    );
    p.insert(
        "/feeds/commune/{file}".into(),
        json!({"get": feed(
            Op::new("A commune's public Atom 1.0 feed (latest 50 events)", TAG),
            "The commune code",
        )}),
    );
    p.insert(
        "/feeds/plan/{file}".into(),
        json!({"get": feed(
            Op::new("A plan's public Atom 1.0 feed (latest 50 events)", TAG),
            "The plan id",
        )}),
    );
    p
}

// ---------------------------------------------------------------- retention

/// Sent mail is kept this long (then deleted by the sweep), in seconds.
pub const SENT_MAIL_KEPT: i64 = 30 * 86_400;
/// Events are kept this long, in seconds.
pub const EVENTS_KEPT: i64 = 2 * 365 * 86_400;
/// Mail never sent (no SMTP configured, or given up) is dropped after this long.
pub const UNSENT_MAIL_KEPT: i64 = 30 * 86_400;

/// Deletes follows past retention (with their address and unsent mail), sent mail older
/// than 30 days, unsent mail older than 30 days and events older than 2 years.
pub fn sweep(tx: &mut dyn Tx) -> Result<usize, SqlError> {
    let t = now();
    let mut n = tx.exec(
        "DELETE FROM mail_outbox WHERE follow_id IN (SELECT id FROM follow WHERE delete_after <= ?)",
        vals![t],
    )?;
    n += tx.exec("DELETE FROM follow WHERE delete_after <= ?", vals![t])?;
    n += tx.exec(
        "DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < ?",
        vals![t - SENT_MAIL_KEPT],
    )?;
    n += tx.exec(
        "DELETE FROM mail_outbox WHERE sent_at IS NULL AND created_at < ?",
        vals![t - UNSENT_MAIL_KEPT],
    )?;
    n += tx.exec(
        "DELETE FROM alert_event WHERE at < ?",
        vals![t - EVENTS_KEPT],
    )?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn plan(zones: &[(&str, &str, i64)], red: &[(&str, i64)]) -> PlanPrint {
        PlanPrint {
            plan: "qhpk-2000".into(),
            name: "QH phân khu".into(),
            status: "in_force".into(),
            zones: zones
                .iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
                .collect(),
            redlines: red.iter().map(|(a, b)| (a.to_string(), *b)).collect(),
        }
    }

    #[test]
    fn changes_are_told_in_plain_vietnamese() {
        let old = [plan(&[("A1", "ODT", 1000)], &[])];
        let new = [plan(
            &[("A1", "ODT", 600), ("G1", "DGT", 400)],
            &[("#3", 36)],
        )];
        let (zones, red, text) = describe_change(&old, &new);
        assert!(zones && red);
        assert_eq!(
            text,
            "Theo QH phân khu: trước 100% ODT, nay 60% ODT và 40% DGT; \
             thêm 36 m² nằm trong chỉ giới đường đỏ."
        );
        assert_ne!(fingerprint_of(&old), fingerprint_of(&new));
        let (z, r, _) = describe_change(&new, &new);
        assert!(!z && !r);
        let (z, r, t) = describe_change(
            &[plan(&[("A1", "ODT", 1000)], &[("#3", 50)])],
            &[plan(&[("A1", "ODT", 1000)], &[("#3", 20)])],
        );
        assert!(!z && r, "{t}");
        assert!(t.contains("bớt 30 m²"), "{t}");
        assert_eq!(pct(605), "60,5%");
    }

    #[test]
    fn addresses_urls_and_codes() {
        assert_eq!(
            valid_email(" ten@example.vn ").as_deref(),
            Some("ten@example.vn")
        );
        for bad in [
            "",
            "ten",
            "@example.vn",
            "ten@vn",
            "a b@example.vn",
            "a@b.vn\r\nBcc: c@d.vn",
            "a,b@example.vn",
        ] {
            assert!(valid_email(bad).is_none(), "{bad}");
        }
        assert_eq!(
            mail::parse_smtp_url("smtp://127.0.0.1:2525").unwrap(),
            ("127.0.0.1".into(), 2525)
        );
        assert_eq!(
            mail::parse_smtp_url("smtp://relay.local").unwrap(),
            ("relay.local".into(), 25)
        );
        assert!(mail::parse_smtp_url("http://x").is_err());
        let key = [7u8; 32];
        let code = unsubscribe_code(&key, 42);
        assert_eq!(parse_unsubscribe_code(&code), Some(42));
        assert_ne!(code, unsubscribe_code(&[8u8; 32], 42));
        assert!(parse_unsubscribe_code("u42-zz").is_none());
        assert_eq!(tag_host("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(
            tag_host("https://quyhoach.example.vn"),
            "quyhoach.example.vn"
        );
        assert_eq!(xml("a<b>&\u{1}c"), "a&lt;b&gt;&amp;c");
    }
}
