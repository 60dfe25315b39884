//! Which database failures the read models retry and which park the event: the
//! classification (`ReadModelError::kind`) of real errors from real SQLite and real
//! PostgreSQL (`DATABASE_URL`, as `scripts/test` provides), each provoked the way it
//! happens in production.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use saman_harness::{Backend, TestDb};
use saman_projection::readmodel::{FailureKind, ReadModelError};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, Executor, PgConnection, Row, SqliteConnection};

type Result<T = ()> = anyhow::Result<T>;

/// Asserts that `result` failed with a failure of `expected` kind; returns the error's text.
fn assert_kind<T: std::fmt::Debug>(
    result: std::result::Result<T, sqlx::Error>,
    expected: FailureKind,
) -> String {
    let (kind, text) = kind_of(result);
    assert_eq!(kind, expected, "{text}");
    text
}

/// The classification of what `result` failed with; fails the test if it did not fail.
fn kind_of<T: std::fmt::Debug>(
    result: std::result::Result<T, sqlx::Error>,
) -> (FailureKind, String) {
    match result {
        Ok(value) => panic!("expected a failure, got {value:?}"),
        Err(err) => {
            let text = err.to_string();
            (ReadModelError::from(err).kind(), text)
        }
    }
}

/// Runs `statements` on `conn`, one after the other.
async fn execute_each(conn: &mut PgConnection, statements: &[&'static str]) -> Result {
    for &statement in statements {
        conn.execute(statement).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_failures_are_classified() -> Result {
    use FailureKind::{Deterministic, Transient};
    let db = TestDb::new(Backend::Sqlite).await?;
    let mut a = SqliteConnection::connect(db.url()).await?;
    a.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT")
        .await?;
    a.execute("INSERT INTO t VALUES (1, 'one')").await?;

    // A constraint: the same key again, a NULL where none may be.
    assert_kind(
        a.execute("INSERT INTO t VALUES (1, 'again')").await,
        Deterministic,
    );
    assert_kind(
        a.execute("INSERT INTO t VALUES (2, NULL)").await,
        Deterministic,
    );
    // A type a STRICT table refuses (SQLITE_CONSTRAINT_DATATYPE).
    assert_kind(
        a.execute("INSERT INTO t VALUES ('two', 'x')").await,
        Deterministic,
    );
    // An SQL error (no such column).
    assert_kind(a.execute("SELECT nope FROM t").await, Deterministic);
    // A value that does not decode as asked.
    let row = sqlx::query("SELECT v FROM t").fetch_one(&mut a).await?;
    assert_kind(row.try_get::<i64, _>(0), Deterministic);

    // Busy: another connection holds the write lock (and this one does not wait).
    a.execute("BEGIN IMMEDIATE").await?;
    let impatient = SqliteConnectOptions::from_str(db.url())?.busy_timeout(Duration::ZERO);
    let mut b = SqliteConnection::connect_with(&impatient).await?;
    let text = assert_kind(b.execute("BEGIN IMMEDIATE").await, Transient);
    assert!(text.contains("code: 5"), "SQLITE_BUSY: {text}");
    a.execute("ROLLBACK").await?;

    // A pool closed while the feed asks for a connection.
    let pool = SqlitePoolOptions::new().connect(db.url()).await?;
    pool.close().await;
    assert_kind(pool.acquire().await, Transient);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_failures_are_classified() -> Result {
    use FailureKind::{Deterministic, Transient};
    let db = TestDb::new(Backend::Postgres).await?;
    let mut a = PgConnection::connect(db.url()).await?;
    let mut b = PgConnection::connect(db.url()).await?;
    a.execute("CREATE TABLE t (k bigint PRIMARY KEY, v text NOT NULL)")
        .await?;
    a.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
        .await?;

    // Text with a NUL character: 22021, which SQLite stores.
    let text = assert_kind(
        sqlx::query("INSERT INTO t VALUES (3, $1)")
            .bind("a\0b")
            .execute(&mut a)
            .await,
        Deterministic,
    );
    assert!(text.contains("0x00"), "{text}");
    // A constraint (23505, 23502), a number out of range (22003), a syntax error (42601),
    // an undefined column (42703).
    for sql in [
        "INSERT INTO t VALUES (1, 'again')",
        "INSERT INTO t VALUES (4, NULL)",
        "SELECT 9223372036854775807 + 1",
        "SELEC 1",
        "SELECT nope FROM t",
    ] {
        let (kind, text) = kind_of(a.execute(sql).await);
        assert_eq!(kind, Deterministic, "{sql}: {text}");
    }
    // A value that does not decode as asked.
    let row = sqlx::query("SELECT v FROM t WHERE k = 1")
        .fetch_one(&mut a)
        .await?;
    assert_kind(row.try_get::<i64, _>(0), Deterministic);

    // A statement timeout (57014).
    a.execute("SET statement_timeout = '20ms'").await?;
    assert_kind(a.execute("SELECT pg_sleep(2)").await, Transient);
    a.execute("SET statement_timeout = 0").await?;

    // A serialization failure (40001): a row changed since the transaction's snapshot.
    execute_each(
        &mut a,
        &["BEGIN ISOLATION LEVEL REPEATABLE READ", "SELECT * FROM t"],
    )
    .await?;
    b.execute("UPDATE t SET v = 'b' WHERE k = 1").await?;
    assert_kind(
        a.execute("UPDATE t SET v = 'a' WHERE k = 1").await,
        Transient,
    );
    a.execute("ROLLBACK").await?;

    // A lock not available (55P03).
    execute_each(&mut a, &["BEGIN", "LOCK TABLE t"]).await?;
    b.execute("SET lock_timeout = '20ms'").await?;
    assert_kind(b.execute("SELECT * FROM t").await, Transient);
    a.execute("ROLLBACK").await?;
    b.execute("SET lock_timeout = 0").await?;

    // A deadlock (40P01): each holds the row the other wants.
    for (conn, row) in [
        (&mut a, "UPDATE t SET v = 'a' WHERE k = 1"),
        (&mut b, "UPDATE t SET v = 'b' WHERE k = 2"),
    ] {
        execute_each(conn, &["SET deadlock_timeout = '50ms'", "BEGIN", row]).await?;
    }
    let (first, second) = tokio::join!(
        a.execute("UPDATE t SET v = 'a' WHERE k = 2"),
        b.execute("UPDATE t SET v = 'b' WHERE k = 1"),
    );
    let failed = match (first, second) {
        (Err(err), Ok(_)) | (Ok(_), Err(err)) => err,
        other => anyhow::bail!("expected one deadlock victim, got {other:?}"),
    };
    assert!(
        failed
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|c| c == "40P01"),
        "{failed}"
    );
    assert_eq!(ReadModelError::from(failed).kind(), Transient);
    a.execute("ROLLBACK").await?;
    b.execute("ROLLBACK").await?;

    // The connection terminated by an administrator (57P01, or the socket closing).
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut b)
        .await?;
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(&mut a)
        .await
        .context("pg_terminate_backend")?;
    assert_kind(b.execute("SELECT 1").await, Transient);
    Ok(())
}
