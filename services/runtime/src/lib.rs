//! What both Saman services run on.
//!
//! Layout: [`LogFormat`] and [`telemetry::init`] (logs through `tracing`),
//! [`parse_duration`] (flag values like `10s`), [`backoff`] (the pauses of every retry
//! loop), [`shutdown_signal`] (SIGTERM/SIGINT),
//! [`nats_servers`] and
//! [`nats::connect`] (TLS and credentials to NATS),
//! [`flags`] (the flags both services take alike), [`service`] (what a service binary
//! does around its server),
//! [`grpc`] (health, reflection and a graceful stop, the same in both services),
//! [`rpc`] (the layer every gRPC call passes: its span, its metrics, its limits),
//! [`limits`] (what one client may hold open at once),
//! [`metrics`] (the Prometheus recorder and its `/metrics` endpoint), [`tls`] (rustls:
//! trusted authorities, server certificates, an HTTPS listener).
#![forbid(unsafe_code)]

use std::time::Duration;

use clap::ValueEnum;

pub mod backoff;
pub mod flags;
pub mod grpc;
pub mod limits;
pub mod metrics;
pub mod nats;
pub mod rpc;
pub mod service;
pub mod telemetry;
pub mod tls;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A flag's duration, as jiff reads it: a number and a unit (`300ms`, `5s`, `10m`,
/// `1h`; spelt out too, `5 seconds`; no days), several of them (`1h 30m`, `1m30s`), or
/// ISO 8601 (`PT10M`); also plain seconds (`7`). Negative durations are refused.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let input = input.trim();
    let hint = "use e.g. 300ms, 5s, 10m, 1h or 1h 30m";
    if !input.is_empty() && input.bytes().all(|b| b.is_ascii_digit()) {
        return input
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| format!("'{input}' is too long a duration: {hint}"));
    }
    let signed: jiff::SignedDuration = input
        .parse()
        .map_err(|e| format!("'{input}' is not a duration ({e}): {hint}"))?;
    Duration::try_from(signed).map_err(|_| format!("'{input}' is negative: {hint}"))
}

/// The servers of a comma-separated NATS URL list ("nats://a:4222,nats://b:4222"),
/// each trimmed; the client tries them in turn.
pub fn nats_servers(urls: &str) -> Vec<String> {
    urls.split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nats_url_list_is_split_on_commas() {
        assert_eq!(
            nats_servers("nats://a:4222, nats://b:4222,"),
            ["nats://a:4222", "nats://b:4222"]
        );
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration(" 1h "), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5 seconds"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("PT10M"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in [
            "soon",
            "",
            "2d",
            "-5s",
            "5s ago",
            "10 parsecs",
            "99999999999999999999",
        ] {
            let err = parse_duration(bad).expect_err(bad);
            assert!(err.contains("5s"), "{bad:?}: {err}");
        }
    }
}
