//! Errors of the event store.

pub use saman_sql::SqlError;

/// Why an event store operation failed.
///
/// None of these is a business outcome: a version conflict or a duplicate submission is an
/// [`AppendOutcome`](super::AppendOutcome), not an error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or could not be reached, its migrations could not be applied,
    /// or its URL names no supported backend. A database failure during commit may or may
    /// not have taken effect: retrying an append with the same submission ids is safe (it
    /// yields `Duplicate` for what did commit).
    #[error("event store {0}")]
    Sql(#[from] SqlError),
    /// Data read from the database, or handed to the store, breaks an invariant of the store
    /// (e.g. a malformed UUID or hash in a row, an event whose stream version does not follow its
    /// append's expected version).
    #[error("event store invariant broken: {0}")]
    Corrupt(String),
}

/// Every statement's failure (`?` on sqlx's results).
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Sql(err.into())
    }
}

impl From<saman_sql::RangeError> for StoreError {
    fn from(err: saman_sql::RangeError) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}
