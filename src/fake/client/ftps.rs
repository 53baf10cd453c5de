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
        })
    }

    /// Starts TLS on the control connection at once (implicit FTPS): data
    /// connections are protected from the start.
    pub fn implicit_tls(&mut self) -> Result<(), Stop> {
        let tls = self.ftps().tls.clone();
        self.ftps().protect = true;
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
    pub fn protect(&self, conn: &mut Conn) {
        if let Some(f) = self.ftps.as_ref().filter(|f| f.protect) {
            conn.start_tls(&f.tls);
        }
    }

    /// The same for the connection an active-mode listener will accept.
    pub fn protect_accept(&self, pending: &mut PendingAccept) {
        if let Some(f) = self.ftps.as_ref().filter(|f| f.protect) {
            pending.protect(f.tls.clone());
        }
    }
}
