//! Configuration from environment variables, with defaults fit for `make run`.

use domain::Policy;
use std::str::FromStr;

/// Development (demo outbox, `/dev/*` routes) or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Development,
    Production,
}

/// When an extra step is asked for: the slider (DESIGN.md §2 step 3) or the SMS code (step 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepPolicy {
    Always,
    /// Only on risky signals (slider: recent codes for the address, many starts from the
    /// network, earlier failures; SMS: a device not seen before, recent failures, a flag).
    Risk,
    Never,
}

impl FromStr for StepPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(StepPolicy::Always),
            "risk" => Ok(StepPolicy::Risk),
            "never" => Ok(StepPolicy::Never),
            other => Err(format!("expected always, risk or never, not {other:?}")),
        }
    }
}

/// A configuration value that cannot be used; the message names the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("{name} must be set in production mode ({why})")]
    Missing {
        name: &'static str,
        why: &'static str,
    },
}

/// Every setting of the server. See the README's configuration table.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub database_url: String,
    /// Hex-encoded secret key; `None` in development means "generate and keep one in the database".
    pub secret_key: Option<Vec<u8>>,
    /// The key before the last rotation: challenges it signed are still accepted.
    pub previous_secret_key: Option<Vec<u8>>,
    /// When the slider is shown.
    pub slider_policy: StepPolicy,
    /// When recovery also asks for a code by SMS (accounts with a phone only).
    pub sms_policy: StepPolicy,
    /// The SMS provider (Twilio-style): base URL, account id, token, sender. `None`: dev outbox.
    pub sms_url: Option<String>,
    pub sms_account: String,
    pub sms_token: String,
    pub sms_from: String,
    /// Anti-pumping caps: texts per number per hour and day, per country code per hour and
    /// day, and in all per day.
    pub sms_per_number_hour: i64,
    pub sms_per_number_day: i64,
    pub sms_per_country_hour: i64,
    pub sms_per_country_day: i64,
    pub sms_per_day: i64,
    /// How long "remember this device" lasts.
    pub device_days: i64,
    /// Failed challenges (per flow/address or network, 15 minutes) before the harder tier, and
    /// before a 15-minute cool-down.
    pub challenge_harder_after: i64,
    pub challenge_cooldown_after: i64,
    /// Proof-of-work search size (hashes a browser scans at most; doubled in the harder tier).
    pub pow_work: u32,
    pub smtp_url: Option<String>,
    pub shop_name: String,
    pub password_policy: Policy,
    pub session_idle_secs: i64,
    pub session_max_secs: i64,
    pub cookie_secure: bool,
    /// Threads of the async runtime that answers requests: one per core unless set. (On the
    /// 2-core bench host one thread measured within noise of two on SQLite, and 5–8 % slower
    /// on PostgreSQL, whose driver works on the runtime; README, `make bench`.)
    pub request_threads: usize,
    pub hash_threads: usize,
    pub hash_queue: usize,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub login_challenge_after: i64,
    pub login_lock_after: i64,
    pub login_window_secs: i64,
    pub login_lock_secs: i64,
    pub code_lifetime_secs: i64,
    pub code_tries: i64,
    /// Sign-up e-mails one address may receive per hour (mail-bombing bound).
    pub signup_mails_per_hour: i64,
    /// The sender of every e-mail (`Name <address>`).
    pub mail_from: String,
    /// How long a forgot-password flow lives.
    pub recovery_flow_secs: i64,
    /// How long the new-password step stays open after the last right code (single use).
    pub reset_grant_secs: i64,
    /// Wait before another code may be sent in one flow.
    pub resend_cooldown_secs: i64,
    /// Codes one flow may send.
    pub codes_per_flow: i64,
    /// Codes one address may be sent per rolling 24 hours, across flows.
    pub codes_per_account_per_day: i64,
    /// Wrong codes one address may see per rolling 24 hours, across flows and codes.
    pub wrong_codes_per_account_per_day: i64,
    /// Recovery starts, code sends and code checks from one network per 15 minutes (each).
    pub recovery_per_network: i64,
    /// E-mail "no account uses this address" when recovery starts for an unknown address.
    pub recovery_notify_unknown: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, blocks like 10.0.0.0/8).
    pub trusted_proxies: Vec<crate::net::Cidr>,
    /// The origin shoppers use (`PUBLIC_URL`, e.g. `https://account.example.com`): state-changing
    /// requests must come from it. Unset: from the host the request was sent to.
    pub public_origin: Option<String>,
    /// Where links in e-mails point: `PUBLIC_URL`, else the address the server listens on
    /// (`LEPTOS_SITE_ADDR`, default 127.0.0.1:3000).
    pub link_origin: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get`, so tests can pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&get);
        let mode = match env.raw("REKEY_ENV").as_deref() {
            None | Some("development" | "dev") => Mode::Development,
            Some("production" | "prod") => Mode::Production,
            Some(other) => {
                return Err(invalid(
                    "REKEY_ENV",
                    other,
                    "expected development or production",
                ))
            }
        };
        let secret_key = match env.raw("SECRET_KEY") {
            None => None,
            Some(hex_key) => {
                let bytes = hex::decode(hex_key.trim())
                    .map_err(|_| invalid("SECRET_KEY", "(hidden)", "must be hexadecimal"))?;
                if bytes.len() < 32 {
                    return Err(invalid(
                        "SECRET_KEY",
                        "(hidden)",
                        "must be at least 32 bytes (64 hex digits)",
                    ));
                }
                Some(bytes)
            }
        };
        let previous_secret_key =
            match env.raw("PREVIOUS_SECRET_KEY") {
                None => None,
                Some(hex_key) => Some(hex::decode(hex_key.trim()).map_err(|_| {
                    invalid("PREVIOUS_SECRET_KEY", "(hidden)", "must be hexadecimal")
                })?),
            };
        let smtp_url = env.raw("SMTP_URL");
        if mode == Mode::Production {
            if secret_key.is_none() {
                return Err(ConfigError::Missing {
                    name: "SECRET_KEY",
                    why: "64+ hex digits, e.g. from `openssl rand -hex 32`; shared by every server process",
                });
            }
            if smtp_url.is_none() {
                return Err(ConfigError::Missing {
                    name: "SMTP_URL",
                    why: "e.g. smtps://user:password@mail.example.com; production never uses the dev outbox",
                });
            }
        }
        let trusted_proxies = match env.raw("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => crate::net::parse_list(&list)
                .map_err(|e| invalid("TRUSTED_PROXIES", &list, &e.to_string()))?,
        };
        let public_origin = env
            .raw("PUBLIC_URL")
            .map(|u| u.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|u| !u.is_empty());
        if let Some(u) = &public_origin {
            let host = u
                .strip_prefix("https://")
                .or_else(|| u.strip_prefix("http://"));
            if host.is_none_or(|h| h.is_empty() || h.contains('/')) {
                return Err(invalid(
                    "PUBLIC_URL",
                    u,
                    "expected an origin like https://account.example.com (no path)",
                ));
            }
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let config = Config {
            mode,
            database_url: env
                .raw("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/rekey.db".into()),
            secret_key,
            previous_secret_key,
            slider_policy: env.parse("SLIDER_POLICY", StepPolicy::Risk)?,
            pow_work: env.parse("POW_WORK", 1_000_000)?,
            challenge_harder_after: env.parse("CHALLENGE_HARDER_AFTER", 2)?,
            challenge_cooldown_after: env.parse("CHALLENGE_COOLDOWN_AFTER", 5)?,
            sms_policy: env.parse("SMS_POLICY", StepPolicy::Risk)?,
            sms_url: env.raw("SMS_URL"),
            sms_account: env.raw("SMS_ACCOUNT_ID").unwrap_or_default(),
            sms_token: env.raw("SMS_AUTH_TOKEN").unwrap_or_default(),
            sms_from: env.raw("SMS_FROM").unwrap_or_else(|| "RekeyShop".into()),
            sms_per_number_hour: env.parse("SMS_PER_NUMBER_HOUR", 3)?,
            sms_per_number_day: env.parse("SMS_PER_NUMBER_DAY", 6)?,
            sms_per_country_hour: env.parse("SMS_PER_COUNTRY_HOUR", 100)?,
            sms_per_country_day: env.parse("SMS_PER_COUNTRY_DAY", 500)?,
            sms_per_day: env.parse("SMS_PER_DAY", 2_000)?,
            device_days: env.parse("DEVICE_DAYS", 180)?,
            smtp_url,
            shop_name: env.raw("SHOP_NAME").unwrap_or_else(|| "Rekey Shop".into()),
            password_policy: env.parse("PASSWORD_POLICY", Policy::Shop)?,
            session_idle_secs: env.parse::<i64>("SESSION_IDLE_MINUTES", 7 * 24 * 60)? * 60,
            session_max_secs: env.parse::<i64>("SESSION_MAX_DAYS", 30)? * 86_400,
            cookie_secure: env.parse("COOKIE_SECURE", mode == Mode::Production)?,
            request_threads: env.parse("REQUEST_THREADS", cores)?.max(1),
            hash_threads: env.parse("HASH_THREADS", cores)?.max(1),
            hash_queue: env.parse("HASH_QUEUE", 64)?.max(1),
            argon2_memory_kib: env.parse("ARGON2_MEMORY_KIB", 19_456)?,
            argon2_iterations: env.parse("ARGON2_ITERATIONS", 2)?,
            argon2_parallelism: env.parse("ARGON2_PARALLELISM", 1)?,
            login_challenge_after: env.parse("LOGIN_CHALLENGE_AFTER", 5)?,
            login_lock_after: env.parse("LOGIN_LOCK_AFTER", 20)?,
            login_window_secs: env.parse::<i64>("LOGIN_WINDOW_MINUTES", 15)? * 60,
            login_lock_secs: env.parse::<i64>("LOGIN_LOCK_MINUTES", 15)? * 60,
            code_lifetime_secs: env.parse::<i64>("CODE_LIFETIME_MINUTES", 10)? * 60,
            code_tries: env.parse("CODE_TRIES", 5)?,
            signup_mails_per_hour: env.parse("SIGNUP_MAILS_PER_HOUR", 3)?,
            mail_from: env
                .raw("MAIL_FROM")
                .unwrap_or_else(|| "Rekey Shop <no-reply@rekey.invalid>".into()),
            recovery_flow_secs: env.parse::<i64>("RECOVERY_FLOW_MINUTES", 30)? * 60,
            reset_grant_secs: env.parse::<i64>("RESET_GRANT_MINUTES", 15)? * 60,
            resend_cooldown_secs: env.parse("RESEND_COOLDOWN_SECONDS", 60)?,
            codes_per_flow: env.parse("CODES_PER_FLOW", 5)?,
            codes_per_account_per_day: env.parse("CODES_PER_ACCOUNT_PER_DAY", 10)?,
            wrong_codes_per_account_per_day: env.parse("WRONG_CODES_PER_ACCOUNT_PER_DAY", 10)?,
            recovery_per_network: env.parse("RECOVERY_PER_NETWORK", 60)?,
            recovery_notify_unknown: env.parse("RECOVERY_NOTIFY_UNKNOWN", false)?,
            trusted_proxies,
            link_origin: public_origin.clone().unwrap_or_else(|| {
                format!(
                    "http://{}",
                    env.raw("LEPTOS_SITE_ADDR")
                        .unwrap_or_else(|| "127.0.0.1:3000".into())
                )
            }),
            public_origin,
        };
        if config.mode == Mode::Production
            && config.sms_policy != StepPolicy::Never
            && config.sms_url.is_none()
        {
            return Err(ConfigError::Missing {
                name: "SMS_URL",
                why: "the SMS provider's base URL (with SMS_ACCOUNT_ID and SMS_AUTH_TOKEN), or SMS_POLICY=never",
            });
        }
        Ok(config)
    }

    /// Reads settings from name/value pairs (later pairs win): tests and tools.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Self, ConfigError> {
        Self::from_lookup(|k| {
            pairs
                .iter()
                .rev()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        })
    }

    /// Whether `/dev/*` routes and the dev outbox are on.
    pub fn is_dev(&self) -> bool {
        self.mode == Mode::Development
    }

    /// The argon2id cost new password hashes use.
    pub fn argon2_cost(&self) -> crate::hasher::Cost {
        crate::hasher::Cost {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }
}

fn invalid(name: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

struct Env<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|e: T::Err| invalid(name, &v, &e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_pairs(pairs)
    }

    #[test]
    fn defaults_are_the_design_numbers() {
        let c = config(&[]).unwrap();
        assert!(c.is_dev());
        assert_eq!(c.database_url, "sqlite://data/rekey.db");
        assert_eq!(
            (
                c.argon2_memory_kib,
                c.argon2_iterations,
                c.argon2_parallelism
            ),
            (19_456, 2, 1)
        );
        assert_eq!(
            (
                c.login_challenge_after,
                c.login_lock_after,
                c.login_window_secs
            ),
            (5, 20, 900)
        );
        assert_eq!(c.password_policy, Policy::Shop);
        assert!(!c.cookie_secure);
        // DESIGN.md §3: code 10 min / 5 tries; 60 s cool-down; 5 codes a flow, 10 an account a
        // day; 10 wrong codes an account a day; flow 30 min; grant 15 min.
        assert_eq!((c.code_lifetime_secs, c.code_tries), (600, 5));
        assert_eq!(
            (
                c.resend_cooldown_secs,
                c.codes_per_flow,
                c.codes_per_account_per_day
            ),
            (60, 5, 10)
        );
        assert_eq!(c.wrong_codes_per_account_per_day, 10);
        assert_eq!((c.recovery_flow_secs, c.reset_grant_secs), (1_800, 900));
        assert!(!c.recovery_notify_unknown);
    }

    #[test]
    fn threads_follow_the_cores_unless_set() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let c = config(&[]).unwrap();
        assert_eq!((c.request_threads, c.hash_threads), (cores, cores));
        let c = config(&[("REQUEST_THREADS", "3"), ("HASH_THREADS", "0")]).unwrap();
        assert_eq!((c.request_threads, c.hash_threads), (3, 1));
        assert_eq!(
            config(&[("REQUEST_THREADS", "0")]).unwrap().request_threads,
            1
        );
        let err = config(&[("REQUEST_THREADS", "many")]).unwrap_err();
        assert!(
            err.to_string().starts_with("REQUEST_THREADS=\"many\""),
            "{err}"
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&[("SESSION_MAX_DAYS", "soon")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("SESSION_MAX_DAYS=\"soon\" is not valid"),
            "{err}"
        );
        let err = config(&[("PASSWORD_POLICY", "loose")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("PASSWORD_POLICY"), "{err}");
        let err = config(&[("SECRET_KEY", "abcd")]).unwrap_err().to_string();
        assert!(
            err.contains("SECRET_KEY") && err.contains("32 bytes"),
            "{err}"
        );
    }

    #[test]
    fn production_says_what_is_missing() {
        let err = config(&[("REKEY_ENV", "production")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                name: "SECRET_KEY",
                ..
            }
        ));
        let key = "ab".repeat(32);
        let err = config(&[("REKEY_ENV", "production"), ("SECRET_KEY", &key)]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                name: "SMTP_URL",
                ..
            }
        ));
        let err = config(&[
            ("REKEY_ENV", "production"),
            ("SECRET_KEY", &key),
            ("SMTP_URL", "smtp://x"),
        ])
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                name: "SMS_URL",
                ..
            }
        ));
        let ok = config(&[
            ("REKEY_ENV", "production"),
            ("SECRET_KEY", &key),
            ("SMTP_URL", "smtp://x"),
            ("SMS_URL", "https://sms.example.com"),
            ("SMS_ACCOUNT_ID", "AC1"),
        ])
        .unwrap();
        assert!(!ok.is_dev() && ok.cookie_secure);
    }
}
