//! The CLI's error: one line for people, an exit code for scripts.

use std::fmt;

/// A failure that ends a command.
#[derive(Debug)]
pub struct CliError {
    /// One line saying what was wrong and what to do.
    pub message: String,
    /// The process exit code.
    pub code: i32,
}

impl CliError {
    /// A failure with exit code 1.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 1,
        }
    }

    /// A usage or configuration problem (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: 2,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<host_sdk::LoadError> for CliError {
    fn from(e: host_sdk::LoadError) -> Self {
        CliError::new(e.to_string())
    }
}

impl From<host_sdk::ProviderError> for CliError {
    fn from(e: host_sdk::ProviderError) -> Self {
        CliError::new(e.to_string())
    }
}

/// Command result.
pub type CliResult<T = ()> = Result<T, CliError>;
