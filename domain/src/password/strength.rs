//! A small password-strength estimator in the spirit of zxcvbn: it estimates how many guesses an
//! attacker who knows common patterns would need, and scores 0–4 on the same thresholds.
//!
//! zxcvbn itself ships megabytes of dictionaries, too heavy for the browser budget; this keeps
//! the patterns that matter most for a shop (common passwords, the person's own e-mail name,
//! repeats, sequences, keyboard rows, years, capitalised-word-plus-digits) in a few kilobytes.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The 4,000 most common passwords of 8+ characters, lower-cased, most common first
/// (from the 20,000-entry list Django ships, itself from Royce Williams' breach corpus).
const COMMON: &str = include_str!("../../data/common-passwords.txt");

fn common_ranks() -> &'static HashMap<&'static str, usize> {
    static RANKS: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    RANKS.get_or_init(|| {
        COMMON
            .lines()
            .enumerate()
            .map(|(i, p)| (p, i + 1))
            .collect()
    })
}

/// Whether the lower-cased password is on the shipped common list.
pub(crate) fn is_common(lower: &str) -> bool {
    common_ranks().contains_key(lower)
}

/// A score 0–4 with a one-line reason and a hint, for the meter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strength {
    /// 0 (very weak) to 4 (strong).
    pub score: u8,
    /// Why it scored so, and what would help (the meter's sentence, worded by `texts`).
    pub feedback: Feedback,
}

/// What the meter says about a password, beside its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Feedback {
    Empty,
    Strong,
    Common,
    Personal,
    Repeat,
    Sequence,
    Good,
    Short,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Weakness {
    None,
    Short,
    Sequence,
    Repeat,
    Personal,
    Common,
}

const KEYBOARD_ROWS: [&str; 4] = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890"];

/// Estimates the strength of `password`; `user_inputs` are things the person typed elsewhere
/// (their e-mail) that an attacker would try first.
pub fn strength(password: &str, user_inputs: &[&str]) -> Strength {
    if password.is_empty() {
        return finish(0, Weakness::Short, true);
    }
    let lower = password.to_lowercase();
    if is_common(&lower) {
        return finish(0, Weakness::Common, false);
    }
    let chars: Vec<char> = password.chars().collect();
    let lower_chars: Vec<char> = lower.chars().collect();
    let mut weakness = Weakness::None;
    let mut log10_guesses = 0.0_f64;

    // Parts of the password that are the person's own e-mail name cost the attacker ~nothing.
    let mut personal = vec![false; chars.len()];
    for input in user_inputs {
        let input = input.trim().to_lowercase();
        let local = input.rsplit_once('@').map_or(input.as_str(), |(l, _)| l);
        for token in local.split(|c: char| !c.is_alphanumeric()).chain([local]) {
            if token.chars().count() < 3 {
                continue;
            }
            let token: Vec<char> = token.chars().collect();
            for start in 0..lower_chars.len().saturating_sub(token.len() - 1) {
                if lower_chars[start..start + token.len()] == token[..] {
                    personal[start..start + token.len()]
                        .iter_mut()
                        .for_each(|p| *p = true);
                    weakness = weakness.max(Weakness::Personal);
                }
            }
        }
    }
    if personal.iter().any(|p| *p) {
        log10_guesses += 1.0;
    }

    // Split the rest into runs of one character class and price each run.
    let mut i = 0;
    let mut tokens = 0;
    while i < chars.len() {
        if personal[i] {
            i += 1;
            continue;
        }
        let class = class_of(chars[i]);
        let mut j = i + 1;
        while j < chars.len() && !personal[j] && class_of(chars[j]) == class {
            j += 1;
        }
        let (guesses, w) = price_run(&chars[i..j], &lower_chars[i..j], class);
        weakness = weakness.max(w);
        log10_guesses += guesses;
        tokens += 1;
        i = j;
    }
    // Each extra pattern the attacker has to combine multiplies the search a little.
    log10_guesses += (tokens.max(1) as f64).log10();

    // A common password with digits or symbols stuck on the end is still a common password.
    let base: String = lower
        .trim_end_matches(|c: char| !c.is_alphabetic())
        .to_string();
    if base != lower && base.chars().count() >= 4 {
        if let Some(rank) = common_ranks().get(base.as_str()) {
            let suffix = lower.chars().count() - base.chars().count();
            let capped = (*rank as f64).log10() + suffix as f64 * 1.3 + 0.3;
            if capped < log10_guesses {
                log10_guesses = capped;
                weakness = weakness.max(Weakness::Common);
            }
        }
    }

    let score = match log10_guesses {
        g if g < 3.0 => 0,
        g if g < 6.0 => 1,
        g if g < 8.0 => 2,
        g if g < 10.0 => 3,
        _ => 4,
    };
    if weakness == Weakness::None && score < 3 {
        weakness = Weakness::Short;
    }
    finish(score, weakness, false)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Symbol,
}

fn class_of(c: char) -> Class {
    if c.is_alphabetic() {
        Class::Letter
    } else if c.is_numeric() {
        Class::Digit
    } else {
        Class::Symbol
    }
}

/// log10 of the guesses for one run of a single class, and what made it weak.
fn price_run(run: &[char], lower: &[char], class: Class) -> (f64, Weakness) {
    let n = run.len() as f64;
    if run.len() >= 3 && run.iter().all(|c| *c == run[0]) {
        return ((12.0 * n).log10(), Weakness::Repeat);
    }
    if run.len() >= 3 && (is_step_sequence(lower) || is_keyboard_run(lower)) {
        return ((20.0 * n).log10(), Weakness::Sequence);
    }
    match class {
        Class::Digit if run.len() == 4 && matches!(&lower[..2], ['1', '9'] | ['2', '0']) => {
            (2.1, Weakness::None) // a year
        }
        Class::Digit => (n, Weakness::None),
        Class::Symbol => (n * 33f64.log10(), Weakness::None),
        Class::Letter => {
            let uppers = run.iter().filter(|c| c.is_uppercase()).count();
            let case = if uppers == 0 {
                0.0
            } else if uppers == run.len() || (uppers == 1 && run[0].is_uppercase()) {
                0.3
            } else {
                (uppers.min(run.len() - uppers) as f64) * 0.45
            };
            // Letters typed by people are far from random: ~10 guesses per letter (zxcvbn's
            // brute-force cardinality).
            (n + case, Weakness::None)
        }
    }
}

fn is_step_sequence(run: &[char]) -> bool {
    let steps: Vec<i64> = run.windows(2).map(|w| w[1] as i64 - w[0] as i64).collect();
    steps.iter().all(|s| *s == steps[0]) && matches!(steps[0], -2..=2)
}

fn is_keyboard_run(run: &[char]) -> bool {
    let s: String = run.iter().collect();
    let rev: String = run.iter().rev().collect();
    KEYBOARD_ROWS
        .iter()
        .any(|row| row.contains(&s) || row.contains(&rev))
}

fn finish(score: u8, weakness: Weakness, empty: bool) -> Strength {
    let feedback = if empty {
        Feedback::Empty
    } else {
        match (weakness, score) {
            (_, 4) => Feedback::Strong,
            (Weakness::Common, _) => Feedback::Common,
            (Weakness::Personal, _) => Feedback::Personal,
            (Weakness::Repeat, _) => Feedback::Repeat,
            (Weakness::Sequence, _) => Feedback::Sequence,
            (_, 3) => Feedback::Good,
            _ => Feedback::Short,
        }
    };
    Strength { score, feedback }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(pw: &str) -> u8 {
        strength(pw, &["lin.chen@example.com"]).score
    }

    #[test]
    fn the_list_is_loaded_and_normalised() {
        assert!(common_ranks().len() > 3_000);
        assert!(common_ranks()
            .keys()
            .all(|p| p.chars().count() >= 8 && *p == p.to_lowercase()));
        assert!(is_common("password") && is_common("iloveyou"));
    }

    #[test]
    fn weak_patterns_score_low() {
        assert_eq!(score(""), 0);
        assert_eq!(score("password"), 0);
        assert_eq!(score("Password1"), 0);
        assert!(score("aaaaaaaa1A") <= 1);
        assert!(score("Abcdefgh1") <= 1);
        assert!(score("Qwertyui9") <= 1);
        assert!(score("LinChen99") <= 1, "personal: {}", score("LinChen99"));
    }

    #[test]
    fn strong_passphrases_score_high() {
        assert!(score("Tangerine7Harbor") >= 3);
        assert_eq!(score("correct horse battery staple"), 4);
        assert!(score("Kx9#mP2q") >= 3);
    }

    #[test]
    fn scores_climb_as_a_password_grows() {
        let scores: Vec<u8> = [
            "Qu",
            "Quokka",
            "Quokka5",
            "Quokka5Lantern",
            "Quokka5Lantern!Mauve",
        ]
        .iter()
        .map(|p| score(p))
        .collect();
        assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
        assert_eq!(scores[0], 0);
        assert_eq!(*scores.last().unwrap(), 4);
    }

    #[test]
    fn every_score_has_words() {
        for s in 0..=4 {
            for w in [Weakness::None, Weakness::Common, Weakness::Short] {
                let st = finish(s, w, false);
                assert!(st.score <= 4);
            }
        }
    }
}
