use crate::components::{FormAlert, Page, PasswordInput, SubmitButton, TextField};
use crate::error::{action_error, AccountError, Field};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Checks the e-mail and password; on success sets the session cookie and goes to `/account`.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AccountError> {
    use crate::ssr::{client_network, fail, field_error, internal, set_cookie, state};
    use backend::accounts::{self, LoginError};
    let state = state()?;
    let network = client_network().await;
    match accounts::login(&state, &email, &password, &network).await {
        Ok(token) => {
            set_cookie(&backend::sessions::set_cookie(&state, &token));
            leptos_axum::redirect("/account");
            Ok(())
        }
        Err(LoginError::Email(e)) => field_error(Field::Email, e),
        Err(LoginError::PasswordMissing) => field_error(Field::Password, "Enter your password."),
        Err(LoginError::Incorrect) => fail(AccountError::Incorrect),
        Err(LoginError::Locked { retry_after_secs }) => fail(AccountError::Locked {
            minutes: (retry_after_secs + 59) / 60,
        }),
        Err(LoginError::Busy) => fail(AccountError::Busy),
        Err(LoginError::Internal(e)) => internal("sign-in failed", e),
    }
}

/// `/login`: e-mail and password, with a way to recover and a way to sign up.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = action_error(action);
    let query = use_query_map();
    let notice = move || match query.read().get("notice").as_deref() {
        Some("signed-out") => Some("You're signed out."),
        Some("everywhere") => Some("You're signed out on every device."),
        _ => None,
    };
    view! {
        <Page title="Sign in">
            {move || notice().map(|n| view! { <p class="alert alert--info" role="status">{n}</p> })}
            <FormAlert error=Signal::derive(move || error.get().and_then(|e| e.for_form())) />
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <TextField
                    label="E-mail"
                    name="email"
                    input_type="email"
                    autocomplete="username"
                    maxlength=254
                    error=Signal::derive(move || error.get().and_then(|e| e.for_field(Field::Email)))
                />
                <PasswordInput
                    label="Password"
                    name="password"
                    autocomplete="current-password"
                    error=Signal::derive(move || error.get().and_then(|e| e.for_field(Field::Password)))
                />
                <p class="form__aside">
                    <a href="/recover">"Forgot password?"</a>
                </p>
                <SubmitButton label="Sign in" pending=action.pending() />
            </ActionForm>
            <p class="form-links">"New here? " <a href="/register">"Create an account"</a></p>
        </Page>
    }
}
