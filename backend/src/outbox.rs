//! The outbox: messages are written in the same transaction as what caused them and delivered
//! by a background sender, so a request's answer time never depends on a mail server, and a
//! crash between "code stored" and "mail sent" loses nothing.

use crate::clock::Clock;
use crate::crypto::new_id;
use crate::db::{col, Batch, Db, Value};
use serde::Serialize;
use sqlx::AnyConnection;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// One message to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// `email` or `sms`.
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// What a transport's sending resolves to.
pub type Sending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A way to deliver messages (SMTP, SMS provider, or the development outbox).
pub trait Transport: Send + Sync + 'static {
    /// Delivers one message; an `Err` is retried later with back-off.
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a, Result<(), String>>;

    /// How many messages [`send_all`](Self::send_all) takes at a time. The sender marks the
    /// messages of each such group delivered together, after the whole group; a group of one
    /// (a mail server, an SMS provider) means a crash between sending and marking sends at
    /// most one message twice.
    fn group(&self) -> usize {
        1
    }

    /// Delivers `messages`, one answer each in their order; by default one
    /// [`send`](Self::send) after another.
    fn send_all<'a>(&'a self, messages: &'a [Message]) -> Sending<'a, Vec<Result<(), String>>> {
        Box::pin(async move {
            let mut answers = Vec::with_capacity(messages.len());
            for message in messages {
                answers.push(self.send(message).await);
            }
            answers
        })
    }
}

/// Queues `message` inside the caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    message: &Message,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut batch = Batch::new();
    insert(&mut batch, message, now, None);
    batch.run(conn).await.map(drop)
}

/// [`enqueue`] as one statement of `batch`.
pub fn enqueue_into(batch: &mut Batch, message: &Message, now: i64) {
    insert(batch, message, now, None);
}

/// Writes the outbox row of a message that is not to be sent (the blanked code e-mail of an
/// address with no account), as one statement of `batch`: the same insert as [`enqueue`],
/// already settled, so the request does the same database work either way and the sender
/// never sees it.
pub fn enqueue_suppressed_into(batch: &mut Batch, message: &Message, now: i64) {
    insert(batch, message, now, Some("suppressed: no account"));
}

/// One outbox row; `settled` marks it done at once with that note.
fn insert(batch: &mut Batch, message: &Message, now: i64, settled: Option<&str>) {
    batch.push(
        "INSERT INTO outbox (id, channel, recipient, subject, body_text, body_html, created_at, next_attempt_at, sent_at, last_error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
        [
            fields(message),
            vec![now.into(), settled.map(|_| now).into(), settled.into()],
        ]
        .concat(),
    );
}

/// A new row id and `message`'s fields: the first six values of each table's insert of it.
fn fields(message: &Message) -> Vec<Value> {
    vec![
        new_id().into(),
        (&message.channel).into(),
        (&message.recipient).into(),
        (&message.subject).into(),
        (&message.body_text).into(),
        (&message.body_html).into(),
    ]
}

/// Seconds to wait before retry number `attempt` (2, 4, 8 … capped at 256).
pub fn backoff(attempt: i64) -> i64 {
    1_i64 << attempt.clamp(0, 8)
}

/// How many due messages one pass claims.
const PASS: usize = 50;

/// Delivers every due message once (one pass, up to [`PASS`]); returns how many were
/// delivered.
///
/// The due rows are claimed before sending by one conditional update that pushes their next
/// attempt a minute ahead and returns them, so two senders (two server processes) never
/// deliver the same message twice: the conditions are checked again on each row as it is
/// updated, and a row another sender claimed first no longer matches them. They are then sent
/// in the transport's [groups](Transport::group), each group's outcomes written in one
/// transaction.
pub async fn deliver_due(
    db: &Db,
    transport: &dyn Transport,
    now: i64,
) -> Result<usize, sqlx::Error> {
    Ok(deliver_pass(db, transport, now).await?.1)
}

/// One pass of [`deliver_due`]: how many messages it claimed, and how many it delivered.
async fn deliver_pass(
    db: &Db,
    transport: &dyn Transport,
    now: i64,
) -> Result<(usize, usize), sqlx::Error> {
    let due = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 \
         WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 \
                      ORDER BY created_at LIMIT $3) \
           AND sent_at IS NULL AND next_attempt_at <= $2 \
         RETURNING id, channel, recipient, subject, body_text, body_html, attempts, created_at",
    )
    .bind(now + 60)
    .bind(now)
    .bind(PASS as i64)
    .fetch_all(&mut *db.writing().await?)
    .await?;
    // RETURNING gives no order: oldest first, as they were written.
    let mut due = due
        .into_iter()
        .map(|row| Ok((col::<i64>(&row, "created_at")?, row)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    due.sort_by_key(|(created_at, _)| *created_at);
    let claimed = due.len();
    let mut ids = Vec::with_capacity(claimed);
    let mut messages = Vec::with_capacity(claimed);
    for (_, row) in &due {
        ids.push((col::<String>(row, "id")?, col::<i64>(row, "attempts")?));
        messages.push(Message {
            channel: col(row, "channel")?,
            recipient: col(row, "recipient")?,
            subject: col(row, "subject")?,
            body_text: col(row, "body_text")?,
            body_html: col(row, "body_html")?,
        });
    }
    let mut delivered = 0;
    let group = transport.group().max(1);
    for (ids, messages) in ids.chunks(group).zip(messages.chunks(group)) {
        let answers = transport.send_all(messages).await;
        // Each group's outcomes in one transaction (each statement its own message's row).
        let mut batch = Batch::independent();
        for ((id, attempts), answer) in ids.iter().zip(answers) {
            match answer {
                Ok(()) => {
                    // The bodies may hold a code: keep them no longer than needed.
                    batch.push(
                        "UPDATE outbox SET sent_at = $1, attempts = $2, body_text = '', body_html = '', last_error = NULL WHERE id = $3",
                        vec![now.into(), (attempts + 1).into(), id.into()],
                    );
                    delivered += 1;
                }
                Err(error) => {
                    tracing::warn!(message = %id, attempt = attempts + 1, %error, "delivery failed; will retry");
                    batch.push(
                        "UPDATE outbox SET attempts = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4",
                        vec![
                            (attempts + 1).into(),
                            (now + backoff(attempts + 1).min(300)).into(),
                            error.chars().take(500).collect::<String>().into(),
                            id.into(),
                        ],
                    );
                }
            }
        }
        db.write_all(batch).await?;
    }
    Ok((claimed, delivered))
}

/// Runs the sender until `stop` resolves: delivers due messages every `every` (pass after pass
/// while they come back full), and prunes old
/// rate-limit events.
pub async fn run_sender(
    db: Db,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    every: Duration,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(every);
    let mut passes: u64 = 0;
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {}
        }
        let now = clock.now();
        // A full pass means more are waiting: go on at once rather than one pass a tick, which
        // capped delivery at 250 messages a second and let a burst of codes queue for minutes.
        loop {
            match deliver_pass(&db, transport.as_ref(), clock.now()).await {
                Ok((claimed, _)) if claimed == PASS => tokio::task::yield_now().await,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "outbox pass failed");
                    break;
                }
            }
        }
        passes += 1;
        if passes % 600 == 0 {
            if let Err(error) = crate::limits::prune(&db, now - 2 * 86_400).await {
                tracing::warn!(%error, "pruning old attempts failed");
            }
            if let Err(error) = crate::challenge::prune(&db, now).await {
                tracing::warn!(%error, "pruning old challenges failed");
            }
            if let Err(error) = crate::recovery::prune(&db, now).await {
                tracing::warn!(%error, "pruning ended recovery flows failed");
            }
            if let Err(error) = crate::activity::prune(&db, now).await {
                tracing::warn!(%error, "pruning activity of unknown addresses failed");
            }
            if let Err(error) = crate::disown::prune(&db, now).await {
                tracing::warn!(%error, "pruning old \"This wasn't me\" links failed");
            }
            if let Err(error) = prune_sent(&db, now - 7 * 86_400).await {
                tracing::warn!(%error, "pruning sent messages failed");
            }
        }
    }
}

/// Deletes outbox rows sent before `before` (their bodies were already emptied).
pub async fn prune_sent(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
            .bind(before)
            .execute(&mut *db.writing().await?)
            .await?
            .rows_affected(),
    )
}

/// The development transport: "sends" by storing the message where `/dev/outbox` shows it.
#[derive(Debug, Clone)]
pub struct DevOutbox {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl DevOutbox {
    /// A transport that writes into `db`'s `dev_mailbox`.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        DevOutbox { db, clock }
    }

    /// Stores `messages` in one transaction: all of them, or none and the reason.
    async fn store(&self, messages: &[Message]) -> Result<(), String> {
        let delivered_at = self.clock.now() * 1000 + now_millis_part();
        let mut batch = Batch::new();
        for m in messages {
            batch.push(
                "INSERT INTO dev_mailbox (id, channel, recipient, subject, body_text, body_html, delivered_at, seq) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, COALESCE(MAX(seq), 0) + 1 FROM dev_mailbox",
                [fields(m), vec![delivered_at.into()]].concat(),
            );
        }
        self.db.write_all(batch).await.map_err(|e| e.to_string())
    }
}

impl Transport for DevOutbox {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a, Result<(), String>> {
        Box::pin(self.store(std::slice::from_ref(message)))
    }

    /// A whole pass at once: storing is cheap, and one transaction for many messages keeps
    /// the sender from taking the write lock twice per message while requests wait for it.
    fn group(&self) -> usize {
        PASS
    }

    fn send_all<'a>(&'a self, messages: &'a [Message]) -> Sending<'a, Vec<Result<(), String>>> {
        Box::pin(async move { vec![self.store(messages).await; messages.len()] })
    }
}

/// Milliseconds within the current second of the wall clock, so messages sent within one
/// second still list in the order they were delivered.
fn now_millis_part() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::from(d.subsec_millis()))
}

/// A message as the development outbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    pub id: String,
    pub channel: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Milliseconds since the Unix epoch.
    pub delivered_at: i64,
}

/// The newest development-outbox messages first, optionally only those to `to`.
pub async fn dev_messages(
    db: &Db,
    to: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivered>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, channel, recipient, subject, body_text, body_html, delivered_at FROM dev_mailbox \
         WHERE ($1 = '' OR LOWER(recipient) = LOWER($1)) ORDER BY seq DESC LIMIT $2",
    )
    .bind(to.unwrap_or(""))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Delivered {
                id: col(r, "id")?,
                channel: col(r, "channel")?,
                to: col(r, "recipient")?,
                subject: col(r, "subject")?,
                text: col(r, "body_text")?,
                html: col(r, "body_html")?,
                delivered_at: col(r, "delivered_at")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(super::backoff(1), 2);
        assert_eq!(super::backoff(3), 8);
        assert_eq!(super::backoff(50), 256);
    }
}
