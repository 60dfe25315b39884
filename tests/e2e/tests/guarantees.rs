//! Intake's guarantees under concurrency: every acknowledged submission exactly once
//! in the store and on JetStream, in order per stream; idempotent retries; optimistic
//! concurrency.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use saman_e2e::*;
use saman_proto::intake::v1 as pb;
use tonic::Code;

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 125;
const ZONES: usize = 10;

on_both_backends! {
    submissions_from_sixteen_concurrent_clients_are_stored_and_published_exactly_once_in_order => concurrent_clients;
    a_submission_retried_five_times_is_recorded_once => retried_five_times;
    a_submission_id_reused_with_other_content_is_already_exists => reused_with_other_content;
    of_two_writers_with_the_same_expected_version_exactly_one_wins => two_writers_one_version;
}

async fn concurrent_clients(backend: Backend) -> anyhow::Result<()> {
    let side = WriteSide::start(backend, ZONES, CLIENTS).await?;
    let (nats, db, intake) = (&side.nats, &side.intake_db, side.intake);
    let setup_events = stored_events(db.url()).await?.len();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        // One connection per client, as separate programs would have.
        let mut client = intake.client().await?;
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::with_capacity(PER_CLIENT);
            for i in 0..PER_CLIENT {
                let zone = format!("zone-{:02}", (c + i) % ZONES + 1);
                let request =
                    declare_need(&zone, &format!("m-{:03}", c + 1), &format!("need {c}/{i}"));
                let id = request.submission.as_ref().unwrap().submission_id.clone();
                let reply = client.declare_need(request).await?.into_inner();
                assert_eq!(reply.submission_id, id);
                acknowledged.push(id);
            }
            anyhow::Ok(acknowledged)
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await??);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "[{backend}] {} submissions from {CLIENTS} clients in {elapsed:.2?}: {:.0} submissions/s",
        acknowledged.len(),
        acknowledged.len() as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(acknowledged.len(), CLIENTS * PER_CLIENT);

    // In the store: each acknowledged submission exactly once.
    let stored = stored_events(db.url()).await?;
    assert_eq!(stored.len(), setup_events + CLIENTS * PER_CLIENT);
    let mut per_submission: HashMap<String, usize> = HashMap::new();
    for event in &stored {
        *per_submission
            .entry(event.submission_id.to_string())
            .or_default() += 1;
    }
    for id in &acknowledged {
        assert_eq!(
            per_submission.get(id),
            Some(&1),
            "submission {id} in the store"
        );
    }
    // Versions of each stream are 1..n without gaps in the store too.
    let mut versions: HashMap<&str, Vec<u64>> = HashMap::new();
    for event in &stored {
        versions
            .entry(&event.stream_id)
            .or_default()
            .push(event.stream_version);
    }
    for (stream, mut v) in versions {
        v.sort_unstable();
        assert_eq!(
            v,
            (1..=v.len() as u64).collect::<Vec<_>>(),
            "versions of {stream}"
        );
    }

    // On JetStream: each event exactly once, each stream in order.
    let messages = published(nats, stored.len() as u64, Duration::from_secs(30)).await?;
    assert_eq!(messages.len(), stored.len());
    assert_exactly_once_in_order(&messages);
    let mut on_nats: HashMap<&str, usize> = HashMap::new();
    for m in &messages {
        *on_nats
            .entry(m.envelope.submission_id.as_str())
            .or_default() += 1;
    }
    for id in &acknowledged {
        assert_eq!(
            on_nats.get(id.as_str()),
            Some(&1),
            "submission {id} on JetStream"
        );
    }
    intake.stop().await?;
    Ok(())
}

async fn retried_five_times(backend: Backend) -> anyhow::Result<()> {
    let side = WriteSide::start(backend, 1, 1).await?;
    let (db, mut client) = (&side.intake_db, side.intake.client().await?);
    let before = stored_events(db.url()).await?.len();

    let request = declare_need("zone-01", "m-001", "Clean water");
    let first = client.declare_need(request.clone()).await?.into_inner();
    // Retries: sequential, then concurrent ones racing each other.
    for _ in 0..2 {
        let again = client.declare_need(request.clone()).await?.into_inner();
        assert_eq!(again, first, "a retry gets the first reply");
    }
    let racing: Vec<_> = (0..3)
        .map(|_| {
            let mut client = client.clone();
            let request = request.clone();
            tokio::spawn(async move { client.declare_need(request).await })
        })
        .collect();
    for retry in racing {
        assert_eq!(retry.await??.into_inner(), first);
    }

    let stored = stored_events(db.url()).await?;
    assert_eq!(stored.len(), before + 1, "five retries, one event");
    assert_eq!(
        stored.last().unwrap().event_id.to_string(),
        first.events[0].event_id
    );
    side.intake.stop().await
}

async fn reused_with_other_content(backend: Backend) -> anyhow::Result<()> {
    let side = WriteSide::start(backend, 1, 1).await?;
    let (db, mut client) = (&side.intake_db, side.intake.client().await?);

    let request = declare_need("zone-01", "m-001", "Clean water");
    client.declare_need(request.clone()).await?;
    let before = stored_events(db.url()).await?.len();
    let mut other = request.clone();
    other.title = "Something else".into();
    let status = client.declare_need(other).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(
        status.message().contains("submission.submission_id"),
        "{}",
        status.message()
    );
    assert_eq!(
        stored_events(db.url()).await?.len(),
        before,
        "nothing appended"
    );
    side.intake.stop().await
}

async fn two_writers_one_version(backend: Backend) -> anyhow::Result<()> {
    let side = WriteSide::start(backend, 1, 2).await?;
    let (db, mut client) = (&side.intake_db, side.intake.client().await?);
    let before = stored_events(db.url()).await?.len();

    // Both writers saw zone-01 at version 1 (just registered).
    let mut requests = Vec::new();
    for m in ["m-001", "m-002"] {
        let mut request = declare_need("zone-01", m, &format!("need of {m}"));
        request.submission.as_mut().unwrap().expected_version = Some(1);
        requests.push(request);
    }
    let racing: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let mut client = client.clone();
            tokio::spawn(async move { client.declare_need(request).await })
        })
        .collect();
    let mut won = 0;
    let mut aborted = 0;
    for writer in racing {
        match writer.await? {
            Ok(reply) => {
                won += 1;
                assert_eq!(reply.into_inner().stream_version, 2);
            }
            Err(status) => {
                assert_eq!(status.code(), Code::Aborted, "{status:?}");
                assert!(
                    status.message().contains("expected_version"),
                    "{}",
                    status.message()
                );
                aborted += 1;
            }
        }
    }
    assert_eq!((won, aborted), (1, 1));
    assert_eq!(stored_events(db.url()).await?.len(), before + 1);

    // A writer that saw the current version wins.
    let mut request = declare_need("zone-01", "m-002", "after reload");
    request.submission.as_mut().unwrap().expected_version = Some(2);
    let reply: pb::SubmissionReply = client.declare_need(request).await?.into_inner();
    assert_eq!(reply.stream_version, 3);
    side.intake.stop().await
}
