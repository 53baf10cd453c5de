//! The map against the suites: every id a case covers exists and lists the
//! case on the side of the case's role, and every case a requirement
//! lists exists, tests that side and covers the requirement back.

use std::collections::HashMap;

use super::{CaseRef, Map, Requirement, Status};
use crate::script::{Case, Suite};
use crate::suite::SuiteError;
use crate::verdict::Role;

/// Every disagreement between `map` and `suites`, each at the line that
/// has to change.
pub fn check(map: &Map, suites: &[Suite]) -> Vec<SuiteError> {
    let reqs: HashMap<&str, &Requirement> = map
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let cases: HashMap<String, &Case> = suites
        .iter()
        .flat_map(|s| {
            s.cases
                .iter()
                .map(move |c| (format!("{}::{}", s.name, c.id), c))
        })
        .collect();
    let mut errors = Vec::new();
    for suite in suites {
        for case in &suite.cases {
            errors.extend(case_covers(&reqs, &suite.name, case));
        }
    }
    for req in &map.requirements {
        errors.extend(requirement_cases(&cases, req));
    }
    errors
}

/// The cases a side lists (empty for an untestable side or a gap).
fn listed(req: &Requirement, role: Role) -> &[CaseRef] {
    match req.side(role).map(|s| &s.status) {
        Some(Status::Cases(refs)) => refs,
        _ => &[],
    }
}

fn case_covers(reqs: &HashMap<&str, &Requirement>, suite: &str, case: &Case) -> Vec<SuiteError> {
    let role = case.role();
    let name = format!("{suite}::{}", case.id);
    let mut errors = Vec::new();
    for cover in &case.covers {
        let Some(req) = reqs.get(cover.id.as_str()) else {
            let msg = format!(
                "unknown requirement id `{}` (not in requirements/)",
                cover.id
            );
            errors.push(SuiteError::new(cover.loc.clone(), msg));
            continue;
        };
        let side = role.as_str();
        let msg = match req.side(role) {
            None => format!(
                "`{}` does not bind the {side} (its direction, at {}), but this is a {side}-role case",
                req.id, req.loc
            ),
            Some(_) if listed(req, role).iter().any(|r| r.name() == name) => continue,
            Some(s) => format!(
                "`{}` does not list {name} on its {side} side (at {})",
                req.id, s.loc
            ),
        };
        errors.push(SuiteError::new(cover.loc.clone(), msg));
    }
    errors
}

fn requirement_cases(cases: &HashMap<String, &Case>, req: &Requirement) -> Vec<SuiteError> {
    let mut errors = Vec::new();
    for side in &req.sides {
        for r in listed(req, side.role) {
            let msg = match cases.get(&r.name()) {
                None => format!("no case {} in the suites", r.name()),
                Some(c) if c.role() != side.role => format!(
                    "{} tests the {}, not the {}",
                    r.name(),
                    c.role().as_str(),
                    side.role.as_str()
                ),
                Some(c) if c.covers.iter().any(|cv| cv.id == req.id) => continue,
                Some(c) => format!(
                    "{} does not name `{}` in its covers (case at {})",
                    r.name(),
                    req.id,
                    c.loc
                ),
            };
            errors.push(SuiteError::new(r.loc.clone(), msg));
        }
    }
    errors
}
