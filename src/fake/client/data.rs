//! The `data` step: negotiate PASV / EPSV / PORT / EPRT, then connect
//! (passive) or listen (active); set bounce traps and theft attempts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::session::{FakeClient, PendingData, SetTrap, Stop, AS_CLIENT};
use crate::net::{Catch, Conn, Listener, Sides};
use crate::script::{DataMode, DataSetup, Direction, Family, Step};
use crate::timeline::{Answer, ConnId, OpenRole, PeerEvent, Purpose, Side};
use crate::wire::addr::{encode_eprt, encode_port, parse_epsv_reply, parse_pasv_reply};
use crate::wire::reply::Reply;

/// The sides of a theft attempt and of a bounce trap: a third party
/// facing the server.
const AS_THIRD: Sides = Sides::new(Side::Third, Side::Server);

/// Turns on fixed-port listeners, shared by all cases of the process.
static FIXED_PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// The longest a case waits for its turn on fixed ports.
const FIXED_PORT_WAIT: Duration = Duration::from_secs(60);

/// What a theft attempt offers on the stolen connection.
const THIEF_DATA: &[u8] = b"forged by ftpconform thief\n";
/// How long a theft attempt waits for the server to answer it on the
/// control connection (an unsolicited reply) or to close the thief's
/// connection, before the case goes on (noted when it expires).
const THEFT_GRACE: Duration = Duration::from_secs(1);
/// Once the server closed the thief's connection, how much longer to wait
/// for a reply it wrote before that close.
const AFTER_CLOSE_GRACE: Duration = Duration::from_millis(300);

/// Where the active side listens: the legitimate listener or a trap.
enum Listen {
    Normal(Listener),
    Trap(Option<Listener>),
}

impl Listen {
    /// The listener's address (none for a trap that could not bind).
    fn addr(&self) -> Option<SocketAddr> {
        match self {
            Listen::Normal(l) | Listen::Trap(Some(l)) => Some(l.local_addr()),
            Listen::Trap(None) => None,
        }
    }
}

impl FakeClient<'_> {
    pub async fn data(&mut self, step: &Step, setup: &DataSetup, t: Duration) -> Result<(), Stop> {
        self.greet(t).await?;
        self.pending = None;
        if setup.fresh_tls_session {
            self.fresh_tls_session();
        }
        let bound = super::family::data_step(setup, &passive_command(setup));
        self.applies(step, bound, t).await?;
        let (command, named, listen) = match setup.mode.is_passive() {
            true => (passive_command(setup), None, None),
            false => {
                let (cmd, named, listen) = self.active_command(setup, step).await?;
                (cmd, Some(named), Some(listen))
            }
        };
        self.mark(format!("{}: {command}", step.loc));
        self.record(PeerEvent::Negotiating {
            named,
            listener: listen.as_ref().and_then(Listen::addr),
            trap: matches!(listen, Some(Listen::Trap(_))),
        });
        self.send_line(&command, t).await?;
        let exp = setup.reply_expect();
        let reply = self.await_reply(Purpose::Negotiation, t).await?;
        self.capture(&exp, &reply);
        self.unless_unimplemented(&exp, &reply)?;
        let accepted = reply.code / 100 == 2;
        // A negotiation the script expects to be refused makes no
        // connection, even when the server accepts it.
        let connect = accepted && exp.allows_success();
        match (connect, listen) {
            (true, None) => self.passive(setup, &reply, t).await?,
            (_, Some(listen)) => self.active(listen, accepted),
            (false, None) => {}
        }
        if !accepted && exp.wants_success() {
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
        let named = setup.address.map(|a| self.target.foreign(a));
        let ip = named.unwrap_or_else(|| own_ip(local, setup.family));
        if !is_loopback(ip) {
            let why = format!("{}: refusing to name non-loopback address {ip}", step.loc);
            return Err(Stop::Harness(why));
        }
        let foreign = ip != own_ip(local, setup.family) || setup.port.is_some_and(|p| p < 1024);
        let bind = SocketAddr::new(ip, setup.port.unwrap_or(0));
        // With a lease the fixed port is on the case's own addresses.
        if setup.port.is_some() && self.target.lease.is_none() {
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
            Err(_) => self.remark("no turn on fixed trap ports: another case held them"),
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
                self.remark(format!("{e}: only the reply is checked"));
                Ok(Listen::Trap(None))
            }
            Err(e) => Err(Stop::Harness(e.to_string())),
        }
    }

    /// After the PORT / EPRT reply: wait for the server in the background,
    /// or keep the trap watching.
    fn active(&mut self, listen: Listen, accepted: bool) {
        match listen {
            Listen::Normal(l) if accepted => match l.into_pending(OpenRole::Data) {
                Ok(p) => self.pending = Some(PendingData::Active(p)),
                Err(e) => self.remark(format!("active listener lost: {e}")),
            },
            Listen::Normal(_) | Listen::Trap(None) => {}
            Listen::Trap(Some(l)) => {
                let addr = l.local_addr();
                let trap = l.into_trap(Catch::Read(self.case.timeout));
                self.traps.push(SetTrap {
                    trap,
                    addr,
                    accepted,
                });
                self.strays_checked = false;
            }
        }
    }

    /// After a 227 / 229: find the address, let a thief try, connect.
    async fn passive(&mut self, setup: &DataSetup, reply: &Reply, t: Duration) -> Result<(), Stop> {
        let server = self.ctrl()?.peer_addr().ip();
        let announced = announced_addr(setup, reply, server);
        self.record(PeerEvent::Announced(announced.clone()));
        let Ok(announced) = announced else {
            return Err(Stop::Halt);
        };
        let target = self.connect_target(announced, server);
        if let Some(thief) = setup.steal_from.map(|ip| self.target.foreign(ip)) {
            let conn = self.steal(thief, target, t).await;
            self.record(PeerEvent::Theft { from: thief, conn });
        }
        if setup.connect_late {
            self.pending = Some(PendingData::Late(target));
            return Ok(());
        }
        let conn = self.connect_data(target, server, t).await?;
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
        self.remark(format!(
            "227 named non-loopback {announced}; connecting to {target}"
        ));
        target
    }

    /// Connects the data connection; if the announced address refuses and
    /// differs from the server's, retries the server's address (as most
    /// clients do) so that the case can go on.
    pub async fn connect_data(
        &mut self,
        target: SocketAddr,
        server: IpAddr,
        t: Duration,
    ) -> Result<Conn, Stop> {
        let own = self.target.own();
        let first = Conn::connect(target, own, OpenRole::Data, AS_CLIENT, t, &self.tl).await;
        let err = match first {
            Ok(c) => return Ok(c),
            Err(e) => e,
        };
        if target.ip() != server {
            let retry = SocketAddr::new(server, target.port());
            self.remark(format!(
                "{target}: {err}; retried the control address {retry}"
            ));
            let second = Conn::connect(retry, own, OpenRole::Data, AS_CLIENT, t, &self.tl).await;
            if let Ok(c) = second {
                return Ok(c);
            }
        }
        self.record(PeerEvent::NoDataConnection {
            target,
            reason: err.to_string(),
        });
        Err(Stop::Halt)
    }

    /// A theft attempt: connect from `thief` first, read whatever the
    /// server serves there in the background.
    async fn steal(&mut self, thief: IpAddr, target: SocketAddr, t: Duration) -> Option<ConnId> {
        if !is_loopback(thief) {
            self.remark(format!("steal-from {thief} is not loopback: not attempted"));
            return None;
        }
        self.strays_checked = false;
        let res = Conn::connect(target, Some(thief), OpenRole::Stray, AS_THIRD, t, &self.tl).await;
        let mut conn = res.ok()?;
        let id = conn.id();
        self.unsolicited_reply(&mut conn).await;
        self.thief = Some(conn);
        Some(id)
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
    /// foreign address`), then close the thief's connection. Read that
    /// reply now, so that it is not taken for the answer to the next
    /// command: wait for it, or for the thief's connection to end (then
    /// briefly for a reply written before the close), for at most
    /// `THEFT_GRACE`.
    async fn unsolicited_reply(&mut self, thief: &mut Conn) {
        let Some(ctrl) = self.ctrl.as_mut() else {
            return;
        };
        let (reply, closed) = tokio::select! {
            biased;
            r = ctrl.reply(THEFT_GRACE) => (r.ok(), false),
            _ = thief.read_chunk(1 << 16) => (ctrl.reply(AFTER_CLOSE_GRACE).await.ok(), true),
        };
        let fmt = crate::net::fmt_duration;
        match (reply, closed) {
            (Some((n, _)), _) => self.record(PeerEvent::Awaited {
                purpose: Purpose::Unsolicited,
                answer: Answer::Reply(n),
            }),
            (None, true) => self.remark(format!(
                "the server closed or used the thief's connection, with no reply within {} after",
                fmt(AFTER_CLOSE_GRACE)
            )),
            (None, false) => self.remark(format!(
                "no reply and no end of the thief's connection within {}; a later reply would be read as the next command's answer",
                fmt(THEFT_GRACE)
            )),
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

/// The address a 227 or 229 announces (229: the server's address, in the
/// asked family when it differs from the control connection's).
fn announced_addr(setup: &DataSetup, reply: &Reply, server: IpAddr) -> Result<SocketAddr, String> {
    let text = reply.text();
    if setup.mode == DataMode::Pasv {
        return parse_pasv_reply(&text)
            .map(SocketAddr::V4)
            .map_err(|e| e.to_string());
    }
    let port = parse_epsv_reply(&text).map_err(|e| e.to_string())?;
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

/// Loopback, or any address inside a topology namespace the harness built
/// (whose preflight proved it reaches nothing outside).
fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback() || crate::topology::inside_verified()
}
