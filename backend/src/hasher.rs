//! argon2id on a dedicated pool: one thread per core, each reusing its own memory buffer,
//! behind a bounded queue that refuses work at once when full.
//!
//! `spawn_blocking` per hash was measured 2.5× slower with gigabytes of memory under load: every
//! call allocates 19 MiB afresh and the blocking pool grows without bound. Here memory stays at
//! threads × 19 MiB and a flood gets a quick "busy" instead of a growing queue.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use std::collections::{hash_map::Entry, HashMap};
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
                let (verdict, spent) = verify(&phc, &password, &mut memory, params, cost, top_ups);
                let _ = reply.send(Ok(verdict));
                // After the answer, so that none waits for the timing.
                if let Some(stored) = spent.to_size {
                    top_ups.size_once(stored, params, &mut memory);
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
/// a pool sizes each top-up on its own machine (`size_top_up`).
const LATER_PASS: f64 = 1.24;

/// The top-ups a pool has sized, by stored cost, in one-pass blocks: shared by its threads.
#[derive(Default)]
struct TopUps(Mutex<HashMap<Cost, Sizing>>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sizing {
    /// A thread is timing it.
    Underway,
    Sized(f64),
}

impl TopUps {
    fn sizes(&self) -> MutexGuard<'_, HashMap<Cost, Sizing>> {
        // A thread that panicked holding the lock left plain numbers: still good to read.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The blocks that top up a check at `stored` to a verification at `current`, and whether
    /// they were sized on this machine (until then, the work missing by `units`).
    fn blocks(&self, stored: Cost, stored_params: &Params, current: &Params) -> (f64, bool) {
        match self.sizes().get(&stored) {
            Some(Sizing::Sized(blocks)) => (*blocks, true),
            _ => (units(current) - units(stored_params), false),
        }
    }

    /// Sizes the top-up for `stored` unless another thread is at it or has done it.
    fn size_once(&self, stored: Cost, current: &Params, memory: &mut Vec<Block>) {
        match self.sizes().entry(stored) {
            Entry::Occupied(_) => return,
            Entry::Vacant(v) => v.insert(Sizing::Underway),
        };
        let sized = params(stored)
            .map(|stored_params| size_top_up(&stored_params, current, memory))
            .unwrap_or(0.0);
        self.sizes().insert(stored, Sizing::Sized(sized));
    }
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

/// The pairs `size_top_up` times, round by round: a pair's difference varies by about a
/// millisecond on a busy 2-core host; the median of 15 is good to about a quarter of one.
const SIZING_PAIRS: [usize; 2] = [5, 15];

/// How many one-pass blocks make a check at `stored` take as long as a verification at
/// `current` on this machine. Starting from the work missing by `units`, round by round: pairs
/// back to back (so a pair shares the host's load), each a verification at `current` and the
/// check with its top-up; the top-up grows or shrinks by the median time the pairs lacked, at
/// the median pace of its own blocks. At the default cost, about 0.65 s of one hashing thread,
/// once per stored cost and process.
fn size_top_up(stored: &Params, current: &Params, memory: &mut Vec<Block>) -> f64 {
    let mut blocks = units(current) - units(stored);
    let timed = |params: &Params, memory: &mut Vec<Block>| {
        let start = Instant::now();
        let _ = compute(params, &[0; 16], "", memory);
        start.elapsed().as_secs_f64()
    };
    for pairs in SIZING_PAIRS {
        let pads = one_pass(blocks, current);
        let padded: f64 = pads.iter().map(|p| p.block_count() as f64).sum();
        let (mut lacked, mut per_block) = (Vec::new(), Vec::new());
        for _ in 0..pairs {
            let verification = timed(current, memory);
            let check = timed(stored, memory);
            let topping: f64 = pads.iter().map(|pad| timed(pad, memory)).sum();
            lacked.push(verification - check - topping);
            per_block.push(if padded > 0.0 {
                topping / padded
            } else {
                verification / units(current)
            });
        }
        blocks = (padded + median(&mut lacked) / median(&mut per_block)).max(0.0);
    }
    blocks
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// What a verification computed, in `units`, and the stored cost of a top-up it did before
/// that top-up was sized on this machine.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spent {
    units: f64,
    to_size: Option<Cost>,
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
    let (blocks, sized) = top_ups.blocks(stored_cost, &stored, current);
    let pads = one_pass(blocks, current);
    let done = checked + compute_each(&pads, password, memory);
    let to_size = (!sized && !pads.is_empty()).then_some(stored_cost);
    (Verified::No, spent(done, to_size))
}

fn spent(units: f64, to_size: Option<Cost>) -> Spent {
    Spent { units, to_size }
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
            // Each top-up is to be sized on the machine, after the answer.
            assert_eq!(spent.to_size, i.checked_sub(4).map(|o| older[o]), "{phc}");
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
                to_size: None
            }
        );
    }

    /// A top-up is sized once per stored cost, by timing it on this machine; from then on the
    /// verifications at that cost use it.
    #[tokio::test]
    async fn a_top_up_is_sized_on_the_machine_once_per_stored_cost() {
        let cost = Cost {
            memory_kib: 256,
            iterations: 2,
            parallelism: 1,
        };
        let older = Cost {
            iterations: 1,
            ..cost
        };
        let current = params(cost).unwrap();
        let phc = Hasher::start(older, 1, 1).unwrap().hash("x").await.unwrap();
        let (top_ups, mut memory) = (TopUps::default(), Vec::new());
        top_ups.size_once(older, &current, &mut memory);
        let Some(Sizing::Sized(blocks)) = top_ups.sizes().get(&older).copied() else {
            panic!("not sized: {:?}", top_ups.sizes().get(&older));
        };
        assert!(blocks.is_finite() && blocks >= 0.0, "{blocks}");
        let (_, spent) = verify(&phc, "y", &mut memory, &current, cost, &top_ups);
        let padded: f64 = one_pass(blocks, &current).iter().map(units).sum();
        assert_eq!(
            spent,
            Spent {
                units: 256.0 + padded,
                to_size: None
            }
        );

        // Sized (or being sized) once: another thread's call leaves it be.
        top_ups.sizes().insert(older, Sizing::Sized(100.0));
        top_ups.size_once(older, &current, &mut memory);
        assert_eq!(top_ups.sizes().get(&older), Some(&Sizing::Sized(100.0)));
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
