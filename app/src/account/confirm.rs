use crate::components::{FormAlert, Page, SubmitButton, TextField};
use crate::error::{action_error, AccountError, Field};
use leptos::prelude::*;

/// The masked address of this browser's pending sign-up, if any.
#[server(endpoint = "pending_signup")]
pub async fn pending_signup() -> Result<Option<String>, AccountError> {
    use crate::ssr::{cookie, internal, state};
    let state = state()?;
    let Some(token) = cookie(backend::accounts::SIGNUP_COOKIE) else {
        return Ok(None);
    };
    match backend::accounts::pending_signup(&state, &token).await {
        Ok(masked) => Ok(masked),
        Err(e) => internal("reading a pending sign-up failed", e),
    }
}

/// Checks the sign-up code; on success the account exists and this browser is signed in.
#[server(endpoint = "confirm_signup")]
pub async fn confirm_signup(code: String) -> Result<(), AccountError> {
    use crate::ssr::{client, cookie, fail, field_error, internal, set_cookie, state};
    use backend::accounts::{self, ConfirmError, SIGNUP_COOKIE};
    let state = state()?;
    let Some(token) = cookie(SIGNUP_COOKIE) else {
        return fail(AccountError::NoSignup);
    };
    match accounts::confirm_signup_from(&state, &token, &code, &client().await).await {
        Ok(session) => {
            set_cookie(&backend::sessions::set_cookie(&state, &session));
            // The browser that created the account is a known device from now on: signing in
            // here again is not a "new sign-in".
            if let Ok(Some(user)) = backend::sessions::lookup(&state, &session).await {
                crate::ssr::remember_device(&state, &user.user_id).await;
            }
            set_cookie(&backend::sessions::cookie_header(
                SIGNUP_COOKIE,
                "",
                0,
                state.config.cookie_secure,
            ));
            leptos_axum::redirect("/account");
            Ok(())
        }
        Err(ConfirmError::Code(e)) => field_error(Field::Code, e),
        Err(ConfirmError::WrongCode { tries_left }) => fail(AccountError::WrongCode { tries_left }),
        Err(ConfirmError::CodeDead) => fail(AccountError::CodeDead),
        Err(ConfirmError::NoSignup) => fail(AccountError::NoSignup),
        Err(ConfirmError::Internal(e)) => internal("confirming a sign-up failed", e),
    }
}

/// `/register/confirm`: "check your inbox" and the six-digit code.
#[component]
pub fn ConfirmPage() -> impl IntoView {
    let action = ServerAction::<ConfirmSignup>::new();
    let fixture = crate::fixture::current();
    crate::fixture::seed(action, fixture.as_ref().and_then(|f| f.error.clone()));
    let error = action_error(action);
    let pending = Resource::new(
        || (),
        move |_| {
            let fixture = fixture.clone();
            async move {
                match fixture {
                    Some(f) => Ok(f.pending_signup.map(str::to_string)),
                    None => pending_signup().await,
                }
            }
        },
    );
    view! {
        <Page title="Check your inbox">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(Some(masked)) => {
                            view! {
                                <p class="card__lead">
                                    "We sent a 6-digit code to " <strong>{masked}</strong>
                                    ". Enter it below to finish creating your account."
                                </p>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <p class="alert alert--info" role="status">
                                    "This sign-up has expired or was already used. "
                                    <a href="/register">"Start again"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <FormAlert error=Signal::derive(move || error.get().and_then(|e| e.for_form())) />
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <TextField
                    label="Verification code"
                    name="code"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    maxlength=12
                    hint="6 digits. You can paste the whole code."
                    error=Signal::derive(move || error.get().and_then(|e| e.for_field(Field::Code)))
                />
                <SubmitButton label="Confirm" pending=action.pending() />
            </ActionForm>
            <p class="form-links">
                "Didn't get it? Check your spam folder, or " <a href="/register">"start again"</a>
            </p>
        </Page>
    }
}
