//! Internal script types: what a validated suite says to do. No serde here;
//! the suite loader (`suite`) builds these from YAML and every step keeps the
//! file, line and column it came from so that errors and violations point at
//! the YAML.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;

mod body;

pub use body::{Body, BodyReader, PATTERN, PRINTABLE};

use crate::verdict::{Level, Loc, Role};
use crate::wire::addr::PasvShape;
use crate::wire::reply::MultilineStyle;

/// Something a server target can do, named in a case's `requires:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Active mode: PORT (and EPRT with `epsv`), the server connects out.
    Active,
    /// Passive mode: PASV.
    Passive,
    /// The extended commands EPSV and EPRT (RFC 2428).
    Epsv,
    /// `EPSV ALL` (RFC 2428 4); declared by no built-in profile.
    EpsvAll,
    /// The server listens on IPv6 (::1).
    Ipv6,
    /// The user may write: STOR, APPE, STOU, MKD, DELE, RNFR.
    Upload,
    /// Explicit FTPS (RFC 4217): AUTH TLS, PBSZ, PROT, with a certificate
    /// of the test CA.
    Tls,
    /// Implicit FTPS: TLS from the first byte of the control connection
    /// (the practice RFC 4217 does not specify; its port 990 by custom).
    /// A target with it is reached over TLS by every case: the fake client
    /// starts TLS as soon as it connects.
    ImplicitTls,
}

impl Capability {
    /// Every capability, in the order the docs list them.
    pub const ALL: [Capability; 8] = [
        Capability::Active,
        Capability::Passive,
        Capability::Epsv,
        Capability::EpsvAll,
        Capability::Ipv6,
        Capability::Upload,
        Capability::Tls,
        Capability::ImplicitTls,
    ];

    /// What a server at an `ftp://` address is taken to have: everything
    /// but implicit FTPS (which an `ftps://` address names, in place of
    /// explicit FTPS).
    pub fn of_url(implicit_tls: bool) -> Vec<Capability> {
        let other = match implicit_tls {
            true => Capability::Tls,
            false => Capability::ImplicitTls,
        };
        Capability::ALL
            .into_iter()
            .filter(|c| *c != other)
            .collect()
    }

    /// The name used in `requires:` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Active => "active",
            Capability::Passive => "passive",
            Capability::Epsv => "epsv",
            Capability::EpsvAll => "epsv-all",
            Capability::Ipv6 => "ipv6",
            Capability::Upload => "upload",
            Capability::Tls => "tls",
            Capability::ImplicitTls => "implicit-tls",
        }
    }

    /// The capability called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A validated suite file.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Suite name (the file stem unless the file says otherwise).
    pub name: String,
    pub path: Arc<PathBuf>,
    pub role: Role,
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub title: String,
    /// RFC sections checked, e.g. `RFC 959 4.1.2`.
    pub rfc: Vec<String>,
    /// The requirements of the map (`requirements/`) the case tests.
    pub covers: Vec<Cover>,
    pub level: Level,
    /// Capabilities the target must have for the case to run; the runner
    /// skips the case on a target lacking one.
    pub requires: Vec<Capability>,
    /// Default timeout for each step of the case.
    pub timeout: Duration,
    pub loc: Loc,
    /// What the harness does: its role follows from it.
    pub body: CaseBody,
}

impl Case {
    /// Which implementation the case tests.
    pub fn role(&self) -> Role {
        match self.body {
            CaseBody::Server(_) => Role::Server,
            CaseBody::Client(_) => Role::Client,
        }
    }
}

/// A requirement id named in a case's `covers:`, with where it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    /// e.g. `rfc959-4.1.1-pass`.
    pub id: String,
    pub loc: Loc,
}

/// The script of a case, one kind per role, so that a case holds only its
/// own role's data.
#[derive(Debug, Clone)]
pub enum CaseBody {
    /// Server role: the fake client's steps, run in order.
    Server(Vec<Step>),
    /// Client role: what the client under test is asked to do and how the
    /// fake server answers it.
    Client(ClientScript),
}

/// One step with its location and optional timeout override.
#[derive(Debug, Clone)]
pub struct Step {
    pub loc: Loc,
    pub timeout: Option<Duration>,
    pub kind: StepKind,
}

/// A string with `${var}` references, resolved when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Lit(String),
    /// `${name}`: a [`Builtin`] or a variable set or captured earlier.
    Var(String),
}

/// A variable that templates use without defining it; the fake peer of
/// each role in [`Builtin::roles`] sets it when a case starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    User,
    Pass,
    ServerIp,
    ClientIp,
    ForeignIp,
    ServerPort,
    ServerHost,
}

impl Builtin {
    /// The built-in variables, in the order the docs list them.
    pub const ALL: [Builtin; 7] = [
        Builtin::User,
        Builtin::Pass,
        Builtin::ServerIp,
        Builtin::ClientIp,
        Builtin::ForeignIp,
        Builtin::ServerPort,
        Builtin::ServerHost,
    ];

    /// The name written in `${name}`.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::User => "user",
            Builtin::Pass => "pass",
            Builtin::ServerIp => "server_ip",
            Builtin::ClientIp => "client_ip",
            Builtin::ForeignIp => "foreign_ip",
            Builtin::ServerPort => "server_port",
            Builtin::ServerHost => "server_host",
        }
    }

    /// What the value is (one line, for the docs).
    pub fn meaning(self) -> &'static str {
        match self {
            Builtin::User => "the user name: the target's (server role), `anonymous` (client role)",
            Builtin::Pass => "the password: the target's (server role), `ftpconform@` (client role)",
            Builtin::ServerIp => "the server's address on the control connection",
            Builtin::ClientIp => "the client's address on the control connection",
            Builtin::ForeignIp => {
                "a stand-in for another host: 127.0.0.2 (::1 over IPv6, which has one loopback address)"
            }
            Builtin::ServerPort => "the fake server's control port",
            Builtin::ServerHost => {
                "the server's address as a HOST literal (RFC 7151 3.1): `127.0.0.1`, `[::1]`"
            }
        }
    }

    /// The roles whose cases may use it: server role (set by the fake
    /// client), client role (set by the fake server).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Builtin::ServerPort => &[Role::Client],
            Builtin::ServerHost => &[Role::Server],
            _ => &[Role::Server, Role::Client],
        }
    }

    /// The built-in called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// The value of `${foreign_ip}`: the loopback stand-in for "another host"
/// in the family of `local` (the control connection's address): 127.0.0.2,
/// or ::1 for IPv6 (IPv6 loopback has one address).
pub fn foreign_ip(local: IpAddr) -> IpAddr {
    match local {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

/// Bytes to send: a command line (CRLF appended) or raw bytes (sent as is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Line(Template),
    Raw(Vec<u8>),
}

/// One accepted reply code or class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeMatch {
    /// `226`
    Exact(u16),
    /// `2xx`: first digit.
    Class(u8),
    /// `25x`: first two digits.
    Group(u8, u8),
}

impl CodeMatch {
    /// The first digit every matching code has.
    pub fn class(self) -> u8 {
        match self {
            CodeMatch::Exact(n) => (n / 100) as u8,
            CodeMatch::Class(d) | CodeMatch::Group(d, _) => d,
        }
    }

    pub fn matches(self, code: u16) -> bool {
        match self {
            CodeMatch::Exact(c) => c == code,
            CodeMatch::Class(d) => code / 100 == d as u16,
            CodeMatch::Group(a, b) => code / 100 == a as u16 && (code / 10) % 10 == b as u16,
        }
    }
}

/// How a reply that is not among the expected codes grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grade {
    /// Accepted but less precise (e.g. 501 instead of 522).
    NonStrict,
    /// The (optional) command is not implemented (500, 502).
    Unimplemented,
    /// Worth recording, not a failure.
    Info,
}

/// Codes accepted with a lower grade than pass.
#[derive(Debug, Clone)]
pub struct Alternative {
    pub codes: Vec<CodeMatch>,
    pub grade: Grade,
    /// Why this is accepted (shown in the report).
    pub note: Option<String>,
}

/// Where a captured variable's value comes from.
#[derive(Debug, Clone)]
pub enum CaptureFrom {
    /// The address of a 227 reply (`ip:port`), parsed per RFC 1123.
    PasvAddr,
    /// The port of a 229 reply.
    EpsvPort,
    /// A group of a regex over the reply text.
    Regex { re: Regex, group: usize },
    /// The whole reply text.
    Text,
}

#[derive(Debug, Clone)]
pub struct Capture {
    pub var: String,
    pub from: CaptureFrom,
}

/// What a reply must look like.
#[derive(Debug, Clone)]
pub struct ReplyExpect {
    /// Codes that pass.
    pub codes: Vec<CodeMatch>,
    /// Codes accepted with a lower grade.
    pub alternatives: Vec<Alternative>,
    /// Patterns the reply text must match (all of them).
    pub text: Vec<Regex>,
    pub captures: Vec<Capture>,
    /// Rule id reported when this expectation fails (defaults to the case id).
    pub rule: Option<String>,
    /// Codes after which the case ends (the reply is judged as usual): the
    /// steps after it are not run.
    pub ends: Vec<CodeMatch>,
}

impl ReplyExpect {
    /// An expectation of exactly these codes, nothing else.
    pub fn codes(list: &[u16]) -> ReplyExpect {
        ReplyExpect {
            codes: list.iter().map(|c| CodeMatch::Exact(*c)).collect(),
            alternatives: Vec::new(),
            text: Vec::new(),
            captures: Vec::new(),
            rule: None,
            ends: Vec::new(),
        }
    }

    /// What a login step expects of the answer to USER.
    pub fn user() -> ReplyExpect {
        ReplyExpect::codes(&[230, 331])
    }

    /// What a login step expects of the answer to PASS.
    pub fn pass() -> ReplyExpect {
        ReplyExpect::codes(&[230, 202])
    }

    /// True when `code` passes or is an accepted alternative.
    pub fn accepts(&self, code: u16) -> bool {
        let alternatives = self.alternatives.iter().flat_map(|a| &a.codes);
        self.codes
            .iter()
            .chain(alternatives)
            .any(|c| c.matches(code))
    }

    /// True when `code` ends the case (`ends:`).
    pub fn ends_case(&self, code: u16) -> bool {
        self.ends.iter().any(|c| c.matches(code))
    }

    /// True when some passing code is a success (2xx).
    pub fn allows_success(&self) -> bool {
        self.codes.iter().any(|c| c.class() == 2)
    }

    /// True when only success (2xx) codes pass, so that a refusal leaves
    /// nothing for later steps to work on.
    pub fn wants_success(&self) -> bool {
        self.codes.iter().all(|c| c.class() == 2)
    }

    /// True when `code` passes nothing and the first alternative it
    /// matches is graded `unimplemented`: the target lacks what the step
    /// asked for, and later steps that build on it cannot apply.
    pub fn unimplemented(&self, code: u16) -> bool {
        let matches = |codes: &[CodeMatch]| codes.iter().any(|c| c.matches(code));
        !matches(&self.codes)
            && self
                .alternatives
                .iter()
                .find(|a| matches(&a.codes))
                .is_some_and(|a| a.grade == Grade::Unimplemented)
    }
}

impl CaptureFrom {
    /// The value this capture takes from a reply's text, or why there is
    /// none.
    pub fn extract(&self, text: &str) -> Result<String, String> {
        match self {
            CaptureFrom::PasvAddr => crate::wire::addr::parse_pasv_reply(text)
                .map(|a| a.to_string())
                .map_err(|e| format!("no 227 address: {e}")),
            CaptureFrom::EpsvPort => crate::wire::addr::parse_epsv_reply(text)
                .map(|p| p.to_string())
                .map_err(|e| format!("no 229 port: {e}")),
            CaptureFrom::Regex { re, group } => re
                .captures(text)
                .and_then(|c| c.get(*group))
                .map(|m| m.as_str().to_string())
                .ok_or_else(|| format!("/{}/ group {group} did not match", re.as_str())),
            CaptureFrom::Text => Ok(text.to_string()),
        }
    }
}

/// Data-connection negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataMode {
    Pasv,
    Epsv,
    Port,
    Eprt,
}

impl DataMode {
    pub fn verb(self) -> &'static str {
        match self {
            DataMode::Pasv => "PASV",
            DataMode::Epsv => "EPSV",
            DataMode::Port => "PORT",
            DataMode::Eprt => "EPRT",
        }
    }

    pub fn is_passive(self) -> bool {
        matches!(self, DataMode::Pasv | DataMode::Epsv)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

/// Whether a client task asks for EPSV/EPRT: as `extended` says; when it
/// does not say, over IPv6 yes (PASV and PORT cannot carry an IPv6
/// address), over IPv4 no.
pub fn asks_extended(extended: Option<bool>, family: Family) -> bool {
    extended.unwrap_or(family == Family::V6)
}

impl ClientScript {
    /// See [`asks_extended`].
    pub fn asks_extended(&self) -> bool {
        asks_extended(self.extended, self.family)
    }
}

/// Open a data connection: send the negotiation command, check its reply,
/// then (passive) connect or (active) listen.
#[derive(Debug, Clone)]
pub struct DataSetup {
    pub mode: DataMode,
    /// Address family for EPRT/EPSV (`EPSV 2`, `EPRT |2|...`); default: the
    /// control connection's.
    pub family: Option<Family>,
    /// Active modes: the address to name in PORT/EPRT instead of the fake
    /// client's own (must be loopback: 127.0.0.2 for bounce cases).
    pub address: Option<IpAddr>,
    /// Active modes: the port to name (e.g. a privileged port) instead of a
    /// fresh listener's.
    pub port: Option<u16>,
    /// Passive modes: before connecting, try to steal the port from this
    /// loopback address (bind before connect).
    pub steal_from: Option<IpAddr>,
    /// Expected reply to the negotiation command (default 200 / 227 / 229).
    pub expect: Option<ReplyExpect>,
    /// Passive: connect right after the reply (default) or only after the
    /// transfer command was sent.
    pub connect_late: bool,
    /// FTPS: the protected data connection starts a TLS session of its own
    /// instead of offering to resume the control connection's.
    pub fresh_tls_session: bool,
}

impl DataSetup {
    /// What the negotiation reply must be: the step's own expectation, or
    /// 227 / 229 / 200 by mode.
    pub fn reply_expect(&self) -> ReplyExpect {
        let default = match self.mode {
            DataMode::Pasv => 227,
            DataMode::Epsv => 229,
            DataMode::Port | DataMode::Eprt => 200,
        };
        self.expect
            .clone()
            .unwrap_or_else(|| ReplyExpect::codes(&[default]))
    }
}

/// Direction of a transfer on the data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Server to client: RETR, LIST, NLST, MLSD.
    Download,
    /// Client to server: STOR, APPE, STOU.
    Upload,
}

/// What to send (upload) or expect (download).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Exact bytes.
    Bytes(Vec<u8>),
    /// `n` bytes of a deterministic pattern (upload), or exactly `n` bytes
    /// (download).
    Size(u64),
    /// Download: at least `n` bytes.
    AtLeast(u64),
    /// Download: any content; patterns over the text (listings).
    Any,
    /// Exactly the bytes of this body (a file beside the suite), streamed:
    /// what an upload sends, what a download must bring.
    Body(Body),
}

/// Run a transfer command over the open data connection.
#[derive(Debug, Clone)]
pub struct Transfer {
    /// The command, e.g. `RETR hello.txt`.
    pub command: Template,
    pub direction: Direction,
    pub content: Content,
    /// Patterns the received data must match (listings).
    pub data_text: Vec<Regex>,
    /// Preliminary reply (default 125 or 150).
    pub preliminary: ReplyExpect,
    /// Final reply (default 226 or 250).
    pub complete: ReplyExpect,
    /// Abort after this many bytes with ABOR (expect 426 then 226).
    pub abort_after: Option<u64>,
    /// An upload ends its (protected) data connection with close_notify;
    /// `false` closes TCP without it.
    pub close_notify: bool,
}

/// Which side must close the data connection, and checks on who opened it.
#[derive(Debug, Clone)]
pub struct DataExpect {
    pub opened_by: Option<crate::timeline::Side>,
    pub closed_by: Option<crate::timeline::Side>,
}

/// What one step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Log in with the target's credentials (USER/PASS, accepting 230 at
    /// either point).
    Login,
    /// Send a command or raw bytes, then optionally expect a reply.
    Send {
        payload: Payload,
        expect: Option<ReplyExpect>,
    },
    /// Expect a reply without sending anything.
    Expect(ReplyExpect),
    /// Negotiate and open a data connection.
    Data(DataSetup),
    /// Transfer over the data connection opened by the last `Data` step.
    Transfer(Transfer),
    /// Check who opened / closed the last data connection.
    DataExpect(DataExpect),
    /// Check that no connection reached the bounce listener / foreign
    /// address during the case so far (after waiting `grace`).
    ExpectNoStray { grace: Duration },
    /// Set a variable.
    Set { var: String, value: Template },
    /// Compare two values (captured or set earlier): equal when `same`,
    /// different otherwise; `rule` is reported when they are not.
    Compare {
        left: Template,
        right: Template,
        same: bool,
        rule: Option<String>,
    },
    /// Wait.
    Sleep(Duration),
    /// Close the control connection (after QUIT, or abruptly).
    Disconnect { abrupt: bool },
}

// ---------------------------------------------------------------- client role

/// A file of the fake server's virtual tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualFile {
    pub path: String,
    pub content: Body,
}

/// What the client under test is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOp {
    List,
    Get,
    /// A resumed download: the local file holds the first half of the
    /// served file; the client asks for the rest (REST, then RETR).
    Resume,
    Put,
    Mkdir,
    Delete,
}

/// The script of a client-role case: the task given to the client under
/// test, the fake server's files and reply rules, and what the client is
/// expected to do.
#[derive(Debug, Clone)]
pub struct ClientScript {
    pub files: Vec<VirtualFile>,
    pub op: ClientOp,
    /// Path the client works on.
    pub path: String,
    /// Passive (true) or active mode asked of the client.
    pub passive: bool,
    /// Extended commands (EPSV/EPRT, `Some(true)`) or the traditional ones
    /// (PASV/PORT, `Some(false)`) asked of the client; `None`: the case
    /// does not ask (over IPv6 the extended ones, the only ones that carry
    /// an IPv6 address; over IPv4 a command line that can choose asks for
    /// PASV/PORT, a client that cannot runs in its own default mode).
    pub extended: Option<bool>,
    pub family: Family,
    /// Reply rules, most specific first; unmatched verbs get defaults.
    pub rules: Vec<ReplyRule>,
    /// Expected command sequence and outcome.
    pub expect: ClientExpect,
    /// Explicit FTPS (RFC 4217): the client is told to use it and the fake
    /// server offers it; `None`: plain FTP (the fake server answers AUTH
    /// with 502).
    pub tls: Option<ClientTls>,
}

/// FTPS in a client-role case: what the fake server shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientTls {
    /// The certificate the fake server presents after AUTH TLS.
    pub certificate: Certificate,
    /// The fake server keeps TLS sessions, so a client can resume the
    /// control connection's on its data connections; `false`: every
    /// resumption is refused (a full handshake each time).
    pub resume: bool,
}

/// Which certificate the fake server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certificate {
    /// Signed by the test CA (which the client is told to trust), for
    /// the server's address.
    Good,
    /// Signed by the test CA, for another name (`wrong.invalid`).
    OtherName,
    /// Self-signed: no CA the client trusts vouches for it.
    Untrusted,
}

/// On a verb, answer with these actions.
#[derive(Debug, Clone)]
pub struct ReplyRule {
    pub loc: Loc,
    /// Upper-case verb, or `*`.
    pub on: String,
    /// Only the n-th occurrence (1-based) of the verb; `None`: every one.
    pub nth: Option<u32>,
    pub actions: Vec<Action>,
}

/// One thing the fake server does in answer to a command.
#[derive(Debug, Clone)]
pub enum Action {
    /// Send a reply (`code` and lines; multiline in the given style).
    Reply {
        code: u16,
        lines: Vec<Template>,
        style: MultilineStyle,
        bare_lf: bool,
    },
    /// Send raw bytes.
    Raw(Vec<u8>),
    /// The normal behaviour for this verb (default reply, data handling).
    Default,
    /// Answer PASV with a 227 naming `address` (default: the control
    /// address) in the given shape.
    Pasv {
        address: Option<IpAddr>,
        shape: PasvShape,
    },
    /// Do not accept (passive) or open (active) the data connection.
    NoDataConnection,
    /// Close the data connection after `n` bytes (a short transfer).
    CloseDataAfter(u64),
    /// Send 150 only after the data connection has closed.
    LatePreliminary,
    /// Use 125 instead of 150.
    Use125,
    /// FTPS: end the next protected download by closing TCP
    /// without a TLS close_notify (a truncation the client must notice).
    NoCloseNotify,
    /// FTPS: run the next data connection in plaintext although PROT P is
    /// in force (a protected client must refuse its bytes).
    PlaintextData,
    /// Open the next active data connection from the foreign host
    /// (127.0.0.2) instead of the server's address: a third party that
    /// reached the client's PORT first.
    ConnectFromForeign,
    /// From here on, every reply goes out one byte per write, a
    /// millisecond apart (a segment per byte: RFC 1123 4.1.2.10, a reply
    /// end is a CRLF, never a read boundary).
    SplitReplies,
    /// Wait before the next action.
    Delay(Duration),
    /// Close the control connection.
    Disconnect,
}

/// Expected client behaviour.
#[derive(Debug, Clone)]
pub struct ClientExpect {
    /// Command patterns in order; harmless extras are tolerated.
    pub commands: Vec<CommandPattern>,
    /// Commands that must not appear.
    pub forbidden: Vec<String>,
    /// Expected client exit: success or failure.
    pub success: Option<bool>,
    /// For downloads and uploads: the bytes must arrive intact.
    pub intact: bool,
}

/// One expected command: a verb, an optional argument regex, optional or
/// one of several alternatives.
#[derive(Debug, Clone)]
pub struct CommandPattern {
    pub loc: Loc,
    /// Alternatives (any one matches), upper-case verbs.
    pub verbs: Vec<String>,
    pub arg: Option<Regex>,
    pub optional: bool,
}
