use super::RecoverStart;
use crate::components::{FormAlert, Page, SubmitButton, TextField};
use crate::error::{action_error, on_field, on_form, Field};
use crate::lang::{link, locale, td_string};
use leptos::prelude::*;

/// `/recover`: the e-mail of the account, then "Continue".
#[component]
pub fn RecoverPage() -> impl IntoView {
    let action = ServerAction::<RecoverStart>::new();
    crate::fixture::seed(action, crate::fixture::current().and_then(|f| f.error));
    let error = action_error(action);
    let expired = crate::fixture::query("expired");
    let expired = move || expired.get().is_some();
    let l = locale();
    view! {
        <Page title=td_string!(l, recover.start.title)>
            <p class="card__lead">{td_string!(l, recover.start.lead)}</p>
            <Show when=expired>
                <p class="alert alert--info" role="status">
                    {td_string!(l, recover.expired_notice)}
                </p>
            </Show>
            <super::SecuredNotice />
            <FormAlert error=on_form(error, l) />
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <TextField
                    label=td_string!(l, field.email)
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    maxlength=254
                    error=on_field(error, Field::Email, l)
                />
                <SubmitButton label=td_string!(l, recover.start.submit) />
            </ActionForm>
            <p class="form-links">
                {link(&td_string!(l, recover.start.remembered, <a> = "a"), "/login")}
            </p>
        </Page>
    }
}
