//! Pictures of progress, drawn on the server (CSS bars and inline SVG; no script): a
//! bar per figure with a mark where the time elapsed expects it and the status in words
//! beside its colour, and a zone's curve over the year against the expected line.
//!
//! Each bar carries its figures as data attributes (`data-value`, `data-expected`,
//! `data-status`) so that a test, or a screen reader through `aria-label`, reads what
//! the picture shows.

use maud::{Markup, html};
use saman_domain::Day;
use saman_domain::progress::TrackStatus;

use super::i18n::{Lang, status_class};
use crate::readmodel::Progress;

/// A horizontal bar of `value` percent (0-100), named `label`, with the expected mark
/// and the status when given. `key` names the figure for tests (`overall`, `social`,
/// a goal's code...).
pub fn bar(
    lang: Lang,
    key: &str,
    label: &str,
    value: f64,
    expected: Option<f64>,
    status: Option<TrackStatus>,
) -> Markup {
    let w = lang.words();
    let clamp = |v: f64| v.clamp(0.0, 100.0);
    let status_text = status.map(|s| lang.status(s));
    let mut described = format!("{label}: {}", lang.pct(value));
    if let Some(e) = expected {
        described.push_str(&format!(" · {} {}", w.expected, lang.pct(e)));
    }
    if let Some(s) = status_text {
        described.push_str(&format!(" · {s}"));
    }
    let class = status.map_or("neutral", status_class);
    html! {
        div.bar-row data-bar=(key) data-value=(format!("{value:.1}"))
            data-expected=[expected.map(|e| format!("{e:.1}"))]
            data-status=[status.map(status_class)] {
            span.bar-label { (label) }
            span.bar role="img" aria-label=(described) {
                span class={ "fill " (class) } style=(format!("inline-size:{:.1}%", clamp(value))) {}
                @if let Some(e) = expected {
                    span.expected style=(format!("inset-inline-start:{:.1}%", clamp(e)))
                        title=(format!("{} {}", w.expected, lang.pct(e))) {}
                }
            }
            span.bar-value {
                bdi { (lang.pct(value)) }
                @if let Some(s) = status_text {
                    " · " span class={ "status " (class) } { (s) }
                }
            }
        }
    }
}

/// A zone's overall progress over the year against the expected line: an SVG of the
/// points (each Solar Hijri month's end), time running in the language's direction.
pub fn curve(lang: Lang, points: &[(Day, Progress)]) -> Markup {
    const W: f64 = 600.0;
    const H: f64 = 200.0;
    const PAD: f64 = 24.0;
    if points.is_empty() {
        return html! {};
    }
    let n = points.len().max(2) - 1;
    let x = |i: usize| {
        let x = PAD + (W - 2.0 * PAD) * i as f64 / n as f64;
        match lang {
            Lang::Fa => W - x,
            Lang::En => x,
        }
    };
    let y = |v: f64| H - PAD - (H - 2.0 * PAD) * v.clamp(0.0, 100.0) / 100.0;
    let line = |f: fn(&Progress) -> f64| {
        points
            .iter()
            .enumerate()
            .map(|(i, (_, p))| format!("{:.1},{:.1}", x(i), y(f(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let w = lang.words();
    html! {
        figure.curve {
            svg viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(w.curve_label)
                data-points=(points.len()) {
                title { (w.curve_label) }
                line.axis x1=(PAD) y1=(y(0.0)) x2=(W - PAD) y2=(y(0.0)) {}
                line.axis x1=(PAD) y1=(y(100.0)) x2=(W - PAD) y2=(y(100.0)) {}
                polyline.expected-line points=(line(|p| p.expected)) {}
                polyline.overall-line points=(line(|p| p.overall)) {}
                @for (i, (day, p)) in points.iter().enumerate() {
                    circle class={ "point " (status_class(p.status)) } cx=(format!("{:.1}", x(i)))
                        cy=(format!("{:.1}", y(p.overall))) r="3"
                        data-day=(day.iso()) data-value=(format!("{:.1}", p.overall)) {
                        title { (lang.day(*day)) ": " (lang.pct(p.overall)) " · " (lang.status(p.status)) }
                    }
                }
            }
            figcaption { (w.curve_label) }
        }
    }
}
