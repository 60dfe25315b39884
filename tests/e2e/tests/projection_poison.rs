//! One message must never stop the projection: messages published on the events stream
//! by someone other than intake (text PostgreSQL cannot store, a forged envelope, a
//! version out of range, another event at a (stream, version) intake records) are
//! parked with their reason and kind, and the events after them apply: the position
//! reaches the head, the lag returns to 0, every message is acknowledged. What operators
//! see is checked through `GetStatus`, `ListParked`, `saman admin` and the metrics.

use std::time::Duration;

use anyhow::Context;
use saman_e2e::Channel;
use saman_e2e::prometheus_sample as sample;
use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use uuid::Uuid;

on_both_backends! {
    messages_the_database_refuses_are_parked_and_the_feed_and_a_rebuild_go_on => refused;
    another_event_at_a_recorded_version_is_parked_as_a_conflict_and_shown => conflicts;
}

const CATCH_UP: Duration = Duration::from_secs(120);
const CONSUMER: &str = "saman-projection";

/// NATS, intake on its own database, and the programme registered (2 zones, ngo-01
/// with 2 members, agencies water and welfare).
struct Fixture {
    nats: NatsServer,
    _intake_db: TestDb,
    intake: Intake,
}

impl Fixture {
    async fn new(backend: Backend) -> anyhow::Result<Fixture> {
        let side = WriteSide::start(backend, 2, 2).await?;
        Ok(Fixture {
            nats: side.nats,
            _intake_db: side.intake_db,
            intake: side.intake,
        })
    }

    /// The event intake published for `reply`, as it is on the stream.
    async fn published(&self, reply: &pb::SubmissionReply) -> anyhow::Result<Published> {
        let event_id = &reply
            .events
            .first()
            .context("a reply without events")?
            .event_id;
        published_event(&self.nats, event_id).await
    }

    /// Publishes `envelope` on its subject as someone else than intake would: no
    /// `Nats-Msg-Id`, so JetStream stores every copy; signed with intake's key, so that
    /// what is tested is what the read models do with it. Returns its position.
    async fn forge(&self, envelope: &events::Envelope) -> anyhow::Result<u64> {
        let subject = format!(
            "saman.events.v1.{}.{}",
            envelope.stream_id.replace('\0', "_"),
            envelope.event_type
        );
        let payload = prost::Message::encode_to_vec(envelope);
        let ack = publish_directly(&self.nats, subject, signed(&payload), payload).await?;
        anyhow::ensure!(!ack.duplicate, "stored as a duplicate: {ack:?}");
        Ok(ack.sequence)
    }
}

async fn parked(
    admin: &mut ProjectionAdminClient<Channel>,
) -> anyhow::Result<Vec<query::ParkedEvent>> {
    Ok(admin
        .list_parked(query::ListParkedRequest {})
        .await?
        .into_inner()
        .events)
}

/// (position, kind) of every parked message.
fn kinds(parked: &[query::ParkedEvent]) -> Vec<(u64, query::ParkedKind)> {
    parked.iter().map(|p| (p.position, p.kind())).collect()
}

async fn zone(
    client: &mut ProjectionClient<Channel>,
    writes: &Writes,
    code: &str,
) -> anyhow::Result<query::ZoneProgress> {
    Ok(client
        .get_zone_progress(query::GetZoneProgressRequest {
            read: writes.read("1397-12-29"),
            zone: code.into(),
        })
        .await?
        .into_inner())
}

fn titles(zone: &query::ZoneProgress) -> Vec<String> {
    zone.unanswered_needs
        .iter()
        .map(|n| n.title.clone())
        .collect()
}

fn set_title(envelope: &mut events::Envelope, title: &str) {
    if let Some(events::envelope::Body::NeedDeclared(n)) = &mut envelope.body {
        n.title = title.into();
        n.need_id = Uuid::now_v7().to_string();
    }
}

async fn declare(
    intake: &mut IntakeClient<Channel>,
    writes: &mut Writes,
    zone: &str,
    member: &str,
    title: &str,
) -> anyhow::Result<pb::SubmissionReply> {
    let reply = intake
        .declare_need(declare_need(zone, member, title))
        .await?
        .into_inner();
    writes.record(&reply);
    Ok(reply)
}

async fn refused(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let nats = &fixture.nats;
    let projection_db = TestDb::new(backend).await?;
    let projection = Projection::start(projection_db.url(), nats).await?;
    let mut admin = projection.admin().await?;
    let mut client = projection.client().await?;
    let mut intake = fixture.intake.client().await?;
    let mut writes = Writes::default();
    let first = declare(&mut intake, &mut writes, "zone-01", "m-001", "before").await?;
    let template = fixture.published(&first).await?.envelope;
    zone(&mut client, &writes, "zone-01").await?;

    // Five messages from elsewhere, each broken another way, at versions intake will
    // not reach.
    let forged = |stream: &str, version: u64| {
        let mut e = template.clone();
        e.event_id = Uuid::now_v7().to_string();
        e.stream_id = stream.into();
        e.stream_version = version;
        e
    };
    // 1. A NUL character in a need's title.
    let mut nul_title = forged("zone.zone-01", 1_000_001);
    set_title(&mut nul_title, "Clean\0water");
    // 2. ... in a zone's name.
    let mut nul_name = forged("zone.zone-09", 1);
    nul_name.event_type = "ZoneRegistered".into();
    nul_name.body = Some(events::envelope::Body::ZoneRegistered(
        events::ZoneRegistered {
            code: "zone-09".into(),
            name_fa: "منطقه ۹".into(),
            name_en: "Zone\u{0}09".into(),
            goals: vec![],
        },
    ));
    // 3. ... in the user name of the actor.
    let mut nul_actor = forged("zone.zone-02", 1_000_001);
    set_title(&mut nul_actor, "Sewage");
    if let Some(events::envelope::Body::NeedDeclared(n)) = &mut nul_actor.body {
        n.zone = "zone-02".into();
    }
    nul_actor.actor = Some(member("ngo-01", "m-\u{0}01"));
    // 4. ... in the event id and the stream id.
    let mut bad_ids = forged("zone.zone-01\0", 1);
    bad_ids.event_id = format!("forged\0{}", "x".repeat(200));
    // 5. A version beyond a 64-bit signed integer.
    let huge = forged("zone.zone-02", u64::MAX);
    let mut positions = Vec::new();
    for envelope in [&nul_title, &nul_name, &nul_actor, &bad_ids, &huge] {
        positions.push(fixture.forge(envelope).await?);
    }

    // Then ordinary submissions: they apply.
    for i in 0..3 {
        declare(
            &mut intake,
            &mut writes,
            "zone-01",
            "m-001",
            &format!("after {i}"),
        )
        .await?;
        declare(
            &mut intake,
            &mut writes,
            "zone-02",
            "m-002",
            &format!("after {i}"),
        )
        .await?;
    }
    let z1 = zone(&mut client, &writes, "zone-01").await?;
    let z2 = zone(&mut client, &writes, "zone-02").await?;
    for i in 0..3 {
        assert!(
            titles(&z1).contains(&format!("after {i}")),
            "{:?}",
            titles(&z1)
        );
        assert!(
            titles(&z2).contains(&format!("after {i}")),
            "{:?}",
            titles(&z2)
        );
    }
    let head = stream_head(nats).await?;
    let s = wait_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!((s.position, s.lag), (head, 0), "{s:?}");
    // Every message acknowledged: nothing is retried forever.
    wait_consumer_drained(nats, CONSUMER, CATCH_UP).await?;

    use query::ParkedKind::{DbRefused, Unreadable};
    let expected = match backend {
        // PostgreSQL cannot store a NUL character in text.
        Backend::Postgres => vec![
            (positions[0], DbRefused),
            (positions[1], DbRefused),
            (positions[2], DbRefused),
            (positions[3], Unreadable),
            (positions[4], DbRefused),
        ],
        // SQLite can: those apply.
        Backend::Sqlite => vec![(positions[3], Unreadable), (positions[4], DbRefused)],
    };
    let list = parked(&mut admin).await?;
    assert_eq!(kinds(&list), expected, "{list:#?}");
    assert_eq!((s.parked as usize, s.conflicts), (expected.len(), 0));
    for p in &list {
        eprintln!(
            "[{backend}] parked {} {:?}: {}",
            p.position,
            p.kind(),
            p.reason
        );
        assert!(
            !p.reason.trim().is_empty() && p.parked_at.is_some(),
            "{p:?}"
        );
    }
    let stored = backend == Backend::Sqlite;
    assert_eq!(titles(&z1).contains(&"Clean\0water".to_owned()), stored);
    assert_eq!(titles(&z2).contains(&"Sewage".to_owned()), stored);

    // A rebuild reads the same messages again: the same parked, the same replies.
    let before: Vec<Dump> = {
        let mut all = Vec::new();
        for day in ["1397-01-31", "1397-12-29"] {
            all.push(Dump::take(&mut client, read_as_of(day)).await?);
        }
        all
    };
    let rebuilt = rebuild_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!(rebuilt.parked, s.parked);
    assert_eq!(kinds(&parked(&mut admin).await?), expected);
    for (i, day) in ["1397-01-31", "1397-12-29"].into_iter().enumerate() {
        let after = Dump::take(&mut client, read_as_of(day)).await?;
        before[i].assert_same(&after, "before vs after the rebuild");
    }
    projection.stop().await?;
    fixture.intake.stop().await?;
    Ok(())
}

async fn conflicts(backend: Backend) -> anyhow::Result<()> {
    let fixture = Fixture::new(backend).await?;
    let nats = &fixture.nats;
    let projection_db = TestDb::new(backend).await?;
    let (projection, metrics) =
        ProjectionProcess::start_with_metrics(projection_db.url(), nats).await?;
    let mut admin = projection.admin().await?;
    let mut client = projection.client().await?;
    let mut intake = fixture.intake.client().await?;
    let mut writes = Writes::default();

    // zone-01, the real event first: a forgery at its (stream, version) comes later.
    let real = declare(&mut intake, &mut writes, "zone-01", "m-001", "real one").await?;
    let real = fixture.published(&real).await?;
    zone(&mut client, &writes, "zone-01").await?;
    let mut late_forgery = real.envelope.clone();
    late_forgery.event_id = Uuid::now_v7().to_string();
    set_title(&mut late_forgery, "forged after");
    let late_position = fixture.forge(&late_forgery).await?;

    // zone-02, the forgery first: at the version intake records next.
    let before = declare(&mut intake, &mut writes, "zone-02", "m-002", "before").await?;
    let template = fixture.published(&before).await?.envelope;
    zone(&mut client, &writes, "zone-02").await?;
    let mut early_forgery = template.clone();
    early_forgery.event_id = Uuid::now_v7().to_string();
    early_forgery.stream_version = before.stream_version + 1;
    set_title(&mut early_forgery, "forged before");
    let early_position = fixture.forge(&early_forgery).await?;
    wait_caught_up(&mut admin, early_position, CATCH_UP).await?;
    let second = declare(&mut intake, &mut writes, "zone-02", "m-002", "real two").await?;
    assert_eq!(second.stream_version, early_forgery.stream_version);
    let second = fixture.published(&second).await?;

    // Copies with the event ids applied (a republish): duplicates, not parked.
    fixture.forge(&real.envelope).await?;
    fixture.forge(&early_forgery).await?;

    let head = stream_head(nats).await?;
    let s = wait_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!((s.parked, s.conflicts, s.lag), (2, 2, 0), "{s:?}");
    wait_consumer_drained(nats, CONSUMER, CATCH_UP).await?;
    let list = parked(&mut admin).await?;
    use query::ParkedKind::Conflict;
    assert_eq!(
        kinds(&list),
        [(late_position, Conflict), (second.sequence, Conflict)],
        "{list:#?}"
    );
    let reason = |p: &query::ParkedEvent| p.reason.clone();
    assert_eq!(list[0].event_id, late_forgery.event_id);
    assert_eq!(
        reason(&list[0]),
        format!(
            "conflict: stream zone.zone-01 version {} was already applied at position {} as \
             event {:?}; this message carries event {:?}",
            real.envelope.stream_version,
            real.sequence,
            real.envelope.event_id,
            late_forgery.event_id
        )
    );
    assert_eq!(list[1].event_id, second.envelope.event_id);
    assert_eq!(
        reason(&list[1]),
        format!(
            "conflict: stream zone.zone-02 version {} was already applied at position \
             {early_position} as event {:?}; this message carries event {:?}",
            second.envelope.stream_version, early_forgery.event_id, second.envelope.event_id
        )
    );
    // What came first stays applied, once; the read of intake's own write still returns.
    let z1 = zone(&mut client, &writes, "zone-01").await?;
    assert_eq!(titles(&z1), ["real one"]);
    let z2 = zone(&mut client, &writes, "zone-02").await?;
    assert_eq!(titles(&z2), ["before", "forged before"]);

    // The operators' view.
    let mut env = vec![
        (
            "SAMAN_INTAKE".into(),
            format!("https://{}", fixture.intake.addr),
        ),
        (
            "SAMAN_PROJECTION".into(),
            format!("https://{}", projection.addr),
        ),
    ];
    env.extend(nats.env(NatsUser::Subscriber));
    let saman = Saman::with_env(env)?;
    let json = saman.json(&["admin", "status", "--json"]).await?;
    assert_eq!(
        (json["parked"].clone(), json["conflicts"].clone()),
        (2.into(), 2.into())
    );
    let text = saman.stdout(&["admin", "status"]).await?;
    assert!(
        text.contains("parked      2") && text.contains("conflicts   2"),
        "{text}"
    );
    let json = saman.json(&["admin", "parked", "--json"]).await?;
    let events = json["events"].as_array().context("events")?;
    assert_eq!(events.len(), 2, "{json}");
    for event in events {
        assert_eq!(event["kind"], "PARKED_KIND_CONFLICT", "{event}");
        assert!(
            event["reason"]
                .as_str()
                .unwrap_or_default()
                .starts_with("conflict: stream zone.zone-0"),
            "{event}"
        );
    }
    let text = saman.stdout(&["admin", "parked"]).await?;
    assert!(text.contains("kind") && text.contains("conflict"), "{text}");
    assert!(text.contains(&late_forgery.event_id), "{text}");
    let scraped = http_get(metrics, "/metrics").await?;
    let live = ["feed=\"live\""];
    assert_eq!(
        sample(&scraped, "saman_projection_events_conflict_total", &live),
        Some(2.0),
        "{scraped}"
    );
    assert!(
        sample(&scraped, "saman_projection_events_duplicate_total", &live).unwrap_or(0.0) >= 2.0,
        "{scraped}"
    );

    // After a restart: still two, counted once.
    let mut projection = projection;
    projection.terminate(Duration::from_secs(20)).await?;
    let projection =
        ProjectionProcess::start_with(projection_db.url(), nats, free_port(), &[]).await?;
    let mut admin = projection.admin().await?;
    let s = wait_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!((s.parked, s.conflicts), (2, 2), "{s:?}");
    fixture.intake.stop().await?;
    Ok(())
}
