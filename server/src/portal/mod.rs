//! The portal's own features beyond lookup: its state database ([`db`]), lessons on the
//! live map ([`lessons`]), workshops with a trainer's view ([`workshop`]), the practice
//! import sandbox of the data-preparation lesson ([`practice`]), printable handouts and the
//! leaflet ([`handouts`]) and the QGIS project of a view ([`qgis`]); and the two-way
//! features: questions, error reports and comments ([`feedback`]), the officials' accounts
//! ([`accounts`]) and inbox ([`inbox`]), consultations on draft plans ([`consult`]) and
//! alerts ([`alerts`]), sharing [`twoway`] and stored through [`sql`] on SQLite or
//! PostgreSQL.
//!
//! Each module brings its routes ([`routes`]) and their OpenAPI paths ([`openapi_paths`]);
//! the server registers them with its own.

pub mod accounts;
pub mod alerts;
pub mod announce;
pub mod consult;
pub mod db;
pub mod feedback;
pub mod handouts;
pub mod inbox;
pub mod lessons;
pub mod notices;
pub mod practice;
pub mod qgis;
pub mod speech;
pub mod sql;
pub mod twoway;
pub mod workshop;

use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::MethodRouter;
use serde_json::{Map, Value};

use crate::AppState;

/// Routes as the server lists them: path, methods, handler.
pub type Routes = Vec<(
    &'static str,
    &'static [&'static str],
    MethodRouter<AppState>,
)>;

/// The portal's settings that outlive a data reload (part of [`crate::state::ServerConfig`]).
#[derive(Clone, Default)]
pub struct PortalConfig {
    /// The state database; `None` when the server runs without one (in-process tests):
    /// workshop routes then answer 503.
    pub db: Option<Arc<db::Db>>,
    /// Where the lesson content files are read from; `None`: the lessons built into the binary.
    pub lessons_dir: Option<PathBuf>,
    /// Whether the practice import of the data-preparation lesson is open.
    pub practice_import: bool,
    /// Whether trainers may start workshops.
    pub workshops: bool,
    /// Where questions, comments, accounts and alerts are kept: the portal database
    /// (SQLite) or PostgreSQL (`--db-url`); `None`: those routes answer 503.
    pub state: Option<sql::StateDb>,
    /// Retention and mail settings of the two-way features.
    pub twoway: twoway::TwowayConfig,
}

/// Every route of the portal's modules.
pub fn routes() -> Routes {
    let mut r = Routes::new();
    r.extend(lessons::routes());
    r.extend(workshop::routes());
    r.extend(practice::routes());
    r.extend(handouts::routes());
    r.extend(qgis::routes());
    r.extend(accounts::routes());
    r.extend(feedback::routes());
    r.extend(inbox::routes());
    r.extend(consult::routes());
    r.extend(alerts::routes());
    r.extend(notices::routes());
    r.extend(speech::routes());
    r
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for part in [
        lessons::openapi_paths(),
        workshop::openapi_paths(),
        practice::openapi_paths(),
        handouts::openapi_paths(),
        qgis::openapi_paths(),
        accounts::openapi_paths(),
        feedback::openapi_paths(),
        inbox::openapi_paths(),
        consult::openapi_paths(),
        alerts::openapi_paths(),
        notices::openapi_paths(),
        speech::openapi_paths(),
    ] {
        paths.extend(part);
    }
    paths
}
