use leptos::prelude::*;
use leptos_meta::Title;

/// The frame of every screen: the shop's header and one card with the step's heading.
#[component]
pub fn Page(
    /// The heading, also used in the window title.
    title: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <Title text=title />
        <header class="site-header">
            <a class="site-header__brand" href="/">
                <span class="site-header__logo" aria-hidden="true">"R"</span>
                "Rekey Shop"
            </a>
        </header>
        <main class="page">
            <section class="card" aria-labelledby="page-title">
                <h1 class="card__title" id="page-title" tabindex="-1">
                    {title}
                </h1>
                {children()}
            </section>
            <p class="page__support">
                "Need help? " <a href="mailto:support@example.com">"Contact support"</a>
            </p>
        </main>
    }
}
