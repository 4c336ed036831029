//! Notices in the portal: officials publish them (`POST /api/v1/notices`), the public reads
//! them per commune (`/thong-bao/{commune}`, its Atom feed and slide deck), and every output
//! of [`super::announce`] is served per notice.

use serde_json::{Map, Value};

use super::Routes;

/// The routes of notices.
pub fn routes() -> Routes {
    Routes::new()
}

/// Their OpenAPI paths.
pub fn openapi_paths() -> Map<String, Value> {
    Map::new()
}
