//! # provider-abi: the contract between provider plugins and their hosts
//!
//! A provider is a shared library (a `cdylib`) that a host loads at run time
//! and calls through a stable ABI: discover models, resolve a model ref,
//! complete a chat as a stream of events. This crate is that contract and
//! nothing else — no I/O, no runtime. It is shared by both sides:
//! the `plugin-sdk` crate builds a provider plugin on it, `host-sdk` loads and
//! calls one.
//!
//! ## Layout
//! - [`abi`]: everything that crosses the boundary (`#[derive(StableAbi)]`
//!   types, the root module, the trait objects) and [`INTERFACE_VERSION`].
//! - The idiomatic types both sides work with — [`ChatRequest`],
//!   [`ChatEvent`], [`EventBatch`], [`ProviderError`], [`ModelInfo`], ... — and their
//!   conversions to and from the ABI types, kept in one place
//!   (`abi::convert`) so the two sides cannot drift.
//!
//! ## Versioning
//! Two versions matter, and neither is a crate's semver:
//! - [`INTERFACE_VERSION`] is set by hand and changes only when the ABI
//!   changes. abi_stable's loader compares it between host and plugin: a
//!   host loads plugins of its own interface version or a newer minor of the
//!   same major, and refuses older minors and other majors.
//! - abi_stable also identifies each boundary type by its *package* (this
//!   crate's name) and this crate's *major* version. So this crate's major
//!   version always equals the interface major; its minor and patch releases
//!   are free. host-sdk and plugin-sdk version independently: a host-sdk
//!   release that only changes the host toolkit keeps loading every plugin of
//!   the same interface.
//!
//! The contract is append-only within a major version (see [`abi`]); a test
//! compares the ABI's layout against the one recorded for
//! [`INTERFACE_VERSION`], so a change that forgets to bump it fails.
#![deny(missing_docs)]

pub mod abi;
mod batch;
mod chat;
mod error;
mod model;
mod plugin;

pub use abi::INTERFACE_VERSION;
pub use batch::EventBatch;
pub use chat::{
    ChatEvent, ChatRequest, ContentPart, Message, Role, ToolCall, ToolCallDelta, Usage,
};
pub use error::{ErrorKind, ProviderError};
pub use model::{Backend, Cost, ModelInfo, ModelSource, RefreshReport, ResolvedModel};
pub use plugin::{PluginInfo, ShutdownReport};
