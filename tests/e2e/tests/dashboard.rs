//! The dashboard in a real browser (headless chromium through chromedriver): the 1397
//! scenario loaded through the CLI, every page (the overview, a zone, and the office's
//! pages) opened in Persian and in English at a desktop (1400 px) and a phone (400 px)
//! width. The bars' values, expected marks and status labels are read from the DOM and
//! compared with what the projection's gRPC queries answer, and so are the office's
//! tables; at 400 px no main figure lies outside the viewport and the page does not
//! scroll sideways; axe-core finds no serious or critical accessibility violation on
//! any page. Every table's CSV and workbook downloads parse and hold what the page
//! shows. An open page follows a progress report submitted over gRPC without a
//! reload. Screenshots of every page at both widths go to target/screenshots/.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use saman_e2e::browser::Browser;
use saman_e2e::dashboard::{check_downloads, table_ids};
use saman_e2e::*;
use saman_proto::projection::v1 as query;

const DAY: &str = "1397-12-29";

/// The office's pages beside the overview and the zones (paths without the language).
const PAGES: [&str; 5] = [
    "/compliance",
    "/cooperation",
    "/supervision",
    "/late",
    "/activities",
];

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

/// At a phone's width: the page is no wider than the window, every bar of the main
/// figures lies inside it, and no bar's label or figure runs into its bar.
async fn fits(browser: &Browser, what: &str) -> anyhow::Result<()> {
    let overflow = browser
        .eval(
            "const w = document.documentElement.clientWidth;\
             const out = [...document.querySelectorAll('.bar-row, .figures div')]\
               .map(e => e.getBoundingClientRect())\
               .filter(r => r.left < -0.5 || r.right > w + 0.5).length;\
             const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5\
               && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;\
             const overlapping = [...document.querySelectorAll('.bar-row')].filter(row => {\
               const bar = row.querySelector('.bar').getBoundingClientRect();\
               return [...row.querySelectorAll('.bar-label, .bar-value')].some(e => {\
                 const text = document.createRange();\
                 text.selectNodeContents(e);\
                 return meets(text.getBoundingClientRect(), bar);\
               });\
             }).map(row => row.dataset.bar);\
             return [document.documentElement.scrollWidth, w, out, overlapping];",
        )
        .await?;
    let (scroll, width, out, overlapping): (f64, f64, f64, Vec<String>) =
        serde_json::from_value(overflow)?;
    anyhow::ensure!(
        scroll <= width + 0.5,
        "{what}: the page is {scroll} px wide in a {width} px window"
    );
    anyhow::ensure!(out == 0.0, "{what}: {out} main figures outside the window");
    anyhow::ensure!(
        overlapping.is_empty(),
        "{what}: labels run into their bars: {overlapping:?}"
    );
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

    // What the README's run command (`scripts/dev --scenario`) opens: the overview with
    // no day asked, which shows the year's last day (today, capped at the goal date).
    let (status, body) = web_get(web, "/en/").await?.parts();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(
        body.contains("As of <strong>29 Esfand 1397</strong>"),
        "{body}"
    );
    assert_eq!(
        body.matches("<article class=\"card\"").count(),
        10,
        "{body}"
    );

    let browser = Browser::start().await?;
    let mut downloads = Vec::new();
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
            } else {
                downloads.extend(every_download(&browser, web, lang, "overview").await?);
            }
            let violations = browser.serious_accessibility_violations().await?;
            assert!(violations.is_empty(), "{url}: {violations:#?}");
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
            } else {
                downloads.extend(every_download(&browser, web, lang, "zone-03").await?);
            }
            let violations = browser.serious_accessibility_violations().await?;
            assert!(violations.is_empty(), "{url}: {violations:#?}");
            browser.screenshot(&format!("zone-{lang}-{width}")).await?;

            // ---- the office's pages ----
            for page in PAGES {
                let url = format!("https://{web}{prefix}{page}?as_of={DAY}");
                browser.open(&url, width, 1000).await?;
                let html_lang = browser
                    .eval("return document.documentElement.lang;")
                    .await?;
                assert_eq!(html_lang, lang, "{url}");
                if width == 400 {
                    fits(&browser, &url).await?;
                } else {
                    downloads.extend(every_download(&browser, web, lang, page).await?);
                }
                let violations = browser.serious_accessibility_violations().await?;
                assert!(violations.is_empty(), "{url}: {violations:#?}");
                let name = page.trim_start_matches('/');
                browser
                    .screenshot(&format!("{name}-{lang}-{width}"))
                    .await?;
            }
        }
    }
    browser.close().await?;

    // The office's tables, as downloaded from the English pages (and so as shown
    // there), against the projection's gRPC answers.
    let table = |id: &str| {
        downloads
            .iter()
            .find(|(l, t, _)| l == "en" && t == id)
            .map(|(_, _, rows)| rows[1..].to_vec())
            .unwrap_or_else(|| panic!("no download of {id}"))
    };
    let referrals = query::ListOpenReferralsRequest::reading(read_as_of(DAY))
        .ask(&mut client)
        .await?;
    let expected: Vec<Vec<String>> = referrals
        .by_agency
        .iter()
        .map(|c| {
            vec![
                en_name(&c.of),
                c.open.to_string(),
                c.oldest_days.to_string(),
            ]
        })
        .collect();
    assert_eq!(table("open-by-agency"), expected);
    assert_eq!(table("open-referrals").len(), referrals.referrals.len());
    let activities = query::GetActivitiesRequest::reading(read_as_of(DAY))
        .ask(&mut client)
        .await?;
    let expected: Vec<Vec<String>> = activities
        .by_ngo
        .iter()
        .map(|c| {
            vec![
                en_name(&c.of),
                c.activities.to_string(),
                c.participants.to_string(),
            ]
        })
        .collect();
    assert_eq!(table("activities-by-ngo"), expected);
    assert!(activities.by_ngo.iter().any(|c| c.activities > 0));
    let supervision = query::GetSupervisionRequest::reading(read_as_of(DAY))
        .ask(&mut client)
        .await?;
    let expected: Vec<Vec<String>> = supervision
        .ngos
        .iter()
        .map(|n| {
            let latest = n
                .latest_on
                .as_ref()
                .map(|d| d.iso.clone())
                .unwrap_or_default();
            vec![
                en_name(&n.ngo),
                n.reports.to_string(),
                n.average_rating
                    .map(|r| format!("{r:.1}"))
                    .unwrap_or_default(),
                n.latest_rating.map(|r| r.to_string()).unwrap_or_default(),
                n.latest_on
                    .as_ref()
                    .map(|d| d.solar_hijri.clone())
                    .unwrap_or_default(),
                latest,
            ]
        })
        .collect();
    assert_eq!(table("supervision"), expected);
    let members = query::GetNgoMembersRequest::reading(read_as_of(DAY))
        .ask(&mut client)
        .await?;
    let expected: Vec<(String, String, String)> = members
        .ngos
        .iter()
        .flat_map(|n| {
            n.members.iter().map(|m| {
                let status = match m.status() {
                    query::MemberStatus::Approved => "approved",
                    _ => "revoked",
                };
                (en_name(&n.ngo), m.member.clone(), status.to_owned())
            })
        })
        .collect();
    let shown: Vec<(String, String, String)> = table("members")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[3].clone()))
        .collect();
    assert_eq!(shown, expected);
    // Persian intact in the Persian pages' downloads.
    let fa_budgets = downloads
        .iter()
        .find(|(l, t, _)| l == "fa" && t == "budgets")
        .map(|(_, _, rows)| rows.clone())
        .unwrap();
    assert_eq!(fa_budgets[0][0], "منطقه", "{fa_budgets:?}");
    assert!(
        fa_budgets[1..].iter().all(|r| r[0].starts_with("منطقه")),
        "{fa_budgets:?}"
    );
    system.stop().await
}

fn en_name(n: &Option<query::Named>) -> String {
    n.as_ref()
        .and_then(|n| n.name.as_ref())
        .map(|n| n.en.clone())
        .unwrap_or_default()
}

/// Every table of the open page checked against its downloads: (language, table id,
/// the CSV's rows).
async fn every_download(
    browser: &Browser,
    web: SocketAddr,
    lang: &str,
    page: &str,
) -> anyhow::Result<Vec<(String, String, Vec<Vec<String>>)>> {
    let ids = table_ids(browser).await?;
    anyhow::ensure!(!ids.is_empty(), "{page}: no table");
    let mut all = Vec::new();
    for id in ids {
        let rows = check_downloads(browser, web, &id)
            .await
            .map_err(|err| anyhow::anyhow!("{lang} {page}: {err:#}"))?;
        all.push((lang.to_owned(), id, rows));
    }
    Ok(all)
}

/// An open zone page, told of a progress report by the projection's live events,
/// shows the new figures within a second of the projection applying it, without a
/// reload.
#[tokio::test]
async fn an_open_page_follows_a_progress_report_without_a_reload() -> anyhow::Result<()> {
    let web: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let system = System::start_with(Backend::Sqlite, |config| config.web_listen = web).await?;
    let saman = system.saman()?;
    let loaded = saman.scenario_1397(&[]).await?;
    let events = loaded["events"].as_u64().unwrap();
    let mut admin = system.projection.admin().await?;
    wait_caught_up(&mut admin, events, Duration::from_secs(120)).await?;
    let mut client = system.projection.client().await?;
    let ask = |client: &mut query::projection_client::ProjectionClient<_>| {
        let mut client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .get_zone_progress(query::GetZoneProgressRequest {
                        read: read_as_of(DAY),
                        zone: "zone-03".into(),
                    })
                    .await?
                    .into_inner(),
            )
        }
    };
    let before = ask(&mut client).await?;
    let project = before
        .projects
        .iter()
        .filter(|p| !p.completed && p.percent < 90)
        .min_by_key(|p| p.percent)
        .expect("a zone-03 project under way at the end of 1397")
        .clone();

    let browser = Browser::start().await?;
    let url = format!("https://{web}/en/zones/zone-03?as_of={DAY}");
    browser.open(&url, 1400, 1000).await?;
    let shown = bars(&browser, "section[data-zone=\"zone-03\"]").await?;
    let p = before.progress.clone().unwrap();
    assert_eq!(shown[0].1, format!("{:.1}", p.overall), "{url}");
    // A mark a reload would wipe out.
    browser
        .eval("window.notReloaded = true; return true;")
        .await?;
    let updated_before = browser
        .eval("return document.querySelector('time.updated').getAttribute('datetime');")
        .await?;

    let officer = format!("officer:{0}/{0}-officer", project.agency);
    let report: Vec<&str> = vec![
        "progress",
        "report",
        "zone-03",
        &project.proposal_id,
        "95",
        "--as-of",
        DAY,
        "--note",
        "Nearly done.",
        "--as",
        &officer,
        "--json",
    ];
    saman.json(&report).await?;
    // Applied by the projection: its gRPC answer moved.
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let now = ask(&mut client).await?;
        if now.progress != before.progress {
            break now;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the report was not applied in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let applied = Instant::now();
    let p = after.progress.clone().unwrap();
    let value = format!("{:.1}", p.overall);
    let shown = loop {
        let shown = bars(&browser, "section[data-zone=\"zone-03\"]").await?;
        if shown[0].1 == value || applied.elapsed() > Duration::from_secs(1) {
            break shown;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(
        shown[0].1, value,
        "{url}: the bar a second after the projection applied the report"
    );
    assert_eq!(shown[0].4, status_word("en", p.status()), "{url}");
    let label = browser
        .eval("return document.querySelector('section[data-zone=\"zone-03\"] .bar-row .bar-value bdi').textContent;")
        .await?;
    assert_eq!(label, format!("{value}%"), "{url}");
    let project_bar = browser
        .eval(&format!(
            "return document.querySelector('[data-bar=\"project-{}\"]').dataset.value;",
            project.proposal_id
        ))
        .await?;
    assert_eq!(project_bar, "95.0", "{url}");
    assert_eq!(
        browser.eval("return window.notReloaded === true;").await?,
        true,
        "{url}: the page was reloaded"
    );
    let updated_after = browser
        .eval("return document.querySelector('time.updated').getAttribute('datetime');")
        .await?;
    assert_ne!(
        updated_after, updated_before,
        "{url}: 'last updated' did not move"
    );
    browser.screenshot("zone-en-1400-live").await?;
    browser.close().await?;
    system.stop().await
}
