//! Questions, data-error reports and comments from citizens and businesses; the private follow link; the public Q&A. (Being built.)

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

/// Deletes contact details past their retention.
pub fn sweep(_tx: &mut dyn super::sql::Tx) -> Result<usize, super::sql::SqlError> {
    Ok(0)
}
