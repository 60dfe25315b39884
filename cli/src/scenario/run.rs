//! Sends a plan to intake: phase by phase, the lanes of a phase side by side (at most
//! `--concurrency` at once), each lane's steps in order, with a progress bar.
//!
//! Every step has a fixed submission id, so a second run (or a run after an
//! interrupted one) gets intake's first replies and records nothing new. For the
//! same reason a step that meets UNAVAILABLE (intake restarting, the event store
//! failing over) is simply sent again.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use saman_proto::intake::v1::{self as pb, intake_client::IntakeClient};
use saman_runtime::backoff::{self, Retryable};
use tonic::transport::Channel;

use super::plan::{Lane, Plan};
use crate::credentials::Credentials;
use crate::error::{CliError, Kind};
use crate::submit::Request;

/// What a run did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub submissions: usize,
    pub events: usize,
    pub late: usize,
    pub by_rpc: BTreeMap<&'static str, usize>,
    pub elapsed: Duration,
    /// The last version of every stream written to (for read-your-writes).
    pub streams: BTreeMap<String, u64>,
}

/// How many times a step is sent again after UNAVAILABLE before giving up.
const RETRIES: usize = 8;

pub async fn run(
    plan: &Plan,
    client: IntakeClient<Channel>,
    credentials: &Credentials,
    concurrency: usize,
    progress: bool,
) -> Result<Outcome, CliError> {
    let started = Instant::now();
    let bar = if progress {
        ProgressBar::with_draw_target(Some(plan.steps() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {pos}/{len} submissions, {elapsed} · {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(format!("1397, seed {}", plan.seed));
    bar.enable_steady_tick(Duration::from_millis(120));

    let mut outcome = Outcome::default();
    for phase in &plan.phases {
        bar.set_message(phase.name);
        let lanes = futures::stream::iter(phase.lanes.iter().map(|lane| {
            let client = client.clone();
            let bar = bar.clone();
            async move { run_lane(lane, client, credentials, &bar).await }
        }))
        .buffer_unordered(concurrency.max(1));
        let results: Vec<_> = lanes.collect().await;
        for result in results {
            let replies = result.inspect_err(|_| bar.abandon())?;
            for (rpc, reply) in replies {
                outcome.submissions += 1;
                outcome.events += reply.events.len();
                outcome.late += usize::from(reply.late);
                *outcome.by_rpc.entry(rpc).or_default() += 1;
                let version = outcome.streams.entry(reply.stream_id).or_default();
                *version = (*version).max(reply.stream_version);
            }
        }
    }
    bar.finish_and_clear();
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

async fn run_lane(
    lane: &Lane,
    mut client: IntakeClient<Channel>,
    credentials: &Credentials,
    bar: &ProgressBar,
) -> Result<Vec<(&'static str, pb::SubmissionReply)>, CliError> {
    // What this lane's steps created, by the plan's names, with the ids intake gave.
    let mut created: HashMap<&str, String> = HashMap::new();
    let mut replies = Vec::with_capacity(lane.steps.len());
    for step in &lane.steps {
        let request = resolve(step.request.clone(), &created).map_err(|name| {
            CliError::new(
                Kind::Unexpected,
                format!(
                    "step {} refers to @{name}, which the plan never created",
                    step.key
                ),
            )
        })?;
        let rpc = request.rpc();
        // Each step with a token of its own actor.
        let actor = request.submission().and_then(|s| s.actor.as_ref());
        let authorization = credentials.for_write(actor)?;
        let reply = send_with_retries(request, &mut client, authorization)
            .await
            .map_err(|e| {
                // A registration refused as a duplicate: the system holds another year.
                let hint = if e.kind == Kind::Conflict
                    && (step.key.ends_with("/register") || step.key.ends_with("/record"))
                {
                    " (the system already holds a programme this plan did not make: another \
                     --seed, or data of its own; load the scenario into an empty system)"
                } else {
                    ""
                };
                CliError {
                    message: format!("step {} ({rpc}): {}{hint}", step.key, e.message),
                    ..e
                }
            })?;
        if let Some(name) = &step.creates {
            created.insert(name, reply.entity_id.clone());
        }
        replies.push((rpc, reply));
        bar.inc(1);
    }
    Ok(replies)
}

async fn send_with_retries(
    request: Request,
    client: &mut IntakeClient<Channel>,
    authorization: Option<tonic::metadata::AsciiMetadataValue>,
) -> Result<pb::SubmissionReply, CliError> {
    // 200 ms, doubling up to 3.2 s.
    let pauses = backoff::doubling(Duration::from_millis(200), Duration::from_millis(3200))
        .with_max_times(RETRIES);
    let client = &*client;
    (|| {
        let (request, mut client) = (request.clone(), client.clone());
        let authorization = authorization.clone();
        async move { request.send(&mut client, authorization).await }
    })
    .retry(pauses)
    .when(|status| status.code() == tonic::Code::Unavailable)
    .await
    .map_err(|status| CliError::from_status("intake", &status))
}

/// The request with every `@name` replaced by the id of what the lane created.
fn resolve(request: Request, created: &HashMap<&str, String>) -> Result<Request, String> {
    let id = |value: &mut String| -> Result<(), String> {
        if let Some(name) = value.strip_prefix('@') {
            *value = created.get(name).cloned().ok_or_else(|| name.to_string())?;
        }
        Ok(())
    };
    let mut request = request;
    match &mut request {
        Request::ReferNeed(r) => id(&mut r.need_id)?,
        Request::AnswerReferral(r) => id(&mut r.referral_id)?,
        Request::SubmitProposal(r) => {
            for need in &mut r.need_ids {
                id(need)?;
            }
        }
        Request::DecideProposal(r) => id(&mut r.proposal_id)?,
        Request::ReportProgress(r) => id(&mut r.proposal_id)?,
        Request::CompleteProject(r) => id(&mut r.proposal_id)?,
        _ => {}
    }
    Ok(request)
}
