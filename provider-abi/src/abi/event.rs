//! Completion events as they cross the boundary.

use std::fmt;

use abi_stable::{
    StableAbi,
    std_types::{ROption, RString},
};

use super::AbiError;

/// A piece of a streamed tool call.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs)] // mirrors crate::ToolCallDelta
pub struct AbiToolCallDelta {
    pub index: u32,
    pub id: ROption<RString>,
    pub name: ROption<RString>,
    pub arguments: RString,
}

/// Token usage and cost.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs)] // mirrors crate::Usage
pub struct AbiUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    pub cost_usd: ROption<f64>,
}

/// One completion event (see [`crate::ChatEvent`]).
///
/// Non-exhaustive across versions: new variants are appended, and a host that
/// does not know one sees it as an unknown event described by its `Display`.
#[repr(u8)]
#[derive(StableAbi, Debug)]
#[sabi(kind(WithNonExhaustive(size = [usize; 32], traits(Debug, Display))))]
#[non_exhaustive]
#[allow(missing_docs)] // mirrors crate::ChatEvent
pub enum AbiChatEvent {
    ServedBy {
        model: RString,
        backend: ROption<RString>,
        request_id: ROption<RString>,
    },
    Content(RString),
    Reasoning(RString),
    ToolCall(AbiToolCallDelta),
    Usage(AbiUsage),
    Retrying {
        attempt: u32,
        delay_ms: u64,
        error: AbiError,
    },
    Done {
        finish_reason: RString,
    },
    /// Test-only (feature `interface-next`): a variant appended by a future
    /// interface version; older hosts see it as an unknown event.
    #[cfg(feature = "interface-next")]
    #[doc(hidden)]
    NextNotice(RString),
}

impl fmt::Display for AbiChatEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
