//! The HTTP side of Rekey: the router (pages, server functions, health, dev outbox) and the
//! layers around it. `main.rs` holds the command line; tests build [`app`] and call it directly.

pub mod dev;

use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use backend::AppState;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

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
        move || provide_context(state.clone())
    };
    let mut router = Router::new().route("/healthz", get(healthz));
    if state.config.is_dev() {
        router = router.merge(dev::router());
    }
    let dev = state.config.is_dev();
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
        .layer(middleware::from_fn(
            move |req: Request<Body>, next: Next| async move {
                // `/dev/*` pages (the gallery) exist only in development mode; there the
                // gallery frames its own pages, so they may be framed by the same origin.
                let dev_page = req.uri().path().starts_with("/dev/");
                if !dev && dev_page {
                    return StatusCode::NOT_FOUND.into_response();
                }
                let mut res = next.run(req).await;
                let frames = if dev_page { "SAMEORIGIN" } else { "DENY" };
                res.headers_mut()
                    .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static(frames));
                res
            },
        ))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
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
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE
        && res.headers().get(header::CONTENT_TYPE).is_none()
    {
        return (StatusCode::PAYLOAD_TOO_LARGE, "That request is too large.").into_response();
    }
    res
}
