//! Accounts: sign-up confirmed by an e-mailed code, sign-in with failure limits, sign-out.
//!
//! Sign-up answers the same way whether or not the address already has an account: both paths
//! hash the password, store a pending sign-up and queue one e-mail. A new address gets a code;
//! a taken one gets "you already have an account" and a pending row whose code nobody knows.

use crate::activity::{self, event, Client};
use crate::crypto::{constant_time_eq, new_code, new_id, new_token, token_hash};
use crate::db::{col, Batch};
use crate::hasher::{HashError, Verified};
use crate::limits::{self, kind, LoginGate};
use crate::mail;
use crate::outbox;
use crate::sessions;
use crate::state::AppState;
use domain::code::CodeError;
use domain::password::{check, Broken};
use domain::{Code, Email, EmailError, Phone, PhoneError};
use sqlx::AnyConnection;

/// Name of the cookie that ties a pending sign-up to this browser.
pub const SIGNUP_COOKIE: &str = "rekey_signup";

/// Why a sign-up could not start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignupError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error("the password breaks rule {0:?}")]
    Password(Broken),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// Too many sign-up e-mails to this address lately (the same for taken and free addresses).
    #[error("too many sign-ups for this address; retry in {retry_after_secs} s")]
    TooMany { retry_after_secs: i64 },
    #[error("busy")]
    Busy,
    #[error("internal: {0}")]
    Internal(String),
}

/// A pending sign-up: the cookie token and the masked address to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupStarted {
    pub token: String,
    pub masked: String,
}

/// Why a sign-up code was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfirmError {
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("wrong code, {tries_left} tries left")]
    WrongCode { tries_left: i64 },
    #[error("code expired or out of tries")]
    CodeDead,
    #[error("no pending sign-up for this browser")]
    NoSignup,
    #[error("internal: {0}")]
    Internal(String),
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoginError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error("password missing")]
    PasswordMissing,
    /// Wrong address or wrong password: deliberately the same error.
    #[error("incorrect e-mail or password")]
    Incorrect,
    #[error("locked for {retry_after_secs} s")]
    Locked { retry_after_secs: i64 },
    /// Repeated failures: the slider must be passed before this address can try again.
    #[error("the slider challenge must be passed first")]
    ChallengeRequired,
    #[error("busy")]
    Busy,
    #[error("internal: {0}")]
    Internal(String),
}

macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<sqlx::Error> for $t {
            fn from(e: sqlx::Error) -> Self { Self::Internal(e.to_string()) }
        }
    )*};
}
internal_from!(SignupError, ConfirmError, LoginError);

impl From<HashError> for SignupError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => SignupError::Busy,
            HashError::Failed(m) => SignupError::Internal(m),
        }
    }
}

impl From<HashError> for LoginError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => LoginError::Busy,
            HashError::Failed(m) => LoginError::Internal(m),
        }
    }
}

/// Starts a sign-up: validates, hashes, stores the pending sign-up and queues its e-mail
/// (written in `lang`, the language of the page it was asked from).
pub async fn start_signup(
    state: &AppState,
    email: &str,
    password: &str,
    phone: &str,
    lang: texts::Locale,
) -> Result<SignupStarted, SignupError> {
    let email = Email::parse(email)?;
    check(state.config.password_policy, password, email.as_str()).map_err(SignupError::Password)?;
    let phone = Phone::parse_optional(phone)?;
    // Anyone can type any address here: bound the e-mails one address can be sent, counted for
    // taken and free addresses alike so the limit itself reveals nothing.
    let now = state.clock.now();
    let mail_subject = state.secret.mac("signup-mail", &[email.key().as_bytes()]);
    // Sign-ups of one address take turns until their e-mail is counted, so several sent at
    // once cannot all read the count before any is recorded (`turns`).
    let _turn = state.turns.take(&mail_subject).await;
    let (sent, _) =
        limits::count_since(&state.db, kind::SIGNUP_MAIL, &mail_subject, now - 3_600).await?;
    if sent >= state.config.signup_mails_per_hour {
        return Err(SignupError::TooMany {
            retry_after_secs: 3_600,
        });
    }
    let password_hash = state.hasher.hash(password).await?;

    let token = new_token();
    let id_hash = token_hash(&token);
    let code = new_code();
    let mut tx = state.db.begin_write().await?;
    let taken = account_email(&mut tx, &email).await?;
    let (code_mac, message) = if let Some(stored) = taken {
        // A code nobody was told: this pending sign-up can never complete.
        let mac = state.secret.mac(
            "signup-code",
            &[id_hash.as_bytes(), &crate::crypto::random_bytes::<16>()],
        );
        (
            mac,
            mail::SIGNUP_EXISTS.render(&stored, lang, &[("shop", &state.config.shop_name)]),
        )
    } else {
        let minutes = (state.config.code_lifetime_secs / 60).to_string();
        let vars = [
            ("shop", state.config.shop_name.as_str()),
            ("code", code.as_str()),
            ("minutes", minutes.as_str()),
        ];
        (
            state
                .secret
                .mac("signup-code", &[id_hash.as_bytes(), code.as_bytes()]),
            mail::SIGNUP_CODE.render(email.as_str(), lang, &vars),
        )
    };
    sqlx::query(
        "INSERT INTO signups (id_hash, email, password_hash, phone, code_mac, tries_left, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id_hash)
    .bind(email.as_str())
    .bind(&password_hash)
    .bind(phone.as_ref().map(Phone::as_str))
    .bind(&code_mac)
    .bind(state.config.code_tries)
    .bind(now)
    .bind(now + state.config.code_lifetime_secs)
    .execute(&mut *tx)
    .await?;
    outbox::enqueue(&mut tx, &message, now).await?;
    limits::record_in(&mut tx, kind::SIGNUP_MAIL, &mail_subject, now).await?;
    tx.commit().await?;
    tracing::info!(email = %email.masked(), "sign-up started");
    Ok(SignupStarted {
        token,
        masked: email.masked(),
    })
}

/// The masked address of the pending sign-up tied to `token`, if it is still open.
pub async fn pending_signup(state: &AppState, token: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT email FROM signups WHERE id_hash = $1 AND expires_at > $2")
        .bind(token_hash(token))
        .bind(state.clock.now())
        .fetch_optional(state.db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let email: String = col(&row, "email")?;
    Ok(Some(Email::parse(&email).map_or(email, |e| e.masked())))
}

/// [`confirm_signup_from`] for a caller that is not a browser request (tests, tools).
pub async fn confirm_signup(
    state: &AppState,
    token: &str,
    code: &str,
) -> Result<String, ConfirmError> {
    confirm_signup_from(state, token, code, &Client::at("unknown")).await
}

/// Checks the e-mailed code; on success creates the account, signs `client` in, and returns
/// the session token. Each pending sign-up allows a few wrong tries, then dies.
pub async fn confirm_signup_from(
    state: &AppState,
    token: &str,
    code: &str,
    client: &Client,
) -> Result<String, ConfirmError> {
    let code = Code::parse(code)?;
    let id_hash = token_hash(token);
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query("SELECT email, password_hash, phone, code_mac, tries_left, expires_at FROM signups WHERE id_hash = $1")
        .bind(&id_hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ConfirmError::NoSignup)?;
    let tries_left: i64 = col(&row, "tries_left")?;
    let expires_at: i64 = col(&row, "expires_at")?;
    if tries_left <= 0 || expires_at <= now {
        return Err(ConfirmError::CodeDead);
    }
    let stored: String = col(&row, "code_mac")?;
    let given = state.secret.mac(
        "signup-code",
        &[id_hash.as_bytes(), code.as_str().as_bytes()],
    );
    if !constant_time_eq(given.as_bytes(), stored.as_bytes()) {
        // Conditional decrement: concurrent wrong guesses cannot buy extra tries.
        sqlx::query(
            "UPDATE signups SET tries_left = tries_left - 1 WHERE id_hash = $1 AND tries_left > 0",
        )
        .bind(&id_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Err(if tries_left - 1 <= 0 {
            ConfirmError::CodeDead
        } else {
            ConfirmError::WrongCode {
                tries_left: tries_left - 1,
            }
        });
    }
    // Single use: only the request that deletes the row goes on.
    let consumed = sqlx::query("DELETE FROM signups WHERE id_hash = $1 AND code_mac = $2")
        .bind(&id_hash)
        .bind(&stored)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if consumed != 1 {
        return Err(ConfirmError::NoSignup);
    }
    let email: String = col(&row, "email")?;
    let email = Email::parse(&email).map_err(|e| ConfirmError::Internal(e.to_string()))?;
    let password_hash: String = col(&row, "password_hash")?;
    let phone: Option<String> = col(&row, "phone")?;
    let Some(user_id) = insert_user(&mut tx, &email, &password_hash, phone.as_deref(), now).await?
    else {
        // Someone else finished a sign-up for this address first.
        return Err(ConfirmError::CodeDead);
    };
    activity::record(
        &mut tx,
        Some(&user_id),
        event::ACCOUNT_CREATED,
        None,
        Some(client),
        now,
    )
    .await?;
    let session = sessions::create(&mut tx, state, &user_id, client).await?;
    tx.commit().await?;
    tracing::info!(email = %email.masked(), "account created");
    Ok(session)
}

/// Signs in from a caller that knows only the client's network (tests, tools); returns a new
/// session token.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    network: &str,
) -> Result<String, LoginError> {
    Ok(
        login_with_pass(state, email, password, &Client::at(network), None)
            .await?
            .token,
    )
}

/// A successful sign-in: the new session's token, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub token: String,
    pub user_id: String,
    /// The device cookie's value: this browser is remembered for the account from now on.
    pub device: String,
}

/// The keys a sign-in's counters and slider challenges use: (address, network).
pub fn login_subjects(state: &AppState, email: &Email, network: &str) -> (String, String) {
    (
        state.secret.mac("login-account", &[email.key().as_bytes()]),
        state.secret.mac("login-network", &[network.as_bytes()]),
    )
}

/// Signs `client` in, with the one-time pass of a slider challenge when repeated failures ask
/// for one. A browser the account has not used before is recorded as a new device and the
/// owner is e-mailed "new sign-in", with its "This wasn't me" link.
pub async fn login_with_pass(
    state: &AppState,
    email: &str,
    password: &str,
    client: &Client,
    pass: Option<&str>,
) -> Result<SignedIn, LoginError> {
    let email = Email::parse(email)?;
    if password.is_empty() {
        return Err(LoginError::PasswordMissing);
    }
    let (account_subject, network_subject) = login_subjects(state, &email, &client.network);
    // The address's sign-ins take turns from here until their failure is recorded: each reads
    // the failures of those before it, so guesses sent at once still meet the slider after
    // `login_challenge_after` of them (`turns`).
    let _turn = state.turns.take(&account_subject).await;
    let now = state.clock.now();
    // The account, both failure counts and whether this browser is known to the account, in
    // one round trip (the same query whether or not the address has an account).
    let device = crate::devices::cookie_hash(state, client.device.as_deref()).unwrap_or_default();
    let row = sqlx::query(
        "SELECT u.id, u.email, u.password_hash, \
         (SELECT COUNT(*) FROM attempts WHERE kind = $2 AND subject = $3 AND at > $6) AS failures, \
         (SELECT MAX(at) FROM attempts WHERE kind = $2 AND subject = $3 AND at > $6) AS latest, \
         (SELECT COUNT(*) FROM attempts WHERE kind = $4 AND subject = $5 AND at > $6) AS network_failures, \
         (SELECT COUNT(*) FROM known_devices d WHERE d.device_hash = $7 AND d.user_id = u.id \
          AND d.last_seen_at > $8) AS known_device \
         FROM (SELECT 1 AS one) x LEFT JOIN users u ON u.email_key = $1",
    )
    .bind(email.key())
    .bind(kind::LOGIN_FAIL_ACCOUNT)
    .bind(&account_subject)
    .bind(kind::LOGIN_FAIL_NETWORK)
    .bind(&network_subject)
    .bind(now - state.config.login_window_secs)
    .bind(device)
    .bind(crate::devices::seen_since(state))
    .fetch_one(state.db.pool())
    .await?;
    let failures: i64 = col(&row, "failures")?;
    let known_device = col::<i64>(&row, "known_device")? > 0;
    let gate = match limits::login_gate(
        &state.config,
        failures,
        col(&row, "latest")?,
        col(&row, "network_failures")?,
        now,
    ) {
        // The lock keeps out unknown browsers (DESIGN.md §3): the owner's own, which a guesser
        // does not have, still get in, after the slider (without a slider, nobody does).
        LoginGate::Locked { .. }
            if known_device && state.config.slider_policy != crate::config::StepPolicy::Never =>
        {
            LoginGate::NeedsChallenge
        }
        gate => gate,
    };
    match gate {
        LoginGate::Locked { retry_after_secs } => {
            return Err(LoginError::Locked { retry_after_secs })
        }
        LoginGate::NeedsChallenge
            if state.config.slider_policy != crate::config::StepPolicy::Never =>
        {
            let passed = match pass {
                Some(pass) => {
                    crate::challenge::use_login_pass(state, pass, &account_subject).await?
                }
                None => false,
            };
            if !passed {
                return Err(LoginError::ChallengeRequired);
            }
        }
        LoginGate::NeedsChallenge | LoginGate::Open => {}
    }
    let user_id: Option<String> = col(&row, "id")?;
    let stored: Option<String> = col(&row, "password_hash")?;
    let verdict = state
        .hasher
        .verify_typed(password, stored.as_deref())
        .await?;
    let now = state.clock.now();
    let (Verified::Yes { rehash }, Some(user_id)) = (verdict, user_id) else {
        limits::record(&state.db, kind::LOGIN_FAIL_ACCOUNT, &account_subject, now).await?;
        limits::record(&state.db, kind::LOGIN_FAIL_NETWORK, &network_subject, now).await?;
        return Err(LoginError::Incorrect);
    };
    let new_device = !known_device;
    // Every write of a sign-in in one batch: on SQLite, BEGIN, the statements and COMMIT go to
    // the writing connection as one query; on PostgreSQL, as each writes its own table, one
    // statement.
    let mut batch = Batch::independent();
    if let Some(new_hash) = rehash {
        batch.push(
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            vec![new_hash.into(), (&user_id).into()],
        );
    }
    let signed_in = if new_device {
        let wasnt_me = crate::disown::issue_into(
            &mut batch,
            state,
            &user_id,
            event::SIGNED_IN_NEW_DEVICE,
            now,
        );
        let lang = client.lang;
        let when = texts::moment(lang, now);
        let agent = texts::browser(lang, &domain::agent::Agent::parse(&client.agent));
        // To the address as stored: the one typed matches it whatever its case, but may name
        // another mailbox on a server that keeps the case of local parts apart.
        let stored_email: String = col(&row, "email")?;
        let notice = mail::NEW_SIGN_IN.render(
            &stored_email,
            lang,
            &[
                ("shop", &state.config.shop_name),
                ("agent", &agent),
                ("ip", &client.ip),
                ("when", &when),
                ("wasnt_me_url", &wasnt_me),
            ],
        );
        outbox::enqueue_into(&mut batch, &notice, now);
        event::SIGNED_IN_NEW_DEVICE
    } else {
        event::SIGNED_IN
    };
    activity::record_into(
        &mut batch,
        Some(&user_id),
        signed_in,
        None,
        Some(client),
        now,
    );
    let session = sessions::create_into(&mut batch, state, &user_id, client);
    let device =
        crate::devices::remember_into(&mut batch, state, client.device.as_deref(), &user_id);
    state.db.write_all(batch).await?;
    if failures > 0 {
        limits::clear(&state.db, kind::LOGIN_FAIL_ACCOUNT, &account_subject).await?;
    }
    Ok(SignedIn {
        token: session,
        user_id,
        device,
    })
}

/// Ends every session of `user_id` (asked by `client`); returns how many ended.
pub async fn sign_out_everywhere(
    state: &AppState,
    user_id: &str,
    client: &Client,
) -> Result<u64, sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    let ended = sessions::revoke_all(&mut tx, user_id).await?;
    activity::record(
        &mut tx,
        Some(user_id),
        event::SIGNED_OUT_EVERYWHERE,
        None,
        Some(client),
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// Why the phone number could not be changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhoneChangeError {
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// The current password was wrong (or missing).
    #[error("incorrect password")]
    Incorrect,
    #[error("busy")]
    Busy,
    #[error("internal: {0}")]
    Internal(String),
}

/// Adds, changes or removes (empty) the phone number of `user_id`, after checking the current
/// password. Codes are only ever texted to the number stored here.
pub async fn change_phone(
    state: &AppState,
    user_id: &str,
    phone: &str,
    password: &str,
    client: &Client,
) -> Result<(), PhoneChangeError> {
    let phone = Phone::parse_optional(phone)?;
    let internal = |e: sqlx::Error| PhoneChangeError::Internal(e.to_string());
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(state.db.pool())
        .await
        .map_err(internal)?;
    let stored: Option<String> = row
        .map(|r| col(&r, "password_hash"))
        .transpose()
        .map_err(internal)?;
    let verdict = state
        .hasher
        .verify_typed(password, stored.as_deref())
        .await
        .map_err(|e| match e {
            HashError::Busy => PhoneChangeError::Busy,
            HashError::Failed(m) => PhoneChangeError::Internal(m),
        })?;
    if !matches!(verdict, Verified::Yes { .. }) {
        return Err(PhoneChangeError::Incorrect);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await.map_err(internal)?;
    sqlx::query("UPDATE users SET phone = $1 WHERE id = $2")
        .bind(phone.as_ref().map(Phone::as_str))
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    activity::record(
        &mut tx,
        Some(user_id),
        event::PHONE_CHANGED,
        None,
        Some(client),
        now,
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Flags (or unflags) the account of `email` for the SMS step; false when there is none.
pub async fn set_flag(
    state: &AppState,
    email: &str,
    flagged: bool,
) -> Result<bool, CreateUserError> {
    let email = Email::parse(email)?;
    Ok(
        sqlx::query("UPDATE users SET flagged = $1 WHERE email_key = $2")
            .bind(i64::from(flagged))
            .bind(email.key())
            .execute(&mut *state.db.writing().await?)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The masked phone number of `user_id`, if one is on file.
pub async fn masked_phone(state: &AppState, user_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT phone FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(state.db.pool())
        .await?;
    let phone: Option<String> = match row {
        Some(r) => col(&r, "phone")?,
        None => None,
    };
    Ok(phone
        .as_deref()
        .and_then(Phone::from_stored)
        .map(|p| p.masked_with_country()))
}

/// Why the command line could not create a user.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("e-mail: {0}")]
    Email(#[from] EmailError),
    #[error("password: {}", texts::broken_rule(texts::Locale::en, .0))]
    Password(Broken),
    #[error("phone: {0}")]
    Phone(#[from] PhoneError),
    #[error("an account with that e-mail address already exists")]
    Exists,
    #[error("hashing: {0}")]
    Hash(#[from] HashError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Creates a confirmed account directly (operators' command line and test fixtures).
pub async fn create_user(
    state: &AppState,
    email: &str,
    password: &str,
    phone: &str,
) -> Result<String, CreateUserError> {
    let email = Email::parse(email)?;
    check(state.config.password_policy, password, email.as_str())
        .map_err(CreateUserError::Password)?;
    let phone = Phone::parse_optional(phone)?;
    let hash = state.hasher.hash(password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let id = insert_user(
        &mut tx,
        &email,
        &hash,
        phone.as_ref().map(Phone::as_str),
        now,
    )
    .await?
    .ok_or(CreateUserError::Exists)?;
    activity::record(&mut tx, Some(&id), event::ACCOUNT_CREATED, None, None, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// The stored address of the account `email` names (whatever its case), if there is one.
async fn account_email(
    conn: &mut AnyConnection,
    email: &Email,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT email FROM users WHERE email_key = $1")
        .bind(email.key())
        .fetch_optional(conn)
        .await?;
    row.map(|r| col(&r, "email")).transpose()
}

/// Inserts a user; `None` when the address is taken.
async fn insert_user(
    conn: &mut AnyConnection,
    email: &Email,
    hash: &str,
    phone: Option<&str>,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let id = new_id();
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, email_key, password_hash, phone, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (email_key) DO NOTHING",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(email.key())
    .bind(hash)
    .bind(phone)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some(id))
}
