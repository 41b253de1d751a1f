//! Every word Rekey shows or sends, per language.
//!
//! The words live in `locales/<language>.json` (English is the source; the others mirror its
//! keys). `build.rs` compiles them with `leptos_i18n` into the `i18n` module re-exported here:
//! a `Locale` enum and one typed accessor per key, so a missing key or a misspelt
//! `{{ variable }}` is a build error, and counts follow each language's plural rules (ICU4X).
//!
//! Which language a request gets: the shopper's explicit choice (cookie [`COOKIE`], set by the
//! language menu) beats the browser's `Accept-Language`, which beats English ([`negotiate`]).
//! The server and the hydrating WebAssembly agree because the browser reads the language the
//! server chose from `<html lang>`.

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
pub use i18n::*;
pub use leptos_i18n::Locale as _;

use domain::code::CodeError;
use domain::email::EmailError;
use domain::password::Feedback;
use domain::password::{Broken, Policy, RuleId};
use domain::phone::PhoneError;

/// The cookie that remembers the shopper's choice of language (a language code, e.g. `pt-BR`).
pub const COOKIE: &str = "rekey_lang";

/// The language for a request: the chosen one (cookie) if it is one of ours, else the best
/// match for `Accept-Language`, else English.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
    if let Some(chosen) = cookie.and_then(parse) {
        return chosen;
    }
    let accepted = accept_language.map(ranked).unwrap_or_default();
    <Locale as leptos_i18n::Locale>::find_locale(&accepted)
}

/// The `Accept-Language` ranges, best first (by `q`, then by order; `q=0` dropped).
fn ranked(header: &str) -> Vec<String> {
    let mut ranges: Vec<(f32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
            (!tag.is_empty() && tag != "*" && q > 0.0).then(|| (q, i, tag.to_string()))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().map(|(_, _, tag)| tag).collect()
}

/// One of our languages by its code (`en`, `zh`, `pt-BR`…), exactly as [`code`] writes it.
pub fn parse(code: &str) -> Option<Locale> {
    code.parse().ok()
}

/// The language's code, as in `<html lang>` and the cookie.
pub fn code(locale: Locale) -> &'static str {
    leptos_i18n::Locale::as_str(locale)
}

/// Whether the language is written right to left (`<html dir="rtl">`).
pub fn is_rtl(locale: Locale) -> bool {
    matches!(
        leptos_i18n::Locale::direction(locale),
        leptos_i18n::Direction::RightToLeft
    )
}

/// Every language we speak, English first.
pub fn all() -> &'static [Locale] {
    <Locale as leptos_i18n::Locale>::get_all()
}

/// The language's name in itself ("Français"), for the language menu.
pub fn native_name(locale: Locale) -> &'static str {
    td_string!(locale, language.name)
}

/// A moment as shoppers read it in `locale`: "27 Nov 2026, 09:32 UTC".
pub fn moment(locale: Locale, unix: i64) -> String {
    let (year, month, day, hour, minute) = domain::time::civil_utc(unix);
    let month = match month {
        1 => td_string!(locale, time.m1),
        2 => td_string!(locale, time.m2),
        3 => td_string!(locale, time.m3),
        4 => td_string!(locale, time.m4),
        5 => td_string!(locale, time.m5),
        6 => td_string!(locale, time.m6),
        7 => td_string!(locale, time.m7),
        8 => td_string!(locale, time.m8),
        9 => td_string!(locale, time.m9),
        10 => td_string!(locale, time.m10),
        11 => td_string!(locale, time.m11),
        _ => td_string!(locale, time.m12),
    };
    let time = format!("{hour:02}:{minute:02}");
    td_string!(locale, time.at, day, month, year, time)
}

/// A browser as shoppers read it: "Firefox on Android" (names stay as they are).
pub fn browser(locale: Locale, agent: &domain::agent::Agent) -> String {
    match (agent.browser.as_deref(), agent.system.as_deref()) {
        (Some(browser), Some(system)) => td_string!(locale, agent.on, browser, system),
        (Some(browser), None) => browser.to_string(),
        (None, Some(system)) => td_string!(locale, agent.some_browser_on, system),
        (None, None) => td_string!(locale, agent.unknown).to_string(),
    }
}

/// A checklist line: the rule, as the live checklist shows it.
pub fn rule_label(locale: Locale, rule: RuleId, policy: Policy) -> String {
    let (min, max) = (policy.min_len(), domain::password::MAX_LEN);
    match (rule, policy) {
        (RuleId::Length, Policy::Shop) => td_string!(locale, password.rule_length_shop, min, max),
        (RuleId::Length, Policy::Nist) => td_string!(locale, password.rule_length_nist, min),
        (RuleId::Capital, _) => td_string!(locale, password.rule_capital).into(),
        (RuleId::Number, _) => td_string!(locale, password.rule_number).into(),
        (RuleId::NotEmail, _) => td_string!(locale, password.rule_not_email).into(),
        (RuleId::NotCommon, _) => td_string!(locale, password.rule_not_common).into(),
        (RuleId::Strong, _) => td_string!(locale, password.rule_strong).into(),
    }
}

/// What to do about a broken rule (the error under the password field).
pub fn broken_rule(locale: Locale, broken: &Broken) -> String {
    let (min, max) = (broken.policy.min_len(), domain::password::MAX_LEN);
    match (broken.rule, broken.policy) {
        (RuleId::Length, Policy::Shop) => td_string!(locale, password.broken_length_shop, min, max),
        (RuleId::Length, Policy::Nist) => td_string!(locale, password.broken_length_nist, min),
        (RuleId::Capital, _) => td_string!(locale, password.broken_capital).into(),
        (RuleId::Number, _) => td_string!(locale, password.broken_number).into(),
        (RuleId::NotEmail, _) => td_string!(locale, password.broken_not_email).into(),
        (RuleId::NotCommon, _) => td_string!(locale, password.broken_not_common).into(),
        (RuleId::Strong, _) => td_string!(locale, password.broken_strong).into(),
    }
}

/// The meter's word for a score 0–4.
pub fn strength_label(locale: Locale, score: u8) -> &'static str {
    match score {
        0 => td_string!(locale, password.score_0),
        1 => td_string!(locale, password.score_1),
        2 => td_string!(locale, password.score_2),
        3 => td_string!(locale, password.score_3),
        _ => td_string!(locale, password.score_4),
    }
}

/// The meter's sentence: why the password scored so, and what would help.
pub fn feedback(locale: Locale, feedback: Feedback) -> (&'static str, &'static str) {
    match feedback {
        Feedback::Empty => (
            td_string!(locale, password.reason_empty),
            td_string!(locale, password.hint_empty),
        ),
        Feedback::Strong => (
            td_string!(locale, password.reason_strong),
            td_string!(locale, password.hint_strong),
        ),
        Feedback::Common => (
            td_string!(locale, password.reason_common),
            td_string!(locale, password.hint_common),
        ),
        Feedback::Personal => (
            td_string!(locale, password.reason_personal),
            td_string!(locale, password.hint_personal),
        ),
        Feedback::Repeat => (
            td_string!(locale, password.reason_repeat),
            td_string!(locale, password.hint_repeat),
        ),
        Feedback::Sequence => (
            td_string!(locale, password.reason_sequence),
            td_string!(locale, password.hint_sequence),
        ),
        Feedback::Good => (
            td_string!(locale, password.reason_good),
            td_string!(locale, password.hint_good),
        ),
        Feedback::Short => (
            td_string!(locale, password.reason_short),
            td_string!(locale, password.hint_short),
        ),
    }
}

/// What is wrong with a typed e-mail address.
pub fn email_error(locale: Locale, e: EmailError) -> &'static str {
    match e {
        EmailError::Empty => td_string!(locale, error.email_empty),
        EmailError::TooLong => td_string!(locale, error.email_too_long),
        EmailError::Malformed => td_string!(locale, error.email_malformed),
    }
}

/// What is wrong with a typed code.
pub fn code_error(locale: Locale, e: CodeError) -> &'static str {
    match e {
        CodeError::Empty => td_string!(locale, error.code_empty),
        CodeError::Malformed => td_string!(locale, error.code_malformed),
    }
}

/// What is wrong with a typed phone number.
pub fn phone_error(locale: Locale, e: PhoneError) -> &'static str {
    match e {
        PhoneError::Malformed => td_string!(locale, error.phone_malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_beats_accept_language_beats_english() {
        assert_eq!(negotiate(Some("ar"), Some("fr-FR,fr;q=0.9")), Locale::ar);
        assert_eq!(negotiate(None, Some("fr-FR,fr;q=0.9,en;q=0.8")), Locale::fr);
        assert_eq!(negotiate(None, Some("zh-CN,zh;q=0.9")), Locale::zh);
        assert_eq!(negotiate(None, Some("pt-BR")), Locale::pt_BR);
        assert_eq!(negotiate(None, Some("de-DE,de;q=0.9")), Locale::en);
        assert_eq!(negotiate(None, None), Locale::en);
        // A cookie that is not one of ours is no choice at all.
        assert_eq!(negotiate(Some("xx"), Some("es")), Locale::es);
        // Quality values rank, whatever the order.
        assert_eq!(negotiate(None, Some("en;q=0.5, ru;q=0.9")), Locale::ru);
        assert_eq!(negotiate(None, Some("ru;q=0, es")), Locale::es);
    }

    #[test]
    fn codes_round_trip_and_arabic_is_rtl() {
        for l in all() {
            assert_eq!(parse(code(*l)), Some(*l));
            assert_eq!(is_rtl(*l), *l == Locale::ar);
        }
        assert_eq!(all().len(), 7);
    }

    #[test]
    fn moments_and_browsers_read_naturally() {
        // 2026-11-27 09:32 UTC
        let at = 1_795_771_920;
        assert_eq!(moment(Locale::en, at), "27 Nov 2026, 09:32 UTC");
        assert!(moment(Locale::zh, at).contains("2026"));
        let agent = domain::agent::Agent::parse("Firefox · Android");
        assert_eq!(browser(Locale::en, &agent), "Firefox on Android");
        assert_eq!(
            browser(Locale::en, &domain::agent::Agent::default()),
            "Unknown browser"
        );
    }
}
