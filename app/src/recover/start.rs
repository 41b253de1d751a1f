use super::RecoverStart;
use crate::components::{FormAlert, Page, SubmitButton, TextField};
use crate::error::{action_error, Field};
use leptos::prelude::*;

/// `/recover`: the e-mail of the account, then "Continue".
#[component]
pub fn RecoverPage() -> impl IntoView {
    let action = ServerAction::<RecoverStart>::new();
    crate::fixture::seed(action, crate::fixture::current().and_then(|f| f.error));
    let error = action_error(action);
    let expired = crate::fixture::query("expired");
    let expired = move || expired.get().is_some();
    view! {
        <Page title="Forgot your password?">
            <p class="card__lead">
                "Enter the e-mail address of your account and we'll help you get back in."
            </p>
            <Show when=expired>
                <p class="alert alert--info" role="status">
                    "Your password reset expired or was already used. Please start again."
                </p>
            </Show>
            <super::SecuredNotice />
            <FormAlert error=Signal::derive(move || error.get().and_then(|e| e.for_form())) />
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <TextField
                    label="E-mail"
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    maxlength=254
                    error=Signal::derive(move || error.get().and_then(|e| e.for_field(Field::Email)))
                />
                <SubmitButton label="Continue" pending=action.pending() />
            </ActionForm>
            <p class="form-links">
                "Remembered it? " <a href="/login">"Back to sign in"</a>
            </p>
        </Page>
    }
}
