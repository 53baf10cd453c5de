//! What the fake client negotiated during a server-role case: the input of
//! the timeline checks, next to the events themselves.

use std::net::{IpAddr, SocketAddr};

use crate::script::{DataMode, Direction};
use crate::timeline::{ConnId, Event, EventKind};
use crate::verdict::{Level, Loc, Rule, Verdict, Violation};

/// One data negotiation (PASV, EPSV, PORT, EPRT) and what followed it.
#[derive(Debug, Clone)]
pub struct Negotiation {
    pub mode: DataMode,
    /// Where the step was declared.
    pub loc: Option<Loc>,
    /// Sequence number of the note recorded just before the command was sent.
    pub sent_seq: u64,
    /// Code of the reply to the negotiation command, if one came.
    pub reply_code: Option<u16>,
    /// Passive: the address the 227 / 229 announced.
    pub announced: Option<SocketAddr>,
    /// Active: the address named in PORT / EPRT.
    pub named: Option<SocketAddr>,
    /// Active: the harness's listener at the named address (the legitimate
    /// listener, or a trap).
    pub listener: Option<SocketAddr>,
    /// Active: the named address is a trap nothing may connect to (a
    /// foreign address or a privileged port).
    pub trap: bool,
    /// The suite gave its own expectation for the negotiation reply (the
    /// security checks then leave grading the reply to it).
    pub explicit_expect: bool,
    /// Passive: the loopback address a theft attempt came from.
    pub thief: Option<IpAddr>,
    /// Passive: the connection the theft attempt made.
    pub thief_conn: Option<ConnId>,
    /// The transfer run over this negotiation.
    pub transfer: Option<TransferFacts>,
}

/// One transfer command and its data connection.
#[derive(Debug, Clone)]
pub struct TransferFacts {
    /// Upper-case verb (`RETR`, `STOR`...).
    pub verb: String,
    pub direction: Direction,
    /// Sequence number of the note recorded just before the command was sent.
    pub sent_seq: u64,
    /// The data connection used, if one was made.
    pub data: Option<ConnId>,
    /// The transfer was aborted on purpose (ABOR).
    pub aborted: bool,
    /// The final reply was a success and the data moved as expected.
    pub succeeded: bool,
}

/// Context for grading: which case, at which level.
#[derive(Debug, Clone)]
pub struct CheckCtx {
    pub case_id: String,
    pub level: Level,
    pub control: ConnId,
    /// The target's configured passive port range, when known.
    pub passive_range: Option<(u16, u16)>,
}

impl CheckCtx {
    /// How a break of `rule` grades in this case.
    pub fn grade(&self, rule: Rule) -> Verdict {
        rule.grade(self.level)
    }

    /// How a break graded at `level` (a part of a rule weaker than the
    /// rule itself) grades in this case.
    pub fn at_level(&self, level: Level) -> Verdict {
        Verdict::for_level(level.max(self.level))
    }
}

#[cfg(test)]
impl CheckCtx {
    /// A case `c` of `level` on control connection 0, for the checks' tests.
    pub fn test(level: Level) -> CheckCtx {
        CheckCtx {
            case_id: "c".into(),
            level,
            control: ConnId(0),
            passive_range: None,
        }
    }
}

/// What the checks found.
#[derive(Debug, Default, Clone)]
pub struct Findings {
    pub violations: Vec<Violation>,
    pub notes: Vec<String>,
    /// The case stopped before its end because the rest of it cannot
    /// apply to the target.
    pub ended: Option<Ended>,
}

/// Why a case stopped early without the target failing for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// A step bound to IPv4 on an IPv6 control connection: why (the
    /// server's answer to the probe is a note).
    NotApplicable(String),
    /// A step answered with a code the suite grades `unimplemented`: that
    /// reply, quoted.
    Unimplemented(String),
}

impl Findings {
    /// Records a break of `rule` found for the step at `loc`.
    pub fn violation(
        &mut self,
        rule: Rule,
        grade: Verdict,
        expected: impl Into<String>,
        actual: impl Into<String>,
        loc: Option<&Loc>,
    ) {
        self.push(Violation::of(rule, grade, expected, actual).at(loc));
    }

    pub fn push(&mut self, v: Violation) {
        self.violations.push(v);
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    pub fn extend(&mut self, other: Findings) {
        self.violations.extend(other.violations);
        self.notes.extend(other.notes);
        self.ended = self.ended.take().or(other.ended);
    }
}

/// The `Opened` event of `conn`: (initiator, acceptor).
pub fn endpoints(events: &[Event], conn: ConnId) -> Option<(SocketAddr, SocketAddr)> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Opened {
            conn: c,
            initiator,
            acceptor,
            ..
        } if *c == conn => Some((*initiator, *acceptor)),
        _ => None,
    })
}

/// The event time in milliseconds, for messages.
pub fn ms(e: &Event) -> u128 {
    e.at.as_millis()
}
