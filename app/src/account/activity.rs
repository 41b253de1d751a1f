//! `/account/activity`: the account's security events, newest first, paged.

use crate::components::Page;
use crate::error::AccountError;
pub use domain::account::ActivityEntry;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use serde::{Deserialize, Serialize};

/// Events per page.
#[cfg(feature = "ssr")]
const PER_PAGE: u32 = 20;

/// One page of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub entries: Vec<ActivityEntry>,
    pub page: u32,
    pub more: bool,
}

/// Page `page` (from 0) of the signed-in account's events; `None` when signed out.
#[server(endpoint = "my_activity")]
pub async fn my_activity(page: u32) -> Result<Option<Activity>, AccountError> {
    use crate::ssr::{current_user, internal, state};
    let state = state()?;
    let Some(user) = current_user().await? else {
        return Ok(None);
    };
    let page = page.min(10_000);
    match backend::activity::page(&state, &user.user_id, page, PER_PAGE).await {
        Ok((entries, more)) => Ok(Some(Activity {
            entries,
            page,
            more,
        })),
        Err(e) => internal("reading account activity failed", e),
    }
}

/// What an event is called, and its extra line (if any).
fn describe(entry: &ActivityEntry) -> (&'static str, Option<String>) {
    let detail = entry.detail.clone();
    match entry.event.as_str() {
        "account_created" => ("Account created", None),
        "signed_in" => ("Signed in", None),
        "signed_in_new_device" => ("Signed in from a new device", None),
        "signed_out_everywhere" => ("Signed out everywhere", None),
        "session_revoked" => (
            "Signed out a device",
            detail.map(|d| format!("Signed out: {d}")),
        ),
        "phone_changed" => ("Mobile number changed", None),
        "recovery_requested" => ("Password reset requested", None),
        "code_sent_email" => (
            "Verification code e-mailed",
            detail.map(|d| format!("To {d}")),
        ),
        "code_sent_sms" => (
            "Verification code texted",
            detail.map(|d| format!("To {d}")),
        ),
        "wrong_code" => (
            "Wrong verification code entered",
            match detail.as_deref() {
                Some("sms") => Some("The texted code".into()),
                _ => Some("The e-mailed code".into()),
            },
        ),
        "slider_failed" => ("Security check not passed", None),
        "password_reset" => ("Password changed", None),
        "wasnt_me" => (
            "Reported \u{201c}This wasn't me\u{201d}",
            Some("Every device was signed out".into()),
        ),
        _ => ("Account activity", None),
    }
}

/// `/account/activity?page=N`. Signed out → `/login`.
#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let fixture = crate::fixture::current();
    let activity = Resource::new(page, move |page| {
        let fixture = fixture.clone();
        async move {
            match fixture {
                Some(f) => Ok(f.activity),
                None => my_activity(page).await,
            }
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match activity.await {
                    Ok(Some(found)) => view! { <ActivityList found /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => {
                        view! {
                            <Page title="Security activity">
                                <p class="alert alert--error" role="alert">{e.to_string()}</p>
                            </Page>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ActivityList(found: Activity) -> impl IntoView {
    let Activity {
        entries,
        page,
        more,
    } = found;
    let empty = entries.is_empty();
    view! {
        <Page title="Security activity">
            <p class="card__lead">
                "What happened to your account, newest first. If something here wasn't you, "
                <a href="/recover">"reset your password"</a> " and sign out everywhere."
            </p>
            {empty.then(|| view! { <p class="card__lead">"Nothing to show yet."</p> })}
            <ol class="event-list">
                {entries.into_iter().map(|entry| view! { <ActivityItem entry /> }).collect_view()}
            </ol>
            <nav class="pager" aria-label="Pages of activity">
                {(page > 0)
                    .then(|| {
                        let href = if page == 1 {
                            "/account/activity".to_string()
                        } else {
                            format!("/account/activity?page={}", page - 1)
                        };
                        view! { <a href=href rel="prev">"Newer"</a> }
                    })}
                {more
                    .then(|| {
                        view! {
                            <a href=format!("/account/activity?page={}", page + 1) rel="next">
                                "Older"
                            </a>
                        }
                    })}
            </nav>
            <p class="form-links">
                <a href="/account">"Back to your account"</a>
            </p>
        </Page>
    }
}

#[component]
fn ActivityItem(entry: ActivityEntry) -> impl IntoView {
    let (title, extra) = describe(&entry);
    let when = domain::time::display_utc(entry.at);
    let iso = domain::time::iso_utc(entry.at);
    let from = match (entry.agent, entry.ip) {
        (Some(agent), Some(ip)) => Some(format!("{agent} · {ip}")),
        (Some(agent), None) => Some(agent),
        (None, Some(ip)) => Some(ip),
        (None, None) => None,
    };
    view! {
        <li class="event-list__item">
            <p class="event-list__title">{title}</p>
            {extra.map(|x| view! { <p class="event-list__meta">{x}</p> })}
            {from.map(|f| view! { <p class="event-list__meta">{f}</p> })}
            <p class="event-list__meta">
                <time datetime=iso>{when}</time>
            </p>
        </li>
    }
}
