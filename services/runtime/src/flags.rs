//! Flags both services take the same way, as clap groups each service's `Config`
//! flattens in: one definition of their name, environment variable and default.

use clap::Args;

/// Where the NATS servers are.
#[derive(Debug, Clone, Args)]
pub struct NatsFlags {
    /// NATS server(s), comma-separated.
    #[arg(
        id = "nats_url",
        long = "nats-url",
        env = "SAMAN_NATS_URL",
        default_value = "nats://127.0.0.1:4222",
        value_name = "NATS_URL"
    )]
    pub url: String,
}

impl NatsFlags {
    /// The servers to try in turn ([`crate::nats_servers`]).
    pub fn servers(&self) -> Vec<String> {
        crate::nats_servers(&self.url)
    }
}
