//! argon2id on a dedicated pool: one thread per core, each reusing its own memory buffer,
//! behind a bounded queue that refuses work at once when full.
//!
//! `spawn_blocking` per hash was measured 2.5× slower with gigabytes of memory under load: every
//! call allocates 19 MiB afresh and the blocking pool grows without bound. Here memory stays at
//! threads × 19 MiB and a flood gets a quick "busy" instead of a growing queue.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Hashing failed or could not be queued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HashError {
    /// The queue is full: answer 503 now rather than wait.
    #[error("the password hashing queue is full")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// The cost parameters (OWASP: m=19456 KiB, t=2, p=1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Wrong password (or a stored hash that cannot be read).
    No,
    /// Right password; `rehash` holds a new hash when the stored one used other parameters.
    Yes { rehash: Option<String> },
}

enum Job {
    Hash {
        password: String,
        reply: oneshot::Sender<Result<String, HashError>>,
    },
    Verify {
        password: String,
        phc: String,
        reply: oneshot::Sender<Result<Verified, HashError>>,
    },
}

/// Handle to the hashing pool; cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    queue: SyncSender<Job>,
    cost: Cost,
    /// A hash of a random password, verified against when an account does not exist so that
    /// unknown addresses cost the same time as known ones.
    dummy: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// Starts `threads` hashing threads behind a queue of `queue` jobs.
    pub fn start(cost: Cost, threads: usize, queue: usize) -> Result<Self, HashError> {
        let params = params(cost)?;
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let params = params.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(&rx, &params, cost))
                .map_err(|e| HashError::Failed(e.to_string()))?;
        }
        let dummy = encode(
            &params,
            &crate::crypto::random_bytes::<16>(),
            &mut vec![Block::default(); params.block_count()],
            "unused dummy",
        )?;
        Ok(Hasher {
            queue: tx,
            cost,
            dummy: Arc::new(dummy),
        })
    }

    /// The parameters new hashes use.
    pub fn cost(&self) -> Cost {
        self.cost
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$m=…`).
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Hash {
            password: password.to_string(),
            reply,
        })?;
        rx.await
            .map_err(|_| HashError::Failed("hashing thread stopped".into()))?
    }

    /// Checks `password` against a stored hash; with `None`, against a dummy hash (same cost).
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<Verified, HashError> {
        let (reply, rx) = oneshot::channel();
        let known = phc.is_some();
        let phc = phc.map_or_else(|| self.dummy.as_str().to_string(), str::to_string);
        self.submit(Job::Verify {
            password: password.to_string(),
            phc,
            reply,
        })?;
        let verdict = rx
            .await
            .map_err(|_| HashError::Failed("hashing thread stopped".into()))??;
        Ok(if known { verdict } else { Verified::No })
    }

    /// Checks a password someone typed against the account's stored hash (`None`: no such
    /// account). Empty or over-long input can never be a stored password: it is checked
    /// against the dummy hash instead, so every answer costs one verification all the same.
    pub async fn verify_typed(
        &self,
        typed: &str,
        stored: Option<&str>,
    ) -> Result<Verified, HashError> {
        if typed.is_empty() || typed.chars().count() > domain::password::MAX_LEN {
            self.verify("", None).await
        } else {
            self.verify(typed, stored).await
        }
    }

    fn submit(&self, job: Job) -> Result<(), HashError> {
        self.queue.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashError::Busy,
            TrySendError::Disconnected(_) => HashError::Failed("hashing pool stopped".into()),
        })
    }
}

fn params(cost: Cost) -> Result<Params, HashError> {
    Params::new(cost.memory_kib, cost.iterations, cost.parallelism, Some(32))
        .map_err(|e| HashError::Failed(format!("bad argon2 parameters: {e}")))
}

/// How long a hashing thread keeps its buffer without work before giving it back.
const IDLE_RELEASE: Duration = Duration::from_secs(10);

fn worker(rx: &Mutex<std::sync::mpsc::Receiver<Job>>, params: &Params, cost: Cost) {
    // The buffer each thread reuses while busy (allocated at its first hash, not per hash),
    // given back after a quiet spell: an idle server holds none of the 19 MiB buffers.
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv_timeout(IDLE_RELEASE),
            Err(_) => return,
        };
        let job = match job {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                memory = Vec::new();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        match job {
            Job::Hash { password, reply } => {
                let salt = crate::crypto::random_bytes::<16>();
                let _ = reply.send(encode(params, &salt, &mut memory, &password));
            }
            Job::Verify {
                password,
                phc,
                reply,
            } => {
                let _ = reply.send(Ok(verify(&phc, &password, &mut memory, params, cost)));
            }
        }
    }
}

fn compute(
    params: &Params,
    salt: &[u8],
    password: &str,
    memory: &mut Vec<Block>,
) -> Result<Vec<u8>, HashError> {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut out = vec![0u8; params.output_len().unwrap_or(32)];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .map_err(|e| HashError::Failed(e.to_string()))?;
    Ok(out)
}

/// How long `ceiling` lets its threads hash before it starts counting: long enough for each
/// thread's first hash, which also allocates and faults in its buffer.
const CEILING_WARM_UP: Duration = Duration::from_millis(250);

/// The machine's argon2id ceiling: hashes per second at `cost` from `threads` threads hashing
/// in a tight loop, each reusing its buffer, through the same code as the pool (`make bench`
/// compares sign-ins with it). Counts the hashes finished within a window of `secs` that opens
/// after a warm-up, so neither the first hash (with its allocation) nor the one cut off at the
/// end weighs on the figure: a steady-state rate, like the sign-ins it is compared with.
pub fn ceiling(cost: Cost, threads: usize, secs: Duration) -> Result<f64, HashError> {
    let params = params(cost)?;
    let open = std::time::Instant::now() + CEILING_WARM_UP;
    let close = open + secs;
    let counted = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| -> Result<u64, HashError> {
                    let (mut memory, mut n) = (Vec::new(), 0u64);
                    loop {
                        compute(
                            &params,
                            b"saltsaltsaltsalt",
                            "Tangerine7Harbor",
                            &mut memory,
                        )?;
                        let at = std::time::Instant::now();
                        if at > close {
                            return Ok(n);
                        }
                        n += u64::from(at >= open);
                    }
                })
            })
            .collect();
        // A thread that failed or panicked would leave the figure low without saying so.
        let mut counted = 0;
        for worker in workers {
            counted += worker
                .join()
                .map_err(|_| HashError::Failed("a ceiling thread panicked".into()))??;
        }
        Ok::<_, HashError>(counted)
    })?;
    Ok(counted as f64 / secs.as_secs_f64())
}

fn encode(
    params: &Params,
    salt: &[u8],
    memory: &mut Vec<Block>,
    password: &str,
) -> Result<String, HashError> {
    let hash = compute(params, salt, password, memory)?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        B64.encode(salt),
        B64.encode(hash)
    ))
}

/// Parses `$argon2id$v=19$m=M,t=T,p=P$salt$hash`.
fn parse(phc: &str) -> Option<(Cost, Vec<u8>, Vec<u8>)> {
    let mut parts = phc.strip_prefix("$argon2id$v=19$")?.split('$');
    let (costs, salt, hash) = (parts.next()?, parts.next()?, parts.next()?);
    let mut cost = Cost {
        memory_kib: 0,
        iterations: 0,
        parallelism: 0,
    };
    for kv in costs.split(',') {
        let (k, v) = kv.split_once('=')?;
        let v: u32 = v.parse().ok()?;
        match k {
            "m" => cost.memory_kib = v,
            "t" => cost.iterations = v,
            "p" => cost.parallelism = v,
            _ => return None,
        }
    }
    Some((cost, B64.decode(salt).ok()?, B64.decode(hash).ok()?))
}

fn verify(
    phc: &str,
    password: &str,
    memory: &mut Vec<Block>,
    current: &Params,
    cost: Cost,
) -> Verified {
    let Some((stored_cost, salt, expected)) = parse(phc) else {
        return Verified::No;
    };
    let Ok(stored) = Params::new(
        stored_cost.memory_kib,
        stored_cost.iterations,
        stored_cost.parallelism,
        Some(expected.len()),
    ) else {
        return Verified::No;
    };
    let Ok(actual) = compute(&stored, &salt, password, memory) else {
        return Verified::No;
    };
    if !crate::crypto::constant_time_eq(&actual, &expected) {
        return Verified::No;
    }
    let rehash = (stored_cost != cost)
        .then(|| {
            encode(
                current,
                &crate::crypto::random_bytes::<16>(),
                memory,
                password,
            )
            .ok()
        })
        .flatten();
    Verified::Yes { rehash }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: Cost = Cost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// What a person typed is checked like any password, except input no stored password can
    /// be: empty, or over the length limit (even where a hash of it exists).
    #[tokio::test]
    async fn empty_or_over_long_typed_passwords_never_match() {
        let h = Hasher::start(CHEAP, 1, 4).unwrap();
        let right = h.hash("Tangerine7Harbor").await.unwrap();
        assert_eq!(
            h.verify_typed("Tangerine7Harbor", Some(&right))
                .await
                .unwrap(),
            Verified::Yes { rehash: None }
        );
        let long = "T7".repeat(domain::password::MAX_LEN / 2 + 1);
        let of_long = h.hash(&long).await.unwrap();
        assert!(matches!(
            h.verify(&long, Some(&of_long)).await,
            Ok(Verified::Yes { .. })
        ));
        let of_empty = h.hash("").await.unwrap();
        assert!(matches!(
            h.verify("", Some(&of_empty)).await,
            Ok(Verified::Yes { .. })
        ));
        for (typed, stored) in [(long.as_str(), &of_long), ("", &of_empty)] {
            assert_eq!(
                h.verify_typed(typed, Some(stored)).await.unwrap(),
                Verified::No,
                "{} characters",
                typed.len()
            );
        }
    }

    #[tokio::test]
    async fn hashes_and_verifies() {
        let h = Hasher::start(CHEAP, 1, 4).unwrap();
        let phc = h.hash("Tangerine7Harbor").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert_eq!(
            h.verify("Tangerine7Harbor", Some(&phc)).await.unwrap(),
            Verified::Yes { rehash: None }
        );
        assert_eq!(
            h.verify("tangerine7harbor", Some(&phc)).await.unwrap(),
            Verified::No
        );
        assert_eq!(
            h.verify("Tangerine7Harbor", None).await.unwrap(),
            Verified::No
        );
        assert_eq!(
            h.verify("x", Some("not a hash")).await.unwrap(),
            Verified::No
        );
        assert_ne!(h.hash("Tangerine7Harbor").await.unwrap(), phc, "salted");
    }

    #[tokio::test]
    async fn rehashes_when_parameters_change() {
        let old = Hasher::start(CHEAP, 1, 4).unwrap();
        let phc = old.hash("Tangerine7Harbor").await.unwrap();
        let new = Hasher::start(
            Cost {
                memory_kib: 128,
                ..CHEAP
            },
            1,
            4,
        )
        .unwrap();
        let Verified::Yes {
            rehash: Some(again),
        } = new.verify("Tangerine7Harbor", Some(&phc)).await.unwrap()
        else {
            panic!("expected a rehash");
        };
        assert!(again.contains("m=128,"));
        assert_eq!(
            new.verify("Tangerine7Harbor", Some(&again)).await.unwrap(),
            Verified::Yes { rehash: None }
        );
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        // One slow thread and a queue of one: a burst must see Busy rather than wait.
        let h = Hasher::start(
            Cost {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1,
            },
            1,
            1,
        )
        .unwrap();
        let results = futures_join(&h, 6).await;
        assert!(
            results.iter().any(|r| *r == Err(HashError::Busy)),
            "{results:?}"
        );
        assert!(results.iter().any(|r| r.is_ok()));
    }

    async fn futures_join(h: &Hasher, n: usize) -> Vec<Result<String, HashError>> {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let h = h.clone();
                tokio::spawn(async move { h.hash("pw").await })
            })
            .collect();
        let mut out = Vec::new();
        for handle in handles {
            out.push(handle.await.expect("task"));
        }
        out
    }

    #[test]
    fn parses_phc() {
        let (cost, salt, hash) =
            parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA").unwrap();
        assert_eq!(
            cost,
            Cost {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1
            }
        );
        assert_eq!(
            (salt.as_slice(), hash.as_slice()),
            (&b"saltsalt"[..], &b"hash"[..])
        );
        assert!(parse("$argon2i$v=19$m=1,t=1,p=1$a$b").is_none());
    }

    #[test]
    fn the_ceiling_counts_hashes_and_refuses_bad_parameters() {
        let cost = Cost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let one = ceiling(cost, 1, Duration::from_millis(200)).unwrap();
        assert!(one > 10.0, "{one} hashes/s at 64 KiB");
        let bad = Cost {
            memory_kib: 1,
            ..cost
        };
        assert!(ceiling(bad, 1, Duration::from_millis(10)).is_err());
    }
}
