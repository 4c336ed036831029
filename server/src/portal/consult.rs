//! Consultation windows on draft plans and the consultation summary (CSV and printable). (Being built.)

use serde_json::{Map, Value};

use super::sql::{SqlResult, Tx};

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
pub fn window_for(
    _tx: &mut dyn Tx,
    _plan_id: &str,
    _commune: Option<&str>,
    _now: i64,
) -> SqlResult<Window> {
    Ok(Window::None)
}
