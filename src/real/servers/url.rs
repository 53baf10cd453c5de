//! Targets named by URL: `ftp://[user[:pass]@]host[:port]` (and
//! `ftps://` for implicit FTPS), resolved to an endpoint, and the probe that tells a reachable server from one that is
//! down, refuses or stays silent.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::ServerEndpoint;
use crate::script::Capability;

/// A parsed `ftp://user:pass@host:port` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpUrl {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub pass: String,
    /// `ftps://`: implicit FTPS, TLS from the first byte (port 990 unless
    /// given).
    pub implicit_tls: bool,
}

/// Why a target could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    BadUrl(String),
    Unreachable { target: String, reason: String },
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::BadUrl(why) => write!(f, "bad target URL: {why}"),
            TargetError::Unreachable { target, reason } => {
                write!(f, "cannot use target {target}: {reason}")
            }
        }
    }
}

impl std::error::Error for TargetError {}

impl FtpUrl {
    /// Parses `ftp://[user[:pass]@]host[:port]` (or `ftps://...`); IPv6
    /// hosts in brackets. Without credentials the user is `anonymous`.
    pub fn parse(url: &str) -> Result<FtpUrl, TargetError> {
        let bad = |why: &str| TargetError::BadUrl(format!("{url}: {why}"));
        let (rest, implicit_tls) = match (url.strip_prefix("ftp://"), url.strip_prefix("ftps://")) {
            (Some(rest), _) => (rest, false),
            (_, Some(rest)) => (rest, true),
            _ => return Err(bad("must start with ftp:// (or ftps:// for implicit FTPS)")),
        };
        let rest = rest.trim_end_matches('/');
        let (cred, hostport) = match rest.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, rest),
        };
        let (user, pass) = match cred {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (u.to_string(), p.to_string()),
                None => (c.to_string(), String::new()),
            },
            None => ("anonymous".to_string(), "ftpconform@".to_string()),
        };
        let default_port = if implicit_tls { 990 } else { 21 };
        let (host, port) =
            split_host_port(hostport, default_port).ok_or_else(|| bad("bad host or port"))?;
        if host.is_empty() || user.is_empty() {
            return Err(bad("empty host or user"));
        }
        Ok(FtpUrl {
            host,
            port,
            user,
            pass,
            implicit_tls,
        })
    }

    /// Resolves the host to the first socket address.
    pub fn resolve(&self) -> Result<SocketAddr, TargetError> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| TargetError::BadUrl(format!("cannot resolve {}", self.host)))
    }

    /// An endpoint for this URL; every capability is assumed (every case
    /// runs) but the other form of FTPS (`Capability::of_url`).
    pub fn endpoint(&self) -> Result<ServerEndpoint, TargetError> {
        let addr = self.resolve()?;
        Ok(ServerEndpoint {
            name: format!("{}:{}", self.host, self.port),
            addr,
            user: self.user.clone(),
            pass: self.pass.clone(),
            passive_range: None,
            capabilities: Capability::of_url(self.implicit_tls),
        })
    }
}

fn split_host_port(s: &str, default_port: u16) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((s.to_string(), default_port)),
    }
}

/// Checks that the server accepts a connection and answers within `limit`;
/// a target that is down, refuses, or stays silent is a one-line error.
/// A server that answers anything at all (garbage, a partial greeting, a
/// close, a reset) is a server to test: its cases fail on their greeting,
/// each with a verdict, instead of the whole run ending here.
pub async fn probe(endpoint: &ServerEndpoint, limit: Duration) -> Result<(), TargetError> {
    use tokio::io::AsyncReadExt;
    let fail = |reason: String| TargetError::Unreachable {
        target: format!("{} ({})", endpoint.name, endpoint.addr),
        reason,
    };
    let connected = tokio::time::timeout(limit, tokio::net::TcpStream::connect(endpoint.addr))
        .await
        .map_err(|_| fail(format!("no answer to connect within {limit:?}")))?;
    let mut stream = match connected {
        Ok(stream) => stream,
        // Accepted, then reset before connect returned: it answered.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(()),
        Err(e) => return Err(fail(e.to_string())),
    };
    if endpoint.capabilities.contains(&Capability::ImplicitTls) {
        // An implicit FTPS server says nothing before the ClientHello.
        use tokio::io::AsyncWriteExt;
        let hello = crate::net::tls::client_hello(endpoint.addr.ip());
        stream
            .write_all(&hello)
            .await
            .map_err(|e| fail(format!("sending a TLS ClientHello: {e}")))?;
    }
    let mut buf = [0u8; 512];
    // Bytes, an end or a reset within the limit: it answered (what it
    // said is the cases' to judge).
    let _answered = tokio::time::timeout(limit, stream.read(&mut buf))
        .await
        .map_err(|_| fail(format!("no greeting within {limit:?}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ftp_urls() {
        let u = FtpUrl::parse("ftp://bob:secret@127.0.0.1:2121").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.user.as_str(), u.pass.as_str()),
            ("127.0.0.1", 2121, "bob", "secret")
        );
        let u = FtpUrl::parse("ftp://[::1]:2121/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.user.as_str()),
            ("::1", 2121, "anonymous")
        );
        assert_eq!(FtpUrl::parse("ftp://localhost").unwrap().port, 21);
        assert!(FtpUrl::parse("http://x").is_err());
        assert!(FtpUrl::parse("ftp://host:99999").is_err());
        assert!(FtpUrl::parse("ftp://[::1").is_err());
        assert!(!FtpUrl::parse("ftp://localhost").unwrap().implicit_tls);
    }

    #[test]
    fn ftps_urls_are_implicit_ftps_on_port_990() {
        let u = FtpUrl::parse("ftps://127.0.0.1").unwrap();
        assert!(u.implicit_tls);
        assert_eq!(u.port, 990);
        let caps = u.endpoint().unwrap().capabilities;
        assert!(caps.contains(&Capability::ImplicitTls) && !caps.contains(&Capability::Tls));
        let caps = FtpUrl::parse("ftp://127.0.0.1")
            .unwrap()
            .endpoint()
            .unwrap()
            .capabilities;
        assert!(caps.contains(&Capability::Tls) && !caps.contains(&Capability::ImplicitTls));
    }

    #[tokio::test]
    async fn probe_reports_refused_connection_in_one_line() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let ep = FtpUrl::parse(&format!("ftp://127.0.0.1:{}", addr.port()))
            .unwrap()
            .endpoint()
            .unwrap();
        let err = probe(&ep, Duration::from_secs(2))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("refused") && !err.contains('\n'), "{err}");
    }

    #[tokio::test]
    async fn probe_times_out_on_a_silent_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
        let ep = FtpUrl::parse(&format!("ftp://127.0.0.1:{}", addr.port()))
            .unwrap()
            .endpoint()
            .unwrap();
        let err = probe(&ep, Duration::from_millis(300))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("no greeting"), "{err}");
        hold.abort();
    }

    /// An implicit FTPS server answers only a ClientHello: the probe sends
    /// one (a TLS handshake record) and then takes any answer.
    #[tokio::test]
    async fn probe_of_an_ftps_address_sends_a_client_hello() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serve = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await?;
            let mut head = [0u8; 3];
            s.read_exact(&mut head).await?;
            s.write_all(b"\x15\x03\x03").await?;
            std::io::Result::Ok(head)
        });
        let ep = FtpUrl::parse(&format!("ftps://127.0.0.1:{}", addr.port()))
            .unwrap()
            .endpoint()
            .unwrap();
        probe(&ep, Duration::from_secs(2)).await.unwrap();
        let head = serve.await.unwrap().unwrap();
        assert_eq!(head[0], 0x16, "a handshake record: {head:?}");
    }

    #[tokio::test]
    async fn probe_passes_a_server_that_answers_garbage_or_resets() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serve = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let (mut s, _) = listener.accept().await?;
            s.write_all(b"\x00\xffgarbage").await?;
            let (s, _) = listener.accept().await?;
            s.set_zero_linger()?;
            drop(s);
            std::io::Result::Ok(())
        });
        let ep = FtpUrl::parse(&format!("ftp://127.0.0.1:{}", addr.port()))
            .unwrap()
            .endpoint()
            .unwrap();
        for _ in 0..2 {
            probe(&ep, Duration::from_secs(2)).await.unwrap();
        }
        serve.await.unwrap().unwrap();
    }
}
