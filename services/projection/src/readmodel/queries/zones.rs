//! The zones as of a day: one zone's progress, and the list of zones side by side. Both
//! read the same facts ([`Snapshot`]) and judge them the same way ([`ZoneView`]); the
//! programme's summary (`programme`) adds the zones up.

use std::collections::{BTreeMap, HashMap, HashSet};

use saman_domain::Day;
use saman_domain::progress::{
    self, Counted, GoalOf, ProgressDates, ProjectProgress, Report, ZoneFigures,
};
use saman_domain::values::{Approach, ZoneCode};

use super::budgets::budget;
use super::{Directory, Result, agencies, count, days_i32, ngos, programme};
use crate::readmodel::ReadModelError;
use crate::readmodel::answers::{
    Count, GoalProgress, Names, NeedCounts, NeedSummary, Progress, Project, ProposalCounts,
    ZoneProgress, ZoneSummary,
};
use crate::readmodel::facts::{
    ActivityRow, GoalRow, NeedRow, PartyRow, ProgrammeRow, ProgressRow, ProposalGoalRow,
    ProposalNeedRow, ProposalRow, ReferralRow, Status, ZoneRow, to_i64,
};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

/// What the zone queries read, for one zone or all of them, as of a day.
#[derive(Debug, Default, Clone)]
pub(super) struct Snapshot {
    pub programme: Option<ProgrammeRow>,
    pub zones: Vec<ZoneRow>,
    pub goals: Vec<GoalRow>,
    /// Declared on or before the day.
    pub needs: Vec<NeedRow>,
    /// Submitted on or before the day (decisions and completions as stored: judge them
    /// as of the day).
    pub proposals: Vec<ProposalRow>,
    pub proposal_needs: Vec<ProposalNeedRow>,
    /// In the order each proposal named them.
    pub proposal_goals: Vec<ProposalGoalRow>,
    /// Reports whose own `as_of` is on or before the day.
    pub progress: Vec<ProgressRow>,
    pub ngos: Vec<PartyRow>,
    pub agencies: Vec<PartyRow>,
    /// Referred on or before the day (answers as stored: judge them as of the day).
    pub referrals: Vec<ReferralRow>,
    /// Reported on or before the day.
    pub activities: Vec<ActivityRow>,
}

impl Snapshot {
    /// The facts as of an earlier `day` (a snapshot holds those up to its own day).
    pub fn until(&self, day: Day) -> Snapshot {
        Snapshot {
            programme: self.programme.clone(),
            zones: self.zones.clone(),
            goals: self.goals.clone(),
            needs: self
                .needs
                .iter()
                .filter(|n| n.declared_day <= day)
                .cloned()
                .collect(),
            proposals: self
                .proposals
                .iter()
                .filter(|p| p.submitted_day <= day)
                .cloned()
                .collect(),
            proposal_needs: self.proposal_needs.clone(),
            proposal_goals: self.proposal_goals.clone(),
            progress: self
                .progress
                .iter()
                .filter(|r| r.as_of <= day)
                .cloned()
                .collect(),
            ngos: self.ngos.clone(),
            agencies: self.agencies.clone(),
            referrals: self
                .referrals
                .iter()
                .filter(|r| r.referred_day <= day)
                .cloned()
                .collect(),
            activities: self
                .activities
                .iter()
                .filter(|a| a.reported_day <= day)
                .cloned()
                .collect(),
        }
    }
}

/// The facts of one zone (`zone` non-empty) or all zones, as of `as_of`, from one
/// snapshot.
pub(super) async fn snapshot(
    store: &impl Store,
    generation: u64,
    zone: &str,
    as_of: Day,
) -> Result<Snapshot> {
    let g = to_i64(generation, "generation")?;
    let day = as_of.iso();
    let mut db = store.read().await?;
    // Each table's rows of the zone ($2; every zone's when empty), those of events by the
    // day ($3) where the table says when they happened.
    let in_zone = [g.into(), zone.into()];
    let by_day = [g.into(), zone.into(), day.as_str().into()];
    let of_zone = |zone_column: &str, rest: &str| {
        format!("WHERE generation = $1 AND ($2 = '' OR {zone_column} = $2) {rest}")
    };
    let ordered = |order: &str| of_zone("zone", &format!("ORDER BY {order}"));
    let snapshot = Snapshot {
        programme: programme(&mut db, g).await?,
        zones: select(&mut db, &of_zone("code", "ORDER BY code"), &in_zone).await?,
        goals: select(&mut db, &ordered("zone, ordinal"), &in_zone).await?,
        needs: select(
            &mut db,
            &of_zone(
                "zone",
                "AND declared_day <= $3 ORDER BY zone, stream_version",
            ),
            &by_day,
        )
        .await?,
        proposals: select(
            &mut db,
            &of_zone(
                "zone",
                "AND submitted_day <= $3 ORDER BY zone, stream_version",
            ),
            &by_day,
        )
        .await?,
        proposal_needs: select(&mut db, &of_zone("zone", ""), &in_zone).await?,
        proposal_goals: select(&mut db, &ordered("proposal_id, ordinal"), &in_zone).await?,
        progress: select(&mut db, &of_zone("zone", "AND as_of <= $3"), &by_day).await?,
        ngos: ngos(&mut db, g).await?,
        agencies: agencies(&mut db, g).await?,
        referrals: select(&mut db, &of_zone("zone", "AND referred_day <= $3"), &by_day).await?,
        activities: select(&mut db, &of_zone("zone", "AND reported_day <= $3"), &by_day).await?,
    };
    db.commit().await?;
    Ok(snapshot)
}

/// Whether the zone is registered in the generation (whatever the day).
pub(super) async fn exists(db: &mut impl Session, g: i64, zone: &ZoneCode) -> Result<bool> {
    let found: Option<(String,)> = db
        .fetch_optional(
            "SELECT code FROM zones WHERE generation = $1 AND code = $2".into(),
            &[g.into(), zone.as_str().into()],
        )
        .await?;
    Ok(found.is_some())
}

pub(super) fn not_found(zone: &ZoneCode) -> ReadModelError {
    ReadModelError::NotFound {
        what: "zone",
        id: zone.to_string(),
    }
}

/// One zone as of a day, before it becomes a result.
pub(super) struct ZoneView<'a> {
    pub zone: &'a ZoneRow,
    goals: Vec<&'a GoalRow>,
    pub needs: Vec<&'a NeedRow>,
    unanswered: Vec<&'a NeedRow>,
    /// With their status as of the day.
    pub proposals: Vec<(&'a ProposalRow, Status)>,
    /// Approved by the day, in approval order.
    pub projects: Vec<(&'a ProposalRow, ProjectProgress)>,
    /// The goals each project's proposal named (aligned with `projects`).
    project_goals: Vec<Vec<String>>,
    /// Each goal's progress (unrounded) and the projects serving it (aligned with
    /// `goals`).
    goal_progress: Vec<(f64, Vec<String>)>,
    pub figures: ZoneFigures,
}

pub(super) fn dates_of(programme: Option<&ProgrammeRow>) -> Option<ProgressDates> {
    programme.map(|p| ProgressDates {
        operational_start: p.operational_start,
        goal_date: p.goal_date,
    })
}

/// The views of the snapshot's zones (all of them: callers filter on registration).
pub(super) fn views(s: &Snapshot, as_of: Day) -> Vec<ZoneView<'_>> {
    let mut goals: HashMap<&str, Vec<&GoalRow>> = HashMap::new();
    for g in &s.goals {
        goals.entry(g.zone.as_str()).or_default().push(g);
    }
    let mut needs: HashMap<&str, Vec<&NeedRow>> = HashMap::new();
    for n in &s.needs {
        needs.entry(n.zone.as_str()).or_default().push(n);
    }
    let mut proposals: HashMap<&str, Vec<(&ProposalRow, Status)>> = HashMap::new();
    for p in &s.proposals {
        proposals
            .entry(p.zone.as_str())
            .or_default()
            .push((p, p.status_as_of(as_of)));
    }
    // Needs answered by a proposal submitted by the day and not rejected by then.
    let answering: HashSet<&str> = s
        .proposals
        .iter()
        .filter(|p| p.status_as_of(as_of) != Status::Rejected)
        .map(|p| p.proposal_id.as_str())
        .collect();
    let answered: HashSet<&str> = s
        .proposal_needs
        .iter()
        .filter(|pn| answering.contains(pn.proposal_id.as_str()))
        .map(|pn| pn.need_id.as_str())
        .collect();
    let mut reports: HashMap<&str, Vec<Report>> = HashMap::new();
    for r in &s.progress {
        reports
            .entry(r.proposal_id.as_str())
            .or_default()
            .push(Report {
                as_of: r.as_of,
                order: r.stream_version,
                percent: r.percent,
            });
    }
    let dates = dates_of(s.programme.as_ref());
    let mut named: HashMap<&str, Vec<String>> = HashMap::new();
    for pg in &s.proposal_goals {
        named
            .entry(pg.proposal_id.as_str())
            .or_default()
            .push(pg.goal_code.clone());
    }

    s.zones
        .iter()
        .map(|zone| {
            let code = zone.code.as_str();
            let goals = goals.remove(code).unwrap_or_default();
            let needs = needs.remove(code).unwrap_or_default();
            let unanswered = needs
                .iter()
                .copied()
                .filter(|n| !answered.contains(n.need_id.as_str()))
                .collect();
            let proposals = proposals.remove(code).unwrap_or_default();
            let mut projects: Vec<(&ProposalRow, ProjectProgress)> = proposals
                .iter()
                .filter_map(|(p, _)| {
                    let reports = reports
                        .get(p.proposal_id.as_str())
                        .map_or(&[][..], Vec::as_slice);
                    progress::project_progress(p.approved_on(), reports, p.completed_on, as_of)
                        .map(|progress| (*p, progress))
                })
                .collect();
            projects.sort_by_key(|(p, _)| {
                (
                    p.decision().map(|d| (d.day, d.stream_version)),
                    p.stream_version,
                )
            });
            let project_goals: Vec<Vec<String>> = projects
                .iter()
                .map(|(p, _)| {
                    named
                        .get(p.proposal_id.as_str())
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            let counted: Vec<Counted<'_>> = projects
                .iter()
                .zip(&project_goals)
                .map(|((p, pr), goals)| Counted {
                    approach: p.approach,
                    percent: pr.percent,
                    goals,
                })
                .collect();
            let goal_progress: Vec<(f64, Vec<String>)> = goals
                .iter()
                .map(|g| {
                    let goal = GoalOf {
                        code: &g.code,
                        approach: g.approach,
                        weight: g.weight,
                    };
                    let serving = projects
                        .iter()
                        .zip(&counted)
                        .filter(|(_, c)| c.serves(&goal))
                        .map(|((p, _), _)| p.proposal_id.clone())
                        .collect();
                    (progress::goal_progress(&counted, &goal), serving)
                })
                .collect();
            let weighted: Vec<(f64, u32)> = goal_progress
                .iter()
                .zip(&goals)
                .map(|((percent, _), g)| (*percent, g.weight))
                .collect();
            let figures = progress::zone_figures(&counted, &weighted, dates, as_of);
            ZoneView {
                zone,
                goals,
                needs,
                unanswered,
                proposals,
                projects,
                project_goals,
                goal_progress,
                figures,
            }
        })
        .collect()
}

/// The views of the zones registered by the day.
pub(super) fn registered(s: &Snapshot, as_of: Day) -> Vec<ZoneView<'_>> {
    views(s, as_of)
        .into_iter()
        .filter(|v| v.zone.registered_day <= as_of)
        .collect()
}

pub(super) fn progress_of(f: &ZoneFigures, programme: Option<&ProgrammeRow>) -> Progress {
    Progress {
        infrastructural: progress::round1(f.infrastructural),
        social: progress::round1(f.social),
        overall: progress::round1(f.overall),
        expected: progress::round1(f.expected),
        status: f.status,
        days_left: days_i32(f.days_left),
        operational_start: programme.map(|p| p.operational_start),
        goal_date: programme.map(|p| p.goal_date),
    }
}

/// Counts per code, sorted by code, with names.
fn counts<'a>(codes: impl Iterator<Item = &'a str>, directory: &Directory<'_>) -> Vec<Count> {
    let mut by: BTreeMap<&str, u32> = BTreeMap::new();
    for code in codes {
        *by.entry(code).or_default() += 1;
    }
    by.into_iter()
        .map(|(key, count)| Count {
            key: key.to_owned(),
            name: directory.names(key),
            count,
        })
        .collect()
}

/// See [`ReadModels::zone_progress`](crate::readmodel::ReadModels::zone_progress).
pub(in crate::readmodel) async fn zone_progress(
    store: &impl Store,
    generation: u64,
    zone: &ZoneCode,
    as_of: Day,
) -> Result<ZoneProgress> {
    let s = snapshot(store, generation, zone.as_str(), as_of).await?;
    let ngos = Directory::new(&s.ngos);
    let agencies = Directory::new(&s.agencies);
    let view = views(&s, as_of)
        .into_iter()
        .next()
        .ok_or_else(|| not_found(zone))?;
    let of_approach = |a: Approach| view.needs.iter().filter(|n| n.approach == a).count();
    let needs = NeedCounts {
        total: count(view.needs.len()),
        infrastructural: count(of_approach(Approach::Infrastructural)),
        social: count(of_approach(Approach::Social)),
        on_time: count(view.needs.iter().filter(|n| !n.late).count()),
        late: count(view.needs.iter().filter(|n| n.late).count()),
        by_ngo: counts(view.needs.iter().map(|n| n.ngo.as_str()), &ngos),
    };
    let with = |st: Status| view.proposals.iter().filter(|(_, s)| *s == st).count();
    let of = |a: Approach| {
        view.proposals
            .iter()
            .filter(|(p, _)| p.approach == a)
            .count()
    };
    let proposals = ProposalCounts {
        total: count(view.proposals.len()),
        pending: count(with(Status::Pending)),
        approved: count(with(Status::Approved)),
        rejected: count(with(Status::Rejected)),
        infrastructural: count(of(Approach::Infrastructural)),
        social: count(of(Approach::Social)),
        by_agency: counts(
            view.proposals.iter().map(|(p, _)| p.agency.as_str()),
            &agencies,
        ),
    };
    let unanswered_needs = view
        .unanswered
        .iter()
        .map(|n| NeedSummary {
            need_id: n.need_id.clone(),
            title: n.title.clone(),
            approach: n.approach,
            ngo: n.ngo.clone(),
            declared_on: n.declared_day,
            late: n.late,
            households_affected: n.households,
        })
        .collect();
    let projects = projects(&view, as_of);
    let goals = view
        .goals
        .iter()
        .zip(&view.goal_progress)
        .map(|(g, (percent, serving))| GoalProgress {
            code: g.code.clone(),
            title: Names::new(&g.title_fa, &g.title_en),
            approach: g.approach,
            weight: g.weight,
            percent: progress::round1(*percent),
            serving: serving.clone(),
        })
        .collect();
    let (activities, participants) = activity_totals(&s, &view.zone.code);
    Ok(ZoneProgress {
        budget: budget(&view),
        open_referrals: open_referrals(&s, &view.zone.code, as_of),
        activities,
        participants,
        code: view.zone.code.clone(),
        name: Names::new(&view.zone.name_fa, &view.zone.name_en),
        needs,
        proposals,
        unanswered_needs,
        projects,
        progress: progress_of(&view.figures, s.programme.as_ref()),
        goals,
    })
}

/// The referrals of the zone's needs (every zone's, for an empty `zone`) still open on
/// the day.
pub(super) fn open_referrals(s: &Snapshot, zone: &str, as_of: Day) -> u32 {
    count(
        s.referrals
            .iter()
            .filter(|r| zone.is_empty() || r.zone == zone)
            .filter(|r| r.answer().is_none_or(|a| a.day > as_of))
            .count(),
    )
}

/// The social activities reported in the zone (every zone, for an empty `zone`) and
/// their participants.
pub(super) fn activity_totals(s: &Snapshot, zone: &str) -> (u32, u64) {
    let of: Vec<_> = s
        .activities
        .iter()
        .filter(|a| zone.is_empty() || a.zone == zone)
        .collect();
    (
        count(of.len()),
        of.iter().map(|a| u64::from(a.participants)).sum(),
    )
}

/// The zone's projects (approved by the day) with their standing on the day.
pub(super) fn projects(view: &ZoneView<'_>, as_of: Day) -> Vec<Project> {
    view.projects
        .iter()
        .zip(&view.project_goals)
        .map(|((p, pr), goal_codes)| Project {
            proposal_id: p.proposal_id.clone(),
            title: p.title.clone(),
            agency: p.agency.clone(),
            approach: p.approach,
            budget_rials: p.budget_rials,
            percent: pr.percent,
            reported_as_of: pr.reported_as_of,
            completed: pr.completed,
            approved_on: p.approved_on(),
            goal_codes: goal_codes.clone(),
            planned_start: p.planned_start,
            planned_end: p.planned_end,
            overdue: progress::overdue(p.planned_end, pr, as_of),
        })
        .collect()
}

/// See [`ReadModels::list_zones`](crate::readmodel::ReadModels::list_zones).
pub(in crate::readmodel) async fn list_zones(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Vec<ZoneSummary>> {
    let s = snapshot(store, generation, "", as_of).await?;
    Ok(registered(&s, as_of)
        .iter()
        .map(|v| ZoneSummary {
            code: v.zone.code.clone(),
            name: Names::new(&v.zone.name_fa, &v.zone.name_en),
            needs: count(v.needs.len()),
            unanswered_needs: count(v.unanswered.len()),
            proposals: count(v.proposals.len()),
            projects: count(v.projects.len()),
            progress: progress_of(&v.figures, s.programme.as_ref()),
        })
        .collect())
}
