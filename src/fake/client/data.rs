//! The `data` step: negotiate PASV / EPSV / PORT / EPRT, then connect
//! (passive) or listen (active); set bounce traps and theft attempts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::expect;
use super::session::{first_line, FakeClient, Stop};
use crate::check::facts::Negotiation;
use crate::net::{Catch, Conn, Listener, PendingAccept, Sides};
use crate::script::{DataMode, DataSetup, Direction, Family, ReplyExpect, Step};
use crate::timeline::{OpenRole, Side};
use crate::wire::addr::{encode_eprt, encode_port, parse_epsv_reply, parse_pasv_reply};
use crate::wire::reply::Reply;

/// The fake client's sides on its control and data connections.
pub const AS_CLIENT: Sides = Sides::new(Side::Client, Side::Server);
/// The sides of a theft attempt and of a bounce trap: a third party
/// facing the server.
const AS_THIRD: Sides = Sides::new(Side::Third, Side::Server);

/// Turns on fixed-port listeners, shared by all cases of the process.
static FIXED_PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// The longest a case waits for its turn on fixed ports.
const FIXED_PORT_WAIT: Duration = Duration::from_secs(60);

/// What a theft attempt offers on the stolen connection.
const THIEF_DATA: &[u8] = b"forged by ftpconform thief\n";
/// How long to wait for an unsolicited reply after a theft attempt.
const UNSOLICITED_WAIT: Duration = Duration::from_millis(200);

/// The data connection the next transfer uses.
pub enum PendingData {
    /// Passive, connected right after the reply.
    Connected(Conn),
    /// Passive, to connect after the transfer command was sent.
    Late(SocketAddr),
    /// Active: the server will connect to our listener.
    Active(PendingAccept),
}

/// Where the active side listens: the legitimate listener or a trap.
enum Listen {
    Normal(Listener),
    Trap(Option<Listener>),
}

impl FakeClient<'_> {
    pub async fn data(&mut self, step: &Step, setup: &DataSetup, t: Duration) -> Result<(), Stop> {
        self.greet(&step.loc, t).await?;
        self.pending = None;
        let (command, named, listen) = match setup.mode.is_passive() {
            true => (passive_command(setup), None, None),
            false => {
                let (cmd, named, listen) = self.active_command(setup, step).await?;
                (cmd, Some(named), Some(listen))
            }
        };
        let sent_seq = self.mark(format!("{}: {command}", step.loc));
        self.send_line(&command, &step.loc, t).await?;
        let exp = setup
            .expect
            .clone()
            .unwrap_or_else(|| default_expect(setup.mode));
        let reply = self.read_reply(&exp, &step.loc, t).await?;
        let trap = matches!(listen, Some(Listen::Trap(_)));
        if setup.expect.is_some() || !trap {
            self.grade(&exp, &reply, &step.loc);
        }
        let mut neg = Negotiation {
            mode: setup.mode,
            loc: Some(step.loc.clone()),
            sent_seq,
            reply_code: Some(reply.code),
            announced: None,
            named,
            listener: None,
            trap,
            explicit_expect: setup.expect.is_some(),
            thief: None,
            transfer: None,
        };
        let accepted = reply.code / 100 == 2;
        // A negotiation the script expects to be refused makes no
        // connection, even when the server accepts it.
        let connect = accepted && expect::allows_success(&exp);
        let result = match (connect, listen) {
            (true, None) => self.passive(step, setup, &reply, &mut neg, t).await,
            (_, Some(listen)) => {
                self.active(listen, accepted, &mut neg);
                Ok(())
            }
            (false, None) => Ok(()),
        };
        self.negs.push(neg);
        result?;
        if !accepted && expect::wants_success(&exp) {
            return Err(Stop::Halt);
        }
        Ok(())
    }

    /// The PORT / EPRT command, the address it names and its listener.
    async fn active_command(
        &mut self,
        setup: &DataSetup,
        step: &Step,
    ) -> Result<(String, SocketAddr, Listen), Stop> {
        let local = self.ctrl()?.local_addr().ip();
        let ip = setup.address.unwrap_or_else(|| own_ip(local, setup.family));
        if !is_loopback(ip) {
            let why = format!("{}: refusing to name non-loopback address {ip}", step.loc);
            return Err(Stop::Harness(why));
        }
        let foreign = ip != own_ip(local, setup.family) || setup.port.is_some_and(|p| p < 1024);
        let bind = SocketAddr::new(ip, setup.port.unwrap_or(0));
        if setup.port.is_some() {
            self.hold_fixed_ports().await;
        }
        let listen = self.listen(bind, foreign).await?;
        let port = match &listen {
            Listen::Normal(l) | Listen::Trap(Some(l)) => l.local_addr().port(),
            Listen::Trap(None) => bind.port(),
        };
        let named = SocketAddr::new(ip, port);
        let cmd = match (setup.mode, named) {
            (DataMode::Port, SocketAddr::V4(v4)) => format!("PORT {}", encode_port(v4)),
            (DataMode::Port, SocketAddr::V6(_)) => {
                let why = format!("{}: PORT cannot name an IPv6 address", step.loc);
                return Err(Stop::Harness(why));
            }
            _ => format!("EPRT {}", encode_eprt(named)),
        };
        Ok((cmd, named, listen))
    }

    /// A listener on a fixed port (`port: 80`) is shared by every case of
    /// the process that names it, and a connection arriving there could be
    /// another case's server: such cases take turns, holding this lock until
    /// they end (a bounded wait; past it the case runs without the lock).
    async fn hold_fixed_ports(&mut self) {
        if self.fixed_port_turn.is_some() {
            return;
        }
        match tokio::time::timeout(FIXED_PORT_WAIT, FIXED_PORTS.lock()).await {
            Ok(guard) => self.fixed_port_turn = Some(guard),
            Err(_) => self
                .found
                .note("no turn on fixed trap ports: another case held them"),
        }
    }

    async fn listen(&mut self, bind: SocketAddr, foreign: bool) -> Result<Listen, Stop> {
        let purpose = if foreign {
            "bounce trap"
        } else {
            "active data"
        };
        let sides = if foreign { AS_THIRD } else { AS_CLIENT };
        match Listener::bind(bind, sides, purpose, &self.tl).await {
            Ok(l) if foreign => Ok(Listen::Trap(Some(l))),
            Ok(l) => Ok(Listen::Normal(l)),
            Err(e) if foreign => {
                self.found.note(format!("{e}: only the reply is checked"));
                Ok(Listen::Trap(None))
            }
            Err(e) => Err(Stop::Harness(e.to_string())),
        }
    }

    /// After the PORT / EPRT reply: wait for the server in the background,
    /// or keep the trap watching.
    fn active(&mut self, listen: Listen, accepted: bool, neg: &mut Negotiation) {
        match listen {
            Listen::Normal(l) => {
                neg.listener = Some(l.local_addr());
                if accepted {
                    match l.into_pending(OpenRole::Data) {
                        Ok(p) => self.pending = Some(PendingData::Active(p)),
                        Err(e) => self.found.note(format!("active listener lost: {e}")),
                    }
                }
            }
            Listen::Trap(Some(l)) => {
                neg.listener = Some(l.local_addr());
                self.traps.push(l.into_trap(Catch::Read(self.case.timeout)));
                self.strays_checked = false;
            }
            Listen::Trap(None) => {}
        }
    }

    /// After a 227 / 229: find the address, let a thief try, connect.
    async fn passive(
        &mut self,
        step: &Step,
        setup: &DataSetup,
        reply: &Reply,
        neg: &mut Negotiation,
        t: Duration,
    ) -> Result<(), Stop> {
        let server = self.ctrl()?.peer_addr().ip();
        let announced = match announced_addr(setup, reply, server) {
            Ok(a) => a,
            Err(why) => {
                self.violate(None, &step.loc, why, first_line(reply));
                return Err(Stop::Halt);
            }
        };
        neg.announced = Some(announced);
        let target = self.connect_target(announced, server);
        if let Some(thief) = setup.steal_from {
            neg.thief = Some(thief);
            self.steal(thief, target, t).await;
        }
        if setup.connect_late {
            self.pending = Some(PendingData::Late(target));
            return Ok(());
        }
        let conn = self.connect_data(step, target, server, t).await?;
        self.pending = Some(PendingData::Connected(conn));
        Ok(())
    }

    /// Never connect outside loopback: a 227 naming another host is
    /// replaced by the control connection's server address (and noted).
    fn connect_target(&mut self, announced: SocketAddr, server: IpAddr) -> SocketAddr {
        if is_loopback(announced.ip()) {
            return announced;
        }
        let target = SocketAddr::new(server, announced.port());
        self.found.note(format!(
            "227 named non-loopback {announced}; connecting to {target}"
        ));
        target
    }

    /// Connects the data connection; if the announced address refuses and
    /// differs from the server's, retries the server's address (as most
    /// clients do) so that the case can go on.
    pub async fn connect_data(
        &mut self,
        step: &Step,
        target: SocketAddr,
        server: IpAddr,
        t: Duration,
    ) -> Result<Conn, Stop> {
        let first = Conn::connect(target, None, OpenRole::Data, AS_CLIENT, t, &self.tl).await;
        let err = match first {
            Ok(c) => return Ok(c),
            Err(e) => e,
        };
        if target.ip() != server {
            let retry = SocketAddr::new(server, target.port());
            self.found.note(format!(
                "{target}: {err}; retried the control address {retry}"
            ));
            let second = Conn::connect(retry, None, OpenRole::Data, AS_CLIENT, t, &self.tl).await;
            if let Ok(c) = second {
                return Ok(c);
            }
        }
        let expected = format!("a data connection to {target}");
        self.violate(None, &step.loc, expected, err.to_string());
        Err(Stop::Halt)
    }

    /// A theft attempt: connect from `thief` first, read whatever the
    /// server serves there in the background.
    async fn steal(&mut self, thief: IpAddr, target: SocketAddr, t: Duration) {
        if !is_loopback(thief) {
            self.found
                .note(format!("steal-from {thief} is not loopback: not attempted"));
            return;
        }
        self.strays_checked = false;
        let res = Conn::connect(target, Some(thief), OpenRole::Stray, AS_THIRD, t, &self.tl).await;
        let Ok(conn) = res else {
            return;
        };
        self.unsolicited_reply().await;
        self.thief = Some(conn);
    }

    /// Lets the thief's connection play its part once the transfer's
    /// direction is known: on a download it only reads what the server
    /// serves there; on an upload it offers forged data and ends it (FIN),
    /// so that a server taking the thief stores it and answers promptly.
    pub async fn release_thief(&mut self, direction: Direction, t: Duration) {
        let Some(mut conn) = self.thief.take() else {
            return;
        };
        let read_for = t * 2;
        self.thieves.push(tokio::spawn(async move {
            if direction == Direction::Upload {
                let _ = conn.write_all(THIEF_DATA, read_for).await;
                conn.shutdown().await;
            }
            conn.drain(1 << 20, read_for).await;
        }));
    }
}

impl FakeClient<'_> {
    /// Some servers answer a refused theft with an unsolicited reply on the
    /// control connection (pyftpdlib: `425 Rejected data connection from
    /// foreign address`). Read it now, as a note, so that it is not taken
    /// for the answer to the next command.
    async fn unsolicited_reply(&mut self) {
        let Some(ctrl) = self.ctrl.as_mut() else {
            return;
        };
        if let Ok(reply) = ctrl.recv(UNSOLICITED_WAIT).await {
            self.remember_reply(&reply);
            let line = first_line(&reply);
            self.found
                .note(format!("unsolicited reply after the theft attempt: {line}"));
        }
    }
}

fn passive_command(setup: &DataSetup) -> String {
    match (setup.mode, setup.family) {
        (DataMode::Epsv, Some(Family::V4)) => "EPSV 1".to_string(),
        (DataMode::Epsv, Some(Family::V6)) => "EPSV 2".to_string(),
        (DataMode::Epsv, None) => "EPSV".to_string(),
        _ => "PASV".to_string(),
    }
}

fn default_expect(mode: DataMode) -> ReplyExpect {
    expect::codes(&[match mode {
        DataMode::Pasv => 227,
        DataMode::Epsv => 229,
        DataMode::Port | DataMode::Eprt => 200,
    }])
}

/// The address a 227 or 229 announces (229: the server's address, in the
/// asked family when it differs from the control connection's).
fn announced_addr(setup: &DataSetup, reply: &Reply, server: IpAddr) -> Result<SocketAddr, String> {
    let text = reply.text();
    if setup.mode == DataMode::Pasv {
        return parse_pasv_reply(&text)
            .map(SocketAddr::V4)
            .map_err(|e| format!("227 with an address h1,h2,h3,h4,p1,p2 ({e})"));
    }
    let port = parse_epsv_reply(&text).map_err(|e| format!("229 with (|||port|) ({e})"))?;
    Ok(SocketAddr::new(own_ip(server, setup.family), port))
}

/// `ip` itself, or the loopback address of the asked family.
fn own_ip(ip: IpAddr, family: Option<Family>) -> IpAddr {
    match (family, ip) {
        (Some(Family::V6), IpAddr::V4(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (Some(Family::V4), IpAddr::V6(_)) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => ip,
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}
