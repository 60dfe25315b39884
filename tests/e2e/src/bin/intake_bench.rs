//! Intake throughput: N concurrent gRPC clients each declaring needs, against a
//! private nats-server and a fresh database, intake in-process. Prints the
//! acknowledged submissions per second and the time until JetStream holds them all.
//!
//! ```text
//! cargo run --release -p saman-e2e --bin intake_bench -- --backend sqlite
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p saman-e2e --bin intake_bench -- --backend postgres --clients 64
//! ```

use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use saman_e2e::*;

#[derive(Clone, Copy, ValueEnum)]
enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Parser)]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Engine,
    /// Concurrent clients, one connection each.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Submissions in all.
    #[arg(long, default_value_t = 20_000)]
    submissions: usize,
    /// Zones the needs are spread over.
    #[arg(long, default_value_t = 10)]
    zones: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Logs only when asked: RUST_LOG=saman_intake::writer=debug shows every batch.
    if std::env::var_os("RUST_LOG").is_some() {
        saman_runtime::telemetry::init("intake_bench", saman_runtime::LogFormat::Text);
    }
    let backend = match args.backend {
        Engine::Sqlite => Backend::Sqlite,
        Engine::Postgres => Backend::Postgres,
    };
    let WriteSide {
        nats,
        intake_db: db,
        intake,
    } = WriteSide::start(backend, args.zones, args.clients).await?;
    let setup = stored_events(db.url()).await?.len();

    let per_client = args.submissions / args.clients;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let mut client = intake.client().await?;
        let zones = args.zones;
        tasks.push(tokio::spawn(async move {
            for i in 0..per_client {
                let zone = format!("zone-{:02}", (c + i) % zones + 1);
                let request =
                    declare_need(&zone, &format!("m-{:03}", c + 1), &format!("need {c}/{i}"));
                client.declare_need(request).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let acknowledged = started.elapsed();
    let total = per_client * args.clients;
    wait_stream_count(&nats, (setup + total) as u64, Duration::from_secs(600)).await?;
    let on_jetstream = started.elapsed();
    println!(
        "{backend}: {total} submissions from {} clients: {:.0} acknowledged/s ({acknowledged:.2?}); all on JetStream after {on_jetstream:.2?}",
        args.clients,
        total as f64 / acknowledged.as_secs_f64()
    );
    intake.stop().await?;
    Ok(())
}
