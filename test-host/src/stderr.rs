//! Standard error that may be closed (`test-host chat ... 2>&-`, or a
//! supervisor that stopped reading). Diagnostics have nowhere else to go, so
//! a line that cannot be written is dropped and the command carries on to
//! its own exit code, where `eprintln!` would panic (exit 101) — in the
//! middle of a swap, a chat turn or a config write.

use std::fmt::Display;
use std::io::Write;

/// Writes `text` to stderr; a failure to write is ignored (see the module).
pub fn print(text: impl Display) {
    let _ = write!(std::io::stderr().lock(), "{text}");
}

/// [`print`] with a newline.
pub fn println(text: impl Display) {
    print(format_args!("{text}\n"));
}
