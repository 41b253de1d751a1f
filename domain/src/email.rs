//! E-mail addresses: parsing at the edge, normalising, and masking for display.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest address accepted, in bytes (RFC 5321 path limit).
pub const MAX_LEN: usize = 254;

/// Why a typed address was refused; each message is fit to show under the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum EmailError {
    #[error("Enter your e-mail address.")]
    Empty,
    #[error("That e-mail address is too long.")]
    TooLong,
    #[error("Enter an e-mail address like name@example.com.")]
    Malformed,
}

/// A syntactically valid e-mail address, trimmed, with its domain lower-cased.
///
/// The local part keeps its case (RFC 5321 lets servers treat it as case-sensitive) but
/// [`Email::key`] folds it, so `Lin@Example.com` and `lin@example.com` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Parses what a person typed.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.chars().count() >= 2);
        if !local_ok || !domain_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as it should be written to (domain lower-cased).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identity of the account: the whole address lower-cased.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(l, _)| l)
    }

    /// Masked for display and logs: `l***n@example.com`.
    ///
    /// Built only from what was typed, so showing it reveals nothing about any account.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let chars: Vec<char> = local.chars().collect();
        let shown = match chars.as_slice() {
            [] => String::new(),
            [only] => format!("{only}***"),
            [first, .., last] => format!("{first}***{last}"),
        };
        format!("{shown}@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_domain_and_trims() {
        let e = Email::parse("  Lin.Chen@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Lin.Chen@example.com");
        assert_eq!(e.key(), "lin.chen@example.com");
        assert_eq!(e.local_part(), "Lin.Chen");
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "plain",
            "@example.com",
            "lin@",
            "lin@example",
            "lin@@example.com",
            "lin@exa mple.com",
            ".lin@example.com",
            "lin.@example.com",
            "li..n@example.com",
            "lin@-example.com",
            "lin@example.c",
            "lin<script>@example.com",
            "lin@example..com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Malformed), "{bad}");
        }
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn accepts_plus_and_unicode() {
        assert!(Email::parse("lin+shop@example.co.uk").is_ok());
        assert!(Email::parse("josé@exämple.de").is_ok());
    }

    #[test]
    fn masks_from_what_was_typed() {
        assert_eq!(
            Email::parse("lin@example.com").unwrap().masked(),
            "l***n@example.com"
        );
        assert_eq!(
            Email::parse("l@example.com").unwrap().masked(),
            "l***@example.com"
        );
        assert_eq!(Email::parse("ab@x.io").unwrap().masked(), "a***b@x.io");
    }
}
