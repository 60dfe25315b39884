//! The web page for people: plain server-rendered HTML (UTF-8, no JavaScript, no
//! external assets; Persian text in `dir="rtl"` blocks) on its own address
//! (`--web-listen`), read from the same served generation as the gRPC queries.
//!
//! - `GET /?as_of=1397-06-31`: the zones side by side, the programme's summary, the
//!   overdue projects (the longest overdue first), the open referrals, decision times
//!   and pending proposals, supervision per NGO, late submissions, corrections and
//!   rejections;
//! - `GET /zones/{code}?as_of=...`: one zone: progress, budget, households and needs
//!   by priority, its progress at each month's end, goals, projects, unanswered needs
//!   and the first 100 timeline entries;
//! - `GET /healthz`: `ok`.
//!
//! `as_of` takes what `Read.as_of` takes (Solar Hijri, Persian digits, or ISO); it
//! defaults to today in Asia/Tehran. An invalid `as_of` is a 400 page, an unknown zone a
//! 404 page (the status codes are decided in [`crate::error`], with gRPC's).
//!
//! The HTML is written with `maud`: templates in Rust, checked when compiled, and every
//! text put into them escaped unless marked otherwise (only the style sheet is).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use saman_domain::Day;
use saman_domain::progress::TrackStatus;
use saman_domain::values::Approach;
use saman_runtime::tls::{ServerConfig, TlsListener};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::ProjectionError;
use crate::readmodel::{
    Correction, GoalProgress, LateItem, Names, NeedSummary, NgoSupervision, OpenReferral,
    OverdueProject, Progress, Project, ProposalWait, Rejection, TimelineEntry, ZoneBudget,
    ZoneSummary,
};
use crate::reply::date;
use crate::request;
use crate::state::State;

/// Timeline entries shown on a zone's page.
const TIMELINE_ENTRIES: u32 = 100;

/// The web page's routes.
pub fn router(state: State) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/zones/{code}", get(zone))
        .route("/healthz", get(healthz))
        .fallback(fallback)
        .with_state(state)
}

/// Serves the web page on `listener` (over HTTPS with `tls`) until `stop` is
/// cancelled; in-flight requests finish first.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    state: State,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let served = match tls {
        Some(config) => {
            axum::serve(TlsListener::new(listener, config), router(state))
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }
        None => {
            axum::serve(listener, router(state))
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }
    };
    served.map_err(|err| anyhow::anyhow!("web page server failed: {err}"))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for a URL's path
/// segment or query value).
fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URL_COMPONENT).to_string()
}

/// What a URL component escapes: everything but RFC 3986's unreserved characters.
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The page of an error (see [`ProjectionError`]'s `IntoResponse`): its status code
/// and title, why, and the way back.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> String {
    page(
        title,
        html! {
            h1 { (status.as_u16()) " " (title) }
            p { (message) }
            p { a href="/" { "All zones" } }
        },
    )
    .into_string()
}

/// A whole HTML document around `body`.
fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Saman" }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}\
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top}\
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.on-track{color:#176117}.at-risk{color:#8a5a00}.behind{color:#a11}\
[dir=rtl]{font-family:Vazirmatn,Tahoma,sans-serif}.muted{color:#666}";

/// Persian text, right to left.
fn fa(text: &str) -> Markup {
    html! { span dir="rtl" lang="fa" { (text) } }
}

/// A heading in English with its Persian name.
fn heading(en: &str, fa_name: &str) -> Markup {
    html! { h2 { (en) " " span dir="rtl" lang="fa" { "· " (fa_name) } } }
}

/// The `as_of` query parameter: a day, default today in Asia/Tehran.
fn as_of(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Day, ProjectionError> {
    let Query(query) = query.map_err(|err| ProjectionError::Invalid {
        field: "query",
        why: err.body_text(),
    })?;
    request::as_of(query.get("as_of").map_or("", String::as_str), "as_of")
}

/// The as-of day in both calendars, what the page reflects, and the form to change
/// the day.
fn header(day: Day, position: u64, generation: u64, action: &str) -> Markup {
    let d = date(day);
    html! {
        p {
            "As of " strong { (d.solar_hijri_en) } " (" (d.iso) ") · "
            (fa(&d.solar_hijri_fa)) " " (fa(&day.solar_hijri_persian()))
        }
        p.muted {
            "Reflects the events up to position " (position)
            " (read models generation " (generation) ")."
        }
        form method="get" action=(action) {
            label {
                "As of (Solar Hijri or ISO) "
                input name="as_of" value=(d.solar_hijri) size="12";
            }
            " "
            button type="submit" { "Show" }
        }
    }
}

fn status_cell(status: TrackStatus) -> Markup {
    let (class, en, fa_name) = match status {
        TrackStatus::OnTrack => ("on-track", "on track", "در مسیر"),
        TrackStatus::AtRisk => ("at-risk", "at risk", "در معرض خطر"),
        TrackStatus::Behind => ("behind", "behind", "عقب"),
    };
    html! { td class=(class) { (en) " · " (fa(fa_name)) } }
}

fn pct(value: f64) -> Markup {
    html! { td.n { (format!("{value:.1}%")) } }
}

/// Days with one decimal, or a dash when there are none.
fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |d| format!("{d:.1}"))
}

fn num(value: impl std::fmt::Display) -> Markup {
    html! { td.n { (value.to_string()) } }
}

/// A table: its header row, then a `row` per item, or one row across saying `empty` if
/// there are none.
fn table<T>(headers: &[&str], items: &[T], row: impl Fn(&T) -> Markup, empty: &str) -> Markup {
    html! {
        table {
            tr { @for h in headers { th { (h) } } }
            @if items.is_empty() {
                tr { td colspan=(headers.len()) class="muted" { (empty) } }
            }
            @for item in items { (row(item)) }
        }
    }
}

fn approach(a: Approach) -> Markup {
    html! { (a.name_en()) " · " (fa(a.name_fa())) }
}

fn day_cell(d: Option<Day>) -> Markup {
    html! {
        @match d {
            Some(d) => td { (d.iso()) " · " (fa(&d.solar_hijri_long_fa())) },
            None => td.muted { "—" },
        }
    }
}

/// A zone's progress figures, as cells: infrastructural, social, overall, expected, status,
/// days left.
fn progress_cells(p: &Progress) -> Markup {
    html! {
        (pct(p.infrastructural))
        (pct(p.social))
        (pct(p.overall))
        (pct(p.expected))
        (status_cell(p.status))
        (num(p.days_left))
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn fallback(uri: Uri) -> ProjectionError {
    ProjectionError::NotFound {
        what: "page",
        id: uri.path().to_owned(),
    }
}

async fn index(
    Shared(state): Shared<State>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Html<String>, ProjectionError> {
    let day = as_of(query)?;
    let served = state.served().await;
    let generation = served.generation;
    let position = state.position();
    let models = state.models();
    let zones = models.list_zones(generation, day).await?;
    let s = models.programme_summary(generation, day).await?;
    let overdue = models.overdue_projects(generation, day).await?;
    let referrals = models.open_referrals(generation, day).await?;
    let decisions = models.decision_times(generation, day).await?;
    let supervision = models.supervision(generation, day).await?;
    let late = models.late_items(generation, day).await?;
    let corrections = models.corrections(generation, day).await?;

    let goal = s
        .goal_date
        .map(|d| format!("{} ({})", d.solar_hijri_long_en(), d.iso()))
        .unwrap_or_default();
    let as_of_param = url_encode(&day.iso());
    let rows = |zone: &ZoneSummary| {
        html! {
            tr {
                td {
                    a href=(format!("/zones/{}?as_of={as_of_param}", url_encode(&zone.code))) {
                        (zone.code)
                    }
                }
                td { (fa(&zone.name.fa)) }
                td { (zone.name.en) }
                (num(zone.needs))
                (num(zone.unanswered_needs))
                (num(zone.proposals))
                (num(zone.projects))
                (progress_cells(&zone.progress))
            }
        }
    };
    let body = html! {
        h1 { "Saman: the zones side by side " span dir="rtl" lang="fa" { "· سامان: مناطق" } }
        (header(day, position, generation, "/"))
        p {
            strong { "Programme:" }
            (format!(
                " {} zones, {} needs, {} proposals, {} projects ({} completed); \
                 infrastructural {:.1}%, social {:.1}%, overall {:.1}% against {:.1}% expected; \
                 {} on track, {} at risk, {} behind; {} days left to the goal date {goal}.",
                s.zones, s.needs, s.proposals, s.projects, s.completed_projects,
                s.infrastructural, s.social, s.overall, s.expected,
                s.zones_on_track, s.zones_at_risk, s.zones_behind, s.days_left,
            ))
        }
        p {
            (format!(
                "Approved budget {} rials ({} infrastructural, {} social); {} households \
                 affected; {} proposals pending, {} projects overdue, {} referrals open; {} \
                 needs and {} proposals late; {} social activities ({} participants).",
                s.approved_budget_rials, s.infrastructural_budget_rials, s.social_budget_rials,
                s.households_affected, s.pending_proposals, s.overdue_projects, s.open_referrals,
                s.late_needs, s.late_proposals, s.activities, s.participants,
            ))
        }
        (table(
            &[
                "Code", "نام", "Name", "Needs", "Unanswered", "Proposals", "Projects",
                "Infrastructural", "Social", "Overall", "Expected", "Status", "Days left",
            ],
            &zones,
            rows,
            "No zones registered by this day.",
        ))

        (heading("Overdue projects", "پروژه‌های عقب‌افتاده"))
        (table(
            &[
                "Zone", "Title", "Agency", "Approach", "Planned end", "Days overdue", "Percent",
                "Reported as of",
            ],
            &overdue,
            |o: &OverdueProject| html! {
                tr {
                    td {
                        a href=(format!("/zones/{}?as_of={as_of_param}", url_encode(&o.zone))) {
                            (o.zone)
                        }
                        " " (o.zone_name.en)
                    }
                    td dir="auto" { (o.project.title) }
                    td { (o.agency_name.en) " · " (fa(&o.agency_name.fa)) }
                    td { (approach(o.project.approach)) }
                    (day_cell(Some(o.project.planned_end)))
                    (num(o.days_overdue))
                    td.n { (o.project.percent) "%" }
                    (day_cell(o.project.reported_as_of))
                }
            },
            "No project is past its planned end by this day.",
        ))

        (heading("Open referrals", "ارجاع‌های بی‌پاسخ"))
        (table(
            &["Zone", "Need", "Agency", "NGO", "Referred on", "Days open"],
            &referrals.referrals,
            |r: &OpenReferral| html! {
                tr {
                    td { (r.zone.code) " " (r.zone.name.en) }
                    td dir="auto" { (r.need_title) }
                    td { (r.agency.name.en) " · " (fa(&r.agency.name.fa)) }
                    td { (r.ngo.name.en) " · " (fa(&r.ngo.name.fa)) }
                    (day_cell(Some(r.referred_on)))
                    (num(r.days_open))
                }
            },
            "Every referral is answered by this day.",
        ))

        (heading("Decisions", "تصمیم‌ها"))
        p {
            (format!(
                "Days from submission to the county supervisor's decision: median {}, worst {} \
                 ({} decided). Pending:",
                days(decisions.median_days), days(decisions.worst_days), decisions.decided.len(),
            ))
        }
        (table(
            &["Zone", "Proposal", "Agency", "Submitted on", "Days waiting"],
            &decisions.pending,
            |w: &ProposalWait| html! {
                tr {
                    td { (w.zone.code) " " (w.zone.name.en) }
                    td dir="auto" { (w.title) }
                    td { (w.agency.name.en) " · " (fa(&w.agency.name.fa)) }
                    (day_cell(Some(w.submitted_on)))
                    (num(w.days))
                }
            },
            "No proposal waits for a decision on this day.",
        ))

        (heading("Supervision", "نظارت"))
        (table(
            &["NGO", "Reports", "Mean rating", "Latest rating", "Latest on"],
            &supervision.ngos,
            |n: &NgoSupervision| html! {
                tr {
                    td { (n.ngo.name.en) " · " (fa(&n.ngo.name.fa)) }
                    (num(n.reports))
                    td.n { (n.average_rating.map_or("—".into(), |r| format!("{r:.1}"))) }
                    td.n { (n.latest_rating.map_or("—".into(), |r| r.to_string())) }
                    (day_cell(n.latest_on))
                }
            },
            "No NGO approved by this day.",
        ))

        (heading("Late submissions", "ارسال‌های پس از مهلت"))
        (table(
            &["Kind", "Zone", "Title", "By", "Submitted on", "Days late"],
            &late.needs.iter().map(|i| ("need", i)).chain(late.proposals.iter().map(|i| ("proposal", i))).collect::<Vec<_>>(),
            |(kind, i): &(&str, &LateItem)| html! {
                tr {
                    td { (kind) }
                    td { (i.zone.code) " " (i.zone.name.en) }
                    td dir="auto" { (i.title) }
                    td {
                        (i.submitter.name.en) " · " (fa(&i.submitter.name.fa))
                        @if let Some(m) = &i.member { " (" (m.name.en) ")" }
                    }
                    (day_cell(Some(i.submitted_on)))
                    (num(i.days_late))
                }
            },
            "Nothing came in after its deadline by this day.",
        ))

        (heading("Corrections and rejections", "اصلاح‌ها و ردها"))
        (table(
            &["Zone", "Project", "Agency", "From", "To", "Reported on", "Reason"],
            &corrections.corrections,
            |c: &Correction| html! {
                tr {
                    td { (c.zone.code) " " (c.zone.name.en) }
                    td dir="auto" { (c.title) }
                    td { (c.agency.name.en) }
                    td.n { (c.from_percent) "%" }
                    td.n { (c.to_percent) "%" }
                    (day_cell(Some(c.reported_on)))
                    td dir="auto" { (c.reason) }
                }
            },
            "No progress was corrected down by this day.",
        ))
        (table(
            &["Zone", "Rejected proposal", "Agency", "Rejected on", "Reason"],
            &corrections.rejections,
            |r: &Rejection| html! {
                tr {
                    td { (r.zone.code) " " (r.zone.name.en) }
                    td dir="auto" { (r.title) }
                    td { (r.agency.name.en) }
                    (day_cell(Some(r.rejected_on)))
                    td dir="auto" { (r.reason) }
                }
            },
            "No proposal was rejected by this day.",
        ))
    };
    Ok(Html(page("Zones", body).into_string()))
}

async fn zone(
    Shared(state): Shared<State>,
    Path(code): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Html<String>, ProjectionError> {
    let day = as_of(query)?;
    // A path that names no zone code is a page that does not exist.
    let code = request::zone(&code, "code").map_err(|_| ProjectionError::NotFound {
        what: "zone",
        id: code.clone(),
    })?;
    let served = state.served().await;
    let generation = served.generation;
    let position = state.position();
    let models = state.models();
    let zone = models.zone_progress(generation, &code, day).await?;
    let timeline = models
        .zone_timeline(generation, &code, day, TIMELINE_ENTRIES, 0)
        .await?;
    let series = models.zone_series(generation, &code, day).await?;

    let Names { fa: fa_name, en } = &zone.name;
    let progress = &zone.progress;
    let needs = &zone.needs;
    let proposals = &zone.proposals;
    let goals = |goal: &GoalProgress| {
        html! {
            tr {
                td { (goal.code) }
                td { (fa(&goal.title.fa)) }
                td { (goal.title.en) }
                td { (approach(goal.approach)) }
                (num(goal.weight))
                (pct(goal.percent))
                td.n { (goal.serving.len()) }
            }
        }
    };
    let projects = |project: &Project| {
        html! {
            tr {
                td dir="auto" { (project.title) }
                td { (project.agency) }
                td { (approach(project.approach)) }
                (num(project.budget_rials))
                td.n {
                    (project.percent) "%"
                    @if project.completed { " (completed)" }
                    @if project.overdue { " (overdue)" }
                }
                (day_cell(project.reported_as_of))
                (day_cell(project.approved_on))
                (day_cell(Some(project.planned_end)))
            }
        }
    };
    let unanswered = |need: &NeedSummary| {
        html! {
            tr {
                td dir="auto" { (need.title) }
                td { (need.ngo) }
                td { (approach(need.approach)) }
                (day_cell(Some(need.declared_on)))
                td { @if need.late { "late" } @else { "on time" } }
                (num(need.households_affected))
            }
        }
    };
    let entries = |entry: &TimelineEntry| {
        html! {
            tr {
                (num(entry.position))
                (who_cell(entry))
                (when_cell(entry))
                td { (entry.what_en) }
                td dir="rtl" lang="fa" { (entry.what_fa) }
            }
        }
    };
    let body = html! {
        p { a href=(format!("/?as_of={}", url_encode(&day.iso()))) { "All zones" } }
        h1 { (zone.code) ": " (en) " · " (fa(fa_name)) }
        (header(day, position, generation, &format!("/zones/{}", url_encode(&zone.code))))

        (heading("Progress", "پیشرفت"))
        table {
            tr {
                th { "Infrastructural" } th { "Social" } th { "Overall" } th { "Expected" }
                th { "Status" } th { "Days left" } th { "Operational start" } th { "Goal date" }
            }
            tr {
                (progress_cells(progress))
                (day_cell(progress.operational_start))
                (day_cell(progress.goal_date))
            }
        }
        p {
            (format!(
                "Needs: {} ({} infrastructural, {} social; {} on time, {} late). Proposals: {} \
                 ({} pending, {} approved, {} rejected).",
                needs.total, needs.infrastructural, needs.social, needs.on_time, needs.late,
                proposals.total, proposals.pending, proposals.approved, proposals.rejected,
            ))
        }
        (budget_line(&zone.budget))
        p {
            (format!(
                "Open referrals: {}. Social activities: {} ({} participants).",
                zone.open_referrals, zone.activities, zone.participants
            ))
        }

        (heading("Progress over the year", "پیشرفت در طول سال"))
        (table(
            &["Day", "Infrastructural", "Social", "Overall", "Expected", "Status", "Days left"],
            &series.points,
            |(d, p): &(Day, Progress)| html! { tr { (day_cell(Some(*d))) (progress_cells(p)) } },
            "No month's end yet.",
        ))

        (heading("Goals", "اهداف"))
        (table(
            &["Code", "عنوان", "Title", "Approach", "Weight", "Progress", "Projects"],
            &zone.goals,
            goals,
            "No goals.",
        ))

        (heading("Projects", "پروژه‌ها"))
        (table(
            &[
                "Title", "Agency", "Approach", "Budget (rials)", "Percent", "Reported as of",
                "Approved on", "Planned end",
            ],
            &zone.projects,
            projects,
            "No approved projects.",
        ))

        (heading("Unanswered needs", "نیازهای بی‌پاسخ"))
        (table(
            &["Title", "NGO", "Approach", "Declared on", "Late", "Households"],
            &zone.unanswered_needs,
            unanswered,
            "None.",
        ))

        (heading("Timeline", "رویدادها"))
        p.muted {
            "The first " (TIMELINE_ENTRIES) " entries, oldest first"
            @if timeline.next.is_some() { "; more follow" }
            "."
        }
        (table(
            &["Position", "Who", "When", "What", "چه"],
            &timeline.entries,
            entries,
            "Nothing yet.",
        ))
    };
    Ok(Html(
        page(&format!("{} {en}", zone.code), body).into_string(),
    ))
}

/// A zone's approved budget by approach, the households its needs affect and its needs
/// by priority.
fn budget_line(b: &ZoneBudget) -> Markup {
    let priorities: Vec<String> = b
        .needs_by_priority
        .iter()
        .map(|(priority, n)| {
            let name = priority.map_or("not recorded", |p| p.name_en());
            format!("{name} {n}")
        })
        .collect();
    html! {
        p {
            (format!(
                "Approved budget: {} rials ({} infrastructural, {} social). Households affected: {}. \
                 Needs by priority: {}.",
                b.approved_budget_rials, b.infrastructural_budget_rials, b.social_budget_rials,
                b.households_affected, priorities.join(", "),
            ))
        }
    }
}

/// Who acted, the caller who was signed in, and who attested the claimed time.
fn who_cell(entry: &TimelineEntry) -> Markup {
    html! {
        td dir="auto" {
            (entry.who)
            @if let Some(p) = &entry.principal {
                br;
                small.muted { "signed in as " (p.subject) " at " (p.issuer) }
            }
            @if let Some(a) = &entry.attestation {
                br;
                small.muted { "time attested by " (a.attester.to_string()) ": " (a.reason) }
            } @else if entry.vouch == "unvouched" {
                br;
                small.muted { "counted when received, not at the time it claims" }
            }
        }
    }
}

/// When an entry happened: the day in both calendars and the time in Tehran.
fn when_cell(entry: &TimelineEntry) -> Markup {
    let time = entry
        .occurred_at
        .in_tz("Asia/Tehran")
        .map(|z| z.strftime("%H:%M").to_string())
        .unwrap_or_default();
    let d = entry.occurred_on;
    html! { td { (d.iso()) " " (time) " · " (fa(&d.solar_hijri_long_fa())) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        // maud escapes &, <, > and " (its attributes are always in double quotes).
        assert_eq!(
            html! { (r#"<a href="x">Tom & 'Jerry'</a>"#) }.into_string(),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; 'Jerry'&lt;/a&gt;"
        );
        assert_eq!(
            fa("منطقه 1").into_string(),
            "<span dir=\"rtl\" lang=\"fa\">منطقه 1</span>"
        );
        assert_eq!(
            html! { input value=("a\"><script>") ; }.into_string(),
            "<input value=\"a&quot;&gt;&lt;script&gt;\">"
        );
    }

    #[test]
    fn url_encodes_all_but_unreserved() {
        for (text, encoded) in [("zone-01", "zone-01"), ("a b/?&~", "a%20b%2F%3F%26~")] {
            assert_eq!(url_encode(text), encoded);
        }
    }

    #[test]
    fn an_error_page_says_its_status_and_why_escaped() {
        let page = error_page(StatusCode::NOT_FOUND, "Not found", "zone '<x>' not found");
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(page.contains("<h1>404 Not found</h1>"), "{page}");
        assert!(page.contains("zone '&lt;x&gt;' not found"), "{page}");
    }
}
