//! The fake client's state during one case, and the control-connection
//! steps: greeting, login, send, expect, set, disconnect.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::data::{PendingData, AS_CLIENT};
use super::expect::{self, Judgement};
use super::template::{self, UnknownVar};
use crate::check::facts::{server_checks, CheckCtx, Findings, Negotiation};
use crate::net::{Conn, ControlConn, NetError, Trap};
use crate::real::servers::ServerEndpoint;
use crate::script::{Case, Payload, ReplyExpect, Step, Template};
use crate::timeline::{ConnId, EventKind, Timeline};
use crate::verdict::{CaseResult, Level, Loc, Rule, RuleId, Verdict, Violation};
use crate::wire::escape::escape;
use crate::wire::reply::{Reply, ReplyDecoder};

/// Control lines kept for a violation's context.
const CONTEXT_LINES: usize = 6;

/// Why the case stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Later steps are meaningless; the violations say why.
    Halt,
    /// The harness itself could not go on (the verdict is `error`).
    Harness(String),
}

pub struct FakeClient<'a> {
    pub case: &'a Case,
    pub target: &'a ServerEndpoint,
    pub tl: Timeline,
    pub ctrl: Option<ControlConn<ReplyDecoder>>,
    pub control_id: ConnId,
    greeted: bool,
    pub vars: HashMap<String, String>,
    history: VecDeque<String>,
    pub found: Findings,
    pub pending: Option<PendingData>,
    pub negs: Vec<Negotiation>,
    pub last_data: Option<ConnId>,
    pub traps: Vec<Trap>,
    /// This case's turn on fixed-port listeners (see `hold_fixed_ports`).
    pub fixed_port_turn: Option<tokio::sync::MutexGuard<'static, ()>>,
    /// A theft connection waiting for the transfer (see `release_thief`).
    pub thief: Option<Conn>,
    pub thieves: Vec<JoinHandle<()>>,
    /// A stray check ran after the last trap or theft was set.
    pub strays_checked: bool,
}

impl<'a> FakeClient<'a> {
    /// Opens the control connection; `Err` is the one-line error reason.
    pub async fn connect(
        case: &'a Case,
        target: &'a ServerEndpoint,
        tl: &Timeline,
    ) -> Result<FakeClient<'a>, String> {
        let ctrl = ControlConn::connect(target.addr, AS_CLIENT, case.timeout, tl)
            .await
            .map_err(|e| e.to_string())?;
        Ok(FakeClient {
            case,
            target,
            tl: tl.clone(),
            control_id: ctrl.id(),
            vars: template::builtins(target, ctrl.local_addr(), ctrl.peer_addr()),
            ctrl: Some(ctrl),
            greeted: false,
            history: VecDeque::new(),
            found: Findings::default(),
            pending: None,
            negs: Vec::new(),
            last_data: None,
            traps: Vec::new(),
            fixed_port_turn: None,
            thief: None,
            thieves: Vec::new(),
            strays_checked: true,
        })
    }

    /// Records a harness note and returns its sequence number.
    pub fn mark(&self, text: String) -> u64 {
        self.tl.record(EventKind::Note { text })
    }

    pub fn step_timeout(&self, step: &Step) -> Duration {
        step.timeout.unwrap_or(self.case.timeout)
    }

    // ------------------------------------------------------------ violations

    /// Records a violation at the case level, with the control context.
    pub fn violate(&mut self, rule: Option<&str>, loc: &Loc, expected: String, actual: String) {
        let grade = Verdict::for_level(self.case.level);
        self.violate_graded(rule, loc, grade, expected, actual);
    }

    pub fn violate_graded(
        &mut self,
        rule: Option<&str>,
        loc: &Loc,
        grade: Verdict,
        expected: String,
        actual: String,
    ) {
        let rule = RuleId::Suite(rule.unwrap_or(&self.case.id).to_string());
        let rfc = self.case.rfc.first().cloned().unwrap_or_default();
        let v = Violation::new(rule, &rfc, grade, expected, actual);
        self.push(v, loc);
    }

    /// Records a break of the catalogued `rule` (graded by the rule and
    /// the case level), with the control context.
    pub fn violate_rule(&mut self, rule: Rule, loc: &Loc, expected: String, actual: String) {
        let grade = rule.grade(self.case.level);
        self.push(Violation::of(rule, grade, expected, actual), loc);
    }

    /// Adds `v` at `loc`, with the control context.
    pub fn push(&mut self, v: Violation, loc: &Loc) {
        let context = self.history.iter().cloned().collect();
        self.found.push(Violation {
            context,
            ..v.at(Some(loc))
        });
    }

    fn remember(&mut self, line: String) {
        if self.history.len() == CONTEXT_LINES {
            self.history.pop_front();
        }
        self.history.push_back(line);
    }

    // ------------------------------------------------------------ control I/O

    pub fn ctrl(&mut self) -> Result<&mut ControlConn<ReplyDecoder>, Stop> {
        self.ctrl
            .as_mut()
            .ok_or_else(|| Stop::Harness("the control connection is already closed".into()))
    }

    pub fn resolve(&self, t: &Template, loc: &Loc) -> Result<String, Stop> {
        template::resolve(t, &self.vars)
            .map_err(|UnknownVar(v)| Stop::Harness(format!("{loc}: unknown variable ${{{v}}}")))
    }

    /// Sends a command line (CRLF appended).
    pub async fn send_line(&mut self, line: &str, loc: &Loc, t: Duration) -> Result<(), Stop> {
        self.remember(format!("C> {line}"));
        let res = self.ctrl()?.send_line(line, t).await;
        self.sent(res, loc)
    }

    async fn send_raw(&mut self, bytes: &[u8], loc: &Loc, t: Duration) -> Result<(), Stop> {
        self.remember(format!("C> {}", escape(bytes)));
        let res = self.ctrl()?.send(bytes, t).await;
        self.sent(res, loc)
    }

    fn sent(&mut self, res: Result<(), NetError>, loc: &Loc) -> Result<(), Stop> {
        let Err(e) = res else {
            return Ok(());
        };
        let expected = "the server reads the command".to_string();
        self.violate(None, loc, expected, format!("sending failed: {e}"));
        Err(Stop::Halt)
    }

    /// Reads the next reply; a timeout, close or malformed reply is a
    /// violation (against `exp`) and stops the case.
    pub async fn read_reply(
        &mut self,
        exp: &ReplyExpect,
        loc: &Loc,
        t: Duration,
    ) -> Result<Reply, Stop> {
        self.next_reply(t).await?.map_err(|e| {
            let expected = expect::describe_codes(&exp.codes);
            self.violate(exp.rule.as_deref(), loc, expected, e.to_string());
            Stop::Halt
        })
    }

    /// Reads the next reply, remembering it for the context.
    async fn next_reply(&mut self, t: Duration) -> Result<Result<Reply, NetError>, Stop> {
        let res = self.ctrl()?.recv(t).await;
        self.greeted = true;
        if let Ok(reply) = &res {
            self.remember_reply(reply);
        }
        Ok(res)
    }

    pub fn remember_reply(&mut self, reply: &Reply) {
        let text = String::from_utf8_lossy(&reply.raw).to_string();
        for line in text.lines() {
            self.remember(format!("S> {line}"));
        }
    }

    /// Grades `reply` against `exp` and applies its captures; true when the
    /// code was accepted (passing or alternative).
    pub fn grade(&mut self, exp: &ReplyExpect, reply: &Reply, loc: &Loc) -> bool {
        let line = first_line(reply);
        let expected = expect::describe_codes(&exp.codes);
        let rule = exp.rule.as_deref();
        match expect::judge(exp, reply) {
            Judgement::Pass => {}
            Judgement::TextMismatch(re) => self.violate(
                rule,
                loc,
                format!("{expected} with text matching /{re}/"),
                line,
            ),
            Judgement::Alternative(grade, note) => {
                if let Some(n) = &note {
                    self.found.note(format!("{line}: {n}"));
                }
                let exp_text = match note {
                    Some(n) => format!("{expected} ({n})"),
                    None => expected,
                };
                self.violate_graded(rule, loc, grade, exp_text, line);
            }
            Judgement::Unexpected => {
                self.violate(rule, loc, expected, line);
                return false;
            }
        }
        for (var, why) in expect::capture(exp, reply, &mut self.vars) {
            self.violate(rule, loc, format!("a value for ${{{var}}}"), why);
        }
        true
    }

    /// Reads a reply and grades it.
    pub async fn expect(
        &mut self,
        step: &Step,
        exp: &ReplyExpect,
        t: Duration,
    ) -> Result<Reply, Stop> {
        let reply = self.read_reply(exp, &step.loc, t).await?;
        self.grade(exp, &reply, &step.loc);
        Ok(reply)
    }

    /// Reads the greeting if no reply was read yet: 220, or 120 then 220.
    pub async fn greet(&mut self, loc: &Loc, t: Duration) -> Result<(), Stop> {
        if self.greeted {
            return Ok(());
        }
        let mut reply = self.read_greeting(loc, t).await?;
        if reply.code == 120 {
            reply = self.read_greeting(loc, t).await?;
        }
        if reply.code == 220 {
            return Ok(());
        }
        self.violate_rule(Rule::Greeting220, loc, "220".into(), first_line(&reply));
        Err(Stop::Halt)
    }

    async fn read_greeting(&mut self, loc: &Loc, t: Duration) -> Result<Reply, Stop> {
        self.next_reply(t).await?.map_err(|e| {
            self.violate_rule(Rule::Greeting220, loc, "220".into(), e.to_string());
            Stop::Halt
        })
    }

    // ------------------------------------------------------------ steps

    pub async fn login(&mut self, step: &Step, t: Duration) -> Result<(), Stop> {
        let loc = &step.loc;
        self.greet(loc, t).await?;
        let user = format!("USER {}", self.target.user);
        self.send_line(&user, loc, t).await?;
        let exp = expect::codes(&[230, 331]);
        let reply = self.read_reply(&exp, loc, t).await?;
        if !self.grade(&exp, &reply, loc) {
            return Err(Stop::Halt);
        }
        if reply.code == 230 {
            return Ok(());
        }
        let pass = format!("PASS {}", self.target.pass);
        self.send_line(&pass, loc, t).await?;
        let exp = expect::codes(&[230, 202]);
        let reply = self.read_reply(&exp, loc, t).await?;
        if self.grade(&exp, &reply, loc) {
            Ok(())
        } else {
            Err(Stop::Halt)
        }
    }

    pub async fn send(
        &mut self,
        step: &Step,
        payload: &Payload,
        exp: Option<&ReplyExpect>,
        t: Duration,
    ) -> Result<(), Stop> {
        self.greet(&step.loc, t).await?;
        match payload {
            Payload::Line(tpl) => {
                let line = self.resolve(tpl, &step.loc)?;
                self.send_line(&line, &step.loc, t).await?;
            }
            Payload::Raw(bytes) => self.send_raw(bytes, &step.loc, t).await?,
        }
        if let Some(exp) = exp {
            self.expect(step, exp, t).await?;
        }
        Ok(())
    }

    pub fn set(&mut self, step: &Step, var: &str, value: &Template) -> Result<(), Stop> {
        let v = self.resolve(value, &step.loc)?;
        self.vars.insert(var.to_string(), v);
        Ok(())
    }

    pub async fn disconnect(&mut self, abrupt: bool, t: Duration) {
        self.pending = None;
        let Some(mut ctrl) = self.ctrl.take() else {
            return;
        };
        if abrupt {
            ctrl.abort();
        } else {
            ctrl.close(t.min(Duration::from_secs(2))).await;
        }
    }

    // ------------------------------------------------------------ the end

    /// Lets late stray connections arrive, closes everything, and runs the
    /// timeline checks.
    pub async fn wind_down(&mut self, grace: Duration) {
        if !self.strays_checked {
            tokio::time::sleep(grace).await;
        }
        self.pending = None;
        if let Some(mut ctrl) = self.ctrl.take() {
            ctrl.close(Duration::from_millis(200)).await;
        }
        for trap in self.traps.drain(..) {
            trap.close().await;
        }
        self.thief = None;
        for t in self.thieves.drain(..) {
            t.abort();
        }
        let ctx = CheckCtx {
            case_id: self.case.id.clone(),
            level: self.case.level,
            control: self.control_id,
            passive_range: self.target.passive_range,
        };
        let found = server_checks(&self.tl.events(), &self.negs, &ctx);
        self.merge(found);
    }

    /// Adds findings, skipping violations already reported.
    pub fn merge(&mut self, found: Findings) {
        for v in found.violations {
            let dup = self
                .found
                .violations
                .iter()
                .any(|o| o.rule == v.rule && o.actual == v.actual);
            if !dup {
                self.found.violations.push(v);
            }
        }
        self.found.notes.extend(found.notes);
    }

    /// Writes the outcome into `result`.
    pub fn fill(&mut self, result: &mut CaseResult, stop: Option<Stop>) {
        result.violations = std::mem::take(&mut self.found.violations);
        result.notes = std::mem::take(&mut self.found.notes);
        result.verdict = CaseResult::grade(&result.violations);
        if let Some(Stop::Harness(why)) = stop {
            result.verdict = Verdict::Error;
            result.reason = Some(why);
        }
    }

    pub fn level(&self) -> Level {
        self.case.level
    }
}

pub fn first_line(reply: &Reply) -> String {
    let text = String::from_utf8_lossy(&reply.raw);
    text.lines().next().unwrap_or("").to_string()
}
