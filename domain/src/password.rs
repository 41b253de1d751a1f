//! The password policy: one definition for the live checklist in the browser and for the
//! server's enforcement.

mod strength;

use serde::{Deserialize, Serialize};
use std::str::FromStr;

pub use strength::{strength, Feedback, Strength};

/// Longest password accepted, in Unicode code points; longer input is refused before hashing.
pub const MAX_LEN: usize = 128;

/// The lowest strength score (0–4) a new password must reach.
pub const MIN_STRENGTH: u8 = 2;

/// Which rule set applies to new passwords (config `PASSWORD_POLICY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Policy {
    /// The shop's stated rule: 8–128 characters, a capital letter and a number.
    #[default]
    Shop,
    /// NIST SP 800-63B-4 / ASVS 5.0: no character classes, at least 15 characters.
    Nist,
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "shop" => Ok(Policy::Shop),
            "nist" => Ok(Policy::Nist),
            other => Err(format!(
                "unknown password policy {other:?} (expected shop or nist)"
            )),
        }
    }
}

impl Policy {
    /// Fewest code points allowed.
    pub fn min_len(self) -> usize {
        match self {
            Policy::Shop => 8,
            Policy::Nist => 15,
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleId {
    Length,
    Capital,
    Number,
    NotEmail,
    NotCommon,
    Strong,
}

/// A rule and whether the password meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    pub id: RuleId,
    pub met: bool,
}

/// Every rule of `policy`, in checklist order, judged against `password`.
///
/// `email` is what the person typed as their address (may be empty or malformed while typing).
pub fn rule_results(policy: Policy, password: &str, email: &str) -> Vec<RuleResult> {
    let len = password.chars().count();
    let lower = password.to_lowercase();
    let mut rules = vec![RuleResult {
        id: RuleId::Length,
        met: (policy.min_len()..=MAX_LEN).contains(&len),
    }];
    if policy == Policy::Shop {
        rules.push(RuleResult {
            id: RuleId::Capital,
            met: password.chars().any(char::is_uppercase),
        });
        rules.push(RuleResult {
            id: RuleId::Number,
            met: password.chars().any(char::is_numeric),
        });
    }
    rules.push(RuleResult {
        id: RuleId::NotEmail,
        met: !password.is_empty() && !is_email_like(&lower, email),
    });
    rules.push(RuleResult {
        id: RuleId::NotCommon,
        met: !password.is_empty() && !strength::is_common(&lower),
    });
    rules.push(RuleResult {
        id: RuleId::Strong,
        met: strength(password, &[email]).score >= MIN_STRENGTH,
    });
    rules
}

/// The rule a password broke, under the policy that set it (the message names its numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broken {
    pub rule: RuleId,
    pub policy: Policy,
}

/// The first rule `password` breaks, if any: what the server enforces.
pub fn check(policy: Policy, password: &str, email: &str) -> Result<(), Broken> {
    match rule_results(policy, password, email)
        .into_iter()
        .find(|r| !r.met)
    {
        Some(broken) => Err(Broken {
            rule: broken.id,
            policy,
        }),
        None => Ok(()),
    }
}

fn is_email_like(lower_pw: &str, email: &str) -> bool {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return false;
    }
    let local = email.rsplit_once('@').map_or(email.as_str(), |(l, _)| l);
    lower_pw == email || (local.chars().count() >= 3 && lower_pw == local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unmet(policy: Policy, pw: &str, email: &str) -> Vec<RuleId> {
        rule_results(policy, pw, email)
            .into_iter()
            .filter(|r| !r.met)
            .map(|r| r.id)
            .collect()
    }

    #[test]
    fn shop_policy_rules() {
        assert_eq!(
            unmet(Policy::Shop, "", ""),
            vec![
                RuleId::Length,
                RuleId::Capital,
                RuleId::Number,
                RuleId::NotEmail,
                RuleId::NotCommon,
                RuleId::Strong
            ]
        );
        assert_eq!(
            unmet(Policy::Shop, "Tangerine7Harbor", "lin@example.com"),
            vec![]
        );
        assert_eq!(
            unmet(Policy::Shop, "tangerine7harbor", ""),
            vec![RuleId::Capital]
        );
        assert_eq!(
            unmet(Policy::Shop, "TangerineHarbor", ""),
            vec![RuleId::Number]
        );
        assert!(unmet(Policy::Shop, "Tg7x", "").contains(&RuleId::Length));
    }

    #[test]
    fn length_counts_code_points_not_bytes() {
        // 8 code points, 16+ bytes: long enough.
        let pw = "Ünïcödé9";
        assert_eq!(pw.chars().count(), 8);
        assert!(rule_results(Policy::Shop, pw, "")
            .iter()
            .any(|r| r.id == RuleId::Length && r.met));
        let long = format!("A1{}", "ß".repeat(MAX_LEN - 1));
        assert!(unmet(Policy::Shop, &long, "").contains(&RuleId::Length));
    }

    #[test]
    fn refuses_the_email_and_its_local_part() {
        assert!(
            unmet(Policy::Shop, "Lin.Chen2024@x.io", "lin.chen2024@x.io")
                .contains(&RuleId::NotEmail)
        );
        assert!(unmet(
            Policy::Nist,
            "lindachen1984abc",
            "LindaChen1984abc@example.com"
        )
        .contains(&RuleId::NotEmail));
    }

    #[test]
    fn refuses_common_passwords_whatever_the_case() {
        assert!(unmet(Policy::Shop, "Password1", "").contains(&RuleId::NotCommon));
        assert!(unmet(Policy::Nist, "QWERTYUIOP", "").contains(&RuleId::NotCommon));
    }

    #[test]
    fn nist_has_no_class_rules_but_wants_15() {
        assert_eq!(unmet(Policy::Nist, "lantern orchard meadow", ""), vec![]);
        assert_eq!(unmet(Policy::Nist, "lantern orchard", ""), vec![]);
        assert_eq!(
            unmet(Policy::Nist, "lantern orchar", ""),
            vec![RuleId::Length]
        );
    }

    #[test]
    fn check_reports_the_first_broken_rule() {
        let broken = check(Policy::Shop, "tangerine7harbor", "").unwrap_err();
        assert_eq!(broken.rule, RuleId::Capital);
        assert!(check(Policy::Shop, "Tangerine7Harbor", "").is_ok());
    }

    #[test]
    fn policy_from_config() {
        assert_eq!("nist".parse::<Policy>(), Ok(Policy::Nist));
        assert!("loose".parse::<Policy>().is_err());
    }
}
