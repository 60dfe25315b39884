//! The projection binary: configuration, then [`saman_runtime::service::Binary::run`] with
//! [`saman_projection::server::run`].

use clap::Parser;
use saman_projection::config::Config;
use saman_projection::server;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    config.binary().run(config, server::run).await
}
