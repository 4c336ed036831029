//! Alerts: follows of a parcel, a commune or a plan; events; Atom feeds; change detection
//! on a new import; email through the operator's SMTP server. (Being built: the types and
//! signatures below are the contract the other two-way modules use.)

use serde_json::{Map, Value};

use super::sql::{SqlError, SqlResult, Tx};
use super::Routes;

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

/// Records an event for each subject, and queues an email to every follower of those
/// subjects who gave an address (once per follower). Inside the caller's transaction.
pub fn record_event(_tx: &mut dyn Tx, _event: &NewEvent<'_>) -> SqlResult<()> {
    Ok(())
}

/// Queues one email (sent by the mail thread when SMTP is configured; dropped by the sweep
/// otherwise). Inside the caller's transaction.
pub fn queue_mail(_tx: &mut dyn Tx, _to: &str, _subject: &str, _body: &str) -> SqlResult<()> {
    Ok(())
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
