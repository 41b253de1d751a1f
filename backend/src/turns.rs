//! Turns in this process for work on one subject, such as the sign-ins of one address.
//!
//! A sign-in reads its address's failures, hashes for ~20 ms, then records a failure: without
//! turns, sixty guesses sent at once all read "no failures yet" and none meets the slider.
//! Taking the address's turn first makes each guess read the failures of the guesses before
//! it. The counts stay in the database; a turn only orders the reads. Between processes the
//! same race is bounded by their number: each process lets one guess per address through at a
//! time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::{Mutex as TurnLock, OwnedMutexGuard};

/// Above this many subjects, forgotten ones are swept out when a new one comes.
const SWEEP_ABOVE: usize = 1024;

/// One lock per subject that someone is waiting for or holding; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Turns(Arc<Mutex<HashMap<String, Weak<TurnLock<()>>>>>);

/// A subject's turn, held until dropped.
pub type Turn = OwnedMutexGuard<()>;

impl Turns {
    /// Waits for `subject`'s turn (at once when no one else has it).
    pub async fn take(&self, subject: &str) -> Turn {
        let lock = {
            let mut subjects = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match subjects.get(subject).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    if subjects.len() >= SWEEP_ABOVE {
                        subjects.retain(|_, lock| lock.strong_count() > 0);
                    }
                    let lock = Arc::new(TurnLock::new(()));
                    subjects.insert(subject.to_string(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }

    /// How many subjects are remembered (held, waited for, or not yet swept out).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.0.lock().map_or(0, |subjects| subjects.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_subject_takes_turns_and_others_do_not_wait() {
        let turns = Turns::default();
        let first = turns.take("a").await;
        // Another subject goes ahead while "a" is held.
        tokio::time::timeout(Duration::from_secs(1), turns.take("b"))
            .await
            .expect("b does not wait for a");
        // "a" again waits until the first turn ends.
        let waiting = tokio::spawn({
            let turns = turns.clone();
            async move { turns.take("a").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a second turn of a waits");
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("the turn passes on")
            .expect("task");
    }

    #[tokio::test]
    async fn subjects_no_one_holds_are_swept_out() {
        let turns = Turns::default();
        for i in 0..SWEEP_ABOVE + 10 {
            drop(turns.take(&i.to_string()).await);
        }
        let held = turns.take("held").await;
        assert!(
            turns.remembered() <= SWEEP_ABOVE,
            "{} remembered",
            turns.remembered()
        );
        drop(held);
    }
}
