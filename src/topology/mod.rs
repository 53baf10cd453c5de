//! Real NAT and firewalls: named topologies built per run in network
//! namespaces the harness creates itself (client — router — server, joined
//! by veth pairs only to each other), nftables on the router, and the
//! kernel's FTP helper where the topology says so.
//!
//! Safety: every namespace has a unique name (`ftpconform-PID-N-role`), is
//! removed on drop (normal end, error, panic), on SIGINT/SIGTERM where no
//! one else handles them, and by the sweep of stale names at the next
//! build; the [`preflight`] proves from the kernel's view that none has an
//! interface, address or route outside the topology before any peer runs.
//!
//! This module sits at the rank of `net`: it uses only the standard
//! library, libc, serde_json and the `ip`, `nft` and `tcpdump` tools; the
//! fake peers and real profiles may use it, it uses none of them.
//!
//! - [`plan`]: the topologies as data (addresses, translation, filter).
//! - [`rules`]: the router's nftables ruleset for a plan.
//! - [`netns`]: namespaces, their registry and cleanup, threads inside.
//! - [`preflight`]: the check that nothing leads outside.
//! - [`tap`]: tcpdump on a router interface.

pub mod exec;
pub mod netns;
pub mod plan;
pub mod preflight;
pub mod rules;
pub mod tap;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

pub use netns::{inside_verified, Netns, Site};
pub use plan::{Kind, Plan};

use plan::{CLIENT_IF, ROUTER_CLIENT_IF, ROUTER_SERVER_IF, SERVER_IF};
use preflight::NsView;

/// Why a topology could not be built.
#[derive(Debug)]
pub enum TopologyError {
    /// A tool the topologies need is missing, or we are not root.
    Missing(String),
    /// A tool failed.
    Tool { what: String, detail: String },
    /// The preflight found a way out of the topology.
    Preflight(Vec<String>),
}

impl fmt::Display for TopologyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopologyError::Missing(what) => write!(f, "cannot build topologies: {what}"),
            TopologyError::Tool { what, detail } => write!(f, "{what}: {detail}"),
            TopologyError::Preflight(p) => {
                write!(f, "preflight refused the topology: {}", p.join("; "))
            }
        }
    }
}

impl std::error::Error for TopologyError {}

/// Whether this machine can build topologies: root, `ip`, `nft`. `Err`
/// says what is missing (scripts/install-peers.sh installs the tools).
pub fn available() -> Result<(), TopologyError> {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(TopologyError::Missing("not root".into()));
    }
    for tool in ["ip", "nft", "tcpdump"] {
        if !exec::have(tool) {
            return Err(TopologyError::Missing(format!(
                "`{tool}` is not installed: run scripts/install-peers.sh"
            )));
        }
    }
    Ok(())
}

/// Where the fake server listens for control connections: on loopback
/// (`loopback`, an ephemeral port) normally; inside a topology namespace on
/// every address of the namespace (they are all the topology's) and the
/// topology's control port.
pub fn listen_addr(loopback: IpAddr) -> SocketAddr {
    match netns::site() {
        Some(site) => {
            let any = match loopback {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            };
            SocketAddr::new(any, site.control_port)
        }
        None => SocketAddr::new(loopback, 0),
    }
}

/// The passive range of the topology the calling thread is in.
pub fn passive_ports() -> Option<(u16, u16)> {
    netns::site().map(|s| s.passive)
}

/// The public address a server inside this topology announces in 227,
/// where the topology tells servers theirs.
pub fn announced() -> Option<IpAddr> {
    netns::site()?.announce.map(IpAddr::V4)
}

/// A built topology; dropping it stops what runs inside and removes its
/// namespaces.
#[derive(Debug)]
pub struct Topology {
    plan: Plan,
    client: Netns,
    router: Netns,
    server: Netns,
    built_in: Duration,
    removed: bool,
}

impl Topology {
    /// Sweeps stale namespaces of crashed runs, then builds `kind` under
    /// fresh names and runs the preflight. On any error what was made is
    /// removed again.
    pub fn build(kind: Kind) -> Result<Topology, TopologyError> {
        available()?;
        netns::sweep_stale();
        let started = Instant::now();
        let stem = netns::fresh_stem();
        let mut made: Vec<Netns> = Vec::new();
        let result = build_into(&kind.plan(), &stem, &mut made);
        match result {
            Ok(()) => {
                let server = made.pop().expect("three namespaces");
                let router = made.pop().expect("three namespaces");
                let client = made.pop().expect("three namespaces");
                Ok(Topology {
                    plan: kind.plan(),
                    client,
                    router,
                    server,
                    built_in: started.elapsed(),
                    removed: false,
                })
            }
            Err(e) => {
                for ns in made {
                    let _ = netns::delete(ns.name());
                }
                Err(e)
            }
        }
    }

    pub fn kind(&self) -> Kind {
        self.plan.kind
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn client(&self) -> &Netns {
        &self.client
    }

    pub fn router(&self) -> &Netns {
        &self.router
    }

    pub fn server(&self) -> &Netns {
        &self.server
    }

    /// The names of the three namespaces.
    pub fn names(&self) -> [&str; 3] {
        [self.client.name(), self.router.name(), self.server.name()]
    }

    /// How long building (with the preflight) took.
    pub fn built_in(&self) -> Duration {
        self.built_in
    }

    /// Runs the preflight again (e.g. after something was added).
    pub fn preflight(&self) -> Result<(), TopologyError> {
        run_preflight(&self.plan, &[&self.client, &self.router, &self.server])
    }

    /// Removes the topology now; returns how long it took.
    pub fn remove(mut self) -> Result<Duration, TopologyError> {
        self.remove_now()
    }

    fn remove_now(&mut self) -> Result<Duration, TopologyError> {
        let started = Instant::now();
        if self.removed {
            return Ok(Duration::ZERO);
        }
        self.removed = true;
        let mut first_error = None;
        for ns in [&self.client, &self.router, &self.server] {
            if let Err(e) = netns::delete(ns.name()) {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(started.elapsed()),
        }
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if let Err(e) = self.remove_now() {
            eprintln!("warning: removing topology {}: {e}", self.plan.kind);
        }
    }
}

/// Creates the three namespaces into `made` (so a failure can remove
/// them), links, addresses, routes, the ruleset, then the preflight.
fn build_into(plan: &Plan, stem: &str, made: &mut Vec<Netns>) -> Result<(), TopologyError> {
    for role in ["client", "router", "server"] {
        made.push(Netns::create(&format!("{stem}-{role}"))?);
    }
    let [c, r, s] = [&made[0], &made[1], &made[2]];
    link(c, CLIENT_IF, r, ROUTER_CLIENT_IF)?;
    link(s, SERVER_IF, r, ROUTER_SERVER_IF)?;
    address(c, CLIENT_IF, plan.client)?;
    address(r, ROUTER_CLIENT_IF, plan.router_client_side)?;
    address(r, ROUTER_SERVER_IF, plan.router_server_side)?;
    address(s, SERVER_IF, plan.server)?;
    default_route(c, plan.router_client_side.ip)?;
    default_route(s, plan.router_server_side.ip)?;
    forwarding(r, plan.is_ipv6())?;
    if let Some(ruleset) = rules::ruleset(plan) {
        let mut nft = r.command("nft");
        nft.args(["-f", "-"]);
        exec::run_command(nft, &format!("nft -f - in {}", r.name()), Some(&ruleset))?;
    }
    run_preflight(plan, &[c, r, s])?;
    let site = netns::Site {
        control_port: plan::CONTROL_PORT,
        passive: plan::PASSIVE_RANGE,
        announce: plan.announce(),
    };
    for ns in [c, r, s] {
        ns.set_verified(site);
    }
    Ok(())
}

/// A veth pair created directly inside the two namespaces.
fn link(a: &Netns, a_if: &str, b: &Netns, b_if: &str) -> Result<(), TopologyError> {
    let args = [
        "link",
        "add",
        a_if,
        "netns",
        a.name(),
        "type",
        "veth",
        "peer",
        "name",
        b_if,
        "netns",
        b.name(),
    ];
    exec::run("ip", &args, None)?;
    ip_in(a, &["link", "set", a_if, "up"])?;
    ip_in(b, &["link", "set", b_if, "up"])
}

fn address(ns: &Netns, iface: &str, cidr: plan::Cidr) -> Result<(), TopologyError> {
    let cidr = cidr.to_string();
    let mut args = vec!["addr", "add", cidr.as_str(), "dev", iface];
    if cidr.contains(':') {
        // No duplicate address detection: the address is usable at once.
        args.push("nodad");
    }
    ip_in(ns, &args)
}

fn default_route(ns: &Netns, via: std::net::IpAddr) -> Result<(), TopologyError> {
    let via = via.to_string();
    let family = if via.contains(':') { "-6" } else { "-4" };
    ip_in(ns, &[family, "route", "add", "default", "via", &via])
}

fn forwarding(router: &Netns, ipv6: bool) -> Result<(), TopologyError> {
    let key = if ipv6 {
        "net.ipv6.conf.all.forwarding=1"
    } else {
        "net.ipv4.ip_forward=1"
    };
    let mut cmd = router.command("sysctl");
    cmd.args(["-qw", key]);
    exec::run_command(cmd, &format!("sysctl {key}"), None).map(drop)
}

fn ip_in(ns: &Netns, args: &[&str]) -> Result<(), TopologyError> {
    let mut all = vec!["-n", ns.name()];
    all.extend_from_slice(args);
    exec::run("ip", &all, None).map(drop)
}

/// Reads each namespace's links, addresses, routes and peer ids, and the
/// host's peer ids, and checks them.
fn run_preflight(plan: &Plan, namespaces: &[&Netns]) -> Result<(), TopologyError> {
    let mut views = BTreeMap::new();
    for ns in namespaces {
        views.insert(ns.name().to_string(), view_of(ns)?);
    }
    let host_ids = json(&["-j", "netns", "list-id"])?;
    let problems = preflight::check(plan, &views, &host_ids);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(TopologyError::Preflight(problems))
    }
}

fn view_of(ns: &Netns) -> Result<NsView, TopologyError> {
    let n = ns.name();
    Ok(NsView {
        links: json(&["-j", "-d", "-n", n, "link", "show"])?,
        addrs: json(&["-j", "-n", n, "addr", "show"])?,
        routes: vec![
            json(&["-j", "-4", "-n", n, "route", "show", "table", "all"])?,
            json(&["-j", "-6", "-n", n, "route", "show", "table", "all"])?,
        ],
        ids: json(&["-j", "-n", n, "netns", "list-id"])?,
    })
}

fn json(args: &[&str]) -> Result<serde_json::Value, TopologyError> {
    let out = exec::run("ip", args, None)?;
    if out.trim().is_empty() {
        return Ok(serde_json::Value::Array(Vec::new()));
    }
    serde_json::from_str(&out).map_err(|e| TopologyError::Tool {
        what: format!("ip {}", args.join(" ")),
        detail: format!("unreadable JSON: {e}"),
    })
}
