//! The forgot-password journey on the server: flows, codes, the reset grant.
//!
//! A flow belongs to one browser (an HttpOnly cookie holds a 256-bit token, the database its
//! SHA-256) and moves through [`domain::recovery::Step`]s. Every function here does the same
//! database work for an address with an account and one without: both get a flow row, a code
//! MAC, counters and an outbox row; only an address with an account is ever sent a code, and
//! only a right code for a real account opens the password step.
//!
//! Limits (DESIGN.md §3), all kept in the database so every server process sees them:
//! per code (lifetime, tries), per flow (cool-down, codes), per account over a rolling day
//! (codes sent, wrong codes; a resend never resets them) and per network (starts, sends, checks).

use crate::activity::{self, event, Client};
use crate::config::StepPolicy;
use crate::crypto::{constant_time_eq, new_code, new_token, token_hash};
use crate::db::{bind_all, col, Batch, Value, WriteTx};
use crate::hasher::HashError;
use crate::limits::{self, kind};
use crate::mail;
use crate::outbox;
use crate::sessions;
use crate::state::AppState;
use domain::code::CodeError;
use domain::password::{check, Broken};
use domain::recovery::{Event, FlowView, Step};
use domain::{Code, Email, EmailError, Phone};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

/// Name of the cookie that holds this browser's flow token.
pub const COOKIE: &str = "rekey_recovery";

const DAY: i64 = 86_400;
const NETWORK_WINDOW: i64 = 15 * 60;

/// Why a recovery step did not go ahead. Every variant reads the same for an address with an
/// account and one without.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecoveryError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Code(#[from] CodeError),
    /// The new password breaks a rule (the message says which).
    #[error("the password breaks rule {0:?}")]
    Password(Broken),
    #[error("the two passwords differ")]
    Mismatch,
    /// No flow for this browser, or it expired: start again.
    #[error("no recovery flow for this browser")]
    NoFlow,
    /// The flow is at another step: the browser belongs at `step`'s screen.
    #[error("the flow is at step {step:?}")]
    OutOfOrder { step: Step },
    #[error("wait {retry_after_secs} s before another code")]
    CoolDown { retry_after_secs: i64 },
    /// This flow or this address has had all the codes it may have for now.
    #[error("no more codes for now")]
    TooManyCodes,
    #[error("wrong code, {tries_left} tries left")]
    WrongCode { tries_left: i64 },
    /// The code expired or ran out of tries: send a new one.
    #[error("code expired or out of tries")]
    CodeDead,
    /// Too many wrong codes for this address in the last day.
    #[error("too many wrong codes for this address")]
    AccountLocked,
    /// Too many wrong codes for this address in the last day: the flow is back at the slider,
    /// in its harder tier ([`past_the_wrong_code_limit`]); its screen says why.
    #[error("too many wrong codes for this address: the slider again")]
    SliderAgain,
    /// An anti-pumping cap on text messages was reached: the shopper is pointed to support.
    #[error("no text message can be sent right now")]
    SmsUnavailable,
    /// Too many requests from this network.
    #[error("too many requests from this network; retry in {retry_after_secs} s")]
    TooMany { retry_after_secs: i64 },
    #[error("busy")]
    Busy,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for RecoveryError {
    fn from(e: sqlx::Error) -> Self {
        RecoveryError::Internal(e.to_string())
    }
}

impl From<HashError> for RecoveryError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => RecoveryError::Busy,
            HashError::Failed(m) => RecoveryError::Internal(m),
        }
    }
}

/// A new flow: the cookie token and the step to show first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub token: String,
    pub step: Step,
}

/// One flow row.
#[derive(Debug, Clone)]
struct Flow {
    /// The address as typed (normalised): the masks are built from it.
    email: String,
    /// The account's address as stored, where its mail goes (see [`Flow::mail_to`]).
    account_email: Option<String>,
    account_key: String,
    user_id: Option<String>,
    step: Step,
    code_mac: Option<String>,
    code_sent_at: Option<i64>,
    code_expires_at: Option<i64>,
    code_tries_left: i64,
    codes_sent: i64,
    grant_expires_at: Option<i64>,
    sms_code_mac: Option<String>,
    sms_sent_at: Option<i64>,
    sms_expires_at: Option<i64>,
    sms_tries_left: i64,
    sms_sent: i64,
    /// Codes e-mailed / texted for this address in the last 24 hours (all its flows).
    codes_today: i64,
    texts_today: i64,
    /// Uses of the counted network limit (see [`load`]) in its window, and the latest one.
    network_used: i64,
    network_latest: Option<i64>,
    /// The language the flow was started in: its messages are written in it.
    lang: texts::Locale,
    /// It passed the slider in the harder tier (see [`past_the_wrong_code_limit`]).
    hard_passed: bool,
}

/// The per-network limit a [`load`] also counts: its kind and keyed subject.
#[derive(Clone, Copy)]
struct NetworkCount<'a> {
    kind: &'a str,
    subject: &'a str,
}

impl Flow {
    /// Where the flow's mail goes: the account's address as stored, else the address as typed
    /// (a flow without an account, whose only possible mail is "no account uses this address").
    fn mail_to(&self) -> &str {
        self.account_email.as_deref().unwrap_or(&self.email)
    }

    fn code_dead(&self, now: i64) -> bool {
        self.code_mac.is_none()
            || self.code_tries_left <= 0
            || self.code_expires_at.is_none_or(|t| t <= now)
    }

    fn sms_dead(&self, now: i64) -> bool {
        self.sms_code_mac.is_none()
            || self.sms_tries_left <= 0
            || self.sms_expires_at.is_none_or(|t| t <= now)
    }
}

/// Whether a flow whose e-mailed code was right must also pass the SMS step: only for an
/// account with a phone on file, then by `SMS_POLICY` — under `risk` when this browser has not
/// been used for the account before, the account had failures in the last day (sign-in or
/// recovery codes: `wrong_today`, the address's count the caller has read), or an operator
/// flagged it.
async fn sms_required(
    state: &AppState,
    conn: &mut AnyConnection,
    flow: &Flow,
    device: Option<&str>,
    wrong_today: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let Some(user_id) = &flow.user_id else {
        return Ok(false);
    };
    let row = sqlx::query("SELECT phone, flagged FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    let phone: Option<String> = col(&row, "phone")?;
    let flagged: i64 = col(&row, "flagged")?;
    if phone.as_deref().and_then(Phone::from_stored).is_none() {
        return Ok(false);
    }
    Ok(match state.config.sms_policy {
        StepPolicy::Never => false,
        StepPolicy::Always => true,
        StepPolicy::Risk => {
            let known = crate::devices::is_known(state, conn, device, user_id).await?;
            let login_subject = Email::parse(&flow.email)
                .map(|e| state.secret.mac("login-account", &[e.key().as_bytes()]))
                .unwrap_or_default();
            let login_failures =
                limits::count_in(conn, kind::LOGIN_FAIL_ACCOUNT, &login_subject, now - DAY).await?;
            !known || flagged != 0 || login_failures > 0 || wrong_today > 0
        }
    })
}

/// [`start_from`] for a caller that knows only the client's network (tests, tools).
pub async fn start(
    state: &AppState,
    email: &str,
    previous_token: Option<&str>,
    network: &str,
) -> Result<Started, RecoveryError> {
    start_from(state, email, previous_token, &Client::at(network)).await
}

/// Opens a flow for `email` in `client`'s browser, replacing the browser's previous flow if
/// any, and records "recovery requested" for the account (a row without an account otherwise:
/// the same work either way). Whether the slider comes first depends on the address's and the
/// network's counts, never on the account: an account its owner secured with "This wasn't me"
/// starts like any address (and asks for the SMS step after the code, `sms_required`).
pub async fn start_from(
    state: &AppState,
    email: &str,
    previous_token: Option<&str>,
    client: &Client,
) -> Result<Started, RecoveryError> {
    let email = Email::parse(email)?;
    let now = state.clock.now();
    let network_subject =
        network_limit(state, kind::RECOVERY_START_NETWORK, &client.network, now).await?;
    let token = new_token();
    let account_key = state
        .secret
        .mac("recovery-account", &[email.key().as_bytes()]);
    let challenge =
        crate::challenge::recovery_requires(state, &account_key, &network_subject).await?;
    // The account is read before the write, outside the write lock: the write is then one
    // turn of the lock (one hand-off to SQLite's thread) instead of two with work between.
    // Accounts are never deleted, so the flow's reference stays good; an account created while
    // this request runs is seen by the next start, as it would be had this one come a moment
    // earlier.
    let account = sqlx::query("SELECT id, email FROM users WHERE email_key = $1")
        .bind(email.key())
        .fetch_optional(state.db.pool())
        .await?;
    let (user_id, account_email): (Option<String>, Option<String>) = match &account {
        Some(r) => (Some(col(r, "id")?), Some(col(r, "email")?)),
        None => (None, None),
    };
    let step = Step::first(challenge);
    let id_hash = token_hash(&token);
    // Every write in one batch: one round trip inside the write lock on SQLite. The network's
    // uses were counted outside it, so the flow is inserted only while they are still under
    // the limit, counted again inside the write (on PostgreSQL with the network's other
    // requests held off until it commits). The statements after that insert touch a row each
    // of their own: on PostgreSQL they run as one.
    let mut batch = Batch::independent();
    batch.serialized_on(&[&network_subject]);
    batch.push_changing(
        "INSERT INTO recovery_flows (id_hash, email, account_key, user_id, step, created_at, expires_at, ip, agent, lang, account_email) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $15 \
         WHERE (SELECT COUNT(*) FROM attempts a WHERE a.kind = $11 AND a.subject = $12 \
                AND a.at > $13) < $14",
        vec![
            (&id_hash).into(),
            email.as_str().into(),
            (&account_key).into(),
            user_id.as_deref().into(),
            step.as_str().into(),
            now.into(),
            (now + state.config.recovery_flow_secs).into(),
            (&client.ip).into(),
            (&client.agent).into(),
            texts::code(client.lang).into(),
            kind::RECOVERY_START_NETWORK.into(),
            network_subject.as_str().into(),
            (now - NETWORK_WINDOW).into(),
            state.config.recovery_per_network.into(),
            account_email.as_deref().into(),
        ],
    );
    if let Some(previous) = previous_token {
        batch.push(
            "DELETE FROM recovery_flows WHERE id_hash = $1",
            vec![token_hash(previous).into()],
        );
    }
    activity::record_for_flow_into(&mut batch, &id_hash, event::RECOVERY_REQUESTED, None, now);
    limits::record_all_into(
        &mut batch,
        &[(kind::RECOVERY_START_NETWORK, network_subject.as_str())],
        now,
    );
    match state.db.write_all(batch).await {
        // Other starts from the network reached its limit after it was read: refused as this
        // one would have been had it come after them (the same count, so the same answer).
        Err(sqlx::Error::RowNotFound) => {
            network_limit(state, kind::RECOVERY_START_NETWORK, &client.network, now).await?;
            Err(RecoveryError::Busy)
        }
        written => Ok(written.map(|()| Started { token, step })?),
    }
}

/// What the screens show about the flow of `token`; `None` when there is no live flow.
pub async fn view(state: &AppState, token: &str) -> Result<Option<FlowView>, sqlx::Error> {
    let now = state.clock.now();
    let mut conn = state.db.pool().acquire().await?;
    let Some(flow) = load(&mut conn, &token_hash(token), now, None).await? else {
        return Ok(None);
    };
    let masked = Email::parse(&flow.email).map_or_else(|_| flow.email.clone(), |e| e.masked());
    // The code fields describe the current step's code: texted at the SMS step, else e-mailed.
    let sms = flow.step == Step::Sms;
    let (sent, sent_at, tries_left, dead, sent_today) = if sms {
        let f = &flow;
        (
            f.sms_sent,
            f.sms_sent_at,
            f.sms_tries_left,
            f.sms_dead(now),
            f.texts_today,
        )
    } else {
        let f = &flow;
        (
            f.codes_sent,
            f.code_sent_at,
            f.code_tries_left,
            f.code_dead(now),
            f.codes_today,
        )
    };
    let phone = if sms {
        account_phone(&mut conn, &flow).await?
    } else {
        None
    };
    Ok(Some(FlowView {
        step: flow.step,
        masked,
        code_sent: sent > 0,
        resend_in: sent_at.map_or(0, |at| {
            (at + state.config.resend_cooldown_secs - now).max(0)
        }),
        tries_left: tries_left.max(0),
        code_dead: sent > 0 && dead,
        can_send: sent < state.config.codes_per_flow
            && sent_today < state.config.codes_per_account_per_day,
        phone: phone.map(|p| p.masked_with_country()),
        email: (flow.step == Step::Password).then(|| flow.mail_to().to_string()),
    }))
}

/// Sends a new code ("Send me a verification code", "Resend code"); the new code supersedes
/// the old one. For an address without an account the same work is done and nothing is sent
/// (or, if configured, a "no account uses this address" e-mail).
///
/// At the SMS step this texts a code to the number on file instead. Returns the step whose
/// screen shows the code entry.
pub async fn send_code(
    state: &AppState,
    token: &str,
    network: &str,
) -> Result<Step, RecoveryError> {
    let now = state.clock.now();
    let network_subject = network_subject(state, network);
    let id_hash = token_hash(token);
    let counted = NetworkCount {
        kind: kind::RECOVERY_SEND_NETWORK,
        subject: &network_subject,
    };
    // The flow is read outside the write lock and the write planned from it is conditional on
    // the flow and the counts its limits read being still as read: the write takes one turn
    // of the lock (on SQLite one hand-off to the connection's thread) instead of two with this
    // work between them, which set the pace of every "send code". A write that finds them
    // changed is taken back and the request reads again; each such miss means another request
    // went ahead, so a few tries settle any race. A refusal from a read stands: it was true
    // when read.
    for _ in 0..SEND_TRIES {
        let flow = read_flow(state, &id_hash, now, Some(counted)).await?;
        network_allows(state, flow.network_used, flow.network_latest, now)?;
        if flow.step == Step::Sms {
            // Every text counts towards the global cap, so texts take turns (on PostgreSQL:
            // SQLite's writes do anyway), and with the network's e-mailed codes; a text this
            // read already refuses does not wait for that turn.
            sms_allows(state, &flow, now)?;
            let keys = [SMS_KEY, network_subject.as_str()];
            let (mut tx, flow) = begin_with_flow(state, &id_hash, now, counted, &keys).await?;
            network_allows(state, flow.network_used, flow.network_latest, now)?;
            if flow.step != Step::Sms {
                return Err(RecoveryError::OutOfOrder { step: flow.step });
            }
            send_sms(state, &mut tx, &id_hash, &flow, &network_subject, now).await?;
            tx.commit().await?;
            return Ok(Step::Sms);
        }
        let (batch, next) = email_code(state, &id_hash, &flow, &network_subject, now)?;
        match state.db.write_all(batch).await {
            Err(sqlx::Error::RowNotFound) => continue,
            written => return written.map(|()| next).map_err(RecoveryError::from),
        }
    }
    Err(RecoveryError::Busy)
}

/// How many times "send code" reads the flow again when its write found it changed.
const SEND_TRIES: usize = 8;

/// The key every text's transaction is serialized on.
const SMS_KEY: &str = "sms";

/// The checks (the network's limit aside, checked by the caller) and the writes of e-mailing a
/// new code for `flow` as read: every write of the request in one batch, its first statement
/// changing the flow only while the flow and the counts its limits read are still as they were
/// (else the batch fails with `RowNotFound` and writes nothing).
fn email_code(
    state: &AppState,
    id_hash: &str,
    flow: &Flow,
    network_subject: &str,
    now: i64,
) -> Result<(Batch, Step), RecoveryError> {
    let cfg = &state.config;
    let next = flow
        .step
        .after(Event::CodeSent)
        .map_err(|e| RecoveryError::OutOfOrder { step: e.step })?;
    code_allows(
        state,
        flow.code_sent_at,
        flow.codes_sent,
        flow.codes_today,
        now,
    )?;
    let code = new_code();
    let minutes = (cfg.code_lifetime_secs / 60).to_string();
    // The same e-mail is rendered and stored for every address; for one without an account the
    // code in it is blanked and the row is stored already settled, so the request writes the
    // same bytes either way and nothing is sent.
    let shown = if flow.user_id.is_some() {
        code.as_str()
    } else {
        "------"
    };
    let vars = [
        ("shop", cfg.shop_name.as_str()),
        ("code", shown),
        ("minutes", minutes.as_str()),
    ];
    let message = mail::RECOVERY_CODE.render(flow.mail_to(), flow.lang, &vars);
    // The address's and the network's e-mailed codes one at a time (PostgreSQL: SQLite's
    // writes take turns anyway), and the flow still as read: the same step and codes sent (so
    // the same cool-down), alive, and the address's codes today and the network's uses still
    // under their caps. The statements after that update write a row each of their own: on
    // PostgreSQL they run as one.
    let mut batch = Batch::independent();
    batch.serialized_on(&[&flow.account_key, network_subject]);
    batch.push_changing(
        "UPDATE recovery_flows SET step = $1, code_mac = $2, code_sent_at = $3, code_expires_at = $4, \
         code_tries_left = $5, codes_sent = codes_sent + 1 \
         WHERE id_hash = $6 AND expires_at > $3 AND step = $7 AND codes_sent = $8 \
         AND (SELECT COUNT(*) FROM attempts a WHERE a.kind = $9 \
              AND a.subject = recovery_flows.account_key AND a.at > $10) < $11 \
         AND (SELECT COUNT(*) FROM attempts a WHERE a.kind = $12 AND a.subject = $13 \
              AND a.at > $14) < $15",
        vec![
            next.as_str().into(),
            code_mac(state, id_hash, &code).into(),
            now.into(),
            (now + cfg.code_lifetime_secs).into(),
            cfg.code_tries.into(),
            id_hash.into(),
            flow.step.as_str().into(),
            flow.codes_sent.into(),
            kind::RECOVERY_CODE_ACCOUNT.into(),
            (now - DAY).into(),
            cfg.codes_per_account_per_day.into(),
            kind::RECOVERY_SEND_NETWORK.into(),
            network_subject.into(),
            (now - NETWORK_WINDOW).into(),
            cfg.recovery_per_network.into(),
        ],
    );
    match (&flow.user_id, cfg.recovery_notify_unknown) {
        (Some(_), _) => outbox::enqueue_into(&mut batch, &message, now),
        (None, true) => {
            let notice = mail::RECOVERY_UNKNOWN.render(&flow.email, flow.lang, &vars);
            outbox::enqueue_into(&mut batch, &notice, now);
        }
        (None, false) => outbox::enqueue_suppressed_into(&mut batch, &message, now),
    }
    let masked = Email::parse(&flow.email).map_or_else(|_| flow.email.clone(), |e| e.masked());
    activity::record_for_flow_into(
        &mut batch,
        id_hash,
        event::CODE_SENT_EMAIL,
        Some(&masked),
        now,
    );
    limits::record_all_into(
        &mut batch,
        &[
            (kind::RECOVERY_CODE_ACCOUNT, flow.account_key.as_str()),
            (kind::RECOVERY_SEND_NETWORK, network_subject),
        ],
        now,
    );
    Ok((batch, next))
}

/// Checks a typed code. A right code for an address with an account moves the flow on and
/// opens the single-use password grant; returns the step to show next.
///
/// Of two requests racing with the same right code, exactly one moves the flow (a conditional
/// update on the step and the code's MAC); the other sees the flow already moved on.
pub async fn check_code(
    state: &AppState,
    token: &str,
    code: &str,
    network: &str,
) -> Result<Step, RecoveryError> {
    check_code_on_device(state, token, code, network, None).await
}

/// [`check_code`] from a browser that may carry a device cookie (the SMS step's risk policy
/// skips texting a browser the account has used before). At the SMS step this checks the
/// texted code.
pub async fn check_code_on_device(
    state: &AppState,
    token: &str,
    code: &str,
    network: &str,
    device: Option<&str>,
) -> Result<Step, RecoveryError> {
    let cfg = &state.config;
    let code = Code::parse(code)?;
    let now = state.clock.now();
    let network_subject = network_subject(state, network);
    let id_hash = token_hash(token);
    let counted = NetworkCount {
        kind: kind::RECOVERY_CHECK_NETWORK,
        subject: &network_subject,
    };
    // Read first, outside the write: a check this read refuses waits for no one, and the
    // address's key is known. Checks of one address (its wrong codes today) and of one
    // network then take turns (on PostgreSQL: SQLite's writes do anyway).
    let seen = read_flow(state, &id_hash, now, Some(counted)).await?;
    network_allows(state, seen.network_used, seen.network_latest, now)?;
    let keys = [network_subject.as_str(), seen.account_key.as_str()];
    let (mut tx, flow) = begin_with_flow(state, &id_hash, now, counted, &keys).await?;
    network_allows(state, flow.network_used, flow.network_latest, now)?;
    if flow.step == Step::Sms {
        let next = check_sms(
            state,
            &mut tx,
            &id_hash,
            &flow,
            &code,
            &network_subject,
            now,
        )
        .await;
        tx.commit().await?;
        return next;
    }
    if flow.step != Step::Code {
        return Err(RecoveryError::OutOfOrder { step: flow.step });
    }
    let wrong_today = wrong_codes_today(&mut tx, &flow, now).await?;
    let over = wrong_today >= cfg.wrong_codes_per_account_per_day;
    if over && !flow.hard_passed {
        let refused = past_the_wrong_code_limit(state, &mut tx, &id_hash).await?;
        tx.commit().await?;
        return Err(refused);
    }
    if flow.code_dead(now) {
        return Err(RecoveryError::CodeDead);
    }
    let stored = flow.code_mac.clone().unwrap_or_default();
    let given = code_mac(state, &id_hash, code.as_str());
    // No address without an account ever passes, even with a lucky guess.
    let right = constant_time_eq(given.as_bytes(), stored.as_bytes()) && flow.user_id.is_some();
    limits::record_in(&mut tx, kind::RECOVERY_CHECK_NETWORK, &network_subject, now).await?;
    if !right {
        // Conditional decrement: concurrent wrong guesses cannot buy extra tries.
        sqlx::query(
            "UPDATE recovery_flows SET code_tries_left = code_tries_left - 1 \
             WHERE id_hash = $1 AND code_tries_left > 0",
        )
        .bind(&id_hash)
        .execute(&mut *tx)
        .await?;
        limits::record_in(
            &mut tx,
            kind::RECOVERY_WRONG_ACCOUNT,
            &flow.account_key,
            now,
        )
        .await?;
        activity::record_for_flow(&mut tx, &id_hash, event::WRONG_CODE, Some("email"), now).await?;
        tx.commit().await?;
        let tries_left = flow.code_tries_left - 1;
        return Err(if tries_left <= 0 {
            RecoveryError::CodeDead
        } else {
            RecoveryError::WrongCode { tries_left }
        });
    }
    // Past the limit the texted code is no longer a matter of risk: without a phone (or
    // without texts) the way on is support.
    let sms_required = if over {
        let texts = state.config.sms_policy != StepPolicy::Never;
        if !texts || account_phone(&mut tx, &flow).await?.is_none() {
            tx.commit().await?; // the check counted on the network
            return Err(RecoveryError::AccountLocked);
        }
        true
    } else {
        sms_required(state, &mut tx, &flow, device, wrong_today, now).await?
    };
    let next = flow
        .step
        .after(Event::CodeVerified { sms_required })
        .map_err(|e| RecoveryError::OutOfOrder { step: e.step })?;
    let moved = sqlx::query(
        "UPDATE recovery_flows SET step = $1, code_mac = NULL, grant_expires_at = $2 \
         WHERE id_hash = $3 AND step = $4 AND code_mac = $5",
    )
    .bind(next.as_str())
    .bind(now + cfg.reset_grant_secs)
    .bind(&id_hash)
    .bind(Step::Code.as_str())
    .bind(&stored)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(RecoveryError::OutOfOrder { step: next });
    }
    tx.commit().await?;
    Ok(next)
}

/// A new password set from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordSet {
    /// Whose password it is.
    pub user_id: String,
    /// The device cookie's value: the browser is remembered for the account from now on.
    pub device: String,
}

/// [`set_password_on_device`] as for a browser without a device cookie (tests, tools); returns
/// the account's id.
pub async fn set_password(
    state: &AppState,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<String, RecoveryError> {
    Ok(
        set_password_on_device(state, token, password, confirm, None)
            .await?
            .user_id,
    )
}

/// Sets the new password with the flow's single-use grant: hashes it, revokes every session of
/// the account, spends the flow, queues "your password was changed", writes the audit log,
/// forgets earlier sign-in failures and remembers the browser (device cookie `device`, if it
/// has one) for the account.
pub async fn set_password_on_device(
    state: &AppState,
    token: &str,
    password: &str,
    confirm: &str,
    device: Option<&str>,
) -> Result<PasswordSet, RecoveryError> {
    let cfg = &state.config;
    let id_hash = token_hash(token);
    let now = state.clock.now();
    let flow = read_flow(state, &id_hash, now, None).await?;
    if flow.step != Step::Password {
        return Err(RecoveryError::OutOfOrder { step: flow.step });
    }
    if flow.grant_expires_at.is_none_or(|t| t <= now) {
        return Err(RecoveryError::NoFlow);
    }
    let (Some(user_id), Ok(email)) = (flow.user_id.clone(), Email::parse(&flow.email)) else {
        return Err(RecoveryError::Internal(
            "a flow without an account reached the password step".into(),
        ));
    };
    check(cfg.password_policy, password, email.as_str()).map_err(RecoveryError::Password)?;
    if password != confirm {
        return Err(RecoveryError::Mismatch);
    }
    let hash = state.hasher.hash(password).await?;
    let now = state.clock.now();
    // Every write in one batch, one turn of the write lock (on SQLite one query with its BEGIN
    // and COMMIT). Single use: the first statement moves the flow from Password to Done; when
    // another request spent the grant first it changes no row, and nothing of the batch stays.
    // The others touch rows none of them reads (on PostgreSQL one statement after the first).
    let mut batch = Batch::independent();
    // Resets of one account take turns (on PostgreSQL; SQLite's writes do anyway): each ends
    // the account's other flows, and two at once would each wait for the other's flow row.
    batch.serialized_on(&[&flow.account_key]);
    batch.push_changing(
        "UPDATE recovery_flows SET step = $1, grant_expires_at = NULL \
         WHERE id_hash = $2 AND step = $3 AND grant_expires_at > $4",
        vec![
            Step::Done.as_str().into(),
            (&id_hash).into(),
            Step::Password.as_str().into(),
            now.into(),
        ],
    );
    batch.push(
        "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
        vec![hash.into(), now.into(), (&user_id).into()],
    );
    sessions::revoke_all_into(&mut batch, &user_id);
    // The account's other recoveries end with this one: a grant opened elsewhere (perhaps by
    // whoever made the owner reset) cannot set a password after the owner's.
    batch.push(
        "DELETE FROM recovery_flows WHERE user_id = $1 AND id_hash <> $2",
        vec![(&user_id).into(), (&id_hash).into()],
    );
    let wasnt_me =
        crate::disown::issue_into(&mut batch, state, &user_id, event::PASSWORD_RESET, now);
    let notice = mail::PASSWORD_CHANGED.render(
        flow.mail_to(),
        flow.lang,
        &[("shop", &cfg.shop_name), ("wasnt_me_url", &wasnt_me)],
    );
    outbox::enqueue_into(&mut batch, &notice, now);
    activity::record_for_flow_into(&mut batch, &id_hash, event::PASSWORD_RESET, None, now);
    // The owner proved control of the mailbox: earlier sign-in failures no longer count.
    let login_subject = state.secret.mac("login-account", &[email.key().as_bytes()]);
    limits::clear_into(&mut batch, kind::LOGIN_FAIL_ACCOUNT, &login_subject);
    // Browsers remembered before are forgotten (one may be whoever made the reset needed);
    // this one is remembered.
    batch.push(
        "DELETE FROM known_devices WHERE user_id = $1",
        vec![(&user_id).into()],
    );
    let device = crate::devices::remember_into(&mut batch, state, device, &user_id);
    match state.db.write_all(batch).await {
        Err(sqlx::Error::RowNotFound) => {
            return Err(RecoveryError::OutOfOrder { step: Step::Done })
        }
        written => written?,
    }
    tracing::info!(email = %email.masked(), "password reset");
    Ok(PasswordSet { user_id, device })
}

/// The keyed name of a client network in recovery counters and challenges.
pub fn network_subject(state: &AppState, network: &str) -> String {
    state.secret.mac("recovery-network", &[network.as_bytes()])
}

/// The id hash of the flow of `token` (what its slider challenge is bound to).
pub fn flow_key(token: &str) -> String {
    token_hash(token)
}

/// Deletes flows that ended (run by the background sender).
pub async fn prune(state_db: &crate::Db, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM recovery_flows WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *state_db.writing().await?)
            .await?
            .rows_affected(),
    )
}

fn code_mac(state: &AppState, id_hash: &str, code: &str) -> String {
    state
        .secret
        .mac("recovery-code", &[id_hash.as_bytes(), code.as_bytes()])
}

/// Refuses when `network` has used `kind` too often in the last 15 minutes; returns the
/// counter's subject for recording the use.
async fn network_limit(
    state: &AppState,
    kind: &str,
    network: &str,
    now: i64,
) -> Result<String, RecoveryError> {
    let subject = network_subject(state, network);
    let (used, latest) =
        limits::count_since(&state.db, kind, &subject, now - NETWORK_WINDOW).await?;
    network_allows(state, used, latest, now)?;
    Ok(subject)
}

/// Refuses when a network has used a limit `used` times in the window, the latest at `latest`.
fn network_allows(
    state: &AppState,
    used: i64,
    latest: Option<i64>,
    now: i64,
) -> Result<(), RecoveryError> {
    if used >= state.config.recovery_per_network {
        // Waiting until the latest use leaves the window is always enough.
        let latest = latest.unwrap_or(now);
        return Err(RecoveryError::TooMany {
            retry_after_secs: (latest + NETWORK_WINDOW - now).clamp(1, NETWORK_WINDOW),
        });
    }
    Ok(())
}

/// The live flow `id_hash` with its address's daily code counts and, when asked, the uses of
/// one per-network limit: one round trip, which matters most inside a SQLite write lock.
async fn load(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: i64,
    network: Option<NetworkCount<'_>>,
) -> Result<Option<Flow>, sqlx::Error> {
    let values = load_values(id_hash, now, network);
    let row = bind_all(sqlx::query(LOAD), values)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(flow_from).transpose()
}

/// The live flow `id_hash` as [`load`] reads it, on a reading connection, outside any write.
async fn read_flow(
    state: &AppState,
    id_hash: &str,
    now: i64,
    network: Option<NetworkCount<'_>>,
) -> Result<Flow, RecoveryError> {
    let mut conn = state.db.pool().acquire().await?;
    load(&mut conn, id_hash, now, network)
        .await?
        .ok_or(RecoveryError::NoFlow)
}

/// Starts the write transaction of a step of the flow `id_hash` with [`load`]'s query,
/// serialized on `keys` (see [`Batch::serialized_on`]): the subjects whose counts it reads and
/// then adds to, so that those counts hold until it commits.
async fn begin_with_flow(
    state: &AppState,
    id_hash: &str,
    now: i64,
    network: NetworkCount<'_>,
    keys: &[&str],
) -> Result<(WriteTx, Flow), RecoveryError> {
    let values = load_values(id_hash, now, Some(network));
    let (tx, row) = state.db.begin_write_reading(keys, LOAD, values).await?;
    let flow = row.as_ref().map(flow_from).transpose()?;
    Ok((tx, flow.ok_or(RecoveryError::NoFlow)?))
}

const LOAD: &str = "SELECT email, account_email, account_key, user_id, step, code_mac, code_sent_at, code_expires_at, \
     code_tries_left, codes_sent, grant_expires_at, sms_code_mac, sms_sent_at, sms_expires_at, \
     sms_tries_left, sms_sent, lang, hard_passed, \
     (SELECT COUNT(*) FROM attempts a WHERE a.kind = $3 AND a.subject = f.account_key AND a.at > $5) AS codes_today, \
     (SELECT COUNT(*) FROM attempts a WHERE a.kind = $4 AND a.subject = f.account_key AND a.at > $5) AS texts_today, \
     (SELECT COUNT(*) FROM attempts a WHERE a.kind = $6 AND a.subject = $7 AND a.at > $8) AS network_used, \
     (SELECT MAX(a.at) FROM attempts a WHERE a.kind = $6 AND a.subject = $7 AND a.at > $8) AS network_latest \
     FROM recovery_flows f WHERE f.id_hash = $1 AND f.expires_at > $2";

fn load_values(id_hash: &str, now: i64, network: Option<NetworkCount<'_>>) -> Vec<Value> {
    let network = network.unwrap_or(NetworkCount {
        kind: "",
        subject: "",
    });
    vec![
        id_hash.into(),
        now.into(),
        kind::RECOVERY_CODE_ACCOUNT.into(),
        kind::SMS_CODE_ACCOUNT.into(),
        (now - DAY).into(),
        network.kind.into(),
        network.subject.into(),
        (now - NETWORK_WINDOW).into(),
    ]
}

fn flow_from(r: &AnyRow) -> Result<Flow, sqlx::Error> {
    let step: String = col(r, "step")?;
    let step = Step::parse(&step)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown recovery step {step:?}").into()))?;
    Ok(Flow {
        email: col(r, "email")?,
        account_email: col(r, "account_email")?,
        account_key: col(r, "account_key")?,
        user_id: col(r, "user_id")?,
        step,
        code_mac: col(r, "code_mac")?,
        code_sent_at: col(r, "code_sent_at")?,
        code_expires_at: col(r, "code_expires_at")?,
        code_tries_left: col(r, "code_tries_left")?,
        codes_sent: col(r, "codes_sent")?,
        grant_expires_at: col(r, "grant_expires_at")?,
        sms_code_mac: col(r, "sms_code_mac")?,
        sms_sent_at: col(r, "sms_sent_at")?,
        sms_expires_at: col(r, "sms_expires_at")?,
        sms_tries_left: col(r, "sms_tries_left")?,
        sms_sent: col(r, "sms_sent")?,
        codes_today: col(r, "codes_today")?,
        texts_today: col(r, "texts_today")?,
        network_used: col(r, "network_used")?,
        network_latest: col(r, "network_latest")?,
        lang: texts::parse(&col::<String>(r, "lang")?).unwrap_or_default(),
        hard_passed: col::<i64>(r, "hard_passed")? != 0,
    })
}

/// The phone on file for the flow's account (the only number a code is ever texted to).
async fn account_phone(
    conn: &mut AnyConnection,
    flow: &Flow,
) -> Result<Option<Phone>, sqlx::Error> {
    let Some(user_id) = &flow.user_id else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT phone FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    let phone: Option<String> = match row {
        Some(r) => col(&r, "phone")?,
        None => None,
    };
    Ok(phone.as_deref().and_then(Phone::from_stored))
}

/// Texts a new code to the number on file: cool-down, per-flow and per-account caps as for
/// e-mail (counted apart), and the anti-pumping caps per number, per country code and in all.
async fn send_sms(
    state: &AppState,
    tx: &mut AnyConnection,
    id_hash: &str,
    flow: &Flow,
    network_subject: &str,
    now: i64,
) -> Result<(), RecoveryError> {
    let cfg = &state.config;
    sms_allows(state, flow, now)?;
    let phone = account_phone(tx, flow)
        .await?
        .ok_or_else(|| RecoveryError::Internal("the SMS step without a phone on file".into()))?;
    let number = state.secret.mac("sms-number", &[phone.as_str().as_bytes()]);
    let country = format!("+{}", phone.country_code());
    for (kind, subject, window, cap) in [
        (
            kind::SMS_NUMBER,
            number.as_str(),
            3_600,
            cfg.sms_per_number_hour,
        ),
        (
            kind::SMS_NUMBER,
            number.as_str(),
            DAY,
            cfg.sms_per_number_day,
        ),
        (
            kind::SMS_COUNTRY,
            country.as_str(),
            3_600,
            cfg.sms_per_country_hour,
        ),
        (
            kind::SMS_COUNTRY,
            country.as_str(),
            DAY,
            cfg.sms_per_country_day,
        ),
        (kind::SMS_ALL, "all", DAY, cfg.sms_per_day),
    ] {
        if limits::count_in(tx, kind, subject, now - window).await? >= cap {
            tracing::warn!(country = %country, kind, "SMS cap reached");
            return Err(RecoveryError::SmsUnavailable);
        }
    }
    let code = new_code();
    let mut batch = Batch::new();
    batch.push(
        "UPDATE recovery_flows SET sms_code_mac = $1, sms_sent_at = $2, sms_expires_at = $3, \
         sms_tries_left = $4, sms_sent = sms_sent + 1 WHERE id_hash = $5",
        vec![
            sms_mac(state, id_hash, &code).into(),
            now.into(),
            (now + cfg.code_lifetime_secs).into(),
            cfg.code_tries.into(),
            id_hash.into(),
        ],
    );
    let text = mail::sms_code_text(
        flow.lang,
        &cfg.shop_name,
        &code,
        cfg.code_lifetime_secs / 60,
    );
    let message = outbox::Message {
        channel: "sms".into(),
        recipient: phone.as_str().into(),
        subject: String::new(),
        body_text: text,
        body_html: String::new(),
    };
    outbox::enqueue_into(&mut batch, &message, now);
    let masked = phone.masked_with_country();
    activity::record_for_flow_into(
        &mut batch,
        id_hash,
        event::CODE_SENT_SMS,
        Some(&masked),
        now,
    );
    limits::record_all_into(
        &mut batch,
        &[
            (kind::SMS_CODE_ACCOUNT, flow.account_key.as_str()),
            (kind::SMS_NUMBER, number.as_str()),
            (kind::SMS_COUNTRY, country.as_str()),
            (kind::SMS_ALL, "all"),
            (kind::RECOVERY_SEND_NETWORK, network_subject),
        ],
        now,
    );
    batch.run(tx).await?;
    Ok(())
}

/// The flow's own limits on texting a new code (see [`code_allows`]).
fn sms_allows(state: &AppState, flow: &Flow, now: i64) -> Result<(), RecoveryError> {
    code_allows(
        state,
        flow.sms_sent_at,
        flow.sms_sent,
        flow.texts_today,
        now,
    )
}

/// The limits on sending a flow a new code on one channel, given the last one's time, the
/// flow's codes and the address's codes today on it: the cool-down, the codes per flow and
/// per address and day.
fn code_allows(
    state: &AppState,
    sent_at: Option<i64>,
    sent: i64,
    today: i64,
    now: i64,
) -> Result<(), RecoveryError> {
    let cfg = &state.config;
    if let Some(at) = sent_at {
        let wait = at + cfg.resend_cooldown_secs - now;
        if wait > 0 {
            return Err(RecoveryError::CoolDown {
                retry_after_secs: wait,
            });
        }
    }
    if sent >= cfg.codes_per_flow || today >= cfg.codes_per_account_per_day {
        return Err(RecoveryError::TooManyCodes);
    }
    Ok(())
}

/// The wrong codes of the flow's address in the last day: one count, e-mailed and texted alike
/// (DESIGN.md §3: "across all flows, codes and resends").
async fn wrong_codes_today(
    conn: &mut AnyConnection,
    flow: &Flow,
    now: i64,
) -> Result<i64, sqlx::Error> {
    limits::count_in(
        conn,
        kind::RECOVERY_WRONG_ACCOUNT,
        &flow.account_key,
        now - DAY,
    )
    .await
}

/// Past the address's daily limit of wrong codes (DESIGN.md §3) a code is checked only in a flow
/// that has passed the slider in its harder tier: any other flow of the address goes back to the
/// slider (its codes die, and the challenge it gets is in the harder tier, as `challenge::issue`
/// decides from the same count), then sends a new code; its right code asks for the SMS step.
/// Without a slider (`SLIDER_POLICY=never`) the address's recovery waits for the day to roll
/// (or for support). The same for addresses with and without an account.
async fn past_the_wrong_code_limit(
    state: &AppState,
    conn: &mut AnyConnection,
    id_hash: &str,
) -> Result<RecoveryError, sqlx::Error> {
    if state.config.slider_policy == StepPolicy::Never {
        return Ok(RecoveryError::AccountLocked);
    }
    sqlx::query(
        "UPDATE recovery_flows SET step = $1, code_mac = NULL, sms_code_mac = NULL \
         WHERE id_hash = $2",
    )
    .bind(Step::Challenge.as_str())
    .bind(id_hash)
    .execute(conn)
    .await?;
    Ok(RecoveryError::SliderAgain)
}

/// Checks a texted code; a right one opens the password step with its single-use grant.
async fn check_sms(
    state: &AppState,
    tx: &mut AnyConnection,
    id_hash: &str,
    flow: &Flow,
    code: &Code,
    network_subject: &str,
    now: i64,
) -> Result<Step, RecoveryError> {
    let cfg = &state.config;
    if wrong_codes_today(tx, flow, now).await? >= cfg.wrong_codes_per_account_per_day
        && !flow.hard_passed
    {
        return Err(past_the_wrong_code_limit(state, tx, id_hash).await?);
    }
    if flow.sms_dead(now) {
        return Err(RecoveryError::CodeDead);
    }
    let stored = flow.sms_code_mac.clone().unwrap_or_default();
    let given = sms_mac(state, id_hash, code.as_str());
    limits::record_in(tx, kind::RECOVERY_CHECK_NETWORK, network_subject, now).await?;
    if !constant_time_eq(given.as_bytes(), stored.as_bytes()) {
        sqlx::query(
            "UPDATE recovery_flows SET sms_tries_left = sms_tries_left - 1 \
             WHERE id_hash = $1 AND sms_tries_left > 0",
        )
        .bind(id_hash)
        .execute(&mut *tx)
        .await?;
        limits::record_in(tx, kind::RECOVERY_WRONG_ACCOUNT, &flow.account_key, now).await?;
        activity::record_for_flow(tx, id_hash, event::WRONG_CODE, Some("sms"), now).await?;
        let tries_left = flow.sms_tries_left - 1;
        return Err(if tries_left <= 0 {
            RecoveryError::CodeDead
        } else {
            RecoveryError::WrongCode { tries_left }
        });
    }
    let next = Step::Sms
        .after(Event::SmsVerified)
        .map_err(|e| RecoveryError::OutOfOrder { step: e.step })?;
    let moved = sqlx::query(
        "UPDATE recovery_flows SET step = $1, sms_code_mac = NULL, grant_expires_at = $2 \
         WHERE id_hash = $3 AND step = $4 AND sms_code_mac = $5",
    )
    .bind(next.as_str())
    .bind(now + cfg.reset_grant_secs)
    .bind(id_hash)
    .bind(Step::Sms.as_str())
    .bind(&stored)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(RecoveryError::OutOfOrder { step: next });
    }
    Ok(next)
}

fn sms_mac(state: &AppState, id_hash: &str, code: &str) -> String {
    state
        .secret
        .mac("recovery-sms-code", &[id_hash.as_bytes(), code.as_bytes()])
}
