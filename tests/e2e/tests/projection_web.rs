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

    let page = web_get(web, "/?as_of=1397-01-31").await?;
    let (status, body) = (page.status_line, page.body);
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(
        page.content_type.map(|t| t.to_ascii_lowercase()).as_deref(),
        Some("text/html; charset=utf-8"),
        "{body}"
    );
    assert!(!body.contains("<script"), "{body}");
    assert!(body.contains("منطقه 1"), "{body}");
    assert!(body.contains("Zone 01"), "{body}");
    assert!(body.contains("Zone 02"), "{body}");
    assert!(body.contains("dir=\"rtl\""), "{body}");
    assert!(body.contains("2018-04-20"), "ISO as-of day: {body}");
    assert!(
        body.contains("۱۳۹۷"),
        "Solar Hijri in Persian digits: {body}"
    );
    assert!(body.contains("/zones/zone-01?as_of=2018-04-20"), "{body}");
    assert!(body.contains("Overdue projects"), "{body}");
    assert!(
        body.contains("No project is past its planned end by this day."),
        "no project yet: {body}"
    );
    assert!(body.contains("12 households affected"), "{body}");
    assert!(body.contains("Open referrals"), "{body}");
    assert!(
        body.contains("Every referral is answered by this day."),
        "no referral yet: {body}"
    );
    for empty in [
        "No proposal waits for a decision on this day.",
        "Nothing came in after its deadline by this day.",
        "No progress was corrected down by this day.",
        "No proposal was rejected by this day.",
    ] {
        assert!(body.contains(empty), "{empty}: {body}");
    }
    assert!(body.contains("Supervision"), "{body}");
    // The one NGO, in both languages, with no report yet.
    assert!(
        body.contains("<td>NGO One (fictional) · <span dir=\"rtl\" lang=\"fa\">سمن یک</span></td><td class=\"n\">0</td>"),
        "{body}"
    );

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
    assert!(body.contains("منطقه 1"), "{body}");
    assert!(body.contains("Zone 01"), "{body}");
    assert!(
        body.contains("Clean water &amp; &lt;pipes&gt;"),
        "the need's title, escaped: {body}"
    );
    assert!(!body.contains("<pipes>"), "unescaped text: {body}");
    assert!(body.contains("Timeline"), "{body}");
    // The need's 12 households, its priority, and the zone's curve to the day.
    assert!(
        body.contains(
            "Households affected: 12. Needs by priority: urgent 0, high 1, medium 0, low 0."
        ),
        "{body}"
    );
    assert!(body.contains("Progress over the year"), "{body}");

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
