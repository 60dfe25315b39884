//! Wires the intake service together and runs it until a shutdown signal.
//!
//! Start-up: open the event store (migrations run there) and fold its history; serve
//! gRPC at once with health NOT_SERVING; connect to NATS in the background, create or
//! update the JetStream stream, then report SERVING and start the relay. Submissions
//! are accepted as soon as the store is open: while NATS is unreachable they wait in
//! the outbox.
//!
//! Shutdown: health goes NOT_SERVING, the server stops taking new calls and lets
//! in-flight ones finish (within the grace period), the writer commits what was
//! queued, then the relay makes a last bounded attempt to flush the outbox.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use saman_proto::intake::v1::intake_server::IntakeServer;
use saman_proto::writes::IntakeWrites;
use saman_runtime::backoff::Backoff;
use saman_runtime::service::{finish_within, last_flush};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;

use crate::config::Config;
use crate::edge::IntakeService;
use crate::jetstream::{StreamSettings, ensure_stream};
use crate::publish_limit::PublishLimit;
use crate::relay::{Relay, RelayConfig};
use crate::store::EventStore;
use crate::writer::{Writer, WriterConfig};

/// Runs intake on `listener` until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // How calls arrive (TLS unless plaintext is asked for) and who may call: both
    // read before anything else, so that a missing certificate, a wrong issuer or key
    // file stops the start at once.
    let tls = config
        .tls
        .server_config("gRPC", saman_runtime::tls::GRPC_ALPN)?;
    let gate = config.auth.gate(false, crate::error::ERROR_DOMAIN).await?;
    // And the key that signs the events, or the explicit choice not to sign them.
    let signer = config.signing.signer()?;
    let (health, health_service) =
        saman_runtime::grpc::health_not_serving::<IntakeServer<IntakeWrites<IntakeService>>>()
            .await;

    let store = EventStore::open(&config.database_url, config.database_max_connections)
        .await
        .with_context(|| saman_sql::failed_to_open("the event store", &config.database_url))?;

    let nats = saman_runtime::nats::connect_service(&config.nats, "saman-intake").await?;
    let js = async_nats::jetstream::new(nats.clone());
    // The server's max_payload (1 MiB until a server is seen), kept up to date by the
    // relay and the stream set-up below; `publish_limit.max_event_bytes()` is the
    // largest event the writer should record (a larger one would block its stream).
    let publish_limit = PublishLimit::new();
    let relay = Relay::new(
        store.clone(),
        js.clone(),
        RelayConfig {
            shutdown_flush: config.shutdown_grace,
            signer,
            ..RelayConfig::default()
        },
    )
    .with_publish_limit(publish_limit.clone());
    let (writer, writer_task) = Writer::start(
        store.clone(),
        relay.waker(),
        WriterConfig {
            max_batch: config.max_batch,
            publish_limit: publish_limit.clone(),
            ..WriterConfig::default()
        },
    )
    .await
    .context("Failed to load the event history")?;

    let stop_relay = CancellationToken::new();
    let settings = StreamSettings {
        name: config.stream.clone(),
        replicas: config.stream_replicas,
        duplicate_window: config.duplicate_window,
        ..StreamSettings::default()
    };
    let background = tokio::spawn({
        let health = health.clone();
        let stop = stop_relay.clone();
        let publish_limit = publish_limit.clone();
        async move {
            if !set_up_stream(&js, &settings, &stop).await {
                return;
            }
            publish_limit.observe(&js.client());
            health
                .set_serving::<IntakeServer<IntakeWrites<IntakeService>>>()
                .await;
            tracing::info!(stream = %settings.name, "stream ready; serving");
            if let Err(err) = relay.run(stop).await {
                tracing::error!(error = %err, "relay stopped");
            }
        }
    });

    // Reflection lists what this port serves, none of the projection's services.
    let (reflection_v1, reflection_v1alpha) = saman_runtime::grpc::reflection(
        &[saman_proto::FILE_DESCRIPTOR_SET],
        &[<IntakeServer<IntakeWrites<IntakeService>> as tonic::server::NamedService>::NAME],
    )?;
    // The span and metrics of every call first, so they see the rewritten refusal of
    // a message too large; then who the caller is (the layer admits every call through
    // the gate before the service sees it) and what it may hold open at once.
    let router = Server::builder()
        .layer(
            crate::edge::service::layer()?
                .with_admit(std::sync::Arc::new(gate))
                .with_limits(config.limits.limits(), crate::error::ERROR_DOMAIN),
        )
        .layer(saman_runtime::grpc::message_size_layer(
            crate::error::ERROR_DOMAIN,
            "--max-request-bytes (SAMAN_INTAKE_MAX_REQUEST_BYTES)",
        ))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            saman_proto::writes::intake_server(IntakeService::new(writer, config.time_trust()))
                .max_decoding_message_size(config.max_request_bytes),
        );
    saman_runtime::grpc::serve(router, listener, tls, shutdown, config.shutdown_grace).await?;
    health
        .set_not_serving::<IntakeServer<IntakeWrites<IntakeService>>>()
        .await;
    tracing::info!("gRPC server stopped; committing queued submissions");

    // The server (and with it every Writer handle) is gone: the writer ends after
    // committing what was queued.
    let grace = config.shutdown_grace;
    finish_within(grace, writer_task, "the writer did not finish").await;
    stop_relay.cancel();
    let relay_grace = grace + Duration::from_secs(1);
    finish_within(
        relay_grace,
        background,
        "the relay did not finish its last flush",
    )
    .await;
    store.close().await;
    last_flush(nats.flush()).await;
    tracing::info!("intake stopped");
    Ok(())
}

/// Retries until the stream exists; false when shutdown came first.
async fn set_up_stream(
    js: &async_nats::jetstream::Context,
    settings: &StreamSettings,
    stop: &CancellationToken,
) -> bool {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    let mut warned = false;
    loop {
        match ensure_stream(js, settings).await {
            Ok(_) => return true,
            Err(err) => {
                if !warned {
                    tracing::warn!(error = %err, "cannot set up the JetStream stream yet; retrying (submissions wait in the outbox)");
                    warned = true;
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return false,
            () = tokio::time::sleep(backoff.next_pause()) => {}
        }
    }
}
