//! The dashboard in a real browser (headless chromium through chromedriver): the 1397
//! scenario loaded through the CLI, the overview and a zone page opened in Persian and
//! in English at a desktop (1400 px) and a phone (400 px) width. The bars' values,
//! expected marks and status labels are read from the DOM and compared with what the
//! projection's gRPC queries answer; at 400 px no main figure lies outside the
//! viewport and the page does not scroll sideways; axe-core finds no serious or
//! critical accessibility violation on either page. Screenshots of every page at both
//! widths go to target/screenshots/.

use std::net::SocketAddr;
use std::time::Duration;

use fantoccini::Locator;
use saman_e2e::browser::Browser;
use saman_e2e::*;
use saman_proto::projection::v1 as query;

const DAY: &str = "1397-12-29";

fn status_word(lang: &str, status: query::TrackStatus) -> &'static str {
    use query::TrackStatus as S;
    match (lang, status) {
        ("fa", S::OnTrack) => "در مسیر",
        ("fa", S::AtRisk) => "در معرض خطر",
        ("fa", S::Behind) => "عقب",
        (_, S::OnTrack) => "on track",
        (_, S::AtRisk) => "at risk",
        (_, S::Behind) => "behind",
        (_, S::Unspecified) => "?",
    }
}

/// The bars of the element matched by `scope` (a card, a zone's section), by key:
/// (data-value, data-expected, data-status, the status label shown).
async fn bars(
    browser: &Browser,
    scope: &str,
) -> anyhow::Result<Vec<(String, String, String, String, String)>> {
    let script = format!(
        "return [...document.querySelectorAll('{scope} .bar-row')].map(b => [\
           b.dataset.bar, b.dataset.value, b.dataset.expected || '', b.dataset.status || '',\
           (b.querySelector('.status') || {{textContent: ''}}).textContent]);"
    );
    let rows: Vec<Vec<String>> = serde_json::from_value(browser.eval(&script).await?)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut r = r.into_iter();
            let mut next = || r.next().unwrap_or_default();
            (next(), next(), next(), next(), next())
        })
        .collect())
}

/// At a phone's width: the page is no wider than the window, and every bar of the
/// main figures lies inside it.
async fn fits(browser: &Browser, what: &str) -> anyhow::Result<()> {
    let overflow = browser
        .eval(
            "const w = document.documentElement.clientWidth;\
             const out = [...document.querySelectorAll('.bar-row, .figures div')]\
               .map(e => e.getBoundingClientRect())\
               .filter(r => r.left < -0.5 || r.right > w + 0.5).length;\
             return [document.documentElement.scrollWidth, w, out];",
        )
        .await?;
    let [scroll, width, out]: [f64; 3] = serde_json::from_value(overflow)?;
    anyhow::ensure!(
        scroll <= width + 0.5,
        "{what}: the page is {scroll} px wide in a {width} px window"
    );
    anyhow::ensure!(out == 0.0, "{what}: {out} main figures outside the window");
    Ok(())
}

#[tokio::test]
async fn the_dashboard_shows_the_read_models_in_both_languages_at_both_widths() -> anyhow::Result<()>
{
    let web: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let system = System::start_with(Backend::Sqlite, |config| config.web_listen = web).await?;
    let saman = system.saman()?;
    let loaded = saman.scenario_1397(&[]).await?;
    let events = loaded["events"].as_u64().unwrap();
    wait_caught_up(
        &mut system.projection.admin().await?,
        events,
        Duration::from_secs(120),
    )
    .await?;
    let mut client = system.projection.client().await?;
    let zones = query::ListZonesRequest::reading(read_as_of(DAY))
        .ask(&mut client)
        .await?;
    assert_eq!(zones.zones.len(), 10);
    let zone03 = client
        .get_zone_progress(query::GetZoneProgressRequest {
            read: read_as_of(DAY),
            zone: "zone-03".into(),
        })
        .await?
        .into_inner();

    let browser = Browser::start().await?;
    for (lang, prefix) in [("fa", ""), ("en", "/en")] {
        for width in [1400u32, 400] {
            // ---- the overview: one card per zone, its bars as the read models say ----
            let url = format!("https://{web}{prefix}/?as_of={DAY}");
            browser.open(&url, width, 1000).await?;
            let html_lang = browser
                .client
                .find(Locator::Css("html"))
                .await?
                .attr("lang")
                .await?;
            assert_eq!(html_lang.as_deref(), Some(lang), "{url}");
            let cards = browser
                .client
                .find_all(Locator::Css("article.card"))
                .await?;
            assert_eq!(cards.len(), zones.zones.len(), "{url}: one card per zone");
            for zone in &zones.zones {
                let p = zone.progress.clone().unwrap();
                let shown =
                    bars(&browser, &format!("article[data-zone=\"{}\"]", zone.code)).await?;
                let word = status_word(lang, p.status());
                assert_eq!(
                    shown,
                    [
                        (
                            "overall".into(),
                            format!("{:.1}", p.overall),
                            format!("{:.1}", p.expected),
                            p.status()
                                .as_str_name()
                                .trim_start_matches("TRACK_STATUS_")
                                .to_lowercase()
                                .replace('_', "-"),
                            word.into()
                        ),
                        (
                            "infrastructural".into(),
                            format!("{:.1}", p.infrastructural),
                            String::new(),
                            String::new(),
                            String::new()
                        ),
                        (
                            "social".into(),
                            format!("{:.1}", p.social),
                            String::new(),
                            String::new(),
                            String::new()
                        ),
                    ],
                    "{url}: zone {}",
                    zone.code
                );
            }
            if width == 400 {
                fits(&browser, &url).await?;
            }
            browser
                .screenshot(&format!("overview-{lang}-{width}"))
                .await?;

            // ---- a zone's page: its bars and its curve ----
            let url = format!("https://{web}{prefix}/zones/zone-03?as_of={DAY}");
            browser.open(&url, width, 1000).await?;
            let p = zone03.progress.clone().unwrap();
            let shown = bars(&browser, "section[data-zone=\"zone-03\"]").await?;
            assert_eq!(shown.len(), 3, "{url}: {shown:?}");
            assert_eq!(shown[0].1, format!("{:.1}", p.overall), "{url}");
            assert_eq!(shown[0].2, format!("{:.1}", p.expected), "{url}");
            assert_eq!(shown[0].4, status_word(lang, p.status()), "{url}");
            assert_eq!(shown[1].1, format!("{:.1}", p.infrastructural), "{url}");
            assert_eq!(shown[2].1, format!("{:.1}", p.social), "{url}");
            // One bar per goal, with its progress.
            for goal in &zone03.goals {
                let key = format!("goal-{}", goal.code);
                let value = browser
                    .eval(&format!(
                        "return document.querySelector('[data-bar=\"{key}\"]').dataset.value;"
                    ))
                    .await?;
                assert_eq!(value, format!("{:.1}", goal.percent), "{url}: {key}");
            }
            // The curve: a point at each month's end from Esfand 1396 to the day.
            let points = browser
                .eval("return document.querySelectorAll('figure.curve circle.point').length;")
                .await?;
            assert_eq!(points, 13, "{url}");
            if width == 400 {
                fits(&browser, &url).await?;
            }
            let violations = browser.serious_accessibility_violations().await?;
            assert!(violations.is_empty(), "{url}: {violations:#?}");
            browser.screenshot(&format!("zone-{lang}-{width}")).await?;
        }
    }
    browser.close().await?;
    system.stop().await
}
