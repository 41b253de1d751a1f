//! The one shared state every request handler and server function reads.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::{random_bytes, Secret};
use crate::db::{col, Db, DbError};
use crate::hasher::{HashError, Hasher};
use std::sync::Arc;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("{0}")]
    Hasher(#[from] HashError),
    #[error("the stored development secret key is unreadable; delete the settings row 'secret_key' to make a new one")]
    BadStoredSecret,
}

/// Options, database, hashing pool, clock and secret key.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub hasher: Hasher,
    pub clock: Arc<dyn Clock>,
    pub secret: Secret,
    /// The key before the last rotation, if configured.
    pub previous_secret: Option<Secret>,
    /// Turns in this process: the sign-ins of one address take them (`accounts`).
    pub turns: crate::turns::Turns,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens and migrates the database, loads the secret key and starts the hashing pool.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        Self::start_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`AppState::start`] with a given clock (tests).
    pub async fn start_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let db = Db::connect(&config.database_url).await?;
        db.migrate().await?;
        // Notices an unreachable database within seconds (pages then answer 503 at once).
        db.watch(std::time::Duration::from_secs(2));
        let secret = match &config.secret_key {
            Some(key) => Secret::new(key.clone()),
            None => dev_secret(&db).await?,
        };
        let hasher = Hasher::start(config.argon2_cost(), config.hash_threads, config.hash_queue)?;
        let previous_secret = config.previous_secret_key.clone().map(Secret::new);
        Ok(AppState {
            config: Arc::new(config),
            db,
            hasher,
            clock,
            secret,
            previous_secret,
            turns: crate::turns::Turns::default(),
        })
    }
}

impl AppState {
    /// The key whose id is `kid`: the current one or the one before the last rotation.
    pub fn secret_for(&self, kid: &str) -> Option<&Secret> {
        std::iter::once(&self.secret)
            .chain(self.previous_secret.as_ref())
            .find(|s| s.key_id() == kid)
    }
}

/// In development the secret key is generated on first start and kept in the database, so
/// codes and sessions survive a restart and every process on one database shares it.
async fn dev_secret(db: &Db) -> Result<Secret, StartError> {
    sqlx::query("INSERT INTO settings (name, value) VALUES ('secret_key', $1) ON CONFLICT (name) DO NOTHING")
        .bind(hex::encode(random_bytes::<32>()))
        .execute(db.pool())
        .await?;
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'secret_key'")
        .fetch_one(db.pool())
        .await?;
    let value: String = col(&row, "value")?;
    hex::decode(value)
        .map(Secret::new)
        .map_err(|_| StartError::BadStoredSecret)
}
