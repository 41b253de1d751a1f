//! The SMS step against a real SQLite file and a real PostgreSQL database, and the HTTP
//! provider against a stub provider on loopback (real HTTP).

mod support;

use backend::accounts::{self, PhoneChangeError};
use backend::activity::Client;
use backend::outbox::{self, DevOutbox, Message};
use backend::recovery::{self, RecoveryError};
use backend::sms::HttpSms;
use backend::{devices, AppState};
use domain::recovery::Step;
use std::sync::{Arc, Mutex};
use support::{flow_view, other_than, Fixture};

const PW: &str = "Tangerine7Harbor";
const NET: &str = "198.51.100.0/24";
const PHONE: &str = "+44 7700 900789";

on_both_databases!(
    the_texted_code_opens_the_password_step,
    policy_decides_when_to_text,
    a_remembered_device_skips_the_text_under_risk,
    texts_go_only_to_the_number_on_file,
    anti_pumping_caps_hold,
    changing_the_phone_needs_the_password,
    racing_texts_stay_within_the_caps,
    wrong_texted_and_emailed_codes_share_the_daily_count,
);

async fn deliver(state: &AppState) -> Vec<outbox::Delivered> {
    let dev = DevOutbox::new(state.db.clone(), state.clock.clone());
    outbox::deliver_due(&state.db, &dev, state.clock.now())
        .await
        .unwrap();
    outbox::dev_messages(&state.db, None, 100).await.unwrap()
}

/// Whether the browser with `cookie` is known to the account `user`.
async fn known(state: &AppState, cookie: Option<&String>, user: &str) -> bool {
    let mut conn = state.db.pool().acquire().await.unwrap();
    devices::is_known(state, &mut conn, cookie.map(String::as_str), user)
        .await
        .unwrap()
}

/// The newest code sent on `channel` to `to`.
async fn code(state: &AppState, channel: &str, to: &str) -> String {
    let m = deliver(state)
        .await
        .into_iter()
        .find(|m| m.channel == channel && m.to == to)
        .unwrap_or_else(|| panic!("no {channel} message to {to}"));
    let text = if channel == "sms" { m.text } else { m.subject };
    text[..6].to_string()
}

/// A flow through the e-mailed code; returns its token and the step after the code.
async fn past_email_code(state: &AppState, email: &str, device: Option<&str>) -> (String, Step) {
    let s = recovery::start(state, email, None, NET).await.unwrap();
    recovery::send_code(state, &s.token, NET).await.unwrap();
    let c = code(state, "email", email).await;
    let next = recovery::check_code_on_device(state, &s.token, &c, NET, device)
        .await
        .unwrap();
    (s.token, next)
}

async fn the_texted_code_opens_the_password_step(fx: Fixture) {
    let state = fx
        .state(&[("SLIDER_POLICY", "never"), ("SMS_POLICY", "always")])
        .await;
    accounts::create_user(&state, "lin@example.com", PW, PHONE)
        .await
        .unwrap();
    let (token, next) = past_email_code(&state, "lin@example.com", None).await;
    assert_eq!(next, Step::Sms);
    let view = flow_view(&state, &token).await;
    assert_eq!(view.phone.as_deref(), Some("+44 •••• ••• 789"));
    assert!(!view.code_sent && view.can_send);
    // The password step is not open yet.
    assert_eq!(
        recovery::set_password(&state, &token, "Lighthouse4Meadow", "Lighthouse4Meadow").await,
        Err(RecoveryError::OutOfOrder { step: Step::Sms })
    );
    assert_eq!(
        recovery::send_code(&state, &token, NET).await,
        Ok(Step::Sms)
    );
    assert_eq!(
        recovery::send_code(&state, &token, NET).await,
        Err(RecoveryError::CoolDown {
            retry_after_secs: 60
        })
    );
    let sms = code(&state, "sms", "+447700900789").await;
    let wrong = other_than(&sms);
    assert_eq!(
        recovery::check_code(&state, &token, wrong, NET).await,
        Err(RecoveryError::WrongCode { tries_left: 4 })
    );
    // The e-mailed code's MAC never answers for the texted one.
    assert_eq!(
        recovery::check_code(&state, &token, &sms, NET).await,
        Ok(Step::Password)
    );
    let user = recovery::set_password(&state, &token, "Lighthouse4Meadow", "Lighthouse4Meadow")
        .await
        .unwrap();
    assert!(!user.is_empty());
    // No code at rest: the text was emptied from the outbox once sent.
    use sqlx::Row;
    let left: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%{sms}%'"
    )))
    .fetch_one(state.db.pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(left, 0);
}

async fn policy_decides_when_to_text(fx: Fixture) {
    // No phone on file: never the SMS step, whatever the policy.
    let always = fx
        .state(&[("SLIDER_POLICY", "never"), ("SMS_POLICY", "always")])
        .await;
    accounts::create_user(&always, "nophone@example.com", PW, "")
        .await
        .unwrap();
    assert_eq!(
        past_email_code(&always, "nophone@example.com", None)
            .await
            .1,
        Step::Password
    );
    // Policy never: not even with a phone.
    let never = fx
        .state(&[("SLIDER_POLICY", "never"), ("SMS_POLICY", "never")])
        .await;
    accounts::create_user(&never, "lin@example.com", PW, PHONE)
        .await
        .unwrap();
    assert_eq!(
        past_email_code(&never, "lin@example.com", None).await.1,
        Step::Password
    );
    // Risk: a browser never used for the account gets the SMS step.
    let risk = fx.state(&[("SLIDER_POLICY", "never")]).await;
    assert_eq!(
        past_email_code(&risk, "lin@example.com", None).await.1,
        Step::Sms
    );
}

async fn a_remembered_device_skips_the_text_under_risk(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    let user = accounts::create_user(&state, "lin@example.com", PW, PHONE)
        .await
        .unwrap();
    let cookie = devices::remember(&state, None, &user).await.unwrap();
    assert!(known(&state, Some(&cookie), &user).await);
    assert_eq!(
        past_email_code(&state, "lin@example.com", Some(&cookie))
            .await
            .1,
        Step::Password
    );
    // A forged cookie, or a device of another account, does not count.
    let forged = format!("{}.{}", cookie.split('.').next().unwrap(), "0".repeat(64));
    assert!(!known(&state, Some(&forged), &user).await);
    assert_eq!(
        past_email_code(&state, "lin@example.com", Some(&forged))
            .await
            .1,
        Step::Sms
    );
    // An operator's flag brings the text back on a known device, until lifted.
    assert!(accounts::set_flag(&state, "lin@example.com", true)
        .await
        .unwrap());
    assert_eq!(
        past_email_code(&state, "lin@example.com", Some(&cookie))
            .await
            .1,
        Step::Sms
    );
    assert!(accounts::set_flag(&state, "lin@example.com", false)
        .await
        .unwrap());
    assert!(!accounts::set_flag(&state, "nobody@example.com", true)
        .await
        .unwrap());
    // Recent failures bring the text back even on a known device.
    let _ = accounts::login(&state, "lin@example.com", "Wrong1Password", NET).await;
    assert_eq!(
        past_email_code(&state, "lin@example.com", Some(&cookie))
            .await
            .1,
        Step::Sms
    );
    // The device is forgotten after DEVICE_DAYS.
    fx.clock.advance(181 * 86_400);
    assert!(!known(&state, Some(&cookie), &user).await);
}

async fn texts_go_only_to_the_number_on_file(fx: Fixture) {
    let state = fx
        .state(&[("SLIDER_POLICY", "never"), ("SMS_POLICY", "always")])
        .await;
    let user = accounts::create_user(&state, "lin@example.com", PW, PHONE)
        .await
        .unwrap();
    let (token, _) = past_email_code(&state, "lin@example.com", None).await;
    // The number changes (with the password) while the flow waits: the text goes to the number
    // on file when it is sent, never to anything typed during recovery.
    accounts::change_phone(&state, &user, "+49 30 1234567", PW, &Client::at("local"))
        .await
        .unwrap();
    recovery::send_code(&state, &token, NET).await.unwrap();
    let texts: Vec<_> = deliver(&state)
        .await
        .into_iter()
        .filter(|m| m.channel == "sms")
        .collect();
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].to, "+49301234567");
    // An unknown address never reaches the SMS step, so nothing is ever texted for it.
    let s = recovery::start(&state, "nobody@example.com", None, NET)
        .await
        .unwrap();
    recovery::send_code(&state, &s.token, NET).await.unwrap();
    assert!(matches!(
        recovery::check_code(&state, &s.token, "123456", NET).await,
        Err(RecoveryError::WrongCode { .. })
    ));
}

async fn anti_pumping_caps_hold(fx: Fixture) {
    let state = fx
        .state(&[
            ("SLIDER_POLICY", "never"),
            ("SMS_POLICY", "always"),
            ("SMS_PER_NUMBER_HOUR", "2"),
            ("SMS_PER_NUMBER_DAY", "3"),
            ("SMS_PER_COUNTRY_HOUR", "4"),
            ("SMS_PER_DAY", "5"),
            ("CODES_PER_ACCOUNT_PER_DAY", "100"),
        ])
        .await;
    for (i, phone) in [
        "+44 7700 900001",
        "+44 7700 900002",
        "+44 7700 900003",
        "+33 6 12 34 56 78",
    ]
    .iter()
    .enumerate()
    {
        accounts::create_user(&state, &format!("p{i}@example.com"), PW, phone)
            .await
            .unwrap();
    }
    let send = |email: &'static str| {
        let state = state.clone();
        async move {
            let (token, _) = past_email_code(&state, email, None).await;
            recovery::send_code(&state, &token, NET).await
        }
    };
    // Per number: two an hour.
    assert_eq!(send("p0@example.com").await, Ok(Step::Sms));
    assert_eq!(send("p0@example.com").await, Ok(Step::Sms));
    assert_eq!(
        send("p0@example.com").await,
        Err(RecoveryError::SmsUnavailable)
    );
    // Per country code (+44): four an hour across numbers.
    assert_eq!(send("p1@example.com").await, Ok(Step::Sms));
    assert_eq!(send("p2@example.com").await, Ok(Step::Sms));
    assert_eq!(
        send("p2@example.com").await,
        Err(RecoveryError::SmsUnavailable)
    );
    // Another country is not held back by +44's cap…
    assert_eq!(send("p3@example.com").await, Ok(Step::Sms));
    // …but the global daily cap (five) holds for everyone.
    assert_eq!(
        send("p3@example.com").await,
        Err(RecoveryError::SmsUnavailable)
    );
    // An hour later the hourly caps roll, the daily ones do not (the global five are used).
    fx.clock.advance(3_601);
    assert_eq!(
        send("p0@example.com").await,
        Err(RecoveryError::SmsUnavailable)
    );
    fx.clock.advance(86_400);
    assert_eq!(send("p0@example.com").await, Ok(Step::Sms));
}

async fn racing_texts_stay_within_the_caps(fx: Fixture) {
    let state = fx
        .state(&[
            ("SLIDER_POLICY", "never"),
            ("SMS_POLICY", "always"),
            ("SMS_PER_DAY", "3"),
        ])
        .await;
    let mut tokens = Vec::new();
    for i in 0..9 {
        let email = format!("p{i}@example.com");
        accounts::create_user(&state, &email, PW, &format!("+44 7700 90010{i}"))
            .await
            .unwrap();
        let (token, next) = past_email_code(&state, &email, None).await;
        assert_eq!(next, Step::Sms);
        tokens.push(token);
    }
    let texted = |answers: &[Result<Step, RecoveryError>]| {
        answers.iter().filter(|a| **a == Ok(Step::Sms)).count()
    };

    // One flow: one text, the others wait for the cool-down.
    let answers = support::race_sends(&state, vec![tokens.pop().unwrap(); 8], NET).await;
    assert_eq!(texted(&answers), 1, "{answers:?}");
    assert!(answers
        .iter()
        .all(|a| matches!(a, Ok(Step::Sms) | Err(RecoveryError::CoolDown { .. }))));
    // Eight flows, eight numbers: the two texts left under the global cap.
    let answers = support::race_sends(&state, tokens, NET).await;
    assert_eq!(texted(&answers), 2, "{answers:?}");
    assert!(answers
        .iter()
        .all(|a| matches!(a, Ok(Step::Sms) | Err(RecoveryError::SmsUnavailable))));
    let texts = deliver(&state)
        .await
        .into_iter()
        .filter(|m| m.channel == "sms")
        .count();
    assert_eq!(texts, 3, "three texts in all");
}

async fn changing_the_phone_needs_the_password(fx: Fixture) {
    let state = fx.state(&[]).await;
    let user = accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    assert_eq!(
        accounts::change_phone(&state, &user, PHONE, "Wrong1Password", &Client::at("local")).await,
        Err(PhoneChangeError::Incorrect)
    );
    assert!(matches!(
        accounts::change_phone(&state, &user, "07700 900789", PW, &Client::at("local")).await,
        Err(PhoneChangeError::Phone(_))
    ));
    assert_eq!(accounts::masked_phone(&state, &user).await.unwrap(), None);
    accounts::change_phone(&state, &user, PHONE, PW, &Client::at("local"))
        .await
        .unwrap();
    assert_eq!(
        accounts::masked_phone(&state, &user)
            .await
            .unwrap()
            .as_deref(),
        Some("+44 •••• ••• 789")
    );
    accounts::change_phone(&state, &user, "", PW, &Client::at("local"))
        .await
        .unwrap();
    assert_eq!(
        accounts::masked_phone(&state, &user).await.unwrap(),
        None,
        "removed"
    );
}

/// A stub SMS provider: records each request, answers 500 to the first `failures` of them.
#[derive(Clone, Default)]
struct Stub {
    seen: Arc<Mutex<Vec<(String, String, String)>>>,
    failures: Arc<Mutex<usize>>,
}

async fn start_stub(failures: usize) -> (Stub, String) {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode, Uri};
    let stub = Stub::default();
    *stub.failures.lock().unwrap() = failures;
    let app = axum::Router::new()
        .fallback(
            |State(stub): State<Stub>, uri: Uri, headers: HeaderMap, body: String| async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                stub.seen
                    .lock()
                    .unwrap()
                    .push((uri.path().to_string(), auth, body));
                let mut left = stub.failures.lock().unwrap();
                if *left > 0 {
                    *left -= 1;
                    (StatusCode::INTERNAL_SERVER_ERROR, "provider down")
                } else {
                    (StatusCode::CREATED, r#"{"sid":"SM1","status":"queued"}"#)
                }
            },
        )
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (stub, url)
}

fn text_to(to: &str, body: &str) -> Message {
    Message {
        channel: "sms".into(),
        recipient: to.into(),
        subject: String::new(),
        body_text: body.into(),
        body_html: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_gets_the_form_and_auth() {
    let (stub, url) = start_stub(0).await;
    let sms = HttpSms::new(&url, "AC123", "s3cret", "RekeyShop").unwrap();
    use backend::outbox::Transport;
    sms.send(&text_to("+447700900789", "042917 is your code & more"))
        .await
        .unwrap();
    let seen = stub.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (path, auth, body) = &seen[0];
    assert_eq!(path, "/2010-04-01/Accounts/AC123/Messages.json");
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode("AC123:s3cret");
    assert_eq!(auth, &format!("Basic {expected}"));
    assert_eq!(
        body,
        "To=%2B447700900789&From=RekeyShop&Body=042917+is+your+code+%26+more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_outage_is_retried_and_nothing_is_lost() {
    let (stub, url) = start_stub(2).await;
    let fx = support::sqlite().await;
    let state = fx.state(&[]).await;
    let mut tx = state.db.begin_write().await.unwrap();
    outbox::enqueue(
        &mut tx,
        &text_to("+447700900789", "042917 is your code"),
        state.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let sms = HttpSms::new(&url, "AC123", "s3cret", "RekeyShop").unwrap();
    let mut delivered = 0;
    for _ in 0..4 {
        delivered += outbox::deliver_due(&state.db, &sms, state.clock.now())
            .await
            .unwrap();
        fx.clock.advance(300);
    }
    assert_eq!(delivered, 1, "delivered once, after the provider came back");
    assert_eq!(
        stub.seen.lock().unwrap().len(),
        3,
        "two 500s, then the delivery"
    );
    // A provider that cannot be reached at all: an error, retried later, never a panic.
    let gone = HttpSms::new("http://127.0.0.1:9", "AC123", "s3cret", "RekeyShop").unwrap();
    use backend::outbox::Transport;
    assert!(gone.send(&text_to("+447700900789", "x")).await.is_err());
    assert!(HttpSms::new("ftp://x", "AC123", "t", "f").is_err());
}

/// Wrong texted codes count with wrong e-mailed ones towards the address's daily limit (4
/// here): three wrong texts and one wrong e-mailed code, and the next check, even with the
/// right code, is refused for the day. Counted apart, the address had 4 of each.
async fn wrong_texted_and_emailed_codes_share_the_daily_count(fx: Fixture) {
    let state = fx
        .state(&[
            ("SLIDER_POLICY", "never"),
            ("SMS_POLICY", "always"),
            ("WRONG_CODES_PER_ACCOUNT_PER_DAY", "4"),
        ])
        .await;
    accounts::create_user(&state, "lin@example.com", PW, PHONE)
        .await
        .unwrap();
    let (token, next) = past_email_code(&state, "lin@example.com", None).await;
    assert_eq!(next, Step::Sms);
    recovery::send_code(&state, &token, NET).await.unwrap();
    let sms = code(&state, "sms", "+447700900789").await;
    let wrong = other_than(&sms);
    for tries_left in [4, 3, 2] {
        assert_eq!(
            recovery::check_code(&state, &token, wrong, NET).await,
            Err(RecoveryError::WrongCode { tries_left })
        );
    }
    let s = recovery::start(&state, "lin@example.com", None, NET)
        .await
        .unwrap();
    recovery::send_code(&state, &s.token, NET).await.unwrap();
    let emailed = code(&state, "email", "lin@example.com").await;
    let wrong = other_than(&emailed);
    assert_eq!(
        recovery::check_code(&state, &s.token, wrong, NET).await,
        Err(RecoveryError::WrongCode { tries_left: 4 })
    );
    assert_eq!(
        recovery::check_code(&state, &s.token, &emailed, NET).await,
        Err(RecoveryError::AccountLocked),
        "four wrong codes today, texted or e-mailed"
    );
    assert_eq!(
        recovery::check_code(&state, &token, &sms, NET).await,
        Err(RecoveryError::AccountLocked)
    );
}
