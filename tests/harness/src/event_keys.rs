//! An event signing key for tests, as intake holds one: the private key (PKCS#8 PEM)
//! for `--event-signing-key`, the JWKS of its public half for `--event-keys`, and the
//! signature headers of a payload, for tests that publish on the stream as intake would.

use std::path::PathBuf;

use anyhow::Context as _;
use saman_contract::EventSigner;

/// A fresh signing key and its files; the files go when it is dropped.
pub struct TestEventKeys {
    signer: EventSigner,
    dir: tempfile::TempDir,
}

impl TestEventKeys {
    /// A new random key, written to a directory of its own.
    pub fn generate() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("temp dir for the event keys")?;
        let keys = Self {
            signer: EventSigner::generate(),
            dir,
        };
        std::fs::write(keys.signing_key_file(), keys.signer.to_pem())
            .context("writing the event signing key")?;
        let jwks = serde_json::to_string_pretty(&keys.signer.public().to_jwks())?;
        std::fs::write(keys.jwks_file(), jwks).context("writing the event keys")?;
        Ok(keys)
    }

    pub fn signer(&self) -> &EventSigner {
        &self.signer
    }

    /// The private key, for intake's `--event-signing-key`.
    pub fn signing_key_file(&self) -> PathBuf {
        self.dir.path().join("event-signing-key.pem")
    }

    /// The JWKS of the public key, for the projection's `--event-keys`.
    pub fn jwks_file(&self) -> PathBuf {
        self.dir.path().join("event-keys.json")
    }

    /// The flags of an intake binary that signs with this key.
    pub fn intake_args(&self) -> Vec<String> {
        vec![
            "--event-signing-key".into(),
            self.signing_key_file().display().to_string(),
        ]
    }

    /// The flags of a projection binary that trusts this key.
    pub fn projection_args(&self) -> Vec<String> {
        vec![
            "--event-keys".into(),
            self.jwks_file().display().to_string(),
        ]
    }

    /// The headers that sign `payload` with this key: (name, value).
    pub fn signature_headers(&self, payload: &[u8]) -> [(&'static str, String); 2] {
        self.signer.sign(payload)
    }
}
