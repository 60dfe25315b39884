//! The zone stream's events (a zone, its needs and their referrals, its social
//! activities) and the tables they write.

use std::collections::HashSet;

use saman_contract::PublishedEvent;
use saman_domain::StreamId;
use saman_domain::event::Goal;
use saman_domain::values::{Names, ZoneCode};

use super::applier::{Applier, Changes, Meta, Refused, own_stream};
use super::lookup::{Known, NeedRef};
use crate::readmodel::ReadModelError;
use crate::readmodel::facts::{
    ActivityRow, Answer, GoalRow, NeedRow, ReferralRow, TimelineRow, ZoneRow, approach_str, to_i64,
};
use crate::readmodel::sentences;
use crate::readmodel::sql::{Param, Session, Table};

impl Applier {
    /// An event of a zone's stream.
    pub(super) fn zone_stream(
        &mut self,
        meta: &Meta<'_>,
        event: &PublishedEvent,
    ) -> Result<(), Refused> {
        use PublishedEvent as E;
        match event {
            E::ZoneRegistered { code, name, goals } => {
                self.zone_registered(meta, code, name, goals)
            }
            E::NeedDeclared {
                need,
                zone,
                ngo,
                member,
                approach,
                title,
                households_affected,
                late,
                ..
            } => {
                self.zone_event(meta, zone)?;
                if self.known.needs.contains_key(need) {
                    return Err(format!("need {need} is already declared"));
                }
                self.known.needs.insert(
                    need.clone(),
                    NeedRef {
                        zone: zone.to_string(),
                        title: title.to_string(),
                    },
                );
                self.changes.needs.push(NeedRow {
                    need_id: need.clone(),
                    zone: zone.to_string(),
                    ngo: ngo.to_string(),
                    member: member.to_string(),
                    approach: *approach,
                    title: title.to_string(),
                    households: households_affected.get(),
                    late: *late,
                    declared_at_us: meta.occurred_at_us,
                    declared_day: meta.day,
                    stream_version: meta.published.version,
                });
                let what = sentences::need_declared(
                    &meta.who,
                    title,
                    *approach,
                    households_affected.get(),
                    *late,
                );
                self.timeline(meta, zone, what);
                Ok(())
            }
            E::NeedReferred {
                referral,
                zone,
                need,
                agency,
                ngo,
                member,
                ..
            } => {
                self.zone_event(meta, zone)?;
                let title = self.need_in_zone(need, zone)?.title.clone();
                if self.known.referrals.contains_key(referral) {
                    return Err(format!("referral {referral} already exists"));
                }
                self.known.referrals.insert(
                    referral.clone(),
                    ReferralRow {
                        referral_id: referral.clone(),
                        zone: zone.to_string(),
                        need_id: need.clone(),
                        agency: agency.to_string(),
                        ngo: ngo.to_string(),
                        member: member.to_string(),
                        referred_at_us: meta.occurred_at_us,
                        referred_day: meta.day,
                        answer: None,
                    },
                );
                self.changes.referrals.insert(referral.clone());
                let what = sentences::need_referred(&meta.who, agency, &title);
                self.timeline(meta, zone, what);
                Ok(())
            }
            E::ReferralAnswered {
                referral: referral_id,
                zone,
                agency,
                accepted,
                answer,
            } => {
                self.zone_event(meta, zone)?;
                let referral = match self.known.referrals.get(referral_id) {
                    Some(r) if r.zone != zone.as_str() => {
                        return Err(format!(
                            "referral {referral_id} belongs to zone {}, not {zone}",
                            r.zone
                        ));
                    }
                    Some(r) if r.agency != agency.as_str() => {
                        return Err(format!(
                            "referral {referral_id} was made to agency {}, not {agency}",
                            r.agency
                        ));
                    }
                    Some(r) if r.answer.is_some() => {
                        return Err(format!("referral {referral_id} is already answered"));
                    }
                    Some(r) => r,
                    None => return Err(format!("referral {referral_id} does not exist")),
                };
                let title = self
                    .known
                    .needs
                    .get(&referral.need_id)
                    .map_or_else(|| referral.need_id.clone(), |n| n.title.clone());
                if let Some(r) = self.known.referrals.get_mut(referral_id) {
                    r.answer = Some(Answer {
                        at_us: meta.occurred_at_us,
                        day: meta.day,
                        accepted: *accepted,
                    });
                }
                self.changes.referrals.insert(referral_id.clone());
                let what = sentences::referral_answered(&meta.who, *accepted, answer, &title);
                self.timeline(meta, zone, what);
                Ok(())
            }
            E::SocialActivityReported {
                activity,
                zone,
                ngo,
                member,
                title,
                participants,
                held_on,
                ..
            } => {
                self.zone_event(meta, zone)?;
                self.changes
                    .activities
                    .entry(activity.clone())
                    .or_insert_with(|| ActivityRow {
                        activity_id: activity.clone(),
                        zone: zone.to_string(),
                        ngo: ngo.to_string(),
                        member: member.to_string(),
                        title: title.to_string(),
                        participants: participants.get(),
                        held_on: *held_on,
                        reported_day: meta.day,
                    });
                let what =
                    sentences::activity_reported(&meta.who, title, participants.get(), *held_on);
                self.timeline(meta, zone, what);
                Ok(())
            }
            _ => unreachable!("zone_stream of another stream's event"),
        }
    }

    fn zone_registered(
        &mut self,
        meta: &Meta<'_>,
        code: &ZoneCode,
        name: &Names,
        goals: &[Goal],
    ) -> Result<(), Refused> {
        own_stream(meta, StreamId::Zone(code.clone()))?;
        if self.known.zones.contains(code.as_str()) {
            return Err(format!("zone {code} is already registered"));
        }
        let mut rows = Vec::with_capacity(goals.len());
        let mut codes = HashSet::new();
        for (ordinal, goal) in goals.iter().enumerate() {
            if !codes.insert(goal.code.as_str()) {
                return Err(format!("goal {} appears twice", goal.code));
            }
            rows.push(GoalRow {
                zone: code.to_string(),
                code: goal.code.to_string(),
                ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
                approach: goal.approach,
                title_fa: goal.title.fa.to_string(),
                title_en: goal.title.en.to_string(),
                weight: u32::from(goal.weight.get()),
            });
        }
        self.known.zones.insert(code.to_string());
        self.changes.zones.push(ZoneRow {
            code: code.to_string(),
            name_fa: name.fa.to_string(),
            name_en: name.en.to_string(),
            registered_at_us: meta.occurred_at_us,
            registered_day: meta.day,
        });
        self.changes.goals.extend(rows);
        let what = sentences::zone_registered(&meta.who, code, name, goals.len());
        self.timeline(meta, code, what);
        Ok(())
    }

    pub(super) fn need_in_zone(&self, need_id: &str, zone: &ZoneCode) -> Result<&NeedRef, Refused> {
        match self.known.needs.get(need_id) {
            Some(need) if need.zone == zone.as_str() => Ok(need),
            Some(need) => Err(format!(
                "need {need_id} belongs to zone {}, not {zone}",
                need.zone
            )),
            None => Err(format!("need {need_id} is not declared")),
        }
    }
}

/// Writes the zones, goals, needs, referrals, activities and timeline entries of a batch.
pub(super) async fn write(
    db: &mut impl Session,
    g: i64,
    c: &Changes,
    known: &Known,
) -> Result<(), ReadModelError> {
    db.insert(g, &c.zones.iter().collect::<Vec<_>>(), "")
        .await?;
    db.insert(g, &c.goals.iter().collect::<Vec<_>>(), "")
        .await?;
    db.insert(g, &c.needs.iter().collect::<Vec<_>>(), "")
        .await?;
    let referrals: Vec<&ReferralRow> = c
        .referrals
        .iter()
        .filter_map(|id| known.referrals.get(id))
        .collect();
    db.insert(g, &referrals, "").await?;
    db.insert(g, &c.activities.values().collect::<Vec<_>>(), "")
        .await?;
    db.insert(g, &c.timeline.iter().collect::<Vec<_>>(), "")
        .await?;
    Ok(())
}

impl Table for ZoneRow {
    const INSERT: &'static str =
        "zones (generation, code, name_fa, name_en, registered_at_us, registered_day)";
    const ON_CONFLICT: &'static str = "";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.code.as_str().into(),
            self.name_fa.as_str().into(),
            self.name_en.as_str().into(),
            self.registered_at_us.into(),
            self.registered_day.iso().into(),
        ])
    }
}

impl Table for GoalRow {
    const INSERT: &'static str =
        "goals (generation, zone, code, ordinal, approach, title_fa, title_en, weight)";
    const ON_CONFLICT: &'static str = "";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.zone.as_str().into(),
            self.code.as_str().into(),
            self.ordinal.into(),
            approach_str(self.approach).into(),
            self.title_fa.as_str().into(),
            self.title_en.as_str().into(),
            self.weight.into(),
        ])
    }
}

impl Table for NeedRow {
    const INSERT: &'static str = "needs (generation, need_id, zone, ngo, member, approach, \
         title, households, late, declared_at_us, declared_day, stream_version)";
    const ON_CONFLICT: &'static str = "";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.need_id.as_str().into(),
            self.zone.as_str().into(),
            self.ngo.as_str().into(),
            self.member.as_str().into(),
            approach_str(self.approach).into(),
            self.title.as_str().into(),
            self.households.into(),
            self.late.into(),
            self.declared_at_us.into(),
            self.declared_day.iso().into(),
            to_i64(self.stream_version, "stream version")?.into(),
        ])
    }
}

impl Table for ReferralRow {
    const INSERT: &'static str = "referrals (generation, referral_id, zone, need_id, agency, \
         ngo, member, referred_at_us, referred_day, answered_at_us, answered_day, accepted)";
    const ON_CONFLICT: &'static str = " ON CONFLICT (generation, referral_id) DO UPDATE SET \
         answered_at_us = excluded.answered_at_us, \
         answered_day = excluded.answered_day, accepted = excluded.accepted";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        let answer: Option<&Answer> = self.answer.as_ref();
        Ok(vec![
            self.referral_id.as_str().into(),
            self.zone.as_str().into(),
            self.need_id.as_str().into(),
            self.agency.as_str().into(),
            self.ngo.as_str().into(),
            self.member.as_str().into(),
            self.referred_at_us.into(),
            self.referred_day.iso().into(),
            answer.map(|a| a.at_us).into(),
            answer.map(|a| a.day.iso()).into(),
            answer.map(|a| a.accepted).into(),
        ])
    }
}

impl Table for ActivityRow {
    const INSERT: &'static str = "activities (generation, activity_id, zone, ngo, member, \
         title, participants, held_on, reported_day)";
    const ON_CONFLICT: &'static str = " ON CONFLICT (generation, activity_id) DO NOTHING";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.activity_id.as_str().into(),
            self.zone.as_str().into(),
            self.ngo.as_str().into(),
            self.member.as_str().into(),
            self.title.as_str().into(),
            self.participants.into(),
            self.held_on.iso().into(),
            self.reported_day.iso().into(),
        ])
    }
}

impl Table for TimelineRow {
    const INSERT: &'static str = "timeline (generation, zone, position, event_id, event_type, \
         stream_version, actor_kind, actor_org, actor_user, who, occurred_at_us, \
         recorded_at_us, occurred_day, what_en, what_fa)";
    const ON_CONFLICT: &'static str = "";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.zone.as_str().into(),
            to_i64(self.position, "position")?.into(),
            self.event_id.as_str().into(),
            self.event_type.as_str().into(),
            to_i64(self.stream_version, "stream version")?.into(),
            self.actor.kind.as_str().into(),
            self.actor.org.as_str().into(),
            self.actor.user.as_str().into(),
            self.who.as_str().into(),
            self.occurred_at_us.into(),
            self.recorded_at_us.into(),
            self.occurred_day.iso().into(),
            self.what_en.as_str().into(),
            self.what_fa.as_str().into(),
        ])
    }
}
