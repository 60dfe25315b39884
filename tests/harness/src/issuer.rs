//! A token issuer for tests: an OpenID discovery document and a JWKS served over HTTPS
//! on 127.0.0.1 (a certificate of a throwaway authority, whose certificate is in
//! [`TestIssuer::ca_file`]), with Ed25519 keys that can be rotated while services run,
//! and tokens minted for any identity (`member:ngo-01/m-001`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::Json;
use axum::extract::State;
use axum::routing::get;
use saman_auth::dev::{DevKey, Identity};
use saman_runtime::tls::{TlsListener, server_config};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::TestTls;

/// The keys the issuer publishes; the last one signs.
struct Keys {
    published: Vec<DevKey>,
}

/// A running test issuer; stops when dropped.
pub struct TestIssuer {
    url: String,
    dir: tempfile::TempDir,
    tls: TestTls,
    keys: Arc<RwLock<Keys>>,
    serving: JoinHandle<()>,
    rotations: u32,
}

type Shared = (String, Arc<RwLock<Keys>>);

async fn discovery(State((url, _)): State<Shared>) -> Json<Value> {
    Json(json!({
        "issuer": url,
        "jwks_uri": format!("{url}/jwks.json"),
        "id_token_signing_alg_values_supported": ["EdDSA"],
    }))
}

async fn jwks(State((_, keys)): State<Shared>) -> Json<Value> {
    let keys = keys.read().expect("issuer keys");
    let published: Vec<&DevKey> = keys.published.iter().collect();
    Json(serde_json::to_value(DevKey::jwks(&published)).expect("a JWKS is JSON"))
}

impl TestIssuer {
    /// Starts an issuer on a free port of 127.0.0.1 with one key.
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("temp dir for the issuer")?;
        let tls = TestTls::generate("Saman test issuer CA")?;
        let config = server_config(&tls.server_cert(), &tls.server_key(), None, &[b"http/1.1"])?;
        let tcp = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the issuer's port")?;
        let addr: SocketAddr = tcp.local_addr()?;
        let url = format!("https://127.0.0.1:{}", addr.port());
        let keys = Arc::new(RwLock::new(Keys {
            published: vec![DevKey::generate("test-key-0")?],
        }));
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .with_state((url.clone(), keys.clone()));
        let serving = tokio::spawn(async move {
            if let Err(e) = axum::serve(TlsListener::new(tcp, config), app).await {
                eprintln!("test issuer stopped: {e}");
            }
        });
        let issuer = Self {
            url,
            dir,
            tls,
            keys,
            serving,
            rotations: 0,
        };
        issuer.write_jwks()?;
        Ok(issuer)
    }

    /// The issuer's URL (`iss`), `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The PEM file of the authority that signed the issuer's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.tls.ca_file()
    }

    /// The published keys as a JWKS file (kept up to date with [`Self::rotate`]), for
    /// services given `--auth-jwks-file`.
    pub fn jwks_file(&self) -> PathBuf {
        self.dir.path().join("jwks.json")
    }

    /// The current signing key as a PKCS#8 PEM file (for `saman --dev-key`), named
    /// after its key id (as `saman` reads the id from the file's name).
    pub fn signing_key_file(&self) -> PathBuf {
        let keys = self.keys.read().expect("issuer keys");
        let kid = &keys.published.last().expect("the issuer holds a key").kid;
        self.dir.path().join(format!("{kid}.pem"))
    }

    /// Writes the JWKS and signing key files from the keys held.
    fn write_jwks(&self) -> anyhow::Result<()> {
        let keys = self.keys.read().expect("issuer keys");
        let published: Vec<&DevKey> = keys.published.iter().collect();
        let text = serde_json::to_string(&DevKey::jwks(&published))?;
        std::fs::write(self.jwks_file(), text).context("writing the JWKS file")?;
        let current = keys.published.last().expect("the issuer holds a key");
        let path = self.dir.path().join(format!("{}.pem", current.kid));
        std::fs::write(path, current.pem()).context("writing the key file")
    }

    /// Publishes a new key and signs with it from now on; the old ones stay published
    /// (as a provider does during a rotation) unless `retire_old`.
    pub fn rotate(&mut self, retire_old: bool) -> anyhow::Result<String> {
        self.rotations += 1;
        let kid = format!("test-key-{}", self.rotations);
        {
            let mut keys = self.keys.write().expect("issuer keys");
            if retire_old {
                keys.published.clear();
            }
            keys.published.push(DevKey::generate(&kid)?);
        }
        self.write_jwks()?;
        Ok(kid)
    }

    /// A token for `identity` (e.g. `member:ngo-01/m-001`), valid for ten minutes.
    pub fn token(&self, identity: &str) -> String {
        let identity: Identity = identity
            .parse()
            .unwrap_or_else(|e| panic!("identity {identity}: {e}"));
        self.sign(&identity.claims(
            &self.url,
            Duration::from_secs(600),
            &saman_auth::ClaimNames::default(),
        ))
    }

    /// A token with exactly these claims, signed with the current key.
    pub fn sign(&self, claims: &Value) -> String {
        let keys = self.keys.read().expect("issuer keys");
        let key = keys.published.last().expect("the issuer holds a key");
        key.sign(claims).expect("signing a test token")
    }

    /// `Bearer <token of identity>`, the value of an `authorization` header.
    pub fn bearer(&self, identity: &str) -> String {
        format!("Bearer {}", self.token(identity))
    }

    /// The authentication settings of a service that trusts this issuer.
    pub fn auth_args(&self) -> saman_auth::AuthArgs {
        auth_args_of(self.service_args())
    }

    /// The flags that make a service trust this issuer (keys by discovery over HTTPS).
    pub fn service_args(&self) -> Vec<String> {
        vec![
            "--auth-issuer".into(),
            self.url.clone(),
            "--auth-ca-file".into(),
            path_arg(&self.ca_file()),
            "--auth-key-refresh".into(),
            "0s".into(),
        ]
    }
}

/// The authentication settings that a service given `flags` has.
pub(crate) fn auth_args_of(flags: Vec<String>) -> saman_auth::AuthArgs {
    use clap::Parser as _;
    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        auth: saman_auth::AuthArgs,
    }
    let mut argv = vec!["service".to_owned()];
    argv.extend(flags);
    Flags::parse_from(argv).auth
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.serving.abort();
    }
}
