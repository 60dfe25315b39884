//! Wires the projection service together and runs it until a shutdown signal.
//!
//! Start-up: open the read models (migrations run there); serve gRPC at once with
//! health NOT_SERVING; connect to NATS in the background and start the live feed;
//! health turns SERVING once the durable consumer exists. Shutdown: health goes
//! NOT_SERVING, the server stops taking calls and lets in-flight ones finish within
//! the grace period, the feeds stop between batches (an unacknowledged batch is
//! redelivered to the next run and skipped if it was committed). The web page
//! ([`crate::web`]) listens on `--web-listen` beside gRPC and stops on the same signal.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use saman_proto::projection::v1::projection_admin_server::ProjectionAdminServer;
use saman_proto::projection::v1::projection_server::ProjectionServer;
use saman_runtime::service::{finish_within, last_flush};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;

use crate::config::Config;
use crate::consumer::{self, FeedConfig};
use crate::readmodel::ReadModels;
use crate::service::{AdminService, ProjectionService};
use crate::state::State;
use crate::web;

/// Runs the projection on `listener` until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (health, health_service) =
        saman_runtime::grpc::health_not_serving::<ProjectionServer<ProjectionService>>().await;

    // How calls and page requests arrive (TLS unless plaintext is asked for) and who
    // may call: read before anything else.
    let grpc_tls = config
        .tls
        .server_config("gRPC", saman_runtime::tls::GRPC_ALPN)?;
    let web_tls = config
        .tls
        .server_config("the web page", saman_runtime::tls::WEB_ALPN)?;
    let gate = config
        .auth
        .gate(config.public_reads, crate::error::ERROR_DOMAIN)
        .await?;
    // Which events to believe: intake's signing keys, or the explicit choice not to check.
    let event_keys = config.event_keys.keys()?.map(std::sync::Arc::new);

    let web_listener = TcpListener::bind(config.web_listen)
        .await
        .with_context(|| format!("Failed to listen on {} (the web page)", config.web_listen))?;
    let scheme = if web_tls.is_some() { "https" } else { "http" };
    let web_addr = web_listener.local_addr()?;
    tracing::info!(address = %web_addr, "web page on {scheme}://{web_addr}/");

    let models = ReadModels::open(&config.database_url, config.database_max_connections)
        .await
        .with_context(|| saman_sql::failed_to_open("the read models", &config.database_url))?;
    let state = State::open(models.clone())
        .await
        .context("Failed to read the read models' generation")?;

    let nats = saman_runtime::nats::connect_service(&config.nats, "saman-projection").await?;
    let js = async_nats::jetstream::new(nats.clone());
    let feed = FeedConfig {
        stream: config.stream.clone(),
        consumer: config.consumer.clone(),
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
        batch: config.batch.max(1),
        event_keys,
    };

    let stop_feeds = CancellationToken::new();
    let live = tokio::spawn(consumer::run_live(
        js.clone(),
        feed.clone(),
        state.clone(),
        stop_feeds.clone(),
    ));
    tokio::spawn({
        let (health, state, stop) = (health.clone(), state.clone(), stop_feeds.clone());
        async move {
            while !state.feed_ready() {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            }
            health
                .set_serving::<ProjectionServer<ProjectionService>>()
                .await;
            tracing::info!("consumer ready; serving");
        }
    });

    // Read models built by an earlier version's rules lack what this one keeps: rebuild
    // them from the first event while serving them as they are.
    let admin = AdminService::new(state.clone(), js, feed, stop_feeds.clone());
    if models.stale().await? {
        let generation = admin.start_rebuild().await?;
        tracing::warn!(
            generation,
            derivation = crate::readmodel::DERIVATION,
            "the read models were built by an earlier version: rebuilding them into generation \
             {generation} from the first event, serving the current ones meanwhile"
        );
    }

    let stop_web = CancellationToken::new();
    let web = tokio::spawn(web::serve(
        web_listener,
        web_tls,
        state.clone(),
        stop_web.clone(),
    ));
    let shutdown = {
        let stop_web = stop_web.clone();
        async move {
            shutdown.await;
            stop_web.cancel();
        }
    };

    // Reflection lists what this port serves, none of intake's services.
    let (reflection_v1, reflection_v1alpha) = saman_runtime::grpc::reflection(
        &[saman_proto::FILE_DESCRIPTOR_SET],
        &[
            <ProjectionServer<ProjectionService> as tonic::server::NamedService>::NAME,
            <ProjectionAdminServer<AdminService> as tonic::server::NamedService>::NAME,
        ],
    )?;
    // Each query's span (a child of the caller's trace) and metrics, around the
    // rewritten refusal of a message too large; every call admitted through the gate and
    // bounded (calls per connection and caller, watches, the unary timeout).
    let router = Server::builder()
        .layer(
            saman_runtime::rpc::RpcLayer::new(
                saman_proto::FILE_DESCRIPTOR_SET,
                &[
                    "saman.projection.v1.Projection",
                    "saman.projection.v1.ProjectionAdmin",
                ],
                "saman_projection_requests_total",
                "saman_projection_request_duration_seconds",
            )?
            .with_admit(std::sync::Arc::new(gate))
            .with_limits(config.limits(), crate::error::ERROR_DOMAIN),
        )
        .layer(saman_runtime::grpc::message_size_layer(
            "saman.projection.v1",
            "--max-request-bytes (SAMAN_PROJECTION_MAX_REQUEST_BYTES)",
        ))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            ProjectionServer::new(ProjectionService::new(state.clone()))
                .max_decoding_message_size(config.max_request_bytes),
        )
        .add_service(
            ProjectionAdminServer::new(admin).max_decoding_message_size(config.max_request_bytes),
        );
    let served =
        saman_runtime::grpc::serve(router, listener, grpc_tls, shutdown, config.shutdown_grace)
            .await;
    stop_web.cancel();
    match tokio::time::timeout(config.shutdown_grace, web).await {
        Ok(Ok(Err(err))) => tracing::error!(error = %err, "the web page failed"),
        Ok(Err(err)) => tracing::error!(error = %err, "the web page task panicked"),
        Err(_) => tracing::warn!("the web page did not stop within the grace period"),
        Ok(Ok(Ok(()))) => {}
    }
    served?;
    health
        .set_not_serving::<ProjectionServer<ProjectionService>>()
        .await;
    stop_feeds.cancel();
    let grace = config.shutdown_grace;
    finish_within(grace, live, "the live feed did not stop").await;
    models.close().await;
    last_flush(nats.flush()).await;
    tracing::info!("projection stopped");
    Ok(())
}
