//! The web page for people: plain server-rendered HTML (UTF-8, no JavaScript, no
//! external assets; Persian text in `dir="rtl"` blocks) on its own address
//! (`--web-listen`), read from the same served generation as the gRPC queries.
//!
//! - `GET /?as_of=1397-06-31`: the zones side by side and the programme's summary;
//! - `GET /zones/{code}?as_of=...`: one zone: progress, goals, projects, unanswered
//!   needs and the first 100 timeline entries;
//! - `GET /healthz`: `ok`.
//!
//! `as_of` takes what `Read.as_of` takes (Solar Hijri, Persian digits, or ISO); it
//! defaults to today in Asia/Tehran. An invalid `as_of` is a 400 page, an unknown zone a
//! 404 page. Every text put into the HTML goes through [`escape`].

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as Shared};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use saman_domain::Day;
use saman_proto::projection::v1 as pb;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::readmodel::{ReadModelError, date};
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

/// Serves the web page on `listener` until `stop` is cancelled; in-flight requests
/// finish first.
pub async fn serve(
    listener: TcpListener,
    state: State,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
        .map_err(|err| anyhow::anyhow!("web page server failed: {err}"))
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for a URL's path
/// segment or query value).
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A page that could not be shown.
enum PageError {
    BadRequest(String),
    NotFound(String),
    Unavailable(String),
}

impl From<ReadModelError> for PageError {
    fn from(err: ReadModelError) -> Self {
        match err {
            ReadModelError::NotFound { .. } => PageError::NotFound(err.to_string()),
            other => {
                tracing::error!(error = %other, "read models failed (web page)");
                PageError::Unavailable(format!("the read models failed: {other}"))
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m),
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m),
            PageError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "Unavailable", m),
        };
        let body = format!(
            "<h1>{} {}</h1>\n<p>{}</p>\n<p><a href=\"/\">All zones</a></p>\n",
            status.as_u16(),
            escape(title),
            escape(&message)
        );
        (status, Html(page(title, &body))).into_response()
    }
}

/// A whole HTML document around `body` (already HTML).
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · Saman</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}\
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top}\
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.on-track{color:#176117}.at-risk{color:#8a5a00}.behind{color:#a11}\
[dir=rtl]{font-family:Vazirmatn,Tahoma,sans-serif}.muted{color:#666}";

/// Persian text, right to left.
fn fa(text: &str) -> String {
    format!("<span dir=\"rtl\" lang=\"fa\">{}</span>", escape(text))
}

/// The `as_of` query parameter: a day, default today in Asia/Tehran.
fn as_of(query: Result<Query<HashMap<String, String>>, QueryRejection>) -> Result<Day, PageError> {
    let Query(query) = query.map_err(|err| PageError::BadRequest(err.body_text()))?;
    match query.get("as_of").map(|s| s.trim()) {
        None | Some("") => Ok(Day::in_tehran(Timestamp::now())),
        Some(input) => Day::parse(input).map_err(|err| {
            PageError::BadRequest(format!("as_of {input:?} is not a day: {err}. Write it as 1397-06-31 (Solar Hijri, Latin or Persian digits) or 2018-09-22 (ISO)."))
        }),
    }
}

/// The as-of day in both calendars, what the page reflects, and the form to change
/// the day.
fn header(day: Day, position: u64, generation: u64, action: &str) -> String {
    let d = date(day);
    format!(
        "<p>As of <strong>{en}</strong> ({iso}) · {fa_long} {fa_short}</p>\n\
         <p class=\"muted\">Reflects the events up to position {position} (read models generation {generation}).</p>\n\
         <form method=\"get\" action=\"{action}\"><label>As of (Solar Hijri or ISO) \
         <input name=\"as_of\" value=\"{value}\" size=\"12\"></label> <button type=\"submit\">Show</button></form>\n",
        en = escape(&d.solar_hijri_en),
        iso = escape(&d.iso),
        fa_long = fa(&d.solar_hijri_fa),
        fa_short = fa(&day.solar_hijri_persian()),
        action = escape(action),
        value = escape(&d.solar_hijri),
    )
}

fn status_cell(status: i32) -> String {
    let (class, en, fa_name) = match pb::TrackStatus::try_from(status) {
        Ok(pb::TrackStatus::OnTrack) => ("on-track", "on track", "در مسیر"),
        Ok(pb::TrackStatus::AtRisk) => ("at-risk", "at risk", "در معرض خطر"),
        Ok(pb::TrackStatus::Behind) => ("behind", "behind", "عقب"),
        _ => ("", "unknown", "نامشخص"),
    };
    format!(
        "<td class=\"{class}\">{} · {}</td>",
        escape(en),
        fa(fa_name)
    )
}

fn pct(value: f64) -> String {
    format!("<td class=\"n\">{value:.1}%</td>")
}

fn num(value: impl std::fmt::Display) -> String {
    format!("<td class=\"n\">{value}</td>")
}

fn names(names: Option<&pb::Names>) -> (String, String) {
    names.map_or_else(Default::default, |n| (n.fa.clone(), n.en.clone()))
}

fn approach(a: Option<&pb::ApproachName>) -> String {
    let (fa_name, en) = names(a.and_then(|a| a.name.as_ref()));
    format!("{} · {}", escape(&en), fa(&fa_name))
}

fn day_cell(d: Option<&pb::Date>) -> String {
    match d {
        Some(d) => format!("<td>{} · {}</td>", escape(&d.iso), fa(&d.solar_hijri_fa)),
        None => "<td class=\"muted\">—</td>".to_owned(),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn fallback() -> PageError {
    PageError::NotFound("There is no such page.".to_owned())
}

async fn index(
    Shared(state): Shared<State>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Html<String>, PageError> {
    let day = as_of(query)?;
    let generation = state.generation();
    let position = state.position();
    let models = state.models();
    let zones = models.list_zones(generation, day).await?;
    let summary = models.programme_summary(generation, day).await?;

    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Saman: the zones side by side <span dir=\"rtl\" lang=\"fa\">· سامان: مناطق</span></h1>\n{}",
        header(day, position, generation, "/")
    );
    let goal = summary
        .goal_date
        .as_ref()
        .map(|d| format!("{} ({})", d.solar_hijri_en, d.iso))
        .unwrap_or_default();
    let _ = writeln!(
        body,
        "<p><strong>Programme:</strong> {zones} zones, {needs} needs, {proposals} proposals, \
         {projects} projects ({completed} completed); infrastructural {infra:.1}%, social \
         {social:.1}%, overall {overall:.1}% against {expected:.1}% expected; {on_track} on \
         track, {at_risk} at risk, {behind} behind; {days_left} days left to the goal date {goal}.</p>",
        zones = summary.zones,
        needs = summary.needs,
        proposals = summary.proposals,
        projects = summary.projects,
        completed = summary.completed_projects,
        infra = summary.infrastructural,
        social = summary.social,
        overall = summary.overall,
        expected = summary.expected,
        on_track = summary.zones_on_track,
        at_risk = summary.zones_at_risk,
        behind = summary.zones_behind,
        days_left = summary.days_left,
        goal = escape(&goal),
    );
    body.push_str(
        "<table>\n<thead><tr><th>Code</th><th>نام</th><th>Name</th><th>Needs</th>\
         <th>Unanswered</th><th>Proposals</th><th>Projects</th><th>Infrastructural</th>\
         <th>Social</th><th>Overall</th><th>Expected</th><th>Status</th><th>Days left</th></tr></thead>\n<tbody>\n",
    );
    if zones.zones.is_empty() {
        body.push_str(
            "<tr><td colspan=\"13\" class=\"muted\">No zones registered by this day.</td></tr>\n",
        );
    }
    let as_of_param = url_encode(&day.iso());
    for zone in &zones.zones {
        let (fa_name, en) = names(zone.name.as_ref());
        let progress = zone.progress.clone().unwrap_or_default();
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/zones/{href}?as_of={as_of_param}\">{code}</a></td><td>{fa_name}</td>\
             <td>{en}</td>{needs}{unanswered}{proposals}{projects}{infra}{social}{overall}{expected}{status}{days}</tr>",
            href = escape(&url_encode(&zone.code)),
            code = escape(&zone.code),
            fa_name = fa(&fa_name),
            en = escape(&en),
            needs = num(zone.needs),
            unanswered = num(zone.unanswered_needs),
            proposals = num(zone.proposals),
            projects = num(zone.projects),
            infra = pct(progress.infrastructural),
            social = pct(progress.social),
            overall = pct(progress.overall),
            expected = pct(progress.expected),
            status = status_cell(progress.status),
            days = num(progress.days_left),
        );
    }
    body.push_str("</tbody>\n</table>\n");
    Ok(Html(page("Zones", &body)))
}

async fn zone(
    Shared(state): Shared<State>,
    Path(code): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Html<String>, PageError> {
    let day = as_of(query)?;
    let code = code.trim().to_ascii_lowercase();
    if code.is_empty() {
        return Err(PageError::NotFound("zone: no code given".to_owned()));
    }
    let generation = state.generation();
    let position = state.position();
    let models = state.models();
    let zone = models.zone_progress(generation, &code, day).await?;
    let (timeline, more) = models
        .zone_timeline(generation, &code, day, TIMELINE_ENTRIES, 0)
        .await?;

    let (fa_name, en) = names(zone.name.as_ref());
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"/?as_of={back}\">All zones</a></p>\n<h1>{code}: {en} · {fa_name}</h1>\n{header}",
        back = url_encode(&day.iso()),
        code = escape(&zone.code),
        en = escape(&en),
        fa_name = fa(&fa_name),
        header = header(
            day,
            position,
            generation,
            &format!("/zones/{}", url_encode(&zone.code))
        ),
    );

    // Progress.
    let progress = zone.progress.clone().unwrap_or_default();
    let needs = zone.needs.clone().unwrap_or_default();
    let proposals = zone.proposals.clone().unwrap_or_default();
    let _ = write!(
        body,
        "<h2>Progress <span dir=\"rtl\" lang=\"fa\">· پیشرفت</span></h2>\n<table>\n\
         <tr><th>Infrastructural</th><th>Social</th><th>Overall</th><th>Expected</th><th>Status</th>\
         <th>Days left</th><th>Operational start</th><th>Goal date</th></tr>\n\
         <tr>{}{}{}{}{}{}{}{}</tr>\n</table>\n",
        pct(progress.infrastructural),
        pct(progress.social),
        pct(progress.overall),
        pct(progress.expected),
        status_cell(progress.status),
        num(progress.days_left),
        day_cell(progress.operational_start.as_ref()),
        day_cell(progress.goal_date.as_ref()),
    );
    let _ = writeln!(
        body,
        "<p>Needs: {} ({} infrastructural, {} social; {} on time, {} late). Proposals: {} \
         ({} pending, {} approved, {} rejected).</p>",
        needs.total,
        needs.infrastructural,
        needs.social,
        needs.on_time,
        needs.late,
        proposals.total,
        proposals.pending,
        proposals.approved,
        proposals.rejected,
    );

    // Goals.
    body.push_str(
        "<h2>Goals <span dir=\"rtl\" lang=\"fa\">· اهداف</span></h2>\n<table>\n\
         <tr><th>Code</th><th>عنوان</th><th>Title</th><th>Approach</th><th>Weight</th><th>Progress</th></tr>\n",
    );
    if zone.goals.is_empty() {
        body.push_str("<tr><td colspan=\"6\" class=\"muted\">No goals.</td></tr>\n");
    }
    for goal in &zone.goals {
        let (fa_title, en_title) = names(goal.title.as_ref());
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}</tr>",
            escape(&goal.code),
            fa(&fa_title),
            escape(&en_title),
            approach(goal.approach.as_ref()),
            num(goal.weight),
            pct(goal.percent),
        );
    }
    body.push_str("</table>\n");

    // Projects.
    body.push_str(
        "<h2>Projects <span dir=\"rtl\" lang=\"fa\">· پروژه‌ها</span></h2>\n<table>\n\
         <tr><th>Title</th><th>Agency</th><th>Approach</th><th>Budget (rials)</th><th>Percent</th>\
         <th>Reported as of</th><th>Approved on</th></tr>\n",
    );
    if zone.projects.is_empty() {
        body.push_str("<tr><td colspan=\"7\" class=\"muted\">No approved projects.</td></tr>\n");
    }
    for project in &zone.projects {
        let done = if project.completed {
            " (completed)"
        } else {
            ""
        };
        let _ = writeln!(
            body,
            "<tr><td dir=\"auto\">{}</td><td>{}</td><td>{}</td>{}<td class=\"n\">{}%{}</td>{}{}</tr>",
            escape(&project.title),
            escape(&project.agency),
            approach(project.approach.as_ref()),
            num(project.budget_rials),
            project.percent,
            done,
            day_cell(project.reported_as_of.as_ref()),
            day_cell(project.approved_on.as_ref()),
        );
    }
    body.push_str("</table>\n");

    // Unanswered needs.
    body.push_str(
        "<h2>Unanswered needs <span dir=\"rtl\" lang=\"fa\">· نیازهای بی‌پاسخ</span></h2>\n<table>\n\
         <tr><th>Title</th><th>NGO</th><th>Approach</th><th>Declared on</th><th>Late</th><th>Households</th></tr>\n",
    );
    if zone.unanswered_needs.is_empty() {
        body.push_str("<tr><td colspan=\"6\" class=\"muted\">None.</td></tr>\n");
    }
    for need in &zone.unanswered_needs {
        let _ = writeln!(
            body,
            "<tr><td dir=\"auto\">{}</td><td>{}</td><td>{}</td>{}<td>{}</td>{}</tr>",
            escape(&need.title),
            escape(&need.ngo),
            approach(need.approach.as_ref()),
            day_cell(need.declared_on.as_ref()),
            if need.late { "late" } else { "on time" },
            num(need.households_affected),
        );
    }
    body.push_str("</table>\n");

    // Timeline.
    let _ = writeln!(
        body,
        "<h2>Timeline <span dir=\"rtl\" lang=\"fa\">· رویدادها</span></h2>\n<p class=\"muted\">The first {TIMELINE_ENTRIES} entries, oldest first{}.</p>\n<table>\n\
         <tr><th>Position</th><th>Who</th><th>When</th><th>What</th><th>چه</th></tr>",
        if more.is_some() { "; more follow" } else { "" },
    );
    if timeline.is_empty() {
        body.push_str("<tr><td colspan=\"5\" class=\"muted\">Nothing yet.</td></tr>\n");
    }
    for entry in &timeline {
        let _ = writeln!(
            body,
            "<tr>{}<td dir=\"auto\">{}</td>{}<td>{}</td><td dir=\"rtl\" lang=\"fa\">{}</td></tr>",
            num(entry.position),
            escape(&entry.who),
            when_cell(entry),
            escape(&entry.what_en),
            escape(&entry.what_fa),
        );
    }
    body.push_str("</table>\n");
    Ok(Html(page(&format!("{} {en}", zone.code), &body)))
}

/// When an entry happened: the day in both calendars and the time in Tehran.
fn when_cell(entry: &pb::TimelineEntry) -> String {
    let time = entry
        .occurred_at
        .as_ref()
        .and_then(|t| Timestamp::new(t.seconds, t.nanos).ok())
        .map(|t| {
            t.in_tz("Asia/Tehran")
                .map(|z| z.strftime("%H:%M").to_string())
        })
        .and_then(Result::ok)
        .unwrap_or_default();
    match entry.occurred_on.as_ref() {
        Some(d) => format!(
            "<td>{} {} · {}</td>",
            escape(&d.iso),
            escape(&time),
            fa(&d.solar_hijri_fa)
        ),
        None => format!("<td>{}</td>", escape(&time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("منطقه 1"), "منطقه 1");
    }

    #[test]
    fn url_encodes_all_but_unreserved() {
        assert_eq!(url_encode("zone-01"), "zone-01");
        assert_eq!(url_encode("a b/?&"), "a%20b%2F%3F%26");
    }
}
