//! Runs suites through a topology (src/topology): the fake client in the
//! client namespace against a real server in the server namespace, or the
//! fake server in the server namespace against a real client in the client
//! namespace; the router's two links captured per case beside the peer's
//! own capture; and the report of what the router rewrote.
//!
//! Layer: above the runner and the fake peers (it drives them), below the
//! report and the CLI.
//!
//! - [`rewrites`]: what the router changed, from its two captures.
//! - [`table`]: the NAT table of docs/nat.md, from the results.

pub mod rewrites;
pub mod table;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::capture::PcapObserver;
use crate::real::clients::{ClientProfile, ClientRun, Task};
use crate::real::servers::profiles::{start_profile_at, Placement, ProfileOptions};
use crate::real::servers::running::RunningServer;
use crate::real::servers::ServerEndpoint;
use crate::runner::{self, RunConfig, Target};
use crate::script::{Case, CaseBody, DataMode, Family, StepKind, Suite};
use crate::timeline::{stream, ConnRole, Event, EventKind, Side, Timeline};
use crate::topology::plan::{PASSIVE_RANGE, ROUTER_CLIENT_IF, ROUTER_SERVER_IF};
use crate::topology::tap::Tap;
use crate::topology::{Netns, Plan, Topology};
use crate::verdict::{CaseResult, Verdict};
use rewrites::Rewrite;

/// One case run through a topology.
#[derive(Debug, Clone)]
pub struct NatCase {
    pub topology: String,
    /// The real peer: a server profile or a client name.
    pub peer: String,
    pub mode: Option<DataMode>,
    /// How the control connection ran: [`PLAIN`], [`FTPS`] or
    /// [`FTPS_CCC`] (see [`variant_of`]).
    pub variant: &'static str,
    pub result: CaseResult,
    pub rewrites: Vec<Rewrite>,
    /// The router's captures: client-side link, server-side link.
    pub router_captures: Vec<PathBuf>,
}

impl NatCase {
    /// Whether the transfer went through (the case passed, maybe with a
    /// should broken).
    pub fn worked(&self) -> bool {
        matches!(
            self.result.verdict,
            Verdict::Pass | Verdict::NonStrict | Verdict::Info
        )
    }
}

/// The data mode a case exercises: its first data step (server role) or
/// the client's task (client role).
pub fn mode_of(case: &Case) -> Option<DataMode> {
    match &case.body {
        CaseBody::Client(fs) => Some(match (fs.passive, fs.asks_extended()) {
            (true, false) => DataMode::Pasv,
            (true, true) => DataMode::Epsv,
            (false, false) => DataMode::Port,
            (false, true) => DataMode::Eprt,
        }),
        CaseBody::Server(steps) => steps.iter().find_map(|s| match &s.kind {
            StepKind::Data(setup) => Some(setup.mode),
            _ => None,
        }),
    }
}

/// A case in plain FTP.
pub const PLAIN: &str = "";
/// A case whose control connection runs TLS (it sends `AUTH TLS`).
pub const FTPS: &str = "FTPS";
/// A case that also clears the control connection again (`CCC`).
pub const FTPS_CCC: &str = "FTPS, CCC";

/// How a server-role case runs its control connection, from the commands
/// it sends (client-role cases through a topology are plain).
pub fn variant_of(case: &Case) -> &'static str {
    let CaseBody::Server(steps) = &case.body else {
        return PLAIN;
    };
    let sends = |verb: &str| {
        steps.iter().any(|s| match &s.kind {
            StepKind::Send {
                payload: crate::script::Payload::Line(t),
                ..
            } => matches!(t.parts.first(),
                Some(crate::script::TemplatePart::Lit(l)) if l.to_ascii_uppercase().starts_with(verb)),
            _ => false,
        })
    };
    match (sends("AUTH"), sends("CCC")) {
        (false, _) => PLAIN,
        (true, false) => FTPS,
        (true, true) => FTPS_CCC,
    }
}

/// Starts the real server `name` inside the topology's server namespace,
/// on port 21 and the topology's passive range, told its public address
/// where the topology says so; returns it with the endpoint the client
/// dials (the public address).
pub fn start_server(
    topology: &Topology,
    name: &str,
) -> Result<(RunningServer, ServerEndpoint), String> {
    let plan = topology.plan();
    let opts = ProfileOptions {
        pasv_address: plan.announce(),
        ipv6: plan.is_ipv6(),
        ..Default::default()
    };
    let at = Placement {
        listen: plan.server_listen(),
        passive: PASSIVE_RANGE,
    };
    let server = topology
        .server()
        .run(|| start_profile_at(name, &opts, at))
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let mut endpoint = server.endpoint();
    endpoint.addr = plan.public_server();
    endpoint.name = format!("{name}@{}", plan.kind);
    Ok((server, endpoint))
}

/// Runs the server-role cases of `suites` with the fake client in the
/// client namespace against `endpoint` (a server started by
/// [`start_server`]).
pub fn run_server_cases(
    topology: &Topology,
    endpoint: &ServerEndpoint,
    peer: &str,
    suites: &[Suite],
    config: &RunConfig,
    progress: &mut (dyn FnMut(&CaseResult) + Send),
) -> Result<Vec<NatCase>, String> {
    let work = move || async move {
        let mut out = Vec::new();
        for (suite, case) in selected(suites, config, crate::verdict::Role::Server) {
            let path = config.capture_path(&endpoint.name, &suite.name, &case.id);
            let taps = start_taps(topology.router(), &path).await;
            let target = Target::Server(endpoint);
            let (result, events) = runner::run_case_events(suite, case, target, Some(&path)).await;
            let one = finish(topology.plan(), peer, case, result, &events, taps).await;
            progress(&one.result);
            out.push(one);
        }
        out
    };
    topology.client().block_on(work).map_err(|e| e.to_string())
}

/// Runs the client-role cases of `suites` (those of the topology's address
/// family) with the fake server in the server namespace and `client` in
/// the client namespace, dialling the server's public address.
pub fn run_client_cases(
    topology: &Topology,
    client: &ClientProfile,
    suites: &[Suite],
    config: &RunConfig,
    progress: &mut (dyn FnMut(&CaseResult) + Send),
) -> Result<Vec<NatCase>, String> {
    let plan = topology.plan();
    let family = if plan.is_ipv6() {
        Family::V6
    } else {
        Family::V4
    };
    let target = format!("{}@{}", client.name(), plan.kind);
    let work = move || async move {
        let mut out = Vec::new();
        for (suite, case) in selected(suites, config, crate::verdict::Role::Client) {
            if matches!(&case.body, CaseBody::Client(fs) if fs.family != family) {
                continue;
            }
            let path = config.capture_path(&target, &suite.name, &case.id);
            let taps = start_taps(topology.router(), &path).await;
            let timeline = Timeline::new();
            let capture = attach(&timeline, &path);
            let launch = launch_in(topology.client().clone(), client.clone(), plan);
            let mut result = match runner::usable(case, client) {
                Ok(()) => {
                    runner::run_client_with(case, &suite.name, &target, launch, &timeline).await
                }
                Err((verdict, why)) => runner::not_run(suite, case, &target, verdict, why),
            };
            timeline.finish();
            result.capture = capture;
            let events = timeline.events();
            let one = finish(plan, client.name(), case, result, &events, taps).await;
            progress(&one.result);
            out.push(one);
        }
        out
    };
    topology.server().block_on(work).map_err(|e| e.to_string())
}

fn selected<'a>(
    suites: &'a [Suite],
    config: &'a RunConfig,
    role: crate::verdict::Role,
) -> impl Iterator<Item = (&'a Suite, &'a Case)> {
    suites
        .iter()
        .filter(move |s| s.role == role)
        .flat_map(move |s| {
            s.cases
                .iter()
                .filter(move |c| config.selects(s, c))
                .map(move |c| (s, c))
        })
}

/// The client's run, on a thread inside the client namespace, dialling the
/// server's public address.
fn launch_in(ns: Netns, profile: ClientProfile, plan: &Plan) -> runner::Launch {
    let public = plan.public_server();
    Box::new(move |mut task: Task| {
        Box::pin(async move {
            task.server = public;
            let ran = tokio::task::spawn_blocking(move || {
                ns.block_on(|| async move { profile.run(&task).await })
            })
            .await;
            match ran {
                Ok(Ok(run)) => run,
                Ok(Err(e)) => failed_run(e.to_string()),
                Err(e) => failed_run(format!("the client thread failed: {e}")),
            }
        })
    })
}

fn failed_run(error: String) -> ClientRun {
    ClientRun {
        error: Some(error),
        ..ClientRun::default()
    }
}

fn attach(timeline: &Timeline, path: &Path) -> Option<PathBuf> {
    std::fs::create_dir_all(path.parent()?).ok()?;
    let obs = PcapObserver::create(path).ok()?;
    timeline.add_observer(Box::new(obs));
    Some(path.to_path_buf())
}

/// The router's two taps of one case, or why there are none.
type Taps = Result<Vec<Tap>, String>;

/// Starts tcpdump on both router links, beside the case's capture
/// (`CASE.router-client-side.pcap`, `CASE.router-server-side.pcap`).
async fn start_taps(router: &Netns, capture: &Path) -> Taps {
    let (router, capture) = (router.clone(), capture.to_path_buf());
    let started = tokio::task::spawn_blocking(move || {
        if let Some(dir) = capture.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let mut taps = Vec::new();
        for (iface, side) in [
            (ROUTER_CLIENT_IF, "client-side"),
            (ROUTER_SERVER_IF, "server-side"),
        ] {
            let path = capture.with_extension(format!("router-{side}.pcap"));
            taps.push(Tap::start(&router, iface, &path).map_err(|e| e.to_string())?);
        }
        Ok(taps)
    });
    started
        .await
        .unwrap_or_else(|e| Err(format!("tap thread: {e}")))
}

/// Stops the taps, reads what the router rewrote, adds the topology's
/// notes to the result.
async fn finish(
    plan: &Plan,
    peer: &str,
    case: &Case,
    mut result: CaseResult,
    events: &[Event],
    taps: Taps,
) -> NatCase {
    let mut rewrites = Vec::new();
    let mut router_captures = Vec::new();
    match taps {
        Ok(taps) => {
            let stopped = tokio::task::spawn_blocking(move || {
                let mut taps = taps;
                let paths: Vec<PathBuf> = taps.iter_mut().map(|t| t.stop().to_path_buf()).collect();
                let found = rewrites::between(&paths[0], &paths[1], plan_port());
                (paths, found)
            })
            .await;
            match stopped {
                Ok((paths, Ok(found))) => {
                    router_captures = paths;
                    rewrites = found;
                }
                Ok((paths, Err(e))) => {
                    router_captures = paths;
                    result
                        .notes
                        .push(format!("router captures unreadable: {e}"));
                }
                Err(e) => result.notes.push(format!("router taps: {e}")),
            }
        }
        Err(e) => result
            .notes
            .push(format!("no router capture for this case: {e}")),
    }
    result
        .notes
        .push(format!("topology {}: {}", plan.kind, plan.kind.meaning()));
    result
        .notes
        .extend(rewrites.iter().map(ToString::to_string));
    if let Some(note) = pasv_note(plan, events) {
        result.notes.push(note);
    }
    NatCase {
        topology: plan.kind.to_string(),
        peer: peer.to_string(),
        mode: mode_of(case),
        variant: variant_of(case),
        result,
        rewrites,
        router_captures,
    }
}

fn plan_port() -> u16 {
    crate::topology::plan::CONTROL_PORT
}

/// What the topology says of the 227 the client received: it should name
/// the server's public address.
fn pasv_note(plan: &Plan, events: &[Event]) -> Option<String> {
    let seen = announced_in_227(events)?;
    let public = plan.expected_pasv_address();
    if seen == public {
        return Some(format!(
            "227 named {seen}, the server's public address in {}",
            plan.kind
        ));
    }
    let whose = if seen == plan.server.ip {
        "the server's own (private) address"
    } else {
        "an address that is not the server's public one"
    };
    Some(format!(
        "227 named {seen}, {whose}; through {} the client must be told {public} (configure the server's public address: vsftpd pasv_address, proftpd MasqueradeAddress, pure-ftpd -P, pyftpdlib -n)",
        plan.kind
    ))
}

/// The address of the first 227 on a control connection of the timeline.
fn announced_in_227(events: &[Event]) -> Option<IpAddr> {
    events.iter().find_map(|e| match &e.kind {
        EventKind::Opened {
            conn,
            role: ConnRole::Control,
            ..
        } => {
            let bytes = stream(events, *conn, Side::Server)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            text.lines()
                .filter(|l| l.starts_with("227"))
                .find_map(|l| crate::wire::addr::parse_pasv_reply(l).ok())
                .map(|a| IpAddr::V4(*a.ip()))
        }
        _ => None,
    })
}
