//! Sign in, sign up (confirmed by an e-mailed code), and the account page.

mod activity;
mod confirm;
mod login;
mod profile;
mod register;
mod wasnt_me;

pub use activity::{Activity, ActivityEntry, ActivityPage};
pub use confirm::ConfirmPage;
pub use login::{login_challenge, login_challenge_answer, LoginPage};
pub use profile::AccountPage;
pub use register::RegisterPage;
pub use wasnt_me::{Reported, WasntMePage};

use domain::Policy;
use leptos::prelude::*;

/// The password policy in force (configuration lives on the server; the checklist needs it).
#[server(endpoint = "password_policy")]
pub async fn password_policy() -> Result<Policy, crate::error::AccountError> {
    Ok(crate::ssr::state()?.config.password_policy)
}
