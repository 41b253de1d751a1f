//! Server-side helpers for server functions: state, cookies, client address, error status.

use crate::error::{AccountError, Field, Problem};
use backend::AppState;
use http::header::{ACCEPT, COOKIE, SET_COOKIE};
use http::{HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// The shared state, provided by the server for every request.
pub fn state() -> Result<AppState, AccountError> {
    match use_context::<AppState>() {
        Some(state) => Ok(state),
        // Goes through `internal` so the caller gets 503, not a status-less error.
        None => internal("no AppState in the request context", "router misconfigured"),
    }
}

/// The value of cookie `name` on this request.
pub fn cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    cookie_in(&parts.headers, name).map(str::to_string)
}

/// The value of cookie `name` in `headers`.
pub fn cookie_in<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| backend::sessions::read_cookie(h, name))
}

/// Adds a `Set-Cookie` header to the response.
pub fn set_cookie(value: &str) {
    if let (Some(res), Ok(v)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        res.append_header(SET_COOKIE, v);
    }
}

/// The client's address: the socket's peer, or behind `TRUSTED_PROXIES` the rightmost
/// `X-Forwarded-For` entry that is not one of them (see `backend::net`). `None` when the
/// request came without a socket (router tests).
async fn client_ip() -> Option<std::net::IpAddr> {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let ConnectInfo(addr) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()?;
    let Ok(state) = state() else {
        return Some(addr.ip());
    };
    let parts = use_context::<http::request::Parts>();
    let forwarded = parts
        .iter()
        .flat_map(|p| p.headers.get_all("x-forwarded-for"))
        .filter_map(|v| v.to_str().ok());
    Some(backend::net::client_ip(
        addr.ip(),
        forwarded,
        &state.config.trusted_proxies,
    ))
}

/// The client's network (IPv4 /24, IPv6 /56) for per-network limits.
pub async fn client_network() -> String {
    client_ip()
        .await
        .map_or_else(|| "unknown".into(), backend::limits::network_of)
}

/// Who is asking: network, masked address, browser name and device cookie, for the limits and
/// the account's activity.
pub async fn client() -> backend::activity::Client {
    let agent = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let device = cookie(backend::devices::COOKIE);
    let lang = language();
    match client_ip().await {
        Some(ip) => backend::activity::Client::from_request(ip, &agent, device, lang),
        None => backend::activity::Client {
            agent: domain::agent::describe(&agent),
            device,
            lang,
            ..backend::activity::Client::at("unknown")
        },
    }
}

/// The language of this request: the shopper's choice (cookie), else `Accept-Language`,
/// else English. The development gallery also takes `?lang=` (any state in any language).
pub fn language() -> texts::Locale {
    use_context::<http::request::Parts>()
        .map_or_else(texts::Locale::default, |p| language_of(&p.uri, &p.headers))
}

/// [`language`] for a request not yet rendered (the server's kept pages are keyed by it).
pub fn language_of(uri: &http::Uri, headers: &http::HeaderMap) -> texts::Locale {
    let gallery = uri
        .path()
        .starts_with("/dev/gallery")
        .then(|| uri.query())
        .flatten()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")));
    let chosen = gallery.or_else(|| cookie_in(headers, texts::COOKIE));
    let accept = headers
        .get(http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    texts::negotiate(chosen, accept)
}

/// Whether this page is the next step of something the shopper did on this site (a link
/// followed or a form sent from one of its pages), not the first page of a visit or a form
/// coming back with an error. The page then puts the focus on its heading, so keyboard and
/// screen-reader users start at the top of the new step. Gallery frames never take it.
pub fn arrived_from_step() -> bool {
    use_context::<http::request::Parts>().is_some_and(|p| arrived_from_step_of(&p.uri, &p.headers))
}

/// [`arrived_from_step`] for a request not yet rendered.
pub fn arrived_from_step_of(uri: &http::Uri, headers: &http::HeaderMap) -> bool {
    let same_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin");
    let error = uri.query().is_some_and(|q| q.contains("__err="));
    same_site && !error && !uri.path().starts_with("/dev/")
}

/// Returns `err`, and for script callers sets the HTTP status that fits it.
///
/// A plain form post (JavaScript off) must keep the redirect back to the form that the server
/// function machinery sets up, so its status is left alone.
pub fn fail<T>(err: AccountError) -> Result<T, AccountError> {
    let plain_form = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false);
    if !plain_form {
        if let (Some(res), Ok(status)) = (
            use_context::<ResponseOptions>(),
            StatusCode::from_u16(err.status()),
        ) {
            res.set_status(status);
        }
    }
    Err(err)
}

/// Logs an internal failure once, at the boundary, and answers with a generic message.
pub fn internal<T>(what: &str, detail: impl std::fmt::Display) -> Result<T, AccountError> {
    tracing::error!(%detail, "{what}");
    fail(AccountError::Unavailable)
}

/// A slider challenge as the widget gets it, or why not: the address or network cooling down
/// (in whole minutes, rounded up), refused, or the server's failure.
pub fn issued(
    result: Result<domain::pow::Puzzle, backend::challenge::ChallengeError>,
) -> Result<domain::pow::Puzzle, AccountError> {
    use backend::challenge::ChallengeError;
    match result {
        Ok(puzzle) => Ok(puzzle),
        Err(ChallengeError::TooMany { retry_after_secs }) => fail(AccountError::Throttled {
            minutes: (retry_after_secs + 59) / 60,
        }),
        Err(ChallengeError::Failed) => fail(AccountError::NotVerified),
        Err(ChallengeError::Internal(e)) => internal("issuing a challenge failed", e),
    }
}

/// A field error.
pub fn field_error<T>(field: Field, problem: impl Into<Problem>) -> Result<T, AccountError> {
    fail(AccountError::Field {
        field,
        problem: problem.into(),
    })
}

/// The signed-in user of this request, if any.
pub async fn current_user() -> Result<Option<backend::sessions::SessionUser>, AccountError> {
    let state = state()?;
    let Some(token) = cookie(backend::sessions::COOKIE) else {
        return Ok(None);
    };
    match backend::sessions::lookup(&state, &token).await {
        Ok(user) => Ok(user),
        Err(e) => internal("session lookup failed", e),
    }
}

/// "Remember this device" for `user_id` (after a sign-in or a reset): sets or refreshes the
/// signed device cookie. A failure here is logged and does not fail the request.
pub async fn remember_device(state: &AppState, user_id: &str) {
    let existing = cookie(backend::devices::COOKIE);
    match backend::devices::remember(state, existing.as_deref(), user_id).await {
        Ok(value) => set_cookie(&backend::devices::cookie_header(state, &value)),
        Err(e) => tracing::warn!(error = %e, "remembering a device failed"),
    }
}
