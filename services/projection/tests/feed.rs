//! The live feed against a real nats-server and real databases, with the events
//! published straight onto the stream (no intake; signed with a key the projection
//! trusts, as intake signs them): transient database failures are retried until they
//! pass, never parked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_nats::jetstream;
use prost::Message as _;
use saman_harness::{Backend, NatsServer, NatsUser, TestDb, TestEventKeys, TestIssuer, TestTls};
use saman_projection::config::Config;
use saman_proto::events::v1::{self as ev, Envelope, envelope::Body};
use saman_proto::projection::v1 as pb;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

type Result<T = ()> = anyhow::Result<T>;

const STREAM: &str = "SAMAN_EVENTS";

/// A nats-server with the events stream, and the projection in-process on `db`.
struct Feed {
    nats: NatsServer,
    issuer: TestIssuer,
    keys: TestEventKeys,
    /// The certificates the projection serves (kept while it runs).
    _tls: TestTls,
    js: jetstream::Context,
    admin: ProjectionAdminClient<Channel>,
    client: ProjectionClient<Channel>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Feed {
    async fn start(db: &TestDb) -> Result<Feed> {
        let nats = NatsServer::start().await?;
        // The test stands in for intake: its NATS user creates the stream and publishes.
        let js = jetstream::new(nats.connect(NatsUser::Intake).await?);
        js.get_or_create_stream(jetstream::stream::Config {
            name: STREAM.into(),
            subjects: vec!["saman.events.v1.>".into()],
            ..Default::default()
        })
        .await?;
        let mut config = Config::new(db.url(), nats.url());
        config.nats = nats.flags(NatsUser::Projection);
        // Reads and the status for anyone; ListParked with an operator's token.
        let issuer = TestIssuer::start().await?;
        config.auth = issuer.auth_args();
        config.public_reads = true;
        let keys = TestEventKeys::generate()?;
        config.event_keys.event_keys = Some(keys.jwks_file());
        // Over TLS, as deployed: a server certificate of a test authority.
        let tls = TestTls::generate("Saman feed test CA")?;
        config.tls =
            saman_runtime::flags::TlsFlags::with_files(&tls.server_cert(), &tls.server_key(), None);
        // Redeliveries soon after a failed batch (the default is 30 s).
        config.ack_wait = Duration::from_secs(2);
        config.batch = 50;
        config.shutdown_grace = Duration::from_secs(5);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        config.listen = addr;
        let stop = CancellationToken::new();
        let task = tokio::spawn(saman_projection::server::run(
            config,
            listener,
            stop.clone().cancelled_owned(),
        ));
        let deadline = Instant::now() + Duration::from_secs(30);
        let channel = loop {
            match Channel::from_shared(format!("https://{addr}"))?
                .tls_config(saman_runtime::tls::grpc_client_tls(
                    Some(&tls.ca_file()),
                    None,
                )?)?
                .connect()
                .await
            {
                Ok(channel) => break channel,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => bail!("the projection does not listen on {addr}: {err}"),
            }
        };
        // SERVING once the read models are open and the durable consumer exists.
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
        loop {
            let serving = health
                .check(tonic_health::pb::HealthCheckRequest {
                    service: "saman.projection.v1.Projection".into(),
                })
                .await
                .is_ok_and(|r| {
                    r.into_inner().status
                        == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
                });
            if serving {
                break;
            }
            if task.is_finished() || Instant::now() > deadline {
                bail!("the projection is not SERVING: {:?}", task.await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Feed {
            nats,
            issuer,
            keys,
            _tls: tls,
            js,
            admin: ProjectionAdminClient::new(channel.clone()),
            client: ProjectionClient::new(channel),
            stop,
            task,
        })
    }

    async fn publish(&self, envelope: &Envelope) -> Result<u64> {
        let subject = format!(
            "saman.events.v1.{}.{}",
            envelope.stream_id, envelope.event_type
        );
        let payload = envelope.encode_to_vec();
        let mut headers = async_nats::HeaderMap::new();
        for (name, value) in self.keys.signature_headers(&payload) {
            headers.insert(name, value);
        }
        let ack = self
            .js
            .publish_with_headers(subject, headers, payload.into())
            .await?
            .await?;
        Ok(ack.sequence)
    }

    /// Waits until the projection has applied everything on the stream.
    async fn caught_up(&mut self, head: u64, timeout: Duration) -> Result<pb::ProjectionStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self
                .admin
                .get_status(pb::GetStatusRequest {})
                .await
                .map(|r| r.into_inner());
            if let Ok(s) = &status
                && s.head >= head
                && s.position == s.head
                && s.lag == 0
            {
                return Ok(*s);
            }
            if self.task.is_finished() {
                bail!("the projection stopped: {:?}", (&mut self.task).await);
            }
            if Instant::now() > deadline {
                bail!("the projection has not caught up with {head} in {timeout:?}: {status:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(self) -> Result {
        self.stop.cancel();
        self.task.await.context("the projection panicked")?
    }
}

fn envelope(stream: &str, version: u64, body: Body) -> Envelope {
    let event_type = match &body {
        Body::ZoneRegistered(_) => "ZoneRegistered",
        Body::NeedDeclared(_) => "NeedDeclared",
        _ => "Other",
    };
    Envelope {
        event_id: format!("{stream}-v{version}"),
        event_type: event_type.into(),
        schema_version: 1,
        stream_id: stream.into(),
        stream_version: version,
        submission_id: format!("sub-{stream}-{version}"),
        actor: Some(ev::Actor {
            kind: Some(ev::actor::Kind::ProgrammeOffice(ev::Official {
                user: "office".into(),
            })),
        }),
        occurred_at: Some(prost_types::Timestamp {
            seconds: 1_524_214_800, // 2018-04-20T09:00:00Z
            nanos: 0,
        }),
        recorded_at: None,
        principal: None,
        received_at: None,
        claimed_time: None,
        body: Some(body),
    }
}

fn zone(code: &str) -> Body {
    Body::ZoneRegistered(ev::ZoneRegistered {
        code: code.into(),
        name_fa: "منطقه".into(),
        name_en: format!("Zone {code}"),
        // One goal, untitled: the feed's tests read no goal.
        goals: vec![ev::Goal {
            code: "water".into(),
            approach: ev::Approach::Infrastructural as i32,
            weight: 1,
            ..Default::default()
        }],
    })
}

fn need(zone: &str, n: u64) -> Body {
    Body::NeedDeclared(ev::NeedDeclared {
        need_id: format!("need-{n}"),
        zone: zone.into(),
        ngo: "ngo-01".into(),
        member: "m-001".into(),
        approach: ev::Approach::Infrastructural as i32,
        title: format!("need {n}"),
        description: String::new(),
        households_affected: 1,
        priority: ev::Priority::High as i32,
        late: false,
    })
}

/// The projection's connections to the read models are terminated over and over while
/// events arrive (as a PostgreSQL failover or an administrator would): every failed batch
/// is retried, nothing is parked, every event counts once and the lag returns to 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_killed_mid_feed_are_retried_not_parked() -> Result {
    let db = TestDb::new(Backend::Postgres).await?;
    let mut feed = Feed::start(&db).await?;
    feed.publish(&envelope("zone.zone-01", 1, zone("zone-01")))
        .await?;

    let killer_pool = sqlx::PgPool::connect(db.url()).await?;
    let killed = Arc::new(AtomicU64::new(0));
    let stop_killing = CancellationToken::new();
    let killer = tokio::spawn({
        let (killed, stop) = (killed.clone(), stop_killing.clone());
        async move {
            while !stop.is_cancelled() {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid() \
                     AND application_name = 'saman-projection'",
                )
                .fetch_one(&killer_pool)
                .await?;
                killed.fetch_add(u64::try_from(n)?, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            anyhow::Ok(())
        }
    });

    const NEEDS: u64 = 1500;
    let mut head = 0;
    for n in 1..=NEEDS {
        head = feed
            .publish(&envelope("zone.zone-01", n + 1, need("zone-01", n)))
            .await?;
        // Over a few seconds, so that many batches meet a kill.
        if n % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    // Keep killing a little after the last event, then let it recover.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_killing.cancel();
    killer.await??;
    let killed = killed.load(Ordering::SeqCst);
    eprintln!("terminated {killed} connections of the projection");
    assert!(killed > 0, "the test terminated no connection");

    let status = feed.caught_up(head, Duration::from_secs(120)).await?;
    // The projection's consumer, as its NATS user sees it (intake's may not look).
    let projection_js = jetstream::new(feed.nats.connect(NatsUser::Projection).await?);
    let mut consumer: jetstream::consumer::PullConsumer = projection_js
        .get_stream(STREAM)
        .await?
        .get_consumer("saman-projection")
        .await
        .map_err(|e| anyhow::anyhow!("the consumer: {e}"))?;
    eprintln!(
        "caught up; {} messages redelivered",
        consumer.info().await?.num_redelivered
    );
    assert_eq!((status.parked, status.conflicts), (0, 0), "{status:?}");
    let mut request = tonic::Request::new(pb::ListParkedRequest {});
    request
        .metadata_mut()
        .insert("authorization", feed.issuer.bearer("operator:ops").parse()?);
    let parked = feed.admin.list_parked(request).await?.into_inner().events;
    assert!(parked.is_empty(), "{parked:?}");
    let zone = feed
        .client
        .get_zone_progress(pb::GetZoneProgressRequest {
            read: Some(pb::Read {
                as_of: "2018-04-21".into(),
                ..Default::default()
            }),
            zone: "zone-01".into(),
        })
        .await?
        .into_inner();
    assert_eq!(zone.needs.map(|n| n.total), Some(u32::try_from(NEEDS)?));
    feed.stop().await
}
