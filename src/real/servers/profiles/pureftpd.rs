//! pure-ftpd 1.0.50 (unpacked into .peers/): one virtual user from a puredb,
//! explicit FTPS offered with the test CA's certificate.

use std::path::Path;
use std::process::{Command, Stdio};

use super::{announced_v4, find_binary, peers_dir, tls_files, write_config, Profile, Setup};
use crate::real::servers::error::StartError;

pub(crate) const PROFILE: Profile = Profile {
    name: "pure-ftpd",
    user: "test",
    pass: "test",
    command,
    // One process per session (fork): sessions are independent.
    sessions: 16,
    // pure-ftpd answers each wrong password after a delay that grows
    // with every failure in the session (4.8, 7.0, 11.3 s and more): the
    // five failures of password-guessing-limited take about 52 s.
    slow_cases: &["rfc2577-security::password-guessing-limited"],
    tls: true,
    implicit_tls: false,
};

/// `openssl passwd -6 -salt ftpconform test`: sha512-crypt costs about
/// 18 ms a login, pure-pw's default argon2id about 2.2 s.
const TEST_HASH: &str = "$6$ftpconform$rsKAbCzyt0XbuxtMT7338GRFHIqRy1WPsztb/DOXvJCljEweX7xZkdFANmGA7JXzqPuJdIZGbZc0Ai90v9CCo.";

fn command(setup: &Setup) -> Result<Command, StartError> {
    let bin = peers_dir().join("root/usr");
    let server = find_binary("pure-ftpd", "pure-ftpd", &[bin.join("sbin/pure-ftpd")])?;
    let pure_pw = find_binary("pure-ftpd", "pure-pw", &[bin.join("bin/pure-pw")])?;
    let pdb = make_user_db(setup, &pure_pw)?;
    let (lo, hi) = setup.passive;
    let mut cmd = Command::new(server);
    cmd.arg("-S")
        .arg(format!("{},{}", setup.addr.ip(), setup.addr.port()));
    cmd.arg("-p").arg(format!("{lo}:{hi}"));
    cmd.arg("-l").arg(format!("puredb:{}", pdb.display()));
    // -E: no anonymous, -A: chroot everyone, -H: no reverse DNS.
    cmd.args(["-E", "-A", "-H"]);
    // Explicit FTPS offered, plain sessions still accepted (-Y 1), with
    // the test CA's certificate.
    let pem = tls_files(setup)?;
    cmd.arg("-Y").arg("1");
    cmd.arg("-2")
        .arg(format!("{},{}", pem.cert.display(), pem.key.display()));
    if setup.addr.is_ipv6() {
        cmd.arg("-6");
    } else {
        cmd.arg("-P").arg(announced_v4(setup).to_string()).arg("-4");
    }
    Ok(cmd)
}

/// Writes `pure.passwd` with the one user and compiles it with `pure-pw mkdb`.
fn make_user_db(setup: &Setup, pure_pw: &Path) -> Result<std::path::PathBuf, StartError> {
    let (uid, gid) = ftp_ids();
    let passwd = setup.dir.join("pure.passwd");
    let pdb = setup.dir.join("pure.pdb");
    let home = setup.root.display();
    let line = format!("test:{TEST_HASH}:{uid}:{gid}::{home}/./::::::::::::\n");
    write_config(&passwd, &line)?;
    let status = Command::new(pure_pw)
        .arg("mkdb")
        .arg(&pdb)
        .arg("-f")
        .arg(&passwd)
        .stdin(Stdio::null())
        .status()
        .map_err(StartError::io("run pure-pw mkdb"))?;
    if !status.success() {
        return Err(StartError::Io {
            what: format!("pure-pw mkdb {}", pdb.display()),
            source: std::io::Error::other(status.to_string()),
        });
    }
    Ok(pdb)
}

/// The uid and gid of the `ftp` account (vsftpd's package creates it),
/// else those of `nobody`: pure-ftpd refuses uid 0 for virtual users.
fn ftp_ids() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            let ids = (fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?);
            Some((*fields.first()?, ids))
        })
        .find(|(name, _)| *name == "ftp")
        .map(|(_, ids)| ids)
        .unwrap_or((65534, 65534))
}
