//! Sign-in sessions: a 256-bit random token in the cookie, its SHA-256 in the database.

use crate::clock::Timestamp;
use crate::crypto::{new_token, token_hash};
use crate::db::col;
use crate::state::AppState;
use sqlx::AnyConnection;

/// The name of the session cookie.
pub const COOKIE: &str = "rekey_session";

/// Who a valid session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: String,
    pub email: String,
}

/// Creates a session for `user_id` inside `conn`'s transaction and returns the cookie token.
pub async fn create(
    conn: &mut AnyConnection,
    state: &AppState,
    user_id: &str,
) -> Result<String, sqlx::Error> {
    let now = state.clock.now();
    let token = new_token();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)")
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(now)
        .bind(now + state.config.session_max_secs)
        .execute(conn)
        .await?;
    Ok(token)
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
            .execute(state.db.pool())
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
        .execute(state.db.pool())
        .await?;
    Ok(())
}

/// Ends every session of a user (sign out everywhere, password reset); returns how many.
pub async fn revoke_all(conn: &mut AnyConnection, user_id: &str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
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
