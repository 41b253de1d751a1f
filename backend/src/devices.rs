//! "Remember this device": a long-lived cookie holding a random id and its HMAC, and the
//! accounts that browser signed in to or recovered. Lets the SMS step's `risk` policy skip
//! the text message for a browser the account already used.

use crate::crypto::{constant_time_eq, new_token, token_hash};
use crate::db::Batch;
use crate::state::AppState;

/// Name of the device cookie.
pub const COOKIE: &str = "rekey_device";

/// The device id in a cookie value, if its signature is right.
pub fn verify(state: &AppState, cookie: &str) -> Option<String> {
    let (id, mac) = cookie.split_once('.')?;
    let expected = state.secret.mac("device", &[id.as_bytes()]);
    constant_time_eq(expected.as_bytes(), mac.as_bytes()).then(|| id.to_string())
}

/// The stored hash of the device id in `cookie`, if its signature is right.
pub fn cookie_hash(state: &AppState, cookie: Option<&str>) -> Option<String> {
    cookie
        .and_then(|c| verify(state, c))
        .map(|id| token_hash(&id))
}

/// Devices last seen before this moment are forgotten.
pub fn seen_since(state: &AppState) -> i64 {
    state.clock.now() - state.config.device_days * 86_400
}

/// Whether the browser with `cookie` has been used for `user_id` before.
pub async fn is_known(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    cookie: Option<&str>,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let Some(hash) = cookie_hash(state, cookie) else {
        return Ok(false);
    };
    let row = sqlx::query(
        "SELECT last_seen_at FROM known_devices WHERE device_hash = $1 AND user_id = $2 AND last_seen_at > $3",
    )
    .bind(hash)
    .bind(user_id)
    .bind(seen_since(state))
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Remembers this browser for `user_id`; returns the cookie value to (re)set — the same
/// device id when the browser already had a valid one.
pub async fn remember(
    state: &AppState,
    cookie: Option<&str>,
    user_id: &str,
) -> Result<String, sqlx::Error> {
    let mut batch = Batch::new();
    let value = remember_into(&mut batch, state, cookie, user_id);
    state.db.write_all(batch).await?;
    Ok(value)
}

/// [`remember`] as a statement of `batch` (a sign-in writes it with its session).
pub fn remember_into(
    batch: &mut Batch,
    state: &AppState,
    cookie: Option<&str>,
    user_id: &str,
) -> String {
    let id = cookie
        .and_then(|c| verify(state, c))
        .unwrap_or_else(new_token);
    batch.push(
        "INSERT INTO known_devices (device_hash, user_id, last_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (device_hash, user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        vec![
            token_hash(&id).into(),
            user_id.into(),
            state.clock.now().into(),
        ],
    );
    let mac = state.secret.mac("device", &[id.as_bytes()]);
    format!("{id}.{mac}")
}

/// The `Set-Cookie` value for a device cookie.
pub fn cookie_header(state: &AppState, value: &str) -> String {
    crate::sessions::cookie_header(
        COOKIE,
        value,
        state.config.device_days * 86_400,
        state.config.cookie_secure,
    )
}
