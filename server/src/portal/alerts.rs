//! Alerts: follows, Atom feeds, change detection on a new import, email through SMTP. (Being built.)

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

/// Deletes follows past retention and old sent mail.
pub fn sweep(_tx: &mut dyn super::sql::Tx) -> Result<usize, super::sql::SqlError> {
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
