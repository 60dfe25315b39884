//! The intake binary: configuration, then [`saman_runtime::service::Binary::run`] with
//! [`saman_intake::server::run`].

use clap::Parser;
use saman_intake::config::Config;
use saman_intake::server;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    config.binary().run(config, server::run).await
}
