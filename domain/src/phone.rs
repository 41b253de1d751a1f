//! Phone numbers in E.164 form (`+` and 8–15 digits).
//!
//! Only the shape is checked here (shared with the browser); the server may check more.

use serde::{Deserialize, Serialize};

/// Two-digit country calling codes (every other code but `1` and `7` has three digits).
const TWO_DIGIT_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// A phone number in E.164 form, e.g. `+447700900789`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone(String);

/// Why a typed phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PhoneError {
    #[error("Enter the number with its country code, like +44 7700 900789.")]
    Malformed,
}

impl Phone {
    /// Parses a typed number; spaces, dashes, dots and brackets are ignored. Empty means none.
    pub fn parse_optional(input: &str) -> Result<Option<Self>, PhoneError> {
        if input.trim().is_empty() {
            return Ok(None);
        }
        if input.len() > 40 {
            return Err(PhoneError::Malformed);
        }
        let kept: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
            .collect();
        let digits = kept.strip_prefix('+').or_else(|| kept.strip_prefix("00"));
        match digits {
            Some(d)
                if (8..=15).contains(&d.len())
                    && d.bytes().all(|b| b.is_ascii_digit())
                    && !d.starts_with('0') =>
            {
                Ok(Some(Phone(format!("+{d}"))))
            }
            _ => Err(PhoneError::Malformed),
        }
    }

    /// The E.164 string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a number stored by the server (already E.164).
    pub fn from_stored(stored: &str) -> Option<Self> {
        Phone::parse_optional(stored).ok().flatten()
    }

    /// The country calling code (ITU-T E.164 assignments: `1`, `44`, `353`, …), without `+`.
    pub fn country_code(&self) -> &str {
        let digits = &self.0[1..];
        let two = &digits[..2];
        if digits.starts_with('1') || digits.starts_with('7') {
            &digits[..1]
        } else if TWO_DIGIT_CODES.contains(&two) {
            two
        } else {
            &digits[..3]
        }
    }

    /// Masked for display: the country code and the last three digits (`+44 •••• ••• 789`).
    pub fn masked_with_country(&self) -> String {
        format!("+{} {}", self.country_code(), self.masked())
    }

    /// Masked for display: the last three digits only.
    pub fn masked(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("•••• ••• {tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_ways_of_writing() {
        let p = Phone::parse_optional("+44 7700 900789").unwrap().unwrap();
        assert_eq!(p.as_str(), "+447700900789");
        assert_eq!(
            Phone::parse_optional("0049 (30) 123-4567")
                .unwrap()
                .unwrap()
                .as_str(),
            "+49301234567"
        );
        assert_eq!(Phone::parse_optional("  ").unwrap(), None);
        assert_eq!(p.masked(), "•••• ••• 789");
        assert_eq!(p.masked_with_country(), "+44 •••• ••• 789");
    }

    #[test]
    fn knows_country_codes() {
        for (typed, code) in [
            ("+1 415 555 0132", "1"),
            ("+7 912 345 67 89", "7"),
            ("+44 7700 900789", "44"),
            ("+49 30 1234567", "49"),
            ("+353 85 123 4567", "353"),
            ("+86 138 0013 8000", "86"),
            ("+971 50 123 4567", "971"),
            ("+234 803 123 4567", "234"),
            ("+98 912 345 6789", "98"),
        ] {
            let p = Phone::parse_optional(typed).unwrap().unwrap();
            assert_eq!(p.country_code(), code, "{typed}");
            assert!(p.masked_with_country().starts_with(&format!("+{code} ")));
        }
        assert_eq!(
            Phone::from_stored("+447700900789").map(|p| p.as_str().to_string()),
            Some("+447700900789".into())
        );
        assert_eq!(Phone::from_stored("garbage"), None);
    }

    #[test]
    fn refuses_local_or_bad_numbers() {
        for bad in [
            "07700 900789",
            "+44 77x0",
            "+0123456789",
            "+1234567",
            "+1234567890123456",
        ] {
            assert_eq!(
                Phone::parse_optional(bad),
                Err(PhoneError::Malformed),
                "{bad}"
            );
        }
    }
}
