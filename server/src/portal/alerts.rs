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

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::sql::{now, vals, SqlError, SqlResult, Tx};
use super::Routes;

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
         Ngừng theo dõi và xóa địa chỉ email của bạn: {SITE}/#/follow/{code}\n\n\
         ---\n\n\
         {en}: {title}\n\n(The details above are in Vietnamese.) See: {page}\n\n\
         You get this email because you follow {label} on the planning portal.\n\
         Unfollow and delete your email address: {SITE}/#/follow/{code}\n"
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

/// This module's routes.
pub fn routes() -> Routes {
    Routes::new()
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths() -> Map<String, Value> {
    Map::new()
}

/// Deletes follows past retention and old sent mail.
pub fn sweep(_tx: &mut dyn Tx) -> Result<usize, SqlError> {
    Ok(0)
}

/// Where alert emails go out.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port`.
    pub smtp_url: String,
    /// The From address.
    pub from: String,
}

/// Called with each data version the server starts serving (at start and after every
/// reload that changed the data): compares the followed subjects' planning with what was
/// last seen and records events (and mail) for those that changed. Runs in the background;
/// returns at once.
pub fn on_data(_state: &crate::AppState) {}
