//! E-mails: each message's own part (text and HTML files beside the crate, no words in them)
//! in the frame every message shares (`layout.txt`, `layout.html`), filled with the words of
//! the message's language from `texts`.

use crate::outbox::Message;
use texts::{td_string, Locale};

/// What every e-mail shares around its own part (`{{message}}`): in the text, the greeting and
/// the intro above it and the sign-off below; in the HTML, the page, its card, the shop's
/// name, the heading and the intro.
const FRAME_TEXT: &str = include_str!("../templates/layout.txt");
const FRAME_HTML: &str = include_str!("../templates/layout.html");

/// One e-mail: two files named after it under `backend/templates/`, its own part of the text
/// and of the HTML.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    name: &'static str,
    text: &'static str,
    html: &'static str,
}

macro_rules! template {
    ($name:literal) => {
        Template {
            name: $name,
            text: include_str!(concat!("../templates/", $name, ".txt")),
            html: include_str!(concat!("../templates/", $name, ".html")),
        }
    };
}

/// The code that finishes a sign-up.
pub const SIGNUP_CODE: Template = template!("signup_code");
/// Told to the owner when someone signs up with an address that already has an account.
pub const SIGNUP_EXISTS: Template = template!("signup_exists");
/// The code of a forgot-password flow.
pub const RECOVERY_CODE: Template = template!("recovery_code");
/// Sent instead of a code, when configured, to an address with no account.
pub const RECOVERY_UNKNOWN: Template = template!("recovery_unknown");
/// Told to the owner after a password reset.
pub const PASSWORD_CHANGED: Template = template!("password_changed");
/// Told to the owner when a browser the account has not used before signs in.
pub const NEW_SIGN_IN: Template = template!("new_sign_in");

/// A template by its file name (for the development gallery).
pub fn named(name: &str) -> Option<Template> {
    Some(match name {
        "signup_code" => SIGNUP_CODE,
        "signup_exists" => SIGNUP_EXISTS,
        "recovery_code" => RECOVERY_CODE,
        "recovery_unknown" => RECOVERY_UNKNOWN,
        "password_changed" => PASSWORD_CHANGED,
        "new_sign_in" => NEW_SIGN_IN,
        _ => return None,
    })
}

/// The text message that carries a recovery code, in `lang`.
pub fn sms_code_text(lang: Locale, shop: &str, code: &str, minutes: i64) -> String {
    td_string!(lang, mail.sms_code, code, shop, count = minutes)
}

/// The values a message is about, by name (`shop`, `code`, `minutes`, `agent`, `ip`, `when`,
/// `wasnt_me_url`); each template uses some of them.
type Vars<'a> = [(&'a str, &'a str)];

fn var<'a>(vars: &'a Vars<'a>, name: &str) -> &'a str {
    vars.iter().find(|(k, _)| *k == name).map_or("", |(_, v)| v)
}

impl Template {
    /// The message's words in `l`, with `vars` already in them.
    fn words(&self, l: Locale, vars: &Vars) -> Vec<(&'static str, String)> {
        let shop = var(vars, "shop");
        let code = var(vars, "code");
        let minutes: i64 = var(vars, "minutes").parse().unwrap_or(0);
        let mut words = vec![
            ("lang", texts::code(l).to_string()),
            (
                "dir",
                if texts::is_rtl(l) { "rtl" } else { "ltr" }.to_string(),
            ),
            ("hello", td_string!(l, mail.hello).to_string()),
            ("sign_off", td_string!(l, mail.sign_off, shop)),
            ("expires", td_string!(l, mail.expires, count = minutes)),
            (
                "wasnt_me_button",
                td_string!(l, mail.wasnt_me_button).to_string(),
            ),
            (
                "wasnt_me_text",
                td_string!(l, mail.wasnt_me_text).to_string(),
            ),
            (
                "wasnt_me_html",
                td_string!(l, mail.wasnt_me_html).to_string(),
            ),
            ("link_once", td_string!(l, mail.link_once).to_string()),
        ];
        let own: [(&'static str, String); 5] = match self.name {
            "signup_code" => [
                (
                    "subject",
                    td_string!(l, mail.signup_code.subject, code, shop),
                ),
                ("heading", td_string!(l, mail.signup_code.heading).into()),
                ("intro", td_string!(l, mail.signup_code.intro, shop)),
                ("ignore", td_string!(l, mail.signup_code.ignore).into()),
                ("if_you", String::new()),
            ],
            "signup_exists" => [
                ("subject", td_string!(l, mail.signup_exists.subject, shop)),
                ("heading", td_string!(l, mail.signup_exists.heading).into()),
                ("intro", td_string!(l, mail.signup_exists.intro, shop)),
                ("if_you", td_string!(l, mail.signup_exists.if_you).into()),
                ("if_not", td_string!(l, mail.signup_exists.if_not).into()),
            ],
            "recovery_code" => [
                (
                    "subject",
                    td_string!(l, mail.recovery_code.subject, code, shop),
                ),
                ("heading", td_string!(l, mail.recovery_code.heading).into()),
                ("intro", td_string!(l, mail.recovery_code.intro, shop)),
                ("ignore", td_string!(l, mail.recovery_code.ignore, shop)),
                ("if_you", String::new()),
            ],
            "recovery_unknown" => [
                (
                    "subject",
                    td_string!(l, mail.recovery_unknown.subject, shop),
                ),
                (
                    "heading",
                    td_string!(l, mail.recovery_unknown.heading).into(),
                ),
                ("intro", td_string!(l, mail.recovery_unknown.intro, shop)),
                ("if_you", td_string!(l, mail.recovery_unknown.if_you).into()),
                ("if_not", td_string!(l, mail.recovery_unknown.if_not).into()),
            ],
            "password_changed" => [
                (
                    "subject",
                    td_string!(l, mail.password_changed.subject, shop),
                ),
                (
                    "heading",
                    td_string!(l, mail.password_changed.heading).into(),
                ),
                ("intro", td_string!(l, mail.password_changed.intro, shop)),
                ("if_you", td_string!(l, mail.password_changed.if_you).into()),
                ("if_not", String::new()),
            ],
            _ => {
                let (agent, ip) = (var(vars, "agent"), var(vars, "ip"));
                [
                    ("subject", td_string!(l, mail.new_sign_in.subject, shop)),
                    ("heading", td_string!(l, mail.new_sign_in.heading).into()),
                    ("intro", td_string!(l, mail.new_sign_in.intro, shop)),
                    ("if_you", td_string!(l, mail.new_sign_in.if_you).into()),
                    ("from", td_string!(l, mail.new_sign_in.from, agent, ip)),
                ]
            }
        };
        words.extend(own);
        words
    }

    /// The message to `to` in `lang`: the frame's and the message's `{{name}}` places filled
    /// with the words of `lang` and with `vars`; everything is HTML-escaped in the HTML part.
    pub fn render(&self, to: &str, lang: Locale, vars: &Vars) -> Message {
        let words = self.words(lang, vars);
        let value = |name: &str| {
            words
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
                .or_else(|| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
        };
        Message {
            channel: "email".into(),
            recipient: to.to_string(),
            subject: value("subject").unwrap_or_default().to_string(),
            body_text: framed(FRAME_TEXT, self.text, &value, false),
            body_html: framed(FRAME_HTML, self.html, &value, true),
        }
    }
}

/// `frame` with `message` in its `{{message}}` place, both filled (see [`fill`]).
fn framed<'a>(
    frame: &str,
    message: &str,
    value: &impl Fn(&str) -> Option<&'a str>,
    escape: bool,
) -> String {
    // A frame without the place would put the message after it (the tests would see it).
    let (above, below) = frame.split_once("{{message}}").unwrap_or((frame, ""));
    let mut out = String::with_capacity(frame.len() + message.len() + 512);
    for part in [above, message, below] {
        fill(&mut out, part, value, escape);
    }
    out
}

/// Appends `src` to `out` with each `{{name}}` replaced by `value(name)` (HTML-escaped when
/// `escape`), in one pass; an unknown name is left as it is, so a test can see it.
fn fill<'a>(out: &mut String, src: &str, value: &impl Fn(&str) -> Option<&'a str>, escape: bool) {
    let mut rest = src;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let name = &after[..end];
        match value(name) {
            Some(v) if escape => out.push_str(&html_escape(v)),
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + end + 4]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://shop.example/wasnt-me?token=abc";
    /// A value for every name a message may use.
    const VARS: [(&str, &str); 7] = [
        ("shop", "Shop"),
        ("code", "042917"),
        ("minutes", "10"),
        ("agent", "Firefox on Android"),
        ("ip", "203.0.113.x"),
        ("when", "27 Nov 2026, 09:32 UTC"),
        ("wasnt_me_url", URL),
    ];

    #[test]
    fn renders_every_placeholder() {
        let m = SIGNUP_CODE.render(
            "lin@example.com",
            Locale::en,
            &[("code", "042917"), ("shop", "A<b>"), ("minutes", "10")],
        );
        assert_eq!(m.subject, "042917 is your A<b> sign-up code");
        assert!(m.body_text.contains("    042917\n") && m.body_text.contains("10 minutes"));
        assert!(m.body_html.contains("A&lt;b&gt;") && !m.body_html.contains("A<b>"));
        for part in [&m.subject, &m.body_text, &m.body_html] {
            assert!(!part.contains("{{"), "unfilled placeholder in {part}");
        }
        assert!(
            !m.body_html.contains("href"),
            "no link a mail scanner could follow"
        );
    }

    #[test]
    fn notices_carry_only_their_wasnt_me_link() {
        for t in [PASSWORD_CHANGED, NEW_SIGN_IN] {
            let m = t.render("lin@example.com", Locale::en, &VARS);
            for part in [&m.subject, &m.body_text, &m.body_html] {
                assert!(!part.contains("{{"), "unfilled placeholder in {part}");
            }
            assert!(m.body_text.contains(URL) && m.body_html.contains(&format!("href=\"{URL}\"")));
            assert_eq!(m.body_html.matches("href").count(), 1, "one link only");
        }
        let m = NEW_SIGN_IN.render("lin@example.com", Locale::en, &VARS);
        assert!(m.body_text.contains("Firefox on Android, from 203.0.113.x"));
    }

    #[test]
    fn every_code_template_fills_and_has_no_links() {
        let vars = [("code", "042917"), ("shop", "Shop"), ("minutes", "10")];
        for t in [SIGNUP_CODE, SIGNUP_EXISTS, RECOVERY_CODE, RECOVERY_UNKNOWN] {
            let m = t.render("lin@example.com", Locale::en, &vars);
            for part in [&m.subject, &m.body_text, &m.body_html] {
                assert!(!part.contains("{{"), "unfilled placeholder in {part}");
                assert!(
                    !part.contains("http"),
                    "no link a mail scanner could follow: {part}"
                );
            }
            assert!(m.body_html.starts_with("<!doctype html>") && !m.body_text.contains('<'));
        }
        let code = RECOVERY_CODE.render("lin@example.com", Locale::en, &vars);
        assert!(code.subject.starts_with("042917 ") && code.body_html.contains("font-size:36px"));
    }

    #[test]
    fn every_message_in_every_language() {
        let vars = VARS;
        for name in [
            "signup_code",
            "signup_exists",
            "recovery_code",
            "recovery_unknown",
            "password_changed",
            "new_sign_in",
        ] {
            let t = named(name).expect("known template");
            let english = t.render("lin@example.com", Locale::en, &vars);
            for &l in texts::all() {
                let m = t.render("lin@example.com", l, &vars);
                for part in [&m.subject, &m.body_text, &m.body_html] {
                    assert!(!part.contains("{{"), "{name} in {l}: unfilled in {part}");
                    assert!(part.contains("Shop") || part == &m.body_html, "{name} {l}");
                }
                assert!(!m.subject.is_empty());
                let dir = if l == Locale::ar { "rtl" } else { "ltr" };
                assert!(m
                    .body_html
                    .contains(&format!("lang=\"{}\" dir=\"{dir}\"", texts::code(l))));
                if l != Locale::en {
                    assert_ne!(
                        m.body_text, english.body_text,
                        "{name} is translated into {l}"
                    );
                }
                // In the shared frame: the HTML is a whole page with the shop's name, heading
                // and intro above the message's own part; the text opens with the greeting and
                // closes with the sign-off.
                let words = t.words(l, &vars);
                let word = |key: &str| {
                    words
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, w)| w.clone())
                };
                let html = &m.body_html;
                let opening = format!("<!doctype html>\n<html lang=\"{}\"", texts::code(l));
                assert!(html.starts_with(&opening), "{name} {l}: {html}");
                assert!(html.ends_with("</div></body></html>\n"), "{name} {l}");
                // Above the message's own part, in this order: the shop, the heading, the intro.
                let body = &html[html.find("<body").expect("a body")..];
                let mut at = 0;
                let first_own = t.html.split("{{").nth(1).and_then(|p| p.split_once("}}"));
                let (own, _) = first_own.expect("a place in the message");
                let own = word(own).unwrap_or_else(|| var(&vars, own).to_string());
                for part in [
                    "Shop".to_string(),
                    word("heading").expect("heading"),
                    word("intro").expect("intro"),
                    own,
                ] {
                    let part = html_escape(&part);
                    assert!(!part.is_empty(), "{name} {l}");
                    let found = body[at..].find(&part);
                    at +=
                        found.unwrap_or_else(|| panic!("{name} {l}: {part} in order")) + part.len();
                }
                let text = &m.body_text;
                assert!(
                    text.starts_with(&format!("{}\n\n", word("hello").expect("hello"))),
                    "{name} {l}"
                );
                assert!(
                    text.ends_with(&format!("\n\n{}\n", word("sign_off").expect("sign-off"))),
                    "{name} {l}"
                );
            }
        }
        // Counts follow the language's plural rules.
        assert!(sms_code_text(Locale::en, "Shop", "042917", 1).contains("1 minute."));
        assert!(sms_code_text(Locale::en, "Shop", "042917", 10).contains("10 minutes."));
        assert_ne!(
            sms_code_text(Locale::ru, "Shop", "1", 2).replace('2', ""),
            sms_code_text(Locale::ru, "Shop", "1", 5).replace('5', "")
        );
    }
}
