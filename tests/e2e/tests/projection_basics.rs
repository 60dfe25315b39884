//! The projection's basic contract: a client reads its own write through the `after`
//! header, a query names the position it reflects, and read models an earlier version
//! built are rebuilt at start.

use std::time::Duration;

use saman_e2e::*;
use saman_proto::projection::v1 as query;
use sqlx::Connection as _;

on_both_backends! {
    a_client_reads_its_own_write_through_the_after_header => reads_its_own_write;
    read_models_of_an_earlier_version_are_rebuilt_at_start => rebuilt_after_upgrade;
}

async fn reads_its_own_write(backend: Backend) -> anyhow::Result<()> {
    let system = System::start(backend).await?;
    let (reply, progress) = system.one_need("Clean water").await?;
    let needs = progress.needs.expect("needs");
    assert_eq!(needs.total, 1);
    assert_eq!(needs.social, 1);
    assert_eq!(needs.on_time, 1);
    assert_eq!(progress.unanswered_needs.len(), 1);
    assert_eq!(progress.unanswered_needs[0].need_id, reply.entity_id);
    let reflects = progress.reflects.expect("reflects");
    assert!(reflects.position > 0);
    assert_eq!(reflects.as_of.expect("as of").iso, "2018-04-20");
    assert_eq!(progress.name.expect("names").fa, "منطقه 1");

    system.stop().await
}

/// Runs `sql` on the read models' database, as an earlier version would have left it.
async fn execute(backend: Backend, url: &str, sql: &'static str) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => {
            let mut db = sqlx::SqliteConnection::connect(url).await?;
            sqlx::raw_sql(sql).execute(&mut db).await?;
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(url).await?;
            sqlx::raw_sql(sql).execute(&mut db).await?;
        }
    }
    Ok(())
}

async fn rebuilt_after_upgrade(backend: Backend) -> anyhow::Result<()> {
    let system = System::start(backend).await?;
    system.one_need("Clean water").await?;
    let System {
        nats,
        intake,
        projection,
        intake_db,
        projection_db,
    } = system;
    projection.stop().await?;
    // What the version before priorities were kept left: generation 1 of derivation 1,
    // its needs without a priority.
    execute(
        backend,
        projection_db.url(),
        "UPDATE generations SET derivation = 1; UPDATE needs SET priority = NULL;",
    )
    .await?;

    let projection = Projection::start(projection_db.url(), &nats).await?;
    let mut admin = projection.admin().await?;
    let rebuilt = wait_rebuilt(
        &mut admin,
        2,
        Duration::from_secs(60),
        "the rebuild at start",
    )
    .await?;
    assert_eq!(rebuilt.parked, 0, "{rebuilt:?}");
    let budgets = query::ListZoneBudgetsRequest::reading(read_as_of("1397-01-31"))
        .ask(&mut projection.client().await?)
        .await?;
    let zone = &budgets.zones[0];
    let high: Vec<(i32, u32)> = zone
        .needs_by_priority
        .iter()
        .map(|p| (p.priority, p.needs))
        .collect();
    assert_eq!(
        high,
        [(4, 0), (3, 1), (2, 0), (1, 0)],
        "the need's priority (high) is back, none unrecorded"
    );
    // Started again, the rebuilt models are this version's: no second rebuild.
    projection.stop().await?;
    let projection = Projection::start(projection_db.url(), &nats).await?;
    let again = status(&mut projection.admin().await?).await?;
    assert_eq!((again.generation, again.rebuild_position), (2, None));

    System {
        nats,
        intake,
        projection,
        intake_db,
        projection_db,
    }
    .stop()
    .await
}
