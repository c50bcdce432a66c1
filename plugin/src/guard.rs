//! The panic firewall at every entry point.
//!
//! A panic unwinding across an `extern "C"` shim aborts the whole host, so
//! each entry point runs its body under `catch_unwind` and turns a panic into
//! a `PluginPanicked` error value.

use std::any::Any;
use std::panic::{UnwindSafe, catch_unwind};

use abi_stable::std_types::RResult;
use host_sdk::abi::AbiError;
use host_sdk::{ErrorKind, ProviderError};

/// The panic's message, if it carried one.
fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "no message"
    }
}

/// A `PluginPanicked` error for a panic in `entry`.
pub(crate) fn panic_error(entry: &str, payload: &(dyn Any + Send)) -> ProviderError {
    let text = payload_text(payload);
    tracing::error!(entry, "the plugin panicked: {text}");
    ProviderError::new(
        ErrorKind::PluginPanicked,
        format!(
            "the provider plugin panicked in {entry}: {text}; the host is unaffected, please report this"
        ),
    )
}

/// Runs `body`, converting both its error and a panic into an ABI error.
pub(crate) fn guard<T>(
    entry: &str,
    body: impl FnOnce() -> Result<T, ProviderError> + UnwindSafe,
) -> RResult<T, AbiError> {
    match catch_unwind(body) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(e)) => RResult::RErr(e.into()),
        Err(payload) => RResult::RErr(panic_error(entry, payload.as_ref()).into()),
    }
}
