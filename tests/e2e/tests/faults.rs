//! Faults under load: NATS stopped and restarted, intake killed with SIGKILL and
//! restarted. Every acknowledged submission is in the store and reaches JetStream
//! exactly once, each stream in order.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use saman_e2e::Channel;
use saman_e2e::*;
use saman_proto::intake::v1::intake_client::IntakeClient;
use tokio::task::JoinHandle;

on_both_backends! {
    submissions_are_acknowledged_while_nats_is_down_and_published_once_after_it_returns => nats_outage;
    acknowledged_submissions_survive_sigkill_of_intake_and_are_published_once => sigkill;
}

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 60;
const ZONES: usize = 4;

/// Starts `CLIENTS` clients submitting needs; each returns the ids intake
/// acknowledged. `acked` counts acknowledgements as they come. A client whose call
/// fails (intake killed) stops.
fn load(client: &IntakeClient<Channel>, acked: Arc<AtomicUsize>) -> Vec<JoinHandle<Vec<String>>> {
    (0..CLIENTS)
        .map(|c| {
            let mut client = client.clone();
            let acked = acked.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..PER_CLIENT {
                    let zone = format!("zone-{:02}", (c + i) % ZONES + 1);
                    let request =
                        declare_need(&zone, &format!("m-{:03}", c + 1), &format!("n{c}/{i}"));
                    let id = request.submission.as_ref().unwrap().submission_id.clone();
                    match client.declare_need(request).await {
                        Ok(_) => {
                            ids.push(id);
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => break,
                    }
                }
                ids
            })
        })
        .collect()
}

/// Registers the programme through `client`, then starts the load on it: the count of
/// acknowledgements and the clients.
async fn registered_then_loaded(
    mut client: IntakeClient<Channel>,
) -> anyhow::Result<(Arc<AtomicUsize>, Vec<JoinHandle<Vec<String>>>)> {
    register_programme(&mut client, ZONES, CLIENTS).await?;
    let acked = Arc::new(AtomicUsize::new(0));
    let tasks = load(&client, acked.clone());
    Ok((acked, tasks))
}

/// Waits until `n` submissions were acknowledged; an error after a minute (intake
/// stopped acknowledging).
async fn reached(counter: &AtomicUsize, n: usize) -> anyhow::Result<()> {
    let wait = async {
        while counter.load(Ordering::SeqCst) < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "only {} of {n} submissions acknowledged after 60 s",
                counter.load(Ordering::SeqCst)
            )
        })
}

async fn acknowledged(tasks: Vec<JoinHandle<Vec<String>>>) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await?);
    }
    Ok(ids)
}

/// Every acknowledged id once in the store and once on JetStream; everything stored
/// is published, exactly once and in order per stream.
async fn assert_all_published_once(
    db: &TestDb,
    nats: &NatsServer,
    acknowledged: &[String],
) -> anyhow::Result<()> {
    let stored = stored_events(db.url()).await?;
    let mut in_store: HashMap<String, usize> = HashMap::new();
    for e in &stored {
        *in_store.entry(e.submission_id.to_string()).or_default() += 1;
    }
    for id in acknowledged {
        assert_eq!(in_store.get(id), Some(&1), "acknowledged {id} in the store");
    }
    let messages = published(nats, stored.len() as u64, Duration::from_secs(60)).await?;
    assert_eq!(
        messages.len(),
        stored.len(),
        "every stored event published, none twice"
    );
    assert_exactly_once_in_order(&messages);
    let on_nats: std::collections::HashSet<&str> = messages
        .iter()
        .map(|m| m.envelope.event_id.as_str())
        .collect();
    for e in &stored {
        assert!(
            on_nats.contains(e.event_id.to_string().as_str()),
            "event {} published",
            e.event_id
        );
    }
    Ok(())
}

async fn nats_outage(backend: Backend) -> anyhow::Result<()> {
    let db = TestDb::new(backend).await?;
    let mut nats = NatsServer::start().await?;
    let intake = Intake::start(db.url(), &nats).await?;
    wait_serving(intake.addr).await?;
    let (acked, tasks) = registered_then_loaded(intake.client().await?).await?;
    reached(&acked, 60).await?;
    nats.stop().await?;
    let at_stop = acked.load(Ordering::SeqCst);
    // NATS is down: submissions are still acknowledged (they wait in the outbox).
    reached(&acked, at_stop + 200).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    nats.restart().await?;
    let acknowledged = acknowledged(tasks).await?;
    assert_eq!(
        acknowledged.len(),
        CLIENTS * PER_CLIENT,
        "every submission acknowledged"
    );

    assert_all_published_once(&db, &nats, &acknowledged).await?;
    intake.stop().await?;
    Ok(())
}

async fn sigkill(backend: Backend) -> anyhow::Result<()> {
    let db = TestDb::new(backend).await?;
    let nats = NatsServer::start().await?;
    let mut intake = IntakeProcess::start(db.url(), &nats, free_port()).await?;
    wait_serving(intake.addr).await?;
    let (acked, tasks) = registered_then_loaded(intake.client().await?).await?;
    reached(&acked, 100).await?;
    intake.kill().await?;
    let before_restart = acknowledged(tasks).await?;
    assert!(
        before_restart.len() < CLIENTS * PER_CLIENT,
        "the kill interrupted the load"
    );

    // Restarted: the outbox left by the killed process drains, and new submissions
    // are accepted.
    let intake = IntakeProcess::start(db.url(), &nats, free_port()).await?;
    wait_serving(intake.addr).await?;
    let acked_after = Arc::new(AtomicUsize::new(0));
    let after_restart = acknowledged(load(&intake.client().await?, acked_after)).await?;
    assert_eq!(after_restart.len(), CLIENTS * PER_CLIENT);

    let all: Vec<String> = before_restart.into_iter().chain(after_restart).collect();
    assert_all_published_once(&db, &nats, &all).await?;
    Ok(())
}
