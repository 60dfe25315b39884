//! Throwaway TLS for tests: a certificate authority of its own, a server certificate for
//! `127.0.0.1` and `localhost`, and a client certificate (mutual TLS), as PEM files in a
//! temporary directory. Every test that runs a service over TLS gets one; a test of a
//! wrong authority makes a second.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use saman_auth::dev_tls::{files, write_dev_certs};

/// The common name of [`TestTls::client_cert`].
pub const TEST_CLIENT_NAME: &str = "saman-test-client";

/// A test authority and the certificates it signed; the files go with it when dropped.
pub struct TestTls {
    dir: tempfile::TempDir,
}

impl TestTls {
    /// A new authority named `name`, with a server and a client certificate.
    pub fn generate(name: &str) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("saman-test-tls-")
            .tempdir()
            .context("temp dir for test certificates")?;
        write_dev_certs(dir.path(), name, TEST_CLIENT_NAME)?;
        Ok(Self { dir })
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The authority's certificate (what a client trusts).
    pub fn ca_file(&self) -> PathBuf {
        self.path(files::CA)
    }

    /// The server certificate (for `127.0.0.1` and `localhost`) and its key.
    pub fn server_cert(&self) -> PathBuf {
        self.path(files::SERVER_CERT)
    }

    pub fn server_key(&self) -> PathBuf {
        self.path(files::SERVER_KEY)
    }

    /// A client certificate (common name [`TEST_CLIENT_NAME`]) and its key.
    pub fn client_cert(&self) -> PathBuf {
        self.path(files::CLIENT_CERT)
    }

    pub fn client_key(&self) -> PathBuf {
        self.path(files::CLIENT_KEY)
    }
}
