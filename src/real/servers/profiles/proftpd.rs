//! proftpd 1.3.8 (unpacked into .peers/): anonymous login, standalone, -n;
//! explicit FTPS through mod_tls.

use std::fmt::Write as _;
use std::process::Command;

use super::{find_binary, peers_dir, tls_files, write_config, Profile, Setup};
use crate::real::servers::error::StartError;

pub(crate) const PROFILE: Profile = Profile {
    name: "proftpd",
    user: "anonymous",
    pass: "ftpconform@",
    command,
    // One process per session (fork): sessions are independent.
    sessions: 16,
    slow_cases: &[],
    tls: true,
    // TLSOptions UseImplicitSSL (`ProfileOptions::implicit_tls`).
    implicit_tls: true,
};

fn command(setup: &Setup) -> Result<Command, StartError> {
    let local = peers_dir().join("root/usr/sbin/proftpd");
    let binary = find_binary("proftpd", "proftpd", &[local])?;
    // proftpd refuses a relative -c path.
    let conf = setup.dir.join("proftpd.conf");
    let mut text = config(setup);
    text.push_str(&tls(setup)?);
    write_config(&conf, &text)?;
    let mut cmd = Command::new(binary);
    cmd.arg("-n").arg("-c").arg(conf);
    Ok(cmd)
}

fn config(setup: &Setup) -> String {
    let dir = setup.dir.display();
    let (lo, hi) = setup.passive;
    let mut c = String::from(FIXED);
    let _ = writeln!(c, "Port {}", setup.addr.port());
    let _ = writeln!(c, "DefaultAddress {}", setup.addr.ip());
    let _ = writeln!(
        c,
        "UseIPv6 {}",
        if setup.addr.is_ipv6() { "on" } else { "off" }
    );
    let _ = writeln!(c, "PassivePorts {lo} {hi}");
    if let Some(nat) = setup.opts.pasv_address {
        let _ = writeln!(c, "MasqueradeAddress {nat}");
    }
    let _ = writeln!(c, "PidFile {dir}/proftpd.pid");
    let _ = writeln!(c, "ScoreboardFile {dir}/proftpd.scoreboard");
    let _ = writeln!(c, "DelayTable {dir}/proftpd.delay");
    let _ = writeln!(c, "SystemLog {}", setup.log.display());
    let _ = writeln!(c, "TransferLog {dir}/xfer.log");
    let _ = writeln!(c, "<Anonymous {}>", setup.root.display());
    c.push_str(ANONYMOUS);
    c
}

/// Explicit FTPS with the test CA's certificate (mod_tls, unpacked from
/// proftpd-mod-crypto beside the server), offered and not required.
/// mod_tls's default stays: a data connection must resume the control
/// connection's TLS session, as with vsftpd's `require_ssl_reuse=YES`.
/// With `implicit_tls`, `TLSOptions UseImplicitSSL`: TLS from the first
/// byte of every control connection.
fn tls(setup: &Setup) -> Result<String, StartError> {
    let pem = tls_files(setup)?;
    let modules = peers_dir().join("root/usr/lib/proftpd");
    let mut c = String::new();
    let _ = writeln!(c, "ModulePath {}", modules.display());
    c.push_str("LoadModule mod_tls.c\n<IfModule mod_tls.c>\n");
    c.push_str("  TLSEngine on\n  TLSRequired off\n  TLSProtocol TLSv1.2 TLSv1.3\n");
    let _ = writeln!(c, "  TLSRSACertificateFile {}", pem.cert.display());
    let _ = writeln!(c, "  TLSRSACertificateKeyFile {}", pem.key.display());
    let _ = writeln!(c, "  TLSLog {}/tls.log", setup.dir.display());
    if setup.opts.implicit_tls {
        c.push_str("  TLSOptions UseImplicitSSL\n");
    }
    c.push_str("</IfModule>\n");
    Ok(c)
}

const FIXED: &str = "\
ServerName \"ftpconform proftpd\"
ServerType standalone
SocketBindTight on
User nobody
Group nogroup
AllowForeignAddress off
UseReverseDNS off
WtmpLog off
RequireValidShell off
AuthPAM off
AuthOrder mod_auth_unix.c
";

/// `AllowStoreRestart on`: proftpd's default refuses APPE and REST before
/// STOR (`451 Append/Restart not permitted`); the APPE cases need it.
const ANONYMOUS: &str = "\
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  AllowOverwrite on
  AllowStoreRestart on
  <Limit WRITE>
    AllowAll
  </Limit>
</Anonymous>
";
