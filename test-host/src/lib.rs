//! test-host: a real CLI host for provider plugins (onboarding, chat, models,
//! a demo and a local mock router). The binary is `main.rs`; this library is
//! what it runs, public only where the integration tests reach in (the config
//! file's atomic write and lock, the host's settings, the hot-swap pieces).
// Output goes through `outln!` (a closed stdout ends the command quietly) and
// `errln!` (a closed stderr is not a panic); the std macros would panic.
#![warn(clippy::print_stdout, clippy::print_stderr)]

/// `println!` through [`stdout::println`]: evaluates to a `CliResult`, so a
/// closed stdout ends the command quietly instead of panicking.
macro_rules! outln {
    () => {
        $crate::stdout::println("")
    };
    ($($arg:tt)*) => {
        $crate::stdout::println(format_args!($($arg)*))
    };
}

/// `eprintln!` through [`stderr::println`]: a closed stderr loses the line
/// instead of panicking.
macro_rules! errln {
    () => {
        $crate::stderr::println("")
    };
    ($($arg:tt)*) => {
        $crate::stderr::println(format_args!($($arg)*))
    };
}

/// `eprint!` through [`stderr::print`].
macro_rules! errprint {
    ($($arg:tt)*) => {
        $crate::stderr::print(format_args!($($arg)*))
    };
}

pub mod cli;
pub mod color;
pub mod commands;
pub mod config;
mod dotenv;
pub mod error;
pub mod host;
mod paths;
mod secrets;
pub mod stderr;
pub mod stdout;
pub mod swap;
