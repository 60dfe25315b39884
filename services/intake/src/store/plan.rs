//! Deciding a batch of appends, without I/O: which are duplicates, which conflict, which are
//! written, and how each stream's version moves. The engine reads the prior state inside the
//! write transaction, asks [`plan`], then writes exactly what the plan says.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Append, PriorSubmission, StoreError};

/// What happens to one append of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Decision {
    /// Written: its submission row, its events, their outbox rows.
    Append,
    /// Its submission id is already recorded (before this batch or earlier in it).
    Duplicate(PriorSubmission),
    /// Its expected version is not the stream's version (as moved by earlier appends).
    Conflict { actual_version: u64 },
}

/// A stream whose version the batch moves from `from` (0: the stream has no row yet) to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Bump {
    pub(super) stream_id: String,
    pub(super) from: u64,
    pub(super) to: u64,
}

#[derive(Debug)]
pub(super) struct Plan {
    /// One decision per append, in batch order.
    pub(super) decisions: Vec<Decision>,
    /// The streams that move, sorted by stream id: every writer touches stream rows in the same
    /// order, which keeps two PostgreSQL batches from deadlocking on each other's row locks.
    pub(super) bumps: Vec<Bump>,
}

/// Rejects a batch the caller built wrongly, before anything touches the database: each event
/// must carry the next stream version after its append's expected version, and every number
/// must fit the database's signed columns.
pub(super) fn validate(batch: &[Append]) -> Result<(), StoreError> {
    for (i, append) in batch.iter().enumerate() {
        let last = append
            .expected_version
            .checked_add(append.events.len() as u64);
        if last.is_none_or(|last| i64::try_from(last).is_err()) {
            return Err(StoreError::Corrupt(format!(
                "append {i} (stream {:?}): stream version overflows",
                append.stream_id
            )));
        }
        for (k, event) in append.events.iter().enumerate() {
            let want = append.expected_version + 1 + k as u64;
            if event.stream_version != want {
                return Err(StoreError::Corrupt(format!(
                    "append {i} (stream {:?}): event {k} has stream version {} where {want} \
                     follows expected version {}",
                    append.stream_id, event.stream_version, append.expected_version
                )));
            }
            if i32::try_from(event.schema_version).is_err() {
                return Err(StoreError::Corrupt(format!(
                    "append {i}: schema version {} does not fit the database column",
                    event.schema_version
                )));
            }
        }
    }
    Ok(())
}

/// Decides every append of `batch` in order, given the submissions already recorded and the
/// current stream versions (a stream absent from `versions` is at version 0). Later appends see
/// the effect of earlier ones: a second append to a stream expects the version the first one
/// left, and a repeated submission id is a duplicate of the first one that was written.
pub(super) fn plan(
    batch: &[Append],
    prior: &HashMap<Uuid, PriorSubmission>,
    versions: &HashMap<String, u64>,
) -> Plan {
    let mut current: HashMap<&str, u64> = HashMap::new();
    let mut written: HashMap<Uuid, usize> = HashMap::new();
    let mut decisions = Vec::with_capacity(batch.len());

    for (i, append) in batch.iter().enumerate() {
        if let Some(first) = prior.get(&append.submission_id) {
            decisions.push(Decision::Duplicate(first.clone()));
            continue;
        }
        if let Some(&j) = written.get(&append.submission_id) {
            decisions.push(Decision::Duplicate(PriorSubmission {
                request_hash: batch[j].request_hash,
                reply: batch[j].reply.clone(),
            }));
            continue;
        }
        let version = current
            .entry(append.stream_id.as_str())
            .or_insert_with(|| versions.get(&append.stream_id).copied().unwrap_or(0));
        if *version != append.expected_version {
            decisions.push(Decision::Conflict {
                actual_version: *version,
            });
            continue;
        }
        *version += append.events.len() as u64;
        written.insert(append.submission_id, i);
        decisions.push(Decision::Append);
    }

    let mut bumps: Vec<Bump> = current
        .into_iter()
        .filter_map(|(stream_id, to)| {
            let from = versions.get(stream_id).copied().unwrap_or(0);
            (to != from).then(|| Bump {
                stream_id: stream_id.to_owned(),
                from,
                to,
            })
        })
        .collect();
    bumps.sort_by(|a, b| a.stream_id.cmp(&b.stream_id));

    Plan { decisions, bumps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewEvent;

    /// Appends of (submission, stream, expected version, events), as [`append`] makes them.
    fn batch(appends: &[(u128, &str, u64, u64)]) -> Vec<Append> {
        appends
            .iter()
            .map(|&(submission, stream, expected, events)| {
                append(submission, stream, expected, events)
            })
            .collect()
    }

    fn bump(stream_id: &str, from: u64, to: u64) -> Bump {
        Bump {
            stream_id: stream_id.into(),
            from,
            to,
        }
    }

    // Test data: the low byte of the submission number tells the hashes and replies apart.
    #[allow(clippy::cast_possible_truncation)]
    fn append(submission: u128, stream: &str, expected: u64, events: u64) -> Append {
        Append {
            submission_id: Uuid::from_u128(submission),
            request_hash: [submission as u8; 32],
            reply: vec![submission as u8],
            stream_id: stream.to_owned(),
            expected_version: expected,
            events: (1..=events)
                .map(|k| NewEvent {
                    event_id: Uuid::from_u128(submission << 16 | k as u128),
                    event_type: "T".into(),
                    schema_version: 1,
                    stream_version: expected + k,
                    subject: "s".into(),
                    occurred_at_us: 0,
                    recorded_at_us: 0,
                    payload: vec![],
                    traceparent: None,
                })
                .collect(),
        }
    }

    #[test]
    fn chains_versions_within_a_batch() {
        let batch = batch(&[(1, "a", 0, 2), (2, "a", 2, 1), (3, "b", 5, 1)]);
        let versions = HashMap::from([("b".to_owned(), 5)]);
        let plan = plan(&batch, &HashMap::new(), &versions);
        assert_eq!(plan.decisions, vec![Decision::Append; 3]);
        assert_eq!(plan.bumps, vec![bump("a", 0, 3), bump("b", 5, 6)]);
    }

    #[test]
    fn conflict_reports_the_version_left_by_earlier_appends_and_moves_nothing() {
        let batch = batch(&[(1, "a", 0, 2), (2, "a", 0, 1), (3, "c", 1, 1)]);
        let plan = plan(&batch, &HashMap::new(), &HashMap::new());
        assert_eq!(
            plan.decisions,
            vec![
                Decision::Append,
                Decision::Conflict { actual_version: 2 },
                Decision::Conflict { actual_version: 0 },
            ]
        );
        assert_eq!(plan.bumps, vec![bump("a", 0, 2)]);
    }

    #[test]
    fn duplicates_of_recorded_and_of_earlier_written_submissions() {
        let recorded = PriorSubmission {
            request_hash: [9; 32],
            reply: vec![9],
        };
        let prior = HashMap::from([(Uuid::from_u128(7), recorded.clone())]);
        // 7 was recorded before; 1 is written then repeated; 2 conflicts, so its repeat is
        // decided afresh (and written).
        let batch = batch(&[
            (7, "a", 0, 1),
            (1, "a", 0, 1),
            (1, "a", 1, 1),
            (2, "a", 0, 1),
            (2, "a", 1, 1),
        ]);
        let plan = plan(&batch, &prior, &HashMap::new());
        assert_eq!(
            plan.decisions,
            vec![
                Decision::Duplicate(recorded),
                Decision::Append,
                Decision::Duplicate(PriorSubmission {
                    request_hash: [1; 32],
                    reply: vec![1]
                }),
                Decision::Conflict { actual_version: 1 },
                Decision::Append,
            ]
        );
        assert_eq!(plan.bumps, vec![bump("a", 0, 2)]);
    }

    #[test]
    fn validate_rejects_versions_that_do_not_follow_the_expected_one() {
        let mut bad = append(1, "a", 3, 2);
        bad.events[1].stream_version = 6;
        assert!(matches!(validate(&[bad]), Err(StoreError::Corrupt(_))));
        assert!(validate(&[append(1, "a", 3, 2)]).is_ok());
        let overflow = append(1, "a", i64::MAX as u64, 1);
        assert!(matches!(validate(&[overflow]), Err(StoreError::Corrupt(_))));
    }
}
