//! The SMTP transport against a real SMTP server on loopback: a small sink written for these
//! tests that speaks enough SMTP for lettre and keeps what it received.

mod support;

use backend::outbox;
use backend::recovery;
use backend::smtp::Smtp;
use domain::recovery::Step;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the sink received it.
#[derive(Debug, Clone)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

#[derive(Clone, Default)]
struct Sink {
    received: Arc<Mutex<Vec<Received>>>,
    /// Answer `MAIL FROM` with a temporary failure (an outage), while set.
    refuse: Arc<AtomicBool>,
}

impl Sink {
    /// Listens on a free loopback port; returns the sink and its `smtp://` URL.
    async fn start() -> (Sink, String) {
        Sink::start_on("127.0.0.1:0").await
    }

    /// Listens on `addr` (a port that was free, to bring a stopped server back).
    async fn start_on(addr: &str) -> (Sink, String) {
        let listener = TcpListener::bind(addr).await.expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("addr"));
        let sink = Sink::default();
        let server = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(server.clone().session(socket));
            }
        });
        (sink, url)
    }

    async fn session(self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let reply = |text: &str| format!("{text}\r\n").into_bytes();
        let _ = write.write_all(&reply("220 sink.test ESMTP")).await;
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            let answer: &'static str = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                "250-sink.test\r\n250 8BITMIME"
            } else if upper.starts_with("MAIL FROM:") {
                if self.refuse.load(Ordering::SeqCst) {
                    "451 4.3.0 try again later"
                } else {
                    from = line[10..].trim().to_string();
                    to.clear();
                    "250 2.1.0 ok"
                }
            } else if upper.starts_with("RCPT TO:") {
                to.push(line[8..].trim().to_string());
                "250 2.1.5 ok"
            } else if upper == "DATA" {
                let _ = write.write_all(&reply("354 end with <CRLF>.<CRLF>")).await;
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push('\n');
                }
                self.received.lock().expect("lock").push(Received {
                    from: from.clone(),
                    to: to.clone(),
                    data,
                });
                "250 2.0.0 queued"
            } else if upper == "QUIT" {
                let _ = write.write_all(&reply("221 2.0.0 bye")).await;
                return;
            } else if upper == "RSET" || upper == "NOOP" {
                "250 2.0.0 ok"
            } else {
                "502 5.5.2 not implemented"
            };
            if write.write_all(&reply(answer)).await.is_err() {
                return;
            }
        }
    }

    fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_email_arrives_with_text_and_html() {
    let (sink, url) = Sink::start().await;
    let fx = support::sqlite().await;
    let state = fx
        .state(&[
            ("SMTP_URL", url.as_str()),
            ("MAIL_FROM", "Rekey Shop <no-reply@shop.test>"),
        ])
        .await;
    backend::accounts::create_user(&state, "lin@example.com", "Tangerine7Harbor", "")
        .await
        .unwrap();
    let flow = recovery::start(&state, "lin@example.com", None, "net")
        .await
        .unwrap();
    recovery::send_code(&state, &flow.token, "net")
        .await
        .unwrap();

    let smtp = Smtp::new(&url, &state.config.mail_from).unwrap();
    let delivered = outbox::deliver_due(&state.db, &smtp, state.clock.now())
        .await
        .unwrap();
    assert_eq!(delivered, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    let m = &received[0];
    assert_eq!(m.from, "<no-reply@shop.test>");
    assert_eq!(m.to, vec!["<lin@example.com>".to_string()]);
    let data = &m.data;
    assert!(
        data.contains("Content-Type: multipart/alternative"),
        "{data}"
    );
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(data.contains("Content-Type: text/html"), "{data}");
    let subject = data
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .expect("a subject");
    let code = &subject[..6];
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{subject}");
    assert!(
        data.matches(code).count() >= 3,
        "the code is in the subject and both parts"
    );
    // It is the flow's code: it opens the password step.
    assert_eq!(
        recovery::check_code(&state, &flow.token, code, "net").await,
        Ok(Step::Password)
    );
    // Once sent, the outbox row no longer holds the code.
    let row = sqlx::query("SELECT body_text, sent_at FROM outbox")
        .fetch_one(state.db.pool())
        .await
        .unwrap();
    use sqlx::Row;
    assert_eq!(row.try_get::<String, _>("body_text").unwrap(), "");
    assert!(row.try_get::<Option<i64>, _>("sent_at").unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_retried_with_back_off() {
    let (sink, url) = Sink::start().await;
    sink.refuse.store(true, Ordering::SeqCst);
    let fx = support::sqlite().await;
    let state = fx.state(&[("SMTP_URL", url.as_str())]).await;
    backend::accounts::create_user(&state, "lin@example.com", "Tangerine7Harbor", "")
        .await
        .unwrap();
    let flow = recovery::start(&state, "lin@example.com", None, "net")
        .await
        .unwrap();
    recovery::send_code(&state, &flow.token, "net")
        .await
        .unwrap();
    let smtp = Smtp::new(&url, &state.config.mail_from).unwrap();

    assert_eq!(
        outbox::deliver_due(&state.db, &smtp, state.clock.now())
            .await
            .unwrap(),
        0
    );
    use sqlx::Row;
    let row = sqlx::query("SELECT attempts, last_error, next_attempt_at FROM outbox")
        .fetch_one(state.db.pool())
        .await
        .unwrap();
    assert_eq!(row.try_get::<i64, _>("attempts").unwrap(), 1);
    let error: String = row.try_get("last_error").unwrap();
    assert!(error.contains("try again later"), "{error}");
    assert_eq!(
        row.try_get::<i64, _>("next_attempt_at").unwrap(),
        state.clock.now() + 2
    );

    // Not due yet: nothing is tried. Due, and the server is back: delivered once.
    sink.refuse.store(false, Ordering::SeqCst);
    assert_eq!(
        outbox::deliver_due(&state.db, &smtp, state.clock.now())
            .await
            .unwrap(),
        0
    );
    fx.clock.advance(2);
    assert_eq!(
        outbox::deliver_due(&state.db, &smtp, state.clock.now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        outbox::deliver_due(&state.db, &smtp, state.clock.now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn bad_settings_name_the_variable() {
    let err = Smtp::new("ftp://nowhere", "Shop <a@b.test>")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("SMTP_URL"), "{err}");
    let err = Smtp::new("smtp://127.0.0.1:2525", "not an address")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("MAIL_FROM"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_wait_while_the_mail_server_is_down_then_all_arrive_once() {
    // A port with nothing listening: every connection is refused.
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").to_string()
    };
    let url = format!("smtp://{addr}");
    let fx = support::sqlite().await;
    let state = fx.state(&[("SMTP_URL", url.as_str())]).await;
    let smtp = Smtp::new(&url, &state.config.mail_from).unwrap();
    let shoppers = ["ana@example.com", "ben@example.com", "cho@example.com"];
    for email in shoppers {
        backend::accounts::create_user(&state, email, "Tangerine7Harbor", "")
            .await
            .unwrap();
        let flow = recovery::start(&state, email, None, "net").await.unwrap();
        // The code is issued even though the mail server is down.
        assert_eq!(
            recovery::send_code(&state, &flow.token, "net").await,
            Ok(Step::Code)
        );
    }
    // Down for a while: a few rounds of the sender, nothing delivered, nothing lost.
    for _ in 0..3 {
        assert_eq!(
            outbox::deliver_due(&state.db, &smtp, state.clock.now())
                .await
                .unwrap(),
            0
        );
        fx.clock.advance(60);
    }
    use sqlx::Row;
    let waiting: i64 =
        sqlx::query("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND attempts >= 3")
            .fetch_one(state.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(waiting, 3, "every message waits in the outbox");

    // The mail server comes back on the same address.
    let (sink, _) = Sink::start_on(&addr).await;
    fx.clock.advance(300);
    let mut delivered = 0;
    for _ in 0..3 {
        delivered += outbox::deliver_due(&state.db, &smtp, state.clock.now())
            .await
            .unwrap();
    }
    assert_eq!(delivered, 3);
    let mut to: Vec<String> = sink
        .messages()
        .iter()
        .flat_map(|m| m.to.clone())
        .map(|t| t.trim_matches(['<', '>']).to_string())
        .collect();
    to.sort();
    assert_eq!(to, shoppers, "each shopper's code arrived exactly once");
}
