//! The HTTP side of Rekey: the router (pages, server functions, health, dev outbox) and the
//! layers around it. `main.rs` holds the command line; tests build [`app`] and call it directly.

pub mod dev;
pub mod guard;

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
use tower_http::limit::RequestBodyLimitLayer;

/// Largest request body accepted; every form here is a few hundred bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub app: AppState,
    pub leptos_options: LeptosOptions,
}

/// The whole application as an axum router.
pub fn app(state: AppState, leptos_options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let server_state = ServerState {
        app: state.clone(),
        leptos_options: leptos_options.clone(),
    };
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            // A fresh nonce per page for its Content-Security-Policy (`app::ssr`).
            leptos::nonce::provide_nonce();
        }
    };
    let policy = guard::Policy {
        public_origin: state.config.public_origin.as_deref().map(Into::into),
        dev: state.config.is_dev(),
        tls: state.config.cookie_secure,
        database: state.db.health(),
    };
    let mut router = Router::new().route("/healthz", get(healthz));
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
        .layer(middleware::from_fn_with_state(
            state.clone(),
            signed_out_account_pages_go_to_login,
        ))
        .layer(middleware::from_fn(server_fn_input_errors_are_4xx))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
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

/// `/account` and `/account/activity` without a live session: a plain 302 to `/login`, before
/// any page is rendered. (The pages also redirect by themselves, for a session that ends while
/// they render; answering here is cheaper, and it keeps the signed-out case out of Leptos's
/// async rendering, where a redirect from inside a Suspense now and then never finished under
/// parallel load in the router tests.)
async fn signed_out_account_pages_go_to_login(
    State(state): State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if req.method() == axum::http::Method::GET
        && (path == "/account" || path == "/account/activity")
    {
        let token = req
            .headers()
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|h| backend::sessions::read_cookie(h, backend::sessions::COOKIE))
            .map(str::to_string);
        let live = match token {
            Some(token) => match backend::sessions::lookup(&state, &token).await {
                Ok(user) => user.is_some(),
                // Let the page answer (it reports the outage its own way).
                Err(_) => true,
            },
            None => false,
        };
        if !live {
            return (
                StatusCode::FOUND,
                [(axum::http::header::LOCATION, "/login")],
            )
                .into_response();
        }
    }
    next.run(req).await
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
