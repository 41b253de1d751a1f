//! The forgot-password journey as an explicit state machine.
//!
//! A recovery flow is always at exactly one [`Step`]; each screen belongs to one step, and an
//! [`Event`] moves the flow on only from the steps where it makes sense. The slider challenge and
//! the SMS code are steps of their own that the flow enters only when the server asks for them,
//! so they plug in without changing the others:
//!
//! ```text
//! start ─┬─(challenge required)─> Challenge ─ChallengePassed─┐
//!        └──────────────────────────────────────────────────> Verify ─CodeSent─> Code
//! Code ─CodeSent (resend)─> Code
//! Code ─CodeVerified{sms}─┬─(sms)──> Sms ─SmsVerified─┐
//!                         └──────────────────────────> Password ─PasswordSet─> Done
//! ```

use serde::{Deserialize, Serialize};

/// Where a recovery flow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Step {
    /// The slider must be passed first (only when the risk policy asks for it).
    Challenge,
    /// "Verify your identity": the masked address and "Send me a verification code".
    Verify,
    /// A code was sent: enter it (or ask for another after the cool-down).
    Code,
    /// The e-mailed code was right; a second code went by SMS.
    Sms,
    /// Every code was right: choose a new password (the single-use grant).
    Password,
    /// The password was changed; the flow is spent.
    Done,
}

/// What happened to a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    ChallengePassed,
    CodeSent,
    /// The e-mailed code was right; `sms_required` when the risk policy wants the SMS step too.
    CodeVerified {
        sms_required: bool,
    },
    SmsVerified,
    PasswordSet,
}

/// An event that does not fit the flow's step (a stale tab, a replayed request, a skipped step).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{event:?} is not possible at step {step:?}")]
pub struct OutOfOrder {
    pub step: Step,
    pub event: Event,
}

impl Step {
    /// Every step, in journey order.
    pub const ALL: [Step; 6] = [
        Step::Challenge,
        Step::Verify,
        Step::Code,
        Step::Sms,
        Step::Password,
        Step::Done,
    ];

    /// The first step of a new flow.
    pub fn first(challenge_required: bool) -> Step {
        if challenge_required {
            Step::Challenge
        } else {
            Step::Verify
        }
    }

    /// The step after `event`, or why the event cannot happen now.
    pub fn after(self, event: Event) -> Result<Step, OutOfOrder> {
        use {Event as E, Step as S};
        match (self, event) {
            (S::Challenge, E::ChallengePassed) => Ok(S::Verify),
            // Sending from Verify is the first code; from Code it is a resend.
            (S::Verify | S::Code, E::CodeSent) => Ok(S::Code),
            (S::Code, E::CodeVerified { sms_required: true }) => Ok(S::Sms),
            (
                S::Code,
                E::CodeVerified {
                    sms_required: false,
                },
            )
            | (S::Sms, E::SmsVerified) => Ok(S::Password),
            (S::Password, E::PasswordSet) => Ok(S::Done),
            (step, event) => Err(OutOfOrder { step, event }),
        }
    }

    /// The screen of this step.
    pub fn path(self) -> &'static str {
        match self {
            Step::Challenge => "/recover/check",
            Step::Verify => "/recover/verify",
            Step::Code => "/recover/code",
            Step::Sms => "/recover/sms",
            Step::Password => "/recover/password",
            Step::Done => "/recover/done",
        }
    }

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Challenge => "challenge",
            Step::Verify => "verify",
            Step::Code => "code",
            Step::Sms => "sms",
            Step::Password => "password",
            Step::Done => "done",
        }
    }

    /// The step named `name` in the database.
    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the screen of `screen` may be shown while the flow is at this step.
    ///
    /// Only the step's own screen, with one forgiving exception: going back from the code
    /// screen to "Verify your identity" (the browser's Back button) shows it again.
    pub fn shows(self, screen: Step) -> bool {
        self == screen || (self == Step::Code && screen == Step::Verify)
    }

    /// Where a browser asking for `screen` should go instead, if anywhere.
    pub fn redirect_for(self, screen: Step) -> Option<&'static str> {
        (!self.shows(screen)).then(|| self.path())
    }
}

/// What the recovery screens know about this browser's flow: enough to draw the step, nothing
/// that differs between an address with an account and one without. The code fields describe
/// the code of the current step: the e-mailed one, or at the SMS step the texted one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowView {
    pub step: Step,
    /// The address as typed, masked (`l***n@example.com`).
    pub masked: String,
    /// Whether a code has been sent in this flow.
    pub code_sent: bool,
    /// Seconds until "Resend code" may be used (0: now).
    pub resend_in: i64,
    /// Wrong tries left for the current code.
    pub tries_left: i64,
    /// The current code can no longer be used (out of tries or expired): send a new one.
    pub code_dead: bool,
    /// Whether another code may be sent in this flow at all (per-flow and per-account caps).
    pub can_send: bool,
    /// The masked phone number (`+44 •••• ••• 789`), only at the SMS step.
    pub phone: Option<String>,
    /// The account's address as stored, only at the password step (the owner has proved it by
    /// then): the checklist applies "not your e-mail", and the form's hidden username field
    /// tells password managers whose password it is.
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [Event; 6] = [
        Event::ChallengePassed,
        Event::CodeSent,
        Event::CodeVerified {
            sms_required: false,
        },
        Event::CodeVerified { sms_required: true },
        Event::SmsVerified,
        Event::PasswordSet,
    ];

    #[test]
    fn the_journey_in_order() {
        let mut step = Step::first(true);
        assert_eq!(step, Step::Challenge);
        for (event, expected) in [
            (Event::ChallengePassed, Step::Verify),
            (Event::CodeSent, Step::Code),
            (Event::CodeSent, Step::Code),
            (Event::CodeVerified { sms_required: true }, Step::Sms),
            (Event::SmsVerified, Step::Password),
            (Event::PasswordSet, Step::Done),
        ] {
            step = step.after(event).unwrap();
            assert_eq!(step, expected);
        }
        assert_eq!(Step::first(false), Step::Verify);
        assert_eq!(
            Step::Code.after(Event::CodeVerified {
                sms_required: false
            }),
            Ok(Step::Password)
        );
    }

    #[test]
    fn every_out_of_order_event_is_refused() {
        let allowed = |s: Step, e: Event| {
            matches!(
                (s, e),
                (Step::Challenge, Event::ChallengePassed)
                    | (Step::Verify | Step::Code, Event::CodeSent)
                    | (Step::Code, Event::CodeVerified { .. })
                    | (Step::Sms, Event::SmsVerified)
                    | (Step::Password, Event::PasswordSet)
            )
        };
        let mut refused = 0;
        for step in Step::ALL {
            for event in EVENTS {
                let result = step.after(event);
                assert_eq!(result.is_ok(), allowed(step, event), "{step:?} + {event:?}");
                if let Err(e) = result {
                    assert_eq!(e, OutOfOrder { step, event });
                    refused += 1;
                }
            }
        }
        // 36 pairs, 7 of them allowed.
        assert_eq!(refused, 29);
        // Nothing leaves Done; a password cannot be set twice.
        assert!(EVENTS.iter().all(|e| Step::Done.after(*e).is_err()));
    }

    #[test]
    fn screens_redirect_to_the_flow_step() {
        assert_eq!(
            Step::Verify.redirect_for(Step::Password),
            Some("/recover/verify")
        );
        assert_eq!(
            Step::Code.redirect_for(Step::Password),
            Some("/recover/code")
        );
        assert_eq!(
            Step::Code.redirect_for(Step::Verify),
            None,
            "Back from the code screen"
        );
        assert_eq!(
            Step::Password.redirect_for(Step::Code),
            Some("/recover/password")
        );
        assert_eq!(
            Step::Done.redirect_for(Step::Password),
            Some("/recover/done")
        );
        for step in Step::ALL {
            assert_eq!(step.redirect_for(step), None);
            assert_eq!(Step::parse(step.as_str()), Some(step));
            assert!(step.path().starts_with("/recover/"));
        }
        assert_eq!(Step::parse("nonsense"), None);
    }
}
