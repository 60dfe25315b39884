//! Zone budgets: per zone, the budget approved by a day (by approach), the households
//! its needs affect and its needs by priority.

use saman_domain::Day;
use saman_domain::values::{Approach, Priority};

use super::zones::{ZoneView, registered, snapshot};
use super::{Result, count};
use crate::readmodel::answers::{Named, Names, ZoneBudget};
use crate::readmodel::sql::Store;

/// Most urgent first.
const PRIORITIES: [Priority; 4] = [
    Priority::Urgent,
    Priority::High,
    Priority::Medium,
    Priority::Low,
];

/// See [`ReadModels::zone_budgets`](crate::readmodel::ReadModels::zone_budgets).
pub(in crate::readmodel) async fn zone_budgets(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Vec<ZoneBudget>> {
    let s = snapshot(store, generation, "", as_of).await?;
    Ok(registered(&s, as_of).iter().map(budget).collect())
}

/// The zone's budget, households and needs by priority (its view is as of the day).
pub(super) fn budget(view: &ZoneView<'_>) -> ZoneBudget {
    let of = |approach: Option<Approach>| -> u64 {
        view.projects
            .iter()
            .filter(|(p, _)| approach.is_none_or(|a| p.approach == a))
            .map(|(p, _)| p.budget_rials)
            .sum()
    };
    let with = |priority: Option<Priority>| {
        count(view.needs.iter().filter(|n| n.priority == priority).count())
    };
    let mut needs_by_priority: Vec<(Option<Priority>, u32)> = PRIORITIES
        .iter()
        .map(|p| (Some(*p), with(Some(*p))))
        .collect();
    let unrecorded = with(None);
    if unrecorded > 0 {
        needs_by_priority.push((None, unrecorded));
    }
    ZoneBudget {
        zone: Named {
            code: view.zone.code.clone(),
            name: Names::new(&view.zone.name_fa, &view.zone.name_en),
        },
        approved_budget_rials: of(None),
        infrastructural_budget_rials: of(Some(Approach::Infrastructural)),
        social_budget_rials: of(Some(Approach::Social)),
        households_affected: view.needs.iter().map(|n| u64::from(n.households)).sum(),
        needs_by_priority,
    }
}
