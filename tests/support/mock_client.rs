//! A scripted FTP client, to misbehave on purpose in front of the fake
//! server: a run is a script of [`Step`]s, read top to bottom, and
//! [`launch`] turns it into the fake server's [`Launch`].
//!
//! ```text
//! launch(vec![Login, Pasv, ConnectData(None), Command("RETR {path}"), ReadData, Reply])
//! ```
//!
//! Like a real client, the run reports success (exit status 0) when every
//! step worked, failure otherwise, and a run still going at the task's
//! deadline is stopped there (timed out, no exit status); it records
//! nothing itself (the fake server's timeline is the record).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ftpconform::real::clients::{ClientRun, Task};
use ftpconform::runner::Launch;
use ftpconform::wire::addr::{encode_port, parse_pasv_reply};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// How long an active-mode client waits for the server's connection.
const ACCEPT_LIMIT: Duration = Duration::from_secs(2);
/// The most lines one reply may have.
const MAX_REPLY_LINES: usize = 100;

/// One step of a client's script.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Reads the greeting, logs in and asks for binary type (USER, PASS,
    /// TYPE I), whatever the replies.
    Login,
    /// Sends this command (`{path}` stands for the task's path) and reads
    /// its reply.
    Command(&'static str),
    /// Writes these bytes as they are on the control connection, reading
    /// nothing (Telnet commands, a line in pieces).
    Raw(&'static [u8]),
    /// Sends PASV and keeps the address its reply names.
    Pasv,
    /// Connects to the address of the last PASV reply, from this host (or
    /// from the control connection's).
    ConnectData(Option<IpAddr>),
    /// Listens on this host and names it in PORT; a refused PORT ends the
    /// run as failed (after QUIT).
    Port(IpAddr),
    /// Reads the data connection to its end (after PORT, accepting it
    /// first).
    ReadData,
    /// Sends the local file on the data connection, cut to `keep(len)`
    /// bytes, and closes it.
    WriteData(fn(usize) -> usize),
    /// Reads one reply.
    Reply,
    /// Writes what [`Step::ReadData`] read, cut to `keep(len)` bytes, to
    /// the local file.
    Save(fn(usize) -> usize),
    /// Hangs: does nothing more until the task's deadline, where the run
    /// is stopped as the harness kills a real client.
    Hang,
}

use Step::*;

/// The whole of what was read or sent.
pub fn all(len: usize) -> usize {
    len
}

/// A client that follows `steps` within the task's deadline.
pub fn launch(steps: Vec<Step>) -> Launch {
    Box::new(move |task: Task| {
        Box::pin(async move {
            let outcome = tokio::time::timeout(task.deadline, run(&task, &steps)).await;
            let ok = matches!(outcome, Ok(Ok(())));
            let timed_out = outcome.is_err();
            ClientRun {
                success: ok,
                status_meaningful: true,
                timed_out,
                exit_code: (!timed_out).then_some(if ok { 0 } else { 1 }),
                stderr: format!("{outcome:?}"),
                ..ClientRun::default()
            }
        })
    })
}

async fn run(task: &Task, steps: &[Step]) -> std::io::Result<()> {
    let mut client = Client::connect(task.server).await?;
    for step in steps {
        client.step(task, *step).await?;
    }
    Ok(())
}

/// The control connection and what the script set up on it.
struct Client {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
    local: SocketAddr,
    announced: Option<SocketAddr>,
    listener: Option<TcpListener>,
    data: Option<TcpStream>,
    read: Vec<u8>,
}

impl Client {
    async fn connect(server: SocketAddr) -> std::io::Result<Client> {
        let s = TcpStream::connect(server).await?;
        let local = s.local_addr()?;
        let (r, w) = s.into_split();
        Ok(Client {
            r: BufReader::new(r),
            w,
            local,
            announced: None,
            listener: None,
            data: None,
            read: Vec::new(),
        })
    }

    async fn step(&mut self, task: &Task, step: Step) -> std::io::Result<()> {
        match step {
            Login => {
                self.reply().await?;
                for line in ["USER u", "PASS p", "TYPE I"] {
                    self.cmd(line).await?;
                }
            }
            Command(line) => drop(self.cmd(&line.replace("{path}", &task.path)).await?),
            Raw(bytes) => self.w.write_all(bytes).await?,
            Pasv => self.pasv().await?,
            ConnectData(from) => self.connect_data(from).await?,
            Port(ip) => self.port(ip).await?,
            ReadData => self.read_data().await?,
            WriteData(keep) => {
                let content = tokio::fs::read(&task.local).await?;
                let mut data = self.data.take().ok_or(no_data())?;
                data.write_all(&content[..keep(content.len())]).await?;
            }
            Reply => drop(self.reply().await?),
            Save(keep) => {
                let n = keep(self.read.len());
                tokio::fs::write(&task.local, &self.read[..n]).await?;
            }
            Hang => std::future::pending().await,
        }
        Ok(())
    }

    /// Reads one reply (multiline aware); returns its last line.
    async fn reply(&mut self) -> std::io::Result<String> {
        let mut first: Option<String> = None;
        for _ in 0..MAX_REPLY_LINES {
            let mut line = String::new();
            if self.r.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let code = line.get(..3).unwrap_or("").to_string();
            let f = first.get_or_insert(code.clone());
            if line.as_bytes().get(3) != Some(&b'-') && code == *f {
                return Ok(line.trim_end().to_string());
            }
        }
        Err(std::io::ErrorKind::InvalidData.into())
    }

    async fn cmd(&mut self, line: &str) -> std::io::Result<String> {
        self.w.write_all(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    async fn pasv(&mut self) -> std::io::Result<()> {
        let reply = self.cmd("PASV").await?;
        let addr = parse_pasv_reply(reply.get(4..).unwrap_or(""))
            .map_err(|e| std::io::Error::other(format!("{reply}: {e}")))?;
        self.announced = Some(SocketAddr::V4(addr));
        Ok(())
    }

    async fn connect_data(&mut self, from: Option<IpAddr>) -> std::io::Result<()> {
        let to = self.announced.ok_or(no_data())?;
        let s = TcpSocket::new_v4()?;
        s.bind(SocketAddr::new(from.unwrap_or(self.local.ip()), 0))?;
        self.data = Some(s.connect(to).await?);
        Ok(())
    }

    async fn port(&mut self, ip: IpAddr) -> std::io::Result<()> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let SocketAddr::V4(named) = listener.local_addr()? else {
            return Err(std::io::ErrorKind::Unsupported.into());
        };
        self.listener = Some(listener);
        let reply = self.cmd(&format!("PORT {}", encode_port(named))).await?;
        if !reply.starts_with('2') {
            self.cmd("QUIT").await?;
            return Err(std::io::Error::other(reply));
        }
        Ok(())
    }

    async fn read_data(&mut self) -> std::io::Result<()> {
        let mut data = match (self.data.take(), self.listener.take()) {
            (Some(data), _) => data,
            (None, Some(l)) => tokio::time::timeout(ACCEPT_LIMIT, l.accept()).await??.0,
            (None, None) => return Err(no_data()),
        };
        self.read.clear();
        data.read_to_end(&mut self.read).await?;
        Ok(())
    }
}

fn no_data() -> std::io::Error {
    std::io::Error::other("no data connection set up")
}
