//! The zone stream's events: a zone, its needs and their referrals, its social
//! activities.

use std::collections::HashSet;

use saman_contract::PublishedEvent;
use saman_domain::StreamId;
use saman_domain::event::{
    AsText, Goal, NeedDeclared, NeedReferred, ReferralAnswered, SocialActivityReported,
    ZoneRegistered,
};
use saman_domain::values::{Names, ZoneCode};

use super::applier::{Applied, Applier, Meta, Refused, in_zone, own_stream};
use super::lookup::{NeedRef, insert_new};
use crate::readmodel::facts::{ActivityRow, Answer, GoalRow, NeedRow, ReferralRow, ZoneRow};
use crate::readmodel::sentences;

impl Applier {
    /// An event of a zone's stream.
    pub(super) fn zone_stream(&mut self, meta: &Meta<'_>, event: &PublishedEvent) -> Applied {
        use PublishedEvent as E;
        match event {
            E::ZoneRegistered(ZoneRegistered { code, name, goals }) => {
                self.zone_registered(meta, code, name, goals)
            }
            E::NeedDeclared(e) => self.need_declared(meta, e),
            E::NeedReferred(e) => self.need_referred(meta, e),
            E::ReferralAnswered(ReferralAnswered {
                referral: referral_id,
                zone,
                agency,
                accepted,
                answer,
            }) => {
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
                    Some(r) if r.answer().is_some() => {
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
                    r.set_answer(Answer {
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
            E::SocialActivityReported(SocialActivityReported {
                activity,
                zone,
                ngo,
                member,
                title,
                participants,
                held_on,
                ..
            }) => {
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

    fn need_declared(&mut self, meta: &Meta<'_>, e: &NeedDeclared<AsText>) -> Applied {
        self.zone_event(meta, &e.zone)?;
        let need = NeedRef {
            zone: e.zone.to_string(),
            title: e.title.to_string(),
        };
        insert_new(&mut self.known.needs, &e.need, need, || {
            format!("need {} is already declared", e.need)
        })?;
        self.changes.needs.push(NeedRow {
            need_id: e.need.clone(),
            zone: e.zone.to_string(),
            ngo: e.ngo.to_string(),
            member: e.member.to_string(),
            approach: e.approach,
            title: e.title.to_string(),
            households: e.households_affected.get(),
            late: e.late,
            declared_at_us: meta.occurred_at_us,
            declared_day: meta.day,
            stream_version: meta.published.version,
            priority: Some(e.priority),
        });
        let what = sentences::need_declared(
            &meta.who,
            &e.title,
            e.approach,
            e.households_affected.get(),
            e.late,
        );
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn need_referred(&mut self, meta: &Meta<'_>, e: &NeedReferred<AsText>) -> Applied {
        self.zone_event(meta, &e.zone)?;
        let title = self.need_in_zone(&e.need, &e.zone)?.title.clone();
        let referral = ReferralRow {
            referral_id: e.referral.clone(),
            zone: e.zone.to_string(),
            need_id: e.need.clone(),
            agency: e.agency.to_string(),
            ngo: e.ngo.to_string(),
            member: e.member.to_string(),
            referred_at_us: meta.occurred_at_us,
            referred_day: meta.day,
            answered_at_us: None,
            answered_day: None,
            accepted: None,
        };
        insert_new(&mut self.known.referrals, &e.referral, referral, || {
            format!("referral {} already exists", e.referral)
        })?;
        self.changes.referrals.insert(e.referral.clone());
        let what = sentences::need_referred(&meta.who, &e.agency, &title, &self.known.names);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn zone_registered(
        &mut self,
        meta: &Meta<'_>,
        code: &ZoneCode,
        name: &Names,
        goals: &[Goal],
    ) -> Applied {
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
        let found = self.known.needs.get(need_id);
        in_zone(found, "need", need_id, zone, "declared", |n| &n.zone)
    }
}
