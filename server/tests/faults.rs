//! Faults: the database becomes unreachable and comes back (through a TCP proxy in front of
//! PostgreSQL that the test cuts and restores).

mod support;

use axum::http::StatusCode;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{postgres_url, test_app_on, TestApp};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A loopback TCP proxy to `target` that can be cut (every connection dropped, new ones
/// refused) and restored on the same address.
struct Proxy {
    addr: SocketAddr,
    target: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: &str) -> Proxy {
        let proxy = Proxy {
            addr: "127.0.0.1:0".parse().unwrap(),
            target: target.to_string(),
            tasks: Arc::default(),
        };
        proxy.listen("127.0.0.1:0").await
    }

    async fn listen(mut self, addr: &str) -> Proxy {
        let listener = TcpListener::bind(addr).await.expect("bind the proxy");
        self.addr = listener.local_addr().unwrap();
        let (target, tasks) = (self.target.clone(), self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
        self
    }

    /// Returns once the listener and every connection are closed (an aborted task drops its
    /// sockets when it ends), so the address can be bound again at once.
    async fn cut(&self) {
        loop {
            let tasks: Vec<_> = self.tasks.lock().unwrap().drain(..).collect();
            if tasks.is_empty() {
                return;
            }
            for task in &tasks {
                task.abort();
            }
            for task in tasks {
                let _ = task.await;
            }
        }
    }

    async fn restore(self) -> Proxy {
        let addr = self.addr.to_string();
        self.listen(&addr).await
    }
}

/// The app on the test PostgreSQL database, reached through a [`Proxy`].
async fn behind_proxy() -> (Proxy, TestApp) {
    let url = postgres_url().await;
    let (before, rest) = url.split_once('@').unwrap();
    let (server, database) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(server).await;
    let app = test_app_on(&format!("{before}@{}/{database}", proxy.addr), &[]).await;
    (proxy, app)
}

async fn wait_for_health(app: &TestApp, status: StatusCode) -> Duration {
    let start = Instant::now();
    loop {
        if app.get("/healthz", None).await.status == status {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "/healthz never said {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_a_clear_503_and_the_server_recovers() {
    let (proxy, app) = behind_proxy().await;
    let up = app.get("/recover", None).await;
    assert_eq!(up.status, StatusCode::OK);
    let stylesheet = up
        .body
        .split_once(r#"id="leptos" rel="stylesheet" href=""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(href, _)| href.to_string())
        .expect("the page links its stylesheet");

    proxy.cut().await;
    let noticed = wait_for_health(&app, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(
        noticed < Duration::from_secs(10),
        "noticed after {noticed:?}"
    );
    let health = app.get("/healthz", None).await;
    assert!(health.body.contains("unreachable"), "{}", health.body);
    // Pages say so at once, in words, with a hint when to come back.
    let started = Instant::now();
    let page = app.get("/recover", None).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        page.body.contains("Temporarily unavailable"),
        "{}",
        page.body
    );
    assert_eq!(page.headers.get("retry-after").unwrap(), "30");
    // Dressed like every page, with this build's stylesheet.
    assert!(
        page.body.contains(&format!(r#"href="{stylesheet}""#)),
        "{}",
        page.body
    );
    assert!(page.headers.get("content-security-policy").is_some());
    // A script's call gets the error its page knows how to show.
    let call = app
        .call("recover_start", "email=lin%40example.com", None)
        .await;
    assert_eq!(call.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(call.body, "\"Unavailable\"");

    // The database comes back: the server notices by itself.
    let _proxy = proxy.restore().await;
    wait_for_health(&app, StatusCode::OK).await;
    assert_eq!(app.get("/recover", None).await.status, StatusCode::OK);
    let call = app
        .call("recover_start", "email=lin%40example.com", None)
        .await;
    assert!(
        !call.status.is_server_error(),
        "{} {}",
        call.status,
        call.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_dropped_while_idle_are_not_handed_to_shoppers() {
    let (proxy, app) = behind_proxy().await;
    let app = Arc::new(app);
    // Several shoppers at once leave several connections in the pool.
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..8 {
        let app = app.clone();
        calls.spawn(async move {
            let form = format!("email=shopper{i}%40example.com");
            app.call("recover_start", &form, None).await.status
        });
    }
    while let Some(status) = calls.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let pooled = app.state.db.pool().size();
    assert!(pooled >= 3, "only {pooled} connections in the pool");

    // The database drops every connection (a restart, a proxy's idle cut) and is back at once;
    // the pool's connections are dead but nothing has used them yet.
    proxy.cut().await;
    let _proxy = proxy.restore().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // The next shopper is answered as usual: a connection idle this long is tested before use.
    let call = app
        .call("recover_start", "email=lin%40example.com", None)
        .await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(app.get("/recover", None).await.status, StatusCode::OK);
}

/// One HTTP/1.1 exchange on a fresh connection: status, head and body (as text).
async fn http(
    port: u16,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("Cookie: {cookie}\r\n")
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{cookie}\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// The server binary serving `db` on `port`, in development mode.
fn serve(db: &str, port: u16) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("serve")
        .env("REKEY_ENV", "development")
        .env("DATABASE_URL", db)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "rekey")
        // The site `make build` made (tests run in `server/`).
        .env(
            "LEPTOS_SITE_ROOT",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"),
        )
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env("SLIDER_POLICY", "never")
        .env("SMS_POLICY", "never")
        .env("HASH_THREADS", "1")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the server")
}

async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn healthy(port: u16) -> bool {
    match TcpStream::connect(("127.0.0.1", port)).await {
        Ok(_) => http(port, "GET", "/healthz", "", "").await.0 == 200,
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_journey_comes_back_where_the_shopper_was() {
    let dir = std::env::temp_dir().join(format!("rekey-kill-{}", backend::crypto::new_id()));
    let db = format!("sqlite://{}/rekey.db", dir.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let created = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "user",
            "create",
            "--email",
            "lin@example.com",
            "--password",
            support::PW,
        ])
        .env("DATABASE_URL", &db)
        .env("HASH_THREADS", "1")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let mut server = serve(&db, port);
    until("the server", || healthy(port)).await;
    let (status, head, _) = http(
        port,
        "POST",
        "/api/recover_start",
        "",
        "email=lin%40example.com",
    )
    .await;
    assert_eq!(status, 200, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: rekey_recovery="))
        .map(|v| format!("rekey_recovery={}", v.split(';').next().unwrap()))
        .expect("flow cookie");
    let (status, _, body) = http(port, "POST", "/api/recover_send", &cookie, "").await;
    assert_eq!(status, 200, "{body}");

    // SIGKILL: no shutdown, no flush.
    server.kill().unwrap();
    server.wait().unwrap();
    let mut server = serve(&db, port);
    until("the restarted server", || healthy(port)).await;

    // The code queued before the kill is delivered by the new process, and the flow goes on.
    let started = Instant::now();
    let code = loop {
        let (_, _, body) = http(port, "GET", "/dev/outbox.json?to=lin@example.com", "", "").await;
        let json: serde_json::Value = serde_json::from_str(body.trim()).unwrap_or_default();
        if let Some(s) = json[0]["subject"]
            .as_str()
            .filter(|s| s.contains("verification code"))
        {
            break s[..6].to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no code e-mail: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (status, _, body) = http(
        port,
        "POST",
        "/api/recover_check",
        &cookie,
        &format!("code={code}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = http(
        port,
        "POST",
        "/api/recover_password",
        &cookie,
        "password=Lighthouse4Meadow&confirm=Lighthouse4Meadow",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    until("the last e-mail", || async {
        let (_, _, body) = http(port, "GET", "/dev/outbox.json?to=lin@example.com", "", "").await;
        body.contains("password was changed")
    })
    .await;
    server.kill().unwrap();
    server.wait().unwrap();

    // The database file is whole, and nothing is left half-done.
    let state = support::test_app_on(&db, &[]).await.state;
    use sqlx::Row;
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(state.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(check, "ok");
    let count = |sql: &'static str| {
        let pool = state.db.pool().clone();
        async move {
            let n: i64 = sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            n
        }
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM recovery_flows WHERE step = 'done'").await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_log WHERE event = 'password_reset'").await,
        1
    );
}
