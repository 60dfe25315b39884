//! The `saman` binary: parses the command line and runs it (see the library).

use std::process::ExitCode;

use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    saman_cli::main(saman_cli::args::Cli::parse()).await
}
