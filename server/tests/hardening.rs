//! The router against hostile callers: security headers, requests forged by other sites,
//! spoofed client addresses, and a sweep of every server function with bad input.

mod support;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use std::net::SocketAddr;
use support::{pair, test_app, TestApp};

fn header<'a>(r: &'a support::Reply, name: &str) -> &'a str {
    r.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// The nonce the page's Content-Security-Policy lets scripts run with.
fn policy_nonce(r: &support::Reply) -> Option<&str> {
    header(r, "content-security-policy")
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let app = test_app(&[]).await;
    let page = app.get("/login", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = header(&page, "content-security-policy");
    // The hydration script runs because it carries this response's nonce, and only it.
    let nonce = policy_nonce(&page).expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(page.body.contains(&format!("nonce=\"{nonce}\"")));
    for part in [
        "script-src 'self' 'nonce-",
        "'wasm-unsafe-eval'",
        "style-src 'self';",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // No inline style attributes for the policy to refuse.
    assert!(!page.body.contains(" style="), "inline style in /login");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "referrer-policy"), "same-origin");
    assert_eq!(header(&page, "strict-transport-security"), "");
    // Every response has its own nonce.
    let again = app.get("/login", None).await;
    assert!(!header(&again, "content-security-policy").contains(nonce));
    // Answers that are not pages get a policy without scripts.
    let health = app.get("/healthz", None).await;
    assert!(header(&health, "content-security-policy").starts_with("default-src 'none'"));
    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(header(&missing, "content-security-policy").contains("'nonce-"));
    // No copy of a page or an answer is kept by the browser or a proxy.
    assert_eq!(header(&page, "cache-control"), "no-store");
    let account = app.get("/account", None).await;
    assert!(account.status.is_redirection(), "{}", account.status);
    assert_eq!(header(&account, "cache-control"), "no-store");
    assert_eq!(header(&health, "cache-control"), "no-store");
    let answer = app.call("account_overview", "", None).await;
    assert_eq!(header(&answer, "cache-control"), "no-store");
    // The app's files may be kept, and are asked for again each time (end2end checks the 304).
    let file = app.get("/favicon.svg", None).await;
    assert_eq!(header(&file, "cache-control"), "no-cache");
    // Behind TLS, browsers are told to stay on HTTPS.
    let tls = test_app(&[("COOKIE_SECURE", "true")]).await;
    let page = tls.get("/login", None).await;
    assert_eq!(
        header(&page, "strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
}

/// A POST to a server function the way a browser on `origin` would send it.
fn post_from(
    endpoint: &str,
    form: &str,
    origin: Option<&str>,
    site: Option<&str>,
) -> Request<Body> {
    let mut req = Request::post(format!("/api/{endpoint}"))
        .header(header::HOST, "shop.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    if let Some(s) = site {
        req = req.header("sec-fetch-site", s);
    }
    req.body(Body::from(form.to_string())).unwrap()
}

async fn flows(app: &TestApp) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) FROM recovery_flows")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sites_cannot_change_anything() {
    let app = test_app(&[]).await;
    let form = "email=lin%40example.com";
    for (origin, site) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, Some("cross-site")),
        (Some("http://shop.example"), Some("same-site")),
    ] {
        let r = app
            .send(post_from("recover_start", form, origin, site))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin:?} {site:?}");
        assert!(r.body.contains("another site"), "{}", r.body);
    }
    assert_eq!(flows(&app).await, 0, "a refused request changed nothing");
    // The same request from the shop's own page goes through.
    let r = app
        .send(post_from(
            "recover_start",
            form,
            Some("http://shop.example"),
            Some("same-origin"),
        ))
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.status
    );
    assert_eq!(flows(&app).await, 1);
    // Reading stays open to links from anywhere.
    let mut get = Request::get("/login")
        .header(header::ORIGIN, "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    get.headers_mut()
        .insert(header::ACCEPT, "text/html".parse().unwrap());
    assert_eq!(app.send(get).await.status, StatusCode::OK);
    // With PUBLIC_URL set, only that origin may post.
    let public = test_app(&[("PUBLIC_URL", "https://account.example.com/")]).await;
    let r = public
        .send(post_from(
            "recover_start",
            form,
            Some("http://shop.example"),
            None,
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = public
        .send(post_from(
            "recover_start",
            form,
            Some("https://account.example.com"),
            None,
        ))
        .await;
    assert!(!r.status.is_client_error(), "{}", r.status);
}

/// A recovery start from the socket `peer` carrying `X-Forwarded-For: forwarded`.
async fn start_from(app: &TestApp, peer: &str, forwarded: Option<&str>) -> StatusCode {
    let mut req = Request::post("/api/recover_start")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let mut req = req.body(Body::from("email=lin%40example.com")).unwrap();
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    app.send(req).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofed_forwarded_for_does_not_escape_the_limits() {
    // Two starts per network; the third is refused.
    let direct = test_app(&[("RECOVERY_PER_NETWORK", "2")]).await;
    for n in 0..2 {
        let spoof = format!("198.51.{n}.1");
        assert!(!start_from(&direct, "203.0.113.5", Some(&spoof))
            .await
            .is_client_error());
    }
    // A new made-up address per request: still the socket's network, still refused.
    assert_eq!(
        start_from(&direct, "203.0.113.5", Some("192.0.2.77")).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Behind our proxy the client address is the one the proxy appended.
    let proxied = test_app(&[
        ("RECOVERY_PER_NETWORK", "2"),
        ("TRUSTED_PROXIES", "10.0.0.0/8"),
    ])
    .await;
    // Different shoppers behind the same proxy have their own limits ...
    for n in 0..4 {
        let client = format!("198.51.{n}.9");
        assert!(!start_from(&proxied, "10.0.0.2", Some(&client))
            .await
            .is_client_error());
    }
    // ... and one shopper cannot get a fresh limit by writing its own entry on the left.
    let mut last = StatusCode::OK;
    for n in 0..3 {
        let spoofed = format!("192.0.{n}.1, 203.0.113.50");
        last = start_from(&proxied, "10.0.0.2", Some(&spoofed)).await;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// Bodies no form would send. Each must get a 4xx with a message (or, for a function that
/// takes nothing, its normal answer) — never a 500, never a panic.
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let form = "application/x-www-form-urlencoded";
    let all_fields = "email=lin%40example.com&password=x&confirm=y&phone=1&code=1&pass=p&token=t&movement=m&nonce=1&extra=2&current_password=z";
    let many_fields: String = (0..8_000).map(|i| format!("f{i}=1&")).collect();
    vec![
        ("empty", Vec::new(), form),
        ("invalid UTF-8", b"email=\xff\xfe&password=\xc0\x80&code=\xff".to_vec(), form),
        ("NUL bytes", b"email=a%00b%40example.com&password=%00&code=12%0034&phone=%00".to_vec(), form),
        ("raw NUL", b"email=a\0b&password=\0".to_vec(), form),
        ("every field at once", all_fields.as_bytes().to_vec(), form),
        ("thousands of fields", many_fields.into_bytes(), form),
        ("repeated field", "email=a%40example.com&email=b%40example.com&password=x&password=y".as_bytes().to_vec(), form),
        ("look-alike e-mail", "email=%D0%B0dmin%40ex%D0%B0mple.com&password=Tangerine7Harbor".as_bytes().to_vec(), form),
        ("right-to-left override", "email=lin%E2%80%AE%40example.com&password=x".as_bytes().to_vec(), form),
        ("code with spaces", b"code=12+34+56".to_vec(), form),
        ("code with letters", b"code=12a456".to_vec(), form),
        ("full-width digits", "code=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96".as_bytes().to_vec(), form),
        ("huge numbers", b"nonce=99999999999999999999&extra=-1&token=x&movement=%7B%7D".to_vec(), form),
        (
            "NaN trajectory",
            "token=x&nonce=1&extra=&movement=%7B%22mode%22%3A%22drag%22%2C%22samples%22%3A%5B%7B%22t%22%3ANaN%2C%22x%22%3A1e999%2C%22y%22%3A-0%7D%5D%7D"
                .as_bytes()
                .to_vec(),
            form,
        ),
        ("JSON", br#"{"email":"lin@example.com","password":1}"#.to_vec(), "application/json"),
        ("plain text", b"hello".to_vec(), "text/plain"),
        ("broken multipart", b"--x\r\nContent-Disposition: form-data\r\n\r\n".to_vec(), "multipart/form-data; boundary=x"),
        ("no content type", b"email=a".to_vec(), ""),
    ]
}

async fn sweep(app: &TestApp, cookie: Option<&str>) {
    let endpoints: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    assert!(endpoints.len() >= 19, "{endpoints:?}");
    for path in &endpoints {
        let endpoint = path.trim_start_matches("/api/");
        for (what, body, content_type) in hostile_bodies() {
            let r = app.call_raw(endpoint, body, cookie, content_type).await;
            assert!(
                r.status.as_u16() < 500,
                "{endpoint} with {what}: {} {}",
                r.status,
                r.body
            );
            if r.status.is_client_error() {
                assert!(
                    !r.body.trim().is_empty(),
                    "{endpoint} with {what}: {} and no message",
                    r.status
                );
            }
        }
        // A megabyte is refused before anything reads it.
        let r = app
            .call_raw(
                endpoint,
                vec![b'a'; 1 << 20],
                cookie,
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{endpoint}");
        assert!(r.body.contains("too large"), "{endpoint}: {}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_survives_hostile_input() {
    let app = test_app(&[
        ("RECOVERY_PER_NETWORK", "100000"),
        ("SLIDER_POLICY", "never"),
    ])
    .await;
    let session = app.sign_up("lin@example.com").await;
    // Without cookies, with a session, and in the middle of a recovery flow.
    sweep(&app, None).await;
    sweep(&app, Some(&session)).await;
    let r = app
        .call("recover_start", "email=lin%40example.com", None)
        .await;
    let flow = pair(&r.cookie("rekey_recovery").expect("flow cookie"));
    app.call("recover_send", "", Some(&flow)).await;
    sweep(&app, Some(&flow)).await;
    // Still serving.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

/// Many pages drawn at once: each one still carries the policy with its own nonce (a page
/// without it would have its hydration script refused by the browser).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_page_carries_its_policy_under_load() {
    let app = std::sync::Arc::new(test_app(&[]).await);
    let paths = [
        "/login",
        "/recover",
        "/recover/verify",
        "/recover/verify?__err=x",
        "/register",
        "/no/such/page",
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..32 {
        let app = app.clone();
        tasks.spawn(async move {
            let (mut checked, mut missing) = (0, Vec::new());
            // A recovery under way, so its step pages draw (and wait for) the flow.
            let started = app
                .call(
                    "recover_start",
                    &format!("email=load{worker}@example.com"),
                    None,
                )
                .await;
            let flow = pair(&started.cookie("rekey_recovery").expect("flow cookie"));
            for round in 0..40 {
                let path = paths[(worker + round) % paths.len()];
                let page = app.get(path, Some(&flow)).await;
                checked += 1;
                let nonce = policy_nonce(&page).unwrap_or("(none)");
                if !page.body.contains(&format!("nonce=\"{nonce}\"")) {
                    let csp = header(&page, "content-security-policy");
                    missing.push(format!("{path} {}: {csp}", page.status));
                }
            }
            (checked, missing)
        });
    }
    let (mut checked, mut missing) = (0, Vec::new());
    while let Some(done) = tasks.join_next().await {
        let (n, m) = done.unwrap();
        checked += n;
        missing.extend(m);
    }
    assert_eq!(checked, 32 * 40);
    assert!(
        missing.is_empty(),
        "{} pages without their policy: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
}

/// `/login` and `/recover` are drawn once per language and kept (`server::pages`): every
/// answer still has a nonce of its own, written in its policy, and nothing of one request
/// (a notice in the query, the language, arriving from our own page) leaks into another's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_pages_get_a_fresh_nonce_and_only_their_own_content() {
    let app = test_app(&[]).await;
    let get = |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
        let mut req = Request::get(path).header(header::ACCEPT, "text/html");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        app.send(req.body(Body::empty()).unwrap())
    };
    let mut nonces = std::collections::HashSet::new();
    let mut pages = Vec::new();
    for _ in 0..3 {
        let page = get("/login", &[]).await;
        assert_eq!(page.status, StatusCode::OK);
        let nonce = policy_nonce(&page).expect("a page policy").to_string();
        assert!(page.body.contains(&format!("nonce=\"{nonce}\"")));
        assert!(nonces.insert(nonce.clone()), "a nonce served twice");
        pages.push(page.body.replace(&nonce, "NONCE"));
    }
    // The same page each time, but for its nonce.
    assert!(pages.iter().all(|p| *p == pages[0]));
    assert!(pages[0].contains("Sign in"));

    // A notice in the query is drawn for that request only.
    let notice = get("/login?notice=signed-out", &[]).await;
    assert!(notice.body.contains("alert--info"), "{}", notice.body);
    assert!(!get("/login", &[]).await.body.contains("alert--info"));

    // The language, and the heading's focus when arriving from one of our pages.
    let fr = get("/login", &[("accept-language", "fr-FR,fr;q=0.9")]).await;
    assert!(fr.body.contains(r#"<html lang="fr""#), "{}", fr.body);
    let step = get("/login", &[("sec-fetch-site", "same-origin")]).await;
    assert!(step.body.contains("autofocus"));
    let plain = get("/login", &[]).await;
    assert!(plain.body.contains(r#"<html lang="en""#));
    assert!(!plain.body.contains("autofocus"));
    let policy = policy_nonce(&plain).expect("a page policy");
    assert!(!nonces.contains(policy));
}
