//! The projection's web page: plain HTML beside gRPC, read from the same read models.

use std::net::SocketAddr;

use saman_e2e::*;

on_both_backends! {
    the_web_page_shows_the_zones_and_one_zone => web_page;
}

async fn web_page(backend: Backend) -> anyhow::Result<()> {
    let web: SocketAddr = format!("127.0.0.1:{}", free_port()).parse()?;
    let system = System::start_with(backend, |config| config.web_listen = web).await?;
    system.one_need("Clean water & <pipes>").await?;

    let (status, body) = web_get(web, "/healthz").await?.parts();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(body.ends_with("ok"), "{body}");

    // Persian first: the root is the Persian page, right to left, Persian digits.
    let page = web_get(web, "/?as_of=1397-01-31").await?;
    let (status, body) = (page.status_line, page.body);
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(
        page.content_type.map(|t| t.to_ascii_lowercase()).as_deref(),
        Some("text/html; charset=utf-8"),
        "{body}"
    );
    // Whole without script: the one script is the live updates' own file, deferred
    // (no inline script).
    let assets = asset_dir(&body);
    let live = format!("<script src=\"{assets}/live.js\" defer></script>");
    assert_eq!(body.matches("<script").count(), 1, "{body}");
    assert!(body.contains(&live), "{body}");
    assert!(body.contains("<html lang=\"fa\" dir=\"rtl\">"), "{body}");
    assert!(body.contains("مناطق در یک نگاه"), "{body}");
    assert!(body.contains("منطقه 1"), "the zone's Persian name: {body}");
    assert!(
        body.contains("title=\"Zone 01\""),
        "its English name on hover: {body}"
    );
    assert!(
        body.contains("۳۱ فروردین ۱۳۹۷"),
        "the day in Persian: {body}"
    );
    assert!(body.contains("2018-04-20"), "the ISO day: {body}");
    assert!(body.contains("/zones/zone-01?as_of=2018-04-20"), "{body}");
    assert!(
        body.contains("href=\"/en/?as_of=2018-04-20\""),
        "the English page, same day: {body}"
    );
    // Each zone a card with its bars: the figures in data attributes, the status in words.
    assert!(
        body.contains("<article class=\"card\" data-zone=\"zone-01\">"),
        "{body}"
    );
    assert!(body.contains("data-bar=\"overall\""), "{body}");
    assert!(body.contains("پروژه‌های عقب‌افتاده"), "{body}");
    assert!(
        body.contains("۱۲"),
        "12 households in Persian digits: {body}"
    );

    // The whole English version under /en, the same figures.
    let (status, body) = web_get(web, "/en/?as_of=1397-01-31").await?.parts();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(body.contains("<html lang=\"en\" dir=\"ltr\">"), "{body}");
    assert!(body.contains("The zones at a glance"), "{body}");
    assert!(body.contains("31 Farvardin 1397"), "{body}");
    assert!(
        body.contains("title=\"منطقه 1\""),
        "the Persian name on hover: {body}"
    );
    assert!(
        body.contains("/en/zones/zone-01?as_of=2018-04-20"),
        "{body}"
    );
    assert!(body.contains("Overdue projects"), "{body}");
    assert!(
        body.contains("No project is past its planned end by this day."),
        "{body}"
    );
    assert!(
        body.contains("<dt>Households affected</dt><dd><bdi>12</bdi></dd>"),
        "{body}"
    );
    // The office's other questions, each on its page, in both languages.
    for (path, shows) in [
        ("/en/cooperation", "Every referral is answered by this day."),
        (
            "/en/compliance",
            "No proposal waits for a decision on this day.",
        ),
        (
            "/en/compliance",
            "No progress was corrected down by this day.",
        ),
        ("/en/compliance", "No proposal was rejected by this day."),
        (
            "/en/late",
            "Nothing came in after its deadline by this day.",
        ),
        // The one NGO on the supervision table, no report yet.
        (
            "/en/supervision",
            "<bdi title=\"سمن یک · ngo-01\">NGO One (fictional)</bdi></td><td class=\"n\">0</td>",
        ),
        (
            "/en/activities",
            "No social activity was reported by this day.",
        ),
        ("/cooperation", "ارجاع‌های باز"),
        ("/supervision", "<html lang=\"fa\" dir=\"rtl\">"),
    ] {
        let (status, page) = web_get(web, &format!("{path}?as_of=1397-01-31"))
            .await?
            .parts();
        assert_eq!(status, "HTTP/1.1 200 OK", "{path}: {page}");
        assert!(page.contains(shows), "{path}: {shows}: {page}");
    }
    // Each table as CSV: a byte-order mark, ASCII digits, the day in both calendars.
    let csv = web_get(web, "/en/tables/budgets.csv?as_of=1397-01-31").await?;
    assert_eq!(csv.status_line, "HTTP/1.1 200 OK", "{}", csv.body);
    assert_eq!(csv.content_type.as_deref(), Some("text/csv; charset=utf-8"));
    assert!(
        csv.body.starts_with("\u{FEFF}Zone,Approved budget,"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("\nZone 01,0,0,0,12,"), "{}", csv.body);
    let (status, _) = web_get(web, "/en/tables/nothing.csv").await?.parts();
    assert_eq!(status, "HTTP/1.1 404 Not Found");

    // The style sheet, the script and the font the page names, cacheable for a year:
    // their URLs change with their contents.
    for asset in ["style.css", "live.js", "vazirmatn-regular.woff2"] {
        let path = format!("{assets}/{asset}");
        assert!(body.contains(&path), "{body}");
        let file = web_get(web, &path).await?;
        assert_eq!(file.status_line, "HTTP/1.1 200 OK", "{path}");
        assert_eq!(
            file.cache_control.as_deref(),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
    }
    let (status, _) = web_get(web, "/assets/0000000000000000/style.css")
        .await?
        .parts();
    assert_eq!(status, "HTTP/1.1 404 Not Found", "another build's asset");

    // The same day written in Persian digits, percent-encoded.
    let persian = "۱۳۹۷-۰۱-۳۱"
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect::<String>();
    let (status, body) = web_get(web, &format!("/?as_of={persian}")).await?.parts();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(body.contains("2018-04-20"), "{body}");

    let (status, body) = web_get(web, "/zones/zone-01?as_of=1397-01-31")
        .await?
        .parts();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(body.contains("<html lang=\"fa\" dir=\"rtl\">"), "{body}");
    assert!(body.contains("منطقه 1"), "{body}");
    assert!(
        body.contains("Clean water &amp; &lt;pipes&gt;"),
        "the need's title, escaped: {body}"
    );
    assert!(!body.contains("<pipes>"), "unescaped text: {body}");
    assert!(body.contains("رویدادها"), "the timeline: {body}");
    assert!(body.contains("بالا ۱"), "one need of high priority: {body}");
    assert!(
        body.contains("<svg viewBox"),
        "the curve over the year: {body}"
    );

    let (status, body) = web_get(web, "/en/zones/zone-01?as_of=1397-01-31")
        .await?
        .parts();
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(body.contains("Timeline"), "{body}");
    assert!(
        body.contains("Needs by priority: urgent 0, high 1, medium 0, low 0"),
        "{body}"
    );
    assert!(body.contains("Progress over the year"), "{body}");
    assert!(body.contains("data-bar=\"overall\""), "{body}");

    let (status, body) = web_get(web, "/zones/nope").await?.parts();
    assert_eq!(status, "HTTP/1.1 404 Not Found", "{body}");
    assert!(body.contains("404"), "{body}");

    let (status, body) = web_get(web, "/?as_of=garbage").await?.parts();
    assert_eq!(status, "HTTP/1.1 400 Bad Request", "{body}");
    assert!(body.contains("garbage"), "{body}");

    let (status, _) = web_get(web, "/no/such/page").await?.parts();
    assert_eq!(status, "HTTP/1.1 404 Not Found");

    system.projection.stop().await?;
    // The web page stops with the projection.
    assert!(
        tokio::net::TcpStream::connect(web).await.is_err(),
        "the web page still listens after the projection stopped"
    );
    system.intake.stop().await?;
    Ok(())
}

/// `/assets/{hash}`: where the page's style sheet is.
fn asset_dir(body: &str) -> String {
    let end = body.find("/style.css").expect("the style sheet's link");
    let start = body[..end].rfind("/assets/").expect("under /assets/");
    body[start..end].to_owned()
}
