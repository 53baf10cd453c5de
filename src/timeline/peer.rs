//! What a fake peer did and saw beside the wire, in its own terms: the step
//! it ran, the reply each wait took, the negotiations with their addresses,
//! traps and theft attempts. The checks read these events together with the
//! script; the peer itself judges nothing.
//!
//! None of this is on the wire: the pcap writer skips these events and the
//! transcript does not show them (its `# step: command` lines are notes).

use std::net::{IpAddr, SocketAddr};

use super::{ConnId, Digest};

/// One thing a fake peer did or saw (most are the fake client's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// Step `index` of the case (0-based, in script order) begins.
    Step { index: usize },
    /// The step's command could not be sent; the case stops.
    NotSent { reason: String },
    /// The step waited for a reply, for `purpose`.
    Awaited { purpose: Purpose, answer: Answer },
    /// The step's negotiation command (PASV, EPSV, PORT, EPRT) is about to
    /// be sent. Active modes: the address the command names and the
    /// listener there (none when a trap could not bind); `trap`: nothing
    /// may connect there (a foreign host or a privileged port).
    Negotiating {
        named: Option<SocketAddr>,
        listener: Option<SocketAddr>,
        trap: bool,
    },
    /// The address the accepted 227 or 229 announced, or why none could be
    /// read from it (the case stops).
    Announced(Result<SocketAddr, String>),
    /// A theft attempt from `from` on the announced address, before the
    /// client's own connection: the connection it made (none when the
    /// server refused it, or `from` is not loopback and it was not tried).
    Theft { from: IpAddr, conn: Option<ConnId> },
    /// The client's data connection to `target` could not be opened; the
    /// case stops.
    NoDataConnection { target: SocketAddr, reason: String },
    /// The step's transfer command is about to be sent.
    Transferring,
    /// The data phase of the transfer ended.
    Transferred(TransferEnd),
    /// A fake peer read data connection `conn` to its end (or to its
    /// limit): the length and running hash of what arrived, kept as the
    /// bytes flowed (the timeline keeps only a bounded prefix of them).
    Received { conn: ConnId, digest: Digest },
    /// An observation for the report (a retry, a skipped attempt), not a
    /// judgement.
    Remark { text: String },
    /// A `compare` step's two values as resolved (`None`: a variable with
    /// no value, its capture having found none).
    Compared {
        left: Option<String>,
        right: Option<String>,
    },
    /// The case stops here, its remaining steps not run, because they
    /// cannot apply to this target.
    Inapplicable(Inapplicable),
}

/// Why the rest of a case does not apply to the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inapplicable {
    /// The step is bound to IPv4 (PASV, PORT, an IPv4 address or family)
    /// and the control connection is IPv6: why (RFC 2428). A command sent
    /// anyway was waited for as a [`Purpose::Probe`].
    Family { why: String },
    /// The reply just waited for matched an alternative the suite grades
    /// `unimplemented`: the target lacks what the later steps need.
    Unimplemented,
}

/// What a wait for a reply was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The greeting (a `120` is followed by a second wait).
    Greeting,
    /// The answer to `USER` in a login step.
    User,
    /// The answer to `PASS` in a login step.
    Pass,
    /// The reply the step's own expectation describes (`send`, `expect`).
    Expect,
    /// The answer to the step's negotiation command.
    Negotiation,
    /// A reply nothing asked for, read after a theft attempt.
    Unsolicited,
    /// The answer to a command that does not apply to the target (PASV on
    /// an IPv6 control connection), sent only to record what the server
    /// says to it.
    Probe,
}

/// Which reply answered a wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The `n`-th reply of the control connection (0-based, counting
    /// malformed replies), as a reply decoder reads it from the timeline.
    Reply(u32),
    /// No reply came: why (a timeout, a close, a malformed reply).
    Failed(String),
}

/// How the data phase of a transfer went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferEnd {
    /// The data connection used, if one was made.
    pub data: Option<ConnId>,
    /// The replies read during the transfer (numbered as in
    /// [`Answer::Reply`]).
    pub replies: Vec<u32>,
    /// ABOR was sent (`abort-after`).
    pub aborted: bool,
    /// Why the exchange did not finish (timeout, lost connection).
    pub problem: Option<String>,
}
