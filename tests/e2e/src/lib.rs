//! The end-to-end tests' toolkit, a module for each thing it starts or reads:
//!
//! - `intake`: intake in-process on port 0 ([`Intake`]) or the real binary
//!   ([`IntakeProcess`]), clients, health. The tests replay the programme year 1397
//!   (2018 dates), so both start intake trusting claimed times (`--trust-claimed-time`),
//!   as a deployment replaying a past year opts in; [`Intake::start_judging_receipt`]
//!   starts it as one recording the present (claims judged on the receipt unless
//!   vouched for);
//! - `projection`: the same for the projection, and what the tests ask it ([`Writes`],
//!   [`wait_caught_up`], [`Dump`]);
//! - `system`: the whole system on private ports ([`System`]), or its write side
//!   ([`WriteSide`]);
//! - `cli`: the `saman` command line ([`Saman`], [`Ran`]);
//! - `requests`: actors, submission headers, [`register_programme`];
//! - `refusals`: what a refusal must carry ([`refused`]);
//! - `read_back`: what the event store and JetStream hold ([`published`]);
//! - `observed`: NATS clients that hear the server's refusals ([`observed_client`]);
//! - `http`, `process`: HTTP(S) GETs, child processes and their signals;
//! - `tls`: the test authority every service serves a certificate of, and the
//!   clients trust ([`tls`], [`tls_flags`]);
//! - `auth`: the token issuer of the test process, and channels whose calls carry
//!   tokens ([`Channel`], [`Tokens`]);
//! - `compat`: recordings of an earlier version's events and figures, replayed to
//!   show a schema change keeps them readable ([`compat::replay`]);
//! - `signing`: the event signing key of the test process, and publishing on the
//!   events subjects directly ([`publish_directly`], [`signed`]).
//!
//! The nats-server and the databases come from the harness ([`NatsServer`], [`TestDb`]),
//! and so does [`on_both_backends!`].

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

mod auth;
pub mod browser;
mod cli;
pub mod compat;
pub mod dashboard;
mod http;
mod intake;
mod observed;
mod process;
mod projection;
mod read_back;
mod refusals;
mod requests;
mod signing;
mod system;
mod tls;

pub use auth::{
    AuthChannel as Channel, OPERATOR, Tokens, as_caller, auth_args, identity_of, issuer,
};
pub use cli::{CommandLine, Ran, Saman, env_with};
pub use http::{
    Download, HttpResponse, http_get, http_get_response, prometheus_sample, visible_text,
    web_download, web_get,
};
pub use intake::{
    INTAKE_SERVICE, Intake, IntakeBinary, IntakeProcess, config as intake_config, connect,
    wait_serving,
};
pub use nix::sys::signal::Signal;
pub use observed::{assert_publish_refused, observed_client, server_error};
pub use process::{Binary, Service, binary};
pub use projection::{
    AsOfQuery, Dump, PROJECTION_SERVICE, Projection, ProjectionBinary, ProjectionConfig,
    ProjectionProcess, Writes, connect_projection, connect_projection_admin, projection_config,
    read_as_of, rebuild_caught_up, status, wait_caught_up, wait_rebuilt, whole_timeline,
};
pub use read_back::{
    Published, STREAM, assert_exactly_once_in_order, published, published_event, stored_events,
    stream_head, wait_consumer_drained, wait_stream_count,
};
pub use refusals::{
    ERROR_DOMAIN, MAX_REFUSAL_BYTES, assert_code_in_bounds, assert_refused_for, refused,
    status_metadata_size,
};
pub use requests::*;
pub use saman_harness::{
    Backend, NatsLogin, NatsServer, NatsUser, TestDb, TestTls, free_port, on_both_backends,
};
pub use signing::{event_keys, publish_directly, signed};
pub use system::{System, WriteSide, intake_alone, published_and_applied};
pub use tls::{grpc_client_tls, tls, tls_args, tls_channel, tls_flags};

/// A service running inside the test process: stopping it cancels its token and waits
/// for its `run` to return.
struct InProcess {
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl InProcess {
    /// Binds 127.0.0.1:0 and spawns `run(addr, listener, shutdown)` on it.
    async fn spawn<F>(
        run: impl FnOnce(SocketAddr, TcpListener, WaitForCancellationFutureOwned) -> F,
    ) -> anyhow::Result<(SocketAddr, InProcess)>
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        // What a service in the test process logs reaches the test's output only through
        // a subscriber of its own: errors by default (a failed background task, such as a
        // rebuild, says why), more with SAMAN_TEST_LOG (e.g. `warn`, `saman_projection=debug`).
        let filter = std::env::var("SAMAN_TEST_LOG").unwrap_or_else(|_| "error".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(addr, listener, stop.clone().cancelled_owned()));
        Ok((addr, InProcess { stop, task }))
    }

    /// Graceful shutdown, as on SIGTERM.
    async fn stop(self, what: &str) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task
            .await
            .with_context(|| format!("{what} task panicked"))?
    }
}

/// Gives the config of a service the tests start in the test process what every such
/// service gets unless the config says otherwise: a short shutdown grace (a test waits
/// for it), trust in the test process's token issuer, and the test authority's
/// certificate to serve. A macro: intake's and the projection's configs are of
/// different types with these same fields.
macro_rules! test_service_defaults {
    ($config:expr) => {{
        let config = &mut $config;
        config.shutdown_grace = std::time::Duration::from_secs(5);
        if config.auth.auth_issuer.is_none() {
            config.auth = crate::auth_args();
        }
        if config.tls.is_unset() {
            config.tls = crate::tls_flags();
        }
    }};
}
pub(crate) use test_service_defaults;

/// A gRPC channel to `https://{addr}` (trusting the test authority) whose calls carry
/// tokens ([`auth::TokenPerActor`]).
async fn channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    Ok(auth::TokenPerActor::new(tls_channel(addr).await?))
}

/// Whether the server at `addr` answers the health check of `service` with SERVING.
async fn serving(addr: SocketAddr, service: &str) -> bool {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let Ok(channel) = channel(addr).await else {
        return false;
    };
    let status = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map(|r| r.into_inner().status);
    matches!(status, Ok(s) if s == ServingStatus::Serving as i32)
}
