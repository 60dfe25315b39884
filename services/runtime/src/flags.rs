//! Flags both services take the same way, as clap groups each service's `Config`
//! flattens in: one definition of their name, environment variable and default.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;

/// Where the NATS servers are and how to reach them: over TLS (always, unless
/// `--nats-insecure-plaintext`) and with one kind of credentials. Intake, the projection
/// and `saman events` take the same flags; [`crate::nats::connect`] uses them.
#[derive(Debug, Clone, Default, Args)]
pub struct NatsFlags {
    /// NATS server(s), comma-separated (`nats://` or `tls://`; TLS is required either
    /// way unless --nats-insecure-plaintext).
    #[arg(
        id = "nats_url",
        long = "nats-url",
        env = "SAMAN_NATS_URL",
        default_value = "nats://127.0.0.1:4222",
        value_name = "NATS_URL"
    )]
    pub url: String,

    /// PEM file of the authority that signed the NATS server's certificate; without it,
    /// the system's trusted authorities.
    #[arg(
        id = "nats_ca",
        long = "nats-ca",
        env = "SAMAN_NATS_CA",
        value_name = "FILE"
    )]
    pub ca: Option<PathBuf>,

    /// Client certificate (PEM) for NATS servers that verify clients (mutual TLS); with
    /// --nats-client-key.
    #[arg(
        id = "nats_client_cert",
        long = "nats-client-cert",
        env = "SAMAN_NATS_CLIENT_CERT",
        value_name = "FILE",
        requires = "nats_client_key"
    )]
    pub client_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM).
    #[arg(
        id = "nats_client_key",
        long = "nats-client-key",
        env = "SAMAN_NATS_CLIENT_KEY",
        value_name = "FILE",
        requires = "nats_client_cert"
    )]
    pub client_key: Option<PathBuf>,

    /// NATS user name; its password from SAMAN_NATS_PASSWORD or --nats-password-file.
    #[arg(
        id = "nats_user",
        long = "nats-user",
        env = "SAMAN_NATS_USER",
        value_name = "USER",
        conflicts_with_all = ["nats_nkey_file", "nats_creds_file"]
    )]
    pub user: Option<String>,

    /// The NATS user's password. Prefer the environment variable or
    /// --nats-password-file: a flag's value shows in the process list.
    #[arg(
        id = "nats_password",
        long = "nats-password",
        env = "SAMAN_NATS_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD",
        requires = "nats_user",
        conflicts_with = "nats_password_file"
    )]
    pub password: Option<String>,

    /// File holding the NATS user's password (one line).
    #[arg(
        id = "nats_password_file",
        long = "nats-password-file",
        env = "SAMAN_NATS_PASSWORD_FILE",
        value_name = "FILE",
        requires = "nats_user"
    )]
    pub password_file: Option<PathBuf>,

    /// File holding an NKey seed (`SU...`) to authenticate with.
    #[arg(
        id = "nats_nkey_file",
        long = "nats-nkey-file",
        env = "SAMAN_NATS_NKEY_FILE",
        value_name = "FILE",
        conflicts_with = "nats_creds_file"
    )]
    pub nkey_file: Option<PathBuf>,

    /// A `.creds` file (user JWT and NKey seed, as `nsc` writes it).
    #[arg(
        id = "nats_creds_file",
        long = "nats-creds-file",
        env = "SAMAN_NATS_CREDS_FILE",
        value_name = "FILE"
    )]
    pub creds_file: Option<PathBuf>,

    /// Connect to NATS without TLS: the events, and any password, cross the network in
    /// clear. For a laptop's throwaway server only; a warning is logged.
    #[arg(
        id = "nats_insecure_plaintext",
        long = "nats-insecure-plaintext",
        env = "SAMAN_NATS_INSECURE_PLAINTEXT"
    )]
    pub insecure_plaintext: bool,
}

/// The file a security setting names, or `None` when its insecure opt-out was chosen by
/// name (`insecure`; `warning` is logged); neither is an error, `missing`, which should
/// name both ways out. How intake's signing key and the projection's event keys are read.
pub fn file_unless_insecure<'a>(
    file: Option<&'a Path>,
    insecure: bool,
    warning: &str,
    missing: &str,
) -> anyhow::Result<Option<&'a Path>> {
    if insecure {
        tracing::warn!("{warning}");
        return Ok(None);
    }
    match file {
        Some(file) => Ok(Some(file)),
        None => bail!("{missing}"),
    }
}

impl NatsFlags {
    /// The servers to try in turn ([`crate::nats_servers`]).
    pub fn servers(&self) -> Vec<String> {
        crate::nats_servers(&self.url)
    }
}

/// How a service's gRPC (and the projection's web page) is served: TLS from a
/// certificate and its key, optionally requiring client certificates (mutual TLS, for
/// service accounts); plaintext only when asked for by name. With neither the files
/// nor `--insecure-plaintext` the service refuses to start.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsFlags {
    /// The server's certificate chain (PEM): gRPC (and the web page) over TLS.
    #[arg(
        id = "tls_cert",
        long = "tls-cert",
        env = "SAMAN_TLS_CERT",
        value_name = "PEM",
        requires = "tls_key"
    )]
    pub cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(
        id = "tls_key",
        long = "tls-key",
        env = "SAMAN_TLS_KEY",
        value_name = "PEM",
        requires = "tls_cert"
    )]
    pub key: Option<PathBuf>,

    /// Require of every client a certificate signed by this authority (PEM): mutual
    /// TLS. Without it, any client may connect (tokens still say who may do what).
    #[arg(
        id = "tls_client_ca",
        long = "tls-client-ca",
        env = "SAMAN_TLS_CLIENT_CA",
        value_name = "PEM",
        requires = "tls_cert"
    )]
    pub client_ca: Option<PathBuf>,

    /// Serve without encryption: anyone on the network path can read the calls and
    /// their tokens, and change them. For a service behind a proxy that ends TLS, or
    /// for experiments; a warning is logged at start.
    #[arg(
        id = "insecure_plaintext",
        long = "insecure-plaintext",
        env = "SAMAN_INSECURE_PLAINTEXT",
        conflicts_with_all = ["tls_cert", "tls_key", "tls_client_ca"]
    )]
    pub insecure_plaintext: bool,
}

impl TlsFlags {
    /// TLS with the given files (what tests and embedding set).
    pub fn with_files(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Self {
        Self {
            cert: Some(cert.to_owned()),
            key: Some(key.to_owned()),
            client_ca: client_ca.map(Path::to_owned),
            insecure_plaintext: false,
        }
    }

    /// Plaintext, as `--insecure-plaintext`.
    pub fn plaintext() -> Self {
        Self {
            insecure_plaintext: true,
            ..Self::default()
        }
    }

    /// Whether neither TLS nor plaintext is chosen yet.
    pub fn is_unset(&self) -> bool {
        self.cert.is_none() && !self.insecure_plaintext
    }

    /// The TLS that `what` ("gRPC", "the web page") is served with, offering `alpn`
    /// ([`crate::tls::GRPC_ALPN`], [`crate::tls::WEB_ALPN`]); `None` with
    /// `--insecure-plaintext`, after a warning. Unusable files, or no choice at all,
    /// are an error naming the flags.
    pub fn server_config(
        &self,
        what: &str,
        alpn: &[&[u8]],
    ) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                let config = crate::tls::server_config(cert, key, self.client_ca.as_deref(), alpn)
                    .with_context(|| format!("TLS for {what} (--tls-cert, --tls-key)"))?;
                tracing::info!(
                    %what,
                    client_certificates = if self.client_ca.is_some() { "required" } else { "not asked" },
                    "serving over TLS"
                );
                Ok(Some(config))
            }
            _ if self.insecure_plaintext => {
                tracing::warn!(
                    "{what} is served in plaintext (--insecure-plaintext): calls and their tokens can be read and changed on the network"
                );
                Ok(None)
            }
            _ => bail!(
                "no TLS certificate for {what}: give --tls-cert and --tls-key \
                 (SAMAN_TLS_CERT, SAMAN_TLS_KEY), or --insecure-plaintext \
                 (SAMAN_INSECURE_PLAINTEXT) to serve without encryption"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        nats: NatsFlags,
    }

    fn parse(args: &[&str]) -> Result<NatsFlags, clap::Error> {
        Cmd::try_parse_from(std::iter::once("cmd").chain(args.iter().copied())).map(|c| c.nats)
    }

    #[test]
    fn the_flags_are_well_formed() {
        Cmd::command().debug_assert();
    }

    #[test]
    fn one_kind_of_credentials_at_a_time() {
        let flags = parse(&["--nats-user", "intake", "--nats-password-file", "/p"]).unwrap();
        assert_eq!(flags.user.as_deref(), Some("intake"));
        assert!(!flags.insecure_plaintext, "TLS unless asked otherwise");
        for refused in [
            &["--nats-user", "a", "--nats-nkey-file", "/seed"][..],
            &["--nats-nkey-file", "/seed", "--nats-creds-file", "/c"],
            &["--nats-password-file", "/p"],
            &["--nats-client-cert", "/c.pem"],
        ] {
            assert!(parse(refused).is_err(), "{refused:?}");
        }
    }
}
