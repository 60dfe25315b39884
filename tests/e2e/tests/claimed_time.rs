//! Time you can trust, as the programme meets it: a need received after the deadline
//! that claims an earlier time is late unless its time is vouched for; within the
//! tolerance, or attested by the programme office (the attester and the reason in the
//! event, on JetStream and on the projection's timeline), it is on time; a deployment
//! that replays a past year opts in, and its events say so, also after a restart.
//!
//! The programme's dates are set near today, so that "after the deadline" is now.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use prost::Message as _;
use saman_domain::Day;
use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1 as query;
use tonic::Code;

use events::claimed_time::Vouch;

/// The programme's dates with the needs deadline `deadline` (yesterday, in the tests).
fn dates(deadline: Day) -> anyhow::Result<pb::SetProgrammeDatesRequest> {
    Ok(pb::SetProgrammeDatesRequest {
        submission: submission(office(), ""),
        needs_deadline: deadline.iso(),
        proposals_deadline: deadline.iso(),
        operational_start: deadline.add_days(1)?.iso(),
        goal_date: deadline.add_days(300)?.iso(),
    })
}

/// A need by m-001 of ngo-01 in zone-01 that claims to have happened at `at`.
fn need_at(title: &str, at: Timestamp) -> pb::DeclareNeedRequest {
    let mut need = declare_need("zone-01", "m-001", title);
    if let Some(s) = need.submission.as_mut() {
        // To the second: intake keeps instants to the microsecond.
        s.occurred_at = at.round(jiff::Unit::Second).expect("in range").to_string();
    }
    need
}

/// The same need, entered by the programme office from its paper form.
fn attested(
    mut need: pb::DeclareNeedRequest,
    reason: &str,
) -> tonic::Request<pb::DeclareNeedRequest> {
    if let Some(s) = need.submission.as_mut() {
        s.attestation = Some(pb::Attestation {
            reason: reason.into(),
        });
    }
    as_caller("office:office", need)
}

/// The stored envelope of the event a reply recorded.
async fn stored(db: &TestDb, reply: &pb::SubmissionReply) -> anyhow::Result<events::Envelope> {
    let id = &reply.events[0].event_id;
    let event = stored_events(db.url())
        .await?
        .into_iter()
        .find(|e| e.event_id.to_string() == *id)
        .ok_or_else(|| anyhow::anyhow!("event {id} is not in the store"))?;
    Ok(events::Envelope::decode(event.payload.as_slice())?)
}

/// Declares the need: intake's reply and the envelope it stored.
async fn declare(
    client: &mut IntakeClient<Channel>,
    need: impl tonic::IntoRequest<pb::DeclareNeedRequest>,
    db: &TestDb,
) -> anyhow::Result<(pb::SubmissionReply, events::Envelope)> {
    let reply = client.declare_need(need).await?.into_inner();
    let envelope = stored(db, &reply).await?;
    Ok((reply, envelope))
}

fn vouch(envelope: &events::Envelope) -> Option<&Vouch> {
    envelope.claimed_time.as_ref()?.vouch.as_ref()
}

on_both_backends! {
    a_backdated_need_is_late_unless_its_time_is_vouched_for => backdated_need;
}

async fn backdated_need(backend: Backend) -> anyhow::Result<()> {
    let intake_db = TestDb::new(backend).await?;
    let projection_db = TestDb::new(backend).await?;
    let nats = NatsServer::start().await?;
    // As a deployment recording the present runs: no opt-in, the default tolerance.
    let config = intake_config(intake_db.url(), &nats);
    assert!(!config.trust_claimed_time);
    assert_eq!(config.occurred_at_tolerance, Duration::from_secs(36 * 3600));
    let intake = Intake::start_judging_receipt(config).await?;
    wait_serving(intake.addr).await?;
    let mut client = intake.client().await?;
    register_programme(&mut client, 1, 1).await?;
    let today = Day::in_tehran(Timestamp::now());
    let deadline = today.add_days(-1)?;
    client.set_programme_dates(dates(deadline)?).await?;

    // Five days ago: before the deadline, far beyond the tolerance.
    let long_ago = Timestamp::now() - SignedDuration::from_hours(5 * 24);
    // A minute before the deadline ended: at most a day and a minute ago.
    let just_before = deadline.end_in_tehran() - SignedDuration::from_mins(1);
    let mut writes = Writes::default();

    let (claimed, envelope) = declare(
        &mut client,
        need_at("Claims five days ago", long_ago),
        &intake_db,
    )
    .await?;
    assert!(
        claimed.late,
        "an unvouched earlier claim is judged on receipt"
    );
    assert!(
        matches!(vouch(&envelope), Some(Vouch::Unvouched(_))),
        "{envelope:?}"
    );
    assert!(envelope.received_at.is_some(), "{envelope:?}");
    writes.record(&claimed);

    let (tolerated, envelope) = declare(
        &mut client,
        need_at("Offline for a day", just_before),
        &intake_db,
    )
    .await?;
    assert!(!tolerated.late, "a claim within the tolerance stands");
    assert!(
        matches!(
            vouch(&envelope),
            Some(Vouch::WithinTolerance(t)) if t.tolerance_seconds == 36 * 3600
        ),
        "{envelope:?}"
    );
    writes.record(&tolerated);

    let reason = "paper form dated five days ago, received by post";
    let (paper, envelope) = declare(
        &mut client,
        attested(need_at("From a paper form", long_ago), reason),
        &intake_db,
    )
    .await?;
    assert!(!paper.late, "a claim the programme office attests stands");
    let Some(Vouch::Attested(attestation)) = vouch(&envelope) else {
        panic!("not attested: {envelope:?}");
    };
    assert_eq!(attestation.attester, Some(office()));
    assert_eq!(attestation.reason, reason);
    let attester = attestation
        .principal
        .clone()
        .expect("the attester's principal");
    assert_eq!(attester.subject, "programme-office:office");
    // The act is the original actor's; the token that entered it the office's.
    assert_eq!(envelope.actor, Some(member("ngo-01", "m-001")));
    assert_eq!(envelope.principal, Some(attester.clone()));
    writes.record(&paper);

    // JetStream carries the same envelope.
    let on_stream = published(&nats, 1, Duration::from_secs(20))
        .await?
        .into_iter()
        .find(|m| m.envelope.event_id == paper.events[0].event_id)
        .expect("the attested need on JetStream");
    assert_eq!(on_stream.envelope, envelope);

    // Attesting is the office's alone, and needs a reason; nothing is recorded.
    let before = stored_events(intake_db.url()).await?.len();
    let mut as_member = attested(need_at("Self-attested", long_ago), reason);
    let token = format!("Bearer {}", Tokens::of("member:ngo-01/m-001"));
    as_member
        .metadata_mut()
        .insert("authorization", token.parse()?);
    refused(
        client.declare_need(as_member).await,
        Code::PermissionDenied,
        "submission.attestation",
    )
    .await;
    refused(
        client
            .declare_need(attested(need_at("No reason", long_ago), "  "))
            .await,
        Code::InvalidArgument,
        "submission.attestation.reason",
    )
    .await;
    assert_eq!(stored_events(intake_db.url()).await?.len(), before);

    // The projection's timeline shows who was authenticated, and who attested.
    let web: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let mut config = projection_config(projection_db.url(), &nats);
    config.web_listen = web;
    let projection = Projection::start_with(config).await?;
    let mut reads = projection.client().await?;
    let (timeline, _) =
        whole_timeline(&mut reads, writes.read(&today.iso()), "zone-01", 50).await?;
    let entry = |id: &str| -> &query::TimelineEntry {
        timeline
            .iter()
            .find(|e| e.event_id == id)
            .unwrap_or_else(|| panic!("{id} not on the timeline: {timeline:?}"))
    };
    let unvouched = entry(&claimed.events[0].event_id);
    assert_eq!(unvouched.vouch, "unvouched");
    assert_eq!(
        unvouched.principal.as_ref().map(|p| p.subject.as_str()),
        Some("ngo-member:ngo-01/m-001")
    );
    // Counted on when intake received it, not on the day it claims.
    assert_eq!(
        unvouched.occurred_on.as_ref().map(|d| d.iso.as_str()),
        Some(today.iso().as_str())
    );
    assert!(
        unvouched.what_en.contains("after the deadline"),
        "{unvouched:?}"
    );
    assert_eq!(entry(&tolerated.events[0].event_id).vouch, "tolerance");
    let from_paper = entry(&paper.events[0].event_id);
    assert_eq!(from_paper.vouch, "attested");
    assert_eq!(from_paper.attestation.as_ref(), Some(attestation));
    assert_eq!(from_paper.principal, Some(attester));
    assert_eq!(from_paper.actor, Some(member("ngo-01", "m-001")));
    // And so does the web page.
    let (_, page) = web_get(web, &format!("/en/zones/zone-01?as_of={}", today.iso()))
        .await?
        .parts();
    let page = visible_text(&page);
    assert!(
        page.contains("signed in as ngo-member:ngo-01/m-001")
            && page.contains(&format!(
                "time attested by programme office (office): {reason}"
            ))
            && page.contains("counted when received"),
        "{page}"
    );
    projection.stop().await?;

    // The command line enters a paper form the same way: the member's act, sent with
    // the office's token, its time attested.
    let saman = Saman::with_env(vec![(
        "SAMAN_INTAKE".into(),
        format!("https://{}", intake.addr),
    )])?;
    let ran = saman
        .run(
            format!(
                "need declare zone-01 --as member:ngo-01/m-001 --at {} \
                 --attest 'form from the village, by post' --attester office:sara \
                 --approach social --title 'Paper form' --households 3 --json",
                long_ago.round(jiff::Unit::Second)?
            )
            .as_str(),
        )
        .await?
        .ok()?;
    let reply = ran.json()?;
    assert_eq!(
        reply["late"],
        serde_json::Value::Bool(false),
        "on time: {reply}"
    );
    let id = reply["events"][0]["event_id"]
        .as_str()
        .expect("an event id");
    let envelope = events::Envelope::decode(
        stored_events(intake_db.url())
            .await?
            .into_iter()
            .find(|e| e.event_id.to_string() == id)
            .expect("the CLI's need in the store")
            .payload
            .as_slice(),
    )?;
    let Some(Vouch::Attested(by_cli)) = vouch(&envelope) else {
        panic!("not attested: {envelope:?}");
    };
    assert_eq!(
        (by_cli.attester.clone(), by_cli.reason.as_str()),
        (
            Some(events::Actor {
                kind: Some(events::actor::Kind::ProgrammeOffice(events::Official {
                    user: "sara".into()
                }))
            }),
            "form from the village, by post"
        )
    );
    assert_eq!(envelope.actor, Some(member("ngo-01", "m-001")));

    // The same store under a deployment that opted in to replaying a past year: after
    // the restart, an earlier claim stands, and the event says why.
    intake.stop().await?;
    let intake = Intake::start_with(intake_config(intake_db.url(), &nats)).await?;
    wait_serving(intake.addr).await?;
    let mut client = intake.client().await?;
    let (replayed, envelope) =
        declare(&mut client, need_at("Replayed", long_ago), &intake_db).await?;
    assert!(!replayed.late, "the opted-in deployment trusts the claim");
    assert!(
        matches!(vouch(&envelope), Some(Vouch::TrustedDeployment(_))),
        "{envelope:?}"
    );
    intake.stop().await
}
