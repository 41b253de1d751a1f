//! The forgot-password flow against a real SQLite file and a real PostgreSQL database, with a
//! manual clock (lifetimes and windows are tested without sleeping).

mod support;

use backend::accounts::{self, LoginError};
use backend::crypto::token_hash;
use backend::devices;
use backend::outbox::{self, DevOutbox};
use backend::recovery::{self, RecoveryError, Started};
use backend::sessions;
use backend::AppState;
use domain::recovery::Step;
use std::sync::Arc;
use support::{flow_view, other_than, Fixture};

const PW: &str = "Tangerine7Harbor";
const NEW_PW: &str = "Lighthouse4Meadow";
const NET: &str = "198.51.100.0/24";

on_both_databases!(
    journey_resets_password_and_signs_out_everywhere,
    unknown_address_does_the_same_work_and_never_passes,
    notice_for_unknown_address_when_configured,
    codes_expire_and_die_after_their_tries,
    resend_cool_down_supersedes_and_caps,
    wrong_codes_are_counted_per_account_across_flows,
    one_right_code_racing_wins_once,
    racing_sends_stay_within_the_limits,
    grant_is_single_use_and_expires,
    a_reset_forgets_sign_in_failures_and_remembers_the_browser,
    flows_expire_and_one_per_browser,
    steps_out_of_order_are_refused,
    network_limits_hold,
    racing_requests_stay_within_the_network_limits,
    racing_wrong_codes_stay_within_the_address_cap,
    a_reset_ends_the_accounts_other_recoveries,
    mail_goes_to_the_address_as_stored,
);

async fn deliver(state: &AppState) {
    let dev = DevOutbox::new(state.db.clone(), state.clock.clone());
    outbox::deliver_due(&state.db, &dev, state.clock.now())
        .await
        .expect("deliver");
}

/// The code of the newest recovery e-mail to `to`, read from the dev outbox.
async fn code_for(state: &AppState, to: &str) -> Option<String> {
    support::recovery_code(state, to).await
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

async fn start(state: &AppState, email: &str) -> Started {
    recovery::start(state, email, None, NET)
        .await
        .expect("start")
}

/// Starts a flow and sends its first code; returns the token and the code (if one was sent).
async fn started_with_code(state: &AppState, email: &str) -> (String, Option<String>) {
    let s = start(state, email).await;
    assert_eq!(s.step, Step::Verify);
    recovery::send_code(state, &s.token, NET)
        .await
        .expect("send");
    (s.token, code_for(state, email).await)
}

async fn journey_resets_password_and_signs_out_everywhere(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    let user = accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    let phone_session = accounts::login(&state, "lin@example.com", PW, NET)
        .await
        .unwrap();
    let laptop_session = accounts::login(&state, "lin@example.com", PW, NET)
        .await
        .unwrap();

    let s = start(&state, " Lin@Example.com ").await;
    let view = flow_view(&state, &s.token).await;
    assert_eq!(
        (view.step, view.masked.as_str()),
        (Step::Verify, "L***n@example.com")
    );
    assert!(!view.code_sent && view.can_send && view.email.is_none());

    recovery::send_code(&state, &s.token, NET).await.unwrap();
    let code = code_for(&state, "Lin@example.com")
        .await
        .expect("a code e-mail");
    let view = flow_view(&state, &s.token).await;
    assert_eq!(view.step, Step::Code);
    assert_eq!(
        (view.resend_in, view.tries_left, view.code_dead),
        (60, 5, false)
    );

    // Nothing at rest reveals the code: the flow holds a MAC, the sent outbox row is emptied.
    let mac = state.secret.mac(
        "recovery-code",
        &[token_hash(&s.token).as_bytes(), code.as_bytes()],
    );
    assert_eq!(
        count(
            &state,
            &format!("SELECT COUNT(*) FROM recovery_flows WHERE code_mac = '{mac}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(&state, &format!("SELECT COUNT(*) FROM recovery_flows WHERE code_mac LIKE '%{code}%' OR id_hash = '{}'", s.token)).await,
        0
    );
    assert_eq!(
        count(&state, &format!("SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%{code}%' OR body_html LIKE '%{code}%'")).await,
        0
    );

    assert_eq!(
        recovery::check_code(&state, &s.token, other_than(&code), NET).await,
        Err(RecoveryError::WrongCode { tries_left: 4 })
    );
    assert_eq!(
        recovery::check_code(
            &state,
            &s.token,
            &format!("{} {}", &code[..3], &code[3..]),
            NET
        )
        .await,
        Ok(Step::Password),
        "a pasted code with a space is accepted"
    );
    let view = flow_view(&state, &s.token).await;
    assert_eq!(view.step, Step::Password);
    assert_eq!(
        view.email.as_deref(),
        Some("lin@example.com"),
        "the account's address, for the checklist and password managers"
    );

    // The rules hold here too: the field errors name the rule.
    assert!(matches!(
        recovery::set_password(&state, &s.token, "short", "short").await,
        Err(RecoveryError::Password(_))
    ));
    assert!(matches!(
        recovery::set_password(&state, &s.token, "lin@example.com", "lin@example.com").await,
        Err(RecoveryError::Password(_))
    ));
    assert_eq!(
        recovery::set_password(&state, &s.token, NEW_PW, "Lighthouse4Meadoq").await,
        Err(RecoveryError::Mismatch)
    );
    recovery::set_password(&state, &s.token, NEW_PW, NEW_PW)
        .await
        .unwrap();

    assert_eq!(flow_view(&state, &s.token).await.step, Step::Done);
    for session in [&phone_session, &laptop_session] {
        assert_eq!(
            sessions::lookup(&state, session).await.unwrap(),
            None,
            "every session ended"
        );
    }
    assert_eq!(
        accounts::login(&state, "lin@example.com", PW, NET).await,
        Err(LoginError::Incorrect)
    );
    assert!(accounts::login(&state, "lin@example.com", NEW_PW, NET)
        .await
        .is_ok());
    assert_eq!(
        count(&state, &format!("SELECT COUNT(*) FROM audit_log WHERE user_id = '{user}' AND event = 'password_reset'")).await,
        1
    );
    deliver(&state).await;
    let mail = outbox::dev_messages(&state.db, Some("lin@example.com"), 10)
        .await
        .unwrap();
    assert!(
        mail.iter()
            .any(|m| m.subject.contains("password was changed")),
        "{:?}",
        mail.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
}

async fn unknown_address_does_the_same_work_and_never_passes(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "known@example.com", PW, "")
        .await
        .unwrap();
    let (known, code) = started_with_code(&state, "known@example.com").await;
    assert!(code.is_some());
    let rows_known = table_counts(&state).await;
    let (unknown, no_code) = started_with_code(&state, "nobody@example.com").await;
    assert_eq!(no_code, None, "no code is sent to an unknown address");
    let rows_both = table_counts(&state).await;
    for ((table, known), (_, both)) in rows_known.iter().zip(&rows_both) {
        assert_eq!(
            both - known,
            *known,
            "{table}: the unknown address wrote as many rows as the known one"
        );
    }
    let known_view = flow_view(&state, &known).await;
    let unknown_view = flow_view(&state, &unknown).await;
    assert_eq!(
        (
            known_view.step,
            known_view.resend_in,
            known_view.tries_left,
            known_view.code_dead,
            known_view.can_send
        ),
        (
            unknown_view.step,
            unknown_view.resend_in,
            unknown_view.tries_left,
            unknown_view.code_dead,
            unknown_view.can_send
        ),
        "the screens cannot tell them apart"
    );
    // Even the code whose MAC is stored (nobody was told it) does not pass for an unknown address.
    let planted = "424242";
    let mac = state.secret.mac(
        "recovery-code",
        &[token_hash(&unknown).as_bytes(), planted.as_bytes()],
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE recovery_flows SET code_mac = '{mac}' WHERE id_hash = '{}'",
        token_hash(&unknown)
    )))
    .execute(state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        recovery::check_code(&state, &unknown, planted, NET).await,
        Err(RecoveryError::WrongCode { tries_left: 4 })
    );
    assert_eq!(
        recovery::check_code(&state, &known, other_than(code.as_deref().unwrap()), NET).await,
        Err(RecoveryError::WrongCode { tries_left: 4 }),
        "the same answer for a known address"
    );
}

async fn table_counts(state: &AppState) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in ["recovery_flows", "outbox", "attempts"] {
        out.push((
            table,
            count(state, &format!("SELECT COUNT(*) FROM {table}")).await,
        ));
    }
    out
}

async fn notice_for_unknown_address_when_configured(fx: Fixture) {
    let state = fx
        .state(&[
            ("SLIDER_POLICY", "never"),
            ("RECOVERY_NOTIFY_UNKNOWN", "true"),
        ])
        .await;
    let (_, code) = started_with_code(&state, "nobody@example.com").await;
    assert_eq!(code, None);
    let mail = outbox::dev_messages(&state.db, Some("nobody@example.com"), 10)
        .await
        .unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].to, "nobody@example.com",
        "no account: the address typed"
    );
    assert!(
        mail[0]
            .text
            .contains("No Rekey Shop account uses this address"),
        "{}",
        mail[0].text
    );
    assert!(
        !mail[0].text.chars().any(|c| c.is_ascii_digit()),
        "no code in the notice"
    );
}

async fn codes_expire_and_die_after_their_tries(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    let (token, code) = started_with_code(&state, "lin@example.com").await;
    let code = code.unwrap();
    // Ten minutes: the code is dead, the flow (30 minutes) lives on.
    fx.clock.advance(600);
    assert_eq!(
        recovery::check_code(&state, &token, &code, NET).await,
        Err(RecoveryError::CodeDead)
    );
    let view = flow_view(&state, &token).await;
    assert!(view.code_dead && view.can_send);

    recovery::send_code(&state, &token, NET).await.unwrap();
    let code = code_for(&state, "lin@example.com").await.unwrap();
    let wrong = other_than(&code);
    for left in (1..5).rev() {
        assert_eq!(
            recovery::check_code(&state, &token, wrong, NET).await,
            Err(RecoveryError::WrongCode { tries_left: left })
        );
    }
    assert_eq!(
        recovery::check_code(&state, &token, wrong, NET).await,
        Err(RecoveryError::CodeDead),
        "the fifth wrong try kills the code"
    );
    assert_eq!(
        recovery::check_code(&state, &token, &code, NET).await,
        Err(RecoveryError::CodeDead),
        "a dead code stays dead, right or not"
    );
    assert!(flow_view(&state, &token).await.code_dead);
    // Bad input is a field error, and costs no try.
    assert!(matches!(
        recovery::check_code(&state, &token, "12a456", NET).await,
        Err(RecoveryError::Code(_))
    ));
    // A new code after the cool-down works.
    fx.clock.advance(60);
    recovery::send_code(&state, &token, NET).await.unwrap();
    let fresh = code_for(&state, "lin@example.com").await.unwrap();
    assert_eq!(
        recovery::check_code(&state, &token, &fresh, NET).await,
        Ok(Step::Password)
    );
}

async fn resend_cool_down_supersedes_and_caps(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    let (token, first) = started_with_code(&state, "lin@example.com").await;
    let first = first.unwrap();
    assert_eq!(
        recovery::send_code(&state, &token, NET).await,
        Err(RecoveryError::CoolDown {
            retry_after_secs: 60
        })
    );
    fx.clock.advance(59);
    assert_eq!(
        recovery::send_code(&state, &token, NET).await,
        Err(RecoveryError::CoolDown {
            retry_after_secs: 1
        })
    );
    fx.clock.advance(1);
    recovery::send_code(&state, &token, NET).await.unwrap();
    let second = code_for(&state, "lin@example.com").await.unwrap();
    if first != second {
        assert_eq!(
            recovery::check_code(&state, &token, &first, NET).await,
            Err(RecoveryError::WrongCode { tries_left: 4 }),
            "a new code supersedes the old one"
        );
    }
    // Five codes per flow.
    for _ in 0..3 {
        fx.clock.advance(60);
        recovery::send_code(&state, &token, NET).await.unwrap();
    }
    fx.clock.advance(60);
    assert_eq!(
        recovery::send_code(&state, &token, NET).await,
        Err(RecoveryError::TooManyCodes)
    );
    assert!(!flow_view(&state, &token).await.can_send);
    // Ten per address per day, across flows: five more in a new flow, then none.
    let (token2, _) = started_with_code(&state, "lin@example.com").await;
    for _ in 0..4 {
        fx.clock.advance(60);
        recovery::send_code(&state, &token2, NET).await.unwrap();
    }
    let token3 = start(&state, "lin@example.com").await.token;
    assert_eq!(
        recovery::send_code(&state, &token3, NET).await,
        Err(RecoveryError::TooManyCodes)
    );
    // The window rolls: a day after the first codes, sending works again.
    fx.clock.advance(86_400);
    let token4 = start(&state, "lin@example.com").await.token;
    recovery::send_code(&state, &token4, NET).await.unwrap();
}

async fn wrong_codes_are_counted_per_account_across_flows(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    for address in ["lin@example.com", "nobody@example.com"] {
        // Four wrong in one flow, four after a resend, two in a second flow: ten in a day.
        let (token, code) = started_with_code(&state, address).await;
        let wrong = other_than(code.as_deref().unwrap_or("000000"));
        for _ in 0..4 {
            assert!(matches!(
                recovery::check_code(&state, &token, wrong, NET).await,
                Err(RecoveryError::WrongCode { .. })
            ));
        }
        fx.clock.advance(60);
        recovery::send_code(&state, &token, NET).await.unwrap();
        for _ in 0..4 {
            assert!(matches!(
                recovery::check_code(&state, &token, wrong, NET).await,
                Err(RecoveryError::WrongCode { .. })
            ));
        }
        let (token2, code2) = started_with_code(&state, address).await;
        let wrong2 = other_than(code2.as_deref().unwrap_or("000000"));
        for _ in 0..2 {
            assert!(matches!(
                recovery::check_code(&state, &token2, wrong2, NET).await,
                Err(RecoveryError::WrongCode { .. })
            ));
        }
        // The eleventh try is refused before the code is even compared — the right one too.
        let try_this = code2.clone().unwrap_or_else(|| "123456".into());
        assert_eq!(
            recovery::check_code(&state, &token2, &try_this, NET).await,
            Err(RecoveryError::AccountLocked),
            "{address}"
        );
    }
    // A day later the count has rolled off.
    fx.clock.advance(86_400);
    let (token, code) = started_with_code(&state, "lin@example.com").await;
    assert_eq!(
        recovery::check_code(&state, &token, &code.unwrap(), NET).await,
        Ok(Step::Password)
    );
}

async fn one_right_code_racing_wins_once(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    let (token, code) = started_with_code(&state, "lin@example.com").await;
    let code = Arc::new(code.unwrap());
    let token = Arc::new(token);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (state, token, code) = (state.clone(), token.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            recovery::check_code(&state, &token, &code, NET).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Step::Password) => wins += 1,
            Err(RecoveryError::OutOfOrder {
                step: Step::Password,
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(wins, 1, "exactly one request moves the flow");

    // The grant is spent once, even by racing requests.
    let mut tasks = Vec::new();
    for pw in [NEW_PW, "Riverbank9Lantern"] {
        let (state, token) = (state.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            recovery::set_password(&state, &token, pw, pw).await
        }));
    }
    let mut changed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => changed += 1,
            Err(RecoveryError::OutOfOrder { step: Step::Done }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(changed, 1);
    // The loser's writes all went with its spent grant: one event, one notice, one link.
    for (what, sql) in [
        (
            "event",
            "SELECT COUNT(*) FROM audit_log WHERE event = 'password_reset'",
        ),
        (
            "notice",
            "SELECT COUNT(*) FROM outbox WHERE subject LIKE '%password was changed%'",
        ),
        (
            "link",
            "SELECT COUNT(*) FROM disown_tokens WHERE event = 'password_reset'",
        ),
    ] {
        assert_eq!(count(&state, sql).await, 1, "one {what}");
    }
}

/// "Send code" plans its write from a read taken outside the write lock; racing sends must
/// still keep every limit. Eight at once for one flow send one code (the others meet the
/// cool-down); eight at once for eight flows of one address stop at its daily cap. (Whether
/// the tasks overlap is up to the runtime's two workers; the guard itself is tested
/// deterministically in `storage.rs`.)
async fn racing_sends_stay_within_the_limits(fx: Fixture) {
    let state = fx
        .state(&[
            ("SLIDER_POLICY", "never"),
            ("CODES_PER_ACCOUNT_PER_DAY", "3"),
        ])
        .await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    let sent = |answers: &[Result<Step, RecoveryError>]| {
        answers.iter().filter(|a| **a == Ok(Step::Code)).count()
    };

    let token = start(&state, "lin@example.com").await.token;
    let answers = support::race_sends(&state, vec![token; 8], NET).await;
    assert_eq!(sent(&answers), 1, "{answers:?}");
    assert!(answers
        .iter()
        .all(|a| matches!(a, Ok(Step::Code) | Err(RecoveryError::CoolDown { .. }))));

    let mut tokens = Vec::new();
    for _ in 0..8 {
        tokens.push(start(&state, "lin@example.com").await.token);
    }
    let answers = support::race_sends(&state, tokens, NET).await;
    assert_eq!(sent(&answers), 2, "{answers:?}");
    assert!(answers
        .iter()
        .all(|a| matches!(a, Ok(Step::Code) | Err(RecoveryError::TooManyCodes))));
    assert_eq!(
        count(
            &state,
            "SELECT COUNT(*) FROM outbox WHERE recipient = 'lin@example.com'"
        )
        .await,
        3,
        "three codes e-mailed in all"
    );
}

async fn grant_is_single_use_and_expires(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    let (token, code) = started_with_code(&state, "lin@example.com").await;
    recovery::check_code(&state, &token, &code.unwrap(), NET)
        .await
        .unwrap();
    fx.clock.advance(15 * 60);
    assert_eq!(
        recovery::set_password(&state, &token, NEW_PW, NEW_PW).await,
        Err(RecoveryError::NoFlow),
        "the grant lasts 15 minutes"
    );
    assert!(accounts::login(&state, "lin@example.com", PW, NET)
        .await
        .is_ok());

    let (token, code) = started_with_code(&state, "lin@example.com").await;
    recovery::check_code(&state, &token, &code.unwrap(), NET)
        .await
        .unwrap();
    recovery::set_password(&state, &token, NEW_PW, NEW_PW)
        .await
        .unwrap();
    assert_eq!(
        recovery::set_password(&state, &token, "Riverbank9Lantern", "Riverbank9Lantern").await,
        Err(RecoveryError::OutOfOrder { step: Step::Done })
    );
    assert!(accounts::login(&state, "lin@example.com", NEW_PW, NET)
        .await
        .is_ok());
}

/// A reset proves control of the mailbox: the address's sign-in failures stop counting (a
/// locked account opens), the browsers remembered before are forgotten and the one that reset
/// it is remembered for the account, all in the reset's one write.
async fn a_reset_forgets_sign_in_failures_and_remembers_the_browser(fx: Fixture) {
    let state = fx
        .state(&[("LOGIN_LOCK_AFTER", "3"), ("SLIDER_POLICY", "never")])
        .await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    // A browser the account knew before the reset.
    let before = accounts::login_with_pass(
        &state,
        "lin@example.com",
        PW,
        &backend::activity::Client::at(NET),
        None,
    )
    .await
    .unwrap();
    for _ in 0..3 {
        let _ = accounts::login(&state, "lin@example.com", "Wrong1Password", NET).await;
    }
    let elsewhere = "203.0.113.0/24";
    assert!(matches!(
        accounts::login(&state, "lin@example.com", PW, elsewhere).await,
        Err(LoginError::Locked { .. })
    ));
    let (token, code) = started_with_code(&state, "lin@example.com").await;
    recovery::check_code(&state, &token, &code.unwrap(), NET)
        .await
        .unwrap();
    let set = recovery::set_password_on_device(&state, &token, NEW_PW, NEW_PW, None)
        .await
        .unwrap();
    let mut conn = state.db.pool().acquire().await.unwrap();
    assert!(
        devices::is_known(&state, &mut conn, Some(&set.device), &set.user_id)
            .await
            .unwrap(),
        "the browser is remembered"
    );
    assert!(
        !devices::is_known(&state, &mut conn, Some(&before.device), &set.user_id)
            .await
            .unwrap(),
        "the browsers remembered before are forgotten"
    );
    drop(conn);
    assert!(
        accounts::login(&state, "lin@example.com", NEW_PW, elsewhere)
            .await
            .is_ok(),
        "the failures before the reset no longer lock the account"
    );
}

async fn flows_expire_and_one_per_browser(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    let first = start(&state, "lin@example.com").await;
    let second = recovery::start(&state, "lin@example.com", Some(&first.token), NET)
        .await
        .unwrap();
    assert_eq!(
        recovery::view(&state, &first.token).await.unwrap(),
        None,
        "replaced"
    );
    assert_eq!(
        count(&state, "SELECT COUNT(*) FROM recovery_flows").await,
        1
    );
    assert!(recovery::view(&state, &second.token)
        .await
        .unwrap()
        .is_some());
    fx.clock.advance(30 * 60);
    assert_eq!(
        recovery::view(&state, &second.token).await.unwrap(),
        None,
        "30 minutes"
    );
    assert_eq!(
        recovery::send_code(&state, &second.token, NET).await,
        Err(RecoveryError::NoFlow)
    );
    assert_eq!(
        recovery::prune(&state.db, state.clock.now() + 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        recovery::check_code(&state, "not-a-flow", "123456", NET).await,
        Err(RecoveryError::NoFlow)
    );
}

async fn steps_out_of_order_are_refused(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    let s = start(&state, "lin@example.com").await;
    assert_eq!(
        recovery::check_code(&state, &s.token, "123456", NET).await,
        Err(RecoveryError::OutOfOrder { step: Step::Verify })
    );
    assert_eq!(
        recovery::set_password(&state, &s.token, NEW_PW, NEW_PW).await,
        Err(RecoveryError::OutOfOrder { step: Step::Verify })
    );
    recovery::send_code(&state, &s.token, NET).await.unwrap();
    assert_eq!(
        recovery::set_password(&state, &s.token, NEW_PW, NEW_PW).await,
        Err(RecoveryError::OutOfOrder { step: Step::Code })
    );
    let code = code_for(&state, "lin@example.com").await.unwrap();
    recovery::check_code(&state, &s.token, &code, NET)
        .await
        .unwrap();
    fx.clock.advance(60);
    assert_eq!(
        recovery::send_code(&state, &s.token, NET).await,
        Err(RecoveryError::OutOfOrder {
            step: Step::Password
        })
    );
    assert_eq!(
        recovery::check_code(&state, &s.token, &code, NET).await,
        Err(RecoveryError::OutOfOrder {
            step: Step::Password
        })
    );
    assert!(matches!(
        recovery::start(&state, "not an address", None, NET).await,
        Err(RecoveryError::Email(_))
    ));
}

async fn network_limits_hold(fx: Fixture) {
    let state = fx
        .state(&[("SLIDER_POLICY", "never"), ("RECOVERY_PER_NETWORK", "3")])
        .await;
    for _ in 0..3 {
        start(&state, "lin@example.com").await;
    }
    assert!(matches!(
        recovery::start(&state, "other@example.com", None, NET).await,
        Err(RecoveryError::TooMany { .. })
    ));
    // Another network is not affected; the window rolls.
    assert!(
        recovery::start(&state, "lin@example.com", None, "192.0.2.0/24")
            .await
            .is_ok()
    );
    fx.clock.advance(15 * 60);
    assert!(recovery::start(&state, "lin@example.com", None, NET)
        .await
        .is_ok());
}

async fn racing_requests_stay_within_the_network_limits(fx: Fixture) {
    let state = fx
        .state(&[("SLIDER_POLICY", "never"), ("RECOVERY_PER_NETWORK", "3")])
        .await;
    let starts = (0..8).map(|i| {
        let state = state.clone();
        async move { recovery::start(&state, &format!("s{i}@example.com"), None, NET).await }
    });
    let answers = support::race(starts.collect()).await;
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        3,
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Ok(_) | Err(RecoveryError::TooMany { .. }))),
        "{answers:?}"
    );
    assert_eq!(
        count(&state, "SELECT COUNT(*) FROM recovery_flows").await,
        3,
        "no flow stored for a refused start"
    );

    // Checks: eight flows, each started and sent from a network of its own, then a wrong code
    // for each from one network at once.
    let mut tokens = Vec::new();
    for i in 0..8 {
        let net = format!("203.0.113.{i}/32");
        let s = recovery::start(&state, &format!("c{i}@example.com"), None, &net)
            .await
            .unwrap();
        recovery::send_code(&state, &s.token, &net).await.unwrap();
        tokens.push(s.token);
    }
    let checks = tokens.into_iter().map(|token| {
        let state = state.clone();
        async move { recovery::check_code(&state, &token, "123456", NET).await }
    });
    let answers = support::race(checks.collect()).await;
    let counted =
        |a: &&Result<Step, RecoveryError>| matches!(a, Err(RecoveryError::WrongCode { .. }));
    assert_eq!(answers.iter().filter(counted).count(), 3, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| counted(&a) || matches!(a, Err(RecoveryError::TooMany { .. }))),
        "{answers:?}"
    );
}

async fn racing_wrong_codes_stay_within_the_address_cap(fx: Fixture) {
    let state = fx
        .state(&[
            ("SLIDER_POLICY", "never"),
            ("WRONG_CODES_PER_ACCOUNT_PER_DAY", "3"),
        ])
        .await;
    accounts::create_user(&state, "lin@example.com", PW, "")
        .await
        .unwrap();
    // Eight flows of one address, each checked from a network of its own.
    let mut flows = Vec::new();
    for i in 0..8 {
        let (token, code) = started_with_code(&state, "lin@example.com").await;
        flows.push((token, code.unwrap(), format!("203.0.113.{i}/32")));
    }
    let checks = flows.into_iter().map(|(token, code, net)| {
        let state = state.clone();
        async move { recovery::check_code(&state, &token, other_than(&code), &net).await }
    });
    let answers = support::race(checks.collect()).await;
    let wrong =
        |a: &&Result<Step, RecoveryError>| matches!(a, Err(RecoveryError::WrongCode { .. }));
    assert_eq!(answers.iter().filter(wrong).count(), 3, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| wrong(&a) || *a == Err(RecoveryError::AccountLocked)),
        "{answers:?}"
    );
}

/// Two recoveries of one account, both past the code with their grants: a reset through one
/// ends the other, so its grant can no longer set a password, and a recovery of another
/// account is left alone.
async fn a_reset_ends_the_accounts_other_recoveries(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    for email in ["lin@example.com", "ada@example.com"] {
        accounts::create_user(&state, email, PW, "").await.unwrap();
    }
    let mut granted = Vec::new();
    for email in ["lin@example.com", "lin@example.com", "ada@example.com"] {
        let (token, code) = started_with_code(&state, email).await;
        assert_eq!(
            recovery::check_code(&state, &token, &code.unwrap(), NET).await,
            Ok(Step::Password)
        );
        granted.push(token);
    }
    recovery::set_password(&state, &granted[0], NEW_PW, NEW_PW)
        .await
        .unwrap();
    assert_eq!(
        recovery::set_password(
            &state,
            &granted[1],
            "Riverbank9Lantern",
            "Riverbank9Lantern"
        )
        .await,
        Err(RecoveryError::NoFlow),
        "the other grant ended with the reset"
    );
    assert!(accounts::login(&state, "lin@example.com", NEW_PW, NET)
        .await
        .is_ok());
    recovery::set_password(&state, &granted[2], NEW_PW, NEW_PW)
        .await
        .expect("another account's recovery goes on");
}

/// An address typed with another case of a letter names the same account (its key folds case)
/// but, on a mail server that keeps local parts' case apart (RFC 5321), perhaps another
/// mailbox: the account's mail goes to the address it was made with, whatever was typed.
async fn mail_goes_to_the_address_as_stored(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "never")]).await;
    accounts::create_user(&state, "kim@example.com", PW, "")
        .await
        .unwrap();
    // A Kelvin sign (U+212A) for the K: lower-cased, it is an ASCII k.
    let typed = "\u{212A}im@example.com";

    accounts::start_signup(&state, typed, NEW_PW, "", texts::Locale::en)
        .await
        .expect("a sign-up of a taken address looks like any other");
    accounts::login(&state, typed, PW, NET)
        .await
        .expect("the same account");
    let s = start(&state, typed).await;
    let view = flow_view(&state, &s.token).await;
    assert_eq!(
        view.masked, "\u{212A}***m@example.com",
        "the mask shows what was typed"
    );
    recovery::send_code(&state, &s.token, NET).await.unwrap();
    let code = code_for(&state, "kim@example.com").await.expect("a code");
    recovery::check_code(&state, &s.token, &code, NET)
        .await
        .unwrap();
    let view = flow_view(&state, &s.token).await;
    assert_eq!(
        view.email.as_deref(),
        Some("kim@example.com"),
        "the new-password form's username is the account's"
    );
    recovery::set_password(&state, &s.token, NEW_PW, NEW_PW)
        .await
        .unwrap();

    deliver(&state).await;
    let mail = outbox::dev_messages(&state.db, None, 20).await.unwrap();
    let sent: Vec<(&str, &str)> = mail
        .iter()
        .map(|m| (m.to.as_str(), m.subject.as_str()))
        .collect();
    for (what, words) in [
        ("the sign-up's 'someone tried'", "Someone tried to create"),
        ("the new sign-in notice", "New sign-in"),
        ("the recovery code", "verification code"),
        ("the password-changed notice", "password was changed"),
    ] {
        assert!(
            sent.iter()
                .any(|(to, subject)| *to == "kim@example.com" && subject.contains(words)),
            "{what} to the stored address: {sent:?}"
        );
    }
    assert!(
        sent.iter().all(|(to, _)| *to == "kim@example.com"),
        "nothing to the address as typed: {sent:?}"
    );
}
