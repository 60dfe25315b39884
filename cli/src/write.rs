//! The write subcommands: flags → an intake request with its submission header → the
//! reply, printed as what was recorded (or its JSON, or only the id with `-q`).

use saman_proto::intake::v1 as pb;
use uuid::Uuid;

use crate::actor::Role;
use crate::args::{
    ActivityCommand, AgencyCommand, Global, MemberCommand, NeedCommand, NgoCommand,
    ProgrammeCommand, ProgressCommand, ProjectCommand, ProposalCommand, ReferralCommand,
    RegisterZoneArgs, SupervisionCommand, WriteOpts,
};
use crate::connect;
use crate::error::{CliError, Kind};
use crate::output::{Style, json_line};
use crate::submit::Request;

/// A write as the command line gave it.
pub struct Write {
    pub role: Role,
    pub opts: WriteOpts,
    pub request: Request,
}

pub async fn run(write: Write, global: &Global) -> Result<(), CliError> {
    let Write {
        role,
        opts,
        request,
    } = write;
    let actor = match opts.actor.clone().or_else(|| role.default_actor()) {
        Some(actor) => actor,
        None => {
            return Err(CliError::new(
                Kind::Usage,
                format!(
                    "{} is made by {}: pass --as {} (or set SAMAN_AS)",
                    request.rpc(),
                    match role {
                        Role::Member => "an NGO member",
                        Role::Officer => "an agency officer",
                        Role::Office => "the programme office",
                        Role::Supervisor => "the county supervisor",
                    },
                    role.example()
                ),
            ));
        }
    };
    let submission = pb::Submission {
        submission_id: opts.submission_id.unwrap_or_else(Uuid::now_v7).to_string(),
        actor: Some(actor.to_proto()),
        expected_version: opts.expected_version,
        occurred_at: opts.occurred_at.clone().unwrap_or_default(),
    };
    let request = request.with_submission(submission);
    let mut client = connect::intake(global).await?;
    let reply = request
        .send(&mut client)
        .await
        .map_err(|s| CliError::from_status("intake", &s))?;
    let style = Style {
        json: global.json,
        fa: global.fa,
    };
    print_reply(&reply, style, opts.quiet)
}

fn print_reply(reply: &pb::SubmissionReply, style: Style, quiet: bool) -> Result<(), CliError> {
    if style.json {
        crate::out!("{}", json_line("saman.intake.v1.SubmissionReply", reply)?);
    } else if quiet {
        crate::out!("{}", reply.entity_id);
    } else {
        crate::out!(
            "recorded {} event{} on {} (now at version {}){}",
            reply.events.len(),
            if reply.events.len() == 1 { "" } else { "s" },
            reply.stream_id,
            reply.stream_version,
            if reply.late {
                " · late: after the programme's deadline"
            } else {
                ""
            }
        );
        crate::out!("  id          {}", reply.entity_id);
        crate::out!("  submission  {}", reply.submission_id);
        for event in &reply.events {
            crate::out!(
                "  {} v{}  {}",
                event.event_type,
                event.stream_version,
                event.subject
            );
        }
        crate::out!(
            "  read it with --after {}:{}",
            reply.stream_id,
            reply.stream_version
        );
    }
    Ok(())
}

// ---- flags → requests -------------------------------------------------------------------

fn write(role: Role, opts: WriteOpts, request: Request) -> Write {
    Write {
        role,
        opts,
        request,
    }
}

pub fn zone(args: RegisterZoneArgs) -> Write {
    write(
        Role::Office,
        args.write,
        Request::RegisterZone(pb::RegisterZoneRequest {
            submission: None,
            code: args.code,
            name_fa: args.name_fa,
            name_en: args.name_en,
            goals: args.goals.into_iter().map(|g| g.0).collect(),
        }),
    )
}

pub fn programme(command: ProgrammeCommand) -> Write {
    match command {
        ProgrammeCommand::Dates {
            needs_deadline,
            proposals_deadline,
            operational_start,
            goal_date,
            write: opts,
        } => write(
            Role::Office,
            opts,
            Request::SetProgrammeDates(pb::SetProgrammeDatesRequest {
                submission: None,
                needs_deadline,
                proposals_deadline,
                operational_start,
                goal_date,
            }),
        ),
    }
}

pub fn agency(command: AgencyCommand) -> Write {
    match command {
        AgencyCommand::Register {
            code,
            name_fa,
            name_en,
            write: opts,
        } => write(
            Role::Office,
            opts,
            Request::RegisterAgency(pb::RegisterAgencyRequest {
                submission: None,
                code,
                name_fa,
                name_en,
            }),
        ),
    }
}

pub fn ngo(command: NgoCommand) -> Write {
    match command {
        NgoCommand::Register {
            code,
            name_fa,
            name_en,
            ministry_ref,
            write: opts,
        } => write(
            Role::Office,
            opts,
            Request::RecordApprovedNgo(pb::RecordApprovedNgoRequest {
                submission: None,
                code,
                name_fa,
                name_en,
                ministry_approval_ref: ministry_ref,
            }),
        ),
    }
}

pub fn member(command: MemberCommand) -> Write {
    match command {
        MemberCommand::Approve {
            ngo,
            member,
            full_name,
            write: opts,
        } => write(
            Role::Office,
            opts,
            Request::ApproveNgoMember(pb::ApproveNgoMemberRequest {
                submission: None,
                ngo,
                member,
                full_name,
            }),
        ),
        MemberCommand::Revoke {
            ngo,
            member,
            reason,
            write: opts,
        } => write(
            Role::Office,
            opts,
            Request::RevokeNgoMember(pb::RevokeNgoMemberRequest {
                submission: None,
                ngo,
                member,
                reason,
            }),
        ),
    }
}

pub fn need(command: NeedCommand) -> Write {
    match command {
        NeedCommand::Declare {
            zone,
            approach,
            title,
            description,
            households,
            priority,
            write: opts,
        } => write(
            Role::Member,
            opts,
            Request::DeclareNeed(pb::DeclareNeedRequest {
                submission: None,
                zone,
                approach: approach.to_proto() as i32,
                title,
                description,
                households_affected: households,
                priority: priority.to_proto() as i32,
            }),
        ),
        NeedCommand::Refer {
            zone,
            need,
            agency,
            note,
            write: opts,
        } => write(
            Role::Member,
            opts,
            Request::ReferNeed(pb::ReferNeedRequest {
                submission: None,
                zone,
                need_id: need,
                agency,
                note,
            }),
        ),
    }
}

pub fn activity(command: ActivityCommand) -> Write {
    match command {
        ActivityCommand::Report {
            zone,
            title,
            description,
            participants,
            held_on,
            write: opts,
        } => write(
            Role::Member,
            opts,
            Request::ReportSocialActivity(pb::ReportSocialActivityRequest {
                submission: None,
                zone,
                title,
                description,
                participants,
                held_on,
            }),
        ),
    }
}

pub fn referral(command: ReferralCommand) -> Write {
    match command {
        ReferralCommand::Answer {
            zone,
            referral,
            accept,
            decline: _,
            answer,
            write: opts,
        } => write(
            Role::Officer,
            opts,
            Request::AnswerReferral(pb::AnswerReferralRequest {
                submission: None,
                zone,
                referral_id: referral,
                accepted: accept,
                answer,
            }),
        ),
    }
}

pub fn proposal(command: ProposalCommand) -> Write {
    match command {
        ProposalCommand::Submit {
            zone,
            needs,
            approach,
            title,
            budget,
            start,
            end,
            write: opts,
        } => write(
            Role::Officer,
            opts,
            Request::SubmitProposal(pb::SubmitProposalRequest {
                submission: None,
                zone,
                need_ids: needs,
                approach: approach.to_proto() as i32,
                title,
                budget_rials: budget,
                planned_start: start,
                planned_end: end,
            }),
        ),
        ProposalCommand::Approve {
            zone,
            proposal,
            reason,
            write: opts,
        } => decide(zone, proposal, pb::Decision::Approve, reason, opts),
        ProposalCommand::Reject {
            zone,
            proposal,
            reason,
            write: opts,
        } => decide(zone, proposal, pb::Decision::Reject, reason, opts),
    }
}

fn decide(
    zone: String,
    proposal: String,
    decision: pb::Decision,
    reason: String,
    opts: WriteOpts,
) -> Write {
    write(
        Role::Supervisor,
        opts,
        Request::DecideProposal(pb::DecideProposalRequest {
            submission: None,
            zone,
            proposal_id: proposal,
            decision: decision as i32,
            reason,
        }),
    )
}

pub fn progress(command: ProgressCommand) -> Write {
    match command {
        ProgressCommand::Report {
            zone,
            proposal,
            percent,
            as_of,
            note,
            correction,
            write: opts,
        } => write(
            Role::Officer,
            opts,
            Request::ReportProgress(pb::ReportProgressRequest {
                submission: None,
                zone,
                proposal_id: proposal,
                percent,
                note,
                as_of: as_of.unwrap_or_default(),
                correction,
            }),
        ),
    }
}

pub fn project(command: ProjectCommand) -> Write {
    match command {
        ProjectCommand::Complete {
            zone,
            proposal,
            on,
            note,
            write: opts,
        } => write(
            Role::Officer,
            opts,
            Request::CompleteProject(pb::CompleteProjectRequest {
                submission: None,
                zone,
                proposal_id: proposal,
                completed_on: on.unwrap_or_default(),
                note,
            }),
        ),
    }
}

pub fn supervision(command: SupervisionCommand) -> Write {
    match command {
        SupervisionCommand::Report {
            ngo,
            zone,
            findings,
            rating,
            write: opts,
        } => write(
            Role::Supervisor,
            opts,
            Request::FileSupervisionReport(pb::FileSupervisionReportRequest {
                submission: None,
                ngo,
                zone: zone.unwrap_or_default(),
                findings,
                rating,
            }),
        ),
    }
}
