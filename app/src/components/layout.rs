use crate::lang::{link, locale, td_string, LanguageMenu};
use leptos::prelude::*;
use leptos_meta::Title;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once the first page has been shown in this browser tab (the WebAssembly's memory).
static SHOWN_ONE: AtomicBool = AtomicBool::new(false);

/// The frame of every screen: the shop's header and one card with the step's heading.
#[component]
pub fn Page(
    /// The heading, also used in the window title.
    title: &'static str,
    children: Children,
) -> impl IntoView {
    // After moving to another step without a page load, focus goes to the new step's heading,
    // so keyboard and screen-reader users start at the top of what changed. The first page
    // of a visit keeps the browser's own focus.
    let heading = NodeRef::<leptos::html::H1>::new();
    let l = locale();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            if SHOWN_ONE.swap(true, Ordering::Relaxed) {
                let _ = h.focus();
            }
        }
    });
    view! {
        <Title text=title />
        <header class="site-header">
            <a class="site-header__brand" href="/">
                <span class="site-header__logo" aria-hidden="true">"R"</span>
                {td_string!(l, shop)}
            </a>
            <LanguageMenu />
        </header>
        <main class="page">
            <section class="card" aria-labelledby="page-title">
                <h1 class="card__title" id="page-title" tabindex="-1" node_ref=heading>
                    {title}
                </h1>
                {children()}
            </section>
            <p class="page__support">
                {link(&td_string!(l, layout.support, <a> = "a"), "mailto:support@example.com")}
            </p>
        </main>
    }
}
