//! What the account pages show, shared by the server that reads it and the pages that draw it.

use serde::{Deserialize, Serialize};

/// One security event of the account's activity (`backend::activity::event` names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub event: String,
    /// An already-masked fact: where a code went, which browser was signed out.
    pub detail: Option<String>,
    /// The client address with its last part masked.
    pub ip: Option<String>,
    /// "Firefox on Android".
    pub agent: Option<String>,
    pub at: i64,
}

/// One browser signed in to the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// A keyed name of the session for "Sign out this device" (never the token or its hash).
    pub id: String,
    pub agent: Option<String>,
    pub ip: Option<String>,
    pub last_seen_at: i64,
    /// The session of the request that asked.
    pub current: bool,
}
