//! The error a provider reports, in a shape a host can act on.

use std::fmt;
use std::time::Duration;

/// What went wrong, coarse enough for a host to decide what to do next
/// (ask for a new token, wait and retry, fall back to another model, give up).
///
/// The list is non-exhaustive: a newer plugin may report a kind this host does
/// not know, which arrives as [`ErrorKind::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token is missing, malformed or rejected (HTTP 401).
    Auth,
    /// The token is valid but lacks a permission (HTTP 403), e.g. "Make calls to
    /// Inference Providers".
    Permission,
    /// The account has no credits left (HTTP 402).
    Billing,
    /// The model id is unknown to the catalog.
    ModelNotFound,
    /// The router knows no backend that serves this model (400 `model_not_supported`, 404).
    ModelUnsupported,
    /// Too many requests (HTTP 429); see [`ProviderError::retry_after`].
    RateLimited,
    /// The service is overloaded or failing (HTTP 5xx, an in-stream overload).
    Unavailable,
    /// A connect, first-byte, idle or total time limit fired; the message says which.
    Timeout,
    /// The connection failed or broke.
    Network,
    /// The request itself is wrong (HTTP 400/422, bad settings): retrying will not help.
    InvalidRequest,
    /// The host cancelled the call.
    Cancelled,
    /// The plugin panicked; the panic was caught and the host is unaffected.
    PluginPanicked,
    /// A bug or an unexpected answer (e.g. an unparseable response).
    Internal,
    /// A kind added by a newer interface version than this host knows.
    Unknown,
}

impl ErrorKind {
    /// Every kind this version of the interface defines, for exhaustive tests and docs.
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::Auth,
        ErrorKind::Permission,
        ErrorKind::Billing,
        ErrorKind::ModelNotFound,
        ErrorKind::ModelUnsupported,
        ErrorKind::RateLimited,
        ErrorKind::Unavailable,
        ErrorKind::Timeout,
        ErrorKind::Network,
        ErrorKind::InvalidRequest,
        ErrorKind::Cancelled,
        ErrorKind::PluginPanicked,
        ErrorKind::Internal,
    ];

    /// A stable snake_case name, used in JSON output and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::Permission => "permission",
            ErrorKind::Billing => "billing",
            ErrorKind::ModelNotFound => "model_not_found",
            ErrorKind::ModelUnsupported => "model_unsupported",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Network => "network",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::PluginPanicked => "plugin_panicked",
            ErrorKind::Internal => "internal",
            ErrorKind::Unknown => "unknown",
        }
    }

    /// Whether a transient condition caused it, so the same request may
    /// succeed if it is simply tried again: rate limits, overload, time limits,
    /// broken connections. The one definition of "transient": the plugin
    /// retries only these (and only before any output), and failover moves on
    /// for all of them.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited
                | ErrorKind::Unavailable
                | ErrorKind::Timeout
                | ErrorKind::Network
        )
    }

    /// Whether another model may succeed where this error ended a turn, so a
    /// failover chain moves on to the next model: every transient kind (after
    /// the plugin's own retries), and the kinds tied to one model or account
    /// (auth, permission, billing, an unknown or unsupported model). Never on
    /// a cancelled or invalid request, an internal error or a plugin panic:
    /// those fail the same on every model.
    pub fn advances_failover(self) -> bool {
        self.is_transient()
            || matches!(
                self,
                ErrorKind::Auth
                    | ErrorKind::Permission
                    | ErrorKind::Billing
                    | ErrorKind::ModelNotFound
                    | ErrorKind::ModelUnsupported
            )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error reported by a provider: a kind to act on, the server's message, and
/// whatever identifies the failed call.
///
/// Never contains the token: the plugin redacts before it builds one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ProviderError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// A one-line message for people; the server's own words when there were some.
    pub message: String,
    /// The HTTP status, when the error came from a response.
    pub status: Option<u16>,
    /// The router's request id (`x-request-id`), for support requests.
    pub request_id: Option<String>,
    /// How long the server asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    /// An error of `kind` with `message` and nothing else known.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            message: message.into(),
            status: None,
            request_id: None,
            retry_after: None,
        }
    }

    /// The same error with an HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The same error with a request id.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// The same error with a server-requested delay.
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request id {id}")?;
            }
            f.write_str(")")?;
        } else if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_status_and_request_id() {
        let e = ProviderError::new(ErrorKind::Permission, "no permission")
            .with_status(403)
            .with_request_id("abc");
        assert_eq!(
            e.to_string(),
            "permission: no permission (HTTP 403, request id abc)"
        );
        let e = ProviderError::new(ErrorKind::Timeout, "idle timeout").with_request_id("r1");
        assert_eq!(e.to_string(), "timeout: idle timeout (request id r1)");
    }

    #[test]
    fn failover_advances_on_transient_and_per_model_kinds_only() {
        for kind in ErrorKind::ALL {
            let expected = !matches!(
                kind,
                ErrorKind::Cancelled
                    | ErrorKind::InvalidRequest
                    | ErrorKind::PluginPanicked
                    | ErrorKind::Internal
            );
            assert_eq!(kind.advances_failover(), expected, "{kind}");
            if kind.is_transient() {
                assert!(kind.advances_failover(), "{kind}");
            }
        }
        assert!(!ErrorKind::Unknown.advances_failover());
    }

    #[test]
    fn kind_names_are_unique() {
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }
}
