//! "This wasn't me": the action in every "your password was changed" and "new sign-in" e-mail.
//!
//! The e-mailed link only opens a page ([`peek`] reads, never writes: a mail scanner fetching
//! it changes nothing). The page's button posts, and [`secure`] spends the link once: it signs
//! the account out everywhere, closes its open recovery flows, forgets its remembered browsers,
//! flags it so recovery asks for the SMS step, and opens a fresh recovery
//! for the owner in the browser that asked. Tokens are 256-bit, stored as SHA-256, valid 7 days.

use crate::activity::{self, event, Client};
use crate::crypto::{new_token, token_hash};
use crate::db::{col, Batch};
use crate::recovery::{self, Started};
use crate::sessions;
use crate::state::AppState;

/// How long an e-mailed link works.
pub const LIFETIME_SECS: i64 = 7 * 86_400;
/// The page the link opens.
pub const PATH: &str = "/wasnt-me";

/// What an e-mail reported, for the page the link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `password_reset` or `signed_in_new_device` (`activity::event`).
    pub event: String,
    pub reported_at: i64,
}

/// Why a link could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DisownError {
    /// Unknown, used, or older than 7 days.
    #[error("this link was used already or has expired")]
    Invalid,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for DisownError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

/// What [`secure`] did.
#[derive(Debug)]
pub struct Secured {
    pub sessions_ended: u64,
    /// The fresh recovery flow for this browser; `None` if it could not start (the account is
    /// secured either way, and the owner can start one from "Forgot password?").
    pub flow: Option<Started>,
}

/// Creates a link about `event` for `user_id` as one statement of `batch`; returns its URL.
pub(crate) fn issue_into(
    batch: &mut Batch,
    state: &AppState,
    user_id: &str,
    event: &str,
    now: i64,
) -> String {
    let token = new_token();
    batch.push(
        "INSERT INTO disown_tokens (token_hash, user_id, event, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![
            token_hash(&token).into(),
            user_id.into(),
            event.into(),
            now.into(),
            (now + LIFETIME_SECS).into(),
        ],
    );
    format!("{}{PATH}?token={token}", state.config.link_origin)
}

/// What the link `token` reports, if it can still be used. Reads only.
pub async fn peek(state: &AppState, token: &str) -> Result<Option<Report>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT event, created_at FROM disown_tokens \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(state.clock.now())
    .fetch_optional(state.db.pool())
    .await?;
    row.map(|r| {
        Ok(Report {
            event: col(&r, "event")?,
            reported_at: col(&r, "created_at")?,
        })
    })
    .transpose()
}

/// Spends the link `token` (once) and secures its account; then starts a fresh recovery for
/// the owner in this browser (replacing `previous_flow`, the browser's own flow if any).
pub async fn secure(
    state: &AppState,
    token: &str,
    previous_flow: Option<&str>,
    client: &Client,
) -> Result<Secured, DisownError> {
    let now = state.clock.now();
    let hash = token_hash(token);
    let mut tx = state.db.begin_write().await?;
    // Single use: only the request that marks the link used goes on.
    let spent = sqlx::query(
        "UPDATE disown_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if spent != 1 {
        return Err(DisownError::Invalid);
    }
    let row = sqlx::query(
        "SELECT u.id, u.email FROM disown_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1",
    )
    .bind(&hash)
    .fetch_one(&mut *tx)
    .await?;
    let user_id: String = col(&row, "id")?;
    let email: String = col(&row, "email")?;
    let sessions_ended = sessions::revoke_all(&mut tx, &user_id).await?;
    for sql in [
        "DELETE FROM recovery_flows WHERE user_id = $1",
        "DELETE FROM known_devices WHERE user_id = $1",
        "UPDATE users SET flagged = 1 WHERE id = $1",
    ] {
        sqlx::query(sql).bind(&user_id).execute(&mut *tx).await?;
    }
    // The other links of the account have nothing left to do.
    sqlx::query("UPDATE disown_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    activity::record(
        &mut tx,
        Some(&user_id),
        event::WASNT_ME,
        None,
        Some(client),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        sessions_ended,
        "account secured from a \"This wasn't me\" link"
    );
    let flow = match recovery::start_from(state, &email, previous_flow, client).await {
        Ok(started) => Some(started),
        Err(error) => {
            tracing::warn!(%error, "starting the owner's recovery after \"This wasn't me\" failed");
            None
        }
    };
    Ok(Secured {
        sessions_ended,
        flow,
    })
}

/// Deletes links past their lifetime.
pub async fn prune(db: &crate::Db, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM disown_tokens WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *db.writing().await?)
            .await?
            .rows_affected(),
    )
}
