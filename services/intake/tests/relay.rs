//! The relay against a real nats-server (2.9.10 here) and a real event store: events
//! appended to the store reach JetStream with the documented subject, headers and
//! payload, exactly once, each stream in order, across NATS outages and republishing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use async_nats::HeaderMap;
use async_nats::jetstream::{
    self,
    consumer::{AckPolicy, DeliverPolicy, pull},
};
use bytes::Bytes;
use futures::StreamExt;
use prost::Message as _;
use saman_contract::{CONTENT_TYPE_ENVELOPE, STREAM_NAME};
use saman_harness::{Backend, NatsServer, NatsUser, TestDb};
use saman_intake::jetstream::{StreamSettings, connect, ensure_stream};
use saman_intake::publish_limit::PublishLimit;
use saman_intake::relay::{Relay, RelayConfig, RelayError};
use saman_intake::store::{Append, AppendOutcome, EventStore, NewEvent};
use saman_proto::events::v1::{
    Actor, AgencyRegistered, Approach, Envelope, NeedDeclared, NgoMemberApproved, Official,
    ProgrammeDatesSet, actor, envelope::Body,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

// Every test that runs on SQLite and on PostgreSQL, as `sqlite::NAME` and `postgres::NAME`.
saman_harness::on_both_backends!(
    interleaved_streams_keep_their_order,
    nats_outage_then_every_event_exactly_once,
    an_event_over_max_payload_blocks_only_its_stream,
    an_event_over_max_msg_size_blocks_only_its_stream,
    outbox_reads_for_blocked_streams,
);

// ---------------------------------------------------------------------------------------
// Set-up

struct Env {
    nats: NatsServer,
    _db: TestDb,
    db_url: String,
    store: EventStore,
    js: jetstream::Context,
}

impl Env {
    /// A relay on this store and stream.
    fn relay(&self, config: RelayConfig) -> Relay {
        Relay::new(self.store.clone(), self.js.clone(), config)
    }
}

async fn env(backend: Backend) -> anyhow::Result<Env> {
    env_on(backend, NatsServer::start().await?).await
}

/// [`env`] on the given nats-server.
async fn env_on(backend: Backend, nats: NatsServer) -> anyhow::Result<Env> {
    let db = TestDb::new(backend).await?;
    let store = EventStore::open(db.url(), 4).await?;
    let flags = nats.flags(NatsUser::Intake);
    let (_client, js) = connect(&flags, "relay-test", Duration::from_secs(5)).await?;
    // `connect` returns before the connection is made (retry on initial connect).
    let deadline = Instant::now() + Duration::from_secs(10);
    while js.client().connection_state() != async_nats::connection::State::Connected {
        ensure!(Instant::now() < deadline, "no NATS connection within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ensure_stream(&js, &StreamSettings::default()).await?;
    Ok(Env {
        nats,
        db_url: db.url().to_owned(),
        _db: db,
        store,
        js,
    })
}

fn fast_config() -> RelayConfig {
    RelayConfig {
        idle_poll: Duration::from_millis(50),
        retry_backoff_max: Duration::from_millis(500),
        ack_timeout: Duration::from_secs(2),
        lease_retry: Duration::from_millis(200),
        ..RelayConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Events

/// `zone.zone-01` -> (`zone`, `zone-01`): the subject's kind and key tokens.
fn stream_parts(stream_id: &str) -> (&str, &str) {
    stream_id.split_once('.').expect("kind.key")
}

/// A plausible envelope for version `version` of `stream_id`.
fn envelope(stream_id: &str, version: u64, submission: Uuid) -> Envelope {
    let (kind, key) = stream_parts(stream_id);
    let (event_type, body) = match kind {
        "zone" => (
            "NeedDeclared",
            Body::NeedDeclared(NeedDeclared {
                need_id: submission.to_string(),
                zone: key.to_owned(),
                ngo: "ngo-01".into(),
                member: "m-001".into(),
                approach: Approach::Social as i32,
                title: format!("need {version} of {key}"),
                description: "آب آشامیدنی".into(),
                households_affected: 12,
                priority: 2,
                late: version.is_multiple_of(2),
            }),
        ),
        "ngo" => (
            "NgoMemberApproved",
            Body::NgoMemberApproved(NgoMemberApproved {
                ngo: key.to_owned(),
                member: format!("m-{version:03}"),
                full_name: format!("Member {version}"),
            }),
        ),
        "agency" => (
            "AgencyRegistered",
            Body::AgencyRegistered(AgencyRegistered {
                code: key.to_owned(),
                name_fa: "دستگاه".into(),
                name_en: format!("Agency v{version}"),
            }),
        ),
        "programme" => (
            "ProgrammeDatesSet",
            Body::ProgrammeDatesSet(ProgrammeDatesSet::default()),
        ),
        other => panic!("unknown kind {other}"),
    };
    Envelope {
        event_id: Uuid::now_v7().to_string(),
        event_type: event_type.into(),
        schema_version: 1,
        stream_id: stream_id.into(),
        stream_version: version,
        submission_id: submission.to_string(),
        actor: Some(Actor {
            kind: Some(actor::Kind::ProgrammeOffice(Official {
                user: "office".into(),
            })),
        }),
        occurred_at: Some(prost_types::Timestamp {
            seconds: 1_524_200_000 + i64::try_from(version).unwrap(),
            nanos: 0,
        }),
        recorded_at: Some(prost_types::Timestamp {
            seconds: 1_524_200_100 + i64::try_from(version).unwrap(),
            nanos: 5_000,
        }),
        principal: None,
        received_at: None,
        claimed_time: None,
        body: Some(body),
    }
}

/// Builds appends and remembers each stream's version and every envelope appended.
#[derive(Default)]
struct Book {
    versions: HashMap<String, u64>,
    /// By event id.
    appended: HashMap<String, Envelope>,
}

impl Book {
    /// One submission appending `n` events to `stream_id`.
    fn append(&mut self, stream_id: &str, n: usize) -> Append {
        let submission = Uuid::now_v7();
        let expected = *self.versions.get(stream_id).unwrap_or(&0);
        let events = (1..=n as u64)
            .map(|i| {
                let env = envelope(stream_id, expected + i, submission);
                let event = NewEvent {
                    event_id: env.event_id.parse().unwrap(),
                    event_type: env.event_type.clone(),
                    schema_version: env.schema_version,
                    stream_version: env.stream_version,
                    subject: subject_of(&env),
                    occurred_at_us: 1_524_200_000_000_000,
                    recorded_at_us: 1_524_200_100_000_000,
                    payload: env.encode_to_vec(),
                    traceparent: Some(traceparent_of(&env.event_id)),
                };
                self.appended.insert(env.event_id.clone(), env);
                event
            })
            .collect();
        self.versions
            .insert(stream_id.to_owned(), expected + n as u64);
        Append {
            submission_id: submission,
            request_hash: *submission.as_bytes().repeat(2).first_chunk::<32>().unwrap(),
            reply: Vec::new(),
            stream_id: stream_id.to_owned(),
            expected_version: expected,
            events,
        }
    }
}

impl Book {
    /// What JetStream holds while `stream` is held back after `version`: the book
    /// without that stream's later events.
    fn up_to(&self, stream: &str, version: u64) -> Book {
        let appended = self
            .appended
            .iter()
            .filter(|(_, e)| e.stream_id != stream || e.stream_version <= version)
            .map(|(id, e)| (id.clone(), e.clone()))
            .collect();
        let mut versions = self.versions.clone();
        versions.insert(stream.to_owned(), version);
        Book { versions, appended }
    }
}

fn subject_of(env: &Envelope) -> String {
    let (kind, key) = stream_parts(&env.stream_id);
    format!("saman.events.v1.{kind}.{key}.{}", env.event_type)
}

async fn append_all(store: &EventStore, batch: &[Append]) -> anyhow::Result<()> {
    let outcomes = store.append(batch).await?;
    for outcome in outcomes {
        ensure!(
            matches!(outcome, AppendOutcome::Appended { .. }),
            "append refused: {outcome:?}"
        );
    }
    Ok(())
}

/// A tiny deterministic generator (no `rand` in the workspace).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

// ---------------------------------------------------------------------------------------
// Reading JetStream back

#[derive(Debug)]
struct Received {
    subject: String,
    headers: HeaderMap,
    payload: Bytes,
    stream_sequence: u64,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.as_str())
    }
}

/// Waits until the stream holds `expected` messages (or fails after `within`).
async fn wait_for_messages(
    js: &jetstream::Context,
    expected: u64,
    within: Duration,
) -> anyhow::Result<()> {
    let stream = js.get_stream(STREAM_NAME).await?;
    let deadline = Instant::now() + within;
    loop {
        let count = stream.get_info().await?.state.messages;
        if count == expected {
            return Ok(());
        }
        ensure!(
            count < expected,
            "stream holds {count} messages, expected {expected}"
        );
        if Instant::now() >= deadline {
            bail!("stream holds {count} messages after {within:?}, expected {expected}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads every message of the stream with a fresh durable pull consumer, checking that
/// there are exactly `expected` of them.
async fn consume_all(js: &jetstream::Context, expected: usize) -> anyhow::Result<Vec<Received>> {
    let stream = js.get_stream(STREAM_NAME).await?;
    let name = format!("test-{}", Uuid::new_v4().simple());
    let consumer = stream
        .get_or_create_consumer(
            &name,
            pull::Config {
                durable_name: Some(name.clone()),
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await?;
    let mut messages = consumer.messages().await?;
    let mut out = Vec::with_capacity(expected);
    while out.len() < expected {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .with_context(|| format!("only {} of {expected} messages came", out.len()))?
            .context("consumer stream ended")??;
        let info = message.info().map_err(|e| anyhow::anyhow!("{e}"))?;
        let stream_sequence = info.stream_sequence;
        message.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push(Received {
            subject: message.subject.to_string(),
            headers: message.headers.clone().unwrap_or_default(),
            payload: message.payload.clone(),
            stream_sequence,
        });
    }
    if let Ok(Some(extra)) = tokio::time::timeout(Duration::from_millis(300), messages.next()).await
    {
        bail!(
            "more than {expected} messages: {:?}",
            extra.map(|m| m.subject.to_string())
        );
    }
    Ok(out)
}

/// A W3C trace context made from an event id (its 32 hex digits as the trace id), so
/// each event carries its own and the header can be checked per event.
fn traceparent_of(event_id: &str) -> String {
    let hex: String = event_id.chars().filter(|c| *c != '-').collect();
    format!("00-{hex}-{}-01", &hex[16..])
}

/// Checks that `received` holds every appended event exactly once, with its subject,
/// headers and payload, and each stream's events in version order.
/// Consumes the `expected` messages of the stream and checks that every event of `book`
/// is among them exactly once, each stream in order.
async fn received_exactly_once(
    env: &Env,
    book: &Book,
    expected: usize,
) -> anyhow::Result<Vec<Received>> {
    // Read as a downstream subscriber does: intake's NATS user may not consume.
    let reader = jetstream::new(env.nats.connect(NatsUser::Subscriber).await?);
    let received = consume_all(&reader, expected).await?;
    check_exactly_once_in_order(book, &received)?;
    Ok(received)
}

fn check_exactly_once_in_order(book: &Book, received: &[Received]) -> anyhow::Result<()> {
    let mut seen = HashSet::new();
    let mut last_version: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_seq: Vec<&Received> = received.iter().collect();
    by_seq.sort_by_key(|r| r.stream_sequence);
    for r in by_seq {
        let envelope = Envelope::decode(r.payload.as_ref())?;
        let id = envelope.event_id.clone();
        ensure!(seen.insert(id.clone()), "event {id} is on the stream twice");
        let appended = book
            .appended
            .get(&id)
            .with_context(|| format!("event {id} was never appended"))?;
        ensure!(
            &envelope == appended,
            "payload of {id} differs from what was appended"
        );
        ensure!(
            r.subject == subject_of(appended),
            "subject of {id}: {}",
            r.subject
        );
        ensure!(
            r.header("Nats-Msg-Id") == Some(id.as_str()),
            "Nats-Msg-Id of {id}"
        );
        ensure!(
            r.header("traceparent") == Some(traceparent_of(&id).as_str()),
            "traceparent of {id}: {:?}",
            r.header("traceparent")
        );
        let last = last_version.entry(envelope.stream_id.clone()).or_insert(0);
        ensure!(
            envelope.stream_version == *last + 1,
            "stream {} out of order: version {} after {}",
            envelope.stream_id,
            envelope.stream_version,
            last
        );
        *last = envelope.stream_version;
    }
    ensure!(
        seen.len() == book.appended.len(),
        "{} of {} events on the stream",
        seen.len(),
        book.appended.len()
    );
    for (stream, version) in &book.versions {
        ensure!(
            last_version.get(stream) == Some(version),
            "stream {stream} ends at {:?}, expected {version}",
            last_version.get(stream)
        );
    }
    Ok(())
}

/// Checks that `received`, in JetStream order, is in the order the events were recorded
/// (their store positions) across streams, not only within each stream.
fn check_in_recorded_order(received: &[Received]) -> anyhow::Result<()> {
    let mut by_seq: Vec<&Received> = received.iter().collect();
    by_seq.sort_by_key(|r| r.stream_sequence);
    let positions: Vec<i64> = by_seq
        .iter()
        .map(|r| {
            r.header("Saman-Position")
                .context("Saman-Position header")?
                .parse::<i64>()
                .context("Saman-Position is a number")
        })
        .collect::<anyhow::Result<_>>()?;
    if let Some(pair) = positions.windows(2).find(|pair| pair[0] > pair[1]) {
        bail!(
            "JetStream holds position {} after {}: streams reordered against each other",
            pair[1],
            pair[0]
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn publishes_subject_headers_and_protobuf_payload() -> anyhow::Result<()> {
    let env = env(Backend::Sqlite).await?;
    let mut book = Book::default();
    let batch = vec![
        book.append("zone.zone-01", 2),
        book.append("ngo.ngo-03", 1),
        book.append("agency.water-agency", 1),
        book.append("programme.khorramabad", 1),
    ];
    append_all(&env.store, &batch).await?;
    let stored = env.store.read_all(0, 100).await?;
    assert_eq!(stored.len(), 5);

    let relay = env.relay(fast_config());
    assert_eq!(relay.publish_pending().await?, 5);
    assert_eq!(env.store.outbox_len().await?, 0);
    assert_eq!(relay.stats().published(), 5);
    assert_eq!(relay.stats().outbox_len(), 0);
    assert!(relay.stats().holds_lease());
    // Nothing left: a second pass publishes nothing.
    assert_eq!(relay.publish_pending().await?, 0);

    let received = received_exactly_once(&env, &book, 5).await?;
    for r in &received {
        let envelope = Envelope::decode(r.payload.as_ref())?;
        let event = stored
            .iter()
            .find(|e| e.event_id.to_string() == envelope.event_id)
            .context("stored event")?;
        assert_eq!(r.subject, event.subject);
        let id = event.event_id.to_string();
        let expect = [
            ("Nats-Msg-Id", id.clone()),
            ("Saman-Event-Id", id),
            ("Saman-Event-Type", event.event_type.clone()),
            ("Saman-Schema-Version", "1".to_owned()),
            ("Saman-Stream-Id", event.stream_id.clone()),
            ("Saman-Stream-Version", event.stream_version.to_string()),
            ("Saman-Submission-Id", event.submission_id.to_string()),
            ("Saman-Position", event.position.to_string()),
            ("Content-Type", CONTENT_TYPE_ENVELOPE.to_owned()),
        ];
        for (name, value) in expect {
            assert_eq!(
                r.header(name),
                Some(value.as_str()),
                "header {name} of {}",
                r.subject
            );
        }
        assert_eq!(r.payload.as_ref(), event.payload.as_slice());
    }
    let subjects: HashSet<_> = received.iter().map(|r| r.subject.as_str()).collect();
    assert!(subjects.contains("saman.events.v1.zone.zone-01.NeedDeclared"));
    assert!(subjects.contains("saman.events.v1.ngo.ngo-03.NgoMemberApproved"));
    assert!(subjects.contains("saman.events.v1.agency.water-agency.AgencyRegistered"));
    assert!(subjects.contains("saman.events.v1.programme.khorramabad.ProgrammeDatesSet"));
    Ok(())
}

#[tokio::test]
async fn ensure_stream_creates_then_updates_on_nats_2_9() -> anyhow::Result<()> {
    let env = env(Backend::Sqlite).await?;
    let info = env.js.get_stream(STREAM_NAME).await?.get_info().await?;
    assert_eq!(info.config.subjects, vec!["saman.events.v1.>".to_owned()]);
    assert_eq!(info.config.storage, jetstream::stream::StorageType::File);
    assert_eq!(
        info.config.retention,
        jetstream::stream::RetentionPolicy::Limits
    );
    assert_eq!(info.config.duplicate_window, Duration::from_secs(600));
    assert_eq!(info.config.num_replicas, 1);

    // Same settings again: nothing to do.
    let again = ensure_stream(&env.js, &StreamSettings::default()).await?;
    assert_eq!(again.config.duplicate_window, Duration::from_secs(600));

    // Changed settings: updated in place (messages kept).
    let mut book = Book::default();
    append_all(&env.store, &[book.append("zone.zone-02", 3)]).await?;
    let relay = env.relay(fast_config());
    assert_eq!(relay.publish_pending().await?, 3);
    let changed = StreamSettings {
        duplicate_window: Duration::from_secs(120),
        max_age: Some(Duration::from_secs(24 * 3600)),
        ..StreamSettings::default()
    };
    let info = ensure_stream(&env.js, &changed).await?;
    assert_eq!(info.config.duplicate_window, Duration::from_secs(120));
    assert_eq!(info.config.max_age, Duration::from_secs(24 * 3600));
    assert_eq!(info.state.messages, 3);
    let info = ensure_stream(&env.js, &StreamSettings::default()).await?;
    assert_eq!(info.config.duplicate_window, Duration::from_secs(600));
    assert_eq!(info.config.max_age, Duration::ZERO);
    Ok(())
}

/// Many streams interleaved, one of them much longer than a batch: each stream arrives
/// in version order, and the streams in the order they were recorded (small batches
/// force many rounds and waves).
async fn interleaved_streams_keep_their_order(backend: Backend) -> anyhow::Result<()> {
    let env = env(backend).await?;
    let streams = [
        "zone.zone-01",
        "zone.zone-02",
        "zone.zone-03",
        "ngo.ngo-01",
        "ngo.ngo-02",
        "agency.water-agency",
    ];
    let mut book = Book::default();
    let mut rng = Lcg(7);
    let mut total = 0;
    // 60 commits of 1..=4 appends each; zone-01 gets about half of everything.
    for _ in 0..60 {
        let appends: Vec<Append> = (0..1 + rng.below(4))
            .map(|_| {
                let stream = if rng.below(2) == 0 {
                    streams[0]
                } else {
                    streams[rng.below(streams.len())]
                };
                book.append(stream, 1 + rng.below(3))
            })
            .collect();
        total += appends.iter().map(|a| a.events.len()).sum::<usize>();
        append_all(&env.store, &appends).await?;
    }

    let relay = env.relay(RelayConfig {
        batch_size: 16,
        ..fast_config()
    });
    let stats = relay.stats();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(relay.run(shutdown.clone()));
    wait_for_messages(&env.js, total as u64, Duration::from_secs(60)).await?;
    shutdown.cancel();
    task.await??;

    assert_eq!(stats.published(), total as u64);
    assert_eq!(stats.duplicates(), 0);
    assert_eq!(env.store.outbox_len().await?, 0);
    let received = received_exactly_once(&env, &book, total).await?;
    check_in_recorded_order(&received)?;
    Ok(())
}

/// NATS is killed while events keep being appended (and while the relay publishes),
/// then restarted: appends never fail, and every event reaches the stream exactly once,
/// each stream in order.
async fn nats_outage_then_every_event_exactly_once(backend: Backend) -> anyhow::Result<()> {
    let mut env = env(backend).await?;
    let relay = env.relay(RelayConfig {
        batch_size: 32,
        ..fast_config()
    });
    let stats = relay.stats();
    let waker = relay.waker();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(relay.run(shutdown.clone()));

    // A writer appending continuously to 8 streams, waking the relay after each commit.
    let store = env.store.clone();
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        let mut book = Book::default();
        let mut rng = Lcg(42);
        let streams: Vec<String> = (1..=8).map(|i| format!("zone.zone-{i:02}")).collect();
        loop {
            let appends: Vec<Append> = (0..1 + rng.below(3))
                .map(|_| book.append(&streams[rng.below(streams.len())], 1 + rng.below(2)))
                .collect();
            append_all(&store, &appends).await?;
            waker.notify_one();
            if stop_rx.try_recv().is_ok() {
                return anyhow::Ok(book);
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    });

    tokio::time::sleep(Duration::from_millis(700)).await;
    let published_before = stats.published();
    assert!(
        published_before > 0,
        "the relay published before the outage"
    );
    env.nats.stop().await?;
    // Appends go on while NATS is down; the outbox grows. The relay notices at once, or
    // after `ack_timeout` if it had publishes in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stats.healthy() || stats.failed_rounds() == 0 {
        ensure!(
            Instant::now() < deadline,
            "the relay did not notice the outage"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let waiting = env.store.outbox_len().await?;
    assert!(waiting > 0, "events wait in the outbox during the outage");
    env.nats.restart().await?;
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop_tx.send(()).ok();
    let book = writer.await??;
    let total: usize = book.appended.len();

    wait_for_messages(&env.js, total as u64, Duration::from_secs(60)).await?;
    // Let the relay clear the last outbox rows, then stop it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.store.outbox_len().await? > 0 {
        ensure!(Instant::now() < deadline, "the outbox did not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shutdown.cancel();
    task.await??;
    assert!(stats.healthy());
    assert_eq!(stats.outbox_len(), 0);
    // Every outbox row was acknowledged once, counting duplicate acks (lost acks).
    assert!(stats.published() >= total as u64);

    received_exactly_once(&env, &book, total).await?;
    Ok(())
}

/// A crash between the publish ack and the removal of the outbox rows: the rows come
/// back, the relay publishes the same events again, and JetStream's duplicate window
/// drops every copy.
#[tokio::test]
async fn republishing_after_a_crash_adds_no_duplicates() -> anyhow::Result<()> {
    let env = env(Backend::Sqlite).await?;
    let mut book = Book::default();
    let batch: Vec<Append> = (1..=5)
        .map(|i| book.append(&format!("zone.zone-{i:02}"), 4))
        .collect();
    append_all(&env.store, &batch).await?;
    let relay = env.relay(fast_config());
    assert_eq!(relay.publish_pending().await?, 20);
    wait_for_messages(&env.js, 20, Duration::from_secs(5)).await?;

    // The crash: the outbox rows are back as if `outbox_done` never ran.
    let pool = sqlx::SqlitePool::connect(&env.db_url).await?;
    sqlx::query("INSERT INTO outbox (position) SELECT position FROM events")
        .execute(&pool)
        .await?;
    pool.close().await;
    assert_eq!(env.store.outbox_len().await?, 20);

    // A new relay (the restarted process) publishes them all again...
    let restarted = env.relay(fast_config());
    assert_eq!(restarted.publish_pending().await?, 20);
    assert_eq!(restarted.stats().duplicates(), 20);
    assert_eq!(env.store.outbox_len().await?, 0);

    // ... and the stream still holds each event once.
    let info = env.js.get_stream(STREAM_NAME).await?.get_info().await?;
    assert_eq!(info.state.messages, 20);
    received_exactly_once(&env, &book, 20).await?;
    Ok(())
}

/// Without NATS, a pass fails (nothing removed from the outbox) and `run` keeps going
/// until NATS appears; a shutdown while NATS is down returns promptly.
#[tokio::test]
async fn nats_down_keeps_the_outbox_and_shutdown_is_bounded() -> anyhow::Result<()> {
    let mut env = env(Backend::Sqlite).await?;
    env.nats.stop().await?;
    let mut book = Book::default();
    append_all(&env.store, &[book.append("ngo.ngo-01", 3)]).await?;

    let relay = env.relay(fast_config());
    let err = relay.publish_pending().await.unwrap_err();
    assert!(matches!(err, RelayError::NatsUnavailable), "{err}");
    assert_eq!(env.store.outbox_len().await?, 3);

    let stats = relay.stats();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(relay.run(shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(stats.failed_rounds() >= 2, "the relay retried");
    assert_eq!(stats.outbox_len(), 3);
    let started = Instant::now();
    shutdown.cancel();
    task.await??;
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "shutdown bounded"
    );
    assert_eq!(
        env.store.outbox_len().await?,
        3,
        "the events wait for the next start"
    );

    // Next start, NATS back: everything goes out.
    env.nats.restart().await?;
    let relay = env.relay(fast_config());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(relay.run(shutdown.clone()));
    wait_for_messages(&env.js, 3, Duration::from_secs(20)).await?;
    shutdown.cancel();
    task.await??;
    received_exactly_once(&env, &book, 3).await?;
    Ok(())
}

/// Sets the stream's largest accepted message (0: no limit), behind the relay's back.
async fn set_max_message_size(js: &jetstream::Context, size: i32) -> anyhow::Result<()> {
    let mut config = js.get_stream(STREAM_NAME).await?.get_info().await?.config;
    config.max_message_size = if size == 0 { -1 } else { size };
    js.update_stream(&config).await?;
    Ok(())
}

/// Makes the (single) event of `append` larger than 4 KB.
fn fatten(book: &mut Book, append: &mut Append) {
    let event = &mut append.events[0];
    let mut env = Envelope::decode(event.payload.as_slice()).unwrap();
    if let Some(Body::NeedDeclared(need)) = env.body.as_mut() {
        need.description = "x".repeat(4096);
    }
    event.payload = env.encode_to_vec();
    book.appended.insert(env.event_id.clone(), env);
}

/// The one-event-in-flight-per-stream rule, made visible: JetStream refuses version 2
/// of a stream (too large) while it would accept version 3. The relay must not publish
/// version 3 before 2 is stored; the other streams go on meanwhile.
#[tokio::test]
async fn a_refused_event_holds_back_its_stream_only() -> anyhow::Result<()> {
    let env = env(Backend::Sqlite).await?;
    set_max_message_size(&env.js, 2048).await?;
    let mut book = Book::default();
    let mut big = vec![
        book.append("zone.zone-01", 1),
        book.append("zone.zone-01", 1),
    ];
    fatten(&mut book, &mut big[1]);
    let big_id = big[1].events[0].event_id;
    big.push(book.append("zone.zone-01", 1));
    big.push(book.append("zone.zone-02", 3));
    append_all(&env.store, &big).await?;

    let relay = env.relay(fast_config());
    for _ in 0..2 {
        match relay.publish_pending().await {
            Err(RelayError::Publish { event_id, .. }) => assert_eq!(event_id, big_id),
            other => panic!("expected the large event to be refused, got {other:?}"),
        }
        // zone-01 v1 and zone-02 v1..3 are out; zone-01 v2 (refused) and v3 wait.
        let info = env.js.get_stream(STREAM_NAME).await?.get_info().await?;
        assert_eq!(info.state.messages, 4);
        assert_eq!(env.store.outbox_len().await?, 2);
    }
    assert!(!relay.stats().healthy());

    set_max_message_size(&env.js, 0).await?;
    assert_eq!(relay.publish_pending().await?, 2);
    assert!(relay.stats().healthy());
    received_exactly_once(&env, &book, 6).await?;
    Ok(())
}

/// Makes the (single) event of `append`, a `NeedDeclared`, about `bytes` larger.
fn fatten_by(book: &mut Book, append: &mut Append, bytes: usize) {
    let event = &mut append.events[0];
    let mut env = Envelope::decode(event.payload.as_slice()).unwrap();
    if let Some(Body::NeedDeclared(need)) = env.body.as_mut() {
        need.description = "x".repeat(bytes);
    }
    event.payload = env.encode_to_vec();
    book.appended.insert(env.event_id.clone(), env);
}

/// Waits (bounded) until `ok` holds.
async fn wait_until(what: &str, within: Duration, ok: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while !ok() {
        ensure!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Waits (bounded) until the outbox holds `n` rows: the relay removes rows just after
/// JetStream stored their events.
async fn wait_for_outbox(store: &EventStore, n: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let len = store.outbox_len().await?;
        if len == n {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the outbox holds {len} rows, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How JetStream is made to refuse the large event, and how the limit is lifted.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// nats-server runs with `max_payload` 4 KB: the client refuses the message before
    /// sending it; lifted by restarting the server with the default (1 MiB).
    MaxPayload,
    /// The stream's `max_msg_size` is 4 KB: JetStream answers with an error ack
    /// (400, "message size exceeds maximum allowed"); lifted by updating the stream.
    MaxMsgSize,
}

/// One 8 KB event of stream A, among normal events of A, B and C, is refused. The relay
/// (`run`, small batches) holds back A only: B and C, events recorded after the big one
/// and many more than a batch of them, are published in order, exactly once, in rounds
/// that succeed; A stops before the big event (order kept); the refusal is counted once
/// and A shows as blocked; new events of B still go out. Once the limit is lifted, the
/// retried head goes through and A drains in order.
async fn a_refused_event_blocks_only_its_stream(
    backend: Backend,
    refusal: Refusal,
) -> anyhow::Result<()> {
    const LIMIT: usize = 4096;
    let nats = match refusal {
        Refusal::MaxPayload => NatsServer::start_with_max_payload(Some(LIMIT)).await?,
        Refusal::MaxMsgSize => NatsServer::start().await?,
    };
    let mut env = env_on(backend, nats).await?;
    if let Refusal::MaxMsgSize = refusal {
        set_max_message_size(&env.js, i32::try_from(LIMIT)?).await?;
    }
    let (a, b, c) = ("zone.zone-01", "ngo.ngo-01", "agency.water-agency");
    let mut book = Book::default();
    append_all(
        &env.store,
        &[book.append(a, 2), book.append(b, 1), book.append(c, 1)],
    )
    .await?;
    let mut big = book.append(a, 1);
    fatten_by(&mut book, &mut big, 2 * LIMIT);
    let big_id = big.events[0].event_id;
    append_all(&env.store, &[big]).await?;
    // A's later events come first in the outbox and are more than a batch.
    append_all(&env.store, &[book.append(a, 10)]).await?;
    for _ in 0..6 {
        append_all(&env.store, &[book.append(b, 1)]).await?;
        append_all(&env.store, &[book.append(c, 1)]).await?;
    }

    let relay = env.relay(RelayConfig {
        batch_size: 4,
        refused_retry: Duration::from_millis(100),
        refused_retry_max: Duration::from_millis(400),
        ..fast_config()
    });
    let stats = relay.stats();
    let limit = relay.publish_limit();
    let waker = relay.waker();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(relay.run(shutdown.clone()));

    // Everything but A after version 2: A's v1..2, B's 7, C's 7.
    let held_back = book.up_to(a, 2);
    let expected = held_back.appended.len();
    assert_eq!(expected, 16);
    wait_for_messages(&env.js, expected as u64, Duration::from_secs(30)).await?;
    wait_until("A blocked", Duration::from_secs(10), || {
        stats.blocked_streams() == 1
    })
    .await?;
    assert_eq!(stats.refused_events(), 1);
    assert_eq!(stats.failed_rounds(), 0, "a refusal fails no round");
    assert!(!stats.healthy(), "a blocked stream shows as unhealthy");
    // The big event and A's 10 later events wait in the outbox.
    wait_for_outbox(&env.store, 11).await?;
    let outbox = env.store.outbox_batch(100).await?;
    assert_eq!(outbox[0].event_id, big_id);
    assert!(outbox.iter().all(|e| e.stream_id == a));
    if let Refusal::MaxPayload = refusal {
        assert_eq!(limit.max_payload(), LIMIT);
        assert_eq!(limit.max_event_bytes(), LIMIT / 2);
    }
    received_exactly_once(&env, &held_back, expected).await?;

    // A later round still publishes B's new events; A stays where it is.
    for _ in 0..2 {
        append_all(&env.store, &[book.append(b, 1)]).await?;
        waker.notify_one();
    }
    let expected = book.up_to(a, 2).appended.len();
    wait_for_messages(&env.js, expected as u64, Duration::from_secs(30)).await?;
    wait_for_outbox(&env.store, 11).await?;
    assert_eq!(stats.blocked_streams(), 1);
    assert_eq!(stats.refused_events(), 1, "retries are not counted again");

    // The operator lifts the limit: the head is retried, accepted, and A drains.
    match refusal {
        Refusal::MaxPayload => {
            env.nats.set_max_payload(None);
            env.nats.restart().await?;
        }
        Refusal::MaxMsgSize => set_max_message_size(&env.js, 0).await?,
    }
    let total = book.appended.len();
    wait_for_messages(&env.js, total as u64, Duration::from_secs(60)).await?;
    wait_for_outbox(&env.store, 0).await?;
    wait_until("A unblocked", Duration::from_secs(10), || {
        stats.blocked_streams() == 0
    })
    .await?;
    if let Refusal::MaxPayload = refusal {
        wait_until(
            "the limit follows the server",
            Duration::from_secs(10),
            || limit.max_payload() == PublishLimit::DEFAULT_MAX_PAYLOAD,
        )
        .await?;
    }
    shutdown.cancel();
    task.await??;
    assert_eq!(stats.blocked_streams(), 0);
    assert_eq!(stats.refused_events(), 1);
    assert!(stats.healthy());
    received_exactly_once(&env, &book, total).await?;
    Ok(())
}

async fn an_event_over_max_payload_blocks_only_its_stream(backend: Backend) -> anyhow::Result<()> {
    a_refused_event_blocks_only_its_stream(backend, Refusal::MaxPayload).await
}

async fn an_event_over_max_msg_size_blocks_only_its_stream(backend: Backend) -> anyhow::Result<()> {
    a_refused_event_blocks_only_its_stream(backend, Refusal::MaxMsgSize).await
}

/// The outbox reads the relay uses for blocked streams: a batch that skips streams, and
/// the head (oldest outbox row) of given streams.
async fn outbox_reads_for_blocked_streams(backend: Backend) -> anyhow::Result<()> {
    let db = TestDb::new(backend).await?;
    let store = EventStore::open(db.url(), 2).await?;
    let mut book = Book::default();
    append_all(
        &store,
        &[
            book.append("zone.zone-01", 3),
            book.append("ngo.ngo-01", 2),
            book.append("zone.zone-02", 1),
        ],
    )
    .await?;
    let all = store.outbox_batch(100).await?;
    assert_eq!(all.len(), 6);
    let skip = vec!["zone.zone-01".to_owned(), "agency.none".to_owned()];
    let rest = store.outbox_batch_skipping(100, &skip).await?;
    let want: Vec<_> = all
        .iter()
        .filter(|e| e.stream_id != "zone.zone-01")
        .cloned()
        .collect();
    assert_eq!(rest, want);
    assert_eq!(store.outbox_batch_skipping(2, &skip).await?, want[..2]);
    assert_eq!(store.outbox_batch_skipping(100, &[]).await?, all);

    let streams = vec![
        "ngo.ngo-01".to_owned(),
        "zone.zone-01".to_owned(),
        "agency.none".to_owned(),
    ];
    let heads = store.outbox_heads(&streams).await?;
    let versions: Vec<_> = heads
        .iter()
        .map(|e| (e.stream_id.as_str(), e.stream_version))
        .collect();
    assert_eq!(versions, [("zone.zone-01", 1), ("ngo.ngo-01", 1)]);
    // Once the head is published, the next event is the head.
    store.outbox_done(&[heads[0].position]).await?;
    let heads = store.outbox_heads(&streams[1..2]).await?;
    assert_eq!(heads.len(), 1);
    assert_eq!(heads[0].stream_version, 2);
    assert!(store.outbox_heads(&[]).await?.is_empty());
    Ok(())
}

/// The publish limit follows the server's `max_payload`: the default before any server
/// was seen, the server's value once connected (read by the relay), and the new
/// server's value after a reconnect.
#[tokio::test]
async fn publish_limit_reads_the_server_max_payload() -> anyhow::Result<()> {
    let limit = PublishLimit::new();
    assert_eq!(limit.max_payload(), 1024 * 1024);
    assert_eq!(limit.max_event_bytes(), 512 * 1024);

    let mut env = env_on(
        Backend::Sqlite,
        NatsServer::start_with_max_payload(Some(4096)).await?,
    )
    .await?;
    let relay = env.relay(fast_config()).with_publish_limit(limit.clone());
    assert_eq!(relay.publish_pending().await?, 0);
    assert_eq!(limit.max_payload(), 4096);
    assert_eq!(limit.max_event_bytes(), 2048);
    assert_eq!(relay.publish_limit().max_payload(), 4096);

    env.nats.set_max_payload(Some(64 * 1024));
    env.nats.restart().await?;
    let client = env.js.client();
    let deadline = Instant::now() + Duration::from_secs(20);
    while limit.observe(&client) != 64 * 1024 {
        ensure!(
            Instant::now() < deadline,
            "max_payload still {} after the reconnect",
            limit.max_payload()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(limit.max_event_bytes(), 32 * 1024);
    Ok(())
}

/// PostgreSQL: only the holder of the relay lease publishes; it passes on release.
#[tokio::test]
async fn only_the_lease_holder_publishes_postgres() -> anyhow::Result<()> {
    let env = env(Backend::Postgres).await?;
    let mut book = Book::default();
    append_all(&env.store, &[book.append("zone.zone-01", 2)]).await?;

    let first = env.relay(fast_config());
    let first_stats = first.stats();
    let shutdown = CancellationToken::new();
    let first_task = tokio::spawn(first.run(shutdown.clone()));
    wait_for_messages(&env.js, 2, Duration::from_secs(10)).await?;
    assert!(first_stats.holds_lease());

    // A second replica (its own pool on the same database) cannot publish.
    let other_store = EventStore::open(&env.db_url, 2).await?;
    let second = Relay::new(other_store.clone(), env.js.clone(), fast_config());
    let err = second.publish_pending().await.unwrap_err();
    assert!(matches!(err, RelayError::LeaseHeldElsewhere), "{err}");
    assert!(!second.stats().holds_lease());

    // The first stops and releases the lease: the second takes over.
    shutdown.cancel();
    first_task.await??;
    append_all(&env.store, &[book.append("zone.zone-01", 1)]).await?;
    assert_eq!(second.publish_pending().await?, 1);
    assert!(second.stats().holds_lease());
    received_exactly_once(&env, &book, 3).await?;
    Ok(())
}

/// The subscriber example of docs/events.md, run against the relay's stream.
#[tokio::test]
async fn docs_example_durable_pull_consumer() -> anyhow::Result<()> {
    let env = env(Backend::Sqlite).await?;
    let mut book = Book::default();
    append_all(
        &env.store,
        &[
            book.append("zone.zone-01", 2),
            book.append("zone.zone-02", 1),
        ],
    )
    .await?;
    env.relay(fast_config()).publish_pending().await?;

    // From docs/events.md (connected by the harness as the subscriber user; stops after the
    // zone's 2 events).
    let client = env.nats.connect(NatsUser::Subscriber).await?;
    let js = jetstream::new(client);
    let stream = js.get_stream("SAMAN_EVENTS").await?;
    let consumer = stream
        .get_or_create_consumer(
            "zone-01-dashboard",
            pull::Config {
                durable_name: Some("zone-01-dashboard".into()),
                filter_subject: "saman.events.v1.zone.zone-01.>".into(),
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await?;
    let mut messages = consumer.messages().await?;
    let mut seen = Vec::new();
    while let Some(message) = tokio::time::timeout(Duration::from_secs(10), messages.next()).await?
    {
        let message = message.map_err(|e| anyhow::anyhow!("{e}"))?;
        let headers = message.headers.clone().unwrap_or_default();
        let stream_id = headers.get("Saman-Stream-Id").map(|v| v.to_string());
        let version = headers.get("Saman-Stream-Version").map(|v| v.to_string());
        let envelope = Envelope::decode(message.payload.as_ref())?;
        message.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        seen.push((stream_id, version, envelope.event_type));
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(
        seen,
        vec![
            (
                Some("zone.zone-01".into()),
                Some("1".into()),
                "NeedDeclared".into()
            ),
            (
                Some("zone.zone-01".into()),
                Some("2".into()),
                "NeedDeclared".into()
            ),
        ]
    );
    Ok(())
}
