//! Shared fixtures for the router tests: the real router on a real database, called with
//! `oneshot` (no sockets).

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use backend::clock::ManualClock;
use backend::{AppState, Config};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use sqlx::Connection;
use std::sync::Arc;
use tower::ServiceExt;

pub const PW: &str = "Tangerine7Harbor";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: ManualClock,
}

/// The app on a new SQLite file.
pub async fn test_app(extra: &[(&str, &str)]) -> TestApp {
    test_app_on(&sqlite_url(), extra).await
}

/// A new SQLite file under the system temp folder.
pub fn sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("rekey-router-{}", backend::crypto::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}/rekey.db", dir.display())
}

/// A new database on the PostgreSQL server of `TEST_POSTGRES_URL` (`make test` sets it; never
/// skipped when missing).
pub async fn postgres_url() -> String {
    let base = std::env::var("TEST_POSTGRES_URL").expect(
        "TEST_POSTGRES_URL is not set: run `make test`, or point it at a PostgreSQL server",
    );
    sqlx::any::install_default_drivers();
    let name = format!("rekey_router_{}", backend::crypto::new_id());
    let mut admin = sqlx::AnyConnection::connect(&base).await.expect("connect");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (prefix, _) = base.rsplit_once('/').expect("URL has a database path");
    format!("{prefix}/{name}")
}

/// The app on the database at `url`, with a manual clock.
pub async fn test_app_on(url: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut pairs = vec![("DATABASE_URL", url), ("HASH_THREADS", "2")];
    pairs.extend_from_slice(extra);
    let config = Config::from_pairs(&pairs).unwrap();
    let clock = ManualClock::new(1_795_737_600);
    let state = AppState::start_with_clock(config, Arc::new(clock.clone()))
        .await
        .unwrap();
    let options = LeptosOptions::builder()
        .output_name("rekey")
        .site_root("target/site")
        .build();
    TestApp {
        router: server::app(
            state.clone(),
            options.clone(),
            &server::site::Files::named(&options).unwrap(),
        ),
        state,
        clock,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }
}

impl TestApp {
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A server function called the way the hydrated page calls it.
    pub async fn call(&self, endpoint: &str, form: &str, cookie: Option<&str>) -> Reply {
        self.call_raw(
            endpoint,
            form.as_bytes().to_vec(),
            cookie,
            "application/x-www-form-urlencoded",
        )
        .await
    }

    pub async fn call_raw(
        &self,
        endpoint: &str,
        body: Vec<u8>,
        cookie: Option<&str>,
        content_type: &str,
    ) -> Reply {
        let mut req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_LENGTH, body.len());
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut req = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// The six digits that start the subject of the newest message to `to` containing `kind`.
    pub async fn code_from_outbox(&self, to: &str, kind: &str) -> String {
        self.deliver().await;
        let messages = backend::outbox::dev_messages(&self.state.db, Some(to), 20)
            .await
            .unwrap();
        let m = messages
            .iter()
            .find(|m| m.subject.contains(kind))
            .unwrap_or_else(|| panic!("no {kind:?} message to {to}"));
        m.subject[..6].to_string()
    }

    pub async fn deliver(&self) {
        let dev = backend::outbox::DevOutbox::new(self.state.db.clone(), self.state.clock.clone());
        backend::outbox::deliver_due(&self.state.db, &dev, self.state.clock.now())
            .await
            .unwrap();
    }

    /// Registers and confirms through the server functions; returns the session cookie pair.
    pub async fn sign_up(&self, email: &str) -> String {
        let r = self
            .call(
                "register",
                &format!("email={email}&password={PW}&phone="),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let signup = pair(&r.cookie("rekey_signup").expect("signup cookie"));
        self.deliver().await;
        let json = self
            .get(&format!("/dev/outbox.json?to={email}"), None)
            .await;
        let messages: serde_json::Value = serde_json::from_str(&json.body).unwrap();
        let subject = messages[0]["subject"].as_str().unwrap().to_string();
        let code = &subject[..6];
        let r = self
            .call("confirm_signup", &format!("code={code}"), Some(&signup))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        pair(&r.cookie("rekey_session").expect("session cookie"))
    }
}

/// `name=value` from a `Set-Cookie` header.
pub fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}
