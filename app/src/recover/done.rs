use super::AtStep;
use crate::components::Page;
use domain::recovery::Step;
use leptos::prelude::*;

/// `/recover/done`: the password was changed; sign in again (never automatically).
#[component]
pub fn DonePage() -> impl IntoView {
    view! {
        <Page title="Your password was changed">
            <AtStep
                screen=Step::Done
                body=|_| {
                    view! {
                        <p class="card__lead">
                            "For your safety we signed you out on every device. Sign in with your new password."
                        </p>
                        <a class="button button--primary" href="/login">"Sign in"</a>
                    }
                }
            />
        </Page>
    }
}
