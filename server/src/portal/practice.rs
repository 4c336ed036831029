//! (being written)

use serde_json::{Map, Value};

use super::Routes;

/// This module's routes.
pub fn routes() -> Routes {
    Vec::new()
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths() -> Map<String, Value> {
    Map::new()
}

/// Facts about the practice sample files that lessons ask about (name → value), e.g. how
/// many geometries the import repaired; the lessons' checks compare answers with them.
/// Called once per data version from the lesson generator (on a blocking thread).
pub fn facts(_index: &quyhoach_data::index::Index) -> std::collections::BTreeMap<String, Value> {
    std::collections::BTreeMap::new()
}
