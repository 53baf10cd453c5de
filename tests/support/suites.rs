//! The suites of the repository (`suites/`), loaded once per call.

use std::path::PathBuf;

use ftpconform::script::{Case, Suite};

/// The repository's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every suite under `suites/`; a suite that does not load fails the test
/// with every error.
pub fn suites() -> Vec<Suite> {
    ftpconform::suite::load_paths(&[root().join("suites")]).unwrap_or_else(|errs| {
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        panic!("the suites do not load:\n{}", text.join("\n"))
    })
}

/// The suite named `suite` and its case `case`.
pub fn find_case(suite: &str, case: &str) -> (Suite, Case) {
    let s = suites()
        .into_iter()
        .find(|s| s.name == suite)
        .unwrap_or_else(|| panic!("no suite {suite}"));
    let c = s
        .cases
        .iter()
        .find(|c| c.id == case)
        .unwrap_or_else(|| panic!("no case {suite}::{case}"))
        .clone();
    (s, c)
}
