use crate::components::{FormAlert, Page, PasswordInput, SubmitButton, TextField};
use crate::error::{action_error, on_field, on_form, AccountError, Field};
use crate::lang::{locale, strong, td_string};
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Adds, changes or removes (empty) the phone number; needs the current password.
#[server(endpoint = "change_phone")]
pub async fn change_phone(phone: String, password: String) -> Result<(), AccountError> {
    use crate::ssr::{client, current_user, fail, field_error, internal, state};
    use backend::accounts::PhoneChangeError as E;
    let state = state()?;
    let Some(user) = current_user().await? else {
        return fail(AccountError::NotSignedIn);
    };
    match backend::accounts::change_phone(&state, &user.user_id, &phone, &password, &client().await)
        .await
    {
        Ok(()) => {
            leptos_axum::redirect("/account?notice=phone");
            Ok(())
        }
        Err(E::Phone(e)) => field_error(Field::Phone, e),
        Err(E::Incorrect) => field_error(Field::Password, crate::error::Problem::PasswordWrong),
        Err(E::Busy) => fail(AccountError::Busy),
        Err(E::Internal(e)) => internal("changing a phone number failed", e),
    }
}

use domain::account::Session;

/// Signs out one other browser of this account (its row's "Sign out").
#[server(endpoint = "sign_out_device")]
pub async fn sign_out_device(id: String) -> Result<(), AccountError> {
    use crate::ssr::{client, current_user, fail, internal, state};
    let state = state()?;
    let Some(user) = current_user().await? else {
        return fail(AccountError::NotSignedIn);
    };
    match backend::sessions::revoke_one(&state, &user.user_id, &id, &client().await).await {
        // Already gone (signed out elsewhere, expired) is what was asked for.
        Ok(_) => {
            leptos_axum::redirect("/account?notice=device");
            Ok(())
        }
        Err(e) => internal("signing out a device failed", e),
    }
}

/// What `/account` shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Overview {
    pub email: String,
    pub phone: Option<String>,
    pub sessions: Vec<Session>,
}

/// Everything `/account` shows, in one call; `None` when signed out.
#[server(endpoint = "account_overview")]
pub async fn account_overview() -> Result<Option<Overview>, AccountError> {
    use crate::ssr::{cookie, current_user, internal, state};
    let state = state()?;
    let (Some(user), Some(token)) = (current_user().await?, cookie(backend::sessions::COOKIE))
    else {
        return Ok(None);
    };
    let phone = match backend::accounts::masked_phone(&state, &user.user_id).await {
        Ok(phone) => phone,
        Err(e) => return internal("reading a phone number failed", e),
    };
    match backend::sessions::list(&state, &user.user_id, &token).await {
        Ok(list) => Ok(Some(Overview {
            email: user.email,
            phone,
            sessions: list,
        })),
        Err(e) => internal("listing sessions failed", e),
    }
}

/// Ends this browser's session.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AccountError> {
    use crate::ssr::{cookie, internal, set_cookie, state};
    let state = state()?;
    if let Some(token) = cookie(backend::sessions::COOKIE) {
        if let Err(e) = backend::sessions::revoke(&state, &token).await {
            return internal("sign-out failed", e);
        }
    }
    set_cookie(&backend::sessions::clear_cookie(&state));
    leptos_axum::redirect("/login?notice=signed-out");
    Ok(())
}

/// Ends every session of the signed-in user, on every device.
#[server(endpoint = "logout_everywhere")]
pub async fn logout_everywhere() -> Result<(), AccountError> {
    use crate::ssr::{current_user, fail, internal, set_cookie, state};
    let state = state()?;
    let Some(user) = current_user().await? else {
        return fail(AccountError::NotSignedIn);
    };
    let client = crate::ssr::client().await;
    if let Err(e) = backend::accounts::sign_out_everywhere(&state, &user.user_id, &client).await {
        return internal("sign-out everywhere failed", e);
    }
    set_cookie(&backend::sessions::clear_cookie(&state));
    leptos_axum::redirect("/login?notice=everywhere");
    Ok(())
}

/// `/account`: who is signed in, sign out, sign out everywhere. Signed out → `/login`.
#[component]
pub fn AccountPage() -> impl IntoView {
    // One resource, one server call, for everything the page shows; refetched after either
    // action.
    let change = ServerAction::<ChangePhone>::new();
    let sign_out_device = ServerAction::<SignOutDevice>::new();
    let fixture = crate::fixture::current().and_then(|f| f.account);
    let overview = Resource::new(
        move || (change.version().get(), sign_out_device.version().get()),
        move |_| {
            let fixture = fixture.clone();
            async move {
                match fixture {
                    Some(a) => Ok(Some(Overview {
                        email: a.email,
                        phone: a.phone,
                        sessions: a.sessions,
                    })),
                    None => account_overview().await,
                }
            }
        },
    );
    let error = action_error(change);
    let notice = crate::fixture::query("notice");
    let saved = move || notice.get().as_deref() == Some("phone");
    let device_out = move || notice.get().as_deref() == Some("device");
    let logout = ServerAction::<Logout>::new();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    let l = locale();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(Some(Overview { email, phone, sessions })) => {
                        view! {
                            <Page title=td_string!(l, account.title)>
                                <p class="card__lead">{strong(&td_string!(l, account.signed_in_as, email, <b> = "b"))}</p>
                                <ActionForm action=logout attr:class="form form--inline">
                                    <button type="submit" class="button button--primary">
                                        {td_string!(l, account.sign_out)}
                                    </button>
                                </ActionForm>
                                <ActionForm action=everywhere attr:class="form form--inline">
                                    <button type="submit" class="button button--secondary">
                                        {td_string!(l, account.sign_out_everywhere)}
                                    </button>
                                </ActionForm>
                                <p class="form-links">
                                    {td_string!(l, account.everywhere_explain)}
                                </p>
                                <h2 class="card__subtitle">{td_string!(l, account.where_signed_in)}</h2>
                                <Show when=device_out>
                                    <p class="alert alert--info" role="status">{td_string!(l, account.device_out)}</p>
                                </Show>
                                <ul class="session-list">
                                    {sessions
                                        .into_iter()
                                        .map(|session| view! { <SessionItem session action=sign_out_device /> })
                                        .collect_view()}
                                </ul>
                                <p class="form-links">
                                    <a href="/account/activity">{td_string!(l, account.see_activity)}</a>
                                </p>
                                <h2 class="card__subtitle">{td_string!(l, account.phone)}</h2>
                                <Show when=saved>
                                    <p class="alert alert--info" role="status">{td_string!(l, account.phone_saved)}</p>
                                </Show>
                                <p class="card__lead">
                                    {match phone {
                                        Some(phone) => td_string!(l, account.phone_on_file, phone),
                                        None => td_string!(l, account.phone_none).to_string(),
                                    }}
                                </p>
                                <FormAlert error=on_form(error, l) />
                                <ActionForm action=change attr:class="form" attr:novalidate=true>
                                    <TextField
                                        label=td_string!(l, field.new_phone)
                                        name="phone"
                                        input_type="tel"
                                        autocomplete="tel"
                                        hint=td_string!(l, field.new_phone_hint)
                                        maxlength=40
                                        error=on_field(error, Field::Phone, l)
                                    />
                                    <PasswordInput
                                        label=td_string!(l, field.current_password)
                                        name="password"
                                        autocomplete="current-password"
                                        error=on_field(error, Field::Password, l)
                                    />
                                    <SubmitButton label=td_string!(l, account.save_phone) />
                                </ActionForm>
                            </Page>
                        }
                            .into_any()
                    }
                    _ => view! { <Redirect path="/login" /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SessionItem(session: Session, action: ServerAction<SignOutDevice>) -> impl IntoView {
    let Session {
        id,
        agent,
        ip,
        last_seen_at,
        current,
    } = session;
    let l = locale();
    let agent = texts::browser(
        l,
        &domain::agent::Agent::parse(agent.as_deref().unwrap_or("")),
    );
    let label = td_string!(l, account.sign_out_named, agent = agent.clone());
    let seen = td_string!(
        l,
        account.last_active,
        when = texts::moment(l, last_seen_at)
    );
    view! {
        <li class="session-list__item">
            <div class="session-list__text">
                <p class="session-list__name">
                    {agent}
                    {current.then(|| view! { <span class="badge">{td_string!(l, account.this_device)}</span> })}
                </p>
                <p class="session-list__meta">
                    {ip.map(|ip| format!("{ip} · "))} {seen}
                </p>
            </div>
            {(!current)
                .then(|| {
                    view! {
                        <ActionForm action attr:class="session-list__action">
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class="button button--secondary button--small" aria-label=label>
                                {td_string!(l, account.sign_out_device)}
                            </button>
                        </ActionForm>
                    }
                })}
        </li>
    }
}
