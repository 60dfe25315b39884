//! The intake binary: configuration, telemetry, then [`saman_intake::server::run`].

use anyhow::Context;
use clap::Parser;
use saman_intake::config::Config;
use saman_intake::server;
use saman_runtime::{shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let telemetry = telemetry::init("saman-intake", config.log_format);
    if let Some(listen) = config.metrics_listen.0 {
        let addr = saman_runtime::metrics::serve(listen).await?;
        tracing::info!(address = %addr, "metrics on http://{addr}/metrics");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("Failed to listen on {}", config.listen))?;
    tracing::info!(address = %listener.local_addr()?, "intake listening");
    let result = server::run(config, listener, shutdown_signal()).await;
    telemetry.shutdown();
    result
}
