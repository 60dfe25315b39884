//! Logs and traces through `tracing`: human-readable by default, JSON for log
//! collectors; the filter comes from `RUST_LOG` (default `info`).

use tracing_subscriber::{EnvFilter, fmt};

use crate::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    // A second init (tests starting several servers) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
