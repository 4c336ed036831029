//! The officials' inbox: filter, answer, publish, hide, merge, mark fixed. (Being built.)

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
