//! `test-host mock-router`.

use std::net::SocketAddr;

use crate::error::{CliError, CliResult};
use testkit::mock_router::{self, MockOptions};

/// Serves the mock router on `listen` until Ctrl-C.
pub async fn run(listen: SocketAddr) -> CliResult {
    mock_router::serve(
        listen,
        MockOptions {
            listen,
            ..MockOptions::default()
        },
    )
    .await
    .map_err(|e| CliError::new(format!("mock router on {listen}: {e}")))
}
