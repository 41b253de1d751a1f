//! Sign-in sessions: a 256-bit random token in the cookie, its SHA-256 in the database.

use crate::activity::{self, event, Client};
use crate::clock::Timestamp;
use crate::crypto::{new_token, token_hash};
use crate::db::{col, Batch};
use crate::state::AppState;
pub use domain::account::Session;
use sqlx::AnyConnection;

/// The name of the session cookie.
pub const COOKIE: &str = "rekey_session";

/// Who a valid session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: String,
    pub email: String,
}

/// Creates a session for `user_id` opened by `client` inside `conn`'s transaction and returns
/// the cookie token.
pub async fn create(
    conn: &mut AnyConnection,
    state: &AppState,
    user_id: &str,
    client: &Client,
) -> Result<String, sqlx::Error> {
    let mut batch = Batch::new();
    let token = create_into(&mut batch, state, user_id, client);
    batch.run(conn).await?;
    Ok(token)
}

/// [`create`] as one statement of `batch`; returns the session's token.
pub fn create_into(batch: &mut Batch, state: &AppState, user_id: &str, client: &Client) -> String {
    let now = state.clock.now();
    let token = new_token();
    batch.push(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, agent) \
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
        vec![
            token_hash(&token).into(),
            user_id.into(),
            now.into(),
            (now + state.config.session_max_secs).into(),
            client.ip.as_str().into(),
            client.agent.as_str().into(),
        ],
    );
    token
}

/// The live sessions of `user_id`, most recently used first; `current_token` marks the asker's.
pub async fn list(
    state: &AppState,
    user_id: &str,
    current_token: &str,
) -> Result<Vec<Session>, sqlx::Error> {
    let now = state.clock.now();
    let current = token_hash(current_token);
    let rows = sqlx::query(
        "SELECT token_hash, agent, ip, last_seen_at FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 AND last_seen_at > $3 \
         ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .bind(now - state.config.session_idle_secs)
    .fetch_all(state.db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let hash: String = col(r, "token_hash")?;
            Ok(Session {
                id: public_id(state, &hash),
                agent: col(r, "agent")?,
                ip: col(r, "ip")?,
                last_seen_at: col(r, "last_seen_at")?,
                current: hash == current,
            })
        })
        .collect()
}

/// Ends the session of `user_id` named `id` (from [`list`]) and records it; false when there
/// is no such session of this user.
pub async fn revoke_one(
    state: &AppState,
    user_id: &str,
    id: &str,
    client: &Client,
) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    let rows = sqlx::query("SELECT token_hash, agent FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
    let mut found = None;
    for r in &rows {
        let hash: String = col(r, "token_hash")?;
        if crate::crypto::constant_time_eq(public_id(state, &hash).as_bytes(), id.as_bytes()) {
            found = Some((hash, col::<Option<String>>(r, "agent")?));
        }
    }
    let Some((hash, agent)) = found else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    let now = state.clock.now();
    activity::record(
        &mut tx,
        Some(user_id),
        event::SESSION_REVOKED,
        agent.as_deref(),
        Some(client),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The name of a session shown to its owner: a MAC of its token's hash.
fn public_id(state: &AppState, token_hash: &str) -> String {
    state.secret.mac("session-id", &[token_hash.as_bytes()])[..32].to_string()
}

/// The user of a live session, touching its idle timer (at most once a minute, to spare writes).
pub async fn lookup(state: &AppState, token: &str) -> Result<Option<SessionUser>, sqlx::Error> {
    let now: Timestamp = state.clock.now();
    let hash = token_hash(token);
    let row = sqlx::query(
        "SELECT s.user_id, s.last_seen_at, u.email FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
    )
    .bind(&hash)
    .bind(now)
    .bind(now - state.config.session_idle_secs)
    .fetch_optional(state.db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let last_seen: i64 = col(&row, "last_seen_at")?;
    if now - last_seen >= 60 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&hash)
            .execute(&mut *state.db.writing().await?)
            .await?;
    }
    Ok(Some(SessionUser {
        user_id: col(&row, "user_id")?,
        email: col(&row, "email")?,
    }))
}

/// Ends one session.
pub async fn revoke(state: &AppState, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&mut *state.db.writing().await?)
        .await?;
    Ok(())
}

/// Ends every session of a user (sign out everywhere, password reset); returns how many.
pub async fn revoke_all(conn: &mut AnyConnection, user_id: &str) -> Result<u64, sqlx::Error> {
    let mut batch = Batch::new();
    revoke_all_into(&mut batch, user_id);
    batch.run(conn).await
}

/// [`revoke_all`] as one statement of `batch` (a password reset ends them with its other writes).
pub fn revoke_all_into(batch: &mut Batch, user_id: &str) {
    batch.push(
        "DELETE FROM sessions WHERE user_id = $1",
        vec![user_id.into()],
    );
}

/// The `Set-Cookie` value that stores `token`.
pub fn set_cookie(state: &AppState, token: &str) -> String {
    cookie_header(
        COOKIE,
        token,
        state.config.session_max_secs,
        state.config.cookie_secure,
    )
}

/// The `Set-Cookie` value that deletes the session cookie.
pub fn clear_cookie(state: &AppState) -> String {
    cookie_header(COOKIE, "", 0, state.config.cookie_secure)
}

/// An HttpOnly, SameSite=Lax cookie for the whole site (Secure when served over TLS).
pub fn cookie_header(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// Finds `name` in a `Cookie` request header.
pub fn read_cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_flags() {
        let c = cookie_header(COOKIE, "tok", 60, false);
        assert_eq!(
            c,
            "rekey_session=tok; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
        );
        assert!(cookie_header(COOKIE, "tok", 60, true).ends_with("; Secure"));
    }

    #[test]
    fn reads_cookie_among_others() {
        assert_eq!(
            read_cookie("a=1; rekey_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(read_cookie("a=1", COOKIE), None);
        assert_eq!(read_cookie("rekey_session_x=1", COOKIE), None);
    }
}
