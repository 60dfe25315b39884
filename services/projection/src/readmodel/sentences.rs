//! The timeline's "who" and "what": one sentence per event, in English and in Persian.
//!
//! Sentences are written when the event is applied, from the event and the facts of the
//! same zone stream applied before it (a need's or proposal's title), which every build
//! sees in the same order: a rebuild writes the very same text.

use saman_domain::Day;
use saman_domain::calendar::to_persian_digits;
use saman_domain::values::Approach;
use saman_proto::events::v1::{self as ev, actor::Kind};

use super::facts::ActorCols;

/// An actor in English and Persian, e.g. "Member m-001 of NGO ngo-01" /
/// "عضو m-001 سمن ngo-01".
#[derive(Debug, Clone)]
pub(super) struct Who {
    pub en: String,
    pub fa: String,
    pub cols: ActorCols,
}

pub(super) fn who(actor: Option<&ev::Actor>) -> Who {
    let cols = |kind: &str, org: &str, user: &str| ActorCols {
        kind: kind.to_owned(),
        org: org.to_owned(),
        user: user.to_owned(),
    };
    match actor.and_then(|a| a.kind.as_ref()) {
        Some(Kind::ProgrammeOffice(o)) => Who {
            en: format!("The programme office ({})", o.user),
            fa: format!("استانداری ({})", o.user),
            cols: cols("programme_office", "", &o.user),
        },
        Some(Kind::CountySupervisor(o)) => Who {
            en: format!("The county supervisor ({})", o.user),
            fa: format!("فرمانداری ({})", o.user),
            cols: cols("county_supervisor", "", &o.user),
        },
        Some(Kind::NgoMember(m)) => Who {
            en: format!("Member {} of NGO {}", m.member, m.ngo),
            fa: format!("عضو {} سمن {}", m.member, m.ngo),
            cols: cols("ngo_member", &m.ngo, &m.member),
        },
        Some(Kind::AgencyOfficer(o)) => Who {
            en: format!("Officer {} of agency {}", o.user, o.agency),
            fa: format!("کارشناس {} دستگاه {}", o.user, o.agency),
            cols: cols("agency_officer", &o.agency, &o.user),
        },
        None => Who {
            en: "Someone unnamed".to_owned(),
            fa: "فردی بی‌نام".to_owned(),
            cols: ActorCols::default(),
        },
    }
}

/// The actor back in its protobuf form.
pub(super) fn actor_of(cols: &ActorCols) -> Option<ev::Actor> {
    let official = || ev::Official {
        user: cols.user.clone(),
    };
    let kind = match cols.kind.as_str() {
        "programme_office" => Kind::ProgrammeOffice(official()),
        "county_supervisor" => Kind::CountySupervisor(official()),
        "ngo_member" => Kind::NgoMember(ev::NgoMember {
            ngo: cols.org.clone(),
            member: cols.user.clone(),
        }),
        "agency_officer" => Kind::AgencyOfficer(ev::AgencyOfficer {
            agency: cols.org.clone(),
            user: cols.user.clone(),
        }),
        _ => return None,
    };
    Some(ev::Actor { kind: Some(kind) })
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

pub(super) fn zone_registered(who: &Who, e: &ev::ZoneRegistered) -> What {
    let goals = e.goals.len();
    What {
        en: format!(
            "{} registered zone {} “{}” with {goals} goal{}",
            who.en,
            e.code,
            e.name_en,
            if goals == 1 { "" } else { "s" }
        ),
        fa: format!(
            "{} منطقهٔ {} «{}» را با {} هدف ثبت کرد",
            who.fa,
            e.code,
            e.name_fa,
            n(goals)
        ),
    }
}

pub(super) fn need_declared(who: &Who, e: &ev::NeedDeclared, approach: Approach) -> What {
    What {
        en: format!(
            "{} declared the need “{}” ({}, {} households{})",
            who.en,
            e.title,
            approach.name_en(),
            e.households_affected,
            late_en(e.late)
        ),
        fa: format!(
            "{} نیاز «{}» را اعلام کرد ({}، {} خانوار{})",
            who.fa,
            e.title,
            approach.name_fa(),
            n(e.households_affected),
            late_fa(e.late)
        ),
    }
}

pub(super) fn need_referred(who: &Who, e: &ev::NeedReferred, need_title: &str) -> What {
    What {
        en: format!(
            "{} referred the need “{need_title}” to agency {}",
            who.en, e.agency
        ),
        fa: format!(
            "{} نیاز «{need_title}» را به دستگاه {} ارجاع داد",
            who.fa, e.agency
        ),
    }
}

pub(super) fn referral_answered(who: &Who, e: &ev::ReferralAnswered, need_title: &str) -> What {
    let (en, fa) = if e.accepted {
        ("accepted", "پذیرفت")
    } else {
        ("declined", "نپذیرفت")
    };
    What {
        en: format!(
            "{} {en} the referral of the need “{need_title}”{}",
            who.en,
            because(&e.answer)
        ),
        fa: format!(
            "{} ارجاع نیاز «{need_title}» را {fa}{}",
            who.fa,
            because(&e.answer)
        ),
    }
}

pub(super) fn activity_reported(who: &Who, e: &ev::SocialActivityReported, held_on: Day) -> What {
    What {
        en: format!(
            "{} reported the social activity “{}” held on {} ({}) with {} participants",
            who.en,
            e.title,
            held_on.solar_hijri_long_en(),
            held_on.iso(),
            e.participants
        ),
        fa: format!(
            "{} فعالیت اجتماعی «{}» را که در {} با {} شرکت‌کننده برگزار شد گزارش کرد",
            who.fa,
            e.title,
            held_on.solar_hijri_long_fa(),
            n(e.participants)
        ),
    }
}

pub(super) fn proposal_submitted(who: &Who, e: &ev::ProposalSubmitted, approach: Approach) -> What {
    let needs = e.need_ids.len();
    What {
        en: format!(
            "{} submitted the proposal “{}” ({}, {} rials) answering {needs} need{}{}",
            who.en,
            e.title,
            approach.name_en(),
            e.budget_rials,
            if needs == 1 { "" } else { "s" },
            late_en(e.late)
        ),
        fa: format!(
            "{} طرح «{}» را ({}، {} ریال) در پاسخ به {} نیاز ارائه کرد{}",
            who.fa,
            e.title,
            approach.name_fa(),
            n(e.budget_rials),
            n(needs),
            late_fa(e.late)
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
    e: &ev::ProgressReported,
    title: &str,
    as_of: Day,
) -> What {
    let (correction_en, correction_fa) = if e.correction.trim().is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(" (correction: {})", e.correction),
            format!(" (اصلاح: {})", e.correction),
        )
    };
    What {
        en: format!(
            "{} reported the project “{title}” at {}% as of {} ({}){correction_en}",
            who.en,
            e.percent,
            as_of.solar_hijri_long_en(),
            as_of.iso()
        ),
        fa: format!(
            "{} پیشرفت طرح «{title}» را تا {} {}٪ گزارش کرد{correction_fa}",
            who.fa,
            as_of.solar_hijri_long_fa(),
            n(e.percent)
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

pub(super) fn supervision_filed(who: &Who, e: &ev::SupervisionReportFiled) -> What {
    What {
        en: format!(
            "{} filed a supervision report on NGO {} (rating {}/5)",
            who.en, e.ngo, e.rating
        ),
        fa: format!(
            "{} گزارش نظارت بر سمن {} را ثبت کرد (امتیاز {} از ۵)",
            who.fa,
            e.ngo,
            n(e.rating)
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
