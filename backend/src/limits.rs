//! Rolling-window counters kept in the database, so every server process sees the same counts.

use crate::clock::Timestamp;
use crate::db::{col, Batch, Db};
use sqlx::AnyConnection;

/// What kinds of events are counted.
pub mod kind {
    /// A failed sign-in for an e-mail address (whether or not it has an account).
    pub const LOGIN_FAIL_ACCOUNT: &str = "login_fail_account";
    /// A failed sign-in from a network (IPv4 /24, IPv6 /56).
    pub const LOGIN_FAIL_NETWORK: &str = "login_fail_network";
    /// A sign-up e-mail queued for an address (whether or not it has an account).
    pub const SIGNUP_MAIL: &str = "signup_mail";
    /// A recovery code "sent" to an address (whether or not it has an account).
    pub const RECOVERY_CODE_ACCOUNT: &str = "recovery_code_account";
    /// A wrong recovery code for an address, across flows and codes, e-mailed or texted.
    pub const RECOVERY_WRONG_ACCOUNT: &str = "recovery_wrong_account";
    /// A recovery flow started from a network.
    pub const RECOVERY_START_NETWORK: &str = "recovery_start_network";
    /// A recovery code sent from a network.
    pub const RECOVERY_SEND_NETWORK: &str = "recovery_send_network";
    /// An SMS code sent for an address (per rolling day, apart from e-mailed codes).
    pub const SMS_CODE_ACCOUNT: &str = "sms_code_account";
    /// A text message to a number, to a country code, and in all (SMS pumping caps).
    pub const SMS_NUMBER: &str = "sms_number";
    pub const SMS_COUNTRY: &str = "sms_country";
    pub const SMS_ALL: &str = "sms_all";
    /// A failed slider challenge (per flow or address, and per network).
    pub const CHALLENGE_FAIL: &str = "challenge_fail";
    /// A recovery code checked from a network.
    pub const RECOVERY_CHECK_NETWORK: &str = "recovery_check_network";
}

/// What must happen before the next sign-in attempt for an address is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// Go ahead.
    Open,
    /// Repeated failures: the slider challenge must be passed first (unless `SLIDER_POLICY`
    /// is `never`); `accounts::login_with_pass` asks for the pass.
    NeedsChallenge,
    /// Too many failures: refused until the lock ends.
    Locked { retry_after_secs: i64 },
}

/// Records one event for `subject` at `now`.
pub async fn record(db: &Db, kind: &str, subject: &str, now: Timestamp) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO attempts (kind, subject, at) VALUES ($1, $2, $3)")
        .bind(kind)
        .bind(subject)
        .bind(now)
        .execute(&mut *db.writing().await?)
        .await?;
    Ok(())
}

/// Events for `subject` since `since`, and the time of the latest.
pub async fn count_since(
    db: &Db,
    kind: &str,
    subject: &str,
    since: Timestamp,
) -> Result<(i64, Option<Timestamp>), sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n, MAX(at) AS latest FROM attempts WHERE kind = $1 AND subject = $2 AND at > $3")
        .bind(kind)
        .bind(subject)
        .bind(since)
        .fetch_one(db.pool())
        .await?;
    Ok((col(&row, "n")?, col(&row, "latest")?))
}

/// Events for `subject` since `since`, and the time of the `nth` latest of them (1: the
/// latest), when there are that many.
pub async fn count_and_nth_since(
    db: &Db,
    kind: &str,
    subject: &str,
    since: Timestamp,
    nth: i64,
) -> Result<(i64, Option<Timestamp>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, \
         (SELECT at FROM attempts WHERE kind = $1 AND subject = $2 AND at > $3 \
          ORDER BY at DESC LIMIT 1 OFFSET $4) AS nth \
         FROM attempts WHERE kind = $1 AND subject = $2 AND at > $3",
    )
    .bind(kind)
    .bind(subject)
    .bind(since)
    .bind((nth - 1).max(0))
    .fetch_one(db.pool())
    .await?;
    Ok((col(&row, "n")?, col(&row, "nth")?))
}

/// [`record`] inside the caller's transaction.
pub async fn record_in(
    conn: &mut AnyConnection,
    kind: &str,
    subject: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO attempts (kind, subject, at) VALUES ($1, $2, $3)")
        .bind(kind)
        .bind(subject)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Several events at once as one statement of `batch` (none for no events), so a write
/// transaction holds the lock for one round trip instead of one per event.
pub fn record_all_into(batch: &mut Batch, events: &[(&str, &str)], now: Timestamp) {
    if events.is_empty() {
        return;
    }
    let rows: Vec<String> = (0..events.len())
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect();
    let values = events
        .iter()
        .flat_map(|(kind, subject)| [(*kind).into(), (*subject).into(), now.into()])
        .collect();
    batch.push(
        format!(
            "INSERT INTO attempts (kind, subject, at) VALUES {}",
            rows.join(", ")
        ),
        values,
    );
}

/// [`count_since`] inside the caller's transaction (the count a decision is made on).
pub async fn count_in(
    conn: &mut AnyConnection,
    kind: &str,
    subject: &str,
    since: Timestamp,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM attempts WHERE kind = $1 AND subject = $2 AND at > $3",
    )
    .bind(kind)
    .bind(subject)
    .bind(since)
    .fetch_one(conn)
    .await?;
    col(&row, "n")
}

/// Forgets the events for `subject` (after a successful sign-in).
pub async fn clear(db: &Db, kind: &str, subject: &str) -> Result<(), sqlx::Error> {
    let mut batch = Batch::new();
    clear_into(&mut batch, kind, subject);
    batch.run(&mut *db.writing().await?).await.map(drop)
}

/// [`clear`] as one statement of `batch`.
pub fn clear_into(batch: &mut Batch, kind: &str, subject: &str) {
    batch.push(
        "DELETE FROM attempts WHERE kind = $1 AND subject = $2",
        vec![kind.into(), subject.into()],
    );
}

/// Deletes events older than any window looks back (run by the background sender).
pub async fn prune(db: &Db, before: Timestamp) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM attempts WHERE at < $1")
        .bind(before)
        .execute(&mut *db.writing().await?)
        .await?
        .rows_affected())
}

/// The gate for the next sign-in of an address from the failures counted in the window: the
/// address's (and when the latest was), and its network's.
pub fn login_gate(
    cfg: &crate::Config,
    failures: i64,
    latest: Option<Timestamp>,
    network_failures: i64,
    now: Timestamp,
) -> LoginGate {
    if failures >= cfg.login_lock_after {
        let until = latest.unwrap_or(now) + cfg.login_lock_secs;
        return LoginGate::Locked {
            retry_after_secs: (until - now).max(1),
        };
    }
    if failures >= cfg.login_challenge_after || network_failures >= cfg.login_lock_after {
        return LoginGate::NeedsChallenge;
    }
    LoginGate::Open
}

/// The network a client address belongs to: IPv4 /24, IPv6 /56 (one household or office).
pub fn network_of(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        std::net::IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return network_of(std::net::IpAddr::V4(v4));
            }
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}00::/56", s[0], s[1], s[2], s[3] >> 8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_group_neighbours() {
        assert_eq!(network_of("203.0.113.7".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(
            network_of("203.0.113.200".parse().unwrap()),
            network_of("203.0.113.1".parse().unwrap())
        );
        assert_eq!(
            network_of("::ffff:203.0.113.7".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            network_of("2001:db8:1:2ff::1".parse().unwrap()),
            network_of("2001:db8:1:200::9".parse().unwrap())
        );
        assert_ne!(
            network_of("2001:db8:1:2ff::1".parse().unwrap()),
            network_of("2001:db8:1:3ff::1".parse().unwrap())
        );
    }
}
