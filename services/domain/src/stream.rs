//! Stream ids: the consistency boundary of each aggregate. The NATS subject of its
//! events is the event contract's (`saman_contract::subject`).

use std::fmt;

use crate::values::{AgencyCode, NgoCode, ZoneCode};

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
    }
}
