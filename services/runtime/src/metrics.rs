//! Prometheus metrics: the recorder a service installs once at start-up, and the
//! `GET /metrics` endpoint that serves it (text exposition format).
//!
//! The services record with the `metrics` crate's macros wherever things happen;
//! without an installed recorder (tests running services in-process) those calls do
//! nothing. Names and labels are listed in docs/operations.md.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Where the metrics endpoint listens; `off` turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsListen(pub Option<SocketAddr>);

impl FromStr for MetricsListen {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input.trim() {
            "" | "off" | "none" => Ok(MetricsListen(None)),
            addr => addr
                .parse()
                .map(|a| MetricsListen(Some(a)))
                .map_err(|_| format!("'{addr}' is not HOST:PORT (or `off`)")),
        }
    }
}

impl fmt::Display for MetricsListen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => write!(f, "{addr}"),
            None => write!(f, "off"),
        }
    }
}

/// Durations in seconds, from a fraction of a millisecond to half a minute.
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Counts per batch, up to the largest batches the services make.
const SIZES: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

/// Installs the process-wide recorder and serves it on `listen`, until the process
/// ends. Call once, from the binary's `main`.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<SocketAddr> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .set_buckets_for_metric(Matcher::Suffix("_size".into()), SIZES)?
        .install_recorder()
        .context("Failed to install the metrics recorder")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("Failed to listen for metrics on {listen}"))?;
    let addr = listener.local_addr()?;
    // Histograms are kept in buckets that need draining now and then.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = Router::new().route("/metrics", get(move || render(handle.clone())));
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "the metrics endpoint stopped");
        }
    });
    Ok(addr)
}

async fn render(handle: PrometheusHandle) -> String {
    handle.render()
}
