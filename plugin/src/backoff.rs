//! The one retry schedule of the plugin: capped exponential backoff, used by
//! chat retries and by the catalog's background refresh after a failure.

use std::time::Duration;

use rand::Rng;

/// Step `n` (1-based) waits `first × 2^(n-1)`, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backoff {
    pub(crate) first: Duration,
    pub(crate) cap: Duration,
}

impl Backoff {
    /// The un-jittered wait before retry `n`.
    pub(crate) fn step(&self, n: u32) -> Duration {
        let doublings = n.saturating_sub(1).min(31);
        self.first.saturating_mul(1 << doublings).min(self.cap)
    }

    /// Full jitter: uniform in `[0, step(n)]`. For requests: clients that
    /// failed together (a 429 burst) do not come back together.
    pub(crate) fn full_jitter(&self, n: u32, rng: &mut impl Rng) -> Duration {
        let step_ms = u64::try_from(self.step(n).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=step_ms))
    }

    /// `step(n)` ±20 %, at most `cap`. For a lone background task, which
    /// should keep to its schedule but not in lockstep with other processes.
    pub(crate) fn around(&self, n: u32, rng: &mut impl Rng) -> Duration {
        self.step(n)
            .mul_f64(rng.random_range(0.8..=1.2))
            .min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const B: Backoff = Backoff {
        first: Duration::from_millis(500),
        cap: Duration::from_secs(2),
    };

    #[test]
    fn steps_double_up_to_the_cap() {
        let steps: Vec<_> = (1..=5).map(|n| B.step(n).as_millis()).collect();
        assert_eq!(steps, [500, 1000, 2000, 2000, 2000]);
        assert_eq!(B.step(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn jitters_stay_in_their_ranges() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in 1..=6 {
            for _ in 0..100 {
                assert!(B.full_jitter(n, &mut rng) <= B.step(n));
                let around = B.around(n, &mut rng);
                assert!(around >= B.step(n).mul_f64(0.8) && around <= B.cap);
            }
        }
    }
}
