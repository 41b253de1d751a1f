use crate::components::{FormAlert, Page, SubmitButton, TextField};
use crate::error::{action_error, on_field, on_form, AccountError, Field};
use crate::lang::{link, locale, strong, td_string};
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
    let l = locale();
    view! {
        <Page title=td_string!(l, confirm.title)>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(Some(masked)) => {
                            view! {
                                <p class="card__lead">
                                    {strong(&td_string!(l, confirm.lead, masked, <b> = "b"))}
                                </p>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <p class="alert alert--info" role="status">
                                    {link(&td_string!(l, confirm.expired, <a> = "a"), "/register")}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <FormAlert error=on_form(error, l) />
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <TextField
                    label=td_string!(l, field.code)
                    name="code"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    maxlength=12
                    hint=td_string!(l, field.code_hint)
                    error=on_field(error, Field::Code, l)
                />
                <SubmitButton label=td_string!(l, confirm.submit) />
            </ActionForm>
            <p class="form-links">
                {link(&td_string!(l, confirm.no_code, <a> = "a"), "/register")}
            </p>
        </Page>
    }
}
