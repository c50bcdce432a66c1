//! The panic firewall at every entry point.
//!
//! A panic unwinding across an `extern "C"` shim aborts the whole host, so
//! each entry point runs its body under `catch_unwind` and turns a panic into
//! a `PluginPanicked` error value.

use std::any::Any;
use std::panic::{UnwindSafe, catch_unwind};

use abi_stable::std_types::RResult;
use provider_abi::abi::AbiError;
use provider_abi::{ErrorKind, ProviderError};

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

/// A `PluginPanicked` error for a panic in `entry` (logged at error level):
/// for a panic caught somewhere `guard` does not reach, such as a task's
/// `JoinError`.
pub fn panic_error(entry: &str, payload: &(dyn Any + Send)) -> ProviderError {
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
/// Every entry point of a provider runs its body under this: `entry` names it
/// in the error message.
pub fn guard<T>(
    entry: &str,
    body: impl FnOnce() -> Result<T, ProviderError> + UnwindSafe,
) -> RResult<T, AbiError> {
    match catch_unwind(body) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(e)) => RResult::RErr(e.into()),
        Err(payload) => RResult::RErr(panic_error(entry, payload.as_ref()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::AssertUnwindSafe;

    #[test]
    fn a_panic_becomes_a_plugin_panicked_error() {
        let result: RResult<(), AbiError> = guard(
            "discover",
            AssertUnwindSafe(|| -> Result<(), ProviderError> {
                #[allow(clippy::panic)] // the point of the test
                {
                    panic!("boom")
                }
            }),
        );
        let error = ProviderError::from(result.unwrap_err());
        assert_eq!(error.kind, ErrorKind::PluginPanicked);
        assert!(
            error.message.contains("in discover: boom"),
            "{}",
            error.message
        );
    }

    #[test]
    fn values_and_errors_pass_through() {
        assert_eq!(guard("x", || Ok(7)).unwrap(), 7);
        let error = guard::<()>("x", || {
            Err(ProviderError::new(ErrorKind::InvalidRequest, "bad key"))
        })
        .unwrap_err();
        assert_eq!(ProviderError::from(error).message, "bad key");
    }
}
