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

use crate::api::{ApiState, ReportCache};
use crate::proxy::Proxies;
use crate::upload::Uploads;

/// Routes as the server lists them: path, methods, handler. The server gives them their
/// [`PortalState`] when it builds its router.
pub type Routes = Vec<(
    &'static str,
    &'static [&'static str],
    MethodRouter<PortalState>,
)>;

/// What the portal's handlers read: the loaded store and its version, the portal's settings,
/// the proxies (for the public address in links and emails), the upload readers (practice
/// imports) and the lessons of this data version. Made once per loaded store, when the
/// server builds its router.
#[derive(Clone)]
pub struct PortalState {
    /// The loaded store.
    pub index: Arc<dyn quyhoach_data::lookup::Store>,
    /// The data version's weak ETag.
    pub etag: Arc<str>,
    /// Finished parcel reports (shared with the JSON API; the spoken report reads them).
    pub(crate) reports: Arc<ReportCache>,
    /// The portal's settings.
    pub portal: Arc<PortalConfig>,
    /// Which peers may set `X-Forwarded-*`, and the public base URL if configured.
    pub proxies: Proxies,
    /// How uploaded files are read.
    pub uploads: Uploads,
    /// The lessons generated from this data (built on first use).
    pub lessons: Arc<lessons::LessonCache>,
    /// The map's fonts (the notices' posters are drawn with them).
    pub glyphs: Arc<crate::glyphs::Glyphs>,
}

impl PortalState {
    /// The JSON API's view of the same data.
    pub fn api(&self) -> ApiState {
        ApiState {
            index: self.index.clone(),
            etag: self.etag.clone(),
            reports: self.reports.clone(),
        }
    }
}

impl axum::extract::FromRef<PortalState> for ApiState {
    fn from_ref(st: &PortalState) -> Self {
        st.api()
    }
}

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

/// Retention in the portal's own SQLite file: each feature's function deleting its expired
/// rows (returns how many top-level rows went), run by [`db::Db`] at open and every
/// [`db::SWEEP_INTERVAL`]. Listed here, with the features, so that the database module
/// names none of them.
pub static DB_SWEEPS: &[(&str, db::Sweep)] = &[("expired workshops", workshop::sweep)];

/// Every two-way sweep on the state database (SQLite or PostgreSQL), run when the server
/// starts and every [`db::SWEEP_INTERVAL`] (see [`twoway::start_sweeper`]).
pub static STATE_SWEEPS: &[(&str, twoway::Sweep)] = &[
    ("expired sessions and login throttles", accounts::sweep),
    ("contact details past retention", feedback::sweep),
    ("follows past retention and sent mail", alerts::sweep),
];

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
pub fn openapi_paths(sc: &mut crate::apidoc::Schemas) -> Map<String, Value> {
    let mut paths = Map::new();
    for part in [
        lessons::openapi_paths(sc),
        workshop::openapi_paths(sc),
        practice::openapi_paths(sc),
        handouts::openapi_paths(sc),
        qgis::openapi_paths(sc),
        accounts::openapi_paths(sc),
        feedback::openapi_paths(sc),
        inbox::openapi_paths(sc),
        consult::openapi_paths(sc),
        alerts::openapi_paths(sc),
        notices::openapi_paths(sc),
        speech::openapi_paths(sc),
    ] {
        paths.extend(part);
    }
    paths
}
