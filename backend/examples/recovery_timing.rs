//! How long "start" and "send code" take for an address with an account and one without,
//! interleaved, on a fresh SQLite file. Prints percentiles and a rank test; asserts nothing.
//!
//! ```sh
//! make bench-timing            # or: cargo run --release -p backend --example recovery_timing -- 500
//! ```

use backend::{AppState, Config};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("rekey-timing-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/rekey.db", dir.display());
    let config = Config::from_pairs(&[
        ("DATABASE_URL", url.as_str()),
        ("RECOVERY_PER_NETWORK", "1000000000"),
        ("CODES_PER_ACCOUNT_PER_DAY", "1000000000"),
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
    report("start", &mut start_known, &mut start_unknown);
    report("send code", &mut send_known, &mut send_unknown);
    state.db.close().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

fn report(what: &str, known: &mut [Duration], unknown: &mut [Duration]) {
    let z = mann_whitney_z(known, unknown);
    known.sort();
    unknown.sort();
    let p = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    for (name, v) in [("known", &*known), ("unknown", &*unknown)] {
        println!(
            "  {what:<10} {name:<8} p50 {:>8.1} µs   p90 {:>8.1} µs   p99 {:>8.1} µs",
            us(p(v, 0.5)),
            us(p(v, 0.9)),
            us(p(v, 0.99))
        );
    }
    println!(
        "  {what:<10} p50 difference {:+.1} µs; Mann-Whitney z = {z:+.2} (|z| < 1.96: no difference at 5 %)",
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
