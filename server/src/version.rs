//! The data version: one weak entity tag per loaded store (its layers, its plans, the
//! archives served and this server's version), used by ETags, caches and the health answer.

use quyhoach_data::lookup::Store;
use sha2::{Digest, Sha256};

/// The weak ETag of the data: the store's layers and plans, the archives served and this
/// server's version.
pub fn data_etag(index: &dyn Store, archive_versions: &[String]) -> String {
    {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        let cat = index.catalog();
        for (id, l) in &cat.layers {
            h.update(id.as_bytes());
            h.update(l.sha256.as_bytes());
        }
        // Plans change without any layer changing (a decision is recorded or adjusted).
        h.update(serde_json::to_vec(&cat.plans).unwrap_or_default());
        for v in archive_versions {
            h.update(v.as_bytes());
        }
        let digest = h.finalize();
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("W/\"{hex}\"")
    }
}

/// Whether a GET of `path` (or of a path template) may answer 304 Not Modified: the data's
/// answers (tagged with the data version by the server's caching layer) and the tiles and fonts (their own
/// ETags); not the health check nor the portal's own state.
pub(crate) fn conditional_get(path: &str) -> bool {
    path != "/api/v1/health" && !is_portal_state(path)
}

/// Answers from the portal's own state (questions, consultations, follows, feeds, accounts,
/// workshops), which change without the data changing: never tagged with the data version.
fn is_portal_state(path: &str) -> bool {
    [
        "/api/v1/official",
        "/api/v1/auth",
        "/api/v1/feedback",
        "/api/v1/qa",
        "/api/v1/consultations",
        "/api/v1/follows",
        "/api/v1/workshops",
        "/feeds/",
        "/api/v1/notices",
        "/thong-bao/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}
