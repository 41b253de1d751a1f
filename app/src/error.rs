//! The errors the account pages can show: messages fit for a shopper, never internals.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Which form field an error belongs to (so it shows under that field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Email,
    Password,
    Phone,
    Code,
    /// The repeated new password.
    Confirm,
}

/// Everything that can go wrong on the sign-in, sign-up and account pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AccountError {
    #[error("{message}")]
    Field { field: Field, message: String },
    /// Wrong address or wrong password: one message, so a stranger learns nothing.
    #[error("Incorrect e-mail or password.")]
    Incorrect,
    #[error("Too many attempts. Try again in {minutes} minutes, or reset your password.")]
    Locked { minutes: i64 },
    #[error("That code is wrong. {} left.", tries(*tries_left))]
    WrongCode { tries_left: i64 },
    #[error("That code can no longer be used. Start again to get a new one.")]
    CodeDead,
    #[error("Your sign-up has expired. Please start again.")]
    NoSignup,
    /// A recovery code that ran out of tries or time: the code screen offers a new one.
    #[error("That code can no longer be used. Send yourself a new code below.")]
    RecoveryCodeDead,
    #[error("Please wait {seconds} seconds before asking for another code.")]
    CoolDown { seconds: i64 },
    #[error("We can't send more codes right now. Please try again tomorrow, or contact support.")]
    TooManyCodes,
    #[error("Too many wrong codes for this account. For your safety, please try again tomorrow or contact support.")]
    RecoveryLocked,
    #[error("Too many attempts from your network. Please try again in {minutes} minutes.")]
    Throttled { minutes: i64 },
    #[error("Couldn't verify, try again.")]
    NotVerified,
    #[error("We can't send a text message right now. Please contact support and we'll help you reset your password.")]
    SmsUnavailable,
    #[error("For your safety, slide to verify below, then sign in again.")]
    ChallengeRequired,
    #[error("Please sign in first.")]
    NotSignedIn,
    /// A "This wasn't me" link that was used already or is older than 7 days.
    #[error("This link was used already or has expired. If you still need help, use \u{201c}Forgot password?\u{201d} or contact support.")]
    LinkUsed,
    #[error("We're very busy right now. Please try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side. Please try again.")]
    Unavailable,
    #[error("We couldn't read that request. Please reload the page and try again.")]
    BadRequest(String),
}

fn tries(n: i64) -> String {
    if n == 1 {
        "1 try".into()
    } else {
        format!("{n} tries")
    }
}

impl AccountError {
    /// The message for `field`, if this error belongs to it.
    pub fn for_field(&self, field: Field) -> Option<String> {
        match self {
            AccountError::Field { field: f, message } if *f == field => Some(message.clone()),
            AccountError::WrongCode { .. }
            | AccountError::CodeDead
            | AccountError::RecoveryCodeDead
                if field == Field::Code =>
            {
                Some(self.to_string())
            }
            _ => None,
        }
    }

    /// The message shown above the form, for errors that belong to no single field.
    pub fn for_form(&self) -> Option<String> {
        match self {
            AccountError::Field { .. }
            | AccountError::WrongCode { .. }
            | AccountError::CodeDead
            | AccountError::RecoveryCodeDead => None,
            other => Some(other.to_string()),
        }
    }

    /// The HTTP status a script caller sees (4xx for anything the caller can fix, 503 for ours).
    pub fn status(&self) -> u16 {
        match self {
            AccountError::Field { .. }
            | AccountError::WrongCode { .. }
            | AccountError::CodeDead
            | AccountError::RecoveryCodeDead => 422,
            AccountError::Incorrect | AccountError::NotSignedIn => 401,
            AccountError::Locked { .. }
            | AccountError::CoolDown { .. }
            | AccountError::TooManyCodes
            | AccountError::RecoveryLocked
            | AccountError::Throttled { .. }
            | AccountError::SmsUnavailable => 429,
            AccountError::NotVerified | AccountError::ChallengeRequired => 403,
            AccountError::NoSignup | AccountError::BadRequest(_) => 400,
            AccountError::LinkUsed => 410,
            AccountError::Busy | AccountError::Unavailable => 503,
        }
    }
}

impl FromServerFnError for AccountError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Only malformed requests reach here (our own failures are mapped explicitly).
        AccountError::BadRequest(match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => m,
            other => other.to_string(),
        })
    }
}

/// The error of an action's last run, if it failed.
pub fn action_error<I: 'static, O: Clone + Send + Sync + 'static>(
    action: ServerAction<I>,
) -> Signal<Option<AccountError>>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AccountError> + Clone + Send + Sync,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_for_people() {
        assert_eq!(
            AccountError::WrongCode { tries_left: 1 }.to_string(),
            "That code is wrong. 1 try left."
        );
        assert_eq!(
            AccountError::WrongCode { tries_left: 3 }.to_string(),
            "That code is wrong. 3 tries left."
        );
        assert_eq!(
            AccountError::Incorrect.to_string(),
            "Incorrect e-mail or password."
        );
    }

    #[test]
    fn errors_find_their_place() {
        let e = AccountError::Field {
            field: Field::Email,
            message: "Bad".into(),
        };
        assert_eq!(e.for_field(Field::Email).as_deref(), Some("Bad"));
        assert_eq!(e.for_field(Field::Password), None);
        assert_eq!(e.for_form(), None);
        assert_eq!(
            AccountError::Incorrect.for_form().as_deref(),
            Some("Incorrect e-mail or password.")
        );
        assert!(AccountError::WrongCode { tries_left: 2 }
            .for_field(Field::Code)
            .is_some());
    }

    #[test]
    fn statuses_are_never_500() {
        for e in [
            AccountError::Incorrect,
            AccountError::Busy,
            AccountError::BadRequest(String::new()),
            AccountError::Locked { minutes: 1 },
            AccountError::NoSignup,
            AccountError::CodeDead,
            AccountError::RecoveryCodeDead,
            AccountError::CoolDown { seconds: 3 },
            AccountError::TooManyCodes,
            AccountError::RecoveryLocked,
            AccountError::Throttled { minutes: 2 },
        ] {
            assert!(e.status() != 500 && e.status() >= 400);
        }
    }
}
