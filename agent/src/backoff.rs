//! Exponential backoff with jitter, for every retry against the hub: never a tight loop.

use rand::Rng;
use std::time::Duration;

/// Delays that double from `min` up to `max`; each is drawn at random from the upper half
/// of the current step, so a fleet that lost its hub does not come back in lock-step.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        Self {
            min,
            max: max.max(min),
            current: min,
        }
    }

    /// The 0.5 s → 30 s schedule used for the hub.
    pub fn hub() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(30))
    }

    /// The next delay to wait.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.current;
        self.current = (self.current * 2).min(self.max);
        let lo = step.as_secs_f64() / 2.0;
        Duration::from_secs_f64(rand::rng().random_range(lo..=step.as_secs_f64()))
    }

    /// Back to the shortest delay, after a success.
    pub fn reset(&mut self) {
        self.current = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_with_jitter_up_to_the_cap_and_reset() {
        let mut b = Backoff::hub();
        let d: Vec<Duration> = (0..10).map(|_| b.next_delay()).collect();
        assert!(
            d[0] >= Duration::from_millis(250) && d[0] <= Duration::from_millis(500),
            "{d:?}"
        );
        assert!(
            d[3] >= Duration::from_secs(2) && d[3] <= Duration::from_secs(4),
            "{d:?}"
        );
        assert!(d.iter().all(|x| *x <= Duration::from_secs(30)), "{d:?}");
        assert!(d[9] >= Duration::from_secs(15), "{d:?}");
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(500));
    }
}
