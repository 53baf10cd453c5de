//! A scripted FTP server on loopback, to misbehave on purpose in front of
//! the fake client (in the spirit of h2's mock peer): each control
//! connection follows a script of [`Step`]s, read top to bottom.
//!
//! ```text
//! let server = MockServer::script(vec![Reply("220 hi"), Expect("USER"), Reply("230 in")]);
//! ```
//!
//! The server records nothing: the harness's timeline is the record of what
//! it did. A connection whose client does not follow the script (another
//! command, a data connection that never comes) is answered
//! `421 mock script: ...` and closed, so that the deviation shows in the
//! case's violations. Once its script ends, a connection waits for the
//! client to close. Every wait is bounded, and dropping the server stops
//! it with all its connections.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ftpconform::wire::addr::{
    encode_epsv_reply, encode_pasv_reply, parse_eprt, parse_port, PasvShape,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;

/// The longest one step waits for the client (a command, a connection,
/// the end of the data).
const STEP_LIMIT: Duration = Duration::from_secs(10);
/// How long an accepting step waits for the data connection.
const ACCEPT_LIMIT: Duration = Duration::from_secs(5);
/// How long [`Step::Hold`] keeps a silent connection open.
const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// One step of a control connection's script.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Writes this line and CRLF on the control connection.
    Reply(&'static str),
    /// Writes these bytes, as they are, on the control connection.
    Send(&'static [u8]),
    /// Reads one command line: it must be this text, or start with it and
    /// a space (`Expect("PORT")` takes any PORT).
    Expect(&'static str),
    /// Waits this long, reading nothing.
    Sleep(Duration),
    /// Listens on 127.0.0.1 and answers 227 naming this address (and the
    /// port listened on): `227 Entering Passive Mode (h1,...,p2).`
    Pasv(Ipv4Addr),
    /// Listens on the control connection's address and answers 229.
    Epsv,
    /// Accepts the data connection from the client's host; connections
    /// from other hosts (thieves) are closed. The listener closes after.
    Accept,
    /// Accepts the first data connection, whoever makes it; the listener
    /// stays open for a later [`Step::Accept`].
    AcceptAny,
    /// Connects to the address of the last PORT or EPRT command read.
    Connect,
    /// Writes on the data connection (a client that closes it early is
    /// not a deviation).
    DataSend(&'static [u8]),
    /// Reads the data connection to its end.
    DataRecv,
    /// Closes the data connection (FIN).
    DataClose,
    /// Resets the data connection (RST).
    DataReset,
    /// Counts one arrival here, for [`MockServer::wait_for_marks`].
    Mark,
    /// Keeps the connection open, answering nothing, until the client
    /// closes it.
    Hold,
    /// Closes the control connection (FIN) and waits for the client to
    /// close its side; the script ends here.
    Close,
    /// Resets the control connection (RST); the script ends here.
    Reset,
}

use Step::*;

/// Which script each accepted control connection follows.
enum Plan {
    /// The n-th connection follows the n-th script; later ones are closed.
    Each(Vec<Vec<Step>>),
    /// Every connection follows the same script.
    Every(Vec<Step>),
}

/// A running mock server; dropping it stops it.
pub struct MockServer {
    pub addr: SocketAddr,
    marks: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// A server whose first control connection follows `steps`.
    pub fn script(steps: Vec<Step>) -> MockServer {
        MockServer::start(Plan::Each(vec![steps]))
    }

    /// A server whose n-th control connection follows the n-th script.
    pub fn scripts(scripts: Vec<Vec<Step>>) -> MockServer {
        MockServer::start(Plan::Each(scripts))
    }

    /// A server whose every control connection follows `steps`.
    pub fn every(steps: Vec<Step>) -> MockServer {
        MockServer::start(Plan::Every(steps))
    }

    /// Runs on a thread of its own (with its own runtime), so that it
    /// serves tests of any kind, even while their runtime is busy.
    fn start(plan: Plan) -> MockServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let marks = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = oneshot::channel();
        let counter = marks.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(listener, plan, counter, stopped));
        });
        MockServer {
            addr,
            marks,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Waits (at most `bound`) until [`Step::Mark`] was reached `n` times.
    pub fn wait_for_marks(&self, n: usize, bound: Duration) {
        let deadline = Instant::now() + bound;
        while self.marks.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "mock server: {n} marks not reached"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts control connections until stopped; each runs its script in a
/// task of its own, all dropped with the runtime.
async fn serve(
    listener: std::net::TcpListener,
    plan: Plan,
    marks: Arc<AtomicUsize>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = TcpListener::from_std(listener).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0.. {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            a = listener.accept() => a,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let steps = match &plan {
            Plan::Each(scripts) => scripts.get(n).cloned(),
            Plan::Every(steps) => Some(steps.clone()),
        };
        let Some(steps) = steps else {
            continue;
        };
        let conn = Conn::new(stream, peer, marks.clone());
        tasks.spawn(conn.run(steps));
    }
}

/// One control connection and the data connection of its script.
struct Conn {
    lines: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
    peer: SocketAddr,
    local: IpAddr,
    listener: Option<TcpListener>,
    data: Option<TcpStream>,
    /// The address named by the last PORT or EPRT read.
    active: Option<SocketAddr>,
    marks: Arc<AtomicUsize>,
}

impl Conn {
    fn new(stream: TcpStream, peer: SocketAddr, marks: Arc<AtomicUsize>) -> Conn {
        let local = stream.local_addr().unwrap().ip();
        let (r, w) = stream.into_split();
        Conn {
            lines: BufReader::new(r),
            w,
            peer,
            local,
            listener: None,
            data: None,
            active: None,
            marks,
        }
    }

    async fn run(mut self, steps: Vec<Step>) {
        for step in steps {
            match self.step(step).await {
                Ok(()) => {}
                Err(Deviation::Closed) => return,
                Err(Deviation::Reset) => return self.reset(),
                Err(Deviation::Other(why)) => {
                    let line = format!("421 mock script: {why}\r\n");
                    let _ = self.w.write_all(line.as_bytes()).await;
                    return;
                }
            }
        }
        if let Ok(line) = self.read_line().await {
            let why = format!("421 mock script: {line:?} after the script's end\r\n");
            let _ = self.w.write_all(why.as_bytes()).await;
        }
    }

    async fn step(&mut self, step: Step) -> Result<(), Deviation> {
        match step {
            Reply(line) => self.send(format!("{line}\r\n").as_bytes()).await,
            Send(bytes) => self.send(bytes).await,
            Expect(want) => self.expect(want).await,
            Sleep(d) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
            Pasv(ip) => {
                let port = self.listen(IpAddr::V4(Ipv4Addr::LOCALHOST)).await?;
                let addr = std::net::SocketAddrV4::new(ip, port);
                let text = encode_pasv_reply(addr, PasvShape::TrailingPeriod);
                self.send(format!("227 {text}\r\n").as_bytes()).await
            }
            Epsv => {
                let port = self.listen(self.local).await?;
                let text = encode_epsv_reply(port);
                self.send(format!("229 {text}\r\n").as_bytes()).await
            }
            Accept => self.accept(true).await,
            AcceptAny => self.accept(false).await,
            Connect => self.connect().await,
            DataSend(bytes) => {
                let data = self.data()?;
                let _ = timeout(STEP_LIMIT, data.write_all(bytes)).await;
                Ok(())
            }
            DataRecv => {
                let data = self.data()?;
                let _ = timeout(STEP_LIMIT, data.read_to_end(&mut Vec::new())).await;
                Ok(())
            }
            DataClose => {
                self.data = None;
                Ok(())
            }
            DataReset => {
                let _ = self.data()?.set_zero_linger();
                self.data = None;
                Ok(())
            }
            Mark => {
                self.marks.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            Hold => {
                let _ = timeout(HOLD_LIMIT, self.lines.read_to_end(&mut Vec::new())).await;
                Err(Deviation::Closed)
            }
            Close => {
                let _ = self.w.shutdown().await;
                let _ = timeout(STEP_LIMIT, self.lines.read_to_end(&mut Vec::new())).await;
                Err(Deviation::Closed)
            }
            Reset => Err(Deviation::Reset),
        }
    }

    /// Closes with RST: no FIN first (as dropping a write half would send).
    fn reset(self) {
        if let Ok(stream) = self.lines.into_inner().reunite(self.w) {
            let _ = stream.set_zero_linger();
        }
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), Deviation> {
        match self.w.write_all(bytes).await {
            Ok(()) => Ok(()),
            Err(_) => Err(Deviation::Closed),
        }
    }

    async fn read_line(&mut self) -> Result<String, Deviation> {
        let mut line = String::new();
        match timeout(STEP_LIMIT, self.lines.read_line(&mut line)).await {
            Err(_) => Err(Deviation::Other(format!(
                "no command within {STEP_LIMIT:?}"
            ))),
            Ok(Ok(0)) | Ok(Err(_)) => Err(Deviation::Closed),
            Ok(Ok(_)) => Ok(line.trim_end_matches(['\r', '\n']).to_string()),
        }
    }

    async fn expect(&mut self, want: &str) -> Result<(), Deviation> {
        let line = self.read_line().await.map_err(|e| match e {
            Deviation::Other(why) => Deviation::Other(format!("expected {want:?}: {why}")),
            closed => closed,
        })?;
        let arg = line
            .strip_prefix(want)
            .filter(|rest| rest.is_empty() || rest.starts_with(' '));
        let Some(arg) = arg else {
            return Err(Deviation::Other(format!("expected {want:?}, got {line:?}")));
        };
        let arg = arg.trim_start();
        self.active = match want {
            "PORT" => parse_port(arg).ok().map(SocketAddr::V4),
            "EPRT" => parse_eprt(arg).ok(),
            _ => self.active,
        };
        Ok(())
    }

    async fn listen(&mut self, ip: IpAddr) -> Result<u16, Deviation> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0))
            .await
            .map_err(|e| Deviation::Other(format!("cannot listen: {e}")))?;
        let port = listener.local_addr().unwrap().port();
        self.listener = Some(listener);
        Ok(port)
    }

    async fn accept(&mut self, own_host_only: bool) -> Result<(), Deviation> {
        let listener = self.listener.take();
        let listener = listener.ok_or(Deviation::Other("no PASV or EPSV to accept on".into()))?;
        let deadline = tokio::time::Instant::now() + ACCEPT_LIMIT;
        loop {
            let accepted = tokio::time::timeout_at(deadline, listener.accept()).await;
            let Ok(Ok((stream, from))) = accepted else {
                let why = format!("no data connection within {ACCEPT_LIMIT:?}");
                return Err(Deviation::Other(why));
            };
            if !own_host_only || from.ip() == self.peer.ip() {
                self.data = Some(stream);
                if !own_host_only {
                    self.listener = Some(listener);
                }
                return Ok(());
            }
        }
    }

    async fn connect(&mut self) -> Result<(), Deviation> {
        let addr = self
            .active
            .ok_or(Deviation::Other("no PORT or EPRT to connect to".into()))?;
        match timeout(STEP_LIMIT, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                self.data = Some(stream);
                Ok(())
            }
            Ok(Err(e)) => Err(Deviation::Other(format!("cannot connect to {addr}: {e}"))),
            Err(_) => Err(Deviation::Other(format!("no answer from {addr}"))),
        }
    }

    fn data(&mut self) -> Result<&mut TcpStream, Deviation> {
        self.data
            .as_mut()
            .ok_or(Deviation::Other("no data connection".into()))
    }
}

/// Why a script stopped before its end.
enum Deviation {
    /// The connection is over (the client or the script closed it):
    /// nothing to answer.
    Closed,
    /// The script resets the control connection.
    Reset,
    /// Anything else: answered with a 421 naming it.
    Other(String),
}
