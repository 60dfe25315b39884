//! The read-model tables, for what treats them all alike: deleting a generation and
//! dumping one. Each table's columns are its fact's (`facts`, [`table!`]); keep the list in
//! step with `migrations/*/`.
//!
//! [`table!`]: super::table::table

use super::facts::{
    ActivityRow, AgencyRow, AppliedRow, GoalRow, MemberChangeRow, NeedRow, NgoRow, ParkedRow,
    ProgrammeRow, ProgressRow, ProposalGoalRow, ProposalNeedRow, ProposalRow, ReferralRow,
    SupervisionRow, TimelineRow, ZoneRow,
};
use super::table::Table;

/// How a column is read for a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Int,
    Bool,
    Blob,
}

/// A table's name and the columns a dump shows (all but `generation` and those its fact
/// leaves out).
#[derive(Debug, Clone, Copy)]
pub(super) struct Schema {
    pub name: &'static str,
    columns: &'static [(&'static str, Kind)],
    not_dumped: &'static [&'static str],
}

impl Schema {
    const fn of<T: Table>() -> Schema {
        Schema {
            name: T::TABLE,
            columns: T::KINDS,
            not_dumped: T::NOT_DUMPED,
        }
    }

    pub fn dumped(&self) -> impl Iterator<Item = &'static (&'static str, Kind)> {
        let not_dumped = self.not_dumped;
        self.columns
            .iter()
            .filter(move |(name, _)| !not_dumped.contains(name))
    }
}

/// Every table with a `generation` column (but `generations` itself).
pub(super) const TABLES: &[Schema] = &[
    Schema::of::<ProgrammeRow>(),
    Schema::of::<ZoneRow>(),
    Schema::of::<GoalRow>(),
    Schema::of::<NgoRow>(),
    Schema::of::<AgencyRow>(),
    Schema::of::<NeedRow>(),
    Schema::of::<ReferralRow>(),
    Schema::of::<ActivityRow>(),
    Schema::of::<ProposalRow>(),
    Schema::of::<ProposalNeedRow>(),
    Schema::of::<ProposalGoalRow>(),
    Schema::of::<ProgressRow>(),
    Schema::of::<SupervisionRow>(),
    Schema::of::<MemberChangeRow>(),
    Schema::of::<TimelineRow>(),
    Schema::of::<AppliedRow>(),
    Schema::of::<ParkedRow>(),
];
