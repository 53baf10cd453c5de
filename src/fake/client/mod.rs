//! The fake client: runs a server-role case against a real server,
//! recording every socket event, and what each step did and saw, in the
//! case's timeline. It judges nothing: the runner runs the checks over the
//! finished timeline.
//!
//! A case never hangs: every network wait has the step's timeout, every
//! step a backstop, and a failure that leaves later steps meaningless (no
//! greeting, no data connection, a lost control connection) stops the
//! case.

mod control;
mod data;
mod family;
mod ftps;
mod phase;
mod session;
mod template;
mod transfer;

use std::net::SocketAddr;
use std::time::Duration;

use crate::script::{Case, Step, StepKind};
use crate::timeline::{PeerEvent, Timeline};

use session::{FakeClient, Stop, ACCEPTED_TRAP_WAIT};

/// What the fake client knows of the server under test: where it listens
/// and how to log in.
#[derive(Debug, Clone)]
pub struct ServerAccess {
    pub addr: SocketAddr,
    pub user: String,
    pub pass: String,
    /// Implicit FTPS: TLS from the first byte (RFC 4217 names only the
    /// explicit form; port 990 by custom).
    pub implicit_tls: bool,
    /// The case's own loopback addresses (none off IPv4 loopback): the
    /// fake client connects from `own`, and `foreign` stands for 127.0.0.2.
    pub lease: Option<crate::net::Lease>,
}

/// Grace given to late stray connections (bounce, theft) before the case
/// ends, when no `expect-no-stray` step waited already.
const STRAY_GRACE: Duration = Duration::from_millis(300);

/// Runs the `steps` of `case` against `target`, recording into `timeline`.
/// `Err` is why the harness could not run them (the verdict is `error`):
/// no control connection, or a step the harness cannot carry out.
pub async fn run(
    case: &Case,
    steps: &[Step],
    target: &ServerAccess,
    timeline: &Timeline,
) -> Result<(), String> {
    let mut s = FakeClient::connect(case, target, timeline).await?;
    let stop = run_steps(&mut s, steps).await;
    s.wind_down(STRAY_GRACE).await;
    match stop {
        Some(Stop::Harness(why)) => Err(why),
        Some(Stop::Halt) | None => Ok(()),
    }
}

/// Runs the steps in order until one stops the case.
async fn run_steps(s: &mut FakeClient<'_>, steps: &[Step]) -> Option<Stop> {
    for (index, step) in steps.iter().enumerate() {
        s.record(PeerEvent::Step { index });
        let t = s.step_timeout(step);
        let backstop = backstop(step, t);
        match tokio::time::timeout(backstop, run_step(s, step, t)).await {
            Ok(Ok(())) => {}
            Ok(Err(stop)) => return Some(stop),
            Err(_) => {
                let why = format!("step at {} did not finish within {:?}", step.loc, backstop);
                return Some(Stop::Harness(why));
            }
        }
    }
    None
}

/// The longest a step may take, above its own timeouts.
fn backstop(step: &Step, t: Duration) -> Duration {
    match &step.kind {
        StepKind::Sleep(d) => *d + t,
        StepKind::ExpectNoStray { grace } => *grace + ACCEPTED_TRAP_WAIT + t,
        StepKind::Transfer(_) => (t * 24).max(Duration::from_secs(60)),
        _ => t * 6 + Duration::from_secs(1),
    }
}

async fn run_step(s: &mut FakeClient<'_>, step: &Step, t: Duration) -> Result<(), Stop> {
    match &step.kind {
        StepKind::Login => s.login(t).await,
        StepKind::Send { payload, expect } => s.send(step, payload, expect.as_ref(), t).await,
        StepKind::Expect(exp) => s.expect(exp, t).await.map(|_| ()),
        StepKind::Data(setup) => s.data(step, setup, t).await,
        StepKind::Transfer(xfer) => s.transfer(step, xfer, t).await,
        // Judged from the timeline as it stands when the step begins.
        StepKind::DataExpect(_) => Ok(()),
        StepKind::ExpectNoStray { grace } => {
            s.await_strays(*grace).await;
            Ok(())
        }
        StepKind::Set { var, value } => s.set(step, var, value),
        StepKind::Compare { left, right, .. } => {
            s.compare(left, right);
            Ok(())
        }
        StepKind::Sleep(d) => {
            tokio::time::sleep(*d).await;
            Ok(())
        }
        StepKind::Disconnect { abrupt } => {
            s.disconnect(*abrupt, t).await;
            Ok(())
        }
    }
}

impl ServerAccess {
    /// The address the fake client connects from: its lease's, or any.
    pub fn own(&self) -> Option<std::net::IpAddr> {
        self.lease.map(|l| l.own.into())
    }

    /// `ip` as this case means it: 127.0.0.2 becomes the lease's foreign
    /// host.
    pub fn foreign(&self, ip: std::net::IpAddr) -> std::net::IpAddr {
        crate::net::Lease::foreign_for(self.lease.as_ref(), ip)
    }
}
