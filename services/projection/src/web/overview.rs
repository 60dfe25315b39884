//! The programme at a glance: its figures, every zone as a card of bars, and the
//! office's lists (overdue projects, open referrals, decisions, supervision, late
//! submissions, corrections and rejections).

use axum::extract::State as Shared;
use axum::response::Html;
use maud::{Markup, html};

use super::charts::bar;
use super::layout::{self, day_cell, named, num, table};
use super::{Lang, Params, as_of, day_query, url_encode};
use crate::error::ProjectionError;
use crate::readmodel::{
    Correction, LateItem, NgoSupervision, OpenReferral, OverdueProject, ProposalWait, Rejection,
    ZoneSummary,
};
use crate::state::State;

pub(super) async fn page(
    lang: Lang,
    Shared(state): Shared<State>,
    query: Params,
) -> Result<Html<String>, ProjectionError> {
    let served = state.served().await;
    let generation = served.generation;
    let models = state.models();
    let day = as_of(query, models, generation).await?;
    let position = state.position();
    let zones = models.list_zones(generation, day).await?;
    let s = models.programme_summary(generation, day).await?;
    let overdue = models.overdue_projects(generation, day).await?;
    let referrals = models.open_referrals(generation, day).await?;
    let decisions = models.decision_times(generation, day).await?;
    let supervision = models.supervision(generation, day).await?;
    let late = models.late_items(generation, day).await?;
    let corrections = models.corrections(generation, day).await?;
    let w = lang.words();
    let q = day_query(day);
    let zone_href = |code: &str| format!("{}/zones/{}{q}", lang.prefix(), url_encode(code));

    let figure =
        |label: &str, value: String| html! { div { dt { (label) } dd { bdi { (value) } } } };
    let late_items: Vec<(&str, &LateItem)> = late
        .needs
        .iter()
        .map(|i| (w.need, i))
        .chain(late.proposals.iter().map(|i| (w.proposal, i)))
        .collect();
    let body = html! {
        h1 { (w.overview) }
        (layout::day_header(lang, day, position, generation, &format!("{}/", lang.prefix())))

        section aria-label=(w.overall) {
            (bar(lang, "programme-overall", w.overall, s.overall, Some(s.expected), None))
            (bar(lang, "programme-infrastructural", w.infrastructural, s.infrastructural, None, None))
            (bar(lang, "programme-social", w.social, s.social, None, None))
        }
        dl.figures {
            (figure(w.zones, lang.int(s.zones)))
            (figure(&format!("{} ({} / {} / {})", w.zones, w.on_track, w.at_risk, w.behind),
                format!("{} / {} / {}", lang.int(s.zones_on_track), lang.int(s.zones_at_risk), lang.int(s.zones_behind))))
            (figure(w.needs, lang.int(s.needs)))
            (figure(w.proposals, lang.int(s.proposals)))
            (figure(w.projects, format!("{} ({} {})", lang.int(s.projects), lang.int(s.completed_projects), w.completed)))
            (figure(&format!("{} ({})", w.approved_budget, w.rials), lang.int(s.approved_budget_rials)))
            (figure(&format!("{} · {}", w.approved_budget, w.infrastructural), lang.int(s.infrastructural_budget_rials)))
            (figure(&format!("{} · {}", w.approved_budget, w.social), lang.int(s.social_budget_rials)))
            (figure(w.households, lang.int(s.households_affected)))
            (figure(w.pending, lang.int(s.pending_proposals)))
            (figure(w.overdue_projects, lang.int(s.overdue_projects)))
            (figure(w.open_referrals, lang.int(s.open_referrals)))
            (figure(w.late_needs, lang.int(s.late_needs)))
            (figure(w.late_proposals, lang.int(s.late_proposals)))
            (figure(w.activities, format!("{} ({} {})", lang.int(s.activities), lang.int(s.participants), w.participants)))
            (figure(w.days_left, lang.int(s.days_left)))
            (figure(w.goal_date, s.goal_date.map_or_else(|| "—".into(), |d| lang.day(d))))
        }

        h2 { (w.zones) }
        @if zones.is_empty() { p.muted { (w.no_zones) } }
        div.cards {
            @for z in &zones { (zone_card(lang, z, &zone_href(&z.code))) }
        }

        h2 { (w.overdue_projects) }
        (table(w.overdue_projects,
            &[w.zone, w.title, w.agency, w.approach, w.planned_end, w.days_overdue, w.percent, w.reported_as_of],
            &overdue,
            |o: &OverdueProject| html! {
                tr {
                    td { a href=(zone_href(&o.zone)) { (layout::name(lang, &o.zone_name)) } }
                    td { bdi { (o.project.title) } }
                    td { (layout::name(lang, &o.agency_name)) }
                    td { (lang.approach(o.project.approach)) }
                    (day_cell(lang, Some(o.project.planned_end)))
                    (num(lang, o.days_overdue))
                    td.n { (lang.int(o.project.percent)) }
                    (day_cell(lang, o.project.reported_as_of))
                }
            },
            w.none_overdue))

        h2 { (w.open_referrals) }
        (table(w.open_referrals,
            &[w.zone, w.need, w.agency, w.ngo, w.referred_on, w.days_open],
            &referrals.referrals,
            |r: &OpenReferral| html! {
                tr {
                    td { a href=(zone_href(&r.zone.code)) { (named(lang, &r.zone)) } }
                    td { bdi { (r.need_title) } }
                    td { (named(lang, &r.agency)) }
                    td { (named(lang, &r.ngo)) }
                    (day_cell(lang, Some(r.referred_on)))
                    (num(lang, r.days_open))
                }
            },
            w.none_open))

        h2 { (w.decisions) }
        p {
            (w.decision_times) ": " (w.median) " " (days(lang, decisions.median_days)) ", "
            (w.worst) " " (days(lang, decisions.worst_days)) " ("
            (lang.int(decisions.decided.len() as u64)) " " (w.decided) ")."
        }
        (table(w.pending,
            &[w.zone, w.proposal, w.agency, w.submitted_on, w.days_waiting],
            &decisions.pending,
            |p: &ProposalWait| html! {
                tr {
                    td { (named(lang, &p.zone)) }
                    td { bdi { (p.title) } }
                    td { (named(lang, &p.agency)) }
                    (day_cell(lang, Some(p.submitted_on)))
                    (num(lang, p.days))
                }
            },
            w.none_pending))

        h2 { (w.supervision) }
        (table(w.supervision,
            &[w.ngo, w.reports, w.mean_rating, w.latest_rating, w.latest_on],
            &supervision.ngos,
            |n: &NgoSupervision| html! {
                tr {
                    td { (named(lang, &n.ngo)) }
                    (num(lang, n.reports))
                    td.n { (n.average_rating.map_or_else(|| "—".into(), |r| lang.decimal(r))) }
                    td.n { (n.latest_rating.map_or_else(|| "—".into(), |r| lang.int(r))) }
                    (day_cell(lang, n.latest_on))
                }
            },
            w.no_ngo))

        h2 { (w.late_submissions) }
        (table(w.late_submissions,
            &[w.kind, w.zone, w.title, w.by, w.submitted_on, w.days_late],
            &late_items,
            |(kind, i): &(&str, &LateItem)| html! {
                tr {
                    td { (kind) }
                    td { (named(lang, &i.zone)) }
                    td { bdi { (i.title) } }
                    td {
                        (named(lang, &i.submitter))
                        @if let Some(m) = &i.member { " (" (named(lang, m)) ")" }
                    }
                    (day_cell(lang, Some(i.submitted_on)))
                    (num(lang, i.days_late))
                }
            },
            w.none_late))

        h2 { (w.corrections) }
        (table(w.corrections,
            &[w.zone, w.title, w.agency, w.from, w.to, w.reported_on, w.reason],
            &corrections.corrections,
            |c: &Correction| html! {
                tr {
                    td { (named(lang, &c.zone)) }
                    td { bdi { (c.title) } }
                    td { (named(lang, &c.agency)) }
                    td.n { (lang.int(c.from_percent)) }
                    td.n { (lang.int(c.to_percent)) }
                    (day_cell(lang, Some(c.reported_on)))
                    td { bdi { (c.reason) } }
                }
            },
            w.none_corrected))
        (table(w.rejections,
            &[w.zone, w.title, w.agency, w.rejected_on, w.reason],
            &corrections.rejections,
            |r: &Rejection| html! {
                tr {
                    td { (named(lang, &r.zone)) }
                    td { bdi { (r.title) } }
                    td { (named(lang, &r.agency)) }
                    (day_cell(lang, Some(r.rejected_on)))
                    td { bdi { (r.reason) } }
                }
            },
            w.none_rejected))
    };
    Ok(Html(
        layout::page(lang, w.overview, "/", &q, body).into_string(),
    ))
}

/// A zone as a card: its name (a link to its page), its overall progress against what
/// is expected with its status, infrastructural and social, and its counts.
fn zone_card(lang: Lang, z: &ZoneSummary, href: &str) -> Markup {
    let w = lang.words();
    let p = &z.progress;
    html! {
        article.card data-zone=(z.code) {
            h3 { a href=(href) { (layout::name(lang, &z.name)) } " " span.muted { bdi { (z.code) } } }
            (bar(lang, "overall", w.overall, p.overall, Some(p.expected), Some(p.status)))
            (bar(lang, "infrastructural", w.infrastructural, p.infrastructural, None, None))
            (bar(lang, "social", w.social, p.social, None, None))
            p {
                (w.needs) " " (lang.int(z.needs)) " (" (w.unanswered) " " (lang.int(z.unanswered_needs)) ") · "
                (w.proposals) " " (lang.int(z.proposals)) " · " (w.projects) " " (lang.int(z.projects)) " · "
                (w.days_left) " " (lang.int(p.days_left))
            }
        }
    }
}

/// Days with one decimal, or a dash when there are none.
fn days(lang: Lang, value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |d| lang.decimal(d))
}
