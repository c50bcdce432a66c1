//! Errors across the boundary: a non-exhaustive kind plus context.

use std::fmt;

use abi_stable::{
    StableAbi,
    std_types::{ROption, RString},
};

/// The kind of a provider error, as it crosses the boundary.
///
/// Non-exhaustive across versions: a newer plugin may send a variant this host
/// does not know; [`AbiErrorKind_NE::as_enum`](abi_stable::nonexhaustive_enum::NonExhaustive::as_enum)
/// then fails and its `Display` (through the plugin's vtable) names it.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
#[sabi(kind(WithNonExhaustive(size = [usize; 1], traits(Debug, Display, Clone, PartialEq))))]
#[non_exhaustive]
#[allow(missing_docs)] // mirrors crate::ErrorKind, documented there
pub enum AbiErrorKind {
    Auth,
    Permission,
    Billing,
    ModelNotFound,
    ModelUnsupported,
    RateLimited,
    Unavailable,
    Timeout,
    Network,
    InvalidRequest,
    Cancelled,
    PluginPanicked,
    Internal,
    /// Test-only (feature `interface-next`): a kind appended by a future
    /// interface version; older hosts see it as `ErrorKind::Unknown`.
    #[cfg(feature = "interface-next")]
    #[doc(hidden)]
    NextQuotaExhausted,
}

impl fmt::Display for AbiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A provider error as it crosses the boundary (see [`crate::ProviderError`]).
#[repr(C)]
#[derive(StableAbi, Debug, Clone)]
pub struct AbiError {
    /// What went wrong.
    pub kind: AbiErrorKind_NE,
    /// A one-line message.
    pub message: RString,
    /// HTTP status, when known.
    pub status: ROption<u16>,
    /// Router request id, when known.
    pub request_id: ROption<RString>,
    /// Server-requested delay in milliseconds, when given.
    pub retry_after_ms: ROption<u64>,
}
