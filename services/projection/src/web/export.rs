//! A table's downloads: CSV (UTF-8 with a byte-order mark, which spreadsheet programs
//! need to read Persian as Persian) and an `.xlsx` workbook (a right-to-left sheet for
//! the Persian pages), the same cells as the page as of the same day.
//!
//! `GET {lang}/tables/{id}.{csv|xlsx}?as_of=...` for the programme's tables and
//! `GET {lang}/zones/{code}/tables/{id}.{csv|xlsx}?as_of=...` for a zone's.

use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};
use saman_domain::Day;

use super::i18n::Lang;
use super::tables::{Table, Value};
use crate::error::ProjectionError;

/// What a download is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    Csv,
    Xlsx,
}

/// `overdue.csv` → (`overdue`, CSV); anything else is a page that does not exist.
pub fn parse_file(file: &str) -> Result<(&str, Download), ProjectionError> {
    let not_found = || ProjectionError::NotFound {
        what: "table",
        id: file.to_owned(),
    };
    let (id, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
    let format = match ext {
        "csv" => Download::Csv,
        "xlsx" => Download::Xlsx,
        _ => return Err(not_found()),
    };
    Ok((id, format))
}

/// The download of `table` as of `day`, named after both.
pub fn respond(
    table: &Table,
    lang: Lang,
    day: Day,
    format: Download,
) -> Result<Response, ProjectionError> {
    let name = format!("{}-{}-{}", table.id, day.iso(), lang.code());
    let (body, content_type, ext) = match format {
        Download::Csv => (csv(table, lang)?, "text/csv; charset=utf-8", "csv"),
        Download::Xlsx => (
            xlsx(table, lang)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok((
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// The table as CSV: a byte-order mark, the headings, a line per row.
pub fn csv(table: &Table, lang: Lang) -> Result<Vec<u8>, ProjectionError> {
    let failed = |err: csv::Error| ProjectionError::Export(format!("CSV: {err}"));
    let mut out = csv::Writer::from_writer("\u{FEFF}".as_bytes().to_vec());
    out.write_record(table.export_headings(lang))
        .map_err(failed)?;
    for row in table.export_rows(lang) {
        out.write_record(row.iter().map(Value::plain))
            .map_err(failed)?;
    }
    out.into_inner()
        .map_err(|err| ProjectionError::Export(format!("CSV: {err}")))
}

/// The table as a workbook of one sheet: the caption as its title, bold headings,
/// numbers as numbers.
pub fn xlsx(table: &Table, lang: Lang) -> Result<Vec<u8>, ProjectionError> {
    let failed =
        |err: rust_xlsxwriter::XlsxError| ProjectionError::Export(format!("workbook: {err}"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&table.caption)).map_err(failed)?;
    sheet.set_right_to_left(lang == Lang::Fa);
    let bold = Format::new().set_bold();
    let one_decimal = Format::new().set_num_format("0.0");
    let whole = Format::new().set_num_format("#,##0");
    // Beyond a sheet's 1,048,576 rows and 16,384 columns the workbook refuses.
    let too_big = || ProjectionError::Export(format!("{}: too big for a sheet", table.id));
    let column = |col: usize| u16::try_from(col).map_err(|_| too_big());
    for (col, heading) in table.export_headings(lang).iter().enumerate() {
        sheet
            .write_string_with_format(0, column(col)?, heading, &bold)
            .map_err(failed)?;
    }
    for (row, values) in table.export_rows(lang).iter().enumerate() {
        let row = u32::try_from(row + 1).map_err(|_| too_big())?;
        for (col, value) in values.iter().enumerate() {
            let col = column(col)?;
            match value {
                // A spreadsheet's numbers are doubles: exact up to 2^53, far beyond a
                // budget in rials.
                Value::Int(n) => sheet.write_number_with_format(row, col, *n as f64, &whole),
                Value::Decimal(d) => sheet.write_number_with_format(row, col, *d, &one_decimal),
                Value::Empty => continue,
                text => sheet.write_string(row, col, text.plain()),
            }
            .map_err(failed)?;
        }
    }
    sheet.autofit();
    workbook.save_to_buffer().map_err(failed)
}

/// A sheet's name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(caption: &str) -> String {
    let name: String = caption
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    if name.trim().is_empty() {
        "Sheet1".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::tables::Cell;

    #[test]
    fn a_csv_starts_with_a_byte_order_mark_and_quotes_what_needs_it() {
        let mut t = Table::new("t", "T", "-").cols(&["title", "n"]);
        t.row(vec![Cell::text("آب، \"لوله\", و فاضلاب"), Cell::int(12)]);
        let bytes = csv(&t, Lang::Fa).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{FEFF}title,n\n\"آب، \"\"لوله\"\", و فاضلاب\",12\n"
        );
    }

    #[test]
    fn sheet_names_are_what_a_workbook_allows() {
        assert_eq!(sheet_name("a/b: [c]"), "ab c");
        assert_eq!(sheet_name("x".repeat(40).as_str()).len(), 31);
        assert_eq!(sheet_name("?"), "Sheet1");
    }

    #[test]
    fn names_the_download_after_the_table() {
        assert_eq!(
            parse_file("overdue.csv").unwrap(),
            ("overdue", Download::Csv)
        );
        assert_eq!(parse_file("a.b.xlsx").unwrap(), ("a.b", Download::Xlsx));
        assert!(parse_file("overdue.pdf").is_err());
        assert!(parse_file("overdue").is_err());
    }
}
