//! The programme at a glance: its figures, every zone as a card of bars, the overdue
//! projects, and each zone's budget, households and needs by priority. The office's
//! other lists have pages of their own ([`super::pages`]).

use axum::extract::State as Shared;
use axum::response::Html;
use maud::{Markup, html};

use super::catalog::{Ctx, Source};
use super::charts::bar;
use super::layout::{self, Frame};
use super::{Lang, Params, reading};
use crate::error::ProjectionError;
use crate::readmodel::ZoneSummary;
use crate::state::State;

pub(super) async fn page(
    lang: Lang,
    Shared(state): Shared<State>,
    query: Params,
) -> Result<Html<String>, ProjectionError> {
    let (_served, ctx) = reading(&state, lang, query).await?;
    let Ctx {
        models,
        generation,
        day,
        ..
    } = ctx;
    let position = state.position();
    let zones = models.list_zones(generation, day).await?;
    let s = models.programme_summary(generation, day).await?;
    let mut tables = Source::Overdue.tables(ctx).await?;
    tables.extend(Source::Budgets.tables(ctx).await?);
    let downloads = format!("{}/tables", lang.prefix());
    let w = lang.words();
    let q = super::day_query(day);

    let figure =
        |label: &str, value: String| html! { div { dt { (label) } dd { bdi { (value) } } } };
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
            @for z in &zones { (zone_card(lang, z, &ctx.zone_href(&z.code))) }
        }

        @for t in &tables {
            section data-table=(t.id) { (t.html(lang, &downloads, &q)) }
        }
    };
    let frame = Frame {
        lang,
        title: w.overview,
        path: "/",
        query: &q,
        position: Some(position),
    };
    Ok(Html(layout::page(&frame, body).into_string()))
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
