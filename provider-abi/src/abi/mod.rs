//! The stable ABI between a host and a provider plugin.
//!
//! Everything that crosses the library boundary is defined here, and nothing
//! else: no I/O, no async runtime. Plugin authors implement [`ProviderApi`] and
//! export a [`ProviderModule`] (plugin-sdk does both edges for them); hosts use
//! host-sdk, which converts at the edge and never shows these types.
//!
//! # Versioning rules
//! [`INTERFACE_VERSION`] is set by hand and changes only when this module
//! changes. Within one major version the contract is append-only: root-module
//! fields after the last prefix field, trait methods with a default body after
//! the last prefix method, variants at the end of the non-exhaustive enums,
//! new request/model fields inside the `extensions` JSON objects. Each
//! addition names the version that added it and raises the minor version. A
//! host accepts plugins built against its own interface version or a newer
//! minor of the same major; it refuses older minors (they lack members it
//! may call) and other majors.

// abi_stable's derives emit items the compiler flags even though they are
// correct (checked by experiment with abi_stable 0.11.3; see ARCHITECTURE.md): `non_local_definitions`
// from the derives, `non_camel_case_types` on the generated `*_Ref`/`*_TO`
// types. Allowed for this module only.
// The same macros expand to `unsafe` blocks and `unsafe impl Send/Sync` for
// the trait objects; that code is abi_stable's, checked by its layout tests.
#![allow(non_local_definitions, non_camel_case_types, unsafe_code)]

mod batch;
mod convert;
mod event;
mod model;
mod module;
mod request;
mod traits;

pub use batch::{AbiBatchItem, AbiEventBatch, BatchEvents};
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
