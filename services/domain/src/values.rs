//! Values parsed at the edge: once a value exists it is valid, so nothing invalid
//! reaches an aggregate. Each parser returns a [`ValueError`] that says what is wrong;
//! the edge adds the field's name.

use std::fmt;

use uuid::Uuid;

/// Why a value was refused. The edge pairs it with the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

impl ValueError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl From<crate::calendar::DateError> for ValueError {
    fn from(err: crate::calendar::DateError) -> Self {
        Self(err.to_string())
    }
}

/// Defines a code newtype: lower-case ASCII letters, digits and '-', 2..=32 characters,
/// starting with a letter or a digit. Codes appear in stream ids and NATS subject
/// tokens, which is why '.', '*', '>' and spaces are refused.
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses a code; upper-case letters are folded to lower case.
            pub fn parse(input: &str) -> Result<Self, ValueError> {
                parse_code(input, $what).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn parse_code(input: &str, what: &str) -> Result<String, ValueError> {
    let code = input.trim().to_ascii_lowercase();
    if code.is_empty() {
        return Err(ValueError::new(format!("a {what} code is required")));
    }
    let valid_chars = code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let valid_start = code.starts_with(|c: char| c.is_ascii_alphanumeric());
    if !(2..=32).contains(&code.len()) || !valid_chars || !valid_start {
        return Err(ValueError::new(format!(
            "'{}' is not a {what} code: use 2 to 32 letters a-z, digits and '-', e.g. \"{}\"",
            input.trim(),
            match what {
                "zone" => "zone-01",
                "NGO" => "ngo-01",
                "agency" => "water-agency",
                "member" => "m-001",
                _ => "water",
            }
        )));
    }
    Ok(code)
}

code_type!(
    /// The code of one of the informal-settlement zones, e.g. "zone-01".
    ZoneCode,
    "zone"
);
code_type!(
    /// The code of a Ministry-approved NGO, e.g. "ngo-03".
    NgoCode,
    "NGO"
);
code_type!(
    /// The code of an executive agency, e.g. "water-agency".
    AgencyCode,
    "agency"
);
code_type!(
    /// The code of an NGO member, unique within the NGO, e.g. "m-001".
    MemberCode,
    "member"
);
code_type!(
    /// The code of a zone's goal, unique within the zone, e.g. "water".
    GoalCode,
    "goal"
);

/// Trimmed text with a length bound. `Text::required` refuses empty text;
/// `Text::optional` accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// Titles and names: required, at most 200 characters.
    pub const SHORT: usize = 200;
    /// Descriptions, notes, findings: at most 4,000 characters.
    pub const LONG: usize = 4000;

    pub fn required(input: &str, max_chars: usize) -> Result<Self, ValueError> {
        let text = Self::optional(input, max_chars)?;
        if text.0.is_empty() {
            return Err(ValueError::new("must not be empty"));
        }
        Ok(text)
    }

    pub fn optional(input: &str, max_chars: usize) -> Result<Self, ValueError> {
        let text = input.trim();
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(ValueError::new(format!(
                "is {chars} characters long; at most {max_chars} are allowed"
            )));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name in Persian and in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub fa: Text,
    pub en: Text,
}

/// The two approaches of the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Approach {
    /// زیرساختی
    Infrastructural,
    /// اجتماعی
    Social,
}

impl Approach {
    pub fn name_fa(self) -> &'static str {
        match self {
            Self::Infrastructural => "زیرساختی",
            Self::Social => "اجتماعی",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Self::Infrastructural => "infrastructural",
            Self::Social => "social",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

/// Progress of a project, 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u8);

impl Percent {
    pub const FULL: Percent = Percent(100);

    pub fn parse(value: u32) -> Result<Self, ValueError> {
        u8::try_from(value)
            .ok()
            .filter(|p| *p <= 100)
            .map(Self)
            .ok_or_else(|| ValueError::new(format!("{value} is not a percent: use 0 to 100")))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A budget in Iranian rials; never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rials(u64);

impl Rials {
    pub fn parse(value: u64) -> Result<Self, ValueError> {
        if value == 0 {
            return Err(ValueError::new(
                "a budget in rials is required (more than 0)",
            ));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// A count that must be at least one (households affected, participants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(u32);

impl Count {
    pub fn parse(value: u32) -> Result<Self, ValueError> {
        if value == 0 {
            return Err(ValueError::new("must be at least 1"));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A supervisor's rating of an NGO's work, 1 (poor) ..= 5 (excellent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rating(u8);

impl Rating {
    pub fn parse(value: u32) -> Result<Self, ValueError> {
        u8::try_from(value)
            .ok()
            .filter(|r| (1..=5).contains(r))
            .map(Self)
            .ok_or_else(|| ValueError::new(format!("{value} is not a rating: use 1 to 5")))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The weight of a goal in its zone's overall progress, 1..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Weight(u8);

impl Weight {
    /// 0 means "not given" and becomes 1.
    pub fn parse(value: u32) -> Result<Self, ValueError> {
        match value {
            0 => Ok(Self(1)),
            1..=100 => Ok(Self(value as u8)),
            _ => Err(ValueError::new(format!(
                "{value} is not a weight: use 1 to 100"
            ))),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Defines an id newtype over a UUID.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, ValueError> {
                parse_uuid(input).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

fn parse_uuid(input: &str) -> Result<Uuid, ValueError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(ValueError::new("an id (UUID) is required"));
    }
    Uuid::parse_str(input)
        .map_err(|_| ValueError::new(format!("'{input}' is not a UUID")))
        .and_then(|id| {
            if id.is_nil() {
                Err(ValueError::new("the nil UUID is not an id"))
            } else {
                Ok(id)
            }
        })
}

id_type!(
    /// The client-generated id of one submission; retries reuse it.
    SubmissionId
);
id_type!(
    /// A declared need; its id is the id of the submission that declared it.
    NeedId
);
id_type!(
    /// A referral of a need to an agency; the id of the submission that made it.
    ReferralId
);
id_type!(
    /// A proposal, and once approved the project; the submitting submission's id.
    ProposalId
);
id_type!(
    /// A reported social activity; the reporting submission's id.
    ActivityId
);
id_type!(
    /// A supervision report; the filing submission's id.
    ReportId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_folded_to_lower_case_and_trimmed() {
        assert_eq!(ZoneCode::parse(" Zone-01 ").unwrap().as_str(), "zone-01");
    }

    #[test]
    fn codes_that_would_break_a_subject_are_refused() {
        for bad in [
            "",
            "z",
            "zone.01",
            "zone 01",
            "zone>",
            "-zone",
            "zone*",
            "منطقه",
        ] {
            assert!(ZoneCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(Text::required("  Water  ", 10).unwrap().as_str(), "Water");
        assert!(Text::required("   ", 10).is_err());
        assert!(Text::required("abcdefghijk", 10).is_err());
        assert!(Text::optional("", 10).unwrap().is_empty());
    }

    #[test]
    fn percent_is_zero_to_one_hundred() {
        assert_eq!(Percent::parse(0).unwrap().get(), 0);
        assert_eq!(Percent::parse(100).unwrap().get(), 100);
        assert!(Percent::parse(101).is_err());
    }

    #[test]
    fn ids_must_be_non_nil_uuids() {
        assert!(NeedId::parse("not-a-uuid").is_err());
        assert!(NeedId::parse("00000000-0000-0000-0000-000000000000").is_err());
        assert!(NeedId::parse("0190c6a4-7b1e-7c3a-9a2b-1234567890ab").is_ok());
    }

    #[test]
    fn ratings_and_weights_are_bounded() {
        assert!(Rating::parse(0).is_err());
        assert!(Rating::parse(6).is_err());
        assert_eq!(Weight::parse(0).unwrap().get(), 1);
        assert!(Weight::parse(101).is_err());
        assert!(Rials::parse(0).is_err());
        assert!(Count::parse(0).is_err());
    }
}
