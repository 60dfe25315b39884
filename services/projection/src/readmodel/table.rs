//! A read-model table described once: [`table!`] declares a fact as the row it is stored
//! as (one field per column, in the table's order) and derives from that one description
//! everything that treats the table's columns: the `#[derive(sqlx::FromRow)]` record read
//! back and its conversion into the fact, the values an insert binds, the column list of a
//! `SELECT` and of a dump.
//!
//! How each field is stored is its type's [`Column`]: text, integers and booleans as SQL
//! holds them, days as ISO `YYYY-MM-DD`, approaches and statuses as their names, unsigned
//! numbers as 64-bit signed integers. A stored value that breaks a fact's invariant (a day
//! that does not parse, a negative count) reads back as [`ReadModelError::Corrupt`].

use saman_domain::Day;
use saman_domain::values::{Approach, Priority};

use super::ReadModelError;
use super::facts::{
    ParkKind, Status, approach_str, parse_approach, parse_day, parse_priority, priority_str,
    to_i64, to_u32, to_u64,
};
use super::schema::Kind;
use super::sql::{Param, Record, Session, Sql};

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

/// How a fact's field is stored in its column.
pub(super) trait Column: Sized {
    /// The value as sqlx reads it from the column.
    type Stored;
    /// How a dump reads the column.
    const KIND: Kind;
    /// The value bound for the column; a value that does not fit fails the statement
    /// before it is sent.
    fn to_param(&self, column: &'static str) -> Result<Param<'_>>;
    /// The value read back; `column` names it in the error.
    fn from_stored(stored: Self::Stored, column: &'static str) -> Result<Self>;
}

/// A column's name as errors say it: `stream version`.
fn label(column: &str) -> String {
    column.replace('_', " ")
}

/// Types stored as they are.
macro_rules! as_is {
    ($($ty:ty: $kind:ident, |$value:ident| $param:expr;)+) => {$(
        impl Column for $ty {
            type Stored = $ty;
            const KIND: Kind = Kind::$kind;
            fn to_param(&self, _: &'static str) -> Result<Param<'_>> {
                let $value = self;
                Ok($param.into())
            }
            fn from_stored(stored: $ty, _: &'static str) -> Result<Self> {
                Ok(stored)
            }
        }
    )+};
}

as_is! {
    String: Text, |s| s;
    i64: Int, |v| *v;
    bool: Bool, |v| *v;
    Vec<u8>: Blob, |bytes| bytes.as_slice();
}

impl Column for u32 {
    type Stored = i64;
    const KIND: Kind = Kind::Int;
    fn to_param(&self, _: &'static str) -> Result<Param<'_>> {
        Ok((*self).into())
    }
    fn from_stored(stored: i64, column: &'static str) -> Result<Self> {
        to_u32(stored, &label(column))
    }
}

/// JetStream sequences, versions and budgets stay far below 2^63, but a message from
/// elsewhere may carry anything: a value above is [`ReadModelError::OutOfRange`]
/// (deterministic: the event that carries it is parked).
impl Column for u64 {
    type Stored = i64;
    const KIND: Kind = Kind::Int;
    fn to_param(&self, column: &'static str) -> Result<Param<'_>> {
        Ok(to_i64(*self, &label(column))?.into())
    }
    fn from_stored(stored: i64, column: &'static str) -> Result<Self> {
        to_u64(stored, &label(column))
    }
}

/// Types stored as text: written as `to` says, read back with `parse`.
macro_rules! as_text {
    ($($ty:ty: |$value:ident| $to:expr, $parse:path;)+) => {$(
        impl Column for $ty {
            type Stored = String;
            const KIND: Kind = Kind::Text;
            fn to_param(&self, _: &'static str) -> Result<Param<'_>> {
                let $value = *self;
                Ok($to.into())
            }
            fn from_stored(stored: String, _: &'static str) -> Result<Self> {
                $parse(&stored)
            }
        }
    )+};
}

as_text! {
    Day: |day| day.iso(), parse_day;
    Approach: |approach| approach_str(approach), parse_approach;
    Priority: |priority| priority_str(priority), parse_priority;
    Status: |status| status.as_str(), Status::parse;
    ParkKind: |kind| kind.as_str(), ParkKind::parse;
}

/// A nullable column.
impl<T: Column> Column for Option<T> {
    type Stored = Option<T::Stored>;
    const KIND: Kind = T::KIND;
    fn to_param(&self, column: &'static str) -> Result<Param<'_>> {
        match self {
            Some(value) => value.to_param(column),
            None => Ok(Param::null(T::KIND)),
        }
    }
    fn from_stored(stored: Option<T::Stored>, column: &'static str) -> Result<Self> {
        stored.map(|s| T::from_stored(s, column)).transpose()
    }
}

/// A fact stored as the rows of one table (see [`table!`]): `INSERT INTO <TABLE>
/// (generation, <COLUMNS>) VALUES (generation, values...) ... <ON_CONFLICT>`.
pub(super) trait Table: Sized {
    const TABLE: &'static str;
    /// The columns but `generation`, comma-separated, in the order of [`Self::values`].
    const COLUMNS: &'static str;
    /// The same columns with how a dump reads them.
    const KINDS: &'static [(&'static str, Kind)];
    /// Columns a dump leaves out (a wall-clock time differs between two builds).
    const NOT_DUMPED: &'static [&'static str];
    /// What follows the `VALUES`: the conflict rule, if any (with a leading space).
    const ON_CONFLICT: &'static str;
    /// The row as read back.
    type Record: Record;

    /// The row's values after the generation, in the order of [`Self::COLUMNS`].
    fn values(&self) -> Result<Vec<Param<'_>>>;
    /// The fact a record holds, or [`ReadModelError::Corrupt`].
    fn from_record(record: Self::Record) -> Result<Self>;

    /// `SELECT <COLUMNS> FROM <TABLE> <rest>`.
    fn select(rest: &str) -> Sql {
        Sql::Assembled(format!(
            "SELECT {} FROM {} {rest}",
            Self::COLUMNS,
            Self::TABLE
        ))
    }
}

/// Writes `rows` to `generation`, one multi-row statement per chunk.
pub(super) async fn insert<'r, T: Table + Sync + 'r>(
    db: &mut impl Session,
    generation: i64,
    rows: impl IntoIterator<Item = &'r T>,
) -> Result<()> {
    let rows: Vec<&T> = rows.into_iter().collect();
    db.insert(generation, &rows, "").await?;
    Ok(())
}

/// The facts of `T` that `SELECT <columns> FROM <table> <rest>` reads.
pub(super) async fn select<T: Table>(
    db: &mut impl Session,
    rest: &str,
    params: &[Param<'_>],
) -> Result<Vec<T>> {
    let records: Vec<T::Record> = db.fetch_all(T::select(rest), params).await?;
    records.into_iter().map(T::from_record).collect()
}

/// The facts of `T` in `generation` whose `key` column is one of `keys`.
pub(super) async fn select_in<T: Table>(
    db: &mut impl Session,
    generation: i64,
    key: &str,
    keys: &[[Param<'_>; 1]],
) -> Result<Vec<T>> {
    let select = format!("SELECT {} FROM {}", T::COLUMNS, T::TABLE);
    let records: Vec<T::Record> = db.fetch_in(&select, generation, key, keys).await?;
    records.into_iter().map(T::from_record).collect()
}

/// Declares a fact stored as a read-model table, one field per column (all but
/// `generation`), and implements [`Table`] for it:
///
/// ```ignore
/// table! {
///     /// A doc comment.
///     pub(super) struct ZoneRow in zones {
///         code: String,
///         registered_day: Day,
///     }
///     keep first (code)
///     not dumped [registered_day]
///     checked by ZoneRow::check
/// }
/// ```
///
/// What a second row with the same key (after `generation`) does is optional: `keep
/// first (key, ...)` (`ON CONFLICT ... DO NOTHING`), or `update (key, ...) set [column,
/// ...]` with an optional `if "SQL condition"` (`ON CONFLICT ... DO UPDATE SET column =
/// excluded.column, ... WHERE ...`). So are the columns a dump leaves out and a check of
/// what the columns hold together (`fn(&Row) -> Result<(), ReadModelError>`). The record
/// read back lives in a module named after the table.
macro_rules! table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident in $table:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),+ $(,)?
        }
        $(keep first ($($kept:ident),+))?
        $(update ($($key:ident),*) set [$($set:ident),+] $(if $condition:literal)?)?
        $(not dumped [$($undumped:ident),*])?
        $(checked by $check:path)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        $vis struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )+
        }

        #[doc = concat!("The `", stringify!($table), "` row as read back.")]
        $vis mod $table {
            #[allow(unused_imports)]
            use super::*;

            #[derive(sqlx::FromRow)]
            pub struct Record {
                $( pub $field: <$ty as $crate::readmodel::table::Column>::Stored, )+
            }
        }

        impl $crate::readmodel::table::Table for $name {
            const TABLE: &'static str = stringify!($table);
            const COLUMNS: &'static str = table!(@join $($field)+);
            const KINDS: &'static [(&'static str, $crate::readmodel::schema::Kind)] = &[
                $( (stringify!($field), <$ty as $crate::readmodel::table::Column>::KIND), )+
            ];
            const NOT_DUMPED: &'static [&'static str] = &[$($(stringify!($undumped)),*)?];
            const ON_CONFLICT: &'static str = concat!(
                ""
                $(, " ON CONFLICT (generation" $(, ", ", stringify!($kept))+, ") DO NOTHING")?
                $(
                    , " ON CONFLICT (generation" $(, ", ", stringify!($key))*, ") DO UPDATE SET "
                    , table!(@set $($set)+) $(, " WHERE ", $condition)?
                )?
            );
            type Record = $table::Record;

            fn values(
                &self,
            ) -> Result<Vec<$crate::readmodel::sql::Param<'_>>, $crate::readmodel::ReadModelError>
            {
                use $crate::readmodel::table::Column;
                Ok(vec![$( self.$field.to_param(stringify!($field))?, )+])
            }

            fn from_record(
                record: $table::Record,
            ) -> Result<Self, $crate::readmodel::ReadModelError> {
                use $crate::readmodel::table::Column;
                let row = $name {
                    $( $field: Column::from_stored(record.$field, stringify!($field))?, )+
                };
                $( $check(&row)?; )?
                Ok(row)
            }
        }
    };
    (@set $first:ident $($rest:ident)*) => {
        concat!(
            stringify!($first), " = excluded.", stringify!($first)
            $(, ", ", stringify!($rest), " = excluded.", stringify!($rest))*
        )
    };
    (@join $first:ident $($rest:ident)*) => {
        concat!(stringify!($first) $(, ", ", stringify!($rest))*)
    };
}

pub(super) use table;
