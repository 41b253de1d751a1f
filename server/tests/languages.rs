//! Languages through the real router: which language a page gets (the choice in the cookie,
//! else `Accept-Language`, else English), the language menu's endpoint, and a recovery's
//! e-mail written in the language it was started in.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use support::{pair, test_app};

async fn page(
    app: &support::TestApp,
    path: &str,
    cookie: Option<&str>,
    accept: Option<&str>,
) -> String {
    let mut req = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if let Some(a) = accept {
        req = req.header(header::ACCEPT_LANGUAGE, a);
    }
    let r = app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{path}");
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choice_beats_accept_language_beats_english() {
    let app = test_app(&[]).await;
    let en = page(&app, "/recover", None, None).await;
    assert!(en.contains(r#"<html lang="en" dir="ltr""#), "{en}");
    assert!(en.contains("Forgot your password?"));

    let zh = page(&app, "/recover", None, Some("zh-CN,zh;q=0.9,en;q=0.8")).await;
    assert!(zh.contains(r#"<html lang="zh" dir="ltr""#), "{zh}");
    assert!(zh.contains("忘记密码"), "{zh}");
    assert!(!zh.contains("Forgot your password?"));

    // The cookie the language menu sets wins over the browser's languages.
    let ar = page(
        &app,
        "/recover",
        Some("rekey_lang=ar"),
        Some("zh-CN,zh;q=0.9"),
    )
    .await;
    assert!(ar.contains(r#"<html lang="ar" dir="rtl""#), "{ar}");
    // Every language in the menu, each named in itself.
    for name in [
        "English",
        "简体中文",
        "Español",
        "Русский",
        "Português (Brasil)",
        "Français",
        "العربية",
    ] {
        assert!(ar.contains(name), "{name} missing from the menu");
    }
    // A cookie that names no language of ours is ignored.
    let fr = page(&app, "/login", Some("rekey_lang=xx"), Some("fr-FR")).await;
    assert!(fr.contains(r#"<html lang="fr""#), "{fr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_menu_sets_the_cookie_and_goes_back_only_to_this_site() {
    let app = test_app(&[]).await;
    let r = app
        .get("/lang/pt-BR?back=%2Frecover%2Fcode%3Fsecured%3D1", None)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers[header::LOCATION], "/recover/code?secured=1");
    let cookie = r.cookie("rekey_lang").expect("a language cookie");
    assert!(cookie.starts_with("rekey_lang=pt-BR;") && cookie.contains("Max-Age=31536000"));
    for away in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let r = app
            .get(&format!("/lang/fr?back={}", urlencode(away)), None)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{away}");
        assert_eq!(r.headers[header::LOCATION], "/", "{away}");
    }
    assert_eq!(
        app.get("/lang/de?back=/", None).await.status,
        StatusCode::NOT_FOUND
    );
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_writes_in_the_language_it_was_started_in() {
    let app = test_app(&[]).await;
    let email = "lin@example.com";
    app.sign_up(email).await;
    // Started on a Russian page…
    let r = app
        .call(
            "recover_start",
            &format!("email={email}"),
            Some("rekey_lang=ru"),
        )
        .await;
    let flow = pair(&r.cookie(backend::recovery::COOKIE).expect("a flow cookie"));
    // …and the code asked for after switching to Spanish: the e-mail is still Russian.
    let cookies = format!("{flow}; rekey_lang=es");
    let r = app.call("recover_send", "", Some(&cookies)).await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.body
    );
    app.deliver().await;
    let messages = backend::outbox::dev_messages(&app.state.db, Some(email), 20)
        .await
        .unwrap();
    let in_lang = |code: &str| {
        messages
            .iter()
            .filter(|m| m.html.contains(&format!(r#"lang="{code}""#)))
            .count()
    };
    assert_eq!(in_lang("ru"), 1, "the code e-mail, in Russian");
    assert_eq!(in_lang("es"), 0, "nothing in the page's later language");
    // The sign-up before it was asked from an English page: English.
    assert_eq!(in_lang("en"), 1);
    let ru = messages
        .iter()
        .find(|m| m.html.contains(r#"lang="ru""#))
        .unwrap();
    assert!(
        ru.text.chars().any(|c| ('а'..='я').contains(&c)),
        "{}",
        ru.text
    );
    assert!(
        ru.text.contains("10"),
        "the code's lifetime is in it: {}",
        ru.text
    );
}
