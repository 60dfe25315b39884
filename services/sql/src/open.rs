//! Opening a pool from a URL, with the options every Saman store relies on, and running the
//! service's embedded migrations on it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Backend, OnBackend, Pools, UnsupportedUrl};

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
    /// SQLite: how long a writer waits for the write lock before failing with SQLITE_BUSY.
    pub busy_timeout: Duration,
}

/// A service's embedded migrations, one folder per backend (`sqlx::migrate!`).
#[derive(Debug, Clone, Copy)]
pub struct Migrations<'a> {
    pub sqlite: &'a Migrator,
    pub postgres: &'a Migrator,
}

/// Opens the pool `url` names and runs the migrations of its backend before returning.
///
/// - `sqlite://path?mode=rwc` (or `sqlite:path`): the file is created if missing; WAL,
///   `synchronous=FULL`, the busy timeout, foreign keys on;
/// - `postgres://...` / `postgresql://...`: TLS as the URL's `sslmode` asks (sqlx's default,
///   `prefer`, uses TLS when the server offers it).
///
/// The error type is the service's own, so its messages stay the service's.
pub async fn open<E>(
    url: &str,
    config: &PoolConfig<'_>,
    migrations: &Migrations<'_>,
) -> Result<Pools, E>
where
    E: From<UnsupportedUrl> + From<sqlx::Error> + From<MigrateError>,
{
    Ok(match Backend::of_url(url)? {
        Backend::Sqlite => {
            OnBackend::Sqlite(open_sqlite::<E>(url, config, migrations.sqlite).await?)
        }
        Backend::Postgres => {
            OnBackend::Postgres(open_postgres::<E>(url, config, migrations.postgres).await?)
        }
    })
}

async fn open_sqlite<E>(
    url: &str,
    config: &PoolConfig<'_>,
    migrator: &Migrator,
) -> Result<SqlitePool, E>
where
    E: From<sqlx::Error> + From<MigrateError>,
{
    let mut options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // WAL: readers (the relay, queries) never block the writer, nor it them.
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: in WAL mode each commit is fsynced before it returns, so an acknowledged
        // append, or a committed batch and its checkpoint, survives a power cut (NORMAL
        // would only survive a process crash: the projection acknowledges messages after
        // its commit, and JetStream would not redeliver a batch lost then).
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(config.busy_timeout)
        .foreign_keys(true);
    if let Some(capacity) = config.statement_cache {
        options = options.statement_cache_capacity(capacity);
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .connect_with(options)
        .await?;
    migrator.run(&pool).await?;
    Ok(pool)
}

async fn open_postgres<E>(
    url: &str,
    config: &PoolConfig<'_>,
    migrator: &Migrator,
) -> Result<PgPool, E>
where
    E: From<sqlx::Error> + From<MigrateError>,
{
    let mut options = PgConnectOptions::from_str(url)?.application_name(config.application_name);
    if let Some(capacity) = config.statement_cache {
        options = options.statement_cache_capacity(capacity);
    }
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .connect_with(options)
        .await?;
    // sqlx's migrator holds an advisory lock while it runs: replicas starting together apply
    // each migration once.
    migrator.run(&pool).await?;
    Ok(pool)
}
