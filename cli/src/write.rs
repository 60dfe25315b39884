//! The write subcommands: flags → an intake request with its submission header → the
//! reply, printed as what was recorded (or its JSON, or only the id with `-q`).

use saman_proto::intake::v1 as pb;
use uuid::Uuid;

use crate::actor::Role;
use crate::args::{
    ActivityCommand, AgencyCommand, Global, MemberCommand, NameArgs, NeedCommand, NgoCommand,
    ProgrammeCommand, ProgressCommand, ProjectCommand, ProposalCommand, ReferralCommand,
    RegisterZoneArgs, WriteCommand, WriteOpts,
};
use crate::connect;
use crate::credentials::Credentials;
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
        attestation: opts.attest.clone().map(|reason| pb::Attestation { reason }),
    };
    // An attested write goes with the attester's token, naming the original actor.
    let signer = match &opts.attest {
        None => submission.actor.clone(),
        Some(_) => opts
            .attester
            .clone()
            .or_else(|| Role::Office.default_actor())
            .map(|a| a.to_proto()),
    };
    let authorization = Credentials::of(global).await?.for_write(signer.as_ref())?;
    let request = request.with_submission(submission);
    let mut client = connect::intake(global).await?;
    let reply = request
        .send(&mut client, authorization)
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

fn write(role: Role, opts: WriteOpts, request: impl Into<Request>) -> Write {
    Write {
        role,
        opts,
        request: request.into(),
    }
}

/// `zone register`: the one write beside [`WriteCommand`] (`zone show` is a query).
pub fn zone(args: RegisterZoneArgs) -> Write {
    write(
        Role::Office,
        args.write,
        pb::RegisterZoneRequest {
            submission: None,
            code: args.code,
            name_fa: args.names.name_fa,
            name_en: args.names.name_en,
            goals: args.goals.into_iter().map(|g| g.0).collect(),
        },
    )
}

/// The request a write subcommand makes, and who makes it.
pub fn request(command: WriteCommand) -> Write {
    use WriteCommand as W;
    match command {
        W::Programme(ProgrammeCommand::Dates {
            needs_deadline,
            proposals_deadline,
            operational_start,
            goal_date,
            write: opts,
        }) => write(
            Role::Office,
            opts,
            pb::SetProgrammeDatesRequest {
                submission: None,
                needs_deadline,
                proposals_deadline,
                operational_start,
                goal_date,
            },
        ),
        W::Agency(AgencyCommand::Register {
            code,
            names: NameArgs { name_fa, name_en },
            write: opts,
        }) => write(
            Role::Office,
            opts,
            pb::RegisterAgencyRequest {
                submission: None,
                code,
                name_fa,
                name_en,
            },
        ),
        W::Ngo(NgoCommand::Register {
            code,
            names: NameArgs { name_fa, name_en },
            ministry_ref,
            write: opts,
        }) => write(
            Role::Office,
            opts,
            pb::RecordApprovedNgoRequest {
                submission: None,
                code,
                name_fa,
                name_en,
                ministry_approval_ref: ministry_ref,
            },
        ),
        W::Member(MemberCommand::Approve {
            ngo,
            member,
            full_name,
            write: opts,
        }) => write(
            Role::Office,
            opts,
            pb::ApproveNgoMemberRequest {
                submission: None,
                ngo,
                member,
                full_name,
            },
        ),
        W::Member(MemberCommand::Revoke {
            ngo,
            member,
            reason,
            write: opts,
        }) => write(
            Role::Office,
            opts,
            pb::RevokeNgoMemberRequest {
                submission: None,
                ngo,
                member,
                reason,
            },
        ),
        W::Need(NeedCommand::Declare {
            zone,
            approach,
            title,
            description,
            households,
            priority,
            write: opts,
        }) => write(
            Role::Member,
            opts,
            pb::DeclareNeedRequest {
                submission: None,
                zone,
                approach: approach.to_proto() as i32,
                title,
                description,
                households_affected: households,
                priority: priority.to_proto() as i32,
            },
        ),
        W::Need(NeedCommand::Refer {
            zone,
            need,
            agency,
            note,
            write: opts,
        }) => write(
            Role::Member,
            opts,
            pb::ReferNeedRequest {
                submission: None,
                zone,
                need_id: need,
                agency,
                note,
            },
        ),
        W::Activity(ActivityCommand::Report {
            zone,
            title,
            description,
            participants,
            held_on,
            write: opts,
        }) => write(
            Role::Member,
            opts,
            pb::ReportSocialActivityRequest {
                submission: None,
                zone,
                title,
                description,
                participants,
                held_on,
            },
        ),
        W::Referral(ReferralCommand::Answer {
            zone,
            referral,
            accept,
            decline: _,
            answer,
            write: opts,
        }) => write(
            Role::Officer,
            opts,
            pb::AnswerReferralRequest {
                submission: None,
                zone,
                referral_id: referral,
                accepted: accept,
                answer,
            },
        ),
        W::Proposal(ProposalCommand::Submit {
            zone,
            needs,
            approach,
            title,
            budget,
            start,
            end,
            goals,
            write: opts,
        }) => write(
            Role::Officer,
            opts,
            pb::SubmitProposalRequest {
                submission: None,
                zone,
                need_ids: needs,
                approach: approach.to_proto() as i32,
                title,
                budget_rials: budget,
                planned_start: start,
                planned_end: end,
                goal_codes: goals,
            },
        ),
        W::Proposal(ProposalCommand::Approve {
            zone,
            proposal,
            reason,
            write: opts,
        }) => decide(zone, proposal, pb::Decision::Approve, reason, opts),
        W::Proposal(ProposalCommand::Reject {
            zone,
            proposal,
            reason,
            write: opts,
        }) => decide(zone, proposal, pb::Decision::Reject, reason, opts),
        W::Progress(ProgressCommand::Report {
            zone,
            proposal,
            percent,
            as_of,
            note,
            correction,
            write: opts,
        }) => write(
            Role::Officer,
            opts,
            pb::ReportProgressRequest {
                submission: None,
                zone,
                proposal_id: proposal,
                percent,
                note,
                as_of: as_of.unwrap_or_default(),
                correction,
            },
        ),
        W::Project(ProjectCommand::Complete {
            zone,
            proposal,
            on,
            note,
            write: opts,
        }) => write(
            Role::Officer,
            opts,
            pb::CompleteProjectRequest {
                submission: None,
                zone,
                proposal_id: proposal,
                completed_on: on.unwrap_or_default(),
                note,
            },
        ),
    }
}

/// `supervision report`: a write beside [`WriteCommand`] (`supervision show` is a query).
pub fn supervision_report(
    ngo: String,
    zone: Option<String>,
    findings: String,
    rating: u32,
    opts: WriteOpts,
) -> Write {
    write(
        Role::Supervisor,
        opts,
        pb::FileSupervisionReportRequest {
            submission: None,
            ngo,
            zone: zone.unwrap_or_default(),
            findings,
            rating,
        },
    )
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
        pb::DecideProposalRequest {
            submission: None,
            zone,
            proposal_id: proposal,
            decision: decision as i32,
            reason,
        },
    )
}
