//! What every page shares: the document in its language and direction, the header
//! (the day, what the page reflects, the other language), and the pieces tables are
//! made of. Mixed-direction text (codes, English titles in a Persian page) is isolated
//! with `<bdi>` so that it does not break the line.

use maud::{DOCTYPE, Markup, html};
use saman_domain::Day;

use super::assets;
use super::i18n::Lang;
use crate::readmodel::{Named, Names};

/// A whole HTML document in `lang` around `body`; `path` is the page's path without
/// the language prefix (for the link to the other language), `query` its query.
pub fn page(lang: Lang, title: &str, path: &str, query: &str, body: Markup) -> Markup {
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
            }
            body {
                header.top {
                    a.brand href=(format!("{}/{query}", lang.prefix())) { (w.saman) }
                    a.lang href=(format!("{}{path}{query}", other.prefix())) lang=(other.code())
                        hreflang=(other.code()) { (other.words().language_name) }
                }
                main { (body) }
            }
        }
    }
}

/// The as-of day in words, what the page reflects, and the form to change the day.
pub fn day_header(lang: Lang, day: Day, position: u64, generation: u64, action: &str) -> Markup {
    let w = lang.words();
    html! {
        p.as-of {
            (w.as_of) " " strong { (lang.day(day)) } " "
            span.muted { "(" bdi dir="ltr" { (day.iso()) } ")" }
        }
        p.muted {
            (w.reflects) " " (lang.int(position)) " · " (w.generation) " " (lang.int(generation))
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

/// A table with a heading of its own: header cells, a row per item, or one row across
/// saying `empty`; wide tables scroll inside their box, not the page.
pub fn table<T>(
    caption: &str,
    headers: &[&str],
    items: &[T],
    row: impl Fn(&T) -> Markup,
    empty: &str,
) -> Markup {
    // A box that may scroll is reachable from the keyboard, named by its caption.
    html! {
        div.scroll tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr { @for h in headers { th scope="col" { (h) } } } }
                tbody {
                    @if items.is_empty() {
                        tr { td colspan=(headers.len()) class="muted" { (empty) } }
                    }
                    @for item in items { (row(item)) }
                }
            }
        }
    }
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

pub fn num(lang: Lang, n: impl Into<i128>) -> Markup {
    html! { td.n { (lang.int(n)) } }
}

pub fn pct_cell(lang: Lang, v: f64) -> Markup {
    html! { td.n { (lang.pct(v)) } }
}
