//! One-time codes: six decimal digits, as typed by a person.

use serde::{Deserialize, Serialize};

/// Number of digits in every code.
pub const DIGITS: usize = 6;

/// A well-formed code: exactly six ASCII digits. Spaces and dashes that people paste are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code(String);

/// Why a typed code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CodeError {
    #[error("Enter the 6-digit code.")]
    Empty,
    #[error("The code is 6 digits (0–9).")]
    Malformed,
}

impl Code {
    /// Parses what was typed or pasted (`123 456` and `123-456` are accepted).
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        if input.len() > 64 {
            return Err(CodeError::Malformed);
        }
        let digits: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
            .collect();
        if digits.is_empty() {
            return Err(CodeError::Empty);
        }
        if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Malformed);
        }
        Ok(Code(digits))
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_pasted_forms() {
        assert_eq!(Code::parse("123456").unwrap().as_str(), "123456");
        assert_eq!(Code::parse(" 123 456 ").unwrap().as_str(), "123456");
        assert_eq!(Code::parse("123-456").unwrap().as_str(), "123456");
    }

    #[test]
    fn refuses_letters_and_lengths() {
        assert_eq!(Code::parse(""), Err(CodeError::Empty));
        assert_eq!(Code::parse("12345"), Err(CodeError::Malformed));
        assert_eq!(Code::parse("1234567"), Err(CodeError::Malformed));
        assert_eq!(Code::parse("12a456"), Err(CodeError::Malformed));
        assert_eq!(Code::parse("１２３４５６"), Err(CodeError::Malformed));
    }
}
