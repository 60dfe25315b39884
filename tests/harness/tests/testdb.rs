//! Fresh databases on both backends are usable and distinct.

use saman_harness::{Backend, TestDb};
use sqlx::{PgPool, SqlitePool};

/// Each pool answers `SELECT 1`; a table created and written in `$a` reads back there,
/// and `$b` (another database) does not see it. (A macro: the pools' types differ.)
macro_rules! a_table_in_one_only {
    ($a:ident, $b:ident) => {
        for pool in [&$a, &$b] {
            let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(pool).await?;
            assert_eq!(one, 1);
        }
        sqlx::raw_sql("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (42)")
            .execute(&$a)
            .await?;
        let x: i32 = sqlx::query_scalar("SELECT x FROM t").fetch_one(&$a).await?;
        assert_eq!(x, 42);
        // The other database does not see the table.
        assert!(sqlx::query("SELECT x FROM t").fetch_one(&$b).await.is_err());
    };
}

/// Two fresh databases on `backend`, with different URLs.
async fn two_databases(backend: Backend) -> anyhow::Result<(TestDb, TestDb)> {
    let a = TestDb::new(backend).await?;
    let b = TestDb::new(backend).await?;
    assert_eq!(a.backend(), backend);
    assert_eq!(b.backend(), backend);
    assert_ne!(a.url(), b.url());
    Ok((a, b))
}

#[tokio::test]
async fn sqlite_database_is_usable_and_distinct() -> anyhow::Result<()> {
    let (a, b) = two_databases(Backend::Sqlite).await?;
    assert!(a.url().starts_with("sqlite://"), "{}", a.url());
    assert!(a.url().ends_with("?mode=rwc"), "{}", a.url());

    let pa = SqlitePool::connect(a.url()).await?;
    let pb = SqlitePool::connect(b.url()).await?;
    a_table_in_one_only!(pa, pb);
    pa.close().await;
    pb.close().await;
    Ok(())
}

#[tokio::test]
async fn sqlite_file_is_removed_on_drop() -> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let pool = SqlitePool::connect(db.url()).await?;
    sqlx::query("CREATE TABLE t (x INTEGER)")
        .execute(&pool)
        .await?;
    pool.close().await;
    let path = db
        .url()
        .strip_prefix("sqlite://")
        .and_then(|u| u.strip_suffix("?mode=rwc"))
        .expect("sqlite url shape")
        .to_owned();
    assert!(std::path::Path::new(&path).exists());
    drop(db);
    assert!(!std::path::Path::new(&path).exists());
    Ok(())
}

#[tokio::test]
async fn postgres_database_is_usable_and_distinct() -> anyhow::Result<()> {
    let (a, b) = two_databases(Backend::Postgres).await?;
    assert!(a.url().starts_with("postgres"), "{}", a.url());

    let pa = PgPool::connect(a.url()).await?;
    let pb = PgPool::connect(b.url()).await?;
    a_table_in_one_only!(pa, pb);

    let name_a: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&pa)
        .await?;
    let name_b: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&pb)
        .await?;
    assert!(name_a.starts_with("saman_test_"), "{name_a}");
    assert_ne!(name_a, name_b);
    pb.close().await;
    // Leave `pa` open: dropping the TestDb must still drop the database (WITH (FORCE)).
    let admin = std::env::var("DATABASE_URL")?;
    drop(a);
    drop(b);
    let admin = PgPool::connect(&admin).await?;
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1 OR datname = $2")
            .bind(&name_a)
            .bind(&name_b)
            .fetch_one(&admin)
            .await?;
    assert_eq!(left, 0, "test databases still exist after drop");
    drop(pa);
    admin.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_drop_inside_a_multi_thread_runtime_does_not_panic() -> anyhow::Result<()> {
    let db = TestDb::new(Backend::Postgres).await?;
    let pool = PgPool::connect(db.url()).await?;
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await?;
    assert_eq!(one, 1);
    drop(db);
    Ok(())
}

#[tokio::test]
async fn many_postgres_databases_at_once() -> anyhow::Result<()> {
    let dbs = spawn_all((0..6).map(|_| TestDb::new(Backend::Postgres))).await?;
    let mut urls: Vec<&str> = dbs.iter().map(TestDb::url).collect();
    urls.sort_unstable();
    urls.dedup();
    assert_eq!(urls.len(), dbs.len());
    Ok(())
}

/// Runs the futures concurrently, each on its own task, and collects their results.
async fn spawn_all<F, T>(futs: impl Iterator<Item = F>) -> anyhow::Result<Vec<T>>
where
    F: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await??);
    }
    Ok(out)
}
