//! The `saman.projection.v1` replies, built at the edge from the read models' plain
//! results ((`readmodel::queries`)): days in both calendars, names, enums and
//! instants in their protobuf form, and what the reply reflects.

use jiff::Timestamp;
use saman_domain::Day;
use saman_domain::progress::TrackStatus;
use saman_domain::values::{Approach, Priority};
use saman_proto::projection::v1 as pb;

use crate::readmodel::{
    Activities, AgencyCooperation, Compliance, Corrections, Count, Decided, DecisionTimes,
    GoalProgress, LateItem, LateItems, Named, Names, NeedCounts, NeedSummary, NgoMembers,
    OpenCount, OpenReferrals, OverdueProject, ParkKind, ParkedEvent, ProgrammeSummary, Progress,
    Project, ProposalCounts, ProposalWait, Submitter, Supervision, TimelineEntry, TimelinePage,
    ZoneBudget, ZoneProgress, ZoneSeries, ZoneSummary,
};

/// A read model's result as its reply, saying what it reflects.
pub trait Reply {
    type Pb;

    fn reply(self, reflects: Option<pb::Reflects>) -> Self::Pb;
}

/// A day in both calendars.
pub fn date(day: Day) -> pb::Date {
    pb::Date {
        iso: day.iso(),
        solar_hijri: day.solar_hijri_string(),
        solar_hijri_fa: day.solar_hijri_long_fa(),
        solar_hijri_en: day.solar_hijri_long_en(),
    }
}

/// An instant in protobuf's canonical form (`nanos` never negative, before 1970 too).
pub fn timestamp(at: Timestamp) -> prost_types::Timestamp {
    let us = at.as_microsecond();
    prost_types::Timestamp {
        seconds: us.div_euclid(1_000_000),
        nanos: i32::try_from(us.rem_euclid(1_000_000) * 1_000).unwrap_or(0),
    }
}

pub fn track_status(status: TrackStatus) -> pb::TrackStatus {
    match status {
        TrackStatus::OnTrack => pb::TrackStatus::OnTrack,
        TrackStatus::AtRisk => pb::TrackStatus::AtRisk,
        TrackStatus::Behind => pb::TrackStatus::Behind,
    }
}

pub fn parked_kind(kind: ParkKind) -> pb::ParkedKind {
    match kind {
        ParkKind::Unreadable => pb::ParkedKind::Unreadable,
        ParkKind::Refused => pb::ParkedKind::Refused,
        ParkKind::Conflict => pb::ParkedKind::Conflict,
        ParkKind::DbRefused => pb::ParkedKind::DbRefused,
        ParkKind::Unsigned => pb::ParkedKind::Unsigned,
        ParkKind::UnknownKey => pb::ParkedKind::UnknownKey,
        ParkKind::MalformedSignature => pb::ParkedKind::MalformedSignature,
        ParkKind::BadSignature => pb::ParkedKind::BadSignature,
    }
}

fn names(names: Names) -> Option<pb::Names> {
    Some(pb::Names {
        fa: names.fa,
        en: names.en,
    })
}

fn approach(approach: Approach) -> Option<pb::ApproachName> {
    Some(pb::ApproachName {
        approach: saman_contract::approach_to_pb(approach),
        name: names(Names {
            fa: approach.name_fa().to_owned(),
            en: approach.name_en().to_owned(),
        }),
    })
}

fn named(n: Named) -> Option<pb::Named> {
    Some(pb::Named {
        code: n.code,
        name: names(n.name),
    })
}

fn counts(counts: Vec<Count>) -> Vec<pb::Count> {
    counts
        .into_iter()
        .map(|c| pb::Count {
            key: c.key,
            name: names(c.name),
            count: c.count,
        })
        .collect()
}

fn progress(p: Progress) -> Option<pb::Progress> {
    Some(pb::Progress {
        infrastructural: p.infrastructural,
        social: p.social,
        overall: p.overall,
        expected: p.expected,
        status: track_status(p.status) as i32,
        days_left: p.days_left,
        operational_start: p.operational_start.map(date),
        goal_date: p.goal_date.map(date),
    })
}

fn need_counts(n: NeedCounts) -> pb::NeedCounts {
    pb::NeedCounts {
        total: n.total,
        infrastructural: n.infrastructural,
        social: n.social,
        on_time: n.on_time,
        late: n.late,
        by_ngo: counts(n.by_ngo),
    }
}

fn proposal_counts(p: ProposalCounts) -> pb::ProposalCounts {
    pb::ProposalCounts {
        total: p.total,
        pending: p.pending,
        approved: p.approved,
        rejected: p.rejected,
        infrastructural: p.infrastructural,
        social: p.social,
        by_agency: counts(p.by_agency),
    }
}

fn need_summary(n: NeedSummary) -> pb::NeedSummary {
    pb::NeedSummary {
        need_id: n.need_id,
        title: n.title,
        approach: approach(n.approach),
        ngo: n.ngo,
        declared_on: Some(date(n.declared_on)),
        late: n.late,
        households_affected: n.households_affected,
    }
}

fn project(p: Project) -> pb::Project {
    pb::Project {
        proposal_id: p.proposal_id,
        title: p.title,
        agency: p.agency,
        approach: approach(p.approach),
        budget_rials: p.budget_rials,
        percent: p.percent,
        reported_as_of: p.reported_as_of.map(date),
        completed: p.completed,
        approved_on: p.approved_on.map(date),
        goal_codes: p.goal_codes,
        planned_start: Some(date(p.planned_start)),
        planned_end: Some(date(p.planned_end)),
        overdue: p.overdue,
    }
}

fn goal(g: GoalProgress) -> pb::GoalProgress {
    pb::GoalProgress {
        code: g.code,
        title: names(g.title),
        approach: approach(g.approach),
        weight: g.weight,
        percent: g.percent,
        serving: g.serving,
    }
}

impl Reply for ZoneProgress {
    type Pb = pb::ZoneProgress;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ZoneProgress {
        pb::ZoneProgress {
            reflects,
            code: self.code,
            name: names(self.name),
            needs: Some(need_counts(self.needs)),
            proposals: Some(proposal_counts(self.proposals)),
            unanswered_needs: self
                .unanswered_needs
                .into_iter()
                .map(need_summary)
                .collect(),
            projects: self.projects.into_iter().map(project).collect(),
            progress: progress(self.progress),
            goals: self.goals.into_iter().map(goal).collect(),
            budget: Some(zone_budget(self.budget)),
            open_referrals: self.open_referrals,
            activities: self.activities,
            participants: self.participants,
        }
    }
}

impl Reply for Vec<ZoneSummary> {
    type Pb = pb::ListZonesReply;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ListZonesReply {
        let zones = self
            .into_iter()
            .map(|z| pb::ZoneRow {
                code: z.code,
                name: names(z.name),
                needs: z.needs,
                unanswered_needs: z.unanswered_needs,
                proposals: z.proposals,
                projects: z.projects,
                progress: progress(z.progress),
            })
            .collect();
        pb::ListZonesReply { reflects, zones }
    }
}

impl Reply for ProgrammeSummary {
    type Pb = pb::ProgrammeSummary;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ProgrammeSummary {
        pb::ProgrammeSummary {
            reflects,
            zones: self.zones,
            needs: self.needs,
            proposals: self.proposals,
            projects: self.projects,
            completed_projects: self.completed_projects,
            infrastructural: self.infrastructural,
            social: self.social,
            overall: self.overall,
            expected: self.expected,
            zones_on_track: self.zones_on_track,
            zones_at_risk: self.zones_at_risk,
            zones_behind: self.zones_behind,
            days_left: self.days_left,
            goal_date: self.goal_date.map(date),
            approved_budget_rials: self.approved_budget_rials,
            infrastructural_budget_rials: self.infrastructural_budget_rials,
            social_budget_rials: self.social_budget_rials,
            households_affected: self.households_affected,
            pending_proposals: self.pending_proposals,
            overdue_projects: self.overdue_projects,
            open_referrals: self.open_referrals,
            late_needs: self.late_needs,
            late_proposals: self.late_proposals,
            activities: self.activities,
            participants: self.participants,
        }
    }
}

fn submitter(s: Submitter) -> pb::SubmitterCompliance {
    pb::SubmitterCompliance {
        code: s.code,
        name: names(s.name),
        on_time: s.on_time,
        late: s.late,
    }
}

impl Reply for Compliance {
    type Pb = pb::Compliance;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::Compliance {
        pb::Compliance {
            reflects,
            needs_deadline: self.needs_deadline.map(date),
            proposals_deadline: self.proposals_deadline.map(date),
            ngos: self.ngos.into_iter().map(submitter).collect(),
            agencies: self.agencies.into_iter().map(submitter).collect(),
        }
    }
}

impl Reply for Vec<OverdueProject> {
    type Pb = pb::ListOverdueProjectsReply;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ListOverdueProjectsReply {
        let projects = self
            .into_iter()
            .map(|o| pb::OverdueProject {
                zone: o.zone,
                zone_name: names(o.zone_name),
                project: Some(project(o.project)),
                agency_name: names(o.agency_name),
                days_overdue: o.days_overdue,
            })
            .collect();
        pb::ListOverdueProjectsReply { reflects, projects }
    }
}

impl Reply for Vec<AgencyCooperation> {
    type Pb = pb::Cooperation;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::Cooperation {
        let agencies = self
            .into_iter()
            .map(|a| pb::AgencyCooperation {
                code: a.code,
                name: names(a.name),
                referrals: a.referrals,
                open: a.open,
                answered: a.answered,
                accepted: a.accepted,
                median_days_to_answer: a.median_days_to_answer,
                worst_days_to_answer: a.worst_days_to_answer,
                oldest_open_days: a.oldest_open_days,
            })
            .collect();
        pb::Cooperation { reflects, agencies }
    }
}

fn open_count(c: OpenCount) -> pb::OpenReferralCount {
    pb::OpenReferralCount {
        of: named(c.of),
        open: c.open,
        oldest_days: c.oldest_days,
    }
}

impl Reply for OpenReferrals {
    type Pb = pb::ListOpenReferralsReply;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ListOpenReferralsReply {
        pb::ListOpenReferralsReply {
            reflects,
            referrals: self
                .referrals
                .into_iter()
                .map(|r| pb::OpenReferral {
                    referral_id: r.referral_id,
                    zone: named(r.zone),
                    need_id: r.need_id,
                    need_title: r.need_title,
                    agency: named(r.agency),
                    ngo: named(r.ngo),
                    member: named(r.member),
                    referred_on: Some(date(r.referred_on)),
                    days_open: r.days_open,
                })
                .collect(),
            by_zone: self.by_zone.into_iter().map(open_count).collect(),
            by_agency: self.by_agency.into_iter().map(open_count).collect(),
            by_ngo: self.by_ngo.into_iter().map(open_count).collect(),
        }
    }
}

fn proposal_wait(w: ProposalWait) -> pb::ProposalWait {
    let decision = match w.decision {
        Decided::Pending => pb::Decision::Pending,
        Decided::Approved => pb::Decision::Approved,
        Decided::Rejected => pb::Decision::Rejected,
    };
    pb::ProposalWait {
        proposal_id: w.proposal_id,
        zone: named(w.zone),
        title: w.title,
        agency: named(w.agency),
        approach: approach(w.approach),
        submitted_on: Some(date(w.submitted_on)),
        decision: decision as i32,
        decided_on: w.decided_on.map(date),
        days: w.days,
    }
}

impl Reply for DecisionTimes {
    type Pb = pb::DecisionTimes;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::DecisionTimes {
        pb::DecisionTimes {
            reflects,
            median_days: self.median_days,
            worst_days: self.worst_days,
            decided: self.decided.into_iter().map(proposal_wait).collect(),
            pending: self.pending.into_iter().map(proposal_wait).collect(),
        }
    }
}

impl Reply for Supervision {
    type Pb = pb::Supervision;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::Supervision {
        pb::Supervision {
            reflects,
            ngos: self
                .ngos
                .into_iter()
                .map(|n| pb::NgoSupervision {
                    ngo: named(n.ngo),
                    reports: n.reports,
                    average_rating: n.average_rating,
                    latest_rating: n.latest_rating,
                    latest_on: n.latest_on.map(date),
                })
                .collect(),
            reports: self
                .reports
                .into_iter()
                .map(|r| pb::SupervisionReport {
                    report_id: r.report_id,
                    ngo: named(r.ngo),
                    zone: r.zone.and_then(named),
                    rating: r.rating,
                    findings: r.findings,
                    filed_on: Some(date(r.filed_on)),
                })
                .collect(),
        }
    }
}

impl Reply for Activities {
    type Pb = pb::Activities;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::Activities {
        let count = |c: crate::readmodel::ActivityCount| pb::ActivityCount {
            of: named(c.of),
            activities: c.activities,
            participants: c.participants,
        };
        pb::Activities {
            reflects,
            by_zone: self.by_zone.into_iter().map(count).collect(),
            by_ngo: self.by_ngo.into_iter().map(count).collect(),
            activities: self
                .activities
                .into_iter()
                .map(|a| pb::Activity {
                    activity_id: a.activity_id,
                    zone: named(a.zone),
                    ngo: named(a.ngo),
                    member: named(a.member),
                    title: a.title,
                    participants: a.participants,
                    held_on: Some(date(a.held_on)),
                    reported_on: Some(date(a.reported_on)),
                })
                .collect(),
        }
    }
}

fn late_item(i: LateItem) -> pb::LateItem {
    pb::LateItem {
        id: i.id,
        zone: named(i.zone),
        title: i.title,
        approach: approach(i.approach),
        submitter: named(i.submitter),
        member: i.member.and_then(named),
        submitted_on: Some(date(i.submitted_on)),
        days_late: i.days_late,
    }
}

impl Reply for LateItems {
    type Pb = pb::LateItems;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::LateItems {
        pb::LateItems {
            reflects,
            needs_deadline: self.needs_deadline.map(date),
            proposals_deadline: self.proposals_deadline.map(date),
            needs: self.needs.into_iter().map(late_item).collect(),
            proposals: self.proposals.into_iter().map(late_item).collect(),
        }
    }
}

fn zone_budget(b: ZoneBudget) -> pb::ZoneBudget {
    pb::ZoneBudget {
        zone: named(b.zone),
        approved_budget_rials: b.approved_budget_rials,
        infrastructural_budget_rials: b.infrastructural_budget_rials,
        social_budget_rials: b.social_budget_rials,
        households_affected: b.households_affected,
        needs_by_priority: b
            .needs_by_priority
            .into_iter()
            .map(|(priority, needs)| pb::PriorityCount {
                priority: priority.map_or(0, saman_contract::priority_to_pb),
                name: priority.and_then(priority_names),
                needs,
            })
            .collect(),
    }
}

fn priority_names(p: Priority) -> Option<pb::Names> {
    names(Names {
        fa: p.name_fa().to_owned(),
        en: p.name_en().to_owned(),
    })
}

impl Reply for Vec<ZoneBudget> {
    type Pb = pb::ListZoneBudgetsReply;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ListZoneBudgetsReply {
        pb::ListZoneBudgetsReply {
            reflects,
            zones: self.into_iter().map(zone_budget).collect(),
        }
    }
}

impl Reply for Vec<NgoMembers> {
    type Pb = pb::NgoMembersReply;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::NgoMembersReply {
        let ngos = self
            .into_iter()
            .map(|n| pb::NgoMembers {
                ngo: named(n.ngo),
                members: n
                    .members
                    .into_iter()
                    .map(|m| pb::Member {
                        member: m.member,
                        full_name: m.full_name,
                        status: if m.approved {
                            pb::MemberStatus::Approved
                        } else {
                            pb::MemberStatus::Revoked
                        } as i32,
                        since: Some(date(m.since)),
                        first_approved_on: Some(date(m.first_approved_on)),
                        revocation_reason: m.revocation_reason,
                    })
                    .collect(),
            })
            .collect();
        pb::NgoMembersReply { reflects, ngos }
    }
}

impl Reply for Corrections {
    type Pb = pb::Corrections;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::Corrections {
        pb::Corrections {
            reflects,
            corrections: self
                .corrections
                .into_iter()
                .map(|c| pb::ProgressCorrection {
                    proposal_id: c.proposal_id,
                    zone: named(c.zone),
                    title: c.title,
                    agency: named(c.agency),
                    from_percent: c.from_percent,
                    to_percent: c.to_percent,
                    reason: c.reason,
                    as_of: Some(date(c.as_of)),
                    reported_on: Some(date(c.reported_on)),
                })
                .collect(),
            rejections: self
                .rejections
                .into_iter()
                .map(|r| pb::Rejection {
                    proposal_id: r.proposal_id,
                    zone: named(r.zone),
                    title: r.title,
                    agency: named(r.agency),
                    reason: r.reason,
                    submitted_on: Some(date(r.submitted_on)),
                    rejected_on: Some(date(r.rejected_on)),
                })
                .collect(),
        }
    }
}

impl Reply for ZoneSeries {
    type Pb = pb::ZoneSeries;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ZoneSeries {
        pb::ZoneSeries {
            reflects,
            zone: named(self.zone),
            points: self
                .points
                .into_iter()
                .map(|(day, p)| pb::SeriesPoint {
                    day: Some(date(day)),
                    progress: progress(p),
                })
                .collect(),
        }
    }
}

pub fn timeline_entry(e: TimelineEntry) -> pb::TimelineEntry {
    pb::TimelineEntry {
        position: e.position,
        event_id: e.event_id,
        event_type: e.event_type,
        stream_version: e.stream_version,
        actor: e.actor.as_ref().map(saman_contract::actor_to_pb),
        who: e.who,
        occurred_at: Some(timestamp(e.occurred_at)),
        recorded_at: Some(timestamp(e.recorded_at)),
        occurred_on: Some(date(e.occurred_on)),
        what_en: e.what_en,
        what_fa: e.what_fa,
        principal: e.principal.as_ref().map(saman_contract::principal_to_pb),
        attestation: e
            .attestation
            .as_ref()
            .map(saman_contract::attestation_to_pb),
        vouch: e.vouch,
    }
}

impl Reply for TimelinePage {
    type Pb = pb::ZoneTimeline;

    fn reply(self, reflects: Option<pb::Reflects>) -> pb::ZoneTimeline {
        pb::ZoneTimeline {
            reflects,
            entries: self.entries.into_iter().map(timeline_entry).collect(),
            next_page_token: self.next.map(|n| n.to_string()).unwrap_or_default(),
        }
    }
}

pub fn parked_event(p: ParkedEvent) -> pb::ParkedEvent {
    pb::ParkedEvent {
        position: p.position,
        subject: p.subject,
        event_id: p.event_id,
        reason: p.reason,
        parked_at: Some(timestamp(p.parked_at)),
        kind: parked_kind(p.kind) as i32,
    }
}
