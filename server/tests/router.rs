//! Router tests: the real router on a real SQLite file, called with `oneshot` (no sockets).

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use support::{pair, test_app, PW};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_the_database() {
    let app = test_app(&[]).await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, r#"{"database":"ok","status":"ok"}"#);
    app.state.db.close().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_4xx_with_a_message() {
    let app = test_app(&[]).await;
    let long_email = format!("{}@example.com", "a".repeat(300));
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "register",
            format!("email={long_email}&password={PW}&phone=").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"Email":"TooLong"}"#,
        ),
        (
            "register",
            format!("email=not-an-address&password={PW}&phone=").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"Email":"Malformed"}"#,
        ),
        (
            "register",
            b"email=a@example.com&password=short&phone=".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            r#""rule":"Length""#,
        ),
        (
            "register",
            format!("email=a@example.com&password={PW}&phone=12ab").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"Phone":"Malformed"}"#,
        ),
        (
            "register",
            format!("email=a@example.com&password={}&phone=", "Aa1".repeat(100)).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            r#""rule":"Length""#,
        ),
        (
            "login",
            b"email=%ZZ&password=x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"Email":"Malformed"}"#,
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
            r#""PasswordMissing""#,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_routes_exist_only_in_development() {
    let dev = test_app(&[]).await;
    assert_eq!(
        dev.get("/dev/outbox.json", None).await.status,
        StatusCode::OK
    );
    assert_eq!(dev.get("/dev/outbox", None).await.status, StatusCode::OK);
    let gallery = dev.get("/dev/gallery", None).await;
    assert_eq!(gallery.status, StatusCode::OK);
    assert!(gallery.body.contains("id=\"strength\""), "{}", gallery.body);
    let key = "ab".repeat(32);
    let prod = test_app(&[
        ("REKEY_ENV", "production"),
        ("SMS_POLICY", "never"),
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
    assert_eq!(
        prod.get("/dev/gallery", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_and_unknown_paths_are_404() {
    let app = test_app(&[]).await;
    for (path, heading) in [
        ("/login", "Sign in"),
        ("/register", "Create your account"),
        ("/recover", "Forgot your password?"),
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains(heading), "{path}");
    }
    let r = app.get("/no/such/page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
