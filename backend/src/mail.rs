//! E-mail templates, kept as files (subject, text, HTML) beside the crate.

use crate::outbox::Message;

/// One e-mail template: three files named after it under `backend/templates/`.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    subject: &'static str,
    text: &'static str,
    html: &'static str,
}

macro_rules! template {
    ($name:literal) => {
        Template {
            subject: include_str!(concat!("../templates/", $name, ".subject")),
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

/// The text message that carries a recovery code.
pub fn sms_code_text(shop: &str, code: &str, minutes: i64) -> String {
    format!(
        "{code} is your {shop} verification code. It expires in {minutes} minutes. Never share it."
    )
}

impl Template {
    /// Fills `{{name}}` placeholders; values are HTML-escaped in the HTML part.
    pub fn render(&self, to: &str, vars: &[(&str, &str)]) -> Message {
        let fill = |src: &str, escape: bool| {
            vars.iter().fold(src.to_string(), |acc, (k, v)| {
                let v = if escape {
                    html_escape(v)
                } else {
                    (*v).to_string()
                };
                acc.replace(&format!("{{{{{k}}}}}"), &v)
            })
        };
        Message {
            channel: "email".into(),
            recipient: to.to_string(),
            subject: fill(self.subject.trim(), false),
            body_text: fill(self.text, false),
            body_html: fill(self.html, true),
        }
    }
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

    #[test]
    fn renders_every_placeholder() {
        let m = SIGNUP_CODE.render(
            "lin@example.com",
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
        let url = "https://shop.example/wasnt-me?token=abc";
        let vars = [
            ("shop", "Shop"),
            ("agent", "Firefox on Android"),
            ("ip", "203.0.113.x"),
            ("when", "27 Nov 2026, 09:32 UTC"),
            ("wasnt_me_url", url),
        ];
        for t in [PASSWORD_CHANGED, NEW_SIGN_IN] {
            let m = t.render("lin@example.com", &vars);
            for part in [&m.subject, &m.body_text, &m.body_html] {
                assert!(!part.contains("{{"), "unfilled placeholder in {part}");
            }
            assert!(m.body_text.contains(url) && m.body_html.contains(&format!("href=\"{url}\"")));
            assert_eq!(m.body_html.matches("href").count(), 1, "one link only");
        }
        let m = NEW_SIGN_IN.render("lin@example.com", &vars);
        assert!(m.body_text.contains("Firefox on Android, from 203.0.113.x"));
    }

    #[test]
    fn every_code_template_fills_and_has_no_links() {
        let vars = [("code", "042917"), ("shop", "Shop"), ("minutes", "10")];
        for t in [SIGNUP_CODE, SIGNUP_EXISTS, RECOVERY_CODE, RECOVERY_UNKNOWN] {
            let m = t.render("lin@example.com", &vars);
            for part in [&m.subject, &m.body_text, &m.body_html] {
                assert!(!part.contains("{{"), "unfilled placeholder in {part}");
                assert!(
                    !part.contains("http"),
                    "no link a mail scanner could follow: {part}"
                );
            }
            assert!(m.body_html.starts_with("<!doctype html>") && !m.body_text.contains('<'));
        }
        let code = RECOVERY_CODE.render("lin@example.com", &vars);
        assert!(code.subject.starts_with("042917 ") && code.body_html.contains("font-size:36px"));
    }
}
