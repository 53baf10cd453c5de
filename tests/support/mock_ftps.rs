//! A small FTPS server that breaks one TLS rule on purpose, in front of
//! the fake client: it greets, takes `AUTH TLS` (234, then TLS over our
//! own connection layer), logs in anyone, takes PBSZ, PROT P, TYPE and
//! PASV, and serves `RETR` on a data connection as [`DataFault`] says;
//! it takes a protected `STOR` and answers 226 if the client ended it
//! with close_notify, `426` if it closed TCP without one.
//! Its own events go to a timeline nobody reads; the fake client's
//! timeline is the record.

use std::net::SocketAddr;
use std::time::Duration;

use ftpconform::net::tls::{ServerTls, Tls, Which};
use ftpconform::net::{Conn, Listener, Sides};
use ftpconform::timeline::{ConnId, EventKind, OpenRole, Side, Timeline, TlsEvent};

const WAIT: Duration = Duration::from_secs(5);
const SIDES: Sides = Sides::new(Side::Server, Side::Client);

/// How the protected download goes wrong (or does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFault {
    /// TLS, the file, close_notify, close: a correct server.
    None,
    /// The file in plaintext after PROT P: no TLS on the data connection.
    Plaintext,
    /// TLS and the file, then TCP closed without close_notify.
    NoCloseNotify,
}

/// A running mock FTPS server (one session); dropping it stops it.
pub struct MockFtps {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockFtps {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockFtps {
    /// Serves one session on 127.0.0.1, its download going as `fault` says.
    pub async fn start(fault: DataFault) -> MockFtps {
        let tl = Timeline::new();
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = Listener::bind(any, SIDES, "mock ftps", &tl).await.unwrap();
        let addr = listener.local_addr();
        let task = tokio::spawn(async move {
            if let Ok(conn) = listener.accept(OpenRole::Control).await {
                let _ = session(conn, &tl, fault).await;
            }
        });
        MockFtps { addr, task }
    }
}

/// Reads one command line (the connection's reads are lines here).
async fn command(c: &mut Conn) -> Option<String> {
    let mut line = Vec::new();
    while !line.ends_with(b"\n") {
        let chunk = tokio::time::timeout(WAIT, c.read_chunk(512))
            .await
            .ok()?
            .ok()?;
        if chunk.is_empty() {
            return None;
        }
        line.extend_from_slice(&chunk);
    }
    Some(String::from_utf8_lossy(&line).trim().to_ascii_uppercase())
}

async fn reply(c: &mut Conn, text: &str) -> Option<()> {
    c.write_all(format!("{text}\r\n").as_bytes(), WAIT)
        .await
        .ok()
}

async fn session(mut c: Conn, tl: &Timeline, fault: DataFault) -> Option<()> {
    let tls = Tls::Server(ServerTls::new(tl, Which::Good, true));
    let mut pasv: Option<Listener> = None;
    reply(&mut c, "220 mock ftps").await?;
    loop {
        let cmd = command(&mut c).await?;
        let verb = cmd.split(' ').next().unwrap_or("").to_string();
        match verb.as_str() {
            "AUTH" => {
                reply(&mut c, "234 go ahead").await?;
                c.start_tls(&tls);
            }
            "USER" => reply(&mut c, "230 in").await?,
            "PBSZ" | "PROT" | "TYPE" => reply(&mut c, "200 ok").await?,
            "PASV" => {
                let any = SocketAddr::from(([127, 0, 0, 1], 0));
                let l = Listener::bind(any, SIDES, "pasv", tl).await.ok()?;
                let port = l.local_addr().port();
                let text = format!(
                    "227 Entering Passive Mode (127,0,0,1,{},{})",
                    port >> 8,
                    port & 255
                );
                pasv = Some(l);
                reply(&mut c, &text).await?;
            }
            "RETR" => {
                let mut d = pasv.take()?.accept(OpenRole::Data).await.ok()?;
                reply(&mut c, "150 here it comes").await?;
                if fault != DataFault::Plaintext {
                    d.start_tls(&tls);
                }
                d.write_all(b"Hello\n", WAIT).await.ok()?;
                match fault {
                    DataFault::NoCloseNotify => drop(d),
                    _ => d.shutdown().await,
                }
                reply(&mut c, "226 done").await?;
            }
            "STOR" => {
                let mut d = pasv.take()?.accept(OpenRole::Data).await.ok()?;
                reply(&mut c, "150 send it").await?;
                d.start_tls(&tls);
                while let Ok(Ok(chunk)) = tokio::time::timeout(WAIT, d.read_chunk(4096)).await {
                    if chunk.is_empty() {
                        break;
                    }
                }
                let id = d.id();
                d.shutdown().await;
                match close_notify_from_client(tl, id) {
                    true => reply(&mut c, "226 stored").await?,
                    false => reply(&mut c, "426 truncated: no close_notify").await?,
                }
            }
            "QUIT" => return reply(&mut c, "221 bye").await,
            _ => reply(&mut c, "502 not here").await?,
        }
    }
}

/// Whether the client sent close_notify on connection `id` (the mock's own
/// timeline holds what its connection layer saw).
fn close_notify_from_client(tl: &Timeline, id: ConnId) -> bool {
    tl.events().iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::Tls(TlsEvent::CloseNotify { conn, by: Side::Client }) if *conn == id
        )
    })
}
