use crate::lang::{link, locale, td_string, LanguageMenu};
use leptos::prelude::*;
use leptos_meta::Title;

/// The frame of every screen: the shop's header and one card with the step's heading.
#[component]
pub fn Page(
    /// The heading, also used in the window title.
    title: &'static str,
    children: Children,
) -> impl IntoView {
    // Every step is a page load: when it follows something done on this site, the focus
    // starts on the new step's heading (see `ssr::arrived_from_step`); the first page of a
    // visit keeps the browser's own focus.
    #[cfg(feature = "ssr")]
    let step = crate::ssr::arrived_from_step();
    #[cfg(not(feature = "ssr"))]
    let step = false;
    let l = locale();
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
                <h1 class="card__title" id="page-title" tabindex="-1" autofocus=step>
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
