//! One retry policy for everything dossier tries again (a post Discord refused for now, a Matrix
//! send or sync that failed, a Discord that cannot be reached): waits that double from a first
//! one, each stretched by a random share of itself (backon's jitter) so that many clients
//! failing together do not come back in step, and never longer than the policy's longest. A
//! wait the platform asked for (Discord's `retry_after`) is the caller's to keep; this is the
//! wait when none was given.

use std::time::Duration;

/// How long to wait before each new try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The wait after the first failure, before jitter.
    pub first: Duration,
    /// No wait is longer.
    pub longest: Duration,
}

/// The waits of one run of failures, one per failure, without end.
pub struct Waits(backon::ExponentialBackoff);

impl Iterator for Waits {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.0.next()
    }
}

impl Policy {
    pub const fn new(first: Duration, longest: Duration) -> Policy {
        Policy { first, longest }
    }

    /// The waits after the first failure, the second, and so on: the n-th is between
    /// `first · 2ⁿ⁻¹` and twice that, and never over `longest`.
    pub fn waits(self) -> Waits {
        use backon::BackoffBuilder as _;
        // Jitter adds up to the wait again, so the doubling stops at half the longest.
        let cap = (self.longest / 2).max(self.first);
        Waits(
            backon::ExponentialBuilder::new()
                .with_min_delay(self.first)
                .with_max_delay(cap)
                .with_factor(2.0)
                .with_jitter()
                .without_max_times()
                .build(),
        )
    }

    /// The wait after `failures` failures in a row (counted from 1), for a caller that keeps
    /// the count itself (a stored number of attempts).
    pub fn after(self, failures: u32) -> Duration {
        let n = failures.clamp(1, 32) as usize;
        self.waits()
            .nth(n - 1)
            .unwrap_or(self.longest)
            .min(self.longest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy::new(Duration::from_millis(500), Duration::from_secs(30));

    #[test]
    fn waits_double_with_jitter_and_stop_at_the_longest() {
        for _ in 0..50 {
            let waits: Vec<Duration> = P.waits().take(12).collect();
            for (i, w) in waits.iter().enumerate().take(5) {
                let base = P.first * 2u32.pow(i as u32);
                assert!(*w >= base && *w <= base * 2, "wait {i}: {w:?}");
            }
            assert!(waits.iter().all(|w| *w <= P.longest), "{waits:?}");
            assert!(waits[11] >= P.longest / 2);
        }
    }

    #[test]
    fn runs_of_failures_spread_rather_than_retry_in_step() {
        let firsts: std::collections::BTreeSet<u128> = (0..40)
            .map(|_| P.waits().next().unwrap().as_micros())
            .collect();
        assert!(firsts.len() > 30, "{firsts:?}");
    }

    #[test]
    fn the_wait_after_n_failures_follows_the_same_policy() {
        for n in [1, 2, 3, 5] {
            let base = P.first * 2u32.pow(n - 1);
            let w = P.after(n);
            assert!(w >= base && w <= (base * 2).min(P.longest), "{n}: {w:?}");
        }
        assert!(P.after(0) <= P.first * 2);
        assert!(P.after(u32::MAX) <= P.longest);
    }
}
