//! Targets named by URL: `ftp://[user[:pass]@]host[:port]`, resolved to an
//! endpoint, and the probe that tells a reachable server from one that is
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
    /// Parses `ftp://[user[:pass]@]host[:port]`; IPv6 hosts in brackets.
    /// Without credentials the user is `anonymous`.
    pub fn parse(url: &str) -> Result<FtpUrl, TargetError> {
        let bad = |why: &str| TargetError::BadUrl(format!("{url}: {why}"));
        let rest = url
            .strip_prefix("ftp://")
            .ok_or_else(|| bad("must start with ftp://"))?;
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
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("bad host or port"))?;
        if host.is_empty() || user.is_empty() {
            return Err(bad("empty host or user"));
        }
        Ok(FtpUrl {
            host,
            port,
            user,
            pass,
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
    /// runs).
    pub fn endpoint(&self) -> Result<ServerEndpoint, TargetError> {
        let addr = self.resolve()?;
        Ok(ServerEndpoint {
            name: format!("{}:{}", self.host, self.port),
            addr,
            user: self.user.clone(),
            pass: self.pass.clone(),
            passive_range: None,
            capabilities: Capability::ALL.to_vec(),
        })
    }
}

fn split_host_port(s: &str) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 21,
            None => return None,
        };
        return Some((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((s.to_string(), 21)),
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
