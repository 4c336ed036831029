//! Consultation windows on draft plans and the consultation summary (CSV and printable). (Being built.)

use serde_json::{Map, Value};

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
