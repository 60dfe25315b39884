//! SQLite: the embedded default, one file.

use sqlx::Sqlite;

use super::engine::Dialect;

impl Dialect for Sqlite {
    // IMMEDIATE takes the write lock at BEGIN, so a batch's reads (checkpoint, dedupe)
    // and writes see one state, and writers queue on the busy timeout instead of failing
    // on a lock upgrade (SQLITE_BUSY_SNAPSHOT).
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");
    // A deferred transaction in WAL mode reads one snapshot from its first read on.
    const BEGIN_READ: Option<&'static str> = None;
    // The write lock taken at BEGIN IMMEDIATE already serialises writers.
    const CHECKPOINT_FOR_UPDATE: &'static str =
        "SELECT position FROM generations WHERE generation = $1";
}
