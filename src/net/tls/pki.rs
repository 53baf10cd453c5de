//! The test CA and the certificates the fake peers and the real peers
//! use, made once per process at run time (no key is ever committed): a
//! CA, a server certificate for `localhost`, 127.0.0.1 and ::1 signed by
//! it, one for another name, and a self-signed one nobody trusts.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// One certificate with its key.
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Identity {
    /// The chain and key rustls takes.
    pub fn rustls(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = PrivatePkcs8KeyDer::from(self.key_der.clone());
        (vec![self.cert_der.clone()], key.into())
    }
}

/// Which server certificate a fake server shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Signed by the test CA, for localhost, 127.0.0.1 and ::1.
    Good,
    /// Signed by the test CA, for `wrong.invalid` only.
    OtherName,
    /// Self-signed for localhost: no trusted CA vouches for it.
    Untrusted,
}

/// The test CA and its certificates.
pub struct Pki {
    pub ca_pem: String,
    ca_der: CertificateDer<'static>,
    good: Identity,
    other_name: Identity,
    untrusted: Identity,
}

/// The names the good server certificate is for: loopback, and the
/// addresses a server is reached at inside the harness's own topologies
/// (src/topology: its private address, and the public ones of the
/// documentation ranges), so that FTPS runs through NAT too.
pub const NAMES: [&str; 7] = [
    "localhost",
    "127.0.0.1",
    "::1",
    "10.0.2.2",
    "198.51.100.1",
    "203.0.113.2",
    "2001:db8:2::2",
];

impl Pki {
    /// The process's test PKI (made on first use, in a few milliseconds).
    pub fn get() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(|| Pki::generate().expect("generating the test CA"))
    }

    fn generate() -> Result<Pki, rcgen::Error> {
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "ftpconform test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
        let leaf = |names: &[&str], issuer: Option<&CertifiedIssuer<'_, KeyPair>>| {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let mut params = CertificateParams::new(names.clone())?;
            params
                .distinguished_name
                .push(DnType::CommonName, &names[0]);
            let key = KeyPair::generate()?;
            let cert = match issuer {
                Some(ca) => params.signed_by(&key, ca)?,
                None => params.self_signed(&key)?,
            };
            Ok::<_, rcgen::Error>(Identity {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
                cert_der: cert.der().clone(),
                key_der: key.serialize_der(),
            })
        };
        Ok(Pki {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            good: leaf(&NAMES, Some(&ca))?,
            other_name: leaf(&["wrong.invalid"], Some(&ca))?,
            untrusted: leaf(&NAMES, None)?,
        })
    }

    pub fn identity(&self, which: Which) -> &Identity {
        match which {
            Which::Good => &self.good,
            Which::OtherName => &self.other_name,
            Which::Untrusted => &self.untrusted,
        }
    }

    /// The trust anchors of a client that trusts the test CA only.
    pub fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.ca_der.clone())
            .expect("the test CA is a valid trust anchor");
        roots
    }

    /// Writes `ca.pem`, `cert.pem`, `key.pem` (the good identity) and
    /// `both.pem` (certificate then key, for servers that take one file)
    /// into `dir`, for a real peer.
    pub fn write(&self, dir: &Path) -> std::io::Result<PemFiles> {
        let files = PemFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
            both: dir.join("both.pem"),
        };
        std::fs::write(&files.ca, &self.ca_pem)?;
        std::fs::write(&files.cert, &self.good.cert_pem)?;
        std::fs::write(&files.key, &self.good.key_pem)?;
        let both = format!("{}{}", self.good.cert_pem, self.good.key_pem);
        std::fs::write(&files.both, both)?;
        Ok(files)
    }
}

/// Where [`Pki::write`] put the files.
#[derive(Debug, Clone)]
pub struct PemFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub both: PathBuf,
}
