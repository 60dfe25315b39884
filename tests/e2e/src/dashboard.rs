//! What the dashboard tests read: a page's tables as the browser shows them, and the
//! same tables as their CSV and workbook downloads say, compared cell by cell.

use std::io::Cursor;
use std::net::SocketAddr;

use calamine::{Data, Reader, Xlsx};
use saman_domain::Day;

use crate::browser::Browser;
use crate::http::web_download;

/// A cell as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// Text, as shown.
    Text(String),
    /// A figure (a `td.n`), as written: Persian or Latin digits, grouped.
    Number(String),
    /// A day: the ISO date of its `<time datetime>`.
    Day(String),
}

/// A table of the open page, found by its id (the `data-table` of its download links):
/// its headings and its rows (the row that says the table is empty left out).
pub async fn page_table(
    browser: &Browser,
    id: &str,
) -> anyhow::Result<(Vec<String>, Vec<Vec<Shown>>)> {
    let script = format!(
        "const links = document.querySelector('p.downloads[data-table=\"{id}\"]');\
         if (!links) return null;\
         const t = links.previousElementSibling.querySelector('table');\
         const heads = [...t.tHead.rows[0].cells].map(c => c.textContent.trim());\
         const rows = [...t.tBodies[0].rows]\
           .filter(r => !(r.cells.length === 1 && r.cells[0].colSpan > 1))\
           .map(r => [...r.cells].map(c => {{\
             const time = c.querySelector('time');\
             if (time) return ['day', time.getAttribute('datetime')];\
             if (c.classList.contains('n')) return ['n', c.textContent.trim()];\
             return ['t', c.textContent.trim()];\
           }}));\
         return [heads, rows];"
    );
    let value = browser.eval(&script).await?;
    anyhow::ensure!(!value.is_null(), "no table '{id}' on the page");
    let (heads, rows): (Vec<String>, Vec<Vec<(String, String)>>) = serde_json::from_value(value)?;
    let rows = rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|(kind, text)| match kind.as_str() {
                    "day" => Shown::Day(text),
                    "n" => Shown::Number(text),
                    _ => Shown::Text(text),
                })
                .collect()
        })
        .collect();
    Ok((heads, rows))
}

/// The ids of the tables on the open page, in order.
pub async fn table_ids(browser: &Browser) -> anyhow::Result<Vec<String>> {
    Ok(serde_json::from_value(
        browser
            .eval("return [...document.querySelectorAll('p.downloads')].map(p => p.dataset.table);")
            .await?,
    )?)
}

/// A figure as a spreadsheet writes it: Latin digits, no grouping, `.` for decimals,
/// no percent sign; a dash is nothing.
pub fn plain_number(shown: &str) -> String {
    shown
        .chars()
        .filter_map(|c| match c {
            '۰'..='۹' => char::from_digit(c as u32 - '۰' as u32, 10),
            '٫' => Some('.'),
            '٬' | ',' | '%' | '٪' | '—' => None,
            c => Some(c),
        })
        .collect()
}

/// A CSV download: its rows of text, the byte-order mark checked and removed.
pub fn parse_csv(bytes: &[u8]) -> anyhow::Result<Vec<Vec<String>>> {
    let text = std::str::from_utf8(bytes)?;
    let text = text
        .strip_prefix('\u{FEFF}')
        .ok_or_else(|| anyhow::anyhow!("no byte-order mark: {text:.80}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(record?.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}

/// A workbook download: the rows of its one sheet as text.
pub fn parse_xlsx(bytes: Vec<u8>) -> anyhow::Result<Vec<Vec<String>>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    let names = book.sheet_names();
    anyhow::ensure!(names.len() == 1, "sheets: {names:?}");
    let range = book.worksheet_range(&names[0])?;
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect())
}

/// Downloads the table `id` of the open page (the page at `page_url`'s path and query,
/// on `web`) as CSV and as a workbook, checks that both hold what the page shows, cell
/// by cell, and returns the CSV's rows (headings first).
pub async fn check_downloads(
    browser: &Browser,
    web: SocketAddr,
    id: &str,
) -> anyhow::Result<Vec<Vec<String>>> {
    let hrefs: Vec<String> = serde_json::from_value(
        browser
            .eval(&format!(
                "return [...document.querySelectorAll('p.downloads[data-table=\"{id}\"] a')]\
                   .map(a => a.getAttribute('href'));"
            ))
            .await?,
    )?;
    anyhow::ensure!(hrefs.len() == 2, "{id}: download links {hrefs:?}");
    let (heads, shown) = page_table(browser, id).await?;

    let csv_file = web_download(web, &hrefs[0]).await?;
    anyhow::ensure!(
        csv_file.status == 200,
        "{}: {:?}",
        hrefs[0],
        csv_file.status
    );
    anyhow::ensure!(
        csv_file.content_type.as_deref() == Some("text/csv; charset=utf-8"),
        "{}: {:?}",
        hrefs[0],
        csv_file.content_type
    );
    anyhow::ensure!(
        csv_file
            .content_disposition
            .as_deref()
            .is_some_and(|d| d.starts_with("attachment; filename=\"")),
        "{}: {:?}",
        hrefs[0],
        csv_file.content_disposition
    );
    let csv = parse_csv(&csv_file.bytes)?;
    let xlsx_file = web_download(web, &hrefs[1]).await?;
    anyhow::ensure!(
        xlsx_file.status == 200,
        "{}: {:?}",
        hrefs[1],
        xlsx_file.status
    );
    let xlsx = parse_xlsx(xlsx_file.bytes)?;
    // The same cells; a workbook's number has no format of its own (12 and 12.0 are
    // one number there).
    let same = |a: &String, b: &String| {
        a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
    };
    anyhow::ensure!(
        xlsx.len() == csv.len()
            && xlsx
                .iter()
                .zip(&csv)
                .all(|(x, c)| x.len() == c.len() && x.iter().zip(c).all(|(a, b)| same(a, b))),
        "{id}: the workbook and the CSV differ:\n{xlsx:?}\n{csv:?}"
    );

    // The headings: the page's, each day column followed by its ISO twin.
    let (csv_heads, csv_rows) = csv
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("{id}: an empty CSV"))?;
    anyhow::ensure!(
        csv_rows.len() == shown.len(),
        "{id}: {} rows downloaded, {} on the page",
        csv_rows.len(),
        shown.len()
    );
    let mut at = 0;
    let mut day_columns = Vec::new();
    for head in &heads {
        anyhow::ensure!(
            csv_heads.get(at) == Some(head),
            "{id}: heading {at}: {csv_heads:?} against the page's {heads:?}"
        );
        let twin = csv_heads
            .get(at + 1)
            .is_some_and(|next| next.starts_with(&format!("{head} (")));
        day_columns.push(twin);
        at += 1 + usize::from(twin);
    }
    anyhow::ensure!(
        at == csv_heads.len(),
        "{id}: {csv_heads:?} against {heads:?}"
    );

    // Each cell: text as shown (Persian intact), figures as numbers, days in both
    // calendars.
    for (r, (page_row, csv_row)) in shown.iter().zip(csv_rows).enumerate() {
        let mut at = 0;
        for (cell, twin) in page_row.iter().zip(&day_columns) {
            let value = csv_row.get(at).map(String::as_str).unwrap_or_default();
            let fine = match cell {
                Shown::Text(t) => t == value || (id == "timeline" && t.starts_with(value)),
                Shown::Number(n) => plain_number(n) == value,
                Shown::Day(iso) => {
                    let solar = Day::parse_iso(iso)?.solar_hijri_string();
                    if *twin {
                        value == solar && csv_row.get(at + 1) == Some(iso)
                    } else {
                        value.starts_with(&solar)
                    }
                }
            };
            anyhow::ensure!(
                fine,
                "{id}: row {r}, column {at}: the page shows {cell:?}, the CSV {value:?}\n{csv_row:?}"
            );
            at += 1 + usize::from(*twin);
        }
    }
    Ok(csv)
}
