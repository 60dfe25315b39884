//! A table as data: its columns and its rows of typed cells, drawn as HTML on a page
//! and written, the same cells, as CSV or as a workbook (see [`super::export`]). A page
//! and its downloads therefore cannot disagree: both come from one [`Table`].

use maud::{Markup, html};
use saman_domain::Day;
use saman_domain::progress::TrackStatus;

use super::i18n::{Lang, status_class};
use super::layout;
use crate::readmodel::{Named, Names};

/// One cell, as what it holds (each kind is drawn and exported its own way).
#[derive(Debug, Clone)]
pub enum Cell {
    /// Free text (a title, a reason, a code): isolated from the page's direction.
    Text(String),
    /// A word of the page's language (an approach, a kind).
    Word(&'static str),
    /// A status: its word, coloured.
    Status(TrackStatus),
    /// A zone, NGO or agency: its name in the page's language, the rest on hover.
    Named(Named),
    /// A name in both languages.
    Names(Names),
    /// `cell` as a link to `href`.
    Link(String, Box<Cell>),
    /// A whole number.
    Int(i128),
    /// A figure with one decimal, or a dash.
    Decimal(Option<f64>),
    /// A percentage with one decimal.
    Pct(f64),
    /// A day, or a dash.
    Day(Option<Day>),
    /// Markup of its own on the page (a timeline entry with who signed it), `text` in a
    /// download.
    Rich(Markup, String),
}

impl Cell {
    pub fn int(n: impl Into<i128>) -> Cell {
        Cell::Int(n.into())
    }

    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    pub fn named(n: &Named) -> Cell {
        Cell::Named(n.clone())
    }

    /// The cell as a spreadsheet holds it: text in the page's language, numbers as
    /// numbers, a day as its Solar Hijri date (and, in the column after it, ISO).
    pub fn value(&self, lang: Lang) -> Value {
        match self {
            Cell::Text(t) => Value::Text(t.clone()),
            Cell::Word(w) => Value::Text((*w).to_owned()),
            Cell::Status(s) => Value::Text(lang.status(*s).to_owned()),
            Cell::Named(n) => Value::Text(lang.name(&n.name).0),
            Cell::Names(n) => Value::Text(lang.name(n).0),
            Cell::Link(_, cell) => cell.value(lang),
            Cell::Int(n) => Value::Int(*n),
            Cell::Decimal(d) => d.map_or(Value::Empty, Value::Decimal),
            Cell::Pct(p) => Value::Decimal(*p),
            Cell::Day(d) => d.map_or(Value::Empty, Value::Day),
            Cell::Rich(_, text) => Value::Text(text.clone()),
        }
    }

    fn html(&self, lang: Lang) -> Markup {
        match self {
            Cell::Text(t) => html! { td { bdi { (t) } } },
            Cell::Word(w) => html! { td { (w) } },
            Cell::Status(s) => {
                html! { td class={ "status " (status_class(*s)) } { (lang.status(*s)) } }
            }
            Cell::Named(n) => html! { td { (layout::named(lang, n)) } },
            Cell::Names(n) => html! { td { (layout::name(lang, n)) } },
            Cell::Link(href, cell) => html! { td { a href=(href) { (cell.inner(lang)) } } },
            Cell::Int(n) => html! { td.n { (lang.int(*n)) } },
            Cell::Decimal(d) => {
                html! { td.n { (d.map_or_else(|| "—".into(), |d| lang.decimal(d))) } }
            }
            Cell::Pct(p) => html! { td.n { (lang.pct(*p)) } },
            Cell::Day(d) => layout::day_cell(lang, *d),
            Cell::Rich(markup, _) => html! { td { (markup) } },
        }
    }

    /// What the cell shows, without its `td` (inside a link).
    fn inner(&self, lang: Lang) -> Markup {
        match self {
            Cell::Named(n) => layout::named(lang, n),
            Cell::Names(n) => layout::name(lang, n),
            other => {
                let Value::Text(text) = other.value(lang) else {
                    return html! { bdi { (other.value(lang).plain()) } };
                };
                html! { bdi { (text) } }
            }
        }
    }
}

/// A cell's value in a download.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i128),
    Decimal(f64),
    Day(Day),
    Empty,
}

impl Value {
    /// As CSV writes it: ASCII digits so that spreadsheets compute with them; a day as
    /// its Solar Hijri date `1397-06-31`.
    pub fn plain(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Int(n) => n.to_string(),
            Value::Decimal(d) => format!("{d:.1}"),
            Value::Day(d) => d.solar_hijri_string(),
            Value::Empty => String::new(),
        }
    }
}

/// A column: its heading, and whether it holds days (a download then gives each day
/// twice: Solar Hijri, and ISO in the column after it).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub days: bool,
}

/// A table with an id (its download's name), a caption, columns and rows.
#[derive(Debug, Clone)]
pub struct Table {
    pub id: &'static str,
    pub caption: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// What the table says when it has no row.
    pub empty: &'static str,
}

impl Table {
    pub fn new(id: &'static str, caption: impl Into<String>, empty: &'static str) -> Table {
        Table {
            id,
            caption: caption.into(),
            columns: Vec::new(),
            rows: Vec::new(),
            empty,
        }
    }

    /// Adds columns of anything but days.
    pub fn cols(mut self, titles: &[&'static str]) -> Table {
        self.columns
            .extend(titles.iter().map(|&title| Column { title, days: false }));
        self
    }

    /// Adds a column of days.
    pub fn days(mut self, title: &'static str) -> Table {
        self.columns.push(Column { title, days: true });
        self
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "{}", self.id);
        self.rows.push(cells);
    }

    pub fn with_rows<T>(mut self, items: &[T], row: impl Fn(&T) -> Vec<Cell>) -> Table {
        for item in items {
            let cells = row(item);
            self.row(cells);
        }
        self
    }

    /// The table on a page, with links to download it as of the same day: `base` is
    /// the path its downloads are under (`/en/tables`, `/zones/zone-03/tables`), `query`
    /// the page's query.
    pub fn html(&self, lang: Lang, base: &str, query: &str) -> Markup {
        let w = lang.words();
        // A box that may scroll is reachable from the keyboard, named by its caption;
        // wide tables scroll inside it, not the page.
        html! {
            div.scroll tabindex="0" role="region" aria-label=(self.caption) {
                table {
                    caption { (self.caption) }
                    thead { tr { @for c in &self.columns { th scope="col" { (c.title) } } } }
                    tbody {
                        @if self.rows.is_empty() {
                            tr { td colspan=(self.columns.len()) class="muted" { (self.empty) } }
                        }
                        @for cells in &self.rows {
                            tr { @for cell in cells { (cell.html(lang)) } }
                        }
                    }
                }
            }
            p.downloads data-table=(self.id) {
                (w.download) " "
                a href=(format!("{base}/{}.csv{query}", self.id)) download { "CSV" }
                " · "
                a href=(format!("{base}/{}.xlsx{query}", self.id)) download { (w.workbook) }
            }
        }
    }

    /// The heading row of a download.
    pub fn export_headings(&self, lang: Lang) -> Vec<String> {
        let iso = lang.words().iso_day;
        self.columns
            .iter()
            .flat_map(|c| {
                let mut titles = vec![c.title.to_owned()];
                if c.days {
                    titles.push(format!("{} ({iso})", c.title));
                }
                titles
            })
            .collect()
    }

    /// The rows of a download: each day column followed by the same day in ISO.
    pub fn export_rows(&self, lang: Lang) -> Vec<Vec<Value>> {
        self.rows
            .iter()
            .map(|cells| {
                cells
                    .iter()
                    .zip(&self.columns)
                    .flat_map(|(cell, column)| {
                        let value = cell.value(lang);
                        let mut values = vec![value.clone()];
                        if column.days {
                            values.push(match value {
                                Value::Day(d) => Value::Text(d.iso()),
                                _ => Value::Empty,
                            });
                        }
                        values
                    })
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let day = Day::parse_iso("2018-09-22").unwrap();
        let mut t = Table::new("t", "T", "nothing")
            .cols(&["name", "n"])
            .days("on")
            .cols(&["share"]);
        t.row(vec![
            Cell::text("آب <لوله>"),
            Cell::int(3_800_000_000u64),
            Cell::Day(Some(day)),
            Cell::Decimal(None),
        ]);
        t
    }

    #[test]
    fn a_download_gives_each_day_in_both_calendars_and_numbers_as_numbers() {
        let t = table();
        assert_eq!(
            t.export_headings(Lang::En),
            ["name", "n", "on", "on (ISO)", "share"]
        );
        assert_eq!(
            t.export_rows(Lang::Fa),
            [vec![
                Value::Text("آب <لوله>".into()),
                Value::Int(3_800_000_000),
                Value::Day(Day::parse_iso("2018-09-22").unwrap()),
                Value::Text("2018-09-22".into()),
                Value::Empty,
            ]]
        );
        assert_eq!(
            Value::Day(Day::parse_iso("2018-09-22").unwrap()).plain(),
            "1397-06-31"
        );
    }

    #[test]
    fn the_page_groups_digits_escapes_text_and_links_both_downloads() {
        let html = table()
            .html(Lang::Fa, "/tables", "?as_of=2018-09-22")
            .into_string();
        assert!(
            html.contains("<td class=\"n\">۳٬۸۰۰٬۰۰۰٬۰۰۰</td>"),
            "{html}"
        );
        assert!(html.contains("آب &lt;لوله&gt;"), "{html}");
        assert!(
            html.contains("href=\"/tables/t.csv?as_of=2018-09-22\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"/tables/t.xlsx?as_of=2018-09-22\""),
            "{html}"
        );
    }
}
