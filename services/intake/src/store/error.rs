//! Errors of the event store.

/// Why an event store operation failed.
///
/// None of these is a business outcome: a version conflict or a duplicate submission is an
/// [`AppendOutcome`](super::AppendOutcome), not an error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or could not be reached. The operation may or may not have taken
    /// effect if the failure happened during commit: retrying an append with the same
    /// submission ids is safe (it yields `Duplicate` for what did commit).
    #[error("event store database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded migrations could not be applied (or a recorded migration was changed).
    #[error("event store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no backend this store supports (only the scheme is kept: URLs carry
    /// passwords).
    #[error(
        "unsupported event store URL scheme {0:?}: expected sqlite:, postgres:// or postgresql://"
    )]
    UnsupportedUrl(String),
    /// Data read from the database, or handed to the store, breaks an invariant of the store
    /// (e.g. a malformed UUID or hash in a row, an event whose stream version does not follow its
    /// append's expected version).
    #[error("event store invariant broken: {0}")]
    Corrupt(String),
}

impl From<saman_sql::UnsupportedUrl> for StoreError {
    fn from(err: saman_sql::UnsupportedUrl) -> Self {
        StoreError::UnsupportedUrl(err.scheme)
    }
}

impl From<saman_sql::RangeError> for StoreError {
    fn from(err: saman_sql::RangeError) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}
