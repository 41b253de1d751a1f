use crate::components::{
    FormAlert, Page, PasswordInput, Slider, SliderFor, SubmitButton, TextField,
};
use crate::error::{action_error, on_field, on_form, AccountError, Field};
use crate::lang::{link, locale, td_string};
use domain::pow::Puzzle;
use leptos::prelude::*;

/// Checks the e-mail and password; on success sets the session cookie and goes to `/account`.
/// After repeated failures the address also needs `pass`, from a passed slider challenge.
#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    pass: Option<String>,
) -> Result<(), AccountError> {
    use crate::ssr::{client, fail, field_error, internal, set_cookie, state};
    use backend::accounts::{self, LoginError};
    let state = state()?;
    let client = client().await;
    let pass = pass.filter(|p| !p.is_empty());
    match accounts::login_with_pass(&state, &email, &password, &client, pass.as_deref()).await {
        Ok(signed_in) => {
            set_cookie(&backend::sessions::set_cookie(&state, &signed_in.token));
            // Written with the session: this browser is known to the account from now on.
            set_cookie(&backend::devices::cookie_header(&state, &signed_in.device));
            leptos_axum::redirect("/account");
            Ok(())
        }
        Err(LoginError::Email(e)) => field_error(Field::Email, e),
        Err(LoginError::PasswordMissing) => {
            field_error(Field::Password, crate::error::Problem::PasswordMissing)
        }
        Err(LoginError::Incorrect) => fail(AccountError::Incorrect),
        Err(LoginError::Locked { retry_after_secs }) => fail(AccountError::Locked {
            minutes: (retry_after_secs + 59) / 60,
        }),
        Err(LoginError::ChallengeRequired) => fail(AccountError::ChallengeRequired),
        Err(LoginError::Busy) => fail(AccountError::Busy),
        Err(LoginError::Internal(e)) => internal("sign-in failed", e),
    }
}

/// A slider challenge for signing in to `email` (after repeated failures).
#[server(endpoint = "login_challenge")]
pub async fn login_challenge(email: String) -> Result<Puzzle, AccountError> {
    use crate::ssr::{client_network, field_error, issued, state};
    use backend::challenge::{self, Purpose};
    let state = state()?;
    let email = match domain::Email::parse(&email) {
        Ok(e) => e,
        Err(e) => return field_error(Field::Email, e),
    };
    let (account, network) =
        backend::accounts::login_subjects(&state, &email, &client_network().await);
    issued(challenge::issue(&state, Purpose::Login, &account, &network).await)
}

/// Judges a sign-in slider answer; the one-time pass for the next sign-in when it passed.
#[server(endpoint = "login_challenge_answer")]
pub async fn login_challenge_answer(
    email: String,
    token: String,
    movement: String,
    nonce: u32,
    extra: String,
) -> Result<Option<String>, AccountError> {
    use crate::ssr::{client_network, field_error, internal, state};
    use backend::challenge::{self, ChallengeError, Passed, Purpose};
    let state = state()?;
    let email = match domain::Email::parse(&email) {
        Ok(e) => e,
        Err(e) => return field_error(Field::Email, e),
    };
    let (account, network) =
        backend::accounts::login_subjects(&state, &email, &client_network().await);
    let extra = extra.parse::<u32>().ok();
    match challenge::answer(
        &state,
        Purpose::Login,
        &account,
        &network,
        &token,
        &movement,
        nonce,
        extra,
    )
    .await
    {
        Ok(Passed::LoginPass(pass)) => Ok(Some(pass)),
        Ok(Passed::Flow) | Err(ChallengeError::Failed | ChallengeError::TooMany { .. }) => Ok(None),
        Err(ChallengeError::Internal(e)) => internal("judging a challenge failed", e),
    }
}

/// `/login`: e-mail and password, with a way to recover and a way to sign up.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    crate::fixture::seed(action, crate::fixture::current().and_then(|f| f.error));
    let error = action_error(action);
    let notice = crate::fixture::query("notice");
    // After repeated failures the server answers "ChallengeRequired": the page comes back
    // with the slider, whose pass fills the hidden `pass` input.
    let needs_slider = move || matches!(error.get(), Some(AccountError::ChallengeRequired));
    let l = locale();
    let notice = move || match notice.get().as_deref() {
        Some("signed-out") => Some(td_string!(l, login.signed_out)),
        Some("everywhere") => Some(td_string!(l, login.signed_out_everywhere)),
        _ => None,
    };
    view! {
        <Page title=td_string!(l, login.title)>
            {move || notice().map(|n| view! { <p class="alert alert--info" role="status">{n}</p> })}
            <FormAlert error=on_form(error, l) />
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <TextField
                    label=td_string!(l, field.email)
                    name="email"
                    input_type="email"
                    autocomplete="username"
                    maxlength=254
                    error=on_field(error, Field::Email, l)
                />
                <PasswordInput
                    label=td_string!(l, field.password)
                    name="password"
                    autocomplete="current-password"
                    error=on_field(error, Field::Password, l)
                />
                <p class="form__aside">
                    <a href="/recover">{td_string!(l, login.forgot)}</a>
                </p>
                <input type="hidden" name="pass" id="login-pass" value="" />
                <Show when=needs_slider>
                    <Slider purpose=SliderFor::SignIn />
                </Show>
                <SubmitButton label=td_string!(l, login.submit) />
            </ActionForm>
            <p class="form-links">{link(&td_string!(l, login.new_here, <a> = "a"), "/register")}</p>
        </Page>
    }
}
