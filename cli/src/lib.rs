//! `saman`: Saman from the command line.
//!
//! Layout:
//! - [`args`]: the command line as clap reads it, with every subcommand's help and
//!   example;
//! - [`write`]: write subcommands → intake requests ([`submit`] holds the fifteen
//!   writes as one type) → what was recorded;
//! - [`read`], [`watch`]: the projection's queries and its live progress stream;
//! - [`events`]: the raw events on NATS JetStream, as subscribers see them;
//! - [`scenario`]: the 1397 programme year, planned from a seed and sent to intake;
//! - [`output`]: tables in both calendars, or JSON by reflection over the contract;
//! - [`error`]: one error type, and the exit code of each kind of failure;
//! - [`actor`], [`connect`]: the `--as` flag; channels to the services;
//! - [`credentials`], [`token`], [`login`]: the token of each call (given, minted with
//!   the development key, or kept by `saman login`).
//! - [`tls`]: development certificates.

pub mod actor;
pub mod args;
pub mod connect;
pub mod credentials;
pub mod error;
pub mod events;
pub mod login;
pub mod manual;
pub mod output;
pub mod read;
pub mod scenario;
pub mod submit;
pub mod tls;
pub mod token;
pub mod watch;
pub mod write;

use std::process::ExitCode;

use args::{Cli, Command};
use error::CliError;

/// Runs one command line; prints the failure (one line, or JSON with `--json`) and
/// turns it into the exit code of its kind.
pub async fn main(cli: Cli) -> ExitCode {
    let json = cli.global.json;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if json {
                eprintln!("{}", err.to_json());
            } else {
                eprintln!("saman: {err}");
            }
            err.exit_code()
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let global = &cli.global;
    match cli.command {
        Command::Zones(read) => read::zones(read, global).await,
        Command::Zone(args::ZoneCommand::Register(zone)) => {
            write::run(write::zone(zone), global).await
        }
        Command::Zone(args::ZoneCommand::Show { zone, read }) => {
            read::zone(zone, read, global).await
        }
        Command::Summary(read) => read::summary(read, global).await,
        Command::Compliance(read) => read::compliance(read, global).await,
        Command::Cooperation(read) => read::cooperation(read, global).await,
        Command::Overdue(read) => read::overdue(read, global).await,
        Command::Referrals(read) => read::referrals(read, global).await,
        Command::Decisions(read) => read::decisions(read, global).await,
        Command::Activities(read) => read::activities(read, global).await,
        Command::Late(read) => read::late(read, global).await,
        Command::Budgets(read) => read::budgets(read, global).await,
        Command::Members(read) => read::members(read, global).await,
        Command::Corrections(read) => read::corrections(read, global).await,
        Command::Supervision(args::SupervisionCommand::Show(read)) => {
            read::supervision(read, global).await
        }
        Command::Supervision(args::SupervisionCommand::Report {
            ngo,
            zone,
            findings,
            rating,
            write: opts,
        }) => {
            write::run(
                write::supervision_report(ngo, zone, findings, rating, opts),
                global,
            )
            .await
        }
        Command::Zone(args::ZoneCommand::Series { zone, read }) => {
            read::zone_series(zone, read, global).await
        }
        Command::Timeline(timeline) => read::timeline(timeline, global).await,
        Command::Watch(watch) => watch::run(watch, global).await,
        Command::Events(events) => events::run(events, global).await,
        Command::Admin(admin) => read::admin(admin, global).await,
        Command::Token(token) => token::run(token, global),
        Command::Login(args) => login::login(args, global).await,
        Command::Logout => login::logout(global),
        Command::Tls(tls) => tls::run(tls),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { dir } => manual::man(dir.as_deref()),
        Command::Write(c) => write::run(write::request(c), global).await,
        Command::Scenario(scenario) => scenario::scenario(scenario, global).await,
    }
}
