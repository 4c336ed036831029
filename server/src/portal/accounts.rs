//! Officials' accounts: sign-in, sessions, CSRF, roles, login throttling, the audit log and `quyhoach users`. (Being built.)

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

/// Deletes expired sessions and stale login throttles.
pub fn sweep(_tx: &mut dyn super::sql::Tx) -> Result<usize, super::sql::SqlError> {
    Ok(0)
}

/// `quyhoach users …`
#[derive(clap::Subcommand)]
pub enum UsersCommand {
    /// List the officials' accounts.
    List {
        #[command(flatten)]
        state: super::twoway::StateArgs,
    },
}

/// Runs a `users` command.
pub fn run(_command: UsersCommand) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
