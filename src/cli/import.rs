//! `ftpconform import` (one session of a capture written as a suite case)
//! and `ftpconform replay` (that case run at once against a live peer:
//! where the peer departs from the recording, a step fails and says how).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use ftpconform::capture::sessions::Options;
use ftpconform::capture::{read_sessions, Session};
use ftpconform::offline::import::{import, ImportRole};
use ftpconform::script::Suite;

/// Payload kept per connection and direction when importing (the suite
/// format caps files at 64 MiB).
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

fn text(file: &Path, n: u32, role: ImportRole) -> anyhow::Result<String> {
    let s = session(file, n)?;
    Ok(import(&file.to_string_lossy(), &s, role))
}

pub fn import_cmd(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let role = match args.role {
        RoleArg::Server => ImportRole::Server,
        RoleArg::Client => ImportRole::Client,
    };
    let yaml = text(&args.file, args.session, role)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, yaml).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{yaml}"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let role = match args.server {
        Some(_) => ImportRole::Server,
        None => ImportRole::Client,
    };
    let yaml = text(&args.file, args.session, role)?;
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
    let run = super::run::RunArgs {
        server: args.server,
        client: args.client,
        suites: Vec::new(),
        cases: Vec::new(),
        reports: args.reports,
        quiet: true,
        capture_dir: args.capture_dir,
        ipv6: false,
        pasv_address: None,
        strict: false,
        topology: None,
        allow_remote: false,
        no_capture: false,
        jobs: super::run::default_jobs(),
    };
    super::run::run(run, vec![suite])
}
