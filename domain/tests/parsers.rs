//! Property tests: the parsers of what people type never panic, and what they accept is
//! canonical. `make proptest` runs them with many more cases (`PROPTEST_CASES`).

use domain::{Code, Email, Phone};
use proptest::prelude::*;

proptest! {
    #[test]
    fn email_parse_never_panics_and_is_canonical(input in ".{0,300}") {
        if let Ok(email) = Email::parse(&input) {
            let s = email.as_str();
            prop_assert!(s.len() <= 254);
            prop_assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert_eq!(s.matches('@').count(), 1);
            // Parsing what we stored gives the same address.
            let again = Email::parse(s).unwrap();
            prop_assert_eq!(again.as_str(), s);
            prop_assert!(email.masked().contains('@'));
        }
    }

    #[test]
    fn email_like_inputs_round_trip(local in "[a-z0-9._%+-]{1,40}", domain in "[a-z0-9-]{1,20}\\.[a-z]{2,6}", pad in "[ \t]{0,3}") {
        let typed = format!("{pad}{local}@{}{pad}", domain.to_uppercase());
        if let Ok(email) = Email::parse(&typed) {
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            prop_assert!(email.as_str().ends_with(&domain));
        }
    }

    #[test]
    fn code_parse_never_panics(input in ".{0,40}") {
        if let Ok(code) = Code::parse(&input) {
            prop_assert_eq!(code.as_str().len(), 6);
            prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn six_digits_parse_however_they_are_spaced(digits in "[0-9]{6}", sep in prop::sample::select(vec!["", " ", "-", "  "])) {
        let typed = format!(" {}{sep}{} ", &digits[..3], &digits[3..]);
        let code = Code::parse(&typed).unwrap();
        prop_assert_eq!(code.as_str(), digits.as_str());
    }

    #[test]
    fn letters_or_other_lengths_are_not_codes(input in "[0-9]{0,5}|[0-9]{7,12}|[0-9]{2}[a-zA-Z][0-9]{3}") {
        prop_assert!(Code::parse(&input).is_err());
    }

    #[test]
    fn phone_parse_never_panics_and_is_e164(input in ".{0,60}") {
        if let Ok(Some(phone)) = Phone::parse_optional(&input) {
            let s = phone.as_str();
            prop_assert!(s.starts_with('+'));
            prop_assert!(s[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert!((8..=16).contains(&s.len()), "{}", s);
            prop_assert_eq!(Phone::parse_optional(s).unwrap().unwrap(), phone.clone());
        }
    }

    #[test]
    fn written_numbers_parse_to_their_digits(cc in "[1-9][0-9]{0,1}", rest in "[0-9]{8,10}", sep in prop::sample::select(vec![" ", "-", "", "."])) {
        let typed = format!("+{cc}{sep}{}{sep}{}", &rest[..4], &rest[4..]);
        let phone = Phone::parse_optional(&typed).unwrap().unwrap();
        prop_assert_eq!(phone.as_str(), format!("+{cc}{rest}"));
        let international = Phone::parse_optional(&format!("00{cc}{rest}")).unwrap().unwrap();
        prop_assert_eq!(international, phone);
    }
}
