//! A first submission to a running intake, over real gRPC: the programme office sets
//! the 1397 dates and registers a zone, an NGO and a member; the member declares a
//! need. Each reply (the events recorded, their stream and version) is printed.
//!
//! ```text
//! cargo run -p saman-intake --example first_submission -- --intake http://127.0.0.1:50051
//! ```
//! Running it twice is safe: the submission ids are fixed, so a second run gets the
//! first run's replies and records nothing new.

use clap::Parser;
use saman_proto::events::v1::{self as events, actor::Kind};
use saman_proto::intake::v1::{self as pb, intake_client::IntakeClient};
use uuid::Uuid;

#[derive(Parser)]
struct Args {
    /// The intake service.
    #[arg(long, env = "SAMAN_INTAKE", default_value = "http://127.0.0.1:50051")]
    intake: String,
}

/// Fixed submission ids (UUIDv5 of a name) make the example idempotent.
fn submission(name: &str, actor: Kind, occurred_at: &str) -> Option<pb::Submission> {
    Some(pb::Submission {
        submission_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()).to_string(),
        actor: Some(events::Actor { kind: Some(actor) }),
        expected_version: None,
        occurred_at: occurred_at.into(),
        attestation: None,
    })
}

fn office() -> Kind {
    Kind::ProgrammeOffice(events::Official {
        user: "programme-office".into(),
    })
}

fn show(what: &str, reply: pb::SubmissionReply) {
    println!(
        "{what}: stream {} now at version {}{}",
        reply.stream_id,
        reply.stream_version,
        if reply.late { " (late)" } else { "" }
    );
    for event in reply.events {
        println!(
            "  {} v{} on {}",
            event.event_type, event.stream_version, event.subject
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut intake = IntakeClient::connect(args.intake.clone()).await?;

    let reply = intake
        .set_programme_dates(pb::SetProgrammeDatesRequest {
            submission: submission("example/dates", office(), "1396-12-26"),
            needs_deadline: "1397-01-31".into(),
            proposals_deadline: "1397-01-31".into(),
            operational_start: "1397-02-01".into(),
            goal_date: "1397-12-29".into(),
        })
        .await?;
    show("programme dates", reply.into_inner());

    let reply = intake
        .register_zone(pb::RegisterZoneRequest {
            submission: submission("example/zone-01", office(), "1396-12-26"),
            code: "zone-01".into(),
            name_fa: "منطقه ۱".into(),
            name_en: "Zone 01".into(),
            goals: vec![pb::GoalInput {
                code: "water".into(),
                approach: events::Approach::Infrastructural as i32,
                title_fa: "آب سالم برای همه".into(),
                title_en: "Safe water for every household".into(),
                weight: 1,
            }],
        })
        .await?;
    show("zone", reply.into_inner());

    let reply = intake
        .record_approved_ngo(pb::RecordApprovedNgoRequest {
            submission: submission("example/ngo-01", office(), "1396-12-26"),
            code: "ngo-01".into(),
            name_fa: "سمن نمونه".into(),
            name_en: "Example NGO (fictional)".into(),
            ministry_approval_ref: "MOI-EXAMPLE-1".into(),
        })
        .await?;
    show("NGO", reply.into_inner());

    let reply = intake
        .approve_ngo_member(pb::ApproveNgoMemberRequest {
            submission: submission("example/m-001", office(), "1396-12-26"),
            ngo: "ngo-01".into(),
            member: "m-001".into(),
            full_name: "Member One (fictional)".into(),
        })
        .await?;
    show("member", reply.into_inner());

    let reply = intake
        .declare_need(pb::DeclareNeedRequest {
            submission: submission(
                "example/need",
                Kind::NgoMember(events::NgoMember {
                    ngo: "ngo-01".into(),
                    member: "m-001".into(),
                }),
                "۱۳۹۷-۰۱-۲۰",
            ),
            zone: "zone-01".into(),
            approach: events::Approach::Infrastructural as i32,
            title: "Piped water for the upper streets".into(),
            description: "About 40 households carry water by hand.".into(),
            households_affected: 40,
            priority: events::Priority::High as i32,
        })
        .await?;
    let reply = reply.into_inner();
    println!("need id: {}", reply.entity_id);
    show("need", reply);
    Ok(())
}
