//! What the terminal shows while a run goes: on a terminal, a progress bar
//! (with a line for each case that did not pass above it); elsewhere (a CI
//! log), one line per finished case; nothing with `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use ftpconform::verdict::{CaseResult, Verdict};

pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// Progress of a run of `total` cases.
    pub fn new(total: usize, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, quiet }
    }

    /// A case finished.
    pub fn case_done(&self, r: &CaseResult) {
        let line = format!("{}::{}::{} {}", r.target, r.suite, r.id, r.verdict.as_str());
        match &self.bar {
            Some(bar) => {
                if r.verdict != Verdict::Pass {
                    bar.println(&line);
                }
                bar.set_message(line);
                bar.inc(1);
            }
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }

    /// Clears the bar before the report is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
