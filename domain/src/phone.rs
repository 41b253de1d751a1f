//! Phone numbers in E.164 form (`+` and 8–15 digits).
//!
//! Only the shape is checked here (shared with the browser); the server may check more.

use serde::{Deserialize, Serialize};

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
