//! All checks of a server-role case, run once over the finished timeline
//! and the case's steps: each reply the fake client waited for against
//! what its step expected, each transfer, each `data-expect` step, then the
//! timeline checks of every negotiation (`pasv`, `active`, `ordering`,
//! `security`).
//!
//! The fake client recorded what it did ([`PeerEvent`]s); this module walks
//! those events in order, with the step each belongs to.

use std::net::SocketAddr;

use super::expect::{describe_codes, failed_captures, judge, Judgement};
use super::facts::{CheckCtx, Ended, Findings, Negotiation};
use super::replies::{numbered, SeenReply};
use crate::script::{Case, DataExpect, DataMode, Step, StepKind};
use crate::timeline::{
    Answer, ConnId, ConnRole, Event, EventKind, Inapplicable, PeerEvent, Purpose, Side,
};
use crate::transcript::{transcript_entries, Entry};
use crate::verdict::{Rule, RuleId, Verdict, Violation};

/// Transcript lines shown with a step's violation: those up to the event
/// it is about.
const CONTEXT_LINES: usize = 6;

/// Every violation and note of a server-role case with these `steps`,
/// against a target whose passive ports should lie in `passive_range`.
pub fn check_server_case(
    case: &Case,
    steps: &[Step],
    events: &[Event],
    passive_range: Option<(u16, u16)>,
) -> Findings {
    let Some(control) = control(events) else {
        return Findings::default();
    };
    let mut walk = Walk {
        case,
        steps,
        events,
        replies: numbered(events, control),
        transcript: None,
        control,
        step: None,
        step_index: 0,
        at: 0,
        greeted: false,
        negs: Vec::new(),
        neg_reply: None,
        transfer_seq: 0,
        last_data: None,
        last_reply: None,
        found: Findings::default(),
    };
    for (i, e) in events.iter().enumerate() {
        if let EventKind::Peer(p) = &e.kind {
            walk.at = e.seq;
            walk.event(i, p);
        }
    }
    let ctx = CheckCtx {
        case_id: case.id.clone(),
        level: case.level,
        control,
        passive_range,
    };
    let mut found = walk.found;
    found.extend(server_checks(events, &walk.negs, &ctx));
    found
}

/// The fake client's control connection: the first one opened.
fn control(events: &[Event]) -> Option<ConnId> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Opened {
            conn,
            role: ConnRole::Control,
            ..
        } => Some(*conn),
        _ => None,
    })
}

/// The state of the walk over the fake client's events.
pub(super) struct Walk<'a> {
    case: &'a Case,
    steps: &'a [Step],
    pub(super) events: &'a [Event],
    replies: Vec<Option<SeenReply>>,
    /// The transcript, made for the first violation's context.
    transcript: Option<Vec<Entry>>,
    pub(super) control: ConnId,
    /// The step running, and its index.
    step: Option<&'a Step>,
    step_index: usize,
    /// Sequence number of the event being judged.
    at: u64,
    /// A 120 greeting was seen (the 220 follows).
    greeted: bool,
    negs: Vec<Negotiation>,
    /// The reply to the last negotiation command.
    neg_reply: Option<u32>,
    /// Sequence number of the last `Transferring` event.
    transfer_seq: u64,
    /// The data connection of the last transfer.
    last_data: Option<ConnId>,
    /// The last reply waited for (the one an `unimplemented` stop quotes).
    last_reply: Option<String>,
    pub(super) found: Findings,
}

impl<'a> Walk<'a> {
    fn event(&mut self, index: usize, p: &PeerEvent) {
        match p {
            PeerEvent::Step { index: n } => self.step_starts(*n, index),
            PeerEvent::NotSent { reason } => {
                let actual = format!("sending failed: {reason}");
                self.violate(None, "the server reads the command".into(), actual);
            }
            PeerEvent::Awaited { purpose, answer } => self.awaited(*purpose, answer),
            PeerEvent::Negotiating {
                named,
                listener,
                trap,
            } => self.negotiating(*named, *listener, *trap),
            PeerEvent::Announced(addr) => self.announced(addr),
            PeerEvent::Theft { from, conn } => {
                if let Some(neg) = self.negs.last_mut() {
                    neg.thief = Some(*from);
                    neg.thief_conn = *conn;
                }
            }
            PeerEvent::NoDataConnection { target, reason } => {
                let expected = format!("a data connection to {target}");
                self.violate(None, expected, reason.clone());
            }
            PeerEvent::Transferring => self.transfer_seq = self.at,
            PeerEvent::Transferred(end) => {
                let last = end.replies.last().and_then(|n| self.reply(*n));
                self.last_reply = last.map(|r| r.line);
                self.transferred(end);
            }
            PeerEvent::Remark { text } => self.found.note(text.clone()),
            PeerEvent::Compared { left, right } => self.compared(left, right),
            // Read by the transfer check, with the transfer's data connection.
            PeerEvent::Received { .. } => {}
            PeerEvent::Inapplicable(why) => self.inapplicable(why),
        }
    }

    /// A `compare` step's values against what the step asks: equal or
    /// different. A value missing (its capture found none) is already a
    /// violation of that capture; it is noted, not judged again.
    fn compared(&mut self, left: &Option<String>, right: &Option<String>) {
        let Some(StepKind::Compare { same, rule, .. }) = self.step.map(|s| &s.kind) else {
            return;
        };
        let (Some(left), Some(right)) = (left, right) else {
            self.found
                .note("not compared: a value was not captured".to_string());
            return;
        };
        if (left == right) == *same {
            return;
        }
        let expected = match same {
            true => format!("the same value as `{right}`"),
            false => format!("a value other than `{right}`"),
        };
        self.violate(rule.as_deref(), expected, format!("`{left}`"));
    }

    /// The case stopped: the rest does not apply, for the reason recorded.
    fn inapplicable(&mut self, why: &Inapplicable) {
        let ended = match why {
            Inapplicable::Family { why } => Ended::NotApplicable(why.clone()),
            Inapplicable::Unimplemented => {
                let reply = self.last_reply.clone().unwrap_or_default();
                Ended::Unimplemented(match self.steps_after() {
                    0 => format!("`{reply}` is an unimplemented answer"),
                    n => format!(
                        "`{reply}` is an unimplemented answer; the {n} later step(s) build on it and were not run"
                    ),
                })
            }
        };
        self.found.ended = Some(ended);
    }

    /// How many steps of the case follow the running one.
    fn steps_after(&self) -> usize {
        let running = self.step.map_or(0, |_| self.step_index + 1);
        self.steps.len().saturating_sub(running)
    }

    fn step_starts(&mut self, n: usize, index: usize) {
        self.step = self.steps.get(n);
        self.step_index = n;
        if let Some(StepKind::DataExpect(de)) = self.step.map(|s| &s.kind) {
            let events = self.events;
            self.data_expect(de, &events[..index]);
        }
    }

    /// The reply numbered `n`, if it was well formed.
    pub(super) fn reply(&self, n: u32) -> Option<SeenReply> {
        self.replies.get(n as usize).cloned().flatten()
    }

    fn awaited(&mut self, purpose: Purpose, answer: &Answer) {
        let reply = match answer {
            Answer::Reply(n) => self.reply(*n),
            Answer::Failed(_) => None,
        };
        self.last_reply = reply.as_ref().map(|r| r.line.clone());
        match purpose {
            Purpose::Greeting => self.greeting(answer, reply),
            Purpose::Probe => self.probed(answer, reply),
            Purpose::Unsolicited => {
                if let Some(r) = reply {
                    let note = format!("unsolicited reply after the theft attempt: {}", r.line);
                    self.found.note(note);
                }
            }
            Purpose::Negotiation => self.negotiation_reply(answer, reply),
            Purpose::User | Purpose::Pass | Purpose::Expect => {
                let Some(exp) = self.expectation(purpose) else {
                    return;
                };
                match (answer, reply) {
                    (Answer::Failed(why), _) => {
                        let expected = describe_codes(&exp.codes);
                        self.violate(exp.rule.as_deref(), expected, why.clone());
                    }
                    (_, Some(r)) => {
                        self.grade(&exp, &r);
                    }
                    (_, None) => {}
                }
            }
        }
    }

    /// The answer to a probe: a note, never a grade.
    fn probed(&mut self, answer: &Answer, reply: Option<SeenReply>) {
        let answer = match (answer, reply) {
            (Answer::Failed(why), _) => format!("no answer ({why})"),
            (_, Some(r)) => format!("`{}`", r.line),
            (_, None) => "a malformed reply".to_string(),
        };
        let command = last_command(self.events, self.control, self.at);
        let note = format!("over IPv6, the probe `{command}` was answered {answer}");
        self.found.note(note);
    }

    /// What the step expected of the reply waited for `purpose`.
    fn expectation(&self, purpose: Purpose) -> Option<crate::script::ReplyExpect> {
        match (purpose, &self.step?.kind) {
            (Purpose::User, _) => Some(crate::script::ReplyExpect::user()),
            (Purpose::Pass, _) => Some(crate::script::ReplyExpect::pass()),
            (Purpose::Expect, StepKind::Send { expect, .. }) => expect.clone(),
            (Purpose::Expect, StepKind::Expect(exp)) => Some(exp.clone()),
            (Purpose::Negotiation, StepKind::Data(setup)) => Some(setup.reply_expect()),
            _ => None,
        }
    }

    // RFC 959 5.4: "Connection Establishment: 120 / 220 / 220 / 421".
    fn greeting(&mut self, answer: &Answer, reply: Option<SeenReply>) {
        let actual = match (answer, reply) {
            (Answer::Failed(why), _) => why.clone(),
            (_, Some(r)) if r.code == 120 && !self.greeted => {
                self.greeted = true;
                return;
            }
            (_, Some(r)) if r.code != 220 => r.line,
            _ => return,
        };
        let rule = Rule::Greeting220;
        let v = Violation::of(rule, rule.grade(self.case.level), "220", actual);
        self.push(v);
    }

    fn negotiating(&mut self, named: Option<SocketAddr>, listener: Option<SocketAddr>, trap: bool) {
        let Some(step) = self.step else {
            return;
        };
        let StepKind::Data(setup) = &step.kind else {
            return;
        };
        self.neg_reply = None;
        self.negs.push(Negotiation {
            mode: setup.mode,
            loc: Some(step.loc.clone()),
            sent_seq: self.at,
            reply_code: None,
            announced: None,
            named,
            listener,
            trap,
            explicit_expect: setup.expect.is_some(),
            thief: None,
            thief_conn: None,
            transfer: None,
        });
    }

    fn negotiation_reply(&mut self, answer: &Answer, reply: Option<SeenReply>) {
        let Some(exp) = self.expectation(Purpose::Negotiation) else {
            return;
        };
        let (n, r) = match (answer, reply) {
            (Answer::Reply(n), Some(r)) => (*n, r),
            (Answer::Failed(why), _) => {
                // No reply: the negotiation never happened.
                self.negs.pop();
                let expected = describe_codes(&exp.codes);
                self.violate(exp.rule.as_deref(), expected, why.clone());
                return;
            }
            _ => return,
        };
        self.neg_reply = Some(n);
        let Some(neg) = self.negs.last_mut() else {
            return;
        };
        neg.reply_code = Some(r.code);
        // A trap's reply is graded by the security checks unless the
        // suite gave its own expectation.
        if neg.explicit_expect || !neg.trap {
            self.grade(&exp, &r);
        }
    }

    fn announced(&mut self, addr: &Result<SocketAddr, String>) {
        let mode = self.negs.last().map(|n| n.mode);
        match addr {
            Ok(a) => {
                if let Some(neg) = self.negs.last_mut() {
                    neg.announced = Some(*a);
                }
            }
            Err(e) => {
                let expected = match mode {
                    Some(DataMode::Pasv) => format!("227 with an address h1,h2,h3,h4,p1,p2 ({e})"),
                    _ => format!("229 with (|||port|) ({e})"),
                };
                let line = self.neg_reply.and_then(|n| self.reply(n));
                let actual = line.map(|r| r.line).unwrap_or_default();
                self.violate(None, expected, actual);
            }
        }
    }

    /// Grades `reply` against `exp`; true when the code was accepted
    /// (passing or alternative).
    pub(super) fn grade(&mut self, exp: &crate::script::ReplyExpect, reply: &SeenReply) -> bool {
        let line = reply.line.clone();
        let expected = describe_codes(&exp.codes);
        let rule = exp.rule.as_deref();
        match judge(exp, &reply.reply, Verdict::for_level(self.case.level)) {
            Judgement::Pass => {}
            Judgement::TextMismatch(re) => {
                let expected = format!("{expected} with text matching /{re}/");
                self.violate(rule, expected, line);
            }
            Judgement::Alternative(grade, note) => {
                let why = note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
                let code = reply.code;
                let note_text =
                    format!("answered {code} where {expected} is preferred{why}: {line}");
                self.found.note(note_text);
                let expected = match note {
                    Some(n) => format!("{expected} ({n})"),
                    None => expected,
                };
                self.violate_graded(rule, grade, expected, line);
            }
            Judgement::Unexpected => {
                self.violate(rule, expected, line);
                return false;
            }
        }
        // An unimplemented answer ends the case: the values it would have
        // given are not missing, the command is.
        if exp.unimplemented(reply.code) {
            return true;
        }
        for (var, why) in failed_captures(exp, &reply.reply) {
            self.violate(rule, format!("a value for ${{{var}}}"), why);
        }
        true
    }

    /// A violation of the suite's rule `rule` (by default the case id),
    /// graded at the case level.
    pub(super) fn violate(&mut self, rule: Option<&str>, expected: String, actual: String) {
        let grade = Verdict::for_level(self.case.level);
        self.violate_graded(rule, grade, expected, actual);
    }

    fn violate_graded(
        &mut self,
        rule: Option<&str>,
        grade: Verdict,
        expected: String,
        actual: String,
    ) {
        let rule = RuleId::Suite(rule.unwrap_or(&self.case.id).to_string());
        let rfc = self.case.rfc.first().map_or("", String::as_str);
        self.push(Violation::new(rule, rfc, grade, expected, actual));
    }

    /// Adds `v` at the running step, with the transcript up to now.
    pub(super) fn push(&mut self, v: Violation) {
        let events = self.events;
        let transcript = self
            .transcript
            .get_or_insert_with(|| transcript_entries(events));
        let lines: Vec<&Entry> = transcript.iter().filter(|e| e.seq <= self.at).collect();
        let from = lines.len().saturating_sub(CONTEXT_LINES);
        let context = lines[from..].iter().map(|e| e.text.clone()).collect();
        let loc = self.step.map(|s| &s.loc);
        self.found.push(Violation {
            context,
            ..v.at(loc)
        });
    }

    pub(super) fn level(&self) -> crate::verdict::Level {
        self.case.level
    }

    pub(super) fn case_rfc(&self) -> Option<&str> {
        self.case.rfc.first().map(String::as_str)
    }

    pub(super) fn transfer_step(&self) -> Option<&'a crate::script::Transfer> {
        match &self.step?.kind {
            StepKind::Transfer(x) => Some(x),
            _ => None,
        }
    }

    pub(super) fn transfer_seq(&self) -> u64 {
        self.transfer_seq
    }

    pub(super) fn used_data(&mut self, data: Option<ConnId>) {
        self.last_data = data.or(self.last_data);
    }

    /// Attaches a transfer to the negotiation it ran over.
    pub(super) fn attach(&mut self, facts: super::facts::TransferFacts) {
        if let Some(neg) = self.negs.last_mut().filter(|n| n.transfer.is_none()) {
            neg.transfer = Some(facts);
        }
    }

    /// `data-expect`: who opened and who first closed the data connection
    /// of the last transfer, as the timeline shows it when the step runs.
    fn data_expect(&mut self, de: &DataExpect, events: &[Event]) {
        let Some(conn) = self.last_data else {
            let expected = "a data connection to inspect".to_string();
            self.violate(None, expected, "no data connection was made".into());
            return;
        };
        if let Some(want) = de.opened_by {
            let got = opener(events, conn);
            if got != Some(want) {
                let expected = format!("data connection opened by {}", side_name(want));
                self.violate(None, expected, format!("opened by {}", opt_side(got)));
            }
        }
        if let Some(want) = de.closed_by {
            let got = first_closer(events, conn);
            if got != Some(want) {
                let expected = format!("data connection closed first by {}", side_name(want));
                self.violate(None, expected, format!("closed first by {}", opt_side(got)));
            }
        }
    }
}

/// The last command line the fake client sent on `control` before the
/// event numbered `before`.
fn last_command(events: &[Event], control: ConnId, before: u64) -> String {
    let sent = events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Bytes {
            conn,
            from: Side::Client,
            bytes,
            ..
        } if *conn == control && e.seq < before => Some(bytes),
        _ => None,
    });
    let text = String::from_utf8_lossy(sent.map_or(&[][..], |b| b.as_slice()));
    text.trim_end().to_string()
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

/// Runs every timeline check of a server-role case.
fn server_checks(events: &[Event], negs: &[Negotiation], ctx: &CheckCtx) -> Findings {
    let mut out = Findings::default();
    for neg in negs {
        out.extend(super::pasv::check(events, neg, ctx));
        out.extend(super::active::check(events, neg, ctx));
        out.extend(super::ordering::check(events, neg, ctx));
        out.extend(super::security::check(events, neg, ctx));
    }
    out.extend(super::tls::server_side(events, ctx));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::CaseBody;
    use crate::timeline::{OpenRole, Timeline};
    use crate::verdict::{Level, Loc};
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::Duration;

    fn case(steps: Vec<StepKind>) -> (Case, Vec<Step>) {
        let loc = Loc {
            file: Arc::new(PathBuf::from("s.yaml")),
            line: 3,
            col: 5,
        };
        let steps: Vec<Step> = steps
            .into_iter()
            .map(|kind| Step {
                loc: loc.clone(),
                timeout: None,
                kind,
            })
            .collect();
        let case = Case {
            id: "c".into(),
            title: String::new(),
            rfc: vec!["RFC 959 5.4".into()],
            covers: Vec::new(),
            level: Level::Must,
            requires: Vec::new(),
            timeout: Duration::from_secs(1),
            loc,
            body: CaseBody::Server(steps.clone()),
        };
        (case, steps)
    }

    /// A control connection on which the server sends `chunks`, each wait
    /// of the fake client recorded after the chunk it read.
    fn timeline(script: &[(&[u8], Option<PeerEvent>)]) -> Vec<Event> {
        let t = Timeline::new();
        let c = t.open(
            OpenRole::Control,
            ("127.0.0.1:40000".parse().unwrap(), Side::Client),
            ("127.0.0.1:21".parse().unwrap(), Side::Server),
        );
        t.peer(PeerEvent::Step { index: 0 });
        for (bytes, event) in script {
            if !bytes.is_empty() {
                t.bytes(c, Side::Server, bytes);
            }
            if let Some(e) = event {
                t.peer(e.clone());
            }
        }
        t.events()
    }

    fn awaited(purpose: Purpose, n: u32) -> Option<PeerEvent> {
        let answer = Answer::Reply(n);
        Some(PeerEvent::Awaited { purpose, answer })
    }

    #[test]
    fn a_120_then_220_greets_and_a_second_120_does_not() {
        let (c, steps) = case(vec![StepKind::Login]);
        let greeting = |second: &'static [u8]| {
            timeline(&[
                (b"120 soon\r\n", awaited(Purpose::Greeting, 0)),
                (second, awaited(Purpose::Greeting, 1)),
            ])
        };
        let f = check_server_case(&c, &steps, &greeting(b"220 hi\r\n"), None);
        assert!(f.violations.is_empty(), "{:?}", f.violations);
        let f = check_server_case(&c, &steps, &greeting(b"120 later\r\n"), None);
        let v = &f.violations[0];
        assert_eq!(
            (&v.rule, v.actual.as_str()),
            (&RuleId::Catalogue(Rule::Greeting220), "120 later")
        );
        assert_eq!(v.context.last().map(String::as_str), Some("S> 120 later"));
    }

    #[test]
    fn replies_are_found_by_number_malformed_ones_counted() {
        let (c, steps) = case(vec![StepKind::Login]);
        let events = timeline(&[
            (b"220 hi\r\n", awaited(Purpose::Greeting, 0)),
            (b"garbage\r\n530 no\r\n", awaited(Purpose::User, 2)),
        ]);
        let f = check_server_case(&c, &steps, &events, None);
        assert_eq!(f.violations.len(), 1, "{:?}", f.violations);
        let v = &f.violations[0];
        assert_eq!(v.rule, "c");
        assert_eq!(
            (v.expected.as_str(), v.actual.as_str()),
            ("230 or 331", "530 no")
        );
        assert_eq!(v.loc.as_ref().map(|l| l.line), Some(3));
    }

    #[test]
    fn a_probe_is_a_note_and_an_inapplicable_step_ends_the_case() {
        let (c, steps) = case(vec![StepKind::Login]);
        let t = Timeline::new();
        let ctrl = t.open(
            OpenRole::Control,
            ("[::1]:40000".parse().unwrap(), Side::Client),
            ("[::1]:21".parse().unwrap(), Side::Server),
        );
        t.peer(PeerEvent::Step { index: 0 });
        t.bytes(ctrl, Side::Client, b"PASV\r\n");
        t.bytes(ctrl, Side::Server, b"425 Use EPSV\r\n");
        t.peer(awaited(Purpose::Probe, 0).unwrap());
        let why = "not applicable on an IPv6 control connection: PASV".to_string();
        t.peer(PeerEvent::Inapplicable(Inapplicable::Family {
            why: why.clone(),
        }));
        let f = check_server_case(&c, &steps, &t.events(), None);
        assert!(f.violations.is_empty(), "{:?}", f.violations);
        assert_eq!(
            f.notes,
            ["over IPv6, the probe `PASV` was answered `425 Use EPSV`"]
        );
        assert_eq!(f.ended, Some(Ended::NotApplicable(why)));
    }

    #[test]
    fn an_unimplemented_stop_quotes_the_reply() {
        let (c, steps) = case(vec![StepKind::Login]);
        let mut events = timeline(&[(b"220 hi\r\n", awaited(Purpose::Greeting, 0))]);
        let last = events.last().unwrap().clone();
        events.push(Event {
            seq: last.seq + 1,
            kind: EventKind::Peer(PeerEvent::Inapplicable(Inapplicable::Unimplemented)),
            ..last
        });
        let f = check_server_case(&c, &steps, &events, None);
        let Some(Ended::Unimplemented(why)) = f.ended else {
            panic!("{:?}", f.ended);
        };
        assert!(
            why.starts_with("`220 hi` is an unimplemented answer"),
            "{why}"
        );
    }

    #[test]
    fn a_wait_that_got_no_reply_breaks_the_step_expectation() {
        let (c, steps) = case(vec![StepKind::Login]);
        let failed = Answer::Failed("no reply within 1s".into());
        let events = timeline(&[(
            b"",
            Some(PeerEvent::Awaited {
                purpose: Purpose::Greeting,
                answer: failed,
            }),
        )]);
        let f = check_server_case(&c, &steps, &events, None);
        let v = &f.violations[0];
        assert_eq!(v.rule, Rule::Greeting220);
        assert_eq!(v.actual, "no reply within 1s");
    }

    #[test]
    fn a_compare_step_judges_equal_or_different_values() {
        let compare = |same| StepKind::Compare {
            left: crate::script::Template { parts: vec![] },
            right: crate::script::Template { parts: vec![] },
            same,
            rule: Some("unique-fact-stable".into()),
        };
        let values = |l: Option<&str>, r: Option<&str>| {
            timeline(&[(
                b"",
                Some(PeerEvent::Compared {
                    left: l.map(String::from),
                    right: r.map(String::from),
                }),
            )])
        };
        let (c, steps) = case(vec![compare(true)]);
        let f = check_server_case(&c, &steps, &values(Some("a1"), Some("a1")), None);
        assert!(f.violations.is_empty(), "{:?}", f.violations);
        let f = check_server_case(&c, &steps, &values(Some("a1"), Some("b2")), None);
        let v = &f.violations[0];
        assert_eq!(v.rule, "unique-fact-stable");
        assert_eq!(
            (v.expected.as_str(), v.actual.as_str()),
            ("the same value as `b2`", "`a1`")
        );
        let (c, steps) = case(vec![compare(false)]);
        let f = check_server_case(&c, &steps, &values(Some("a1"), Some("a1")), None);
        assert_eq!(f.violations[0].expected, "a value other than `a1`");
        // A value missing is its capture's violation, not the comparison's.
        let f = check_server_case(&c, &steps, &values(None, Some("a1")), None);
        assert!(f.violations.is_empty(), "{:?}", f.violations);
    }
}
