//! Stream ids: the consistency boundary of each aggregate, and the NATS subject of
//! its events.

use std::fmt;

use crate::values::{AgencyCode, NgoCode, ZoneCode};

/// The prefix of every event subject; the `v1` is the event schema's version.
pub const SUBJECT_PREFIX: &str = "saman.events.v1";

/// The key of the programme's own stream: one programme per deployment.
pub const PROGRAMME_KEY: &str = "khorramabad";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamId {
    Programme,
    Zone(ZoneCode),
    Ngo(NgoCode),
    Agency(AgencyCode),
}

impl StreamId {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Programme => "programme",
            Self::Zone(_) => "zone",
            Self::Ngo(_) => "ngo",
            Self::Agency(_) => "agency",
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Self::Programme => PROGRAMME_KEY,
            Self::Zone(code) => code.as_str(),
            Self::Ngo(code) => code.as_str(),
            Self::Agency(code) => code.as_str(),
        }
    }

    /// Parses "zone.zone-01" and the like (as stored).
    pub fn parse(input: &str) -> Option<Self> {
        let (kind, key) = input.split_once('.')?;
        match kind {
            "programme" if key == PROGRAMME_KEY => Some(Self::Programme),
            "zone" => ZoneCode::parse(key).ok().map(Self::Zone),
            "ngo" => NgoCode::parse(key).ok().map(Self::Ngo),
            "agency" => AgencyCode::parse(key).ok().map(Self::Agency),
            _ => None,
        }
    }

    /// `saman.events.v1.<kind>.<key>.<EventType>`: a subscriber filters one zone with
    /// `saman.events.v1.zone.zone-01.>` and one event type with `saman.events.v1.*.*.NeedDeclared`.
    pub fn subject(&self, event_type: &str) -> String {
        format!(
            "{SUBJECT_PREFIX}.{}.{}.{event_type}",
            self.kind(),
            self.key()
        )
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind(), self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_round_trip_through_their_text() {
        let zone = StreamId::Zone(ZoneCode::parse("zone-01").unwrap());
        assert_eq!(zone.to_string(), "zone.zone-01");
        assert_eq!(StreamId::parse("zone.zone-01"), Some(zone.clone()));
        assert_eq!(
            StreamId::parse("programme.khorramabad"),
            Some(StreamId::Programme)
        );
        assert_eq!(StreamId::parse("nonsense"), None);
        assert_eq!(
            zone.subject("NeedDeclared"),
            "saman.events.v1.zone.zone-01.NeedDeclared"
        );
    }
}
