//! Security activity, the sessions list and "This wasn't me", through the real router: every
//! event is recorded with its browser, the e-mailed link changes nothing until its page posts,
//! it works once, and it signs every device out.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use support::{pair, postgres_url, sqlite_url, test_app, test_app_on, Reply, TestApp, PW};

const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
const PHONE: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

/// A server function called by a browser with user agent `ua`.
async fn post(app: &TestApp, endpoint: &str, form: &str, cookie: Option<&str>, ua: &str) -> Reply {
    let mut req = Request::post(format!("/api/{endpoint}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, ua);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    app.send(req.body(Body::from(form.to_string())).unwrap())
        .await
}

/// Signs in as `email` from a browser with `ua` (and `device` cookie); returns the session
/// cookie pair and the device cookie pair the server set.
async fn sign_in(app: &TestApp, email: &str, ua: &str, device: Option<&str>) -> (String, String) {
    sign_in_with(app, email, PW, ua, device).await
}

async fn sign_in_with(
    app: &TestApp,
    email: &str,
    password: &str,
    ua: &str,
    device: Option<&str>,
) -> (String, String) {
    let r = post(
        app,
        "login",
        &format!("email={email}&password={password}"),
        device,
        ua,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (
        pair(&r.cookie("rekey_session").expect("session cookie")),
        pair(&r.cookie("rekey_device").expect("device cookie")),
    )
}

/// Starts a recovery for `email` from a phone; returns the flow cookie pair.
async fn start_recovery(app: &TestApp, email: &str) -> String {
    let r = post(app, "recover_start", &format!("email={email}"), None, PHONE).await;
    pair(&r.cookie("rekey_recovery").expect("flow cookie"))
}

/// The account's events, newest first, as stored.
async fn events(app: &TestApp, email: &str) -> Vec<backend::activity::ActivityEntry> {
    let row = sqlx::query("SELECT id FROM users WHERE email_key = $1")
        .bind(email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let id: String = sqlx::Row::try_get(&row, "id").unwrap();
    backend::activity::page(&app.state, &id, 0, 100)
        .await
        .unwrap()
        .0
}

fn names(events: &[backend::activity::ActivityEntry]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

/// The "This wasn't me" token in the newest e-mail to `to` whose subject contains `subject`.
async fn wasnt_me_token(app: &TestApp, to: &str, subject: &str) -> String {
    app.deliver().await;
    let messages = backend::outbox::dev_messages(&app.state.db, Some(to), 50)
        .await
        .unwrap();
    let m = messages
        .iter()
        .find(|m| m.subject.contains(subject))
        .unwrap_or_else(|| panic!("no {subject:?} e-mail to {to}"));
    let at = m.text.find("/wasnt-me?token=").expect("link in the e-mail") + 16;
    m.text[at..].split_whitespace().next().unwrap().to_string()
}

async fn signed_in(app: &TestApp, session: &str) -> bool {
    let r = app.get("/account", Some(session)).await;
    r.status == StatusCode::OK && r.body.contains("Signed in as")
}

async fn each_event_is_recorded(app: TestApp) {
    let email = "lin@example.com";
    app.sign_up(email).await;
    let (session, _) = sign_in(&app, email, FIREFOX, None).await;
    // A recovery from a phone: start, code sent, a wrong code, the right one, a new password.
    let flow = start_recovery(&app, email).await;
    let r = post(&app, "recover_send", "", Some(&flow), PHONE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = app.code_from_outbox(email, "verification code").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = post(
        &app,
        "recover_check",
        &format!("code={wrong}"),
        Some(&flow),
        PHONE,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    post(
        &app,
        "recover_check",
        &format!("code={code}"),
        Some(&flow),
        PHONE,
    )
    .await;
    let r = post(
        &app,
        "recover_password",
        "password=Lighthouse4Meadow&confirm=Lighthouse4Meadow",
        Some(&flow),
        PHONE,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        !signed_in(&app, &session).await,
        "the reset signs every device out"
    );

    let all = events(&app, email).await;
    assert_eq!(
        names(&all),
        [
            "password_reset",
            "wrong_code",
            "code_sent_email",
            "recovery_requested",
            "signed_in_new_device",
            "account_created",
        ]
    );
    let sent = &all[2];
    assert_eq!(sent.detail.as_deref(), Some("l***n@example.com"));
    assert_eq!(all[1].detail.as_deref(), Some("email"));
    for e in &all[..4] {
        assert_eq!(e.agent.as_deref(), Some("Chrome · Android"), "{e:?}");
    }
    assert_eq!(all[4].agent.as_deref(), Some("Firefox · Windows"));

    // The page shows them, newest first, with the browser.
    let (session, _) = sign_in_with(&app, email, "Lighthouse4Meadow", FIREFOX, None).await;
    let r = app.get("/account/activity", Some(&session)).await;
    assert_eq!(r.status, StatusCode::OK);
    let order = [
        "Signed in from a new device",
        "Password changed",
        "Wrong verification code entered",
        "Verification code e-mailed",
        "Password reset requested",
        "Account created",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|label| {
            r.body
                .find(label)
                .unwrap_or_else(|| panic!("{label} missing"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "newest first: {at:?}");
    assert!(r.body.contains("Chrome on Android") && r.body.contains("To l***n@example.com"));

    // Signing out everywhere is recorded too.
    let r = post(&app, "logout_everywhere", "", Some(&session), FIREFOX).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(events(&app, email).await[0].event, "signed_out_everywhere");
    // Signed out, the page sends the browser to sign in.
    let r = app.get("/account/activity", Some(&session)).await;
    assert_eq!(r.status, StatusCode::FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_is_recorded_sqlite() {
    each_event_is_recorded(test_app_on(&sqlite_url(), &[("SLIDER_POLICY", "never")]).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_is_recorded_postgres() {
    let url = postgres_url().await;
    each_event_is_recorded(test_app_on(&url, &[("SLIDER_POLICY", "never")]).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_slider_is_recorded_for_the_account_only() {
    let app = test_app(&[("SLIDER_POLICY", "always")]).await;
    app.sign_up("lin@example.com").await;
    for email in ["lin@example.com", "nobody@example.com"] {
        let flow = start_recovery(&app, email).await;
        let r = post(
            &app,
            "recover_challenge_answer",
            "token=forged&movement=%7B%7D&nonce=0&extra=",
            Some(&flow),
            PHONE,
        )
        .await;
        assert_eq!(r.body, "false");
    }
    let all = events(&app, "lin@example.com").await;
    assert_eq!(
        names(&all),
        ["slider_failed", "recovery_requested", "account_created"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_browser_signs_in_without_a_new_device_email() {
    let app = test_app(&[]).await;
    let email = "lin@example.com";
    app.sign_up(email).await;
    let (_, device) = sign_in(&app, email, FIREFOX, None).await;
    let (_, _) = sign_in(&app, email, FIREFOX, Some(&device)).await;
    assert_eq!(
        names(&events(&app, email).await)[..2],
        ["signed_in", "signed_in_new_device"]
    );
    app.deliver().await;
    let mails = backend::outbox::dev_messages(&app.state.db, Some(email), 50)
        .await
        .unwrap();
    let notices: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("New sign-in"))
        .collect();
    assert_eq!(notices.len(), 1, "one e-mail, for the new browser only");
    assert!(notices[0].text.contains("Firefox on Windows"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_that_signed_up_is_a_known_device() {
    let app = test_app(&[]).await;
    let email = "lin@example.com";
    let r = post(
        &app,
        "register",
        &format!("email={email}&password={PW}&phone="),
        None,
        FIREFOX,
    )
    .await;
    let signup = pair(&r.cookie("rekey_signup").unwrap());
    let code = app.code_from_outbox(email, "sign-up code").await;
    let r = post(
        &app,
        "confirm_signup",
        &format!("code={code}"),
        Some(&signup),
        FIREFOX,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let device = pair(&r.cookie("rekey_device").expect("device cookie at sign-up"));
    sign_in(&app, email, FIREFOX, Some(&device)).await;
    assert_eq!(
        names(&events(&app, email).await),
        ["signed_in", "account_created"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasnt_me_opens_safely_works_once_and_signs_out_everywhere() {
    let app = test_app(&[]).await;
    let email = "lin@example.com";
    let first = app.sign_up(email).await;
    let (second, _) = sign_in(&app, email, FIREFOX, None).await;
    let token = wasnt_me_token(&app, email, "New sign-in").await;
    let page = format!("/wasnt-me?token={token}");

    // A mail scanner (no cookies) fetching the link, twice: nothing changes.
    for _ in 0..2 {
        let r = app.get(&page, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("Secure my account"), "{}", r.body);
    }
    assert!(signed_in(&app, &first).await && signed_in(&app, &second).await);
    assert!(backend::disown::peek(&app.state, &token)
        .await
        .unwrap()
        .is_some());

    // The owner presses the button.
    let r = post(
        &app,
        "secure_account",
        &format!("token={token}"),
        None,
        PHONE,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!signed_in(&app, &first).await && !signed_in(&app, &second).await);
    let flow = pair(
        &r.cookie("rekey_recovery")
            .expect("a fresh recovery in this browser"),
    );
    assert_eq!(
        r.headers.get(header::LOCATION).map(|v| v.to_str().unwrap()),
        Some("/recover/verify?secured=1"),
        "the fresh recovery starts as any other would (no slider: nothing risky yet)"
    );
    let r = app.get("/recover/verify?secured=1", Some(&flow)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("every device was signed out"), "{}", r.body);
    let flagged: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT flagged FROM users WHERE email_key = $1")
            .bind(email)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap(),
        "flagged",
    )
    .unwrap();
    assert_eq!(flagged, 1, "recovery now asks for the SMS step");
    assert_eq!(events(&app, email).await[1].event, "wasnt_me");

    // Single use: the page says so, and a second post is refused.
    let r = app.get(&page, None).await;
    assert!(r.body.contains("This link can"), "{}", r.body);
    let r = post(
        &app,
        "secure_account",
        &format!("token={token}"),
        None,
        PHONE,
    )
    .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.body);
    let r = post(&app, "secure_account", "token=made-up", None, PHONE).await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasnt_me_links_expire_after_seven_days_and_work_without_javascript() {
    let app = test_app(&[("SLIDER_POLICY", "never")]).await;
    let email = "lin@example.com";
    app.sign_up(email).await;
    sign_in(&app, email, FIREFOX, None).await;
    let old = wasnt_me_token(&app, email, "New sign-in").await;
    app.clock.advance(7 * 86_400 + 1);
    let r = app.get(&format!("/wasnt-me?token={old}"), None).await;
    assert!(r.body.contains("This link can"), "{}", r.body);
    let r = post(&app, "secure_account", &format!("token={old}"), None, PHONE).await;
    assert_eq!(r.status, StatusCode::GONE);

    // A fresh link, used by a plain form post.
    sign_in(&app, email, FIREFOX, None).await;
    let token = wasnt_me_token(&app, email, "New sign-in").await;
    let req = Request::post("/api/secure_account")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "http://127.0.0.1:3000/wasnt-me")
        .body(Body::from(format!("token={token}")))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.headers.get(header::LOCATION).unwrap(),
        "/recover/verify?secured=1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_this_device_ends_only_that_session() {
    let app = test_app(&[]).await;
    let here = app.sign_up("lin@example.com").await;
    let (there, _) = sign_in(&app, "lin@example.com", PHONE, None).await;
    let r = app.call("account_overview", "", Some(&here)).await;
    let overview: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let list = overview["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", r.body);
    let other = list.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["agent"], "Chrome · Android");
    let id = other["id"].as_str().unwrap();

    // Someone else's session cannot be named.
    app.sign_up("sam@example.com").await;
    let (stranger, _) = sign_in(&app, "sam@example.com", FIREFOX, None).await;
    app.call("sign_out_device", &format!("id={id}"), Some(&stranger))
        .await;
    assert!(signed_in(&app, &there).await);

    let r = app
        .call("sign_out_device", &format!("id={id}"), Some(&here))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!signed_in(&app, &there).await && signed_in(&app, &here).await);
    let r = app.get("/account", Some(&here)).await;
    assert!(
        r.body.contains("Where you") && r.body.contains("This device"),
        "{}",
        r.body
    );
    assert_eq!(
        events(&app, "lin@example.com").await[0].detail.as_deref(),
        Some("Chrome · Android")
    );
}
