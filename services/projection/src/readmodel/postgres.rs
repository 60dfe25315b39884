//! PostgreSQL: production.

use sqlx::Postgres;

use super::engine::Dialect;

impl Dialect for Postgres {
    const BEGIN_WRITE: Option<&'static str> = None;
    // READ COMMITTED gives every statement its own snapshot: a reply assembled from
    // several statements could mix two commits. REPEATABLE READ keeps one snapshot.
    const BEGIN_READ: Option<&'static str> =
        Some("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    // Two writers of one generation (say, two projection processes by mistake) take
    // turns on the generation's row: the second sees the first's checkpoint and applied
    // events, so nothing counts twice.
    const CHECKPOINT_FOR_UPDATE: &'static str =
        "SELECT position FROM generations WHERE generation = $1 FOR UPDATE";
}
