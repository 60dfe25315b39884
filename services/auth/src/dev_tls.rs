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
