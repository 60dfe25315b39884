//! What a submission recorded ([`Recorded`], the writer's result) and its one wire
//! form, `saman.intake.v1.SubmissionReply`: the edge answers with it, and the writer
//! keeps it, encoded, with the submission so a retry gets the same answer. Stored
//! replies are `SubmissionReply` bytes (every database written so far holds them), so
//! both directions go through the conversions here and nowhere else.

use prost::Message;
use saman_domain::StreamId;
use saman_domain::values::SubmissionId;
use saman_proto::intake::v1 as pb;
use uuid::Uuid;

/// What a submission recorded: the events appended to one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub submission: SubmissionId,
    pub stream: StreamId,
    /// The stream's version after the submission's events.
    pub version: u64,
    pub events: Vec<RecordedEvent>,
    /// The id of what the command created or changed.
    pub entity_id: String,
    /// Recorded after the programme's deadline.
    pub late: bool,
}

/// One event a submission recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub version: u64,
    /// The NATS subject it is published on.
    pub subject: String,
}

impl Recorded {
    /// The bytes kept with the submission: an encoded `SubmissionReply`.
    pub fn encode(&self) -> Vec<u8> {
        pb::SubmissionReply::from(self).encode_to_vec()
    }

    /// A reply kept by [`Recorded::encode`] (or by any earlier intake, which stored
    /// the same message).
    pub fn decode(stored: &[u8]) -> Result<Self, String> {
        let reply = pb::SubmissionReply::decode(stored).map_err(|e| e.to_string())?;
        Recorded::try_from(reply)
    }
}

impl From<&Recorded> for pb::SubmissionReply {
    fn from(recorded: &Recorded) -> Self {
        pb::SubmissionReply {
            submission_id: recorded.submission.0.to_string(),
            stream_id: recorded.stream.to_string(),
            stream_version: recorded.version,
            events: recorded
                .events
                .iter()
                .map(|event| pb::RecordedEvent {
                    event_id: event.event_id.to_string(),
                    event_type: event.event_type.clone(),
                    stream_version: event.version,
                    subject: event.subject.clone(),
                })
                .collect(),
            entity_id: recorded.entity_id.clone(),
            late: recorded.late,
        }
    }
}

impl TryFrom<pb::SubmissionReply> for Recorded {
    type Error = String;

    fn try_from(reply: pb::SubmissionReply) -> Result<Self, String> {
        let uuid = |field: &str, value: &str| {
            Uuid::parse_str(value).map_err(|e| format!("{field} '{value}': {e}"))
        };
        Ok(Recorded {
            submission: SubmissionId(uuid("submission_id", &reply.submission_id)?),
            stream: StreamId::parse(&reply.stream_id)
                .ok_or_else(|| format!("stream_id '{}' is not a stream", reply.stream_id))?,
            version: reply.stream_version,
            events: reply
                .events
                .into_iter()
                .map(|event| {
                    Ok(RecordedEvent {
                        event_id: uuid("event_id", &event.event_id)?,
                        event_type: event.event_type,
                        version: event.stream_version,
                        subject: event.subject,
                    })
                })
                .collect::<Result<_, String>>()?,
            entity_id: reply.entity_id,
            late: reply.late,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply() -> pb::SubmissionReply {
        pb::SubmissionReply {
            submission_id: "0190b7a8-6c2e-7d3f-9a41-5b6c7d8e9f01".into(),
            stream_id: "zone.zone-01".into(),
            stream_version: 8,
            events: vec![
                pb::RecordedEvent {
                    event_id: "0190b7a8-6c2e-7d3f-9a41-5b6c7d8e9f02".into(),
                    event_type: "ProgressReported".into(),
                    stream_version: 7,
                    subject: "saman.events.v1.zone.zone-01.ProgressReported".into(),
                },
                pb::RecordedEvent {
                    event_id: "0190b7a8-6c2e-7d3f-9a41-5b6c7d8e9f03".into(),
                    event_type: "ProjectCompleted".into(),
                    stream_version: 8,
                    subject: "saman.events.v1.zone.zone-01.ProjectCompleted".into(),
                },
            ],
            entity_id: "0190b7a8-6c2e-7d3f-9a41-5b6c7d8e9f04".into(),
            late: true,
        }
    }

    #[test]
    fn a_stored_reply_is_answered_byte_for_byte_as_it_was_stored() {
        let stored = reply().encode_to_vec();
        let recorded = Recorded::decode(&stored).unwrap();
        assert_eq!(recorded.stream.to_string(), "zone.zone-01");
        assert_eq!(recorded.events[1].version, 8);
        assert_eq!(pb::SubmissionReply::from(&recorded), reply());
        assert_eq!(recorded.encode(), stored);
    }

    #[test]
    fn a_reply_that_is_not_one_is_an_error() {
        assert!(Recorded::decode(b"\x0a\x03abc").is_err());
        assert!(Recorded::decode(&[0xff, 0xff]).is_err());
    }
}
