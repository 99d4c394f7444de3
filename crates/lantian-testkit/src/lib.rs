//! Test-only helpers shared by the integration tests of every crate: where the committed
//! fixtures are, and where the real data of `../shared/data` is.
//!
//! # Invariant
//! Used only as a dev-dependency. A test that needs `../shared/data` calls [`shared_data`]:
//! when the data is missing it says so and the test returns early — except under `CI=true`,
//! where a missing data set is a failure, never a silent skip.

use std::path::PathBuf;

pub mod webdriver;

/// The workspace root (this crate lives in `crates/lantian-testkit`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// `tests/fixtures/<rel>` under the workspace root.
pub fn fixture(rel: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(rel)
}

/// Whether this run is CI (`CI=true`).
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `../shared/data/<rel>` (or `$LANTIAN_SHARED_DATA/<rel>`), if present. When it is missing,
/// prints why the calling test does nothing and returns `None`; under `CI=true` panics.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let base = std::env::var_os("LANTIAN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"));
    let p = base.join(rel);
    if p.exists() {
        return Some(p);
    }
    let msg = format!(
        "{} is missing: this test needs the real CNEMC data of ../shared/data (set LANTIAN_SHARED_DATA to point elsewhere)",
        p.display()
    );
    if is_ci() {
        panic!("{msg}; CI=true, so this is a failure, not a skip");
    }
    eprintln!("SKIPPED: {msg}");
    None
}
