//! Standard output that may close early (`test-host models --json | head -1`).
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe fails with `BrokenPipe`,
//! and `println!` turns that into a panic (exit 101). Every command writes its
//! results through here instead: a closed stdout ends the command quietly
//! with exit code 141, what a shell reports for a process stopped by SIGPIPE,
//! and a command with a request in flight cancels it first.

use std::fmt::Display;
use std::io::{ErrorKind, Write};

use crate::error::{CliError, CliResult};

/// The exit code of a command whose stdout was closed (128 + SIGPIPE).
pub const CLOSED_EXIT_CODE: i32 = 141;

/// The error that ends a command whose stdout was closed: no message.
pub fn closed() -> CliError {
    CliError {
        message: String::new(),
        code: CLOSED_EXIT_CODE,
    }
}

/// Writes `text` and flushes, so a closed pipe is noticed now.
///
/// # Errors
/// [`closed`] when stdout is a closed pipe; another write error as itself.
pub fn print(text: impl Display) -> CliResult {
    let mut out = std::io::stdout().lock();
    write!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            ErrorKind::BrokenPipe => closed(),
            _ => CliError::new(format!("cannot write to stdout: {e}")),
        })
}

/// [`print()`] with a newline.
///
/// # Errors
/// As [`print()`].
pub fn println(text: impl Display) -> CliResult {
    print(format_args!("{text}\n"))
}
