//! `ftpconform run`: pick the targets, run the suites, print and write the
//! reports, and turn the verdicts into the exit status.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers::profiles::ProfileOptions;
use ftpconform::real::servers::running::RunningServer;
use ftpconform::real::servers::url::{self, FtpUrl};
use ftpconform::real::servers::{self, ServerEndpoint};
use ftpconform::report::{self, Summary};
use ftpconform::runner::{self, RunConfig, RunState, Target};
use ftpconform::script::Suite;
use ftpconform::verdict::CaseResult;

/// Exit status for usage, configuration and harness errors.
pub const EXIT_HARNESS: u8 = 2;
/// Exit status after Ctrl-C.
const EXIT_INTERRUPTED: u8 = 130;
/// How long a target may take to accept a connection and greet.
const PROBE_LIMIT: Duration = Duration::from_secs(5);

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Server under test: `ftp://user:pass@host:port`, or a server started
    /// on loopback (the names are listed by `server_help`).
    #[arg(long, help = server_help())]
    pub server: Option<String>,
    /// Client under test: embedded (suppaftp, in process), curl, wget, lftp,
    /// ncftp, tnftp, inetutils-ftp, ftplib, busybox. Without --server and
    /// --client, both embedded peers are tested.
    #[arg(long)]
    pub client: Option<String>,
    /// Suite file or folder (repeatable; default: suites/).
    #[arg(long = "suite")]
    pub suites: Vec<PathBuf>,
    /// Run only cases whose `suite::case` name contains this (repeatable).
    #[arg(long = "case")]
    pub cases: Vec<String>,
    /// Write a report: `json=PATH` (repeatable).
    #[arg(long = "report")]
    pub reports: Vec<String>,
    /// Where captures go (default target/ftpconform/captures).
    #[arg(long)]
    pub capture_dir: Option<PathBuf>,
    /// Start the server profile on ::1 instead of 127.0.0.1.
    #[arg(long)]
    pub ipv6: bool,
    /// Start the server profile announcing this address in 227 replies (a
    /// NAT misconfiguration, e.g. 127.0.0.2).
    #[arg(long)]
    pub pasv_address: Option<Ipv4Addr>,
}

/// The help of `--server`, naming every server that can be started.
fn server_help() -> String {
    format!(
        "Server under test: `ftp://user:pass@host:port`, or a server started on loopback: {}",
        servers::server_names().join(", ")
    )
}

/// A requested report file.
enum ReportSpec {
    Json(PathBuf),
}

fn parse_reports(specs: &[String]) -> anyhow::Result<Vec<ReportSpec>> {
    specs
        .iter()
        .map(|s| match s.split_once('=') {
            Some(("json", path)) if !path.is_empty() => Ok(ReportSpec::Json(path.into())),
            _ => bail!("bad --report `{s}`: use json=PATH"),
        })
        .collect()
}

/// Default suite folder: `suites/` here, else the one beside the sources.
fn default_suites() -> Vec<PathBuf> {
    let here = PathBuf::from("suites");
    if here.is_dir() {
        return vec![here];
    }
    vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites")]
}

/// Runs the command; errors are usage or harness errors (exit 2).
pub fn run(args: RunArgs, suites: Vec<Suite>) -> anyhow::Result<ExitCode> {
    let reports = parse_reports(&args.reports)?;
    let config = RunConfig {
        capture_dir: args
            .capture_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("target/ftpconform/captures")),
        filters: args.cases.clone(),
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let results = rt.block_on(run_all(&args, &suites, &config))?;
    let Some(results) = results else {
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    };
    if results.is_empty() {
        bail!("no case selected: check --suite and --case");
    }
    print!("{}", report::table::render(&results));
    write_reports(&reports, &results)?;
    Ok(ExitCode::from(Summary::of(&results).exit_code() as u8))
}

/// The suite paths the run loads.
pub fn suite_paths(args: &RunArgs) -> Vec<PathBuf> {
    if args.suites.is_empty() {
        default_suites()
    } else {
        args.suites.clone()
    }
}

/// Runs the server side, the client side or both, as asked. `None` when
/// interrupted by Ctrl-C.
async fn run_all(
    args: &RunArgs,
    suites: &[Suite],
    config: &RunConfig,
) -> anyhow::Result<Option<Vec<CaseResult>>> {
    let both = args.server.is_none() && args.client.is_none();
    let state = RunState::default();
    let work = async {
        if args.server.is_some() || both {
            run_server_side(args, suites, config, &state).await?;
        }
        if args.client.is_some() || both {
            run_client_side(args, suites, config, &state).await?;
        }
        anyhow::Ok(())
    };
    tokio::select! {
        done = work => done.map(|()| Some(state.results())),
        _ = tokio::signal::ctrl_c() => {
            interrupted(&state);
            Ok(None)
        }
    }
}

fn progress(r: &CaseResult) {
    eprintln!("{}::{}::{} {}", r.target, r.suite, r.id, r.verdict.as_str());
}

/// Starts or reaches the server target, checks it greets, runs the server
/// suites.
async fn run_server_side(
    args: &RunArgs,
    suites: &[Suite],
    config: &RunConfig,
    state: &RunState,
) -> anyhow::Result<()> {
    let spec = args
        .server
        .clone()
        .unwrap_or_else(|| servers::EMBEDDED.to_string());
    let (endpoint, _server) = server_target(&spec, args).await?;
    url::probe(&endpoint, PROBE_LIMIT).await?;
    let target = Target::Server(&endpoint);
    runner::run_suites(suites, target, config, state, &mut progress).await;
    Ok(())
}

/// Finds the client profile and runs the client suites with it.
async fn run_client_side(
    args: &RunArgs,
    suites: &[Suite],
    config: &RunConfig,
    state: &RunState,
) -> anyhow::Result<()> {
    let name = args.client.as_deref().unwrap_or("embedded");
    let Some(profile) = ClientProfile::by_name(name) else {
        let known: Vec<&str> = ClientProfile::all().iter().map(|p| p.name()).collect();
        bail!("unknown client `{name}`: use one of {}", known.join(", "));
    };
    if !profile.installed() {
        bail!("client `{name}` is not installed: run scripts/install-peers.sh");
    }
    let target = Target::Client(&profile);
    runner::run_suites(suites, target, config, state, &mut progress).await;
    Ok(())
}

fn interrupted(state: &RunState) {
    if let Some(path) = state.interrupt() {
        eprintln!(
            "interrupted: the running case's capture is closed: {}",
            path.display()
        );
    }
    let done = state.results();
    if !done.is_empty() {
        print!("{}", report::table::render(&done));
    }
    eprintln!("interrupted after {} cases", done.len());
}

/// The endpoint to test and, for started servers, the guard that stops it.
async fn server_target(
    spec: &str,
    args: &RunArgs,
) -> anyhow::Result<(ServerEndpoint, Option<RunningServer>)> {
    if spec.starts_with("ftp://") {
        return Ok((FtpUrl::parse(spec)?.endpoint()?, None));
    }
    let known = servers::server_names();
    if !known.contains(&spec) {
        bail!(
            "unknown server `{spec}`: use ftp://user:pass@host:port or one of {}",
            known.join(", ")
        );
    }
    let opts = ProfileOptions {
        pasv_address: args.pasv_address,
        ipv6: args.ipv6,
    };
    let server = servers::start(spec, &opts).await?;
    let mut endpoint = server.endpoint();
    if args.ipv6 {
        // As in `cargo test`: IPv6 runs report (and capture) apart.
        endpoint.name.push_str("-ipv6");
    }
    Ok((endpoint, Some(server)))
}

fn write_reports(reports: &[ReportSpec], results: &[CaseResult]) -> anyhow::Result<()> {
    for spec in reports {
        match spec {
            ReportSpec::Json(path) => {
                let text = serde_json::to_string_pretty(&report::json::render(results))?;
                std::fs::write(path, text + "\n")
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    Ok(())
}
