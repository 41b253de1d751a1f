//! The pages every visitor gets alike — the sign-in form and the start of a recovery — are
//! rendered once per language and kept; later visits get the kept page with a fresh nonce.
//!
//! Rendering `/login` took ~0.4 ms of CPU, and a shopper loads it before every sign-in, so those
//! renders ate a few points of the CPU that argon2id needs (`make bench`: sign-ins against the
//! machine's hashing ceiling). Served from here a page costs the copy of its 7 KB.
//!
//! A page is kept only when nothing about the visitor can be in it: a `GET` without a query
//! string (no form coming back with an error, no notice), answered 200 as HTML, setting no
//! cookie and resolving no data on the server. What the page does read from the request — the
//! language (the shopper's choice in the cookie, else `Accept-Language`) and whether the visit
//! arrived from one of our own pages (the heading then takes the focus) — is the key, so there
//! are at most paths × languages × 2 pages.

use crate::guard::PageNonce;
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The paths whose render depends on nothing but the key below.
const KEPT: [&str; 2] = ["/login", "/recover"];

/// Largest page read whole to be kept (a kept page is ~7 KB).
const MAX_PAGE: usize = 4 * 1024 * 1024;

/// What a kept page's render read from the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    path: &'static str,
    lang: &'static str,
    from_step: bool,
}

/// A rendered page, cut where its nonce was.
#[derive(Debug)]
struct Kept {
    headers: HeaderMap,
    pieces: Vec<Vec<u8>>,
}

impl Kept {
    /// Cuts `body` at every occurrence of `nonce`; `None` if it has none (then the page could
    /// not get a fresh one).
    fn cut(headers: HeaderMap, body: &[u8], nonce: &str) -> Option<Kept> {
        let needle = nonce.as_bytes();
        if needle.is_empty() {
            return None;
        }
        let mut pieces = Vec::new();
        let mut rest = body;
        while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
            pieces.push(rest[..at].to_vec());
            rest = &rest[at + needle.len()..];
        }
        if pieces.is_empty() {
            return None;
        }
        pieces.push(rest.to_vec());
        Some(Kept { headers, pieces })
    }

    /// The page with `nonce` wherever the kept one had its own.
    fn with_nonce(&self, nonce: &str) -> Vec<u8> {
        let size =
            self.pieces.iter().map(Vec::len).sum::<usize>() + nonce.len() * (self.pieces.len() - 1);
        let mut page = Vec::with_capacity(size);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                page.extend_from_slice(nonce.as_bytes());
            }
            page.extend_from_slice(piece);
        }
        page
    }
}

/// The kept pages; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct PageCache(Arc<RwLock<HashMap<Key, Arc<Kept>>>>);

impl PageCache {
    fn get(&self, key: &Key) -> Option<Arc<Kept>> {
        self.0.read().ok()?.get(key).cloned()
    }

    fn keep(&self, key: Key, kept: Kept) {
        if let Ok(mut m) = self.0.write() {
            m.insert(key, Arc::new(kept));
        }
    }
}

/// The key of a request for a kept path, or `None` when this request must be rendered.
fn key(req: &Request<Body>) -> Option<Key> {
    if req.method() != Method::GET || req.uri().query().is_some() {
        return None;
    }
    let path = KEPT.into_iter().find(|p| *p == req.uri().path())?;
    let (uri, headers) = (req.uri(), req.headers());
    Some(Key {
        path,
        lang: texts::code(app::ssr::language_of(uri, headers)),
        from_step: app::ssr::arrived_from_step_of(uri, headers),
    })
}

/// Serves kept pages, and keeps the first render of each.
pub async fn layer(cache: PageCache, req: Request<Body>, next: Next) -> Response {
    let Some(key) = key(&req) else {
        return next.run(req).await;
    };
    let slot = req.extensions().get::<PageNonce>().cloned();
    if let (Some(kept), Some(slot)) = (cache.get(&key), &slot) {
        let nonce = leptos::nonce::Nonce::new();
        slot.set(nonce.as_inner().clone());
        let mut res = Body::from(kept.with_nonce(&nonce)).into_response();
        *res.headers_mut() = kept.headers.clone();
        return res;
    }
    let res = next.run(req).await;
    let nonce = slot.as_ref().and_then(PageNonce::get);
    let (Some(nonce), true, StatusCode::OK, false) = (
        nonce,
        crate::guard::is_page(res.headers()),
        res.status(),
        res.headers().contains_key(header::SET_COOKIE),
    ) else {
        return res;
    };
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        // The render failed midway (no page of ours comes near the limit): nothing to keep,
        // and a half page would be worse than asking for a reload.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "This page could not be drawn. Please reload it.",
        )
            .into_response();
    };
    // A render that resolved data on the server may hold something of this visitor's.
    let resolved_nothing = bytes
        .windows(RESOLVED_NONE.len())
        .any(|w| w == RESOLVED_NONE.as_bytes());
    if resolved_nothing {
        if let Some(kept) = Kept::cut(parts.headers.clone(), &bytes, &nonce) {
            cache.keep(key, kept);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// What Leptos writes at the end of a page whose render resolved no data.
const RESOLVED_NONE: &str = "__RESOLVED_RESOURCES=[];";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_page_gets_the_new_nonce_everywhere_the_old_one_was() {
        let body = b"<script nonce=\"OLD\">a</script><link crossorigin=\"OLD\">OLD";
        let kept = Kept::cut(HeaderMap::new(), body, "OLD").expect("has the nonce");
        assert_eq!(kept.pieces.len(), 4);
        let page = String::from_utf8(kept.with_nonce("NEW1")).unwrap();
        assert_eq!(
            page,
            "<script nonce=\"NEW1\">a</script><link crossorigin=\"NEW1\">NEW1"
        );
        assert!(!page.contains("OLD"));
    }

    #[test]
    fn a_page_without_its_nonce_is_not_kept() {
        assert!(Kept::cut(HeaderMap::new(), b"<p>no scripts</p>", "OLD").is_none());
        assert!(Kept::cut(HeaderMap::new(), b"<p>x</p>", "").is_none());
    }

    fn request(path: &str, headers: &[(&'static str, &'static str)]) -> Request<Body> {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(Body::empty()).unwrap()
    }

    #[test]
    fn the_key_is_what_the_render_reads() {
        let plain = key(&request("/login", &[])).expect("kept path");
        assert_eq!(
            plain,
            Key {
                path: "/login",
                lang: "en",
                from_step: false
            }
        );
        let french = key(&request("/login", &[("accept-language", "fr-FR,fr;q=0.9")])).unwrap();
        assert_eq!(french.lang, "fr");
        // The shopper's choice beats the browser's languages; other cookies do not matter.
        let chosen = key(&request(
            "/recover",
            &[
                ("accept-language", "fr"),
                ("cookie", "rekey_device=abc; rekey_lang=ar"),
            ],
        ))
        .unwrap();
        assert_eq!((chosen.path, chosen.lang), ("/recover", "ar"));
        let step = key(&request("/login", &[("sec-fetch-site", "same-origin")])).unwrap();
        assert!(step.from_step);
        // A query (a notice, a form coming back with an error), another path or method: rendered.
        assert!(key(&request("/login?notice=signed-out", &[])).is_none());
        assert!(key(&request("/login?__err=x", &[])).is_none());
        assert!(key(&request("/recover/verify", &[])).is_none());
        assert!(key(&request("/account", &[])).is_none());
        let post = Request::post("/login").body(Body::empty()).unwrap();
        assert!(key(&post).is_none());
    }
}
