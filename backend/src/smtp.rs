//! The SMTP transport (lettre): delivers outbox e-mails as multipart text + HTML.
//!
//! `SMTP_URL` follows lettre's form: `smtps://user:pass@host` (TLS from the start, port 465),
//! `smtp://user:pass@host?tls=required` (STARTTLS, port 587), or `smtp://host:port` (no TLS:
//! only for a relay on the same machine, and for the tests' loopback SMTP sink).

use crate::outbox::{Message, Sending, Transport};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// Why the SMTP settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("SMTP_URL is not valid: {0}")]
    Url(String),
    #[error("MAIL_FROM is not a valid address (`Name <name@example.com>`): {0}")]
    From(String),
}

/// Sends e-mail through one SMTP server, reusing connections.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Smtp {
    /// A transport for `url` that sends as `from`.
    ///
    /// Everything is checked before the connection pool exists (dropping a pool needs a Tokio
    /// runtime).
    pub fn new(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| SmtpConfigError::From(e.to_string()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SmtpConfigError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        Ok(Smtp { transport, from })
    }

    async fn deliver(&self, m: &Message) -> Result<(), String> {
        if m.channel != "email" {
            return Err(format!(
                "the SMTP transport cannot send {} messages",
                m.channel
            ));
        }
        let to = m
            .recipient
            .parse::<Mailbox>()
            .map_err(|e| format!("recipient: {e}"))?;
        let mail = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.as_str())
            .multipart(MultiPart::alternative_plain_html(
                m.body_text.clone(),
                m.body_html.clone(),
            ))
            .map_err(|e| format!("building the message: {e}"))?;
        self.transport
            .send(mail)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

impl Transport for Smtp {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a, Result<(), String>> {
        Box::pin(self.deliver(message))
    }
}
