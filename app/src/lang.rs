//! The page's language: which one this request gets, the menu that changes it, and the
//! helpers components use to word things (`texts` holds the words).
//!
//! A change of language is a plain link to `/lang/{code}?back=…` (the server sets the
//! `rekey_lang` cookie and sends the browser back), so it works without JavaScript, and a
//! journey under way keeps its place: every step lives on the server, named by a cookie.

pub use texts::{td_string, Locale};

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The language of the page being drawn (provided once by [`provide`]).
#[derive(Debug, Clone, Copy)]
struct PageLanguage(Locale);

/// Decides the page's language and provides it to every component: on the server the one
/// negotiated for this request (`ssr::language`: the choice in the cookie, else
/// `Accept-Language`, else English); in the browser the one the server wrote into
/// `<html lang>`, so hydration draws the same words. Also sets `<html lang dir>`.
///
/// Only the generated `Locale` and the `td_string!`/`td!` accessors of `leptos_i18n` reach the
/// WebAssembly: no context, cookie or `navigator.languages` machinery, since the page never
/// changes language without a reload (the language menu is a link).
pub fn provide() -> Locale {
    #[cfg(feature = "ssr")]
    let locale = crate::ssr::language();
    #[cfg(not(feature = "ssr"))]
    let locale = written();
    provide_context(PageLanguage(locale));
    locale
}

/// The language of the page being drawn. An island hydrating in the browser has no context
/// from the page around it: it reads the language the server wrote into `<html lang>`.
pub fn locale() -> Locale {
    match use_context::<PageLanguage>() {
        Some(p) => p.0,
        #[cfg(not(feature = "ssr"))]
        None => written(),
        #[cfg(feature = "ssr")]
        None => Locale::default(),
    }
}

/// The language in `<html lang>` (browser only).
#[cfg(not(feature = "ssr"))]
fn written() -> Locale {
    document()
        .document_element()
        .and_then(|html| html.get_attribute("lang"))
        .and_then(|code| texts::parse(&code))
        .unwrap_or_default()
}

/// Splits a translated sentence around its one inline `<tag>…</tag>` (the translation decides
/// where the tag sits): the text before, the part inside, the text after. Text only, never
/// markup: the parts are drawn as text nodes.
fn around<'a>(sentence: &'a str, tag: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let (before, rest) = sentence.split_once(&format!("<{tag}>"))?;
    let (inside, after) = rest.split_once(&format!("</{tag}>"))?;
    Some((before, inside, after))
}

/// A sentence with one link in it (`<a>…</a>` in the translation) to `href`.
///
/// One small function instead of `leptos_i18n`'s `td!` view builders, which draw each key's
/// view once per language (seven branches of view code per sentence in the WebAssembly).
pub fn link(sentence: &str, href: &'static str) -> AnyView {
    match around(sentence, "a") {
        Some((before, inside, after)) => view! {
            {before.to_string()}
            <a href=href>{inside.to_string()}</a>
            {after.to_string()}
        }
        .into_any(),
        None => sentence.to_string().into_any(),
    }
}

/// A sentence with one emphasised part in it (`<b>…</b>` in the translation): an address, a
/// number.
pub fn strong(sentence: &str) -> AnyView {
    match around(sentence, "b") {
        Some((before, inside, after)) => view! {
            {before.to_string()}
            // An address or a number keeps its own direction inside right-to-left text.
            <strong>
                <bdi>{inside.to_string()}</bdi>
            </strong>
            {after.to_string()}
        }
        .into_any(),
        None => sentence.to_string().into_any(),
    }
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
    // Where the menu's links come back to: this page, query included (read once; the page
    // reloads when the language changes).
    let here = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    let back = if search.is_empty() {
        encode(&here)
    } else {
        encode(&format!("{here}?{search}"))
    };
    view! {
        <details class="lang-menu">
            <summary class="lang-menu__button">
                // Named "Language: English" for screen readers; the visible name is part of it.
                <span class="visually-hidden">{td_string!(current, language.menu)} ": "</span>
                <svg
                    class="lang-menu__icon"
                    viewBox="0 0 24 24"
                    width="18"
                    height="18"
                    aria-hidden="true"
                    focusable="false"
                >
                    <circle cx="12" cy="12" r="9" />
                    <path d="M3 12h18M12 3c2.5 2.7 3.8 5.7 3.8 9s-1.3 6.3-3.8 9c-2.5-2.7-3.8-5.7-3.8-9S9.5 5.7 12 3z" />
                </svg>
                <span lang=texts::code(current)>{texts::native_name(current)}</span>
            </summary>
            <ul class="lang-menu__list">
                {texts::all()
                    .iter()
                    .map(|l| {
                        let href = format!("/lang/{}?back={back}", texts::code(*l));
                        view! { <li>{language_link(*l, current, href, "lang-menu__item")}</li> }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}

/// A link to `href` named in language `l` (and marked as that language), current or not.
pub fn language_link(l: Locale, current: Locale, href: String, class: &'static str) -> AnyView {
    let code = texts::code(l);
    view! {
        <a
            class=class
            href=href
            hreflang=code
            lang=code
            rel="external nofollow"
            aria-current=(l == current).then_some("true")
        >
            {texts::native_name(l)}
        </a>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sentences_split_around_their_tag() {
        assert_eq!(
            super::around("New here? <a>Create an account</a>", "a"),
            Some(("New here? ", "Create an account", ""))
        );
        assert_eq!(
            super::around("<b>l***n@example.com</b> 的验证码", "b"),
            Some(("", "l***n@example.com", " 的验证码"))
        );
        assert_eq!(super::around("no tag", "a"), None);
    }

    #[test]
    fn back_paths_survive_a_query_value() {
        assert_eq!(
            super::encode("/recover/code?secured=1&x=a b"),
            "/recover/code%3Fsecured%3D1%26x%3Da%20b"
        );
    }
}
