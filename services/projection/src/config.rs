//! Configuration: every setting is a flag with an environment equivalent, and the
//! defaults run on a laptop (SQLite file, local nats-server).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use saman_runtime::flags::{NatsFlags, TlsFlags};
use saman_runtime::metrics::MetricsListen;
use saman_runtime::service::Binary;
pub use saman_runtime::{LogFormat, parse_duration};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "saman-projection",
    version,
    about = "Saman projection: builds the programme's read models from the events on NATS JetStream and serves them over gRPC"
)]
pub struct Config {
    /// Address the gRPC server listens on.
    #[arg(
        long,
        env = "SAMAN_PROJECTION_LISTEN",
        default_value = "127.0.0.1:50052"
    )]
    pub listen: SocketAddr,

    /// Address of the Prometheus endpoint (`GET /metrics`); `off` turns it off.
    #[arg(
        long,
        env = "SAMAN_PROJECTION_METRICS_LISTEN",
        default_value = "127.0.0.1:9465"
    )]
    pub metrics_listen: MetricsListen,

    /// Address the web page (plain HTML for people) listens on.
    #[arg(
        long,
        env = "SAMAN_PROJECTION_WEB_LISTEN",
        default_value = "127.0.0.1:50080"
    )]
    pub web_listen: SocketAddr,

    /// Read models: `sqlite://PATH?mode=rwc` (embedded, the default) or `postgres://...`.
    #[arg(
        long,
        env = "SAMAN_PROJECTION_DATABASE_URL",
        default_value = "sqlite://.saman/projection.db?mode=rwc"
    )]
    pub database_url: String,

    /// Connections in the read models' pool.
    #[arg(
        long,
        env = "SAMAN_PROJECTION_DATABASE_MAX_CONNECTIONS",
        default_value_t = 8
    )]
    pub database_max_connections: u32,

    #[command(flatten)]
    pub tls: TlsFlags,

    #[command(flatten)]
    pub nats: NatsFlags,

    #[command(flatten)]
    pub auth: saman_auth::AuthArgs,

    /// Answer the read RPCs (and GetStatus) to anyone, without a token; Rebuild and
    /// ListParked still need the operator role.
    #[arg(long, env = "SAMAN_PROJECTION_PUBLIC_READS")]
    pub public_reads: bool,

    #[command(flatten)]
    pub limits: saman_runtime::limits::LimitFlags,

    /// At most this many WatchZoneProgress streams open at once in all; more are
    /// refused with RESOURCE_EXHAUSTED.
    #[arg(long, env = "SAMAN_PROJECTION_MAX_WATCHES", default_value_t = 1000, value_parser = saman_runtime::limits::count())]
    pub max_watches: u32,

    /// At most this many WatchZoneProgress streams open at once by one caller (a
    /// connection, for a caller without a token); more are refused with
    /// RESOURCE_EXHAUSTED.
    #[arg(long, env = "SAMAN_PROJECTION_MAX_WATCHES_PER_CALLER", default_value_t = 10, value_parser = saman_runtime::limits::count())]
    pub max_watches_per_caller: u32,

    #[command(flatten)]
    pub event_keys: EventKeysArgs,

    /// JetStream stream that carries the events.
    #[arg(long, env = "SAMAN_STREAM", default_value = saman_contract::STREAM_NAME)]
    pub stream: String,

    /// Name of the durable consumer; two projections with different names build
    /// their read models independently.
    #[arg(
        long,
        env = "SAMAN_PROJECTION_CONSUMER",
        default_value = "saman-projection"
    )]
    pub consumer: String,

    /// How long JetStream waits for an ack before redelivering.
    #[arg(long, env = "SAMAN_PROJECTION_ACK_WAIT", default_value = "30s", value_parser = parse_duration)]
    pub ack_wait: Duration,

    /// At most this many messages delivered and not yet acknowledged.
    #[arg(long, env = "SAMAN_PROJECTION_MAX_ACK_PENDING", default_value_t = 2000)]
    pub max_ack_pending: i64,

    /// At most this many events applied in one transaction.
    #[arg(long, env = "SAMAN_PROJECTION_BATCH", default_value_t = 500)]
    pub batch: usize,

    /// The largest request message accepted, in bytes; a larger one is refused with
    /// RESOURCE_EXHAUSTED before it is decoded.
    #[arg(long, env = "SAMAN_PROJECTION_MAX_REQUEST_BYTES", default_value_t = saman_runtime::grpc::DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_bytes: usize,

    /// On SIGTERM/SIGINT, how long in-flight calls may take.
    #[arg(long, env = "SAMAN_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// Log format.
    #[arg(long, env = "SAMAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Which events the projection believes (docs/events.md, "Verifying events").
#[derive(Debug, Clone, clap::Args)]
pub struct EventKeysArgs {
    /// JWKS of the Ed25519 public keys intake signs events with (the current key and
    /// every earlier one, for the history): an event not signed by one of them is parked,
    /// live and in a rebuild.
    #[arg(long, env = "SAMAN_EVENT_KEYS", value_name = "FILE")]
    pub event_keys: Option<PathBuf>,
    /// Apply events without checking their signatures. For experiments only: anyone who
    /// can publish on the events subjects writes the read models; a warning is logged.
    #[arg(
        long,
        env = "SAMAN_INSECURE_UNVERIFIED_EVENTS",
        conflicts_with = "event_keys"
    )]
    pub insecure_unverified_events: bool,
}

impl EventKeysArgs {
    /// The keys these flags name, read once at start; `None` only with
    /// --insecure-unverified-events.
    pub fn keys(&self) -> anyhow::Result<Option<saman_contract::EventKeys>> {
        let Some(path) = saman_runtime::flags::file_unless_insecure(
            self.event_keys.as_deref(),
            self.insecure_unverified_events,
            "event signatures are NOT checked (--insecure-unverified-events): any message on \
             the events subjects reaches the read models",
            "no event keys: pass --event-keys FILE (the JWKS of intake's event signing keys), \
             or --insecure-unverified-events to apply events unchecked",
        )?
        else {
            return Ok(None);
        };
        let keys = saman_contract::EventKeys::read(path)
            .with_context(|| format!("Failed to read the event keys {}", path.display()))?;
        tracing::info!(key_ids = ?keys, "event signatures are checked");
        Ok(Some(keys))
    }
}

impl Config {
    /// What one client may hold open at once: the calls of both services, and watches.
    pub fn limits(&self) -> saman_runtime::limits::Limits {
        use saman_runtime::limits::{Bound, StreamLimits};
        self.limits.limits().with_streams(StreamLimits {
            per_caller: Bound::new(
                self.max_watches_per_caller,
                "--max-watches-per-caller (SAMAN_PROJECTION_MAX_WATCHES_PER_CALLER)",
            ),
            total: Bound::new(
                self.max_watches,
                "--max-watches (SAMAN_PROJECTION_MAX_WATCHES)",
            ),
        })
    }

    /// How the binary starts: its name, where gRPC and the metrics listen, its logs.
    pub fn binary(&self) -> Binary {
        Binary::new(
            "saman-projection",
            self.listen,
            self.metrics_listen,
            self.log_format,
        )
        .with_metrics(crate::metrics::ALL)
    }

    /// The defaults, with the given read-model database and NATS server, except that
    /// the web page listens on a port of its own (127.0.0.1:0), so that several
    /// projections in one process (tests) do not compete for the default port.
    pub fn new(database_url: impl Into<String>, nats_url: impl Into<String>) -> Self {
        let mut config = Self::parse_from(["saman-projection"]);
        // Tests run several services in one process: the recorder is process-wide.
        config.metrics_listen = MetricsListen(None);
        config.web_listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.database_url = database_url.into();
        config.nats.url = nats_url.into();
        config
    }
}
