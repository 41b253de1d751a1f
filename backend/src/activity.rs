//! The account's security activity: what happened to it, when, from which browser and address.
//!
//! Every event is one row of `audit_log`, written in the same transaction as what it records,
//! with the client's address already masked and its browser already named, so the activity page
//! shows stored facts and never keeps a full address. Events of a recovery flow take the browser
//! and address the flow was started from (a flow belongs to one browser).

use crate::db::{col, Batch};
use crate::state::AppState;
pub use domain::account::ActivityEntry;
use sqlx::AnyConnection;

/// Who is asking: what the request says about its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The network the per-network limits count on (`limits::network_of`).
    pub network: String,
    /// The address with its last part masked ("203.0.113.x"), for the activity page.
    pub ip: String,
    /// "Firefox · Android" (`domain::agent::describe`; empty when unknown).
    pub agent: String,
    /// The signed "remember this device" cookie, if the browser sent one.
    pub device: Option<String>,
    /// The language of the page that asked: messages this request sends are written in it.
    pub lang: texts::Locale,
}

impl Client {
    /// A caller that is not a browser request (tests, tools): only its network is known.
    pub fn at(network: &str) -> Self {
        Self {
            network: network.to_string(),
            ip: "unknown".into(),
            agent: String::new(),
            device: None,
            lang: texts::Locale::en,
        }
    }

    /// A browser request from `ip` with `user_agent`, carrying `device` cookie if any, from a
    /// page in `lang`.
    pub fn from_request(
        ip: std::net::IpAddr,
        user_agent: &str,
        device: Option<String>,
        lang: texts::Locale,
    ) -> Self {
        Self {
            network: crate::limits::network_of(ip),
            ip: crate::net::masked(ip),
            agent: domain::agent::describe(user_agent),
            device,
            lang,
        }
    }
}

/// The names of recorded events (the `event` column).
pub mod event {
    pub const ACCOUNT_CREATED: &str = "account_created";
    pub const SIGNED_IN: &str = "signed_in";
    pub const SIGNED_IN_NEW_DEVICE: &str = "signed_in_new_device";
    pub const SIGNED_OUT_EVERYWHERE: &str = "signed_out_everywhere";
    pub const SESSION_REVOKED: &str = "session_revoked";
    pub const PHONE_CHANGED: &str = "phone_changed";
    pub const RECOVERY_REQUESTED: &str = "recovery_requested";
    pub const CODE_SENT_EMAIL: &str = "code_sent_email";
    pub const CODE_SENT_SMS: &str = "code_sent_sms";
    pub const WRONG_CODE: &str = "wrong_code";
    pub const SLIDER_FAILED: &str = "slider_failed";
    pub const PASSWORD_RESET: &str = "password_reset";
    pub const WASNT_ME: &str = "wasnt_me";
}

/// Records `event` for `user_id` from `client`, inside the caller's transaction.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    user_id: Option<&str>,
    event: &str,
    detail: Option<&str>,
    client: Option<&Client>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut batch = Batch::new();
    record_into(&mut batch, user_id, event, detail, client, now);
    batch.run(conn).await.map(drop)
}

/// [`record`] as one statement of `batch`.
pub(crate) fn record_into(
    batch: &mut Batch,
    user_id: Option<&str>,
    event: &str,
    detail: Option<&str>,
    client: Option<&Client>,
    now: i64,
) {
    batch.push(
        "INSERT INTO audit_log (id, user_id, event, detail, ip, agent, at, seq) \
         SELECT $1, $2, $3, $4, $5, $6, $7, COALESCE(MAX(seq), 0) + 1 FROM audit_log WHERE user_id = $2",
        vec![
            crate::crypto::new_id().into(),
            user_id.into(),
            event.into(),
            detail.into(),
            client.map(|c| c.ip.as_str()).into(),
            client.map(|c| c.agent.as_str()).into(),
            now.into(),
        ],
    );
}

/// Records `event` for the account of the recovery flow `id_hash`, from the browser and address
/// the flow was started from. A flow for an address without an account writes the same row with
/// no account (the same work either way; `prune` removes such rows).
pub(crate) async fn record_for_flow(
    conn: &mut AnyConnection,
    id_hash: &str,
    event: &str,
    detail: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut batch = Batch::new();
    record_for_flow_into(&mut batch, id_hash, event, detail, now);
    batch.run(conn).await.map(drop)
}

/// [`record_for_flow`] as one statement of `batch`.
///
/// The event's number is one more than the last of its account's events, found by one backward
/// step into the `(user_id, seq)` index. An event without an account takes the same step, to
/// the last of the events without one (whose numbers order nothing): `user_id = NULL` found
/// nothing without looking, so the lookup was work only a known address did. Both branches are
/// written as `ORDER BY … LIMIT 1`, which both databases answer from the index; PostgreSQL
/// answers `MAX(seq) … WHERE user_id IS NULL` by reading every such row.
pub(crate) fn record_for_flow_into(
    batch: &mut Batch,
    id_hash: &str,
    event: &str,
    detail: Option<&str>,
    now: i64,
) {
    batch.push(
        "INSERT INTO audit_log (id, user_id, event, detail, ip, agent, at, seq) \
         SELECT $1, f.user_id, $2, $3, f.ip, f.agent, $4, \
         COALESCE(CASE WHEN f.user_id IS NULL \
             THEN (SELECT a.seq FROM audit_log a WHERE a.user_id IS NULL \
                   ORDER BY a.user_id DESC, a.seq DESC LIMIT 1) \
             ELSE (SELECT a.seq FROM audit_log a WHERE a.user_id = f.user_id \
                   ORDER BY a.user_id DESC, a.seq DESC LIMIT 1) END, 0) + 1 \
         FROM recovery_flows f WHERE f.id_hash = $5",
        vec![
            crate::crypto::new_id().into(),
            event.into(),
            detail.into(),
            now.into(),
            id_hash.into(),
        ],
    );
}

/// One page of the account's events, newest first, and whether older ones exist.
pub async fn page(
    state: &AppState,
    user_id: &str,
    page: u32,
    per_page: u32,
) -> Result<(Vec<ActivityEntry>, bool), sqlx::Error> {
    let per_page = i64::from(per_page.clamp(1, 100));
    let rows = sqlx::query(
        "SELECT event, detail, ip, agent, at FROM audit_log WHERE user_id = $1 \
         ORDER BY seq DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(per_page + 1)
    .bind(i64::from(page) * per_page)
    .fetch_all(state.db.pool())
    .await?;
    let more = rows.len() as i64 > per_page;
    let entries = rows
        .iter()
        .take(per_page as usize)
        .map(|r| {
            Ok(ActivityEntry {
                event: col(r, "event")?,
                detail: col(r, "detail")?,
                ip: col(r, "ip")?,
                agent: col(r, "agent")?,
                at: col(r, "at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((entries, more))
}

/// Deletes events recorded for flows without an account (kept a day, never shown).
pub async fn prune(db: &crate::Db, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM audit_log WHERE user_id IS NULL AND at < $1")
            .bind(now - 86_400)
            .execute(&mut *db.writing().await?)
            .await?
            .rows_affected(),
    )
}
