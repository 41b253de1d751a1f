//! Rules that the browser and the server must agree on, in pure code with no I/O.
//!
//! The same functions draw the live checklist in the browser and enforce the policy on the
//! server, so the two can never disagree.

pub mod account;
pub mod agent;
pub mod code;
pub mod email;
pub mod password;
pub mod phone;
pub mod pow;
pub mod recovery;
pub mod time;

pub use code::Code;
pub use email::{Email, EmailError};
pub use password::{Policy, RuleId, RuleResult, Strength};
pub use phone::{Phone, PhoneError};
pub use recovery::{FlowView, Step};
