//! Rekey's pages, components and server functions.
//!
//! Built twice: with `ssr` for the server (server functions run their bodies, and may use the
//! server-only `backend` crate) and with `hydrate` for the browser (server functions become HTTP
//! calls). Pages render on the server only; every form is an `ActionForm` posted as plain
//! HTML, so it works the same before the WebAssembly has loaded or with JavaScript off. Only
//! the interactive parts are islands (`#[island]`), hydrated in the browser from their props.

pub mod account;
pub mod components;
pub mod error;
pub mod fixture;
pub mod gallery;
pub mod lang;
pub mod recover;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Html, MetaTags, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};
use std::sync::Arc;

/// Where this build's stylesheet is served (`/pkg/rekey.<hash>.css`), named once when the
/// server starts and provided to every render.
#[derive(Debug, Clone)]
pub struct Stylesheet(pub Arc<str>);

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = use_context::<Stylesheet>().map_or_else(
        || format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
        |s| s.0.to_string(),
    );
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link id="leptos" rel="stylesheet" href=stylesheet />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The routes of every screen.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The page's language, and `<html lang dir>`: see `lang` for how it is chosen.
    let l = lang::provide();
    let dir = if texts::is_rtl(l) { "rtl" } else { "ltr" };
    view! {
        <Html {..} lang=texts::code(l) dir=dir />
        <Title formatter=move |title| lang::td_string!(l, title_suffix, title) />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=|| view! { <Redirect path="/account" /> } />
                <Route path=path!("/login") view=account::LoginPage />
                // Pages that wait for data render it fully before the first byte (Async): streamed
                // Suspense content needs JavaScript to appear, and every page must work without
                // it. On /account this also makes "signed out" a real 302 to /login.
                <Route path=path!("/register") view=account::RegisterPage ssr=SsrMode::Async />
                <Route
                    path=path!("/register/confirm")
                    view=account::ConfirmPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/account") view=account::AccountPage ssr=SsrMode::Async />
                <Route
                    path=path!("/account/activity")
                    view=account::ActivityPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/wasnt-me") view=account::WasntMePage ssr=SsrMode::Async />
                <Route path=path!("/recover") view=recover::RecoverPage />
                // Development only: the server answers 404 here in production mode.
                <Route path=path!("/dev/gallery") view=gallery::GalleryPage />
                <Route path=path!("/dev/gallery/:state") view=gallery::StatePage />
                <Route
                    path=path!("/recover/verify")
                    view=recover::VerifyPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/recover/check") view=recover::CheckPage ssr=SsrMode::Async />
                <Route
                    path=path!("/recover/code")
                    view=|| view! { <recover::CodePage screen=domain::recovery::Step::Code /> }
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/recover/sms")
                    view=|| view! { <recover::CodePage screen=domain::recovery::Step::Sms /> }
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/recover/password")
                    view=recover::NewPasswordPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("/recover/done") view=recover::DonePage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

#[component]
pub(crate) fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let l = lang::locale();
    view! {
        <components::Page title=lang::td_string!(l, not_found.title)>
            <p class="card__lead">{lang::td_string!(l, not_found.lead)}</p>
            <p class="form-links">
                <a href="/login">{lang::td_string!(l, not_found.to_login)}</a>
            </p>
        </components::Page>
    }
}
