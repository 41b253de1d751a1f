//! Test fixtures: a real SQLite file or a real, fresh PostgreSQL database per test.

#![allow(dead_code)]

use backend::clock::ManualClock;
use backend::{AppState, Config};
use sqlx::Connection;
use std::sync::Arc;

/// Start of every test's clock: 2026-11-27 00:00:00 UTC.
pub const T0: i64 = 1_795_737_600;

/// A database for one test, and how to reach it.
pub struct Fixture {
    pub url: String,
    pub clock: ManualClock,
}

impl Fixture {
    /// A state on this database with the given extra settings.
    pub async fn state(&self, extra: &[(&str, &str)]) -> AppState {
        let mut pairs = vec![("DATABASE_URL", self.url.as_str()), ("HASH_THREADS", "2")];
        pairs.extend_from_slice(extra);
        let config = Config::from_pairs(&pairs).expect("test config");
        AppState::start_with_clock(config, Arc::new(self.clock.clone()))
            .await
            .expect("state starts")
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        backend::crypto::new_id()
    )
}

/// A new SQLite file under the system temp folder.
pub async fn sqlite() -> Fixture {
    let dir = std::env::temp_dir().join(unique("rekey"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    Fixture {
        url: format!("sqlite://{}/rekey.db", dir.display()),
        clock: ManualClock::new(T0),
    }
}

/// A new database on the PostgreSQL server named by `TEST_POSTGRES_URL`.
///
/// Panics when it is not set: these tests never skip silently (`make test` sets it).
pub async fn postgres() -> Fixture {
    let base = std::env::var("TEST_POSTGRES_URL").expect(
        "TEST_POSTGRES_URL is not set: run `make test`, or point it at a PostgreSQL server whose user may CREATE DATABASE",
    );
    sqlx::any::install_default_drivers();
    let name = unique("rekey_test");
    let mut admin = sqlx::AnyConnection::connect(&base)
        .await
        .expect("connect to TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (prefix, _) = base.rsplit_once('/').expect("URL has a database path");
    Fixture {
        url: format!("{prefix}/{name}"),
        clock: ManualClock::new(T0),
    }
}

/// Runs the requests all at once, on the test runtime's threads; their answers in order.
pub async fn race<T, F>(requests: Vec<F>) -> Vec<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = requests.into_iter().map(tokio::spawn).collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the request ran to its end"));
    }
    answers
}

/// "Send code" for each token from `network`, all at once; their answers in order.
pub async fn race_sends(
    state: &AppState,
    tokens: Vec<String>,
    network: &'static str,
) -> Vec<Result<domain::recovery::Step, backend::recovery::RecoveryError>> {
    let sends = tokens.into_iter().map(|token| {
        let state = state.clone();
        async move { backend::recovery::send_code(&state, &token, network).await }
    });
    race(sends.collect()).await
}

/// Runs each named async test function against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::support::sqlite().await).await }) *
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::support::postgres().await).await }) *
        }
    };
}

/// The code of the newest recovery e-mail to `to`, read from the dev outbox after delivering
/// what waits.
pub async fn recovery_code(state: &AppState, to: &str) -> Option<String> {
    use backend::outbox::{self, DevOutbox};
    let dev = DevOutbox::new(state.db.clone(), state.clock.clone());
    outbox::deliver_due(&state.db, &dev, state.clock.now())
        .await
        .expect("deliver");
    outbox::dev_messages(&state.db, Some(to), 20)
        .await
        .expect("messages")
        .iter()
        .find(|m| m.subject.contains("verification code"))
        .map(|m| m.subject[..6].to_string())
}

/// A six-digit code that is not `code`: a wrong guess that cannot be right by chance.
pub fn other_than(code: &str) -> &'static str {
    if code == "111111" {
        "222222"
    } else {
        "111111"
    }
}

/// What the recovery flow of `token` shows, which must still be open.
pub async fn flow_view(state: &AppState, token: &str) -> domain::recovery::FlowView {
    backend::recovery::view(state, token)
        .await
        .expect("read the flow")
        .expect("the flow is open")
}
