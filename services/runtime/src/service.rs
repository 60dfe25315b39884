//! What a service binary does around its server, the same in both services: logs and
//! traces first, then the metrics endpoint, then the gRPC listener; the server runs on
//! it until SIGTERM/SIGINT, and the last trace spans are flushed when it returns. And
//! how a server's parts stop: each within a bound, so one stuck part cannot hold the
//! process.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::LogFormat;
use crate::metrics::MetricsListen;
use crate::telemetry;

/// Resolves when the server should stop ([`crate::shutdown_signal`]).
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A service binary's start-up settings (from its flags).
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    /// `saman-intake` or `saman-projection`: names the traces; without `saman-`, the
    /// log line saying where gRPC listens.
    name: &'static str,
    listen: SocketAddr,
    metrics_listen: MetricsListen,
    log_format: LogFormat,
    /// The service's own metrics (HELP, TYPE, counters at 0).
    metrics: &'static [crate::metrics::Described],
}

impl Binary {
    pub fn new(
        name: &'static str,
        listen: SocketAddr,
        metrics_listen: MetricsListen,
        log_format: LogFormat,
    ) -> Self {
        Binary {
            name,
            listen,
            metrics_listen,
            log_format,
            metrics: &[],
        }
    }

    /// Describes the service's own metrics on its endpoint.
    pub fn with_metrics(mut self, metrics: &'static [crate::metrics::Described]) -> Self {
        self.metrics = metrics;
        self
    }

    /// Starts telemetry and metrics, binds the gRPC listener and runs `serve` with the
    /// service's `config` on it until a shutdown signal. A failure to start returns at
    /// once, before any span is flushed.
    pub async fn run<C, F, Fut>(self, config: C, serve: F) -> anyhow::Result<()>
    where
        F: FnOnce(C, TcpListener, Shutdown) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        crate::tls::install_crypto_provider();
        let telemetry = telemetry::init(self.name, self.log_format);
        if let Some(listen) = self.metrics_listen.0 {
            let addr = crate::metrics::serve(listen, self.name, self.metrics).await?;
            tracing::info!(address = %addr, "metrics on http://{addr}/metrics");
        }
        let listener = TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("Failed to listen on {}", self.listen))?;
        let role = self.name.strip_prefix("saman-").unwrap_or(self.name);
        tracing::info!(address = %listener.local_addr()?, "{role} listening");
        let result = serve(config, listener, Box::pin(crate::shutdown_signal())).await;
        telemetry.shutdown();
        result
    }
}

/// Waits for `part` of a stopping service at most `grace`; past it, warns that it did
/// not finish (`late`, e.g. "the writer did not finish") and lets it go.
pub async fn finish_within<F: Future>(grace: Duration, part: F, late: &str) -> Option<F::Output> {
    let finished = tokio::time::timeout(grace, part).await.ok();
    if finished.is_none() {
        tracing::warn!("{late} within the grace period");
    }
    finished
}

/// A last flush (of the NATS client), bounded: with NATS unreachable it would wait
/// forever.
pub async fn last_flush<F: Future>(flush: F) {
    let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
}
