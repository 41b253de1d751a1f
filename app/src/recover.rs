//! The forgot-password journey: `/recover` → `/recover/verify` → `/recover/code` →
//! `/recover/password` → `/recover/done`.
//!
//! Each screen asks for this browser's flow and shows itself only at its step; a browser that
//! is out of order is sent to the flow's step, and one without a live flow to the start. The
//! server functions here only parse, call `backend::recovery`, and map its errors.

mod check;
mod code;
mod done;
mod password;
mod start;
mod verify;

pub use check::CheckPage;
pub use code::CodePage;
pub use done::DonePage;
pub use password::NewPasswordPage;
pub use start::RecoverPage;
pub use verify::VerifyPage;

use crate::error::AccountError;
use domain::recovery::{FlowView, Step};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use serde::{Deserialize, Serialize};

/// Where a browser without a live flow is sent.
pub const EXPIRED: &str = "/recover?expired=1";

/// This browser's flow, if it has a live one.
#[server(endpoint = "recovery_flow")]
pub async fn recovery_flow() -> Result<Option<FlowView>, AccountError> {
    use crate::ssr::{cookie, internal, state};
    let state = state()?;
    let Some(token) = cookie(backend::recovery::COOKIE) else {
        return Ok(None);
    };
    match backend::recovery::view(&state, &token).await {
        Ok(view) => Ok(view),
        Err(e) => internal("reading a recovery flow failed", e),
    }
}

/// Opens a recovery flow for `email` in this browser.
#[server(endpoint = "recover_start")]
pub async fn recover_start(email: String) -> Result<(), AccountError> {
    use crate::ssr::{client, cookie, set_cookie, state};
    use backend::recovery::{self, COOKIE};
    let state = state()?;
    let client = client().await;
    let previous = cookie(COOKIE);
    match recovery::start_from(&state, &email, previous.as_deref(), &client).await {
        Ok(started) => {
            set_cookie(&backend::sessions::cookie_header(
                COOKIE,
                &started.token,
                state.config.recovery_flow_secs,
                state.config.cookie_secure,
            ));
            leptos_axum::redirect(started.step.path());
            Ok(())
        }
        Err(e) => answer(e),
    }
}

/// A new slider challenge for this browser's flow (`None` when the flow is not at that step).
#[server(endpoint = "recover_challenge")]
pub async fn recover_challenge() -> Result<Option<domain::pow::Puzzle>, AccountError> {
    use crate::ssr::{client_network, cookie, internal, issued, state};
    use backend::challenge::{self, Purpose};
    let state = state()?;
    let Some(token) = cookie(backend::recovery::COOKIE) else {
        return Ok(None);
    };
    match backend::recovery::view(&state, &token).await {
        Ok(Some(view)) if view.step == Step::Challenge => {}
        Ok(_) => return Ok(None),
        Err(e) => return internal("reading a recovery flow failed", e),
    }
    let network = backend::recovery::network_subject(&state, &client_network().await);
    let flow = backend::recovery::flow_key(&token);
    issued(challenge::issue(&state, Purpose::Recover, &flow, &network).await).map(Some)
}

/// Judges a slider answer; `true` when it passed (the flow is then at "Verify your identity").
#[server(endpoint = "recover_challenge_answer")]
pub async fn recover_challenge_answer(
    token: String,
    movement: String,
    nonce: u32,
    extra: String,
) -> Result<bool, AccountError> {
    use crate::ssr::{client_network, cookie, internal, state};
    use backend::challenge::{self, ChallengeError, Purpose};
    let state = state()?;
    let Some(flow_token) = cookie(backend::recovery::COOKIE) else {
        return Ok(false);
    };
    let network = backend::recovery::network_subject(&state, &client_network().await);
    let flow = backend::recovery::flow_key(&flow_token);
    let extra = extra.parse::<u32>().ok();
    match challenge::answer(
        &state,
        Purpose::Recover,
        &flow,
        &network,
        &token,
        &movement,
        nonce,
        extra,
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(ChallengeError::Failed | ChallengeError::TooMany { .. }) => Ok(false),
        // Fails closed: a database error never passes.
        Err(ChallengeError::Internal(e)) => internal("judging a challenge failed", e),
    }
}

/// What the code screen needs after a code was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// Seconds until the next resend.
    pub resend_in: i64,
}

/// Sends a code ("Send me a verification code", "Resend code").
#[server(endpoint = "recover_send")]
pub async fn recover_send() -> Result<Sent, AccountError> {
    use crate::ssr::{client_network, cookie, state};
    let state = state()?;
    let network = client_network().await;
    let Some(token) = cookie(backend::recovery::COOKIE) else {
        return answer(backend::recovery::RecoveryError::NoFlow);
    };
    match backend::recovery::send_code(&state, &token, &network).await {
        Ok(step) => {
            leptos_axum::redirect(step.path());
            Ok(Sent {
                resend_in: state.config.resend_cooldown_secs,
            })
        }
        Err(e) => answer(e),
    }
}

/// Checks the typed code.
#[server(endpoint = "recover_check")]
pub async fn recover_check(code: String) -> Result<(), AccountError> {
    use crate::ssr::{client_network, cookie, state};
    let state = state()?;
    let network = client_network().await;
    let Some(token) = cookie(backend::recovery::COOKIE) else {
        return answer(backend::recovery::RecoveryError::NoFlow);
    };
    let device = cookie(backend::devices::COOKIE);
    match backend::recovery::check_code_on_device(
        &state,
        &token,
        &code,
        &network,
        device.as_deref(),
    )
    .await
    {
        Ok(next) => {
            leptos_axum::redirect(next.path());
            Ok(())
        }
        Err(e) => answer(e),
    }
}

/// Sets the new password with the flow's single-use grant.
#[server(endpoint = "recover_password")]
pub async fn recover_password(password: String, confirm: String) -> Result<(), AccountError> {
    use crate::ssr::{cookie, state};
    let state = state()?;
    let Some(token) = cookie(backend::recovery::COOKIE) else {
        return answer(backend::recovery::RecoveryError::NoFlow);
    };
    let device = cookie(backend::devices::COOKIE);
    match backend::recovery::set_password_on_device(
        &state,
        &token,
        &password,
        &confirm,
        device.as_deref(),
    )
    .await
    {
        Ok(set) => {
            crate::ssr::set_cookie(&backend::devices::cookie_header(&state, &set.device));
            leptos_axum::redirect(Step::Done.path());
            Ok(())
        }
        Err(e) => answer(e),
    }
}

/// Maps a recovery error to what the browser sees. A missing flow or a step out of order is
/// not an error to show: the browser is sent where it belongs.
#[cfg(feature = "ssr")]
fn answer<T: Default>(e: backend::recovery::RecoveryError) -> Result<T, AccountError> {
    use crate::error::Field;
    use crate::ssr::{fail, field_error, internal};
    use backend::recovery::RecoveryError as E;
    let minutes = |secs: i64| (secs + 59) / 60;
    match e {
        E::NoFlow => {
            leptos_axum::redirect(EXPIRED);
            Ok(T::default())
        }
        E::OutOfOrder { step } => {
            leptos_axum::redirect(step.path());
            Ok(T::default())
        }
        E::Email(e) => field_error(Field::Email, e),
        E::Code(e) => field_error(Field::Code, e),
        E::Password(m) => field_error(Field::Password, m),
        E::Mismatch => field_error(Field::Confirm, crate::error::Problem::Mismatch),
        E::CoolDown { retry_after_secs } => fail(AccountError::CoolDown {
            seconds: retry_after_secs,
        }),
        E::TooManyCodes => fail(AccountError::TooManyCodes),
        E::WrongCode { tries_left } => fail(AccountError::WrongCode { tries_left }),
        E::CodeDead => fail(AccountError::RecoveryCodeDead),
        E::AccountLocked => fail(AccountError::RecoveryLocked),
        // Past the address's daily limit of wrong codes: the slider again, saying why.
        E::SliderAgain => {
            leptos_axum::redirect(&format!("{}?again=1", Step::Challenge.path()));
            Ok(T::default())
        }
        E::TooMany { retry_after_secs } => fail(AccountError::Throttled {
            minutes: minutes(retry_after_secs),
        }),
        E::SmsUnavailable => fail(AccountError::SmsUnavailable),
        E::Busy => fail(AccountError::Busy),
        E::Internal(e) => internal("a recovery step failed", e),
    }
}

/// Shows `body` when this browser's flow is at `screen`; otherwise sends the browser to the
/// flow's step, or to the start when there is no live flow.
#[component]
fn AtStep<V, F>(screen: Step, body: F) -> impl IntoView
where
    F: Fn(FlowView) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    if let Some(view) = crate::fixture::current().and_then(|f| f.flow) {
        return body(view).into_any();
    }
    let flow = Resource::new(|| (), |_| recovery_flow());
    view! {
        <Suspense fallback=|| ()>
            {
                let body = body.clone();
                move || {
                    let body = body.clone();
                    Suspend::new(async move {
                        match flow.await {
                            Ok(Some(view)) if view.step.shows(screen) => body(view).into_any(),
                            Ok(Some(view)) => view! { <Redirect path=view.step.path() /> }.into_any(),
                            Ok(None) => view! { <Redirect path=EXPIRED /> }.into_any(),
                            Err(e) => {
                                view! { <p class="alert alert--error" role="alert">{e.message(crate::lang::locale())}</p> }
                                    .into_any()
                            }
                        }
                    })
                }
            }
        </Suspense>
    }
    .into_any()
}

/// Back at the slider after too many wrong codes (`?again=1`): why, and what comes next.
#[component]
pub(crate) fn AgainNotice() -> impl IntoView {
    let text = crate::lang::td_string!(crate::lang::locale(), recover.check.again_notice);
    view! { <QueryNotice param="again" text=text /> }
}

/// After "This wasn't me" (`?secured=1`): what was done, and what comes next.
#[component]
pub(crate) fn SecuredNotice() -> impl IntoView {
    let text = crate::lang::td_string!(crate::lang::locale(), recover.secured_notice);
    view! { <QueryNotice param="secured" text=text /> }
}

/// A notice shown while the page's address carries `param`, which the redirect that brought
/// the shopper here set.
#[component]
fn QueryNotice(param: &'static str, text: &'static str) -> impl IntoView {
    let present = crate::fixture::query(param);
    view! {
        <Show when=move || present.get().is_some()>
            <p class="alert alert--info" role="status">{text}</p>
        </Show>
    }
}
