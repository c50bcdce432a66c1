//! When a failed attempt is tried again, and after how long.
//!
//! Capped exponential backoff with full jitter (a random delay between zero and the cap of
//! the step), so clients that failed together do not come back together. A server's
//! `Retry-After` replaces the backoff when it is within `max_retry_after`; above it the
//! error goes to the host at once, since waiting less than asked only earns another 429.

use std::time::{Duration, SystemTime};

use provider_abi::ProviderError;
use rand::Rng;

use super::config::RetryPolicy;
use crate::backoff::Backoff;

/// Why an attempt failed, and whether the same request may be sent again. The caller adds
/// the other condition: nothing may have reached the host yet.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: ProviderError,
    pub retryable: bool,
}

impl Failure {
    pub(crate) fn retryable(error: ProviderError) -> Self {
        Failure {
            error,
            retryable: true,
        }
    }

    pub(crate) fn fatal(error: ProviderError) -> Self {
        Failure {
            error,
            retryable: false,
        }
    }
}

impl From<ProviderError> for Failure {
    fn from(error: ProviderError) -> Self {
        Failure::fatal(error)
    }
}

/// The wait before the attempt after `attempt` (1-based), or `None` when there is none:
/// attempts used up, or the server asked for longer than the policy honours.
pub(crate) fn next_delay(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<Duration>,
    rng: &mut impl Rng,
) -> Option<Duration> {
    if attempt >= policy.max_attempts {
        return None;
    }
    if let Some(asked) = retry_after {
        return (asked <= policy.max_retry_after).then_some(asked);
    }
    let backoff = Backoff {
        first: policy.base_delay,
        cap: policy.max_delay,
    };
    Some(backoff.full_jitter(attempt, rng))
}

/// `Retry-After` as delay-seconds or an HTTP date (a date in the past means now).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // Not in the RFC, but seen: fractional seconds.
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn backoff_is_jittered_below_a_capped_doubling_step() {
        let mut rng = StdRng::seed_from_u64(1);
        for (attempt, cap_ms) in [(1, 500), (2, 1000), (3, 2000), (4, 2000)] {
            let mut seen = Vec::new();
            for _ in 0..200 {
                let d = next_delay(&policy(), attempt, None, &mut rng).unwrap();
                assert!(
                    d <= Duration::from_millis(cap_ms),
                    "attempt {attempt}: {d:?}"
                );
                seen.push(d);
            }
            seen.sort();
            seen.dedup();
            assert!(seen.len() > 50, "full jitter spreads the delays");
        }
        assert_eq!(
            next_delay(&policy(), 5, None, &mut rng),
            None,
            "attempts used up"
        );
    }

    #[test]
    fn retry_after_replaces_backoff_within_the_limit() {
        let mut rng = StdRng::seed_from_u64(1);
        let asked = Some(Duration::from_secs(7));
        assert_eq!(
            next_delay(&policy(), 1, asked, &mut rng),
            Some(Duration::from_secs(7))
        );
        let too_long = Some(Duration::from_secs(61));
        assert_eq!(next_delay(&policy(), 1, too_long, &mut rng), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
