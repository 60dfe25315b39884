//! The SQL layer both services stand on: the intake event store and the projection's read
//! models each keep their own SQL, and find here what every SQL store of Saman needs the
//! same way:
//!
//! - [`Backend`]: which engine a database URL names (`sqlite:` or `postgres://` /
//!   `postgresql://`), and [`UnsupportedUrl`] for the rest (only the scheme is kept: URLs
//!   carry passwords; [`redact`] hides the password of a URL that must be shown);
//! - [`SqlError`]: what a store's database fails with, alike in both services (each
//!   store's error holds it and names the store);
//! - [`open`]: a pool opened from a URL with every option both services rely on (SQLite:
//!   WAL, `synchronous=FULL`, a busy timeout, the file created if missing; PostgreSQL: TLS
//!   as the URL's `sslmode` says, the service's `application_name`), its statement cache,
//!   and the service's embedded migrations run before it is handed out;
//! - [`migrations!`]: the calling service's embedded migrations, for [`open`];
//! - [`OnBackend`] and [`dispatch!`]: a store holds one engine per backend and calls the
//!   same generic method whichever it is;
//! - [`to_i64`] / [`to_u64`]: checked conversions between the unsigned values of the domain
//!   and the signed 64-bit integers of SQL, with an error naming the column.
//!
//! The migrations themselves stay in each service (`sqlx::migrate!` embeds the service's
//! own folder): they are that service's schema.

mod open;

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

pub use open::{BUSY_TIMEOUT, Migrations, PoolConfig, open};

/// The SQL engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names: `sqlite:` (`sqlite://path` or `sqlite:path`), or
    /// `postgres://` / `postgresql://`.
    pub fn of_url(url: &str) -> Result<Backend, UnsupportedUrl> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            // Only the scheme: the rest of a URL may carry a password.
            let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
            Err(UnsupportedUrl {
                scheme: scheme.to_owned(),
            })
        }
    }
}

/// Why a store's database failed, alike in every store; the store's own error holds it
/// and says whose database it is ("event store database error: ...").
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded migrations could not be applied (or a recorded migration was changed).
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The folder of a SQLite file could not be created.
    #[error("failed to create the folder {}: {source}", folder.display())]
    Folder {
        folder: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The URL names no supported backend (only the scheme is kept: URLs carry passwords).
    #[error("URL: {0}")]
    UnsupportedUrl(#[from] UnsupportedUrl),
}

/// A database URL naming no supported backend. Only its scheme is kept: URLs carry
/// passwords.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported URL scheme {scheme:?}: expected sqlite:, postgres:// or postgresql://")]
pub struct UnsupportedUrl {
    pub scheme: String,
}

/// One value per backend: a store's engine over SQLite or over PostgreSQL.
#[derive(Clone)]
pub enum OnBackend<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Only the backend: what a store holds for it (a pool and its options) is not for logs.
impl<S, P> std::fmt::Debug for OnBackend<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.backend(), f)
    }
}

/// The pool [`open`] returns.
pub type Pools = OnBackend<SqlitePool, PgPool>;

impl<S, P> OnBackend<S, P> {
    pub fn backend(&self) -> Backend {
        match self {
            OnBackend::Sqlite(_) => Backend::Sqlite,
            OnBackend::Postgres(_) => Backend::Postgres,
        }
    }

    /// Turns each backend's value into another (e.g. a pool into the store's engine).
    pub fn map<S2, P2>(
        self,
        sqlite: impl FnOnce(S) -> S2,
        postgres: impl FnOnce(P) -> P2,
    ) -> OnBackend<S2, P2> {
        match self {
            OnBackend::Sqlite(s) => OnBackend::Sqlite(sqlite(s)),
            OnBackend::Postgres(p) => OnBackend::Postgres(postgres(p)),
        }
    }
}

/// Evaluates the same expression (typically a call of a generic engine method) on the
/// value of whichever backend an [`OnBackend`] holds:
/// `dispatch!(&self.inner, e => e.read_all(0, 10).await)`.
#[macro_export]
macro_rules! dispatch {
    ($on:expr, $engine:ident => $call:expr) => {
        match $on {
            $crate::OnBackend::Sqlite($engine) => $call,
            $crate::OnBackend::Postgres($engine) => $call,
        }
    };
}

/// The calling service's embedded migrations, one folder per backend next to its
/// `Cargo.toml` (`migrations/sqlite`, `migrations/postgres`), as [`open`] takes them:
/// `saman_sql::open(url, &config, &saman_sql::migrations!())`.
#[macro_export]
macro_rules! migrations {
    () => {{
        static SQLITE: ::sqlx::migrate::Migrator = ::sqlx::migrate!("./migrations/sqlite");
        static POSTGRES: ::sqlx::migrate::Migrator = ::sqlx::migrate!("./migrations/postgres");
        $crate::Migrations {
            sqlite: &SQLITE,
            postgres: &POSTGRES,
        }
    }};
}

/// The context of a failure to open `what` ("the event store") at `url`, the URL's
/// password redacted.
pub fn failed_to_open(what: &str, url: &str) -> String {
    format!("Failed to open {what} at {}", redact(url))
}

/// A URL with the password of its authority replaced by `***`, to show in logs and
/// errors.
pub fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    if let Some(at) = url[start..end].rfind('@').map(|i| start + i)
        && let Some(colon) = url[start..at].find(':').map(|i| start + i)
    {
        return format!("{}:***{}", &url[..colon], &url[at..]);
    }
    url.to_owned()
}

/// A value that does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// A stored integer is negative where the value is unsigned (a corrupt row).
    #[error("negative {column}: {value}")]
    Negative { column: String, value: i64 },
    /// An unsigned value above `i64::MAX`, which no 64-bit signed column holds.
    #[error("{column} {value} does not fit a 64-bit signed integer")]
    TooLarge { column: String, value: u64 },
}

/// A stored (signed) integer as the unsigned value it holds; `column` names it in the error.
pub fn to_u64(value: i64, column: &str) -> Result<u64, RangeError> {
    u64::try_from(value).map_err(|_| RangeError::Negative {
        column: column.to_owned(),
        value,
    })
}

/// An unsigned value as a 64-bit signed column stores it; `column` names it in the error.
pub fn to_i64(value: u64, column: &str) -> Result<i64, RangeError> {
    i64::try_from(value).map_err(|_| RangeError::TooLarge {
        column: column.to_owned(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            Backend::of_url("sqlite://a.db?mode=rwc"),
            Ok(Backend::Sqlite)
        );
        assert_eq!(Backend::of_url("sqlite:a.db"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://h/db"), Ok(Backend::Postgres));
        assert_eq!(Backend::of_url("postgresql://h/db"), Ok(Backend::Postgres));
        assert_eq!(
            Backend::of_url("mysql://u:secret@h/db"),
            Err(UnsupportedUrl {
                scheme: "mysql".to_owned()
            })
        );
        assert_eq!(Backend::of_url("nonsense").unwrap_err().scheme, "");
    }

    #[test]
    fn redact_hides_the_password() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(
            redact("sqlite://a/b.db?mode=rwc"),
            "sqlite://a/b.db?mode=rwc"
        );
    }

    #[test]
    fn conversions_name_the_column() {
        assert_eq!(to_i64(7, "x"), Ok(7));
        assert_eq!(to_i64(i64::MAX.unsigned_abs(), "x"), Ok(i64::MAX));
        assert_eq!(
            to_i64(u64::MAX, "stream version").unwrap_err().to_string(),
            format!(
                "stream version {} does not fit a 64-bit signed integer",
                u64::MAX
            )
        );
        assert_eq!(to_u64(7, "x"), Ok(7));
        assert_eq!(
            to_u64(-1, "position").unwrap_err().to_string(),
            "negative position: -1"
        );
    }
}
