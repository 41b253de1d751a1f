//! Two server processes on one PostgreSQL database (two routers with their own state, as two
//! processes behind a load balancer would be): a shopper's requests alternate between them.

mod support;

use axum::http::StatusCode;
use support::{pair, postgres_url, test_app_on, TestApp, PW};

const SECRET: &str = "5f2b7c1e9a0d4c3b8e6f1a2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3";

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_moves_between_two_processes() {
    let url = postgres_url().await;
    let settings = [
        ("REKEY_ENV", "development"),
        ("SECRET_KEY", SECRET),
        ("SLIDER_POLICY", "never"),
        ("SMS_POLICY", "never"),
    ];
    let a = test_app_on(&url, &settings).await;
    // The second process applies the same migrations: nothing to do, no error.
    let b = test_app_on(&url, &settings).await;
    a.sign_up("lin@example.com").await;

    // Start on A, send the code from B.
    let r = a
        .call("recover_start", "email=lin%40example.com", None)
        .await;
    let flow = pair(&r.cookie("rekey_recovery").expect("flow cookie"));
    let r = b.call("recover_send", "", Some(&flow)).await;
    assert!(!r.status.is_client_error(), "{}", r.body);
    // Both processes run their outbox sender at once: the code is sent once.
    tokio::join!(a.deliver(), b.deliver());
    assert_eq!(
        count(
            &a,
            "SELECT COUNT(*) FROM dev_mailbox WHERE recipient = 'lin@example.com' AND subject LIKE '%verification code%'"
        )
        .await,
        1
    );
    let code = a.code_from_outbox("lin@example.com", "verification").await;
    let wrong = if code == "111111" { "222222" } else { "111111" };

    // Wrong tries are counted in the database, whichever process hears them.
    let r = a
        .call("recover_check", &format!("code={wrong}"), Some(&flow))
        .await;
    assert!(r.body.contains("\"tries_left\":4"), "{}", r.body);
    let r = b
        .call("recover_check", &format!("code={wrong}"), Some(&flow))
        .await;
    assert!(r.body.contains("\"tries_left\":3"), "{}", r.body);

    // A process with another secret key cannot continue this flow: the key must be shared.
    let stranger = test_app_on(
        &url,
        &[
            ("REKEY_ENV", "development"),
            ("SECRET_KEY", &"ab".repeat(32)),
            ("SLIDER_POLICY", "never"),
            ("SMS_POLICY", "never"),
        ],
    )
    .await;
    let r = stranger
        .call("recover_check", &format!("code={code}"), Some(&flow))
        .await;
    assert!(r.body.contains("\"tries_left\":2"), "{}", r.body);

    // The right code on B, the new password on A, the sign-in on B.
    let r = b
        .call("recover_check", &format!("code={code}"), Some(&flow))
        .await;
    assert!(!r.status.is_client_error(), "{}", r.body);
    let r = a
        .call(
            "recover_password",
            "password=Lighthouse4Meadow&confirm=Lighthouse4Meadow",
            Some(&flow),
        )
        .await;
    assert!(!r.status.is_client_error(), "{}", r.body);
    let r = b
        .call(
            "login",
            "email=lin%40example.com&password=Lighthouse4Meadow",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.cookie("rekey_session").is_some());
    let r = a
        .call(
            "login",
            &format!("email=lin%40example.com&password={PW}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // "Your password was changed" goes out once, with both senders running.
    tokio::join!(a.deliver(), b.deliver(), a.deliver(), b.deliver());
    assert_eq!(
        count(
            &b,
            "SELECT COUNT(*) FROM dev_mailbox WHERE recipient = 'lin@example.com' AND subject LIKE '%password was changed%'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&a, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").await,
        0
    );
}
