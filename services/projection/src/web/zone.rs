//! One zone: its progress as bars against what is expected, its curve over the year,
//! its budget and needs, goals and projects as bars, the needs no proposal answers yet
//! and the first timeline entries.

use axum::extract::{Path, State as Shared};
use axum::response::Html;
use maud::{Markup, html};
use saman_domain::Day;

use super::charts::{bar, curve};
use super::i18n::status_class;
use super::layout::{self, day_cell, num, pct_cell, table};
use super::{Lang, Params, as_of, day_query, url_encode};
use crate::error::ProjectionError;
use crate::readmodel::{NeedSummary, Progress, TimelineEntry};
use crate::request;
use crate::state::State;

/// Timeline entries shown on a zone's page.
const TIMELINE_ENTRIES: u32 = 100;

pub(super) async fn page(
    lang: Lang,
    Shared(state): Shared<State>,
    Path(code): Path<String>,
    query: Params,
) -> Result<Html<String>, ProjectionError> {
    // A path that names no zone code is a page that does not exist.
    let code = request::zone(&code, "code").map_err(|_| ProjectionError::NotFound {
        what: "zone",
        id: code.clone(),
    })?;
    let served = state.served().await;
    let generation = served.generation;
    let models = state.models();
    let day = as_of(query, models, generation).await?;
    let position = state.position();
    let zone = models.zone_progress(generation, &code, day).await?;
    let timeline = models
        .zone_timeline(generation, &code, day, TIMELINE_ENTRIES, 0)
        .await?;
    let series = models.zone_series(generation, &code, day).await?;
    let w = lang.words();
    let q = day_query(day);
    let p = &zone.progress;
    let needs = &zone.needs;
    let proposals = &zone.proposals;
    let b = &zone.budget;
    let path = format!("/zones/{}", url_encode(&zone.code));
    let priorities: Vec<String> = b
        .needs_by_priority
        .iter()
        .map(|(priority, n)| format!("{} {}", lang.priority(*priority), lang.int(*n)))
        .collect();

    let body = html! {
        p { a href=(format!("{}/{q}", lang.prefix())) { (w.all_zones) } }
        h1 { (layout::name(lang, &zone.name)) " " span.muted { bdi { (zone.code) } } }
        (layout::day_header(lang, day, position, generation, &format!("{}{path}", lang.prefix())))

        h2 { (w.progress) }
        section data-zone=(zone.code) {
            (bar(lang, "overall", w.overall, p.overall, Some(p.expected), Some(p.status)))
            (bar(lang, "infrastructural", w.infrastructural, p.infrastructural, None, None))
            (bar(lang, "social", w.social, p.social, None, None))
        }
        dl.figures {
            div { dt { (w.expected_label) } dd { (lang.pct(p.expected)) } }
            div { dt { (w.days_left) } dd { (lang.int(p.days_left)) } }
            div { dt { (w.operational_start) } dd { (p.operational_start.map_or_else(|| "—".into(), |d| lang.day(d))) } }
            div { dt { (w.goal_date) } dd { (p.goal_date.map_or_else(|| "—".into(), |d| lang.day(d))) } }
            div { dt { (w.needs) } dd { (lang.int(needs.total)) " (" (w.late) " " (lang.int(needs.late)) ")" } }
            div { dt { (w.proposals) } dd { (lang.int(proposals.total)) " (" (w.pending_short) " " (lang.int(proposals.pending)) ")" } }
            div { dt { (w.approved_budget) " (" (w.rials) ")" } dd { bdi { (lang.int(b.approved_budget_rials)) } } }
            div { dt { (w.households) } dd { (lang.int(b.households_affected)) } }
            div { dt { (w.open_referrals) } dd { (lang.int(zone.open_referrals)) } }
            div { dt { (w.activities) } dd { (lang.int(zone.activities)) " (" (lang.int(zone.participants)) " " (w.participants) ")" } }
        }
        p { (w.needs_by_priority) ": " (priorities.join(match lang { Lang::Fa => "، ", Lang::En => ", " })) }

        h2 { (w.progress_over_year) }
        (curve(lang, &series.points))
        (table(w.progress_over_year,
            &[w.day, w.infrastructural, w.social, w.overall, w.expected_label, w.status],
            &series.points,
            |(d, p): &(Day, Progress)| html! {
                tr {
                    (day_cell(lang, Some(*d)))
                    (pct_cell(lang, p.infrastructural))
                    (pct_cell(lang, p.social))
                    (pct_cell(lang, p.overall))
                    (pct_cell(lang, p.expected))
                    td class={ "status " (status_class(p.status)) } { (lang.status(p.status)) }
                }
            },
            w.no_month_end))

        h2 { (w.goals) }
        @if zone.goals.is_empty() { p.muted { (w.no_goals) } }
        @for g in &zone.goals {
            (bar(lang, &format!("goal-{}", g.code), &format!("{} ({} {})", lang.name(&g.title).0, w.weight, lang.int(g.weight)), g.percent, None, None))
        }

        h2 { (w.projects) }
        @if zone.projects.is_empty() { p.muted { (w.no_projects) } }
        @for pr in &zone.projects {
            div.project data-project=(pr.proposal_id) {
                (bar(lang, &format!("project-{}", pr.proposal_id), &pr.title, f64::from(pr.percent), None, None))
                p.muted {
                    (lang.approach(pr.approach)) " · " (w.budget) " " bdi { (lang.int(pr.budget_rials)) }
                    " · " (w.planned_end) " " (lang.day(pr.planned_end))
                    @if pr.completed { " · " (w.completed) }
                    @if pr.overdue { " · " span.flag { (w.overdue) } }
                }
            }
        }

        h2 { (w.unanswered_needs) }
        (table(w.unanswered_needs,
            &[w.title, w.ngo, w.approach, w.declared_on, w.late, w.households],
            &zone.unanswered_needs,
            |n: &NeedSummary| html! {
                tr {
                    td { bdi { (n.title) } }
                    td { bdi { (n.ngo) } }
                    td { (lang.approach(n.approach)) }
                    (day_cell(lang, Some(n.declared_on)))
                    td { @if n.late { (w.late) } @else { (w.on_time) } }
                    (num(lang, n.households_affected))
                }
            },
            w.none))

        h2 { (w.timeline) }
        p.muted {
            (w.timeline_first)
            @if timeline.next.is_some() { "; " (w.more_follow) }
            "."
        }
        (table(w.timeline,
            &[w.position, w.when, w.what],
            &timeline.entries,
            |e: &TimelineEntry| entry(lang, e),
            w.nothing_yet))
    };
    Ok(Html(
        layout::page(lang, &lang.name(&zone.name).0, &path, &q, body).into_string(),
    ))
}

/// A timeline entry: when, what (its sentence names who), who was signed in and who
/// attested the claimed time.
fn entry(lang: Lang, e: &TimelineEntry) -> Markup {
    let w = lang.words();
    let time = e
        .occurred_at
        .in_tz("Asia/Tehran")
        .map(|z| z.strftime("%H:%M").to_string())
        .unwrap_or_default();
    let what = match lang {
        Lang::Fa => &e.what_fa,
        Lang::En => &e.what_en,
    };
    html! {
        tr {
            (num(lang, e.position))
            td { time datetime=(e.occurred_on.iso()) { (lang.day(e.occurred_on)) " " (lang.digits(&time)) } }
            td {
                bdi { (what) }
                @if let Some(p) = &e.principal {
                    br;
                    small.muted { (w.signed_in_as) " " bdi { (p.subject) } " " (w.at) " " bdi { (p.issuer) } }
                }
                @if let Some(a) = &e.attestation {
                    br;
                    small.muted { (w.time_attested_by) " " bdi { (a.attester.to_string()) } ": " bdi { (a.reason) } }
                } @else if e.vouch == "unvouched" {
                    br;
                    small.muted { (w.counted_when_received) }
                }
            }
        }
    }
}
