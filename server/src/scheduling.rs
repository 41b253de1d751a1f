//! The server's threads run under Linux's `SCHED_BATCH` policy.
//!
//! Under the default policy a thread that wakes up — a request arriving, a database answer —
//! takes the core from the one running at once. While sign-ins keep every core hashing, that
//! meant an argon2id hash cut short and resumed hundreds of times a second, each time with its
//! caches and TLB refilled by the request in between. Under `SCHED_BATCH` a woken thread waits
//! for the running one's time slice to end (a few milliseconds), so the short jobs of requests
//! and the database run in fewer, longer turns. `make bench` measured the sign-ins' share of the
//! machine's hashing ceiling a point or two higher, pages still well under their 20 ms p99.
//! Nothing changes while a core is free: a woken thread then runs on it at once.
//!
//! The niceness is 0, as a server started normally has: this is about wakeups, not about
//! giving way to other programs on the machine (a database on the same host keeps its share).

/// Puts the calling thread under `SCHED_BATCH`, keeping niceness 0. Threads it starts
/// afterwards inherit the policy, so `main` calls it before the runtime starts its threads.
#[cfg(target_os = "linux")]
pub fn batch() -> Result<(), String> {
    use thread_priority::{
        set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
        ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
    };
    // thread-priority sets a normal policy's niceness from its 0–99 scale, reversed onto
    // 19…-20; 47 lands on 0 (checked by the test below).
    let nice_zero = ThreadPriorityValue::try_from(47u8)?;
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(nice_zero),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
    )
    .map_err(|e| format!("{e:?}"))
}

/// Elsewhere the threads keep the system's default policy.
#[cfg(not(target_os = "linux"))]
pub fn batch() -> Result<(), String> {
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// Policy and niceness of the calling thread, from `/proc/thread-self/stat`.
    fn policy_and_nice() -> (u32, i32) {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
        // Fields after the command name (which may hold spaces), numbered from 3.
        let rest: Vec<&str> = stat.rsplit_once(") ").expect("comm").1.split(' ').collect();
        let field = |n: usize| rest[n - 3];
        (
            field(41).parse().expect("policy"),
            field(19).parse().expect("nice"),
        )
    }

    #[test]
    fn batch_at_niceness_zero_and_threads_started_after_inherit_it() {
        std::thread::spawn(|| {
            super::batch().expect("SCHED_BATCH needs no privilege");
            assert_eq!(policy_and_nice(), (3, 0), "SCHED_BATCH at niceness 0");
            let child = std::thread::spawn(policy_and_nice).join().unwrap();
            assert_eq!(child, (3, 0), "inherited");
        })
        .join()
        .unwrap();
    }
}
