//! SQLite: the embedded default, one file.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteQueryResult, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Sqlite, Type};

use super::engine::{DbUuid, Dialect};

impl Dialect for Sqlite {
    // IMMEDIATE takes the write lock at BEGIN. A deferred transaction that reads first and then
    // writes must upgrade its lock, and in WAL mode that upgrade fails at once with
    // SQLITE_BUSY_SNAPSHOT if another writer committed meanwhile (the busy timeout does not
    // apply). With IMMEDIATE, writers queue on the busy timeout instead, and the reads of an
    // append see the latest state.
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    fn is_transient(_error: &sqlx::Error) -> bool {
        // BUSY after the busy timeout means something is stuck: report it, do not spin.
        false
    }
}

// UUIDs as hyphenated text: readable in the sqlite3 shell, and the same text PostgreSQL shows.
impl Type<Sqlite> for DbUuid {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <str as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for DbUuid {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.hyphenated().to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbUuid {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(DbUuid(text.parse()?))
    }
}
