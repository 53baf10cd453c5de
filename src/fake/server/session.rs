//! One control session of the fake server: greets, reads commands, answers
//! each by the case's rules (or the defaults in `verbs`), and runs transfers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use super::rules::{self, RuleBook};
use super::transfer::{Mods, Pending};
use super::vfs::Vfs;
use crate::net::tls::{ServerTls, Tls, Which};
use crate::net::{ControlConn, NetError, Trap};
use crate::script::{foreign_ip, Action, Builtin, Certificate, ClientOp, ClientScript, ClientTls};
use crate::timeline::Timeline;
use crate::wire::command::{Command, CommandDecoder};
use crate::wire::line::LineEnd;
use crate::wire::reply::{self, emit_line};

/// Verbs that move data over a data connection.
pub const TRANSFER_VERBS: &[&str] = &["RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD"];

/// Whether the session goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    End,
}

/// How long writing a reply may take (the client must read it).
const REPLY_WAIT: Duration = Duration::from_secs(5);

/// The pause between the bytes of a split reply.
const SPLIT_GAP: Duration = Duration::from_millis(1);

/// The state of one fake-server session.
pub struct ServerSession {
    pub ctl: ControlConn<CommandDecoder>,
    pub timeline: Timeline,
    pub vfs: Vfs,
    pub rules: RuleBook,
    pub vars: HashMap<String, String>,
    pub pending: Pending,
    pub mods: Mods,
    pub rest: u64,
    /// Per-step wait (the case timeout).
    pub wait: Duration,
    /// How long the session may idle waiting for a command.
    pub idle: Duration,
    /// Trap listeners; they stop when the session ends.
    pub traps: Vec<Trap>,
    pub notes: Vec<String>,
    pub rename_from: Option<String>,
    /// FTPS, when the case offers it.
    pub ftps: Option<Ftps>,
    /// Replies go out a byte per write (`split-replies`).
    pub split: bool,
}

impl ServerSession {
    pub fn new(
        ctl: ControlConn<CommandDecoder>,
        timeline: Timeline,
        fs: &ClientScript,
        wait: Duration,
        idle: Duration,
    ) -> ServerSession {
        let vars = variables(&ctl);
        let ftps = fs.tls.map(|t| Ftps::new(&timeline, t));
        ServerSession {
            ctl,
            timeline,
            vfs: server_tree(fs),
            rules: RuleBook::new(&fs.rules),
            vars,
            pending: Pending::None,
            mods: Mods::default(),
            rest: 0,
            wait,
            idle,
            traps: Vec::new(),
            notes: Vec::new(),
            rename_from: None,
            ftps,
            split: false,
        }
    }

    /// Runs the session to its end; returns the notes gathered.
    pub async fn run(mut self) -> Vec<String> {
        match self.greet().await {
            Ok(Flow::Continue) => {}
            Ok(Flow::End) => return self.notes,
            Err(e) => {
                self.notes.push(format!("greeting not sent: {e}"));
                return self.notes;
            }
        }
        loop {
            let flow = match self.ctl.recv(self.idle).await {
                Ok(cmd) => self.answer(&cmd).await,
                Err(NetError::BadCommand(e)) => {
                    self.send(&emit_line(500, &format!("Syntax error ({e})")))
                        .await
                }
                Err(NetError::Closed) => Ok(Flow::End),
                Err(e) => Err(e),
            };
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::End) => break,
                Err(e) => {
                    self.notes.push(format!("fake server: {e}"));
                    break;
                }
            }
        }
        self.ctl.shutdown().await;
        self.notes
    }

    /// The greeting: a `GREETING` rule's actions, then the default 220
    /// unless they replied.
    async fn greet(&mut self) -> Result<Flow, NetError> {
        let actions = self.rules.greeting_actions().unwrap_or_default();
        let flow = self.run_actions(None, &actions).await?;
        if flow == Flow::End || rules::answers(&actions) {
            return Ok(flow);
        }
        self.send(&emit_line(220, "ftpconform fake server ready"))
            .await
    }

    pub async fn send(&mut self, bytes: &[u8]) -> Result<Flow, NetError> {
        if !self.split {
            self.ctl.send(bytes, REPLY_WAIT).await?;
            return Ok(Flow::Continue);
        }
        // TCP_NODELAY is on: each byte leaves in its own segment.
        for (i, byte) in bytes.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(SPLIT_GAP).await;
            }
            self.ctl
                .send(std::slice::from_ref(byte), REPLY_WAIT)
                .await?;
        }
        Ok(Flow::Continue)
    }

    /// Answers one command by its rule, or by default.
    async fn answer(&mut self, cmd: &Command) -> Result<Flow, NetError> {
        match self.rules.actions_for(&cmd.verb) {
            None => self.default_reply(cmd).await,
            Some(actions) => self.run_actions(Some(cmd), &actions).await,
        }
    }

    /// Runs a rule's actions in order. For a transfer verb whose actions
    /// include `default`, a modifier or a 1xx reply, the transfer runs after
    /// the other actions, with 1xx replies as its preliminary reply and other
    /// replies as its last reply. Actions that say nothing to reply get the
    /// default reply after them.
    async fn run_actions(
        &mut self,
        cmd: Option<&Command>,
        actions: &[Action],
    ) -> Result<Flow, NetError> {
        let transfer = cmd.is_some_and(|c| TRANSFER_VERBS.contains(&c.verb.as_str()))
            && runs_transfer(actions);
        for action in actions {
            if self.run_action(cmd, action, transfer).await? == Flow::End {
                return Ok(Flow::End);
            }
        }
        match cmd {
            Some(c) if transfer => self.transfer(c).await,
            Some(c) if !rules::answers(actions) => self.default_reply(c).await,
            _ => Ok(Flow::Continue),
        }
    }

    async fn run_action(
        &mut self,
        cmd: Option<&Command>,
        action: &Action,
        transfer: bool,
    ) -> Result<Flow, NetError> {
        match action {
            Action::Reply {
                code,
                lines,
                style,
                bare_lf,
            } => {
                let lines: Vec<String> =
                    lines.iter().map(|t| rules::render(t, &self.vars)).collect();
                let end = if *bare_lf {
                    LineEnd::BareLf
                } else {
                    LineEnd::CrLf
                };
                let bytes = reply::emit(*code, &lines, *style, end);
                if !transfer {
                    return self.send(&bytes).await;
                }
                match *code < 200 {
                    true => self.mods.preliminary = Some(bytes),
                    false => self.mods.last = Some(bytes),
                }
            }
            Action::Raw(bytes) => return self.send(bytes).await,
            Action::Default => match cmd {
                Some(c) if !transfer => return self.default_reply(c).await,
                _ => {}
            },
            Action::Pasv { address, shape } => return self.pasv(*address, *shape).await,
            Action::NoDataConnection => self.mods.no_data = true,
            Action::CloseDataAfter(n) => self.mods.close_after = Some(*n),
            Action::LatePreliminary => self.mods.late_preliminary = true,
            Action::Use125 => self.mods.use125 = true,
            Action::NoCloseNotify => self.mods.no_close_notify = true,
            Action::PlaintextData => self.mods.plaintext = true,
            Action::SplitReplies => self.split = true,
            Action::ConnectFromForeign => self.mods.from_foreign = true,
            Action::Delay(d) => tokio::time::sleep(*d).await,
            Action::Disconnect => {
                self.ctl.shutdown().await;
                return Ok(Flow::End);
            }
        }
        Ok(Flow::Continue)
    }
}

/// The FTPS state of one session (its commands: `ftps.rs`).
pub struct Ftps {
    pub tls: Tls,
    /// TLS runs on the control connection.
    pub control: bool,
    /// PBSZ was accepted.
    pub pbsz: bool,
    /// PROT P is in force: data connections run TLS.
    pub protect: bool,
}

impl Ftps {
    /// The FTPS of a case recorded in `tl`: one server configuration for
    /// the control connection and every data connection of the session
    /// (sessions are kept, so that they can be resumed, unless the case
    /// refuses resumption).
    pub fn new(tl: &Timeline, case: ClientTls) -> Ftps {
        let which = match case.certificate {
            Certificate::Good => Which::Good,
            Certificate::OtherName => Which::OtherName,
            Certificate::Untrusted => Which::Untrusted,
        };
        Ftps {
            tls: Tls::Server(ServerTls::new(tl, which, case.resume)),
            control: false,
            pbsz: false,
            protect: false,
        }
    }
}

/// Whether a transfer verb's actions still move data.
fn runs_transfer(actions: &[Action]) -> bool {
    actions.iter().any(|a| {
        matches!(
            a,
            Action::Default
                | Action::NoDataConnection
                | Action::CloseDataAfter(_)
                | Action::LatePreliminary
                | Action::Use125
                | Action::NoCloseNotify
                | Action::PlaintextData
                | Action::ConnectFromForeign
        ) || matches!(a, Action::Reply { code, .. } if *code < 200)
    })
}

/// The server's tree: the case's files, except the file a `put` uploads
/// (the client holds it; the server starts without it).
fn server_tree(fs: &ClientScript) -> Vfs {
    let mut vfs = Vfs::new(&fs.files);
    if fs.op == ClientOp::Put {
        vfs.remove_file(&format!("/{}", fs.path.trim_start_matches('/')));
    }
    vfs
}

/// The user name and password the client under test is given.
pub const USER: &str = "anonymous";
pub const PASS: &str = "ftpconform@";

/// The built-in variables of a client-role session ([`Builtin`]).
fn variables(ctl: &ControlConn<CommandDecoder>) -> HashMap<String, String> {
    let (local, peer) = (ctl.local_addr(), ctl.peer_addr());
    let value = |b| builtin(b, local, peer).map(|v| (b.name().to_string(), v));
    Builtin::ALL.into_iter().filter_map(value).collect()
}

/// One built-in's value on the control connection from `peer` to `local`.
fn builtin(b: Builtin, local: SocketAddr, peer: SocketAddr) -> Option<String> {
    Some(match b {
        Builtin::User => USER.to_string(),
        Builtin::Pass => PASS.to_string(),
        Builtin::ServerIp => local.ip().to_string(),
        Builtin::ClientIp => peer.ip().to_string(),
        Builtin::ForeignIp => foreign_ip(local.ip()).to_string(),
        Builtin::ServerPort => local.port().to_string(),
        Builtin::ServerHost => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Role;

    #[test]
    fn sets_every_builtin_of_client_role_cases() {
        let (local, peer) = ("[::1]:2121".parse().unwrap(), "[::1]:4000".parse().unwrap());
        for b in Builtin::ALL {
            let client_role = b.roles().contains(&Role::Client);
            assert_eq!(
                builtin(b, local, peer).is_some(),
                client_role,
                "{}",
                b.name()
            );
        }
        assert_eq!(
            builtin(Builtin::ForeignIp, local, peer).as_deref(),
            Some("::1")
        );
    }
}
