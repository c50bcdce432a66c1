//! How a completion reaches the router: endpoint, token, time limits, retries, size bounds.

use std::time::Duration;

use crate::auth::ApiKey;
use crate::settings::Settings;

/// Everything `run_completion` needs besides the request itself.
///
/// The defaults suit the public router; tests shrink the time limits to milliseconds.
#[derive(Debug, Clone)]
pub(crate) struct ChatConfig {
    /// e.g. `https://router.huggingface.co/v1`, without a trailing slash.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when present. Without one the request still goes
    /// out: a local mock router may not need it, and the real one answers 401 with its own
    /// message, which is then reported as an `Auth` error.
    pub api_key: Option<ApiKey>,
    /// Organisation billed for the call (`X-HF-Bill-To`).
    pub bill_to: Option<String>,
    /// From sending the request to the first byte of the body. Default 120 s: reasoning
    /// models and queued backends can take a minute before anything arrives.
    pub first_byte_timeout: Duration,
    /// Longest silence between two body chunks once the body started. Default 60 s.
    pub idle_timeout: Duration,
    /// Whole call including retries. Default none: long answers are legitimate, and the
    /// idle limit already catches a stalled stream.
    pub total_timeout: Option<Duration>,
    /// When and how often a failed attempt is retried.
    pub retry: RetryPolicy,
    /// Largest single SSE event. Default 4 MiB: a chunk is rarely above a few KiB, but a
    /// tool call with a large argument can arrive in one piece.
    pub max_event_bytes: usize,
    /// Largest non-streaming answer or error body. Default 16 MiB.
    pub max_body_bytes: usize,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            base_url: "https://router.huggingface.co/v1".to_string(),
            api_key: None,
            bill_to: None,
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            total_timeout: None,
            retry: RetryPolicy::default(),
            max_event_bytes: 4 * 1024 * 1024,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

impl ChatConfig {
    /// The chat part of the provider's settings.
    pub(crate) fn from_settings(settings: &Settings) -> Self {
        ChatConfig {
            base_url: settings.base_url.clone(),
            api_key: settings.api_key.clone(),
            bill_to: settings.bill_to.clone(),
            first_byte_timeout: settings.first_byte_timeout,
            idle_timeout: settings.idle_timeout,
            total_timeout: settings.total_timeout,
            retry: RetryPolicy {
                max_attempts: settings.max_attempts,
                base_delay: settings.base_delay,
                max_delay: settings.max_delay,
                max_retry_after: settings.max_retry_after,
            },
            ..ChatConfig::default()
        }
    }

    /// `<base_url>/chat/completions`, tolerating a trailing slash on the base.
    pub(crate) fn completions_url(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }
}

/// Retries of transient failures (429, 5xx, connection errors, first-byte timeouts),
/// only while nothing has reached the host yet.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RetryPolicy {
    /// Attempts in total, the first one included. Default 3; 1 disables retries.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time. Default 500 ms.
    pub base_delay: Duration,
    /// Upper bound of the exponential backoff. Default 20 s.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured. A server asking for more is not retried: the error
    /// goes to the host at once (with its `retry_after`), so failover can try another model
    /// instead of holding the user for minutes. Default 60 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = ChatConfig::default();
        assert_eq!(
            c.completions_url(),
            "https://router.huggingface.co/v1/chat/completions"
        );
        assert_eq!(c.first_byte_timeout, Duration::from_secs(120));
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.retry.max_attempts, 3);
        assert_eq!(c.max_event_bytes, 4 << 20);
    }
}
