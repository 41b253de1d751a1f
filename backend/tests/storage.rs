//! Storage tests: the same tests against a real SQLite file and a real PostgreSQL database.

mod support;

use backend::accounts::{self, ConfirmError, LoginError, SignupError};
use backend::activity::Client;
use backend::outbox::{self, DevOutbox, Message, Sending, Transport};
use backend::sessions;
use backend::sms::ByChannel;
use backend::AppState;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::{other_than, Fixture};

const PW: &str = "Tangerine7Harbor";

on_both_databases!(
    signup_confirm_creates_account_and_session,
    signup_with_taken_address_does_the_same_work,
    wrong_codes_run_out,
    codes_expire,
    two_right_codes_at_once_make_one_account,
    login_counts_failures_and_locks,
    login_rehashes_old_parameters,
    sessions_end_everywhere_and_when_idle,
    outbox_retries_and_never_sends_twice,
    the_sender_drains_a_burst_at_once,
    a_group_settles_each_message_by_its_answer,
    an_independent_batch_lands_whole_or_not_at_all,
    a_batch_whose_required_change_finds_no_row_writes_nothing,
    an_independent_batch_behind_its_guard_lands_whole_or_not_at_all,
    migrations_and_dev_secret_survive_restart,
    flows_stored_before_migration_9_come_through_it,
    signup_mails_per_address_are_bounded,
    login_asks_for_the_slider_after_failures,
    guesses_sent_at_once_meet_the_slider,
    the_lock_keeps_out_unknown_browsers_only,
    signups_sent_at_once_stay_within_the_mail_cap,
);

/// 120 messages waiting (more than one pass takes), e-mails and texts mixed: the sender's first
/// tick delivers them all, not one pass's worth a tick, in the order they were written.
async fn the_sender_drains_a_burst_at_once(fx: Fixture) {
    let state = fx.state(&[]).await;
    let mut batch = backend::db::Batch::new();
    let now = state.clock.now();
    for n in 0..120 {
        let message = Message {
            channel: if n % 7 == 3 { "sms" } else { "email" }.into(),
            recipient: format!("burst{n}@example.com"),
            subject: "Your code".into(),
            body_text: "123456".into(),
            body_html: String::new(),
        };
        outbox::enqueue_into(&mut batch, &message, now - 120 + n);
    }
    state.db.write_all(batch).await.expect("enqueue");
    let dev: Arc<dyn Transport> = Arc::new(DevOutbox::new(state.db.clone(), state.clock.clone()));
    let transport: Arc<dyn Transport> = Arc::new(ByChannel {
        email: dev.clone(),
        sms: dev,
    });
    // The first tick comes at once; the next one only after an hour, long after `stop`.
    outbox::run_sender(
        state.db.clone(),
        transport,
        state.clock.clone(),
        std::time::Duration::from_secs(3_600),
        tokio::time::sleep(std::time::Duration::from_secs(2)),
    )
    .await;
    assert_eq!(
        count(
            &state,
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL OR body_text <> ''"
        )
        .await,
        0
    );
    let delivered = outbox::dev_messages(&state.db, None, 500)
        .await
        .expect("messages");
    let oldest_first: Vec<_> = delivered.iter().rev().map(|m| m.to.as_str()).collect();
    let written: Vec<_> = (0..120).map(|n| format!("burst{n}@example.com")).collect();
    assert_eq!(oldest_first, written);
    assert_eq!(
        delivered.iter().filter(|m| m.channel == "sms").count(),
        (0..120).filter(|n| n % 7 == 3).count()
    );
}

/// A transport that takes many messages at once and refuses some of them.
struct Picky {
    refused: &'static str,
}

impl Transport for Picky {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a, Result<(), String>> {
        let answer = if message.recipient.starts_with(self.refused) {
            Err("mailbox unavailable".to_string())
        } else {
            Ok(())
        };
        Box::pin(async move { answer })
    }

    fn group(&self) -> usize {
        10
    }
}

/// The messages of one group are settled together, each by its own answer: the delivered
/// ones marked sent with their bodies emptied, the refused one kept for a retry.
async fn a_group_settles_each_message_by_its_answer(fx: Fixture) {
    let state = fx.state(&[]).await;
    let now = state.clock.now();
    let mut batch = backend::db::Batch::new();
    for (n, to) in [
        "first@example.com",
        "bounce@example.com",
        "third@example.com",
    ]
    .into_iter()
    .enumerate()
    {
        let message = Message {
            channel: "email".into(),
            recipient: to.into(),
            subject: "Your code".into(),
            body_text: "123456".into(),
            body_html: "<p>123456</p>".into(),
        };
        outbox::enqueue_into(&mut batch, &message, now - 3 + n as i64);
    }
    state.db.write_all(batch).await.expect("enqueue");
    let picky = Picky { refused: "bounce" };
    assert_eq!(
        outbox::deliver_due(&state.db, &picky, now).await.unwrap(),
        2
    );
    assert_eq!(
        count(
            &state,
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND attempts = 1 \
             AND body_text = '' AND body_html = '' AND recipient <> 'bounce@example.com'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &state,
            &format!(
                "SELECT COUNT(*) FROM outbox WHERE recipient = 'bounce@example.com' \
                 AND sent_at IS NULL AND attempts = 1 AND next_attempt_at = {} \
                 AND last_error = 'mailbox unavailable' AND body_text = '123456'",
                now + outbox::backoff(1)
            )
        )
        .await,
        1
    );
}

/// An independent batch (on PostgreSQL one statement, without `BEGIN` and `COMMIT`) is still
/// all or nothing: a statement that fails takes the ones before it back with it.
async fn an_independent_batch_lands_whole_or_not_at_all(fx: Fixture) {
    let state = fx.state(&[]).await;
    let stored = |ids: &[&str]| {
        let mut batch = backend::db::Batch::independent();
        for id in ids {
            batch.push(
                "INSERT INTO dev_mailbox (id, channel, recipient, subject, body_text, body_html, delivered_at) \
                 VALUES ($1, 'email', $2, 'Hello', '', '', 0)",
                vec![(*id).into(), format!("{id}@example.com").into()],
            );
        }
        batch
    };
    state
        .db
        .write_all(stored(&["one", "two", "three"]))
        .await
        .unwrap();
    // "one" is there already: the whole batch fails, "four" with it.
    assert!(state.db.write_all(stored(&["four", "one"])).await.is_err());
    state.db.write_all(stored(&["five"])).await.unwrap();
    let mut kept: Vec<String> = outbox::dev_messages(&state.db, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    kept.sort();
    assert_eq!(kept, ["five", "one", "three", "two"]);
}

/// Adds to `batch` a row of the dev outbox named `id`, with the subject "Hello".
fn insert_mail(batch: &mut backend::db::Batch, id: &str) {
    batch.push(
        "INSERT INTO dev_mailbox (id, channel, recipient, subject, body_text, body_html, delivered_at) \
         VALUES ($1, 'email', $2, 'Hello', '', '', 0)",
        vec![id.into(), format!("{id}@example.com").into()],
    );
}

/// The dev outbox's rows as (id, subject), sorted.
async fn kept_mail(state: &AppState) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = outbox::dev_messages(&state.db, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.subject))
        .collect();
    kept.sort();
    kept
}

/// A batch begun independent with its guarded statement first (on PostgreSQL the guard, then
/// the rest as one statement, in one transaction) is still all or nothing: a stale guard writes
/// nothing, a later statement that fails takes the guard's change back, and a fresh one lands
/// whole.
async fn an_independent_batch_behind_its_guard_lands_whole_or_not_at_all(fx: Fixture) {
    let state = fx.state(&[]).await;
    let guarded = |subject: &str, ids: &[&str]| {
        let mut batch = backend::db::Batch::independent();
        batch.push_changing(
            "UPDATE dev_mailbox SET subject = 'Seen' WHERE id = 'first' AND subject = $1",
            vec![subject.into()],
        );
        for id in ids {
            insert_mail(&mut batch, id);
        }
        batch
    };
    let mut first = backend::db::Batch::new();
    insert_mail(&mut first, "first");
    state.db.write_all(first).await.unwrap();
    let hello = |id: &str| (id.to_string(), "Hello".to_string());

    assert!(matches!(
        state
            .db
            .write_all(guarded("Goodbye", &["stale-a", "stale-b"]))
            .await,
        Err(sqlx::Error::RowNotFound)
    ));
    // "first" is there already: the insert fails, and the guard's change goes back with it.
    assert!(state
        .db
        .write_all(guarded("Hello", &["failed", "first"]))
        .await
        .is_err());
    assert_eq!(kept_mail(&state).await, [hello("first")]);
    state
        .db
        .write_all(guarded("Hello", &["fresh-a", "fresh-b"]))
        .await
        .unwrap();
    assert_eq!(
        kept_mail(&state).await,
        [
            ("first".to_string(), "Seen".to_string()),
            hello("fresh-a"),
            hello("fresh-b")
        ]
    );
}

/// A statement pushed with `push_changing` that changes no row (the rows are no longer as a
/// read outside the write lock saw them) fails its batch with `RowNotFound` and takes back the
/// statements before it; the same batch lands when the row is as expected, and the next write
/// goes on either way.
async fn a_batch_whose_required_change_finds_no_row_writes_nothing(fx: Fixture) {
    let state = fx.state(&[]).await;
    let planned = |subject: &str, id: &str| {
        let mut batch = backend::db::Batch::new();
        insert_mail(&mut batch, &format!("{id}-before"));
        batch.push_changing(
            "UPDATE dev_mailbox SET subject = 'Seen' WHERE id = 'first' AND subject = $1",
            vec![subject.into()],
        );
        insert_mail(&mut batch, &format!("{id}-after"));
        batch
    };
    let mut first = backend::db::Batch::new();
    insert_mail(&mut first, "first");
    state.db.write_all(first).await.unwrap();
    // SQLite: a temporary table lives as long as the writing connection, so it shows that a
    // stale batch is rolled back on that connection rather than by opening a new one.
    let sqlite = state.db.engine() == backend::db::Engine::Sqlite;
    if sqlite {
        sqlx::query("CREATE TEMP TABLE same_connection (x BIGINT)")
            .execute(&mut *state.db.writing().await.unwrap())
            .await
            .unwrap();
    }

    // Planned from a read that saw another subject: nothing of it stays.
    assert!(matches!(
        state.db.write_all(planned("Goodbye", "stale")).await,
        Err(sqlx::Error::RowNotFound)
    ));
    // The same inside a transaction begun earlier.
    let tx = state.db.begin_write().await.unwrap();
    assert!(matches!(
        tx.commit_with(planned("Goodbye", "stale-tx")).await,
        Err(sqlx::Error::RowNotFound)
    ));
    // Planned from a true read: all of it lands.
    state.db.write_all(planned("Hello", "fresh")).await.unwrap();
    assert_eq!(
        kept_mail(&state).await,
        [
            ("first".to_string(), "Seen".to_string()),
            ("fresh-after".into(), "Hello".into()),
            ("fresh-before".into(), "Hello".into()),
        ]
    );
    if sqlite {
        sqlx::query("SELECT COUNT(*) FROM temp.same_connection")
            .execute(&mut *state.db.writing().await.unwrap())
            .await
            .expect("the same writing connection");
    }
}

async fn deliver(state: &AppState) {
    let dev = DevOutbox::new(state.db.clone(), state.clock.clone());
    outbox::deliver_due(&state.db, &dev, state.clock.now())
        .await
        .expect("deliver");
}

async fn latest_code(state: &AppState, to: &str) -> String {
    deliver(state).await;
    let messages = outbox::dev_messages(&state.db, Some(to), 10)
        .await
        .expect("messages");
    let m = messages
        .iter()
        .find(|m| m.subject.contains("sign-up code"))
        .expect("a sign-up code e-mail");
    m.subject[..6].to_string()
}

async fn count(state: &AppState, sql: &str) -> i64 {
    use sqlx::Row;
    // Test-only SQL written in this file.
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(state.db.pool())
        .await
        .expect("count")
        .try_get::<i64, _>(0)
        .expect("i64")
}

async fn signup_confirm_creates_account_and_session(fx: Fixture) {
    let state = fx.state(&[]).await;
    let started = accounts::start_signup(
        &state,
        " Lin@Example.com ",
        PW,
        "+44 7700 900789",
        texts::Locale::en,
    )
    .await
    .unwrap();
    assert_eq!(started.masked, "L***n@example.com");
    assert_eq!(
        accounts::pending_signup(&state, &started.token)
            .await
            .unwrap()
            .as_deref(),
        Some("L***n@example.com")
    );
    let code = latest_code(&state, "Lin@example.com").await;
    assert!(code.bytes().all(|b| b.is_ascii_digit()));

    // No plaintext code at rest: the signup row holds a MAC, the sent outbox row is emptied.
    assert_eq!(
        count(
            &state,
            &format!("SELECT COUNT(*) FROM signups WHERE code_mac LIKE '%{code}%'")
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &state,
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND body_text = ''"
        )
        .await,
        1
    );

    let session = accounts::confirm_signup(&state, &started.token, &code)
        .await
        .unwrap();
    let user = sessions::lookup(&state, &session)
        .await
        .unwrap()
        .expect("signed in");
    assert_eq!(user.email, "Lin@example.com");
    assert_eq!(
        count(
            &state,
            "SELECT COUNT(*) FROM users WHERE phone = '+447700900789'"
        )
        .await,
        1
    );
    // Single use: the same code cannot be used again.
    assert_eq!(
        accounts::confirm_signup(&state, &started.token, &code).await,
        Err(ConfirmError::NoSignup)
    );
    // The session token is stored only hashed.
    assert_eq!(
        count(
            &state,
            &format!("SELECT COUNT(*) FROM sessions WHERE token_hash = '{session}'")
        )
        .await,
        0
    );
    // Signing in works with the address in any case.
    let network = "203.0.113.0/24";
    assert!(accounts::login(&state, "lin@EXAMPLE.com", PW, network)
        .await
        .is_ok());
}

async fn signup_with_taken_address_does_the_same_work(fx: Fixture) {
    let state = fx.state(&[]).await;
    accounts::create_user(&state, "taken@example.com", PW, "")
        .await
        .unwrap();
    let fresh = accounts::start_signup(&state, "fresh@example.com", PW, "", texts::Locale::en)
        .await
        .unwrap();
    let taken = accounts::start_signup(
        &state,
        "taken@example.com",
        "Other8Password",
        "",
        texts::Locale::en,
    )
    .await
    .unwrap();
    assert_eq!(fresh.masked, "f***h@example.com");
    assert_eq!(taken.masked, "t***n@example.com");
    assert_eq!(
        count(&state, "SELECT COUNT(*) FROM signups").await,
        2,
        "a pending row for both"
    );
    assert_eq!(
        count(&state, "SELECT COUNT(*) FROM outbox").await,
        2,
        "one e-mail for both"
    );
    deliver(&state).await;
    let to_owner = outbox::dev_messages(&state.db, Some("taken@example.com"), 10)
        .await
        .unwrap();
    assert_eq!(to_owner.len(), 1);
    assert!(
        to_owner[0].subject.contains("tried to create"),
        "{}",
        to_owner[0].subject
    );
    assert!(
        !to_owner[0].text.chars().any(|c| c.is_ascii_digit()),
        "no code is sent to a taken address"
    );
    for code in ["000000", "123456"] {
        assert!(matches!(
            accounts::confirm_signup(&state, &taken.token, code).await,
            Err(ConfirmError::WrongCode { .. })
        ));
    }
    assert_eq!(count(&state, "SELECT COUNT(*) FROM users").await, 1);
}

async fn wrong_codes_run_out(fx: Fixture) {
    let state = fx.state(&[]).await;
    let s = accounts::start_signup(&state, "tries@example.com", PW, "", texts::Locale::en)
        .await
        .unwrap();
    let code = latest_code(&state, "tries@example.com").await;
    let wrong = other_than(&code);
    for left in (1..5).rev() {
        assert_eq!(
            accounts::confirm_signup(&state, &s.token, wrong).await,
            Err(ConfirmError::WrongCode { tries_left: left })
        );
    }
    assert_eq!(
        accounts::confirm_signup(&state, &s.token, wrong).await,
        Err(ConfirmError::CodeDead)
    );
    assert_eq!(
        accounts::confirm_signup(&state, &s.token, &code).await,
        Err(ConfirmError::CodeDead)
    );
    assert!(matches!(
        accounts::confirm_signup(&state, &s.token, "12x456").await,
        Err(ConfirmError::Code(_))
    ));
}

async fn codes_expire(fx: Fixture) {
    let state = fx.state(&[]).await;
    let s = accounts::start_signup(&state, "late@example.com", PW, "", texts::Locale::en)
        .await
        .unwrap();
    let code = latest_code(&state, "late@example.com").await;
    fx.clock.advance(10 * 60 + 1);
    assert_eq!(
        accounts::confirm_signup(&state, &s.token, &code).await,
        Err(ConfirmError::CodeDead)
    );
    assert_eq!(
        accounts::pending_signup(&state, &s.token).await.unwrap(),
        None
    );
}

async fn two_right_codes_at_once_make_one_account(fx: Fixture) {
    let state = fx.state(&[]).await;
    let s = accounts::start_signup(&state, "race@example.com", PW, "", texts::Locale::en)
        .await
        .unwrap();
    let code = latest_code(&state, "race@example.com").await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (state, token, code) = (state.clone(), s.token.clone(), code.clone());
            tokio::spawn(async move { accounts::confirm_signup(&state, &token, &code).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(ConfirmError::NoSignup) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(count(&state, "SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(count(&state, "SELECT COUNT(*) FROM sessions").await, 1);
}

async fn login_counts_failures_and_locks(fx: Fixture) {
    // Counting and locking alone (the slider's gate has its own test below).
    let state = fx
        .state(&[("LOGIN_LOCK_AFTER", "3"), ("SLIDER_POLICY", "never")])
        .await;
    accounts::create_user(&state, "lock@example.com", PW, "")
        .await
        .unwrap();
    let net = "198.51.100.0/24";
    assert_eq!(
        accounts::login(&state, "lock@example.com", "Wrong1Password", net).await,
        Err(LoginError::Incorrect)
    );
    assert_eq!(
        accounts::login(&state, "nobody@example.com", PW, net).await,
        Err(LoginError::Incorrect)
    );
    assert_eq!(
        accounts::login(&state, "lock@example.com", "", net).await,
        Err(LoginError::PasswordMissing)
    );
    assert!(matches!(
        accounts::login(&state, "lock@", PW, net).await,
        Err(LoginError::Email(_))
    ));
    let huge = "A1".repeat(1_000);
    assert_eq!(
        accounts::login(&state, "lock@example.com", &huge, net).await,
        Err(LoginError::Incorrect)
    );
    assert_eq!(
        accounts::login(&state, "lock@example.com", "Wrong2Password", net).await,
        Err(LoginError::Incorrect)
    );
    // Three failures: locked, even with the right password.
    assert!(matches!(
        accounts::login(&state, "lock@example.com", PW, net).await,
        Err(LoginError::Locked { .. })
    ));
    // An unknown address locks the same way (nothing to learn from the lock).
    for _ in 0..3 {
        let _ = accounts::login(&state, "ghost@example.com", PW, net).await;
    }
    assert!(matches!(
        accounts::login(&state, "ghost@example.com", PW, net).await,
        Err(LoginError::Locked { .. })
    ));
    fx.clock.advance(15 * 60 + 1);
    assert!(accounts::login(&state, "lock@example.com", PW, net)
        .await
        .is_ok());
}

async fn login_rehashes_old_parameters(fx: Fixture) {
    let old = fx
        .state(&[("ARGON2_MEMORY_KIB", "1024"), ("ARGON2_ITERATIONS", "1")])
        .await;
    accounts::create_user(&old, "rehash@example.com", PW, "")
        .await
        .unwrap();
    let stored = |s: AppState| async move {
        use sqlx::Row;
        sqlx::query("SELECT password_hash FROM users")
            .fetch_one(s.db.pool())
            .await
            .unwrap()
            .get::<String, _>(0)
    };
    assert!(stored(old.clone()).await.contains("m=1024,t=1,p=1"));
    let new = fx.state(&[]).await;
    accounts::login(&new, "rehash@example.com", PW, "n")
        .await
        .unwrap();
    assert!(stored(new.clone()).await.contains("m=19456,t=2,p=1"));
    accounts::login(&new, "rehash@example.com", PW, "n")
        .await
        .unwrap();
}

async fn sessions_end_everywhere_and_when_idle(fx: Fixture) {
    let state = fx.state(&[("SESSION_IDLE_MINUTES", "30")]).await;
    let id = accounts::create_user(&state, "everywhere@example.com", PW, "")
        .await
        .unwrap();
    let a = accounts::login(&state, "everywhere@example.com", PW, "n")
        .await
        .unwrap();
    let b = accounts::login(&state, "everywhere@example.com", PW, "n")
        .await
        .unwrap();
    assert!(sessions::lookup(&state, &a).await.unwrap().is_some());
    fx.clock.advance(20 * 60);
    assert!(
        sessions::lookup(&state, &a).await.unwrap().is_some(),
        "touched: idle timer restarts"
    );
    fx.clock.advance(20 * 60);
    assert!(sessions::lookup(&state, &a).await.unwrap().is_some());
    assert!(
        sessions::lookup(&state, &b).await.unwrap().is_none(),
        "b was idle for 40 minutes"
    );
    assert_eq!(
        accounts::sign_out_everywhere(&state, &id, &Client::at("198.51.100.0/24"))
            .await
            .unwrap(),
        2
    );
    assert!(sessions::lookup(&state, &a).await.unwrap().is_none());
    assert_eq!(
        count(
            &state,
            "SELECT COUNT(*) FROM audit_log WHERE event = 'signed_out_everywhere'"
        )
        .await,
        1
    );
}

struct Flaky {
    failures_left: AtomicUsize,
    sent: AtomicUsize,
}

impl Transport for Flaky {
    fn send<'a>(&'a self, _: &'a Message) -> Sending<'a, Result<(), String>> {
        Box::pin(async move {
            if self.failures_left.load(Ordering::SeqCst) > 0 {
                self.failures_left.fetch_sub(1, Ordering::SeqCst);
                return Err("connection refused".into());
            }
            self.sent.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
}

async fn outbox_retries_and_never_sends_twice(fx: Fixture) {
    let state = fx.state(&[]).await;
    accounts::start_signup(&state, "retry@example.com", PW, "", texts::Locale::en)
        .await
        .unwrap();
    let flaky = Arc::new(Flaky {
        failures_left: AtomicUsize::new(2),
        sent: AtomicUsize::new(0),
    });
    let now = || state.clock.now();
    assert_eq!(
        outbox::deliver_due(&state.db, flaky.as_ref(), now())
            .await
            .unwrap(),
        0
    );
    // Not due again until the back-off has passed.
    assert_eq!(
        outbox::deliver_due(&state.db, flaky.as_ref(), now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(flaky.failures_left.load(Ordering::SeqCst), 1);
    fx.clock.advance(2);
    assert_eq!(
        outbox::deliver_due(&state.db, flaky.as_ref(), now())
            .await
            .unwrap(),
        0
    );
    fx.clock.advance(4);
    // Two senders at once (two server processes): exactly one delivery.
    let (a, b) = tokio::join!(
        outbox::deliver_due(&state.db, flaky.as_ref(), now()),
        outbox::deliver_due(&state.db, flaky.as_ref(), now())
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    fx.clock.advance(3_600);
    assert_eq!(
        outbox::deliver_due(&state.db, flaky.as_ref(), now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(flaky.sent.load(Ordering::SeqCst), 1);
    assert_eq!(
        count(
            &state,
            "SELECT COUNT(*) FROM outbox WHERE attempts = 3 AND sent_at IS NOT NULL"
        )
        .await,
        1
    );
}

async fn migrations_and_dev_secret_survive_restart(fx: Fixture) {
    let first = fx.state(&[]).await;
    let mac = first.secret.mac("t", &[b"x"]);
    first
        .db
        .migrate()
        .await
        .expect("migrating twice is a no-op");
    let second = fx.state(&[]).await;
    assert_eq!(
        second.secret.mac("t", &[b"x"]),
        mac,
        "the dev secret is kept in the database"
    );
    assert!(second.db.ping().await);
}

/// A flow's columns, as stored: what migration 0009's rebuild of the table must carry over.
type FlowRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
    Option<String>,
    String,
);

async fn flow_rows(db: &backend::Db) -> Vec<FlowRow> {
    sqlx::query_as(
        "SELECT id_hash, email, account_key, user_id, step, created_at, expires_at, code_mac, \
         code_tries_left, codes_sent, agent, lang FROM recovery_flows ORDER BY id_hash",
    )
    .fetch_all(db.pool())
    .await
    .expect("read the flows")
}

/// Migration 0009 rebuilds `recovery_flows` (to drop a foreign key). A database as the release
/// before it left it, with a shopper's flow for an account and one for an address without an
/// account, comes through with both flows' columns unchanged (address, account, step, times,
/// code, tries, browser, language), and the app goes on with them: 0011's account address is
/// filled in for the flow with an account, so its next code goes there.
async fn flows_stored_before_migration_9_come_through_it(fx: Fixture) {
    let db = backend::Db::connect(&fx.url).await.expect("connect");
    db.migrate_to(8).await.expect("migrate to 0008");
    let now = support::T0;
    let later = now + 1_800;
    let statements: [(&str, Vec<backend::db::Value>); 3] = [
        (
            "INSERT INTO users (id, email, email_key, password_hash, created_at, password_changed_at) \
             VALUES ($1, $2, $2, $3, $4, $4)",
            vec!["u-1".into(), "linden@example.com".into(), "$argon2id$unused".into(), now.into()],
        ),
        (
            "INSERT INTO recovery_flows (id_hash, email, account_key, user_id, step, created_at, \
             expires_at, code_mac, code_sent_at, code_expires_at, code_tries_left, codes_sent, agent, lang) \
             VALUES ($1, $2, $3, $4, 'code', $5, $6, $7, $5, $6, 4, 1, $8, 'de')",
            vec![
                backend::crypto::token_hash("known-token").into(),
                // Typed with a capital: the account's mail goes to its own address (0011).
                "Linden@example.com".into(),
                "key-known".into(),
                "u-1".into(),
                now.into(),
                later.into(),
                "mac-of-code".into(),
                "Firefox".into(),
            ],
        ),
        (
            "INSERT INTO recovery_flows (id_hash, email, account_key, user_id, step, created_at, \
             expires_at, code_mac, code_sent_at, code_expires_at, code_tries_left, codes_sent, agent, lang) \
             VALUES ($1, $2, $3, NULL, 'code', $4, $5, $6, $4, $5, 4, 1, NULL, 'en')",
            vec![
                backend::crypto::token_hash("unknown-token").into(),
                "nobody@example.com".into(),
                "key-unknown".into(),
                now.into(),
                later.into(),
                "mac-of-nothing".into(),
            ],
        ),
    ];
    let mut batch = backend::db::Batch::new();
    for (sql, values) in statements {
        batch.push(sql, values);
    }
    db.write_all(batch).await.expect("rows at 0008");
    let before = flow_rows(&db).await;
    assert_eq!(before.len(), 2);

    let state = fx.state(&[]).await; // migrates to the latest
    assert_eq!(
        flow_rows(&state.db).await,
        before,
        "the flows, column for column"
    );
    for (token, masked) in [
        ("known-token", "L***n@example.com"),
        ("unknown-token", "n***y@example.com"),
    ] {
        let view = backend::recovery::view(&state, token)
            .await
            .expect("read the flow")
            .unwrap_or_else(|| panic!("{token}'s flow goes on after the upgrade"));
        assert_eq!(
            (
                view.step,
                view.masked.as_str(),
                view.code_sent,
                view.tries_left
            ),
            (domain::recovery::Step::Code, masked, true, 4),
            "{token}"
        );
    }
    let filled: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT email, account_email FROM recovery_flows ORDER BY email")
            .fetch_all(state.db.pool())
            .await
            .expect("read the flows' addresses");
    assert_eq!(
        filled,
        [
            (
                "Linden@example.com".to_string(),
                Some("linden@example.com".to_string())
            ),
            ("nobody@example.com".to_string(), None),
        ],
        "0011 fills in the account's address, and only where there is an account"
    );
    // A resend after the cool-down goes to the account's address as stored.
    fx.clock.advance(61);
    backend::recovery::send_code(&state, "known-token", "198.51.100.0/24")
        .await
        .expect("a resend after the upgrade");
    let dev = backend::outbox::DevOutbox::new(state.db.clone(), state.clock.clone());
    backend::outbox::deliver_due(&state.db, &dev, state.clock.now())
        .await
        .expect("deliver");
    let sent = backend::outbox::dev_messages(&state.db, None, 5)
        .await
        .expect("messages");
    assert_eq!(
        sent.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(),
        ["linden@example.com"]
    );
}

async fn signup_mails_per_address_are_bounded(fx: Fixture) {
    let state = fx.state(&[("SIGNUP_MAILS_PER_HOUR", "2")]).await;
    accounts::create_user(&state, "owner@example.com", PW, "")
        .await
        .unwrap();
    for address in ["owner@example.com", "victim@example.com"] {
        for _ in 0..2 {
            accounts::start_signup(&state, address, PW, "", texts::Locale::en)
                .await
                .unwrap();
        }
        // Taken or free, the third within the hour is refused the same way, and sends nothing.
        assert!(matches!(
            accounts::start_signup(&state, &address.to_uppercase(), PW, "", texts::Locale::en)
                .await,
            Err(SignupError::TooMany { .. })
        ));
    }
    assert_eq!(count(&state, "SELECT COUNT(*) FROM outbox").await, 4);
    fx.clock.advance(3_601);
    assert!(
        accounts::start_signup(&state, "victim@example.com", PW, "", texts::Locale::en)
            .await
            .is_ok()
    );
}

async fn login_asks_for_the_slider_after_failures(fx: Fixture) {
    use backend::challenge::{self, Passed, Purpose};
    use backend::slider::corpus::{human, Rng};
    let state = fx
        .state(&[("LOGIN_CHALLENGE_AFTER", "2"), ("POW_WORK", "5000")])
        .await;
    accounts::create_user(&state, "gate@example.com", PW, "")
        .await
        .unwrap();
    let net = "198.51.100.0/24";
    for _ in 0..2 {
        assert_eq!(
            accounts::login(&state, "gate@example.com", "Wrong1Password", net).await,
            Err(LoginError::Incorrect)
        );
    }
    // Even the right password waits for the slider now.
    assert_eq!(
        accounts::login(&state, "gate@example.com", PW, net).await,
        Err(LoginError::ChallengeRequired)
    );
    let email = domain::Email::parse("gate@example.com").unwrap();
    let (account, network) = accounts::login_subjects(&state, &email, net);
    let p = challenge::issue(&state, Purpose::Login, &account, &network)
        .await
        .unwrap();
    let nonce = domain::pow::search(&p.salt, &p.id, &p.target, 0, p.bound).unwrap();
    let m = human(&mut Rng(42));
    let samples: Vec<serde_json::Value> = m
        .samples
        .iter()
        .map(|s| serde_json::json!({"t": s.t, "x": s.x, "y": s.y}))
        .collect();
    let movement = serde_json::json!({"mode": "drag", "pointer": "mouse", "trusted": true,
        "shown_to_press": m.shown_to_press, "press_offset": m.press_offset, "travel": m.travel,
        "handle": m.handle, "samples": samples, "release": m.release})
    .to_string();
    let Ok(Passed::LoginPass(pass)) = challenge::answer(
        &state,
        Purpose::Login,
        &account,
        &network,
        &p.token,
        &movement,
        nonce,
        None,
    )
    .await
    else {
        panic!("a human-like answer passes");
    };
    assert!(accounts::login_with_pass(
        &state,
        "gate@example.com",
        PW,
        &Client::at(net),
        Some(&pass)
    )
    .await
    .is_ok());
    // Success cleared the failures; two more bring the slider back, and the used pass no
    // longer opens the gate.
    for _ in 0..2 {
        assert_eq!(
            accounts::login(&state, "gate@example.com", "Wrong1Password", net).await,
            Err(LoginError::Incorrect)
        );
    }
    assert_eq!(
        accounts::login_with_pass(
            &state,
            "gate@example.com",
            PW,
            &Client::at(net),
            Some(&pass)
        )
        .await,
        Err(LoginError::ChallengeRequired)
    );
}

/// Twelve wrong passwords for one address sent at once, from twelve networks: the first three
/// (`LOGIN_CHALLENGE_AFTER`) are checked, and the others meet the slider. Without turns every
/// guess read "no failures yet" before the first was recorded, and all twelve were checked.
async fn guesses_sent_at_once_meet_the_slider(fx: Fixture) {
    let state = fx.state(&[("LOGIN_CHALLENGE_AFTER", "3")]).await;
    accounts::create_user(&state, "burst@example.com", PW, "")
        .await
        .unwrap();
    let guesses: Vec<_> = (0..12)
        .map(|n| {
            let state = state.clone();
            tokio::spawn(async move {
                let net = format!("198.51.{n}.0/24");
                accounts::login(&state, "burst@example.com", "Wrong1Password", &net).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for guess in guesses {
        answers.push(guess.await.unwrap());
    }
    let checked = answers
        .iter()
        .filter(|a| **a == Err(LoginError::Incorrect))
        .count();
    let gated = answers
        .iter()
        .filter(|a| **a == Err(LoginError::ChallengeRequired))
        .count();
    assert_eq!((checked, gated), (3, 9), "{answers:?}");
}

/// Past `LOGIN_LOCK_AFTER` failures an address is locked for browsers it does not know; a
/// browser the owner signed in with before meets the slider instead (with no slider, the lock).
async fn the_lock_keeps_out_unknown_browsers_only(fx: Fixture) {
    for policy in ["risk", "never"] {
        let state = fx
            .state(&[("LOGIN_LOCK_AFTER", "3"), ("SLIDER_POLICY", policy)])
            .await;
        let email = format!("owner-{policy}@example.com");
        accounts::create_user(&state, &email, PW, "").await.unwrap();
        let home = "192.0.2.0/24";
        let own = accounts::login_with_pass(&state, &email, PW, &Client::at(home), None)
            .await
            .expect("the owner signs in");
        let owners_browser = Client {
            device: Some(own.device.clone()),
            ..Client::at(home)
        };
        for _ in 0..3 {
            assert_eq!(
                accounts::login(&state, &email, "Wrong1Password", "203.0.113.0/24").await,
                Err(LoginError::Incorrect)
            );
        }
        // A browser the account does not know: locked, right password or not.
        assert!(matches!(
            accounts::login_with_pass(&state, &email, PW, &Client::at(home), None).await,
            Err(LoginError::Locked { .. })
        ));
        let owner = accounts::login_with_pass(&state, &email, PW, &owners_browser, None).await;
        if policy == "never" {
            assert!(matches!(owner, Err(LoginError::Locked { .. })), "{owner:?}");
        } else {
            assert_eq!(owner.map(|s| s.user_id), Err(LoginError::ChallengeRequired));
        }
    }
}

/// Six sign-ups of one address sent at once, with two e-mails an hour allowed: two are sent,
/// four refused. Counted before the hash and recorded after it, all six used to pass.
async fn signups_sent_at_once_stay_within_the_mail_cap(fx: Fixture) {
    let state = fx.state(&[("SIGNUP_MAILS_PER_HOUR", "2")]).await;
    let signups: Vec<_> = (0..6)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move {
                accounts::start_signup(&state, "many@example.com", PW, "", texts::Locale::en).await
            })
        })
        .collect();
    let (mut sent, mut refused) = (0, 0);
    for signup in signups {
        match signup.await.unwrap() {
            Ok(_) => sent += 1,
            Err(SignupError::TooMany { .. }) => refused += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((sent, refused), (2, 4));
    assert_eq!(
        count(&state, "SELECT COUNT(*) FROM outbox").await,
        2,
        "two e-mails queued"
    );
}
