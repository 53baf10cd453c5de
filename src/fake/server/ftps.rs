//! Explicit FTPS in the fake server (RFC 4217), for a case that asks for
//! it (`tls: true`): `AUTH TLS` is answered 234 and TLS starts on the
//! control connection with the fake server as TLS server, showing the
//! case's certificate; `PBSZ 0` and `PROT P` / `PROT C` set whether data
//! connections are protected; `CCC` ends TLS on the control connection.
//! On a protected data connection the fake server is the TLS server
//! whichever side connected (RFC 4217 7: the FTP client is the TLS
//! client), with the control connection's configuration, so a client may
//! resume the control connection's session (TLS 1.2 session ids, TLS 1.3
//! tickets); whether it did is recorded with the handshake.

use super::session::{Flow, ServerSession};
use super::transfer::Mods;
use crate::net::{Conn, NetError};
use crate::wire::reply::emit_line;

/// FEAT lines the fake server adds when it offers FTPS (RFC 4217).
pub const FEATURES: &[&str] = &[" AUTH TLS", " PBSZ", " PROT"];

impl ServerSession {
    /// Answers AUTH, PBSZ, PROT and CCC of a session that offers FTPS.
    pub async fn ftps_command(&mut self, verb: &str, arg: &str) -> Result<Flow, NetError> {
        let arg = arg.trim().to_ascii_uppercase();
        let Some(f) = self.ftps.as_mut() else {
            return self.send(&emit_line(502, "Command not implemented")).await;
        };
        let control = f.control;
        let (code, text) = match verb {
            "AUTH" if control => (503, "TLS already runs on the control connection"),
            "AUTH" if matches!(arg.as_str(), "TLS" | "TLS-C" | "SSL") => {
                return self.auth().await;
            }
            "AUTH" => (504, "Unknown security mechanism"),
            _ if !control => (503, "Send AUTH TLS first"),
            "PBSZ" => {
                f.pbsz = true;
                (200, "PBSZ=0")
            }
            "PROT" => match arg.as_str() {
                "P" => {
                    f.protect = true;
                    (200, "Protection level set to Private")
                }
                "C" => {
                    f.protect = false;
                    (200, "Protection level set to Clear")
                }
                "S" | "E" => (536, "Requested PROT level not supported by mechanism"),
                _ => (504, "Unknown protection level"),
            },
            _ => return self.ccc().await,
        };
        self.send(&emit_line(code, text)).await
    }

    /// 234, then the TLS handshake on the control connection (driven by
    /// the next read of a command).
    async fn auth(&mut self) -> Result<Flow, NetError> {
        self.send(&emit_line(234, "AUTH TLS successful")).await?;
        if let Some(f) = self.ftps.as_mut() {
            f.control = true;
            self.ctl.start_tls(&f.tls);
        }
        Ok(Flow::Continue)
    }

    /// 200, then both close_notify alerts and plaintext on the control
    /// connection (RFC 4217 5).
    async fn ccc(&mut self) -> Result<Flow, NetError> {
        self.send(&emit_line(200, "Control connection cleared"))
            .await?;
        self.ctl.clear_tls(self.wait).await?;
        if let Some(f) = self.ftps.as_mut() {
            f.control = false;
        }
        Ok(Flow::Continue)
    }

    /// Starts TLS on a data connection when PROT P is in force (unless the
    /// rule asked for plaintext): its first read or write runs the
    /// handshake, the fake server as TLS server.
    pub fn protect(&self, conn: &mut Conn, mods: &Mods) {
        let f = self.ftps.as_ref().filter(|f| f.protect);
        if let Some(f) = f.filter(|_| !mods.plaintext) {
            conn.start_tls(&f.tls);
        }
    }
}
