//! Throwaway TLS for development and tests: a certificate authority made on the spot,
//! and server or client certificates it signs (`scripts/dev` keeps them under
//! `.saman/tls/`). A deployment uses certificates of its own authority instead.

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct CertPem {
    pub cert: String,
    pub key: String,
}

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A server, named by DNS names or IP addresses.
    Server,
    /// A client (mutual TLS), named by its common name.
    Client,
}

/// A development certificate authority.
pub struct DevCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    key_pem: String,
}

impl DevCa {
    /// A new authority named `name`.
    pub fn generate(name: &str) -> anyhow::Result<Self> {
        let key = KeyPair::generate().context("CA key")?;
        let key_pem = key.serialize_pem();
        let mut params = CertificateParams::new(Vec::<String>::new()).context("CA params")?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, key).context("CA certificate")?;
        Ok(Self { issuer, key_pem })
    }

    /// The authority's certificate and key.
    pub fn pem(&self) -> CertPem {
        CertPem {
            cert: self.issuer.pem(),
            key: self.key_pem.clone(),
        }
    }

    /// A certificate for `names` (DNS names or IP addresses; the first is also the
    /// common name) signed by this authority.
    pub fn issue(&self, names: &[&str], usage: Usage) -> anyhow::Result<CertPem> {
        let key = KeyPair::generate().context("key")?;
        let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(sans).context("certificate params")?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![match usage {
            Usage::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Usage::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }];
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("certificate")?;
        Ok(CertPem {
            cert: cert.pem(),
            key: key.serialize_pem(),
        })
    }
}

/// The files [`write_dev_certs`] writes in its directory.
pub mod files {
    /// The authority's certificate: what clients trust (`--ca-file`).
    pub const CA: &str = "ca.pem";
    /// The server certificate (for `127.0.0.1` and `localhost`) and its key
    /// (`--tls-cert`, `--tls-key`).
    pub const SERVER_CERT: &str = "server.pem";
    pub const SERVER_KEY: &str = "server-key.pem";
    /// A client certificate and its key, for services that require one
    /// (`--client-cert`, `--client-key`).
    pub const CLIENT_CERT: &str = "client.pem";
    pub const CLIENT_KEY: &str = "client-key.pem";
}

/// Makes a new authority named `ca_name`, a server certificate for `127.0.0.1` and
/// `localhost` and a client certificate named `client_name`, and writes them in `dir`
/// (created if missing) as [`files`] names them; the keys readable by their owner
/// only. The authority's own key is not kept: nothing more can be signed with it.
pub fn write_dev_certs(
    dir: &std::path::Path,
    ca_name: &str,
    client_name: &str,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let ca = DevCa::generate(ca_name)?;
    let server = ca.issue(&["127.0.0.1", "localhost"], Usage::Server)?;
    let client = ca.issue(&[client_name], Usage::Client)?;
    for (file, text, private) in [
        (files::CA, ca.pem().cert, false),
        (files::SERVER_CERT, server.cert, false),
        (files::SERVER_KEY, server.key, true),
        (files::CLIENT_CERT, client.cert, false),
        (files::CLIENT_KEY, client.key, true),
    ] {
        let path = dir.join(file);
        write(&path, &text, private).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Writes `text` to `path` (replacing it), readable by its owner only if `private`.
fn write(path: &std::path::Path, text: &str, private: bool) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)?.write_all(text.as_bytes())
}
