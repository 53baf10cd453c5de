//! proftpd 1.3.8 (unpacked into .peers/): anonymous login, standalone, -n.

use std::fmt::Write as _;
use std::process::Command;

use super::{find_binary, peers_dir, write_config, Profile, Setup};
use crate::real::servers::error::StartError;

pub(crate) const PROFILE: Profile = Profile {
    name: "proftpd",
    user: "anonymous",
    pass: "ftpconform@",
    command,
    // One process per session (fork): sessions are independent.
    sessions: 16,
    tls: false,
};

fn command(setup: &Setup) -> Result<Command, StartError> {
    let local = peers_dir().join("root/usr/sbin/proftpd");
    let binary = find_binary("proftpd", "proftpd", &[local])?;
    // proftpd refuses a relative -c path.
    let conf = setup.dir.join("proftpd.conf");
    write_config(&conf, &config(setup))?;
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
