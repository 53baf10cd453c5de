//! vsftpd 3.0.3 (apt): anonymous login on the seeded root, foreground.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;

use super::{announced_v4, find_binary, tls_files, write_config, Profile, Setup};
use crate::real::servers::error::StartError;
use crate::real::servers::seed::make_dir;

pub(crate) const PROFILE: Profile = Profile {
    name: "vsftpd",
    user: "anonymous",
    pass: "ftpconform@",
    command,
    // One process per session (fork): sessions are independent.
    sessions: 16,
    slow_cases: &[],
    tls: true,
    // implicit_ssl=YES (`ProfileOptions::implicit_tls`).
    implicit_tls: true,
};

fn command(setup: &Setup) -> Result<Command, StartError> {
    let binary = find_binary("vsftpd", "vsftpd", &[PathBuf::from("/usr/sbin/vsftpd")])?;
    let empty = setup.dir.join("empty");
    make_dir(&empty, 0o755)?;
    let conf = setup.dir.join("vsftpd.conf");
    let mut text = config(setup, &empty.display().to_string());
    text.push_str(&tls(setup)?);
    write_config(&conf, &text)?;
    let mut cmd = Command::new(binary);
    cmd.arg(conf);
    Ok(cmd)
}

/// The configuration. Anonymous login needs a root the `ftp` user cannot
/// write (the seed root is 0755; uploads go to `upload/`).
///
/// Local users are enabled (PAM service `vsftpd`) although the suites log
/// in anonymously: with `local_enable=NO` vsftpd answers every other name
/// `530 This FTP server is anonymous only.`, so a case about named users
/// (`user-unknown-not-disclosed`) could not see how vsftpd treats them.
/// ASCII transfers are converted (`ascii_download_enable`,
/// `ascii_upload_enable`): by default vsftpd accepts `TYPE A` and then
/// moves the bytes unchanged.
fn config(setup: &Setup, empty: &str) -> String {
    let mut c = String::new();
    let listen = match setup.addr.ip() {
        IpAddr::V4(ip) => format!("listen=YES\nlisten_address={ip}\n"),
        IpAddr::V6(ip) => format!("listen=NO\nlisten_ipv6=YES\nlisten_address6={ip}\n"),
    };
    c.push_str(&listen);
    let (lo, hi) = setup.passive;
    let _ = writeln!(c, "listen_port={}", setup.addr.port());
    let _ = writeln!(c, "pasv_enable=YES\npasv_min_port={lo}\npasv_max_port={hi}");
    if setup.addr.is_ipv4() {
        let _ = writeln!(c, "pasv_address={}", announced_v4(setup));
    }
    let _ = writeln!(c, "secure_chroot_dir={empty}");
    let _ = writeln!(c, "anon_root={}", setup.root.display());
    let _ = writeln!(c, "vsftpd_log_file={}", setup.log.display());
    c.push_str(FIXED);
    c
}

/// Explicit FTPS with the test CA's certificate, optional (plain sessions
/// go on as before): anonymous sessions may use it, data connections must
/// resume the control connection's session (`require_ssl_reuse`, vsftpd's
/// default) unless the options say otherwise. vsftpd's default cipher
/// list (DES-CBC3-SHA) is gone from today's TLS stacks: `HIGH`. With
/// `implicit_tls`, `implicit_ssl=YES`: every control connection is TLS
/// from its first byte (data connections still follow PROT, vsftpd's
/// default being clear).
fn tls(setup: &Setup) -> Result<String, StartError> {
    let pem = tls_files(setup)?;
    let reuse = match setup.opts.tls_reuse_optional {
        true => "NO",
        false => "YES",
    };
    let implicit = match setup.opts.implicit_tls {
        true => "YES",
        false => "NO",
    };
    Ok(format!(
        "ssl_enable=YES\nimplicit_ssl={implicit}\nallow_anon_ssl=YES\nforce_local_data_ssl=NO\nforce_local_logins_ssl=NO\n\
         ssl_ciphers=HIGH\nrequire_ssl_reuse={reuse}\nrsa_cert_file={}\nrsa_private_key_file={}\n",
        pem.cert.display(),
        pem.key.display()
    ))
}

const FIXED: &str = "\
background=NO
seccomp_sandbox=NO
port_enable=YES
connect_from_port_20=NO
anonymous_enable=YES
no_anon_password=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
write_enable=YES
local_enable=YES
pam_service_name=vsftpd
ascii_download_enable=YES
ascii_upload_enable=YES
xferlog_enable=YES
log_ftp_protocol=YES
";
