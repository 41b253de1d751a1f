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
        let pace = Arc::new(Pace::default());
        for i in 0..threads.max(1) {
            let (rx, pace) = (Arc::clone(&rx), Arc::clone(&pace));
            let params = params.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(&rx, &params, cost, &pace))
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

fn worker(rx: &Mutex<std::sync::mpsc::Receiver<Job>>, params: &Params, cost: Cost, pace: &Pace) {
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
                let (verdict, _) = verify(&phc, &password, &mut memory, params, cost, pace);
                let _ = reply.send(Ok(verdict));
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

/// argon2's time as this module counts it: a first pass over one block is 1, a later pass
/// `later` (there each new block is also XORed into the one it overwrites, and its references
/// range over all the memory).
fn units(params: &Params, later: f64) -> f64 {
    params.block_count() as f64 * (1.0 + f64::from(params.t_cost() - 1) * later)
}

/// `later` as measured on the machine this was written on (2 cores, m = 19456 KiB: a first pass
/// 7.1 ms, each later pass 8.8 ms): what a pool goes by until it has timed its own work.
const LATER_PASS: f64 = 1.24;

/// How many of the latest verifications at the current cost a top-up aims at the median of.
const RECENT: usize = 31;

/// How long this pool's verifications at the current cost take now (the median of the latest
/// `RECENT`) and how long a one-pass block of a top-up takes (a moving average): what a top-up
/// aims at and how many blocks get it there. Shared by the hashing threads; each records what it
/// timed. Timed as an attacker sees it, on the wall clock, so the host's load counts alike.
#[derive(Default)]
struct Pace(Mutex<Timings>);

#[derive(Default)]
struct Timings {
    recent: std::collections::VecDeque<f64>,
    per_block: Option<f64>,
}

/// What a top-up aims at: the seconds a verification at the current cost takes now, and a
/// one-pass block's seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Aim {
    secs: f64,
    per_block: f64,
}

impl Pace {
    fn timings(&self) -> std::sync::MutexGuard<'_, Timings> {
        // A thread that panicked holding the lock left plain numbers: still good to read.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A verification at the current cost took `secs`.
    fn current_took(&self, secs: f64) {
        let mut t = self.timings();
        if t.recent.len() == RECENT {
            t.recent.pop_front();
        }
        t.recent.push_back(secs);
    }

    /// A top-up of `blocks` one-pass blocks took `secs`.
    fn top_up_took(&self, blocks: f64, secs: f64) {
        let mut t = self.timings();
        let now = secs / blocks;
        t.per_block = Some(t.per_block.map_or(now, |before| 0.8 * before + 0.2 * now));
    }

    /// `None` until a verification at the current cost has been timed.
    fn aim(&self, current: &Params) -> Option<Aim> {
        let t = self.timings();
        let mut recent: Vec<f64> = t.recent.iter().copied().collect();
        recent.sort_by(f64::total_cmp);
        let secs = *recent.get(recent.len() / 2)?;
        let per_block = t
            .per_block
            .unwrap_or_else(|| secs / units(current, LATER_PASS));
        Some(Aim { secs, per_block })
    }
}

/// One-pass computations over `missing` blocks in all, each over at most `most` blocks (the
/// current cost's memory, so a top-up never needs a bigger buffer); none for less than
/// argon2's smallest memory.
fn one_pass_blocks(mut missing: f64, most: f64) -> Vec<Params> {
    let mut pads = Vec::new();
    while missing >= f64::from(Params::MIN_M_COST) {
        // Whole blocks: argon2 rounds the memory down to whole slices (4 blocks) on its own.
        let Ok(pad) = Params::new(missing.min(most) as u32, 1, 1, None) else {
            break;
        };
        missing -= pad.block_count() as f64;
        pads.push(pad);
    }
    pads
}

/// What a wrong password checked against a hash of a cheaper cost (one stored before the cost
/// was raised) computes on top, so that its answer takes as long as an unknown address's, which
/// is checked against the dummy hash at the current cost (DESIGN.md §3: no enumeration by
/// timing; Django's `harden_runtime` does the same for its iterated hashers). `so_far`: the
/// seconds the check took. With an `aim`, the blocks its time lacks; before the pool has timed
/// a verification at the current cost, the work it lacks by `units`. A hash of a dearer cost
/// (the cost lowered) cannot be made quicker: README says to raise the cost, never lower it.
fn padding(stored: &Params, current: &Params, so_far: f64, aim: Option<Aim>) -> Vec<Params> {
    let most = current.block_count() as f64;
    match aim {
        Some(aim) => one_pass_blocks((aim.secs - so_far) / aim.per_block, most),
        None => one_pass_blocks(units(current, LATER_PASS) - units(stored, LATER_PASS), most),
    }
}

/// What a verification computed, in `units` (at `LATER_PASS`), and whether it topped up a
/// cheaper stored hash.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spent {
    units: f64,
    topped_up: bool,
}

/// Checks `password` against the stored `phc`. A wrong password always takes as long as a
/// verification at the current cost: a cheaper stored hash is topped up (`padding`), and one
/// that cannot be read is replaced by a verification at the current cost. A right one against
/// a hash of another cost also computes its rehash. Verifications at the current cost are timed
/// into `pace`, and so are top-ups.
fn verify(
    phc: &str,
    password: &str,
    memory: &mut Vec<Block>,
    current: &Params,
    cost: Cost,
    pace: &Pace,
) -> (Verified, Spent) {
    let start = std::time::Instant::now();
    let spent = |units, topped_up| Spent { units, topped_up };
    let Some((right, stored, stored_cost)) = check(phc, password, memory) else {
        let _ = compute(current, &[0; 16], password, memory);
        pace.current_took(start.elapsed().as_secs_f64());
        return (Verified::No, spent(units(current, LATER_PASS), false));
    };
    let checked = units(&stored, LATER_PASS);
    if stored_cost == cost {
        pace.current_took(start.elapsed().as_secs_f64());
        let verdict = if right {
            Verified::Yes { rehash: None }
        } else {
            Verified::No
        };
        return (verdict, spent(checked, false));
    }
    if right {
        let rehash = encode(
            current,
            &crate::crypto::random_bytes::<16>(),
            memory,
            password,
        )
        .ok();
        let rehashed = rehash.as_ref().map_or(0.0, |_| units(current, LATER_PASS));
        return (Verified::Yes { rehash }, spent(checked + rehashed, false));
    }
    let so_far = start.elapsed().as_secs_f64();
    let pads = padding(&stored, current, so_far, pace.aim(current));
    let (mut done, mut blocks) = (checked, 0.0);
    let topping = std::time::Instant::now();
    for pad in &pads {
        let _ = compute(pad, &[0; 16], password, memory);
        done += units(pad, LATER_PASS);
        blocks += pad.block_count() as f64;
    }
    if blocks > 0.0 {
        pace.top_up_took(blocks, topping.elapsed().as_secs_f64());
    }
    (Verified::No, spent(done, blocks > 0.0))
}

/// Whether `password` matches the stored `phc`, with the parameters it was checked at; `None`
/// when the stored hash cannot be read or computed (a malformed string, a salt too short).
fn check(phc: &str, password: &str, memory: &mut Vec<Block>) -> Option<(bool, Params, Cost)> {
    let (stored_cost, salt, expected) = parse(phc)?;
    let stored = Params::new(
        stored_cost.memory_kib,
        stored_cost.iterations,
        stored_cost.parallelism,
        Some(expected.len()),
    )
    .ok()?;
    let actual = compute(&stored, &salt, password, memory).ok()?;
    let right = crate::crypto::constant_time_eq(&actual, &expected);
    Some((right, stored, stored_cost))
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

    /// Before the pool has timed its own work, a wrong password takes the work of one
    /// verification at the current cost whatever is stored: a hash at the current cost, the
    /// dummy, hashes of cheaper costs (topped up) or one that cannot be read.
    #[tokio::test]
    async fn a_wrong_password_costs_one_current_verification_whatever_is_stored() {
        let cost = Cost {
            iterations: 3,
            ..CHEAP
        };
        let current = params(cost).unwrap();
        let h = Hasher::start(cost, 1, 4).unwrap();
        let mut stored = vec![
            h.hash("Tangerine7Harbor").await.unwrap(),
            h.dummy.to_string(),
            "not a hash".to_string(),
            // A salt of 4 bytes, under argon2's 8: readable, but it cannot be computed.
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA".to_string(),
        ];
        for (memory_kib, iterations) in [(64, 1), (32, 3), (40, 2), (8, 1)] {
            let older = Cost {
                memory_kib,
                iterations,
                ..cost
            };
            let hasher = Hasher::start(older, 1, 1).unwrap();
            stored.push(hasher.hash("Tangerine7Harbor").await.unwrap());
        }
        let (want, mut memory) = (units(&current, LATER_PASS), Vec::new());
        for (i, phc) in stored.iter().enumerate() {
            let untimed = Pace::default();
            let (verdict, spent) =
                verify(phc, "Wrong-Guess-42", &mut memory, &current, cost, &untimed);
            assert_eq!(verdict, Verified::No, "{phc}");
            // Within argon2's rounding of memory down to whole slices (4 blocks) per top-up,
            // and a last top-up under its smallest memory (8 blocks) left out.
            assert!(
                spent.units <= want && spent.units > want - 16.0,
                "{phc}: {} of {want}",
                spent.units
            );
            assert_eq!(spent.topped_up, i >= 4, "{phc}");
        }
        // A dearer stored hash (the cost lowered) is left as it is: it cannot be made quicker.
        let dearer = Hasher::start(
            Cost {
                iterations: 4,
                ..cost
            },
            1,
            1,
        )
        .unwrap()
        .hash("Tangerine7Harbor")
        .await
        .unwrap();
        let (_, spent) = verify(
            &dearer,
            "Wrong-Guess-42",
            &mut memory,
            &current,
            cost,
            &Pace::default(),
        );
        assert_eq!(spent.units, 64.0 * (1.0 + 3.0 * LATER_PASS));
    }

    /// Once verifications at the current cost are timed, a top-up aims at their median, with
    /// as many one-pass blocks as the time the check lacks, none larger than the current memory.
    #[test]
    fn a_top_up_aims_at_the_median_of_the_latest_verifications() {
        let current = params(CHEAP).unwrap();
        let older = params(Cost {
            memory_kib: 32,
            ..CHEAP
        })
        .unwrap();
        let pace = Pace::default();
        assert_eq!(pace.aim(&current), None);
        // 40 timings, of which only the latest 31 count: 0.009 s nine times, 0.010 s eleven
        // times, 0.011 s eleven times.
        for secs in [0.1; 9].iter().chain(&[0.009; 9]).chain(&[0.010; 11]) {
            pace.current_took(*secs);
        }
        for secs in [0.011; 11] {
            pace.current_took(secs);
        }
        let aim = pace.aim(&current).unwrap();
        assert_eq!(aim.secs, 0.010);
        // No top-up timed yet: a one-pass block is the median's share by `units`.
        assert_eq!(aim.per_block, 0.010 / units(&current, LATER_PASS));
        pace.top_up_took(1_000.0, 0.001);
        pace.top_up_took(1_000.0, 0.002);
        let aim = pace.aim(&current).unwrap();
        assert!((aim.per_block - 1.2e-6).abs() < 1e-12, "{aim:?}");

        let pads = padding(&older, &current, 0.004, Some(aim));
        let blocks: usize = pads.iter().map(Params::block_count).sum();
        assert!((4_996..=5_000).contains(&blocks), "{blocks}");
        assert!(pads
            .iter()
            .all(|p| p.block_count() <= 64 && p.t_cost() == 1));
        assert!(padding(&older, &current, 0.010, Some(aim)).is_empty());
        assert!(padding(&older, &current, 0.011, Some(aim)).is_empty());
    }

    /// The pool times its own verifications at the current cost and its top-ups.
    #[tokio::test]
    async fn verifications_time_the_pace() {
        let current = params(CHEAP).unwrap();
        let pace = Pace::default();
        let mut memory = Vec::new();
        let at_current = Hasher::start(CHEAP, 1, 1).unwrap().hash("x").await.unwrap();
        verify(&at_current, "y", &mut memory, &current, CHEAP, &pace);
        assert!(pace.aim(&current).is_some());
        assert_eq!(pace.timings().per_block, None);
        let cheaper = Cost {
            memory_kib: 8,
            ..CHEAP
        };
        let older = Hasher::start(cheaper, 1, 1)
            .unwrap()
            .hash("x")
            .await
            .unwrap();
        // Aimed at a verification far longer than this one, so there is a top-up to time.
        for _ in 0..2 {
            pace.current_took(0.01);
        }
        let (_, spent) = verify(&older, "y", &mut memory, &current, CHEAP, &pace);
        assert!(spent.topped_up);
        assert!(pace.timings().per_block.is_some());
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
