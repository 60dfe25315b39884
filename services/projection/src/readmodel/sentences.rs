//! The timeline's "who" and "what": one sentence per event, in English and in Persian.
//!
//! Sentences are written when the event is applied, from the event and the facts applied
//! before it (a need's or proposal's title; the names of NGOs, agencies and members,
//! [`NameBook`]), which every build sees in the same order of the one stream: a rebuild
//! writes the very same text. They name people and organisations by name, with the
//! code beside a member's name; a code with no name on record shows as itself.

use std::collections::HashMap;

use saman_domain::calendar::to_persian_digits;
use saman_domain::values::{AgencyCode, Approach, MemberCode, Names, NgoCode, Text, ZoneCode};
use saman_domain::{Actor, Day};

use super::facts::ActorCols;

/// The names applied so far of the NGOs, agencies and members a batch's sentences name.
#[derive(Debug, Default)]
pub(super) struct NameBook {
    /// By code: (Persian, English).
    pub ngos: HashMap<String, (String, String)>,
    pub agencies: HashMap<String, (String, String)>,
    /// By (NGO, member): the full name of its latest approval.
    pub members: HashMap<(String, String), String>,
}

impl NameBook {
    /// An NGO in (Persian, English): its names, or "سمن ngo-01" / "NGO ngo-01".
    fn ngo(&self, code: &str) -> (String, String) {
        self.ngos
            .get(code)
            .cloned()
            .unwrap_or_else(|| (format!("سمن {code}"), format!("NGO {code}")))
    }

    /// An agency in (Persian, English): its names, or "دستگاه water" / "agency water".
    fn agency(&self, code: &str) -> (String, String) {
        self.agencies
            .get(code)
            .cloned()
            .unwrap_or_else(|| (format!("دستگاه {code}"), format!("agency {code}")))
    }
}

/// An actor in English and Persian, e.g. "Sara Ahmadi (m-001), member of Mehr" /
/// "سارا احمدی (m-001)، عضو سمن مهر"; "Member m-001 of NGO ngo-01" / "عضو m-001 سمن
/// ngo-01" while its names are not on record.
#[derive(Debug, Clone)]
pub(super) struct Who {
    pub en: String,
    pub fa: String,
    pub cols: ActorCols,
}

pub(super) fn who(actor: Option<&Actor>, names: &NameBook) -> Who {
    let cols = |kind: &str, org: &str, user: &str| ActorCols {
        kind: kind.to_owned(),
        org: org.to_owned(),
        user: user.to_owned(),
    };
    match actor {
        Some(Actor::ProgrammeOffice { user }) => Who {
            en: format!("The programme office ({user})"),
            fa: format!("استانداری ({user})"),
            cols: cols("programme_office", "", user.as_str()),
        },
        Some(Actor::CountySupervisor { user }) => Who {
            en: format!("The county supervisor ({user})"),
            fa: format!("فرمانداری ({user})"),
            cols: cols("county_supervisor", "", user.as_str()),
        },
        Some(Actor::NgoMember { ngo, member }) => {
            let (ngo_fa, ngo_en) = names.ngo(ngo.as_str());
            let key = (ngo.to_string(), member.to_string());
            let (en, fa) = match names.members.get(&key) {
                Some(name) => (
                    format!("{name} ({member}), member of {ngo_en}"),
                    format!("{name} ({member})، عضو {ngo_fa}"),
                ),
                None => (
                    format!("Member {member} of {ngo_en}"),
                    format!("عضو {member} {ngo_fa}"),
                ),
            };
            Who {
                en,
                fa,
                cols: cols("ngo_member", ngo.as_str(), member.as_str()),
            }
        }
        Some(Actor::AgencyOfficer { agency, user }) => {
            let (agency_fa, agency_en) = names.agency(agency.as_str());
            Who {
                en: format!("Officer {user} of {agency_en}"),
                fa: format!("کارشناس {user} از {agency_fa}"),
                cols: cols("agency_officer", agency.as_str(), user.as_str()),
            }
        }
        None => Who {
            en: "Someone unnamed".to_owned(),
            fa: "فردی بی‌نام".to_owned(),
            cols: ActorCols::default(),
        },
    }
}

/// The actor back from its columns; `None` when the event named nobody.
pub(super) fn actor_of(cols: &ActorCols) -> Option<Actor> {
    let user = || Text::stored(&cols.user);
    let actor = match cols.kind.as_str() {
        "programme_office" => Actor::ProgrammeOffice { user: user() },
        "county_supervisor" => Actor::CountySupervisor { user: user() },
        "ngo_member" => Actor::NgoMember {
            ngo: NgoCode::stored(&cols.org),
            member: MemberCode::stored(&cols.user),
        },
        "agency_officer" => Actor::AgencyOfficer {
            agency: AgencyCode::stored(&cols.org),
            user: user(),
        },
        _ => return None,
    };
    Some(actor)
}

/// A sentence in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct What {
    pub en: String,
    pub fa: String,
}

fn n(value: impl std::fmt::Display) -> String {
    to_persian_digits(&value.to_string())
}

fn late_en(late: bool) -> &'static str {
    if late { ", after the deadline" } else { "" }
}

fn late_fa(late: bool) -> &'static str {
    if late { "، پس از مهلت" } else { "" }
}

/// ": reason" when there is one.
fn because(reason: &str) -> String {
    if reason.trim().is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

pub(super) fn zone_registered(who: &Who, code: &ZoneCode, name: &Names, goals: usize) -> What {
    What {
        en: format!(
            "{} registered zone {code} “{}” with {goals} goal{}",
            who.en,
            name.en,
            if goals == 1 { "" } else { "s" }
        ),
        fa: format!(
            "{} منطقهٔ {code} «{}» را با {} هدف ثبت کرد",
            who.fa,
            name.fa,
            n(goals)
        ),
    }
}

pub(super) fn need_declared(
    who: &Who,
    title: &Text,
    approach: Approach,
    households: u32,
    late: bool,
) -> What {
    What {
        en: format!(
            "{} declared the need “{title}” ({}, {households} households{})",
            who.en,
            approach.name_en(),
            late_en(late)
        ),
        fa: format!(
            "{} نیاز «{title}» را اعلام کرد ({}، {} خانوار{})",
            who.fa,
            approach.name_fa(),
            n(households),
            late_fa(late)
        ),
    }
}

pub(super) fn need_referred(
    who: &Who,
    agency: &AgencyCode,
    need_title: &str,
    names: &NameBook,
) -> What {
    let (agency_fa, agency_en) = names.agency(agency.as_str());
    What {
        en: format!("{} referred the need “{need_title}” to {agency_en}", who.en),
        fa: format!("{} نیاز «{need_title}» را به {agency_fa} ارجاع داد", who.fa),
    }
}

pub(super) fn referral_answered(
    who: &Who,
    accepted: bool,
    answer: &Text,
    need_title: &str,
) -> What {
    let (en, fa) = if accepted {
        ("accepted", "پذیرفت")
    } else {
        ("declined", "نپذیرفت")
    };
    What {
        en: format!(
            "{} {en} the referral of the need “{need_title}”{}",
            who.en,
            because(answer.as_str())
        ),
        fa: format!(
            "{} ارجاع نیاز «{need_title}» را {fa}{}",
            who.fa,
            because(answer.as_str())
        ),
    }
}

pub(super) fn activity_reported(who: &Who, title: &Text, participants: u32, held_on: Day) -> What {
    What {
        en: format!(
            "{} reported the social activity “{title}” held on {} ({}) with {participants} participants",
            who.en,
            held_on.solar_hijri_long_en(),
            held_on.iso(),
        ),
        fa: format!(
            "{} فعالیت اجتماعی «{title}» را که در {} با {} شرکت‌کننده برگزار شد گزارش کرد",
            who.fa,
            held_on.solar_hijri_long_fa(),
            n(participants)
        ),
    }
}

pub(super) fn proposal_submitted(
    who: &Who,
    title: &Text,
    approach: Approach,
    budget_rials: u64,
    needs: usize,
    late: bool,
) -> What {
    What {
        en: format!(
            "{} submitted the proposal “{title}” ({}, {budget_rials} rials) answering {needs} need{}{}",
            who.en,
            approach.name_en(),
            if needs == 1 { "" } else { "s" },
            late_en(late)
        ),
        fa: format!(
            "{} طرح «{title}» را ({}، {} ریال) در پاسخ به {} نیاز ارائه کرد{}",
            who.fa,
            approach.name_fa(),
            n(budget_rials),
            n(needs),
            late_fa(late)
        ),
    }
}

pub(super) fn proposal_decided(who: &Who, approved: bool, title: &str, reason: &str) -> What {
    let (en, fa) = if approved {
        ("approved", "تصویب کرد")
    } else {
        ("rejected", "رد کرد")
    };
    What {
        en: format!("{} {en} the proposal “{title}”{}", who.en, because(reason)),
        fa: format!("{} طرح «{title}» را {fa}{}", who.fa, because(reason)),
    }
}

pub(super) fn progress_reported(
    who: &Who,
    percent: u32,
    correction: &Text,
    title: &str,
    as_of: Day,
) -> What {
    let (correction_en, correction_fa) = if correction.as_str().trim().is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(" (correction: {correction})"),
            format!(" (اصلاح: {correction})"),
        )
    };
    What {
        en: format!(
            "{} reported the project “{title}” at {percent}% as of {} ({}){correction_en}",
            who.en,
            as_of.solar_hijri_long_en(),
            as_of.iso()
        ),
        fa: format!(
            "{} پیشرفت طرح «{title}» را تا {} {}٪ گزارش کرد{correction_fa}",
            who.fa,
            as_of.solar_hijri_long_fa(),
            n(percent)
        ),
    }
}

pub(super) fn project_completed(who: &Who, title: &str, on: Day) -> What {
    What {
        en: format!(
            "{} reported the project “{title}” completed on {} ({})",
            who.en,
            on.solar_hijri_long_en(),
            on.iso()
        ),
        fa: format!(
            "{} پایان طرح «{title}» را در {} گزارش کرد",
            who.fa,
            on.solar_hijri_long_fa()
        ),
    }
}

pub(super) fn supervision_filed(who: &Who, ngo: &NgoCode, rating: u8, names: &NameBook) -> What {
    let (ngo_fa, ngo_en) = names.ngo(ngo.as_str());
    What {
        en: format!(
            "{} filed a supervision report on {ngo_en} (rating {rating}/5)",
            who.en
        ),
        fa: format!(
            "{} گزارش نظارت بر {ngo_fa} را ثبت کرد (امتیاز {} از ۵)",
            who.fa,
            n(rating)
        ),
    }
}

pub(super) fn unknown_type(who: &Who, event_type: &str) -> What {
    What {
        en: format!(
            "{} recorded an event of type {event_type}, which this version of the projection does not know",
            who.en
        ),
        fa: format!(
            "{} رویدادی از نوع {event_type} ثبت کرد که این نسخه آن را نمی‌شناسد",
            who.fa
        ),
    }
}
