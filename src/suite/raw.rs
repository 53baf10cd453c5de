//! Stage 1: serde structs that mirror the suite YAML exactly (kebab-case
//! keys, unknown keys rejected). Values are kept close to the text; stage 2
//! (`validate`) checks them and builds `crate::script` types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::shape::CodesOr;
pub use super::shape::{OneOrMany, RawCode, RawDuration, StrOr};

/// A reply expectation: codes, or the map form [`RawExpectMap`].
pub type RawExpect = CodesOr<RawExpectMap>;

/// `Some(x)` when the key is present, even with a null value (`disconnect:`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// One suite file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "ftpconform suite")]
pub struct RawSuite {
    /// Suite name (default: the file stem).
    pub suite: Option<String>,
    /// Which implementation the cases test: a real `server` (the harness plays
    /// the client) or a real `client` (the harness plays the server).
    pub role: RawRole,
    /// Defaults for every case of the file.
    pub defaults: Option<RawDefaults>,
    pub cases: Vec<RawCase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawRole {
    Server,
    Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawLevel {
    Must,
    Should,
    May,
    Info,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDefaults {
    pub level: Option<RawLevel>,
    pub timeout: Option<RawDuration>,
    pub rfc: Option<OneOrMany<String>>,
    pub requires: Option<Vec<String>>,
}

/// One case. `steps` is for server-role files; `client`, `files`, `rules`
/// and `expect` are for client-role files.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCase {
    /// `[a-z0-9][a-z0-9-]*`, unique within the suite.
    pub id: String,
    pub title: String,
    /// Ids of the requirements (`requirements/rfc*.yaml`) the case tests.
    pub covers: Option<Vec<String>>,
    pub rfc: Option<OneOrMany<String>>,
    pub level: Option<RawLevel>,
    pub requires: Option<Vec<String>>,
    pub timeout: Option<RawDuration>,
    pub steps: Option<Vec<RawStep>>,
    pub client: Option<RawClientTask>,
    pub files: Option<BTreeMap<String, RawFile>>,
    pub rules: Option<Vec<RawRule>>,
    pub expect: Option<RawClientExpect>,
}

// --------------------------------------------------------------- server role

/// A step: a bare keyword or a map with one action key.
pub type RawStep = StrOr<StepWord, RawStepMap>;

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StepWord {
    Login,
    Disconnect,
    ExpectNoStray,
}

/// A step map: exactly one action key (checked in stage 2), `expect` also
/// allowed beside `send` / `raw`, and `timeout` beside any action.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(extend("minProperties" = 1))]
pub struct RawStepMap {
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<RawEmpty>")]
    pub login: Option<Option<RawEmpty>>,
    pub send: Option<String>,
    pub raw: Option<String>,
    pub expect: Option<RawExpect>,
    pub data: Option<RawData>,
    pub transfer: Option<RawTransfer>,
    pub data_expect: Option<RawDataExpect>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<RawNoStray>")]
    pub expect_no_stray: Option<Option<RawNoStray>>,
    pub set: Option<RawSet>,
    pub compare: Option<RawCompare>,
    pub sleep: Option<RawDuration>,
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<RawDisconnect>")]
    pub disconnect: Option<Option<RawDisconnect>>,
    pub timeout: Option<RawDuration>,
}

/// `{}`: an action without parameters in map form (`login: {}`).
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEmpty {}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawData {
    pub mode: RawDataMode,
    pub family: Option<RawFamily>,
    /// Active modes: the (loopback) address to name in PORT/EPRT.
    pub address: Option<String>,
    /// Active modes: the port to name in PORT/EPRT.
    pub port: Option<u16>,
    /// Passive modes: first try to connect from this loopback address.
    pub steal_from: Option<String>,
    pub connect: Option<RawConnect>,
    /// FTPS: whether a protected data connection offers to resume the
    /// control connection's TLS session (default) or starts a fresh one.
    pub tls_session: Option<RawTlsSession>,
    pub expect: Option<RawExpect>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawTlsSession {
    Resume,
    Fresh,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawDataMode {
    Pasv,
    Epsv,
    Port,
    Eprt,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawFamily {
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawConnect {
    Early,
    Late,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawTransfer {
    pub command: String,
    /// Default: from the verb (RETR/LIST/NLST/MLSD download; STOR/APPE/STOU
    /// upload).
    pub direction: Option<RawDirection>,
    pub content: Option<String>,
    pub size: Option<u64>,
    pub at_least: Option<u64>,
    /// A file on disk, relative to the suite file: what an upload sends, or
    /// exactly what a download must bring (read as it flows, never whole).
    pub file: Option<String>,
    #[serde(rename = "match")]
    pub matches: Option<OneOrMany<String>>,
    pub preliminary: Option<RawExpect>,
    pub complete: Option<RawExpect>,
    pub abort_after: Option<u64>,
    /// FTPS upload: end the protected data connection with close_notify
    /// (default true) or with a bare FIN (a truncation, as the server sees
    /// it).
    pub close_notify: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawDirection {
    Download,
    Upload,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDataExpect {
    pub opened_by: Option<RawSide>,
    pub closed_by: Option<RawSide>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawSide {
    Client,
    Server,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawNoStray {
    pub grace: Option<RawDuration>,
}

/// `compare`: two templates (values captured or set earlier) that must be
/// equal (`same: true`) or differ (`same: false`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCompare {
    /// Exactly two templates.
    pub values: Vec<String>,
    pub same: bool,
    /// Rule id reported when the comparison fails (default: the case id).
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSet {
    pub var: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDisconnect {
    pub abrupt: Option<bool>,
}

/// The map form of a reply expectation.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawExpectMap {
    pub code: OneOrMany<RawCode>,
    pub accept: Option<Vec<RawAlternative>>,
    pub text: Option<OneOrMany<String>>,
    pub capture: Option<Vec<RawCapture>>,
    pub rule: Option<String>,
    /// Codes after which the case ends, the reply judged as usual: the
    /// steps after it are not run (a `421`, after which the server closes
    /// the session). `send` / `raw` and `expect` steps and a transfer's
    /// `complete` only.
    pub ends: Option<OneOrMany<RawCode>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAlternative {
    pub code: OneOrMany<RawCode>,
    pub grade: RawGrade,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawGrade {
    NonStrict,
    Unimplemented,
    Info,
}

/// `{var, from}` or `{var, regex, group}`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCapture {
    pub var: String,
    pub from: Option<RawCaptureFrom>,
    pub regex: Option<String>,
    pub group: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawCaptureFrom {
    PasvAddr,
    EpsvPort,
    Text,
}

// --------------------------------------------------------------- client role

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawClientTask {
    pub op: RawOp,
    pub path: Option<String>,
    pub mode: Option<RawClientMode>,
    pub extended: Option<bool>,
    pub family: Option<RawFamily>,
    /// Explicit FTPS (RFC 4217): the client is told to use it (and to
    /// trust the test CA), the fake server offers AUTH TLS, PBSZ and PROT.
    pub tls: Option<bool>,
    /// With `tls: true`: the certificate the fake server presents
    /// (default `good`).
    pub certificate: Option<RawCertificate>,
    /// With `tls: true`: whether the fake server lets a client resume a
    /// TLS session (default true).
    pub resume: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawCertificate {
    /// Signed by the test CA, for the server's address.
    Good,
    /// Signed by the test CA, for another name.
    OtherName,
    /// Self-signed, trusted by no one.
    Untrusted,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawOp {
    List,
    Get,
    Resume,
    Put,
    Mkdir,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawClientMode {
    Passive,
    Active,
}

/// File content: text, or a map: `{size: N}` bytes of a generator
/// (`fill`, default `pattern`), or `{file: PATH}` (relative to the suite).
pub type RawFile = StrOr<String, RawFileBody>;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawFileBody {
    /// Length in bytes of a generated file.
    pub size: Option<u64>,
    /// What generates the bytes: `pattern` (printable 38-byte lines, the
    /// default), `zeros`, `seeded` (pseudo-random bytes from `seed`).
    pub fill: Option<RawFill>,
    /// The seed of `fill: seeded` (default 0).
    pub seed: Option<u64>,
    /// Text repeated to `size` bytes (instead of `fill`).
    pub repeat: Option<String>,
    /// A file on disk, relative to the suite file, read as it is served.
    pub file: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawFill {
    Pattern,
    Zeros,
    Seeded,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRule {
    /// A verb, or `*` for every command.
    pub on: String,
    /// Only the n-th occurrence (1-based).
    pub nth: Option<u32>,
    #[serde(rename = "do")]
    pub actions: Vec<RawAction>,
}

/// An action: a bare keyword or a map with one key.
pub type RawAction = StrOr<ActionWord, RawActionMap>;

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionWord {
    Default,
    NoDataConnection,
    LatePreliminary,
    #[serde(rename = "use-125")]
    Use125,
    Disconnect,
    NoCloseNotify,
    PlaintextData,
    SplitReplies,
    ConnectFromForeign,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
pub struct RawActionMap {
    pub reply: Option<RawReply>,
    pub raw: Option<String>,
    pub pasv: Option<RawPasv>,
    pub close_data_after: Option<u64>,
    pub delay: Option<RawDuration>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawReply {
    pub code: i64,
    pub text: OneOrMany<String>,
    pub style: Option<RawStyle>,
    pub bare_lf: Option<bool>,
    /// Interior lines added before the last one (`padding line N`): a
    /// multiline reply past any sane length (at most 100000).
    pub pad_lines: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawStyle {
    AllCoded,
    Uncoded,
    Indented,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPasv {
    pub address: Option<String>,
    pub shape: Option<RawShape>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawShape {
    Standard,
    TrailingPeriod,
    NoParens,
    LowerCase,
    ExtraText,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawClientExpect {
    pub commands: Option<Vec<StrOr<String, RawCommandPattern>>>,
    pub forbidden: Option<Vec<String>>,
    pub success: Option<bool>,
    pub intact: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCommandPattern {
    pub verb: OneOrMany<String>,
    pub arg: Option<String>,
    pub optional: Option<bool>,
}
