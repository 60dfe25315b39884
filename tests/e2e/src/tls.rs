//! TLS for every test: one throwaway authority per test process ([`tls`]), whose
//! server certificate every service started by the toolkit serves with (in-process:
//! [`tls_flags`]; binaries: [`tls_args`]), and which the toolkit's gRPC channels
//! ([`grpc_client_tls`]), its GETs of the web page and its `saman` runs trust.

use std::net::SocketAddr;
use std::sync::OnceLock;

use saman_harness::TestTls;
use saman_runtime::flags::TlsFlags;

/// The test process's authority and certificates.
pub fn tls() -> &'static TestTls {
    static TLS: OnceLock<TestTls> = OnceLock::new();
    TLS.get_or_init(|| TestTls::generate("Saman test CA").expect("test certificates"))
}

/// The TLS flags of a service serving [`tls`]'s server certificate.
pub fn tls_flags() -> TlsFlags {
    let tls = tls();
    TlsFlags::with_files(&tls.server_cert(), &tls.server_key(), None)
}

/// [`tls_flags`] as a binary's command-line flags.
pub fn tls_args() -> Vec<String> {
    let tls = tls();
    vec![
        "--tls-cert".into(),
        tls.server_cert().display().to_string(),
        "--tls-key".into(),
        tls.server_key().display().to_string(),
    ]
}

/// A gRPC client's TLS trusting [`tls`]'s authority, with its client certificate
/// when `with_client_cert`.
pub fn grpc_client_tls(with_client_cert: bool) -> tonic::transport::ClientTlsConfig {
    let tls = tls();
    let (cert, key) = (tls.client_cert(), tls.client_key());
    let identity = with_client_cert.then_some((cert.as_path(), key.as_path()));
    saman_runtime::tls::grpc_client_tls(Some(&tls.ca_file()), identity)
        .expect("the test authority's client TLS")
}

/// A gRPC channel to `https://{addr}` trusting the test authority, its calls sent as
/// they are (no token added).
pub async fn tls_channel(addr: SocketAddr) -> anyhow::Result<tonic::transport::Channel> {
    Ok(
        tonic::transport::Channel::from_shared(format!("https://{addr}"))?
            .tls_config(grpc_client_tls(false))?
            .connect()
            .await?,
    )
}
