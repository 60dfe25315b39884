//! The page's two languages: Persian (the default, right to left, Persian digits) and
//! English (under `/en`). Every word the page shows is in [`Words`], once per language;
//! numbers, percentages and days are written as each language writes them.

use saman_domain::Day;
use saman_domain::calendar::to_persian_digits;
use saman_domain::progress::TrackStatus;
use saman_domain::values::{Approach, Priority};

use crate::readmodel::Names;

/// The language a page is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fa,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::Fa => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The path prefix of its pages: Persian at the root, English under `/en`.
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::Fa => "",
            Lang::En => "/en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fa => Lang::En,
            Lang::En => Lang::Fa,
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::Fa => &FA,
            Lang::En => &EN,
        }
    }

    /// Digits as the language writes them.
    pub fn digits(self, text: &str) -> String {
        match self {
            Lang::Fa => to_persian_digits(text),
            Lang::En => text.to_owned(),
        }
    }

    /// A whole number with its thousands grouped: 3,800,000,000 / ۳٬۸۰۰٬۰۰۰٬۰۰۰.
    pub fn int(self, n: impl Into<i128>) -> String {
        let n: i128 = n.into();
        let digits = n.unsigned_abs().to_string();
        let separator = match self {
            Lang::Fa => '\u{066C}',
            Lang::En => ',',
        };
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            grouped.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(separator);
            }
            grouped.push(c);
        }
        self.digits(&grouped)
    }

    /// A figure with one decimal: 84.5 / ۸۴٫۵.
    pub fn decimal(self, value: f64) -> String {
        let text = format!("{value:.1}");
        match self {
            Lang::Fa => to_persian_digits(&text.replace('.', "\u{066B}")),
            Lang::En => text,
        }
    }

    /// A percentage with one decimal: 84.5% / ۸۴٫۵٪.
    pub fn pct(self, value: f64) -> String {
        match self {
            Lang::Fa => format!("{}٪", self.decimal(value)),
            Lang::En => format!("{}%", self.decimal(value)),
        }
    }

    /// A day in the Solar Hijri calendar, in words: ۳۱ فروردین ۱۳۹۷ / 31 Farvardin 1397.
    pub fn day(self, day: Day) -> String {
        match self {
            Lang::Fa => day.solar_hijri_long_fa(),
            Lang::En => day.solar_hijri_long_en(),
        }
    }

    /// A name in this language, and in the other one (for a hover title).
    pub fn name(self, names: &Names) -> (String, String) {
        let (shown, other) = match self {
            Lang::Fa => (&names.fa, &names.en),
            Lang::En => (&names.en, &names.fa),
        };
        if shown.is_empty() {
            (other.clone(), String::new())
        } else {
            (shown.clone(), other.clone())
        }
    }

    pub fn status(self, status: TrackStatus) -> &'static str {
        let w = self.words();
        match status {
            TrackStatus::OnTrack => w.on_track,
            TrackStatus::AtRisk => w.at_risk,
            TrackStatus::Behind => w.behind,
        }
    }

    pub fn approach(self, approach: Approach) -> &'static str {
        match self {
            Lang::Fa => approach.name_fa(),
            Lang::En => approach.name_en(),
        }
    }

    pub fn decided(self, decided: crate::readmodel::Decided) -> &'static str {
        use crate::readmodel::Decided;
        let w = self.words();
        match decided {
            Decided::Pending => w.pending_short,
            Decided::Approved => w.approved,
            Decided::Rejected => w.rejected,
        }
    }

    pub fn priority(self, priority: Option<Priority>) -> &'static str {
        match (self, priority) {
            (Lang::Fa, Some(p)) => p.name_fa(),
            (Lang::En, Some(p)) => p.name_en(),
            (_, None) => self.words().not_recorded,
        }
    }
}

/// The class a status is drawn with (its colour; the label says it in words too).
pub fn status_class(status: TrackStatus) -> &'static str {
    match status {
        TrackStatus::OnTrack => "on-track",
        TrackStatus::AtRisk => "at-risk",
        TrackStatus::Behind => "behind",
    }
}

/// Every word of the page, in one language.
#[derive(Debug)]
pub struct Words {
    pub saman: &'static str,
    pub language_name: &'static str,
    pub overview: &'static str,
    pub zone: &'static str,
    pub as_of: &'static str,
    pub as_of_hint: &'static str,
    pub show: &'static str,
    pub reflects: &'static str,
    pub generation: &'static str,
    pub zones: &'static str,
    pub needs: &'static str,
    pub unanswered: &'static str,
    pub proposals: &'static str,
    pub projects: &'static str,
    pub completed: &'static str,
    pub overall: &'static str,
    pub expected: &'static str,
    pub infrastructural: &'static str,
    pub social: &'static str,
    pub days_left: &'static str,
    pub goal_date: &'static str,
    pub operational_start: &'static str,
    pub on_track: &'static str,
    pub at_risk: &'static str,
    pub behind: &'static str,
    pub approved_budget: &'static str,
    pub rials: &'static str,
    pub households: &'static str,
    pub pending: &'static str,
    pub pending_short: &'static str,
    pub expected_label: &'static str,
    pub overdue: &'static str,
    pub open_referrals: &'static str,
    pub late_needs: &'static str,
    pub late_proposals: &'static str,
    pub activities: &'static str,
    pub participants: &'static str,
    pub overdue_projects: &'static str,
    pub none_overdue: &'static str,
    pub title: &'static str,
    pub agency: &'static str,
    pub ngo: &'static str,
    pub approach: &'static str,
    pub planned_end: &'static str,
    pub days_overdue: &'static str,
    pub percent: &'static str,
    pub reported_as_of: &'static str,
    pub need: &'static str,
    pub referred_on: &'static str,
    pub days_open: &'static str,
    pub none_open: &'static str,
    pub decisions: &'static str,
    pub decision_times: &'static str,
    pub median: &'static str,
    pub worst: &'static str,
    pub decided: &'static str,
    pub days: &'static str,
    pub submitted_on: &'static str,
    pub days_waiting: &'static str,
    pub none_pending: &'static str,
    pub supervision: &'static str,
    pub reports: &'static str,
    pub mean_rating: &'static str,
    pub latest_rating: &'static str,
    pub latest_on: &'static str,
    pub no_ngo: &'static str,
    pub late_submissions: &'static str,
    pub kind: &'static str,
    pub by: &'static str,
    pub days_late: &'static str,
    pub none_late: &'static str,
    pub corrections: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub reported_on: &'static str,
    pub reason: &'static str,
    pub none_corrected: &'static str,
    pub rejections: &'static str,
    pub rejected_on: &'static str,
    pub none_rejected: &'static str,
    pub all_zones: &'static str,
    pub progress: &'static str,
    pub progress_over_year: &'static str,
    pub no_month_end: &'static str,
    pub day: &'static str,
    pub status: &'static str,
    pub goals: &'static str,
    pub weight: &'static str,
    pub no_goals: &'static str,
    pub no_projects: &'static str,
    pub budget: &'static str,
    pub approved_on: &'static str,
    pub unanswered_needs: &'static str,
    pub declared_on: &'static str,
    pub late: &'static str,
    pub on_time: &'static str,
    pub none: &'static str,
    pub timeline: &'static str,
    pub timeline_first: &'static str,
    pub more_follow: &'static str,
    pub position: &'static str,
    pub who: &'static str,
    pub when: &'static str,
    pub what: &'static str,
    pub nothing_yet: &'static str,
    pub no_zones: &'static str,
    pub needs_by_priority: &'static str,
    pub not_recorded: &'static str,
    pub signed_in_as: &'static str,
    pub at: &'static str,
    pub time_attested_by: &'static str,
    pub counted_when_received: &'static str,
    pub proposal: &'static str,
    pub curve_label: &'static str,
    pub budgets_per_zone: &'static str,
    pub needs_per_ngo: &'static str,
    pub proposals_per_agency: &'static str,
    pub no_agency: &'static str,
    pub decided_proposals: &'static str,
    pub none_decided: &'static str,
    pub days_to_decide: &'static str,
    pub decision: &'static str,
    pub decided_on: &'static str,
    pub referrals_per_agency: &'static str,
    pub referrals: &'static str,
    pub open: &'static str,
    pub answered: &'static str,
    pub accepted: &'static str,
    pub median_days_to_answer: &'static str,
    pub worst_days_to_answer: &'static str,
    pub oldest_open_days: &'static str,
    pub open_per_agency: &'static str,
    pub open_per_ngo: &'static str,
    pub open_per_zone: &'static str,
    pub oldest_days: &'static str,
    pub supervision_per_ngo: &'static str,
    pub supervision_reports: &'static str,
    pub none_filed: &'static str,
    pub filed_on: &'static str,
    pub rating: &'static str,
    pub findings: &'static str,
    pub whole_programme: &'static str,
    pub members: &'static str,
    pub no_members: &'static str,
    pub member: &'static str,
    pub full_name: &'static str,
    pub since: &'static str,
    pub first_approved_on: &'static str,
    pub approved: &'static str,
    pub revoked: &'static str,
    pub rejected: &'static str,
    pub deadline: &'static str,
    pub activities_per_zone: &'static str,
    pub activities_per_ngo: &'static str,
    pub none_held: &'static str,
    pub held_on: &'static str,
    pub download: &'static str,
    pub workbook: &'static str,
    pub iso_day: &'static str,
    pub compliance: &'static str,
    pub cooperation: &'static str,
    pub ngos_and_supervision: &'static str,
    pub pages: &'static str,
    pub last_updated: &'static str,
    pub goal: &'static str,
    pub planned_start: &'static str,
    pub under_way: &'static str,
    pub as_a_table: &'static str,
}

const EN: Words = Words {
    saman: "Saman",
    language_name: "English",
    overview: "The zones at a glance",
    zone: "Zone",
    as_of: "As of",
    as_of_hint: "As of (Solar Hijri or ISO)",
    show: "Show",
    reflects: "Reflects the events up to position",
    generation: "read models generation",
    zones: "Zones",
    needs: "Needs",
    unanswered: "Unanswered",
    proposals: "Proposals",
    projects: "Projects",
    completed: "completed",
    overall: "Overall",
    expected: "expected",
    infrastructural: "Infrastructural",
    social: "Social",
    days_left: "Days left",
    goal_date: "Goal date",
    operational_start: "Operational start",
    on_track: "on track",
    at_risk: "at risk",
    behind: "behind",
    approved_budget: "Approved budget",
    rials: "rials",
    households: "Households affected",
    pending: "Proposals pending",
    pending_short: "pending",
    expected_label: "Expected",
    overdue: "overdue",
    open_referrals: "Open referrals",
    late_needs: "Late needs",
    late_proposals: "Late proposals",
    activities: "Social activities",
    participants: "participants",
    overdue_projects: "Overdue projects",
    none_overdue: "No project is past its planned end by this day.",
    title: "Title",
    agency: "Agency",
    ngo: "NGO",
    approach: "Approach",
    planned_end: "Planned end",
    days_overdue: "Days overdue",
    percent: "Percent",
    reported_as_of: "Reported as of",
    need: "Need",
    referred_on: "Referred on",
    days_open: "Days open",
    none_open: "Every referral is answered by this day.",
    decisions: "Decisions",
    decision_times: "Days from submission to the county supervisor's decision",
    median: "median",
    worst: "worst",
    decided: "decided",
    days: "days",
    submitted_on: "Submitted on",
    days_waiting: "Days waiting",
    none_pending: "No proposal waits for a decision on this day.",
    supervision: "Supervision",
    reports: "Reports",
    mean_rating: "Mean rating",
    latest_rating: "Latest rating",
    latest_on: "Latest on",
    no_ngo: "No NGO approved by this day.",
    late_submissions: "Late submissions",
    kind: "Kind",
    by: "By",
    days_late: "Days late",
    none_late: "Nothing came in after its deadline by this day.",
    corrections: "Corrections",
    from: "From",
    to: "To",
    reported_on: "Reported on",
    reason: "Reason",
    none_corrected: "No progress was corrected down by this day.",
    rejections: "Rejected proposals",
    rejected_on: "Rejected on",
    none_rejected: "No proposal was rejected by this day.",
    all_zones: "All zones",
    progress: "Progress",
    progress_over_year: "Progress over the year",
    no_month_end: "No month's end yet.",
    day: "Day",
    status: "Status",
    goals: "Goals",
    weight: "Weight",
    no_goals: "No goals.",
    no_projects: "No approved projects.",
    budget: "Budget (rials)",
    approved_on: "Approved on",
    unanswered_needs: "Unanswered needs",
    declared_on: "Declared on",
    late: "late",
    on_time: "on time",
    none: "None.",
    timeline: "Timeline",
    timeline_first: "The first entries, oldest first",
    more_follow: "more follow",
    position: "Position",
    who: "Who",
    when: "When",
    what: "What",
    nothing_yet: "Nothing yet.",
    no_zones: "No zones registered by this day.",
    needs_by_priority: "Needs by priority",
    not_recorded: "not recorded",
    signed_in_as: "signed in as",
    at: "at",
    time_attested_by: "time attested by",
    counted_when_received: "counted when received, not at the time it claims",
    proposal: "proposal",
    curve_label: "overall progress (solid) against the expected line (dashed), at each month's end",
    budgets_per_zone: "Budget, households and needs by priority per zone",
    needs_per_ngo: "Needs declared per NGO",
    proposals_per_agency: "Proposals submitted per agency",
    no_agency: "No agency is registered by this day.",
    decided_proposals: "Decided proposals",
    none_decided: "No proposal was decided by this day.",
    days_to_decide: "Days to decide",
    decision: "Decision",
    decided_on: "Decided on",
    referrals_per_agency: "Referrals per agency",
    referrals: "Referrals",
    open: "Open",
    answered: "Answered",
    accepted: "Accepted",
    median_days_to_answer: "Median days to answer",
    worst_days_to_answer: "Longest days to answer",
    oldest_open_days: "Oldest open (days)",
    open_per_agency: "Open referrals per agency",
    open_per_ngo: "Open referrals per NGO",
    open_per_zone: "Open referrals per zone",
    oldest_days: "Oldest (days)",
    supervision_per_ngo: "Supervision per NGO",
    supervision_reports: "Supervision reports",
    none_filed: "No supervision report was filed by this day.",
    filed_on: "Filed on",
    rating: "Rating",
    findings: "Findings",
    whole_programme: "the whole programme",
    members: "NGO members and their status",
    no_members: "No NGO has a member by this day.",
    member: "Member",
    full_name: "Full name",
    since: "Since",
    first_approved_on: "First approved on",
    approved: "approved",
    revoked: "revoked",
    rejected: "rejected",
    deadline: "deadline",
    activities_per_zone: "Social activities per zone",
    activities_per_ngo: "Social activities per NGO",
    none_held: "No social activity was reported by this day.",
    held_on: "Held on",
    download: "Download:",
    workbook: "Excel workbook",
    iso_day: "ISO",
    compliance: "Deadlines and decisions",
    cooperation: "Cooperation of the agencies",
    ngos_and_supervision: "NGOs and supervision",
    pages: "Pages",
    last_updated: "Last updated",
    goal: "Goal",
    planned_start: "Planned start",
    under_way: "under way",
    as_a_table: "The same as a table",
};

const FA: Words = Words {
    saman: "سامان",
    language_name: "فارسی",
    overview: "مناطق در یک نگاه",
    zone: "منطقه",
    as_of: "به تاریخ",
    as_of_hint: "به تاریخ (خورشیدی یا میلادی)",
    show: "نمایش",
    reflects: "بر پایهٔ رویدادها تا شمارهٔ",
    generation: "نسل مدل‌های خواندن",
    zones: "مناطق",
    needs: "نیازها",
    unanswered: "بی‌پاسخ",
    proposals: "طرح‌ها",
    projects: "پروژه‌ها",
    completed: "پایان‌یافته",
    overall: "کل",
    expected: "مورد انتظار",
    infrastructural: "زیرساختی",
    social: "اجتماعی",
    days_left: "روزهای مانده",
    goal_date: "تاریخ هدف",
    operational_start: "آغاز عملیات",
    on_track: "در مسیر",
    at_risk: "در معرض خطر",
    behind: "عقب",
    approved_budget: "بودجهٔ مصوب",
    rials: "ریال",
    households: "خانوارهای درگیر",
    pending: "طرح‌های در انتظار تصمیم",
    pending_short: "در انتظار",
    expected_label: "مورد انتظار",
    overdue: "عقب‌افتاده",
    open_referrals: "ارجاع‌های بی‌پاسخ",
    late_needs: "نیازهای پس از مهلت",
    late_proposals: "طرح‌های پس از مهلت",
    activities: "فعالیت‌های اجتماعی",
    participants: "شرکت‌کننده",
    overdue_projects: "پروژه‌های عقب‌افتاده",
    none_overdue: "تا این روز هیچ پروژه‌ای از پایان برنامه‌ریزی‌شده‌اش نگذشته است.",
    title: "عنوان",
    agency: "دستگاه",
    ngo: "سمن",
    approach: "رویکرد",
    planned_end: "پایان برنامه‌ریزی‌شده",
    days_overdue: "روزهای تأخیر",
    percent: "درصد",
    reported_as_of: "گزارش تا",
    need: "نیاز",
    referred_on: "تاریخ ارجاع",
    days_open: "روزهای انتظار",
    none_open: "تا این روز به همهٔ ارجاع‌ها پاسخ داده شده است.",
    decisions: "تصمیم‌ها",
    decision_times: "روزها از ارائه تا تصمیم فرمانداری",
    median: "میانه",
    worst: "بیشترین",
    decided: "تصمیم‌گرفته",
    days: "روز",
    submitted_on: "تاریخ ارائه",
    days_waiting: "روزهای انتظار",
    none_pending: "در این روز هیچ طرحی در انتظار تصمیم نیست.",
    supervision: "نظارت",
    reports: "گزارش‌ها",
    mean_rating: "میانگین امتیاز",
    latest_rating: "آخرین امتیاز",
    latest_on: "تاریخ آخرین",
    no_ngo: "تا این روز هیچ سمنی تأیید نشده است.",
    late_submissions: "ارسال‌های پس از مهلت",
    kind: "نوع",
    by: "از سوی",
    days_late: "روزهای تأخیر",
    none_late: "تا این روز چیزی پس از مهلت نرسیده است.",
    corrections: "اصلاح‌ها",
    from: "از",
    to: "به",
    reported_on: "تاریخ گزارش",
    reason: "دلیل",
    none_corrected: "تا این روز هیچ پیشرفتی رو به پایین اصلاح نشده است.",
    rejections: "طرح‌های ردشده",
    rejected_on: "تاریخ رد",
    none_rejected: "تا این روز هیچ طرحی رد نشده است.",
    all_zones: "همهٔ مناطق",
    progress: "پیشرفت",
    progress_over_year: "پیشرفت در طول سال",
    no_month_end: "هنوز هیچ پایان ماهی نرسیده است.",
    day: "روز",
    status: "وضعیت",
    goals: "اهداف",
    weight: "وزن",
    no_goals: "بدون هدف.",
    no_projects: "هیچ پروژهٔ مصوبی نیست.",
    budget: "بودجه (ریال)",
    approved_on: "تاریخ تصویب",
    unanswered_needs: "نیازهای بی‌پاسخ",
    declared_on: "تاریخ اعلام",
    late: "پس از مهلت",
    on_time: "به‌موقع",
    none: "هیچ.",
    timeline: "رویدادها",
    timeline_first: "نخستین رویدادها، از قدیم به جدید",
    more_follow: "ادامه دارد",
    position: "شماره",
    who: "چه کسی",
    when: "کی",
    what: "چه",
    nothing_yet: "هنوز چیزی نیست.",
    no_zones: "تا این روز هیچ منطقه‌ای ثبت نشده است.",
    needs_by_priority: "نیازها بر پایهٔ اولویت",
    not_recorded: "ثبت‌نشده",
    signed_in_as: "واردشده با",
    at: "در",
    time_attested_by: "زمان گواهی‌شده از سوی",
    counted_when_received: "زمان دریافت شمرده شد، نه زمانی که ادعا می‌کند",
    proposal: "طرح",
    curve_label: "پیشرفت کل (خط پیوسته) در برابر پیشرفت مورد انتظار (خط‌چین)، در پایان هر ماه",
    budgets_per_zone: "بودجه، خانوارها و نیازها به ترتیب اولویت در هر منطقه",
    needs_per_ngo: "نیازهای اعلام‌شده به تفکیک سمن",
    proposals_per_agency: "پیشنهادهای ارائه‌شده به تفکیک دستگاه",
    no_agency: "تا این روز هیچ دستگاهی ثبت نشده است.",
    decided_proposals: "پیشنهادهای تصمیم‌گرفته‌شده",
    none_decided: "تا این روز درباره هیچ پیشنهادی تصمیم گرفته نشده است.",
    days_to_decide: "روزها تا تصمیم",
    decision: "تصمیم",
    decided_on: "تاریخ تصمیم",
    referrals_per_agency: "ارجاع‌ها به تفکیک دستگاه",
    referrals: "ارجاع‌ها",
    open: "باز",
    answered: "پاسخ‌داده",
    accepted: "پذیرفته",
    median_days_to_answer: "میانه روزهای پاسخ",
    worst_days_to_answer: "بیشترین روزهای پاسخ",
    oldest_open_days: "قدیمی‌ترین ارجاع باز (روز)",
    open_per_agency: "ارجاع‌های باز به تفکیک دستگاه",
    open_per_ngo: "ارجاع‌های باز به تفکیک سمن",
    open_per_zone: "ارجاع‌های باز به تفکیک منطقه",
    oldest_days: "قدیمی‌ترین (روز)",
    supervision_per_ngo: "نظارت به تفکیک سمن",
    supervision_reports: "گزارش‌های نظارت",
    none_filed: "تا این روز هیچ گزارش نظارتی ثبت نشده است.",
    filed_on: "تاریخ ثبت",
    rating: "امتیاز",
    findings: "یافته‌ها",
    whole_programme: "کل برنامه",
    members: "اعضای سمن‌ها و وضعیت آن‌ها",
    no_members: "تا این روز هیچ سمنی عضوی ندارد.",
    member: "عضو",
    full_name: "نام کامل",
    since: "از",
    first_approved_on: "نخستین تأیید",
    approved: "تأییدشده",
    revoked: "لغوشده",
    rejected: "ردشده",
    deadline: "مهلت",
    activities_per_zone: "فعالیت‌های اجتماعی به تفکیک منطقه",
    activities_per_ngo: "فعالیت‌های اجتماعی به تفکیک سمن",
    none_held: "تا این روز هیچ فعالیت اجتماعی گزارش نشده است.",
    held_on: "تاریخ برگزاری",
    download: "دریافت:",
    workbook: "کارپوشه اکسل",
    iso_day: "میلادی",
    compliance: "مهلت‌ها و تصمیم‌ها",
    cooperation: "همکاری دستگاه‌ها",
    ngos_and_supervision: "سمن‌ها و نظارت",
    pages: "صفحه‌ها",
    last_updated: "آخرین به‌روزرسانی",
    goal: "هدف",
    planned_start: "شروع برنامه‌ریزی‌شده",
    under_way: "در حال اجرا",
    as_a_table: "همین به صورت جدول",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_written_as_each_language_writes_them() {
        assert_eq!(Lang::En.int(3_800_000_000u64), "3,800,000,000");
        assert_eq!(Lang::Fa.int(3_800_000_000u64), "۳٬۸۰۰٬۰۰۰٬۰۰۰");
        assert_eq!(Lang::En.int(999u32), "999");
        assert_eq!(Lang::En.int(-1_000i32), "-1,000");
        assert_eq!(Lang::En.int(0u32), "0");
        assert_eq!(Lang::En.pct(84.25), "84.2%");
        assert_eq!(Lang::Fa.pct(84.5), "۸۴٫۵٪");
        assert_eq!(Lang::Fa.decimal(3.5), "۳٫۵");
    }

    #[test]
    fn a_name_shows_in_the_language_with_the_other_beside_it() {
        let names = Names {
            fa: "منطقه ۱".into(),
            en: "Zone 01".into(),
        };
        assert_eq!(Lang::Fa.name(&names), ("منطقه ۱".into(), "Zone 01".into()));
        assert_eq!(Lang::En.name(&names), ("Zone 01".into(), "منطقه ۱".into()));
        let only_en = Names {
            fa: String::new(),
            en: "x".into(),
        };
        assert_eq!(Lang::Fa.name(&only_en), ("x".into(), String::new()));
    }
}
