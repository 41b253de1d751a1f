use crate::components::{FormAlert, Live, NewPasswordField, Page, SubmitButton, TextField};
use crate::error::{action_error, on_field, on_form, AccountError, Field};
use crate::lang::{link, locale, td_string};
use leptos::prelude::*;

/// Starts a sign-up: the same answer whether or not the address is taken (see `backend::accounts`).
#[server(endpoint = "register")]
pub async fn register(email: String, password: String, phone: String) -> Result<(), AccountError> {
    use crate::ssr::{fail, field_error, internal, set_cookie, state};
    use backend::accounts::{self, SignupError};
    let state = state()?;
    match accounts::start_signup(&state, &email, &password, &phone, crate::ssr::language()).await {
        Ok(started) => {
            set_cookie(&backend::sessions::cookie_header(
                accounts::SIGNUP_COOKIE,
                &started.token,
                state.config.code_lifetime_secs,
                state.config.cookie_secure,
            ));
            leptos_axum::redirect("/register/confirm");
            Ok(())
        }
        Err(SignupError::Email(e)) => field_error(Field::Email, e),
        Err(SignupError::Password(m)) => field_error(Field::Password, m),
        Err(SignupError::Phone(e)) => field_error(Field::Phone, e),
        Err(SignupError::TooMany { retry_after_secs }) => fail(AccountError::Locked {
            minutes: (retry_after_secs + 59) / 60,
        }),
        Err(SignupError::Busy) => fail(AccountError::Busy),
        Err(SignupError::Internal(e)) => internal("sign-up failed", e),
    }
}

/// `/register`: e-mail, a new password with its live checklist, an optional phone.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    crate::fixture::seed(action, crate::fixture::current().and_then(|f| f.error));
    let error = action_error(action);
    let policy = crate::fixture::password_policy();
    let l = locale();
    view! {
        <Page title=td_string!(l, register.title)>
            <FormAlert error=on_form(error, l) />
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <TextField
                    label=td_string!(l, field.email)
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    maxlength=254
                    live=Live::Email
                    error=on_field(error, Field::Email, l)
                />
                <Transition fallback=|| ()>
                    <NewPasswordField
                        name="password"
                        policy=policy
                        error=on_field(error, Field::Password, l)
                    />
                </Transition>
                <TextField
                    label=td_string!(l, field.phone_optional)
                    name="phone"
                    input_type="tel"
                    autocomplete="tel"
                    hint=td_string!(l, field.phone_hint)
                    maxlength=40
                    error=on_field(error, Field::Phone, l)
                />
                <SubmitButton label=td_string!(l, register.submit) />
            </ActionForm>
            <p class="form-links">{link(&td_string!(l, register.have_account, <a> = "a"), "/login")}</p>
        </Page>
    }
}
