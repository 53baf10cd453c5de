//! The suites as libtest trials in another project's `cargo test`.
//!
//! An FTP server project adds a test target with `harness = false` and a
//! few lines that say how to reach (or start) its server; every server-role
//! case becomes one trial named `suite::case`, with the flags CI expects
//! (`--list`, `--exact`, `--skip`, `--ignored`, `--format terse`,
//! `--test-threads`), so it also runs under `cargo nextest run`, partitions
//! included (nextest lists the trials and runs each by its exact name).
//!
//! ```no_run
//! // tests/ftp_conformance.rs; in Cargo.toml:
//! // [[test]]
//! // name = "ftp_conformance"
//! // harness = false
//! use ftpconform::harness::Harness;
//!
//! fn main() -> std::process::ExitCode {
//!     Harness::url("ftp://anonymous:guest@127.0.0.1:2121").run()
//! }
//! ```
//!
//! [`Harness::start`] takes a closure that starts the server on first use
//! (and a guard that stops it when the run ends); [`Harness::command`]
//! starts a program, waits for its greeting and stops it by PID. The server
//! must serve the seed tree of [`crate::real::servers::seed`] (`hello.txt`,
//! `big.bin`, `sub/nested.txt`, a writable `upload/`): [`seed_root`] writes
//! it into a folder.
//!
//! A trial fails when its case's verdict is `fail` or `error` (with
//! [`Harness::strict`], also `non-strict`); its message is the report of
//! the case: expected against actual, the rule's RFC section, the
//! transcript excerpt and the capture's path. Cases that need a capability
//! the server lacks ([`Harness::capabilities`]) are ignored trials:
//! `--ignored` runs them anyway. Cases run one at a time whatever
//! `--test-threads` says, across processes too (nextest runs each trial in
//! its own process): trap listeners on fixed ports (PORT to 127.0.0.1:80)
//! are one per machine, and a server may connect late into another case's
//! trap. The turn is a lock on `ftpconform-cases.lock` in the temporary
//! folder.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::real::servers::url::{self, FtpUrl};
use crate::real::servers::ServerEndpoint;
use crate::runner::{self, RunConfig, Target};
use crate::script::{Capability, Case, Suite};
use crate::verdict::{CaseResult, Role, Verdict};

pub use crate::real::servers::seed::seed_root;

/// Errors a start closure may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long a started server may take to greet.
const GREETING_LIMIT: Duration = Duration::from_secs(10);
/// Between two connection attempts while a started command comes up.
const GREETING_POLL: Duration = Duration::from_millis(50);

/// A server the start closure brought up: where it is, and a guard dropped
/// (stopping the server) when the run ends.
pub struct Started {
    pub url: String,
    pub guard: Box<dyn Any + Send + Sync>,
}

type StartFn = Box<dyn Fn() -> Result<Started, BoxError> + Send + Sync>;

/// Where the server under test comes from.
enum Source {
    Url(String),
    Start(StartFn),
}

/// The embeddable harness: which server, which suites, how to grade.
pub struct Harness {
    name: String,
    source: Source,
    suites: Vec<PathBuf>,
    capture_dir: PathBuf,
    capabilities: Option<Vec<Capability>>,
    strict: bool,
}

impl Harness {
    /// A server that is already running at `ftp://user:pass@host:port`.
    pub fn url(url: &str) -> Harness {
        // Named `host:port` in reports and capture paths (no credentials).
        let name = FtpUrl::parse(url)
            .and_then(|u| u.endpoint())
            .map_or_else(|_| url.to_string(), |e| e.name);
        Harness::with(name, Source::Url(url.to_string()))
    }

    /// A server started by `start` when the first trial runs (not at all
    /// for `--list`); its guard is dropped when the run ends.
    pub fn start<F>(name: &str, start: F) -> Harness
    where
        F: Fn() -> Result<Started, BoxError> + Send + Sync + 'static,
    {
        Harness::with(name.to_string(), Source::Start(Box::new(start)))
    }

    /// A server started as a child process, reached at `url` once it
    /// greets (within 10 s), and killed by PID when the run ends.
    pub fn command(name: &str, command: std::process::Command, url: &str) -> Harness {
        let command = Mutex::new(command);
        let url = url.to_string();
        Harness::start(name, move || {
            let child = command.lock().unwrap_or_else(|e| e.into_inner()).spawn()?;
            let guard = ChildGuard(child);
            wait_for_greeting(&url)?;
            Ok(Started {
                url: url.clone(),
                guard: Box::new(guard),
            })
        })
    }

    fn with(name: String, source: Source) -> Harness {
        Harness {
            name,
            source,
            suites: vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("suites")],
            capture_dir: PathBuf::from("target/ftpconform/captures"),
            capabilities: None,
            strict: false,
        }
    }

    /// Suite files or folders to run instead of the shipped suites.
    pub fn suites<P: Into<PathBuf>>(mut self, paths: impl IntoIterator<Item = P>) -> Harness {
        self.suites = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Where each case's capture goes (default `target/ftpconform/captures`,
    /// under the target's name).
    pub fn capture_dir(mut self, dir: impl Into<PathBuf>) -> Harness {
        self.capture_dir = dir.into();
        self
    }

    /// What the server can do; a case that requires anything else is an
    /// ignored trial. Default: every capability but `ipv6` (the IPv6 cases
    /// need a server on ::1; name `ipv6` here for one) and `implicit-tls`
    /// (name it for a server at an `ftps://` address).
    pub fn capabilities(mut self, capabilities: &[Capability]) -> Harness {
        self.capabilities = Some(capabilities.to_vec());
        self
    }

    /// `non-strict` verdicts (a SHOULD not kept) fail their trial too.
    pub fn strict(mut self) -> Harness {
        self.strict = true;
        self
    }

    /// Parses the command line as libtest does and runs the trials.
    pub fn run(self) -> ExitCode {
        let args = Arguments::from_args();
        match self.trials() {
            Ok(trials) => libtest_mimic::run(&args, trials).exit_code(),
            Err(e) => {
                eprintln!("ftpconform: {e}");
                ExitCode::from(2)
            }
        }
    }

    /// One trial per server-role case, sorted by name; errors are suites
    /// that do not load (each with file, line and problem).
    pub fn trials(self) -> Result<Vec<Trial>, String> {
        let suites = crate::suite::load_paths(&self.suites).map_err(|errs| {
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        let capabilities = self.capabilities;
        let shared = Arc::new(Shared {
            name: self.name,
            source: self.source,
            capture_dir: self.capture_dir,
            strict: self.strict,
            server: OnceLock::new(),
        });
        let mut trials = Vec::new();
        for suite in suites.into_iter().filter(|s| s.role == Role::Server) {
            let suite = Arc::new(suite);
            for case in suite.cases.iter().cloned() {
                let lacks = capabilities
                    .as_ref()
                    .is_some_and(|have| case.requires.iter().any(|c| !have.contains(c)));
                let ipv6_only = capabilities.is_none()
                    && (case.requires.contains(&Capability::Ipv6)
                        || case.requires.contains(&Capability::ImplicitTls));
                let name = format!("{}::{}", suite.name, case.id);
                let (shared, suite) = (Arc::clone(&shared), Arc::clone(&suite));
                let kind = case.level.as_str();
                let trial = Trial::test(name, move || shared.trial(&suite, &case))
                    .with_kind(kind)
                    .with_ignored_flag(lacks || ipv6_only);
                trials.push(trial);
            }
        }
        trials.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(trials)
    }
}

/// What the trials share: the server (started once) and the turn.
struct Shared {
    name: String,
    source: Source,
    capture_dir: PathBuf,
    strict: bool,
    server: OnceLock<Result<Running, String>>,
}

/// The server once reached, with the runtime the cases run on.
struct Running {
    endpoint: ServerEndpoint,
    rt: tokio::runtime::Runtime,
    _guard: Option<Box<dyn Any + Send + Sync>>,
}

impl Shared {
    fn running(&self) -> Result<&Running, String> {
        self.server
            .get_or_init(|| self.reach())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn reach(&self) -> Result<Running, String> {
        let (address, guard) = match &self.source {
            Source::Url(u) => (u.clone(), None),
            Source::Start(start) => {
                let started = start().map_err(|e| format!("cannot start {}: {e}", self.name))?;
                (started.url, Some(started.guard))
            }
        };
        let url = FtpUrl::parse(&address).map_err(|e| e.to_string())?;
        let mut endpoint = url.endpoint().map_err(|e| e.to_string())?;
        endpoint.name = self.name.clone();
        // Every case the trial list did not ignore may run (an ignored one
        // runs only under --ignored, by choice), but the other form of
        // FTPS than the address names: implicit FTPS (`ftps://`) is TLS
        // from the first byte, for every case.
        endpoint.capabilities = Capability::of_url(url.implicit_tls);
        let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        Ok(Running {
            endpoint,
            rt,
            _guard: guard,
        })
    }

    fn trial(&self, suite: &Suite, case: &Case) -> Result<(), Failed> {
        let server = self.running()?;
        let config = RunConfig {
            capture_dir: self.capture_dir.clone(),
            filters: vec![],
            capture: true,
        };
        let capture = config.capture_path(&self.name, &suite.name, &case.id);
        let result = {
            let _turn = Turn::take()?;
            let run = runner::run_case(
                suite,
                case,
                Target::Server(&server.endpoint),
                Some(&capture),
            );
            server.rt.block_on(run)
        };
        self.judge(&result)
    }

    fn judge(&self, r: &CaseResult) -> Result<(), Failed> {
        let fails = match r.verdict {
            Verdict::Fail | Verdict::Error => true,
            Verdict::NonStrict => self.strict,
            _ => false,
        };
        if fails {
            Err(crate::report::table::render(std::slice::from_ref(r)).into())
        } else {
            Ok(())
        }
    }
}

/// One case at a time on this machine: an exclusive `flock` on a file in
/// the temporary folder, released when dropped (or when the process dies).
struct Turn(std::fs::File);

impl Turn {
    fn take() -> Result<Turn, String> {
        use std::os::fd::AsRawFd;
        let path = std::env::temp_dir().join("ftpconform-cases.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // SAFETY: flock on a descriptor this function owns; it blocks
        // until the holder (another trial, maybe another process) is done.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(format!(
                "cannot lock {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(Turn(file))
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: unlocks the descriptor this value owns (closing it would
        // too; unlocking first frees the turn before the file is dropped).
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// A child process killed and reaped by PID when the run ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (bounded) until the server at `address` sends a greeting.
fn wait_for_greeting(address: &str) -> Result<(), BoxError> {
    let endpoint = FtpUrl::parse(address)?.endpoint()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let deadline = Instant::now() + GREETING_LIMIT;
    loop {
        match rt.block_on(url::probe(&endpoint, GREETING_POLL * 4)) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("no greeting within {GREETING_LIMIT:?}: {e}").into())
            }
            Err(_) => std::thread::sleep(GREETING_POLL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("suites/server")
            .join(name)
    }

    /// Runs the inner trials with their output in a log file, so that
    /// this test's own output holds no second "test result" line.
    fn quiet(log: &Path) -> Arguments {
        Arguments {
            test_threads: Some(1),
            quiet: true,
            logfile: Some(log.display().to_string()),
            ..Arguments::default()
        }
    }

    #[test]
    fn a_server_that_is_not_there_fails_every_trial() {
        // Nothing listens on port 1 of loopback: every case ends in an
        // error verdict, and an error fails its trial.
        let captures = tempfile::tempdir().unwrap();
        let trials = Harness::url("ftp://u:p@127.0.0.1:1")
            .suites([suite("smoke.yaml")])
            .capture_dir(captures.path())
            .trials()
            .unwrap();
        let n = trials.len() as u64;
        assert_eq!(n, 5);
        let done = libtest_mimic::run(&quiet(&captures.path().join("trials.log")), trials);
        assert_eq!((done.num_failed, done.num_passed), (n, 0));
    }

    #[test]
    fn cases_the_server_cannot_do_are_ignored_trials() {
        let ignored = |h: Harness| -> Vec<String> {
            let trials = h.suites([suite("rfc2428-extended.yaml")]).trials().unwrap();
            trials
                .iter()
                .filter(|t| t.has_ignored_flag())
                .map(|t| t.name().to_string())
                .collect()
        };
        let by_default = ignored(Harness::url("ftp://u:p@127.0.0.1:1"));
        assert!(!by_default.is_empty());
        assert!(
            by_default
                .iter()
                .all(|n| n.contains("ipv6") || n.contains("epsv-2")),
            "{by_default:?}"
        );
        let all = ignored(Harness::url("ftp://u:p@127.0.0.1:1").capabilities(&Capability::ALL));
        assert_eq!(all, Vec::<String>::new());
        let passive_only =
            ignored(Harness::url("ftp://u:p@127.0.0.1:1").capabilities(&[Capability::Passive]));
        assert!(passive_only.len() > by_default.len());
    }

    #[test]
    fn a_suite_mistake_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "suite: x\nrole: server\ncases: [{id: 1}]\n").unwrap();
        let err = Harness::url("ftp://u:p@127.0.0.1:1")
            .suites([&bad])
            .trials()
            .err()
            .unwrap();
        assert!(err.contains("bad.yaml"), "{err}");
    }
}
