//! Configuration: every setting is a flag with an environment equivalent, and the
//! defaults run on a laptop (SQLite file, local nats-server).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use saman_runtime::flags::{NatsFlags, TlsFlags};
use saman_runtime::metrics::MetricsListen;
use saman_runtime::service::Binary;
pub use saman_runtime::{LogFormat, parse_duration};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "saman-intake",
    version,
    about = "Saman intake: records the programme's submissions as events and publishes them to NATS JetStream"
)]
pub struct Config {
    /// Address the gRPC server listens on.
    #[arg(long, env = "SAMAN_INTAKE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Address of the Prometheus endpoint (`GET /metrics`); `off` turns it off.
    #[arg(
        long,
        env = "SAMAN_INTAKE_METRICS_LISTEN",
        default_value = "127.0.0.1:9464"
    )]
    pub metrics_listen: MetricsListen,

    /// Event store: `sqlite://PATH?mode=rwc` (embedded, the default) or `postgres://...`.
    #[arg(
        long,
        env = "SAMAN_DATABASE_URL",
        default_value = "sqlite://.saman/intake.db?mode=rwc"
    )]
    pub database_url: String,

    /// Connections in the event store's pool.
    #[arg(long, env = "SAMAN_DATABASE_MAX_CONNECTIONS", default_value_t = 8)]
    pub database_max_connections: u32,

    #[command(flatten)]
    pub tls: TlsFlags,

    #[command(flatten)]
    pub nats: NatsFlags,

    #[command(flatten)]
    pub auth: saman_auth::AuthArgs,

    /// JetStream stream that carries the events.
    #[arg(long, env = "SAMAN_STREAM", default_value = saman_contract::STREAM_NAME)]
    pub stream: String,

    /// Replicas of the stream (3 on a NATS cluster).
    #[arg(long, env = "SAMAN_STREAM_REPLICAS", default_value_t = 1)]
    pub stream_replicas: usize,

    /// How long JetStream remembers an event id to drop a republished copy.
    #[arg(long, env = "SAMAN_DUPLICATE_WINDOW", default_value = "10m", value_parser = parse_duration)]
    pub duplicate_window: Duration,

    /// The largest request message accepted, in bytes; a larger one is refused with
    /// RESOURCE_EXHAUSTED before it is decoded.
    #[arg(long, env = "SAMAN_INTAKE_MAX_REQUEST_BYTES", default_value_t = saman_runtime::grpc::DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_bytes: usize,

    /// At most this many submissions are committed in one transaction.
    #[arg(long, env = "SAMAN_MAX_BATCH", default_value_t = 256)]
    pub max_batch: usize,

    /// On SIGTERM/SIGINT, how long in-flight calls and the relay's last flush may take.
    #[arg(long, env = "SAMAN_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// Log format.
    #[arg(long, env = "SAMAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Config {
    /// How the binary starts: its name, where gRPC and the metrics listen, its logs.
    pub fn binary(&self) -> Binary {
        Binary::new(
            "saman-intake",
            self.listen,
            self.metrics_listen,
            self.log_format,
        )
    }

    /// The defaults, with the given event store and NATS server (tests, embedding).
    pub fn new(database_url: impl Into<String>, nats_url: impl Into<String>) -> Self {
        let mut config = Self::parse_from(["saman-intake"]);
        // Tests run several services in one process: the recorder is process-wide.
        config.metrics_listen = MetricsListen(None);
        config.database_url = database_url.into();
        config.nats.url = nats_url.into();
        config
    }
}
