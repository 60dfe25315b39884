//! The one way Saman connects to NATS (intake, the projection and `saman events`): TLS
//! unless plaintext is asked for by name, and the credentials [`NatsFlags`] carry.
//!
//! The caller brings what differs between its clients (name, retries, pings) as
//! [`async_nats::ConnectOptions`]; [`connect`] adds the transport security and the
//! credentials, and turns a failure into a message that says which setting to look at.

use std::path::{Path, PathBuf};

use async_nats::{ConnectErrorKind, ConnectOptions, Event};

use crate::flags::NatsFlags;

/// What went wrong setting up or making a NATS connection.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// A file named by a flag could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A user name without a password.
    #[error("--nats-user {user} has no password: set SAMAN_NATS_PASSWORD or --nats-password-file")]
    NoPassword { user: String },
    /// The connection failed; `hint` names the setting to check.
    #[error("cannot connect to NATS at {url}: {message}{hint}")]
    Connect {
        url: String,
        message: String,
        hint: &'static str,
        kind: ConnectErrorKind,
    },
}

impl NatsError {
    /// The kind of connection failure, for callers that tell them apart.
    pub fn connect_kind(&self) -> Option<ConnectErrorKind> {
        match self {
            NatsError::Connect { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

const TLS_HINT: &str = " (TLS: is --nats-ca / SAMAN_NATS_CA the authority that signed the \
     server's certificate, and does the certificate name the host in --nats-url?)";
const IO_HINT: &str = " (is the server up? If it is, and it says TLS handshake error in its \
     log: is --nats-ca / SAMAN_NATS_CA the authority that signed its certificate?)";
const AUTH_HINT: &str = " (credentials: check --nats-user and its password, --nats-nkey-file \
     or --nats-creds-file against the server's users)";

/// `base` with TLS (or, with `--nats-insecure-plaintext`, a warning instead) and the
/// credentials of `flags`; connection problems are logged as warnings that name the
/// setting to check (a client that retries in the background reports nothing else).
pub async fn options(flags: &NatsFlags, base: ConnectOptions) -> Result<ConnectOptions, NatsError> {
    let mut options = base;
    if flags.insecure_plaintext {
        tracing::warn!(
            url = %flags.url,
            "NATS without TLS (--nats-insecure-plaintext): events and credentials cross the \
             network in clear"
        );
    } else {
        options = options.require_tls(true);
        if let Some(ca) = &flags.ca {
            readable("the NATS CA file", ca)?;
            options = options.add_root_certificates(ca.clone());
        }
        if let (Some(cert), Some(key)) = (&flags.client_cert, &flags.client_key) {
            readable("the NATS client certificate", cert)?;
            readable("the NATS client key", key)?;
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
    }
    options = credentials(flags, options).await?;
    let url = flags.url.clone();
    Ok(options.event_callback(move |event| {
        let url = url.clone();
        async move { log_event(&url, &event) }
    }))
}

/// Connects to the servers of `flags` with [`options`]. With `retry_on_initial_connect`
/// in `base` this returns at once and the client connects in the background.
pub async fn connect(
    flags: &NatsFlags,
    base: ConnectOptions,
) -> Result<async_nats::Client, NatsError> {
    let options = options(flags, base).await?;
    options
        .connect(flags.servers())
        .await
        .map_err(|e| connect_error(&flags.url, &e))
}

/// A service's client: named `name`, connecting (and reconnecting) in the background, so
/// that the service starts and serves what it can while NATS is unreachable.
pub async fn connect_service(flags: &NatsFlags, name: &str) -> anyhow::Result<async_nats::Client> {
    let base = ConnectOptions::new().name(name).retry_on_initial_connect();
    anyhow::Context::with_context(connect(flags, base).await, || {
        format!("Failed to set up the NATS client for {}", flags.url)
    })
}

/// A connection failure as [`NatsError::Connect`], with the whole chain of causes. A
/// failed TLS handshake (a certificate from another authority, a wrong name) is a TLS
/// error, although async-nats reports the handshake's failure as an IO error.
pub fn connect_error(url: &str, err: &async_nats::ConnectError) -> NatsError {
    let tls = err.kind() == ConnectErrorKind::Tls || handshake_failed(err);
    let kind = if tls {
        ConnectErrorKind::Tls
    } else {
        err.kind()
    };
    let mut message = kind.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    NatsError::Connect {
        url: url.to_owned(),
        message,
        hint: hint(kind),
        kind,
    }
}

/// Whether a rustls error is among the causes (tokio-rustls wraps it in an IO error).
fn handshake_failed(err: &async_nats::ConnectError) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let io_inner = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref());
        if cause.is::<rustls::Error>() || io_inner.is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        source = cause.source();
    }
    false
}

fn hint(kind: ConnectErrorKind) -> &'static str {
    match kind {
        ConnectErrorKind::Tls => TLS_HINT,
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => AUTH_HINT,
        _ => "",
    }
}

async fn credentials(
    flags: &NatsFlags,
    options: ConnectOptions,
) -> Result<ConnectOptions, NatsError> {
    if let Some(user) = &flags.user {
        let password = match (&flags.password, &flags.password_file) {
            (Some(password), _) => password.clone(),
            (None, Some(file)) => first_line(read("the NATS password file", file)?),
            (None, None) => return Err(NatsError::NoPassword { user: user.clone() }),
        };
        return Ok(options.user_and_password(user.clone(), password));
    }
    if let Some(file) = &flags.nkey_file {
        let seed = first_line(read("the NATS NKey seed file", file)?);
        return Ok(options.nkey(seed));
    }
    if let Some(file) = &flags.creds_file {
        return options
            .credentials_file(file)
            .await
            .map_err(|source| NatsError::File {
                what: "the NATS credentials file",
                path: file.clone(),
                source,
            });
    }
    Ok(options)
}

fn log_event(url: &str, event: &Event) {
    match event {
        Event::ClientError(err) => {
            let text = err.to_string();
            let hint = if text.contains("TLS") || text.contains("IO error") {
                // A failed TLS handshake is reported as an IO error too.
                IO_HINT
            } else if text.contains("authorization") || text.contains("signing") {
                AUTH_HINT
            } else {
                ""
            };
            tracing::warn!(%url, "NATS connection failed: {text}{hint}");
        }
        Event::ServerError(err) => tracing::warn!(%url, "NATS server error: {err}"),
        Event::Connected => tracing::debug!(%url, "NATS connected"),
        other => tracing::info!(%url, "NATS {other}"),
    }
}

fn read(what: &'static str, path: &Path) -> Result<String, NatsError> {
    std::fs::read_to_string(path).map_err(file_error(what, path))
}

/// Checked here so that a wrong path is named at start, not as a TLS error later.
fn readable(what: &'static str, path: &Path) -> Result<(), NatsError> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(file_error(what, path))
}

fn file_error(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> NatsError {
    let path = path.to_owned();
    move |source| NatsError::File { what, path, source }
}

/// A secret file's first line: editors and `echo` leave a newline.
fn first_line(text: String) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flags that cannot make a connection are refused, naming what to set or fix: a
    /// user without a password, a CA file that is not there.
    #[tokio::test]
    async fn bad_flags_are_refused_with_what_to_set() {
        let user_alone = NatsFlags {
            user: Some("intake".into()),
            ..NatsFlags::default()
        };
        let missing_ca = NatsFlags {
            ca: Some("/nonexistent/ca.pem".into()),
            ..NatsFlags::default()
        };
        let cases: [(NatsFlags, &[&str]); 2] = [
            (user_alone, &["--nats-user intake", "SAMAN_NATS_PASSWORD"]),
            (missing_ca, &["the NATS CA file /nonexistent/ca.pem"]),
        ];
        for (flags, says) in cases {
            let err = options(&flags, ConnectOptions::new()).await.unwrap_err();
            let text = err.to_string();
            for said in says {
                assert!(text.contains(said), "{text}");
            }
        }
    }

    #[test]
    fn a_secret_file_loses_its_newline() {
        assert_eq!(first_line("s3cret\n".into()), "s3cret");
    }
}
