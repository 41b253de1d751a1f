//! The forgot-password journey. Only its entry exists so far; the steps arrive with their issue.

use crate::components::Page;
use leptos::prelude::*;

/// `/recover`: the entry of the recovery journey (coming soon).
#[component]
pub fn RecoverPage() -> impl IntoView {
    view! {
        <Page title="Forgot password?">
            <p class="card__lead">
                "Resetting a password online is coming soon. Until then, our support team can help you get back in."
            </p>
            <p class="form-links">
                <a href="/login">"Back to sign in"</a>
            </p>
        </Page>
    }
}
