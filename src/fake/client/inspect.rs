//! Steps that look at the timeline: `data-expect` and `expect-no-stray`.

use std::time::Duration;

use super::session::FakeClient;
use crate::check::facts::CheckCtx;
use crate::check::security;
use crate::script::{DataExpect, Step};
use crate::timeline::{ConnId, Event, EventKind, Side};

impl FakeClient<'_> {
    pub fn data_expect(&mut self, step: &Step, de: &DataExpect) {
        let Some(conn) = self.last_data else {
            let expected = "a data connection to inspect".to_string();
            self.violate(
                None,
                &step.loc,
                expected,
                "no data connection was made".into(),
            );
            return;
        };
        let events = self.tl.events();
        if let Some(want) = de.opened_by {
            let got = opener(&events, conn);
            if got != Some(want) {
                let expected = format!("data connection opened by {}", side_name(want));
                self.violate(
                    None,
                    &step.loc,
                    expected,
                    format!("opened by {}", opt_side(got)),
                );
            }
        }
        if let Some(want) = de.closed_by {
            let got = first_closer(&events, conn);
            if got != Some(want) {
                let expected = format!("data connection closed first by {}", side_name(want));
                self.violate(
                    None,
                    &step.loc,
                    expected,
                    format!("closed first by {}", opt_side(got)),
                );
            }
        }
    }

    /// Waits `grace`, then runs the stray-connection checks (bounce traps,
    /// theft attempts) on what happened so far.
    pub async fn expect_no_stray(&mut self, step: &Step, grace: Duration) {
        tokio::time::sleep(grace).await;
        self.strays_checked = true;
        let ctx = CheckCtx {
            case_id: self.case.id.clone(),
            level: self.level(),
            control: self.control_id,
            passive_range: self.target.passive_range,
        };
        let events = self.tl.events();
        let mut found = crate::check::facts::Findings::default();
        for neg in &self.negs {
            found.extend(security::check(&events, neg, &ctx));
        }
        for v in &mut found.violations {
            v.loc = Some(step.loc.clone());
        }
        found.notes.clear();
        self.merge(found);
    }
}

fn opener(events: &[Event], conn: ConnId) -> Option<Side> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Opened {
            conn: c,
            initiator_side,
            ..
        } if *c == conn => Some(*initiator_side),
        _ => None,
    })
}

fn first_closer(events: &[Event], conn: ConnId) -> Option<Side> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Closed { conn: c, by, .. } if *c == conn => Some(*by),
        _ => None,
    })
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
        Side::Third => "a third party",
    }
}

fn opt_side(s: Option<Side>) -> &'static str {
    s.map_or("nobody", side_name)
}
