//! `saman events`: the raw events on NATS JetStream, decoded, as a downstream
//! subscriber receives them (subjects and headers are in docs/events.md).
//!
//! It reads with an ordered consumer (no state left on the server): the stored
//! events from the first (or only new ones with `--new`), and with `--follow` keeps
//! going until Ctrl-C.

use async_nats::jetstream::{self, consumer};
use futures::StreamExt;
use prost::Message;
use saman_contract::{ENVELOPE_MESSAGE, SUBJECT_PREFIX};
use saman_domain::calendar::Day;
use saman_proto::events::v1 as events;

use crate::actor::ActorArg;
use crate::args::{EventsArgs, EventsCommand, Global};
use crate::error::{CliError, Kind};
use crate::output::json_of_bytes;

pub async fn run(args: EventsArgs, global: &Global) -> Result<(), CliError> {
    if let Some(EventsCommand::Keys {
        signing_key,
        key_id,
        keep,
        generate,
    }) = args.command
    {
        return keys(&signing_key, key_id.as_deref(), &keep, generate);
    }
    let subject = match (&args.subject, &args.zone, &args.event_type) {
        (Some(subject), _, _) => subject.clone(),
        (None, zone, kind) => format!(
            "{SUBJECT_PREFIX}.{}.{}",
            zone.as_ref()
                .map(|z| format!("zone.{z}"))
                .unwrap_or_else(|| "*.*".into()),
            kind.clone().unwrap_or_else(|| "*".into())
        ),
    };
    let url = &args.nats.url;
    let options = async_nats::ConnectOptions::new()
        .name("saman-events")
        .connection_timeout(global.connect_timeout);
    let client = tokio::time::timeout(
        global.connect_timeout,
        saman_runtime::nats::connect(&args.nats, options),
    )
    .await
    .map_err(|_| unreachable(url, "no connection"))?
    .map_err(connect_error)?;
    let js = jetstream::new(client);
    let stream = js
        .get_stream(&args.stream)
        .await
        .map_err(|e| match e.kind() {
            jetstream::context::GetStreamErrorKind::JetStream(js)
                if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
            {
                CliError::new(
                    Kind::NotFound,
                    format!(
                        "no stream {} on {} (intake creates it when it starts)",
                        args.stream, url
                    ),
                )
            }
            _ => unreachable(url, e),
        })?;
    let follow = args.follow || args.new;
    let ordered = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: subject.clone(),
            deliver_policy: if args.new {
                consumer::DeliverPolicy::New
            } else {
                consumer::DeliverPolicy::All
            },
            ..Default::default()
        })
        .await
        .map_err(|e| CliError::new(Kind::Unexpected, format!("consumer on {subject}: {e}")))?;
    // Where a read without --follow stops: the matching messages stored when the
    // consumer was made.
    let mut pending = if follow {
        u64::MAX
    } else {
        ordered.cached_info().num_pending
    };
    if !global.json {
        eprintln!(
            "{} on {} ({}){}",
            if args.new { "new events" } else { "events" },
            subject,
            args.stream,
            if follow {
                ", following: Ctrl-C stops"
            } else {
                ""
            }
        );
    }
    let mut messages = ordered
        .messages()
        .await
        .map_err(|e| CliError::new(Kind::Unexpected, format!("reading {subject}: {e}")))?;
    let mut shown = 0usize;
    while pending > 0 && args.limit.is_none_or(|limit| shown < limit) {
        let next = tokio::select! {
            next = messages.next() => next,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Some(message) = next else { break };
        let message = message
            .map_err(|e| CliError::new(Kind::Unreachable, format!("reading {subject}: {e}")))?;
        let info = message
            .info()
            .map_err(|e| CliError::new(Kind::Unexpected, format!("message info: {e}")))?;
        let sequence = info.stream_sequence;
        if !follow {
            pending = info.pending;
        }
        print(sequence, &message, global.json)?;
        shown += 1;
    }
    Ok(())
}

/// Not there: the address to check. Refused (TLS, credentials): the message names the
/// setting to check.
fn connect_error(err: saman_runtime::nats::NatsError) -> CliError {
    use async_nats::ConnectErrorKind as K;
    use saman_runtime::nats::NatsError;
    match &err {
        NatsError::Connect {
            kind: K::AuthorizationViolation | K::Authentication,
            ..
        } => CliError::new(Kind::Unauthenticated, err.to_string()),
        NatsError::Connect { kind: K::Tls, .. } => {
            CliError::new(Kind::Unreachable, err.to_string())
        }
        NatsError::Connect { url, message, .. } => unreachable(url, message),
        // A flag's file could not be read, a user without a password.
        NatsError::File { .. } | NatsError::NoPassword { .. } => {
            CliError::new(Kind::Usage, err.to_string())
        }
    }
}

fn unreachable(url: &str, cause: impl std::fmt::Display) -> CliError {
    CliError::new(
        Kind::Unreachable,
        format!(
            "cannot reach NATS at {url}: {cause} (is it running? `scripts/dev` starts it; \
             --nats-url or SAMAN_NATS_URL sets the address)"
        ),
    )
}

fn print(sequence: u64, message: &jetstream::Message, json: bool) -> Result<(), CliError> {
    let headers: serde_json::Map<String, serde_json::Value> = message
        .headers
        .iter()
        .flat_map(|h| h.iter())
        .map(|(name, values)| {
            let value = values
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(",");
            (name.to_string(), serde_json::Value::String(value))
        })
        .collect();
    if json {
        let envelope = json_of_bytes(ENVELOPE_MESSAGE, &message.payload)
            .and_then(|line| {
                serde_json::from_str::<serde_json::Value>(&line)
                    .map_err(|e| CliError::new(Kind::Unexpected, e.to_string()))
            })
            .unwrap_or(serde_json::Value::Null);
        let line = serde_json::json!({
            "sequence": sequence,
            "subject": message.subject.as_str(),
            "headers": headers,
            "envelope": envelope,
        });
        crate::out!("{line}");
        return Ok(());
    }
    match events::Envelope::decode(message.payload.as_ref()) {
        Ok(envelope) => {
            let day = saman_contract::decode::instant(envelope.occurred_at.as_ref(), "")
                .ok()
                .map(|t| {
                    let day = Day::in_tehran(t);
                    format!("{} ({})", day.solar_hijri_string(), day.iso())
                })
                .unwrap_or_else(|| "-".into());
            crate::out!(
                "{sequence:>6}  {}  {} v{}  {}  by {}  event {}",
                message.subject,
                envelope.stream_id,
                envelope.stream_version,
                day,
                envelope
                    .actor
                    .and_then(|a| a.kind)
                    .map(|kind| ActorArg(kind).to_string())
                    .unwrap_or_else(|| "-".into()),
                envelope.event_id
            );
        }
        Err(e) => crate::out!(
            "{sequence:>6}  {}  (not a {ENVELOPE_MESSAGE}: {e})",
            message.subject
        ),
    }
    Ok(())
}

/// `saman events keys`: the JWKS of the signing keys' public halves (and of the sets
/// kept), on stdout.
fn keys(
    signing_keys: &[std::path::PathBuf],
    key_id: Option<&str>,
    keep: &[std::path::PathBuf],
    generate: bool,
) -> Result<(), CliError> {
    use saman_contract::{EventKeys, EventSigner};
    let usage = |message: String| CliError::new(Kind::Usage, message);
    if key_id.is_some() && signing_keys.len() != 1 {
        return Err(usage(
            "--key-id names the key of a single --signing-key".into(),
        ));
    }
    if generate
        && let Some(first) = signing_keys.first()
        && !first.exists()
    {
        crate::token::write_private(first, &EventSigner::generate().to_pem())?;
        eprintln!("made {}", first.display());
    }
    let mut set = EventKeys::default();
    for path in signing_keys {
        let signer = EventSigner::read(path, key_id)
            .map_err(|e| usage(format!("{}: {e}", path.display())))?;
        set.extend(signer.public());
    }
    for path in keep {
        let kept = EventKeys::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        set.extend(kept);
    }
    let text = serde_json::to_string_pretty(&set.to_jwks())
        .map_err(|e| CliError::new(Kind::Unexpected, e.to_string()))?;
    crate::out!("{text}");
    Ok(())
}
