//! Router tests: the real router on a real SQLite file, called with `oneshot` (no sockets).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use backend::clock::ManualClock;
use backend::{AppState, Config};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use tower::ServiceExt;

const PW: &str = "Tangerine7Harbor";

struct TestApp {
    router: Router,
    state: AppState,
}

async fn test_app(extra: &[(&str, &str)]) -> TestApp {
    let dir = std::env::temp_dir().join(format!("rekey-router-{}", backend::crypto::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/rekey.db", dir.display());
    let mut pairs = vec![("DATABASE_URL", url.as_str()), ("HASH_THREADS", "2")];
    pairs.extend_from_slice(extra);
    let config = Config::from_pairs(&pairs).unwrap();
    let state = AppState::start_with_clock(config, Arc::new(ManualClock::new(1_795_737_600)))
        .await
        .unwrap();
    let options = LeptosOptions::builder()
        .output_name("rekey")
        .site_root("target/site")
        .build();
    TestApp {
        router: server::app(state.clone(), options),
        state,
    }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }
}

impl TestApp {
    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A server function called the way the hydrated page calls it.
    async fn call(&self, endpoint: &str, form: &str, cookie: Option<&str>) -> Reply {
        self.call_raw(
            endpoint,
            form.as_bytes().to_vec(),
            cookie,
            "application/x-www-form-urlencoded",
        )
        .await
    }

    async fn call_raw(
        &self,
        endpoint: &str,
        body: Vec<u8>,
        cookie: Option<&str>,
        content_type: &str,
    ) -> Reply {
        let mut req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut req = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    async fn deliver(&self) {
        let dev = backend::outbox::DevOutbox::new(self.state.db.clone(), self.state.clock.clone());
        backend::outbox::deliver_due(&self.state.db, &dev, self.state.clock.now())
            .await
            .unwrap();
    }

    /// Registers and confirms through the server functions; returns the session cookie pair.
    async fn sign_up(&self, email: &str) -> String {
        let r = self
            .call(
                "register",
                &format!("email={email}&password={PW}&phone="),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let signup = pair(&r.cookie("rekey_signup").expect("signup cookie"));
        self.deliver().await;
        let json = self
            .get(&format!("/dev/outbox.json?to={email}"), None)
            .await;
        let messages: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        let subject = messages[0]["subject"].as_str().unwrap().to_string();
        let code = &subject[..6];
        let r = self
            .call("confirm_signup", &format!("code={code}"), Some(&signup))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        pair(&r.cookie("rekey_session").expect("session cookie"))
    }
}

/// `name=value` from a `Set-Cookie` header.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = test_app(&[]).await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, r#"{"database":"ok","status":"ok"}"#);
    app.state.db.close().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn register_confirm_and_account_page() {
    let app = test_app(&[]).await;
    let session = app.sign_up("lin@example.com").await;
    let page = app.get("/account", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Signed in as <strong>lin@example.com</strong>")
            || page.body.contains("lin@example.com")
    );
    assert_eq!(
        page.headers.get("x-content-type-options").unwrap(),
        "nosniff"
    );
}

#[tokio::test]
async fn account_without_session_redirects_to_login() {
    let app = test_app(&[]).await;
    let r = app.get("/account", None).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/login");
    let r = app
        .get("/account", Some("rekey_session=forged-token"))
        .await;
    assert!(r.status.is_redirection());
}

#[tokio::test]
async fn session_cookie_flags() {
    let app = test_app(&[]).await;
    app.sign_up("flags@example.com").await;
    let r = app
        .call(
            "login",
            &format!("email=flags@example.com&password={PW}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cookie = r.cookie("rekey_session").unwrap();
    let token = pair(&cookie)
        .trim_start_matches("rekey_session=")
        .to_string();
    assert_eq!(token.len(), 43, "256-bit token");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "no Secure flag without TLS");

    let tls = test_app(&[("COOKIE_SECURE", "true")]).await;
    tls.sign_up("tls@example.com").await;
    let r = tls
        .call(
            "login",
            &format!("email=tls@example.com&password={PW}"),
            None,
        )
        .await;
    assert!(r.cookie("rekey_session").unwrap().ends_with("; Secure"));
}

#[tokio::test]
async fn login_failures_look_the_same() {
    let app = test_app(&[]).await;
    app.sign_up("known@example.com").await;
    let wrong = app
        .call(
            "login",
            "email=known@example.com&password=Wrong1Password",
            None,
        )
        .await;
    let unknown = app
        .call(
            "login",
            "email=unknown@example.com&password=Wrong1Password",
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert!(wrong.body.contains("Incorrect"), "{}", wrong.body);
    assert!(wrong.cookie("rekey_session").is_none());
}

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    let app = test_app(&[("LOGIN_LOCK_AFTER", "3")]).await;
    app.sign_up("locked@example.com").await;
    for _ in 0..3 {
        app.call(
            "login",
            "email=locked@example.com&password=Wrong1Password",
            None,
        )
        .await;
    }
    let r = app
        .call(
            "login",
            &format!("email=locked@example.com&password={PW}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("Locked"), "{}", r.body);
}

#[tokio::test]
async fn sign_out_and_sign_out_everywhere() {
    let app = test_app(&[]).await;
    let first = app.sign_up("out@example.com").await;
    let r = app
        .call(
            "login",
            &format!("email=out@example.com&password={PW}"),
            None,
        )
        .await;
    let second = pair(&r.cookie("rekey_session").unwrap());

    let r = app.call("logout", "", Some(&second)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.cookie("rekey_session").unwrap().contains("Max-Age=0"));
    assert!(app
        .get("/account", Some(&second))
        .await
        .status
        .is_redirection());
    assert_eq!(
        app.get("/account", Some(&first)).await.status,
        StatusCode::OK
    );

    let third = pair(
        &app.call(
            "login",
            &format!("email=out@example.com&password={PW}"),
            None,
        )
        .await
        .cookie("rekey_session")
        .unwrap(),
    );
    let r = app.call("logout_everywhere", "", Some(&third)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(app
        .get("/account", Some(&first))
        .await
        .status
        .is_redirection());
    assert!(app
        .get("/account", Some(&third))
        .await
        .status
        .is_redirection());
    let r = app.call("logout_everywhere", "", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_message() {
    let app = test_app(&[]).await;
    let long_email = format!("{}@example.com", "a".repeat(300));
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "register",
            format!("email={long_email}&password={PW}&phone=").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too long",
        ),
        (
            "register",
            format!("email=not-an-address&password={PW}&phone=").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "like name@example.com",
        ),
        (
            "register",
            b"email=a@example.com&password=short&phone=".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Password",
        ),
        (
            "register",
            format!("email=a@example.com&password={PW}&phone=12ab").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "country code",
        ),
        (
            "register",
            format!("email=a@example.com&password={}&phone=", "Aa1".repeat(100)).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "characters",
        ),
        (
            "login",
            b"email=%ZZ&password=x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "like name@example.com",
        ),
        (
            "login",
            b"email=\xff\xfe&password=x".to_vec(),
            StatusCode::BAD_REQUEST,
            "BadRequest",
        ),
        (
            "login",
            b"password=only".to_vec(),
            StatusCode::BAD_REQUEST,
            "BadRequest",
        ),
        (
            "login",
            b"email=a@example.com&password=".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your password",
        ),
        (
            "confirm_signup",
            b"code=123456".to_vec(),
            StatusCode::BAD_REQUEST,
            "NoSignup",
        ),
    ];
    for (endpoint, body, status, needle) in cases {
        let r = app
            .call_raw(
                endpoint,
                body.clone(),
                None,
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(
            r.status,
            status,
            "{endpoint} {:?}: {}",
            String::from_utf8_lossy(&body),
            r.body
        );
        let message = r.body.to_lowercase();
        assert!(
            message.contains(&needle.to_lowercase()) || r.body.contains(needle),
            "{endpoint}: {needle:?} not in {}",
            r.body
        );
    }
    // A body past the limit is refused before anything reads it.
    let huge = format!("email=a@example.com&password={}", "x".repeat(200_000)).into_bytes();
    let r = app
        .call_raw("login", huge, None, "application/x-www-form-urlencoded")
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A wrong content type is a 4xx too.
    let r = app
        .call_raw("login", b"{\"email\":1}".to_vec(), None, "application/json")
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn plain_form_posts_redirect_back_with_the_error() {
    let app = test_app(&[]).await;
    let req = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, "http://127.0.0.1:3000/login")
        .body(Body::from(
            "email=nobody@example.com&password=Wrong1Password",
        ))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:3000/login?__path=") && location.contains("__err="),
        "{location}"
    );
    // The page it lands on shows the message, rendered on the server.
    let page = app
        .get(location.trim_start_matches("http://127.0.0.1:3000"), None)
        .await;
    assert!(
        page.body.contains("Incorrect e-mail or password."),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn dev_routes_exist_only_in_development() {
    let dev = test_app(&[]).await;
    assert_eq!(
        dev.get("/dev/outbox.json", None).await.status,
        StatusCode::OK
    );
    assert_eq!(dev.get("/dev/outbox", None).await.status, StatusCode::OK);
    let key = "ab".repeat(32);
    let prod = test_app(&[
        ("REKEY_ENV", "production"),
        ("SECRET_KEY", &key),
        ("SMTP_URL", "smtp://127.0.0.1:2525"),
    ])
    .await;
    assert_eq!(
        prod.get("/dev/outbox.json", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        prod.get("/dev/outbox", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn pages_render_and_unknown_paths_are_404() {
    let app = test_app(&[]).await;
    for (path, heading) in [
        ("/login", "Sign in"),
        ("/register", "Create your account"),
        ("/recover", "Forgot password?"),
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains(heading), "{path}");
    }
    let r = app.get("/no/such/page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
