//! FTPS in the fake client (RFC 4217): it acts on the replies to its own
//! commands as a TLS-capable client does. A 234 to `AUTH TLS` (or
//! `AUTH SSL`) starts TLS on the control connection, the fake client
//! playing the TLS client; a 2xx to `PROT P` protects the data connections
//! that follow (the fake client is their TLS client whoever connects,
//! RFC 4217 7), `PROT C` clears them; a 2xx to `CCC` ends TLS on the
//! control connection. All data connections of a case share the control
//! connection's TLS configuration, so they offer to resume its session.

use std::time::Duration;

use super::session::{FakeClient, Ftps, Stop};
use crate::net::tls::{ClientTls, Tls, Trust};
use crate::net::{Conn, PendingAccept};
use crate::timeline::PeerEvent;
use crate::wire::reply::Reply;

impl FakeClient<'_> {
    /// The case's TLS configuration (made on first use), trusting the test
    /// CA and naming the server by the address it is reached at.
    fn ftps(&mut self) -> &mut Ftps {
        let name = self.target.addr.ip().to_string();
        let tl = self.tl.clone();
        self.ftps.get_or_insert_with(|| Ftps {
            tls: Tls::Client(ClientTls::new(&tl, &name, Trust::TestCa)),
            protect: false,
            fresh_next: false,
        })
    }

    /// Starts TLS on the control connection at once (implicit FTPS). Data
    /// connections still follow PROT, clear until a PROT P is accepted:
    /// RFC 2228 3 makes Clear the default protection level, and vsftpd's
    /// implicit mode sends clear data before PROT P (the practice of
    /// clients such as curl is to send PBSZ and PROT P in
    /// implicit mode too; Microsoft's MS-FTPS instead takes PROT P as
    /// implied).
    pub fn implicit_tls(&mut self) -> Result<(), Stop> {
        let tls = self.ftps().tls.clone();
        self.ctrl()?.start_tls(&tls);
        Ok(())
    }

    /// What the reply to `line` changes for TLS.
    pub async fn after_reply(
        &mut self,
        line: &str,
        reply: &Reply,
        t: Duration,
    ) -> Result<(), Stop> {
        let verb = line.trim().to_ascii_uppercase();
        let ok = reply.code / 100 == 2;
        match verb.as_str() {
            "AUTH TLS" | "AUTH SSL" | "AUTH TLS-C" if reply.code == 234 => {
                let tls = self.ftps().tls.clone();
                self.ctrl()?.start_tls(&tls);
            }
            "PROT P" | "PROT S" | "PROT E" if ok => self.ftps().protect = true,
            "PROT C" if ok => self.ftps().protect = false,
            "CCC" if ok => {
                if let Err(e) = self.ctrl()?.clear_tls(t).await {
                    self.record(PeerEvent::NotSent {
                        reason: format!("CCC: {e}"),
                    });
                    return Err(Stop::Halt);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Starts TLS on a data connection when PROT P is in force; its first
    /// read or write (after the transfer command) runs the handshake.
    pub fn protect(&mut self, conn: &mut Conn) {
        if let Some(tls) = self.data_tls() {
            conn.start_tls(&tls);
        }
    }

    /// The same for the connection an active-mode listener will accept.
    pub fn protect_accept(&mut self, pending: &mut PendingAccept) {
        if let Some(tls) = self.data_tls() {
            pending.protect(tls);
        }
    }

    /// Asks for a fresh TLS session on the next protected data connection
    /// (`tls-session: fresh`).
    pub fn fresh_tls_session(&mut self) {
        self.ftps().fresh_next = true;
    }

    /// The TLS of the next data connection, if PROT P is in force: the
    /// case's configuration (offering to resume the control connection's
    /// session), or once after `fresh_tls_session` a configuration of its
    /// own, which has no session to offer.
    fn data_tls(&mut self) -> Option<Tls> {
        let name = self.target.addr.ip().to_string();
        let tl = self.tl.clone();
        let f = self.ftps.as_mut().filter(|f| f.protect)?;
        if std::mem::take(&mut f.fresh_next) {
            return Some(Tls::Client(ClientTls::new(&tl, &name, Trust::TestCa)));
        }
        Some(f.tls.clone())
    }
}
