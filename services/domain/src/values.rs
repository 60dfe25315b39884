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

/// How many characters of a refused value an error message quotes at most.
pub const QUOTE_CHARS: usize = 32;

/// A refused value as an error message may show it: at most [`QUOTE_CHARS`]
/// characters, with control, format, bidi and other invisible characters written as
/// `\u{..}` escapes, and "… (N characters)" when it was cut. So a refusal never
/// echoes a huge or terminal-breaking input, and always fits in gRPC metadata.
pub fn quote(input: &str) -> String {
    let mut out = String::new();
    let mut total = 0usize;
    for c in input.chars() {
        total += 1;
        if total > QUOTE_CHARS {
            continue;
        }
        if c == ' ' || !(c.is_whitespace() || is_invisible(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(c)));
        }
    }
    if total > QUOTE_CHARS {
        out.push_str(&format!("… ({total} characters)"));
    }
    out
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

            /// A code read back from a recorded event's actor, as it was written: the
            /// actor is shown, never used as a stream key or a subject token.
            pub fn stored(code: &str) -> Self {
                Self(code.to_owned())
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
            quote(input.trim()),
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

/// Text as people typed it, made safe to store, show and send anywhere: trimmed, in
/// Unicode NFC, with a length bound, and without the characters that carry no meaning
/// in a name or a note but break storage or display (see [`Text::required`]).
/// `Text::required` also refuses text with nothing visible in it; `Text::optional`
/// accepts empty text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// Titles and names: required, at most 200 characters, one line.
    pub const SHORT: usize = 200;
    /// Descriptions, notes, findings: at most 4,000 characters; may hold line breaks
    /// and tabs.
    pub const LONG: usize = 4000;

    /// Text with at least one visible character (a letter, digit, punctuation mark or
    /// symbol).
    ///
    /// Refused anywhere in the text: NUL and every other C0 and C1 control character
    /// (a text longer than [`Text::SHORT`] may hold line feeds and tabs; a carriage
    /// return becomes a line feed), line and paragraph separators, the bidirectional
    /// embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069: they
    /// reorder whatever is shown after the text), and Unicode noncharacters.
    /// Zero-width joiners and non-joiners (common in Persian) and left-to-right /
    /// right-to-left marks are kept. Whitespace and format characters at either end are
    /// trimmed; the length is counted in characters after NFC normalisation.
    pub fn required(input: &str, max_chars: usize) -> Result<Self, ValueError> {
        let text = Self::optional(input, max_chars)?;
        if text.0.is_empty() {
            return Err(ValueError::new("must not be empty"));
        }
        if !text.0.chars().any(is_visible) {
            return Err(ValueError::new(
                "has no visible character (only spaces, joiners or marks)",
            ));
        }
        Ok(text)
    }

    /// Like [`Text::required`], but empty (or blank) text is accepted as empty.
    pub fn optional(input: &str, max_chars: usize) -> Result<Self, ValueError> {
        use unicode_normalization::UnicodeNormalization;
        let multi_line = max_chars > Self::SHORT;
        let trimmed = input.trim_matches(|c: char| c.is_whitespace() || is_format(c));
        for (at, c) in trimmed.chars().enumerate() {
            if let Some(why) = refused_char(c, multi_line) {
                return Err(ValueError::new(format!(
                    "the character U+{:04X} at position {} is not allowed: {why}",
                    u32::from(c),
                    at + 1
                )));
            }
        }
        let text: String = if multi_line && trimmed.contains('\r') {
            trimmed
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .nfc()
                .collect()
        } else {
            trimmed.nfc().collect()
        };
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(ValueError::new(format!(
                "is {chars} characters long; at most {max_chars} are allowed"
            )));
        }
        Ok(Self(text))
    }

    /// Text read back from the event store: it was checked when it was accepted (by
    /// the rules of that time), so it is taken as it is, whatever it holds.
    pub fn stored(text: &str) -> Self {
        Self(text.to_owned())
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

/// Why `c` may not appear in a text, if it may not.
fn refused_char(c: char, multi_line: bool) -> Option<&'static str> {
    match c {
        '\n' | '\t' | '\r' if multi_line => None,
        '\n' | '\r' => Some("a title or name is one line"),
        c if c.is_control() => Some("control characters carry no text"),
        '\u{2028}' | '\u{2029}' => Some("use a line feed to break lines"),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some(
            "bidirectional embedding, override and isolate controls reorder the text shown after it",
        ),
        '\u{FDD0}'..='\u{FDEF}' => Some("noncharacters are not text"),
        c if (u32::from(c) & 0xFFFE) == 0xFFFE => Some("noncharacters are not text"),
        _ => None,
    }
}

/// Format characters (Unicode category Cf): zero-width joiners, marks, the BOM, ...
fn is_format(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
}

/// A character that shows something by itself: a letter, digit, punctuation mark or
/// symbol, except the few that render as blank (Hangul fillers, the braille blank).
fn is_visible(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    let blank = matches!(
        c,
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}' | '\u{FFFC}'
    );
    !blank
        && matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Number
                | GeneralCategoryGroup::Punctuation
                | GeneralCategoryGroup::Symbol
        )
}

/// Characters a quoted value shows as an escape: controls, format characters, and
/// anything else that does not show by itself.
fn is_invisible(c: char) -> bool {
    c.is_control() || is_format(c) || refused_char(c, false).is_some()
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

impl Priority {
    pub fn name_fa(self) -> &'static str {
        match self {
            Self::Low => "پایین",
            Self::Medium => "متوسط",
            Self::High => "بالا",
            Self::Urgent => "فوری",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }
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

/// Declares a whole number that is at least 1 and at most its `MAX`: `parse` checks a
/// value given at the edge, `stored` takes one back from the event store as it was
/// accepted, `get` gives it.
macro_rules! positive_number {
    (
        $(#[doc = $doc:literal])+
        $name:ident($int:ty);
        $(#[doc = $max_doc:literal])+
        MAX = $max:expr;
        zero: $zero:expr;
        too_large: |$value:ident| $too_large:expr;
    ) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($int);

        impl $name {
            $(#[doc = $max_doc])+
            pub const MAX: $int = $max;

            pub fn parse($value: $int) -> Result<Self, ValueError> {
                if $value == 0 {
                    return Err(ValueError::new($zero));
                }
                if $value > Self::MAX {
                    return Err(ValueError::new($too_large));
                }
                Ok(Self($value))
            }

            /// A value read back from the event store, as it was accepted.
            pub fn stored(value: $int) -> Self {
                Self(value)
            }

            pub fn get(self) -> $int {
                self.0
            }
        }
    };
}

positive_number! {
    /// A budget in Iranian rials; never zero, at most [`Rials::MAX`].
    Rials(u64);
    /// 10^14 rials (a hundred thousand billion), far above any project of the
    /// programme, and low enough that the sums of a zone's or the programme's budgets
    /// fit a signed 64-bit integer, which is what every backend stores.
    MAX = 100_000_000_000_000;
    zero: "a budget in rials is required (more than 0)";
    too_large: |value| format!("{value} rials is more than the {} rials a budget may be", Self::MAX);
}

positive_number! {
    /// A count of people or households: at least one, at most [`Count::MAX`].
    Count(u32);
    /// A million: more than all the households of Khorramabad, so a larger number is
    /// a typing error; sums over a zone or the programme stay far inside 64 bits.
    MAX = 1_000_000;
    zero: "must be at least 1";
    too_large: |value| format!("{value} is more than {}, the most this count may be", Self::MAX);
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
        match u8::try_from(value) {
            Ok(0) => Ok(Self(1)),
            Ok(weight @ 1..=100) => Ok(Self(weight)),
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
        .map_err(|_| ValueError::new(format!("'{}' is not a UUID", quote(input))))
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

    /// The short text `input` is accepted as.
    fn short_text(input: &str) -> String {
        Text::required(input, Text::SHORT)
            .unwrap()
            .as_str()
            .to_owned()
    }

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

    #[test]
    fn text_refuses_control_characters_and_bidi_controls() {
        for bad in [
            "Water\0pipes",
            "\u{1b}[31mred\u{1b}[0m",
            "abc\u{7f}",
            "price\u{85}list",
            "evil\u{202E}txt.exe",
            "\u{2066}isolated\u{2069} title",
            "line\u{2028}separator",
            "a\u{FFFF}b",
            "a\u{FDD0}b",
            "two\nlines",
            "tab\there",
        ] {
            let err = Text::required(bad, Text::SHORT).unwrap_err();
            assert!(err.0.contains("is not allowed"), "{bad:?}: {err}");
            assert!(err.0.contains("U+"), "{bad:?}: {err}");
        }
        // A long text may break lines and hold tabs; a carriage return becomes a line feed.
        let long = Text::optional("first\r\nsecond\rthird\tfourth", Text::LONG).unwrap();
        assert_eq!(long.as_str(), "first\nsecond\nthird\tfourth");
        assert!(Text::optional("bell\u{7}", Text::LONG).is_err());
        assert!(Text::optional("nul\0", Text::LONG).is_err());
    }

    #[test]
    fn text_with_nothing_visible_is_refused_like_blank_text() {
        for invisible in [
            "\u{200B}\u{200C}\u{200D}",
            "\u{200E}\u{200F}",
            "\u{FEFF}",
            " \u{3164} ",
            "\u{2800}",
            "\u{0301}\u{0301}",
            "\u{00A0}\u{3000}",
        ] {
            assert!(
                Text::required(invisible, Text::SHORT).is_err(),
                "{invisible:?}"
            );
        }
        // Persian with a zero-width non-joiner is text.
        assert_eq!(short_text("می\u{200C}خواهیم"), "می\u{200C}خواهیم");
        // Format characters at the ends are trimmed like spaces.
        assert_eq!(short_text("\u{200F}\u{FEFF} آب \u{200B}"), "آب");
    }

    #[test]
    fn text_is_normalised_to_nfc_and_counted_after() {
        // e + combining acute -> é; Arabic alef + hamza above -> أ.
        assert_eq!(short_text("Cafe\u{0301}"), "Caf\u{e9}");
        assert_eq!(short_text("\u{0627}\u{0654}"), "\u{0623}");
        let composed = "e\u{0301}".repeat(10);
        assert!(Text::required(&composed, 10).is_ok());
        // Normalising again changes nothing: what is stored reads back as itself.
        let stored = Text::required("Cafe\u{0301} ک", Text::SHORT).unwrap();
        assert_eq!(
            Text::required(stored.as_str(), Text::SHORT),
            Ok(stored.clone())
        );
    }

    #[test]
    fn quote_is_short_and_shows_invisible_characters() {
        assert_eq!(quote("zone 01"), "zone 01");
        assert_eq!(quote("a\0b\u{202E}"), "a\\u{0000}b\\u{202E}");
        let long = "x".repeat(1_000_000);
        let quoted = quote(&long);
        assert!(quoted.starts_with(&"x".repeat(QUOTE_CHARS)));
        assert!(quoted.ends_with("(1000000 characters)"), "{quoted}");
        assert!(quoted.len() < 80);
        let err = ZoneCode::parse(&"z".repeat(100_000)).unwrap_err();
        assert!(err.0.len() < 200, "{}", err.0);
        let err = NeedId::parse(&"n".repeat(1_000_000)).unwrap_err();
        assert!(err.0.len() < 200, "{}", err.0);
    }

    #[test]
    fn budgets_and_counts_are_bounded_to_what_every_store_holds() {
        assert_eq!(Rials::parse(Rials::MAX).unwrap().get(), Rials::MAX);
        assert!(Rials::parse(Rials::MAX + 1).is_err());
        assert!(Rials::parse(u64::MAX).is_err());
        assert!(Rials::parse(i64::MAX as u64 + 1).is_err());
        assert_eq!(Count::parse(Count::MAX).unwrap().get(), Count::MAX);
        assert!(Count::parse(Count::MAX + 1).is_err());
        assert!(Count::parse(u32::MAX).is_err());
        // A zone's budgets sum inside i64 even with a hundred thousand projects at the most.
        assert!(
            Rials::MAX
                .checked_mul(90_000)
                .is_some_and(|s| i64::try_from(s).is_ok())
        );
    }
}
