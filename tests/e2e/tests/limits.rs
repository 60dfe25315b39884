//! Limits, as a client meets them on the real services: a caller that opens more
//! watches than it may is refused with RESOURCE_EXHAUSTED while other callers are
//! served, and may open another once it closed one; so are more watches than the
//! projection serves in all; a connection with more calls open than it may is refused
//! while another connection is served, and so is a caller over all its connections
//! (a caller without a token, reading publicly, is its connection);
//! a unary call that is not answered in time (a query waiting for a position the
//! projection never reaches, a write waiting on a locked event store) is answered
//! DEADLINE_EXCEEDED. Each refusal names its bound in a google.rpc.ErrorInfo.

use std::time::Duration;

use saman_e2e::*;
use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use sqlx::Connection as _;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

const PROJECTION_DOMAIN: &str = "saman.projection.v1";
const MEMBER: &str = "member:ngo-01/m-001";
const OFFICE: &str = "office:office";

/// How long a released place may take to be seen free: the server learns that a watch
/// was dropped from the connection, after the client dropped it.
const RELEASE_WAIT: Duration = Duration::from_secs(20);

type Watch = tonic::Streaming<query::ZoneProgress>;

/// zone-01 as `caller` watches it: open once its first progress came.
async fn watch(client: &mut ProjectionClient<Channel>, caller: &str) -> Result<Watch, Status> {
    let request = query::WatchZoneProgressRequest {
        zone: "zone-01".into(),
        as_of: "1397-01-31".into(),
    };
    let mut stream = client
        .watch_zone_progress(as_caller(caller, request))
        .await?
        .into_inner();
    let first = stream.message().await?;
    assert!(first.is_some(), "a watch starts with the zone's progress");
    Ok(stream)
}

/// A watch of `caller` on each of `connections`, held open (the same connection twice
/// holds two calls open on it).
async fn watches_on(
    connections: &[&ProjectionClient<Channel>],
    caller: &str,
) -> Result<Vec<Watch>, Status> {
    let mut open = Vec::new();
    for connection in connections {
        open.push(watch(&mut (*connection).clone(), caller).await?);
    }
    Ok(open)
}

/// A query of `caller` on `client`'s connection.
async fn query(client: &mut ProjectionClient<Channel>, caller: &str) -> Result<(), Status> {
    let request = query::GetZoneProgressRequest {
        zone: "zone-01".into(),
        read: read_as_of("1397-01-31"),
    };
    client
        .get_zone_progress(as_caller(caller, request))
        .await
        .map(drop)
}

/// Asserts that `result` is RESOURCE_EXHAUSTED for `reason`, naming the bound `limit`
/// (and the `authorization` field when the bound is the caller's), in bounded metadata.
fn exhausted<T: std::fmt::Debug>(result: Result<T, Status>, reason: &str, limit: usize) {
    let status = result.expect_err(&format!("refused with {reason}"));
    assert_code_in_bounds(&status, Code::ResourceExhausted, reason);
    let info = assert_refused_for(&status, Code::ResourceExhausted, PROJECTION_DOMAIN, reason);
    let limit = limit.to_string();
    assert_eq!(info.metadata.get("limit"), Some(&limit), "{status:?}");
    assert!(status.message().contains(&limit), "{}", status.message());
    let quota = status
        .get_details_quota_failure()
        .expect("a google.rpc.QuotaFailure");
    let caller_bound = reason.ends_with("_PER_CALLER");
    assert_eq!(
        quota.violations.first().map(|v| v.subject.as_str()),
        Some(if caller_bound {
            "caller"
        } else if reason == "TOO_MANY_WATCHES" {
            "service"
        } else {
            "connection"
        })
    );
    let field = info.metadata.get("field").map(String::as_str);
    if caller_bound {
        assert_eq!(field, Some("authorization"), "{status:?}");
        assert!(
            status.message().starts_with("authorization: "),
            "{}",
            status.message()
        );
    } else {
        assert_eq!(field, None, "{status:?}");
    }
}

/// Asserts that `status` is DEADLINE_EXCEEDED for REQUEST_TIMEOUT of `domain`, naming
/// the flag that sets the bound; its ErrorInfo.
#[track_caller]
fn timed_out(status: &Status, domain: &str) -> tonic_types::ErrorInfo {
    let info = assert_refused_for(status, Code::DeadlineExceeded, domain, "REQUEST_TIMEOUT");
    assert!(
        status.message().contains("--request-timeout"),
        "{}",
        status.message()
    );
    info
}

/// Tries `attempt` until it succeeds, while it is refused with RESOURCE_EXHAUSTED (a
/// place given back is seen free once the server learnt of it).
async fn once_free<T, F>(mut attempt: impl FnMut() -> F) -> T
where
    F: Future<Output = Result<T, Status>>,
{
    let deadline = tokio::time::Instant::now() + RELEASE_WAIT;
    loop {
        match attempt().await {
            Ok(done) => return done,
            Err(status) if status.code() == Code::ResourceExhausted => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the place was never given back: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("expected to be served, got {status:?}"),
        }
    }
}

/// The whole system with the projection's limits set by `configure`, the programme
/// registered and applied; and three connections to the projection.
async fn system(
    configure: impl FnOnce(&mut ProjectionConfig),
) -> anyhow::Result<(System, [ProjectionClient<Channel>; 3])> {
    let system = System::start_with(Backend::Sqlite, configure).await?;
    register_programme(&mut system.intake.client().await?, 2, 1).await?;
    let log = (&system.intake_db, &system.nats);
    published_and_applied(log, &system.projection, Duration::from_secs(30)).await?;
    let projection = &system.projection;
    let connections = [
        projection.client().await?,
        projection.client().await?,
        projection.client().await?,
    ];
    Ok((system, connections))
}

#[tokio::test]
async fn a_caller_with_too_many_watches_is_refused_while_others_are_served() -> anyhow::Result<()> {
    let (system, [mut one, two, mut three]) = system(|config| {
        config.max_watches_per_caller = 2;
        config.max_watches = 3;
    })
    .await?;

    // A caller's watches are counted over all its connections.
    let mut open = watches_on(&[&one, &two], MEMBER).await?;
    exhausted(
        watch(&mut three, MEMBER).await,
        "TOO_MANY_WATCHES_PER_CALLER",
        2,
    );
    // Another caller is served, on the same connection too; and so are the first
    // caller's other calls.
    let _office = watch(&mut one, OFFICE).await?;
    query(&mut three, MEMBER).await?;

    // Three watches are open: the projection's limit in all, whoever asks.
    exhausted(watch(&mut three, OFFICE).await, "TOO_MANY_WATCHES", 3);

    // Closing a watch gives its place back.
    drop(open.remove(0));
    let _again = once_free(|| {
        let mut three = three.clone();
        async move { watch(&mut three, MEMBER).await }
    })
    .await;
    exhausted(
        watch(&mut three, MEMBER).await,
        "TOO_MANY_WATCHES_PER_CALLER",
        2,
    );
    system.stop().await
}

#[tokio::test]
async fn a_connection_or_a_caller_with_too_many_calls_is_refused_while_others_are_served()
-> anyhow::Result<()> {
    let (system, [mut one, mut two, mut three]) = system(|config| {
        config.limits.max_calls_per_connection = 2;
        config.limits.max_calls_per_caller = 3;
    })
    .await?;

    // Two watches hold two calls open on the first connection: a third call there is
    // refused, whoever makes it; another connection is served.
    let mut open = watches_on(&[&one, &one], MEMBER).await?;
    exhausted(
        query(&mut one, OFFICE).await,
        "TOO_MANY_CALLS_PER_CONNECTION",
        2,
    );
    query(&mut two, OFFICE).await?;

    // A third watch on another connection: the caller has three calls open, its
    // limit over all its connections; another caller on that connection is served.
    let _third = watch(&mut two, MEMBER).await?;
    exhausted(
        query(&mut three, MEMBER).await,
        "TOO_MANY_CALLS_PER_CALLER",
        3,
    );
    query(&mut three, OFFICE).await?;

    // A call that ended holds no place: one connection answers more calls one after
    // the other than it may hold at once.
    for _ in 0..5 {
        query(&mut two, OFFICE).await?;
    }

    // A watch the caller closed gives its places back, on the connection and the
    // caller's.
    drop(open.remove(0));
    once_free(|| {
        let mut one = one.clone();
        async move { query(&mut one, OFFICE).await }
    })
    .await;
    once_free(|| {
        let mut three = three.clone();
        async move { query(&mut three, MEMBER).await }
    })
    .await;
    system.stop().await
}

#[tokio::test]
async fn a_query_not_answered_in_time_is_deadline_exceeded() -> anyhow::Result<()> {
    // One call at a time per connection: a call abandoned must give its place back
    // for the next one to be served.
    let system = System::start_with(Backend::Sqlite, |config| {
        config.limits.request_timeout = Duration::from_secs(1);
        config.limits.max_calls_per_connection = 1;
    })
    .await?;
    let mut client = system.projection.client().await?;
    // A read that waits (up to 30 s) for a position the projection never reaches.
    let waiting = query::GetZoneProgressRequest {
        zone: "zone-01".into(),
        read: Some(query::Read {
            min_position: 1_000_000,
            wait_ms: 30_000,
            ..Default::default()
        }),
    };
    let status = client
        .get_zone_progress(as_caller(OFFICE, waiting.clone()))
        .await
        .expect_err("the read cannot be answered in time");
    let info = timed_out(&status, PROJECTION_DOMAIN);
    assert_eq!(info.metadata.get("limit").map(String::as_str), Some("1s"));
    // The connection goes on serving.
    let list = || {
        let mut client = client.clone();
        async move {
            let request = as_caller(OFFICE, query::ListZonesRequest::default());
            client.list_zones(request).await.map(drop)
        }
    };
    list().await?;

    // So it does after a call its client gave up on (whether the server saw it go or
    // timed it out first).
    let mut impatient = client.clone();
    let given_up = tokio::time::timeout(
        Duration::from_millis(100),
        impatient.get_zone_progress(as_caller(OFFICE, waiting)),
    );
    let _ = given_up.await;
    once_free(list).await;
    system.stop().await
}

#[tokio::test]
async fn a_write_waiting_on_a_locked_store_is_deadline_exceeded_and_its_retry_recorded_once()
-> anyhow::Result<()> {
    let side = WriteSide::start(Backend::Sqlite, 1, 1).await?;
    let (nats, db) = (&side.nats, &side.intake_db);
    side.intake.stop().await?;
    let mut config = intake_config(db.url(), nats);
    config.limits.request_timeout = Duration::from_secs(1);
    let intake = Intake::start_with(config).await?;
    let mut client = intake.client().await?;
    let before = stored_events(db.url()).await?.len();

    // Another program holds the event store's write lock: the write waits for it.
    let mut lock = sqlx::SqliteConnection::connect(db.url()).await?;
    sqlx::raw_sql("BEGIN EXCLUSIVE").execute(&mut lock).await?;
    let request = declare_need("zone-01", "m-001", "Clean water");
    let status = client
        .declare_need(request.clone())
        .await
        .expect_err("the write cannot be answered in time");
    timed_out(&status, ERROR_DOMAIN);
    sqlx::raw_sql("ROLLBACK").execute(&mut lock).await?;
    lock.close().await?;

    // As docs/errors.md says: retry the very same request; it is recorded once.
    let mut tries = 0;
    let reply = loop {
        tries += 1;
        match client.declare_need(request.clone()).await {
            Ok(reply) => break reply.into_inner(),
            Err(status) if status.code() == Code::DeadlineExceeded && tries < 10 => continue,
            Err(status) => panic!("the retry was refused: {status:?}"),
        }
    };
    let stored = stored_events(db.url()).await?;
    assert_eq!(stored.len(), before + 1, "the need is recorded once");
    assert_eq!(
        reply.submission_id,
        request.submission.as_ref().unwrap().submission_id
    );
    intake.stop().await
}

#[tokio::test]
async fn the_projection_binary_takes_the_limits_and_counts_their_refusals() -> anyhow::Result<()> {
    let side = WriteSide::start(Backend::Sqlite, 1, 1).await?;
    let stored = stored_events(side.intake_db.url()).await?.len() as u64;
    let db = TestDb::new(Backend::Sqlite).await?;
    let metrics = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let flags = [
        "--metrics-listen",
        &metrics.to_string(),
        "--max-watches-per-caller",
        "1",
    ];
    let projection =
        ProjectionProcess::start_with(db.url(), &side.nats, free_port(), &flags).await?;
    wait_caught_up(
        &mut projection.admin().await?,
        stored,
        Duration::from_secs(30),
    )
    .await?;

    let mut client = projection.client().await?;
    let _open = watch(&mut client, MEMBER).await?;
    exhausted(
        watch(&mut client, MEMBER).await,
        "TOO_MANY_WATCHES_PER_CALLER",
        1,
    );
    let refused = "code=\"RESOURCE_EXHAUSTED\"";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = http_get(metrics, "/metrics").await?;
        let counted = prometheus_sample(
            &text,
            "saman_projection_requests_total",
            &["rpc=\"WatchZoneProgress\"", refused],
        );
        if counted == Some(1.0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the refusal is not counted: {counted:?}\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[tokio::test]
async fn watches_without_a_token_are_counted_per_connection() -> anyhow::Result<()> {
    let (system, _) = system(|config| {
        config.public_reads = true;
        config.max_watches_per_caller = 1;
    })
    .await?;
    // Clients that send no token at all (the public reads of a web page's visitors).
    let anonymous = async || {
        anyhow::Ok(ProjectionClient::new(
            tls_channel(system.projection.addr).await?,
        ))
    };
    let (mut one, mut two) = (anonymous().await?, anonymous().await?);
    let request = || query::WatchZoneProgressRequest {
        zone: "zone-01".into(),
        as_of: "1397-01-31".into(),
    };
    let mut open = one.watch_zone_progress(request()).await?.into_inner();
    assert!(open.message().await?.is_some(), "the watch is served");
    let status = one
        .watch_zone_progress(request())
        .await
        .expect_err("a second watch on the connection");
    let info = assert_refused_for(
        &status,
        Code::ResourceExhausted,
        PROJECTION_DOMAIN,
        "TOO_MANY_WATCHES_PER_CALLER",
    );
    assert_eq!(
        info.metadata.get("field"),
        None,
        "no token to name: {status:?}"
    );
    let quota = status.get_details_quota_failure().expect("a QuotaFailure");
    assert_eq!(quota.violations[0].subject, "connection", "{quota:?}");
    // Another connection is another caller.
    let mut other = two.watch_zone_progress(request()).await?.into_inner();
    assert!(
        other.message().await?.is_some(),
        "another connection is served"
    );
    system.stop().await
}
