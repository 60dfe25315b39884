//! Fresh databases, one per test: a SQLite file in a temporary folder, or a PostgreSQL
//! database of its own on the server `DATABASE_URL` names.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use tempfile::TempDir;

use crate::Backend;

/// Error text when `DATABASE_URL` is missing.
const NO_DATABASE_URL: &str = "DATABASE_URL is not set: run the tests with scripts/test, which \
     starts a private PostgreSQL (or export DATABASE_URL=postgres://...)";

/// A fresh, empty database, private to one test.
///
/// SQLite: a new file in a temporary directory that lives as long as the `TestDb`.
/// PostgreSQL: a new database `saman_test_<uuid>` on the server named by `DATABASE_URL`,
/// dropped (best effort, `WITH (FORCE)`) when the `TestDb` is dropped.
pub struct TestDb {
    backend: Backend,
    url: String,
    inner: Inner,
}

enum Inner {
    Sqlite {
        _dir: TempDir,
    },
    Postgres {
        /// The server's maintenance database (the `DATABASE_URL`); boxed, being large.
        admin: Box<PgConnectOptions>,
        /// Name of the database created for this test.
        name: String,
    },
}

impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TestDb({} at {})", self.backend, redact(&self.url))
    }
}

impl TestDb {
    /// Creates a fresh database on `backend`.
    pub async fn new(backend: Backend) -> anyhow::Result<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("saman-test-sqlite-")
                    .tempdir()
                    .context("creating a temporary directory for SQLite")?;
                let path = dir.path().join("test.db");
                let path = path
                    .to_str()
                    .context("temporary directory path is not UTF-8")?;
                Ok(TestDb {
                    backend,
                    url: format!("sqlite://{path}?mode=rwc"),
                    inner: Inner::Sqlite { _dir: dir },
                })
            }
            Backend::Postgres => {
                let admin = admin_options(std::env::var("DATABASE_URL").ok())?;
                let name = format!("saman_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = admin.connect().await.with_context(|| {
                    format!(
                        "connecting to PostgreSQL at DATABASE_URL={} (is the server running? \
                         scripts/test starts a private one)",
                        redact(admin.to_url_lossy().as_str())
                    )
                })?;
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("CREATE DATABASE {name}"))?;
                let _ = conn.close().await;
                Ok(TestDb {
                    backend,
                    url: admin.clone().database(&name).to_url_lossy().to_string(),
                    inner: Inner::Postgres {
                        admin: Box::new(admin),
                        name,
                    },
                })
            }
        }
    }

    /// The URL to connect to this database (sqlx syntax).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The backend of this database.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Inner::Postgres { admin, name } = &self.inner else {
            return;
        };
        let admin = admin.as_ref().clone();
        let name = name.clone();
        // Drop may run inside a tokio runtime (where blocking on another runtime panics):
        // do the work on a plain thread with its own small runtime, and wait for it a bounded time.
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("saman-testdb-drop".into())
            .spawn(move || {
                let result = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|rt| rt.block_on(drop_database(&admin, &name)));
                let _ = tx.send(result.is_ok());
            });
        if spawned.is_ok() {
            let _ = rx.recv_timeout(Duration::from_secs(15));
        }
    }
}

async fn drop_database(admin: &PgConnectOptions, name: &str) {
    let Ok(mut conn) = PgConnection::connect_with(admin).await else {
        return;
    };
    let forced = sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await;
    if forced.is_err() {
        // PostgreSQL before 13 has no WITH (FORCE).
        let _ = sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'; \
             DROP DATABASE IF EXISTS \"{name}\""
        )))
        .execute(&mut conn)
        .await;
    }
    let _ = conn.close().await;
}

/// The server's maintenance database, from the value of `DATABASE_URL`.
fn admin_options(var: Option<String>) -> anyhow::Result<PgConnectOptions> {
    let url = match var {
        Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
        _ => bail!(NO_DATABASE_URL),
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "DATABASE_URL must be a postgres:// URL (got {}): run the tests with scripts/test, \
             which starts a private PostgreSQL (or export DATABASE_URL=postgres://...)",
            redact(&url)
        );
    }
    PgConnectOptions::from_str(&url)
        .with_context(|| format!("DATABASE_URL={} is not a PostgreSQL URL", redact(&url)))
}

/// `url` without its password, for error messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL of the test database `name` on the server of `admin_url`.
    fn database_url(admin_url: &str, name: &str) -> String {
        let admin = admin_options(Some(admin_url.into())).unwrap();
        admin.database(name).to_url_lossy().to_string()
    }

    #[test]
    fn a_test_database_is_on_the_same_server_as_the_admin_url() {
        for (admin, expected) in [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/x?",
            ),
            (
                "postgres://u:p@h:1/db?sslmode=disable",
                "postgres://u:p@h:1/x?sslmode=disable&",
            ),
            ("postgres://u@h:5433", "postgres://u@h:5433/x?"),
        ] {
            let url = database_url(admin, "x");
            assert!(url.starts_with(expected), "{admin}: {url}");
            let options = PgConnectOptions::from_str(&url).unwrap();
            assert_eq!(options.get_database(), Some("x"), "{url}");
        }
        // A unix socket folder stays one.
        let url = database_url("postgresql:///postgres?host=/tmp", "x");
        let options = PgConnectOptions::from_str(&url).unwrap();
        assert_eq!(options.get_database(), Some("x"), "{url}");
        assert_eq!(
            options.get_socket(),
            Some(&std::path::PathBuf::from("/tmp")),
            "{url}"
        );
    }

    #[test]
    fn redact_hides_the_password() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn missing_database_url_says_how_to_fix_it() {
        for var in [None, Some(String::new()), Some("  ".to_owned())] {
            let err = admin_options(var).unwrap_err().to_string();
            assert_eq!(err, NO_DATABASE_URL);
            assert!(err.contains("DATABASE_URL is not set"));
            assert!(err.contains("scripts/test"));
        }
        let err = admin_options(Some("mysql://u:pw@h/db".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("postgres://"), "{err}");
        assert!(!err.contains("pw"), "{err}");
        let admin =
            admin_options(Some("postgres://postgres@127.0.0.1:5432/postgres".into())).unwrap();
        assert_eq!(admin.get_host(), "127.0.0.1");
        assert_eq!(admin.get_port(), 5432);
        assert_eq!(admin.get_username(), "postgres");
        assert_eq!(admin.get_database(), Some("postgres"));
    }
}
