//! `ftpconform matrix`: every suite against every available target (the
//! embedded peers always; the real servers on IPv4 and on ::1, their
//! variants on the suites they change, and the real clients that are
//! installed), four targets at a time, into the matrix
//! (Markdown and HTML), the full HTML report with ladders, and one JSON
//! report per target (what `scripts/interop-report.sh --verdicts` reads).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use ftpconform::real::clients::ClientProfile;
use ftpconform::real::servers;
use ftpconform::report::html::Ladders;
use ftpconform::report::{self, matrix, Summary};
use ftpconform::runner::{self, RunConfig};
use ftpconform::script::Suite;
use ftpconform::timeline::Timeline;
use ftpconform::verdict::{CaseResult, Verdict};

use super::run::{run_all, Ran, RunArgs, EXIT_HARNESS};

#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// Where the matrix, the reports and the captures go.
    #[arg(long, default_value = "target/ftpconform/matrix")]
    pub out: PathBuf,
    /// Only the embedded peers (the libunftp server, the suppaftp client).
    #[arg(long)]
    pub embedded_only: bool,
    /// Suite file or folder (repeatable; default: suites/).
    #[arg(long = "suite")]
    pub suites: Vec<PathBuf>,
}

/// Targets run at once. Most of a column's time is waiting (failed-login
/// delays, clients killed at their deadline): with 4 at a time the matrix
/// was bound by the sum of the columns (about 355 s of column time over 4:
/// 87 s); with 8, by its longest column, pure-ftpd's (docs/benchmarks.md).
const COLUMNS_AT_ONCE: usize = 8;

/// Each column's share of the default jobs: a quarter, as when four
/// columns ran at once, so that a target has as many of its cases in
/// flight as before (and as `cargo test --test conformance` runs, whose
/// verdicts are stable at that load).
const JOBS_SHARES: usize = 4;

/// One target of the matrix: the `run` arguments that test it.
struct Column {
    name: String,
    args: RunArgs,
}

fn run_args(server: Option<&str>, client: Option<&str>, ipv6: bool) -> RunArgs {
    RunArgs {
        server: server.map(str::to_string),
        client: client.map(str::to_string),
        suites: vec![],
        cases: vec![],
        reports: vec![],
        quiet: true,
        capture_dir: None,
        no_capture: false,
        ipv6,
        pasv_address: None,
        topology: None,
        strict: false,
        // Its servers are started here, on loopback.
        allow_remote: false,
        jobs: (super::run::default_jobs() / JOBS_SHARES).max(2),
    }
}

/// The targets, in report order: servers, the same on ::1, the variants
/// (each on its own suites), clients.
fn columns(embedded_only: bool) -> Vec<Column> {
    let mut out = Vec::new();
    let names = servers::server_names();
    let servers: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !embedded_only || *n == servers::EMBEDDED)
        .collect();
    for s in &servers {
        out.push(Column {
            name: s.to_string(),
            args: run_args(Some(s), None, false),
        });
    }
    for s in servers.iter().filter(|s| servers::runs_on_ipv6(s)) {
        out.push(Column {
            name: format!("{s}-ipv6"),
            args: run_args(Some(s), None, true),
        });
    }
    for v in servers::VARIANTS.iter().filter(|_| !embedded_only) {
        let mut args = run_args(Some(v.name), None, false);
        args.cases = v.suites.iter().map(|s| format!("{s}::")).collect();
        out.push(Column {
            name: v.name.to_string(),
            args,
        });
    }
    for c in ClientProfile::all() {
        if embedded_only && c.name() != "suppaftp" {
            continue;
        }
        out.push(Column {
            name: c.name().to_string(),
            args: run_args(None, Some(c.name()), false),
        });
    }
    out
}

/// The order columns start in (indices into `columns`): first the targets
/// known to take long on some case (`servers::slow_cases`), then those
/// that take fewest sessions at a time (pyftpdlib one, Twisted and ftplib
/// four), then the rest in report order; a long column that started last
/// would hold up the whole matrix.
fn start_order(columns: &[Column]) -> Vec<usize> {
    let key = |col: &Column| match (&col.args.server, &col.args.client) {
        (Some(s), _) => (servers::slow_cases(s).is_empty(), servers::session_limit(s)),
        (None, Some(c)) => (
            true,
            ClientProfile::by_name(c).map_or(usize::MAX, |p| runner::client_session_limit(&p)),
        ),
        (None, None) => (true, usize::MAX),
    };
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| key(&columns[i]));
    order
}

pub fn run(args: MatrixArgs, suites: Vec<Suite>) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let started = Instant::now();
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let config = RunConfig {
        capture_dir: args.out.join("captures"),
        filters: vec![],
        capture: true,
    };
    let mut all: Vec<CaseResult> = Vec::new();
    let mut ladders = Ladders::default();
    let mut unavailable = Vec::new();
    // Targets side by side, [`COLUMNS_AT_ONCE`] at a time, each with its
    // share of the cases in flight; every column keeps its own ladders and
    // results, gathered in column order.
    let columns = columns(args.embedded_only);
    let runs = start_order(&columns).into_iter().map(|i| {
        let col = &columns[i];
        // A variant's column runs its own suites only (`--case` filters).
        let config = RunConfig {
            filters: col.args.cases.clone(),
            ..config.clone()
        };
        let suites = &suites;
        async move {
            let config = &config;
            let started = Instant::now();
            let mut own = Ladders::default();
            let mut on_case = |r: &CaseResult, timeline: &Timeline| {
                if r.verdict != Verdict::Pass {
                    own.record(r, &timeline.events());
                }
            };
            let ran = run_all(&col.args, suites, config, &mut on_case).await;
            (i, col, ran, own, started.elapsed())
        }
    });
    // A column that ends frees its place for the next at once (a slow
    // target does not hold up those behind it); reports keep column order.
    let mut done: Vec<_> = rt.block_on(async {
        use futures_util::StreamExt;
        futures_util::stream::iter(runs)
            .buffer_unordered(COLUMNS_AT_ONCE)
            .collect()
            .await
    });
    done.sort_by_key(|d| d.0);
    for (_, col, ran, own, took) in done {
        ladders.extend(own);
        match ran {
            Ok(Ran::Done(results)) => {
                eprintln!(
                    "matrix: {} {} cases in {:.1} s: {}",
                    col.name,
                    results.len(),
                    took.as_secs_f64(),
                    Summary::of(&results).line()
                );
                write(
                    &args.out.join(format!("{}.json", col.name)),
                    &json(&results)?,
                )?;
                all.extend(results);
            }
            Ok(Ran::Interrupted(signal, _)) => return Ok(ExitCode::from(signal.exit_code())),
            Err(e) => {
                eprintln!("matrix: {} unavailable: {e:#}", col.name);
                unavailable.push(format!("{}: {e:#}", col.name));
            }
        }
    }
    eprintln!(
        "matrix: {} targets in {:.1} s",
        columns.len(),
        started.elapsed().as_secs_f64()
    );
    if all.is_empty() {
        eprintln!("matrix: no target could run");
        return Ok(ExitCode::from(EXIT_HARNESS));
    }
    let mut md = matrix::markdown(&all, &args.out);
    if !unavailable.is_empty() {
        md.push_str("\n## Targets that could not run\n\n");
        for u in &unavailable {
            md.push_str(&format!("- {u}\n"));
        }
    }
    write(&args.out.join("matrix.md"), &md)?;
    write(
        &args.out.join("matrix.html"),
        &matrix::html(&all, &args.out),
    )?;
    write(
        &args.out.join("report.html"),
        &report::html::render(&all, &ladders),
    )?;
    println!("{}", Summary::of(&all).line());
    println!("matrix written to {}", args.out.join("matrix.md").display());
    Ok(ExitCode::from(Summary::of(&all).exit_code() as u8))
}

fn json(results: &[CaseResult]) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&report::json::render(results))? + "\n")
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The suite paths the matrix loads.
pub fn suite_paths(args: &MatrixArgs) -> Vec<PathBuf> {
    if args.suites.is_empty() {
        super::run::default_suites()
    } else {
        args.suites.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each variant is a column of its own, on its own suites only (a
    /// whole run of `proftpd-implicit` would judge plain-FTP cases over a
    /// server that protects every data connection).
    #[test]
    fn variant_columns_run_their_own_suites_only() {
        let cols = columns(false);
        for v in servers::VARIANTS {
            let col = cols.iter().find(|c| c.name == v.name).expect("a column");
            let want: Vec<String> = v.suites.iter().map(|s| format!("{s}::")).collect();
            assert_eq!(col.args.cases, want, "{}", v.name);
        }
        let plain = cols.iter().find(|c| c.name == "vsftpd").expect("vsftpd");
        assert!(plain.args.cases.is_empty());
        assert!(columns(true)
            .iter()
            .all(|c| servers::variant(&c.name).is_none()));
    }

    #[test]
    fn long_columns_start_first_and_reports_keep_column_order() {
        let cols = columns(false);
        let order = start_order(&cols);
        let names: Vec<&str> = order.iter().map(|&i| cols[i].name.as_str()).collect();
        // pure-ftpd (slow_cases) on IPv4 and ::1, then pyftpdlib (one
        // session at a time) on both.
        assert_eq!(
            names[..4],
            ["pure-ftpd", "pure-ftpd-ipv6", "pyftpdlib", "pyftpdlib-ipv6"]
        );
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..cols.len()).collect::<Vec<_>>());
        assert_eq!(cols[0].name, servers::EMBEDDED);
    }
}
