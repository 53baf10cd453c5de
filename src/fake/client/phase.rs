//! The data phase of a transfer: move the data while reading the control
//! connection, so that every event lands in the timeline when it happens
//! (a 226 seen before the data FIN really came first).

use std::time::Duration;

use super::control::Control;
use crate::net::{Conn, NetError, PendingAccept};
use crate::script::{Body, BodyReader, Content, Direction, Transfer};
use crate::timeline::{ConnId, Digest};
use crate::wire::reply::Reply;

/// Download cap when the script does not give a size.
const DEFAULT_CAP: u64 = 64 << 20;
/// How long to wait for a second reply after ABOR when the first final
/// reply may be the transfer's own (noted when it expires).
const ABORT_GRACE: Duration = Duration::from_secs(2);
/// A read timeout that never fires first (an outer zero timeout bounds it).
const NO_LIMIT: Duration = Duration::from_secs(3600);
/// How long a refused transfer waits for the server to close the data
/// connection before the fake client closes it.
const REFUSAL_CLOSE_GRACE: Duration = Duration::from_millis(300);
/// The most read from an upload's data connection while awaiting its close.
const UPLOAD_READ_CAP: usize = 1 << 16;
/// Slack above an expected download size before reading stops.
const CAP_SLACK: u64 = 1 << 20;
/// Fewer data bytes than this in a whole timeout period and the transfer
/// counts as stalled: a peer that sends a byte now and then (slowloris)
/// keeps every single wait short, so each wait's bound alone never ends it.
const MIN_PROGRESS: u64 = 1024;
/// The most one read or write of the data connection moves.
const DATA_CHUNK: usize = 1 << 16;

/// What happened during the data phase.
#[derive(Default)]
pub struct Moved {
    /// The replies read, with their numbers (see [`Control::reply`]).
    pub replies: Vec<(u32, Reply)>,
    /// Length and running hash of the download, as it arrived.
    pub received: Digest,
    pub eof: bool,
    pub data: Option<ConnId>,
    pub aborted: bool,
    /// Why the exchange did not finish (timeout, lost connection).
    pub problem: Option<String>,
    /// The control connection is unusable (closed, reset, garbage).
    pub ctrl_lost: bool,
    /// Waits that ended by their bound rather than by the awaited event,
    /// for the report.
    pub notes: Vec<String>,
}

/// The data connection as the transfer starts.
pub enum Source {
    None,
    Ready(Conn),
    Accept(PendingAccept),
}

/// Final (non-preliminary) replies.
pub fn finals(m: &Moved) -> Vec<&Reply> {
    m.replies
        .iter()
        .map(|(_, r)| r)
        .filter(|r| !r.is_preliminary())
        .collect()
}

fn download_cap(x: &Transfer) -> u64 {
    match &x.content {
        Content::Bytes(b) => b.len() as u64 + CAP_SLACK,
        Content::Size(n) => n + CAP_SLACK,
        Content::Body(b) => b.len() + CAP_SLACK,
        _ => DEFAULT_CAP,
    }
}

/// What an upload still has to send: its body, read a chunk at a time.
pub struct Upload {
    reader: Option<BodyReader>,
    buf: Vec<u8>,
    at: usize,
    /// Bytes written so far.
    sent: u64,
}

impl Upload {
    /// The bytes of `body` (nothing for a download).
    pub fn new(body: Option<&Body>) -> Upload {
        Upload {
            reader: body.and_then(|b| b.reader(0).ok()),
            buf: Vec::new(),
            at: 0,
            sent: 0,
        }
    }

    fn done(&self) -> bool {
        self.at >= self.buf.len() && self.reader.as_ref().is_none_or(|r| r.left() == 0)
    }

    /// Reads the next chunk once the last one is written.
    fn refill(&mut self) -> std::io::Result<()> {
        let Some(r) = self.reader.as_mut().filter(|_| self.at >= self.buf.len()) else {
            return Ok(());
        };
        self.buf.resize(r.left().min(DATA_CHUNK as u64) as usize, 0);
        let n = r.fill(&mut self.buf)?;
        self.buf.truncate(n);
        self.at = 0;
        Ok(())
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.at..]
    }

    fn wrote(&mut self, n: usize) {
        self.at += n;
        self.sent += n as u64;
    }
}

/// State of the data phase loop.
struct Phase<'x> {
    x: &'x Transfer,
    upload: Upload,
    conn: Option<Conn>,
    accept: Option<PendingAccept>,
    prelim: bool,
    finished: bool,
    data_done: bool,
    /// The control read timed out: nothing happened for a whole timeout.
    stalled: bool,
    /// An upload wrote its first chunk (see `turn`).
    wrote: bool,
    m: Moved,
}

/// Moves the data and reads replies until the exchange is over or nothing
/// happened for `t`.
pub async fn move_data(
    ctrl: &mut Control,
    source: Source,
    x: &Transfer,
    upload: Upload,
    t: Duration,
) -> Moved {
    let (conn, accept) = match source {
        Source::None => (None, None),
        Source::Ready(c) => (Some(c), None),
        Source::Accept(a) => (None, Some(a)),
    };
    let mut p = Phase {
        x,
        upload,
        data_done: conn.is_none() && accept.is_none(),
        m: Moved {
            data: conn.as_ref().map(Conn::id),
            ..Moved::default()
        },
        conn,
        accept,
        prelim: false,
        finished: false,
        stalled: false,
        wrote: false,
    };
    let mut window = (tokio::time::Instant::now(), 0);
    while !p.over() {
        if let Some(why) = p.trickle(&mut window, t) {
            p.m.problem = Some(why);
            break;
        }
        p.maybe_finish_upload(ctrl).await;
        p.maybe_abort(ctrl, t).await;
        if p.over() {
            break;
        }
        match tokio::time::timeout(t, p.turn(ctrl, t)).await {
            Ok(()) => {}
            Err(_) => {
                p.m.problem = Some(format!(
                    "nothing happened within {}",
                    crate::net::fmt_duration(t)
                ));
                break;
            }
        }
        p.close_after_eof().await;
        if p.m.ctrl_lost || p.stalled {
            break;
        }
    }
    if p.m.aborted && !p.m.ctrl_lost {
        p.second_abort_reply(ctrl).await;
    }
    p.await_close_after_refusal().await;
    p.await_upload_close(t).await;
    p.m
}

impl Phase<'_> {
    /// Whether the data moved less than [`MIN_PROGRESS`] bytes in the
    /// timeout period that just ended (`window`: its start and the bytes
    /// moved then); says so when it did.
    fn trickle(&self, window: &mut (tokio::time::Instant, u64), t: Duration) -> Option<String> {
        let moved = self.m.received.len + self.upload.sent;
        if self.data_done || window.0.elapsed() < t {
            return None;
        }
        let slow = moved - window.1 < MIN_PROGRESS;
        *window = (tokio::time::Instant::now(), moved);
        slow.then(|| {
            format!(
                "the data trickled: fewer than {MIN_PROGRESS} bytes within {}",
                crate::net::fmt_duration(t)
            )
        })
    }

    fn over(&self) -> bool {
        let failed = self.finished
            && !self.m.aborted
            && self
                .m
                .replies
                .last()
                .is_some_and(|(_, r)| r.code / 100 != 2);
        (self.finished && self.data_done) || failed
    }

    /// One event: a reply, the server's connection, a data chunk, a write.
    async fn turn(&mut self, ctrl: &mut Control, t: Duration) {
        let download = self.x.direction == Direction::Download;
        if let Err(e) = self.upload.refill() {
            self.m.problem = Some(format!("upload source: {e}"));
            self.data_done = true;
            return;
        }
        let can_write = !download && self.prelim && !self.upload.done();
        // An upload's first chunk goes out as soon as the preliminary reply
        // is in, as clients send theirs: whether a refusal (`550` after the
        // `150`) has arrived by then is a race that would decide whether
        // any byte is sent at all.
        if can_write && !self.wrote && self.conn.is_some() && !self.data_done {
            self.wrote = true;
            if let DataIo::Wrote(r) = data_io(&mut self.conn, false, self.upload.pending()).await {
                self.on_write(r);
            }
            return;
        }
        // Let the I/O driver run so that a reply that has arrived is read
        // before the next data operation (the timeline keeps true order).
        tokio::task::yield_now().await;
        tokio::select! {
            biased;
            r = ctrl.reply(t), if !self.finished => self.on_reply(r),
            c = next_accept(&mut self.accept), if self.accept.is_some() => self.on_accept(c),
            r = data_io(&mut self.conn, download, self.upload.pending()), if (download || can_write) && self.conn.is_some() && !self.data_done => match r {
                DataIo::Read(r) => self.on_chunk(r),
                DataIo::Wrote(r) => self.on_write(r),
            },
            else => {
                // Nothing left to wait for (e.g. an upload confirmed before
                // any preliminary reply): end the exchange as it stands.
                self.data_done = true;
                self.stalled = true;
            }
        }
    }

    fn on_reply(&mut self, r: Result<(u32, Reply), NetError>) {
        match r {
            Ok((n, reply)) => {
                let class = reply.code / 100;
                if self.m.aborted {
                    self.finished = class == 2;
                } else if class == 1 {
                    self.prelim = true;
                } else {
                    self.finished = true;
                }
                self.m.replies.push((n, reply));
            }
            Err(e) => {
                self.m.ctrl_lost = !matches!(e, NetError::Timeout { .. });
                self.stalled = !self.m.ctrl_lost;
                self.m.problem = Some(e.to_string());
                self.finished = self.m.ctrl_lost;
            }
        }
    }

    fn on_accept(&mut self, c: Result<Conn, NetError>) {
        self.accept = None;
        match c {
            Ok(conn) => {
                self.m.data = Some(conn.id());
                self.conn = Some(conn);
            }
            Err(e) => {
                self.m.problem = Some(format!("no data connection: {e}"));
                self.data_done = true;
            }
        }
    }

    fn on_chunk(&mut self, r: Result<Vec<u8>, NetError>) {
        match r {
            Ok(chunk) if chunk.is_empty() => {
                self.m.eof = true;
                self.data_done = true;
            }
            Ok(chunk) => {
                self.m.received.update(&chunk);
                if self.m.received.len > download_cap(self.x) {
                    self.m.problem = Some("more data than expected".into());
                    self.data_done = true;
                }
            }
            Err(e) => {
                self.m.problem = Some(format!("data connection: {e}"));
                self.data_done = true;
            }
        }
    }

    fn on_write(&mut self, r: Result<usize, NetError>) {
        match r {
            Ok(n) => self.upload.wrote(n),
            Err(e) => {
                self.m.problem = Some(format!("data connection: {e}"));
                self.data_done = true;
            }
        }
    }

    /// Once every upload byte is written, close our side (EOF); a reply
    /// already waiting is read first, so that the timeline shows it before
    /// the close.
    async fn maybe_finish_upload(&mut self, ctrl: &mut Control) {
        let upload = self.x.direction == Direction::Upload;
        if !upload || self.data_done || !self.prelim || !self.upload.done() {
            return;
        }
        tokio::task::yield_now().await;
        if !self.finished {
            if let Ok(r) = tokio::time::timeout(Duration::ZERO, ctrl.reply(NO_LIMIT)).await {
                self.on_reply(r);
            }
        }
        if let Some(c) = self.conn.as_mut() {
            match self.x.close_notify {
                true => c.shutdown().await,
                false => c.shutdown_without_close_notify().await,
            }
            self.data_done = true;
        }
    }

    /// Once a download reached EOF, close our side too, as clients do:
    /// some servers (proftpd) wait for that close before sending 226.
    async fn close_after_eof(&mut self) {
        let download = self.x.direction == Direction::Download;
        if !(download && self.m.eof) {
            return;
        }
        if let Some(mut c) = self.conn.take() {
            c.shutdown().await;
        }
    }

    /// After a refusing final reply (`550` after the `150`) with the data
    /// connection still open, waits (at most [`REFUSAL_CLOSE_GRACE`]) for
    /// the server to close it, reading what it still sends, before ours is
    /// closed: a server closes its data connection as it refuses, and
    /// without the wait whether its close is seen depends on which
    /// arrives first, the reply or the close (microseconds apart).
    async fn await_close_after_refusal(&mut self) {
        let refused = self.finished && !self.m.aborted && !self.data_done;
        let refused = refused && finals(&self.m).last().is_some_and(|r| r.code / 100 != 2);
        if !refused || self.conn.is_none() {
            return;
        }
        let download = self.x.direction == Direction::Download;
        let deadline = tokio::time::Instant::now() + REFUSAL_CLOSE_GRACE;
        while !self.data_done {
            let Some(c) = self.conn.as_mut() else { return };
            match tokio::time::timeout_at(deadline, c.read_chunk(DATA_CHUNK)).await {
                Ok(r) if download => self.on_chunk(r),
                Ok(Ok(chunk)) if !chunk.is_empty() => {}
                Ok(_) | Err(_) => return,
            }
        }
    }

    /// After an upload, waits (at most `t`) for the server to close its
    /// side, so that the timeline shows whether it used this connection at
    /// all.
    async fn await_upload_close(&mut self, t: Duration) {
        let upload = self.x.direction == Direction::Upload;
        let Some(c) = self.conn.as_mut().filter(|_| upload && self.data_done) else {
            return;
        };
        let closed = async {
            let mut got = 0;
            while got < UPLOAD_READ_CAP {
                match c.read_chunk(1 << 16).await {
                    Ok(chunk) if !chunk.is_empty() => got += chunk.len(),
                    _ => return,
                }
            }
        };
        if tokio::time::timeout(t, closed).await.is_err() {
            self.m.notes.push(format!(
                "the server did not close the upload's data connection within {}",
                crate::net::fmt_duration(t)
            ));
        }
    }

    /// After ABOR a lone 2xx may be the transfer's own completion, with the
    /// answer to ABOR still to come: wait for it (at most `ABORT_GRACE`)
    /// so that it is not taken for the answer to the next command.
    async fn second_abort_reply(&mut self, ctrl: &mut Control) {
        let finals: Vec<u16> = finals(&self.m).iter().map(|r| r.code).collect();
        if finals.len() != 1 || finals[0] / 100 != 2 {
            return;
        }
        match ctrl.reply(ABORT_GRACE).await {
            Ok(r) => self.m.replies.push(r),
            Err(NetError::Timeout { .. }) => self.m.notes.push(format!(
                "one final reply after ABOR and no second one within {}; a later one would be read as the next command's answer",
                crate::net::fmt_duration(ABORT_GRACE)
            )),
            Err(_) => {}
        }
    }

    /// Sends ABOR once `abort-after` bytes moved.
    async fn maybe_abort(&mut self, ctrl: &mut Control, t: Duration) {
        let Some(n) = self.x.abort_after else {
            return;
        };
        let moved = self.m.received.len + self.upload.sent;
        if self.m.aborted || moved < n || self.conn.is_none() {
            return;
        }
        self.m.aborted = true;
        self.finished = false;
        if let Err(e) = ctrl.send_line("ABOR", t).await {
            self.m.problem = Some(format!("sending ABOR: {e}"));
            self.m.ctrl_lost = true;
        }
        if self.x.direction == Direction::Upload {
            // Stop sending and close: a server that reads the control
            // connection only between transfers sees the end of the data
            // first, then ABOR.
            if let Some(c) = self.conn.as_mut() {
                c.shutdown().await;
            }
            self.data_done = true;
        }
    }
}

async fn next_accept(a: &mut Option<PendingAccept>) -> Result<Conn, NetError> {
    match a {
        Some(a) => a.next().await,
        None => std::future::pending().await,
    }
}

enum DataIo {
    Read(Result<Vec<u8>, NetError>),
    Wrote(Result<usize, NetError>),
}

/// Reads a chunk (download) or writes one (upload); cancel-safe.
async fn data_io(c: &mut Option<Conn>, download: bool, bytes: &[u8]) -> DataIo {
    let Some(c) = c else {
        return std::future::pending().await;
    };
    if download {
        DataIo::Read(c.read_chunk(DATA_CHUNK).await)
    } else {
        DataIo::Wrote(c.write_some(&bytes[..bytes.len().min(DATA_CHUNK)]).await)
    }
}
