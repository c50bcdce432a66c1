//! Time limits and cancellation around every wait of a completion.
//!
//! Each await on the network (sending, every body read) and each backoff sleep races the
//! cancellation token, the limit of its phase and the whole call's deadline. The reqwest
//! client only knows the connect limit: the others depend on where in the answer we are,
//! which only this code knows.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use provider_abi::{ErrorKind, ProviderError};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::config::ChatConfig;
use super::retry::Failure;

/// The limit that applies to one wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    /// Until the first byte of the body; the deadline was fixed when the request left.
    FirstByte(Instant),
    /// Between two chunks of the body.
    Idle,
}

pub(crate) struct Limits<'a> {
    config: &'a ChatConfig,
    cancel: &'a CancellationToken,
    total: Option<Instant>,
}

impl<'a> Limits<'a> {
    /// Starts the clock of the whole call.
    pub(crate) fn start(config: &'a ChatConfig, cancel: &'a CancellationToken) -> Self {
        let total = config.total_timeout.map(|limit| Instant::now() + limit);
        Limits {
            config,
            cancel,
            total,
        }
    }

    /// The first-byte deadline of a request sent now.
    pub(crate) fn first_byte(&self) -> Phase {
        Phase::FirstByte(Instant::now() + self.config.first_byte_timeout)
    }

    /// Awaits `work` unless cancellation or a limit comes first. Only a first-byte timeout
    /// is retryable: the server never started answering, so trying again is safe.
    pub(crate) async fn run<F: Future>(&self, phase: Phase, work: F) -> Result<F::Output, Failure> {
        let phase_deadline = match phase {
            Phase::FirstByte(deadline) => deadline,
            Phase::Idle => Instant::now() + self.config.idle_timeout,
        };
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(Failure::fatal(cancelled())),
            () = until(self.total) => Err(Failure::fatal(self.total_exceeded())),
            () = sleep_until(phase_deadline) => Err(match phase {
                Phase::FirstByte(_) => Failure::retryable(timeout(format!(
                    "no answer from the server within the first-byte time limit ({})",
                    DurationText(self.config.first_byte_timeout)
                ))),
                Phase::Idle => Failure::fatal(timeout(format!(
                    "the answer stalled: nothing arrived within the idle time limit ({})",
                    DurationText(self.config.idle_timeout)
                ))),
            }),
            output = work => Ok(output),
        }
    }

    /// The wait before a retry, cancellable like every other wait.
    pub(crate) async fn backoff(&self, delay: Duration) -> Result<(), ProviderError> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(cancelled()),
            () = tokio::time::sleep(delay) => Ok(()),
        }
    }

    /// Whether waiting `delay` would end after the whole call's deadline.
    pub(crate) fn outlasts_total(&self, delay: Duration) -> bool {
        self.total
            .is_some_and(|total| Instant::now() + delay >= total)
    }

    fn total_exceeded(&self) -> ProviderError {
        let limit = self.config.total_timeout.unwrap_or_default();
        timeout(format!(
            "the call exceeded its total time limit ({})",
            DurationText(limit)
        ))
    }
}

async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

pub(crate) fn cancelled() -> ProviderError {
    ProviderError::new(ErrorKind::Cancelled, "the call was cancelled")
}

fn timeout(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Timeout, message)
}

/// A duration for people: `120 s`, `1.5 s`, `250 ms`.
pub(crate) struct DurationText(pub Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms} ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{} s", ms / 1000)
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ChatConfig {
        ChatConfig {
            first_byte_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(60),
            total_timeout: Some(Duration::from_secs(200)),
            ..ChatConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_limit_names_itself_and_its_value() {
        let config = config();
        let cancel = CancellationToken::new();
        let limits = Limits::start(&config, &cancel);
        let never = std::future::pending::<()>;

        let failure = limits.run(limits.first_byte(), never()).await.unwrap_err();
        assert!(failure.retryable);
        assert_eq!(failure.error.kind, ErrorKind::Timeout);
        assert!(
            failure
                .error
                .message
                .contains("first-byte time limit (120 s)"),
            "{}",
            failure.error.message
        );

        let failure = limits.run(Phase::Idle, never()).await.unwrap_err();
        assert!(!failure.retryable);
        assert!(failure.error.message.contains("idle time limit (60 s)"));

        // 180 s have passed; the total limit (200 s) fires before the next idle one would.
        limits
            .run(Phase::Idle, tokio::time::sleep(Duration::from_secs(10)))
            .await
            .unwrap();
        let failure = limits.run(Phase::Idle, never()).await.unwrap_err();
        assert!(
            failure.error.message.contains("total time limit (200 s)"),
            "{}",
            failure.error.message
        );
        assert!(limits.outlasts_total(Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_wins_over_everything() {
        let config = config();
        let cancel = CancellationToken::new();
        cancel.cancel();
        let limits = Limits::start(&config, &cancel);
        let failure = limits.run(Phase::Idle, async {}).await.unwrap_err();
        assert_eq!(failure.error.kind, ErrorKind::Cancelled);
        assert_eq!(
            limits
                .backoff(Duration::from_secs(5))
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Cancelled
        );
    }

    #[test]
    fn duration_texts() {
        assert_eq!(DurationText(Duration::from_secs(120)).to_string(), "120 s");
        assert_eq!(
            DurationText(Duration::from_millis(1500)).to_string(),
            "1.5 s"
        );
        assert_eq!(
            DurationText(Duration::from_millis(250)).to_string(),
            "250 ms"
        );
    }
}
