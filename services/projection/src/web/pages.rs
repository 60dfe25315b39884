//! The office's pages beside the overview and the zones, each the tables of a few
//! queries as of one day: deadlines and decisions (compliance), the agencies'
//! cooperation (open referrals and their ages), NGOs and supervision (ratings,
//! findings, members), late submissions, social activities.

use axum::extract::State as Shared;
use axum::response::Html;
use maud::html;

use super::catalog::{Ctx, Source};
use super::layout::{self, Frame};
use super::{Lang, Params, day_query, reading};
use crate::error::ProjectionError;
use crate::state::State;

/// A page of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Compliance,
    Cooperation,
    Supervision,
    Late,
    Activities,
}

impl Page {
    /// Its path without the language prefix.
    pub fn path(self) -> &'static str {
        match self {
            Page::Compliance => "/compliance",
            Page::Cooperation => "/cooperation",
            Page::Supervision => "/supervision",
            Page::Late => "/late",
            Page::Activities => "/activities",
        }
    }

    fn title(self, lang: Lang) -> &'static str {
        let w = lang.words();
        match self {
            Page::Compliance => w.compliance,
            Page::Cooperation => w.cooperation,
            Page::Supervision => w.ngos_and_supervision,
            Page::Late => w.late_submissions,
            Page::Activities => w.activities,
        }
    }

    /// The queries whose tables it shows, in order.
    fn sources(self) -> &'static [Source] {
        match self {
            Page::Compliance => &[Source::Compliance, Source::Decisions, Source::Corrections],
            Page::Cooperation => &[Source::Referrals, Source::Cooperation],
            Page::Supervision => &[Source::Supervision, Source::Members],
            Page::Late => &[Source::Late],
            Page::Activities => &[Source::Activities],
        }
    }
}

pub(super) async fn page(
    lang: Lang,
    which: Page,
    Shared(state): Shared<State>,
    query: Params,
) -> Result<Html<String>, ProjectionError> {
    let (_served, ctx) = reading(&state, lang, query).await?;
    let Ctx {
        generation, day, ..
    } = ctx;
    let position = state.position();
    let q = day_query(day);
    let mut tables = Vec::new();
    for source in which.sources() {
        tables.extend(source.tables(ctx).await?);
    }
    let downloads = format!("{}/tables", lang.prefix());
    let title = which.title(lang);
    let body = html! {
        h1 { (title) }
        (layout::day_header(lang, day, position, generation, &format!("{}{}", lang.prefix(), which.path())))
        @for t in &tables {
            section data-table=(t.id) { (t.html(lang, &downloads, &q)) }
        }
    };
    let frame = Frame {
        lang,
        title,
        path: which.path(),
        query: &q,
        position: Some(position),
    };
    Ok(Html(layout::page(&frame, body).into_string()))
}
