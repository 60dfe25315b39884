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

/// What kind of metric a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// A metric a service exports: its name, kind and HELP text, and for a counter the
/// label sets it is present with, at 0, from the start (so that a rate or an alert
/// has a series before the first event).
#[derive(Debug, Clone, Copy)]
pub struct Described {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub zeros: &'static [&'static [(&'static str, &'static str)]],
}

/// Every counter without labels starts at 0.
const NO_LABELS: &[&[(&str, &str)]] = &[&[]];

impl Described {
    pub const fn counter(name: &'static str, help: &'static str) -> Self {
        Described {
            name,
            kind: Kind::Counter,
            help,
            zeros: NO_LABELS,
        }
    }

    /// A counter with labels, present at 0 with each of `zeros`.
    pub const fn counter_of(
        name: &'static str,
        help: &'static str,
        zeros: &'static [&'static [(&'static str, &'static str)]],
    ) -> Self {
        Described {
            name,
            kind: Kind::Counter,
            help,
            zeros,
        }
    }

    pub const fn gauge(name: &'static str, help: &'static str) -> Self {
        Described {
            name,
            kind: Kind::Gauge,
            help,
            zeros: &[],
        }
    }

    pub const fn histogram(name: &'static str, help: &'static str) -> Self {
        Described {
            name,
            kind: Kind::Histogram,
            help,
            zeros: &[],
        }
    }
}

/// What every service exports beside its own metrics: the gRPC server's standard
/// metrics, its build and its process.
const COMMON: &[Described] = &[
    Described::counter_of(
        crate::rpc::GRPC_STARTED_TOTAL,
        "gRPC calls started on the server, by type, service and method",
        &[],
    ),
    Described::counter_of(
        crate::rpc::GRPC_HANDLED_TOTAL,
        "gRPC calls completed on the server, by type, service, method and status code",
        &[],
    ),
    Described::histogram(
        crate::rpc::GRPC_HANDLING_SECONDS,
        "time from a gRPC call's arrival to its last response frame, in seconds",
    ),
    Described::gauge(
        "saman_build_info",
        "1, labelled with the service and the version it was built from",
    ),
];

/// HELP and TYPE for each of `all`, and every counter present at 0 with its label sets.
pub fn describe(all: &[Described]) {
    for m in all.iter().chain(COMMON) {
        match m.kind {
            Kind::Counter => {
                metrics::describe_counter!(m.name, m.help);
                for labels in m.zeros {
                    metrics::counter!(m.name, *labels).increment(0);
                }
            }
            Kind::Gauge => metrics::describe_gauge!(m.name, m.help),
            Kind::Histogram => metrics::describe_histogram!(m.name, m.help),
        }
    }
}

/// Installs the process-wide recorder and serves it on `listen`, until the process
/// ends: `service`'s metrics `described` (HELP, TYPE, counters at 0), the standard gRPC
/// server metrics, `saman_build_info` and the process's (CPU, memory, open files,
/// threads, start time: the `process_*` names every Prometheus client exports). Call
/// once, from the binary's `main`.
pub async fn serve(
    listen: SocketAddr,
    service: &'static str,
    described: &'static [Described],
) -> anyhow::Result<SocketAddr> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .set_buckets_for_metric(Matcher::Suffix("_size".into()), SIZES)?
        .install_recorder()
        .context("Failed to install the metrics recorder")?;
    describe(described);
    metrics::gauge!(
        "saman_build_info",
        "service" => service,
        "version" => env!("CARGO_PKG_VERSION")
    )
    .set(1.0);
    let process = metrics_process::Collector::default();
    process.describe();
    process.collect();
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

    // The process's figures are read from /proc at each scrape.
    let process = std::sync::Arc::new(process);
    let app = Router::new().route(
        "/metrics",
        get(move || render(handle.clone(), process.clone())),
    );
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "the metrics endpoint stopped");
        }
    });
    Ok(addr)
}

async fn render(
    handle: PrometheusHandle,
    process: std::sync::Arc<metrics_process::Collector>,
) -> String {
    process.collect();
    handle.render()
}
