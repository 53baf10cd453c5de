//! Free loopback ports: one control port, and ranges for passive data.
//!
//! A port found free may be taken again before the server binds it; the
//! starters retry with fresh ports when a server fails to come up.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};

use super::error::StartError;

/// Ranges are taken below Linux's ephemeral range (32768-60999), so that
/// the OS does not hand the same ports to outgoing connections.
const RANGE_FLOOR: u32 = 10_000;
const RANGE_SPAN: u32 = 22_000;
const ATTEMPTS: u32 = 50;

/// Asks the OS for a free port on `ip` (bind port 0, read it, drop it).
pub fn free_port(ip: IpAddr) -> Result<u16, StartError> {
    for _ in 0..ATTEMPTS {
        if let Ok(listener) = TcpListener::bind(SocketAddr::new(ip, 0)) {
            if let Ok(addr) = listener.local_addr() {
                return Ok(addr.port());
            }
        }
    }
    Err(StartError::NoFreePort(ATTEMPTS))
}

/// Finds `len` consecutive free ports on `ip`; returns (first, last).
///
/// Candidate bases are spread by process id and a counter, so that parallel
/// tests (and other processes running this code) rarely probe the same one.
pub fn free_range(ip: IpAddr, len: u16) -> Result<(u16, u16), StartError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let len32 = u32::from(len.max(1));
    let slots = RANGE_SPAN / len32;
    let seed = std::process::id().wrapping_mul(7919);
    for _ in 0..ATTEMPTS {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let slot = seed.wrapping_add(n.wrapping_mul(37)) % slots;
        let base = RANGE_FLOOR + slot * len32;
        let (lo, hi) = (base as u16, (base + len32 - 1) as u16);
        if range_is_free(ip, lo, hi) {
            return Ok((lo, hi));
        }
    }
    Err(StartError::NoFreePort(ATTEMPTS))
}

fn range_is_free(ip: IpAddr, lo: u16, hi: u16) -> bool {
    let mut held = Vec::new();
    for port in lo..=hi {
        match TcpListener::bind(SocketAddr::new(ip, port)) {
            Ok(listener) => held.push(listener),
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn free_range_has_requested_length_and_binds() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let (lo, hi) = free_range(ip, 20).expect("a free range");
        assert_eq!(hi - lo, 19);
        assert!(u32::from(lo) >= RANGE_FLOOR);
        assert!(TcpListener::bind((ip, lo)).is_ok());
    }

    #[test]
    fn successive_ranges_differ() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let a = free_range(ip, 20).expect("a free range");
        let b = free_range(ip, 20).expect("a free range");
        assert_ne!(a, b);
    }
}
