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
