//! The fake FTP client: runs a server-role case against a real server,
//! recording every socket event in the case's timeline, then grades the
//! case from its expectations and from the timeline checks.
//!
//! A case never panics and never hangs: every network wait has the step's
//! timeout, every step a backstop, and a failure that leaves later steps
//! meaningless (no greeting, no data connection, a lost control
//! connection) stops the case with the violations collected so far.

mod data;
mod expect;
mod inspect;
mod phase;
mod session;
mod template;
mod transfer;

use std::time::{Duration, Instant};

use crate::real::servers::ServerEndpoint;
use crate::script::{Case, CaseBody, Step, StepKind};
use crate::timeline::Timeline;
use crate::verdict::{CaseResult, Verdict};

use session::{FakeClient, Stop};

/// Grace given to late stray connections (bounce, theft) before the
/// security checks run, when no `expect-no-stray` step waited already.
const STRAY_GRACE: Duration = Duration::from_millis(300);

/// Runs `case` against `target`, recording into `timeline`.
///
/// The case runs in its own task: should the harness itself panic, the
/// result is an `error` verdict naming the panic, never a crashed run.
pub async fn run_case(
    case: &Case,
    suite: &str,
    target: &ServerEndpoint,
    timeline: &Timeline,
) -> CaseResult {
    let started = Instant::now();
    let (c, s, t, tl) = (
        case.clone(),
        suite.to_string(),
        target.clone(),
        timeline.clone(),
    );
    let task = tokio::spawn(async move { run_owned(&c, &s, &t, &tl).await });
    match task.await {
        Ok(result) => result,
        Err(join) => {
            let mut result = crate::check::blank(case, suite, &target.name);
            result.verdict = Verdict::Error;
            let why = panic_text(join).replace('\n', " ");
            result.reason = Some(format!("harness failure: {why}"));
            result.duration = started.elapsed();
            result
        }
    }
}

fn panic_text(join: tokio::task::JoinError) -> String {
    let Ok(payload) = join.try_into_panic() else {
        return "the case task was cancelled".to_string();
    };
    if let Some(s) = payload.downcast_ref::<&str>() {
        return s.to_string();
    }
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| "panic".to_string())
}

async fn run_owned(
    case: &Case,
    suite: &str,
    target: &ServerEndpoint,
    timeline: &Timeline,
) -> CaseResult {
    let started = Instant::now();
    let mut result = crate::check::blank(case, suite, &target.name);
    // Capabilities are the runner's concern: it skips a case the target
    // cannot run before calling here.
    let CaseBody::Server(steps) = &case.body else {
        result.verdict = Verdict::Error;
        result.reason = Some("a client-role case cannot run against a server".to_string());
        return result;
    };
    let mut s = match FakeClient::connect(case, target, timeline).await {
        Ok(s) => s,
        Err(reason) => {
            result.verdict = Verdict::Error;
            result.reason = Some(reason);
            result.duration = started.elapsed();
            return result;
        }
    };
    let stop = run_steps(&mut s, steps).await;
    s.wind_down(STRAY_GRACE).await;
    s.fill(&mut result, stop);
    result.duration = started.elapsed();
    result
}

/// Runs the steps in order until one stops the case.
async fn run_steps(s: &mut FakeClient<'_>, steps: &[Step]) -> Option<Stop> {
    for step in steps {
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
        StepKind::ExpectNoStray { grace } => *grace + t,
        StepKind::Transfer(_) => (t * 24).max(Duration::from_secs(60)),
        _ => t * 6 + Duration::from_secs(1),
    }
}

async fn run_step(s: &mut FakeClient<'_>, step: &Step, t: Duration) -> Result<(), Stop> {
    match &step.kind {
        StepKind::Login => s.login(step, t).await,
        StepKind::Send { payload, expect } => s.send(step, payload, expect.as_ref(), t).await,
        StepKind::Expect(exp) => s.expect(step, exp, t).await.map(|_| ()),
        StepKind::Data(setup) => s.data(step, setup, t).await,
        StepKind::Transfer(xfer) => s.transfer(step, xfer, t).await,
        StepKind::DataExpect(de) => {
            s.data_expect(step, de);
            Ok(())
        }
        StepKind::ExpectNoStray { grace } => {
            s.expect_no_stray(step, *grace).await;
            Ok(())
        }
        StepKind::Set { var, value } => s.set(step, var, value),
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
