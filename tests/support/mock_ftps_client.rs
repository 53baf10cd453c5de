//! An FTPS client that breaks one RFC 4217 rule on purpose, in front of
//! the fake server: explicit FTPS over the harness's own connection layer
//! (rustls), each step of a well-behaved client switchable ([`Ftps`]).
//! One passive transfer (RETR, or STOR of the task's local file); the
//! run reports success when every reply was the expected one. Its own
//! connections are recorded on a timeline of its own, not the case's.

use std::net::SocketAddr;
use std::time::Duration;

use ftpconform::net::tls::{ClientTls, Tls, Trust};
use ftpconform::net::{Conn, ControlConn, NetError, Sides};
use ftpconform::real::clients::{ClientRun, Task};
use ftpconform::runner::Launch;
use ftpconform::timeline::{OpenRole, Side, Timeline};
use ftpconform::wire::addr::parse_pasv_reply;
use ftpconform::wire::reply::ReplyDecoder;

const T: Duration = Duration::from_secs(3);
const AS_CLIENT: Sides = Sides::new(Side::Client, Side::Server);

/// How the data connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataTls {
    /// TLS with the control connection's configuration: it offers the
    /// control connection's session.
    Resume,
    /// TLS with a configuration of its own: a full handshake.
    Fresh,
    /// No TLS at all.
    Plain,
}

/// What the client does; [`Ftps::GOOD`] breaks nothing.
#[derive(Debug, Clone, Copy)]
pub struct Ftps {
    pub auth: bool,
    pub pbsz: bool,
    pub prot: bool,
    pub data: DataTls,
    /// Accept any server certificate.
    pub trust_any: bool,
    /// STOR the local file instead of RETR.
    pub upload: bool,
    /// End an upload with close_notify.
    pub close_notify: bool,
}

impl Ftps {
    pub const GOOD: Ftps = Ftps {
        auth: true,
        pbsz: true,
        prot: true,
        data: DataTls::Resume,
        trust_any: false,
        upload: false,
        close_notify: true,
    };
}

/// The fake server's [`Launch`] of this client.
pub fn launch(f: Ftps) -> Launch {
    Box::new(move |task: Task| {
        Box::pin(async move {
            let outcome = session(f, &task).await;
            ClientRun {
                success: outcome.is_ok(),
                status_meaningful: true,
                exit_code: Some(if outcome.is_ok() { 0 } else { 1 }),
                stderr: outcome.err().unwrap_or_default(),
                ..ClientRun::default()
            }
        })
    })
}

/// Sends `line`, reads the reply; `Err` unless its code is `want`.
async fn cmd(ctl: &mut ControlConn<ReplyDecoder>, line: &str, want: u16) -> Result<(), String> {
    ctl.send_line(line, T).await.map_err(text)?;
    expect(ctl, want).await
}

async fn expect(ctl: &mut ControlConn<ReplyDecoder>, want: u16) -> Result<(), String> {
    let reply = ctl.recv(T).await.map_err(text)?;
    match reply.code == want {
        true => Ok(()),
        false => Err(format!("{} {}", reply.code, reply.text())),
    }
}

fn text(e: NetError) -> String {
    e.to_string()
}

async fn session(f: Ftps, task: &Task) -> Result<(), String> {
    let tl = Timeline::new();
    let mut ctl = ControlConn::connect(task.server, None, AS_CLIENT, T, &tl)
        .await
        .map_err(text)?;
    let name = task.server.ip().to_string();
    let trust = if f.trust_any {
        Trust::Any
    } else {
        Trust::TestCa
    };
    let tls = Tls::Client(ClientTls::new(&tl, &name, trust));
    expect(&mut ctl, 220).await?;
    if f.auth {
        cmd(&mut ctl, "AUTH TLS", 234).await?;
        ctl.start_tls(&tls);
    }
    cmd(&mut ctl, &format!("USER {}", task.user), 331).await?;
    cmd(&mut ctl, &format!("PASS {}", task.pass), 230).await?;
    if f.pbsz {
        cmd(&mut ctl, "PBSZ 0", 200).await?;
    }
    if f.prot {
        cmd(&mut ctl, "PROT P", 200).await?;
    }
    let mut data = open_data(&mut ctl, &tl).await?;
    match f.data {
        DataTls::Resume => data.start_tls(&tls),
        DataTls::Fresh => data.start_tls(&Tls::Client(ClientTls::new(&tl, &name, trust))),
        DataTls::Plain => {}
    }
    match f.upload {
        true => store(&mut ctl, data, f.close_notify, task).await?,
        false => retrieve(&mut ctl, data, task).await?,
    }
    cmd(&mut ctl, "QUIT", 221).await
}

/// PASV, then the data connection to the control connection's host.
async fn open_data(ctl: &mut ControlConn<ReplyDecoder>, tl: &Timeline) -> Result<Conn, String> {
    ctl.send_line("PASV", T).await.map_err(text)?;
    let reply = ctl.recv(T).await.map_err(text)?;
    let named = parse_pasv_reply(&reply.text()).map_err(|e| e.to_string())?;
    let at = SocketAddr::new(ctl.peer_addr().ip(), named.port());
    Conn::connect(at, None, OpenRole::Data, AS_CLIENT, T, tl)
        .await
        .map_err(text)
}

async fn retrieve(
    ctl: &mut ControlConn<ReplyDecoder>,
    mut data: Conn,
    task: &Task,
) -> Result<(), String> {
    cmd(ctl, &format!("RETR {}", task.path), 150).await?;
    let mut got = Vec::new();
    loop {
        let chunk = data.read_chunk(65536).await.map_err(text)?;
        if chunk.is_empty() {
            break;
        }
        got.extend(chunk);
    }
    std::fs::write(&task.local, got).map_err(|e| e.to_string())?;
    expect(ctl, 226).await
}

async fn store(
    ctl: &mut ControlConn<ReplyDecoder>,
    mut data: Conn,
    close_notify: bool,
    task: &Task,
) -> Result<(), String> {
    let bytes = std::fs::read(&task.local).map_err(|e| e.to_string())?;
    cmd(ctl, &format!("STOR {}", task.path), 150).await?;
    let sent = data.write_all(&bytes, T).await;
    match close_notify {
        true => data.shutdown().await,
        false => data.shutdown_without_close_notify().await,
    }
    sent.map_err(text)?;
    expect(ctl, 226).await
}
