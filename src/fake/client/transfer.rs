//! The `transfer` step: send the command, move the data (see [`phase`]),
//! then record how the data phase went (the checks grade the replies and
//! the bytes).
//!
//! [`phase`]: super::phase

use std::time::Duration;

use super::phase::{finals, move_data, Source, Upload};
use super::session::{FakeClient, PendingData, Stop};
use crate::script::{Body, Content, Direction, Step, Transfer, PRINTABLE};
use crate::timeline::{Inapplicable, PeerEvent, TransferEnd};

impl FakeClient<'_> {
    pub async fn transfer(&mut self, step: &Step, x: &Transfer, t: Duration) -> Result<(), Stop> {
        let loc = &step.loc;
        self.greet(t).await?;
        let command = self.resolve(&x.command, loc)?;
        let mut pending = self.pending.take();
        if let Some(PendingData::Active(p)) = pending.as_mut() {
            p.check_now();
        }
        self.release_thief(x.direction, t).await;
        self.mark(format!("{loc}: {command}"));
        self.record(PeerEvent::Transferring);
        self.send_line(&command, t).await?;
        let mut source = match pending {
            None => Source::None,
            Some(PendingData::Connected(c)) => Source::Ready(c),
            Some(PendingData::Active(p)) => Source::Accept(p),
            Some(PendingData::Late(addr)) => {
                let server = self.ctrl()?.peer_addr().ip();
                Source::Ready(self.connect_data(addr, server, t).await?)
            }
        };
        match &mut source {
            Source::Ready(c) => self.protect(c),
            Source::Accept(p) => self.protect_accept(p),
            Source::None => {}
        }
        let upload = Upload::new(upload_body(x).as_ref());
        let moved = move_data(self.ctrl()?, source, x, upload, t).await;
        if let Some(conn) = moved.data.filter(|_| x.direction == Direction::Download) {
            let digest = moved.received;
            self.record(PeerEvent::Received { conn, digest });
        }
        if let Some((_, p)) = moved.replies.iter().find(|(_, r)| r.is_preliminary()) {
            self.capture(&x.preliminary, p);
        }
        let finals = finals(&moved);
        if let Some(last) = finals.last() {
            self.capture(&x.complete, last);
        }
        for note in &moved.notes {
            self.remark(note.clone());
        }
        let ends = finals.last().filter(|r| x.complete.ends_case(r.code));
        if let Some(r) = ends {
            self.remark(format!(
                "{} ends the case (`ends:`): the later steps are not run",
                r.code
            ));
        }
        let stop = moved.ctrl_lost || finals.is_empty() || ends.is_some();
        let unimplemented = finals.last().filter(|_| !moved.aborted);
        let unimplemented = unimplemented.is_some_and(|r| x.complete.unimplemented(r.code));
        self.record(PeerEvent::Transferred(TransferEnd {
            data: moved.data,
            replies: moved.replies.iter().map(|(n, _)| *n).collect(),
            aborted: moved.aborted,
            problem: moved.problem,
        }));
        if unimplemented {
            self.record(PeerEvent::Inapplicable(Inapplicable::Unimplemented));
        }
        match stop || unimplemented {
            true => Err(Stop::Halt),
            false => Ok(()),
        }
    }
}

/// What an upload sends: the given content, or `n` bytes of a printable
/// pattern (no line ends, so ASCII mode leaves them alone).
fn upload_body(x: &Transfer) -> Option<Body> {
    if x.direction == Direction::Download {
        return None;
    }
    match &x.content {
        Content::Bytes(b) => Some(Body::bytes(b.clone())),
        Content::Size(n) | Content::AtLeast(n) => Some(Body::repeat(PRINTABLE, *n)),
        Content::Body(b) => Some(b.clone()),
        Content::Any => None,
    }
}
