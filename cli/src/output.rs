//! How replies are shown: tables for people (both calendars, names in English or,
//! with `--fa`, in Persian), or one line of JSON per reply for scripts.
//!
//! The JSON is the proto3 JSON mapping of the reply itself, made by reflection over
//! the contract's descriptors, so it cannot drift from the .proto files: field names
//! as written there (`entity_id`), every field present (defaults included), enums by
//! name, 64-bit integers as numbers, timestamps in RFC 3339.

use std::sync::OnceLock;

use comfy_table::{CellAlignment, Table, presets};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use saman_proto::projection::v1 as query;

use crate::error::{CliError, Kind};

/// Prints one line on stdout (the `out!` macro). When stdout is closed early
/// (`saman timeline zone-03 | head`), the command stops quietly, as a Unix tool does,
/// instead of panicking as `println!` would.
pub fn line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{args}") {
        std::process::exit(if e.kind() == std::io::ErrorKind::BrokenPipe {
            0
        } else {
            1
        });
    }
}

/// `println!` that stops quietly on a closed stdout (see [`line`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

/// What `--json` and `--fa` chose.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub json: bool,
    pub fa: bool,
}

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(saman_proto::FILE_DESCRIPTOR_SET)
            .expect("the contract's own descriptor set decodes")
    })
}

/// `message` (of the proto type `full_name`) as one line of JSON.
pub fn json_line<M: Message>(full_name: &str, message: &M) -> Result<String, CliError> {
    let descriptor = pool().get_message_by_name(full_name).ok_or_else(|| {
        CliError::new(
            Kind::Unexpected,
            format!("{full_name} is not in the contract's descriptors"),
        )
    })?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .map_err(|e| CliError::new(Kind::Unexpected, format!("re-decoding {full_name}: {e}")))?;
    json_of_dynamic(&dynamic)
}

/// A payload received from NATS, decoded as `full_name`.
pub fn json_of_bytes(full_name: &str, bytes: &[u8]) -> Result<String, CliError> {
    let descriptor = pool().get_message_by_name(full_name).ok_or_else(|| {
        CliError::new(
            Kind::Unexpected,
            format!("{full_name} is not in the contract's descriptors"),
        )
    })?;
    let dynamic = DynamicMessage::decode(descriptor, bytes)
        .map_err(|e| CliError::new(Kind::Unexpected, format!("decoding {full_name}: {e}")))?;
    json_of_dynamic(&dynamic)
}

fn json_of_dynamic(dynamic: &DynamicMessage) -> Result<String, CliError> {
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
        .stringify_64_bit_integers(false);
    let mut out = serde_json::Serializer::new(Vec::new());
    dynamic
        .serialize_with_options(&mut out, &options)
        .map_err(|e| CliError::new(Kind::Unexpected, format!("writing JSON: {e}")))?;
    String::from_utf8(out.into_inner())
        .map_err(|e| CliError::new(Kind::Unexpected, format!("writing JSON: {e}")))
}

/// A table without borders, aligned in columns, as `ls -l` or `kubectl get` print.
pub fn table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header(header);
    table
}

/// Right-aligns the given columns (numbers).
pub fn align_right(table: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

impl Style {
    /// With `--json`, prints `reply` (of the proto type `full_name`) as one JSON line
    /// and returns true: the table is not wanted.
    pub fn printed_json<M: Message>(&self, full_name: &str, reply: &M) -> Result<bool, CliError> {
        if self.json {
            line(format_args!("{}", json_line(full_name, reply)?));
        }
        Ok(self.json)
    }

    /// A day in both calendars: "1397-01-31 (2018-04-20)", or with `--fa`
    /// "۳۱ فروردین ۱۳۹۷ (2018-04-20)".
    pub fn day(&self, date: Option<&query::Date>) -> String {
        match date {
            None => "-".into(),
            Some(d) if d.iso.is_empty() => "-".into(),
            Some(d) if self.fa => format!("{} ({})", d.solar_hijri_fa, d.iso),
            Some(d) => format!("{} ({})", d.solar_hijri, d.iso),
        }
    }

    /// The day in words, for headings: "31 Farvardin 1397 (2018-04-20)".
    pub fn day_long(&self, date: Option<&query::Date>) -> String {
        match date {
            None => "-".into(),
            Some(d) if self.fa => format!("{} ({})", d.solar_hijri_fa, d.iso),
            Some(d) => format!("{} ({})", d.solar_hijri_en, d.iso),
        }
    }

    pub fn name(&self, names: Option<&query::Names>) -> String {
        match names {
            None => String::new(),
            Some(n) if self.fa && !n.fa.is_empty() => n.fa.clone(),
            Some(n) if n.en.is_empty() => n.fa.clone(),
            Some(n) => n.en.clone(),
        }
    }

    pub fn approach(&self, approach: Option<&query::ApproachName>) -> String {
        approach
            .map(|a| {
                let name = self.name(a.name.as_ref());
                if name.is_empty() {
                    approach_code(a.approach).to_string()
                } else {
                    name
                }
            })
            .unwrap_or_default()
    }

    /// The "as of ... · position N" line above every query's table.
    pub fn reflects(&self, reflects: Option<&query::Reflects>) -> String {
        let reflects = reflects.cloned().unwrap_or_default();
        format!(
            "as of {} · events applied up to position {}",
            self.day_long(reflects.as_of.as_ref()),
            reflects.position
        )
    }
}

pub fn approach_code(approach: i32) -> &'static str {
    saman_contract::approach_from_pb(approach).map_or("-", |a| a.name_en())
}

/// Whether to colour what is printed: stdout is a terminal, `NO_COLOR` is not set (see
/// no-color.org) and `TERM` is not `dumb`. Never for `--json`, whose callers do not
/// ask.
pub fn colour() -> bool {
    use std::io::IsTerminal;
    static COLOUR: OnceLock<bool> = OnceLock::new();
    *COLOUR.get_or_init(|| {
        std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
    })
}

/// A status's colour: green on track, yellow at risk, red behind (beside its words).
fn status_colour(status: i32) -> Option<comfy_table::Color> {
    match query::TrackStatus::try_from(status) {
        Ok(query::TrackStatus::OnTrack) => Some(comfy_table::Color::Green),
        Ok(query::TrackStatus::AtRisk) => Some(comfy_table::Color::Yellow),
        Ok(query::TrackStatus::Behind) => Some(comfy_table::Color::Red),
        _ => None,
    }
}

/// A table row whose cell `at` shows `status`: that cell coloured on a terminal
/// ([`colour`]).
pub fn with_status(row: Vec<String>, at: usize, status: i32) -> Vec<comfy_table::Cell> {
    row.into_iter()
        .enumerate()
        .map(|(i, text)| {
            let cell = comfy_table::Cell::new(text);
            match status_colour(status) {
                Some(c) if i == at && colour() => cell.fg(c),
                _ => cell,
            }
        })
        .collect()
}

/// A status in a line of text, coloured on a terminal ([`colour`]).
pub fn status_text(status: i32) -> String {
    use anstyle::AnsiColor;
    let words = self::status(status);
    let colour_of = match query::TrackStatus::try_from(status) {
        Ok(query::TrackStatus::OnTrack) => AnsiColor::Green,
        Ok(query::TrackStatus::AtRisk) => AnsiColor::Yellow,
        Ok(query::TrackStatus::Behind) => AnsiColor::Red,
        _ => return words.to_owned(),
    };
    if !colour() {
        return words.to_owned();
    }
    let style = colour_of.on_default();
    format!("{style}{words}{style:#}")
}

pub fn status(status: i32) -> &'static str {
    match query::TrackStatus::try_from(status) {
        Ok(query::TrackStatus::OnTrack) => "on track",
        Ok(query::TrackStatus::AtRisk) => "at risk",
        Ok(query::TrackStatus::Behind) => "behind",
        _ => "-",
    }
}

/// One decimal, as the projection computes them.
pub fn percent(value: f64) -> String {
    format!("{value:.1}")
}

pub fn days(value: Option<f64>) -> String {
    value
        .map(|d| format!("{d:.1}"))
        .unwrap_or_else(|| "-".into())
}

/// Rials grouped by thousands: 12,000,000,000.
pub fn rials(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rials_are_grouped_by_thousands() {
        assert_eq!(rials(0), "0");
        assert_eq!(rials(999), "999");
        assert_eq!(rials(1_000), "1,000");
        assert_eq!(rials(12_000_000_000), "12,000,000,000");
    }

    #[test]
    fn json_keeps_proto_field_names_defaults_and_numbers() {
        let reply = saman_proto::intake::v1::SubmissionReply {
            submission_id: "s".into(),
            stream_id: "zone.zone-01".into(),
            stream_version: 7,
            events: vec![],
            entity_id: "e".into(),
            late: false,
        };
        let line = json_line("saman.intake.v1.SubmissionReply", &reply).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["stream_version"], 7);
        assert_eq!(value["late"], false);
        assert_eq!(value["events"], serde_json::json!([]));
        assert!(!line.contains('\n'));
    }

    #[test]
    fn timestamps_in_the_timeline_become_rfc3339() {
        let entry = query::TimelineEntry {
            occurred_at: Some(prost_types::Timestamp {
                seconds: 1_524_211_200,
                nanos: 0,
            }),
            ..Default::default()
        };
        let line = json_line("saman.projection.v1.TimelineEntry", &entry).unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["occurred_at"], "2018-04-20T08:00:00Z");
    }
}
