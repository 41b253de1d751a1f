//! argon2id on a dedicated pool: one thread per core, each reusing its own memory buffer,
//! behind a bounded queue that refuses work at once when full.
//!
//! `spawn_blocking` per hash was measured 2.5× slower with gigabytes of memory under load: every
//! call allocates 19 MiB afresh and the blocking pool grows without bound. Here memory stays at
//! threads × 19 MiB and a flood gets a quick "busy" instead of a growing queue.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
        let top_ups = Arc::new(TopUps::default());
        for i in 0..threads.max(1) {
            let (rx, top_ups) = (Arc::clone(&rx), Arc::clone(&top_ups));
            let params = params.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(&rx, &params, cost, &top_ups))
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

fn worker(
    rx: &Mutex<std::sync::mpsc::Receiver<Job>>,
    params: &Params,
    cost: Cost,
    top_ups: &TopUps,
) {
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
                let (verdict, _) = verify(&phc, &password, &mut memory, params, cost, top_ups);
                let _ = reply.send(Ok(verdict));
                // After the answer, so that none waits for the timing.
                if let Some(due) = top_ups.answered() {
                    let found = self::params(due.stored).ok().and_then(|stored| {
                        blocks_found_by_a_pair(&stored, params, due.blocks, due.pairs, &mut memory)
                    });
                    top_ups.learnt(due, found);
                }
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
    let open = Instant::now() + CEILING_WARM_UP;
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
                        let at = Instant::now();
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

/// argon2's work as this module counts it: a first pass over one block is 1, a later pass
/// `LATER_PASS` (there each new block is also XORed into the one it overwrites, and its
/// references range over all the memory).
fn units(params: &Params) -> f64 {
    params.block_count() as f64 * (1.0 + f64::from(params.t_cost() - 1) * LATER_PASS)
}

/// A later pass's work against a first pass's, as timed on the machine this was written on
/// (2 cores, m = 19456 KiB: a first pass 7.1 ms, each later pass 8.8 ms). Only a first guess:
/// a pool sizes each top-up on its own machine (`TopUps`).
const LATER_PASS: f64 = 1.24;

/// The top-ups of a pool, by stored cost: how many one-pass blocks each takes, as timed on this
/// machine so far. Shared by the pool's threads.
#[derive(Default)]
struct TopUps(Mutex<Sizes>);

#[derive(Default)]
struct Sizes {
    by_cost: HashMap<Cost, Sizing>,
    /// The verifications the pool has answered, of every kind: pairs are timed on this count,
    /// never after a particular account's answer.
    verifications: u64,
    /// A thread is timing a pair.
    timing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Sizing {
    blocks: f64,
    /// The work missing by `units`: the first guess, and the middle of the band a size may
    /// move in.
    estimate: f64,
    /// The pairs timed so far.
    pairs: u32,
}

/// How many pairs a top-up's size is first timed from, one every `EARLY_EVERY` verifications;
/// after those, one every `LATE_EVERY`, so it follows the machine for under 1 % of the pool's
/// work.
const SIZING_PAIRS: u32 = 24;
const EARLY_EVERY: u64 = 4;
const LATE_EVERY: u64 = 256;

/// How far a size may move from the estimate: a fraction of it either way. Enough for any
/// machine's pace of a later pass against a first (1.0–1.5 where this was measured); and a
/// host made busy on purpose while pairs are timed cannot push the size further.
const BAND: f64 = 0.25;

/// A pair to time: its stored cost and the size to time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Due {
    stored: Cost,
    blocks: f64,
    pairs: u32,
}

impl TopUps {
    fn sizes(&self) -> MutexGuard<'_, Sizes> {
        // A thread that panicked holding the lock left plain numbers: still good to read.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The blocks that top up a check at `stored` to a verification at `current`: at first the
    /// work missing by `units`, then as timed.
    fn blocks(&self, stored: Cost, stored_params: &Params, current: &Params) -> f64 {
        let estimate = units(current) - units(stored_params);
        self.sizes()
            .by_cost
            .entry(stored)
            .or_insert(Sizing {
                blocks: estimate,
                estimate,
                pairs: 0,
            })
            .blocks
    }

    /// Counts an answered verification, and claims the pair due now, if any and if no other
    /// thread is timing one: the size with the fewest pairs.
    fn answered(&self) -> Option<Due> {
        let mut sizes = self.sizes();
        sizes.verifications += 1;
        let n = sizes.verifications;
        if sizes.timing {
            return None;
        }
        let (stored, sizing) = sizes
            .by_cost
            .iter()
            .filter(|(_, s)| {
                let every = if s.pairs < SIZING_PAIRS {
                    EARLY_EVERY
                } else {
                    LATE_EVERY
                };
                n.is_multiple_of(every)
            })
            .min_by_key(|(_, s)| s.pairs)?;
        let due = Due {
            stored: *stored,
            blocks: sizing.blocks,
            pairs: sizing.pairs,
        };
        sizes.timing = true;
        Some(due)
    }

    /// What the pair `due` found (`None`: nothing to learn from it).
    fn learnt(&self, due: Due, found: Option<f64>) {
        let mut sizes = self.sizes();
        sizes.timing = false;
        if let Some(sizing) = sizes.by_cost.get_mut(&due.stored) {
            sizing.pairs += 1;
            if let Some(found) = found {
                sizing.blocks = moved(*sizing, found);
            }
        }
    }
}

/// A size moved towards what a pair found: the average of the estimate and every pair's until
/// `SIZING_PAIRS`, then a moving average of as many; within `BAND` of the estimate.
fn moved(sizing: Sizing, found: f64) -> f64 {
    let weight = 1.0 / f64::from(sizing.pairs.min(SIZING_PAIRS) + 1);
    let blocks = sizing.blocks + weight * (found - sizing.blocks);
    let band = BAND * sizing.estimate.abs();
    blocks.clamp(sizing.estimate - band, sizing.estimate + band)
}

/// Times a pair, in the thread's CPU time: a verification at `current`, and the check at
/// `stored` with a top-up of `blocks`, back to back so that both share the host's state, in
/// turns which goes first (`pairs` is the count so far). Returns the blocks that would have
/// made them even, at the pace of the top-up's own blocks. A pair that differs by more than a
/// tenth of the verification counts as that tenth (a spell of the host's noise, not the
/// machine's pace); a clock that cannot be read or did not move gives nothing.
fn blocks_found_by_a_pair(
    stored: &Params,
    current: &Params,
    blocks: f64,
    pairs: u32,
    memory: &mut Vec<Block>,
) -> Option<f64> {
    let secs = |params: &Params, memory: &mut Vec<Block>| -> Option<f64> {
        let start = thread_cpu_secs()?;
        let _ = compute(params, &[0; 16], "", memory);
        Some(thread_cpu_secs()? - start)
    };
    let pads = one_pass(blocks, current);
    let padded: f64 = pads.iter().map(|p| p.block_count() as f64).sum();
    let topped_up_check = |memory: &mut Vec<Block>| -> Option<(f64, f64)> {
        let check_secs = secs(stored, memory)?;
        let mut top_up_secs = 0.0;
        for pad in &pads {
            top_up_secs += secs(pad, memory)?;
        }
        Some((check_secs, top_up_secs))
    };
    let (verification_secs, (check_secs, top_up_secs)) = if pairs.is_multiple_of(2) {
        let verification_secs = secs(current, memory)?;
        (verification_secs, topped_up_check(memory)?)
    } else {
        let checked = topped_up_check(memory)?;
        (secs(current, memory)?, checked)
    };
    let per_block = if padded > 0.0 {
        top_up_secs / padded
    } else {
        verification_secs / units(current)
    };
    if verification_secs <= 0.0 || per_block <= 0.0 {
        return None;
    }
    let tenth = verification_secs / 10.0;
    let lacked = (verification_secs - check_secs - top_up_secs).clamp(-tenth, tenth);
    let found = padded + lacked / per_block;
    found.is_finite().then_some(found.max(0.0))
}

/// The CPU time this thread has run, in seconds. A pair is timed by it rather than by the wall
/// clock: the time a thread waits for a core or for the host is noise of a millisecond a pair,
/// and falls on a verification and on a topped-up check alike, in proportion to their running
/// time, so equal running time answers in equal time.
fn thread_cpu_secs() -> Option<f64> {
    use rustix::time::{clock_gettime_dynamic, ClockId, DynamicClockId};
    let t = clock_gettime_dynamic(DynamicClockId::Known(ClockId::ThreadCPUTime)).ok()?;
    Some(
        Duration::new(
            u64::try_from(t.tv_sec).ok()?,
            u32::try_from(t.tv_nsec).ok()?,
        )
        .as_secs_f64(),
    )
}

/// The most blocks a top-up may have: twice a verification at the current cost's work, far
/// more than any cheaper cost lacks.
fn most_blocks(current: &Params) -> f64 {
    2.0 * units(current)
}

/// One-pass computations over `missing` blocks in all, each over at most the current cost's
/// memory (so a top-up never needs a bigger buffer); none for less than argon2's smallest
/// memory, or for a count that is not a number.
fn one_pass(missing: f64, current: &Params) -> Vec<Params> {
    // `min` would turn a NaN into the cap.
    let mut missing = if missing.is_nan() {
        0.0
    } else {
        missing.min(most_blocks(current))
    };
    let most = current.block_count() as f64;
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

/// Computes each of `pads`: the work done, in `units` (a computation that failed counts none).
fn compute_each(pads: &[Params], password: &str, memory: &mut Vec<Block>) -> f64 {
    pads.iter()
        .filter(|pad| compute(pad, &[0; 16], password, memory).is_ok())
        .map(units)
        .sum()
}

/// What a verification computed, in `units`, and the stored cost it topped up (or would have,
/// had the size been 8 blocks or more).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spent {
    units: f64,
    topped_up: Option<Cost>,
}

/// Checks `password` against the stored `phc`. A wrong password answers no sooner than one
/// checked at the current cost, as an unknown address's is against the dummy hash: a check
/// at a cheaper stored cost (one stored before the cost was raised) is topped up with one-pass
/// computations of the work it lacks (`TopUps`; Django's `harden_runtime` does the same for
/// its iterated hashers), and a stored hash that cannot be read is replaced by a verification
/// at the current cost. A check at a dearer cost (the cost lowered) is left slower: README says
/// to raise the cost, never lower it. A right password against a hash of another cost also
/// computes its rehash.
fn verify(
    phc: &str,
    password: &str,
    memory: &mut Vec<Block>,
    current: &Params,
    cost: Cost,
    top_ups: &TopUps,
) -> (Verified, Spent) {
    let Some((right, stored, stored_cost)) = check(phc, password, memory) else {
        let done = compute_each(std::slice::from_ref(current), password, memory);
        return (Verified::No, spent(done, None));
    };
    let checked = units(&stored);
    if stored_cost == cost {
        let verdict = if right {
            Verified::Yes { rehash: None }
        } else {
            Verified::No
        };
        return (verdict, spent(checked, None));
    }
    if right {
        let rehash = encode(
            current,
            &crate::crypto::random_bytes::<16>(),
            memory,
            password,
        )
        .ok();
        let rehashed = rehash.as_ref().map_or(0.0, |_| units(current));
        return (Verified::Yes { rehash }, spent(checked + rehashed, None));
    }
    if checked >= units(current) {
        // A dearer cost (the cost lowered): nothing can make it quicker.
        return (Verified::No, spent(checked, None));
    }
    let pads = one_pass(top_ups.blocks(stored_cost, &stored, current), current);
    let done = checked + compute_each(&pads, password, memory);
    (Verified::No, spent(done, Some(stored_cost)))
}

fn spent(units: f64, topped_up: Option<Cost>) -> Spent {
    Spent { units, topped_up }
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

    /// Before its top-ups are sized on the machine, a wrong password takes the work of one
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
        let mut older = Vec::new();
        for (memory_kib, iterations) in [(64, 1), (32, 3), (40, 2), (8, 1)] {
            let at = Cost {
                memory_kib,
                iterations,
                ..cost
            };
            let hasher = Hasher::start(at, 1, 1).unwrap();
            stored.push(hasher.hash("Tangerine7Harbor").await.unwrap());
            older.push(at);
        }
        let (want, mut memory) = (units(&current), Vec::new());
        for (i, phc) in stored.iter().enumerate() {
            let none_sized = TopUps::default();
            let (verdict, spent) = verify(
                phc,
                "Wrong-Guess-42",
                &mut memory,
                &current,
                cost,
                &none_sized,
            );
            assert_eq!(verdict, Verified::No, "{phc}");
            // Within argon2's rounding of memory down to whole slices (4 blocks) per top-up,
            // and a last top-up under its smallest memory (8 blocks) left out.
            assert!(
                spent.units <= want && spent.units > want - 16.0,
                "{phc}: {} of {want}",
                spent.units
            );
            // A check at a cheaper cost names it, topped up or not.
            assert_eq!(spent.topped_up, i.checked_sub(4).map(|o| older[o]), "{phc}");
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
            &TopUps::default(),
        );
        assert_eq!(
            spent,
            Spent {
                units: units(
                    &params(Cost {
                        iterations: 4,
                        ..cost
                    })
                    .unwrap()
                ),
                topped_up: None
            }
        );
    }

    /// A top-up's size is timed on the machine in pairs due on the count of verifications of
    /// every kind, one thread at a time, and verifications use it at once.
    #[tokio::test]
    async fn a_top_up_is_sized_on_the_machine_in_pairs() {
        let cost = Cost {
            memory_kib: 256,
            iterations: 2,
            parallelism: 1,
        };
        let older = Cost {
            iterations: 1,
            ..cost
        };
        let (current, stored) = (params(cost).unwrap(), params(older).unwrap());
        let phc = Hasher::start(older, 1, 1).unwrap().hash("x").await.unwrap();
        let (top_ups, mut memory) = (TopUps::default(), Vec::new());
        let sizing = |top_ups: &TopUps| top_ups.sizes().by_cost.get(&older).copied().unwrap();

        // Nothing to time before a top-up was asked for.
        for _ in 0..EARLY_EVERY {
            assert_eq!(top_ups.answered(), None);
        }
        let (_, spent) = verify(&phc, "y", &mut memory, &current, cost, &top_ups);
        assert_eq!(spent.topped_up, Some(older));
        let estimate = units(&current) - units(&stored);
        assert_eq!(
            sizing(&top_ups),
            Sizing {
                blocks: estimate,
                estimate,
                pairs: 0
            }
        );

        // Due on the count, and claimed by one thread at a time.
        for _ in 1..EARLY_EVERY {
            assert_eq!(top_ups.answered(), None);
        }
        let due = top_ups.answered().unwrap();
        assert_eq!((due.stored, due.blocks, due.pairs), (older, estimate, 0));
        for _ in 0..EARLY_EVERY {
            assert_eq!(top_ups.answered(), None, "another thread is timing");
        }
        let found = blocks_found_by_a_pair(&stored, &current, due.blocks, 0, &mut memory).unwrap();
        assert!(found.is_finite() && found >= 0.0, "{found}");
        top_ups.learnt(due, Some(300.0));
        let learnt = sizing(&top_ups);
        assert_eq!(learnt.pairs, 1);
        // The estimate counts as one pair: the first pair found moves the size half way.
        assert_eq!(learnt.blocks, (estimate + 300.0) / 2.0);
        let (_, spent) = verify(&phc, "y", &mut memory, &current, cost, &top_ups);
        let padded: f64 = one_pass(learnt.blocks, &current).iter().map(units).sum();
        assert_eq!(spent.units, units(&stored) + padded);

        // A pair that learnt nothing still counts, so pairs end.
        let due = (0..EARLY_EVERY).find_map(|_| top_ups.answered()).unwrap();
        top_ups.learnt(due, None);
        assert_eq!(
            (sizing(&top_ups).pairs, sizing(&top_ups).blocks),
            (2, learnt.blocks)
        );

        // Past the first pairs, one every LATE_EVERY verifications.
        top_ups.sizes().by_cost.get_mut(&older).unwrap().pairs = SIZING_PAIRS;
        let answered = (1..=LATE_EVERY)
            .filter(|_| {
                top_ups.answered().is_some_and(|due| {
                    top_ups.learnt(due, None);
                    true
                })
            })
            .count();
        assert_eq!(answered, 1);
    }

    /// A size moves to the average of the estimate and the pairs found, then a moving average,
    /// and never out of its band around the estimate.
    #[test]
    fn a_size_moves_by_the_pairs_within_its_band() {
        let start = Sizing {
            blocks: 1_000.0,
            estimate: 1_000.0,
            pairs: 1,
        };
        assert_eq!(moved(start, 1_100.0), 1_050.0);
        let second = Sizing {
            blocks: 1_050.0,
            pairs: 2,
            ..start
        };
        assert_eq!(moved(second, 1_200.0), 1_100.0);
        let settled = Sizing { pairs: 40, ..start };
        assert_eq!(moved(settled, 1_250.0), 1_010.0);
        assert_eq!(moved(start, 10_000.0), 1_250.0);
        assert_eq!(moved(start, 0.0), 750.0);
    }

    /// Top-ups come in one-pass computations no larger than the current memory, and never
    /// more than twice a verification's work, whatever number they are asked for.
    #[test]
    fn top_ups_are_bounded() {
        // Twice its work: 2 × 64 × (1 + 2 × 1.24) = 445.44 blocks.
        let current = params(Cost {
            iterations: 3,
            ..CHEAP
        })
        .unwrap();
        let total = |blocks: f64| -> (usize, usize) {
            let pads = one_pass(blocks, &current);
            assert!(pads
                .iter()
                .all(|p| p.block_count() <= 64 && p.t_cost() == 1));
            (pads.len(), pads.iter().map(Params::block_count).sum())
        };
        assert_eq!(total(200.0), (4, 200));
        assert_eq!(total(7.0), (0, 0));
        assert_eq!(total(-5.0), (0, 0));
        assert_eq!(total(f64::NAN), (0, 0));
        assert_eq!(total(f64::INFINITY), (7, 444));
        assert_eq!(total(1e12), (7, 444));
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
