use super::{AtStep, RecoverPassword};
use crate::account::password_policy;
use crate::components::{FormAlert, NewPasswordField, Page, PasswordInput, SubmitButton};
use crate::error::{action_error, Field};
use domain::recovery::Step;
use domain::Policy;
use leptos::prelude::*;

/// `/recover/password`: new password with its live checklist and meter, confirmed once more.
#[component]
pub fn NewPasswordPage() -> impl IntoView {
    let action = ServerAction::<RecoverPassword>::new();
    let error = action_error(action);
    let policy = Resource::new(|| (), |_| password_policy());
    let policy = Signal::derive(move || policy.get().and_then(Result::ok).unwrap_or(Policy::Shop));
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
