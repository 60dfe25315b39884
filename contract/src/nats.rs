//! Where Saman's events are on NATS JetStream and how their messages are named: the
//! stream, the subject scheme and the headers (`docs/events.md`, "The stream",
//! "Subjects" and "Headers"; keep the two in step).

use saman_domain::StreamId;
use uuid::Uuid;

/// The default name of the JetStream stream that holds every Saman event.
pub const STREAM_NAME: &str = "SAMAN_EVENTS";
/// Common prefix of every event subject; the `v1` is the event schema's version
/// (package `saman.events.v1`).
pub const SUBJECT_PREFIX: &str = "saman.events.v1";
/// The subjects the stream captures: every event.
pub const STREAM_SUBJECTS: &str = "saman.events.v1.>";

/// The subject of an event: `saman.events.v1.<kind>.<key>.<EventType>`, e.g.
/// `saman.events.v1.zone.zone-01.NeedDeclared`. A subscriber filters one zone with
/// `saman.events.v1.zone.zone-01.>` and one event type with
/// `saman.events.v1.*.*.NeedDeclared`; codes never hold `.`, `*`, `>` or spaces.
pub fn subject(stream: &StreamId, event_type: &str) -> String {
    format!(
        "{SUBJECT_PREFIX}.{}.{}.{event_type}",
        stream.kind(),
        stream.key()
    )
}

/// JetStream deduplication id: the event id (UUIDv7). A message published again with
/// the same id within the stream's duplicate window is acknowledged but not stored.
pub const HEADER_MSG_ID: &str = "Nats-Msg-Id";
/// The event id (UUIDv7), same value as `Nats-Msg-Id`; kept after the window passes.
pub const HEADER_EVENT_ID: &str = "Saman-Event-Id";
/// The event type, e.g. `NeedDeclared` (the case of `Envelope.body`).
pub const HEADER_EVENT_TYPE: &str = "Saman-Event-Type";
/// Schema version of the event type (starts at 1).
pub const HEADER_SCHEMA_VERSION: &str = "Saman-Schema-Version";
/// The stream (aggregate) id, e.g. `zone.zone-01`.
pub const HEADER_STREAM_ID: &str = "Saman-Stream-Id";
/// Version of the event within its stream: 1, 2, 3, ... without gaps.
pub const HEADER_STREAM_VERSION: &str = "Saman-Stream-Version";
/// The client-generated submission id that produced the event.
pub const HEADER_SUBMISSION_ID: &str = "Saman-Submission-Id";
/// Global position of the event in the intake event store (diagnostics; not gap-free).
pub const HEADER_POSITION: &str = "Saman-Position";
/// MIME type of the payload.
pub const HEADER_CONTENT_TYPE: &str = "Content-Type";
/// W3C trace context of the submission that produced the event (its intake span), when
/// it had one: a subscriber's work can join the submitter's trace.
pub const HEADER_TRACEPARENT: &str = "traceparent";

/// Ed25519 signature of the payload (the exact bytes of the envelope), 64 bytes in
/// unpadded base64url (RFC 4648 section 5): see [`crate::signing`].
pub const HEADER_SIGNATURE: &str = "Saman-Signature";
/// The id (`kid`) of the key that made `Saman-Signature`, as the published keys (a
/// JWKS) name it.
pub const HEADER_KEY_ID: &str = "Saman-Key-Id";

/// The full name of the payload's protobuf message.
pub const ENVELOPE_MESSAGE: &str = "saman.events.v1.Envelope";
/// Value of `Content-Type`: a protobuf-encoded `saman.events.v1.Envelope`.
pub const CONTENT_TYPE_ENVELOPE: &str = "application/protobuf; proto=saman.events.v1.Envelope";

/// What the headers of an event's message say: they repeat fields of the payload so a
/// subscriber can route or skip a message without decoding it.
#[derive(Debug, Clone, Copy)]
pub struct EventHeaders<'a> {
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub schema_version: u32,
    pub stream_id: &'a str,
    pub stream_version: u64,
    pub submission_id: Uuid,
    /// The event's position in the intake event store.
    pub position: i64,
    pub traceparent: Option<&'a str>,
}

impl EventHeaders<'_> {
    /// The message's headers, (name, value), in the order `docs/events.md` lists them;
    /// `traceparent` only when the event has one.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let event_id = self.event_id.to_string();
        let mut headers = vec![
            (HEADER_MSG_ID, event_id.clone()),
            (HEADER_EVENT_ID, event_id),
            (HEADER_EVENT_TYPE, self.event_type.to_owned()),
            (HEADER_SCHEMA_VERSION, self.schema_version.to_string()),
            (HEADER_STREAM_ID, self.stream_id.to_owned()),
            (HEADER_STREAM_VERSION, self.stream_version.to_string()),
            (HEADER_SUBMISSION_ID, self.submission_id.to_string()),
            (HEADER_POSITION, self.position.to_string()),
            (HEADER_CONTENT_TYPE, CONTENT_TYPE_ENVELOPE.to_owned()),
        ];
        if let Some(traceparent) = self.traceparent {
            headers.push((HEADER_TRACEPARENT, traceparent.to_owned()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saman_domain::values::ZoneCode;

    #[test]
    fn subjects_are_prefix_kind_key_and_type() {
        let zone = StreamId::Zone(ZoneCode::parse("zone-01").unwrap());
        assert_eq!(
            subject(&zone, "NeedDeclared"),
            "saman.events.v1.zone.zone-01.NeedDeclared"
        );
        assert_eq!(
            subject(&StreamId::Programme, "ProgrammeDatesSet"),
            "saman.events.v1.programme.khorramabad.ProgrammeDatesSet"
        );
        assert_eq!(STREAM_SUBJECTS, format!("{SUBJECT_PREFIX}.>"));
        assert!(CONTENT_TYPE_ENVELOPE.ends_with(ENVELOPE_MESSAGE));
    }

    #[test]
    fn headers_name_the_event_and_carry_the_trace_only_when_there_is_one() {
        let id = Uuid::now_v7();
        let submission = Uuid::new_v4();
        let mut headers = EventHeaders {
            event_id: id,
            event_type: "NeedDeclared",
            schema_version: 1,
            stream_id: "zone.zone-01",
            stream_version: 42,
            submission_id: submission,
            position: 1337,
            traceparent: None,
        };
        let names: Vec<&str> = headers.to_pairs().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "Nats-Msg-Id",
                "Saman-Event-Id",
                "Saman-Event-Type",
                "Saman-Schema-Version",
                "Saman-Stream-Id",
                "Saman-Stream-Version",
                "Saman-Submission-Id",
                "Saman-Position",
                "Content-Type",
            ]
        );
        headers.traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-6e0c63257de34c92-01");
        let pairs = headers.to_pairs();
        assert_eq!(pairs[0].1, id.to_string());
        assert_eq!(pairs[5].1, "42");
        assert_eq!(pairs[6].1, submission.to_string());
        assert_eq!(
            pairs.last().unwrap(),
            &(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-6e0c63257de34c92-01".to_owned()
            )
        );
    }
}
