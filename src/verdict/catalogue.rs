//! The catalogue: every rule the harness itself checks, in one typed list
//! (id, RFC section, level, which peer it judges, what it means).
//!
//! Suites declare rules of their own (`rule:` on an expectation, by
//! default the case id); those are not listed here. `ftpconform rules`
//! prints this list and `docs/rules.md` is generated from it
//! ([`markdown`]).

use super::{Level, Role, Verdict};

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub rule: Rule,
    /// The id violations and reports use, e.g. `bounce-refused`.
    pub id: &'static str,
    /// The RFC section the rule comes from (a violation may cite a more
    /// precise one).
    pub rfc: &'static str,
    /// The rule's own level; a case of a weaker level softens it.
    pub level: Level,
    /// The implementation the rule judges.
    pub role: Role,
    /// What the rule asks, in one line.
    pub meaning: &'static str,
    /// When the rule guards against an attack: its class, with the CVE
    /// where one is known. A break where the peer did the dangerous thing
    /// fails whatever the level ([`super::Violation::dangerous`]).
    pub security: Option<&'static str>,
}

macro_rules! catalogue {
    (@security) => { None };
    (@security $class:literal) => { Some($class) };
    ($($rule:ident: $id:literal, $rfc:literal, $level:ident, $role:ident, $meaning:literal
        $(, security: $class:literal)?;)*) => {
        /// A rule of the catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($rule,)*
        }

        /// Every rule, in catalogue order.
        pub const CATALOGUE: &[Entry] = &[$(Entry {
            rule: Rule::$rule,
            id: $id,
            rfc: $rfc,
            level: Level::$level,
            role: Role::$role,
            meaning: $meaning,
            security: catalogue!(@security $($class)?),
        },)*];
    };
}

catalogue! {
    TlsHandshake: "tls-handshake", "RFC 4217 4.1", Must, Server,
        "After answering AUTH TLS with 234 (with implicit FTPS: on connect, before the greeting) the server completes a TLS handshake on the control connection (with a certificate the client can verify).";
    TlsDataHandshake: "tls-data-handshake", "RFC 4217 7", Must, Server,
        "After PROT P each data connection completes a TLS handshake in which the FTP client is the TLS client, whichever side connected.";
    TlsDataCloseNotify: "tls-data-close-notify", "RFC 8446 6.1", Should, Server,
        "The server ends a protected download with a TLS close_notify before closing TCP (otherwise the end cannot be told from a truncation).";
    Greeting220: "greeting-220", "RFC 959 5.4", Must, Server,
        "A new control connection is greeted with 220 (or 120, then 220).";
    AbortReplies: "abort-replies", "RFC 959 4.1.3", Must, Server,
        "ABOR during a transfer is answered 426 then 226, or 226 alone (500 or 502: unimplemented).";
    TransferContent: "transfer-content", "RFC 959 4.1.3", Must, Server,
        "A completed download delivers what the case expects: the exact bytes, the size, the listing patterns.";
    PreliminaryBeforeData: "preliminary-before-data", "RFC 959 5.4", Must, Server,
        "A transfer command is answered 125 or 150 before its final reply.";
    DownloadClosedByServer: "download-closed-by-server", "RFC 959 3.3", Must, Server,
        "The server ends a stream-mode download by closing the data connection (should: before the final reply, within 1 s of the reply and of its last data byte).";
    UploadClosedByClient: "upload-closed-by-client", "RFC 959 3.4.1", Must, Server,
        "The client's close ends an upload: the server neither closes first nor confirms before it.";
    ActiveServerConnects: "active-server-connects", "RFC 959 3.2", Must, Server,
        "After PORT or EPRT and a transfer command, the server opens the data connection to the named address.";
    PasvAddressMatchesControl: "pasv-address-matches-control", "RFC 959 4.1.2", Should, Server,
        "A 227 names the server address of the control connection.";
    PasvPortInRange: "pasv-port-in-range", "RFC 959 4.1.2", Should, Server,
        "A passive port lies within the range the server was configured with.";
    BounceRefused: "bounce-refused", "RFC 2577 3", Must, Server,
        "A PORT or EPRT naming another host is refused, and nothing connects there.",
        security: "FTP bounce (CVE-1999-0017)";
    PrivilegedPortRefused: "privileged-port-refused", "RFC 2577 3", Must, Server,
        "A PORT or EPRT naming a port below 1024 is refused (504 suggested), and nothing connects there.",
        security: "FTP bounce to a privileged port (CVE-1999-0017)";
    PassiveTheftRefused: "passive-theft-refused", "RFC 2577 8", Must, Server,
        "A passive port serves only the client: no data to or from a connection from another address (should: the client's own transfer still succeeds).",
        security: "passive port theft (CVE-1999-0351, Pizza Thief)";
    ClientCommandSequence: "client-command-sequence", "RFC 959 5.4", Must, Client,
        "The client sends the expected commands in order; harmless extras may come between them.";
    ClientForbiddenCommand: "client-forbidden-command", "RFC 959 5.4", Must, Client,
        "The client sends none of the commands the case forbids.";
    PassiveDataFromControlAddress: "passive-data-from-control-address", "RFC 959 3.2", Must, Client,
        "A passive client opens data connections from its control address to the server's.";
    ClientTrustsPasvAddress: "client-trusts-pasv-address", "RFC 2577 5", Must, Client,
        "A client does not connect to a 227 address other than the control connection's server.",
        security: "trusting the PASV address (CVE-2020-8284 curl, CVE-2021-4189 Python ftplib)";
    ClientVerifiesActiveSource: "client-verifies-active-source", "RFC 2577 4", Should, Client,
        "In active mode a client takes a data connection only from the server's address: no download saved from, no upload sent to, a connection from another host.",
        security: "active-mode data injection or theft (a third party connecting first to the PORT address)";
    ActiveAddressParses: "active-address-parses", "RFC 959 4.1.2", Must, Client,
        "A PORT or EPRT argument is well formed (RFC 2428 2 for EPRT).";
    ActiveAddressMatchesControl: "active-address-matches-control", "RFC 959 4.1.2", Must, Client,
        "A PORT or EPRT names the client's control address, never an unspecified, private or third-party one.";
    ClientBytesIntact: "client-bytes-intact", "RFC 959 3.1.1.3", Must, Client,
        "An image-type transfer keeps every byte: the downloaded file, the upload, every name of a listing.";
    ClientExitStatus: "client-exit-status", "RFC 959 4.2", Must, Client,
        "The client reports the outcome the replies gave (success or failure) and ends by itself.";
    ClientTelnetNegotiation: "client-telnet-negotiation", "RFC 1123 4.1.2.12", Must, Client,
        "A client never negotiates Telnet options on the control connection (no IAC WILL, WONT, DO or DONT; RFC 3659 2.2 too).";
    ClientTelnetControls: "client-telnet-controls", "RFC 1123 4.1.2.12", Must, Client,
        "A client sends no Telnet command on the control connection but IP and Synch (IAC IP, IAC DM, before ABOR); IAC IAC is an escaped data byte.";
    ClientRestLast: "client-rest-last", "RFC 3659 5.3", Must, Client,
        "A REST is the last command before the RETR, STOR or APPE it restarts (PASV, TYPE, SIZE come before it).";
    ClientHostBeforeUser: "client-host-before-user", "RFC 7151 3.2.2", Must, Client,
        "A client that sends HOST sends it before USER on each connection, and again after a REIN (RFC 7151 3.2.1).";
    ClientHostArgument: "client-host-argument", "RFC 7151 3.1", Must, Client,
        "A HOST argument is a host name, an IPv4 literal or a bracketed IPv6 literal, never with a port.";
    ClientHostNamesServer: "client-host-names-server", "RFC 7151 3.1", Should, Client,
        "A HOST address literal is the address the client was told to reach.";
    TlsClientAuthFirst: "tls-client-auth-first", "RFC 4217 4", Must, Client,
        "A client told to use FTPS has AUTH TLS accepted before it sends USER (no login in plaintext).",
        security: "FTPS downgrade: the login sent in plaintext";
    TlsClientPbszBeforeProt: "tls-client-pbsz-before-prot", "RFC 4217 9", Must, Client,
        "A client sends PBSZ 0 before PROT (RFC 4217 9: the PROT command MUST be preceded by a PBSZ command).";
    TlsClientProtP: "tls-client-prot-p", "RFC 4217 8", Must, Client,
        "A client told to use FTPS has PROT P in force before each transfer command.";
    TlsClientDataHandshake: "tls-client-data-handshake", "RFC 4217 7", Must, Client,
        "Each data connection after PROT P completes a TLS handshake with the client as TLS client, whichever side connected.";
    TlsClientNoResume: "tls-client-no-resume", "RFC 4217 7", Should, Client,
        "A protected data connection resumes the control connection's TLS session (a server with vsftpd's require_ssl_reuse=YES refuses it otherwise).";
    TlsClientCloseNotify: "tls-client-close-notify", "RFC 8446 6.1", Should, Client,
        "An uploading client ends a protected data connection with a TLS close_notify before closing TCP.";
    TlsClientVerifiesCertificate: "tls-client-verifies-certificate", "RFC 6125 6", Must, Client,
        "A client neither logs in nor moves data over TLS with a server certificate that is not for the server's name or not from a CA it trusts.",
        security: "man in the middle: an unverified server certificate accepted";
}

impl Rule {
    /// This rule's catalogue entry.
    pub fn entry(self) -> &'static Entry {
        // The list is in enum order (a test keeps it so).
        &CATALOGUE[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.entry().id
    }

    pub fn rfc(self) -> &'static str {
        self.entry().rfc
    }

    pub fn level(self) -> Level {
        self.entry().level
    }

    /// The attack class the rule guards against, if it does.
    pub fn security(self) -> Option<&'static str> {
        self.entry().security
    }

    /// How a break of this rule grades in a case of level `case`: the
    /// weaker of the rule's level and the case's.
    pub fn grade(self, case: Level) -> Verdict {
        Verdict::for_level(self.level().max(case))
    }
}

/// The catalogue as aligned text columns: id, RFC section, level, role,
/// meaning (and the security class, if any).
pub fn text() -> String {
    let width = |f: fn(&Entry) -> usize| CATALOGUE.iter().map(f).max().unwrap_or(0);
    let (id_w, rfc_w) = (width(|e| e.id.len()), width(|e| e.rfc.len()));
    let mut out = String::new();
    for e in CATALOGUE {
        let (id, rfc, level, role) = (e.id, e.rfc, e.level.as_str(), e.role.as_str());
        let security = e.security.map(|c| format!(" [security: {c}]"));
        out.push_str(&format!(
            "{id:<id_w$}  {rfc:<rfc_w$}  {level:<6}  {role:<6}  {}{}\n",
            e.meaning,
            security.unwrap_or_default()
        ));
    }
    out
}

/// The catalogue as JSON: `{"rules": [{"id", "rfc", "level", "role",
/// "meaning", "security"}, ...]}` (`security` is null for a rule that
/// guards against no attack).
pub fn json() -> serde_json::Value {
    let rules: Vec<serde_json::Value> = CATALOGUE
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id,
                "rfc": e.rfc,
                "level": e.level.as_str(),
                "role": e.role.as_str(),
                "meaning": e.meaning,
                "security": e.security,
            })
        })
        .collect();
    serde_json::json!({ "rules": rules })
}

/// The text of `docs/rules.md`.
pub fn markdown() -> String {
    let mut out = String::from(MARKDOWN_HEAD);
    out.push_str("| rule | RFC | level | judges | meaning | security |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for e in CATALOGUE {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            e.id,
            e.rfc,
            e.level.as_str(),
            e.role.as_str(),
            e.meaning,
            e.security.unwrap_or("")
        ));
    }
    out
}

const MARKDOWN_HEAD: &str = "\
# Rules the harness checks

Generated by `ftpconform rules --markdown` from the catalogue in
`src/verdict/catalogue.rs`; a unit test keeps this file equal to it.

Every violation names a rule. These are the harness's own: checks over the
timeline of every case (server role: the fake client's view of a real
server; client role: the fake server's view of a real client, with the
client's exit status and files). Suites declare further rules (`rule:` on an
expectation, by default the case id); see `docs/suite-format.md`.

The level is the rule's own: a break grades `fail` (must), `non-strict`
(should) or `info` (may), and a case of a weaker level softens it (a `should`
case never fails on a must rule). A violation cites the rule's section or a
more precise one.

A rule with a security class guards against an attack: where the peer did
the dangerous thing (connected to a third party or a privileged port, served
a thief, connected to a foreign 227 address) the violation fails whatever
the levels and carries the class as its `security` tag. Refusing in a
non-preferred way is graded by the level as above. See `docs/verdicts.md`.

";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_in_enum_order_with_unique_ids() {
        for (i, e) in CATALOGUE.iter().enumerate() {
            assert_eq!(e.rule as usize, i, "{} is out of order", e.id);
        }
        let mut ids: Vec<&str> = CATALOGUE.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
    }

    #[test]
    fn docs_rules_md_is_generated_from_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            doc == markdown(),
            "docs/rules.md differs from the catalogue: run `cargo run -- rules --markdown > docs/rules.md`"
        );
    }

    #[test]
    fn a_weaker_case_softens_a_rule() {
        assert_eq!(Rule::BounceRefused.grade(Level::Must), Verdict::Fail);
        assert_eq!(Rule::BounceRefused.grade(Level::Should), Verdict::NonStrict);
        let pasv = Rule::PasvAddressMatchesControl;
        assert_eq!(pasv.grade(Level::Must), Verdict::NonStrict);
        assert_eq!(pasv.grade(Level::Info), Verdict::Info);
    }
}
