//! docs/events.md's table of every event's fields is generated from the contract's
//! descriptors (with the .proto's comments), so it cannot drift: this test renders it
//! again and compares. After changing events.proto, run
//! `SAMAN_BLESS=1 cargo test -p saman-e2e --test event_docs` to rewrite the table.

use std::path::Path;

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{FileDescriptorProto, FileDescriptorSet, SourceCodeInfo};

const BEGIN: &str = "<!-- The fields of every event: generated from events.proto by tests/e2e/tests/event_docs.rs (SAMAN_BLESS=1 rewrites it). -->\n";
const END: &str = "<!-- End of the generated fields. -->\n";

/// The comment before the element at `path` (message 4/i, field 4/i/2/j, enum 5/i,
/// value 5/i/2/j), on one line.
fn comment(info: Option<&SourceCodeInfo>, path: &[i32]) -> String {
    info.and_then(|info| info.location.iter().find(|l| l.path == path))
        .and_then(|l| {
            l.leading_comments
                .clone()
                .or_else(|| l.trailing_comments.clone())
        })
        .map(|c| {
            c.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace('|', "\\|")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        })
        .unwrap_or_default()
}

fn type_name(field: &prost_types::FieldDescriptorProto) -> String {
    let base = match field.r#type() {
        Type::Message | Type::Enum => field
            .type_name()
            .trim_start_matches(".saman.events.v1.")
            .trim_start_matches('.')
            .to_owned(),
        other => other
            .as_str_name()
            .trim_start_matches("TYPE_")
            .to_lowercase(),
    };
    if field.label() == Label::Repeated {
        format!("repeated {base}")
    } else if field.proto3_optional() {
        format!("optional {base}")
    } else {
        base
    }
}

/// The markdown of every message and enum of events.proto, in the file's order.
fn render(file: &FileDescriptorProto) -> String {
    let info = file.source_code_info.as_ref();
    let mut out = String::from(BEGIN);
    for (i, message) in file.message_type.iter().enumerate() {
        let i = i32::try_from(i).unwrap();
        out.push_str(&format!("\n#### `{}`\n\n", message.name()));
        let about = comment(info, &[4, i]);
        if !about.is_empty() {
            out.push_str(&format!("{about}\n\n"));
        }
        if message.field.is_empty() {
            out.push_str("No fields.\n");
            continue;
        }
        out.push_str("| # | field | type | meaning |\n| --- | --- | --- | --- |\n");
        for (j, field) in message.field.iter().enumerate() {
            let j = i32::try_from(j).unwrap();
            let oneof = field
                .oneof_index
                .filter(|_| !field.proto3_optional())
                .and_then(|o| message.oneof_decl.get(usize::try_from(o).ok()?))
                .map(|o| format!(" (one of `{}`)", o.name()))
                .unwrap_or_default();
            out.push_str(&format!(
                "| {} | `{}` | `{}`{oneof} | {} |\n",
                field.number(),
                field.name(),
                type_name(field),
                comment(info, &[4, i, 2, j])
            ));
        }
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        let i = i32::try_from(i).unwrap();
        out.push_str(&format!("\n#### enum `{}`\n\n", e.name()));
        let about = comment(info, &[5, i]);
        if !about.is_empty() {
            out.push_str(&format!("{about}\n\n"));
        }
        out.push_str("| value | name | meaning |\n| --- | --- | --- |\n");
        for (j, v) in e.value.iter().enumerate() {
            let j = i32::try_from(j).unwrap();
            out.push_str(&format!(
                "| {} | `{}` | {} |\n",
                v.number(),
                v.name(),
                comment(info, &[5, i, 2, j])
            ));
        }
    }
    out.push('\n');
    out.push_str(END);
    out
}

#[test]
fn docs_events_md_holds_the_fields_of_every_event_as_the_descriptors_say() -> anyhow::Result<()> {
    let set = FileDescriptorSet::decode(saman_proto::FILE_DESCRIPTOR_SET)?;
    let file = set
        .file
        .iter()
        .find(|f| f.name() == "saman/events/v1/events.proto")
        .expect("events.proto in the descriptors");
    assert!(
        file.source_code_info.is_some(),
        "the descriptors keep the .proto's comments"
    );
    let table = render(file);
    // Every event type of the envelope's body has its table.
    for body in ["NeedDeclared", "ProgressReported", "SupervisionReportFiled"] {
        assert!(table.contains(&format!("#### `{body}`")), "{body}");
    }

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/events.md");
    let doc = std::fs::read_to_string(&path)?;
    let (before, rest) = doc.split_once(BEGIN).ok_or_else(|| {
        anyhow::anyhow!("docs/events.md has no generated table (its first line: {BEGIN:?})")
    })?;
    let (current, after) = rest.split_once(END).ok_or_else(|| {
        anyhow::anyhow!("docs/events.md: the generated table has no end ({END:?})")
    })?;
    let current = format!("{BEGIN}{current}{END}");
    if current != table {
        if std::env::var_os("SAMAN_BLESS").is_some() {
            std::fs::write(&path, format!("{before}{table}{after}"))?;
            return Ok(());
        }
        anyhow::bail!(
            "docs/events.md's field table differs from events.proto: run \
             `SAMAN_BLESS=1 cargo test -p saman-e2e --test event_docs` and commit the result"
        );
    }
    Ok(())
}
