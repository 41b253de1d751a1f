//! How long "start" and "send code" take for an address with an account and one without,
//! interleaved, on a fresh SQLite file; then how long a sign-in with a wrong password takes for
//! an account hashed at the configured cost, for one hashed at an older, cheaper cost (as every
//! account is after the cost is raised, until it signs in again) and for an address without an
//! account. Prints percentiles and rank tests; asserts nothing.
//!
//! ```sh
//! make bench-timing            # or: cargo run --release -p backend --example recovery_timing -- 500 200
//! ```

use backend::{AppState, Config};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count = |at: usize, default: usize| -> Result<usize, std::num::ParseIntError> {
        std::env::args().nth(at).map_or(Ok(default), |n| n.parse())
    };
    run(count(1, 500)?, count(2, 200)?).await
}

/// `rounds` starts and codes of each kind, then `sign_ins` wrong-password sign-ins of each.
async fn run(rounds: usize, sign_ins: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("rekey-timing-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/rekey.db", dir.display());
    let config = Config::from_pairs(&[
        ("DATABASE_URL", url.as_str()),
        ("RECOVERY_PER_NETWORK", "1000000000"),
        ("CODES_PER_ACCOUNT_PER_DAY", "1000000000"),
        // Thousands of starts and wrong passwords from one network: no slider, no lock.
        ("SLIDER_POLICY", "never"),
        ("LOGIN_CHALLENGE_AFTER", "1000000000"),
        ("LOGIN_LOCK_AFTER", "1000000000"),
    ])?;
    let state = AppState::start(config).await?;
    let known: Vec<String> = (0..rounds)
        .map(|i| format!("known{i}@example.com"))
        .collect();
    for email in &known {
        backend::accounts::create_user(&state, email, "Tangerine7Harbor", "").await?;
    }

    let (mut start_known, mut start_unknown) = (Vec::new(), Vec::new());
    let (mut send_known, mut send_unknown) = (Vec::new(), Vec::new());
    for (i, email) in known.iter().enumerate() {
        let unknown = format!("nobody{i}@example.com");
        // Alternate which goes first, so warm-up and drift fall on both alike.
        let order: [(&str, bool); 2] = if i % 2 == 0 {
            [(email, true), (&unknown, false)]
        } else {
            [(&unknown, false), (email, true)]
        };
        for (address, is_known) in order {
            let t = Instant::now();
            let flow = backend::recovery::start(&state, address, None, "bench").await?;
            let started = t.elapsed();
            let t = Instant::now();
            backend::recovery::send_code(&state, &flow.token, "bench").await?;
            let sent = t.elapsed();
            if is_known {
                start_known.push(started);
                send_known.push(sent);
            } else {
                start_unknown.push(started);
                send_unknown.push(sent);
            }
        }
    }
    println!("recovery timing, SQLite, {rounds} known and {rounds} unknown addresses, interleaved");
    report(
        "start",
        ("known", "unknown"),
        &mut start_known,
        &mut start_unknown,
    );
    report(
        "send code",
        ("known", "unknown"),
        &mut send_known,
        &mut send_unknown,
    );
    sign_in_timing(&state, sign_ins).await?;
    state.db.close().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// Wrong-password sign-ins, interleaved, `n` of each: an account hashed at the configured cost,
/// one hashed at half its iterations (or half its memory when it has one iteration: the cost
/// before it was raised), and no account.
async fn sign_in_timing(state: &AppState, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let cost = state.hasher.cost();
    let older = if cost.iterations > 1 {
        backend::hasher::Cost {
            iterations: cost.iterations / 2,
            ..cost
        }
    } else {
        backend::hasher::Cost {
            memory_kib: cost.memory_kib / 2,
            ..cost
        }
    };
    let older_hash = backend::hasher::Hasher::start(older, 1, 1)?
        .hash("Tangerine7Harbor")
        .await?;
    for i in 0..n {
        backend::accounts::create_user(
            state,
            &format!("current{i}@example.com"),
            "Tangerine7Harbor",
            "",
        )
        .await?;
        let id = backend::accounts::create_user(
            state,
            &format!("older{i}@example.com"),
            "Tangerine7Harbor",
            "",
        )
        .await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&older_hash)
            .bind(&id)
            .execute(state.db.pool())
            .await?;
    }
    println!(
        "sign-in with a wrong password, {n} of each, interleaved: an account hashed at the \
         configured cost (m={} KiB, t={}), one at an older cost (m={} KiB, t={}), no account",
        cost.memory_kib, cost.iterations, older.memory_kib, older.iterations
    );
    // The pool sizes a top-up on the machine from its first pairs, timed one every four
    // verifications: give it those before measuring (all 24 of them when `n` is 32 or more).
    wrong_sign_ins(state, n.min(40), 1).await?;
    // One at a time, then from as many tasks as twice the hashing threads, so that the pool is
    // saturated and every answer waits its turn: the top-up must hold under load too.
    let busy = 2 * state.config.hash_threads;
    for tasks in [1, busy] {
        let [mut current, mut older_times, mut unknown] = wrong_sign_ins(state, n, tasks).await?;
        let what = if tasks == 1 { "sign-in" } else { "saturated" };
        if tasks > 1 {
            println!("  … the same from {tasks} tasks at once");
        }
        report(what, ("known", "unknown"), &mut current, &mut unknown);
        report(
            what,
            ("older cost", "unknown"),
            &mut older_times,
            &mut unknown,
        );
    }
    Ok(())
}

/// `n` wrong-password sign-ins of each kind (configured cost, older cost, no account) from
/// `tasks` tasks, each taking every `tasks`-th index and its three kinds in turn.
async fn wrong_sign_ins(
    state: &AppState,
    n: usize,
    tasks: usize,
) -> Result<[Vec<Duration>; 3], Box<dyn std::error::Error>> {
    let runs: Vec<_> = (0..tasks)
        .map(|task| {
            let state = state.clone();
            tokio::spawn(async move {
                let mut times: [Vec<Duration>; 3] = Default::default();
                for i in (task..n).step_by(tasks) {
                    let addresses = [
                        format!("current{i}@example.com"),
                        format!("older{i}@example.com"),
                        format!("nobody-signs-in{i}@example.com"),
                    ];
                    // Each kind goes first, second and third in turn.
                    for k in 0..3 {
                        let which = (i + k) % 3;
                        let t = Instant::now();
                        let answer = backend::accounts::login(
                            &state,
                            &addresses[which],
                            "Wrong-Guess-42",
                            "bench",
                        )
                        .await;
                        let took = t.elapsed();
                        if !matches!(answer, Err(backend::accounts::LoginError::Incorrect)) {
                            return Err(format!("{}: {answer:?}", addresses[which]));
                        }
                        times[which].push(took);
                    }
                }
                Ok(times)
            })
        })
        .collect();
    let mut all: [Vec<Duration>; 3] = Default::default();
    for run in runs {
        for (into, from) in all.iter_mut().zip(run.await??) {
            into.extend(from);
        }
    }
    Ok(all)
}

/// Percentiles of `known` and `unknown` (named `names`), the difference of their p50s and a
/// rank test.
fn report(what: &str, names: (&str, &str), known: &mut [Duration], unknown: &mut [Duration]) {
    if known.is_empty() || unknown.is_empty() {
        return;
    }
    let z = mann_whitney_z(known, unknown);
    known.sort();
    unknown.sort();
    let p = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    for (name, v) in [(names.0, &*known), (names.1, &*unknown)] {
        println!(
            "  {what:<10} {name:<10} p50 {:>8.1} µs   p90 {:>8.1} µs   p99 {:>8.1} µs",
            us(p(v, 0.5)),
            us(p(v, 0.9)),
            us(p(v, 0.99))
        );
    }
    println!(
        "  {what:<10} {} − {}: p50 difference {:+.1} µs; Mann-Whitney z = {z:+.2} (|z| < 1.96: no difference at 5 %)",
        names.0,
        names.1,
        us(p(known, 0.5)) - us(p(unknown, 0.5))
    );
}

/// The normal approximation of the Mann-Whitney U statistic of `a` against `b`.
fn mann_whitney_z(a: &[Duration], b: &[Duration]) -> f64 {
    let mut all: Vec<(Duration, bool)> = a
        .iter()
        .map(|d| (*d, true))
        .chain(b.iter().map(|d| (*d, false)))
        .collect();
    all.sort_by_key(|(d, _)| *d);
    let rank_sum_a: f64 = all
        .iter()
        .enumerate()
        .filter(|(_, (_, from_a))| *from_a)
        .map(|(i, _)| (i + 1) as f64)
        .sum();
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let sd = (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt();
    (u - mean) / sd
}

#[cfg(test)]
mod tests {
    /// The tool runs through (`cargo test` runs this; `make bench-timing` measures): it broke
    /// unseen once, when the recovery slider's risk policy began to meet its thousand starts.
    #[tokio::test]
    async fn runs_with_a_few_of_each() {
        super::run(4, 3).await.unwrap();
    }
}
