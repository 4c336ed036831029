//! Officials' accounts: sign-in, sessions, CSRF, roles, login throttling, the audit log and
//! `quyhoach users`. (Being built: the types and signatures below are the contract the
//! other two-way modules use.)

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use super::sql::{SqlError, SqlResult, Tx};
use super::twoway::{ApiError, ApiResult};
use super::Routes;
use crate::AppState;

/// What an official may do. Ordered: each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A commune (or ward) officer: answers for the communes of the account.
    Commune,
    /// The planning office: the whole province; opens consultations.
    PlanningOffice,
    /// Administrator: everything, and the audit log.
    Admin,
}

/// The signed-in official of a request (an axum extractor): 401 without a valid session;
/// for every method but GET/HEAD/OPTIONS, 403 unless the `X-CSRF-Token` header carries the
/// session's token and `Origin` (when sent) is this server.
#[derive(Debug, Clone)]
pub struct Official {
    /// The account's id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown with answers ("UBND xã Vĩnh Thanh Vân", "Phòng Kinh tế").
    pub display_name: String,
    /// The account's role.
    pub role: Role,
    /// The communes a commune officer answers for (codes); empty for other roles.
    pub communes: Vec<String>,
}

impl Official {
    /// Whether this official may act on something in `commune` (`None`: not tied to a
    /// commune, e.g. a whole plan — planning office and admin only).
    pub fn may_act_on(&self, commune: Option<&str>) -> bool {
        match self.role {
            Role::Admin | Role::PlanningOffice => true,
            Role::Commune => commune.is_some_and(|c| self.communes.iter().any(|x| x == c)),
        }
    }

    /// 403 unless the role is at least `role`.
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {role:?} role or higher"
            )))
        }
    }
}

impl FromRequestParts<AppState> for Official {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &AppState) -> ApiResult<Self> {
        Err(ApiError::Unauthorized("not built yet".into()))
    }
}

/// Records an official's action in the audit log (inside the action's transaction).
pub fn audit(
    _tx: &mut dyn Tx,
    _who: &Official,
    _action: &str,
    _target_kind: &str,
    _target_id: Option<i64>,
    _detail: &str,
) -> SqlResult<()> {
    Ok(())
}

/// Creates an account (checks the fields, hashes the password with Argon2id); its id.
pub fn create_official(
    _tx: &mut dyn Tx,
    _username: &str,
    _display_name: &str,
    _role: Role,
    _communes: &[String],
    _password: &str,
) -> ApiResult<i64> {
    Err(ApiError::Internal("not built yet".into()))
}

/// This module's routes.
pub fn routes() -> Routes {
    Routes::new()
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths() -> Map<String, Value> {
    Map::new()
}

/// Deletes expired sessions and stale login throttles.
pub fn sweep(_tx: &mut dyn Tx) -> Result<usize, SqlError> {
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
