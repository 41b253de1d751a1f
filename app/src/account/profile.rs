use crate::components::Page;
use crate::error::AccountError;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The signed-in user's e-mail, or `None`.
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<String>, AccountError> {
    Ok(crate::ssr::current_user().await?.map(|u| u.email))
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
