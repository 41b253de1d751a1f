//! The recovery journey through the real router: what a browser and a script see, for an
//! address with an account and one without, on SQLite and on PostgreSQL.

mod support;

use axum::http::{header, StatusCode};
use support::{pair, postgres_url, sqlite_url, test_app, test_app_on, Reply, TestApp, PW};

/// Cookies and the per-response script nonce differ; everything else must not.
fn comparable(r: &Reply) -> (StatusCode, Option<String>, String) {
    let location = r
        .headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    (r.status, location, without_nonces(&r.body))
}

/// `body` with the values of `nonce="…"` and `crossorigin="…"` blanked.
fn without_nonces(body: &str) -> String {
    let mut out = body.to_string();
    for attr in ["nonce=\"", "crossorigin=\""] {
        let mut rest = out.as_str();
        let mut cleaned = String::with_capacity(out.len());
        while let Some(at) = rest.find(attr) {
            let value_start = at + attr.len();
            cleaned.push_str(&rest[..value_start]);
            let value_len = rest[value_start..].find('"').unwrap_or(0);
            rest = &rest[value_start + value_len..];
        }
        cleaned.push_str(rest);
        out = cleaned;
    }
    out
}

/// One browser walking the journey, for any address.
struct Walk<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl<'a> Walk<'a> {
    async fn start(app: &'a TestApp, email: &str) -> (Self, Reply) {
        let r = app
            .call("recover_start", &format!("email={email}"), None)
            .await;
        let cookie = pair(&r.cookie("rekey_recovery").expect("flow cookie"));
        (Walk { app, cookie }, r)
    }
    async fn page(&self, path: &str) -> Reply {
        self.app.get(path, Some(&self.cookie)).await
    }
    async fn call(&self, endpoint: &str, form: &str) -> Reply {
        self.app.call(endpoint, form, Some(&self.cookie)).await
    }
}

async fn no_enumeration_at_any_step(app: TestApp) {
    app.sign_up("lin@example.com").await;
    // Same mask, one with an account, one without.
    let (known, k) = Walk::start(&app, "lin@example.com").await;
    let (unknown, u) = Walk::start(&app, "lyn@example.com").await;
    assert_eq!(comparable(&k), comparable(&u), "start");
    let set_cookie = k.cookie("rekey_recovery").unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert!(!set_cookie.contains("Max-Age=0"));

    for path in ["/recover/verify", "/recover/verify?method=email"] {
        let (k, u) = (known.page(path).await, unknown.page(path).await);
        assert_eq!(k.status, StatusCode::OK, "{path}");
        assert!(k.body.contains("l***n@example.com"), "{path}");
        assert_eq!(comparable(&k), comparable(&u), "{path}");
    }
    let (k, u) = (
        known.call("recover_send", "").await,
        unknown.call("recover_send", "").await,
    );
    assert_eq!(k.status, StatusCode::OK, "{}", k.body);
    assert_eq!(comparable(&k), comparable(&u), "send");
    let (k, u) = (
        known.page("/recover/code").await,
        unknown.page("/recover/code").await,
    );
    assert!(k.body.contains("Resend code in 60 s"), "{}", k.body);
    assert_eq!(comparable(&k), comparable(&u), "code page");
    // Resend during the cool-down: the same refusal.
    let (k, u) = (
        known.call("recover_send", "").await,
        unknown.call("recover_send", "").await,
    );
    assert_eq!(k.status, StatusCode::TOO_MANY_REQUESTS, "{}", k.body);
    assert_eq!(comparable(&k), comparable(&u), "resend too early");

    let code = app
        .code_from_outbox("lin@example.com", "verification code")
        .await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let (k, u) = (
        known.call("recover_check", &format!("code={wrong}")).await,
        unknown
            .call("recover_check", &format!("code={wrong}"))
            .await,
    );
    assert_eq!(k.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(k.body, r#"{"WrongCode":{"tries_left":4}}"#);
    assert_eq!(comparable(&k), comparable(&u), "wrong code");
    let (k, u) = (
        known.page("/recover/code").await,
        unknown.page("/recover/code").await,
    );
    assert_eq!(
        comparable(&k),
        comparable(&u),
        "code page after a wrong try"
    );

    // Only the known address has a code to type; it goes on to the password step.
    let r = known.call("recover_check", &format!("code={code}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = known.page("/recover/password").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Create a new password"));
    // The unknown flow is still at the code step: the password screen sends it back there.
    let r = unknown.page("/recover/password").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/recover/code");

    let r = known
        .call(
            "recover_password",
            "password=Lighthouse4Meadow&confirm=Lighthouse4Meadow",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.cookie("rekey_device").is_some(),
        "the browser that set the password is remembered"
    );
    let r = known.page("/recover/done").await;
    assert!(r.body.contains("Your password was changed"), "{}", r.body);
    let r = app
        .call(
            "login",
            &format!("email=lin@example.com&password={PW}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .call(
            "login",
            "email=lin@example.com&password=Lighthouse4Meadow",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_enumeration_at_any_step_sqlite() {
    no_enumeration_at_any_step(test_app_on(&sqlite_url(), &[("SLIDER_POLICY", "never")]).await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_enumeration_at_any_step_postgres() {
    no_enumeration_at_any_step(
        test_app_on(&postgres_url().await, &[("SLIDER_POLICY", "never")]).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screens_out_of_order_redirect() {
    let app = test_app(&[("SLIDER_POLICY", "never")]).await;
    // No flow at all: every step screen goes back to the start, which says why.
    for path in [
        "/recover/verify",
        "/recover/code",
        "/recover/password",
        "/recover/done",
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::FOUND, "{path}");
        assert_eq!(
            r.headers.get(header::LOCATION).unwrap(),
            "/recover?expired=1",
            "{path}"
        );
        let r = app.get(path, Some("rekey_recovery=forged")).await;
        assert_eq!(
            r.headers.get(header::LOCATION).unwrap(),
            "/recover?expired=1",
            "{path}"
        );
    }
    let r = app.get("/recover?expired=1", None).await;
    assert!(r.body.contains("expired or was already used"), "{}", r.body);

    let (walk, _) = Walk::start(&app, "lin@example.com").await;
    for path in ["/recover/code", "/recover/password", "/recover/done"] {
        let r = walk.page(path).await;
        assert_eq!(
            r.headers.get(header::LOCATION).unwrap(),
            "/recover/verify",
            "{path}"
        );
    }
    // Server functions called out of order send the browser to its step, too.
    let r = walk.call("recover_check", "code=123456").await;
    assert!(
        r.headers.contains_key("serverfnredirect"),
        "{:?}",
        r.headers
    );
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/recover/verify");
    let r = app.call("recover_send", "", None).await;
    assert!(
        r.headers
            .get(header::LOCATION)
            .is_some_and(|l| l == "/recover?expired=1"),
        "{:?}",
        r.headers
    );

    // Back from the code screen to "Verify your identity" is allowed.
    walk.call("recover_send", "").await;
    assert_eq!(walk.page("/recover/verify").await.status, StatusCode::OK);
    assert_eq!(walk.page("/recover/code").await.status, StatusCode::OK);
}

/// Past the address's daily limit of wrong codes (1 here) a code check sends the browser back
/// to the slider, whose page says why; the same for an address without an account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_wrong_code_limit_the_slider_again_says_why() {
    let app = test_app(&[("WRONG_CODES_PER_ACCOUNT_PER_DAY", "1")]).await;
    app.sign_up("lin@example.com").await;
    let mut seen = Vec::new();
    for address in ["lin@example.com", "lyn@example.com"] {
        let (walk, _) = Walk::start(&app, address).await;
        walk.call("recover_send", "").await;
        walk.call("recover_check", "code=111111").await;
        let r = walk.call("recover_check", "code=222222").await;
        assert_eq!(
            r.headers.get(header::LOCATION).unwrap(),
            "/recover/check?again=1",
            "{address}: {:?}",
            r.headers
        );
        let page = walk.page("/recover/check?again=1").await;
        assert_eq!(page.status, StatusCode::OK, "{address}");
        assert!(
            page.body
                .contains("too many wrong codes for this address today"),
            "{}",
            page.body
        );
        seen.push(comparable(&page));
    }
    assert_eq!(seen[0], seen[1], "the same page for both addresses");
    // A code sent from a page whose flow another tab replaced by one at the slider (a code went
    // to the address lately): to the slider, without the notice (no wrong codes there).
    let (walk, _) = Walk::start(&app, "ada@example.com").await;
    walk.call("recover_send", "").await;
    let (other_tab, _) = Walk::start(&app, "ada@example.com").await;
    let r = other_tab.call("recover_check", "code=123456").await;
    assert_eq!(
        r.headers.get(header::LOCATION).unwrap(),
        "/recover/check",
        "{:?}",
        r.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_recovery_input_is_a_field_error() {
    let app = test_app(&[("SLIDER_POLICY", "never")]).await;
    let r = app
        .call("recover_start", "email=not-an-address", None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Email"), "{}", r.body);
    let long = "a".repeat(300);
    let r = app
        .call("recover_start", &format!("email={long}@example.com"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .call_raw(
            "recover_start",
            b"email=\xff\xfe".to_vec(),
            None,
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    let (walk, _) = Walk::start(&app, "lin@example.com").await;
    walk.call("recover_send", "").await;
    for code in ["12a456", "", "1234567", &"9".repeat(100)] {
        let r = walk.call("recover_check", &format!("code={code}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code:?}: {}",
            r.body
        );
        assert!(r.body.contains("Code"), "{}", r.body);
    }
    // Malformed codes cost no try.
    let view = backend::recovery::view(
        &app.state,
        walk.cookie.trim_start_matches("rekey_recovery="),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(view.tries_left, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_form_journey_without_javascript() {
    let app = test_app(&[("SLIDER_POLICY", "never")]).await;
    app.sign_up("lin@example.com").await;
    let html = |path: &'static str, body: String, cookie: Option<String>| {
        let mut req = axum::http::Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://127.0.0.1:3000/recover");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(axum::body::Body::from(body)).unwrap()
    };
    let r = app
        .send(html(
            "/api/recover_start",
            "email=lin@example.com".into(),
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/recover/verify");
    let cookie = pair(&r.cookie("rekey_recovery").unwrap());
    let r = app
        .send(html(
            "/api/recover_send",
            String::new(),
            Some(cookie.clone()),
        ))
        .await;
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/recover/code");
    let code = app
        .code_from_outbox("lin@example.com", "verification code")
        .await;
    let r = app
        .send(html(
            "/api/recover_check",
            format!("code={code}"),
            Some(cookie.clone()),
        ))
        .await;
    assert_eq!(
        r.headers.get(header::LOCATION).unwrap(),
        "/recover/password"
    );
    let r = app
        .send(html(
            "/api/recover_password",
            "password=Lighthouse4Meadow&confirm=Lighthouse4Meadow".into(),
            Some(cookie.clone()),
        ))
        .await;
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/recover/done");
}
