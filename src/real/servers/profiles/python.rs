//! Python servers from the .peers/venv: pyftpdlib 2.2 (explicit FTPS
//! offered with the test CA's certificate) and Twisted's FTP server (run
//! by scripts/twisted_ftpd.py, which binds loopback only; Twisted's FTP
//! has no FTPS).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{peers_dir, tls_files, Profile, Setup};
use crate::real::servers::error::StartError;

pub(crate) const PYFTPDLIB: Profile = Profile {
    name: "pyftpdlib",
    user: "test",
    pass: "test",
    command: pyftpdlib,
    tls: true,
    implicit_tls: false,
    // One Python process, one event loop. With cases truly side by side
    // (the matrix, 4 targets at a time), 2 or 4 sessions at once made it
    // go silent for 5 s and more now and then (a USER or an EPRT left
    // unanswered, a RETR stopped after 150; strace: the loop idle in
    // epoll_wait, an EPRT's connect never completed), in about one matrix
    // run in two, both its IPv4 and IPv6 columns; one at a time, none in 4
    // runs.
    sessions: 1,
    slow_cases: &[],
};

pub(crate) const TWISTED: Profile = Profile {
    name: "twisted",
    user: "test",
    pass: "test",
    command: twisted,
    tls: false,
    implicit_tls: false,
    // One Python process, one reactor, as pyftpdlib.
    sessions: 4,
    slow_cases: &[],
};

fn pyftpdlib(setup: &Setup) -> Result<Command, StartError> {
    let mut cmd = python_with("pyftpdlib", "pyftpdlib")?;
    let (lo, hi) = setup.passive;
    cmd.args(["-m", "pyftpdlib", "-w", "-D", "-u", "test", "-P", "test"]);
    cmd.arg("-i").arg(setup.addr.ip().to_string());
    cmd.arg("-p").arg(setup.addr.port().to_string());
    cmd.arg("-d").arg(&setup.root);
    cmd.arg("-r").arg(format!("{lo}-{hi}"));
    if let Some(nat) = setup.opts.pasv_address {
        cmd.arg("-n").arg(nat.to_string());
    }
    // Explicit FTPS offered (TLS_FTPHandler, on pyOpenSSL), not required.
    let pem = tls_files(setup)?;
    cmd.arg("--tls");
    cmd.arg("--certfile").arg(&pem.cert);
    cmd.arg("--keyfile").arg(&pem.key);
    Ok(cmd)
}

fn twisted(setup: &Setup) -> Result<Command, StartError> {
    let mut cmd = python_with("twisted", "twisted")?;
    let (lo, hi) = setup.passive;
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/twisted_ftpd.py"));
    cmd.arg("--address").arg(setup.addr.ip().to_string());
    cmd.arg("--port").arg(setup.addr.port().to_string());
    cmd.arg("--root").arg(&setup.root);
    cmd.args(["--user", "test", "--password", "test"]);
    cmd.arg("--pasv-range").arg(format!("{lo}-{hi}"));
    if let Some(nat) = setup.opts.pasv_address {
        cmd.arg("--nat-address").arg(nat.to_string());
    }
    Ok(cmd)
}

/// The venv's python, once the venv holds `module`.
fn python_with(server: &str, module: &str) -> Result<Command, StartError> {
    let venv = peers_dir().join("venv");
    let python = venv.join("bin/python");
    if !python.is_file() || !venv_has(&venv, module) {
        return Err(StartError::NotInstalled {
            server: server.to_string(),
            what: format!("python module {module}"),
            looked: venv.display().to_string(),
        });
    }
    let mut cmd = Command::new(python);
    cmd.env("PYTHONUNBUFFERED", "1");
    Ok(cmd)
}

/// True when `venv/lib/python*/site-packages/module` exists.
fn venv_has(venv: &Path, module: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(venv.join("lib")) else {
        return false;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages").join(module))
        .any(|p: PathBuf| p.is_dir())
}
