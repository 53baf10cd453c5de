//! `run --topology NAME` and `nat-table`: runs through the NAT and
//! firewall topologies (src/topology, src/nat).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;

use ftpconform::nat::{self, NatCase};
use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers;
use ftpconform::runner::RunConfig;
use ftpconform::script::Suite;
use ftpconform::topology::{self, Kind, Topology};
use ftpconform::verdict::CaseResult;

/// The suites run through topologies when none is given.
pub fn default_suites() -> Vec<PathBuf> {
    let here = PathBuf::from("suites-nat");
    if here.is_dir() {
        return vec![here];
    }
    vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites-nat")]
}

/// The topology named on the command line.
pub fn kind(name: &str) -> anyhow::Result<Kind> {
    match Kind::by_name(name) {
        Some(k) => Ok(k),
        None => bail!(
            "unknown topology `{name}`: use one of {}",
            Kind::names().join(", ")
        ),
    }
}

/// `run --topology NAME`: the server (`--server PROFILE`, default vsftpd)
/// or the client (`--client NAME`) through the topology.
pub fn run(
    name: &str,
    server: Option<&str>,
    client: Option<&str>,
    suites: &[Suite],
    config: &RunConfig,
) -> anyhow::Result<Vec<CaseResult>> {
    let kind = kind(name)?;
    let topology = build(kind)?;
    let cases = match client {
        Some(c) => client_side(&topology, c, suites, config)?,
        None => server_side(&topology, server.unwrap_or("vsftpd"), suites, config)?,
    };
    let removed = topology.remove()?;
    eprintln!("topology {kind} removed in {}", ms(removed));
    for c in &cases {
        for r in &c.rewrites {
            eprintln!("  {}::{}: {r}", c.result.suite, c.result.id);
        }
    }
    Ok(cases.into_iter().map(|c| c.result).collect())
}

fn build(kind: Kind) -> anyhow::Result<Topology> {
    let topology = Topology::build(kind).with_context(|| format!("building topology {kind}"))?;
    eprintln!(
        "topology {kind} built in {} ({}): {}",
        ms(topology.built_in()),
        kind.meaning(),
        topology.names().join(", ")
    );
    Ok(topology)
}

fn ms(d: std::time::Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn progress(r: &CaseResult) {
    eprintln!("{}::{}::{} {}", r.target, r.suite, r.id, r.verdict.as_str());
}

fn server_side(
    topology: &Topology,
    server: &str,
    suites: &[Suite],
    config: &RunConfig,
) -> anyhow::Result<Vec<NatCase>> {
    let real = real_servers();
    if !real.contains(&server) {
        bail!(
            "server `{server}` cannot run in a topology: use one of {}",
            real.join(", ")
        );
    }
    let (_running, endpoint) = nat::start_server(topology, server)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("starting {server} in {}", topology.kind()))?;
    nat::run_server_cases(topology, &endpoint, server, suites, config, &mut progress)
        .map_err(anyhow::Error::msg)
}

/// The real servers (every one but the in-process libunftp, which listens
/// on loopback only).
fn real_servers() -> Vec<&'static str> {
    servers::server_names()
        .into_iter()
        .filter(|n| *n != servers::EMBEDDED)
        .collect()
}

fn client_side(
    topology: &Topology,
    client: &str,
    suites: &[Suite],
    config: &RunConfig,
) -> anyhow::Result<Vec<NatCase>> {
    let Some(profile) = ClientProfile::by_name(client) else {
        bail!("unknown client `{client}`");
    };
    if !profile.installed() {
        bail!("client `{client}` is not installed: run scripts/install-peers.sh");
    }
    nat::run_client_cases(topology, &profile, suites, config, &mut progress)
        .map_err(anyhow::Error::msg)
}

#[derive(Args, Debug)]
pub struct TableArgs {
    /// Topologies (repeatable; default: all).
    #[arg(long = "topology")]
    pub topologies: Vec<String>,
    /// Server profiles (repeatable; default: every real server).
    #[arg(long = "server")]
    pub servers: Vec<String>,
    /// Clients (repeatable; default: every installed external client).
    #[arg(long = "client")]
    pub clients: Vec<String>,
    /// Where the captures go.
    #[arg(long, default_value = "target/ftpconform/nat")]
    pub capture_dir: PathBuf,
    /// The Markdown file to write (default: print it).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `nat-table`: every topology with every server and client in the four
/// modes; writes the table of docs/nat.md.
pub fn table(args: TableArgs, suites: Vec<Suite>) -> anyhow::Result<()> {
    topology::available()?;
    let kinds: Vec<Kind> = match args.topologies.is_empty() {
        true => Kind::ALL.to_vec(),
        false => args
            .topologies
            .iter()
            .map(|n| kind(n))
            .collect::<anyhow::Result<_>>()?,
    };
    let servers: Vec<String> = match args.servers.is_empty() {
        true => real_servers().iter().map(|s| s.to_string()).collect(),
        false => args.servers.clone(),
    };
    let clients: Vec<String> = match args.clients.is_empty() {
        true => ClientProfile::all()
            .into_iter()
            .filter(|p| p.binary().is_some() && p.installed())
            .map(|p| p.name().to_string())
            .collect(),
        false => args.clients.clone(),
    };
    let config = RunConfig {
        capture_dir: args.capture_dir.clone(),
        filters: Vec::new(),
        capture: true,
    };
    let started = Instant::now();
    let mut all = Vec::new();
    for kind in &kinds {
        let topology = build(*kind)?;
        for server in &servers {
            match server_side(&topology, server, &suites, &config) {
                Ok(cases) => all.extend(cases),
                Err(e) => eprintln!("{server} through {kind}: {e:#}"),
            }
        }
        for client in &clients {
            match client_side(&topology, client, &suites, &config) {
                Ok(cases) => all.extend(cases),
                Err(e) => eprintln!("{client} through {kind}: {e:#}"),
            }
        }
        let removed = topology.remove()?;
        eprintln!("topology {kind} removed in {}", ms(removed));
    }
    // Capture paths are shown from the repository root (where the script
    // runs).
    let root = std::env::current_dir().context("current folder")?;
    let body = nat::table::render(&all, &root);
    let text = document(&body, &kinds, &servers, &clients, started.elapsed());
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn document(
    body: &str,
    kinds: &[Kind],
    servers: &[String],
    clients: &[String],
    took: std::time::Duration,
) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    format!(
        "# Through NAT and firewalls\n\n\
         Which data mode works through which middlebox, for each real server and client, \
         measured in network namespaces the harness builds itself (src/topology): client — \
         router — server, joined by veth pairs only to each other, with nftables on the \
         router and the kernel's FTP helper where the topology says so. Generated by \
         `scripts/nat-table.sh` (`ftpconform nat-table --out docs/nat.md`) from one run, \
         not from documentation: do not edit by hand.\n\n\
         - topologies: {}\n- servers: {} (the fake client plays the client)\n\
         - clients: {} (the fake server plays the server)\n\
         - suites: suites-nat/ (a LIST or a download in each mode)\n\
         - run time: {} s\n\n\
         A cell says whether the transfer went through. \"works (rewritten)\": the router's \
         FTP helper rewrote an address on the control connection. \"n/a\": the peer cannot \
         use that mode (PASV and PORT carry IPv4 only; some clients have no EPRT). The \
         evidence under each table gives the verdict, the reason, every rewrite the router \
         made (from its two captures) and the capture files: the peer's own view (`CASE.pcap`) \
         and the router's two links (`CASE.router-client-side.pcap`, \
         `CASE.router-server-side.pcap`), written under the run's capture folder (not \
         committed: rerun the script to inspect them). A client that falls back to \
         another mode (lftp reconnects in active mode when passive fails) is shown as \
         working: the evidence lists both control connections.\n\n\
         Rows marked FTPS run the same LIST after `AUTH TLS`, `PBSZ 0` and `PROT P` \
         (servers that offer FTPS; \"n/a\" elsewhere): the control connection is TLS, so \
         a router's FTP helper cannot read or rewrite the PORT, EPRT, 227 or 229 on it. \
         Rows marked FTPS, CCC clear the control connection with `CCC` after the login \
         (RFC 4217 5) and then use PASV or PORT. Through client-nat-alg, active mode \
         works in plain FTP because the helper rewrites PORT, and fails under FTPS, with \
         CCC too: the kernel's helper (nf_conntrack_ftp) looks for commands only at \
         sequence numbers it saw follow a newline, and the TLS records left it none, so \
         the plaintext PORT after CCC is never read.\n\n{body}",
        names.join(", "),
        servers.join(", "),
        clients.join(", "),
        took.as_secs()
    )
}
