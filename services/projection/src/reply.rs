//! The `saman.projection.v1` replies, built at the edge from the read models' plain
//! results ((`readmodel::queries`)): days in both calendars, names, enums and
//! instants in their protobuf form, and what the reply reflects.

use jiff::Timestamp;
use saman_domain::Day;
use saman_domain::progress::TrackStatus;
use saman_domain::values::Approach;
use saman_proto::projection::v1 as pb;

use crate::readmodel::{
    AgencyCooperation, Compliance, Count, GoalProgress, Names, NeedCounts, NeedSummary,
    OverdueProject, ParkKind, ParkedEvent, ProgrammeSummary, Progress, Project, ProposalCounts,
    Submitter, TimelineEntry, TimelinePage, ZoneProgress, ZoneSummary,
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
