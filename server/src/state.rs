//! What every handler shares: the loaded index and the data version.

use std::sync::Arc;

use axum::http::{header, HeaderMap};
use quyhoach_data::index::Index;
use sha2::{Digest, Sha256};

/// Shared state of the service; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The loaded store.
    pub index: Arc<Index>,
    /// Weak entity tag of the data version: a hash of every layer's SHA-256, the plans and
    /// this server's version. Any re-import or plan change gives a new tag.
    pub etag: Arc<str>,
}

impl AppState {
    /// Wraps a loaded index.
    pub fn new(index: Index) -> Self {
        Self::from_arc(Arc::new(index))
    }

    /// Wraps a shared index.
    pub fn from_arc(index: Arc<Index>) -> Self {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        let cat = index.catalog();
        for (id, l) in &cat.layers {
            h.update(id.as_bytes());
            h.update(l.sha256.as_bytes());
        }
        // Plans change without any layer changing (a decision is recorded or adjusted).
        h.update(serde_json::to_vec(&cat.plans).unwrap_or_default());
        let digest = h.finalize();
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        AppState {
            index,
            etag: Arc::from(format!("W/\"{hex}\"")),
        }
    }
}

/// The absolute base URL of this service as the client reached it (`http://host:port`),
/// from `X-Forwarded-Proto`/`X-Forwarded-Host` behind a proxy or the `Host` header.
/// OGC API links must be absolute for some clients (GDAL, ogctests), so they are built
/// from this.
pub fn base_url(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()))
    };
    let proto = get("x-forwarded-proto")
        .filter(|p| p == "http" || p == "https")
        .unwrap_or_else(|| "http".to_string());
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .filter(|h| !h.contains(['/', '\\', '"', '<', '>']))
        .unwrap_or_else(|| "localhost".to_string());
    format!("{proto}://{host}")
}
