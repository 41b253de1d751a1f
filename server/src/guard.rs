//! Layers every response passes through: requests a browser sent from another site are
//! refused before they change anything, and every answer carries the security headers.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, OnceLock};

/// What the layers need from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `PUBLIC_URL`, lower case, without a trailing slash.
    pub public_origin: Option<Arc<str>>,
    /// Development mode: `/dev/*` pages exist and may be framed by this origin.
    pub dev: bool,
    /// TLS is on in front of us (`COOKIE_SECURE`): browsers are told to keep to HTTPS.
    pub tls: bool,
    /// Whether the database answered its last check.
    pub database: backend::db::Health,
    /// Where the app's files are served from, with its slashes (`/pkg/`).
    pub files: Arc<str>,
    /// The files named by their content (`/pkg/rekey.<hash>.wasm`), which browsers may keep.
    pub immutable: Arc<[String]>,
    /// The page answered while the database is down, with this build's stylesheet.
    pub unavailable_page: Arc<str>,
}

impl Policy {
    /// The 503 page, linking the stylesheet at `css` (`/pkg/rekey.<hash>.css`).
    pub fn unavailable_page(css: &str) -> Arc<str> {
        UNAVAILABLE_PAGE.replace("{css}", css).into()
    }
}

/// While the database is down: a page that says so (or the error a script expects), 503.
fn unavailable(headers: &HeaderMap, page: &str) -> Response {
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let mut res = if wants_page {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page.to_string(),
        )
            .into_response()
    } else {
        // What a server function answers for `AccountError::Unavailable`.
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            "\"Unavailable\"",
        )
            .into_response()
    };
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    res
}

const UNAVAILABLE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Temporarily unavailable · Rekey Shop</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
<body><header class=\"site-header\"><span class=\"site-header__brand\">Rekey Shop</span></header>\
<main class=\"page\"><section class=\"card\" aria-labelledby=\"page-title\">\
<h1 class=\"card__title\" id=\"page-title\">Temporarily unavailable</h1>\
<p class=\"card__lead\">Signing in and password resets are down for a moment. Nothing you did is lost. Please try again in a minute.</p>\
</section></main></body></html>";

/// Whether a state-changing request was sent by a browser from another site (a forged form
/// post or script call). Browsers say where a request comes from with `Sec-Fetch-Site` and
/// `Origin`; a request with neither is not from a browser that could carry a shopper's
/// cookies there, so it is let through (curl, monitoring).
pub fn cross_site(method: &Method, headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
            return true;
        }
    }
    let Some(origin) = text(header::ORIGIN) else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    match public_origin {
        Some(expected) => origin != expected,
        None => {
            // The host the browser sent this to must be the origin's host.
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            let host = text(header::HOST).map(str::to_ascii_lowercase);
            authority.is_none() || authority.map(str::to_string) != host
        }
    }
}

/// The nonce Leptos drew for the scripts of the page this request renders, handed back to
/// [`layer`], which writes the page's Content-Security-Policy with it. The policy is written
/// here, next to the other headers, rather than by the page through `ResponseOptions`: a page
/// that came back without its policy got the no-scripts one below, and its islands never ran
/// (seen once under load in the browser runs).
#[derive(Debug, Clone, Default)]
pub struct PageNonce(Arc<OnceLock<Arc<str>>>);

impl PageNonce {
    /// Called in the Leptos context of every request (`crate::app`): passes this render's
    /// nonce (the one its hydration script carries) to the layer, through the request.
    pub fn hand_back() {
        use leptos::prelude::with_context;
        // Server functions draw no nonce: nothing to hand back, and the request is not read.
        let Some(nonce) = leptos::nonce::use_nonce() else {
            return;
        };
        with_context::<axum::http::request::Parts, _>(|parts| {
            if let Some(slot) = parts.extensions.get::<PageNonce>() {
                // The first render of a request wins; there is only one.
                slot.set(nonce.as_inner().clone());
            }
        });
    }

    /// Sets this response's nonce; the first one set wins (a request renders one page).
    pub(crate) fn set(&self, nonce: Arc<str>) {
        let _ = self.0.set(nonce);
    }

    /// The nonce set for this response, if a page was drawn.
    pub(crate) fn get(&self) -> Option<Arc<str>> {
        self.0.get().cloned()
    }
}

/// A page's Content-Security-Policy: scripts only from this origin or carrying this response's
/// nonce (the hydration script), WebAssembly compiled from this origin, styles only from the
/// stylesheet (no inline styles, no inline event handlers), no plugins, forms post only here,
/// and no framing (the development gallery may frame its own pages).
fn page_policy(nonce: &str, dev: bool, dev_page: bool) -> Option<HeaderValue> {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors {}",
        // `make dev` reloads the page over a websocket on another port.
        if dev { " ws:" } else { "" },
        if dev && dev_page { "'self'" } else { "'none'" },
    );
    HeaderValue::from_str(&policy).ok()
}

/// Whether an answer is a page (HTML), as opposed to JSON, a redirect or a file.
pub(crate) fn is_page(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"))
}

/// Refuses cross-site state changes with 403, then adds the security headers.
pub async fn layer(policy: Policy, mut req: Request<Body>, next: Next) -> Response {
    let nonce = PageNonce::default();
    req.extensions_mut().insert(nonce.clone());
    let path = req.uri().path();
    let dev_page = path.starts_with("/dev/");
    // While the database is down, pages and calls answer 503 at once; files and /healthz
    // still answer (the health check says what is wrong).
    let file = path.starts_with(&*policy.files) || path == "/favicon.svg";
    let for_good = file && policy.immutable.iter().any(|p| p == path);
    let needs_database = !(path == "/healthz" || file);
    let mut res = if !policy.dev && dev_page {
        StatusCode::NOT_FOUND.into_response()
    } else if needs_database && !policy.database.is_up() {
        unavailable(req.headers(), &policy.unavailable_page)
    } else if cross_site(req.method(), req.headers(), policy.public_origin.as_deref()) {
        (
            StatusCode::FORBIDDEN,
            "This request came from another site, so it was refused. Please use the form on our own page.",
        )
            .into_response()
    } else {
        next.run(req).await
    };
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
        // Whichever layer refused the body, say so in words.
        res = (StatusCode::PAYLOAD_TOO_LARGE, "That request is too large.").into_response();
    }
    let status = res.status();
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    let framable = policy.dev && dev_page;
    set(
        h,
        header::X_FRAME_OPTIONS,
        if framable { "SAMEORIGIN" } else { "DENY" },
    );
    // Pages get the policy with the nonce of their hydration script; everything else (JSON,
    // redirects, files, the development outbox) gets one without scripts.
    let page = nonce.0.get().filter(|_| is_page(h));
    if let Some(value) = page.and_then(|n| page_policy(n, policy.dev, dev_page)) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    } else if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            h,
            header::CONTENT_SECURITY_POLICY,
            if framable {
                "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
            } else {
                "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            },
        );
    }
    // Pages and answers may show who is signed in and what the account holds: no browser or
    // proxy keeps a copy, so Back after signing out on a shared computer asks the server again
    // (and finds no session). A file named by its content is kept for good: another release
    // names other files. Any other file (the icon; every file under `make dev`) is kept but
    // asked for each time (304 when unchanged), so a page never runs with the WebAssembly of
    // another release.
    if !h.contains_key(header::CACHE_CONTROL) {
        let keep = if !file {
            "no-store"
        } else if for_good && (status.is_success() || status == StatusCode::NOT_MODIFIED) {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        set(h, header::CACHE_CONTROL, keep);
    }
    if policy.tls {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn other_sites_may_not_post() {
        let post = Method::POST;
        let host = ("host", "shop.example:3000");
        assert!(!cross_site(&post, &headers(&[host]), None));
        assert!(!cross_site(
            &post,
            &headers(&[host, ("origin", "http://shop.example:3000")]),
            None
        ));
        assert!(cross_site(
            &post,
            &headers(&[host, ("origin", "http://evil.example")]),
            None
        ));
        assert!(cross_site(
            &post,
            &headers(&[host, ("origin", "null")]),
            None
        ));
        assert!(cross_site(
            &post,
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            None
        ));
        assert!(cross_site(
            &post,
            &headers(&[host, ("sec-fetch-site", "same-site")]),
            None
        ));
        assert!(!cross_site(
            &post,
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            None
        ));
        assert!(!cross_site(
            &Method::GET,
            &headers(&[host, ("origin", "http://evil.example")]),
            None
        ));
        let public = Some("https://account.example.com");
        assert!(!cross_site(
            &post,
            &headers(&[("origin", "https://account.example.com")]),
            public
        ));
        assert!(cross_site(
            &post,
            &headers(&[("origin", "http://account.example.com")]),
            public
        ));
    }
}
