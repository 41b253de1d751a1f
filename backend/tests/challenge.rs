//! The slider challenge against a real SQLite file and a real PostgreSQL database: tokens,
//! proof-of-work, single use under concurrency, expiry, and when recovery asks for it.

mod support;

use backend::challenge::{self, ChallengeError, Passed, Purpose};
use backend::recovery;
use backend::slider::corpus::{self, Rng};
use backend::AppState;
use domain::pow::{search, Puzzle};
use domain::recovery::Step;
use support::{flow_view, other_than, Fixture};

const NET: &str = "198.51.100.0/24";
const PHONE: &str = "+44 7700 900789";
/// A small proof-of-work keeps the tests fast; the size does not change the rules.
const WORK: (&str, &str) = ("POW_WORK", "5000");

on_both_databases!(
    a_human_answer_passes_once_and_moves_the_flow,
    two_answers_at_once_one_judged,
    challenges_expire_and_bind_to_their_flow,
    issued_by_one_process_answered_by_another,
    proof_of_work_is_checked,
    keyboard_and_tap_pay_the_extra_work,
    risk_decides_when_the_slider_shows,
    failures_raise_the_tier_then_cool_down,
    sign_in_passes_are_single_use,
    a_database_error_fails_closed,
    a_secured_account_starts_like_any_address,
    past_the_wrong_code_limit_the_harder_slider_opens_the_way,
    past_the_limit_a_normal_tier_pass_is_not_enough,
);

fn solve(p: &Puzzle) -> u32 {
    search(&p.salt, &p.id, &p.target, 0, p.bound).expect("solvable")
}

fn solve_extra(p: &Puzzle) -> u32 {
    search(
        &p.salt,
        &format!("{}+", p.id),
        &p.extra_target,
        0,
        p.extra_bound,
    )
    .expect("solvable")
}

/// Issues the recovery challenge of the flow `bind` to the network `net`.
async fn issue(state: &AppState, bind: &str, net: &str) -> Puzzle {
    challenge::issue(state, Purpose::Recover, bind, net)
        .await
        .expect("a challenge")
}

/// Answers the recovery challenge `token` of the flow `bind` from the network `net`: the
/// movement, the proof of work, and the extra proof a keyboard or tap owes.
async fn answer(
    state: &AppState,
    bind: &str,
    net: &str,
    token: &str,
    movement: &str,
    nonce: u32,
    extra: Option<u32>,
) -> Result<Passed, ChallengeError> {
    challenge::answer(
        state,
        Purpose::Recover,
        bind,
        net,
        token,
        movement,
        nonce,
        extra,
    )
    .await
}

fn human_json(seed: u64) -> String {
    movement_json(&corpus::human(&mut Rng(seed)))
}

fn movement_json(m: &backend::slider::Movement) -> String {
    let samples: Vec<serde_json::Value> = m
        .samples
        .iter()
        .map(|s| serde_json::json!({"t": s.t, "x": s.x, "y": s.y}))
        .collect();
    serde_json::json!({
        "mode": match m.mode { backend::slider::Mode::Drag => "drag", backend::slider::Mode::Keyboard => "keyboard", backend::slider::Mode::Tap => "tap" },
        "pointer": m.pointer, "trusted": m.trusted, "shown_to_press": m.shown_to_press,
        "press_offset": m.press_offset, "travel": m.travel, "handle": m.handle,
        "samples": samples, "release": m.release, "keys": m.keys, "value": m.value, "tap_x": m.tap_x,
    })
    .to_string()
}

/// A flow at the slider step (policy `always`), its token and what challenges bind to.
async fn flow_at_challenge(state: &AppState) -> (String, String, String) {
    let s = recovery::start(state, "lin@example.com", None, NET)
        .await
        .unwrap();
    assert_eq!(s.step, Step::Challenge);
    let bind = recovery::flow_key(&s.token);
    (s.token, bind, recovery::network_subject(state, NET))
}

async fn a_human_answer_passes_once_and_moves_the_flow(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "always"), WORK]).await;
    let (token, bind, net) = flow_at_challenge(&state).await;
    // Not yet: the code cannot be sent before the slider.
    assert_eq!(
        recovery::send_code(&state, &token, NET).await,
        Err(recovery::RecoveryError::OutOfOrder {
            step: Step::Challenge
        })
    );
    let p = issue(&state, &bind, &net).await;
    let movement = human_json(1);
    assert_eq!(
        answer(&state, &bind, &net, &p.token, &movement, solve(&p), None).await,
        Ok(Passed::Flow)
    );
    assert_eq!(flow_view(&state, &token).await.step, Step::Verify);
    // The same challenge answered again: refused, whatever the answer.
    assert_eq!(
        answer(&state, &bind, &net, &p.token, &movement, solve(&p), None).await,
        Err(ChallengeError::Failed)
    );
    recovery::send_code(&state, &token, NET).await.unwrap();
}

async fn two_answers_at_once_one_judged(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "always"), WORK]).await;
    let (_, bind, net) = flow_at_challenge(&state).await;
    let p = issue(&state, &bind, &net).await;
    let nonce = solve(&p);
    let mut tasks = Vec::new();
    for seed in [2, 3] {
        let (state, bind, net, token) = (state.clone(), bind.clone(), net.clone(), p.token.clone());
        tasks.push(tokio::spawn(async move {
            answer(&state, &bind, &net, &token, &human_json(seed), nonce, None).await
        }));
    }
    let mut passed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Passed::Flow) => passed += 1,
            Err(ChallengeError::Failed) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(passed, 1, "exactly one answer per challenge is judged");
}

async fn challenges_expire_and_bind_to_their_flow(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "always"), WORK]).await;
    let (_, bind, net) = flow_at_challenge(&state).await;
    let (_, other_bind, _) = flow_at_challenge(&state).await;
    // From another network than the one it was issued to: refused, where the same movement
    // from the right network passes.
    let (_, bind_n, net_n) = flow_at_challenge(&state).await;
    let elsewhere = recovery::network_subject(&state, "192.0.2.0/24");
    let (p, q) = (
        issue(&state, &bind_n, &net_n).await,
        issue(&state, &bind_n, &net_n).await,
    );
    let movement = human_json(4);
    for (from, p, verdict) in [
        (&elsewhere, &p, Err(ChallengeError::Failed)),
        (&net_n, &q, Ok(Passed::Flow)),
    ] {
        let answered = answer(&state, &bind_n, from, &p.token, &movement, solve(p), None).await;
        assert_eq!(answered, verdict, "answered from {from}");
    }
    let p = issue(&state, &bind, &net).await;
    // For another flow, another purpose: refused.
    assert_eq!(
        answer(
            &state,
            &other_bind,
            &net,
            &p.token,
            &human_json(4),
            solve(&p),
            None
        )
        .await,
        Err(ChallengeError::Failed)
    );
    let p = issue(&state, &bind, &net).await;
    assert_eq!(
        challenge::answer(
            &state,
            Purpose::Login,
            &bind,
            &net,
            &p.token,
            &human_json(5),
            solve(&p),
            None
        )
        .await,
        Err(ChallengeError::Failed)
    );
    // Two minutes: expired.
    let p = issue(&state, &bind, &net).await;
    fx.clock.advance(challenge::LIFETIME);
    assert_eq!(
        answer(
            &state,
            &bind,
            &net,
            &p.token,
            &human_json(6),
            solve(&p),
            None
        )
        .await,
        Err(ChallengeError::Failed)
    );
    // A tampered token (the target swapped for an easy one) fails its MAC.
    let p = issue(&state, &bind, &net).await;
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut body: serde_json::Value =
        serde_json::from_slice(&engine.decode(&p.token).unwrap()).unwrap();
    body["target"] = serde_json::json!(domain::pow::digest(&p.salt, &p.id, 0));
    let forged = engine.encode(body.to_string());
    assert_eq!(
        answer(&state, &bind, &net, &forged, &human_json(7), 0, None).await,
        Err(ChallengeError::Failed)
    );
}

async fn issued_by_one_process_answered_by_another(fx: Fixture) {
    let key = "cd".repeat(32);
    let first = fx
        .state(&[("SLIDER_POLICY", "always"), WORK, ("SECRET_KEY", &key)])
        .await;
    let second = fx
        .state(&[("SLIDER_POLICY", "always"), WORK, ("SECRET_KEY", &key)])
        .await;
    let (token, bind, net) = flow_at_challenge(&first).await;
    let p = issue(&first, &bind, &net).await;
    assert_eq!(
        answer(
            &second,
            &bind,
            &net,
            &p.token,
            &human_json(8),
            solve(&p),
            None
        )
        .await,
        Ok(Passed::Flow)
    );
    assert_eq!(flow_view(&first, &token).await.step, Step::Verify);
    // After a key rotation the old key still verifies what it signed (two keys live).
    let rotated = fx
        .state(&[
            ("SLIDER_POLICY", "always"),
            WORK,
            ("SECRET_KEY", &"ef".repeat(32)),
            ("PREVIOUS_SECRET_KEY", &key),
        ])
        .await;
    let (_, bind2, net2) = flow_at_challenge(&first).await;
    let p = issue(&first, &bind2, &net2).await;
    assert_eq!(
        answer(
            &rotated,
            &bind2,
            &net2,
            &p.token,
            &human_json(9),
            solve(&p),
            None
        )
        .await,
        Ok(Passed::Flow)
    );
}

async fn proof_of_work_is_checked(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "always"), WORK]).await;
    let (_, bind, net) = flow_at_challenge(&state).await;
    let p = issue(&state, &bind, &net).await;
    let right = solve(&p);
    assert_eq!(
        answer(
            &state,
            &bind,
            &net,
            &p.token,
            &human_json(10),
            right.wrapping_add(1),
            None
        )
        .await,
        Err(ChallengeError::Failed),
        "wrong proof"
    );
    // A proof for another challenge does not fit this one.
    let q = issue(&state, &bind, &net).await;
    let r = issue(&state, &bind, &net).await;
    if solve(&q) != solve(&r) {
        assert_eq!(
            answer(
                &state,
                &bind,
                &net,
                &r.token,
                &human_json(11),
                solve(&q),
                None
            )
            .await,
            Err(ChallengeError::Failed)
        );
    }
    // A bot's path with a right proof: refused too, and an oversized body before parsing.
    let s = issue(&state, &bind, &net).await;
    let bot = movement_json(&corpus::straight(10, 30.0));
    assert_eq!(
        answer(&state, &bind, &net, &s.token, &bot, solve(&s), None).await,
        Err(ChallengeError::Failed)
    );
}

async fn keyboard_and_tap_pay_the_extra_work(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "always"), WORK]).await;
    let (_, bind, net) = flow_at_challenge(&state).await;
    let keys = serde_json::json!({"mode": "keyboard", "trusted": true, "shown_to_press": 800.0,
        "travel": 300.0, "handle": 48.0, "keys": [0.0, 200.0, 450.0, 700.0], "value": 100.0})
    .to_string();
    let p = issue(&state, &bind, &net).await;
    assert_eq!(
        answer(&state, &bind, &net, &p.token, &keys, solve(&p), None).await,
        Err(ChallengeError::Failed),
        "no extra proof"
    );
    let p = issue(&state, &bind, &net).await;
    assert_eq!(
        answer(
            &state,
            &bind,
            &net,
            &p.token,
            &keys,
            solve(&p),
            Some(solve_extra(&p))
        )
        .await,
        Ok(Passed::Flow)
    );
    let (_, bind, net) = flow_at_challenge(&state).await;
    let tap = serde_json::json!({"mode": "tap", "pointer": "touch", "trusted": true, "shown_to_press": 800.0,
        "travel": 300.0, "handle": 48.0, "tap_x": 290.0}).to_string();
    let p = issue(&state, &bind, &net).await;
    assert_eq!(
        answer(
            &state,
            &bind,
            &net,
            &p.token,
            &tap,
            solve(&p),
            Some(solve_extra(&p))
        )
        .await,
        Ok(Passed::Flow)
    );
}

async fn risk_decides_when_the_slider_shows(fx: Fixture) {
    let state = fx.state(&[WORK]).await;
    backend::accounts::create_user(&state, "lin@example.com", "Tangerine7Harbor", "")
        .await
        .unwrap();
    // First flow: no reason for the slider.
    let s = recovery::start(&state, "lin@example.com", None, NET)
        .await
        .unwrap();
    assert_eq!(s.step, Step::Verify);
    recovery::send_code(&state, &s.token, NET).await.unwrap();
    // A code went to this address in the last 15 minutes: the next flow shows the slider —
    // the same for an address without an account.
    let again = recovery::start(&state, "lin@example.com", None, "192.0.2.0/24")
        .await
        .unwrap();
    assert_eq!(again.step, Step::Challenge);
    let u = recovery::start(&state, "nobody@example.com", None, "192.0.2.0/24")
        .await
        .unwrap();
    recovery::send_code(&state, &u.token, "192.0.2.0/24")
        .await
        .unwrap();
    let u2 = recovery::start(&state, "nobody@example.com", None, "203.0.113.0/24")
        .await
        .unwrap();
    assert_eq!(u2.step, Step::Challenge);
    fx.clock.advance(15 * 60 + 1);
    assert_eq!(
        recovery::start(&state, "lin@example.com", None, "203.0.113.0/24")
            .await
            .unwrap()
            .step,
        Step::Verify
    );
    // More than five starts from one network in ten minutes.
    let busy = "100.64.0.0/24";
    let steps: Vec<Step> = futures_steps(&state, busy, 7).await;
    assert_eq!(&steps[..6], &[Step::Verify; 6]);
    assert_eq!(steps[6], Step::Challenge);
    // Policy never: no slider whatever the signals.
    let never = fx.state(&[("SLIDER_POLICY", "never"), WORK]).await;
    assert_eq!(
        recovery::start(&never, "lin@example.com", None, busy)
            .await
            .unwrap()
            .step,
        Step::Verify
    );
}

async fn futures_steps(state: &AppState, network: &str, n: usize) -> Vec<Step> {
    let mut out = Vec::new();
    for i in 0..n {
        let s = recovery::start(state, &format!("person{i}@example.com"), None, network)
            .await
            .unwrap();
        out.push(s.step);
    }
    out
}

async fn failures_raise_the_tier_then_cool_down(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "always"), WORK]).await;
    let (_, bind, net) = flow_at_challenge(&state).await;
    let bot = movement_json(&corpus::straight(40, 800.0));
    let refused = |p: Puzzle| {
        let (state, bind, net, bot) = (&state, &bind, &net, &bot);
        async move {
            answer(state, bind, net, &p.token, bot, solve(&p), None)
                .await
                .is_err()
        }
    };
    let issued = || challenge::issue(&state, Purpose::Recover, &bind, &net);
    // One failure, another 100 s later.
    for _ in 0..2 {
        let p = issued().await.unwrap();
        assert_eq!(p.bound, 5_000);
        assert!(refused(p).await);
        fx.clock.advance(100);
    }
    // Two failures: the harder tier (twice the work).
    assert_eq!(issued().await.unwrap().bound, 10_000);
    fx.clock.advance(100);
    let spare = issued().await.unwrap();
    for _ in 0..3 {
        assert!(refused(issued().await.unwrap()).await);
    }
    // Five at 0, 100 and 300 s: a cool-down until the first is 15 minutes old.
    assert!(matches!(
        issued().await,
        Err(ChallengeError::TooMany {
            retry_after_secs: 600
        })
    ));
    // A sixth, answering a challenge issued before: the cool-down now lasts until the fifth
    // latest (100 s) is 15 minutes old, 10 minutes from now.
    fx.clock.advance(100);
    assert!(refused(spare).await);
    assert!(matches!(
        issued().await,
        Err(ChallengeError::TooMany {
            retry_after_secs: 600
        })
    ));
    fx.clock.advance(599);
    assert!(matches!(
        issued().await,
        Err(ChallengeError::TooMany {
            retry_after_secs: 1
        })
    ));
    fx.clock.advance(1);
    assert!(issued().await.is_ok());
}

async fn sign_in_passes_are_single_use(fx: Fixture) {
    let state = fx.state(&[WORK]).await;
    let subject = "subject-of-an-address";
    let net = "network-subject";
    let p = challenge::issue(&state, Purpose::Login, subject, net)
        .await
        .unwrap();
    let Ok(Passed::LoginPass(pass)) = challenge::answer(
        &state,
        Purpose::Login,
        subject,
        net,
        &p.token,
        &human_json(12),
        solve(&p),
        None,
    )
    .await
    else {
        panic!("a human answer passes");
    };
    assert!(!challenge::use_login_pass(&state, &pass, "another-subject")
        .await
        .unwrap());
    assert!(challenge::use_login_pass(&state, &pass, subject)
        .await
        .unwrap());
    assert!(
        !challenge::use_login_pass(&state, &pass, subject)
            .await
            .unwrap(),
        "once"
    );
}

async fn a_database_error_fails_closed(fx: Fixture) {
    let state = fx.state(&[("SLIDER_POLICY", "always"), WORK]).await;
    let (_, bind, net) = flow_at_challenge(&state).await;
    let p = issue(&state, &bind, &net).await;
    let nonce = solve(&p);
    state.db.close().await;
    assert!(
        matches!(
            answer(&state, &bind, &net, &p.token, &human_json(13), nonce, None).await,
            Err(ChallengeError::Internal(_))
        ),
        "never a pass without the database"
    );
}

/// An account its owner secured with "This wasn't me" (flagged) starts a recovery as an
/// address without an account does: the same first step under the default policy, and under
/// `always` a challenge of the same size. Before, it alone opened on the slider, in the
/// harder tier, which told whoever typed the address that it has an account.
async fn a_secured_account_starts_like_any_address(fx: Fixture) {
    for policy in ["risk", "always"] {
        let state = fx.state(&[WORK, ("SLIDER_POLICY", policy)]).await;
        let (flagged, nobody) = (
            format!("flagged-{policy}@example.com"),
            format!("nobody-{policy}@example.com"),
        );
        backend::accounts::create_user(&state, &flagged, "Tangerine7Harbor", "")
            .await
            .unwrap();
        assert!(backend::accounts::set_flag(&state, &flagged, true)
            .await
            .unwrap());
        let mut seen = Vec::new();
        for (email, net) in [(&flagged, "198.51.100.0/24"), (&nobody, "192.0.2.0/24")] {
            let s = recovery::start(&state, email, None, net).await.unwrap();
            let bound = match s.step {
                Step::Challenge => Some(
                    issue(&state, &recovery::flow_key(&s.token), net)
                        .await
                        .bound,
                ),
                _ => None,
            };
            seen.push((s.step, bound));
        }
        assert_eq!(seen[0], seen[1], "{policy}: {seen:?}");
    }
}

/// Issues the recovery flow `token`'s challenge and answers it as a person would (the drag of
/// `seed`); the bound of the tier it came in.
async fn pass_the_slider(state: &AppState, token: &str, net: &str, seed: u64) -> u32 {
    let bind = recovery::flow_key(token);
    let p = issue(state, &bind, net).await;
    let answered = answer(
        state,
        &bind,
        net,
        &p.token,
        &human_json(seed),
        solve(&p),
        None,
    )
    .await;
    assert_eq!(answered, Ok(Passed::Flow));
    p.bound
}

/// DESIGN.md §3: past an address's daily limit of wrong codes (2 here) its recovery needs the
/// slider's harder tier and the SMS step, or support. A flow that had the wrong codes goes back
/// to the slider, gets the harder tier, and after it checks codes again; then the right code
/// asks for the text (an account with a phone) or is refused (without one). An address
/// without an account goes the same way, answer for answer.
async fn past_the_wrong_code_limit_the_harder_slider_opens_the_way(fx: Fixture) {
    use recovery::RecoveryError;
    let state = fx
        .state(&[WORK, ("WRONG_CODES_PER_ACCOUNT_PER_DAY", "2")])
        .await;
    backend::accounts::create_user(&state, "lin@example.com", "Tangerine7Harbor", PHONE)
        .await
        .unwrap();
    backend::accounts::create_user(&state, "ada@example.com", "Tangerine7Harbor", "")
        .await
        .unwrap();
    let net = recovery::network_subject(&state, NET);
    let mut answers = Vec::new();
    for (n, address) in ["lin@example.com", "ada@example.com", "nobody@example.com"]
        .into_iter()
        .enumerate()
    {
        // A person's movement the harder tier passes (each used once: a path is single use).
        let seed = (100 * (n as u64 + 1)..)
            .find(|&seed| {
                backend::slider::judge(
                    &corpus::human(&mut Rng(seed)),
                    backend::slider::Tier::Harder,
                )
            })
            .expect("a seed");
        let s = recovery::start(&state, address, None, NET).await.unwrap();
        assert_eq!(s.step, Step::Verify, "{address}");
        recovery::send_code(&state, &s.token, NET).await.unwrap();
        let code = support::recovery_code(&state, address).await;
        let right = code.unwrap_or_else(|| "123456".into());
        let wrong = other_than(&right);
        let mut seen = Vec::new();
        for _ in 0..2 {
            seen.push(recovery::check_code(&state, &s.token, wrong, NET).await);
        }
        // Two wrong today: even the right code sends the flow back to the slider.
        seen.push(recovery::check_code(&state, &s.token, &right, NET).await);
        assert_eq!(flow_view(&state, &s.token).await.step, Step::Challenge);
        // A new flow of the address starts there too; both get the harder tier.
        let again = recovery::start(&state, address, None, "192.0.2.0/24")
            .await
            .unwrap();
        assert_eq!(again.step, Step::Challenge, "{address}");
        assert_eq!(
            pass_the_slider(&state, &s.token, &net, seed).await,
            10_000,
            "{address}: the harder tier"
        );
        fx.clock.advance(61);
        recovery::send_code(&state, &s.token, NET).await.unwrap();
        let code = support::recovery_code(&state, address).await;
        let right = code.unwrap_or_else(|| "123456".into());
        let wrong = other_than(&right);
        seen.push(recovery::check_code(&state, &s.token, wrong, NET).await);
        seen.push(recovery::check_code(&state, &s.token, &right, NET).await);
        answers.push(seen);
    }
    let wrong = |tries_left| Err(RecoveryError::WrongCode { tries_left });
    let back = || Err(RecoveryError::SliderAgain);
    assert_eq!(
        answers[0],
        [wrong(4), wrong(3), back(), wrong(4), Ok(Step::Sms)],
        "an account with a phone: the text next"
    );
    assert_eq!(
        answers[1],
        [
            wrong(4),
            wrong(3),
            back(),
            wrong(4),
            Err(RecoveryError::AccountLocked)
        ],
        "an account without a phone: support"
    );
    assert_eq!(
        answers[2][..4],
        answers[0][..4],
        "no account: the same answers up to the right code it never has"
    );
}

/// A flow that passed the slider in the normal tier, before the address reached its limit of
/// wrong codes, goes back to the slider when it checks a code past it: at the e-mailed code
/// and at the texted one.
async fn past_the_limit_a_normal_tier_pass_is_not_enough(fx: Fixture) {
    use recovery::RecoveryError;
    let state = fx
        .state(&[
            WORK,
            ("SLIDER_POLICY", "always"),
            ("SMS_POLICY", "always"),
            ("WRONG_CODES_PER_ACCOUNT_PER_DAY", "2"),
        ])
        .await;
    backend::accounts::create_user(&state, "lin@example.com", "Tangerine7Harbor", PHONE)
        .await
        .unwrap();
    let net = recovery::network_subject(&state, NET);
    // A flow through the slider in the normal tier, its e-mailed code sent; its token and code.
    let through_the_slider = |seed: u64| {
        let (state, net) = (state.clone(), net.clone());
        async move {
            let s = recovery::start(&state, "lin@example.com", None, NET)
                .await
                .unwrap();
            assert_eq!(
                pass_the_slider(&state, &s.token, &net, seed).await,
                5_000,
                "the normal tier"
            );
            recovery::send_code(&state, &s.token, NET).await.unwrap();
            let code = support::recovery_code(&state, "lin@example.com")
                .await
                .unwrap();
            (s.token, code)
        }
    };
    // One flow on to the texted code, before the limit.
    let (texted, code) = through_the_slider(21).await;
    assert_eq!(
        recovery::check_code(&state, &texted, &code, NET).await,
        Ok(Step::Sms)
    );
    recovery::send_code(&state, &texted, NET).await.unwrap();
    // Another: two wrong codes, the limit.
    let (emailed, right) = through_the_slider(22).await;
    let wrong = other_than(&right);
    for tries_left in [4, 3] {
        assert_eq!(
            recovery::check_code(&state, &emailed, wrong, NET).await,
            Err(RecoveryError::WrongCode { tries_left })
        );
    }
    let back = || Err(RecoveryError::SliderAgain);
    // The right e-mailed code: back to the slider; and at the texted code, the same.
    assert_eq!(
        recovery::check_code(&state, &emailed, &right, NET).await,
        back()
    );
    assert_eq!(
        recovery::check_code(&state, &texted, "123456", NET).await,
        back()
    );
    for token in [&emailed, &texted] {
        assert_eq!(flow_view(&state, token).await.step, Step::Challenge);
    }
}
