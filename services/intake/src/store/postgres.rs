//! PostgreSQL: production, several intake replicas on one database.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{
    PgArgumentBuffer, PgPool, PgQueryResult, PgTypeInfo, PgValueFormat, PgValueRef,
};
use sqlx::{Connection, Decode, Encode, PgConnection, Postgres, Type};

use super::engine::{DbUuid, Dialect};
use super::{RelayLease, StoreError};

/// The advisory lock key of the relay lease ("SAMANRLY" in ASCII). Advisory locks are per
/// database, so two Saman deployments on one server but in different databases do not clash.
const RELAY_LOCK_KEY: i64 = 0x5341_4d41_4e52_4c59;

/// PostgreSQL's fixed OID of the `uuid` type.
const UUID_OID: Oid = Oid(2950);

impl Dialect for Postgres {
    const BEGIN_WRITE: Option<&'static str> = None;

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    fn is_transient(error: &sqlx::Error) -> bool {
        // 40001 serialization_failure, 40P01 deadlock_detected: the transaction was rolled back
        // and a fresh attempt can succeed.
        matches!(
            error.as_database_error().and_then(|e| e.code()).as_deref(),
            Some("40001" | "40P01")
        )
    }
}

/// Takes the relay lease if no other session holds it. The lock lives on a connection of its
/// own, outside the pool: a pooled connection would go back to the pool still holding it.
pub(super) async fn relay_lease(pool: &PgPool) -> Result<Option<RelayLease>, StoreError> {
    let options = (*pool.connect_options())
        .clone()
        .application_name("saman-intake-relay");
    let mut conn = PgConnection::connect_with(&options).await?;
    let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
        .bind(RELAY_LOCK_KEY)
        .fetch_one(&mut conn)
        .await?;
    if locked {
        Ok(Some(RelayLease { conn: Some(conn) }))
    } else {
        // Best effort: the lock was not ours, the connection just goes.
        let _ = conn.close().await;
        Ok(None)
    }
}

/// The lock lives as long as the session: if the session answers, the lease holds.
pub(super) async fn lease_alive(conn: &mut PgConnection) -> bool {
    conn.ping().await.is_ok()
}

pub(super) async fn release_lease(mut conn: PgConnection) {
    // Closing the session releases the lock anyway; unlocking first makes the release
    // immediate even if the close is slow to reach the server.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(RELAY_LOCK_KEY)
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
}

impl Type<Postgres> for DbUuid {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(UUID_OID)
    }
}

impl Encode<'_, Postgres> for DbUuid {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

impl<'r> Decode<'r, Postgres> for DbUuid {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let uuid = match value.format() {
            PgValueFormat::Binary => uuid::Uuid::from_slice(value.as_bytes()?)?,
            PgValueFormat::Text => value.as_str()?.parse()?,
        };
        Ok(DbUuid(uuid))
    }
}
