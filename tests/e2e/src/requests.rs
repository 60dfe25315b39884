//! Making requests: actors, submission headers, and the programme most tests start from.

use std::future::Future;

use crate::Channel;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use uuid::Uuid;

pub fn office() -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::ProgrammeOffice(events::Official {
            user: "office".into(),
        })),
    }
}

pub fn supervisor() -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::CountySupervisor(events::Official {
            user: "supervisor".into(),
        })),
    }
}

pub fn member(ngo: &str, member: &str) -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::NgoMember(events::NgoMember {
            ngo: ngo.into(),
            member: member.into(),
        })),
    }
}

pub fn officer(agency: &str) -> events::Actor {
    events::Actor {
        kind: Some(events::actor::Kind::AgencyOfficer(events::AgencyOfficer {
            agency: agency.into(),
            user: "officer".into(),
        })),
    }
}

/// A new submission header by `actor`, occurring at `occurred_at` (RFC 3339 or a day).
pub fn submission(actor: events::Actor, occurred_at: &str) -> Option<pb::Submission> {
    Some(pb::Submission {
        submission_id: Uuid::now_v7().to_string(),
        actor: Some(actor),
        expected_version: None,
        occurred_at: occurred_at.into(),
        attestation: None,
    })
}

/// `request` with one change made to it: a test's variation of a valid request, as
/// `altered(declare_need(..), |r| r.priority = 99)`.
pub fn altered<T>(mut request: T, change: impl FnOnce(&mut T)) -> T {
    change(&mut request);
    request
}

pub fn goal(code: &str, approach: events::Approach) -> pb::GoalInput {
    pb::GoalInput {
        code: code.into(),
        approach: approach as i32,
        title_fa: "هدف".into(),
        title_en: format!("Goal {code}"),
        weight: 1,
    }
}

/// The day the tests' programme is set up (by the office).
pub const SET_UP_DAY: &str = "1396-12-26";

/// The programme's 1397 dates: needs and proposals by 1397-01-31, operations from
/// 1397-02-01, the goal on 1397-12-29.
pub fn programme_dates() -> pb::SetProgrammeDatesRequest {
    pb::SetProgrammeDatesRequest {
        submission: submission(office(), SET_UP_DAY),
        needs_deadline: "1397-01-31".into(),
        proposals_deadline: "1397-01-31".into(),
        operational_start: "1397-02-01".into(),
        goal_date: "1397-12-29".into(),
    }
}

/// Zone `zone-{z:02}` with a water (infrastructural) and a literacy (social) goal.
pub fn zone(z: usize) -> pb::RegisterZoneRequest {
    pb::RegisterZoneRequest {
        submission: submission(office(), SET_UP_DAY),
        code: format!("zone-{z:02}"),
        name_fa: format!("منطقه {z}"),
        name_en: format!("Zone {z:02}"),
        goals: vec![
            goal("water", events::Approach::Infrastructural),
            goal("literacy", events::Approach::Social),
        ],
    }
}

/// The Ministry-approved NGO ngo-01.
pub fn approved_ngo() -> pb::RecordApprovedNgoRequest {
    pb::RecordApprovedNgoRequest {
        submission: submission(office(), SET_UP_DAY),
        code: "ngo-01".into(),
        name_fa: "سمن یک".into(),
        name_en: "NGO One (fictional)".into(),
        ministry_approval_ref: "MOI-1396-001".into(),
    }
}

/// Member `m-{m:03}` of ngo-01.
pub fn ngo_member(m: usize) -> pb::ApproveNgoMemberRequest {
    pb::ApproveNgoMemberRequest {
        submission: submission(office(), SET_UP_DAY),
        ngo: "ngo-01".into(),
        member: format!("m-{m:03}"),
        full_name: format!("Member {m:03}"),
    }
}

/// The executive agency `code`.
pub fn agency(code: &str) -> pb::RegisterAgencyRequest {
    pb::RegisterAgencyRequest {
        submission: submission(office(), SET_UP_DAY),
        code: code.into(),
        name_fa: "دستگاه".into(),
        name_en: format!("Agency {code}"),
    }
}

/// Registers the programme: its 1397 dates, `zones` zones (zone-01 ...), NGO ngo-01
/// with `members` approved members (m-001 ...), and agencies water and welfare.
pub async fn register_programme(
    client: &mut IntakeClient<Channel>,
    zones: usize,
    members: usize,
) -> anyhow::Result<()> {
    client.set_programme_dates(programme_dates()).await?;
    for z in 1..=zones {
        client.register_zone(zone(z)).await?;
    }
    client.record_approved_ngo(approved_ngo()).await?;
    for m in 1..=members {
        client.approve_ngo_member(ngo_member(m)).await?;
    }
    for code in ["water", "welfare"] {
        client.register_agency(agency(code)).await?;
    }
    Ok(())
}

pub fn declare_need(zone: &str, member_code: &str, title: &str) -> pb::DeclareNeedRequest {
    pb::DeclareNeedRequest {
        submission: submission(member("ngo-01", member_code), "1397-01-20"),
        zone: zone.into(),
        approach: events::Approach::Social as i32,
        title: title.into(),
        description: "".into(),
        households_affected: 12,
        priority: events::Priority::High as i32,
    }
}

/// Agency water's proposal "Water pipes" in `zone`, answering `need_ids`: submitted
/// on 1397-01-25, infrastructural, 1,500,000,000 rials, from 1397-02-10 to 1397-08-30.
pub fn water_proposal(zone: &str, need_ids: Vec<String>) -> pb::SubmitProposalRequest {
    pb::SubmitProposalRequest {
        submission: submission(officer("water"), "1397-01-25"),
        zone: zone.into(),
        need_ids,
        approach: events::Approach::Infrastructural as i32,
        title: "Water pipes".into(),
        budget_rials: 1_500_000_000,
        planned_start: "1397-02-10".into(),
        planned_end: "1397-08-30".into(),
        goal_codes: vec![],
    }
}

/// The county supervisor's `decision` on proposal `proposal_id` of zone-01, taken on
/// `on`, with no reason given.
pub fn decision(proposal_id: &str, decision: pb::Decision, on: &str) -> pb::DecideProposalRequest {
    pb::DecideProposalRequest {
        submission: submission(supervisor(), on),
        zone: "zone-01".into(),
        proposal_id: proposal_id.into(),
        decision: decision as i32,
        reason: "".into(),
    }
}

/// The county supervisor's report on ngo-01 in zone-01, filed on 1397-03-01.
pub fn supervision_report(rating: u32) -> pb::FileSupervisionReportRequest {
    pb::FileSupervisionReportRequest {
        submission: submission(supervisor(), "1397-03-01"),
        ngo: "ngo-01".into(),
        zone: "zone-01".into(),
        findings: "Meetings held as planned.".into(),
        rating,
    }
}

/// A reading circle of 20 that m-001 of ngo-01 held in zone-01 on `held_on`.
pub fn social_activity(held_on: &str) -> pb::ReportSocialActivityRequest {
    pb::ReportSocialActivityRequest {
        submission: submission(member("ngo-01", "m-001"), "1397-01-22"),
        zone: "zone-01".into(),
        title: "Reading circle".into(),
        description: "".into(),
        participants: 20,
        held_on: held_on.into(),
    }
}

/// A write request sent by its own RPC: one impl per kind of write, so that a helper
/// can take a request of any kind (`request.submit(&mut client)`) where each call
/// would otherwise name the RPC.
pub trait Submit {
    /// Calls the request's RPC: intake's reply, or the status it answered with.
    fn submit(
        self,
        client: &mut IntakeClient<Channel>,
    ) -> impl Future<Output = Result<pb::SubmissionReply, tonic::Status>> + Send;
}

/// `Request => rpc_method` for every write of the intake API.
macro_rules! submit_by_rpc {
    ($($request:ident => $method:ident,)*) => {
        $(
            impl Submit for pb::$request {
                async fn submit(
                    self,
                    client: &mut IntakeClient<Channel>,
                ) -> Result<pb::SubmissionReply, tonic::Status> {
                    Ok(client.$method(self).await?.into_inner())
                }
            }
        )*
    };
}

submit_by_rpc! {
    SetProgrammeDatesRequest => set_programme_dates,
    RegisterZoneRequest => register_zone,
    RegisterAgencyRequest => register_agency,
    RecordApprovedNgoRequest => record_approved_ngo,
    ApproveNgoMemberRequest => approve_ngo_member,
    RevokeNgoMemberRequest => revoke_ngo_member,
    DeclareNeedRequest => declare_need,
    ReferNeedRequest => refer_need,
    ReportSocialActivityRequest => report_social_activity,
    AnswerReferralRequest => answer_referral,
    SubmitProposalRequest => submit_proposal,
    ReportProgressRequest => report_progress,
    CompleteProjectRequest => complete_project,
    DecideProposalRequest => decide_proposal,
    FileSupervisionReportRequest => file_supervision_report,
}
