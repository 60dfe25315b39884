//! Intake restarts on whatever it accepted: the state folded from the event store at a
//! restart is exactly the state the writer decided on before it, for every kind of
//! write, values at their limits included.

use std::sync::Arc;

use jiff::Timestamp;
use saman_e2e::*;
use saman_intake::edge::parse::{self, Request};
use saman_intake::store::EventStore;
use saman_intake::writer::{Writer, WriterConfig, fold_history, request_hash};
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

on_both_backends! {
    the_state_folded_at_a_restart_is_the_state_decided_on => restart;
}

async fn submit(writer: &Writer, request: Request) -> anyhow::Result<pb::SubmissionReply> {
    let now = saman_domain::calendar::to_micros(Timestamp::now());
    // The requests replay 1397: a deployment that trusts claimed times.
    let trust = saman_domain::time::TimeTrust {
        trust_claimed: true,
        ..Default::default()
    };
    let command =
        parse::command(&request, now, None, &trust).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (rpc, bytes) = request.fingerprint();
    writer
        .submit(command, request_hash(rpc, &bytes), None)
        .await
        .map(|recorded| pb::SubmissionReply::from(&recorded))
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn long(chars: usize, unit: &str) -> String {
    unit.repeat(chars).chars().take(chars).collect()
}

/// The writer on `store`, as intake starts it (folding the store's history first).
async fn start_writer(store: &EventStore) -> anyhow::Result<(Writer, JoinHandle<()>)> {
    let started = Writer::start(
        store.clone(),
        Arc::new(Notify::new()),
        WriterConfig::default(),
    )
    .await?;
    Ok(started)
}

/// Stops the writer (its task ends once the last handle is dropped) and closes the store.
async fn stop_writer(
    writer: Writer,
    task: JoinHandle<()>,
    store: EventStore,
) -> anyhow::Result<()> {
    drop(writer);
    task.await?;
    store.close().await;
    Ok(())
}

/// Submits `requests` one after the other.
async fn submit_all(writer: &Writer, requests: Vec<Request>) -> anyhow::Result<()> {
    for request in requests {
        submit(writer, request).await?;
    }
    Ok(())
}

/// The register, values at their limits: the dates (one in Persian digits, one in ISO),
/// a zone of 50 long goals, ngo-01 with two long-named members (m-002 revoked later),
/// agency water.
fn register() -> Vec<Request> {
    let mut requests = vec![
        Request::SetProgrammeDates(pb::SetProgrammeDatesRequest {
            proposals_deadline: "۱۳۹۷/۰۲/۱۰".into(),
            goal_date: "2019-03-20".into(),
            ..programme_dates()
        }),
        Request::RegisterZone(pb::RegisterZoneRequest {
            submission: submission(office(), "1396-12-26"),
            code: " Zone-01 ".into(),
            name_fa: "منطقه\u{200C}ی یک".into(),
            name_en: "Cafe\u{301} quarter".into(),
            goals: (0..50)
                .map(|i| pb::GoalInput {
                    code: format!("goal-{i}"),
                    approach: if i % 2 == 0 {
                        events::Approach::Infrastructural
                    } else {
                        events::Approach::Social
                    } as i32,
                    title_fa: long(200, "آب\u{200C}رسانی "),
                    title_en: long(200, "Water "),
                    weight: 100,
                })
                .collect(),
        }),
        Request::RecordApprovedNgo(approved_ngo()),
    ];
    for m in [1, 2] {
        requests.push(Request::ApproveNgoMember(pb::ApproveNgoMemberRequest {
            full_name: long(200, "نام "),
            ..ngo_member(m)
        }));
    }
    requests.push(Request::RevokeNgoMember(pb::RevokeNgoMemberRequest {
        submission: submission(office(), "1397-01-05"),
        ngo: "ngo-01".into(),
        member: "m-002".into(),
        reason: "left".into(),
    }));
    requests.push(Request::RegisterAgency(pb::RegisterAgencyRequest {
        submission: submission(office(), "1396-12-26"),
        code: "water".into(),
        name_fa: "آب".into(),
        name_en: "Water".into(),
    }));
    requests
}

/// What follows the decisions on the `approved` project: two progress reports (the
/// second a correction down), its completion, a social activity dated 1300 and a
/// supervision report of 4,000 characters.
fn after_the_decisions(approved: &str) -> Vec<Request> {
    let mut requests = Vec::new();
    for (percent, correction, at) in [(60, "", "1397-05-01"), (40, "double counted", "1397-06-01")]
    {
        requests.push(Request::ReportProgress(pb::ReportProgressRequest {
            submission: submission(officer("water"), at),
            zone: "zone-01".into(),
            proposal_id: approved.into(),
            percent,
            note: "".into(),
            as_of: "".into(),
            correction: correction.into(),
        }));
    }
    requests.push(Request::CompleteProject(pb::CompleteProjectRequest {
        submission: submission(officer("water"), "1397-12-01"),
        zone: "zone-01".into(),
        proposal_id: approved.into(),
        completed_on: "1397-11-30".into(),
        note: "".into(),
    }));
    requests.push(Request::ReportSocialActivity(
        pb::ReportSocialActivityRequest {
            submission: submission(member("ngo-01", "m-001"), "1397-03-01"),
            zone: "zone-01".into(),
            title: "Reading circle".into(),
            description: "".into(),
            participants: 1_000_000,
            held_on: "۱۳۰۰/۰۱/۰۱".into(),
        },
    ));
    requests.push(Request::FileSupervisionReport(
        pb::FileSupervisionReportRequest {
            submission: submission(supervisor(), "1397-04-01"),
            ngo: "ngo-01".into(),
            zone: "".into(),
            findings: long(4000, "گزارش "),
            rating: 5,
        },
    ));
    requests
}

async fn restart(backend: Backend) -> anyhow::Result<()> {
    let db = TestDb::new(backend).await?;
    let store = EventStore::open(db.url(), 4).await?;
    let (writer, task) = start_writer(&store).await?;

    submit_all(&writer, register()).await?;
    let mut need = declare_need("zone-01", "m-001", &long(200, "نیاز "));
    need.description = format!("{}\r\nline\tend", long(3990, "شرح "));
    need.households_affected = 1_000_000;
    need.submission.as_mut().unwrap().occurred_at = "2018-04-20T23:59:59.999999+04:30".into();
    let need_id = submit(&writer, Request::DeclareNeed(need)).await?.entity_id;
    let late_need = submit(
        &writer,
        Request::DeclareNeed(declare_need("zone-01", "m-001", "Late")),
    )
    .await?
    .entity_id;
    let referral = submit(
        &writer,
        Request::ReferNeed(pb::ReferNeedRequest {
            submission: submission(member("ngo-01", "m-001"), "1397-01-21"),
            zone: "zone-01".into(),
            need_id: need_id.clone(),
            agency: "water".into(),
            note: long(4000, "یادداشت "),
        }),
    )
    .await?
    .entity_id;
    let answer = pb::AnswerReferralRequest {
        submission: submission(officer("water"), "1397-01-25"),
        zone: "zone-01".into(),
        referral_id: referral,
        accepted: true,
        answer: "yes".into(),
    };
    submit(&writer, Request::AnswerReferral(answer)).await?;
    let mut proposal = pb::SubmitProposalRequest {
        submission: submission(officer("water"), "1397-01-25"),
        zone: "zone-01".into(),
        need_ids: vec![need_id.clone(), late_need],
        approach: events::Approach::Infrastructural as i32,
        title: "Pipes".into(),
        budget_rials: 100_000_000_000_000,
        planned_start: "1300-01-01".into(),
        planned_end: "2121-03-20".into(),
        goal_codes: vec![],
    };
    let approved = submit(&writer, Request::SubmitProposal(proposal.clone()))
        .await?
        .entity_id;
    proposal.submission = submission(officer("water"), "1397-02-15");
    let rejected = submit(&writer, Request::SubmitProposal(proposal))
        .await?
        .entity_id;
    for (id, decision, reason) in [
        (&approved, pb::Decision::Approve, ""),
        (&rejected, pb::Decision::Reject, "duplicate"),
    ] {
        submit(
            &writer,
            Request::DecideProposal(pb::DecideProposalRequest {
                submission: submission(supervisor(), "1397-02-20"),
                zone: "zone-01".into(),
                proposal_id: id.clone(),
                decision: decision as i32,
                reason: reason.into(),
            }),
        )
        .await?;
    }
    submit_all(&writer, after_the_decisions(&approved)).await?;

    let before = writer.state().await?;
    assert!(
        before
            .zone(&saman_domain::values::ZoneCode::parse("zone-01")?)
            .is_some()
    );
    stop_writer(writer, task, store).await?;

    // A restart: a new pool, the history folded again.
    let store = EventStore::open(db.url(), 4).await?;
    assert_eq!(
        fold_history(&store).await?,
        before,
        "[{backend}] the fold of the store"
    );
    let (writer, task) = start_writer(&store).await?;
    assert_eq!(
        writer.state().await?,
        before,
        "[{backend}] the state after a restart"
    );
    stop_writer(writer, task, store).await
}
