//! Consultation windows on draft plans and the consultation summary (CSV and printable). (Being built.)

use serde_json::{Map, Value};

use super::sql::{vals, SqlResult, Tx};

use super::Routes;

/// This module's routes.
pub fn routes() -> Routes {
    Routes::new()
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths() -> Map<String, Value> {
    Map::new()
}

/// `quyhoach consultations …`
#[derive(clap::Subcommand)]
pub enum ConsultCommand {
    /// List the consultations.
    List {
        #[command(flatten)]
        state: super::twoway::StateArgs,
    },
}

/// Runs a `consultations` command.
pub fn run(_command: ConsultCommand) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
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
