//! # host-sdk: load, call and hot-swap provider plugins
//!
//! A provider is a shared library (a `cdylib`) that exports a stable-ABI
//! interface: discover models, resolve a model ref, complete a chat. This crate
//! is both that contract ([`abi`]) and the toolkit a host uses to load such a
//! library safely and call it with ordinary Rust types.
//!
//! ## Layout
//! - [`abi`]: the contract itself, everything that crosses the boundary.
//!   Plugin authors implement it; hosts never need to touch it.
//! - [`Plugin`]: a loaded library (see [`Plugin::load`] and [`LoadError`]).
//! - [`Provider`]: discover, resolve and complete, with [`ChatStream`] as an
//!   async `Stream` of [`ChatEvent`]s or a blocking iterator.
//! - [`ModelRef`]: parse and print `huggingface/<org>/<model>[:suffix]`.
//!
//! ## Loading a provider
//! ```no_run
//! use host_sdk::{ChatRequest, HostContext, Message, Plugin};
//!
//! let plugin = Plugin::load("target/debug/libhuggingface_provider.so")?;
//! let provider = plugin.new_provider(
//!     HostContext::new("my-host", "1.0"),
//!     &serde_json::json!({ "baseUrl": "http://127.0.0.1:8080/v1" }),
//! )?;
//! let answer = provider.complete_blocking(ChatRequest::new(
//!     "huggingface/deepseek-ai/DeepSeek-R1",
//!     vec![Message::user("hi")],
//! ))?;
//! println!("{}", answer.content);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod abi;
mod chat;
mod error;
mod failover;
mod loader;
mod log_bridge;
mod model;
mod model_ref;
mod plugin;
mod provider;
mod response;
mod slot;

pub use chat::{
    ChatEvent, ChatRequest, ContentPart, Message, Role, ToolCall, ToolCallDelta, Usage,
};
pub use error::{ErrorKind, ProviderError};
pub use failover::{Attempt, FailoverStream, advances_failover, failover_chain};
pub use loader::LoadError;
pub use model::{Backend, Cost, ModelInfo, ModelSource, RefreshReport, ResolvedModel};
pub use model_ref::{ModelRef, ModelRefError, PROVIDER_ID, RouteSuffix};
pub use plugin::{HostContext, Plugin, PluginInfo, ShutdownReport};
pub use provider::{ChatStream, Provider};
pub use response::{ChatResponse, Retry};
pub use slot::{ProviderSlot, SwapError, SwapReport, VersionState, VersionStatus};
