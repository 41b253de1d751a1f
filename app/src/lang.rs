//! The page's language: which one this request gets, the menu that changes it, and the
//! helpers components use to word things (`texts` holds the words).
//!
//! A change of language is a plain link to `/lang/{code}?back=…` (the server sets the
//! `rekey_lang` cookie and sends the browser back), so it works without JavaScript, and a
//! journey under way keeps its place: every step lives on the server, named by a cookie.

pub use texts::{td, td_string, Locale};

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The language of the page being drawn: on the server the one negotiated for this request,
/// in the browser the one the server wrote into `<html lang>`.
pub fn locale() -> Locale {
    use_context::<leptos_i18n::I18nContext<Locale>>()
        .map(|i18n| i18n.get_locale_untracked())
        .unwrap_or_default()
}

/// How the i18n context learns the request's language on the server: the explicit choice
/// (cookie), else `Accept-Language`, else English — negotiated once, by `texts::negotiate`.
/// The gallery also takes `?lang=` so a designer can open any state in any language.
pub fn request_language() -> leptos_i18n::context::UseLocalesOptions {
    let options = leptos_i18n::context::UseLocalesOptions::default();
    #[cfg(feature = "ssr")]
    let options =
        options.ssr_lang_header_getter(|| Some(texts::code(crate::ssr::language()).to_string()));
    options
}

/// Percent-encodes a path for a query value (everything but unreserved characters and `/`).
fn encode(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The language menu in every page's header: the current language, and a link per language
/// (named in that language, marked with its `lang`). A disclosure, so it needs no script.
#[component]
pub fn LanguageMenu() -> impl IntoView {
    let current = locale();
    let location = use_location();
    let back = move || {
        let search = location.search.get_untracked();
        let here = location.pathname.get_untracked();
        if search.is_empty() {
            encode(&here)
        } else {
            encode(&format!("{here}?{search}"))
        }
    };
    let back = back();
    view! {
        <details class="lang-menu">
            <summary class="lang-menu__button" aria-label=td_string!(current, language.choose)>
                <span class="lang-menu__icon" aria-hidden="true">
                    "🌐"
                </span>
                <span lang=texts::code(current)>{texts::native_name(current)}</span>
            </summary>
            <ul class="lang-menu__list">
                {texts::all()
                    .iter()
                    .map(|l| {
                        let code = texts::code(*l);
                        view! {
                            <li>
                                <a
                                    class="lang-menu__item"
                                    href=format!("/lang/{code}?back={back}")
                                    hreflang=code
                                    lang=code
                                    rel="external nofollow"
                                    aria-current=(*l == current).then_some("true")
                                >
                                    {texts::native_name(*l)}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn back_paths_survive_a_query_value() {
        assert_eq!(
            super::encode("/recover/code?secured=1&x=a b"),
            "/recover/code%3Fsecured%3D1%26x%3Da%20b"
        );
    }
}
