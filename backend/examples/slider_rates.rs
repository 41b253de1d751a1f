//! Pass rates of the slider's judge on generated movements: a human-like corpus and each bot
//! strategy (`backend::slider::corpus`). Prints figures; asserts nothing.
//!
//! ```sh
//! make bench-slider
//! ```

use backend::slider::corpus::{bots, human, Rng};
use backend::slider::{judge, Tier};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    println!("slider judge, {runs} generated movements each");
    for (tier, name) in [(Tier::Normal, "normal"), (Tier::Harder, "harder")] {
        let passed = (0..runs).filter(|_| judge(&human(&mut rng), tier)).count();
        println!(
            "  human-like (minimum-jerk, overshoot, tremor, dwell), {name} tier: {:.1} % pass",
            rate(passed, runs)
        );
    }
    let names: Vec<&str> = bots(&mut rng).iter().map(|(n, _)| *n).collect();
    for (i, name) in names.iter().enumerate() {
        let passed = (0..runs)
            .filter(|_| judge(&bots(&mut rng)[i].1, Tier::Normal))
            .count();
        println!("  bot: {name:<42} {:.1} % pass", rate(passed, runs));
    }
}

fn rate(passed: usize, runs: usize) -> f64 {
    passed as f64 * 100.0 / runs as f64
}
