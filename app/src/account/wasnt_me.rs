//! `/wasnt-me?token=…`: the page the "This wasn't me" link of a notification e-mail opens.
//!
//! Opening it changes nothing (mail scanners fetch links); the button posts, and only that
//! signs the account out everywhere and starts a fresh recovery for the owner in this browser.

use crate::components::{FormAlert, Page, SubmitButton};
use crate::error::{action_error, on_form, AccountError};
use crate::lang::{link, locale, td_string};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the e-mail reported, if its link can still be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// `password_reset` or `signed_in_new_device`.
    pub event: String,
    pub reported_at: i64,
}

/// Reads the link `token` without using it.
#[server(endpoint = "wasnt_me_report")]
pub async fn wasnt_me_report(token: String) -> Result<Option<Reported>, AccountError> {
    use crate::ssr::{internal, state};
    let state = state()?;
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    match backend::disown::peek(&state, &token).await {
        Ok(report) => Ok(report.map(|r| Reported {
            event: r.event,
            reported_at: r.reported_at,
        })),
        Err(e) => internal("reading a \"This wasn't me\" link failed", e),
    }
}

/// Uses the link `token`: signs the account out everywhere, closes its recovery flows, asks
/// for the SMS step from now on, and opens a fresh recovery in this browser.
#[server(endpoint = "secure_account")]
pub async fn secure_account(token: String) -> Result<(), AccountError> {
    use crate::ssr::{client, cookie, fail, internal, set_cookie, state};
    use backend::disown::{self, DisownError};
    use backend::recovery::COOKIE;
    let state = state()?;
    if token.is_empty() || token.len() > 128 {
        return fail(AccountError::LinkUsed);
    }
    let previous = cookie(COOKIE);
    match disown::secure(&state, &token, previous.as_deref(), &client().await).await {
        Ok(secured) => {
            set_cookie(&backend::sessions::clear_cookie(&state));
            match secured.flow {
                Some(flow) => {
                    set_cookie(&backend::sessions::cookie_header(
                        COOKIE,
                        &flow.token,
                        state.config.recovery_flow_secs,
                        state.config.cookie_secure,
                    ));
                    leptos_axum::redirect(&format!("{}?secured=1", flow.step.path()));
                }
                None => leptos_axum::redirect("/recover?secured=1"),
            }
            Ok(())
        }
        Err(DisownError::Invalid) => fail(AccountError::LinkUsed),
        Err(DisownError::Internal(e)) => internal("securing an account failed", e),
    }
}

/// `/wasnt-me?token=…`.
#[component]
pub fn WasntMePage() -> impl IntoView {
    let token = crate::fixture::query("token");
    let fixture = crate::fixture::current();
    let report = Resource::new(
        move || token.get().unwrap_or_default(),
        move |token| {
            let fixture = fixture.clone();
            async move {
                match fixture {
                    Some(f) => Ok(f.report),
                    None => wasnt_me_report(token).await,
                }
            }
        },
    );
    let secure = ServerAction::<SecureAccount>::new();
    crate::fixture::seed(
        secure,
        crate::fixture::current().and_then(|f| f.error.clone()),
    );
    let error = action_error(secure);
    let l = locale();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Some(reported)) => {
                        let when = texts::moment(l, reported.reported_at);
                        let lead = match reported.event.as_str() {
                            "password_reset" => td_string!(l, wasnt_me.lead_password, when),
                            _ => td_string!(l, wasnt_me.lead_sign_in, when),
                        };
                        view! {
                            <Page title=td_string!(l, wasnt_me.title)>
                                <p class="card__lead">{lead}</p>
                                <ul class="checklist-plain">
                                    <li>{td_string!(l, wasnt_me.step_sign_out)}</li>
                                    <li>{td_string!(l, wasnt_me.step_cancel)}</li>
                                    <li>{td_string!(l, wasnt_me.step_checks)}</li>
                                    <li>{td_string!(l, wasnt_me.step_choose)}</li>
                                </ul>
                                <FormAlert error=on_form(error, l) />
                                <ActionForm action=secure attr:class="form">
                                    <input
                                        type="hidden"
                                        name="token"
                                        value=move || token.get().unwrap_or_default()
                                    />
                                    <SubmitButton
                                        label=td_string!(l, wasnt_me.submit)
                                        danger=true
                                    />
                                </ActionForm>
                                <p class="form-links">
                                    {link(&td_string!(l, wasnt_me.was_me, <a> = "a"), "/account")}
                                </p>
                            </Page>
                        }
                            .into_any()
                    }
                    Ok(None) => {
                        view! {
                            <Page title=td_string!(l, wasnt_me.used_title)>
                                <p class="card__lead">{td_string!(l, wasnt_me.used_lead)}</p>
                                <a class="button button--primary" href="/recover">{td_string!(l, wasnt_me.reset)}</a>
                            </Page>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <Page title=td_string!(l, wasnt_me.error_title)>
                                <p class="alert alert--error" role="alert">{e.message(l)}</p>
                            </Page>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
