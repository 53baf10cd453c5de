//! TLS under the one connection layer (FTPS, RFC 4217): the crypto
//! provider (chosen here, and only here: ring, the one libunftp builds
//! too), the fake client's and the fake server's configurations, the
//! handshake a [`Conn`](super::Conn) runs, and the key log that goes into
//! the case's timeline (and from there into the capture).

pub mod pki;
mod tap;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, CommonState, DigitallySignedStruct, HandshakeKind, ServerConfig};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::{Sides, Stream};
use crate::timeline::{ConnId, Timeline, TlsEvent};
pub use pki::{PemFiles, Pki, Which};
use tap::Tap;

#[cfg(test)]
mod tests;

/// The one crypto provider of the harness.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS side a connection plays, with its configuration.
#[derive(Clone)]
pub enum Tls {
    Client(ClientTls),
    Server(ServerTls),
}

/// The fake client's TLS: one configuration per case, so that its data
/// connections can resume the control connection's session (rustls keeps
/// the sessions of a configuration in memory, by server name).
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

/// How the fake client treats the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The test CA, and the certificate must be for the name.
    TestCa,
    /// Anything (a suite that does not test the certificate).
    Any,
}

impl ClientTls {
    /// A configuration for a case recorded in `tl`, naming the server
    /// `name` (a DNS name or an IP address).
    pub fn new(tl: &Timeline, name: &str, trust: Trust) -> ClientTls {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions");
        let builder = match trust {
            Trust::TestCa => builder.with_root_certificates(Pki::get().roots()),
            Trust::Any => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCert(provider()))),
        };
        let mut config = builder.with_no_client_auth();
        config.key_log = Arc::new(KeyLog(tl.clone()));
        let name = ServerName::try_from(name.to_string())
            .unwrap_or_else(|_| ServerName::try_from("localhost").expect("a valid name"));
        ClientTls {
            config: Arc::new(config),
            name,
        }
    }
}

/// A client configuration that takes any certificate and logs no keys:
/// for the readiness probes of implicit FTPS servers only, never a case.
pub fn probe_config() -> Arc<ClientConfig> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider())))
        .with_no_client_auth();
    Arc::new(config)
}

/// The bytes of a TLS ClientHello to `ip` (from [`probe_config`]): what
/// makes an implicit FTPS server answer at all.
pub fn client_hello(ip: std::net::IpAddr) -> Vec<u8> {
    let mut conn = rustls::ClientConnection::new(probe_config(), ServerName::from(ip))
        .expect("a client connection to an IP address");
    let mut out = Vec::new();
    while conn.wants_write() {
        if conn.write_tls(&mut out).is_err() {
            break;
        }
    }
    out
}

/// The fake server's TLS: the certificate it shows, and whether it keeps
/// sessions for resumption.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
}

impl ServerTls {
    /// A configuration showing `which` certificate; `resume`: keep sessions
    /// (TLS 1.2 ids, TLS 1.3 tickets) so that clients can resume them.
    pub fn new(tl: &Timeline, which: Which, resume: bool) -> ServerTls {
        let (chain, key) = Pki::get().identity(which).rustls();
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the test certificate and key match");
        config.key_log = Arc::new(KeyLog(tl.clone()));
        if !resume {
            config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        ServerTls {
            config: Arc::new(config),
        }
    }
}

/// Records the key log lines of a case's handshakes in its timeline.
struct KeyLog(Timeline);

impl std::fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLog")
    }
}

impl rustls::KeyLog for KeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}", hex(client_random), hex(secret));
        self.0.tls(TlsEvent::Secret { line });
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Accepts any server certificate (its signatures are still checked).
#[derive(Debug)]
struct AnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algs = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS streams of both sides: the same body over their own types.
macro_rules! tls_stream {
    ($t:ty) => {
        impl Stream for $t {
            fn tcp(&self) -> &TcpStream {
                &self.get_ref().0.tcp
            }
            fn into_tcp(self: Box<Self>) -> TcpStream {
                self.into_inner().0.tcp
            }
            fn tls(&self) -> Option<&CommonState> {
                Some(self.get_ref().1)
            }
            fn close_notify(&mut self) {
                self.get_mut().1.send_close_notify();
            }
        }
    };
}

tls_stream!(tokio_rustls::client::TlsStream<Tap>);
tls_stream!(tokio_rustls::server::TlsStream<Tap>);

/// A handshake in progress: kept by its connection, so that a read or
/// write that gives up (a `select!` that took another branch) resumes it.
pub type Handshake = Pin<Box<dyn Future<Output = io::Result<Box<dyn Stream>>> + Send>>;

/// Starts the handshake of `tls` over `tcp` (connection `conn`).
pub fn handshake(
    tls: &Tls,
    tcp: TcpStream,
    tl: &Timeline,
    conn: ConnId,
    sides: Sides,
) -> Handshake {
    let tap = Tap::new(tcp, tl, conn, sides);
    match tls {
        Tls::Client(c) => {
            let connect = TlsConnector::from(c.config.clone()).connect(c.name.clone(), tap);
            Box::pin(async move { Ok(Box::new(connect.await?) as Box<dyn Stream>) })
        }
        Tls::Server(s) => {
            let accept = TlsAcceptor::from(s.config.clone()).accept(tap);
            Box::pin(async move { Ok(Box::new(accept.await?) as Box<dyn Stream>) })
        }
    }
}

/// What the handshake of `conn` agreed on, for the timeline.
pub fn established(conn: ConnId, client: crate::timeline::Side, s: &CommonState) -> TlsEvent {
    TlsEvent::Established {
        conn,
        client,
        version: s
            .protocol_version()
            .map_or("?".into(), |v| format!("{v:?}")),
        cipher: s
            .negotiated_cipher_suite()
            .map_or("?".into(), |c| format!("{:?}", c.suite())),
        resumed: s.handshake_kind() == Some(HandshakeKind::Resumed),
    }
}
