//! The 1397 programme year as a list of submissions, made from a seed and nothing
//! else (no clock, no I/O): the same seed gives the same plan, submission ids
//! included, which is what makes running the scenario twice record nothing new.
//!
//! The year follows the seed document (shared/seed): the Governorate's programme
//! office sets the dates (needs and proposals due 31 Farvardin 1397, operational phase
//! from 1 Ordibehesht, year-end '97 goal 29 Esfand 1397) and registers the 10 zones
//! with their goals, the executive agencies, the 10 Ministry-approved NGOs and their
//! 100 members. Each zone's NGO declares its needs in Farvardin (some after the
//! deadline), refers some to agencies, which answer; agencies propose projects that
//! answer the needs; the county supervisor approves most and rejects some; approved
//! projects report progress at the end of every month until done or until Esfand.
//! Names are plain placeholders (Zone 01, NGO 01 ...), never real places or people.
//!
//! Submissions are grouped in lanes (one per stream: a zone, an NGO, an agency), each
//! in the order its acts happened; lanes of a phase are independent of each other.
//! What a submission creates (a need, a referral, a proposal) is named in the plan
//! (`creates`) and referred to by later steps as `@name`; the runner puts in the id
//! intake gave it.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use saman_domain::calendar::Day;
use saman_proto::events::v1::{self as events, Approach, actor::Kind};
use saman_proto::intake::v1 as pb;
use uuid::Uuid;

use crate::submit::Request;

pub const ZONES: usize = 10;
pub const NGOS: usize = 10;
pub const MEMBERS_PER_NGO: usize = 10;
/// The year the seed document's programme runs.
pub const YEAR: i32 = 1397;

/// Where the scenario's submission ids come from (UUIDv5 of seed and step).
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, b"saman.scenario")
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub seed: u64,
    pub phases: Vec<Phase>,
}

/// Lanes that may run side by side; a phase starts when the one before has finished
/// (NGO members must be approved before they declare needs).
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub name: &'static str,
    pub lanes: Vec<Lane>,
}

/// Submissions to one stream, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub name: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Unique in the plan, e.g. "zone-03/need-04"; the submission id is made of it.
    pub key: String,
    /// The name later steps of the lane use for what this one creates (`@need-04`).
    pub creates: Option<String>,
    /// The request with its submission header (id, actor, when).
    pub request: Request,
}

impl Plan {
    pub fn steps(&self) -> usize {
        self.phases
            .iter()
            .flat_map(|p| &p.lanes)
            .map(|l| l.steps.len())
            .sum()
    }

    /// Every step, phase by phase and lane by lane.
    pub fn all_steps(&self) -> impl Iterator<Item = &Step> {
        self.phases
            .iter()
            .flat_map(|p| &p.lanes)
            .flat_map(|l| &l.steps)
    }
}

/// A day of 1397.
fn day(month: u8, day: u8) -> Day {
    Day::from_solar_hijri(YEAR, month, day).expect("a day of 1397")
}

fn month_end(month: u8) -> Day {
    let next = if month == 12 {
        Day::from_solar_hijri(YEAR + 1, 1, 1)
    } else {
        Day::from_solar_hijri(YEAR, month + 1, 1)
    };
    next.and_then(|d| d.add_days(-1)).expect("a month of 1397")
}

fn plus(d: Day, days: i64) -> Day {
    d.add_days(days).expect("within the calendar")
}

/// The instant `hour` hours into `d` in Tehran, as RFC 3339 (UTC).
fn at(d: Day, hour: i64) -> String {
    let ts = d
        .start_in_tehran()
        .checked_add(jiff::SignedDuration::from_hours(hour))
        .expect("within range");
    ts.to_string()
}

/// When in a day each kind of act is made, so that acts of one day keep an order.
mod hour {
    pub const REGISTER: i64 = 9;
    pub const NEED: i64 = 10;
    pub const REFER: i64 = 11;
    pub const ANSWER: i64 = 12;
    pub const PROPOSE: i64 = 13;
    pub const DECIDE: i64 = 14;
    pub const PROGRESS: i64 = 15;
    pub const COMPLETE: i64 = 16;
    pub const ACTIVITY: i64 = 17;
    pub const SUPERVISE: i64 = 11;
}

struct AgencyDef {
    code: &'static str,
    name_en: &'static str,
    name_fa: &'static str,
    approach: Approach,
}

/// The executive agencies, by the kind of work they do (placeholders, not real
/// bodies' names).
const AGENCIES: [AgencyDef; 6] = [
    AgencyDef {
        code: "water",
        name_en: "Water and wastewater agency",
        name_fa: "دستگاه آب و فاضلاب",
        approach: Approach::Infrastructural,
    },
    AgencyDef {
        code: "power",
        name_en: "Power distribution agency",
        name_fa: "دستگاه توزیع برق",
        approach: Approach::Infrastructural,
    },
    AgencyDef {
        code: "roads",
        name_en: "Roads and urban development agency",
        name_fa: "دستگاه راه و شهرسازی",
        approach: Approach::Infrastructural,
    },
    AgencyDef {
        code: "education",
        name_en: "Education department",
        name_fa: "اداره آموزش و پرورش",
        approach: Approach::Social,
    },
    AgencyDef {
        code: "health",
        name_en: "Health network",
        name_fa: "شبکه بهداشت",
        approach: Approach::Social,
    },
    AgencyDef {
        code: "welfare",
        name_en: "Welfare organisation",
        name_fa: "سازمان بهزیستی",
        approach: Approach::Social,
    },
];

/// (code, English, Persian) of the goals a zone may set.
const INFRA_GOALS: [(&str, &str, &str); 3] = [
    ("water", "Safe water in every home", "آب سالم در همه خانه‌ها"),
    (
        "sewage",
        "Sewage collected, not in the alleys",
        "جمع‌آوری فاضلاب",
    ),
    ("streets", "Paved and lit streets", "معابر آسفالته و روشن"),
];
const SOCIAL_GOALS: [(&str, &str, &str); 3] = [
    ("literacy", "Adult literacy", "سوادآموزی بزرگسالان"),
    ("jobs", "Jobs and skills", "اشتغال و مهارت‌آموزی"),
    ("health", "Primary health care", "بهداشت و سلامت"),
];

const INFRA_NEEDS: [&str; 6] = [
    "Piped water for the upper streets",
    "Sewage collection network",
    "Paving of the main alley",
    "Street lighting",
    "Surface-water drainage",
    "Retaining wall on the slope",
];
const SOCIAL_NEEDS: [&str; 6] = [
    "Adult literacy classes",
    "Job skills for young people",
    "Neighbourhood health post",
    "Support for female-headed households",
    "Children's play space",
    "Addiction prevention programme",
];
const ACTIVITIES: [&str; 5] = [
    "Literacy class graduation",
    "Neighbourhood clean-up day",
    "Health screening day",
    "Parents' meeting on schooling",
    "Skills fair",
];
const REJECTIONS: [&str; 3] = [
    "The budget is not justified by the needs it answers",
    "Overlaps a project already approved in the zone",
    "A technical study is needed first",
];

pub fn zone_code(z: usize) -> String {
    format!("zone-{z:02}")
}
pub fn ngo_code(n: usize) -> String {
    format!("ngo-{n:02}")
}
/// Members are numbered across NGOs: ngo-01 has m-001 .. m-010.
pub fn member_code(n: usize, i: usize) -> String {
    format!("m-{:03}", (n - 1) * MEMBERS_PER_NGO + i)
}

fn persian(n: usize) -> String {
    saman_domain::calendar::to_persian_digits(&n.to_string())
}

fn office() -> Kind {
    Kind::ProgrammeOffice(events::Official {
        user: "programme-office".into(),
    })
}
fn supervisor() -> Kind {
    Kind::CountySupervisor(events::Official {
        user: "county-supervisor".into(),
    })
}
fn member(n: usize, i: usize) -> Kind {
    Kind::NgoMember(events::NgoMember {
        ngo: ngo_code(n),
        member: member_code(n, i),
    })
}
fn officer(agency: &str) -> Kind {
    Kind::AgencyOfficer(events::AgencyOfficer {
        agency: agency.into(),
        user: format!("{agency}-officer"),
    })
}

/// Builds steps for one lane, keyed under the lane's name.
struct LaneBuilder {
    seed: u64,
    name: String,
    /// (when, order of creation, step): sorted by when at the end.
    steps: Vec<(String, usize, Step)>,
}

impl LaneBuilder {
    fn new(seed: u64, name: impl Into<String>) -> Self {
        LaneBuilder {
            seed,
            name: name.into(),
            steps: Vec::new(),
        }
    }

    fn push(&mut self, key: &str, creates: bool, actor: Kind, when: String, request: Request) {
        let key = format!("{}/{key}", self.name);
        let id = Uuid::new_v5(
            &namespace(),
            format!("{YEAR}/seed/{}/{key}", self.seed).as_bytes(),
        );
        let creates = creates.then(|| key.rsplit('/').next().unwrap_or(&key).to_string());
        let request = request.with_submission(pb::Submission {
            submission_id: id.to_string(),
            actor: Some(events::Actor { kind: Some(actor) }),
            expected_version: None,
            occurred_at: when.clone(),
            attestation: None,
        });
        let order = self.steps.len();
        self.steps.push((
            when,
            order,
            Step {
                key,
                creates,
                request,
            },
        ));
    }

    fn build(mut self) -> Lane {
        // RFC 3339 in UTC sorts as text.
        self.steps.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        Lane {
            name: self.name,
            steps: self.steps.into_iter().map(|(_, _, s)| s).collect(),
        }
    }
}

/// A need as planned, for the proposals that answer it.
struct PlannedNeed {
    name: String,
    title: &'static str,
    approach: Approach,
    declared: Day,
    referred_to: Option<&'static str>,
}

/// The whole year from `seed`.
pub fn plan(seed: u64) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let needs_deadline = day(1, 31);
    let operational_start = day(2, 1);
    let goal_date = day(12, 29);
    let setup_day = Day::from_solar_hijri(YEAR - 1, 12, 20).expect("a day of 1396");

    // ---- phase 1: the programme office sets everything up (Esfand 1396) ----
    let mut setup = Vec::new();
    let mut programme = LaneBuilder::new(seed, "programme");
    programme.push(
        "dates",
        false,
        office(),
        at(setup_day, hour::REGISTER),
        Request::SetProgrammeDates(pb::SetProgrammeDatesRequest {
            submission: None,
            needs_deadline: needs_deadline.iso(),
            proposals_deadline: needs_deadline.iso(),
            operational_start: operational_start.iso(),
            goal_date: goal_date.iso(),
        }),
    );
    setup.push(programme.build());

    for z in 1..=ZONES {
        let mut lane = LaneBuilder::new(seed, zone_code(z));
        let mut goals = Vec::new();
        for (catalogue, approach) in [
            (&INFRA_GOALS, Approach::Infrastructural),
            (&SOCIAL_GOALS, Approach::Social),
        ] {
            for (code, en, fa) in catalogue.choose_multiple(&mut rng, 2) {
                goals.push(pb::GoalInput {
                    code: (*code).into(),
                    approach: approach as i32,
                    title_en: (*en).into(),
                    title_fa: (*fa).into(),
                    weight: rng.random_range(1..=3),
                });
            }
        }
        lane.push(
            "register",
            false,
            office(),
            at(plus(setup_day, 1), hour::REGISTER),
            Request::RegisterZone(pb::RegisterZoneRequest {
                submission: None,
                code: zone_code(z),
                name_fa: format!("منطقه {}", persian(z)),
                name_en: format!("Zone {z:02}"),
                goals,
            }),
        );
        setup.push(lane.build());
    }
    for agency in &AGENCIES {
        let mut lane = LaneBuilder::new(seed, format!("agency-{}", agency.code));
        lane.push(
            "register",
            false,
            office(),
            at(plus(setup_day, 2), hour::REGISTER),
            Request::RegisterAgency(pb::RegisterAgencyRequest {
                submission: None,
                code: agency.code.into(),
                name_fa: agency.name_fa.into(),
                name_en: agency.name_en.into(),
            }),
        );
        setup.push(lane.build());
    }
    for n in 1..=NGOS {
        let mut lane = LaneBuilder::new(seed, ngo_code(n));
        lane.push(
            "record",
            false,
            office(),
            at(plus(setup_day, 3), hour::REGISTER),
            Request::RecordApprovedNgo(pb::RecordApprovedNgoRequest {
                submission: None,
                code: ngo_code(n),
                name_fa: format!("سمن {}", persian(n)),
                name_en: format!("NGO {n:02}"),
                ministry_approval_ref: format!("MOI-1396-{n:03}"),
            }),
        );
        for i in 1..=MEMBERS_PER_NGO {
            lane.push(
                &format!("member-{}", member_code(n, i)),
                false,
                office(),
                at(plus(setup_day, 4), hour::REGISTER),
                Request::ApproveNgoMember(pb::ApproveNgoMemberRequest {
                    submission: None,
                    ngo: ngo_code(n),
                    member: member_code(n, i),
                    full_name: format!("Member {}", member_code(n, i).trim_start_matches("m-")),
                }),
            );
        }
        setup.push(lane.build());
    }

    // ---- phase 2: the year in each zone, and the supervision of each NGO ----
    let mut year = Vec::new();
    // Which zone's project gets one progress report corrected downwards.
    let corrected_zone = rng.random_range(1..=ZONES);
    for z in 1..=ZONES {
        year.push(zone_year(
            seed,
            &mut rng,
            z,
            z == corrected_zone,
            needs_deadline,
            goal_date,
        ));
    }
    // The 10th member of each NGO never acts; one of them is revoked in Mehr.
    let revoked_ngo = rng.random_range(1..=NGOS);
    for n in 1..=NGOS {
        let mut lane = LaneBuilder::new(seed, format!("{}-supervision", ngo_code(n)));
        for (k, (month, base)) in [(4u8, 10u8), (10, 5)].into_iter().enumerate() {
            let d = day(month, base + rng.random_range(0..=15));
            let rating = rng.random_range(2..=5);
            lane.push(
                &format!("report-{}", k + 1),
                false,
                supervisor(),
                at(d, hour::SUPERVISE),
                Request::FileSupervisionReport(pb::FileSupervisionReportRequest {
                    submission: None,
                    ngo: ngo_code(n),
                    zone: zone_code(n),
                    findings: format!(
                        "Visit to {} in {}: {}",
                        zone_code(n),
                        d.solar_hijri_long_en(),
                        match rating {
                            5 => "needs well documented, members present in the zone every week",
                            4 => "good work; referrals followed up",
                            3 => "needs documented, follow-up of referrals is slow",
                            _ => "few members active in the zone; documentation incomplete",
                        }
                    ),
                    rating,
                }),
            );
        }
        if n == revoked_ngo {
            lane.push(
                "revoke",
                false,
                office(),
                at(day(7, 10), hour::REGISTER),
                Request::RevokeNgoMember(pb::RevokeNgoMemberRequest {
                    submission: None,
                    ngo: ngo_code(n),
                    member: member_code(n, MEMBERS_PER_NGO),
                    reason: "Moved away from Khorramabad".into(),
                }),
            );
        }
        year.push(lane.build());
    }

    Plan {
        seed,
        phases: vec![
            Phase {
                name: "registrations",
                lanes: setup,
            },
            Phase {
                name: "the year 1397",
                lanes: year,
            },
        ],
    }
}

/// One zone's year: its NGO's needs, referrals and activities, the agencies'
/// proposals and progress, the supervisor's decisions.
fn zone_year(
    seed: u64,
    rng: &mut ChaCha8Rng,
    z: usize,
    with_correction: bool,
    needs_deadline: Day,
    goal_date: Day,
) -> Lane {
    let zone = zone_code(z);
    let mut lane = LaneBuilder::new(seed, zone.clone());
    // The zone's NGO is the one of the same number; its first 9 members act.
    let n = z;
    let acting = MEMBERS_PER_NGO - 1;
    // How fast this zone's projects go against the time they have (1.0 = on time).
    let pace: f64 = rng.random_range(0.55..1.2);

    // Needs: most in Farvardin (by the deadline), some late.
    let mut infra_titles = INFRA_NEEDS.to_vec();
    let mut social_titles = SOCIAL_NEEDS.to_vec();
    infra_titles.shuffle(rng);
    social_titles.shuffle(rng);
    let count = rng.random_range(6..=9);
    let mut needs = Vec::new();
    for i in 1..=count {
        let approach = if i % 2 == 1 || rng.random_bool(0.2) {
            Approach::Infrastructural
        } else {
            Approach::Social
        };
        let title = match approach {
            Approach::Infrastructural => infra_titles.pop(),
            _ => social_titles.pop(),
        }
        .unwrap_or("Another need of the zone");
        let late = rng.random_bool(0.12);
        let declared = if late {
            plus(needs_deadline, rng.random_range(1..=25))
        } else {
            day(1, rng.random_range(5..=31))
        };
        let name = format!("need-{i:02}");
        lane.push(
            &name,
            true,
            member(n, rng.random_range(1..=acting)),
            at(declared, hour::NEED),
            Request::DeclareNeed(pb::DeclareNeedRequest {
                submission: None,
                zone: zone.clone(),
                approach: approach as i32,
                title: title.into(),
                description: format!("Declared by the NGO working in {zone}."),
                households_affected: rng.random_range(20..=400),
                priority: rng.random_range(1..=4),
            }),
        );
        // About half are referred to an agency of their approach, which answers most.
        let mut referred_to = None;
        if rng.random_bool(0.5) {
            let agency = AGENCIES
                .iter()
                .filter(|a| a.approach == approach)
                .collect::<Vec<_>>()
                .choose(rng)
                .map(|a| a.code)
                .expect("agencies of both approaches");
            referred_to = Some(agency);
            let referred = plus(declared, rng.random_range(1..=7));
            let referral = format!("referral-{i:02}");
            lane.push(
                &referral,
                true,
                member(n, rng.random_range(1..=acting)),
                at(referred, hour::REFER),
                Request::ReferNeed(pb::ReferNeedRequest {
                    submission: None,
                    zone: zone.clone(),
                    need_id: format!("@{name}"),
                    agency: agency.into(),
                    note: "Please assess and propose a project.".into(),
                }),
            );
            if rng.random_bool(0.85) {
                let accepted = rng.random_bool(0.8);
                lane.push(
                    &format!("{referral}-answer"),
                    false,
                    officer(agency),
                    at(plus(referred, rng.random_range(2..=30)), hour::ANSWER),
                    Request::AnswerReferral(pb::AnswerReferralRequest {
                        submission: None,
                        zone: zone.clone(),
                        referral_id: format!("@{referral}"),
                        accepted,
                        answer: if accepted {
                            "Accepted: a proposal follows.".into()
                        } else {
                            "Not in our remit this year.".into()
                        },
                    }),
                );
            }
        }
        needs.push(PlannedNeed {
            name,
            title,
            approach,
            declared,
            referred_to,
        });
    }

    // Proposals: the needs of each approach in groups of one or two; most zones keep
    // one need no proposal answers.
    if rng.random_bool(0.7) {
        let keep = rng.random_range(0..needs.len());
        needs.remove(keep);
    }
    let mut proposal_no = 0;
    let mut corrected = !with_correction;
    for approach in [Approach::Infrastructural, Approach::Social] {
        let group: Vec<&PlannedNeed> = needs.iter().filter(|n| n.approach == approach).collect();
        let mut rest = group.as_slice();
        while !rest.is_empty() {
            let take = if rest.len() >= 2 && rng.random_bool(0.4) {
                2
            } else {
                1
            };
            let (answered, tail) = rest.split_at(take);
            rest = tail;
            proposal_no += 1;
            let agency = answered[0].referred_to.unwrap_or_else(|| {
                AGENCIES
                    .iter()
                    .filter(|a| a.approach == approach)
                    .collect::<Vec<_>>()
                    .choose(rng)
                    .map(|a| a.code)
                    .expect("agencies of both approaches")
            });
            let last_need = answered.iter().map(|n| n.declared).max().expect("a need");
            let submitted = plus(last_need, rng.random_range(1..=10));
            let start = plus(submitted, rng.random_range(7..=20));
            let end = plus(start, rng.random_range(150..=300));
            let budget = match approach {
                Approach::Infrastructural => rng.random_range(20..=400) * 100_000_000,
                _ => rng.random_range(2..=50) * 100_000_000,
            };
            let name = format!("proposal-{proposal_no:02}");
            let title = format!(
                "{}: {}",
                match approach {
                    Approach::Infrastructural => "Works",
                    _ => "Programme",
                },
                answered
                    .iter()
                    .map(|n| n.title)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            lane.push(
                &name,
                true,
                officer(agency),
                at(submitted, hour::PROPOSE),
                Request::SubmitProposal(pb::SubmitProposalRequest {
                    submission: None,
                    zone: zone.clone(),
                    need_ids: answered.iter().map(|n| format!("@{}", n.name)).collect(),
                    approach: approach as i32,
                    title,
                    budget_rials: budget,
                    planned_start: start.iso(),
                    planned_end: end.min(goal_date).max(plus(start, 1)).iso(),
                    goal_codes: vec![],
                }),
            );
            let decided = plus(submitted, rng.random_range(3..=15));
            let approve = rng.random_bool(0.85);
            lane.push(
                &format!("{name}-decision"),
                false,
                supervisor(),
                at(decided, hour::DECIDE),
                Request::DecideProposal(pb::DecideProposalRequest {
                    submission: None,
                    zone: zone.clone(),
                    proposal_id: format!("@{name}"),
                    decision: if approve {
                        pb::Decision::Approve
                    } else {
                        pb::Decision::Reject
                    } as i32,
                    reason: if approve {
                        String::new()
                    } else {
                        (*REJECTIONS.choose(rng).expect("reasons")).into()
                    },
                }),
            );
            if approve {
                corrected |= progress_reports(
                    &mut lane, rng, &zone, &name, agency, decided, goal_date, pace, !corrected,
                );
            }
        }
    }

    // Social activities of the zone's NGO through the year.
    for k in 1..=rng.random_range(2..=4) {
        let held = day(rng.random_range(2..=11), rng.random_range(1..=28));
        let reported = plus(held, rng.random_range(0..=5));
        let title = ACTIVITIES.choose(rng).expect("activities");
        lane.push(
            &format!("activity-{k}"),
            false,
            member(n, rng.random_range(1..=acting)),
            at(reported, hour::ACTIVITY),
            Request::ReportSocialActivity(pb::ReportSocialActivityRequest {
                submission: None,
                zone: zone.clone(),
                title: (*title).into(),
                description: format!("Held in {zone} with the neighbourhood council."),
                participants: rng.random_range(10..=120),
                held_on: held.iso(),
            }),
        );
    }
    lane.build()
}

/// The monthly progress reports of an approved project, from the month after its
/// approval until it is done or the year ends; returns whether it made the
/// downward correction asked for by `correct`.
#[allow(clippy::too_many_arguments)]
fn progress_reports(
    lane: &mut LaneBuilder,
    rng: &mut ChaCha8Rng,
    zone: &str,
    proposal: &str,
    agency: &str,
    approved: Day,
    goal_date: Day,
    pace: f64,
    correct: bool,
) -> bool {
    let span = approved.days_until(goal_date) as f64;
    let first_month = approved.solar_hijri().month + 1;
    let mut last = 0u32;
    let mut corrected = false;
    for month in first_month..=12 {
        let as_of = month_end(month);
        let elapsed = approved.days_until(as_of) as f64 / span;
        let noise: f64 = rng.random_range(0.85..1.15);
        // `as` saturates (a NaN is 0), and the percent is kept to `last..=100` here.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let mut percent = ((elapsed * pace * noise * 100.0).round() as u32)
            .max(last)
            .min(100);
        let mut correction = String::new();
        if correct && !corrected && last >= 20 && month >= 6 {
            percent = last - rng.random_range(5..=10);
            correction = "Re-measured on site: the last report counted materials delivered, \
                          not work done."
                .into();
            corrected = true;
        }
        if percent >= 100 {
            lane.push(
                &format!("{proposal}-completed"),
                false,
                officer(agency),
                at(as_of, hour::COMPLETE),
                Request::CompleteProject(pb::CompleteProjectRequest {
                    submission: None,
                    zone: zone.into(),
                    proposal_id: format!("@{proposal}"),
                    completed_on: as_of.iso(),
                    note: "Handed over to the neighbourhood.".into(),
                }),
            );
            return corrected;
        }
        lane.push(
            &format!("{proposal}-progress-{month:02}"),
            false,
            officer(agency),
            at(as_of, hour::PROGRESS),
            Request::ReportProgress(pb::ReportProgressRequest {
                submission: None,
                zone: zone.into(),
                proposal_id: format!("@{proposal}"),
                percent,
                note: format!("End of {}.", as_of.solar_hijri_long_en()),
                as_of: as_of.iso(),
                correction,
            }),
        );
        last = percent;
    }
    corrected
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_same_seed_gives_the_same_plan_and_another_seed_another() {
        assert_eq!(plan(1397), plan(1397));
        assert_ne!(plan(1397), plan(7));
    }

    #[test]
    fn every_submission_id_and_key_is_unique() {
        let plan = plan(1397);
        let mut ids = HashSet::new();
        let mut keys = HashSet::new();
        for step in plan.all_steps() {
            let id = step.request.submission().unwrap().submission_id.clone();
            assert!(ids.insert(id), "submission id of {} used twice", step.key);
            assert!(keys.insert(step.key.clone()), "{} twice", step.key);
        }
    }

    #[test]
    fn the_programme_has_10_zones_10_ngos_and_100_members() {
        let plan = plan(1397);
        let count = |rpc: &str| plan.all_steps().filter(|s| s.request.rpc() == rpc).count();
        assert_eq!(count("RegisterZone"), 10);
        assert_eq!(count("RecordApprovedNgo"), 10);
        assert_eq!(count("ApproveNgoMember"), 100);
        assert_eq!(count("RegisterAgency"), AGENCIES.len());
        assert_eq!(count("SetProgrammeDates"), 1);
        assert_eq!(count("RevokeNgoMember"), 1);
        for rpc in [
            "DeclareNeed",
            "ReferNeed",
            "AnswerReferral",
            "SubmitProposal",
            "DecideProposal",
            "ReportProgress",
            "CompleteProject",
            "ReportSocialActivity",
            "FileSupervisionReport",
        ] {
            assert!(count(rpc) > 0, "the year has no {rpc}");
        }
    }

    #[test]
    fn some_needs_are_late_and_progress_runs_to_esfand() {
        let plan = plan(1397);
        let deadline_end = day(1, 31).end_in_tehran().to_string();
        let needs: Vec<_> = plan
            .all_steps()
            .filter(|s| s.request.rpc() == "DeclareNeed")
            .collect();
        let late = needs
            .iter()
            .filter(|s| s.request.submission().unwrap().occurred_at > deadline_end)
            .count();
        assert!(
            late > 0 && late < needs.len() / 2,
            "{late} of {} late",
            needs.len()
        );
        let last_report = plan
            .all_steps()
            .filter_map(|s| match &s.request {
                Request::ReportProgress(r) => Some(r.as_of.clone()),
                _ => None,
            })
            .max()
            .unwrap();
        assert_eq!(last_report, day(12, 29).iso());
    }

    #[test]
    fn a_lane_refers_only_to_what_it_created_before() {
        let plan = plan(1397);
        for lane in plan.phases.iter().flat_map(|p| &p.lanes) {
            let mut created = HashSet::new();
            for step in &lane.steps {
                let refs: Vec<String> = match &step.request {
                    Request::ReferNeed(r) => vec![r.need_id.clone()],
                    Request::AnswerReferral(r) => vec![r.referral_id.clone()],
                    Request::SubmitProposal(r) => r.need_ids.clone(),
                    Request::DecideProposal(r) => vec![r.proposal_id.clone()],
                    Request::ReportProgress(r) => vec![r.proposal_id.clone()],
                    Request::CompleteProject(r) => vec![r.proposal_id.clone()],
                    _ => vec![],
                };
                for r in refs {
                    let name = r.strip_prefix('@').expect("a reference");
                    assert!(
                        created.contains(name),
                        "{} refers to {r} before it exists",
                        step.key
                    );
                }
                if let Some(name) = &step.creates {
                    created.insert(name.clone());
                }
            }
        }
    }

    #[test]
    fn progress_goes_down_only_as_a_correction() {
        let plan = plan(1397);
        let mut corrections = 0;
        for lane in plan.phases.iter().flat_map(|p| &p.lanes) {
            let mut last = std::collections::HashMap::new();
            for step in &lane.steps {
                if let Request::ReportProgress(r) = &step.request {
                    let before = last.insert(r.proposal_id.clone(), r.percent).unwrap_or(0);
                    if r.percent < before {
                        assert!(!r.correction.is_empty(), "{} goes down silently", step.key);
                        corrections += 1;
                    }
                }
            }
        }
        assert_eq!(corrections, 1);
    }
}
