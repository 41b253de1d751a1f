//! Everything that runs only on the server: storage, password hashing, sessions, accounts and
//! the outbox. The `app` crate reaches this crate only under its `ssr` feature, so none of it
//! (sqlx, argon2, HMAC keys) can end up in the WebAssembly.

pub mod accounts;
pub mod activity;
pub mod challenge;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod devices;
pub mod disown;
pub mod hasher;
pub mod limits;
pub mod mail;
pub mod net;
pub mod outbox;
pub mod recovery;
pub mod sessions;
pub mod slider;
pub mod sms;
pub mod smtp;
pub mod state;
pub mod turns;

pub use config::Config;
pub use db::Db;
pub use state::AppState;
