//! `test-host swap-test`: hot swap under load (see [`crate::swap::load`],
//! where it lives beside the other users of the provider slot).

pub use crate::swap::load::{SwapTestArgs, SwapTestReport, execute, run};
