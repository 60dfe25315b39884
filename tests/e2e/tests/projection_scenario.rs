//! The 1397 programme replayed end to end: a scripted scenario goes through intake's
//! gRPC API (real intake, real nats-server, real databases), and the projection's
//! query API must answer what was worked out BY HAND from the documented rules.
//!
//! Every expected figure below is a literal, with its arithmetic in a comment; none
//! is computed by code under test. Day counts in 1397 (not a leap year: months 1-6
//! have 31 days, 7-11 have 30, Esfand 29) use the day of the year: 1397-01-31 is day
//! 31, 1397-02-01 day 32, 1397-06-31 day 186, 1397-12-29 day 365.
//!
//! The programme's dates: needs and proposals deadline 1397-01-31 (2018-04-20; late =
//! after 2018-04-20T23:59:59+04:30, Iran kept DST in 1397), operational start
//! 1397-02-01, goal date 1397-12-29. Expected progress as of D: 0 before the
//! operational start, 100 x days(op start -> D) / days(op start -> goal) between:
//! days(1397-02-01 -> 1397-12-29) = 365 - 32 = 333.
//!
//! The scenario (day = the Tehran day of the submission's `occurred_at`):
//!
//! | key | zone | what | approach | by | day | late |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | N9  | 03 | need "Housing repairs"    | infra  | ngo-06 | 01-05 | |
//! | N10 | 03 | need "Health outreach"    | social | ngo-07 | 01-06 | |
//! | N1  | 01 | need "Water network"      | infra  | ngo-01 | 01-10 | |
//! | N6  | 02 | need "Drainage channel"   | infra  | ngo-04 | 01-18 | |
//! | N7  | 02 | need "Skills workshop"    | social | ngo-05 | 01-19 | |
//! | N2  | 01 | need "Road paving"        | infra  | ngo-02 | 01-20 | |
//! | N3  | 01 | need "کلاس سوادآموزی"     | social | ngo-01 | 01-25 | |
//! | N12 | 05 | need "Playground"         | social | ngo-09 | 01-31 (23:30 +04:30) | |
//! | N11 | 04 | need "Street lights"      | infra  | ngo-08 | 02-01 (00:10 +04:30) | late |
//! | N4  | 01 | need "Youth sports"       | social | ngo-03 | 02-05 | late |
//! | N8  | 02 | need "Kindergarten"       | social | ngo-04 | 02-20 | late |
//! | N5  | 01 | need "Street lighting"    | infra  | ngo-02 | 03-10 | late |
//!
//! N11 was declared at 2018-04-21T00:10+04:30 = 2018-04-20T19:40Z: 1397-01-31 in UTC
//! or at a fixed +03:30, but 1397-02-01 in Tehran (DST): it counts from 1397-02-01.
//!
//! Referrals (days to answer = answer day - referral day):
//!
//! | key | zone | need | agency | referred | answered | days | accepted |
//! | --- | --- | --- | --- | --- | --- | --- | --- |
//! | R1 | 01 | N1 | water     | 01-12 | 01-15 | 3  | yes |
//! | R5 | 02 | N6 | water     | 01-20 | 01-27 | 7  | yes |
//! | R2 | 01 | N2 | roads     | 01-22 | 02-10 | 19 (9 + 10) | no |
//! | R3 | 01 | N3 | welfare   | 01-26 | never | | |
//! | R7 | 03 | N9 | education | 01-28 | never | | |
//! | R4 | 01 | N4 | education | 02-06 | 02-16 | 10 | yes |
//! | R6 | 02 | N8 | water     | 03-01 | 03-21 | 20 | no |
//!
//! Proposals (budget in millions of rials):
//!
//! | key | zone | agency | needs | approach | submitted | late | decided | budget |
//! | --- | --- | --- | --- | --- | --- | --- | --- | --- |
//! | P9 | 03 | education | N10    | social | 01-15 | | approved 01-16 | 400 |
//! | P1 | 01 | water     | N1     | infra  | 01-20 | | approved 01-28 | 5000 |
//! | P2 | 01 | roads     | N2     | infra  | 01-25 | | rejected 01-29 | 1000 |
//! | P6 | 02 | water     | N6     | infra  | 01-30 | | approved 01-31 | 2000 |
//! | P7 | 02 | welfare   | N7     | social | 01-31 (23:45 +04:30) | | approved 02-02 | 600 |
//! | P3 | 01 | welfare   | N3     | social | 02-10 | late | approved 02-15 | 800 |
//! | P8 | 02 | education | N8     | social | 03-05 | late | rejected 03-10 | 500 |
//! | P4 | 01 | roads     | N2, N5 | infra  | 03-15 | late | approved 03-20 | 3000 |
//! | P5 | 01 | education | N4     | social | 07-01 | late | pending | 700 |
//!
//! Progress reports (as_of: percent; recorded on their as_of day unless noted):
//! - P1: 02-31 10, 03-31 20, 04-31 35, 05-31 50, 06-31 60, 07-30 70, 08-30 80;
//!   completed 10-15 (a report of 100 as of 10-15, then ProjectCompleted);
//! - P4: 04-31 10, 06-31 30, then recorded on 07-05 a correction as of 06-31: 24
//!   ("the paved length was re-measured"); 09-30 50, 12-29 70;
//! - P3: 03-31 20, 06-31 40, 09-30 70, 12-29 90;
//! - P6: 03-31 25, 06-31 50, 09-30 75, 12-29 80;
//! - P7: 06-31 30, 12-29 60;
//! - P9: 01-31 10, 06-31 80; completed 11-30.
//!
//! Goals: zone-01 infra weight 2 + social weight 1; zone-02 infra 1 + social 3;
//! zone-03 two infra goals of weight 1 and a social goal of weight 2; zones 04-10
//! infra 2 + social 1 (they have no projects: 0 whatever the weights).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use saman_e2e::Channel;
use saman_e2e::*;
use saman_proto::events::v1 as events;
use saman_proto::intake::v1 as pb;
use saman_proto::intake::v1::intake_client::IntakeClient;
use saman_proto::projection::v1 as query;
use saman_proto::projection::v1::TrackStatus;
use saman_proto::projection::v1::projection_client::ProjectionClient;

on_both_backends! {
    the_1397_programme_replayed_gives_the_figures_worked_out_by_hand => scenario;
}

const INFRA: events::Approach = events::Approach::Infrastructural;
const SOCIAL: events::Approach = events::Approach::Social;

const FARVARDIN_31: &str = "1397-01-31";
const SHAHRIVAR_31: &str = "1397-06-31";
const ESFAND_29: &str = "1397-12-29";

/// Solar Hijri day -> ISO day, for every day a zone-01 event happened on (checked
/// against a calendar table: 1 Farvardin 1397 = 2018-03-21).
const ISO_DAYS: &[(&str, &str)] = &[
    ("1396-12-26", "2018-03-17"),
    ("1397-01-10", "2018-03-30"),
    ("1397-01-12", "2018-04-01"),
    ("1397-01-15", "2018-04-04"),
    ("1397-01-20", "2018-04-09"),
    ("1397-01-22", "2018-04-11"),
    ("1397-01-25", "2018-04-14"),
    ("1397-01-26", "2018-04-15"),
    ("1397-01-28", "2018-04-17"),
    ("1397-01-29", "2018-04-18"),
    ("1397-02-05", "2018-04-25"),
    ("1397-02-06", "2018-04-26"),
    ("1397-02-10", "2018-04-30"),
    ("1397-02-15", "2018-05-05"),
    ("1397-02-16", "2018-05-06"),
    ("1397-02-31", "2018-05-21"),
    ("1397-03-10", "2018-05-31"),
    ("1397-03-15", "2018-06-05"),
    ("1397-03-20", "2018-06-10"),
    ("1397-03-31", "2018-06-21"),
    ("1397-04-10", "2018-07-01"),
    ("1397-04-31", "2018-07-22"),
    ("1397-05-31", "2018-08-22"),
    ("1397-06-31", "2018-09-22"),
    ("1397-07-01", "2018-09-23"),
    ("1397-07-05", "2018-09-27"),
    ("1397-07-30", "2018-10-22"),
    ("1397-08-30", "2018-11-21"),
    ("1397-09-30", "2018-12-21"),
    ("1397-10-15", "2019-01-05"),
    ("1397-12-29", "2019-03-20"),
];

/// When a submission happened: the `occurred_at` sent and its day in Tehran.
#[derive(Debug, Clone, Copy)]
struct At {
    instant: &'static str,
    day: &'static str,
}

/// Noon of `day` in Tehran (what intake takes a bare day to mean).
fn on(day: &'static str) -> At {
    At { instant: day, day }
}

/// Writes the scenario through intake, remembering ids and days.
struct Script {
    intake: IntakeClient<Channel>,
    writes: Writes,
    /// Scenario key (N1, R1, P1 ...) -> the id intake gave it.
    ids: HashMap<&'static str, String>,
    /// Event id -> the Tehran day it occurred on, for every zone event.
    days: HashMap<String, &'static str>,
    /// Zone stream -> its event ids in the order intake recorded them.
    zone_events: BTreeMap<String, Vec<String>>,
}

impl Script {
    fn record(&mut self, reply: &pb::SubmissionReply, day: &'static str) {
        self.writes.record(reply);
        if reply.stream_id.starts_with("zone.") {
            for event in &reply.events {
                self.days.insert(event.event_id.clone(), day);
                self.zone_events
                    .entry(reply.stream_id.clone())
                    .or_default()
                    .push(event.event_id.clone());
            }
        }
    }

    fn id(&self, key: &str) -> String {
        self.ids
            .get(key)
            .unwrap_or_else(|| panic!("{key} was not submitted"))
            .clone()
    }

    async fn setup(&mut self) -> anyhow::Result<()> {
        let setup = "1396-12-26";
        let reply = self
            .intake
            .set_programme_dates(pb::SetProgrammeDatesRequest {
                submission: submission(office(), setup),
                ..programme_dates()
            })
            .await?
            .into_inner();
        self.record(&reply, setup);
        for z in 1..=10u32 {
            let goals = match z {
                1 => vec![goal_of("infra", INFRA, 2), goal_of("social", SOCIAL, 1)],
                2 => vec![goal_of("infra", INFRA, 1), goal_of("social", SOCIAL, 3)],
                3 => vec![
                    goal_of("housing", INFRA, 1),
                    goal_of("sewage", INFRA, 1),
                    goal_of("health", SOCIAL, 2),
                ],
                _ => vec![goal_of("infra", INFRA, 2), goal_of("social", SOCIAL, 1)],
            };
            let reply = self
                .intake
                .register_zone(pb::RegisterZoneRequest {
                    submission: submission(office(), setup),
                    code: format!("zone-{z:02}"),
                    name_fa: format!("منطقه {}", persian_digits(z)),
                    name_en: format!("Zone {z:02}"),
                    goals,
                })
                .await?
                .into_inner();
            self.record(&reply, setup);
        }
        // 10 Ministry-approved NGOs with 10 approved members each: 100 members.
        for n in 1..=10u32 {
            let ngo = format!("ngo-{n:02}");
            let reply = self
                .intake
                .record_approved_ngo(pb::RecordApprovedNgoRequest {
                    submission: submission(office(), setup),
                    code: ngo.clone(),
                    name_fa: format!("سمن نمونه {}", persian_digits(n)),
                    name_en: format!("Sample NGO {n:02} (fictional)"),
                    ministry_approval_ref: format!("MOI-1396-{n:03}"),
                })
                .await?
                .into_inner();
            self.record(&reply, setup);
            for m in 1..=10u32 {
                let reply = self
                    .intake
                    .approve_ngo_member(pb::ApproveNgoMemberRequest {
                        submission: submission(office(), setup),
                        ngo: ngo.clone(),
                        member: format!("m-{m:02}"),
                        full_name: format!("Member {m:02} of NGO {n:02} (fictional)"),
                    })
                    .await?
                    .into_inner();
                self.record(&reply, setup);
            }
        }
        for (code, fa, en) in [
            ("water", "دستگاه آب (نمونه)", "Water agency (fictional)"),
            ("roads", "دستگاه راه (نمونه)", "Roads agency (fictional)"),
            (
                "welfare",
                "دستگاه بهزیستی (نمونه)",
                "Welfare agency (fictional)",
            ),
            (
                "education",
                "دستگاه آموزش (نمونه)",
                "Education agency (fictional)",
            ),
        ] {
            let reply = self
                .intake
                .register_agency(pb::RegisterAgencyRequest {
                    submission: submission(office(), setup),
                    code: code.into(),
                    name_fa: fa.into(),
                    name_en: en.into(),
                })
                .await?
                .into_inner();
            self.record(&reply, setup);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn need(
        &mut self,
        key: &'static str,
        zone: &str,
        (ngo, who): (&str, &str),
        approach: events::Approach,
        title: &str,
        households: u32,
        at: At,
        late: bool,
    ) -> anyhow::Result<()> {
        let reply = self
            .intake
            .declare_need(pb::DeclareNeedRequest {
                submission: submission(member(ngo, who), at.instant),
                zone: zone.into(),
                approach: approach as i32,
                title: title.into(),
                description: format!("{key} of the 1397 scenario"),
                households_affected: households,
                priority: events::Priority::High as i32,
            })
            .await?
            .into_inner();
        assert_eq!(reply.late, late, "intake's late flag of {key}");
        self.ids.insert(key, reply.entity_id.clone());
        self.record(&reply, at.day);
        Ok(())
    }

    async fn refer(
        &mut self,
        key: &'static str,
        zone: &str,
        need: &str,
        agency: &str,
        (ngo, who): (&str, &str),
        at: At,
    ) -> anyhow::Result<()> {
        let reply = self
            .intake
            .refer_need(pb::ReferNeedRequest {
                submission: submission(member(ngo, who), at.instant),
                zone: zone.into(),
                need_id: self.id(need),
                agency: agency.into(),
                note: key.to_string(),
            })
            .await?
            .into_inner();
        self.ids.insert(key, reply.entity_id.clone());
        self.record(&reply, at.day);
        Ok(())
    }

    async fn answer(
        &mut self,
        zone: &str,
        referral: &str,
        agency: &str,
        accepted: bool,
        at: At,
    ) -> anyhow::Result<()> {
        let reply = self
            .intake
            .answer_referral(pb::AnswerReferralRequest {
                submission: submission(officer(agency), at.instant),
                zone: zone.into(),
                referral_id: self.id(referral),
                accepted,
                answer: if accepted {
                    "we take it up".into()
                } else {
                    "not in this year's budget".into()
                },
            })
            .await?
            .into_inner();
        self.record(&reply, at.day);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn propose(
        &mut self,
        key: &'static str,
        zone: &str,
        agency: &str,
        needs: &[&str],
        approach: events::Approach,
        title: &str,
        budget_rials: u64,
        at: At,
        late: bool,
    ) -> anyhow::Result<()> {
        let reply = self
            .intake
            .submit_proposal(pb::SubmitProposalRequest {
                submission: submission(officer(agency), at.instant),
                zone: zone.into(),
                need_ids: needs.iter().map(|n| self.id(n)).collect(),
                approach: approach as i32,
                title: title.into(),
                budget_rials,
                planned_start: "1397-02-01".into(),
                planned_end: "1397-12-29".into(),
            })
            .await?
            .into_inner();
        assert_eq!(reply.late, late, "intake's late flag of {key}");
        self.ids.insert(key, reply.entity_id.clone());
        self.record(&reply, at.day);
        Ok(())
    }

    async fn decide(
        &mut self,
        zone: &str,
        proposal: &str,
        approve: bool,
        at: At,
    ) -> anyhow::Result<()> {
        let (decision, reason) = if approve {
            (pb::Decision::Approve, "")
        } else {
            (pb::Decision::Reject, "the costs are not justified")
        };
        let reply = self
            .intake
            .decide_proposal(pb::DecideProposalRequest {
                submission: submission(supervisor(), at.instant),
                zone: zone.into(),
                proposal_id: self.id(proposal),
                decision: decision as i32,
                reason: reason.into(),
            })
            .await?
            .into_inner();
        self.record(&reply, at.day);
        Ok(())
    }

    /// A progress report as of `as_of`, recorded on that day.
    async fn progress(
        &mut self,
        zone: &str,
        proposal: &str,
        agency: &str,
        percent: u32,
        as_of: &'static str,
    ) -> anyhow::Result<()> {
        self.report(zone, proposal, agency, percent, as_of, on(as_of), "")
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn report(
        &mut self,
        zone: &str,
        proposal: &str,
        agency: &str,
        percent: u32,
        as_of: &str,
        at: At,
        correction: &str,
    ) -> anyhow::Result<()> {
        let reply = self
            .intake
            .report_progress(pb::ReportProgressRequest {
                submission: submission(officer(agency), at.instant),
                zone: zone.into(),
                proposal_id: self.id(proposal),
                percent,
                note: format!("{proposal} at {percent}%"),
                as_of: as_of.into(),
                correction: correction.into(),
            })
            .await?
            .into_inner();
        self.record(&reply, at.day);
        Ok(())
    }

    async fn complete(
        &mut self,
        zone: &str,
        proposal: &str,
        agency: &str,
        day: &'static str,
    ) -> anyhow::Result<()> {
        let reply = self
            .intake
            .complete_project(pb::CompleteProjectRequest {
                submission: submission(officer(agency), day),
                zone: zone.into(),
                proposal_id: self.id(proposal),
                completed_on: day.into(),
                note: "handed over".into(),
            })
            .await?
            .into_inner();
        self.record(&reply, day);
        Ok(())
    }

    async fn activity(
        &mut self,
        zone: &str,
        (ngo, who): (&str, &str),
        title: &str,
        day: &'static str,
    ) -> anyhow::Result<()> {
        let reply = self
            .intake
            .report_social_activity(pb::ReportSocialActivityRequest {
                submission: submission(member(ngo, who), day),
                zone: zone.into(),
                title: title.into(),
                description: "".into(),
                participants: 80,
                held_on: day.into(),
            })
            .await?
            .into_inner();
        self.record(&reply, day);
        Ok(())
    }

    /// The whole scenario, in the order things happened (one call a line).
    #[rustfmt::skip]
    async fn play(&mut self) -> anyhow::Result<()> {
        let (z1, z2, z3, z4, z5) = ("zone-01", "zone-02", "zone-03", "zone-04", "zone-05");
        self.setup().await?;

        // ---- Farvardin 1397: before the deadline ----
        self.need("N9", z3, ("ngo-06", "m-01"), INFRA, "Housing repairs", 30, on("1397-01-05"), false).await?;
        self.need("N10", z3, ("ngo-07", "m-01"), SOCIAL, "Health outreach", 50, on("1397-01-06"), false).await?;
        self.need("N1", z1, ("ngo-01", "m-01"), INFRA, "Water network", 40, on("1397-01-10"), false).await?;
        self.refer("R1", z1, "N1", "water", ("ngo-01", "m-01"), on("1397-01-12")).await?;
        self.answer(z1, "R1", "water", true, on("1397-01-15")).await?;
        self.propose("P9", z3, "education", &["N10"], SOCIAL, "Health education classes", 400_000_000, on("1397-01-15"), false).await?;
        self.decide(z3, "P9", true, on("1397-01-16")).await?;
        self.need("N6", z2, ("ngo-04", "m-05"), INFRA, "Drainage channel", 25, on("1397-01-18"), false).await?;
        self.need("N7", z2, ("ngo-05", "m-02"), SOCIAL, "Skills workshop", 20, on("1397-01-19"), false).await?;
        self.need("N2", z1, ("ngo-02", "m-01"), INFRA, "Road paving", 60, on("1397-01-20"), false).await?;
        self.refer("R5", z2, "N6", "water", ("ngo-04", "m-05"), on("1397-01-20")).await?;
        self.propose("P1", z1, "water", &["N1"], INFRA, "Water pipes", 5_000_000_000, on("1397-01-20"), false).await?;
        self.refer("R2", z1, "N2", "roads", ("ngo-02", "m-01"), on("1397-01-22")).await?;
        self.need("N3", z1, ("ngo-01", "m-02"), SOCIAL, "کلاس سوادآموزی", 35, on("1397-01-25"), false).await?;
        self.propose("P2", z1, "roads", &["N2"], INFRA, "Road paving, phase 1", 1_000_000_000, on("1397-01-25"), false).await?;
        self.refer("R3", z1, "N3", "welfare", ("ngo-01", "m-02"), on("1397-01-26")).await?;
        self.answer(z2, "R5", "water", true, on("1397-01-27")).await?;
        self.decide(z1, "P1", true, on("1397-01-28")).await?;
        self.refer("R7", z3, "N9", "education", ("ngo-06", "m-01"), on("1397-01-28")).await?;
        self.decide(z1, "P2", false, on("1397-01-29")).await?;
        self.propose("P6", z2, "water", &["N6"], INFRA, "Drainage works", 2_000_000_000, on("1397-01-30"), false).await?;
        self.decide(z2, "P6", true, on("1397-01-31")).await?;
        self.progress(z3, "P9", "education", 10, "1397-01-31").await?;
        // The last half hour of the deadline day (Tehran summer time, +04:30).
        self.need("N12", z5, ("ngo-09", "m-04"), SOCIAL, "Playground", 15,
            At { instant: "2018-04-20T23:30:00+04:30", day: "1397-01-31" }, false).await?;
        self.propose("P7", z2, "welfare", &["N7"], SOCIAL, "Skills workshop for women", 600_000_000,
            At { instant: "2018-04-20T23:45:00+04:30", day: "1397-01-31" }, false).await?;
        // Ten minutes after the deadline, in Tehran.
        self.need("N11", z4, ("ngo-08", "m-10"), INFRA, "Street lights", 45,
            At { instant: "2018-04-21T00:10:00+04:30", day: "1397-02-01" }, true).await?;

        // ---- after the deadline ----
        self.decide(z2, "P7", true, on("1397-02-02")).await?;
        self.need("N4", z1, ("ngo-03", "m-01"), SOCIAL, "Youth sports", 30, on("1397-02-05"), true).await?;
        self.refer("R4", z1, "N4", "education", ("ngo-03", "m-01"), on("1397-02-06")).await?;
        self.answer(z1, "R2", "roads", false, on("1397-02-10")).await?;
        self.propose("P3", z1, "welfare", &["N3"], SOCIAL, "Adult literacy classes", 800_000_000, on("1397-02-10"), true).await?;
        self.decide(z1, "P3", true, on("1397-02-15")).await?;
        self.answer(z1, "R4", "education", true, on("1397-02-16")).await?;
        self.need("N8", z2, ("ngo-04", "m-06"), SOCIAL, "Kindergarten", 18, on("1397-02-20"), true).await?;
        self.progress(z1, "P1", "water", 10, "1397-02-31").await?;
        self.refer("R6", z2, "N8", "water", ("ngo-04", "m-06"), on("1397-03-01")).await?;
        self.propose("P8", z2, "education", &["N8"], SOCIAL, "Kindergarten staff", 500_000_000, on("1397-03-05"), true).await?;
        self.need("N5", z1, ("ngo-02", "m-03"), INFRA, "Street lighting", 55, on("1397-03-10"), true).await?;
        self.decide(z2, "P8", false, on("1397-03-10")).await?;
        self.propose("P4", z1, "roads", &["N2", "N5"], INFRA, "Road paving and lighting", 3_000_000_000, on("1397-03-15"), true).await?;
        self.decide(z1, "P4", true, on("1397-03-20")).await?;
        self.answer(z2, "R6", "water", false, on("1397-03-21")).await?;
        self.progress(z1, "P1", "water", 20, "1397-03-31").await?;
        self.progress(z1, "P3", "welfare", 20, "1397-03-31").await?;
        self.progress(z2, "P6", "water", 25, "1397-03-31").await?;
        self.activity(z1, ("ngo-01", "m-03"), "Neighbourhood clean-up", "1397-04-10").await?;
        self.progress(z1, "P1", "water", 35, "1397-04-31").await?;
        self.progress(z1, "P4", "roads", 10, "1397-04-31").await?;
        self.progress(z1, "P1", "water", 50, "1397-05-31").await?;
        self.progress(z1, "P1", "water", 60, "1397-06-31").await?;
        self.progress(z1, "P4", "roads", 30, "1397-06-31").await?;
        self.progress(z1, "P3", "welfare", 40, "1397-06-31").await?;
        self.progress(z2, "P6", "water", 50, "1397-06-31").await?;
        self.progress(z2, "P7", "welfare", 30, "1397-06-31").await?;
        self.progress(z3, "P9", "education", 80, "1397-06-31").await?;
        self.propose("P5", z1, "education", &["N4"], SOCIAL, "Sports coaching", 700_000_000, on("1397-07-01"), true).await?;
        // Recorded on 1397-07-05, as of 1397-06-31: the same day as the 30% report,
        // recorded later, so it wins as of 1397-06-31.
        self.report(z1, "P4", "roads", 24, "1397-06-31", on("1397-07-05"), "the paved length was re-measured").await?;
        self.progress(z1, "P1", "water", 70, "1397-07-30").await?;
        self.progress(z1, "P1", "water", 80, "1397-08-30").await?;
        self.progress(z1, "P4", "roads", 50, "1397-09-30").await?;
        self.progress(z1, "P3", "welfare", 70, "1397-09-30").await?;
        self.progress(z2, "P6", "water", 75, "1397-09-30").await?;
        self.complete(z1, "P1", "water", "1397-10-15").await?;
        self.complete(z3, "P9", "education", "1397-11-30").await?;
        self.progress(z1, "P4", "roads", 70, "1397-12-29").await?;
        self.progress(z1, "P3", "welfare", 90, "1397-12-29").await?;
        self.progress(z2, "P6", "water", 80, "1397-12-29").await?;
        self.progress(z2, "P7", "welfare", 60, "1397-12-29").await?;
        Ok(())
    }
}

fn goal_of(code: &str, approach: events::Approach, weight: u32) -> pb::GoalInput {
    pb::GoalInput {
        weight,
        ..goal(code, approach)
    }
}

fn persian_digits(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x06F0 + c.to_digit(10).unwrap()).unwrap())
        .collect()
}

// ---- what a zone must answer -----------------------------------------------------------

/// One zone as of one day, written out by hand.
struct ZoneExpect {
    /// total, infrastructural, social, on time, late.
    needs: [u32; 5],
    /// NGO -> needs (the NGOs with at least one).
    needs_by_ngo: &'static [(&'static str, u32)],
    /// total, pending, approved, rejected, infrastructural, social.
    proposals: [u32; 6],
    /// agency -> proposals (the agencies with at least one).
    proposals_by_agency: &'static [(&'static str, u32)],
    /// Scenario keys of the needs no pending or approved proposal answers.
    unanswered: &'static [&'static str],
    /// (proposal key, percent, as of of the report, completed).
    projects: &'static [(&'static str, u32, Option<&'static str>, bool)],
    /// infrastructural, social, overall, expected.
    progress: [f64; 4],
    status: TrackStatus,
    days_left: i32,
    /// (goal code, weight, percent).
    goals: &'static [(&'static str, u32, f64)],
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-6
}

#[track_caller]
fn assert_pct(actual: f64, expected: f64, what: &str) {
    assert!(
        close(actual, expected),
        "{what}: {actual} != {expected} (one decimal)"
    );
}

fn nonzero_counts(counts: &[query::Count]) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = counts
        .iter()
        .filter(|c| c.count > 0)
        .map(|c| (c.key.clone(), c.count))
        .collect();
    v.sort();
    v
}

fn owned(pairs: &[(&str, u32)]) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    v.sort();
    v
}

/// A zone's needs as [`ZoneExpect::needs`] lists them.
fn need_figures(n: &query::NeedCounts) -> [u32; 5] {
    [n.total, n.infrastructural, n.social, n.on_time, n.late]
}

/// A zone's proposals as [`ZoneExpect::proposals`] lists them.
fn proposal_figures(p: &query::ProposalCounts) -> [u32; 6] {
    [
        p.total,
        p.pending,
        p.approved,
        p.rejected,
        p.infrastructural,
        p.social,
    ]
}

/// The programme's counts: zones, needs, proposals, projects, completed projects.
fn summary_counts(s: &query::ProgrammeSummary) -> [u32; 5] {
    [
        s.zones,
        s.needs,
        s.proposals,
        s.projects,
        s.completed_projects,
    ]
}

/// What the projection says of `zone` as of `as_of`.
async fn zone_progress(
    client: &mut ProjectionClient<Channel>,
    script: &Script,
    zone: &str,
    as_of: &str,
) -> anyhow::Result<query::ZoneProgress> {
    Ok(client
        .get_zone_progress(query::GetZoneProgressRequest {
            read: script.writes.read(as_of),
            zone: zone.into(),
        })
        .await?
        .into_inner())
}

/// Checks `zone` as of `as_of` against the figures worked out by hand; every message
/// names the zone and the day.
async fn check_zone(
    client: &mut ProjectionClient<Channel>,
    script: &Script,
    zone: &str,
    as_of: &str,
    want: &ZoneExpect,
) -> anyhow::Result<()> {
    let got = zone_progress(client, script, zone, as_of).await?;
    let at = format!("{zone} as of {as_of}");
    assert_eq!(got.code, zone, "{at}: code");
    assert_eq!(
        got.reflects
            .as_ref()
            .and_then(|r| r.as_of.as_ref())
            .map(|d| d.solar_hijri.as_str()),
        Some(as_of),
        "{at}: reflects.as_of"
    );

    let needs = got.needs.clone().unwrap_or_default();
    assert_eq!(
        need_figures(&needs),
        want.needs,
        "{at}: needs [total, infrastructural, social, on time, late]"
    );
    assert_eq!(
        nonzero_counts(&needs.by_ngo),
        owned(want.needs_by_ngo),
        "{at}: needs by NGO"
    );

    let proposals = got.proposals.clone().unwrap_or_default();
    assert_eq!(
        proposal_figures(&proposals),
        want.proposals,
        "{at}: proposals [total, pending, approved, rejected, infrastructural, social]"
    );
    assert_eq!(
        nonzero_counts(&proposals.by_agency),
        owned(want.proposals_by_agency),
        "{at}: proposals by agency"
    );

    let unanswered: BTreeSet<String> = got
        .unanswered_needs
        .iter()
        .map(|n| n.need_id.clone())
        .collect();
    let expected: BTreeSet<String> = want.unanswered.iter().map(|k| script.id(k)).collect();
    assert_eq!(
        unanswered,
        expected,
        "{at}: unanswered needs (want {:?}), got {:?}",
        want.unanswered,
        got.unanswered_needs
            .iter()
            .map(|n| &n.title)
            .collect::<Vec<_>>()
    );

    let projects: BTreeMap<String, (u32, Option<String>, bool)> = got
        .projects
        .iter()
        .map(|p| {
            (
                p.proposal_id.clone(),
                (
                    p.percent,
                    p.reported_as_of.as_ref().map(|d| d.solar_hijri.clone()),
                    p.completed,
                ),
            )
        })
        .collect();
    let expected: BTreeMap<String, (u32, Option<String>, bool)> = want
        .projects
        .iter()
        .map(|(key, percent, reported, completed)| {
            (
                script.id(key),
                (*percent, reported.map(str::to_owned), *completed),
            )
        })
        .collect();
    assert_eq!(
        projects, expected,
        "{at}: projects (proposal id -> percent, reported as of, completed); want {:?}",
        want.projects
    );

    let progress = got.progress.clone().unwrap_or_default();
    assert_pct(
        progress.infrastructural,
        want.progress[0],
        &format!("{at}: infrastructural"),
    );
    assert_pct(progress.social, want.progress[1], &format!("{at}: social"));
    assert_pct(
        progress.overall,
        want.progress[2],
        &format!("{at}: overall"),
    );
    assert_pct(
        progress.expected,
        want.progress[3],
        &format!("{at}: expected"),
    );
    assert_eq!(
        progress.status,
        want.status as i32,
        "{at}: status (want {:?}, got {:?})",
        want.status,
        TrackStatus::try_from(progress.status)
    );
    assert_eq!(progress.days_left, want.days_left, "{at}: days left");
    assert_day(
        progress.operational_start.as_ref(),
        "1397-02-01",
        "2018-04-21",
        &format!("{at}: operational start"),
    );
    assert_day(
        progress.goal_date.as_ref(),
        "1397-12-29",
        "2019-03-20",
        &format!("{at}: goal date"),
    );

    let goals: Vec<(String, u32, f64)> = got
        .goals
        .iter()
        .map(|g| (g.code.clone(), g.weight, g.percent))
        .collect();
    assert_eq!(goals.len(), want.goals.len(), "{at}: goals {goals:?}");
    for (code, weight, percent) in want.goals {
        let Some((_, w, p)) = goals.iter().find(|(c, _, _)| c == code) else {
            panic!("{at}: goal {code} missing from {goals:?}");
        };
        assert_eq!(w, weight, "{at}: weight of goal {code}");
        assert_pct(*p, *percent, &format!("{at}: goal {code}"));
    }
    Ok(())
}

#[track_caller]
fn assert_day(day: Option<&query::Date>, solar_hijri: &str, iso: &str, what: &str) {
    let day = day.unwrap_or_else(|| panic!("{what}: no date"));
    assert_eq!(day.solar_hijri, solar_hijri, "{what}: Solar Hijri");
    assert_eq!(day.iso, iso, "{what}: ISO");
}

fn approach_name(name: Option<&query::ApproachName>) -> (i32, String, String) {
    let name = name.cloned().unwrap_or_default();
    let names = name.name.unwrap_or_default();
    (name.approach, names.fa, names.en.to_lowercase())
}

// ---- the test ------------------------------------------------------------------------------

async fn scenario(backend: Backend) -> anyhow::Result<()> {
    let system = System::start(backend).await?;
    let mut client = system.projection.client().await?;

    let mut script = Script {
        intake: system.intake.client().await?,
        writes: Writes::default(),
        ids: HashMap::new(),
        days: HashMap::new(),
        zone_events: BTreeMap::new(),
    };
    script.play().await?;

    zones_one_by_one(&mut client, &script).await?;
    zone_01_details(&mut client, &script).await?;
    zones_side_by_side(&mut client, &script).await?;
    summary(&mut client, &script).await?;
    compliance(&mut client, &script).await?;
    cooperation(&mut client, &script).await?;
    timeline(&mut client, &script).await?;
    system.stop().await
}

/// Every zone looked at one by one: (zone, as of, what it must answer), worked out by
/// hand in the comments.
const ZONES: &[(&str, &str, ZoneExpect)] = &[
    // As of 1397-01-31: needs N1, N2, N3 (N4 02-05 and N5 03-10 come later), all on
    // time: 3 = 2 infra (N1, N2) + 1 social (N3); ngo-01 declared N1 and N3, ngo-02 N2.
    // Proposals P1 (approved 01-28) and P2 (rejected 01-29), both infra.
    // Unanswered: N2 (only the rejected P2 names it) and N3 (no proposal).
    // Project P1 without a report: 0. Infra = mean(0) = 0; social: no approved social
    // project = 0; overall 0. Expected 0 (before the operational start 02-01);
    // gap 0 - 0 = 0 <= 10: on track. Days left 365 - 31 = 334.
    (
        "zone-01",
        FARVARDIN_31,
        ZoneExpect {
            needs: [3, 2, 1, 3, 0],
            needs_by_ngo: &[("ngo-01", 2), ("ngo-02", 1)],
            proposals: [2, 0, 1, 1, 2, 0],
            proposals_by_agency: &[("roads", 1), ("water", 1)],
            unanswered: &["N2", "N3"],
            projects: &[("P1", 0, None, false)],
            progress: [0.0, 0.0, 0.0, 0.0],
            status: TrackStatus::OnTrack,
            days_left: 334,
            goals: &[("infra", 2, 0.0), ("social", 1, 0.0)],
        },
    ),
    // As of 1397-06-31: needs N1..N5 = 5: infra N1, N2, N5 = 3; social N3, N4 = 2;
    // on time N1, N2, N3 = 3; late N4, N5 = 2; ngo-01 2 (N1, N3), ngo-02 2 (N2, N5),
    // ngo-03 1 (N4). Proposals P1, P2, P3, P4 (P5 comes 07-01) = 4: approved P1, P3,
    // P4 = 3, rejected P2 = 1; infra P1, P2, P4 = 3, social P3 = 1; roads 2 (P2, P4),
    // water 1, welfare 1. Unanswered: N4 only (N2 and N5 by P4, N3 by P3).
    // Projects: P1 60 (06-31); P3 40 (06-31); P4: 30 and the correction 24 are both as
    // of 06-31, the correction recorded later wins: 24.
    // Infra = (60 + 24) / 2 = 42.0; social = 40.0;
    // overall = (2 x 42 + 1 x 40) / 3 = 124 / 3 = 41.33 -> 41.3.
    // Expected = 100 x (186 - 32) / 333 = 100 x 154 / 333 = 46.25 -> 46.2.
    // Gap 46.25 - 41.33 = 4.9 <= 10: on track. Days left 365 - 186 = 179.
    (
        "zone-01",
        SHAHRIVAR_31,
        ZoneExpect {
            needs: [5, 3, 2, 3, 2],
            needs_by_ngo: &[("ngo-01", 2), ("ngo-02", 2), ("ngo-03", 1)],
            proposals: [4, 0, 3, 1, 3, 1],
            proposals_by_agency: &[("roads", 2), ("water", 1), ("welfare", 1)],
            unanswered: &["N4"],
            projects: &[
                ("P1", 60, Some("1397-06-31"), false),
                ("P3", 40, Some("1397-06-31"), false),
                ("P4", 24, Some("1397-06-31"), false),
            ],
            progress: [42.0, 40.0, 41.3, 46.2],
            status: TrackStatus::OnTrack,
            days_left: 179,
            goals: &[("infra", 2, 42.0), ("social", 1, 40.0)],
        },
    ),
    // As of 1397-12-29: the same needs; proposals + P5 (pending, social, education)
    // = 5: pending 1, approved 3, rejected 1, infra 3, social 2. Unanswered: none (the
    // pending P5 names N4). Projects: P1 completed 10-15: 100; P3 90; P4 70.
    // Infra = (100 + 70) / 2 = 85.0; social 90.0; overall = (2 x 85 + 90) / 3 =
    // 260 / 3 = 86.67 -> 86.7. Expected 100 (the goal date); gap 13.3: at risk
    // (> 10, <= 25). Days left 0.
    (
        "zone-01",
        ESFAND_29,
        ZoneExpect {
            needs: [5, 3, 2, 3, 2],
            needs_by_ngo: &[("ngo-01", 2), ("ngo-02", 2), ("ngo-03", 1)],
            proposals: [5, 1, 3, 1, 3, 2],
            proposals_by_agency: &[("education", 1), ("roads", 2), ("water", 1), ("welfare", 1)],
            unanswered: &[],
            projects: &[
                ("P1", 100, Some("1397-10-15"), true),
                ("P3", 90, Some("1397-12-29"), false),
                ("P4", 70, Some("1397-12-29"), false),
            ],
            progress: [85.0, 90.0, 86.7, 100.0],
            status: TrackStatus::AtRisk,
            days_left: 0,
            goals: &[("infra", 2, 85.0), ("social", 1, 90.0)],
        },
    ),
    // As of 1397-01-31: needs N6 (infra, ngo-04), N7 (social, ngo-05), on time.
    // Proposals P6 (approved on 01-31 itself: counts) and P7 (submitted 01-31 at
    // 23:45 Tehran, on time; approved 02-02: pending as it stood on 01-31).
    // Unanswered: none (N6 by the approved P6, N7 by the pending P7).
    // Project P6, no report: 0. Infra 0, social 0 (P7 not approved yet), overall 0;
    // expected 0: on track.
    (
        "zone-02",
        FARVARDIN_31,
        ZoneExpect {
            needs: [2, 1, 1, 2, 0],
            needs_by_ngo: &[("ngo-04", 1), ("ngo-05", 1)],
            proposals: [2, 1, 1, 0, 1, 1],
            proposals_by_agency: &[("water", 1), ("welfare", 1)],
            unanswered: &[],
            projects: &[("P6", 0, None, false)],
            progress: [0.0, 0.0, 0.0, 0.0],
            status: TrackStatus::OnTrack,
            days_left: 334,
            goals: &[("infra", 1, 0.0), ("social", 3, 0.0)],
        },
    ),
    // As of 1397-06-31: + N8 (social, ngo-04, late) = 3: infra 1, social 2, on time 2,
    // late 1; ngo-04 2, ngo-05 1. Proposals P6, P7 approved, P8 rejected (03-10) = 3:
    // infra 1, social 2; education 1, water 1, welfare 1. Unanswered: N8 (only the
    // rejected P8 names it). P6 50, P7 30. Infra 50, social 30,
    // overall = (1 x 50 + 3 x 30) / 4 = 140 / 4 = 35.0; expected 46.2;
    // gap 46.25 - 35 = 11.25: at risk.
    (
        "zone-02",
        SHAHRIVAR_31,
        ZoneExpect {
            needs: [3, 1, 2, 2, 1],
            needs_by_ngo: &[("ngo-04", 2), ("ngo-05", 1)],
            proposals: [3, 0, 2, 1, 1, 2],
            proposals_by_agency: &[("education", 1), ("water", 1), ("welfare", 1)],
            unanswered: &["N8"],
            projects: &[
                ("P6", 50, Some("1397-06-31"), false),
                ("P7", 30, Some("1397-06-31"), false),
            ],
            progress: [50.0, 30.0, 35.0, 46.2],
            status: TrackStatus::AtRisk,
            days_left: 179,
            goals: &[("infra", 1, 50.0), ("social", 3, 30.0)],
        },
    ),
    // As of 1397-12-29: P6 80, P7 60: overall = (80 + 3 x 60) / 4 = 260 / 4 = 65.0;
    // expected 100; gap 35 > 25: behind.
    (
        "zone-02",
        ESFAND_29,
        ZoneExpect {
            needs: [3, 1, 2, 2, 1],
            needs_by_ngo: &[("ngo-04", 2), ("ngo-05", 1)],
            proposals: [3, 0, 2, 1, 1, 2],
            proposals_by_agency: &[("education", 1), ("water", 1), ("welfare", 1)],
            unanswered: &["N8"],
            projects: &[
                ("P6", 80, Some("1397-12-29"), false),
                ("P7", 60, Some("1397-12-29"), false),
            ],
            progress: [80.0, 60.0, 65.0, 100.0],
            status: TrackStatus::Behind,
            days_left: 0,
            goals: &[("infra", 1, 80.0), ("social", 3, 60.0)],
        },
    ),
    // Goals: housing (infra, 1), sewage (infra, 1), health (social, 2); weights 4.
    // As of 1397-01-31: needs N9 (infra, ngo-06), N10 (social, ngo-07); proposal P9
    // (education, social, approved 01-16) answers N10; N9 unanswered. P9 10 (as of
    // 01-31). Infra 0 (no infra project); social 10;
    // overall = (1 x 0 + 1 x 0 + 2 x 10) / 4 = 5.0; expected 0; gap -5: on track.
    (
        "zone-03",
        FARVARDIN_31,
        ZoneExpect {
            needs: [2, 1, 1, 2, 0],
            needs_by_ngo: &[("ngo-06", 1), ("ngo-07", 1)],
            proposals: [1, 0, 1, 0, 0, 1],
            proposals_by_agency: &[("education", 1)],
            unanswered: &["N9"],
            projects: &[("P9", 10, Some("1397-01-31"), false)],
            progress: [0.0, 10.0, 5.0, 0.0],
            status: TrackStatus::OnTrack,
            days_left: 334,
            goals: &[("housing", 1, 0.0), ("sewage", 1, 0.0), ("health", 2, 10.0)],
        },
    ),
    // As of 1397-06-31: P9 80: overall = 2 x 80 / 4 = 40.0; expected 46.2;
    // gap 6.25: on track.
    (
        "zone-03",
        SHAHRIVAR_31,
        ZoneExpect {
            needs: [2, 1, 1, 2, 0],
            needs_by_ngo: &[("ngo-06", 1), ("ngo-07", 1)],
            proposals: [1, 0, 1, 0, 0, 1],
            proposals_by_agency: &[("education", 1)],
            unanswered: &["N9"],
            projects: &[("P9", 80, Some("1397-06-31"), false)],
            progress: [0.0, 80.0, 40.0, 46.2],
            status: TrackStatus::OnTrack,
            days_left: 179,
            goals: &[("housing", 1, 0.0), ("sewage", 1, 0.0), ("health", 2, 80.0)],
        },
    ),
    // As of 1397-12-29: P9 completed 11-30: 100; overall = 2 x 100 / 4 = 50.0;
    // expected 100; gap 50: behind.
    (
        "zone-03",
        ESFAND_29,
        ZoneExpect {
            needs: [2, 1, 1, 2, 0],
            needs_by_ngo: &[("ngo-06", 1), ("ngo-07", 1)],
            proposals: [1, 0, 1, 0, 0, 1],
            proposals_by_agency: &[("education", 1)],
            unanswered: &["N9"],
            projects: &[("P9", 100, Some("1397-11-30"), true)],
            progress: [0.0, 100.0, 50.0, 100.0],
            status: TrackStatus::Behind,
            days_left: 0,
            goals: &[
                ("housing", 1, 0.0),
                ("sewage", 1, 0.0),
                ("health", 2, 100.0),
            ],
        },
    ),
];

/// Asks for each zone of [`ZONES`] as of its day.
async fn zones_one_by_one(
    client: &mut ProjectionClient<Channel>,
    script: &Script,
) -> anyhow::Result<()> {
    for (zone, as_of, want) in ZONES {
        check_zone(client, script, zone, as_of, want).await?;
    }
    Ok(())
}

/// What zone-01 says as of 1397-01-31 beyond its figures: names in both languages,
/// and the details of a need and of a project.
async fn zone_01_details(
    client: &mut ProjectionClient<Channel>,
    script: &Script,
) -> anyhow::Result<()> {
    let got = zone_progress(client, script, "zone-01", FARVARDIN_31).await?;
    // Names in Persian and English.
    let name = got.name.clone().unwrap_or_default();
    assert_eq!((name.fa.as_str(), name.en.as_str()), ("منطقه ۱", "Zone 01"));
    let literacy = got
        .unanswered_needs
        .iter()
        .find(|n| n.need_id == script.id("N3"))
        .expect("N3 unanswered");
    assert_eq!(literacy.title, "کلاس سوادآموزی");
    assert_eq!(
        approach_name(literacy.approach.as_ref()),
        (SOCIAL as i32, "اجتماعی".into(), "social".into())
    );
    assert_eq!(literacy.ngo, "ngo-01");
    assert_eq!(literacy.households_affected, 35);
    assert!(!literacy.late);
    assert_day(
        literacy.declared_on.as_ref(),
        "1397-01-25",
        "2018-04-14",
        "N3 declared on",
    );
    let p1 = &got.projects[0];
    assert_eq!(p1.agency, "water");
    assert_eq!(p1.title, "Water pipes");
    assert_eq!(p1.budget_rials, 5_000_000_000);
    assert_eq!(
        approach_name(p1.approach.as_ref()),
        (INFRA as i32, "زیرساختی".into(), "infrastructural".into())
    );
    assert_day(
        p1.approved_on.as_ref(),
        "1397-01-28",
        "2018-04-17",
        "P1 approved on",
    );
    let by_ngo = &got.needs.as_ref().unwrap().by_ngo;
    let ngo_01 = by_ngo
        .iter()
        .find(|c| c.key == "ngo-01")
        .expect("ngo-01 counted");
    assert_eq!(
        ngo_01.name.as_ref().map(|n| n.fa.as_str()),
        Some("سمن نمونه ۱")
    );
    for g in &got.goals {
        let (approach, fa, en) = approach_name(g.approach.as_ref());
        match g.code.as_str() {
            "infra" => assert_eq!(
                (approach, fa.as_str(), en.as_str()),
                (INFRA as i32, "زیرساختی", "infrastructural")
            ),
            "social" => assert_eq!(
                (approach, fa.as_str(), en.as_str()),
                (SOCIAL as i32, "اجتماعی", "social")
            ),
            other => panic!("unexpected goal {other}"),
        }
    }

    Ok(())
}

/// (code, needs, unanswered needs, proposals, projects, overall, status).
type Row = (&'static str, u32, u32, u32, u32, f64, TrackStatus);

async fn zones_side_by_side(
    client: &mut ProjectionClient<Channel>,
    script: &Script,
) -> anyhow::Result<()> {
    use TrackStatus::{AtRisk, Behind, OnTrack};
    // Zones 04-10 have no project: overall 0, so their status is the expected
    // progress's: on track as of 01-31 (0), behind later (46.2, 100).
    // zone-04's N11 counts from 02-01; zone-05's N12 from 01-31.
    let expected: [(&str, [Row; 10]); 3] = [
        (
            FARVARDIN_31,
            [
                ("zone-01", 3, 2, 2, 1, 0.0, OnTrack),
                ("zone-02", 2, 0, 2, 1, 0.0, OnTrack),
                ("zone-03", 2, 1, 1, 1, 5.0, OnTrack),
                ("zone-04", 0, 0, 0, 0, 0.0, OnTrack),
                ("zone-05", 1, 1, 0, 0, 0.0, OnTrack),
                ("zone-06", 0, 0, 0, 0, 0.0, OnTrack),
                ("zone-07", 0, 0, 0, 0, 0.0, OnTrack),
                ("zone-08", 0, 0, 0, 0, 0.0, OnTrack),
                ("zone-09", 0, 0, 0, 0, 0.0, OnTrack),
                ("zone-10", 0, 0, 0, 0, 0.0, OnTrack),
            ],
        ),
        (
            SHAHRIVAR_31,
            [
                ("zone-01", 5, 1, 4, 3, 41.3, OnTrack),
                ("zone-02", 3, 1, 3, 2, 35.0, AtRisk),
                ("zone-03", 2, 1, 1, 1, 40.0, OnTrack),
                ("zone-04", 1, 1, 0, 0, 0.0, Behind),
                ("zone-05", 1, 1, 0, 0, 0.0, Behind),
                ("zone-06", 0, 0, 0, 0, 0.0, Behind),
                ("zone-07", 0, 0, 0, 0, 0.0, Behind),
                ("zone-08", 0, 0, 0, 0, 0.0, Behind),
                ("zone-09", 0, 0, 0, 0, 0.0, Behind),
                ("zone-10", 0, 0, 0, 0, 0.0, Behind),
            ],
        ),
        (
            ESFAND_29,
            [
                ("zone-01", 5, 0, 5, 3, 86.7, AtRisk),
                ("zone-02", 3, 1, 3, 2, 65.0, Behind),
                ("zone-03", 2, 1, 1, 1, 50.0, Behind),
                ("zone-04", 1, 1, 0, 0, 0.0, Behind),
                ("zone-05", 1, 1, 0, 0, 0.0, Behind),
                ("zone-06", 0, 0, 0, 0, 0.0, Behind),
                ("zone-07", 0, 0, 0, 0, 0.0, Behind),
                ("zone-08", 0, 0, 0, 0, 0.0, Behind),
                ("zone-09", 0, 0, 0, 0, 0.0, Behind),
                ("zone-10", 0, 0, 0, 0, 0.0, Behind),
            ],
        ),
    ];
    for (as_of, rows) in expected {
        let reply = client
            .list_zones(query::ListZonesRequest {
                read: script.writes.read(as_of),
            })
            .await?
            .into_inner();
        let mut zones = reply.zones.clone();
        zones.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(zones.len(), 10, "ListZones as of {as_of}: 10 zones");
        for (i, (row, want)) in zones.iter().zip(rows).enumerate() {
            let (code, needs, unanswered, proposals, projects, overall, status) = want;
            let at = format!("ListZones as of {as_of}: {code}");
            assert_eq!(row.code, code, "{at}");
            let name = row.name.clone().unwrap_or_default();
            assert_eq!(
                name.fa,
                format!("منطقه {}", persian_digits(u32::try_from(i)? + 1)),
                "{at}: name"
            );
            assert_eq!(name.en, format!("Zone {:02}", i + 1), "{at}: name");
            assert_eq!(
                (row.needs, row.unanswered_needs, row.proposals, row.projects),
                (needs, unanswered, proposals, projects),
                "{at}: (needs, unanswered, proposals, projects)"
            );
            let progress = row.progress.clone().unwrap_or_default();
            assert_pct(progress.overall, overall, &format!("{at}: overall"));
            assert_eq!(
                progress.status, status as i32,
                "{at}: status (want {status:?})"
            );
        }
    }
    Ok(())
}

async fn summary(client: &mut ProjectionClient<Channel>, script: &Script) -> anyhow::Result<()> {
    // (as of, zones, needs, proposals, projects, completed, [infra, social, overall,
    //  expected], on track, at risk, behind, days left, approved budget)
    type Summary = (
        &'static str,
        u32,
        u32,
        u32,
        u32,
        u32,
        [f64; 4],
        u32,
        u32,
        u32,
        i32,
        u64,
    );
    let expected: [Summary; 3] = [
        // Needs: zone-01 3 + zone-02 2 + zone-03 2 + zone-05 1 = 8. Proposals P1, P2,
        // P6, P7, P9 = 5; projects approved by 01-31: P1, P6, P9 = 3; none completed.
        // Means over the 10 zones: infra 0; social 10 / 10 = 1.0; overall 5 / 10 = 0.5;
        // expected 0; all 10 on track. Budget P1 5000 + P6 2000 + P9 400 = 7400 M.
        (
            FARVARDIN_31,
            10,
            8,
            5,
            3,
            0,
            [0.0, 1.0, 0.5, 0.0],
            10,
            0,
            0,
            334,
            7_400_000_000,
        ),
        // Needs 5 + 3 + 2 + 1 + 1 = 12. Proposals P1-P4, P6-P9 = 8; projects P1, P3,
        // P4, P6, P7, P9 = 6; none completed yet. Infra (42 + 50) / 10 = 9.2; social
        // (40 + 30 + 80) / 10 = 15.0; overall (41.33 + 35 + 40) / 10 = 11.63 -> 11.6;
        // expected 46.2. On track zone-01 and zone-03, at risk zone-02, behind the
        // other 7. Budget 7400 + P3 800 + P4 3000 + P7 600 = 11800 M.
        (
            SHAHRIVAR_31,
            10,
            12,
            8,
            6,
            0,
            [9.2, 15.0, 11.6, 46.2],
            2,
            1,
            7,
            179,
            11_800_000_000,
        ),
        // Proposals + P5 = 9; completed P1 (10-15), P9 (11-30) = 2. Infra
        // (85 + 80) / 10 = 16.5; social (90 + 60 + 100) / 10 = 25.0; overall
        // (86.67 + 65 + 50) / 10 = 20.17 -> 20.2; expected 100. At risk zone-01,
        // behind 9.
        (
            ESFAND_29,
            10,
            12,
            9,
            6,
            2,
            [16.5, 25.0, 20.2, 100.0],
            0,
            1,
            9,
            0,
            11_800_000_000,
        ),
    ];
    for (
        as_of,
        zones,
        needs,
        proposals,
        projects,
        completed,
        pct,
        on_track,
        at_risk,
        behind,
        days_left,
        budget,
    ) in expected
    {
        let s = client
            .get_programme_summary(query::GetProgrammeSummaryRequest {
                read: script.writes.read(as_of),
            })
            .await?
            .into_inner();
        let at = format!("summary as of {as_of}");
        assert_eq!(
            summary_counts(&s),
            [zones, needs, proposals, projects, completed],
            "{at}: [zones, needs, proposals, projects, completed]"
        );
        assert_pct(s.infrastructural, pct[0], &format!("{at}: infrastructural"));
        assert_pct(s.social, pct[1], &format!("{at}: social"));
        assert_pct(s.overall, pct[2], &format!("{at}: overall"));
        assert_pct(s.expected, pct[3], &format!("{at}: expected"));
        assert_eq!(
            (s.zones_on_track, s.zones_at_risk, s.zones_behind),
            (on_track, at_risk, behind),
            "{at}: zones (on track, at risk, behind)"
        );
        assert_eq!(s.days_left, days_left, "{at}: days left");
        assert_eq!(s.approved_budget_rials, budget, "{at}: approved budget");
        assert_day(
            s.goal_date.as_ref(),
            "1397-12-29",
            "2019-03-20",
            &format!("{at}: goal date"),
        );
    }

    // The reply says which day it looks at, in both calendars and both languages.
    let s = client
        .get_programme_summary(query::GetProgrammeSummaryRequest {
            read: script.writes.read(SHAHRIVAR_31),
        })
        .await?
        .into_inner();
    let reflects = s.reflects.expect("reflects");
    assert!(reflects.position > 0, "reflects a position: {reflects:?}");
    let as_of = reflects.as_of.expect("reflects.as_of");
    assert_day(Some(&as_of), "1397-06-31", "2018-09-22", "reflects.as_of");
    assert_eq!(
        (as_of.solar_hijri_fa.as_str(), as_of.solar_hijri_en.as_str()),
        ("۳۱ شهریور ۱۳۹۷", "31 Shahrivar 1397"),
        "reflects.as_of in words"
    );
    // The same day asked in ISO and with Persian digits.
    for spelling in ["2018-09-22", "۱۳۹۷-۰۶-۳۱"] {
        let again = client
            .get_programme_summary(query::GetProgrammeSummaryRequest {
                read: script.writes.read(spelling),
            })
            .await?
            .into_inner();
        assert_eq!(
            again.reflects.and_then(|r| r.as_of).map(|d| d.solar_hijri),
            Some("1397-06-31".to_owned()),
            "as of {spelling}"
        );
        assert_eq!(again.needs, 12, "as of {spelling}");
        assert_pct(again.overall, 11.6, &format!("overall as of {spelling}"));
    }
    Ok(())
}

async fn compliance(client: &mut ProjectionClient<Channel>, script: &Script) -> anyhow::Result<()> {
    // Needs per NGO (on time, late), every NGO listed, by code.
    // As of 01-31: ngo-01 N1, N3; ngo-02 N2; ngo-04 N6; ngo-05 N7; ngo-06 N9;
    // ngo-07 N10; ngo-09 N12 (23:30 on the deadline day). ngo-08's N11 is from 02-01.
    // Later: late N5 (ngo-02), N4 (ngo-03), N8 (ngo-04), N11 (ngo-08).
    let ngos: [(&str, [(u32, u32); 10]); 3] = [
        (
            FARVARDIN_31,
            [
                (2, 0),
                (1, 0),
                (0, 0),
                (1, 0),
                (1, 0),
                (1, 0),
                (1, 0),
                (0, 0),
                (1, 0),
                (0, 0),
            ],
        ),
        (
            SHAHRIVAR_31,
            [
                (2, 0),
                (1, 1),
                (0, 1),
                (1, 1),
                (1, 0),
                (1, 0),
                (1, 0),
                (0, 1),
                (1, 0),
                (0, 0),
            ],
        ),
        (
            ESFAND_29,
            [
                (2, 0),
                (1, 1),
                (0, 1),
                (1, 1),
                (1, 0),
                (1, 0),
                (1, 0),
                (0, 1),
                (1, 0),
                (0, 0),
            ],
        ),
    ];
    // Proposals per agency (on time, late), by code: education, roads, water, welfare.
    // As of 01-31: education P9; roads P2; water P1, P6; welfare P7 (23:45).
    // As of 06-31: + late P8 (education), P4 (roads), P3 (welfare).
    // As of 12-29: + late P5 (education).
    type Agencies = [(&'static str, u32, u32); 4];
    let agencies: [(&str, Agencies); 3] = [
        (
            FARVARDIN_31,
            [
                ("education", 1, 0),
                ("roads", 1, 0),
                ("water", 2, 0),
                ("welfare", 1, 0),
            ],
        ),
        (
            SHAHRIVAR_31,
            [
                ("education", 1, 1),
                ("roads", 1, 1),
                ("water", 2, 0),
                ("welfare", 1, 1),
            ],
        ),
        (
            ESFAND_29,
            [
                ("education", 1, 2),
                ("roads", 1, 1),
                ("water", 2, 0),
                ("welfare", 1, 1),
            ],
        ),
    ];
    for ((as_of, ngo_counts), (_, agency_counts)) in ngos.into_iter().zip(agencies) {
        let c = client
            .get_compliance(query::GetComplianceRequest {
                read: script.writes.read(as_of),
            })
            .await?
            .into_inner();
        let at = format!("compliance as of {as_of}");
        assert_day(c.needs_deadline.as_ref(), "1397-01-31", "2018-04-20", &at);
        assert_day(
            c.proposals_deadline.as_ref(),
            "1397-01-31",
            "2018-04-20",
            &at,
        );
        let got: Vec<(String, u32, u32)> = c
            .ngos
            .iter()
            .map(|n| (n.code.clone(), n.on_time, n.late))
            .collect();
        let want: Vec<(String, u32, u32)> = ngo_counts
            .iter()
            .enumerate()
            .map(|(i, (on_time, late))| (format!("ngo-{:02}", i + 1), *on_time, *late))
            .collect();
        assert_eq!(got, want, "{at}: NGOs (code, on time, late)");
        let got: Vec<(String, u32, u32)> = c
            .agencies
            .iter()
            .map(|a| (a.code.clone(), a.on_time, a.late))
            .collect();
        let want: Vec<(String, u32, u32)> = agency_counts
            .iter()
            .map(|(code, on_time, late)| (code.to_string(), *on_time, *late))
            .collect();
        assert_eq!(got, want, "{at}: agencies (code, on time, late)");
        let names = c.ngos[9].name.clone().unwrap_or_default();
        assert_eq!(
            (names.fa.as_str(), names.en.as_str()),
            ("سمن نمونه ۱۰", "Sample NGO 10 (fictional)")
        );
        let names = c.agencies[3].name.clone().unwrap_or_default();
        assert_eq!(
            (names.fa.as_str(), names.en.as_str()),
            ("دستگاه بهزیستی (نمونه)", "Welfare agency (fictional)")
        );
    }
    Ok(())
}

async fn cooperation(
    client: &mut ProjectionClient<Channel>,
    script: &Script,
) -> anyhow::Result<()> {
    // (code, referrals, open, answered, accepted, median, worst, oldest open), by code;
    // the days are None where there is nothing to count.
    type Days = Option<f64>;
    type Agency = (&'static str, u32, u32, u32, u32, Days, Days, Days);
    let expected: [(&str, [Agency; 4]); 3] = [
        (
            FARVARDIN_31,
            [
                // R7 referred 01-28, open: 31 - 28 = 3 days.
                ("education", 1, 1, 0, 0, None, None, Some(3.0)),
                // R2 referred 01-22, answered only on 02-10: open, 31 - 22 = 9 days.
                ("roads", 1, 1, 0, 0, None, None, Some(9.0)),
                // R1 3 days, R5 7 days: median (3 + 7) / 2 = 5, worst 7.
                ("water", 2, 0, 2, 2, Some(5.0), Some(7.0), None),
                // R3 referred 01-26, open: 5 days.
                ("welfare", 1, 1, 0, 0, None, None, Some(5.0)),
            ],
        ),
        (
            SHAHRIVAR_31,
            [
                // + R4 answered in 10 days (accepted); R7 open 186 - 28 = 158 days.
                ("education", 2, 1, 1, 1, Some(10.0), Some(10.0), Some(158.0)),
                // R2 answered (declined) after 19 days.
                ("roads", 1, 0, 1, 0, Some(19.0), Some(19.0), None),
                // 3, 7, 20 (R6 declined): median 7, worst 20.
                ("water", 3, 0, 3, 2, Some(7.0), Some(20.0), None),
                // R3 still open: 186 - 26 = 160 days.
                ("welfare", 1, 1, 0, 0, None, None, Some(160.0)),
            ],
        ),
        (
            ESFAND_29,
            [
                // R7 open 365 - 28 = 337 days.
                ("education", 2, 1, 1, 1, Some(10.0), Some(10.0), Some(337.0)),
                ("roads", 1, 0, 1, 0, Some(19.0), Some(19.0), None),
                ("water", 3, 0, 3, 2, Some(7.0), Some(20.0), None),
                // R3 open 365 - 26 = 339 days.
                ("welfare", 1, 1, 0, 0, None, None, Some(339.0)),
            ],
        ),
    ];
    for (as_of, agencies) in expected {
        let c = client
            .get_cooperation(query::GetCooperationRequest {
                read: script.writes.read(as_of),
            })
            .await?
            .into_inner();
        let at = format!("cooperation as of {as_of}");
        let got: Vec<&str> = c.agencies.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(
            got,
            ["education", "roads", "water", "welfare"],
            "{at}: agencies"
        );
        for (a, want) in c.agencies.iter().zip(agencies) {
            let (code, referrals, open, answered, accepted, median, worst, oldest) = want;
            let at = format!("{at}: {code}");
            assert_eq!(
                (a.referrals, a.open, a.answered, a.accepted),
                (referrals, open, answered, accepted),
                "{at}: (referrals, open, answered, accepted)"
            );
            for (what, got, want) in [
                ("median days to answer", a.median_days_to_answer, median),
                ("worst days to answer", a.worst_days_to_answer, worst),
                ("oldest open days", a.oldest_open_days, oldest),
            ] {
                assert!(
                    match (got, want) {
                        (Some(g), Some(w)) => close(g, w),
                        (None, None) => true,
                        _ => false,
                    },
                    "{at}: {what}: got {got:?}, want {want:?}"
                );
            }
        }
        let water = &c.agencies[2];
        assert_eq!(
            water.name.as_ref().map(|n| n.fa.as_str()),
            Some("دستگاه آب (نمونه)")
        );
    }
    Ok(())
}

async fn timeline(client: &mut ProjectionClient<Channel>, script: &Script) -> anyhow::Result<()> {
    let iso: HashMap<&str, &str> = ISO_DAYS.iter().copied().collect();
    let recorded = &script.zone_events["zone.zone-01"];
    // zone-01's events by 1397-12-29: ZoneRegistered 1; needs N1-N5 5; referrals
    // R1-R4 4 and answers R1, R2, R4 3; proposals P1-P5 5 and decisions P1-P4 4;
    // progress: P1 7 reports + completion (a 100% report and ProjectCompleted) 2,
    // P4 5 (with the correction), P3 4; the social activity 1.
    // 1 + 5 + 7 + 9 + 9 + 5 + 4 + 1 = 41.
    assert_eq!(recorded.len(), 41, "the script wrote 41 events to zone-01");
    let (entries, pages) =
        whole_timeline(client, script.writes.read(ESFAND_29), "zone-01", 3).await?;
    // 41 entries in pages of 3: 13 full pages and one of 2.
    assert_eq!(entries.len(), 41, "zone-01's timeline as of {ESFAND_29}");
    assert_eq!(pages, 14, "pages of 3");
    let ids: BTreeSet<&str> = entries.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), 41, "each entry once");
    let expected: BTreeSet<&str> = recorded.iter().map(String::as_str).collect();
    assert_eq!(ids, expected, "the timeline holds zone-01's events");
    let mut last = 0;
    for (i, e) in entries.iter().enumerate() {
        let at = format!("timeline entry {i} ({} {})", e.event_type, e.event_id);
        assert!(e.position > last, "{at}: positions increase (oldest first)");
        last = e.position;
        assert_eq!(
            e.stream_version,
            i as u64 + 1,
            "{at}: zone-01's versions in order"
        );
        let day = script.days[&e.event_id];
        let occurred = e.occurred_on.clone().unwrap_or_default();
        assert_eq!(occurred.solar_hijri, day, "{at}: occurred on (Solar Hijri)");
        assert_eq!(occurred.iso, iso[day], "{at}: occurred on (ISO)");
        assert!(
            !occurred.solar_hijri_fa.is_empty() && !occurred.solar_hijri_en.is_empty(),
            "{at}"
        );
        assert!(
            e.occurred_at.is_some() && e.recorded_at.is_some(),
            "{at}: instants"
        );
        assert!(e.actor.is_some() && !e.who.is_empty(), "{at}: who");
        assert!(!e.what_en.is_empty() && !e.what_fa.is_empty(), "{at}: what");
        assert!(!e.event_type.is_empty(), "{at}: type");
    }
    assert_eq!(entries[0].event_type, "ZoneRegistered");
    assert_eq!(entries[1].event_type, "NeedDeclared");
    assert_eq!(entries[1].event_id, recorded[1]);
    let types: BTreeMap<&str, usize> = entries.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(e.event_type.as_str()).or_default() += 1;
        m
    });
    assert_eq!(
        types,
        BTreeMap::from([
            ("NeedDeclared", 5),
            ("NeedReferred", 4),
            ("ProgressReported", 17),
            ("ProjectCompleted", 1),
            ("ProposalApproved", 3),
            ("ProposalRejected", 1),
            ("ProposalSubmitted", 5),
            ("ReferralAnswered", 3),
            ("SocialActivityReported", 1),
            ("ZoneRegistered", 1),
        ]),
        "zone-01's events by type (progress: P1 7 + 1, P4 5, P3 4 = 17)"
    );

    // As of 1397-01-31: ZoneRegistered, N1, R1, R1 answered, N2, P1, R2, N3, P2, R3,
    // P1 approved, P2 rejected = 12.
    // As of 1397-06-31 (by the day they happened: P5 on 07-01 and the correction
    // recorded on 07-05 are not yet there): 1 + 5 needs + 7 referrals and answers +
    // P1-P4 with their 4 decisions 8 + P1 5 reports + P4 2 + P3 2 + the activity 1 = 31.
    for (as_of, count) in [(FARVARDIN_31, 12), (SHAHRIVAR_31, 31)] {
        let (entries, _) = whole_timeline(client, script.writes.read(as_of), "zone-01", 3).await?;
        assert_eq!(entries.len(), count, "zone-01's timeline as of {as_of}");
        let firsts: Vec<&str> = entries.iter().map(|e| e.event_id.as_str()).collect();
        let want: Vec<&str> = recorded
            .iter()
            .filter(|id| script.days[*id] <= as_of)
            .map(String::as_str)
            .collect();
        assert_eq!(
            firsts, want,
            "zone-01's timeline as of {as_of}: the events of those days"
        );
    }
    Ok(())
}
