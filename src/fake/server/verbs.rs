//! Default answers of the fake server, verb by verb: login, housekeeping,
//! file operations, data-connection negotiation and transfers.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};

use super::session::{Flow, ServerSession};
use super::transfer::{self, Mods, Pending};
use super::vfs;
use crate::net::NetError;
use crate::script::{Body, BodyReader};
use crate::timeline::PeerEvent;
use crate::wire::addr::{self, AddrError, PasvShape};
use crate::wire::command::Command;
use crate::wire::line::LineEnd;
use crate::wire::reply::{self, emit_line, MultilineStyle};

/// FEAT lines (RFC 2389): what the fake server offers.
const FEATURES: &[&str] = &[
    "Features:",
    " EPSV",
    " EPRT",
    " SIZE",
    " MDTM",
    " PASV",
    " REST STREAM",
    " UTF8",
    "End",
];

impl ServerSession {
    /// The default answer to a command.
    pub async fn default_reply(&mut self, cmd: &Command) -> Result<Flow, NetError> {
        let arg = cmd.arg.clone().unwrap_or_default();
        match cmd.verb.as_str() {
            "QUIT" => {
                self.send(&emit_line(221, "Goodbye")).await?;
                self.ctl.shutdown().await;
                Ok(Flow::End)
            }
            "FEAT" => {
                let ftps = match self.ftps.is_some() {
                    true => super::ftps::FEATURES,
                    false => &[],
                };
                let (end, features) = FEATURES.split_last().expect("FEAT ends with End");
                let lines: Vec<String> = features
                    .iter()
                    .chain(ftps)
                    .chain([end])
                    .map(|s| s.to_string())
                    .collect();
                let feat = reply::emit(211, &lines, MultilineStyle::Uncoded, LineEnd::CrLf);
                self.send(&feat).await
            }
            "PASV" => self.pasv(None, PasvShape::TrailingPeriod).await,
            "EPSV" => self.epsv(&arg).await,
            "PORT" => self.port(&arg).await,
            "EPRT" => self.eprt(&arg).await,
            "AUTH" | "PBSZ" | "PROT" | "CCC" if self.ftps.is_some() => {
                self.ftps_command(&cmd.verb, &arg).await
            }
            v if super::session::TRANSFER_VERBS.contains(&v) => self.transfer(cmd).await,
            _ => {
                let reply = self.housekeeping(&cmd.verb, &arg);
                self.send(&reply).await
            }
        }
    }

    /// Replies that need no data connection.
    fn housekeeping(&mut self, verb: &str, arg: &str) -> Vec<u8> {
        match verb {
            "USER" => emit_line(331, "Password required"),
            "PASS" => emit_line(230, "Logged in"),
            "ACCT" => emit_line(202, "No account needed"),
            "SYST" => emit_line(215, "UNIX Type: L8"),
            "PWD" | "XPWD" => emit_line(
                257,
                &format!("\"{}\" is the current directory", self.vfs.cwd()),
            ),
            "CWD" | "XCWD" => self.cwd(arg),
            "CDUP" | "XCUP" => self.cwd(".."),
            "TYPE" | "MODE" | "STRU" | "OPTS" | "NOOP" | "CLNT" => emit_line(200, "OK"),
            "ALLO" => emit_line(202, "No storage allocation needed"),
            "SIZE" => self.size(arg),
            "MDTM" => self.mdtm(arg),
            "REST" => self.restart(arg),
            "MKD" | "XMKD" => self.mkd(arg),
            "RMD" | "XRMD" => ok_or_550(self.vfs.remove_dir(arg), 250, "Directory removed"),
            "DELE" => ok_or_550(self.vfs.remove_file(arg), 250, "File deleted"),
            "RNFR" => self.rnfr(arg),
            "RNTO" => self.rnto(arg),
            "ABOR" => emit_line(225, "No transfer to abort"),
            "HELP" => emit_line(214, "Help OK"),
            "STAT" => emit_line(211, "ftpconform fake server"),
            _ => emit_line(502, "Command not implemented"),
        }
    }

    fn cwd(&mut self, arg: &str) -> Vec<u8> {
        ok_or_550(self.vfs.cd(arg), 250, "Directory changed")
    }

    fn size(&self, arg: &str) -> Vec<u8> {
        match self.vfs.get(arg) {
            Some(c) => emit_line(213, &c.len().to_string()),
            None => emit_line(550, "No such file"),
        }
    }

    fn mdtm(&self, arg: &str) -> Vec<u8> {
        match self.vfs.get(arg) {
            Some(_) => emit_line(213, "20260101000000"),
            None => emit_line(550, "No such file"),
        }
    }

    fn restart(&mut self, arg: &str) -> Vec<u8> {
        match arg.trim().parse::<u64>() {
            Ok(n) => {
                self.rest = n;
                emit_line(350, "Restart position accepted")
            }
            Err(_) => emit_line(501, "Bad restart position"),
        }
    }

    fn mkd(&mut self, arg: &str) -> Vec<u8> {
        match self.vfs.mkdir(arg) {
            true => emit_line(257, &format!("\"/{}\" created", self.vfs.resolve(arg))),
            false => emit_line(550, "Cannot create directory"),
        }
    }

    fn rnfr(&mut self, arg: &str) -> Vec<u8> {
        if self.vfs.get(arg).is_none() {
            return emit_line(550, "No such file");
        }
        self.rename_from = Some(arg.to_string());
        emit_line(350, "Ready for RNTO")
    }

    fn rnto(&mut self, arg: &str) -> Vec<u8> {
        let Some(from) = self.rename_from.take() else {
            return emit_line(503, "RNFR first");
        };
        let content = self.vfs.get(&from).cloned().unwrap_or(Body::bytes(""));
        self.vfs.remove_file(&from);
        self.vfs.put(arg, content, None);
        emit_line(250, "Renamed")
    }

    /// Answers PASV with a 227 naming `address` (default: the control
    /// address) and listens on the control address. A foreign IPv4 loopback
    /// address also gets a trap listener on the same port.
    pub async fn pasv(
        &mut self,
        address: Option<IpAddr>,
        shape: PasvShape,
    ) -> Result<Flow, NetError> {
        let local = self.ctl.local_addr().ip();
        if local.is_ipv6() {
            return self
                .send(&emit_line(500, "PASV is IPv4 only; use EPSV"))
                .await;
        }
        let port = match self.listen(local).await {
            Some(p) => p,
            None => {
                return self
                    .send(&emit_line(425, "Cannot open passive connection"))
                    .await
            }
        };
        // Inside a topology that tells servers their public address, the
        // fake server announces it too.
        let named = address.or_else(crate::topology::announced).unwrap_or(local);
        let IpAddr::V4(v4) = named else {
            return self
                .send(&emit_line(500, "PASV cannot name an IPv6 address"))
                .await;
        };
        if named != local && named.is_loopback() {
            self.set_trap(SocketAddr::new(named, port)).await;
        }
        self.send(&emit_line(
            227,
            &addr::encode_pasv_reply(SocketAddrV4::new(v4, port), shape),
        ))
        .await
    }

    async fn listen(&mut self, ip: IpAddr) -> Option<u16> {
        let listener = transfer::passive_listener(ip, &self.timeline).await.ok()?;
        let port = listener.local_addr().port();
        self.pending = Pending::Passive(listener);
        Some(port)
    }

    async fn set_trap(&mut self, at: SocketAddr) {
        match transfer::trap(at, &self.timeline, self.wait).await {
            Ok(trap) => self.traps.push(trap),
            Err(_) => self.notes.push(format!(
                "could not listen on {at} to catch a trusting client"
            )),
        }
    }

    async fn epsv(&mut self, arg: &str) -> Result<Flow, NetError> {
        let arg = arg.trim();
        if arg.eq_ignore_ascii_case("ALL") {
            return self.send(&emit_line(200, "EPSV ALL accepted")).await;
        }
        let local = self.ctl.local_addr();
        let family = if local.is_ipv4() { "1" } else { "2" };
        if !arg.is_empty() && arg != family {
            return self
                .send(&emit_line(
                    522,
                    &format!("Network protocol not supported, use ({family})"),
                ))
                .await;
        }
        match self.listen(local.ip()).await {
            Some(port) => {
                self.send(&emit_line(229, &addr::encode_epsv_reply(port)))
                    .await
            }
            None => {
                self.send(&emit_line(425, "Cannot open passive connection"))
                    .await
            }
        }
    }

    async fn port(&mut self, arg: &str) -> Result<Flow, NetError> {
        match addr::parse_port(arg.trim()) {
            Ok(a) => self.active_target(SocketAddr::V4(a)).await,
            Err(e) => {
                self.send(&emit_line(501, &format!("Bad PORT argument: {e}")))
                    .await
            }
        }
    }

    async fn eprt(&mut self, arg: &str) -> Result<Flow, NetError> {
        match addr::parse_eprt(arg.trim()) {
            Ok(a) => self.active_target(a).await,
            Err(AddrError::UnknownFamily(_)) => {
                self.send(&emit_line(522, "Network protocol not supported, use (1,2)"))
                    .await
            }
            Err(e) => {
                self.send(&emit_line(501, &format!("Bad EPRT argument: {e}")))
                    .await
            }
        }
    }

    /// Accepts an active target only when it is the client's control
    /// address (loopback, or a verified topology's) and an unprivileged
    /// port; anything else is refused and never connected to, so that no
    /// client can aim the fake server at a third party (RFC 2577 section 3).
    async fn active_target(&mut self, target: SocketAddr) -> Result<Flow, NetError> {
        let client = self.ctl.peer_addr().ip();
        // Inside a topology namespace the harness built, the client's
        // control address is one of the topology's (src/topology).
        let reachable = target.ip().is_loopback() || crate::topology::inside_verified();
        let refusal = if target.ip() != client || !reachable {
            Some((501, "Address must be the client's control address"))
        } else if target.port() < 1024 {
            // RFC 2577 section 3: "If a server receives a PORT command
            // containing a TCP port number less than 1024, the suggested
            // response is 504".
            Some((504, "Port below 1024 refused"))
        } else {
            None
        };
        if let Some((code, text)) = refusal {
            self.notes.push(format!(
                "refused active address {target} (client control address {client})"
            ));
            return self.send(&emit_line(code, text)).await;
        }
        self.pending = Pending::Active(target);
        self.send(&emit_line(200, "Command OK")).await
    }

    /// Runs a transfer command with the pending data connection and the
    /// modifiers the rule set.
    pub async fn transfer(&mut self, cmd: &Command) -> Result<Flow, NetError> {
        let mods = std::mem::take(&mut self.mods);
        let rest = std::mem::take(&mut self.rest);
        let arg = cmd.arg.clone().unwrap_or_default();
        let outgoing = match self.outgoing(&cmd.verb, &arg, rest) {
            Ok(o) => o,
            Err(reply) => return self.send(&reply).await,
        };
        let pending = std::mem::take(&mut self.pending);
        if matches!(pending, Pending::None) {
            return self.send(&emit_line(425, "Use PORT or PASV first")).await;
        }
        if mods.no_data {
            return self.without_data(&mods).await;
        }
        if !mods.late_preliminary {
            self.send(&preliminary(&mods, &cmd.verb)).await?;
        }
        let outcome = self
            .move_data(pending, outgoing, &cmd.verb, &arg, &mods)
            .await;
        if mods.late_preliminary {
            self.send(&preliminary(&mods, &cmd.verb)).await?;
        }
        let last = match outcome {
            Ok(()) => mods
                .last
                .clone()
                .unwrap_or_else(|| emit_line(226, "Transfer complete")),
            Err(e) => {
                self.notes.push(e.clone());
                mods.last
                    .clone()
                    .unwrap_or_else(|| emit_line(425, &format!("Data connection failed: {e}")))
            }
        };
        self.send(&last).await
    }

    /// What a download verb sends, from offset `rest` (`None` for
    /// uploads); an error reply when there is nothing to send.
    fn outgoing(&self, verb: &str, arg: &str, rest: u64) -> Result<Option<BodyReader>, Vec<u8>> {
        let path = strip_options(arg);
        let entries = || {
            self.vfs
                .entries(path)
                .ok_or_else(|| emit_line(450, "No such file or directory"))
        };
        let body = match verb {
            "RETR" => match self.vfs.get(path) {
                Some(body) => body.clone(),
                None => return Err(emit_line(550, "No such file")),
            },
            "LIST" => Body::bytes(vfs::ls_long(&entries()?)),
            "NLST" => Body::bytes(vfs::names(&entries()?)),
            "MLSD" => Body::bytes(vfs::mlsd(&entries()?)),
            _ => return Ok(None),
        };
        let from = if verb == "RETR" { rest } else { 0 };
        match body.reader(from) {
            Ok(reader) => Ok(Some(reader)),
            Err(e) => Err(emit_line(451, &format!("Cannot read the file: {e}"))),
        }
    }

    /// NoDataConnection: the preliminary reply, a wait, then 425 (or the
    /// rule's last reply); the negotiated connection is dropped unused.
    async fn without_data(&mut self, mods: &Mods) -> Result<Flow, NetError> {
        self.send(&preliminary(mods, "")).await?;
        tokio::time::sleep(self.wait).await;
        let last = mods
            .last
            .clone()
            .unwrap_or_else(|| emit_line(425, "Cannot open data connection"));
        self.send(&last).await
    }

    async fn move_data(
        &mut self,
        pending: Pending,
        outgoing: Option<BodyReader>,
        verb: &str,
        arg: &str,
        mods: &Mods,
    ) -> Result<(), String> {
        let local = self.ctl.local_addr().ip();
        let local = match mods.from_foreign {
            true => crate::script::foreign_ip(local),
            false => local,
        };
        let mut conn = transfer::open(pending, local, &self.timeline, self.wait).await?;
        self.protect(&mut conn, mods);
        if let Some(reader) = outgoing {
            let limit = mods.close_after.unwrap_or(u64::MAX);
            let truncate = mods.no_close_notify;
            return transfer::send_and_close(conn, reader, limit, self.wait, truncate)
                .await
                .map_err(|e| e.to_string());
        }
        let id = conn.id();
        let prefix = match verb {
            "APPE" => self.vfs.get(arg).cloned(),
            _ => None,
        };
        let stored = transfer::receive(conn, mods.close_after, self.wait, prefix.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        let digest = stored.received;
        self.timeline.peer(PeerEvent::Received { conn: id, digest });
        let path = if verb == "STOU" { "stou.1" } else { arg };
        self.vfs.put(path, stored.body, stored.spill);
        Ok(())
    }
}

/// 150 (or 125, or the rule's 1xx reply).
fn preliminary(mods: &Mods, verb: &str) -> Vec<u8> {
    if let Some(p) = &mods.preliminary {
        return p.clone();
    }
    match mods.use125 {
        true => emit_line(125, "Data connection already open; transfer starting"),
        false => emit_line(
            150,
            &format!("Opening BINARY mode data connection for {verb}"),
        ),
    }
}

fn ok_or_550(ok: bool, code: u16, text: &str) -> Vec<u8> {
    match ok {
        true => emit_line(code, text),
        false => emit_line(550, "Requested action not taken"),
    }
}

/// Drops `ls` options such as `-la` from a LIST argument.
fn strip_options(arg: &str) -> &str {
    let mut rest = arg.trim();
    while rest.starts_with('-') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r).trim_start();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_options_are_dropped_from_the_path() {
        assert_eq!(strip_options("-la"), "");
        assert_eq!(strip_options("-l -a pub/dir"), "pub/dir");
        assert_eq!(strip_options(" dir"), "dir");
    }

    #[test]
    fn preliminary_reply_follows_the_modifiers() {
        let mut mods = Mods::default();
        assert!(preliminary(&mods, "RETR").starts_with(b"150 "));
        mods.use125 = true;
        assert!(preliminary(&mods, "RETR").starts_with(b"125 "));
        mods.preliminary = Some(b"150-a\r\n150 b\r\n".to_vec());
        assert_eq!(preliminary(&mods, "RETR"), b"150-a\r\n150 b\r\n".to_vec());
    }
}
