//! The named topologies as plain data: which addresses each namespace
//! holds, what the router translates and filters. No I/O here.
//!
//! Every topology is three namespaces in a line, client — router — server,
//! joined by two veth pairs and nothing else. Inside addresses are private
//! (10.0.1.0/24 for a client behind NAT, 10.0.2.0/24 for a server behind
//! NAT); "public" addresses are RFC 5737 documentation ranges (198.51.100.0/24
//! on the client's side, 203.0.113.0/24 on the server's) or, for IPv6, the
//! RFC 3849 documentation prefix 2001:db8::/32. They exist only inside the
//! namespaces, whose routing tables are their own: parallel runs use the
//! same ranges in different namespaces without ever meeting.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The FTP control port the servers listen on inside a topology (the
/// kernel's FTP helper is attached to it).
pub const CONTROL_PORT: u16 = 21;
/// The passive port range every server is configured with inside a
/// topology (the firewall opens it, the masquerading router forwards it).
pub const PASSIVE_RANGE: (u16, u16) = (30000, 30019);

/// The veth interface names (they live inside the namespaces only).
pub const CLIENT_IF: &str = "c0";
pub const ROUTER_CLIENT_IF: &str = "r-c";
pub const ROUTER_SERVER_IF: &str = "r-s";
pub const SERVER_IF: &str = "s0";

/// A named topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A router that only routes: no translation, no filter.
    Direct,
    /// The client behind a masquerading router with a stateful filter
    /// (nothing new comes in), and no FTP helper.
    ClientNat,
    /// As `ClientNat`, with the kernel's FTP helper on port 21: it rewrites
    /// PORT/EPRT and lets the server's data connection in.
    ClientNatAlg,
    /// The server behind a router that forwards port 21 only (and
    /// masquerades the server's own connections).
    ServerNat,
    /// As `ServerNat`, with the FTP helper: it rewrites the 227 and lets
    /// the client's passive data connection in.
    ServerNatAlg,
    /// As `ServerNat`, with the passive range forwarded too and the server
    /// configured to announce its public address.
    ServerNatMasquerade,
    /// No translation; a firewall in front of the server opens port 21 and
    /// the passive range only.
    FirewallPassiveRange,
    /// IPv6, no translation; the same firewall as `FirewallPassiveRange`.
    FirewallIpv6,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Direct,
        Kind::ClientNat,
        Kind::ClientNatAlg,
        Kind::ServerNat,
        Kind::ServerNatAlg,
        Kind::ServerNatMasquerade,
        Kind::FirewallPassiveRange,
        Kind::FirewallIpv6,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Direct => "direct",
            Kind::ClientNat => "client-nat",
            Kind::ClientNatAlg => "client-nat-alg",
            Kind::ServerNat => "server-nat",
            Kind::ServerNatAlg => "server-nat-alg",
            Kind::ServerNatMasquerade => "server-nat-masquerade",
            Kind::FirewallPassiveRange => "firewall-passive-range",
            Kind::FirewallIpv6 => "firewall-ipv6",
        }
    }

    pub fn by_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Every name, for help texts and errors.
    pub fn names() -> Vec<&'static str> {
        Kind::ALL.iter().map(|k| k.name()).collect()
    }

    /// One line on what the topology models.
    pub fn meaning(self) -> &'static str {
        match self {
            Kind::Direct => "a plain router: no translation, no filter",
            Kind::ClientNat => "client behind a masquerading router, no FTP helper",
            Kind::ClientNatAlg => {
                "client behind a masquerading router with the kernel's FTP helper"
            }
            Kind::ServerNat => "server behind NAT, port 21 forwarded only",
            Kind::ServerNatAlg => "server behind NAT, port 21 forwarded, kernel's FTP helper",
            Kind::ServerNatMasquerade => {
                "server behind NAT, port 21 and the passive range forwarded, server told its public address"
            }
            Kind::FirewallPassiveRange => {
                "no NAT; firewall opens port 21 and the passive range to the server"
            }
            Kind::FirewallIpv6 => "IPv6, no NAT; firewall opens port 21 and the passive range",
        }
    }

    /// The addressing and the router's behaviour.
    pub fn plan(self) -> Plan {
        Plan::of(self)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An address with its prefix length, as given to `ip addr add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub ip: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    const fn v4(a: u8, b: u8, c: u8, d: u8) -> Cidr {
        Cidr {
            ip: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            prefix: 24,
        }
    }

    const fn v6(net: u16, host: u16) -> Cidr {
        Cidr {
            ip: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, net, 0, 0, 0, 0, host)),
            prefix: 64,
        }
    }

    /// Whether `ip` is in this address's network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.ip, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ip, self.prefix)
    }
}

/// What the router translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nat {
    None,
    /// Source NAT of the client's connections to the router's address.
    Client,
    /// Port 21 (and `forward_passive`: the passive range) forwarded to the
    /// server; the server's own connections masqueraded.
    Server {
        forward_passive: bool,
    },
}

/// The whole addressing of one topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub kind: Kind,
    pub client: Cidr,
    pub router_client_side: Cidr,
    pub router_server_side: Cidr,
    pub server: Cidr,
    pub nat: Nat,
    /// The kernel's FTP helper on the control port.
    pub helper: bool,
    /// Only port 21 and the passive range may be opened toward the server;
    /// everything may go out.
    pub firewall: bool,
    /// The server is told its public address (vsftpd `pasv_address`,
    /// proftpd `MasqueradeAddress`, pure-ftpd `-P`, pyftpdlib `-n`).
    pub server_told_public: bool,
}

impl Plan {
    fn of(kind: Kind) -> Plan {
        let public_client = (Cidr::v4(198, 51, 100, 2), Cidr::v4(198, 51, 100, 1));
        let public_server = (Cidr::v4(203, 0, 113, 1), Cidr::v4(203, 0, 113, 2));
        let private_client = (Cidr::v4(10, 0, 1, 2), Cidr::v4(10, 0, 1, 1));
        let private_server = (Cidr::v4(10, 0, 2, 1), Cidr::v4(10, 0, 2, 2));
        let ((client, rc), (rs, server)) = match kind {
            Kind::ClientNat | Kind::ClientNatAlg => (private_client, public_server),
            Kind::ServerNat | Kind::ServerNatAlg | Kind::ServerNatMasquerade => {
                (public_client, private_server)
            }
            Kind::FirewallIpv6 => (
                (Cidr::v6(1, 2), Cidr::v6(1, 1)),
                (Cidr::v6(2, 1), Cidr::v6(2, 2)),
            ),
            Kind::Direct | Kind::FirewallPassiveRange => (public_client, public_server),
        };
        let nat = match kind {
            Kind::ClientNat | Kind::ClientNatAlg => Nat::Client,
            Kind::ServerNat | Kind::ServerNatAlg => Nat::Server {
                forward_passive: false,
            },
            Kind::ServerNatMasquerade => Nat::Server {
                forward_passive: true,
            },
            _ => Nat::None,
        };
        Plan {
            kind,
            client,
            router_client_side: rc,
            router_server_side: rs,
            server,
            nat,
            helper: matches!(kind, Kind::ClientNatAlg | Kind::ServerNatAlg),
            firewall: matches!(kind, Kind::FirewallPassiveRange | Kind::FirewallIpv6),
            server_told_public: kind == Kind::ServerNatMasquerade,
        }
    }

    pub fn is_ipv6(&self) -> bool {
        self.server.ip.is_ipv6()
    }

    /// Where the client connects: the server itself, or the router's
    /// public address when the server is behind NAT.
    pub fn public_server(&self) -> SocketAddr {
        let ip = match self.nat {
            Nat::Server { .. } => self.router_client_side.ip,
            _ => self.server.ip,
        };
        SocketAddr::new(ip, CONTROL_PORT)
    }

    /// Where the server listens (inside its namespace).
    pub fn server_listen(&self) -> SocketAddr {
        SocketAddr::new(self.server.ip, CONTROL_PORT)
    }

    /// The address the server sees the client's connections come from.
    pub fn client_as_seen(&self) -> IpAddr {
        match self.nat {
            Nat::Client => self.router_server_side.ip,
            _ => self.client.ip,
        }
    }

    /// The address a server should announce in 227: the public one.
    pub fn expected_pasv_address(&self) -> IpAddr {
        self.public_server().ip()
    }

    /// The address the server is told to announce, when the topology tells
    /// it one.
    pub fn announce(&self) -> Option<Ipv4Addr> {
        match (self.server_told_public, self.public_server().ip()) {
            (true, IpAddr::V4(ip)) => Some(ip),
            _ => None,
        }
    }

    /// The networks of the topology: every address and gateway in its
    /// namespaces must fall in one of them.
    pub fn networks(&self) -> [Cidr; 2] {
        [self.client, self.server]
    }

    /// Whether `ip` belongs to the topology (one of its two links).
    pub fn holds(&self, ip: IpAddr) -> bool {
        self.networks().iter().any(|n| n.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::by_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::by_name("nat"), None);
    }

    #[test]
    fn behind_server_nat_the_client_dials_the_router() {
        let p = Kind::ServerNat.plan();
        assert_eq!(p.public_server(), "198.51.100.1:21".parse().unwrap());
        assert_eq!(p.server_listen(), "10.0.2.2:21".parse().unwrap());
        assert_eq!(p.announce(), None);
        let m = Kind::ServerNatMasquerade.plan();
        assert_eq!(m.announce(), Some(Ipv4Addr::new(198, 51, 100, 1)));
    }

    #[test]
    fn behind_client_nat_the_server_sees_the_router() {
        let p = Kind::ClientNatAlg.plan();
        assert_eq!(p.client_as_seen(), "203.0.113.1".parse::<IpAddr>().unwrap());
        assert_eq!(p.public_server(), "203.0.113.2:21".parse().unwrap());
        assert!(p.helper);
    }

    #[test]
    fn every_address_is_private_or_documentation() {
        let documentation: [Cidr; 4] = [
            Cidr::v4(198, 51, 100, 0),
            Cidr::v4(203, 0, 113, 0),
            Cidr {
                ip: "10.0.0.0".parse().unwrap(),
                prefix: 8,
            },
            Cidr {
                ip: "2001:db8::".parse().unwrap(),
                prefix: 32,
            },
        ];
        for kind in Kind::ALL {
            let p = kind.plan();
            for a in [
                p.client,
                p.router_client_side,
                p.router_server_side,
                p.server,
            ] {
                assert!(
                    documentation.iter().any(|d| d.contains(a.ip)),
                    "{kind}: {a}"
                );
                assert!(p.holds(a.ip), "{kind}: {a}");
            }
        }
    }

    #[test]
    fn cidr_contains() {
        let net = Cidr::v4(10, 0, 2, 2);
        assert!(net.contains("10.0.2.200".parse().unwrap()));
        assert!(!net.contains("10.0.3.1".parse().unwrap()));
        assert!(Cidr::v6(1, 1).contains("2001:db8:1::9".parse().unwrap()));
        assert!(!Cidr::v6(1, 1).contains("2001:db8:2::9".parse().unwrap()));
    }
}
