//! Events prove where they come from: intake signs every event it publishes, and the
//! projection believes only what its event keys verify. Forgeries placed on the stream
//! directly (a valid envelope at the stream and version intake records next: unsigned,
//! signed by a key the projection does not hold, with a signature over other bytes, with
//! a signature that is not one) are parked, each with its kind and reason, live and
//! again in a rebuild, and intake's real event at that stream and version is applied.
//! Without keys neither service starts, unless told to run insecure.

use std::time::Duration;

use anyhow::Context;
use saman_contract::EventSigner;
use saman_e2e::Channel;
use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use uuid::Uuid;

on_both_backends! {
    forged_and_unsigned_events_are_parked_live_and_in_a_rebuild_and_intakes_real_event_applies => forgeries;
}

const CATCH_UP: Duration = Duration::from_secs(120);

/// The event intake published for `reply`, as it is on the stream.
async fn published_for(
    nats: &NatsServer,
    reply: &pb::SubmissionReply,
) -> anyhow::Result<Published> {
    let event = reply.events.first().context("a reply without events")?;
    published_event(nats, &event.event_id).await
}

async fn declare(
    intake: &mut IntakeClient<Channel>,
    writes: &mut Writes,
    title: &str,
) -> anyhow::Result<pb::SubmissionReply> {
    let reply = intake
        .declare_need(declare_need("zone-01", "m-001", title))
        .await?
        .into_inner();
    writes.record(&reply);
    Ok(reply)
}

/// The titles of zone-01's unanswered needs, once the read reflects `writes`.
async fn titles(
    client: &mut ProjectionClient<Channel>,
    writes: &Writes,
) -> anyhow::Result<Vec<String>> {
    let zone = client
        .get_zone_progress(query::GetZoneProgressRequest {
            read: writes.read("1397-12-29"),
            zone: "zone-01".into(),
        })
        .await?
        .into_inner();
    Ok(zone.unanswered_needs.into_iter().map(|n| n.title).collect())
}

/// A forgery of `template`: another event id and need, titled `title`, at `version`.
fn forged(template: &events::Envelope, version: u64, title: &str) -> events::Envelope {
    let mut envelope = template.clone();
    envelope.event_id = Uuid::now_v7().to_string();
    envelope.stream_version = version;
    if let Some(events::envelope::Body::NeedDeclared(n)) = &mut envelope.body {
        n.title = title.into();
        n.need_id = Uuid::now_v7().to_string();
    }
    envelope
}

fn headers(pairs: &[(&str, &str)]) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    for (name, value) in pairs {
        headers.insert(*name, *value);
    }
    headers
}

/// (position, kind, reason) of every parked message.
async fn parked(
    admin: &mut saman_proto::projection::v1::projection_admin_client::ProjectionAdminClient<
        Channel,
    >,
) -> anyhow::Result<Vec<(u64, query::ParkedKind, String, String)>> {
    let events = admin
        .list_parked(query::ListParkedRequest {})
        .await?
        .into_inner()
        .events;
    Ok(events
        .into_iter()
        .map(|p| (p.position, p.kind(), p.event_id.clone(), p.reason.clone()))
        .collect())
}

async fn forgeries(backend: Backend) -> anyhow::Result<()> {
    let system = System::start_registered(backend, 2, 1).await?;
    let nats = &system.nats;
    let (mut admin, mut client) = (
        system.projection.admin().await?,
        system.projection.client().await?,
    );
    let (mut intake, mut writes) = (system.intake.client().await?, Writes::default());

    let first = declare(&mut intake, &mut writes, "real one").await?;
    assert_eq!(titles(&mut client, &writes).await?, ["real one"]);
    let template = published_for(nats, &first).await?.envelope;
    let next = first.stream_version + 1;
    let subject =
        |e: &events::Envelope| format!("saman.events.v1.{}.{}", e.stream_id, e.event_type);

    // Four forgeries of the event intake records next in zone-01, each at that version.
    let kid = event_keys().signer().key_id().to_owned();
    let stranger = EventSigner::generate();
    let mut forgeries = Vec::new();
    for (title, how) in [
        ("unsigned", "none"),
        ("stranger's key", "stranger"),
        ("signed other bytes", "other bytes"),
        ("not a signature", "garbage"),
    ] {
        let envelope = forged(&template, next, title);
        let payload = prost::Message::encode_to_vec(&envelope);
        let headers = match how {
            "none" => async_nats::HeaderMap::new(),
            "stranger" => {
                let [(n1, v1), (n2, v2)] = stranger.sign(&payload);
                headers(&[(n1, &v1), (n2, &v2)])
            }
            // Intake's key and id, over other bytes (what a tampered payload looks like).
            "other bytes" => signed(b"another payload"),
            _ => headers(&[
                ("Saman-Signature", "bm90IGEgc2lnbmF0dXJl"),
                ("Saman-Key-Id", &kid),
            ]),
        };
        let ack = publish_directly(nats, subject(&envelope), headers, payload).await?;
        forgeries.push((ack.sequence, envelope));
    }
    let last_forgery = forgeries.last().map(|(p, _)| *p).unwrap_or_default();
    wait_caught_up(&mut admin, last_forgery, CATCH_UP).await?;

    // Intake's real event at that (stream, version) comes after them, and applies.
    let second = declare(&mut intake, &mut writes, "real two").await?;
    assert_eq!(
        second.stream_version, next,
        "the forgeries took intake's next version"
    );
    let real = published_for(nats, &second).await?;
    assert_eq!(
        titles(&mut client, &writes).await?,
        ["real one", "real two"]
    );

    let head = stream_head(nats).await?;
    let s = wait_caught_up(&mut admin, head, CATCH_UP).await?;
    assert_eq!((s.parked, s.conflicts), (4, 0), "{s:?}");
    use query::ParkedKind::{BadSignature, MalformedSignature, UnknownKey, Unsigned};
    let claims = |e: &events::Envelope| {
        format!(
            "; not applied (it claims to be event {:?}, stream zone.zone-01 version {next})",
            e.event_id
        )
    };
    let stranger_kid = stranger.key_id().to_owned();
    let expected: Vec<(u64, query::ParkedKind, String, String)> = forgeries
        .iter()
        .zip([
            (Unsigned, "unsigned: no Saman-Signature header".to_owned()),
            (
                UnknownKey,
                format!(
                    "signed by an unknown key: Saman-Key-Id {stranger_kid:?} is not among the \
                     event keys"
                ),
            ),
            (
                BadSignature,
                format!("bad signature: the payload does not verify with key {kid:?}"),
            ),
            (
                MalformedSignature,
                "malformed signature: Saman-Signature is not 64 bytes of unpadded base64url"
                    .to_owned(),
            ),
        ])
        .map(|((position, envelope), (kind, why))| {
            (
                *position,
                kind,
                envelope.event_id.clone(),
                format!("{why}{}", claims(envelope)),
            )
        })
        .collect();
    assert_eq!(parked(&mut admin).await?, expected);
    assert!(
        real.sequence > last_forgery,
        "intake's event {} came after the forgeries",
        real.sequence
    );

    // A rebuild replays the stream: the forgeries are parked again, intake's events apply.
    let rebuilt = rebuild_caught_up(&mut admin, head, CATCH_UP).await?;
    assert!(rebuilt.generation > s.generation, "{rebuilt:?}");
    assert_eq!((rebuilt.parked, rebuilt.conflicts), (4, 0), "{rebuilt:?}");
    assert_eq!(
        parked(&mut admin).await?,
        expected,
        "parked again by the rebuild"
    );
    assert_eq!(
        titles(&mut client, &writes).await?,
        ["real one", "real two"]
    );

    // What the operator sees.
    let saman = system.saman()?;
    let text = saman.stdout(&["admin", "parked"]).await?;
    for kind in [
        "unsigned",
        "unknown key",
        "bad signature",
        "malformed signature",
    ] {
        assert!(text.contains(kind), "{kind} in:\n{text}");
    }
    system.stop().await
}

/// What a service's `run` says when it refuses to start.
async fn refusal<F>(run: impl FnOnce(tokio::net::TcpListener) -> F) -> anyhow::Result<String>
where
    F: Future<Output = anyhow::Result<()>>,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    match run(listener).await {
        Ok(()) => anyhow::bail!("the service started"),
        Err(refused) => Ok(format!("{refused:#}")),
    }
}

#[tokio::test]
async fn without_event_keys_neither_service_starts_unless_told_to_run_insecure()
-> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let mut config = saman_intake::config::Config::new(db.url(), "nats://127.0.0.1:1");
    config.auth = auth_args();
    config.tls = tls_flags();
    assert_eq!(
        refusal(|l| saman_intake::server::run(config, l, std::future::pending())).await?,
        "no event signing key: pass --event-signing-key FILE (an Ed25519 key in PKCS#8 PEM), \
         or --insecure-unsigned-events to publish unsigned events"
    );
    let mut config = ProjectionConfig::new(db.url(), "nats://127.0.0.1:1");
    config.auth = auth_args();
    config.tls = tls_flags();
    assert_eq!(
        refusal(|l| saman_projection::server::run(config, l, std::future::pending())).await?,
        "no event keys: pass --event-keys FILE (the JWKS of intake's event signing keys), \
         or --insecure-unverified-events to apply events unchecked"
    );

    // A key file that is not one: refused, naming the file.
    let mut config = ProjectionConfig::new(db.url(), "nats://127.0.0.1:1");
    config.auth = auth_args();
    config.tls = tls_flags();
    config.event_keys.event_keys = Some(event_keys().signing_key_file());
    let refused =
        refusal(|l| saman_projection::server::run(config, l, std::future::pending())).await?;
    assert!(
        refused.starts_with(&format!(
            "Failed to read the event keys {}: not a JWKS of Ed25519 keys: not JSON",
            event_keys().signing_key_file().display()
        )),
        "{refused}"
    );

    // Told to: both start (and warn).
    let nats = NatsServer::start().await?;
    let mut config = intake_config(db.url(), &nats);
    config.signing.insecure_unsigned_events = true;
    let intake = Intake::start_with(config).await?;
    wait_serving(intake.addr).await?;
    let projection_db = TestDb::new(Backend::Sqlite).await?;
    let mut config = projection_config(projection_db.url(), &nats);
    config.event_keys.insecure_unverified_events = true;
    let projection = Projection::start_with(config).await?;
    projection.stop().await?;
    intake.stop().await
}
