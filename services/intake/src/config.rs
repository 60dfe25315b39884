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

    #[command(flatten)]
    pub signing: EventSigningArgs,

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

    #[command(flatten)]
    pub limits: saman_runtime::limits::LimitFlags,

    /// At most this many submissions are committed in one transaction.
    #[arg(long, env = "SAMAN_MAX_BATCH", default_value_t = 256)]
    pub max_batch: usize,

    /// On SIGTERM/SIGINT, how long in-flight calls and the relay's last flush may take.
    #[arg(long, env = "SAMAN_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// How long before intake receives a submission its claimed `occurred_at` may be
    /// and still be what its lateness is judged on (a clock that is off, a phone that
    /// was offline); an earlier claim is judged on the receipt unless attested.
    #[arg(long, env = "SAMAN_OCCURRED_AT_TOLERANCE", default_value = "36h", value_parser = parse_duration)]
    pub occurred_at_tolerance: Duration,

    /// Trust every claimed `occurred_at`, however far back: only for a deployment that
    /// replays a past year (`saman scenario 1397`, the tests). Each event accepted so
    /// records it (docs/security.md, "Time").
    #[arg(long, env = "SAMAN_TRUST_CLAIMED_TIME")]
    pub trust_claimed_time: bool,

    /// Log format.
    #[arg(long, env = "SAMAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How intake signs the events it publishes (docs/events.md, "Verifying events").
#[derive(Debug, Clone, clap::Args)]
pub struct EventSigningArgs {
    /// Ed25519 private key (PKCS#8 PEM) that signs every event published; its public
    /// half goes in the subscribers' JWKS (`saman events keys --signing-key FILE`).
    #[arg(long, env = "SAMAN_EVENT_SIGNING_KEY", value_name = "FILE")]
    pub event_signing_key: Option<PathBuf>,
    /// The key's id in the `Saman-Key-Id` header and the JWKS; by default its RFC 7638
    /// thumbprint.
    #[arg(
        long,
        env = "SAMAN_EVENT_SIGNING_KEY_ID",
        value_name = "ID",
        requires = "event_signing_key"
    )]
    pub event_signing_key_id: Option<String>,
    /// Publish events without a signature. Subscribers that verify park them: for
    /// experiments only, a warning is logged at start.
    #[arg(
        long,
        env = "SAMAN_INSECURE_UNSIGNED_EVENTS",
        conflicts_with = "event_signing_key"
    )]
    pub insecure_unsigned_events: bool,
}

impl EventSigningArgs {
    /// The signer these flags name; `None` only with --insecure-unsigned-events.
    pub fn signer(&self) -> anyhow::Result<Option<saman_contract::EventSigner>> {
        let Some(path) = saman_runtime::flags::file_unless_insecure(
            self.event_signing_key.as_deref(),
            self.insecure_unsigned_events,
            "events are published UNSIGNED (--insecure-unsigned-events): subscribers that \
             verify park every one of them",
            "no event signing key: pass --event-signing-key FILE (an Ed25519 key in PKCS#8 \
             PEM), or --insecure-unsigned-events to publish unsigned events",
        )?
        else {
            return Ok(None);
        };
        let signer = saman_contract::EventSigner::read(path, self.event_signing_key_id.as_deref())
            .with_context(|| format!("Failed to read the event signing key {}", path.display()))?;
        tracing::info!(key_id = signer.key_id(), "events are signed");
        Ok(Some(signer))
    }
}

impl Config {
    /// How the edge judges claimed times ([`saman_domain::time`]).
    pub fn time_trust(&self) -> saman_domain::time::TimeTrust {
        saman_domain::time::TimeTrust {
            tolerance: jiff::SignedDuration::try_from(self.occurred_at_tolerance)
                .unwrap_or(jiff::SignedDuration::MAX),
            trust_claimed: self.trust_claimed_time,
        }
    }

    /// How the binary starts: its name, where gRPC and the metrics listen, its logs.
    pub fn binary(&self) -> Binary {
        Binary::new(
            "saman-intake",
            self.listen,
            self.metrics_listen,
            self.log_format,
        )
        .with_metrics(crate::metrics::ALL)
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
