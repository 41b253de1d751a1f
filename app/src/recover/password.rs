use super::{AtStep, RecoverPassword};
use crate::components::{FormAlert, NewPasswordField, Page, PasswordInput, SubmitButton};
use crate::error::{action_error, Field};
use domain::recovery::Step;
use leptos::prelude::*;

/// `/recover/password`: new password with its live checklist and meter, confirmed once more.
#[component]
pub fn NewPasswordPage() -> impl IntoView {
    let action = ServerAction::<RecoverPassword>::new();
    crate::fixture::seed(action, crate::fixture::current().and_then(|f| f.error));
    let error = action_error(action);
    let policy = crate::fixture::password_policy();
    view! {
        <Page title="Create a new password">
            <AtStep
                screen=Step::Password
                body=move |flow| {
                    let email = flow.email.clone().unwrap_or_default();
                    view! {
                        <p class="card__lead">
                            "For " <strong>{flow.masked.clone()}</strong>
                            ". Choose a password you don't use on any other site."
                        </p>
                        <FormAlert error=Signal::derive(move || error.get().and_then(|e| e.for_form())) />
                        <ActionForm action=action attr:class="form" attr:novalidate=true>
                            <NewPasswordField
                                label="New password"
                                name="password"
                                policy=policy
                                email=Signal::derive(move || email.clone())
                                error=Signal::derive(move || {
                                    error.get().and_then(|e| e.for_field(Field::Password))
                                })
                            />
                            <PasswordInput
                                label="Confirm new password"
                                name="confirm"
                                autocomplete="new-password"
                                error=Signal::derive(move || {
                                    error.get().and_then(|e| e.for_field(Field::Confirm))
                                })
                            />
                            <SubmitButton label="Save password" pending=action.pending() />
                        </ActionForm>
                    }
                }
            />
        </Page>
    }
}
