//! SQLite: the embedded default, one file.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::ReadModelError;
use super::engine::{Dialect, Engine};

/// How long a writer waits for the write lock (the live feed and a rebuild both write).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) async fn open(
    url: &str,
    max_connections: u32,
) -> Result<Engine<Sqlite>, ReadModelError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // WAL: queries never block the feed, nor it them.
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed batch (and its checkpoint) survives a power cut. The feed
        // acknowledges messages after the commit; with NORMAL a power cut could lose a
        // batch JetStream no longer redelivers.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(Engine::new(pool))
}

impl Dialect for Sqlite {
    // IMMEDIATE takes the write lock at BEGIN, so a batch's reads (checkpoint, dedupe)
    // and writes see one state, and writers queue on the busy timeout instead of failing
    // on a lock upgrade (SQLITE_BUSY_SNAPSHOT).
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");
    // A deferred transaction in WAL mode reads one snapshot from its first read on.
    const BEGIN_READ: Option<&'static str> = None;
    // The write lock taken at BEGIN IMMEDIATE already serialises writers.
    const CHECKPOINT_FOR_UPDATE: &'static str =
        "SELECT position FROM generations WHERE generation = $1";
}
