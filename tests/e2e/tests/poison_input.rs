//! Poison inputs: no single request, however large or strange, may break a part of the
//! system. Each class of defect an outside client found (oversized events and fields,
//! stored days that read back as other days, text the stores cannot hold, refusals too
//! big for gRPC metadata, numbers the read models cannot hold, meaningless values) is
//! tried with inputs of its own: each is refused with its documented status and field
//! (docs/errors.md), or recorded, published, applied, and read back as itself after
//! both services restart.

use saman_domain::event::{ProposalSubmitted, SocialActivityReported};
use std::time::Duration;

use prost::Message;
use saman_e2e::Channel;
use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::projection_client::ProjectionClient;
use tonic::Code;

on_both_backends! {
    poison_inputs_of_every_class_are_refused_with_their_status_and_field => refusals;
    values_at_every_limit_are_recorded_published_applied_and_read_back_after_restarts => extremes;
    values_stored_under_older_rules_never_stop_intake_from_starting => stored_under_older_rules;
}

/// The most goals and need ids a request may carry (docs/errors.md).
const MAX_GOALS: usize = 50;
const MAX_NEED_IDS: usize = 50;

fn text_of(chars: usize, unit: &str) -> String {
    unit.repeat(chars.div_ceil(unit.chars().count()))
        .chars()
        .take(chars)
        .collect()
}

fn need_with(title: &str) -> pb::DeclareNeedRequest {
    declare_need("zone-01", "m-001", title)
}

fn zone_with_goals(code: &str, goals: Vec<pb::GoalInput>) -> pb::RegisterZoneRequest {
    pb::RegisterZoneRequest {
        submission: submission(office(), "1396-12-27"),
        code: code.into(),
        name_fa: "منطقه آزمون".into(),
        name_en: "Test zone".into(),
        goals,
    }
}

fn long_goal(i: usize) -> pb::GoalInput {
    pb::GoalInput {
        code: format!("goal-{i:02}"),
        approach: events::Approach::Infrastructural as i32,
        title_fa: text_of(200, "آب\u{200C}رسانی "),
        title_en: text_of(200, "Water supply "),
        weight: 100,
    }
}

fn proposal(need_ids: Vec<String>) -> pb::SubmitProposalRequest {
    water_proposal("zone-01", need_ids)
}

fn activity() -> pb::ReportSocialActivityRequest {
    social_activity("1397-01-21")
}

fn dates() -> pb::SetProgrammeDatesRequest {
    pb::SetProgrammeDatesRequest {
        submission: submission(office(), "1396-12-27"),
        ..programme_dates()
    }
}

fn progress(proposal_id: &str, as_of: &str, at: &str) -> pb::ReportProgressRequest {
    pb::ReportProgressRequest {
        submission: submission(officer("water"), at),
        zone: "zone-01".into(),
        proposal_id: proposal_id.into(),
        percent: 20,
        note: "".into(),
        as_of: as_of.into(),
        correction: "".into(),
    }
}

fn complete(proposal_id: &str, completed_on: &str, at: &str) -> pb::CompleteProjectRequest {
    pb::CompleteProjectRequest {
        submission: submission(officer("water"), at),
        zone: "zone-01".into(),
        proposal_id: proposal_id.into(),
        completed_on: completed_on.into(),
        note: "".into(),
    }
}

fn at(mut request: pb::DeclareNeedRequest, occurred_at: &str) -> pb::DeclareNeedRequest {
    request.submission.as_mut().unwrap().occurred_at = occurred_at.into();
    request
}

/// Runs one refused case: the status, the field, bounded metadata, nothing recorded.
macro_rules! refuse {
    ($client:ident, $db:ident, $what:expr, $rpc:ident($request:expr) => $code:ident, $field:expr) => {{
        let before = stored_events($db.url()).await?.len();
        let result = $client.clone().$rpc($request).await;
        eprintln!(
            "{}: {:?}",
            $what,
            result.as_ref().map(|_| ()).map_err(|s| s.code())
        );
        refused(result, Code::$code, $field).await;
        assert_eq!(
            stored_events($db.url()).await?.len(),
            before,
            "{}: a refused submission was recorded",
            $what
        );
    }};
}

async fn refusals(backend: Backend) -> anyhow::Result<()> {
    let (db, _nats, intake) = intake_alone(backend).await?;
    let client = intake.client().await?;

    // Before the programme's dates are set, a need cannot be judged on time or late:
    // the refusal names a field of the request.
    {
        let mut c = client.clone();
        c.register_zone(zone_with_goals(
            "zone-01",
            vec![goal("water", events::Approach::Social)],
        ))
        .await?;
        c.record_approved_ngo(approved_ngo()).await?;
        c.approve_ngo_member(ngo_member(1)).await?;
        refuse!(client, db, "a need before the programme's dates", declare_need(need_with("Roof repair"))
            => FailedPrecondition, "submission.occurred_at");
        c.set_programme_dates(dates()).await?;
        for code in ["water", "welfare"] {
            c.register_agency(agency(code)).await?;
        }
    }
    let need = client
        .clone()
        .declare_need(need_with("Clean water"))
        .await?
        .into_inner()
        .entity_id;
    let project = client
        .clone()
        .submit_proposal(proposal(vec![need.clone()]))
        .await?
        .into_inner()
        .entity_id;
    client
        .clone()
        .decide_proposal(pb::DecideProposalRequest {
            submission: submission(supervisor(), "1397-02-05"),
            zone: "zone-01".into(),
            proposal_id: project.clone(),
            decision: pb::Decision::Approve as i32,
            reason: "".into(),
        })
        .await?;

    // ---- 1. too large to publish, or beyond a limit ------------------------------------
    refuse!(client, db, "51 goals", register_zone(zone_with_goals("zone-51", (0..=MAX_GOALS).map(long_goal).collect()))
        => InvalidArgument, "goals");
    refuse!(client, db, "51 need ids", submit_proposal(proposal(vec![need.clone(); MAX_NEED_IDS + 1]))
        => InvalidArgument, "need_ids");
    refuse!(client, db, "a title of 201 characters", declare_need(need_with(&"t".repeat(201)))
        => InvalidArgument, "title");
    refuse!(client, db, "a description of 4,001 Persian characters", declare_need(altered(need_with("Roof repair"), |r| r.description = text_of(4001, "سقف ")))
        => InvalidArgument, "description");

    // ---- 2. days no submission may name (they would be stored as other years) ----------
    refuse!(client, db, "held_on in Solar Hijri year 397", report_social_activity(altered(activity(), |r| r.held_on = "0397-01-20".into()))
        => InvalidArgument, "held_on");
    refuse!(client, db, "planned_start in ISO year 1700", submit_proposal(altered(proposal(vec![need.clone()]), |r| r.planned_start = "1700-03-01".into()))
        => InvalidArgument, "planned_start");
    refuse!(client, db, "a goal date in Solar Hijri 1500", set_programme_dates(altered(dates(), |r| r.goal_date = "۱۵۰۰/۰۱/۰۱".into()))
        => InvalidArgument, "goal_date");
    refuse!(client, db, "occurred_at in ISO year 1018", declare_need(at(need_with("Roof repair"), "1018-04-09T10:00:00Z"))
        => InvalidArgument, "submission.occurred_at");

    // ---- 3. characters the stores or screens cannot hold ---------------------------------
    refuse!(client, db, "a NUL in a member's full name", approve_ngo_member(pb::ApproveNgoMemberRequest { submission: submission(office(), "1397-01-10"), full_name: "Member\0 50".into(), ..ngo_member(50) })
        => InvalidArgument, "full_name");
    refuse!(client, db, "a NUL in the acting official's user name", set_programme_dates({
        let mut r = dates();
        r.submission = submission(
            events::Actor {
                kind: Some(events::actor::Kind::ProgrammeOffice(events::Official {
                    user: "office\0".into(),
                })),
            },
            "1396-12-28",
        );
        r
    }) => InvalidArgument, "submission.actor.programme_office.user");
    refuse!(client, db, "a NUL in a supervision report's findings", file_supervision_report(pb::FileSupervisionReportRequest { findings: "Meetings\0held".into(), ..supervision_report(4) })
        => InvalidArgument, "findings");
    refuse!(client, db, "a NUL in a ministry approval reference", record_approved_ngo(pb::RecordApprovedNgoRequest { code: "ngo-02".into(), name_fa: "سمن دو".into(), name_en: "NGO Two".into(), ministry_approval_ref: "MOI\0-2".into(), ..approved_ngo() })
        => InvalidArgument, "ministry_approval_ref");

    // ---- 4. refusals that must still fit in gRPC metadata --------------------------------
    refuse!(client, db, "a 100 KB zone code", declare_need(declare_need(&"z".repeat(100_000), "m-001", "Roof"))
        => InvalidArgument, "zone");
    refuse!(client, db, "a 200 KB date", report_social_activity(altered(activity(), |r| r.held_on = "1397-".repeat(40_000)))
        => InvalidArgument, "held_on");
    refuse!(client, db, "50 goals with every field empty (200 problems)", register_zone(zone_with_goals("zone-77", (0..MAX_GOALS).map(|_| pb::GoalInput::default()).collect()))
        => InvalidArgument, "goals[0].code");
    refuse!(client, db, "50 malformed need ids of 10 KB each", submit_proposal(proposal(vec!["x".repeat(10_000); MAX_NEED_IDS]))
        => InvalidArgument, "need_ids[0]");
    refuse!(client, db, "a 500 KB title of bidi overrides", declare_need(need_with(&"\u{202E}".repeat(170_000)))
        => InvalidArgument, "title");

    // ---- 5. numbers the read models cannot hold ------------------------------------------
    for budget in [u64::MAX, 1u64 << 63, 100_000_000_000_001] {
        refuse!(client, db, format!("a budget of {budget} rials"), submit_proposal(altered(proposal(vec![need.clone()]), |r| r.budget_rials = budget))
            => InvalidArgument, "budget_rials");
    }
    refuse!(client, db, "4,000,000,000 households", declare_need(altered(need_with("Roof repair"), |r| r.households_affected = 4_000_000_000))
        => InvalidArgument, "households_affected");
    refuse!(client, db, "1,000,001 participants", report_social_activity(altered(activity(), |r| r.participants = 1_000_001))
        => InvalidArgument, "participants");

    // ---- 7. accepted although meaningless -------------------------------------------------
    refuse!(client, db, "a title of joiners and marks", declare_need(need_with("\u{200D}\u{200E}\u{2060}"))
        => InvalidArgument, "title");
    refuse!(client, db, "a title of a Hangul filler", declare_need(need_with(" \u{3164} "))
        => InvalidArgument, "title");
    refuse!(client, db, "a name with a BEL", register_agency(pb::RegisterAgencyRequest { name_fa: "راه".into(), name_en: "Roads\u{7}".into(), ..agency("roads") })
        => InvalidArgument, "name_en");
    refuse!(client, db, "a name with a C1 control", approve_ngo_member(pb::ApproveNgoMemberRequest { submission: submission(office(), "1397-01-10"), full_name: "Member\u{85}51".into(), ..ngo_member(51) })
        => InvalidArgument, "full_name");
    refuse!(client, db, "a title with a right-to-left isolate", declare_need(need_with("Roof \u{2067}repair"))
        => InvalidArgument, "title");
    refuse!(client, db, "an offset of -15:00", declare_need(at(need_with("Roof repair"), "2018-04-09T10:00:00-15:00"))
        => InvalidArgument, "submission.occurred_at");
    refuse!(client, db, "an offset of +14:30", declare_need(at(need_with("Roof repair"), "2018-04-09T10:00:00+14:30"))
        => InvalidArgument, "submission.occurred_at");
    refuse!(client, db, "a leap second", declare_need(at(need_with("Roof repair"), "2016-12-31T23:59:60Z"))
        => InvalidArgument, "submission.occurred_at");
    refuse!(client, db, "nanoseconds that cannot be kept", declare_need(at(need_with("Roof repair"), "2018-04-09T10:00:00.000000001Z"))
        => InvalidArgument, "submission.occurred_at");
    refuse!(client, db, "Latin digits then Persian ones", report_social_activity(altered(activity(), |r| r.held_on = "1397-۰۱-20".into()))
        => InvalidArgument, "held_on");
    refuse!(client, db, "Arabic-Indic and Persian digits", submit_proposal(altered(proposal(vec![need.clone()]), |r| r.planned_end = "١٣٩٧-۰۸-۳۰".into()))
        => InvalidArgument, "planned_end");
    refuse!(client, db, "a dash then a slash", submit_proposal(altered(proposal(vec![need.clone()]), |r| r.planned_start = "1397-02/10".into()))
        => InvalidArgument, "planned_start");
    refuse!(client, db, "a proposals deadline before the needs deadline", set_programme_dates(altered(dates(), |r| r.proposals_deadline = "1397-01-15".into()))
        => InvalidArgument, "proposals_deadline");
    refuse!(client, db, "a goal date on the operational start", set_programme_dates(altered(dates(), |r| r.goal_date = "1397-02-01".into()))
        => InvalidArgument, "goal_date");
    refuse!(client, db, "progress as of a day before the approval", report_progress(progress(&project, "1397-02-01", "1397-03-01"))
        => InvalidArgument, "as_of");
    refuse!(client, db, "progress as of a day after the report", report_progress(progress(&project, "1397-03-02", "1397-03-01"))
        => InvalidArgument, "as_of");
    refuse!(client, db, "a completion before the approval", complete_project(complete(&project, "1397-01-30", "1397-03-01"))
        => InvalidArgument, "completed_on");
    refuse!(client, db, "a completion after the report", complete_project(complete(&project, "1397-04-01", "1397-03-01"))
        => InvalidArgument, "completed_on");

    // A request larger than intake decodes (1 MiB by default) is RESOURCE_EXHAUSTED, as
    // gRPC specifies, with the limit in an ErrorInfo.
    for (what, request) in [
        (
            "a 1.5 MB description",
            altered(need_with("Roof repair"), |r| {
                r.description = "d".repeat(1_500_000)
            }),
        ),
        ("a 3 MB title", need_with(&"t".repeat(3_000_000))),
        (
            "a 1.1 MB submission id",
            altered(need_with("Roof repair"), |r| {
                r.submission.as_mut().unwrap().submission_id = "s".repeat(1_100_000)
            }),
        ),
    ] {
        let status = client.clone().declare_need(request).await.expect_err(what);
        assert_eq!(status.code(), Code::ResourceExhausted, "{what}: {status:?}");
        assert!(
            status.message().contains("--max-request-bytes"),
            "{status:?}"
        );
        assert!(status_metadata_size(&status) <= MAX_REFUSAL_BYTES);
        use tonic_types::StatusExt;
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(info.reason, "MESSAGE_TOO_LARGE");
        assert_eq!(
            info.metadata.get("limit").map(String::as_str),
            Some("1048576")
        );
    }

    // Intake still takes ordinary submissions.
    client
        .clone()
        .declare_need(need_with("Roof repair"))
        .await?;
    intake.stop().await
}

/// Events whose encoded size is above what the NATS server takes are refused with the
/// request's bulkiest field, before anything is recorded: with a server that takes 8
/// KiB messages, intake records events of at most 4 KiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_larger_than_the_servers_max_payload_is_refused_naming_the_bulkiest_field()
-> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start_with_max_payload(Some(8 * 1024)).await?;
    let intake = Intake::start(db.url(), &nats).await?;
    wait_serving(intake.addr).await?;
    let mut client = intake.client().await?;
    register_programme(&mut client, 1, 1).await?;
    let before = stored_events(db.url()).await?.len();

    refuse!(client, db, "a zone of 50 long goals", register_zone(zone_with_goals("zone-50", (0..MAX_GOALS).map(long_goal).collect()))
        => InvalidArgument, "goals");
    refuse!(client, db, "a need with 4,000 Persian characters of description", declare_need(altered(need_with("Roof repair"), |r| r.description = text_of(4000, "سقف ")))
        => InvalidArgument, "description");
    refuse!(client, db, "a supervision report of 4,000 Persian characters", file_supervision_report(pb::FileSupervisionReportRequest { findings: text_of(4000, "جلسه "), ..supervision_report(4) })
        => InvalidArgument, "findings");
    // A smaller one of the same kinds goes through, and everything is published.
    client
        .register_zone(zone_with_goals("zone-05", (0..5).map(long_goal).collect()))
        .await?;
    let mut small = need_with("Roof repair");
    small.description = text_of(1000, "سقف ");
    client.declare_need(small).await?;
    let stored = stored_events(db.url()).await?;
    assert_eq!(stored.len(), before + 2);
    assert!(stored.iter().all(|e| e.payload.len() <= 4 * 1024));
    let messages = published(&nats, stored.len() as u64, Duration::from_secs(30)).await?;
    assert_eq!(messages.len(), stored.len());
    assert_exactly_once_in_order(&messages);
    intake.stop().await
}

/// What the projection shows of everything, on three days, to compare before and after
/// a restart.
async fn read_back(projection: &Projection) -> anyhow::Result<Vec<Dump>> {
    let mut client = projection.client().await?;
    let mut dumps = Vec::new();
    for day in ["1397-01-31", "1397-12-29", "1499-12-29"] {
        dumps.push(Dump::take(&mut client, read_as_of(day)).await?);
    }
    Ok(dumps)
}

async fn extremes(backend: Backend) -> anyhow::Result<()> {
    let system = System::start(backend).await?;
    let (nats, intake_db, projection_db) = (&system.nats, &system.intake_db, &system.projection_db);
    let (intake, projection) = (system.intake, system.projection);
    let mut client = intake.client().await?;
    register_programme(&mut client, 1, 2).await?;

    // Each accepted request with the reply it got, to retry after the restart.
    let mut accepted: Vec<(pb::DeclareNeedRequest, pb::SubmissionReply)> = Vec::new();

    // A zone with the most goals, each title at its longest, with joiners and a
    // decomposed letter that is stored composed (NFC).
    let mut zone = zone_with_goals("zone-50", (0..MAX_GOALS).map(long_goal).collect());
    zone.name_en = "  Cafe\u{301} quarter \u{200B}".into();
    client.register_zone(zone).await?;

    // Needs at the limits: the longest title and description (line breaks and tabs kept,
    // CR LF made LF), the most households, an instant with microseconds at +14:00.
    let description = format!("{}\r\nsecond line\tend", text_of(3900, "شرح "));
    let title = text_of(200, "نیاز\u{200C}مندی ");
    let mut need_ids = Vec::new();
    for i in 0..MAX_NEED_IDS {
        let mut r = declare_need("zone-50", "m-001", &title);
        r.description = description.clone();
        r.households_affected = 1_000_000;
        r.submission.as_mut().unwrap().occurred_at =
            format!("2018-04-{:02}T23:59:59.123456+14:00", 1 + i % 28);
        let reply = client.declare_need(r.clone()).await?.into_inner();
        need_ids.push(reply.entity_id.clone());
        accepted.push((r, reply));
    }
    // A proposal answering the most needs with the largest budget, planned over the
    // first and last days accepted (in Persian digits and Latin).
    let mut p = proposal(need_ids.clone());
    p.zone = "zone-50".into();
    p.budget_rials = 100_000_000_000_000;
    p.planned_start = "۱۳۰۰/۰۱/۰۱".into();
    p.planned_end = "2121-03-20".into();
    let proposal_id = client.submit_proposal(p).await?.into_inner().entity_id;
    client
        .decide_proposal(pb::DecideProposalRequest {
            submission: submission(supervisor(), "1397-02-05"),
            zone: "zone-50".into(),
            proposal_id: proposal_id.clone(),
            decision: pb::Decision::Approve as i32,
            reason: text_of(4000, "Approved. "),
        })
        .await?;
    client
        .report_social_activity(pb::ReportSocialActivityRequest {
            submission: submission(member("ngo-01", "m-002"), "1397-01-22"),
            zone: "zone-50".into(),
            title: "کلاس سوادآموزی".into(),
            description: "".into(),
            participants: 1_000_000,
            held_on: "1300-01-01".into(),
        })
        .await?;

    let stored = stored_events(intake_db.url()).await?;
    let head = stored.len() as u64;
    let (messages, status) =
        published_and_applied((intake_db, nats), &projection, Duration::from_secs(60)).await?;
    assert_eq!(messages.len() as u64, head);
    assert_eq!(status.parked, 0, "{status:?}");

    // What was accepted reads back as itself: in the store and on JetStream ...
    let z = messages
        .iter()
        .find_map(|m| match &m.envelope.body {
            Some(events::envelope::Body::ZoneRegistered(z)) if z.code == "zone-50" => {
                Some(z.clone())
            }
            _ => None,
        })
        .expect("the ZoneRegistered of zone-50");
    assert_eq!(z.name_en, "Caf\u{e9} quarter");
    assert_eq!(z.goals.len(), MAX_GOALS);
    assert_eq!(
        z.goals[0].title_fa,
        text_of(200, "آب\u{200C}رسانی ").trim_end()
    );
    let need_event = messages
        .iter()
        .find_map(|m| match &m.envelope.body {
            Some(events::envelope::Body::NeedDeclared(n)) if n.zone == "zone-50" => {
                Some((m.envelope.clone(), n.clone()))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(need_event.1.title, title.trim_end());
    assert_eq!(
        need_event.1.description,
        format!("{}\nsecond line\tend", text_of(3900, "شرح "))
    );
    assert_eq!(need_event.1.households_affected, 1_000_000);
    let occurred = need_event.0.occurred_at.unwrap();
    assert_eq!(occurred.nanos, 123_456_000);
    assert_eq!(
        stored.iter().map(|e| e.payload.len()).max(),
        messages.iter().map(|m| m.envelope.encoded_len()).max()
    );

    // ... and in the read models.
    let mut q = projection.client().await?;
    let zone = q
        .get_zone_progress(query::GetZoneProgressRequest {
            read: read_as_of("1397-12-29"),
            zone: "zone-50".into(),
        })
        .await?
        .into_inner();
    assert_eq!(zone.goals.len(), MAX_GOALS);
    assert_eq!(
        zone.needs.map(|n| n.total),
        Some(u32::try_from(MAX_NEED_IDS)?)
    );
    let (timeline, _) = whole_timeline(&mut q, read_as_of("1499-12-29"), "zone-50", 20).await?;
    assert!(timeline.len() >= MAX_NEED_IDS + 3, "{}", timeline.len());

    // Both services restart on what they stored, and show the same.
    let before = read_back(&projection).await?;
    let store_before = stored_events(intake_db.url()).await?;
    projection.stop().await?;
    intake.stop().await?;
    let intake = Intake::start(intake_db.url(), nats).await?;
    wait_serving(intake.addr).await?;
    let projection = Projection::start(projection_db.url(), nats).await?;
    wait_caught_up(
        &mut projection.admin().await?,
        head,
        Duration::from_secs(60),
    )
    .await?;
    let after = read_back(&projection).await?;
    for (a, b) in before.iter().zip(&after) {
        a.assert_same(b, "after restarting both services");
    }
    let store_after = stored_events(intake_db.url()).await?;
    assert_eq!(store_before.len(), store_after.len());
    for (a, b) in store_before.iter().zip(&store_after) {
        assert_eq!((a.event_id, &a.payload), (b.event_id, &b.payload));
    }
    // Intake folded what it stored: a retry gets the first reply, nothing is recorded.
    let mut client = intake.client().await?;
    for (request, reply) in accepted.iter().take(5) {
        assert_eq!(
            &client.declare_need(request.clone()).await?.into_inner(),
            reply
        );
    }
    assert_eq!(stored_events(intake_db.url()).await?.len() as u64, head);
    // And its state holds what it folded: the need ids exist (a second proposal may name
    // them), the project is approved (its progress may be reported).
    let mut p = proposal(need_ids[..3].to_vec());
    p.zone = "zone-50".into();
    client.submit_proposal(p).await?;
    client
        .report_progress(altered(
            progress(&proposal_id, "1397-03-01", "1397-03-01"),
            |r| r.zone = "zone-50".into(),
        ))
        .await?;
    projection.stop().await?;
    intake.stop().await
}

/// Appends `events` to `stream` as one submission, straight into the store: what an
/// earlier version of intake, with looser rules, could have recorded.
async fn append_directly(
    store: &saman_intake::store::EventStore,
    stream: saman_domain::StreamId,
    events: Vec<saman_domain::Event>,
) -> anyhow::Result<()> {
    use saman_contract::{EventMeta, encode};
    use saman_intake::store::{Append, NewEvent};
    let id = stream.to_string();
    let expected = store
        .stream_versions(std::slice::from_ref(&id))
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0);
    let submission = uuid::Uuid::now_v7();
    let at: jiff::Timestamp = "2018-04-10T06:30:00Z".parse()?;
    let mut new = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let meta = EventMeta {
            event_id: uuid::Uuid::now_v7(),
            stream: stream.clone(),
            stream_version: expected + 1 + i as u64,
            submission,
            actor: saman_domain::Actor::ProgrammeOffice {
                user: saman_domain::values::Text::stored("office"),
            },
            principal: None,
            occurred_at: at,
            recorded_at: at,
            received_at: at,
            vouch: saman_domain::time::Vouch::TrustedDeployment,
        };
        new.push(NewEvent {
            event_id: meta.event_id,
            event_type: event.event_type().into(),
            schema_version: 1,
            stream_version: meta.stream_version,
            subject: saman_contract::subject(&stream, event.event_type()),
            occurred_at_us: at.as_microsecond(),
            recorded_at_us: at.as_microsecond(),
            payload: encode(&meta, event),
            traceparent: None,
        });
    }
    store
        .append(&[Append {
            submission_id: submission,
            request_hash: [7; 32],
            reply: Vec::new(),
            stream_id: id,
            expected_version: expected,
            events: new,
        }])
        .await?;
    Ok(())
}

async fn stored_under_older_rules(backend: Backend) -> anyhow::Result<()> {
    use saman_domain::values::*;
    use saman_domain::{Day, Event, StreamId};
    let side = WriteSide::start(backend, 1, 1).await?;
    let (nats, db) = (&side.nats, &side.intake_db);
    let mut client = side.intake.client().await?;
    let need = client
        .declare_need(need_with("Clean water"))
        .await?
        .into_inner()
        .entity_id;
    side.intake.stop().await?;

    // A day in ISO year 1018 (a Solar Hijri date typed as 0397), text with NUL and bidi
    // overrides, a budget and counts above today's limits.
    let store = saman_intake::store::EventStore::open(db.url(), 2).await?;
    let zone = ZoneCode::parse("zone-01").unwrap();
    let old_day = Day::parse_iso("1018-04-09").unwrap();
    append_directly(
        &store,
        StreamId::Zone(zone.clone()),
        vec![
            Event::SocialActivityReported(SocialActivityReported {
                activity: ActivityId(uuid::Uuid::now_v7()),
                zone: zone.clone(),
                ngo: NgoCode::parse("ngo-01").unwrap(),
                member: MemberCode::parse("m-001").unwrap(),
                title: Text::stored("Reading\0circle \u{202E}evil"),
                description: Text::stored(""),
                participants: Count::stored(u32::MAX),
                held_on: old_day,
            }),
            Event::ProposalSubmitted(ProposalSubmitted {
                proposal: ProposalId(uuid::Uuid::now_v7()),
                zone: zone.clone(),
                agency: AgencyCode::parse("water").unwrap(),
                needs: vec![NeedId::parse(&need).unwrap()],
                approach: Approach::Infrastructural,
                title: Text::stored("\u{200B}"),
                budget: Rials::stored(u64::MAX),
                planned_start: old_day,
                planned_end: Day::parse_iso("9998-12-31").unwrap(),
                late: false,
                goals: vec![],
            }),
        ],
    )
    .await?;
    store.close().await;

    // Intake starts on it, reads the days back as they were written, and goes on.
    let intake = Intake::start(db.url(), nats).await?;
    wait_serving(intake.addr).await?;
    let mut client = intake.client().await?;
    let reply = client
        .declare_need(need_with("Roof repair"))
        .await?
        .into_inner();
    let stored = stored_events(db.url()).await?;
    assert_eq!(reply.stream_version, 5, "{reply:?}");
    let held_on = stored
        .iter()
        .find_map(|e| match saman_contract::decode(&e.payload).ok()?.event {
            Event::SocialActivityReported(SocialActivityReported { held_on, .. }) => Some(held_on),
            _ => None,
        })
        .expect("the activity reads back");
    assert_eq!(held_on.iso(), "1018-04-09");
    let messages = published(nats, stored.len() as u64, Duration::from_secs(30)).await?;
    assert_exactly_once_in_order(&messages);
    intake.stop().await
}

/// The refusal of a zone-01 timeline page of 10 asked with `page_token`.
async fn refused_page(
    client: &mut ProjectionClient<Channel>,
    page_token: String,
    what: &str,
) -> tonic::Status {
    client
        .get_zone_timeline(query::GetZoneTimelineRequest {
            read: None,
            zone: "zone-01".into(),
            page_size: 10,
            page_token,
        })
        .await
        .expect_err(what)
}

/// The reason, domain and metadata `field` of the ErrorInfo `status` carries.
fn error_info(status: &tonic::Status) -> (String, String, Option<String>) {
    use tonic_types::StatusExt;
    let info = status.get_details_error_info().expect("an ErrorInfo");
    (
        info.reason,
        info.domain,
        info.metadata.get("field").cloned(),
    )
}

/// The projection bounds its requests and refusals the same way: a message over its
/// limit is RESOURCE_EXHAUSTED, an oversized or malformed value is INVALID_ARGUMENT
/// naming the field in a refusal that fits in gRPC metadata.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projection_refuses_oversized_requests_and_values_within_bounds() -> anyhow::Result<()>
{
    use tonic_types::StatusExt;
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let intake_db = TestDb::new(Backend::Sqlite).await?;
    let intake = Intake::start(intake_db.url(), &nats).await?;
    wait_serving(intake.addr).await?;
    let projection = Projection::start(db.url(), &nats).await?;
    let mut client = projection.client().await?;

    let status = refused_page(&mut client, "t".repeat(2_000_000), "a 2 MB request").await;
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("MESSAGE_TOO_LARGE", "saman.projection.v1")
    );
    assert!(
        status
            .message()
            .contains("SAMAN_PROJECTION_MAX_REQUEST_BYTES"),
        "{status:?}"
    );

    for (what, request, field) in [
        (
            "a 500 KB zone code",
            query::GetZoneProgressRequest {
                read: None,
                zone: "z".repeat(500_000),
            },
            "zone",
        ),
        (
            "a zone code with a NUL",
            query::GetZoneProgressRequest {
                read: None,
                zone: "zone\0-01".into(),
            },
            "zone",
        ),
        (
            "a 300 KB as_of",
            query::GetZoneProgressRequest {
                read: read_as_of(&"1397-".repeat(60_000)),
                zone: "zone-01".into(),
            },
            "read.as_of",
        ),
    ] {
        let status = client.get_zone_progress(request).await.expect_err(what);
        assert_code_in_bounds(&status, Code::InvalidArgument, what);
        let violations = status
            .get_details_bad_request()
            .expect("a BadRequest")
            .field_violations;
        assert_eq!(
            violations.first().map(|v| v.field.as_str()),
            Some(field),
            "{what}: {status:?}"
        );
    }
    let status = client
        .get_zone_progress(query::GetZoneProgressRequest {
            read: None,
            zone: "zone-77".into(),
        })
        .await
        .expect_err("an unknown zone");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    // The refusals carry their google.rpc details: an unknown zone its ResourceInfo, a
    // bad page token a BadRequest naming `page_token`.
    assert_eq!(
        error_info(&status),
        (
            "NOT_FOUND".into(),
            "saman.projection.v1".into(),
            Some("zone".into())
        ),
        "{status:?}"
    );
    let resource = status.get_details_resource_info().expect("a ResourceInfo");
    assert_eq!(
        (
            resource.resource_type.as_str(),
            resource.resource_name.as_str()
        ),
        ("zone", "zone-77"),
        "{status:?}"
    );
    let status = refused_page(
        &mut client,
        "not-a-token".repeat(1_000),
        "a page token of no reply",
    )
    .await;
    assert_code_in_bounds(&status, Code::InvalidArgument, "a page token of no reply");
    assert_eq!(
        error_info(&status),
        (
            "INVALID_ARGUMENT".into(),
            "saman.projection.v1".into(),
            Some("page_token".into())
        ),
        "{status:?}"
    );
    let violations = status
        .get_details_bad_request()
        .expect("a BadRequest")
        .field_violations;
    assert_eq!(
        violations
            .iter()
            .map(|v| v.field.as_str())
            .collect::<Vec<_>>(),
        ["page_token"],
        "{status:?}"
    );
    projection.stop().await?;
    intake.stop().await
}
