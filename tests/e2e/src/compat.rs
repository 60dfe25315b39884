//! Events recorded by an earlier version of intake, and the figures the projection of
//! that version showed for them: a schema change must leave both readable as they were.
//!
//! `tests/e2e/fixtures/` holds, per recording, the messages of the events stream
//! (`*.events.jsonl`: subject, headers, the envelope in base64; the signature headers
//! left out, since a replay signs them again with the test process's key) and the JSON
//! the `saman` queries of [`FIGURE_QUERIES`] printed (`*.figures.json`). The example
//! `record_compat_fixture` makes a recording; the test `compat_events` replays it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine as _;
use saman_harness::{NatsServer, NatsUser};
use serde_json::{Map, Value, json};

use crate::cli::Saman;
use crate::read_back::{STREAM, wait_stream_count};

/// The queries whose answers a recording keeps: the zones side by side, zones 01-03,
/// the summary, compliance and cooperation, at the end of the needs window, mid-year
/// and the goal date. (Not the timeline: its sentences are prose, free to improve.)
pub const FIGURE_QUERIES: &[&[&str]] = &[
    &["zones", "--as-of", "1397-01-31"],
    &["zones", "--as-of", "1397-06-31"],
    &["zones", "--as-of", "1397-12-29"],
    &["zone", "show", "zone-01", "--as-of", "1397-06-31"],
    &["zone", "show", "zone-01", "--as-of", "1397-12-29"],
    &["zone", "show", "zone-02", "--as-of", "1397-12-29"],
    &["zone", "show", "zone-03", "--as-of", "1397-12-29"],
    &["summary", "--as-of", "1397-06-31"],
    &["summary", "--as-of", "1397-12-29"],
    &["compliance", "--as-of", "1397-12-29"],
    &["cooperation", "--as-of", "1397-12-29"],
];

/// The headers a replay makes again rather than keeps.
const RESIGNED: [&str; 3] = [
    saman_contract::HEADER_SIGNATURE,
    saman_contract::HEADER_KEY_ID,
    saman_contract::HEADER_TRACEPARENT,
];

/// One message of a recorded stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedMessage {
    pub subject: String,
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

/// The folder of the recordings.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every message of the events stream of `nats`, in order, once it holds `expected`.
pub async fn recorded_messages(
    nats: &NatsServer,
    expected: u64,
) -> anyhow::Result<Vec<RecordedMessage>> {
    let (stream, last) =
        wait_stream_count(nats, expected, std::time::Duration::from_secs(60)).await?;
    let mut out = Vec::new();
    for sequence in 1..=last {
        let raw = stream.get_raw_message(sequence).await?;
        let mut headers: Vec<(String, String)> = raw
            .headers
            .iter()
            .filter(|(name, _)| !RESIGNED.contains(&name.as_ref()))
            .flat_map(|(name, values)| {
                values
                    .iter()
                    .map(move |v| (name.to_string(), v.as_str().to_owned()))
            })
            .collect();
        headers.sort();
        out.push(RecordedMessage {
            subject: raw.subject.to_string(),
            headers,
            payload: raw.payload.to_vec(),
        });
    }
    Ok(out)
}

/// The messages as JSON Lines.
pub fn to_json_lines(messages: &[RecordedMessage]) -> String {
    let base64 = base64::engine::general_purpose::STANDARD;
    messages
        .iter()
        .map(|m| {
            let line = json!({
                "subject": m.subject,
                "headers": m.headers,
                "payload": base64.encode(&m.payload),
            });
            format!("{line}\n")
        })
        .collect()
}

/// The messages of a `*.events.jsonl` recording.
pub fn from_json_lines(text: &str) -> anyhow::Result<Vec<RecordedMessage>> {
    let base64 = base64::engine::general_purpose::STANDARD;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let value: Value =
                serde_json::from_str(line).with_context(|| format!("line {}", i + 1))?;
            let text = |key: &str| {
                value[key]
                    .as_str()
                    .map(str::to_owned)
                    .with_context(|| format!("line {}: no {key}", i + 1))
            };
            let headers = serde_json::from_value(value["headers"].clone())
                .with_context(|| format!("line {}: headers", i + 1))?;
            Ok(RecordedMessage {
                subject: text("subject")?,
                headers,
                payload: base64.decode(text("payload")?)?,
            })
        })
        .collect()
}

/// Publishes `messages` on the events stream of `nats` as they were, each signed again
/// with the test process's event key (intake signs the envelope bytes, which a replay
/// keeps to the byte).
pub async fn replay(nats: &NatsServer, messages: &[RecordedMessage]) -> anyhow::Result<()> {
    let js = async_nats::jetstream::new(nats.connect(NatsUser::Admin).await?);
    js.get_stream(STREAM)
        .await
        .context("the events stream (intake creates it at start)")?;
    for m in messages {
        let mut headers = crate::signing::signed(&m.payload);
        for (name, value) in &m.headers {
            headers.append(name.as_str(), value.as_str());
        }
        js.publish_with_headers(m.subject.clone(), headers, m.payload.clone().into())
            .await?
            .await
            .with_context(|| format!("replaying a message on {}", m.subject))?;
    }
    Ok(())
}

/// The answers of [`FIGURE_QUERIES`], by query.
pub async fn figures(saman: &Saman) -> anyhow::Result<Value> {
    let mut all = Map::new();
    for query in FIGURE_QUERIES {
        let mut args = vec!["--json"];
        args.extend_from_slice(query);
        all.insert(query.join(" "), saman.json(&args).await?);
    }
    Ok(Value::Object(all))
}

/// Where `now` does not show a value of `recorded` as it was: the paths of the
/// differences. Fields `now` has and `recorded` lacks are additions, not differences (a
/// newer reply may say more).
pub fn differences(recorded: &Value, now: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff("", recorded, now, &mut out);
    out
}

fn diff(path: &str, recorded: &Value, now: &Value, out: &mut Vec<String>) {
    match (recorded, now) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let path = format!("{path}.{key}");
                match b.get(key) {
                    Some(other) => diff(&path, value, other, out),
                    None => out.push(format!("{path}: {value} is gone")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: was {a}, now {b}")),
    }
}
