use crate::components::{FormAlert, Page, PasswordInput, SubmitButton, TextField};
use crate::error::{action_error, AccountError, Field};
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The signed-in user's e-mail, or `None`.
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<String>, AccountError> {
    Ok(crate::ssr::current_user().await?.map(|u| u.email))
}

/// The signed-in user's masked phone number, if one is on file.
#[server(endpoint = "my_phone")]
pub async fn my_phone() -> Result<Option<String>, AccountError> {
    use crate::ssr::{current_user, fail, internal, state};
    let state = state()?;
    let Some(user) = current_user().await? else {
        return fail(AccountError::NotSignedIn);
    };
    match backend::accounts::masked_phone(&state, &user.user_id).await {
        Ok(phone) => Ok(phone),
        Err(e) => internal("reading a phone number failed", e),
    }
}

/// Adds, changes or removes (empty) the phone number; needs the current password.
#[server(endpoint = "change_phone")]
pub async fn change_phone(phone: String, password: String) -> Result<(), AccountError> {
    use crate::ssr::{current_user, fail, field_error, internal, state};
    use backend::accounts::PhoneChangeError as E;
    let state = state()?;
    let Some(user) = current_user().await? else {
        return fail(AccountError::NotSignedIn);
    };
    match backend::accounts::change_phone(&state, &user.user_id, &phone, &password).await {
        Ok(()) => {
            leptos_axum::redirect("/account?notice=phone");
            Ok(())
        }
        Err(E::Phone(e)) => field_error(Field::Phone, e),
        Err(E::Incorrect) => field_error(Field::Password, "That password is not right."),
        Err(E::Busy) => fail(AccountError::Busy),
        Err(E::Internal(e)) => internal("changing a phone number failed", e),
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
    if let Err(e) = backend::accounts::sign_out_everywhere(&state, &user.user_id).await {
        return internal("sign-out everywhere failed", e);
    }
    set_cookie(&backend::sessions::clear_cookie(&state));
    leptos_axum::redirect("/login?notice=everywhere");
    Ok(())
}

/// `/account`: who is signed in, sign out, sign out everywhere. Signed out → `/login`.
#[component]
pub fn AccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
    let phone = Resource::new(|| (), |_| my_phone());
    let change = ServerAction::<ChangePhone>::new();
    let error = action_error(change);
    let query = leptos_router::hooks::use_query_map();
    let saved = move || query.read().get("notice").as_deref() == Some("phone");
    let logout = ServerAction::<Logout>::new();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(email)) => {
                        view! {
                            <Page title="Your account">
                                <p class="card__lead">"Signed in as " <strong>{email}</strong></p>
                                <ActionForm action=logout attr:class="form form--inline">
                                    <button type="submit" class="button button--primary">
                                        "Sign out"
                                    </button>
                                </ActionForm>
                                <ActionForm action=everywhere attr:class="form form--inline">
                                    <button type="submit" class="button button--secondary">
                                        "Sign out everywhere"
                                    </button>
                                </ActionForm>
                                <p class="form-links">
                                    "Signs you out on every phone and computer, this one included."
                                </p>
                                <h2 class="card__subtitle">"Mobile number"</h2>
                                <Show when=saved>
                                    <p class="alert alert--info" role="status">"Your mobile number was saved."</p>
                                </Show>
                                <p class="card__lead">
                                    {move || match phone.get().and_then(Result::ok).flatten() {
                                        Some(p) => format!("On file: {p}. We may text a code to it when you reset your password."),
                                        None => "No number on file. Adding one helps keep your account safe.".to_string(),
                                    }}
                                </p>
                                <FormAlert error=Signal::derive(move || error.get().and_then(|e| e.for_form())) />
                                <ActionForm action=change attr:class="form" attr:novalidate=true>
                                    <TextField
                                        label="New mobile number"
                                        name="phone"
                                        input_type="tel"
                                        autocomplete="tel"
                                        hint="With country code, e.g. +44 7700 900789. Leave empty to remove it."
                                        maxlength=40
                                        error=Signal::derive(move || error.get().and_then(|e| e.for_field(Field::Phone)))
                                    />
                                    <PasswordInput
                                        label="Current password"
                                        name="password"
                                        autocomplete="current-password"
                                        error=Signal::derive(move || error.get().and_then(|e| e.for_field(Field::Password)))
                                    />
                                    <SubmitButton label="Save number" pending=change.pending() />
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
