//! Checks: what the timeline (and the script) of a case says about the
//! peer under test. The verdict types and the rule catalogue are in
//! [`crate::verdict`].

use crate::script::Case;
use crate::verdict::{CaseResult, Verdict};

/// A passing result with nothing recorded yet: `case` of `suite` against
/// `target`.
pub fn blank(case: &Case, suite: &str, target: &str) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        suite: suite.to_string(),
        role: case.role(),
        target: target.to_string(),
        rfc: case.rfc.clone(),
        level: case.level,
        verdict: Verdict::Pass,
        violations: Vec::new(),
        notes: Vec::new(),
        reason: None,
        duration: std::time::Duration::ZERO,
        capture: None,
    }
}

pub mod client_case;
pub mod client_commands;
pub mod client_data;
pub mod client_outcome;
pub mod client_view;
// Timeline checks of server-role cases (pure functions over events and what
// the fake client negotiated).
pub mod active;
pub mod facts;
pub mod ordering;
pub mod pasv;
pub mod replies;
pub mod security;
