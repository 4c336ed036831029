//! Helpers shared by the workspace's tests (not part of the API): the shared data beside
//! the repository, and a store's files for "nothing changed" assertions.

#![allow(clippy::unwrap_used)] // test helpers fail loudly on purpose

use std::path::{Path, PathBuf};

/// A file of `../shared/data`; fails loudly when the shared data is missing (CI must have it).
pub fn shared_data(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(name);
    assert!(
        p.exists(),
        "shared test data {} is missing: clone the project with ../shared beside it",
        p.display()
    );
    p
}

/// Every file of a store with its bytes, sorted, except the lock; temporary files (which the
/// next open removes) are left out too when `skip_temporary`.
pub fn store_snapshot(dir: &Path, skip_temporary: bool) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if name != ".lock" && !(skip_temporary && name.starts_with(".tmp-")) {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}
