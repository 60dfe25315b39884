//! One zone: its progress as bars against what is expected, its curve over the year,
//! its budget and needs, goals and projects as bars, the needs no proposal answers yet
//! and the first timeline entries.

use axum::extract::{Path, State as Shared};
use axum::response::{Html, Response};
use maud::html;
use saman_domain::Day;
use saman_domain::values::ZoneCode;

use super::charts::{bar, curve};
use super::export;
use super::layout::{self, Frame};
use super::tables::{Cell, Table};
use super::{Lang, Params, day_query, reading, url_encode};
use crate::error::ProjectionError;
use crate::readmodel::{ReadModels, TimelineEntry, TimelinePage, ZoneProgress, ZoneSeries};
use crate::request;
use crate::state::State;

/// Timeline entries shown on a zone's page.
const TIMELINE_ENTRIES: u32 = 100;

/// What a zone's page shows as of a day.
struct Zone {
    progress: ZoneProgress,
    series: ZoneSeries,
    timeline: TimelinePage,
}

/// The zone a path names; a path that names no zone code is a page that does not exist.
fn zone_code(code: &str) -> Result<ZoneCode, ProjectionError> {
    request::zone(code, "code").map_err(|_| ProjectionError::NotFound {
        what: "zone",
        id: code.to_owned(),
    })
}

async fn load(
    models: &ReadModels,
    generation: u64,
    code: &ZoneCode,
    day: Day,
) -> Result<Zone, ProjectionError> {
    Ok(Zone {
        progress: models.zone_progress(generation, code, day).await?,
        series: models.zone_series(generation, code, day).await?,
        timeline: models
            .zone_timeline(generation, code, day, TIMELINE_ENTRIES, 0)
            .await?,
    })
}

/// The zone's tables: its series, goals, projects, unanswered needs and timeline.
fn tables(lang: Lang, zone: &Zone) -> Vec<Table> {
    let w = lang.words();
    let z = &zone.progress;
    vec![
        Table::new("series", w.progress_over_year, w.no_month_end)
            .days(w.day)
            .cols(&[
                w.infrastructural,
                w.social,
                w.overall,
                w.expected_label,
                w.status,
            ])
            .with_rows(&zone.series.points, |(d, p)| {
                vec![
                    Cell::Day(Some(*d)),
                    Cell::Pct(p.infrastructural),
                    Cell::Pct(p.social),
                    Cell::Pct(p.overall),
                    Cell::Pct(p.expected),
                    Cell::Status(p.status),
                ]
            }),
        Table::new("goals", w.goals, w.no_goals)
            .cols(&[w.goal, w.title, w.approach, w.weight, w.percent])
            .with_rows(&z.goals, |g| {
                vec![
                    Cell::text(&g.code),
                    Cell::Names(g.title.clone()),
                    Cell::Word(lang.approach(g.approach)),
                    Cell::int(g.weight),
                    Cell::Pct(g.percent),
                ]
            }),
        Table::new("projects", w.projects, w.no_projects)
            .cols(&[w.proposal, w.title, w.agency, w.approach, w.budget])
            .days(w.planned_start)
            .days(w.planned_end)
            .cols(&[w.percent])
            .days(w.reported_as_of)
            .cols(&[w.status])
            .with_rows(&z.projects, |p| {
                vec![
                    Cell::text(&p.proposal_id),
                    Cell::text(&p.title),
                    Cell::text(&p.agency),
                    Cell::Word(lang.approach(p.approach)),
                    Cell::int(p.budget_rials),
                    Cell::Day(Some(p.planned_start)),
                    Cell::Day(Some(p.planned_end)),
                    Cell::int(p.percent),
                    Cell::Day(p.reported_as_of),
                    Cell::Word(if p.completed {
                        w.completed
                    } else if p.overdue {
                        w.overdue
                    } else {
                        w.under_way
                    }),
                ]
            }),
        Table::new("unanswered-needs", w.unanswered_needs, w.none)
            .cols(&[w.title, w.ngo, w.approach])
            .days(w.declared_on)
            .cols(&[w.late, w.households])
            .with_rows(&z.unanswered_needs, |n| {
                vec![
                    Cell::text(&n.title),
                    Cell::text(&n.ngo),
                    Cell::Word(lang.approach(n.approach)),
                    Cell::Day(Some(n.declared_on)),
                    Cell::Word(if n.late { w.late } else { w.on_time }),
                    Cell::int(n.households_affected),
                ]
            }),
        Table::new("timeline", w.timeline, w.nothing_yet)
            .cols(&[w.position, w.when, w.what])
            .with_rows(&zone.timeline.entries, |e| entry(lang, e)),
    ]
}

pub(super) async fn page(
    lang: Lang,
    Shared(state): Shared<State>,
    Path(code): Path<String>,
    query: Params,
) -> Result<Html<String>, ProjectionError> {
    let code = zone_code(&code)?;
    let (_served, ctx) = reading(&state, lang, query).await?;
    let (generation, day) = (ctx.generation, ctx.day);
    let position = state.position();
    let loaded = load(ctx.models, generation, &code, day).await?;
    let mut tables = tables(lang, &loaded).into_iter();
    let mut next_table = || tables.next().expect("a zone's five tables");
    let zone = &loaded.progress;
    let timeline = &loaded.timeline;
    let w = lang.words();
    let q = day_query(day);
    let p = &zone.progress;
    let needs = &zone.needs;
    let proposals = &zone.proposals;
    let b = &zone.budget;
    let path = format!("/zones/{}", url_encode(&zone.code));
    let downloads = format!("{}{path}/tables", lang.prefix());
    let priorities: Vec<String> = b
        .needs_by_priority
        .iter()
        .map(|(priority, n)| format!("{} {}", lang.priority(*priority), lang.int(*n)))
        .collect();
    let (series, goals, projects, unanswered, entries) = (
        next_table(),
        next_table(),
        next_table(),
        next_table(),
        next_table(),
    );

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
        (curve(lang, &loaded.series.points))
        (series.html(lang, &downloads, &q))

        h2 { (w.goals) }
        @if zone.goals.is_empty() { p.muted { (w.no_goals) } }
        @for g in &zone.goals {
            (bar(lang, &format!("goal-{}", g.code), &format!("{} ({} {})", lang.name(&g.title).0, w.weight, lang.int(g.weight)), g.percent, None, None))
        }
        details { summary { (w.as_a_table) } (goals.html(lang, &downloads, &q)) }

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
        details { summary { (w.as_a_table) } (projects.html(lang, &downloads, &q)) }

        h2 { (w.unanswered_needs) }
        (unanswered.html(lang, &downloads, &q))

        h2 { (w.timeline) }
        p.muted {
            (w.timeline_first)
            @if timeline.next.is_some() { "; " (w.more_follow) }
            "."
        }
        (entries.html(lang, &downloads, &q))
    };
    let frame = Frame {
        lang,
        title: &lang.name(&zone.name).0,
        path: &path,
        query: &q,
        position: Some(position),
    };
    Ok(Html(layout::page(&frame, body).into_string()))
}

/// `GET {lang}/zones/{code}/tables/{id}.{csv|xlsx}`: one of a zone's tables.
pub(super) async fn download(
    lang: Lang,
    state: State,
    code: String,
    file: String,
    query: Params,
) -> Result<Response, ProjectionError> {
    let code = zone_code(&code)?;
    let (id, format) = export::parse_file(&file)?;
    let (_served, ctx) = reading(&state, lang, query).await?;
    let day = ctx.day;
    let loaded = load(ctx.models, ctx.generation, &code, day).await?;
    let table = tables(lang, &loaded)
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ProjectionError::NotFound {
            what: "table",
            id: file.clone(),
        })?;
    export::respond(&table, lang, day, format)
}

/// A timeline entry's cells: where, when, what (its sentence names who), who was
/// signed in and who attested the claimed time.
fn entry(lang: Lang, e: &TimelineEntry) -> Vec<Cell> {
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
    let when = html! {
        time datetime=(e.occurred_on.iso()) { (lang.day(e.occurred_on)) " " (lang.digits(&time)) }
    };
    let when_text = format!("{} {time}", e.occurred_on.solar_hijri_string());
    let described = html! {
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
    };
    vec![
        Cell::int(e.position),
        Cell::Rich(when, when_text),
        Cell::Rich(described, what.clone()),
    ]
}
