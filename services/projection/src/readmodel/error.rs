//! Errors of the read models.

/// Why a read-model operation failed. An event that cannot be applied is not an error:
/// it is parked (see [`ReadModels::apply`](super::ReadModels::apply)).
#[derive(Debug, thiserror::Error)]
pub enum ReadModelError {
    /// The database failed or could not be reached; nothing of the operation committed
    /// unless the failure hit the commit itself (applying the batch again is safe).
    #[error("read model database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded migrations could not be applied (or a recorded one was changed).
    #[error("read model migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names no supported backend (only the scheme is kept: URLs carry passwords).
    #[error(
        "unsupported read model URL scheme {0:?}: expected sqlite:, postgres:// or postgresql://"
    )]
    UnsupportedUrl(String),
    /// No such zone (or generation, ...).
    #[error("{what} {id:?} not found")]
    NotFound { what: &'static str, id: String },
    /// A row breaks an invariant of the read models (e.g. a day that does not parse).
    #[error("read model invariant broken: {0}")]
    Corrupt(String),
}
