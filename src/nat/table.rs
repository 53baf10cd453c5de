//! The NAT table: per topology, which data mode worked for each real peer,
//! why not where it did not, what the router rewrote, and the captures.
//! Rendered as Markdown for docs/nat.md from the results of a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::NatCase;
use crate::script::DataMode;
use crate::topology::Kind;

const MODES: [DataMode; 4] = [
    DataMode::Pasv,
    DataMode::Epsv,
    DataMode::Port,
    DataMode::Eprt,
];

/// What a peer needs configured in a topology, and what the harness
/// configured for it.
fn configured(kind: Kind) -> &'static str {
    match kind {
        Kind::Direct => "Nothing: the router only routes.",
        Kind::ClientNat => {
            "The router masquerades the client and lets nothing new in: the server's \
             active-mode connection has no way back. Clients need passive mode."
        }
        Kind::ClientNatAlg => {
            "The router runs the kernel's FTP helper (`ct helper set \"ftp\"` on port 21): \
             it rewrites the client's PORT/EPRT address to its own and lets the server's \
             data connection in. The helper cannot read an encrypted control connection."
        }
        Kind::ServerNat => {
            "Only port 21 is forwarded to the server, which is not told its public address: \
             its 227 names its private address and its passive ports are not forwarded."
        }
        Kind::ServerNatAlg => {
            "Port 21 forwarded, with the kernel's FTP helper on it: the helper rewrites the \
             227 to the public address and opens the passive port for that one connection."
        }
        Kind::ServerNatMasquerade => {
            "Port 21 and the passive range (30000-30019) forwarded, and the server told its \
             public address (vsftpd `pasv_address`, proftpd `MasqueradeAddress`, pure-ftpd \
             `-P`, pyftpdlib `-n`; the fake server announces it too)."
        }
        Kind::FirewallPassiveRange => {
            "No translation; the firewall opens port 21 and the server's passive range \
             (30000-30019) and lets the server connect out."
        }
        Kind::FirewallIpv6 => {
            "IPv6, no translation; the same firewall as firewall-passive-range. PASV and \
             PORT cannot carry IPv6 addresses."
        }
    }
}

/// The Markdown of the table, with capture paths shown relative to
/// `relative_to` (the repository root).
pub fn render(cases: &[NatCase], relative_to: &Path) -> String {
    let mut by_topology: BTreeMap<Kind, Vec<&NatCase>> = BTreeMap::new();
    for c in cases {
        if let Some(kind) = Kind::by_name(&c.topology) {
            by_topology.entry(kind).or_default().push(c);
        }
    }
    let mut out = String::new();
    for (kind, cases) in by_topology {
        let plan = kind.plan();
        let _ = writeln!(out, "## {kind}\n");
        let _ = writeln!(
            out,
            "{}. Client {}, router {} / {}, server {} (dialled at {}).\n",
            capitalized(kind.meaning()),
            plan.client,
            plan.router_client_side,
            plan.router_server_side,
            plan.server,
            plan.public_server()
        );
        let _ = writeln!(out, "{}\n", configured(kind));
        out.push_str(&grid(&cases));
        out.push('\n');
        out.push_str(&evidence(&cases, relative_to));
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// One row per peer (and per control-connection variant: plain, FTPS,
/// FTPS with CCC), one column per mode.
fn grid(cases: &[&NatCase]) -> String {
    type Row = (String, String, &'static str);
    let mut rows: BTreeMap<Row, Vec<(DataMode, &NatCase)>> = BTreeMap::new();
    for c in cases {
        if let Some(mode) = c.mode {
            let role = c.result.role.as_str().to_string();
            rows.entry((role, c.peer.clone(), c.variant))
                .or_default()
                .push((mode, c));
        }
    }
    let mut out =
        String::from("| peer | PASV | EPSV | PORT | EPRT |\n| --- | --- | --- | --- | --- |\n");
    for ((role, peer, variant), modes) in rows {
        let what = if role == "server" { "server" } else { "client" };
        match variant {
            "" => {
                let _ = write!(out, "| {peer} ({what}) |");
            }
            v => {
                let _ = write!(out, "| {peer} ({what}, {v}) |");
            }
        }
        for mode in MODES {
            let cell = modes
                .iter()
                .find(|(m, _)| *m == mode)
                .map_or("-".to_string(), |(_, c)| cell(c));
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

fn cell(c: &NatCase) -> String {
    if c.worked() {
        let rewritten = c
            .rewrites
            .iter()
            .any(|r| matches!(r, super::rewrites::Rewrite::Line { .. }));
        return match rewritten {
            true => "works (rewritten)".into(),
            false => "works".into(),
        };
    }
    match c.result.verdict {
        crate::verdict::Verdict::Unimplemented | crate::verdict::Verdict::Skipped => "n/a".into(),
        _ => "fails".into(),
    }
}

/// Per case: verdict, why, what the router did, the captures.
fn evidence(cases: &[&NatCase], relative_to: &Path) -> String {
    let mut out = String::from("<details><summary>Evidence</summary>\n\n");
    let mut sorted: Vec<&&NatCase> = cases.iter().collect();
    sorted.sort_by_key(|c| {
        (
            c.result.role.as_str(),
            c.peer.clone(),
            c.mode.map(|m| m.verb()),
        )
    });
    for c in sorted {
        let mode = c.mode.map_or("?", |m| m.verb());
        let _ = writeln!(
            out,
            "- **{} {mode}**: {}{}",
            c.peer,
            c.result.verdict.as_str(),
            why(c).map(|w| format!(": {w}")).unwrap_or_default()
        );
        for r in &c.rewrites {
            let _ = writeln!(out, "  - {r}");
        }
        let captures: Vec<String> = c
            .result
            .capture
            .iter()
            .chain(&c.router_captures)
            .map(|p| format!("`{}`", relative(p, relative_to)))
            .collect();
        if !captures.is_empty() {
            let _ = writeln!(out, "  - captures: {}", captures.join(", "));
        }
    }
    out.push_str("\n</details>\n\n");
    out
}

/// The reason, or the first violation, on one line.
fn why(c: &NatCase) -> Option<String> {
    if let Some(r) = &c.result.reason {
        return Some(one_line(r));
    }
    let v = c.result.violations.first()?;
    Some(one_line(&format!("{} ({})", v.actual, v.rule)))
}

fn one_line(s: &str) -> String {
    let s = s.replace(['\n', '|'], " ");
    match s.char_indices().nth(160) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

fn relative(p: &Path, base: &Path) -> String {
    let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    match p.strip_prefix(&base) {
        Ok(rest) => rest.display().to_string(),
        Err(_) => p.display().to_string(),
    }
}
