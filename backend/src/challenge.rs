//! The slider challenge: when it is required, signed single-use challenges with a
//! proof-of-work, and one judged answer each.
//!
//! A challenge is a token signed with HMAC-SHA-256 over a canonical, length-prefixed payload
//! (version, key id, random id, purpose, what it is bound to, network, issue and expiry time,
//! tier, proof-of-work parameters), so any server process can check it without a row. The first
//! answer inserts the challenge id into `challenge_answers`; any other answer to it is refused.
//! Every failure looks the same to the browser ("Couldn't verify, try again" and a new
//! challenge); a database error fails closed.

use crate::clock::Timestamp;
use crate::config::StepPolicy;
use crate::crypto::{constant_time_eq, new_id, new_token, random_bytes, token_hash, uniform_below};
use crate::db::col;
use crate::limits::{self, kind};
use crate::slider::{self, Movement, Tier};
use crate::state::AppState;
use domain::pow::{digest, Puzzle};
use serde::{Deserialize, Serialize};

const VERSION: &str = "1";
/// Seconds a challenge may be answered in.
pub const LIFETIME: i64 = 120;
/// Largest answer body accepted.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;
const WINDOW: i64 = 15 * 60;

/// What a challenge guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    /// The slider step of a recovery flow (bound to the flow).
    Recover,
    /// A sign-in after repeated failures (bound to the address).
    Login,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Recover => "recover",
            Purpose::Login => "login",
        }
    }
}

/// Why no challenge or no pass.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChallengeError {
    /// Any failed check: the browser gets a new challenge and the same words every time.
    #[error("not verified")]
    Failed,
    /// Too many failures lately from this network or for this flow/address.
    #[error("too many failed challenges; retry in {retry_after_secs} s")]
    TooMany { retry_after_secs: i64 },
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for ChallengeError {
    fn from(e: sqlx::Error) -> Self {
        ChallengeError::Internal(e.to_string())
    }
}

/// The signed body of a challenge token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Body {
    v: String,
    kid: String,
    id: String,
    purpose: Purpose,
    bind: String,
    network: String,
    iat: i64,
    exp: i64,
    harder: bool,
    salt: String,
    target: String,
    bound: u32,
    extra_target: String,
    extra_bound: u32,
    #[serde(default)]
    mac: String,
}

impl Body {
    fn canonical_mac(&self, state: &AppState) -> Option<String> {
        let secret = state.secret_for(&self.kid)?;
        let (iat, exp, bound, extra) = (
            self.iat.to_string(),
            self.exp.to_string(),
            self.bound.to_string(),
            self.extra_bound.to_string(),
        );
        let parts: [&[u8]; 14] = [
            self.v.as_bytes(),
            self.kid.as_bytes(),
            self.id.as_bytes(),
            self.purpose.as_str().as_bytes(),
            self.bind.as_bytes(),
            self.network.as_bytes(),
            iat.as_bytes(),
            exp.as_bytes(),
            if self.harder { b"harder" } else { b"normal" },
            self.salt.as_bytes(),
            self.target.as_bytes(),
            bound.as_bytes(),
            self.extra_target.as_bytes(),
            extra.as_bytes(),
        ];
        Some(secret.mac("challenge-token", &parts))
    }
}

/// Whether a new recovery flow for `account` (HMAC of the address) from `network` must pass
/// the slider first (DESIGN.md §2 step 3; same answer for addresses with and without account).
pub async fn recovery_requires(
    state: &AppState,
    account: &str,
    network_subject: &str,
) -> Result<bool, sqlx::Error> {
    let now = state.clock.now();
    Ok(match state.config.slider_policy {
        StepPolicy::Always => true,
        StepPolicy::Never => false,
        StepPolicy::Risk => {
            // The four counts in one read (each an index range of `attempts`).
            let row = sqlx::query(
                "SELECT \
                 (SELECT COUNT(*) FROM attempts WHERE kind = $1 AND subject = $2 AND at > $3) AS codes, \
                 (SELECT COUNT(*) FROM attempts WHERE kind = $4 AND subject = $5 AND at > $6) AS starts, \
                 (SELECT COUNT(*) FROM attempts WHERE kind = $7 AND subject = $8 AND at > $3) AS failures, \
                 (SELECT COUNT(*) FROM attempts WHERE kind = $9 AND subject = $2 AND at > $10) AS wrong",
            )
            .bind(kind::RECOVERY_CODE_ACCOUNT)
            .bind(account)
            .bind(now - WINDOW)
            .bind(kind::RECOVERY_START_NETWORK)
            .bind(network_subject)
            .bind(now - 600)
            .bind(kind::CHALLENGE_FAIL)
            .bind(failure_subject(state, network_subject))
            .bind(kind::RECOVERY_WRONG_ACCOUNT)
            .bind(now - 86_400)
            .fetch_one(state.db.pool())
            .await?;
            col::<i64>(&row, "codes")? > 0
                || col::<i64>(&row, "starts")? > 5
                || col::<i64>(&row, "failures")? > 0
                || col::<i64>(&row, "wrong")? >= state.config.wrong_codes_per_account_per_day
        }
    })
}

/// Issues a challenge for `purpose`, bound to `bind` (a flow's id hash, or an address's HMAC).
pub async fn issue(
    state: &AppState,
    purpose: Purpose,
    bind: &str,
    network: &str,
) -> Result<Puzzle, ChallengeError> {
    let now = state.clock.now();
    let (failures, cooled_at) = recent_failures(state, bind, network, now).await?;
    if failures >= state.config.challenge_cooldown_after {
        return Err(ChallengeError::TooMany {
            retry_after_secs: cooled_at.map_or(WINDOW, |at| (at - now).max(1)),
        });
    }
    // The tier follows counts kept alike for addresses with and without an account: the
    // challenge failures, and for a recovery its address's wrong codes today. (A tier that
    // followed the account, such as one secured with "This wasn't me", would tell whoever
    // starts a recovery for an address that it has one.)
    let harder = failures >= state.config.challenge_harder_after
        || (purpose == Purpose::Recover && flow_past_wrong_code_limit(state, bind, now).await?);
    let work = state.config.pow_work.max(1);
    let bound = if harder { work.saturating_mul(2) } else { work };
    let extra_bound = work;
    let id = new_id();
    let salt = hex::encode(random_bytes::<16>());
    let mut body = Body {
        v: VERSION.into(),
        kid: state.secret.key_id(),
        id: id.clone(),
        purpose,
        bind: bind.into(),
        network: network.into(),
        iat: now,
        exp: now + LIFETIME,
        harder,
        target: digest(&salt, &id, uniform_below(bound)),
        extra_target: digest(&salt, &format!("{id}+"), uniform_below(extra_bound)),
        salt: salt.clone(),
        bound,
        extra_bound,
        mac: String::new(),
    };
    body.mac = body
        .canonical_mac(state)
        .ok_or_else(|| ChallengeError::Internal("no key for the current key id".into()))?;
    let json = serde_json::to_vec(&body).map_err(|e| ChallengeError::Internal(e.to_string()))?;
    use base64::Engine;
    Ok(Puzzle {
        token: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json),
        target: body.target,
        bound,
        extra_target: body.extra_target,
        extra_bound,
        salt,
        id,
    })
}

/// What a passed challenge gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passed {
    /// The recovery flow moved on to "Verify your identity".
    Flow,
    /// A one-time pass for the next sign-in of the address (its token).
    LoginPass(String),
}

/// Judges one answer. Cheap checks first; the challenge id is consumed before the movement is
/// judged, so each challenge gets exactly one answer, pass or fail.
#[allow(clippy::too_many_arguments)]
pub async fn answer(
    state: &AppState,
    purpose: Purpose,
    bind: &str,
    network: &str,
    token: &str,
    movement: &str,
    nonce: u32,
    extra_nonce: Option<u32>,
) -> Result<Passed, ChallengeError> {
    let now = state.clock.now();
    if movement.len() > MAX_ANSWER_BYTES || token.len() > 4 * 1024 {
        return fail(state, purpose, bind, network, now).await;
    }
    let Some(body) = decode(token) else {
        return fail(state, purpose, bind, network, now).await;
    };
    let mac_ok = body
        .canonical_mac(state)
        .is_some_and(|mac| constant_time_eq(mac.as_bytes(), body.mac.as_bytes()));
    if !mac_ok
        || body.v != VERSION
        || body.purpose != purpose
        || body.bind != bind
        || body.network != network
        || body.exp <= now
    {
        return fail(state, purpose, bind, network, now).await;
    }
    let Ok(movement) = serde_json::from_str::<Movement>(movement) else {
        return fail(state, purpose, bind, network, now).await;
    };
    let mut tx = state.db.begin_write().await?;
    let first = sqlx::query(
        "INSERT INTO challenge_answers (id, answered_at, passed) VALUES ($1, $2, 0) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&body.id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        drop(tx);
        return fail(state, purpose, bind, network, now).await;
    }
    let proof = digest(&body.salt, &body.id, nonce) == body.target
        && nonce < body.bound
        && match movement.mode {
            // Keyboard and tap answers pay the extra proof-of-work: priced, never exempt.
            slider::Mode::Keyboard | slider::Mode::Tap => extra_nonce.is_some_and(|n| {
                n < body.extra_bound
                    && digest(&body.salt, &format!("{}+", body.id), n) == body.extra_target
            }),
            slider::Mode::Drag => true,
        };
    let tier = if body.harder {
        Tier::Harder
    } else {
        Tier::Normal
    };
    let print = slider::fingerprint(&movement);
    let replayed = movement.mode == slider::Mode::Drag
        && sqlx::query("SELECT at FROM challenge_paths WHERE fingerprint = $1 AND at > $2")
            .bind(&print)
            .bind(now - 86_400)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
    if !proof || replayed || !slider::judge(&movement, tier) {
        tx.commit().await?;
        return fail(state, purpose, bind, network, now).await;
    }
    sqlx::query("UPDATE challenge_answers SET passed = 1 WHERE id = $1")
        .bind(&body.id)
        .execute(&mut *tx)
        .await?;
    if movement.mode == slider::Mode::Drag {
        sqlx::query(
            "INSERT INTO challenge_paths (fingerprint, at) VALUES ($1, $2) \
             ON CONFLICT (fingerprint) DO UPDATE SET at = excluded.at",
        )
        .bind(&print)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let passed = match purpose {
        Purpose::Recover => {
            let moved = sqlx::query(
                "UPDATE recovery_flows SET step = 'verify', hard_passed = $3 \
                 WHERE id_hash = $1 AND step = 'challenge' AND expires_at > $2",
            )
            .bind(bind)
            .bind(now)
            .bind(i64::from(body.harder))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved != 1 {
                tx.commit().await?;
                return Err(ChallengeError::Failed);
            }
            Passed::Flow
        }
        Purpose::Login => {
            let pass = new_token();
            sqlx::query(
                "INSERT INTO challenge_passes (id_hash, subject, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(token_hash(&pass))
            .bind(bind)
            .bind(now + 5 * 60)
            .execute(&mut *tx)
            .await?;
            Passed::LoginPass(pass)
        }
    };
    tx.commit().await?;
    Ok(passed)
}

/// Consumes a sign-in pass for `subject`; true when it was valid (once).
pub async fn use_login_pass(
    state: &AppState,
    pass: &str,
    subject: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM challenge_passes WHERE id_hash = $1 AND subject = $2 AND expires_at > $3",
    )
    .bind(token_hash(pass))
    .bind(subject)
    .bind(state.clock.now())
    .execute(&mut *state.db.writing().await?)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes answers, paths and passes no longer needed (run by the background sender).
pub async fn prune(db: &crate::Db, now: Timestamp) -> Result<(), sqlx::Error> {
    for (sql, before) in [
        (
            "DELETE FROM challenge_answers WHERE answered_at < $1",
            now - 2 * LIFETIME,
        ),
        ("DELETE FROM challenge_paths WHERE at < $1", now - 86_400),
        ("DELETE FROM challenge_passes WHERE expires_at < $1", now),
    ] {
        sqlx::query(sql)
            .bind(before)
            .execute(&mut *db.writing().await?)
            .await?;
    }
    Ok(())
}

fn decode(token: &str) -> Option<Body> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

fn failure_subject(state: &AppState, subject: &str) -> String {
    state.secret.mac("challenge-fail", &[subject.as_bytes()])
}

/// How many challenges failed lately for `bind` and from `network` (the larger count), and
/// when the cool-down such a count causes ends: once the failure that made a subject's count
/// reach the cool-down's leaves the 15-minute window (`None` while neither count has).
async fn recent_failures(
    state: &AppState,
    bind: &str,
    network: &str,
    now: Timestamp,
) -> Result<(i64, Option<Timestamp>), sqlx::Error> {
    let mut most = 0;
    let mut cooled_at = None;
    for subject in [bind, network] {
        let (n, nth) = limits::count_and_nth_since(
            &state.db,
            kind::CHALLENGE_FAIL,
            &failure_subject(state, subject),
            now - WINDOW,
            state.config.challenge_cooldown_after,
        )
        .await?;
        most = most.max(n);
        cooled_at = cooled_at.max(nth.map(|at| at + WINDOW));
    }
    Ok((most, cooled_at))
}

/// Records a failure for the flow/address and the network (and, for a recovery flow, in its
/// account's activity), then answers `Failed`.
async fn fail<T>(
    state: &AppState,
    purpose: Purpose,
    bind: &str,
    network: &str,
    now: Timestamp,
) -> Result<T, ChallengeError> {
    for subject in [bind, network] {
        limits::record(
            &state.db,
            kind::CHALLENGE_FAIL,
            &failure_subject(state, subject),
            now,
        )
        .await?;
    }
    if purpose == Purpose::Recover {
        let mut conn = state.db.pool().acquire().await?;
        crate::activity::record_for_flow(
            &mut conn,
            bind,
            crate::activity::event::SLIDER_FAILED,
            None,
            now,
        )
        .await?;
    }
    Err(ChallengeError::Failed)
}

/// Whether the address of the recovery flow `bind` has had its daily limit of wrong codes
/// today (false without a flow): one read, by the flow's address key.
async fn flow_past_wrong_code_limit(
    state: &AppState,
    bind: &str,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let wrong: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_flows f JOIN attempts a ON a.subject = f.account_key \
         WHERE f.id_hash = $1 AND a.kind = $2 AND a.at > $3",
    )
    .bind(bind)
    .bind(kind::RECOVERY_WRONG_ACCOUNT)
    .bind(now - 86_400)
    .fetch_one(state.db.pool())
    .await?;
    Ok(wrong >= state.config.wrong_codes_per_account_per_day)
}
