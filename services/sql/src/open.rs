//! Opening a pool from a URL, with the options every Saman store relies on, and running the
//! service's embedded migrations on it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migrate, Migrator};
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Database, Pool};

use crate::{Backend, OnBackend, Pools, SqlError};

/// What differs between the services when they open their database.
#[derive(Debug, Clone, Copy)]
pub struct PoolConfig<'a> {
    /// PostgreSQL's `application_name` of the pool's sessions (`pg_stat_activity` shows it).
    pub application_name: &'a str,
    /// Bounds the pool (at least 1). On SQLite writers serialize anyway (one write lock);
    /// more connections only help concurrent readers.
    pub max_connections: u32,
    /// Prepared statements each connection keeps; `None`: sqlx's default (100).
    pub statement_cache: Option<usize>,
}

/// SQLite: how long a writer waits for the write lock before failing with SQLITE_BUSY.
/// Writers hold it for one transaction (a group commit, a batch of the feed: milliseconds),
/// so only something stuck reaches it.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A service's embedded migrations, one folder per backend (`sqlx::migrate!`).
#[derive(Debug, Clone, Copy)]
pub struct Migrations<'a> {
    pub sqlite: &'a Migrator,
    pub postgres: &'a Migrator,
}

/// Opens the pool `url` names and runs the migrations of its backend before returning.
///
/// - `sqlite://path?mode=rwc` (or `sqlite:path`): the file (and its folder) is created if missing; WAL,
///   `synchronous=FULL`, the busy timeout, foreign keys on;
/// - `postgres://...` / `postgresql://...`: TLS as the URL's `sslmode` asks (sqlx's default,
///   `prefer`, uses TLS when the server offers it).
///
pub async fn open(
    url: &str,
    config: &PoolConfig<'_>,
    migrations: &Migrations<'_>,
) -> Result<Pools, SqlError> {
    Ok(match Backend::of_url(url)? {
        Backend::Sqlite => {
            let options = sqlite_options(url, config)?;
            OnBackend::Sqlite(pool(config, options, migrations.sqlite).await?)
        }
        Backend::Postgres => {
            let options = postgres_options(url, config)?;
            OnBackend::Postgres(pool(config, options, migrations.postgres).await?)
        }
    })
}

fn sqlite_options(url: &str, config: &PoolConfig<'_>) -> Result<SqliteConnectOptions, SqlError> {
    let options = SqliteConnectOptions::from_str(url)?;
    // SQLite creates its file but not the file's folder.
    if let Some(folder) = options.get_filename().parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder).map_err(|source| SqlError::Folder {
            folder: folder.to_owned(),
            source,
        })?;
    }
    let options = options
        .create_if_missing(true)
        // WAL: readers (the relay, queries) never block the writer, nor it them.
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: in WAL mode each commit is fsynced before it returns, so an acknowledged
        // append, or a committed batch and its checkpoint, survives a power cut (NORMAL
        // would only survive a process crash: the projection acknowledges messages after
        // its commit, and JetStream would not redeliver a batch lost then).
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true);
    Ok(match config.statement_cache {
        Some(capacity) => options.statement_cache_capacity(capacity),
        None => options,
    })
}

fn postgres_options(url: &str, config: &PoolConfig<'_>) -> sqlx::Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(url)?.application_name(config.application_name);
    Ok(match config.statement_cache {
        Some(capacity) => options.statement_cache_capacity(capacity),
        None => options,
    })
}

/// The pool of either backend from its connect options, bounded as `config` says, with
/// the migrations run before it is handed out.
async fn pool<DB>(
    config: &PoolConfig<'_>,
    options: <DB::Connection as Connection>::Options,
    migrator: &Migrator,
) -> Result<Pool<DB>, SqlError>
where
    DB: Database,
    DB::Connection: Migrate,
{
    let pool = PoolOptions::<DB>::new()
        .max_connections(config.max_connections.max(1))
        .connect_with(options)
        .await?;
    // On PostgreSQL sqlx's migrator holds an advisory lock while it runs: replicas starting
    // together apply each migration once.
    migrator.run(&pool).await?;
    Ok(pool)
}
