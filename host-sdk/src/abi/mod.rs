//! The stable ABI between a host and a provider plugin.
//!
//! Everything that crosses the library boundary is defined here, and nothing
//! else: no I/O, no async runtime. Plugin authors implement [`ProviderApi`] and
//! export a [`ProviderModule`]; hosts should not use this module directly but
//! the idiomatic API at the crate root, which converts at the edge.
//!
//! # Versioning rules
//! The interface version is host-sdk's package version (1.x). Within 1.x the
//! contract is append-only: root-module fields after the last prefix field,
//! trait methods with a default body after the last prefix method, variants at
//! the end of the non-exhaustive enums. Each addition names the version that
//! added it. A host accepts plugins built against its own interface version or
//! a newer 1.x; it refuses older ones (they lack fields it may call).

// abi_stable's derives emit items the compiler flags even though they are
// correct (verified in ../shared/docs/stable-abi.md): `non_local_definitions`
// from the derives, `non_camel_case_types` on the generated `*_Ref`/`*_TO`
// types. Allowed for this module only.
// The same macros expand to `unsafe` blocks and `unsafe impl Send/Sync` for
// the trait objects; that code is abi_stable's, checked by its layout tests.
#![allow(non_local_definitions, non_camel_case_types, unsafe_code)]

mod convert;
mod event;
mod model;
mod module;
mod request;
mod traits;

pub use event::{AbiChatEvent, AbiChatEvent_NE, AbiToolCallDelta, AbiUsage};
pub use model::{AbiBackend, AbiCost, AbiModelInfo, AbiRefreshReport, AbiResolvedModel};
pub use module::{
    AbiHostContext, AbiPluginInfo, AbiShutdownReport, INTERFACE_VERSION, ProviderModule,
    ProviderModule_Ref,
};
pub use request::{AbiChatRequest, AbiContentPart, AbiMessage, AbiRole, AbiToolCall};
pub use traits::{
    CompletionHandle, CompletionHandle_TO, CompletionHandleBox, EventSink, EventSink_TO,
    EventSinkBox, LogLevel, LogSink, LogSink_TO, LogSinkBox, ProviderApi, ProviderApi_TO,
    ProviderBox,
};

pub use self::error::{AbiError, AbiErrorKind, AbiErrorKind_NE};

mod error;
