//! What every page shares: the document in its language and direction, the header
//! (the day, what the page reflects, the other language), and the pieces cells are
//! made of. Mixed-direction text (codes, English titles in a Persian page) is isolated
//! with `<bdi>` so that it does not break the line.

use jiff::Timestamp;
use maud::{DOCTYPE, Markup, html};
use saman_domain::Day;

use super::assets;
use super::i18n::{Lang, Words};
use crate::readmodel::{Named, Names};

/// A page's name in a language's words.
type PageName = fn(&Words) -> &'static str;

/// The pages every page links to: (path without the language prefix, its name).
pub const PAGES: &[(&str, PageName)] = &[
    ("/", |w| w.overview),
    ("/compliance", |w| w.compliance),
    ("/cooperation", |w| w.cooperation),
    ("/supervision", |w| w.ngos_and_supervision),
    ("/late", |w| w.late_submissions),
    ("/activities", |w| w.activities),
];

/// What frames a page's body: its language, its title, its path without the language
/// prefix (for the other language's link and the menu), its query, and the position it
/// shows (`None`: a page that does not follow new events, such as an error's).
pub struct Frame<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub position: Option<u64>,
}

/// A whole HTML document around `body`.
pub fn page(frame: &Frame<'_>, body: Markup) -> Markup {
    let Frame {
        lang,
        title,
        path,
        query,
        position,
    } = *frame;
    let w = lang.words();
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (w.saman) }
                link rel="stylesheet" href=(assets::url("style.css"));
                link rel="preload" as="font" type="font/woff2" crossorigin
                    href=(assets::url("vazirmatn-regular.woff2"));
                @if position.is_some() {
                    script src=(assets::url("live.js")) defer {}
                }
            }
            body data-position=[position] {
                header.top {
                    a.brand href=(format!("{}/{query}", lang.prefix())) { (w.saman) }
                    a.lang href=(format!("{}{path}{query}", other.prefix())) lang=(other.code())
                        hreflang=(other.code()) { (other.words().language_name) }
                }
                nav.pages aria-label=(w.pages) {
                    @for (to, name) in PAGES {
                        a href=(format!("{}{to}{query}", lang.prefix()))
                            aria-current=[(*to == path).then_some("page")] { (name(w)) }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The as-of day in words, what the page reflects and when it was drawn, and the form
/// to change the day.
pub fn day_header(lang: Lang, day: Day, position: u64, generation: u64, action: &str) -> Markup {
    let w = lang.words();
    let now = Timestamp::now();
    let clock = now
        .in_tz("Asia/Tehran")
        .map(|z| z.strftime("%H:%M:%S").to_string())
        .unwrap_or_default();
    html! {
        p.as-of {
            (w.as_of) " " strong { (lang.day(day)) } " "
            span.muted { "(" bdi dir="ltr" { (day.iso()) } ")" }
        }
        p.muted {
            (w.reflects) " " (lang.int(position)) " · " (w.generation) " " (lang.int(generation))
            " · " (w.last_updated) " "
            time.updated datetime=(now.to_string()) { bdi dir="ltr" { (lang.digits(&clock)) } }
        }
        form method="get" action=(action) {
            label {
                (w.as_of_hint) " "
                input name="as_of" value=(lang.digits(&day.solar_hijri_string())) size="12" dir="ltr";
            }
            " "
            button type="submit" { (w.show) }
        }
    }
}

/// A name in the page's language with the other on hover.
pub fn name(lang: Lang, names: &Names) -> Markup {
    let (shown, other) = lang.name(names);
    html! { bdi title=[(!other.is_empty()).then_some(other)] { (shown) } }
}

/// A zone, NGO or agency by name (its code on hover with the other language's name).
pub fn named(lang: Lang, n: &Named) -> Markup {
    let (shown, other) = lang.name(&n.name);
    let title = if other.is_empty() {
        n.code.clone()
    } else {
        format!("{other} · {}", n.code)
    };
    html! { bdi title=(title) { (shown) } }
}

/// A day cell: the Solar Hijri day in words, the ISO day on hover.
pub fn day_cell(lang: Lang, d: Option<Day>) -> Markup {
    html! {
        @match d {
            Some(d) => td { time datetime=(d.iso()) title=(d.iso()) { (lang.day(d)) } },
            None => td.muted { "—" },
        }
    }
}
