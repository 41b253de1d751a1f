//! `/account/activity`: the account's security events, newest first, paged.

use crate::components::Page;
use crate::error::AccountError;
use crate::lang::{link, locale, td_string, Locale};
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

/// What an event is called, and its extra line (if any), in `l`.
fn describe(l: Locale, entry: &ActivityEntry) -> (&'static str, Option<String>) {
    let detail = entry.detail.as_deref();
    let sent_to = |to: &str| td_string!(l, activity.sent_to, to);
    match entry.event.as_str() {
        "account_created" => (td_string!(l, activity.account_created), None),
        "signed_in" => (td_string!(l, activity.signed_in), None),
        "signed_in_new_device" => (td_string!(l, activity.signed_in_new_device), None),
        "signed_out_everywhere" => (td_string!(l, activity.signed_out_everywhere), None),
        "session_revoked" => (
            td_string!(l, activity.session_revoked),
            detail.map(|d| {
                let agent = texts::browser(l, &domain::agent::Agent::parse(d));
                td_string!(l, activity.session_revoked_detail, agent)
            }),
        ),
        "phone_changed" => (td_string!(l, activity.phone_changed), None),
        "recovery_requested" => (td_string!(l, activity.recovery_requested), None),
        "code_sent_email" => (td_string!(l, activity.code_sent_email), detail.map(sent_to)),
        "code_sent_sms" => (td_string!(l, activity.code_sent_sms), detail.map(sent_to)),
        "wrong_code" => (
            td_string!(l, activity.wrong_code),
            Some(match detail {
                Some("sms") => td_string!(l, activity.wrong_code_sms).into(),
                _ => td_string!(l, activity.wrong_code_email).into(),
            }),
        ),
        "slider_failed" => (td_string!(l, activity.slider_failed), None),
        "password_reset" => (td_string!(l, activity.password_reset), None),
        "wasnt_me" => (
            td_string!(l, activity.wasnt_me),
            Some(td_string!(l, activity.wasnt_me_detail).into()),
        ),
        _ => (td_string!(l, activity.other), None),
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
    let l = locale();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match activity.await {
                    Ok(Some(found)) => view! { <ActivityList found /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => {
                        view! {
                            <Page title=td_string!(l, activity.title)>
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

#[component]
fn ActivityList(found: Activity) -> impl IntoView {
    let Activity {
        entries,
        page,
        more,
    } = found;
    let empty = entries.is_empty();
    let l = locale();
    view! {
        <Page title=td_string!(l, activity.title)>
            <p class="card__lead">{link(&td_string!(l, activity.lead, <a> = "a"), "/recover")}</p>
            {empty.then(|| view! { <p class="card__lead">{td_string!(l, activity.empty)}</p> })}
            <ol class="event-list">
                {entries.into_iter().map(|entry| view! { <ActivityItem entry /> }).collect_view()}
            </ol>
            <nav class="pager" aria-label=td_string!(l, activity.pages)>
                {(page > 0)
                    .then(|| {
                        let href = if page == 1 {
                            "/account/activity".to_string()
                        } else {
                            format!("/account/activity?page={}", page - 1)
                        };
                        view! { <a href=href rel="prev">{td_string!(l, activity.newer)}</a> }
                    })}
                {more
                    .then(|| {
                        view! {
                            <a href=format!("/account/activity?page={}", page + 1) rel="next">
                                {td_string!(l, activity.older)}
                            </a>
                        }
                    })}
            </nav>
            <p class="form-links">
                <a href="/account">{td_string!(l, activity.back)}</a>
            </p>
        </Page>
    }
}

#[component]
fn ActivityItem(entry: ActivityEntry) -> impl IntoView {
    let l = locale();
    let (title, extra) = describe(l, &entry);
    let when = texts::moment(l, entry.at);
    let iso = domain::time::iso_utc(entry.at);
    let agent = texts::browser(
        l,
        &domain::agent::Agent::parse(entry.agent.as_deref().unwrap_or("")),
    );
    let from = match entry.ip {
        Some(ip) => format!("{agent} · {ip}"),
        None => agent,
    };
    view! {
        <li class="event-list__item">
            <p class="event-list__title">{title}</p>
            {extra.map(|x| view! { <p class="event-list__meta">{x}</p> })}
            <p class="event-list__meta">{from}</p>
            <p class="event-list__meta">
                <time datetime=iso>{when}</time>
            </p>
        </li>
    }
}
