//! `ftpconform import` (one session of a capture written as a suite case)
//! and `ftpconform replay` (that case run at once against a live peer:
//! where the peer departs from the recording, a step fails and says how).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use ftpconform::capture::sessions::Options;
use ftpconform::capture::{read_sessions, Session};
use ftpconform::offline::departures::{departures, outline};
use ftpconform::offline::import::{import, import_with_payloads, ImportRole, Imported};
use ftpconform::runner::RunConfig;
use ftpconform::script::Suite;

/// Payload kept per connection and direction when importing: a payload is
/// held whole while its case is written, so one larger than this is
/// replayed by its size.
const IMPORT_RETAIN: u64 = 64 << 20;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    /// A server-role case: the fake client plays the recorded client.
    Server,
    /// A client-role case: the fake server plays the recorded server.
    Client,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The capture (pcap or pcapng).
    pub file: PathBuf,
    /// Where the suite goes (default: standard output).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Which peer the case tests.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The session to import (as `check` numbers them).
    #[arg(long, default_value_t = 1)]
    pub session: u32,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The capture (pcap or pcapng).
    pub file: PathBuf,
    /// Play the recorded client against this server (as `run --server`).
    #[arg(long, conflicts_with = "client", required_unless_present = "client")]
    pub server: Option<String>,
    /// Play the recorded server against this client (as `run --client`).
    #[arg(long)]
    pub client: Option<String>,
    /// The session to replay (as `check` numbers them).
    #[arg(long, default_value_t = 1)]
    pub session: u32,
    /// Reports, as for `run`.
    #[arg(long = "report")]
    pub reports: Vec<String>,
    /// Where captures of the replay go (default target/ftpconform/captures).
    #[arg(long)]
    pub capture_dir: Option<PathBuf>,
}

/// Session `n` of `file`, or why there is none.
fn session(file: &Path, n: u32) -> anyhow::Result<Session> {
    let opts = Options {
        retain: IMPORT_RETAIN,
        ..Options::default()
    };
    let mut found = None;
    let mut count = 0;
    read_sessions(file, &opts, |s| {
        count += 1;
        if s.number == n {
            found = Some(s);
        }
    })?;
    match found {
        Some(s) => Ok(s),
        None => bail!(
            "{} has {count} FTP sessions, not a session {n}",
            file.display()
        ),
    }
}

/// Writes each payload file under `base`.
fn write_payloads(base: &Path, imported: &Imported) -> anyhow::Result<()> {
    for (name, bytes) in &imported.payloads {
        let path = base.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

pub fn import_cmd(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let role = match args.role {
        RoleArg::Server => ImportRole::Server,
        RoleArg::Client => ImportRole::Client,
    };
    let s = session(&args.file, args.session)?;
    let file = args.file.to_string_lossy();
    let Some(path) = &args.output else {
        // On standard output there is nowhere to put payload files: a
        // large payload is replayed by its size.
        print!("{}", import(&file, &s, role));
        return Ok(ExitCode::SUCCESS);
    };
    // Payloads that are not inlined go beside the case, in `<case>.payloads/`.
    let stem = path
        .file_stem()
        .map_or("case".into(), |n| n.to_string_lossy());
    let imported = import_with_payloads(&file, &s, role, &format!("{stem}.payloads"));
    write_payloads(path.parent().unwrap_or(Path::new(".")), &imported)?;
    std::fs::write(path, &imported.yaml).with_context(|| format!("writing {}", path.display()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let role = match args.server {
        Some(_) => ImportRole::Server,
        None => ImportRole::Client,
    };
    let recorded = session(&args.file, args.session)?;
    // The payloads that are not inlined, for the replay only.
    let payload_dir = tempfile::tempdir().context("making a folder for the payloads")?;
    let dir = payload_dir.path().to_string_lossy();
    let imported = import_with_payloads(&args.file.to_string_lossy(), &recorded, role, &dir);
    write_payloads(Path::new("."), &imported)?;
    let yaml = imported.yaml;
    let name = PathBuf::from(format!(
        "{}#session-{}.yaml",
        args.file.display(),
        args.session
    ));
    let suite: Suite = match ftpconform::suite::load_str(&name, &yaml) {
        Ok(s) => s,
        Err(errors) => {
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            bail!(
                "the imported case does not load:\n{}\n{yaml}",
                all.join("\n")
            );
        }
    };
    let capture_dir = args
        .capture_dir
        .unwrap_or_else(|| PathBuf::from("target/ftpconform/captures"));
    let started = std::time::SystemTime::now();
    let suite_name = suite.name.clone();
    let case_id = suite
        .cases
        .first()
        .map(|c| c.id.clone())
        .unwrap_or_default();
    let run = super::run::RunArgs {
        server: args.server,
        client: args.client,
        suites: Vec::new(),
        cases: Vec::new(),
        reports: args.reports,
        quiet: true,
        capture_dir: Some(capture_dir.clone()),
        ipv6: false,
        pasv_address: None,
        strict: false,
        topology: None,
        allow_remote: false,
        no_capture: false,
        jobs: super::run::default_jobs(),
    };
    let status = super::run::run(run, vec![suite])?;
    let live = replay_capture(&capture_dir, &suite_name, &case_id, started);
    print!("{}", departure_report(&args.file, &recorded, live));
    Ok(status)
}

/// The capture the replay just wrote: `<dir>/<target>/<suite>/<case>.pcap`
/// under any target, written since `since`.
fn replay_capture(dir: &Path, suite: &str, case: &str, since: SystemTime) -> Option<PathBuf> {
    let config = RunConfig {
        capture_dir: dir.to_path_buf(),
        ..RunConfig::default()
    };
    let fresh = |p: &PathBuf| {
        let modified = std::fs::metadata(p).and_then(|m| m.modified());
        modified.is_ok_and(|m| m >= since)
    };
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|t| config.capture_path(&t.file_name().to_string_lossy(), suite, case))
        .find(fresh)
}

/// Departures listed at most (a session replayed against a very
/// different peer departs everywhere).
const SHOWN: usize = 100;

/// Where the replayed session departs from the recording, as the wire
/// shows both (a section of the report).
fn departure_report(file: &Path, recorded: &Session, live: Option<PathBuf>) -> String {
    let Some(path) = live else {
        return "departures: not compared (the replay wrote no capture)\n".to_string();
    };
    let live = match session(&path, 1) {
        Ok(s) => s,
        Err(e) => return format!("departures: not compared ({e:#})\n"),
    };
    let found = departures(&outline(recorded), &outline(&live));
    let mut out = format!(
        "departures from session {} of {} (the replay's capture: {}): {}\n",
        recorded.number,
        file.display(),
        path.display(),
        found.len()
    );
    for d in found.iter().take(SHOWN) {
        out.push_str(&format!("  - {d}\n"));
    }
    if found.len() > SHOWN {
        out.push_str(&format!("  ... and {} more\n", found.len() - SHOWN));
    }
    out
}
