use super::{AtStep, RecoverPassword};
use crate::components::{FormAlert, NewPasswordField, Page, PasswordInput, SubmitButton};
use crate::error::{action_error, on_field, on_form, Field};
use crate::lang::{locale, strong, td_string};
use domain::recovery::Step;
use leptos::prelude::*;

/// `/recover/password`: new password with its live checklist and meter, confirmed once more.
#[component]
pub fn NewPasswordPage() -> impl IntoView {
    let action = ServerAction::<RecoverPassword>::new();
    crate::fixture::seed(action, crate::fixture::current().and_then(|f| f.error));
    let error = action_error(action);
    let policy = crate::fixture::password_policy();
    let l = locale();
    view! {
        <Page title=td_string!(l, recover.password.title)>
            <AtStep
                screen=Step::Password
                body=move |flow| {
                    let email = flow.email.clone().unwrap_or_default();
                    view! {
                        <p class="card__lead">
                            {strong(&td_string!(l, recover.password.lead, masked = flow.masked.clone(), <b> = "b"))}
                        </p>
                        <FormAlert error=on_form(error, l) />
                        <ActionForm action=action attr:class="form" attr:novalidate=true>
                            // The account the new password is for, to password managers (as
                            // Chromium advises for a password-change form): never shown, and
                            // without a name never sent.
                            <input type="email" autocomplete="username" value=email.clone() hidden readonly />
                            <NewPasswordField
                                label=td_string!(l, field.new_password)
                                name="password"
                                policy=policy
                                email=email.clone()
                                error=on_field(error, Field::Password, l)
                            />
                            <PasswordInput
                                label=td_string!(l, field.confirm_password)
                                name="confirm"
                                autocomplete="new-password"
                                error=on_field(error, Field::Confirm, l)
                            />
                            <SubmitButton label=td_string!(l, recover.password.submit) />
                        </ActionForm>
                    }
                }
            />
        </Page>
    }
}
