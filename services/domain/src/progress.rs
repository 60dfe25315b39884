//! The programme's progress rules: how far a zone is toward its year-end '97 goals, how
//! far it should be for the time elapsed, and whether it is on track.
//!
//! Everything is looked at "as of" a day D, and these are the documented rules (the
//! thresholds are part of the programme's contract, `saman.projection.v1.TrackStatus`):
//!
//! - **A project's percent as of D** ([`project_progress`]): only a project (an approved
//!   proposal) approved on or before D counts; its approval day is the Asia/Tehran day of
//!   the `ProposalApproved` event's `occurred_at`. Its percent is that of the latest
//!   `ProgressReported` whose own `as_of` day is on or before D (of two reports with the
//!   same `as_of`, the one recorded later); 0 before the first such report; 100 once a
//!   `ProjectCompleted` with `completed_on` on or before D exists.
//! - **An approach's progress in a zone** ([`approach_progress`]): the mean of the
//!   percents of the zone's counted projects of that approach (infrastructural or
//!   social); 0 when there is none.
//! - **A goal's progress** ([`goal_progress`]): the mean of the percents of the zone's
//!   counted projects serving it; 0 when none does. A project serves the goals its
//!   proposal named (`goal_codes`) or, when it named none (as every proposal recorded
//!   before proposals could name goals), every goal of its approach ([`Counted::serves`]).
//!   Each project counts once for each goal it serves, whatever else it serves.
//! - **Overall progress of a zone** ([`overall_progress`]): the weighted mean of its
//!   goals' progress: `sum(weight x goal progress) / sum(weight)`; 0 without goals. With
//!   no proposal naming goals this is what it was before goals could be named: each goal
//!   counts its approach's progress.
//! - **Overdue** ([`overdue`]): a counted project is overdue as of D when D is after its
//!   planned end and it is not completed by D (a project completed late is no longer
//!   overdue from its completion day).
//! - **Expected progress** ([`expected_percent`]): 0 before the operational start, 100 on
//!   or after the goal date, and in between rising evenly with the days elapsed:
//!   `100 x (days from the operational start to D) / (days from the operational start to
//!   the goal date)`.
//! - **Status** ([`status`]): with `gap = expected - overall`,
//!   `gap <= 10` is on track (this includes being ahead), `10 < gap <= 25` at risk, and
//!   `gap > 25` behind ([`AT_RISK_GAP`], [`BEHIND_GAP`]).
//! - **Days left** ([`days_left`]): from D to the goal date, negative after it. Days are
//!   civil days, so the count is the same in the Solar Hijri and ISO calendars.
//! - **Answer times** ([`median`], [`worst`]): the median of a list of day counts (the
//!   mean of the two middle values for an even count) and the largest.
//! - **Rounding** ([`round1`]): percentages are computed unrounded and rounded to one
//!   decimal (half away from zero) only when they are put into a reply.
//!
//! Without programme dates (no `ProgrammeDatesSet` yet), [`zone_figures`] uses an
//! expected progress of 0, status on track and 0 days left.
//!
//! Everything here is pure: no I/O, no clock.

use crate::calendar::Day;
use crate::values::Approach;

/// A gap (expected - overall) above this is at risk.
pub const AT_RISK_GAP: f64 = 10.0;
/// A gap above this is behind.
pub const BEHIND_GAP: f64 = 25.0;

/// Whether a zone's progress keeps up with the time elapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackStatus {
    /// At most [`AT_RISK_GAP`] points short of what the time elapsed expects (or ahead).
    OnTrack,
    /// More than [`AT_RISK_GAP`], at most [`BEHIND_GAP`] points short.
    AtRisk,
    /// More than [`BEHIND_GAP`] points short.
    Behind,
}

/// One `ProgressReported` of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// The day the report speaks of (its own `as_of`).
    pub as_of: Day,
    /// When it was recorded relative to the project's other reports (e.g. its stream
    /// version): of two reports with the same `as_of`, the larger wins.
    pub order: u64,
    /// 0..=100.
    pub percent: u32,
}

/// A project's standing as of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectProgress {
    /// 0..=100; 100 once completed.
    pub percent: u32,
    /// The day of the report the percent comes from (the completion day once completed);
    /// `None` before the first report.
    pub reported_as_of: Option<Day>,
    pub completed: bool,
}

/// A project's percent as of `as_of`, or `None` if it is not approved by then (it does
/// not count). `reports` may be in any order and may include reports after `as_of`.
pub fn project_progress(
    approved_on: Option<Day>,
    reports: &[Report],
    completed_on: Option<Day>,
    as_of: Day,
) -> Option<ProjectProgress> {
    if approved_on.is_none_or(|day| day > as_of) {
        return None;
    }
    if let Some(done) = completed_on.filter(|day| *day <= as_of) {
        return Some(ProjectProgress {
            percent: 100,
            reported_as_of: Some(done),
            completed: true,
        });
    }
    let latest = reports
        .iter()
        .filter(|r| r.as_of <= as_of)
        .max_by_key(|r| (r.as_of, r.order));
    Some(ProjectProgress {
        percent: latest.map_or(0, |r| r.percent.min(100)),
        reported_as_of: latest.map(|r| r.as_of),
        completed: false,
    })
}

/// Whether a counted project (`progress`, as of `as_of`) is past its `planned_end`
/// without being completed.
pub fn overdue(planned_end: Day, progress: &ProjectProgress, as_of: Day) -> bool {
    !progress.completed && as_of > planned_end
}

/// The mean of the percents; 0 when there is none.
pub fn approach_progress(percents: &[f64]) -> f64 {
    if percents.is_empty() {
        return 0.0;
    }
    percents.iter().sum::<f64>() / percents.len() as f64
}

/// A counted project, as a zone's figures see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted<'a> {
    pub approach: Approach,
    /// Its percent as of the day ([`project_progress`]).
    pub percent: u32,
    /// The codes of the goals its proposal named as served; empty: every goal of its
    /// approach.
    pub goals: &'a [String],
}

/// A zone's goal, as its figures see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoalOf<'a> {
    pub code: &'a str,
    pub approach: Approach,
    pub weight: u32,
}

impl Counted<'_> {
    /// Whether the project serves `goal`: its proposal named it, or named none and is of
    /// the goal's approach.
    pub fn serves(&self, goal: &GoalOf<'_>) -> bool {
        if self.goals.is_empty() {
            self.approach == goal.approach
        } else {
            self.goals.iter().any(|code| code == goal.code)
        }
    }
}

/// The mean percent of the `projects` serving `goal`; 0 when none does.
pub fn goal_progress(projects: &[Counted<'_>], goal: &GoalOf<'_>) -> f64 {
    let percents: Vec<f64> = projects
        .iter()
        .filter(|p| p.serves(goal))
        .map(|p| f64::from(p.percent))
        .collect();
    approach_progress(&percents)
}

/// `sum(weight x goal progress) / sum(weight)` over `(progress, weight)` per goal; 0 when
/// the weights sum to 0 (no goals).
pub fn overall_progress(goals: &[(f64, u32)]) -> f64 {
    let total: u64 = goals.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return 0.0;
    }
    let weighted: f64 = goals
        .iter()
        .map(|(progress, weight)| f64::from(*weight) * progress)
        .sum();
    weighted / total as f64
}

/// What the time elapsed expects: 0 before `operational_start`, 100 on or after `goal`,
/// rising evenly in between.
pub fn expected_percent(operational_start: Day, goal: Day, as_of: Day) -> f64 {
    if as_of >= goal {
        return 100.0;
    }
    if as_of <= operational_start {
        return 0.0;
    }
    // Here operational_start < as_of < goal, so the span is positive.
    let elapsed = operational_start.days_until(as_of) as f64;
    let span = operational_start.days_until(goal) as f64;
    100.0 * elapsed / span
}

/// On track, at risk or behind, from the gap `expected - overall`.
pub fn status(expected: f64, overall: f64) -> TrackStatus {
    let gap = expected - overall;
    if gap <= AT_RISK_GAP {
        TrackStatus::OnTrack
    } else if gap <= BEHIND_GAP {
        TrackStatus::AtRisk
    } else {
        TrackStatus::Behind
    }
}

/// Days from `as_of` to the goal date (negative after it).
pub fn days_left(as_of: Day, goal: Day) -> i64 {
    as_of.days_until(goal)
}

/// The median; the mean of the two middle values for an even count; `None` when empty.
pub fn median(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid] as f64
    } else {
        (sorted[mid - 1] as f64 + sorted[mid] as f64) / 2.0
    })
}

/// The largest value; `None` when empty.
pub fn worst(values: &[i64]) -> Option<i64> {
    values.iter().copied().max()
}

/// Rounded to one decimal, half away from zero (12.25 -> 12.3, -12.25 -> -12.3).
pub fn round1(value: f64) -> f64 {
    // Scaling by 10 can land a hair below .5 (1.45 x 10 = 14.499999999999998): snap
    // values within a few ulps of a half before rounding, so decimal halves round as
    // people expect.
    let scaled = value * 10.0;
    let nudged = if (scaled.fract().abs() - 0.5).abs() < 1e-9 {
        scaled.trunc() + scaled.signum() * 0.5
    } else {
        scaled
    };
    nudged.round() / 10.0
}

/// The programme's dates progress is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressDates {
    pub operational_start: Day,
    pub goal_date: Day,
}

/// A zone's figures as of a day, unrounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoneFigures {
    pub infrastructural: f64,
    pub social: f64,
    pub overall: f64,
    pub expected: f64,
    pub status: TrackStatus,
    pub days_left: i64,
}

/// A zone's figures from its counted projects, its goals' (progress, weight)
/// ([`goal_progress`]) and the programme's dates (if set).
pub fn zone_figures(
    projects: &[Counted<'_>],
    goals: &[(f64, u32)],
    dates: Option<ProgressDates>,
    as_of: Day,
) -> ZoneFigures {
    let of = |approach: Approach| -> Vec<f64> {
        projects
            .iter()
            .filter(|p| p.approach == approach)
            .map(|p| f64::from(p.percent))
            .collect()
    };
    let infrastructural = approach_progress(&of(Approach::Infrastructural));
    let social = approach_progress(&of(Approach::Social));
    let overall = overall_progress(goals);
    let (expected, days) = match dates {
        Some(d) => (
            expected_percent(d.operational_start, d.goal_date, as_of),
            days_left(as_of, d.goal_date),
        ),
        None => (0.0, 0),
    };
    ZoneFigures {
        infrastructural,
        social,
        overall,
        expected,
        status: if dates.is_some() {
            status(expected, overall)
        } else {
            TrackStatus::OnTrack
        },
        days_left: days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    fn report(as_of: &str, order: u64, percent: u32) -> Report {
        Report {
            as_of: day(as_of),
            order,
            percent,
        }
    }

    #[test]
    fn a_project_counts_from_its_approval_day() {
        let approved = Some(day("1397-02-10"));
        assert_eq!(
            project_progress(approved, &[], None, day("1397-02-09")),
            None
        );
        assert_eq!(project_progress(None, &[], None, day("1397-12-29")), None);
        assert_eq!(
            project_progress(approved, &[], None, day("1397-02-10")),
            Some(ProjectProgress {
                percent: 0,
                reported_as_of: None,
                completed: false
            })
        );
    }

    #[test]
    fn the_latest_report_on_or_before_the_day_wins_and_ties_go_to_the_later_one() {
        let approved = Some(day("1397-02-01"));
        // Out of order on purpose; a correction (30 after 40) on the same as_of day.
        let reports = [
            report("1397-05-01", 3, 40),
            report("1397-03-01", 1, 20),
            report("1397-05-01", 4, 30),
            report("1397-08-01", 5, 70),
        ];
        let at = |d: &str| project_progress(approved, &reports, None, day(d)).unwrap();
        assert_eq!(at("1397-02-20").percent, 0);
        assert_eq!(at("1397-03-01").percent, 20);
        assert_eq!(at("1397-03-01").reported_as_of, Some(day("1397-03-01")));
        assert_eq!(at("1397-06-01").percent, 30);
        assert_eq!(at("1397-06-01").reported_as_of, Some(day("1397-05-01")));
        assert_eq!(at("1397-09-01").percent, 70);
    }

    #[test]
    fn a_completed_project_is_at_100_from_its_completion_day() {
        let approved = Some(day("1397-02-01"));
        let reports = [report("1397-05-01", 1, 60)];
        let done = Some(day("1397-09-15"));
        let before = project_progress(approved, &reports, done, day("1397-09-14")).unwrap();
        assert_eq!((before.percent, before.completed), (60, false));
        let after = project_progress(approved, &reports, done, day("1397-09-15")).unwrap();
        assert_eq!(
            after,
            ProjectProgress {
                percent: 100,
                reported_as_of: done,
                completed: true
            }
        );
    }

    #[test]
    fn a_project_is_overdue_after_its_planned_end_until_completed() {
        let end = day("1397-10-30");
        let running = ProjectProgress {
            percent: 60,
            reported_as_of: None,
            completed: false,
        };
        let done = ProjectProgress {
            completed: true,
            percent: 100,
            ..running
        };
        assert!(
            !overdue(end, &running, day("1397-10-30")),
            "on its last day"
        );
        assert!(overdue(end, &running, day("1397-11-01")));
        assert!(
            !overdue(end, &done, day("1397-11-01")),
            "completed, if late"
        );
    }

    #[test]
    fn approach_progress_is_a_mean_and_0_without_projects() {
        assert_eq!(approach_progress(&[]), 0.0);
        assert_eq!(approach_progress(&[40.0, 60.0, 100.0]), 200.0 / 3.0);
    }

    #[test]
    fn overall_is_the_goals_weighted_mean() {
        // (60 x 50 + 40 x 20) / (60 + 40) = (3000 + 800) / 100 = 38
        assert_eq!(overall_progress(&[(50.0, 60), (20.0, 40)]), 38.0);
        // Two goals at 50 and one at 20: (30 x 50 + 30 x 50 + 40 x 20) / 100 = 38
        assert_eq!(
            overall_progress(&[(50.0, 30), (50.0, 30), (20.0, 40)]),
            38.0
        );
        assert_eq!(overall_progress(&[]), 0.0);
    }

    #[test]
    fn a_goal_counts_the_projects_serving_it() {
        use Approach::{Infrastructural as I, Social as S};
        let water = GoalOf {
            code: "water",
            approach: I,
            weight: 30,
        };
        let sewer = GoalOf {
            code: "sewer",
            approach: I,
            weight: 30,
        };
        let skills = GoalOf {
            code: "skills",
            approach: S,
            weight: 40,
        };
        let water_only = ["water".to_string()];
        let water_and_sewer = ["water".to_string(), "sewer".to_string()];
        let project = |approach, percent, goals| Counted {
            approach,
            percent,
            goals,
        };
        let projects = [
            project(I, 80, &water_only[..]),
            project(I, 40, &water_and_sewer[..]),
            // Named none: every social goal.
            project(S, 20, &[][..]),
        ];
        // Water: (80 + 40) / 2 = 60; sewer: 40; skills: 20.
        assert_eq!(goal_progress(&projects, &water), 60.0);
        assert_eq!(goal_progress(&projects, &sewer), 40.0);
        assert_eq!(goal_progress(&projects, &skills), 20.0);
        // A goal no project serves is at 0.
        assert_eq!(goal_progress(&projects[2..], &water), 0.0);
        // Named none, a project serves every goal of its approach and no other.
        let any = project(I, 50, &[][..]);
        assert!(any.serves(&water) && any.serves(&sewer) && !any.serves(&skills));
    }

    #[test]
    fn expected_rises_evenly_from_the_operational_start_to_the_goal() {
        let start = day("1397-01-31");
        let goal = day("1397-12-29");
        assert_eq!(expected_percent(start, goal, day("1397-01-15")), 0.0);
        assert_eq!(expected_percent(start, goal, start), 0.0);
        // 31 Farvardin -> 31 Shahrivar: 5 x 31 = 155 days of 334.
        assert_eq!(
            expected_percent(start, goal, day("1397-06-31")),
            100.0 * 155.0 / 334.0
        );
        assert_eq!(
            round1(expected_percent(start, goal, day("1397-06-31"))),
            46.4
        );
        assert_eq!(expected_percent(start, goal, goal), 100.0);
        assert_eq!(expected_percent(start, goal, day("1398-02-01")), 100.0);
    }

    #[test]
    fn status_thresholds() {
        assert_eq!(status(50.0, 70.0), TrackStatus::OnTrack);
        assert_eq!(status(50.0, 40.0), TrackStatus::OnTrack); // gap 10
        assert_eq!(status(50.0, 39.9), TrackStatus::AtRisk);
        assert_eq!(status(50.0, 25.0), TrackStatus::AtRisk); // gap 25
        assert_eq!(status(50.0, 24.9), TrackStatus::Behind);
    }

    #[test]
    fn days_left_is_negative_after_the_goal() {
        let goal = day("1397-12-29");
        assert_eq!(days_left(day("1397-01-31"), goal), 334);
        assert_eq!(days_left(goal, goal), 0);
        assert_eq!(days_left(day("1398-01-02"), goal), -2);
    }

    #[test]
    fn median_and_worst() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7.0));
        assert_eq!(median(&[9, 1, 5]), Some(5.0));
        // Even count: the mean of the two middle values, (3 + 8) / 2.
        assert_eq!(median(&[10, 3, 1, 8]), Some(5.5));
        assert_eq!(worst(&[]), None);
        assert_eq!(worst(&[10, 3, 1, 8]), Some(10));
    }

    #[test]
    fn round1_is_half_away_from_zero() {
        assert_eq!(round1(12.25), 12.3);
        assert_eq!(round1(-12.25), -12.3);
        assert_eq!(round1(12.24), 12.2);
        assert_eq!(round1(1.45), 1.5);
        assert_eq!(round1(0.05), 0.1);
        assert_eq!(round1(46.407_185), 46.4);
        assert_eq!(round1(100.0), 100.0);
        assert_eq!(round1(0.0), 0.0);
    }

    #[test]
    fn zone_figures_combine_the_rules() {
        use Approach::{Infrastructural as I, Social as S};
        let dates = ProgressDates {
            operational_start: day("1397-01-31"),
            goal_date: day("1397-12-29"),
        };
        // Infrastructural (40 + 100) / 2 = 70; social 10; with the goals at 70 and 10,
        // overall (60 x 70 + 40 x 10) / 100 = 46.
        let counted = |approach, percent| Counted {
            approach,
            percent,
            goals: &[],
        };
        let f = zone_figures(
            &[counted(I, 40), counted(I, 100), counted(S, 10)],
            &[(70.0, 60), (10.0, 40)],
            Some(dates),
            day("1397-12-29"),
        );
        assert_eq!((f.infrastructural, f.social, f.overall), (70.0, 10.0, 46.0));
        // Expected 100 on the goal date: gap 54, behind.
        assert_eq!(
            (f.expected, f.status, f.days_left),
            (100.0, TrackStatus::Behind, 0)
        );

        let none = zone_figures(&[counted(I, 0)], &[(0.0, 1)], None, day("1397-12-29"));
        assert_eq!(
            (none.expected, none.status, none.days_left),
            (0.0, TrackStatus::OnTrack, 0)
        );
    }
}
