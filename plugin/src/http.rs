//! The provider's HTTP client, one per runtime generation.
//!
//! A pooled connection is bound to the tokio runtime that opened it. After a
//! `shutdown` the next call starts a fresh runtime (the host may reuse the
//! library), and a client from the old one would hand it dead connections;
//! so each generation gets its own client.

use std::time::Duration;

use parking_lot::Mutex;
use provider_abi::{ErrorKind, ProviderError};

/// Clients keyed by the runtime generation they belong to.
pub(crate) struct HttpClients {
    connect_timeout: Duration,
    current: Mutex<(u64, reqwest::Client)>,
}

impl HttpClients {
    /// A client for `generation`, the runtime running now.
    ///
    /// # Errors
    /// `Internal` when the TLS backend cannot start.
    pub(crate) fn new(connect_timeout: Duration, generation: u64) -> Result<Self, ProviderError> {
        Ok(HttpClients {
            connect_timeout,
            current: Mutex::new((generation, build(connect_timeout)?)),
        })
    }

    /// The client of runtime `generation`, built on first use.
    ///
    /// # Errors
    /// As [`HttpClients::new`].
    pub(crate) fn get(&self, generation: u64) -> Result<reqwest::Client, ProviderError> {
        let mut current = self.current.lock();
        if current.0 != generation {
            *current = (generation, build(self.connect_timeout)?);
        }
        Ok(current.1.clone())
    }
}

fn build(connect_timeout: Duration) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        // A redirected POST would silently become a GET; the router never
        // redirects API calls, so treat one as the error it is.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("huggingface-provider/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            ProviderError::new(
                ErrorKind::Internal,
                format!("cannot build the HTTP client: {e}"),
            )
        })
}
