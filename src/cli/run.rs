//! `ftpconform run`: pick the targets, run the suites, print and write the
//! reports, and turn the verdicts into the exit status.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

use super::progress::Progress;
use super::reports;

use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers::profiles::ProfileOptions;
use ftpconform::real::servers::running::RunningServer;
use ftpconform::real::servers::url::{self, FtpUrl};
use ftpconform::real::servers::{self, ServerEndpoint};
use ftpconform::report::html::Ladders;
use ftpconform::report::{self, Summary};
use ftpconform::runner::{self, RunConfig, RunState, Target};
use ftpconform::script::Suite;
use ftpconform::timeline::Timeline;
use ftpconform::verdict::{CaseResult, Role, Verdict};

/// Exit status for usage, configuration and harness errors.
pub const EXIT_HARNESS: u8 = 2;
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
    /// Write a report: `json=PATH`, `junit=PATH`, `html=PATH` or
    /// `markdown=PATH` (repeatable).
    #[arg(long = "report")]
    pub reports: Vec<String>,
    /// No progress bar and no line per case (the report is still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Where captures go (default target/ftpconform/captures).
    #[arg(long)]
    pub capture_dir: Option<PathBuf>,
    /// Write no pcap (verdicts, reports and transcripts are the same; a
    /// large transfer runs faster without writing every byte twice).
    #[arg(long, conflicts_with = "capture_dir")]
    pub no_capture: bool,
    /// Start the server profile on ::1 instead of 127.0.0.1.
    #[arg(long)]
    pub ipv6: bool,
    /// Start the server profile announcing this address in 227 replies (a
    /// NAT misconfiguration, e.g. 127.0.0.2).
    #[arg(long)]
    pub pasv_address: Option<Ipv4Addr>,
    /// Grade every should-level finding (`non-strict`) as a failure, so
    /// that it makes the run exit 1 (docs/verdicts.md).
    #[arg(long)]
    pub strict: bool,
    /// Run through a NAT or firewall topology built in network namespaces
    /// (docs/nat.md): direct, client-nat, client-nat-alg, server-nat,
    /// server-nat-alg, server-nat-masquerade, firewall-passive-range,
    /// firewall-ipv6. Default suites: suites-nat/.
    #[arg(long)]
    pub topology: Option<String>,
    /// Cases run at a time on each side (default: 8 per core, as cases
    /// mostly wait). A started server or client with a session limit (its
    /// profile says why) runs at most that many; give 1 for a server at an
    /// `ftp://` address that takes one session at a time. With both
    /// embedded peers, server and client cases run side by side unless
    /// this is 1 (then one case at a time in all).
    #[arg(long, default_value_t = default_jobs())]
    pub jobs: usize,
    /// Allow an `ftp://` server that is not on loopback. The suites send
    /// malformed and hostile commands on purpose (docs/robustness.md):
    /// point them only at a server you are allowed to test.
    #[arg(long)]
    pub allow_remote: bool,
}

/// 8 cases per core: cases wait on their peers far more than they compute.
pub(super) fn default_jobs() -> usize {
    8 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The help of `--server`, naming every server that can be started.
fn server_help() -> String {
    format!(
        "Server under test: `ftp://user:pass@host:port` (`ftps://` for implicit FTPS), or a \
         server started on loopback: {}",
        known_servers()
    )
}

/// The servers `--server` can start: the profiles, then their variants.
fn known_servers() -> String {
    let variants = servers::VARIANTS.iter().map(|v| v.name);
    let names: Vec<&str> = servers::server_names()
        .into_iter()
        .chain(variants)
        .collect();
    names.join(", ")
}

/// Default suite folder: `suites/` here, else the one beside the sources.
pub(super) fn default_suites() -> Vec<PathBuf> {
    let here = PathBuf::from("suites");
    if here.is_dir() {
        return vec![here];
    }
    vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites")]
}

/// Runs the command; errors are usage or harness errors (exit 2).
pub fn run(args: RunArgs, suites: Vec<Suite>) -> anyhow::Result<ExitCode> {
    let specs = reports::parse(&args.reports)?;
    let config = RunConfig {
        capture_dir: args
            .capture_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("target/ftpconform/captures")),
        filters: args.cases.clone(),
        capture: !args.no_capture,
    };
    let progress = Progress::new(selected(&args, &suites, &config), args.quiet);
    let keep_ladders = reports::wants_ladders(&specs);
    let mut ladders = Ladders::default();
    let (results, signal) = match &args.topology {
        Some(name) => {
            // Through a topology the cases run in the namespaces' own
            // threads; their results come back at the end.
            let (server, client) = (args.server.as_deref(), args.client.as_deref());
            let results = super::through::run(name, server, client, &suites, &config)?;
            (results, None)
        }
        None => {
            let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let mut on_case = |r: &CaseResult, timeline: &Timeline| {
                let r = &graded(r.clone(), args.strict);
                progress.case_done(r);
                if keep_ladders && r.verdict != Verdict::Pass {
                    ladders.record(r, &timeline.events());
                }
            };
            match rt.block_on(run_all(&args, &suites, &config, &mut on_case))? {
                Ran::Done(results) => (results, None),
                Ran::Interrupted(signal, results) => (results, Some(signal)),
            }
        }
    };
    progress.finish();
    let results: Vec<CaseResult> = results
        .into_iter()
        .map(|r| graded(r, args.strict))
        .collect();
    if results.is_empty() && signal.is_none() {
        bail!("no case selected: check --suite and --case");
    }
    print!("{}", report::table::render(&results));
    reports::write(&specs, &results, &ladders)?;
    if let Some(signal) = signal {
        // The cases that finished and the one interrupted are in the
        // reports; the exit status says the run did not finish.
        eprintln!(
            "interrupted by {} after {} cases",
            signal.name(),
            results.len()
        );
        return Ok(ExitCode::from(signal.exit_code()));
    }
    Ok(ExitCode::from(Summary::of(&results).exit_code() as u8))
}

/// A result as the run grades it: with `--strict`, should-level findings fail.
fn graded(r: CaseResult, strict: bool) -> CaseResult {
    if strict {
        r.strict()
    } else {
        r
    }
}

/// How many cases the run will try (for the progress bar).
fn selected(args: &RunArgs, suites: &[Suite], config: &RunConfig) -> usize {
    let both = args.server.is_none() && args.client.is_none();
    let runs = |role: Role| match role {
        Role::Server => args.server.is_some() || both,
        Role::Client => args.client.is_some() || both,
    };
    suites
        .iter()
        .filter(|s| runs(s.role))
        .flat_map(|s| s.cases.iter().filter(move |c| config.selects(s, c)))
        .count()
}

/// The suite paths the run loads.
pub fn suite_paths(args: &RunArgs) -> Vec<PathBuf> {
    if args.suites.is_empty() && args.topology.is_some() {
        super::through::default_suites()
    } else if args.suites.is_empty() {
        default_suites()
    } else {
        args.suites.clone()
    }
}

/// A signal that stops a run.
#[derive(Debug, Clone, Copy)]
pub(super) enum Signal {
    Int,
    Term,
}

impl Signal {
    pub(super) fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        }
    }

    /// 128 + the signal's number, as a shell reports a process it ended.
    pub(super) fn exit_code(self) -> u8 {
        match self {
            Signal::Int => 130,
            Signal::Term => 143,
        }
    }
}

/// How a run ended: every selected case ran, or a signal stopped it (the
/// results then hold the cases that finished and the interrupted one).
pub(super) enum Ran {
    Done(Vec<CaseResult>),
    Interrupted(Signal, Vec<CaseResult>),
}

/// Runs the server side, the client side or both, as asked, until done
/// or SIGINT / SIGTERM. Both sides run side by side (unless `--jobs 1`):
/// the run then lasts as long as the slower side, not the sum. Results
/// and progress keep their order, server cases first: the client side's
/// finished cases wait until the server side is done.
pub(super) async fn run_all(
    args: &RunArgs,
    suites: &[Suite],
    config: &RunConfig,
    on_case: &mut dyn FnMut(&CaseResult, &Timeline),
) -> anyhow::Result<Ran> {
    let both = args.server.is_none() && args.client.is_none();
    let (server_wanted, client_wanted) =
        (args.server.is_some() || both, args.client.is_some() || both);
    let (server_state, client_state) = (RunState::default(), RunState::default());
    let results = || [server_state.results(), client_state.results()].concat();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    let work = async {
        if !(server_wanted && client_wanted && args.jobs > 1) {
            if server_wanted {
                run_server_side(args, suites, config, &server_state, &mut *on_case).await?;
            }
            if client_wanted {
                run_client_side(args, suites, config, &client_state, &mut *on_case).await?;
            }
            return anyhow::Ok(());
        }
        let mut waiting: Vec<(CaseResult, Timeline)> = Vec::new();
        let mut later = |r: &CaseResult, t: &Timeline| waiting.push((r.clone(), t.clone()));
        let (server, client) = tokio::join!(
            run_server_side(args, suites, config, &server_state, &mut *on_case),
            run_client_side(args, suites, config, &client_state, &mut later),
        );
        for (result, timeline) in &waiting {
            on_case(result, timeline);
        }
        server.and(client)
    };
    let signal = tokio::select! {
        done = work => return done.map(|()| Ran::Done(results())),
        _ = tokio::signal::ctrl_c() => Signal::Int,
        _ = term.recv() => Signal::Term,
    };
    interrupted(&server_state, signal);
    interrupted(&client_state, signal);
    Ok(Ran::Interrupted(signal, results()))
}

/// Starts or reaches the server target, checks it greets, runs the server
/// suites.
async fn run_server_side(
    args: &RunArgs,
    suites: &[Suite],
    config: &RunConfig,
    state: &RunState,
    on_case: &mut dyn FnMut(&CaseResult, &Timeline),
) -> anyhow::Result<()> {
    let spec = args
        .server
        .clone()
        .unwrap_or_else(|| servers::EMBEDDED.to_string());
    let (endpoint, _server) = server_target(&spec, args).await?;
    url::probe(&endpoint, PROBE_LIMIT).await?;
    let target = Target::Server(&endpoint);
    let jobs = args.jobs.min(servers::session_limit(&spec));
    runner::run_suites(suites, target, config, jobs, state, on_case).await;
    Ok(())
}

/// Finds the client profile and runs the client suites with it.
async fn run_client_side(
    args: &RunArgs,
    suites: &[Suite],
    config: &RunConfig,
    state: &RunState,
    on_case: &mut dyn FnMut(&CaseResult, &Timeline),
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
    let jobs = args.jobs.min(runner::client_session_limit(&profile));
    runner::run_suites(suites, target, config, jobs, state, on_case).await;
    Ok(())
}

/// Closes the cases in flight (recorded as interrupted, their captures
/// flushed) and says so.
fn interrupted(state: &RunState, signal: Signal) {
    for r in state.interrupt(signal.name()) {
        let capture = r.capture.map_or("none".into(), |p| p.display().to_string());
        eprintln!(
            "interrupted by {}: {}::{} recorded as interrupted; its capture: {capture}",
            signal.name(),
            r.suite,
            r.id
        );
    }
}

/// The endpoint to test and, for started servers, the guard that stops it.
async fn server_target(
    spec: &str,
    args: &RunArgs,
) -> anyhow::Result<(ServerEndpoint, Option<RunningServer>)> {
    if spec.starts_with("ftp://") || spec.starts_with("ftps://") {
        let endpoint = FtpUrl::parse(spec)?.endpoint()?;
        let ip = endpoint.addr.ip();
        if !ip.is_loopback() && !args.allow_remote {
            bail!(
                "{spec} is not on loopback ({ip}): the suites send it hostile and malformed \
                 commands; pass --allow-remote if you may test that server"
            );
        }
        return Ok((endpoint, None));
    }
    let known = servers::server_names();
    let variant = servers::variant(spec);
    if !known.contains(&spec) && variant.is_none() {
        bail!(
            "unknown server `{spec}`: use ftp://user:pass@host:port or one of {}",
            known_servers()
        );
    }
    let base = variant.map_or_else(ProfileOptions::default, |v| (v.options)());
    let opts = ProfileOptions {
        pasv_address: args.pasv_address,
        ipv6: args.ipv6,
        ..base
    };
    let server = servers::start(variant.map_or(spec, |v| v.server), &opts).await?;
    let mut endpoint = server.endpoint();
    endpoint.name = spec.to_string();
    if args.ipv6 {
        // As in `cargo test`: IPv6 runs report (and capture) apart.
        endpoint.name.push_str("-ipv6");
    }
    Ok((endpoint, Some(server)))
}
