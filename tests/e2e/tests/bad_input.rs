//! Bad input over gRPC: every refusal gets its documented status and names the
//! request field it is about (message, google.rpc.ErrorInfo metadata `field`, and the
//! detail of its kind), and a refused submission appends nothing to the store.
//! The table of cases is documented for client developers in docs/errors.md.

use std::future::Future;
use std::pin::Pin;

use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use tonic::{Code, Response, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

on_both_backends! {
    every_bad_input_is_refused_with_its_status_and_field_and_appends_nothing => bad_inputs;
}

type Call = Pin<Box<dyn Future<Output = Result<Response<pb::SubmissionReply>, Status>> + Send>>;

/// One row of the table: a bad input, and the status and field it must get.
struct Case {
    input: &'static str,
    code: Code,
    field: &'static str,
    call: Call,
}

/// A proposal by agency water in `zone`, answering `need_ids`.
fn proposal(zone: &str, need_ids: &[&str]) -> pb::SubmitProposalRequest {
    let need_ids = need_ids.iter().map(|id| id.to_string()).collect();
    pb::SubmitProposalRequest {
        title: "Water pipes for the village".into(),
        ..water_proposal(zone, need_ids)
    }
}

/// The need most cases vary: m-001's "Roof repair" in zone-01.
fn roof_repair() -> pb::DeclareNeedRequest {
    declare_need("zone-01", "m-001", "Roof repair")
}

fn decide(
    actor: events::Actor,
    proposal_id: &str,
    decision: pb::Decision,
) -> pb::DecideProposalRequest {
    pb::DecideProposalRequest {
        submission: submission(actor, "1397-02-01"),
        zone: "zone-01".into(),
        proposal_id: proposal_id.into(),
        decision: decision as i32,
        reason: "".into(),
    }
}

fn progress(actor: events::Actor, proposal_id: &str, percent: u32) -> pb::ReportProgressRequest {
    pb::ReportProgressRequest {
        submission: submission(actor, "1397-04-01"),
        zone: "zone-01".into(),
        proposal_id: proposal_id.into(),
        percent,
        note: "pipes laid".into(),
        as_of: "".into(),
        correction: "".into(),
    }
}

fn dates() -> pb::SetProgrammeDatesRequest {
    pb::SetProgrammeDatesRequest {
        submission: submission(office(), "1396-12-27"),
        needs_deadline: "1397-01-31".into(),
        proposals_deadline: "1397-01-31".into(),
        operational_start: "1397-02-01".into(),
        goal_date: "1397-12-29".into(),
    }
}

fn zone(code: &str) -> pb::RegisterZoneRequest {
    pb::RegisterZoneRequest {
        submission: submission(office(), "1396-12-27"),
        code: code.into(),
        name_fa: "منطقه".into(),
        name_en: "A zone".into(),
        goals: vec![goal("water", events::Approach::Infrastructural)],
    }
}

fn referral(need_id: &str, agency: &str) -> pb::ReferNeedRequest {
    pb::ReferNeedRequest {
        submission: submission(member("ngo-01", "m-001"), "1397-01-22"),
        zone: "zone-01".into(),
        need_id: need_id.into(),
        agency: agency.into(),
        note: "".into(),
    }
}

fn activity(held_on: &str) -> pb::ReportSocialActivityRequest {
    social_activity(held_on)
}

fn revoke(member_code: &str) -> pb::RevokeNgoMemberRequest {
    pb::RevokeNgoMemberRequest {
        submission: submission(office(), "1397-01-10"),
        ngo: "ngo-01".into(),
        member: member_code.into(),
        reason: "left the NGO".into(),
    }
}

async fn bad_inputs(backend: Backend) -> anyhow::Result<()> {
    let (db, _nats, intake) = intake_alone(backend).await?;
    let mut client = intake.client().await?;

    // The programme: zones zone-01 and zone-02, ngo-01 with m-001..m-003 (m-003
    // revoked), agencies water and welfare; a need in each zone; an approved project
    // of agency water in zone-01 at 60%, and a pending proposal.
    register_programme(&mut client, 2, 3).await?;
    client.revoke_ngo_member(revoke("m-003")).await?;
    let declared_01 = declare_need("zone-01", "m-001", "Clean water");
    let need_01 = declared_01.clone().submit(&mut client).await?.entity_id;
    let need_02 = declare_need("zone-02", "m-002", "Literacy classes")
        .submit(&mut client)
        .await?
        .entity_id;
    let approved = proposal("zone-01", &[&need_01])
        .submit(&mut client)
        .await?
        .entity_id;
    client
        .decide_proposal(decide(supervisor(), &approved, pb::Decision::Approve))
        .await?;
    client
        .report_progress(progress(officer("water"), &approved, 60))
        .await?;
    let pending = client
        .submit_proposal(proposal("zone-01", &[&need_01]))
        .await?
        .into_inner();
    let zone_01_version = pending.stream_version;
    let pending = pending.entity_id;
    let unknown_id = Uuid::now_v7().to_string();

    macro_rules! case {
        ($input:literal, $rpc:ident($request:expr) => $code:ident, $field:literal) => {{
            let mut client = client.clone();
            let request = $request;
            Case {
                input: $input,
                code: Code::$code,
                field: $field,
                call: Box::pin(async move { client.$rpc(request).await }),
            }
        }};
    }

    let cases = vec![
        // ---- the submission header -------------------------------------------------
        case!("no submission header", declare_need(
            altered(roof_repair(), |r| r.submission = None)
        ) => InvalidArgument, "submission"),
        case!("a malformed submission id", declare_need(
            altered(roof_repair(), |r| r.submission.as_mut().unwrap().submission_id = "need-42".into())
        ) => InvalidArgument, "submission.submission_id"),
        // A missing actor is the token's (tests/e2e/tests/access.rs); another one is not.
        case!("an actor other than the token's", declare_need(
            as_caller("member:ngo-01/m-002", roof_repair())
        ) => PermissionDenied, "submission.actor"),
        case!("occurred_at in the future", declare_need(
            altered(roof_repair(), |r| r.submission.as_mut().unwrap().occurred_at = "2100-01-01T10:00:00+03:30".into())
        ) => InvalidArgument, "submission.occurred_at"),
        case!("occurred_at as a local time without an offset", declare_need(
            altered(roof_repair(), |r| r.submission.as_mut().unwrap().occurred_at = "2018-04-09T10:00:00".into())
        ) => InvalidArgument, "submission.occurred_at"),
        case!("a wrong expected_version", declare_need(
            altered(roof_repair(), |r| r.submission.as_mut().unwrap().expected_version = Some(1))
        ) => Aborted, "submission.expected_version"),
        case!("a submission id reused with other content", declare_need(
            altered(declared_01.clone(), |r| r.title = "Something else".into())
        ) => AlreadyExists, "submission.submission_id"),
        // ---- dates -------------------------------------------------------------------
        case!("Solar Hijri date 1397-12-30 (Esfand 30 of a common year)", set_programme_dates(
            altered(dates(), |r| r.goal_date = "1397-12-30".into())
        ) => InvalidArgument, "goal_date"),
        case!("month 13 in a Solar Hijri date", report_social_activity(
            activity("1397-13-01")
        ) => InvalidArgument, "held_on"),
        case!("month 13 in a Solar Hijri date in Persian digits", submit_proposal(
            altered(proposal("zone-01", &[&need_01]), |r| r.planned_start = "۱۳۹۷-۱۳-۰۵".into())
        ) => InvalidArgument, "planned_start"),
        case!("planned_end before planned_start", submit_proposal(
            altered(proposal("zone-01", &[&need_01]), |r| r.planned_end = "1397-02-01".into())
        ) => InvalidArgument, "planned_end"),
        // ---- values ------------------------------------------------------------------
        case!("an empty title", declare_need(
            declare_need("zone-01", "m-001", "   ")
        ) => InvalidArgument, "title"),
        case!("approach unspecified", declare_need(
            altered(roof_repair(), |r| r.approach = events::Approach::Unspecified as i32)
        ) => InvalidArgument, "approach"),
        // Several bad fields: BadRequest lists them all, ErrorInfo names the first.
        case!("an empty zone and an empty title at once", declare_need(
            declare_need("", "m-001", "")
        ) => InvalidArgument, "zone"),
        case!("an unknown priority", declare_need(
            altered(roof_repair(), |r| r.priority = 99)
        ) => InvalidArgument, "priority"),
        case!("a zone code with a '.'", register_zone(
            zone("zone.03")
        ) => InvalidArgument, "code"),
        case!("percent 101", report_progress(
            progress(officer("water"), &approved, 101)
        ) => InvalidArgument, "percent"),
        case!("budget 0", submit_proposal(
            altered(proposal("zone-01", &[&need_01]), |r| r.budget_rials = 0)
        ) => InvalidArgument, "budget_rials"),
        case!("a proposal answering no need", submit_proposal(
            proposal("zone-01", &[])
        ) => InvalidArgument, "need_ids"),
        case!("rating 6", file_supervision_report(
            supervision_report(6)
        ) => InvalidArgument, "rating"),
        case!("decision unspecified", decide_proposal(
            decide(supervisor(), &pending, pb::Decision::Unspecified)
        ) => InvalidArgument, "decision"),
        case!("a rejection without a reason", decide_proposal(
            decide(supervisor(), &pending, pb::Decision::Reject)
        ) => InvalidArgument, "reason"),
        // ---- unknown things ----------------------------------------------------------
        case!("an unknown zone", declare_need(
            declare_need("zone-99", "m-001", "Roof repair")
        ) => NotFound, "zone"),
        case!("an unknown proposal id", decide_proposal(
            decide(supervisor(), &unknown_id, pb::Decision::Approve)
        ) => NotFound, "proposal_id"),
        case!("an unknown need id in a referral", refer_need(
            referral(&unknown_id, "welfare")
        ) => NotFound, "need_id"),
        case!("an unknown agency in a referral", refer_need(
            referral(&need_01, "roads")
        ) => NotFound, "agency"),
        case!("a need from an NGO not approved by the Ministry", declare_need(
            altered(roof_repair(), |r| r.submission = submission(member("ngo-99", "m-001"), "1397-01-20"))
        ) => NotFound, "submission.actor.ngo_member.ngo"),
        case!("a need from a member the NGO never had approved", declare_need(
            declare_need("zone-01", "m-009", "Roof repair")
        ) => NotFound, "submission.actor.ngo_member.member"),
        case!("a proposal by an unregistered agency", submit_proposal(
            altered(proposal("zone-01", &[&need_01]), |r| r.submission = submission(officer("roads"), "1397-01-25"))
        ) => NotFound, "submission.actor.agency_officer.agency"),
        case!("registering an existing zone", register_zone(
            zone("zone-01")
        ) => AlreadyExists, "code"),
        // ---- roles -------------------------------------------------------------------
        case!("a need from a revoked member", declare_need(
            declare_need("zone-01", "m-003", "Roof repair")
        ) => PermissionDenied, "submission.actor.ngo_member.member"),
        case!("an NGO member deciding a proposal", decide_proposal(
            decide(member("ngo-01", "m-001"), &pending, pb::Decision::Approve)
        ) => PermissionDenied, "submission.actor"),
        case!("an agency officer declaring a need", declare_need(
            altered(roof_repair(), |r| r.submission = submission(officer("water"), "1397-01-20"))
        ) => PermissionDenied, "submission.actor"),
        case!("progress reported by another agency", report_progress(
            progress(officer("welfare"), &approved, 70)
        ) => PermissionDenied, "submission.actor.agency_officer.agency"),
        // ---- programme rules ---------------------------------------------------------
        case!("progress going backwards without a correction", report_progress(
            progress(officer("water"), &approved, 40)
        ) => FailedPrecondition, "percent"),
        case!("progress on a pending proposal", report_progress(
            progress(officer("water"), &pending, 10)
        ) => FailedPrecondition, "proposal_id"),
        case!("a second decision on one proposal", decide_proposal(
            altered(decide(supervisor(), &approved, pb::Decision::Reject), |r| r.reason = "changed my mind".into())
        ) => FailedPrecondition, "proposal_id"),
        case!("a proposal answering another zone's need", submit_proposal(
            proposal("zone-01", &[&need_02])
        ) => FailedPrecondition, "need_ids[0]"),
        case!("revoking a member already revoked", revoke_ngo_member(
            revoke("m-003")
        ) => FailedPrecondition, "member"),
    ];

    let mut inputs: Vec<&str> = cases.iter().map(|c| c.input).collect();
    inputs.sort_unstable();
    inputs.dedup();
    assert_eq!(inputs.len(), cases.len(), "every case is a distinct input");
    assert!(cases.len() >= 20, "{} cases", cases.len());

    let stored = stored_events(db.url()).await?.len();
    for case in cases {
        eprintln!(
            "[{backend}] {} -> {:?} {}",
            case.input, case.code, case.field
        );
        refused(case.call.await, case.code, case.field).await;
        assert_eq!(
            stored_events(db.url()).await?.len(),
            stored,
            "[{backend}] {}: a refused submission appended events",
            case.input
        );
    }

    // Every field that does not parse is reported at once, in the BadRequest.
    let status = client
        .declare_need(declare_need("", "m-001", ""))
        .await
        .expect_err("an empty zone and title are refused");
    let fields: Vec<String> = status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["zone", "title"], "{status:?}");

    // Checks that need no state (a plan ending before it starts, no need named) are
    // reported together with the malformed fields.
    let status = client
        .submit_proposal(saman_proto::intake::v1::SubmitProposalRequest {
            submission: submission(officer("water"), "1397-01-20"),
            zone: "zone-01".into(),
            need_ids: vec![],
            approach: saman_proto::events::v1::Approach::Social as i32,
            title: "".into(),
            budget_rials: 1,
            planned_start: "1397-05-01".into(),
            planned_end: "1397-04-01".into(),
            goal_codes: vec![],
        })
        .await
        .expect_err("a proposal with three problems is refused");
    let mut fields: Vec<String> = status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    fields.sort();
    assert_eq!(fields, ["need_ids", "planned_end", "title"], "{status:?}");

    // A refusal records nothing, not even the submission id: after ABORTED the client
    // reloads the version and the same submission may be decided again.
    let mut request = declare_need("zone-01", "m-001", "Roof repair");
    request.submission.as_mut().unwrap().expected_version = Some(1);
    let aborted = client.declare_need(request.clone()).await;
    refused(aborted, Code::Aborted, "submission.expected_version").await;
    request.submission.as_mut().unwrap().expected_version = Some(zone_01_version);
    let reply = client.declare_need(request).await?.into_inner();
    assert_eq!(reply.stream_version, zone_01_version + 1);
    assert_eq!(stored_events(db.url()).await?.len(), stored + 1);

    intake.stop().await
}
