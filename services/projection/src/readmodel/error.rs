//! Errors of the read models, and which of them a retry may cure.

pub use saman_sql::SqlError;
use sqlx::error::DatabaseError;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// Why a read-model operation failed. An event that cannot be applied is not an error:
/// it is parked (see [`ReadModels::apply`](super::ReadModels::apply)).
#[derive(Debug, thiserror::Error)]
pub enum ReadModelError {
    /// The database failed or could not be reached (nothing of the operation committed
    /// unless the failure hit the commit itself: applying the batch again is safe), its
    /// migrations could not be applied, or its URL names no supported backend.
    #[error("read model {0}")]
    Sql(#[from] SqlError),
    /// No such zone (or generation, ...).
    #[error("{what} {id:?} not found")]
    NotFound { what: &'static str, id: String },
    /// A row breaks an invariant of the read models (e.g. a day that does not parse).
    #[error("read model invariant broken: {0}")]
    Corrupt(String),
    /// A value does not fit the column it is stored in (e.g. a stream version above
    /// 2^63 - 1 for a 64-bit signed integer).
    #[error("value out of range: {0}")]
    OutOfRange(String),
}

/// Whether a failure may pass if the same operation is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The database, or the way to it, failed: a lost connection, I/O, a timeout, a pool
    /// closed or exhausted, a serialization failure or deadlock, a database busy, locked,
    /// full or shutting down. The same operation may succeed later: retry it (the live and
    /// rebuild feeds do, with a back-off).
    Transient,
    /// What was asked is refused, and would be again: the data does not fit (text with a
    /// NUL character on PostgreSQL, a value out of range, too big), breaks a constraint,
    /// or does not encode or decode. Retrying cannot help: the feeds park the event that
    /// causes it and go on.
    Deterministic,
}

impl ReadModelError {
    /// Whether a retry may cure this failure (see [`FailureKind`]).
    pub fn kind(&self) -> FailureKind {
        match self {
            ReadModelError::Sql(SqlError::Database(err)) => sqlx_kind(err),
            // Run at start-up only; a database that cannot be reached fails them too.
            ReadModelError::Sql(SqlError::Migrate(_)) => FailureKind::Transient,
            ReadModelError::Sql(SqlError::UnsupportedUrl(_) | SqlError::Folder { .. })
            | ReadModelError::NotFound { .. }
            | ReadModelError::Corrupt(_)
            | ReadModelError::OutOfRange(_) => FailureKind::Deterministic,
        }
    }

    /// `kind() == Transient`.
    pub fn is_transient(&self) -> bool {
        self.kind() == FailureKind::Transient
    }
}

/// The one place that says which database failures are transient.
fn sqlx_kind(err: &sqlx::Error) -> FailureKind {
    use FailureKind::{Deterministic, Transient};
    match err {
        sqlx::Error::Database(db) => database_kind(db.as_ref()),
        // The value, not the database: the same value fails the same way.
        sqlx::Error::Encode(_)
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::InvalidArgument(_)
        | sqlx::Error::RowNotFound => Deterministic,
        // The connection, the pool, the driver: may pass.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => Transient,
        // The schema or the configuration does not match the code: every event would
        // fail, so parking them would empty the read models. Retried (and logged) until
        // an operator fixes it.
        sqlx::Error::Configuration(_)
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_) => Transient,
        _ => Transient,
    }
}

fn database_kind(db: &dyn DatabaseError) -> FailureKind {
    if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
        return sqlstate_kind(pg.code());
    }
    if db.try_downcast_ref::<SqliteError>().is_some() {
        if let Some(code) = db.code().and_then(|c| c.parse::<i32>().ok()) {
            return sqlite_kind(code);
        }
        return FailureKind::Transient;
    }
    // Another driver: only what it calls a constraint violation is known to be final.
    match db.kind() {
        sqlx::error::ErrorKind::UniqueViolation
        | sqlx::error::ErrorKind::ForeignKeyViolation
        | sqlx::error::ErrorKind::NotNullViolation
        | sqlx::error::ErrorKind::CheckViolation
        | sqlx::error::ErrorKind::ExclusionViolation => FailureKind::Deterministic,
        _ => FailureKind::Transient,
    }
}

/// A PostgreSQL SQLSTATE (appendix A of its manual), by class (the first two characters).
pub(super) fn sqlstate_kind(code: &str) -> FailureKind {
    match code.get(..2) {
        // 0A feature not supported, 21 cardinality violation (e.g. ON CONFLICT DO UPDATE
        // touching a row twice), 22 data exception (22021: a NUL character, 22003: a
        // number out of range, 22001: a string too long), 23 integrity constraint
        // violation, 42 syntax error or access rule violation (undefined column, ...),
        // 44 WITH CHECK OPTION violation, 54 program limit exceeded (an index row too
        // big, too many columns).
        Some("0A" | "21" | "22" | "23" | "42" | "44" | "54") => FailureKind::Deterministic,
        // 08 connection exception, 40 transaction rollback (40001 serialization failure,
        // 40P01 deadlock), 53 insufficient resources, 55 object not in prerequisite state
        // (55P03 lock not available), 57 operator intervention (57014 statement timeout,
        // 57P01 admin shutdown), 58 system error, XX internal error; and whatever else:
        // when in doubt, retry rather than park an event that may be fine.
        _ => FailureKind::Transient,
    }
}

/// An SQLite (extended) result code, by its primary code (the low byte).
pub(super) fn sqlite_kind(code: i32) -> FailureKind {
    match code & 0xff {
        // SQLITE_ERROR (an SQL error: no such column, too many variables, ...),
        // SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_RANGE.
        1 | 18 | 19 | 20 | 25 => FailureKind::Deterministic,
        // SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_NOMEM (7), SQLITE_READONLY (8),
        // SQLITE_INTERRUPT (9), SQLITE_IOERR (10), SQLITE_CORRUPT (11), SQLITE_FULL (13),
        // SQLITE_CANTOPEN (14), SQLITE_PROTOCOL (15), SQLITE_SCHEMA (17), ... and
        // whatever else.
        _ => FailureKind::Transient,
    }
}

/// Every statement's failure (`?` on sqlx's results).
impl From<sqlx::Error> for ReadModelError {
    fn from(err: sqlx::Error) -> Self {
        ReadModelError::Sql(err.into())
    }
}

/// A negative stored integer is a corrupt row; a value too large for its column is out of
/// range (deterministic: the event that carries it is parked).
impl From<saman_sql::RangeError> for ReadModelError {
    fn from(err: saman_sql::RangeError) -> Self {
        match err {
            saman_sql::RangeError::Negative { .. } => ReadModelError::Corrupt(err.to_string()),
            saman_sql::RangeError::TooLarge { .. } => ReadModelError::OutOfRange(err.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::error::Error as StdError;

    use super::FailureKind::{Deterministic, Transient};
    use super::*;

    /// A database error of a driver other than PostgreSQL's and SQLite's.
    #[derive(Debug)]
    struct OtherDriver(sqlx::error::ErrorKind);

    impl std::fmt::Display for OtherDriver {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    impl StdError for OtherDriver {}

    impl DatabaseError for OtherDriver {
        fn message(&self) -> &str {
            "other driver"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some("23505".into())
        }
        fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            match self.0 {
                sqlx::error::ErrorKind::UniqueViolation => sqlx::error::ErrorKind::UniqueViolation,
                _ => sqlx::error::ErrorKind::Other,
            }
        }
    }

    fn kind(err: sqlx::Error) -> FailureKind {
        ReadModelError::from(err).kind()
    }

    #[test]
    fn connection_pool_and_protocol_failures_are_transient() {
        let io = |kind| sqlx::Error::Io(std::io::Error::new(kind, "gone"));
        assert_eq!(kind(io(std::io::ErrorKind::ConnectionReset)), Transient);
        assert_eq!(kind(io(std::io::ErrorKind::UnexpectedEof)), Transient);
        assert_eq!(kind(io(std::io::ErrorKind::TimedOut)), Transient);
        assert_eq!(kind(sqlx::Error::PoolTimedOut), Transient);
        assert_eq!(kind(sqlx::Error::PoolClosed), Transient);
        assert_eq!(kind(sqlx::Error::WorkerCrashed), Transient);
        assert_eq!(kind(sqlx::Error::Tls("handshake".into())), Transient);
        assert_eq!(kind(sqlx::Error::Protocol("unexpected".into())), Transient);
        assert_eq!(kind(sqlx::Error::BeginFailed), Transient);
        assert_eq!(kind(sqlx::Error::ColumnNotFound("x".into())), Transient);
        assert!(ReadModelError::from(sqlx::Error::PoolTimedOut).is_transient());
    }

    #[test]
    fn values_that_do_not_encode_or_decode_are_deterministic() {
        assert_eq!(kind(sqlx::Error::Encode("too big".into())), Deterministic);
        assert_eq!(kind(sqlx::Error::Decode("not utf-8".into())), Deterministic);
        assert_eq!(
            kind(sqlx::Error::ColumnDecode {
                index: "0".into(),
                source: "mismatch".into(),
            }),
            Deterministic
        );
        assert_eq!(kind(sqlx::Error::RowNotFound), Deterministic);
        let out_of_range = ReadModelError::OutOfRange("stream version".into());
        assert_eq!(out_of_range.kind(), Deterministic);
        assert!(!out_of_range.is_transient());
        assert_eq!(ReadModelError::Corrupt("day".into()).kind(), Deterministic);
    }

    #[test]
    fn postgres_sqlstates_by_class() {
        for code in [
            "22021", // a NUL character: invalid byte sequence for encoding UTF8
            "22003", // numeric value out of range
            "22001", // string data right truncation
            "22P02", // invalid text representation
            "23505", // unique violation
            "23514", // check violation
            "42601", // syntax error
            "42703", // undefined column
            "42P01", // undefined table
            "54000", // program limit exceeded (index row too big)
            "21000", // cardinality violation
            "0A000", // feature not supported
        ] {
            assert_eq!(sqlstate_kind(code), Deterministic, "{code}");
        }
        for code in [
            "08006", // connection failure
            "08003", // connection does not exist
            "40001", // serialization failure
            "40P01", // deadlock detected
            "53300", // too many connections
            "53100", // disk full
            "55P03", // lock not available
            "57014", // query canceled (statement timeout)
            "57P01", // admin shutdown
            "57P03", // cannot connect now
            "58030", // I/O error
            "XX000", // internal error
            "", "2",
        ] {
            assert_eq!(sqlstate_kind(code), Transient, "{code:?}");
        }
    }

    #[test]
    fn sqlite_result_codes_by_primary_code() {
        for code in [
            1,    // SQLITE_ERROR
            18,   // SQLITE_TOOBIG
            19,   // SQLITE_CONSTRAINT
            275,  // SQLITE_CONSTRAINT_CHECK
            1555, // SQLITE_CONSTRAINT_PRIMARYKEY
            2067, // SQLITE_CONSTRAINT_UNIQUE
            1299, // SQLITE_CONSTRAINT_NOTNULL
            20,   // SQLITE_MISMATCH
            25,   // SQLITE_RANGE
        ] {
            assert_eq!(sqlite_kind(code), Deterministic, "{code}");
        }
        for code in [
            5,   // SQLITE_BUSY
            517, // SQLITE_BUSY_SNAPSHOT
            261, // SQLITE_BUSY_RECOVERY
            6,   // SQLITE_LOCKED
            262, // SQLITE_LOCKED_SHAREDCACHE
            10,  // SQLITE_IOERR
            266, // SQLITE_IOERR_READ
            778, // SQLITE_IOERR_WRITE
            13,  // SQLITE_FULL
            7,   // SQLITE_NOMEM
            14,  // SQLITE_CANTOPEN
            8,   // SQLITE_READONLY
            11,  // SQLITE_CORRUPT
        ] {
            assert_eq!(sqlite_kind(code), Transient, "{code}");
        }
    }

    #[test]
    fn another_drivers_errors_are_final_only_for_constraint_violations() {
        let unique = sqlx::Error::Database(Box::new(OtherDriver(
            sqlx::error::ErrorKind::UniqueViolation,
        )));
        assert_eq!(kind(unique), Deterministic);
        let other = sqlx::Error::Database(Box::new(OtherDriver(sqlx::error::ErrorKind::Other)));
        assert_eq!(kind(other), Transient);
    }
}
