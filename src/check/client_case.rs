//! All checks of a client-role case, run over the timeline and the client's
//! run once the client has finished.

use super::client_view::ClientView;
use super::{client_commands, client_data, client_host, client_outcome, client_telnet, client_tls};
use crate::real::clients::ClientRun;
use crate::script::{Case, ClientScript};
use crate::timeline::Event;
use crate::verdict::{Verdict, Violation};

/// Every violation of a client-role case: command sequence, forbidden
/// commands, data-connection addresses, FTPS, bytes intact, exit status.
pub fn check_client_case(
    case: &Case,
    fs: &ClientScript,
    events: &[Event],
    run: &ClientRun,
) -> Vec<Violation> {
    let grade = Verdict::for_level(case.level);
    let rfc = case.rfc.first().map_or("RFC 959 5.4", String::as_str);
    let view = ClientView::from_events(events);
    let exp = &fs.expect;
    let mut out = client_commands::sequence(&exp.commands, &view.commands, rfc, grade);
    out.extend(client_commands::forbidden(
        &exp.forbidden,
        &view.commands,
        rfc,
        grade,
    ));
    out.extend(client_data::trusted_foreign_pasv(&view));
    out.extend(client_data::passive_sources(&view, grade));
    out.extend(client_data::active_addresses(&view, grade));
    out.extend(client_tls::checks(fs, &view.commands, events, case.level));
    out.extend(client_telnet::telnet(events, grade));
    out.extend(client_commands::rest_last(&view.commands, grade));
    out.extend(client_host::host(events, grade));
    out.extend(client_outcome::active_source(fs, &view, run));
    if exp.intact && judged_intact(exp.success, run) {
        out.extend(client_outcome::intact(fs, &view, run, grade));
    }
    out.extend(client_outcome::exit_status(fs, &view, run, rfc, grade));
    with_context(out, events)
}

/// Transcript lines shown with each violation: the end of the session.
const CONTEXT_LINES: usize = 12;

/// Gives violations without context the last transcript lines.
fn with_context(mut violations: Vec<Violation>, events: &[Event]) -> Vec<Violation> {
    if violations.is_empty() {
        return violations;
    }
    let lines = crate::transcript::transcript_lines(events);
    let tail = lines[lines.len().saturating_sub(CONTEXT_LINES)..].to_vec();
    for v in violations.iter_mut().filter(|v| v.context.is_empty()) {
        v.context = tail.clone();
    }
    violations
}

/// Whether the bytes are judged: a client that reports failure may leave a
/// partial file (no silent corruption is the rule); a client whose exit
/// status tells nothing is judged when the case expects success.
fn judged_intact(expected: Option<bool>, run: &ClientRun) -> bool {
    match run.status_meaningful {
        true => run.success,
        false => expected == Some(true),
    }
}
