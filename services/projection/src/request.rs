//! Request values parsed with the domain's types at the edge (gRPC and the web page
//! alike): what passes on to the read models is a [`ZoneCode`] or a [`Day`], never
//! the text a client sent.

use jiff::Timestamp;
use saman_domain::Day;
use saman_domain::values::{ZoneCode, quote};

use crate::error::ProjectionError;

/// A zone code, parsed as the domain parses it (required; upper case folded); a
/// refusal quotes at most a short prefix of whatever was sent.
pub fn zone(input: &str, field: &'static str) -> Result<ZoneCode, ProjectionError> {
    ZoneCode::parse(input).map_err(|err| ProjectionError::Invalid {
        field,
        why: err.to_string(),
    })
}

/// An as-of day: Solar Hijri (Latin, Persian or Arabic-Indic digits) or ISO; empty is
/// today in Asia/Tehran.
pub fn as_of(input: &str, field: &'static str) -> Result<Day, ProjectionError> {
    if input.trim().is_empty() {
        return Ok(Day::in_tehran(Timestamp::now()));
    }
    Day::parse(input).map_err(|err| ProjectionError::Invalid {
        field,
        why: err.to_string(),
    })
}

/// A timeline page token: empty for the first page, else a `next_page_token` of a
/// previous reply (the position after which the page starts).
pub fn page_token(input: &str) -> Result<u64, ProjectionError> {
    match input.trim() {
        "" => Ok(0),
        token => token.parse::<u64>().map_err(|_| ProjectionError::Invalid {
            field: "page_token",
            why: format!("'{}' is not a token from a previous reply", quote(token)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_the_domains_codes() {
        assert_eq!(zone(" Zone-01 ", "zone").unwrap().as_str(), "zone-01");
        let err = zone(&"z".repeat(100_000), "zone").unwrap_err();
        assert!(err.to_string().starts_with("zone: "), "{err}");
        assert!(err.to_string().len() < 400, "bounded: {err}");
        assert!(zone("", "zone").is_err());
    }

    #[test]
    fn page_tokens_are_positions() {
        assert_eq!(page_token("").unwrap(), 0);
        assert_eq!(page_token("42").unwrap(), 42);
        let err = page_token(&"t".repeat(10_000)).unwrap_err();
        assert!(err.to_string().starts_with("page_token: "), "{err}");
        assert!(err.to_string().len() < 400, "bounded: {err}");
    }

    #[test]
    fn as_of_defaults_to_today_and_names_its_field() {
        assert!(as_of(" ", "read.as_of").is_ok());
        assert_eq!(as_of("1397-01-31", "as_of").unwrap().iso(), "2018-04-20");
        let err = as_of("garbage", "as_of").unwrap_err();
        assert!(err.to_string().contains("garbage"), "{err}");
    }
}
