//! Behaviour of the event store, the same tests on SQLite and on PostgreSQL.
//!
//! Every test is listed once in `store_tests!`, for the harness's `on_both_backends!`,
//! which makes it `sqlite::<name>` and `postgres::<name>`: most take a store opened on a
//! fresh database (module `fresh`), the others the backend. The PostgreSQL ones need
//! `DATABASE_URL` (as `scripts/test` provides); without a reachable server they fail with
//! the harness's error, they are never skipped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use saman_harness::{Backend as DbBackend, TestDb};
use saman_intake::store::{
    Append, AppendOutcome, Backend, EventStore, NewEvent, PriorSubmission, SqlError, StoreError,
    StoredEvent,
};
use tokio::sync::Barrier;
use uuid::Uuid;

type Result<T = ()> = anyhow::Result<T>;

/// Lists every test once for `on_both_backends!`: those of [`fresh`] each get a test of
/// its name that opens a store on a fresh database of the backend ([`on_fresh_store`])
/// and runs it; the others take the backend themselves.
macro_rules! store_tests {
    (on_a_fresh_store: $($fresh:ident),+ ; on_the_backend: $($other:ident),+ $(,)?) => {
        $(
            async fn $fresh(backend: DbBackend) -> Result {
                on_fresh_store(backend, fresh::$fresh).await
            }
        )+
        saman_harness::on_both_backends!($($fresh,)+ $($other,)+);
    };
}

store_tests!(
    on_a_fresh_store:
    append_new_stream,
    append_chains_versions_within_a_batch,
    append_wrong_expected_version_conflicts_and_writes_nothing,
    append_duplicate_submission_returns_prior_reply_and_writes_nothing,
    append_duplicate_within_a_batch,
    append_refuses_events_with_wrong_versions,
    append_without_events_records_the_submission_only,
    append_large_batch_spanning_several_statements,
    read_stream_after_version,
    outbox_in_position_order_and_done_removes;
    on_the_backend:
    racing_appends_on_two_pools_never_both_win,
    racing_duplicate_submission_on_two_pools_is_written_once,
    relay_lease_is_exclusive,
    migrations_are_idempotent_on_reopen,
    unsupported_url_is_refused,
    throughput_2000_appends_in_batches_of_50,
);

// ---------------------------------------------------------------------------------------------
// helpers

/// Runs `test` on a store opened on a fresh database of `backend`, then closes the store.
async fn on_fresh_store<F, T>(backend: DbBackend, test: F) -> Result
where
    F: FnOnce(EventStore) -> T,
    T: Future<Output = Result>,
{
    let db = TestDb::new(backend).await?;
    let store = open(&db).await?;
    let outcome = test(store.clone()).await;
    store.close().await;
    outcome
}

async fn open(db: &TestDb) -> Result<EventStore> {
    let store = EventStore::open(db.url(), 4)
        .await
        .with_context(|| format!("opening the store on {:?}", db.backend()))?;
    let expected = match db.backend() {
        DbBackend::Sqlite => Backend::Sqlite,
        DbBackend::Postgres => Backend::Postgres,
    };
    ensure!(
        store.backend() == expected,
        "wrong backend {:?}",
        store.backend()
    );
    Ok(store)
}

fn new_event(stream: &str, version: u64, payload: &str) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "NeedDeclared".to_owned(),
        schema_version: 1,
        stream_version: version,
        subject: format!("saman.events.v1.zone.{stream}.NeedDeclared"),
        occurred_at_us: 1_524_200_000_000_000 + i64::try_from(version).unwrap(),
        recorded_at_us: 1_524_200_000_500_000 + i64::try_from(version).unwrap(),
        payload: payload.as_bytes().to_vec(),
        // Odd versions carry a trace context, even ones none: both must read back as written.
        traceparent: (version % 2 == 1)
            .then(|| format!("00-{:032x}-{:016x}-01", version + 1, version + 1)),
    }
}

/// An append of `count` events to `stream`, expecting `expected`, under a fresh submission id.
fn append(stream: &str, expected: u64, count: u64) -> Append {
    let submission_id = Uuid::now_v7();
    Append {
        submission_id,
        request_hash: hash_of(&format!("{submission_id} {stream} {expected} {count}")),
        reply: format!("reply to {submission_id}").into_bytes(),
        stream_id: stream.to_owned(),
        expected_version: expected,
        events: (1..=count)
            .map(|k| new_event(stream, expected + k, &format!("{stream} v{}", expected + k)))
            .collect(),
    }
}

/// A stand-in for the SHA-256 the writer computes: distinct content, distinct bytes.
fn hash_of(text: &str) -> [u8; 32] {
    let mut hash = [0u8; 32];
    for (i, byte) in text.bytes().enumerate() {
        hash[i % 32] = hash[i % 32].wrapping_mul(31).wrapping_add(byte);
    }
    hash
}

fn positions(outcome: &AppendOutcome) -> Result<Vec<i64>> {
    match outcome {
        AppendOutcome::Appended { positions } => Ok(positions.clone()),
        other => anyhow::bail!("expected Appended, got {other:?}"),
    }
}

/// Everything observable in the store, to show that an operation wrote nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    events: Vec<StoredEvent>,
    outbox: Vec<StoredEvent>,
    versions: HashMap<String, u64>,
}

async fn snapshot(store: &EventStore, streams: &[&str]) -> Result<Snapshot> {
    let streams: Vec<String> = streams.iter().map(|s| s.to_string()).collect();
    Ok(Snapshot {
        events: store.read_all(0, 100_000).await?,
        outbox: store.outbox_batch(100_000).await?,
        versions: store.stream_versions(&streams).await?,
    })
}

fn assert_stored(stored: &StoredEvent, append: &Append, event: &NewEvent, position: i64) {
    let expected = StoredEvent {
        position,
        event_id: event.event_id,
        stream_id: append.stream_id.clone(),
        stream_version: event.stream_version,
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        subject: event.subject.clone(),
        submission_id: append.submission_id,
        occurred_at_us: event.occurred_at_us,
        recorded_at_us: event.recorded_at_us,
        payload: event.payload.clone(),
        traceparent: event.traceparent.clone(),
    };
    assert_eq!(stored, &expected);
}

// ---------------------------------------------------------------------------------------------
// tests

/// The tests that run on a store opened on a fresh database: each takes the store, and
/// [`store_tests!`] gives the harness a test of the same name that opens it.
mod fresh {
    use super::*;

    pub(super) async fn append_new_stream(store: EventStore) -> Result {
        let first = append("zone.zone-01", 0, 2);

        let outcomes = store.append(std::slice::from_ref(&first)).await?;
        let got = positions(&outcomes[0])?;
        assert_eq!(got.len(), 2);
        assert!(got[0] < got[1], "positions {got:?} not increasing");

        let events = store.read_stream("zone.zone-01", 0).await?;
        assert_eq!(events.len(), 2);
        for (k, stored) in events.iter().enumerate() {
            assert_stored(stored, &first, &first.events[k], got[k]);
        }
        assert_eq!(
            store
                .stream_versions(&["zone.zone-01".into(), "zone.zone-02".into()])
                .await?,
            HashMap::from([("zone.zone-01".to_owned(), 2)])
        );
        assert_eq!(
            store
                .submissions(&[first.submission_id, Uuid::now_v7()])
                .await?,
            HashMap::from([(
                first.submission_id,
                PriorSubmission {
                    request_hash: first.request_hash,
                    reply: first.reply.clone()
                }
            )])
        );
        assert_eq!(store.outbox_len().await?, 2);
        assert_eq!(store.outbox_batch(10).await?, events);
        assert_eq!(store.read_all(0, 10).await?, events);
        Ok(())
    }

    pub(super) async fn append_chains_versions_within_a_batch(store: EventStore) -> Result {
        let batch = vec![
            append("zone.zone-01", 0, 1),
            append("ngo.ngo-01", 0, 1),
            append("zone.zone-01", 1, 2),
            append("zone.zone-01", 3, 1),
        ];
        let outcomes = store.append(&batch).await?;
        let all: Vec<Vec<i64>> = outcomes.iter().map(positions).collect::<Result<_>>()?;

        let zone = store.read_stream("zone.zone-01", 0).await?;
        assert_eq!(
            zone.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        let zone_positions: Vec<i64> = zone.iter().map(|e| e.position).collect();
        assert_eq!(zone_positions, [all[0][0], all[2][0], all[2][1], all[3][0]]);
        assert!(
            zone_positions.is_sorted(),
            "stream order and position order differ"
        );
        assert_stored(&zone[2], &batch[2], &batch[2].events[1], all[2][1]);
        assert_eq!(
            store
                .stream_versions(&["zone.zone-01".into(), "ngo.ngo-01".into()])
                .await?,
            HashMap::from([("zone.zone-01".to_owned(), 4), ("ngo.ngo-01".to_owned(), 1)])
        );
        assert_eq!(store.outbox_len().await?, 5);

        // A later batch continues from there.
        let next = store.append(&[append("zone.zone-01", 4, 1)]).await?;
        assert!(positions(&next[0])?[0] > all[3][0]);
        Ok(())
    }

    pub(super) async fn append_wrong_expected_version_conflicts_and_writes_nothing(
        store: EventStore,
    ) -> Result {
        store.append(&[append("zone.zone-01", 0, 2)]).await?;
        let streams = ["zone.zone-01", "zone.zone-02"];
        let before = snapshot(&store, &streams).await?;

        let stale = append("zone.zone-01", 1, 1);
        let ahead = append("zone.zone-01", 5, 1);
        let new_but_expects = append("zone.zone-02", 3, 1);
        let outcomes = store
            .append(&[stale.clone(), ahead, new_but_expects.clone()])
            .await?;
        assert_eq!(
            outcomes,
            [
                AppendOutcome::Conflict { actual_version: 2 },
                AppendOutcome::Conflict { actual_version: 2 },
                AppendOutcome::Conflict { actual_version: 0 },
            ]
        );
        assert_eq!(snapshot(&store, &streams).await?, before);
        assert!(
            store
                .submissions(&[stale.submission_id, new_but_expects.submission_id])
                .await?
                .is_empty()
        );

        // The conflicting appends do not hold back the others in the batch.
        let good = append("zone.zone-02", 0, 1);
        let outcomes = store.append(&[stale, good]).await?;
        assert_eq!(outcomes[0], AppendOutcome::Conflict { actual_version: 2 });
        positions(&outcomes[1])?;
        assert_eq!(store.read_stream("zone.zone-01", 0).await?.len(), 2);
        assert_eq!(store.read_stream("zone.zone-02", 0).await?.len(), 1);
        Ok(())
    }

    pub(super) async fn append_duplicate_submission_returns_prior_reply_and_writes_nothing(
        store: EventStore,
    ) -> Result {
        let first = append("zone.zone-01", 0, 1);
        positions(&store.append(std::slice::from_ref(&first)).await?[0])?;
        let streams = ["zone.zone-01", "zone.zone-09"];
        let before = snapshot(&store, &streams).await?;
        let prior = PriorSubmission {
            request_hash: first.request_hash,
            reply: first.reply.clone(),
        };

        // The same request again, five times: the first reply each time, nothing new.
        for _ in 0..5 {
            let outcomes = store.append(std::slice::from_ref(&first)).await?;
            assert_eq!(outcomes, [AppendOutcome::Duplicate(prior.clone())]);
        }
        // The same id with other content (other stream, other hash, an expectation that would
        // succeed): still the first submission, whose hash tells the caller it is a reuse.
        let mut reuse = append("zone.zone-09", 0, 1);
        reuse.submission_id = first.submission_id;
        let outcomes = store.append(&[reuse]).await?;
        assert_eq!(outcomes, [AppendOutcome::Duplicate(prior)]);
        assert_eq!(snapshot(&store, &streams).await?, before);
        Ok(())
    }

    pub(super) async fn append_duplicate_within_a_batch(store: EventStore) -> Result {
        let first = append("zone.zone-01", 0, 1);
        let mut again = append("zone.zone-01", 1, 1);
        again.submission_id = first.submission_id;
        // A conflicting append records nothing, so a later append with its id is decided afresh.
        let conflicting = append("zone.zone-02", 7, 1);
        let mut retried = append("zone.zone-02", 0, 1);
        retried.submission_id = conflicting.submission_id;

        let outcomes = store
            .append(&[first.clone(), again, conflicting, retried.clone()])
            .await?;
        positions(&outcomes[0])?;
        assert_eq!(
            outcomes[1],
            AppendOutcome::Duplicate(PriorSubmission {
                request_hash: first.request_hash,
                reply: first.reply.clone()
            })
        );
        assert_eq!(outcomes[2], AppendOutcome::Conflict { actual_version: 0 });
        positions(&outcomes[3])?;
        assert_eq!(store.read_all(0, 100).await?.len(), 2);
        let recorded = store.submissions(&[retried.submission_id]).await?;
        assert_eq!(
            recorded[&retried.submission_id].request_hash,
            retried.request_hash
        );
        Ok(())
    }

    pub(super) async fn append_refuses_events_with_wrong_versions(store: EventStore) -> Result {
        let good = append("zone.zone-01", 0, 1);
        let mut bad = append("zone.zone-02", 0, 2);
        bad.events[1].stream_version = 3;
        let result = store.append(&[good, bad]).await;
        assert!(
            matches!(result, Err(StoreError::Corrupt(_))),
            "got {result:?}"
        );
        // Refused whole, before anything was written.
        assert!(store.read_all(0, 10).await?.is_empty());
        assert_eq!(store.outbox_len().await?, 0);
        Ok(())
    }

    pub(super) async fn append_without_events_records_the_submission_only(
        store: EventStore,
    ) -> Result {
        assert!(store.append(&[]).await?.is_empty());
        let empty = append("zone.zone-01", 0, 0);
        let outcomes = store.append(std::slice::from_ref(&empty)).await?;
        assert_eq!(outcomes, [AppendOutcome::Appended { positions: vec![] }]);
        assert!(
            store
                .stream_versions(&["zone.zone-01".into()])
                .await?
                .is_empty()
        );
        assert_eq!(store.submissions(&[empty.submission_id]).await?.len(), 1);
        assert_eq!(
            store.append(std::slice::from_ref(&empty)).await?,
            [AppendOutcome::Duplicate(PriorSubmission {
                request_hash: empty.request_hash,
                reply: empty.reply
            })]
        );
        Ok(())
    }

    pub(super) async fn append_large_batch_spanning_several_statements(
        store: EventStore,
    ) -> Result {
        // 3,000 events in one append and 3,000 one-event appends: more rows than one statement
        // takes, so every insert is split.
        let mut batch = vec![append("zone.zone-01", 0, 3_000)];
        batch.extend((0..3_000).map(|i| append(&format!("ngo.ngo-{i:04}"), 0, 1)));
        let outcomes = store.append(&batch).await?;
        let big = positions(&outcomes[0])?;
        assert_eq!(big.len(), 3_000);
        assert!(big.is_sorted());
        assert_eq!(store.outbox_len().await?, 6_000);
        let ids: Vec<Uuid> = batch.iter().map(|a| a.submission_id).collect();
        assert_eq!(store.submissions(&ids).await?.len(), 3_001);
        let streams: Vec<String> = batch.iter().map(|a| a.stream_id.clone()).collect();
        assert_eq!(store.stream_versions(&streams).await?.len(), 3_001);
        let stream = store.read_stream("zone.zone-01", 2_990).await?;
        assert_eq!(stream.len(), 10);
        assert_stored(&stream[9], &batch[0], &batch[0].events[2_999], big[2_999]);
        // And the same batch again is 3,001 duplicates.
        let again = store.append(&batch).await?;
        assert!(
            again
                .iter()
                .all(|o| matches!(o, AppendOutcome::Duplicate(_)))
        );
        let all: Vec<i64> = store
            .outbox_batch(10_000)
            .await?
            .iter()
            .map(|e| e.position)
            .collect();
        store.outbox_done(&all).await?;
        assert_eq!(store.outbox_len().await?, 0);
        Ok(())
    }

    pub(super) async fn read_stream_after_version(store: EventStore) -> Result {
        store
            .append(&[append("zone.zone-01", 0, 3), append("zone.zone-02", 0, 1)])
            .await?;
        store.append(&[append("zone.zone-01", 3, 2)]).await?;

        let versions =
            |events: Vec<StoredEvent>| events.iter().map(|e| e.stream_version).collect::<Vec<_>>();
        assert_eq!(
            versions(store.read_stream("zone.zone-01", 0).await?),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(
            versions(store.read_stream("zone.zone-01", 3).await?),
            [4, 5]
        );
        assert!(store.read_stream("zone.zone-01", 5).await?.is_empty());
        assert!(
            store
                .read_stream("zone.zone-01", u64::MAX)
                .await?
                .is_empty()
        );
        assert!(store.read_stream("zone.zone-03", 0).await?.is_empty());
        let after = store.read_stream("zone.zone-01", 3).await?;
        assert!(after.iter().all(|e| e.stream_id == "zone.zone-01"));
        assert_eq!(after[0].payload, b"zone.zone-01 v4");
        Ok(())
    }

    pub(super) async fn outbox_in_position_order_and_done_removes(store: EventStore) -> Result {
        store
            .append(&[append("zone.zone-01", 0, 2), append("zone.zone-02", 0, 1)])
            .await?;
        store
            .append(&[append("zone.zone-02", 1, 1), append("zone.zone-01", 2, 1)])
            .await?;
        let all = store.read_all(0, 100).await?;
        assert_eq!(all.len(), 5);
        assert!(all.windows(2).all(|w| w[0].position < w[1].position));
        assert_eq!(store.read_all(all[1].position, 2).await?, all[2..4]);

        let outbox = store.outbox_batch(100).await?;
        assert_eq!(outbox, all, "the outbox holds every event, oldest first");
        assert_eq!(store.outbox_batch(2).await?, all[..2]);
        assert!(store.outbox_batch(0).await?.is_empty());

        store
            .outbox_done(&[all[0].position, all[1].position])
            .await?;
        assert_eq!(store.outbox_len().await?, 3);
        assert_eq!(store.outbox_batch(100).await?, all[2..]);
        // Out of order and repeated: harmless.
        store
            .outbox_done(&[all[4].position, all[0].position])
            .await?;
        assert_eq!(store.outbox_batch(100).await?, all[2..4]);
        store
            .outbox_done(&[all[2].position, all[3].position])
            .await?;
        store.outbox_done(&[]).await?;
        assert_eq!(store.outbox_len().await?, 0);
        assert!(store.outbox_batch(100).await?.is_empty());
        // Publishing removes nothing from history.
        assert_eq!(store.read_all(0, 100).await?, all);

        // New events land in the outbox after the old ones.
        let outcomes = store.append(&[append("zone.zone-01", 3, 1)]).await?;
        let outbox = store.outbox_batch(100).await?;
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].position, positions(&outcomes[0])?[0]);
        assert!(outbox[0].position > all[4].position);
        Ok(())
    }
}

/// For each of `rounds` rounds, both stores append their side's `batch(side, round)` at the
/// same moment (the two sides wait for each other before and after each append); the
/// outcomes of each side, round by round.
async fn race(
    stores: &[EventStore; 2],
    rounds: u64,
    batch: impl Fn(usize, u64) -> Vec<Append> + Send + Sync + 'static,
) -> Result<Vec<Vec<Vec<AppendOutcome>>>> {
    let barrier = Arc::new(Barrier::new(2));
    let batch = Arc::new(batch);
    let mut tasks = Vec::new();
    for (side, store) in stores.iter().enumerate() {
        let (store, barrier, batch) = (store.clone(), barrier.clone(), batch.clone());
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for round in 0..rounds {
                let appends = batch(side, round);
                barrier.wait().await;
                outcomes.push(store.append(&appends).await?);
                barrier.wait().await;
            }
            anyhow::Ok(outcomes)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await??);
    }
    Ok(results)
}

/// Two stores (two pools, as two intake processes would have) append to one stream with the
/// same expected version at the same moment, round after round: exactly one wins each time.
async fn racing_appends_on_two_pools_never_both_win(backend: DbBackend) -> Result {
    let db = TestDb::new(backend).await?;
    let stores = [open(&db).await?, open(&db).await?];
    const ROUNDS: u64 = 25;
    let results = race(&stores, ROUNDS, |side, round| {
        // Each round races on a new stream (expected 0: both try to create it) and on
        // the shared stream at its version after `round` rounds. Another stream per
        // side goes in the same batch and must not be held back.
        vec![
            append(&format!("zone.new-{round}"), 0, 1),
            append("zone.shared", round, 1),
            append(&format!("ngo.side-{side}"), round, 1),
        ]
    })
    .await?;
    for (round, (left, right)) in results[0].iter().zip(&results[1]).enumerate() {
        for (slot, expected_version) in [(0, 0), (1, round as u64)] {
            let pair = [&left[slot], &right[slot]];
            let wins = pair
                .iter()
                .filter(|o| matches!(o, AppendOutcome::Appended { .. }))
                .count();
            assert_eq!(wins, 1, "round {round} slot {slot}: {pair:?}");
            let loser = pair
                .iter()
                .find(|o| !matches!(o, AppendOutcome::Appended { .. }));
            assert_eq!(
                loser,
                Some(&&AppendOutcome::Conflict {
                    actual_version: expected_version + 1
                }),
                "round {round} slot {slot}"
            );
        }
        positions(&left[2])?;
        positions(&right[2])?;
    }
    let shared = stores[0].read_stream("zone.shared", 0).await?;
    assert_eq!(shared.len(), usize::try_from(ROUNDS)?);
    assert!(
        shared
            .iter()
            .enumerate()
            .all(|(i, e)| e.stream_version == i as u64 + 1)
    );
    assert!(shared.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(stores[1].outbox_len().await?, ROUNDS * 4);
    for store in &stores {
        store.close().await;
    }
    Ok(())
}

/// Two processes receive the same submission at the same moment (a client retrying against
/// another replica): it is written once, and the other gets the first reply.
async fn racing_duplicate_submission_on_two_pools_is_written_once(backend: DbBackend) -> Result {
    let db = TestDb::new(backend).await?;
    let stores = [open(&db).await?, open(&db).await?];
    const ROUNDS: usize = 25;
    let submissions: Arc<Vec<Append>> = Arc::new(
        (0..ROUNDS)
            .map(|round| append(&format!("agency.a-{round}"), 0, 1))
            .collect(),
    );
    let both_submit = submissions.clone();
    let results = race(&stores, ROUNDS as u64, move |side, round| {
        // Each side also writes to a stream of its own, which must go through.
        vec![
            both_submit[usize::try_from(round).unwrap()].clone(),
            append(&format!("ngo.{side}-{}", Uuid::now_v7()), 0, 1),
        ]
    })
    .await?;
    for (round, submission) in submissions.iter().enumerate() {
        let pair = [&results[0][round][0], &results[1][round][0]];
        let wins = pair
            .iter()
            .filter(|o| matches!(o, AppendOutcome::Appended { .. }))
            .count();
        assert_eq!(wins, 1, "round {round}: {pair:?}");
        let prior = PriorSubmission {
            request_hash: submission.request_hash,
            reply: submission.reply.clone(),
        };
        assert!(
            pair.contains(&&AppendOutcome::Duplicate(prior)),
            "round {round}: {pair:?}"
        );
        positions(&results[0][round][1])?;
        positions(&results[1][round][1])?;
    }
    assert_eq!(stores[0].read_all(0, 1_000).await?.len(), ROUNDS * 3);
    for store in &stores {
        store.close().await;
    }
    Ok(())
}

async fn relay_lease_is_exclusive(backend: DbBackend) -> Result {
    let db = TestDb::new(backend).await?;
    let one = open(&db).await?;
    let two = open(&db).await?;

    let mut first = one.relay_lease().await?.context("the first lease")?;
    assert!(first.is_held().await);
    match backend {
        DbBackend::Sqlite => {
            // One file on one host: nothing to arbitrate, every relay may run.
            assert!(two.relay_lease().await?.is_some());
        }
        DbBackend::Postgres => {
            assert!(
                two.relay_lease().await?.is_none(),
                "a second process got the lease"
            );
            assert!(
                one.relay_lease().await?.is_none(),
                "a second lease in the same process"
            );

            // Dropping the lease releases it (the server sees the connection close).
            drop(first);
            let deadline = Instant::now() + Duration::from_secs(10);
            let second = loop {
                if let Some(lease) = two.relay_lease().await? {
                    break lease;
                }
                ensure!(
                    Instant::now() < deadline,
                    "the dropped lease was never released"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            assert!(one.relay_lease().await?.is_none());

            // An explicit release is immediate.
            second.release().await;
            first = one.relay_lease().await?.context("lease after release")?;
            assert!(first.is_held().await);
        }
    }
    first.release().await;
    one.close().await;
    two.close().await;
    Ok(())
}

async fn migrations_are_idempotent_on_reopen(backend: DbBackend) -> Result {
    let db = TestDb::new(backend).await?;
    let store = open(&db).await?;
    let first = append("zone.zone-01", 0, 1);
    store.append(std::slice::from_ref(&first)).await?;
    store.close().await;

    // Reopen, twice at once (two replicas starting together), then once more.
    let (a, b) = tokio::join!(open(&db), open(&db));
    let (a, b) = (a?, b?);
    let store = open(&db).await?;
    assert_eq!(store.read_stream("zone.zone-01", 0).await?.len(), 1);
    assert_eq!(store.submissions(&[first.submission_id]).await?.len(), 1);
    let outcomes = store.append(&[append("zone.zone-01", 1, 1)]).await?;
    positions(&outcomes[0])?;
    assert_eq!(b.outbox_len().await?, 2);
    for store in [a, b, store] {
        store.close().await;
    }
    Ok(())
}

async fn unsupported_url_is_refused(backend: DbBackend) -> Result {
    // Not a backend test as such, but cheap: both modules check it.
    let _ = backend;
    let err = EventStore::open("mysql://user:secret@localhost/db", 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Sql(SqlError::UnsupportedUrl(url)) if url.scheme == "mysql"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("secret"));
    Ok(())
}

/// Information, not a gate: 2,000 one-event appends to 2,000 streams, in batches of 50, one
/// batch at a time. Run with `--nocapture` to see the figure.
async fn throughput_2000_appends_in_batches_of_50(backend: DbBackend) -> Result {
    on_fresh_store(backend, |store| async move {
        let batches: Vec<Vec<Append>> = (0..40)
            .map(|b| {
                (0..50)
                    .map(|i| append(&format!("zone.z{b:02}-{i:02}"), 0, 1))
                    .collect()
            })
            .collect();
        let started = Instant::now();
        for batch in &batches {
            let outcomes = store.append(batch).await?;
            ensure!(
                outcomes
                    .iter()
                    .all(|o| matches!(o, AppendOutcome::Appended { .. }))
            );
        }
        let elapsed = started.elapsed();
        eprintln!(
            "{backend:?}: 2000 single-event appends in batches of 50: {elapsed:.2?} ({:.0} appends/s)",
            2000.0 / elapsed.as_secs_f64()
        );
        assert_eq!(store.outbox_len().await?, 2_000);
        Ok(())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL over TLS (production databases often require it)

/// `url` with `sslmode=require` added: TLS or no connection (the server's certificate
/// is not verified; `verify-full` with `sslrootcert` does that, see deploy/README.md).
fn requiring_tls(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=require")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_works_on_postgresql_over_tls() -> Result {
    let db = TestDb::new(DbBackend::Postgres).await?;
    let url = requiring_tls(db.url());
    let store = EventStore::open(&url, 2).await.with_context(|| {
        "opening the store with sslmode=require: the PostgreSQL server must offer TLS \
         (scripts/test starts its private one with ssl=on; Debian's packaged server has it on)"
    })?;
    let first = append("zone.zone-01", 0, 2);
    store.append(std::slice::from_ref(&first)).await?;
    let events = store.read_all(0, 10).await?;
    ensure!(
        events.len() == 2,
        "{} events read back over TLS",
        events.len()
    );
    store.close().await;

    // And the connection really is encrypted: PostgreSQL says so of its own session.
    let pool = sqlx::PgPool::connect(&url).await?;
    let (ssl, version): (bool, Option<String>) =
        sqlx::query_as("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&pool)
            .await?;
    ensure!(ssl, "pg_stat_ssl says the session is not encrypted");
    ensure!(
        version.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
        "TLS version {version:?}"
    );
    pool.close().await;
    Ok(())
}
