//! The HTTP side of Rekey: the router (pages, server functions, health, dev outbox) and the
//! layers around it. `main.rs` holds the command line; tests build [`app`] and call it directly.

pub mod dev;
pub mod guard;
pub mod pages;
pub mod scheduling;
pub mod site;

use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use backend::AppState;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;

/// Largest request body accepted; every form here is a few hundred bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub app: AppState,
    pub leptos_options: LeptosOptions,
}

/// The whole application as an axum router; `files` are the ones its pages load.
pub fn app(state: AppState, leptos_options: LeptosOptions, files: &site::Files) -> Router {
    let routes = generate_route_list(App);
    let server_state = ServerState {
        app: state.clone(),
        leptos_options: leptos_options.clone(),
    };
    let pkg = &leptos_options.site_pkg_dir;
    let stylesheet: Arc<str> = format!("/{pkg}/{}", files.css).into();
    let context = {
        let state = state.clone();
        let stylesheet = app::Stylesheet(stylesheet.clone());
        move || {
            provide_context(state.clone());
            provide_context(stylesheet.clone());
            // leptos_axum draws a fresh nonce per page; the guard writes the page's
            // Content-Security-Policy with it.
            guard::PageNonce::hand_back();
        }
    };
    let policy = guard::Policy {
        public_origin: state.config.public_origin.as_deref().map(Into::into),
        dev: state.config.is_dev(),
        tls: state.config.cookie_secure,
        database: state.db.health(),
        files: format!("/{pkg}/").into(),
        immutable: if files.hashed {
            files.paths(&leptos_options).to_vec().into()
        } else {
            Arc::new([])
        },
        unavailable_page: guard::Policy::unavailable_page(&stylesheet),
    };
    // The app's files, brotli or gzip when the browser takes them, answering a conditional
    // request with 304 (leptos_axum's file handler passes only Accept-Encoding on, so every
    // revalidation would send the whole WebAssembly again).
    let files = ServeDir::new(format!("{}/{pkg}", leptos_options.site_root))
        .precompressed_br()
        .precompressed_gzip();
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/lang/{code}", get(choose_language))
        .nest_service(&format!("/{pkg}"), files);
    if state.config.is_dev() {
        router = router.merge(dev::router());
    }
    router
        .leptos_routes_with_context(&server_state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(context, shell))
        .with_state(server_state)
        .layer(middleware::from_fn(server_fn_input_errors_are_4xx))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        // `/login` and `/recover` rendered once per language (inside the guard, which writes
        // the policy with the nonce each answer gets).
        .layer(middleware::from_fn({
            let cache = pages::PageCache::default();
            move |req: Request<Body>, next: Next| pages::layer(cache.clone(), req, next)
        }))
        // `/dev/*` only in development, other sites may not post, security headers.
        .layer(middleware::from_fn(
            move |req: Request<Body>, next: Next| guard::layer(policy.clone(), req, next),
        ))
}

/// `/healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> Response {
    if state.db.ping().await {
        Json(serde_json::json!({"status": "ok", "database": "ok"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "unavailable", "database": "unreachable"})),
        )
            .into_response()
    }
}

/// Where `/lang/{code}` sends the browser back to.
#[derive(Debug, serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// `/lang/{code}?back=/path`: the language menu. Remembers the shopper's choice in a cookie
/// (a year) and sends the browser back to the page it came from, which then renders in that
/// language; a journey under way keeps its place (its state is on the server). Only paths on
/// this site are followed back; an unknown language is a 404.
async fn choose_language(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<Back>,
) -> Response {
    let Some(locale) = texts::parse(&code) else {
        return (StatusCode::NOT_FOUND, "No such language.").into_response();
    };
    let back = query
        .back
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| "/".into());
    let cookie = backend::sessions::cookie_header(
        texts::COOKIE,
        texts::code(locale),
        365 * 86_400,
        state.config.cookie_secure,
    );
    (
        StatusCode::SEE_OTHER,
        [
            (axum::http::header::LOCATION, back),
            (axum::http::header::SET_COOKIE, cookie),
        ],
    )
        .into_response()
}

/// A path on this site: not another host (`//host`, `/\host`), no control characters.
fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.chars().any(char::is_control)
}

/// Our server functions set their own status for every failure (4xx for the caller's mistakes,
/// 503 for ours). The only 500 the server-function machinery produces by itself is for a body it
/// could not decode (bad form encoding, invalid UTF-8, missing fields): the caller's mistake,
/// so it is answered as 400 with the same message.
async fn server_fn_input_errors_are_4xx(req: Request<Body>, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if is_server_fn && res.status() == StatusCode::INTERNAL_SERVER_ERROR {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    res
}
