//! Assembling the `saman.projection.v1` replies from the facts of one snapshot, with the
//! programme's rules of `saman_domain::progress`. No SQL here, and no `reflects` (the
//! service fills it in).
//!
//! As of a day D:
//! - a zone, NGO or agency is listed once registered (or approved) on or before D;
//! - a need counts once declared (its `occurred_at`, in Tehran) on or before D;
//! - a proposal counts once submitted on or before D, and is pending until the day it is
//!   approved or rejected;
//! - a need is unanswered while no proposal submitted by D and not rejected by D lists
//!   it (a rejected proposal answers nothing);
//! - a project is an approved proposal; its percent follows `progress::project_progress`;
//! - a referral is open until the day it is answered.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use saman_domain::Day;
use saman_domain::progress::{
    self, ProgressDates, ProjectProgress, Report, TrackStatus, ZoneFigures,
};
use saman_domain::values::Approach;
use saman_proto::projection::v1 as pb;

use super::apply::timestamp;
use super::engine::{ComplianceFacts, CooperationFacts, Snapshot};
use super::facts::{
    GoalRow, NeedRow, PartyRow, ProgrammeRow, ProposalRow, Status, TimelineRow, ZoneRow,
};
use super::sentences::actor_of;

/// A day in both calendars.
pub fn date(day: Day) -> pb::Date {
    pb::Date {
        iso: day.iso(),
        solar_hijri: day.solar_hijri_string(),
        solar_hijri_fa: day.solar_hijri_long_fa(),
        solar_hijri_en: day.solar_hijri_long_en(),
    }
}

fn names(fa: &str, en: &str) -> Option<pb::Names> {
    Some(pb::Names {
        fa: fa.to_owned(),
        en: en.to_owned(),
    })
}

fn approach_name(approach: Approach) -> Option<pb::ApproachName> {
    Some(pb::ApproachName {
        approach: saman_contract::approach_to_pb(approach),
        name: names(approach.name_fa(), approach.name_en()),
    })
}

fn track(status: TrackStatus) -> i32 {
    (match status {
        TrackStatus::OnTrack => pb::TrackStatus::OnTrack,
        TrackStatus::AtRisk => pb::TrackStatus::AtRisk,
        TrackStatus::Behind => pb::TrackStatus::Behind,
    }) as i32
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn days_i32(days: i64) -> i32 {
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

fn dates_of(programme: Option<&ProgrammeRow>) -> Option<ProgressDates> {
    programme.map(|p| ProgressDates {
        operational_start: p.operational_start,
        goal_date: p.goal_date,
    })
}

/// Names of NGOs or agencies by code; a code without a registration shows as itself.
struct Directory<'a>(HashMap<&'a str, &'a PartyRow>);

impl<'a> Directory<'a> {
    fn new(parties: &'a [PartyRow]) -> Self {
        Directory(parties.iter().map(|p| (p.code.as_str(), p)).collect())
    }

    fn names(&self, code: &str) -> Option<pb::Names> {
        match self.0.get(code) {
            Some(p) => names(&p.name_fa, &p.name_en),
            None => names(code, code),
        }
    }
}

/// One zone as of a day, before it becomes a reply.
struct ZoneView<'a> {
    zone: &'a ZoneRow,
    goals: Vec<&'a GoalRow>,
    needs: Vec<&'a NeedRow>,
    unanswered: Vec<&'a NeedRow>,
    /// With their status as of the day.
    proposals: Vec<(&'a ProposalRow, Status)>,
    /// Approved by the day, in approval order.
    projects: Vec<(&'a ProposalRow, ProjectProgress)>,
    figures: ZoneFigures,
}

/// The views of the snapshot's zones (all of them: callers filter on registration).
fn views(s: &Snapshot, as_of: Day) -> Vec<ZoneView<'_>> {
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
                    p.decision.map(|d| (d.day, d.stream_version)),
                    p.stream_version,
                )
            });
            let percents: Vec<(Approach, u32)> = projects
                .iter()
                .map(|(p, pr)| (p.approach, pr.percent))
                .collect();
            let weights: Vec<(Approach, u32)> =
                goals.iter().map(|g| (g.approach, g.weight)).collect();
            let figures = progress::zone_figures(&percents, &weights, dates, as_of);
            ZoneView {
                zone,
                goals,
                needs,
                unanswered,
                proposals,
                projects,
                figures,
            }
        })
        .collect()
}

fn progress_reply(f: &ZoneFigures, programme: Option<&ProgrammeRow>) -> pb::Progress {
    pb::Progress {
        infrastructural: progress::round1(f.infrastructural),
        social: progress::round1(f.social),
        overall: progress::round1(f.overall),
        expected: progress::round1(f.expected),
        status: track(f.status),
        days_left: days_i32(f.days_left),
        operational_start: programme.map(|p| date(p.operational_start)),
        goal_date: programme.map(|p| date(p.goal_date)),
    }
}

/// Counts per code, sorted by code, with names.
fn counts<'a>(codes: impl Iterator<Item = &'a str>, directory: &Directory<'_>) -> Vec<pb::Count> {
    let mut by: BTreeMap<&str, u32> = BTreeMap::new();
    for code in codes {
        *by.entry(code).or_default() += 1;
    }
    by.into_iter()
        .map(|(key, count)| pb::Count {
            key: key.to_owned(),
            name: directory.names(key),
            count,
        })
        .collect()
}

/// One zone's progress (the snapshot holds that zone only).
pub(super) fn zone_progress(s: &Snapshot, as_of: Day) -> Option<pb::ZoneProgress> {
    let ngos = Directory::new(&s.ngos);
    let agencies = Directory::new(&s.agencies);
    let view = views(s, as_of).into_iter().next()?;
    let of_approach = |a: Approach| view.needs.iter().filter(|n| n.approach == a).count();
    let needs = pb::NeedCounts {
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
    let proposals = pb::ProposalCounts {
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
        .map(|n| pb::NeedSummary {
            need_id: n.need_id.clone(),
            title: n.title.clone(),
            approach: approach_name(n.approach),
            ngo: n.ngo.clone(),
            declared_on: Some(date(n.declared_day)),
            late: n.late,
            households_affected: n.households,
        })
        .collect();
    let projects = view
        .projects
        .iter()
        .map(|(p, pr)| pb::Project {
            proposal_id: p.proposal_id.clone(),
            title: p.title.clone(),
            agency: p.agency.clone(),
            approach: approach_name(p.approach),
            budget_rials: p.budget_rials,
            percent: pr.percent,
            reported_as_of: pr.reported_as_of.map(date),
            completed: pr.completed,
            approved_on: p.approved_on().map(date),
        })
        .collect();
    let goals = view
        .goals
        .iter()
        .map(|g| pb::GoalProgress {
            code: g.code.clone(),
            title: names(&g.title_fa, &g.title_en),
            approach: approach_name(g.approach),
            weight: g.weight,
            percent: progress::round1(match g.approach {
                Approach::Infrastructural => view.figures.infrastructural,
                Approach::Social => view.figures.social,
            }),
        })
        .collect();
    Some(pb::ZoneProgress {
        reflects: None,
        code: view.zone.code.clone(),
        name: names(&view.zone.name_fa, &view.zone.name_en),
        needs: Some(needs),
        proposals: Some(proposals),
        unanswered_needs,
        projects,
        progress: Some(progress_reply(&view.figures, s.programme.as_ref())),
        goals,
    })
}

/// The views of the zones registered by the day.
fn registered(s: &Snapshot, as_of: Day) -> Vec<ZoneView<'_>> {
    views(s, as_of)
        .into_iter()
        .filter(|v| v.zone.registered_day <= as_of)
        .collect()
}

pub(super) fn list_zones(s: &Snapshot, as_of: Day) -> pb::ListZonesReply {
    let zones = registered(s, as_of)
        .iter()
        .map(|v| pb::ZoneRow {
            code: v.zone.code.clone(),
            name: names(&v.zone.name_fa, &v.zone.name_en),
            needs: count(v.needs.len()),
            unanswered_needs: count(v.unanswered.len()),
            proposals: count(v.proposals.len()),
            projects: count(v.projects.len()),
            progress: Some(progress_reply(&v.figures, s.programme.as_ref())),
        })
        .collect();
    pb::ListZonesReply {
        reflects: None,
        zones,
    }
}

pub(super) fn programme_summary(s: &Snapshot, as_of: Day) -> pb::ProgrammeSummary {
    let zones = registered(s, as_of);
    let mean = |f: fn(&ZoneFigures) -> f64| -> f64 {
        let values: Vec<f64> = zones.iter().map(|v| f(&v.figures)).collect();
        progress::round1(progress::approach_progress(&values))
    };
    let with =
        |status: TrackStatus| count(zones.iter().filter(|v| v.figures.status == status).count());
    let projects = zones.iter().flat_map(|v| v.projects.iter());
    let dates = dates_of(s.programme.as_ref());
    pb::ProgrammeSummary {
        reflects: None,
        zones: count(zones.len()),
        needs: count(zones.iter().map(|v| v.needs.len()).sum()),
        proposals: count(zones.iter().map(|v| v.proposals.len()).sum()),
        projects: count(projects.clone().count()),
        completed_projects: count(projects.clone().filter(|(_, pr)| pr.completed).count()),
        infrastructural: mean(|f| f.infrastructural),
        social: mean(|f| f.social),
        overall: mean(|f| f.overall),
        // The same for every zone: the programme's.
        expected: progress::round1(dates.map_or(0.0, |d| {
            progress::expected_percent(d.operational_start, d.goal_date, as_of)
        })),
        zones_on_track: with(TrackStatus::OnTrack),
        zones_at_risk: with(TrackStatus::AtRisk),
        zones_behind: with(TrackStatus::Behind),
        days_left: days_i32(dates.map_or(0, |d| progress::days_left(as_of, d.goal_date))),
        goal_date: s.programme.as_ref().map(|p| date(p.goal_date)),
        approved_budget_rials: projects.map(|(p, _)| p.budget_rials).sum(),
    }
}

/// Every party registered by the day, and any other code that has counts.
fn parties_as_of<'a>(
    parties: &'a [PartyRow],
    with_facts: impl Iterator<Item = &'a str>,
    as_of: Day,
) -> BTreeSet<&'a str> {
    parties
        .iter()
        .filter(|p| p.since <= as_of)
        .map(|p| p.code.as_str())
        .chain(with_facts)
        .collect()
}

fn submitters(
    parties: &[PartyRow],
    rows: &[(String, bool, u32)],
    as_of: Day,
) -> Vec<pb::SubmitterCompliance> {
    let directory = Directory::new(parties);
    parties_as_of(
        parties,
        rows.iter().map(|(code, _, _)| code.as_str()),
        as_of,
    )
    .into_iter()
    .map(|code| {
        let sum = |late: bool| -> u32 {
            rows.iter()
                .filter(|(c, l, _)| c == code && *l == late)
                .map(|(_, _, n)| *n)
                .sum()
        };
        pb::SubmitterCompliance {
            code: code.to_owned(),
            name: directory.names(code),
            on_time: sum(false),
            late: sum(true),
        }
    })
    .collect()
}

pub(super) fn compliance(f: &ComplianceFacts, as_of: Day) -> pb::Compliance {
    pb::Compliance {
        reflects: None,
        needs_deadline: f.programme.as_ref().map(|p| date(p.needs_deadline)),
        proposals_deadline: f.programme.as_ref().map(|p| date(p.proposals_deadline)),
        ngos: submitters(&f.ngos, &f.needs, as_of),
        agencies: submitters(&f.agencies, &f.proposals, as_of),
    }
}

pub(super) fn cooperation(f: &CooperationFacts, as_of: Day) -> pb::Cooperation {
    let directory = Directory::new(&f.agencies);
    let codes = parties_as_of(
        &f.agencies,
        f.referrals.iter().map(|r| r.agency.as_str()),
        as_of,
    );
    let agencies = codes
        .into_iter()
        .map(|code| {
            let referrals: Vec<_> = f.referrals.iter().filter(|r| r.agency == code).collect();
            let answered: Vec<_> = referrals
                .iter()
                .filter_map(|r| r.answer.filter(|a| a.day <= as_of).map(|a| (r, a)))
                .collect();
            let waits: Vec<i64> = answered
                .iter()
                .map(|(r, a)| r.referred_day.days_until(a.day))
                .collect();
            let open: Vec<i64> = referrals
                .iter()
                .filter(|r| r.answer.is_none_or(|a| a.day > as_of))
                .map(|r| r.referred_day.days_until(as_of))
                .collect();
            pb::AgencyCooperation {
                code: code.to_owned(),
                name: directory.names(code),
                referrals: count(referrals.len()),
                open: count(open.len()),
                answered: count(answered.len()),
                accepted: count(answered.iter().filter(|(_, a)| a.accepted).count()),
                median_days_to_answer: progress::median(&waits).map(progress::round1),
                worst_days_to_answer: progress::worst(&waits).map(|d| d as f64),
                oldest_open_days: progress::worst(&open).map(|d| d as f64),
            }
        })
        .collect();
    pb::Cooperation {
        reflects: None,
        agencies,
    }
}

pub(super) fn timeline_entry(row: TimelineRow) -> pb::TimelineEntry {
    pb::TimelineEntry {
        position: row.position,
        event_id: row.event_id,
        event_type: row.event_type,
        stream_version: row.stream_version,
        actor: actor_of(&row.actor),
        who: row.who,
        occurred_at: Some(timestamp(row.occurred_at_us)),
        recorded_at: Some(timestamp(row.recorded_at_us)),
        occurred_on: Some(date(row.occurred_day)),
        what_en: row.what_en,
        what_fa: row.what_fa,
    }
}
