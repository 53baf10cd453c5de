//! Per-case loopback addresses, so that cases run side by side without
//! sharing a listener: a server case against an IPv4 loopback server
//! leases two addresses of 127.0.0.0/8, its own (the fake client's control
//! and data connections come from it, its active listeners and fixed-port
//! traps such as `PORT <own>:80` bind there) and a foreign host's (bounce
//! traps, theft attempts). A server that connects late, after its case
//! ended, reaches an address no other case listens on.
//!
//! Suites name the foreign host 127.0.0.2 ([`DEFAULT_FOREIGN`], also the
//! value of `${foreign_ip}` without a lease); a lease puts its foreign
//! address in its place. Leases start at 127.0.0.3 and 127.0.0.4 and go up
//! in pairs inside each /24 (last octets 3 to 254); a process starts at a
//! place drawn from its PID, so that processes running cases at the same
//! time (nextest runs each trial in its own) rarely meet. Addresses are
//! not given back: one process would need more than eight million cases to
//! come round again.
//!
//! IPv6 loopback has one address (::1): there is no lease, and cases on
//! ::1 take turns on fixed ports as before.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The foreign host suites name, and `${foreign_ip}` without a lease.
pub const DEFAULT_FOREIGN: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Pairs per /24: last octets (3, 4), (5, 6) ... (253, 254).
const PAIRS_PER_24: u32 = 126;
/// Pairs in 127.0.0.0/8.
const PAIRS: u32 = PAIRS_PER_24 << 16;

static NEXT: AtomicU32 = AtomicU32::new(0);
static START: OnceLock<u32> = OnceLock::new();

/// The loopback addresses one case has to itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The fake client's address: control and data connections come from
    /// it; its active listeners bind there.
    pub own: Ipv4Addr,
    /// The case's "foreign host", in place of 127.0.0.2.
    pub foreign: Ipv4Addr,
}

impl Lease {
    /// A fresh lease for a case against `server`, when that is an IPv4
    /// loopback address (else `None`: the case uses the addresses the
    /// kernel picks, and 127.0.0.2).
    pub fn for_server(server: SocketAddr) -> Option<Lease> {
        match server.ip() {
            IpAddr::V4(ip) if ip.is_loopback() => Some(Lease::next()),
            _ => None,
        }
    }

    fn next() -> Lease {
        let start = *START.get_or_init(|| std::process::id().wrapping_mul(2_654_435_761) % PAIRS);
        let n = start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % PAIRS;
        Lease::nth(n)
    }

    /// The `n`th pair of 127.0.0.0/8 (0: 127.0.0.3 and 127.0.0.4).
    fn nth(n: u32) -> Lease {
        let net = n / PAIRS_PER_24;
        let last = 3 + 2 * (n % PAIRS_PER_24) as u8;
        let at = |last: u8| Ipv4Addr::new(127, (net >> 8) as u8, net as u8, last);
        Lease {
            own: at(last),
            foreign: at(last + 1),
        }
    }

    /// `ip` as this case means it: the default foreign host becomes the
    /// lease's; any other address stays.
    pub fn foreign_for(lease: Option<&Lease>, ip: IpAddr) -> IpAddr {
        match lease {
            Some(l) if ip == IpAddr::V4(DEFAULT_FOREIGN) => IpAddr::V4(l.foreign),
            _ => ip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_stay_inside_a_24_and_avoid_its_ends() {
        assert_eq!(Lease::nth(0).own, Ipv4Addr::new(127, 0, 0, 3));
        assert_eq!(Lease::nth(0).foreign, Ipv4Addr::new(127, 0, 0, 4));
        assert_eq!(Lease::nth(125).foreign, Ipv4Addr::new(127, 0, 0, 254));
        assert_eq!(Lease::nth(126).own, Ipv4Addr::new(127, 0, 1, 3));
        let last = Lease::nth(PAIRS - 1);
        assert_eq!(last.foreign, Ipv4Addr::new(127, 255, 255, 254));
    }

    #[test]
    fn leases_in_flight_never_share_an_address() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let l = Lease::next();
            assert!(seen.insert(l.own) && seen.insert(l.foreign), "{l:?}");
            assert_ne!(l.own, DEFAULT_FOREIGN);
            assert_ne!(l.foreign, DEFAULT_FOREIGN);
        }
    }

    #[test]
    fn only_the_default_foreign_host_is_replaced() {
        let l = Lease::nth(0);
        let two: IpAddr = DEFAULT_FOREIGN.into();
        let five: IpAddr = "127.0.0.5".parse().unwrap();
        assert_eq!(Lease::foreign_for(Some(&l), two), IpAddr::V4(l.foreign));
        assert_eq!(Lease::foreign_for(Some(&l), five), five);
        assert_eq!(Lease::foreign_for(None, two), two);
    }

    #[test]
    fn no_lease_off_ipv4_loopback() {
        assert!(Lease::for_server("[::1]:21".parse().unwrap()).is_none());
        assert!(Lease::for_server("127.0.0.1:21".parse().unwrap()).is_some());
    }
}
