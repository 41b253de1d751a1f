//! The SMS provider transport: a Twilio-style form POST over HTTP(S).
//!
//! `POST {SMS_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_ID}/Messages.json` with the form fields
//! `To`, `From` and `Body`, authenticated with HTTP Basic (`account id : token`). A 2xx answer
//! is delivered; anything else is an error the outbox retries with back-off.

use crate::outbox::{Message, Sending, Transport};
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;

/// Why the SMS settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("SMS_URL is not valid: {0}")]
pub struct SmsConfigError(String);

/// Sends text messages through one provider.
#[derive(Clone)]
pub struct HttpSms {
    https: bool,
    host: String,
    port: u16,
    path: String,
    authorization: String,
    from: String,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl std::fmt::Debug for HttpSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSms")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl HttpSms {
    /// A transport for the provider at `base_url` (`https://api.example.com` or, for a local
    /// stub, `http://127.0.0.1:PORT`).
    pub fn new(
        base_url: &str,
        account: &str,
        token: &str,
        from: &str,
    ) -> Result<Self, SmsConfigError> {
        let (https, rest) = if let Some(r) = base_url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = base_url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(SmsConfigError("must start with https:// or http://".into()));
        };
        let (authority, base_path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse()
                    .map_err(|_| SmsConfigError(format!("bad port {p:?}")))?,
            ),
            None => (authority.to_string(), if https { 443 } else { 80 }),
        };
        if host.is_empty() || account.is_empty() {
            return Err(SmsConfigError(
                "needs a host, and SMS_ACCOUNT_ID must be set".into(),
            ));
        }
        let base_path = base_path.trim_end_matches('/');
        let path = if base_path.is_empty() {
            format!("/2010-04-01/Accounts/{account}/Messages.json")
        } else {
            format!("/{base_path}/2010-04-01/Accounts/{account}/Messages.json")
        };
        let tls = https.then(|| {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth());
            config.map(|c| tokio_rustls::TlsConnector::from(Arc::new(c)))
        });
        let tls = match tls {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => return Err(SmsConfigError(e.to_string())),
            None => None,
        };
        let authorization = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{account}:{token}"))
        );
        Ok(HttpSms {
            https,
            host,
            port,
            path,
            authorization,
            from: from.to_string(),
            tls,
        })
    }

    async fn deliver(&self, m: &Message) -> Result<(), String> {
        if m.channel != "sms" {
            return Err(format!(
                "the SMS transport cannot send {} messages",
                m.channel
            ));
        }
        let body = form(&[
            ("To", &m.recipient),
            ("From", &self.from),
            ("Body", &m.body_text),
        ]);
        let request = Request::post(self.path.as_str())
            .header(hyper::header::HOST, self.host.as_str())
            .header(hyper::header::AUTHORIZATION, self.authorization.as_str())
            .header(
                hyper::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(hyper::header::USER_AGENT, "rekey")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let send = async {
            let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let status = match (&self.tls, self.https) {
                (Some(tls), true) => {
                    let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                        .map_err(|e| e.to_string())?;
                    let stream = tls
                        .connect(name, tcp)
                        .await
                        .map_err(|e| format!("TLS: {e}"))?;
                    post(TokioIo::new(stream), request).await?
                }
                _ => post(TokioIo::new(tcp), request).await?,
            };
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("provider answered {status}"))
            }
        };
        tokio::time::timeout(Duration::from_secs(15), send)
            .await
            .map_err(|_| "provider timed out".to_string())?
    }
}

async fn post<I>(io: I, request: Request<Full<Bytes>>) -> Result<hyper::StatusCode, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    tokio::spawn(conn);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    let status = response.status();
    // Read the body so the connection closes cleanly; its content is not needed.
    let _ = response.into_body().collect().await;
    Ok(status)
}

/// `application/x-www-form-urlencoded` of `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Transport for HttpSms {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a, Result<(), String>> {
        Box::pin(self.deliver(message))
    }
}

/// Sends each message with the transport for its channel (e-mail or SMS).
pub struct ByChannel {
    pub email: Arc<dyn Transport>,
    pub sms: Arc<dyn Transport>,
}

impl ByChannel {
    fn of(&self, message: &Message) -> &dyn Transport {
        if message.channel == "sms" {
            self.sms.as_ref()
        } else {
            self.email.as_ref()
        }
    }
}

impl Transport for ByChannel {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a, Result<(), String>> {
        self.of(message).send(message)
    }

    fn group(&self) -> usize {
        self.email.group().min(self.sms.group())
    }

    /// Each run of messages for the same channel goes to that channel's transport at once.
    fn send_all<'a>(&'a self, messages: &'a [Message]) -> Sending<'a, Vec<Result<(), String>>> {
        Box::pin(async move {
            let mut answers = Vec::with_capacity(messages.len());
            for run in messages.chunk_by(|a, b| a.channel == b.channel) {
                answers.extend(self.of(&run[0]).send_all(run).await);
            }
            answers
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_encoding() {
        assert_eq!(
            super::form(&[
                ("To", "+447700900789"),
                ("Body", "123456 is your code & more")
            ]),
            "To=%2B447700900789&Body=123456+is+your+code+%26+more"
        );
    }
}
