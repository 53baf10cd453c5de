//! The fake client's state during one case, and the control-connection
//! steps: greeting, login, send, expect, set, disconnect.
//!
//! Each step records what it did in the timeline ([`PeerEvent`]s): the
//! reply every wait took, or why none came. The fake client decides only
//! what to do next (a refused USER ends the login); the checks judge.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::control::Control;
use super::family::{self, Ipv4Bound};
use super::template::{self, UnknownVar};
use super::ServerAccess;
use crate::net::{Conn, ControlConn, NetError, PendingAccept, Sides, Trap};
use crate::script::{Case, Payload, ReplyExpect, Step, Template};
use crate::timeline::{Answer, EventKind, Inapplicable, PeerEvent, Purpose, Side, Timeline};
use crate::verdict::Loc;
use crate::wire::addr;
use crate::wire::escape::escape_preview;
use crate::wire::reply::Reply;

/// The fake client's sides on its control and data connections.
pub const AS_CLIENT: Sides = Sides::new(Side::Client, Side::Server);

/// The data connection the next transfer uses.
pub enum PendingData {
    /// Passive, connected right after the reply.
    Connected(Conn),
    /// Passive, to connect after the transfer command was sent.
    Late(SocketAddr),
    /// Active: the server will connect to our listener.
    Active(PendingAccept),
}

/// A bounce trap: a listener on the address a PORT / EPRT named, and
/// whether the server accepted that command (then it may connect there).
pub struct SetTrap {
    pub trap: Trap,
    pub addr: SocketAddr,
    pub accepted: bool,
}

/// How long the end of a case waits for a connection to a trap whose
/// PORT / EPRT the server accepted (such servers connect there, at the
/// command or at the transfer); noted when it expires.
pub const ACCEPTED_TRAP_WAIT: Duration = Duration::from_secs(3);

/// How long closing the control connection waits for the server's own
/// close (and the bytes it still sends): servers close at once on our FIN,
/// so the bound is reached only by one that does not.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// How long the end of a case waits for a final reply owed after a
/// preliminary one (see `settle`).
const OWED_REPLY_GRACE: Duration = Duration::from_millis(300);

/// Why the case stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Later steps are meaningless (the timeline says why).
    Halt,
    /// The harness itself could not go on (the verdict is `error`).
    Harness(String),
}

pub struct FakeClient<'a> {
    pub case: &'a Case,
    pub target: &'a ServerAccess,
    pub tl: Timeline,
    pub ctrl: Option<Control>,
    greeted: bool,
    pub vars: HashMap<String, String>,
    pub pending: Option<PendingData>,
    pub traps: Vec<SetTrap>,
    /// This case's turn on fixed-port listeners (see `hold_fixed_ports`).
    pub fixed_port_turn: Option<tokio::sync::MutexGuard<'static, ()>>,
    /// A theft connection waiting for the transfer (see `release_thief`).
    pub thief: Option<Conn>,
    pub thieves: Vec<JoinHandle<()>>,
    /// An `expect-no-stray` step waited after the last trap or theft was
    /// set.
    pub strays_checked: bool,
    /// FTPS state, once TLS was asked for (see `ftps`).
    pub ftps: Option<Ftps>,
}

/// The fake client's FTPS state in one case (see `ftps`).
pub struct Ftps {
    pub tls: crate::net::tls::Tls,
    /// PROT P is in force: data connections run TLS.
    pub protect: bool,
    /// The next protected data connection starts a fresh TLS session (a
    /// configuration of its own, with no session to resume).
    pub fresh_next: bool,
}

impl<'a> FakeClient<'a> {
    /// Opens the control connection; `Err` is the one-line error reason.
    pub async fn connect(
        case: &'a Case,
        target: &'a ServerAccess,
        tl: &Timeline,
    ) -> Result<FakeClient<'a>, String> {
        let ctrl = ControlConn::connect(target.addr, target.own(), AS_CLIENT, case.timeout, tl)
            .await
            .map_err(|e| e.to_string())?;
        Ok(FakeClient {
            case,
            target,
            tl: tl.clone(),
            vars: template::builtins(target, ctrl.local_addr(), ctrl.peer_addr()),
            ctrl: Some(Control::new(ctrl)),
            greeted: false,
            pending: None,
            traps: Vec::new(),
            fixed_port_turn: None,
            thief: None,
            thieves: Vec::new(),
            strays_checked: true,
            ftps: None,
        })
        .and_then(|mut s| {
            if target.implicit_tls {
                s.implicit_tls()
                    .map_err(|_| "no control connection".to_string())?;
            }
            Ok(s)
        })
    }

    /// Records what the fake client did or saw.
    pub fn record(&self, event: PeerEvent) {
        self.tl.peer(event);
    }

    /// Records an observation for the report.
    pub fn remark(&self, text: impl Into<String>) {
        self.record(PeerEvent::Remark { text: text.into() });
    }

    /// Records a harness note for the transcript (`# suite.yaml:3:9: PASV`).
    pub fn mark(&self, text: String) {
        self.tl.record(EventKind::Note { text });
    }

    pub fn step_timeout(&self, step: &Step) -> Duration {
        step.timeout.unwrap_or(self.case.timeout)
    }

    // ------------------------------------------------------------ control I/O

    pub fn ctrl(&mut self) -> Result<&mut Control, Stop> {
        self.ctrl
            .as_mut()
            .ok_or_else(|| Stop::Harness("the control connection is already closed".into()))
    }

    pub fn resolve(&self, t: &Template, loc: &Loc) -> Result<String, Stop> {
        template::resolve(t, &self.vars)
            .map_err(|UnknownVar(v)| Stop::Harness(format!("{loc}: unknown variable ${{{v}}}")))
    }

    /// Sends a command line (CRLF appended).
    pub async fn send_line(&mut self, line: &str, t: Duration) -> Result<(), Stop> {
        refuse_foreign(line.as_bytes())?;
        let res = self.ctrl()?.send_line(line, t).await;
        self.sent(res)
    }

    async fn send_raw(&mut self, bytes: &[u8], t: Duration) -> Result<(), Stop> {
        refuse_foreign(bytes)?;
        let res = self.ctrl()?.send_raw(bytes, t).await;
        self.sent(res)
    }

    fn sent(&mut self, res: Result<(), NetError>) -> Result<(), Stop> {
        let Err(e) = res else {
            return Ok(());
        };
        self.record(PeerEvent::NotSent {
            reason: e.to_string(),
        });
        Err(Stop::Halt)
    }

    /// Waits for the next reply, for `purpose`, and records which reply
    /// answered (or why none did); a timeout, close or malformed reply
    /// stops the case.
    pub async fn await_reply(&mut self, purpose: Purpose, t: Duration) -> Result<Reply, Stop> {
        let telnet = self.ctrl()?.telnet_seen();
        let res = self.ctrl()?.reply(t).await;
        self.greeted = true;
        self.telnet_remark(telnet);
        let (answer, reply) = match res {
            Ok((n, reply)) => (Answer::Reply(n), Some(reply)),
            Err(e) => (Answer::Failed(e.to_string()), None),
        };
        self.record(PeerEvent::Awaited { purpose, answer });
        reply.ok_or(Stop::Halt)
    }

    /// Notes the Telnet commands (RFC 959 5.2) the server sent since
    /// `before`: taken out of its replies, they are seen only here and in
    /// the control connection's bytes.
    fn telnet_remark(&self, before: (u32, u32)) {
        let Some(now) = self.ctrl.as_ref().map(Control::telnet_seen) else {
            return;
        };
        let (negotiations, others) = (now.0 - before.0, now.1 - before.1);
        if negotiations + others > 0 {
            self.remark(format!(
                "the server sent {negotiations} Telnet option negotiation(s) (IAC WILL/WONT/DO/DONT) \
                 and {others} other Telnet command(s) on the control connection; taken out of its replies"
            ));
        }
    }

    /// Sets the variables `exp` captures from `reply` (the checks report
    /// the captures that find no value).
    pub fn capture(&mut self, exp: &ReplyExpect, reply: &Reply) {
        let text = reply.text();
        for cap in &exp.captures {
            if let Ok(v) = cap.from.extract(&text) {
                self.vars.insert(cap.var.clone(), v);
            }
        }
    }

    /// Reads a reply for the step's own expectation.
    pub async fn expect(&mut self, exp: &ReplyExpect, t: Duration) -> Result<Reply, Stop> {
        let reply = self.await_reply(Purpose::Expect, t).await?;
        self.capture(exp, &reply);
        self.unless_unimplemented(exp, &reply)?;
        if exp.ends_case(reply.code) {
            self.remark(format!(
                "{} ends the case (`ends:`): the later steps are not run",
                reply.code
            ));
            return Err(Stop::Halt);
        }
        Ok(reply)
    }

    /// Stops the case when `reply` answered `exp` with a code the suite
    /// grades `unimplemented`: what the later steps build on is missing,
    /// so they are not run (and cannot fail for it).
    pub fn unless_unimplemented(&self, exp: &ReplyExpect, reply: &Reply) -> Result<(), Stop> {
        if !exp.unimplemented(reply.code) {
            return Ok(());
        }
        self.record(PeerEvent::Inapplicable(Inapplicable::Unimplemented));
        Err(Stop::Halt)
    }

    /// Reads the greeting if no reply was read yet: 220, or 120 then 220.
    pub async fn greet(&mut self, t: Duration) -> Result<(), Stop> {
        if self.greeted {
            return Ok(());
        }
        let mut reply = self.await_reply(Purpose::Greeting, t).await?;
        if reply.code == 120 {
            reply = self.await_reply(Purpose::Greeting, t).await?;
        }
        match reply.code {
            220 => Ok(()),
            _ => Err(Stop::Halt),
        }
    }

    // ------------------------------------------------------------ steps

    pub async fn login(&mut self, t: Duration) -> Result<(), Stop> {
        self.greet(t).await?;
        let user = format!("USER {}", self.target.user);
        self.send_line(&user, t).await?;
        let reply = self.await_reply(Purpose::User, t).await?;
        if !ReplyExpect::user().accepts(reply.code) {
            return Err(Stop::Halt);
        }
        if reply.code == 230 {
            return Ok(());
        }
        let pass = format!("PASS {}", self.target.pass);
        self.send_line(&pass, t).await?;
        let reply = self.await_reply(Purpose::Pass, t).await?;
        match ReplyExpect::pass().accepts(reply.code) {
            true => Ok(()),
            false => Err(Stop::Halt),
        }
    }

    pub async fn send(
        &mut self,
        step: &Step,
        payload: &Payload,
        exp: Option<&ReplyExpect>,
        t: Duration,
    ) -> Result<(), Stop> {
        self.greet(t).await?;
        let mut sent = None;
        match payload {
            Payload::Line(tpl) => {
                let line = self.resolve(tpl, &step.loc)?;
                let bound = family::command_line(&line);
                self.applies(step, bound, t).await?;
                self.send_line(&line, t).await?;
                sent = Some(line);
            }
            Payload::Raw(bytes) => self.send_raw(bytes, t).await?,
        }
        if let Some(exp) = exp {
            let reply = self.expect(exp, t).await?;
            if let Some(line) = sent {
                self.after_reply(&line, &reply, t).await?;
            }
        }
        Ok(())
    }

    /// `Ok` when the step applies on this control connection (always over
    /// IPv4; see [`family`]); otherwise sends the probe, waits for its
    /// answer, records why the case does not apply and stops it.
    pub async fn applies(
        &mut self,
        step: &Step,
        bound: Option<Ipv4Bound>,
        t: Duration,
    ) -> Result<(), Stop> {
        let Some(bound) = bound.filter(|_| self.target.addr.is_ipv6()) else {
            return Ok(());
        };
        if let Some(probe) = &bound.probe {
            let loc = &step.loc;
            self.mark(format!(
                "{loc}: {probe} (a probe: IPv4 only, not applicable on IPv6)"
            ));
            if self.send_line(probe, t).await.is_ok() {
                // Its answer, or why none came, is in the timeline.
                let _ = self.await_reply(Purpose::Probe, t).await;
            }
        }
        let why = format!(
            "not applicable on an IPv6 control connection: {}",
            bound.why
        );
        self.record(PeerEvent::Inapplicable(Inapplicable::Family { why }));
        Err(Stop::Halt)
    }

    pub fn set(&mut self, step: &Step, var: &str, value: &Template) -> Result<(), Stop> {
        let v = self.resolve(value, &step.loc)?;
        self.vars.insert(var.to_string(), v);
        Ok(())
    }

    /// Records the two values of a `compare` step (the checks judge them);
    /// a variable whose capture found no value is recorded as such.
    pub fn compare(&self, left: &Template, right: &Template) {
        let value = |t: &Template| template::resolve(t, &self.vars).ok();
        self.record(PeerEvent::Compared {
            left: value(left),
            right: value(right),
        });
    }

    pub async fn disconnect(&mut self, abrupt: bool, t: Duration) {
        if !abrupt {
            self.settle().await;
        }
        self.pending = None;
        let Some(mut ctrl) = self.ctrl.take() else {
            return;
        };
        if abrupt {
            ctrl.abort();
        } else {
            ctrl.close(t.min(CLOSE_LINGER)).await;
        }
    }

    // ------------------------------------------------------------ the end

    /// Before the control connection closes: closes the data connection
    /// still pending, then, when the last reply was preliminary (a `150`
    /// the step did not expect), waits at most [`OWED_REPLY_GRACE`] for the
    /// final reply the server owes. A server may send it only once the data
    /// connection closes, and whether it does before it sees the control
    /// connection close is a race inside the server; the wait takes the
    /// race out (the reply's bytes are on the timeline; no step awaits it).
    async fn settle(&mut self) {
        self.pending = None;
        if let Some(ctrl) = self.ctrl.as_mut().filter(|c| c.owed()) {
            let _ = ctrl.reply(OWED_REPLY_GRACE).await;
        }
    }

    /// Lets late stray connections arrive: for `grace`, and for a trap
    /// whose PORT / EPRT the server accepted, until it caught a connection
    /// (at most `ACCEPTED_TRAP_WAIT`). What was not waited for is noted.
    pub async fn await_strays(&mut self, grace: Duration) {
        let fmt = crate::net::fmt_duration;
        let deadline = tokio::time::Instant::now() + ACCEPTED_TRAP_WAIT.max(grace);
        let mut missed = Vec::new();
        for t in self.traps.iter_mut().filter(|t| t.accepted) {
            if tokio::time::timeout_at(deadline, t.trap.caught())
                .await
                .is_err()
            {
                missed.push(t.addr.to_string());
            }
        }
        tokio::time::sleep(grace).await;
        self.strays_checked = true;
        if !missed.is_empty() {
            self.remark(format!(
                "no connection to {} within {} though the server accepted the address; a later one would not be seen",
                missed.join(", "),
                fmt(ACCEPTED_TRAP_WAIT.max(grace))
            ));
        }
        self.remark(format!(
            "stray connections watched for {} more; a later one would not be seen",
            fmt(grace)
        ));
    }

    /// Lets late stray connections arrive (unless a step waited already),
    /// then closes everything.
    pub async fn wind_down(&mut self, grace: Duration) {
        if !self.strays_checked {
            self.await_strays(grace).await;
        }
        self.settle().await;
        if let Some(mut ctrl) = self.ctrl.take() {
            ctrl.close(CLOSE_LINGER).await;
        }
        for t in self.traps.drain(..) {
            t.trap.close().await;
        }
        self.thief = None;
        for t in self.thieves.drain(..) {
            t.abort();
        }
    }
}

/// Network safety, at run time: a PORT, EPRT or LPRT naming a host outside
/// loopback is never sent to a server, whatever `${var}` it came from (the
/// loader refuses the literal ones), unless this thread runs inside a
/// verified topology namespace, whose addresses reach nothing outside it.
fn refuse_foreign(bytes: &[u8]) -> Result<(), Stop> {
    match addr::foreign_in_command(&String::from_utf8_lossy(bytes)) {
        Some(ip) if !crate::topology::inside_verified() => Err(Stop::Harness(format!(
            "refused to send `{}`: it names {ip}, which is not loopback (network safety)",
            escape_preview(bytes, 80)
        ))),
        _ => Ok(()),
    }
}
