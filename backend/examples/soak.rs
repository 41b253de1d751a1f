//! `make soak`: a bounded, mixed load on the release server (loopback only; stops by itself).
//!
//!     cargo run --release -p backend --example soak -- [sqlite|postgres] [seconds] [connections]
//!
//! Sign-ins with the right password, recovery starts, code sends and (wrong) code checks, and
//! page loads, from a fixed number of keep-alive connections. Prints requests served, errors
//! (any answer other than the expected one; must be 0), p50/p99 per kind, and the server's
//! memory at start and end (must not keep growing). Exits non-zero if either check fails.

#[path = "load/mod.rs"]
mod load;

use load::{fresh_database, server_command, Client, Latencies, Server};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PW: &str = "Tangerine7Harbor";
const USERS: usize = 8;
const KINDS: [&str; 5] = [
    "sign-in",
    "recovery start",
    "send code",
    "check code",
    "page",
];

#[derive(Default)]
struct Tally {
    latencies: [Latencies; 5],
    errors: [u64; 5],
    samples: Vec<String>,
}

impl Tally {
    fn record(&mut self, kind: usize, started: Instant, ok: Result<(), String>) {
        self.latencies[kind].add(started.elapsed());
        if let Err(e) = ok {
            self.errors[kind] += 1;
            if self.samples.len() < 5 {
                self.samples.push(format!("{}: {e}", KINDS[kind]));
            }
        }
    }
}

fn expect(answer: Result<load::Answer, String>, status: u16) -> Result<load::Answer, String> {
    let a = answer?;
    if a.status == status {
        Ok(a)
    } else {
        Err(format!(
            "{} (expected {status}): {}",
            a.status,
            String::from_utf8_lossy(&a.body)
                .chars()
                .take(120)
                .collect::<String>()
        ))
    }
}

async fn worker(port: u16, id: usize, until: Instant, served: Arc<AtomicU64>) -> Tally {
    let mut tally = Tally::default();
    let mut client = match Client::connect(port).await {
        Ok(c) => c,
        Err(e) => {
            tally.errors[0] += 1;
            tally.samples.push(format!("connect: {e}"));
            return tally;
        }
    };
    let mut n = 0usize;
    while Instant::now() < until {
        n += 1;
        match n % 5 {
            0 | 1 => {
                let t = Instant::now();
                let form = format!("email=soak{}%40example.com&password={PW}", (id + n) % USERS);
                let r = expect(client.send("POST", "/api/login", "", &form).await, 200);
                tally.record(0, t, r.map(|_| ()));
                served.fetch_add(1, Ordering::Relaxed);
            }
            2 | 3 => {
                // A whole recovery for an address without an account (the same work as with
                // one, and no per-address cap is reached however long this runs).
                let t = Instant::now();
                let form = format!("email=nobody-{id}-{n}%40example.com");
                let r = expect(
                    client.send("POST", "/api/recover_start", "", &form).await,
                    200,
                );
                let cookie = r.as_ref().ok().and_then(|a| {
                    a.set_cookie
                        .iter()
                        .find(|c| c.starts_with("rekey_recovery="))
                        .cloned()
                });
                tally.record(1, t, r.map(|_| ()));
                let Some(cookie) = cookie else { continue };
                let t = Instant::now();
                let r = expect(
                    client.send("POST", "/api/recover_send", &cookie, "").await,
                    200,
                );
                tally.record(2, t, r.map(|_| ()));
                let t = Instant::now();
                let r = expect(
                    client
                        .send("POST", "/api/recover_check", &cookie, "code=000000")
                        .await,
                    422,
                );
                tally.record(3, t, r.map(|_| ()));
                served.fetch_add(3, Ordering::Relaxed);
            }
            _ => {
                let t = Instant::now();
                let path = if n % 2 == 0 { "/login" } else { "/recover" };
                let r = expect(client.send("GET", path, "", "").await, 200);
                tally.record(4, t, r.map(|_| ()));
                served.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    tally
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let db_kind = args.first().map_or("sqlite", String::as_str).to_string();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(180);
    let connections: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);

    let database = fresh_database(&db_kind).await;
    let url = &database.url;
    for i in 0..USERS {
        server_command(
            url,
            &[
                "user",
                "create",
                "--email",
                &format!("soak{i}@example.com"),
                "--password",
                PW,
            ],
        );
    }
    let server = Server::start(
        url,
        &[
            ("SLIDER_POLICY", "never"),
            ("SMS_POLICY", "never"),
            // Every request comes from 127.0.0.1: lift the per-network limit.
            ("RECOVERY_PER_NETWORK", "1000000000"),
        ],
    )
    .await;
    let idle = server.own_memory_mib();
    println!(
        "soak: {seconds} s on {db_kind}, {connections} connections, server pid {}",
        server.child.id()
    );

    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let served = Arc::new(AtomicU64::new(0));
    let warm = Arc::new(Mutex::new(0.0_f64));
    // Memory settles within the first 15 s; a shorter run takes its first sample a third in.
    let every = Duration::from_secs((seconds / 3).clamp(1, 15));
    let reporter = {
        let (served, warm) = (served.clone(), warm.clone());
        let pid = server.child.id();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let now = load::own_memory_mib(pid);
                let mut w = warm.lock().unwrap();
                if *w == 0.0 {
                    *w = now;
                }
                println!(
                    "  {:>4.0} s  {:>8} requests  RSS without the database map {:.1} MiB",
                    started.elapsed().as_secs_f64(),
                    served.load(Ordering::Relaxed),
                    now
                );
            }
        })
    };
    let workers: Vec<_> = (0..connections)
        .map(|id| tokio::spawn(worker(server.port, id, until, served.clone())))
        .collect();
    let mut total = Tally::default();
    for w in workers {
        let t = w.await.expect("worker");
        for k in 0..KINDS.len() {
            total.latencies[k].merge(&t.latencies[k]);
            total.errors[k] += t.errors[k];
        }
        total.samples.extend(t.samples);
    }
    reporter.abort();
    let elapsed = started.elapsed().as_secs_f64();
    let end = server.own_memory_mib();
    let warm = match *warm.lock().unwrap() {
        0.0 => idle,
        w => w,
    };

    println!();
    println!("| request | count | errors | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    let mut count = 0;
    let mut errors = 0;
    for (k, kind) in KINDS.iter().enumerate() {
        let l = &total.latencies[k];
        count += l.0.len();
        errors += total.errors[k];
        println!(
            "| {kind} | {} | {} | {:.2} | {:.2} |",
            l.0.len(),
            total.errors[k],
            l.quantile_ms(0.5),
            l.quantile_ms(0.99)
        );
    }
    println!();
    println!(
        "served {count} requests in {elapsed:.0} s ({:.0}/s), {errors} errors",
        count as f64 / elapsed
    );
    println!(
        "server RSS without the database file's memory map: {idle:.1} MiB idle, {warm:.1} MiB after {} s of load, {end:.1} MiB at the end",
        every.as_secs()
    );
    for s in &total.samples {
        println!("  error: {s}");
    }
    // Memory is bounded if the end is not far above where the load settled.
    let bounded = end <= warm * 1.5 + 32.0;
    println!(
        "verdict: {} errors, memory {}",
        if errors == 0 { "no" } else { "SOME" },
        if bounded { "bounded" } else { "GREW" }
    );
    drop(server);
    // Removed here: an exit skips the destructors.
    drop(database);
    if errors > 0 || !bounded {
        std::process::exit(1);
    }
}
