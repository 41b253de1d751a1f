//! Development-only routes: the outbox of "sent" messages, for people trying the demo and for
//! end-to-end tests. Mounted only in development mode; production answers 404.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use backend::AppState;
use serde::Deserialize;

/// `/dev/outbox` (HTML) and `/dev/outbox.json`.
pub fn router() -> Router<crate::ServerState> {
    Router::new()
        .route("/dev/outbox", get(outbox_html))
        .route("/dev/outbox.json", get(outbox_json))
        .route("/dev/mail/{name}", get(mail))
}

/// `/dev/mail/{template}`: an e-mail as it is sent (its HTML part), from fixture values;
/// `/dev/mail/sms`: the text message with a recovery code. Shown by the gallery.
async fn mail(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(lang): Query<Lang>,
) -> Response {
    let cfg = &state.config;
    let minutes = (cfg.code_lifetime_secs / 60).to_string();
    let l = lang
        .lang
        .as_deref()
        .and_then(texts::parse)
        .unwrap_or_default();
    if name == "sms" {
        let text =
            backend::mail::sms_code_text(l, &cfg.shop_name, "482913", cfg.code_lifetime_secs / 60);
        return Html(format!(
            "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>Text message</title></head>\
             <body style=\"margin:0;padding:24px;background:#f5f6f8;font-family:system-ui,sans-serif\">\
             <p style=\"margin:0 0 8px;color:#4a5361;font-size:14px\">{shop}</p>\
             <p style=\"margin:0;max-width:260px;padding:12px 16px;border-radius:18px;background:#e4e7ec;color:#1d2430;line-height:1.4\">{text}</p>\
             </body></html>",
            shop = escape(&cfg.shop_name),
            text = escape(&text),
            lang = texts::code(l),
            dir = if texts::is_rtl(l) { "rtl" } else { "ltr" },
        ))
        .into_response();
    }
    match backend::mail::named(&name) {
        Some(template) => {
            let when = texts::moment(l, 1_795_771_920);
            let agent = texts::browser(l, &domain::agent::Agent::parse("Safari · iPhone"));
            let m = template.render(
                "lin@example.com",
                l,
                &[
                    ("shop", &cfg.shop_name),
                    ("code", "482913"),
                    ("minutes", &minutes),
                    ("agent", &agent),
                    ("ip", "203.0.113.x"),
                    ("when", &when),
                    ("wasnt_me_url", "/wasnt-me?token=example"),
                ],
            );
            Html(m.body_html).into_response()
        }
        None => (StatusCode::NOT_FOUND, "No such template.").into_response(),
    }
}

/// `?lang=` of a mail preview (English when absent).
#[derive(Debug, Deserialize)]
struct Lang {
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Filter {
    /// Only messages to this address or number.
    to: Option<String>,
}

async fn outbox_json(State(state): State<AppState>, Query(filter): Query<Filter>) -> Response {
    match backend::outbox::dev_messages(&state.db, filter.to.as_deref(), 200).await {
        Ok(messages) => Json(messages).into_response(),
        Err(error) => {
            tracing::error!(%error, "reading the dev outbox failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The outbox is unavailable.",
            )
                .into_response()
        }
    }
}

async fn outbox_html(State(state): State<AppState>, Query(filter): Query<Filter>) -> Response {
    let messages = match backend::outbox::dev_messages(&state.db, filter.to.as_deref(), 50).await {
        Ok(m) => m,
        Err(error) => {
            tracing::error!(%error, "reading the dev outbox failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The outbox is unavailable.",
            )
                .into_response();
        }
    };
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Dev outbox · Rekey</title><style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem;color:#1d2430}\
         article{border:1px solid #d5d9e0;border-radius:8px;margin:1rem 0;padding:1rem}h2{font-size:1.05rem;margin:0 0 .25rem}\
         .meta{color:#5b6573;font-size:.875rem;margin:0 0 .75rem}pre{white-space:pre-wrap;background:#f5f6f8;padding:.75rem;border-radius:6px}</style></head>\
         <body><h1>Dev outbox</h1><p>Messages the server \"sent\" in development mode, newest first. Also as <a href=\"/dev/outbox.json\">JSON</a>.</p>",
    );
    if messages.is_empty() {
        page.push_str("<p>Nothing sent yet.</p>");
    }
    for m in messages {
        page.push_str(&format!(
            "<article><h2>{}</h2><p class=\"meta\">{} to {}</p><pre>{}</pre></article>",
            escape(&m.subject),
            escape(&m.channel),
            escape(&m.to),
            escape(&m.text)
        ));
    }
    page.push_str("</body></html>");
    Html(page).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
