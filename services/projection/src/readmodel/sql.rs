//! The one place the read models meet sqlx: everything else is written against
//! [`Store`] and [`Session`], whichever backend is behind them.
//!
//! SQLite (3.35+) and PostgreSQL agree on everything the read models use: `$N`
//! placeholders, multi-row `VALUES`, `INSERT ... ON CONFLICT ... DO UPDATE SET x =
//! excluded.x` (with a `WHERE`), row values (`(a, b) IN (VALUES ...)`), `COALESCE`,
//! `GROUP BY`. Booleans are `boolean` on PostgreSQL and 0/1 integers on SQLite; both read
//! and bind as `bool`, and `WHERE is_current` means the same on both. The few differences
//! (how transactions begin, row locks) are the constants of [`Dialect`], both backends'
//! side by side below.
//!
//! Statements are few and large: SQLite pays a thread hand-off per statement and
//! PostgreSQL a round trip. Rows are read into `#[derive(sqlx::FromRow)]` records
//! ([`Record`]); values are bound as [`Param`]s; a read-model table's rows are written as
//! its [`Table`] says.

use std::borrow::Cow;
use std::future::Future;

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{
    Arguments, AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, FromRow,
    IntoArguments, Pool, Postgres, Row, SqlSafeStr, SqlStr, Sqlite, Transaction, Type,
};

use super::ReadModelError;
use super::schema::Kind;
use super::table::Table;

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

/// Most bind parameters in one statement: below SQLite's 32,766 and PostgreSQL's 65,535.
pub(super) const MAX_PARAMS: usize = 30_000;

/// What differs between the backends beyond the shared SQL.
pub(super) trait Dialect: Database {
    /// The statement opening a write transaction; `None`: the driver's plain `BEGIN`.
    const BEGIN_WRITE: Option<&'static str>;
    /// The statement opening a read transaction that sees one snapshot throughout.
    const BEGIN_READ: Option<&'static str>;
    /// Reads a generation's checkpoint (`$1`) and holds its row until commit, so two
    /// writers of one generation take turns.
    const CHECKPOINT_FOR_UPDATE: &'static str;

    /// A row as a [`Record`] (every record reads the same way on both backends).
    fn decode<T: Record>(row: &Self::Row) -> Result<T, sqlx::Error>;
}

/// SQLite: the embedded default, one file.
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

    fn decode<T: Record>(row: &SqliteRow) -> Result<T, sqlx::Error> {
        T::from_row(row)
    }
}

/// PostgreSQL: production.
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

    fn decode<T: Record>(row: &PgRow) -> Result<T, sqlx::Error> {
        T::from_row(row)
    }
}

/// A row read back: a `#[derive(sqlx::FromRow)]` struct (or a tuple) that both backends
/// decode.
pub(super) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A statement's text: a literal, or assembled from the read models' own constants (table
/// and column names, placeholders), never from what a message or a request carries.
///
/// A concrete type rather than sqlx's `impl SqlSafeStr`: a future generic over a
/// `&'static str` type parameter is not provably `Send` for every lifetime.
#[derive(Debug, Clone)]
pub(super) enum Sql {
    Literal(&'static str),
    Assembled(String),
}

impl From<&'static str> for Sql {
    fn from(sql: &'static str) -> Self {
        Sql::Literal(sql)
    }
}

impl Sql {
    fn text(self) -> SqlStr {
        match self {
            Sql::Literal(sql) => SqlStr::from_static(sql),
            Sql::Assembled(sql) => AssertSqlSafe(sql).into_sql_str(),
        }
    }
}

/// A value bound to a statement.
#[derive(Debug, Clone)]
pub(super) enum Param<'a> {
    Int(Option<i64>),
    Bool(Option<bool>),
    Text(Option<Cow<'a, str>>),
    Bytes(Option<&'a [u8]>),
}

impl Param<'_> {
    /// NULL, typed as a column of `kind` is.
    pub fn null(kind: Kind) -> Self {
        match kind {
            Kind::Text => Param::Text(None),
            Kind::Int => Param::Int(None),
            Kind::Bool => Param::Bool(None),
            Kind::Blob => Param::Bytes(None),
        }
    }
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}

impl From<u32> for Param<'_> {
    fn from(value: u32) -> Self {
        Param::Int(Some(i64::from(value)))
    }
}

impl From<Option<i64>> for Param<'_> {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}

impl From<bool> for Param<'_> {
    fn from(value: bool) -> Self {
        Param::Bool(Some(value))
    }
}

impl From<Option<bool>> for Param<'_> {
    fn from(value: Option<bool>) -> Self {
        Param::Bool(value)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(Some(Cow::Borrowed(value)))
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Param::Text(Some(Cow::Borrowed(value)))
    }
}

impl From<String> for Param<'_> {
    fn from(value: String) -> Self {
        Param::Text(Some(Cow::Owned(value)))
    }
}

impl From<Option<String>> for Param<'_> {
    fn from(value: Option<String>) -> Self {
        Param::Text(value.map(Cow::Owned))
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(value: &'a [u8]) -> Self {
        Param::Bytes(Some(value))
    }
}

/// One connection or transaction of either backend.
pub(super) trait Session: Send {
    /// [`Dialect::CHECKPOINT_FOR_UPDATE`] of the backend.
    const CHECKPOINT_FOR_UPDATE: &'static str;

    /// Runs one statement with `$1`, `$2`, ... bound to `params`.
    fn execute(
        &mut self,
        sql: Sql,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<()>> + Send;

    fn fetch_all<T: Record>(
        &mut self,
        sql: Sql,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<T>>> + Send;

    /// The row of a statement that reads at most one (by key, an aggregate), if any.
    fn fetch_optional<T: Record>(
        &mut self,
        sql: Sql,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Option<T>>> + Send {
        async move { Ok(self.fetch_all(sql, params).await?.into_iter().next()) }
    }

    /// `<select> WHERE generation = <generation> AND (<columns>) IN (VALUES <keys>)`, in as
    /// many statements as the keys need.
    fn fetch_in<T: Record, const N: usize>(
        &mut self,
        select: &str,
        generation: i64,
        columns: &str,
        keys: &[[Param<'_>; N]],
    ) -> impl Future<Output = Result<Vec<T>>> + Send;

    /// Writes `rows` of a [`Table`] to `generation`, one multi-row statement per chunk;
    /// with `returning` (e.g. `" RETURNING position"`), returns how many rows came back.
    fn insert<T: Table + Sync>(
        &mut self,
        generation: i64,
        rows: &[&T],
        returning: &str,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Rows of `sql` (one `$1`: `generation`) with every cell as text, read as `kinds`
    /// say (`None` for NULL; a blob in hexadecimal): for dumps.
    fn fetch_text(
        &mut self,
        sql: String,
        generation: i64,
        kinds: &[Kind],
    ) -> impl Future<Output = Result<Vec<Vec<Option<String>>>>> + Send;

    /// Commits a write transaction; ends a read transaction (it changed nothing).
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// Where [`Session`]s come from: one backend's pool.
pub(super) trait Store: Sync {
    type Session: Session;

    /// A connection from the pool, each statement on its own.
    fn connect(&self) -> impl Future<Output = Result<Self::Session>> + Send;
    /// A transaction seeing one snapshot throughout ([`Dialect::BEGIN_READ`]).
    fn read(&self) -> impl Future<Output = Result<Self::Session>> + Send;
    /// A write transaction ([`Dialect::BEGIN_WRITE`]).
    fn write(&self) -> impl Future<Output = Result<Self::Session>> + Send;
}

/// A connection of one backend, alone or in a transaction.
pub(super) enum Db<DB: Database> {
    Connection(PoolConnection<DB>),
    /// `None` once committed or rolled back.
    Transaction(Option<Transaction<'static, DB>>),
}

impl<DB: Dialect> Db<DB> {
    fn conn(&mut self) -> Result<&mut DB::Connection> {
        match self {
            Db::Connection(conn) => Ok(&mut **conn),
            Db::Transaction(Some(tx)) => Ok(&mut **tx),
            Db::Transaction(None) => Err(sqlx::Error::PoolClosed.into()),
        }
    }
}

impl<DB> Store for Pool<DB>
where
    DB: Dialect,
    Db<DB>: Session,
{
    type Session = Db<DB>;

    async fn connect(&self) -> Result<Db<DB>> {
        Ok(Db::Connection(self.acquire().await?))
    }

    async fn read(&self) -> Result<Db<DB>> {
        let tx = match DB::BEGIN_READ {
            Some(begin) => self.begin_with(begin).await?,
            None => self.begin().await?,
        };
        Ok(Db::Transaction(Some(tx)))
    }

    async fn write(&self) -> Result<Db<DB>> {
        let tx = match DB::BEGIN_WRITE {
            Some(begin) => self.begin_with(begin).await?,
            None => self.begin().await?,
        };
        Ok(Db::Transaction(Some(tx)))
    }
}

/// `params` as the backend's arguments.
fn arguments<DB>(params: &[Param<'_>]) -> Result<DB::Arguments>
where
    DB: Database,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB>,
    for<'a> Option<bool>: Encode<'a, DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> &'a [u8]: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a [u8]>: Encode<'a, DB>,
{
    let mut args = DB::Arguments::default();
    for param in params {
        match param {
            Param::Int(v) => args.add(*v),
            Param::Bool(v) => args.add(*v),
            Param::Text(v) => args.add(v.as_deref()),
            Param::Bytes(v) => args.add(*v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

/// `(first, first + 1, ...), (...)`: `rows` tuples of `columns` numbered placeholders.
fn placeholders(first: usize, rows: usize, columns: usize) -> String {
    let tuple = |row: usize| {
        let numbers: Vec<String> = (0..columns)
            .map(|column| format!("${}", first + row * columns + column))
            .collect();
        format!("({})", numbers.join(", "))
    };
    let tuples: Vec<String> = (0..rows).map(tuple).collect();
    tuples.join(", ")
}

impl<DB> Session for Db<DB>
where
    DB: Dialect,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> String: Decode<'a, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB>,
    for<'a> Option<bool>: Encode<'a, DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> Vec<u8>: Decode<'a, DB> + Type<DB>,
    for<'a> &'a [u8]: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a [u8]>: Encode<'a, DB>,
{
    const CHECKPOINT_FOR_UPDATE: &'static str = DB::CHECKPOINT_FOR_UPDATE;

    fn execute(
        &mut self,
        sql: Sql,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<()>> + Send {
        let sql = sql.text();
        async move {
            let args = arguments::<DB>(params)?;
            sqlx::query_with::<DB, _>(sql, args)
                .execute(self.conn()?)
                .await?;
            Ok(())
        }
    }

    fn fetch_all<T: Record>(
        &mut self,
        sql: Sql,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<T>>> + Send {
        let sql = sql.text();
        async move {
            let args = arguments::<DB>(params)?;
            let rows = sqlx::query_with::<DB, _>(sql, args)
                .fetch_all(self.conn()?)
                .await?;
            Ok(rows
                .iter()
                .map(DB::decode)
                .collect::<Result<_, sqlx::Error>>()?)
        }
    }

    async fn fetch_in<T: Record, const N: usize>(
        &mut self,
        select: &str,
        generation: i64,
        columns: &str,
        keys: &[[Param<'_>; N]],
    ) -> Result<Vec<T>> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_PARAMS / N.max(1)) {
            let sql = format!(
                "{select} WHERE generation = $1 AND ({columns}) IN (VALUES {})",
                placeholders(2, chunk.len(), N)
            );
            let mut params = vec![Param::from(generation)];
            params.extend(chunk.iter().flatten().cloned());
            found.extend(self.fetch_all(Sql::Assembled(sql), &params).await?);
        }
        Ok(found)
    }

    async fn insert<T: Table + Sync>(
        &mut self,
        generation: i64,
        rows: &[&T],
        returning: &str,
    ) -> Result<u64> {
        let mut returned = 0;
        let Some(first) = rows.first() else {
            return Ok(0);
        };
        let columns = first.values()?.len() + 1;
        for chunk in rows.chunks(MAX_PARAMS / columns) {
            let mut params = Vec::with_capacity(chunk.len() * columns);
            for row in chunk {
                params.push(Param::from(generation));
                params.extend(row.values()?);
            }
            let sql = Sql::Assembled(format!(
                "INSERT INTO {} (generation, {}) VALUES {}{}{returning}",
                T::TABLE,
                T::COLUMNS,
                placeholders(1, chunk.len(), columns),
                T::ON_CONFLICT,
            ));
            if returning.is_empty() {
                self.execute(sql, &params).await?;
            } else {
                let args = arguments::<DB>(&params)?;
                let rows = sqlx::query_with::<DB, _>(sql.text(), args)
                    .fetch_all(self.conn()?)
                    .await?;
                returned += rows.len() as u64;
            }
        }
        Ok(returned)
    }

    async fn fetch_text(
        &mut self,
        sql: String,
        generation: i64,
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Option<String>>>> {
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(generation)
            .fetch_all(self.conn()?)
            .await?;
        let cell = |row: &DB::Row, i: usize, kind: Kind| -> Result<Option<String>> {
            Ok(match kind {
                Kind::Text => row
                    .try_get::<Option<String>, _>(i)?
                    .map(|s| format!("{s:?}")),
                Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(|v| v.to_string()),
                Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(|v| v.to_string()),
                Kind::Blob => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect()),
            })
        };
        rows.iter()
            .map(|row| {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| cell(row, i, *kind))
                    .collect()
            })
            .collect()
    }

    async fn commit(&mut self) -> Result<()> {
        if let Db::Transaction(tx) = self
            && let Some(tx) = tx.take()
        {
            tx.commit().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_rows_of_columns() {
        assert_eq!(placeholders(1, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(2, 2, 1), "($2), ($3)");
    }
}
