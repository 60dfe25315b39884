//! Configuration: every setting is a flag with an environment equivalent, and the
//! defaults run on a laptop (SQLite file, local nats-server).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};

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

    /// NATS server(s), comma-separated.
    #[arg(long, env = "SAMAN_NATS_URL", default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,

    /// JetStream stream that carries the events.
    #[arg(long, env = "SAMAN_STREAM", default_value = "SAMAN_EVENTS")]
    pub stream: String,

    /// Replicas of the stream (3 on a NATS cluster).
    #[arg(long, env = "SAMAN_STREAM_REPLICAS", default_value_t = 1)]
    pub stream_replicas: usize,

    /// How long JetStream remembers an event id to drop a republished copy.
    #[arg(long, env = "SAMAN_DUPLICATE_WINDOW", default_value = "10m", value_parser = parse_duration)]
    pub duplicate_window: Duration,

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// "500ms", "10s", "10m", "1h", or plain seconds.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let input = input.trim();
    let split = input
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(input.len());
    let (number, unit) = input.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{input}' is not a duration: use e.g. 500ms, 10s, 10m, 1h"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "" | "s" => Ok(Duration::from_secs(number)),
        "m" => Ok(Duration::from_secs(number * 60)),
        "h" => Ok(Duration::from_secs(number * 3600)),
        _ => Err(format!(
            "'{input}' is not a duration: use e.g. 500ms, 10s, 10m, 1h"
        )),
    }
}

impl Config {
    /// The defaults, with the given event store and NATS server (tests, embedding).
    pub fn new(database_url: impl Into<String>, nats_url: impl Into<String>) -> Self {
        let mut config = Self::parse_from(["saman-intake"]);
        config.database_url = database_url.into();
        config.nats_url = nats_url.into();
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
    }
}
