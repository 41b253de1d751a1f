//! The errors the account pages can show: messages fit for a shopper, never internals.

use crate::lang::{td_string, Locale};
use domain::code::CodeError;
use domain::email::EmailError;
use domain::password::Broken;
use domain::phone::PhoneError;
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

/// What is wrong with one field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    Email(EmailError),
    Code(CodeError),
    Phone(PhoneError),
    /// A new password that breaks a rule of the policy.
    Password(Broken),
    PasswordMissing,
    /// The current password, asked again before a change, is not right.
    PasswordWrong,
    /// The repeated new password differs.
    Mismatch,
}

impl Problem {
    /// The sentence under the field, in `l`.
    pub fn message(&self, l: Locale) -> String {
        match self {
            Problem::Email(e) => texts::email_error(l, *e).into(),
            Problem::Code(e) => texts::code_error(l, *e).into(),
            Problem::Phone(e) => texts::phone_error(l, *e).into(),
            Problem::Password(broken) => texts::broken_rule(l, broken),
            Problem::PasswordMissing => td_string!(l, error.password_missing).into(),
            Problem::PasswordWrong => td_string!(l, error.password_wrong).into(),
            Problem::Mismatch => td_string!(l, error.mismatch).into(),
        }
    }
}

impl From<EmailError> for Problem {
    fn from(e: EmailError) -> Self {
        Problem::Email(e)
    }
}

impl From<CodeError> for Problem {
    fn from(e: CodeError) -> Self {
        Problem::Code(e)
    }
}

impl From<PhoneError> for Problem {
    fn from(e: PhoneError) -> Self {
        Problem::Phone(e)
    }
}

impl From<Broken> for Problem {
    fn from(b: Broken) -> Self {
        Problem::Password(b)
    }
}

/// Everything that can go wrong on the sign-in, sign-up and account pages. Each is worded in
/// the page's language when shown ([`AccountError::message`]); the server sends only which one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountError {
    Field {
        field: Field,
        problem: Problem,
    },
    /// Wrong address or wrong password: one message, so a stranger learns nothing.
    Incorrect,
    Locked {
        minutes: i64,
    },
    WrongCode {
        tries_left: i64,
    },
    CodeDead,
    NoSignup,
    /// A recovery code that ran out of tries or time: the code screen offers a new one.
    RecoveryCodeDead,
    CoolDown {
        seconds: i64,
    },
    TooManyCodes,
    RecoveryLocked,
    Throttled {
        minutes: i64,
    },
    NotVerified,
    SmsUnavailable,
    ChallengeRequired,
    NotSignedIn,
    /// A "This wasn't me" link that was used already or is older than 7 days.
    LinkUsed,
    Busy,
    Unavailable,
    BadRequest(String),
}

impl AccountError {
    /// What a shopper reads, in `l`.
    pub fn message(&self, l: Locale) -> String {
        use AccountError as E;
        match self {
            E::Field { problem, .. } => problem.message(l),
            E::Incorrect => td_string!(l, error.incorrect).into(),
            E::Locked { minutes } => td_string!(l, error.locked, count = *minutes),
            E::WrongCode { tries_left } => td_string!(l, error.wrong_code, count = *tries_left),
            E::CodeDead => td_string!(l, error.code_dead).into(),
            E::NoSignup => td_string!(l, error.no_signup).into(),
            E::RecoveryCodeDead => td_string!(l, error.recovery_code_dead).into(),
            E::CoolDown { seconds } => td_string!(l, error.cool_down, count = *seconds),
            E::TooManyCodes => td_string!(l, error.too_many_codes).into(),
            E::RecoveryLocked => td_string!(l, error.recovery_locked).into(),
            E::Throttled { minutes } => td_string!(l, error.throttled, count = *minutes),
            E::NotVerified => td_string!(l, error.not_verified).into(),
            E::SmsUnavailable => td_string!(l, error.sms_unavailable).into(),
            E::ChallengeRequired => td_string!(l, error.challenge_required).into(),
            E::NotSignedIn => td_string!(l, error.not_signed_in).into(),
            E::LinkUsed => td_string!(l, error.link_used).into(),
            E::Busy => td_string!(l, error.busy).into(),
            E::Unavailable => td_string!(l, error.unavailable).into(),
            E::BadRequest(_) => td_string!(l, error.bad_request).into(),
        }
    }

    /// The message for `field`, if this error belongs to it.
    pub fn for_field(&self, field: Field, l: Locale) -> Option<String> {
        match self {
            AccountError::Field { field: f, .. } if *f == field => Some(self.message(l)),
            AccountError::WrongCode { .. }
            | AccountError::CodeDead
            | AccountError::RecoveryCodeDead
                if field == Field::Code =>
            {
                Some(self.message(l))
            }
            _ => None,
        }
    }

    /// The message shown above the form, for errors that belong to no single field.
    pub fn for_form(&self, l: Locale) -> Option<String> {
        match self {
            AccountError::Field { .. }
            | AccountError::WrongCode { .. }
            | AccountError::CodeDead
            | AccountError::RecoveryCodeDead => None,
            other => Some(other.message(l)),
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

/// In logs and for script callers: the English message.
impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Locale::en))
    }
}

impl std::error::Error for AccountError {}

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

/// What `error` says about `field`, in `l`: the error signal of that field's input.
pub fn on_field(
    error: Signal<Option<AccountError>>,
    field: Field,
    l: Locale,
) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field, l)))
}

/// What `error` says about the form as a whole, in `l`: the error signal of its `FormAlert`.
pub fn on_form(error: Signal<Option<AccountError>>, l: Locale) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_form(l)))
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
        // Each language's own plural rules: Russian has three forms for whole numbers.
        let ru = |n| AccountError::WrongCode { tries_left: n }.message(Locale::ru);
        assert_ne!(ru(1), ru(2));
        assert_ne!(ru(2), ru(5));
        assert_eq!(ru(1).replace('1', "21"), ru(21));
        assert_eq!(
            AccountError::Incorrect.to_string(),
            "Incorrect e-mail or password."
        );
    }

    #[test]
    fn errors_find_their_place() {
        let e = AccountError::Field {
            field: Field::Email,
            problem: Problem::Email(EmailError::Malformed),
        };
        let english = Locale::en;
        assert_eq!(
            e.for_field(Field::Email, english).as_deref(),
            Some("Enter an e-mail address like name@example.com.")
        );
        assert_eq!(e.for_field(Field::Password, english), None);
        assert_eq!(e.for_form(english), None);
        assert_eq!(
            AccountError::Incorrect.for_form(english).as_deref(),
            Some("Incorrect e-mail or password.")
        );
        assert!(AccountError::WrongCode { tries_left: 2 }
            .for_field(Field::Code, english)
            .is_some());
        assert_ne!(
            AccountError::Incorrect.message(Locale::zh),
            AccountError::Incorrect.message(english)
        );
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
