//! TLS through rustls with the ring provider, as everything in the project: the
//! certificate authorities a client trusts ([`roots`]: a CA file, or the system's), an
//! HTTP client ([`http_client`]), a server's configuration from PEM files
//! ([`server_config`], optionally requiring client certificates), a listener whose
//! connections are TLS ([`TlsListener`]: the web page's and gRPC's), a gRPC client's
//! TLS ([`grpc_client_tls`]) and what a failed handshake says ([`CertificateFailure`]).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A server's TLS settings, as [`server_config`] makes them.
pub use rustls::ServerConfig;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's rustls provider, for the clients that use the process
/// default (reqwest builds one even for plain HTTP). Idempotent.
pub fn install_crypto_provider() {
    // An error means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The certificate authorities of a PEM file, or the system's without one.
pub fn roots(ca_file: Option<&Path>) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in certificates(path)? {
                roots
                    .add(cert)
                    .with_context(|| format!("{} holds an unusable certificate", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                bail!("no system certificate authorities found: give a CA file");
            }
        }
    }
    Ok(roots)
}

/// A client's TLS (no client certificate): servers verified against `ca_file` (or
/// the system's authorities).
pub fn client_config(ca_file: Option<&Path>) -> anyhow::Result<rustls::ClientConfig> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?
        .with_root_certificates(roots(ca_file)?)
        .with_no_client_auth())
}

/// An HTTP client for the issuer: TLS checked against `ca_file` (or the system's
/// authorities), 10 s per request.
pub fn http_client(ca_file: Option<&Path>) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(ca_file)?)
        .timeout(Duration::from_secs(10))
        .build()
        .context("Failed to build the HTTP client")
}

/// The certificates of a PEM file (at least one).
pub fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("Failed to read the certificate file {}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not PEM", path.display()))?;
    if certs.is_empty() {
        bail!("{} holds no certificate", path.display());
    }
    Ok(certs)
}

/// The private key of a PEM file.
pub fn private_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("Failed to read the key file {}", path.display()))?;
    PrivateKeyDer::from_pem_slice(&pem)
        .with_context(|| format!("{} holds no PEM private key", path.display()))
}

/// A server's TLS: its certificate chain and key (PEM files) and, with `client_ca`,
/// client certificates required and checked against that authority (mutual TLS).
/// `alpn` are the protocols offered (`h2` for gRPC; `h2`, `http/1.1` for the web).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
    alpn: &[&[u8]],
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS set-up")?;
    let builder = match client_ca {
        Some(ca) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(Some(ca))?), provider())
                    .build()
                    .context("client certificate verifier")?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certificates(cert)?, private_key(key)?)
        .with_context(|| {
            format!(
                "{} and {} are not a certificate and its key",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// The protocols a gRPC server offers (HTTP/2 only).
pub const GRPC_ALPN: &[&[u8]] = &[b"h2"];

/// The protocols the web page offers (axum serves HTTP/1.1 here).
pub const WEB_ALPN: &[&[u8]] = &[b"http/1.1"];

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many handshakes at once; past it, new connections wait in the
/// kernel's backlog until one finishes, so that a flood of connections that never
/// finish their handshake costs bounded memory.
const MAX_HANDSHAKES: usize = 256;

type Handshake = std::pin::Pin<
    Box<dyn Future<Output = Option<(TlsStream<TcpStream>, std::net::SocketAddr)>> + Send>,
>;

/// A TCP listener whose connections are TLS: what axum serves a router on over HTTPS,
/// and (as [`TlsListener::incoming`]) what tonic serves gRPC on. Handshakes run side
/// by side, at most [`MAX_HANDSHAKES`] at once, each bounded by [`HANDSHAKE_TIMEOUT`],
/// so a client that connects and says nothing holds up no one; a failed handshake (a
/// plaintext client, an untrusted or missing client certificate) is dropped (logged at
/// debug).
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: FuturesUnordered<Handshake>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        Self {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: FuturesUnordered::new(),
        }
    }

    /// The next connection whose handshake succeeded.
    pub async fn next(&mut self) -> (TlsStream<TcpStream>, std::net::SocketAddr) {
        loop {
            let room = self.handshakes.len() < MAX_HANDSHAKES;
            tokio::select! {
                accepted = self.tcp.accept(), if room => match accepted {
                    Ok((stream, addr)) => self.start_handshake(stream, addr),
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(done) = self.handshakes.next(), if !self.handshakes.is_empty() => {
                    if let Some(connection) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn start_handshake(&mut self, stream: TcpStream, addr: std::net::SocketAddr) {
        // Small gRPC frames go out at once rather than waiting for the peer's ACK.
        let _ = stream.set_nodelay(true);
        let handshake = self.acceptor.accept(stream).into_fallible();
        self.handshakes.push(Box::pin(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
                Ok(Ok(tls)) => Some((tls, addr)),
                Ok(Err((e, stream))) => {
                    tracing::debug!(%addr, error = %e, "TLS handshake failed");
                    linger(stream).await;
                    None
                }
                Err(_) => {
                    tracing::debug!(%addr, "TLS handshake timed out");
                    None
                }
            }
        }));
    }

    /// The connections as a stream, for tonic's `serve_with_incoming`.
    pub fn incoming(
        self,
    ) -> impl futures::Stream<Item = std::io::Result<TlsStream<TcpStream>>> + Send + 'static {
        futures::stream::unfold(self, |mut listener| async move {
            let (connection, _) = listener.next().await;
            Some((Ok(connection), listener))
        })
    }
}

/// How long a failed handshake's connection is kept open for the alert to arrive.
const LINGER: Duration = Duration::from_secs(1);

/// After a failed handshake the alert rustls wrote (an untrusted or missing client
/// certificate, say) is on its way; a TLS 1.3 client has already sent its first
/// request. Closing at once with that request unread would reset the connection, and
/// the reset can overtake the alert: the client would see "connection closed", not
/// why. So: close our side, and read (discarding) what the client sent until it
/// closes too, for at most [`LINGER`].
async fn linger(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 1024];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        self.next().await
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A gRPC client's TLS: servers verified against `ca_file` (or the system's
/// authorities), and with `identity` (certificate and key PEM files) a client
/// certificate for mutual TLS.
pub fn grpc_client_tls(
    ca_file: Option<&Path>,
    identity: Option<(&Path, &Path)>,
) -> anyhow::Result<tonic::transport::ClientTlsConfig> {
    let mut tls = tonic::transport::ClientTlsConfig::new().trust_anchors(roots(ca_file)?.roots);
    if let Some((cert, key)) = identity {
        let read = |path: &Path| {
            std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))
        };
        // Read here so that a wrong path is named now, not at the first call.
        certificates(cert)?;
        private_key(key)?;
        tls = tls.identity(tonic::transport::Identity::from_pem(
            read(cert)?,
            read(key)?,
        ));
    }
    Ok(tls)
}

/// Why a TLS connection failed, when it was the certificates: in `err`'s chain of
/// causes, a rustls error that says the server's certificate is not trusted, or that
/// the server refused the client's (or its absence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateFailure {
    /// The server's certificate did not verify (unknown authority, wrong name,
    /// expired...): the cause as rustls says it.
    ServerNotTrusted(String),
    /// The server refused the client's certificate, or wanted one and got none.
    ClientRefused(String),
}

impl CertificateFailure {
    pub fn of(err: &(dyn std::error::Error + 'static)) -> Option<Self> {
        use rustls::AlertDescription as Alert;
        // What a server sends when it refuses the client's certificate (or its absence).
        const REFUSALS: [Alert; 8] = [
            Alert::CertificateRequired,
            Alert::BadCertificate,
            Alert::UnknownCA,
            Alert::CertificateUnknown,
            Alert::CertificateExpired,
            Alert::CertificateRevoked,
            Alert::UnsupportedCertificate,
            Alert::AccessDenied,
        ];
        let mut cause = Some(err);
        while let Some(e) = cause {
            let rustls_error = e.downcast_ref::<rustls::Error>().or_else(|| {
                e.downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            });
            match rustls_error {
                Some(rustls::Error::InvalidCertificate(why)) => {
                    return Some(Self::ServerNotTrusted(format!("{why:?}")));
                }
                Some(alert @ rustls::Error::AlertReceived(description))
                    if REFUSALS.contains(description) =>
                {
                    return Some(Self::ClientRefused(alert.to_string()));
                }
                _ => {}
            }
            // After the handshake, tokio-rustls hands a received alert on as text.
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                let text = io.to_string();
                let refusal = REFUSALS
                    .iter()
                    .map(|a| rustls::Error::AlertReceived(*a).to_string())
                    .find(|said| *said == text);
                if let Some(said) = refusal {
                    return Some(Self::ClientRefused(said));
                }
            }
            cause = e.source();
        }
        None
    }
}
