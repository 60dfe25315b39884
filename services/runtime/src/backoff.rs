//! The pauses of every retry loop (intake's relay and stream set-up, the projection's
//! live feed, the CLI scenario's retries), as one policy: backon's exponential backoff
//! that starts at `first`, doubles after each failure up to `max`, has no jitter and
//! never gives up by itself (a caller that does says so: `with_max_times`).

use std::time::Duration;

pub use backon::Retryable;
use backon::{BackoffBuilder, ExponentialBuilder};

/// Pauses of `first`, then twice as long after each failure, at most `max`.
pub fn doubling(first: Duration, max: Duration) -> ExponentialBuilder {
    ExponentialBuilder::new()
        .with_min_delay(first.min(max))
        .with_max_delay(max)
        .with_factor(2.0)
        .without_max_times()
}

/// The pauses of a loop that retries until it succeeds and then starts over
/// ([`Backoff::reset`]): [`doubling`] as an endless sequence.
#[derive(Debug)]
pub struct Backoff {
    policy: ExponentialBuilder,
    max: Duration,
    pauses: <ExponentialBuilder as BackoffBuilder>::Backoff,
}

impl Backoff {
    /// Pauses of `first`, doubling up to `max`.
    pub fn new(first: Duration, max: Duration) -> Self {
        let policy = doubling(first, max);
        Self {
            policy,
            max,
            pauses: policy.build(),
        }
    }

    /// The pause before the next attempt.
    pub fn next_pause(&mut self) -> Duration {
        // The sequence has no end (`without_max_times`); `max` stands for it anyway.
        self.pauses.next().unwrap_or(self.max)
    }

    /// After a success: the next pause is `first` again.
    pub fn reset(&mut self) {
        self.pauses = self.policy.build();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(backoff: &mut Backoff, n: usize) -> Vec<u128> {
        (0..n).map(|_| backoff.next_pause().as_millis()).collect()
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_reset() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        assert_eq!(millis(&mut b, 5), [100, 200, 400, 500, 500]);
        b.reset();
        assert_eq!(millis(&mut b, 2), [100, 200]);

        let mut b = Backoff::new(Duration::from_secs(30), Duration::from_secs(600));
        let secs: Vec<u64> = (0..7).map(|_| b.next_pause().as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 600, 600]);
    }

    #[test]
    fn a_first_pause_above_the_cap_is_the_cap() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_millis(300));
        assert_eq!(millis(&mut b, 3), [300, 300, 300]);
    }

    #[test]
    fn it_never_runs_out() {
        let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(2));
        assert!((0..10_000).all(|_| b.next_pause() <= Duration::from_millis(2)));
    }

    #[test]
    fn a_bounded_policy_ends_after_its_attempts() {
        let pauses: Vec<u128> = doubling(Duration::from_millis(200), Duration::from_millis(3200))
            .with_max_times(7)
            .build()
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(pauses, [200, 400, 800, 1600, 3200, 3200, 3200]);
    }
}
