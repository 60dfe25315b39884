//! SQLite: the embedded default, one file.

use std::str::FromStr;
use std::time::Duration;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{
    SqliteArgumentsBuffer, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions,
    SqliteQueryResult, SqliteSynchronous, SqliteTypeInfo, SqliteValueRef,
};
use sqlx::{Decode, Encode, Sqlite, Type};

use super::StoreError;
use super::engine::{DbUuid, Dialect, Engine, STATEMENT_CACHE};

/// How long a writer waits for the write lock before failing with SQLITE_BUSY. Writers hold it
/// for one group commit (milliseconds), so this is only reached if something is stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) async fn open(url: &str, max_connections: u32) -> Result<Engine<Sqlite>, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // WAL: readers (the relay, queries) never block the writer, nor it them.
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: in WAL mode, each commit is fsynced before it returns, so an acknowledged
        // append survives a power cut (NORMAL would only survive a process crash).
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .statement_cache_capacity(STATEMENT_CACHE)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(Engine::new(pool))
}

impl Dialect for Sqlite {
    // IMMEDIATE takes the write lock at BEGIN. A deferred transaction that reads first and then
    // writes must upgrade its lock, and in WAL mode that upgrade fails at once with
    // SQLITE_BUSY_SNAPSHOT if another writer committed meanwhile (the busy timeout does not
    // apply). With IMMEDIATE, writers queue on the busy timeout instead, and the reads of an
    // append see the latest state.
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    fn is_transient(_error: &sqlx::Error) -> bool {
        // BUSY after the busy timeout means something is stuck: report it, do not spin.
        false
    }
}

// UUIDs as hyphenated text: readable in the sqlite3 shell, and the same text PostgreSQL shows.
impl Type<Sqlite> for DbUuid {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <str as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for DbUuid {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.hyphenated().to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbUuid {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(DbUuid(text.parse()?))
    }
}
