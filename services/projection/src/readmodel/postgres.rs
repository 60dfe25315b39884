//! PostgreSQL: production.

use std::str::FromStr;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::ReadModelError;
use super::engine::{Dialect, Engine};

pub(super) async fn open(
    url: &str,
    max_connections: u32,
) -> Result<Engine<Postgres>, ReadModelError> {
    let options = PgConnectOptions::from_str(url)?.application_name("saman-projection");
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    // sqlx's migrator holds an advisory lock while it runs: replicas starting together
    // apply each migration once.
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(Engine::new(pool))
}

impl Dialect for Postgres {
    const BEGIN_WRITE: Option<&'static str> = None;
    // READ COMMITTED gives every statement its own snapshot: a reply assembled from
    // several statements could mix two commits. REPEATABLE READ keeps one snapshot.
    const BEGIN_READ: Option<&'static str> =
        Some("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    // Two writers of one generation (say, two projection processes by mistake) take
    // turns on the generation's row: the second sees the first's checkpoint and applied
    // events, so nothing counts twice.
    const CHECKPOINT_FOR_UPDATE: &'static str =
        "SELECT position FROM generations WHERE generation = $1 FOR UPDATE";
}
