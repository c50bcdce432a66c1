//! # host-sdk: load, call and hot-swap provider plugins
//!
//! A provider is a shared library (a `cdylib`) that exports the stable-ABI
//! interface of the `provider-abi` crate: discover models, resolve a model
//! ref, complete a chat. This crate is the toolkit a host uses to load such a
//! library safely and call it with ordinary Rust types; it never shows the
//! ABI types, and a host needs no other dependency (the contract's idiomatic
//! types are re-exported here).
//!
//! ## Layout
//! - [`Plugin`]: a loaded library (see [`Plugin::load`] and [`LoadError`]).
//! - [`Provider`]: created from a plugin with [`Provider::new`]; discover,
//!   resolve and complete, with [`ChatStream`] as an async `Stream` of
//!   [`ChatEvent`]s or a blocking iterator. [`Provider::complete_with_failover`]
//!   walks a [`failover_chain`].
//! - [`ProviderSlot`]: hot swap — replace the plugin version under load.
//! - [`ChatResponse`]: a stream folded into one answer.
//! - The plugin's log records reach this process's `tracing` subscriber with
//!   their own level and target (see [`HostContext::forward_logs`]).
//!
//! ## Loading a provider
//! [`Plugin::load`] copies the file to a private copy named by its SHA-256 and
//! maps that: on Linux an anonymous, sealed memory file (`memfd_create`,
//! opened as `/proc/self/fd/N`) that lives in no directory; elsewhere (or with
//! `HOST_SDK_PLUGIN_COPY=dir`) a per-user directory the loader creates 0700
//! and checks before each use (a real directory owned by this user, not
//! writable by others; one that fails is never used), where an existing copy
//! is reused only if its bytes equal the file's. Every failure is a
//! [`LoadError`] whose `Display` is one line naming the file (missing, not a
//! plugin, interface too old or too new, layout
//! mismatch). A library is never unloaded (see [`Plugin`]).
//!
//! ```no_run
//! use host_sdk::{ChatRequest, HostContext, Message, Plugin, Provider};
//!
//! let plugin = Plugin::load("target/debug/libhuggingface_provider.so")?;
//! println!("{} {}", plugin.info().provider_id, plugin.info().interface_version);
//! let provider = Provider::new(
//!     &plugin,
//!     HostContext::new("my-host", "1.0"),
//!     &serde_json::json!({ "baseUrl": "http://127.0.0.1:8080/v1" }),
//! )?;
//! let models = provider.discover()?; // from memory, never waits on the network
//! let model = provider.resolve("huggingface/deepseek-ai/DeepSeek-R1")?;
//! let answer = provider.complete_blocking(ChatRequest::new(
//!     model.model_ref,
//!     vec![Message::user("hi")],
//! ))?;
//! println!("{} models; {}", models.len(), answer.content);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Streaming
//! [`Provider::complete`] needs no runtime to call; the returned
//! [`ChatStream`] is read with `.next().await` from any async runtime or
//! [`ChatStream::blocking_next`] from a plain thread. It yields `Ok` events
//! then ends, or ends with one `Err`. Dropping it cancels the completion and
//! closes its connection. An event from a newer plugin that this host does not
//! know arrives as [`ChatEvent::Unknown`] (and an unknown error kind as
//! [`ErrorKind::Unknown`]): handle them, don't fail on them.
//!
//! ```no_run
//! # async fn demo(provider: host_sdk::Provider) -> Result<(), host_sdk::ProviderError> {
//! use host_sdk::{ChatEvent, ChatRequest, Message};
//!
//! let mut stream = provider.complete(ChatRequest::new(
//!     "huggingface/deepseek-ai/DeepSeek-R1",
//!     vec![Message::user("hi")],
//! ));
//! while let Some(event) = stream.next().await {
//!     match event? {
//!         ChatEvent::Content(text) => print!("{text}"),
//!         ChatEvent::Unknown(what) => eprintln!("(newer event: {what})"),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! A stream folds into one answer with [`ChatResponse::apply`] (which is what
//! [`ChatStream::collect`] does):
//!
//! ```
//! use host_sdk::{ChatEvent, ChatResponse};
//!
//! let mut answer = ChatResponse::default();
//! for event in [
//!     ChatEvent::Reasoning("thinking".into()),
//!     ChatEvent::Content("Hello".into()),
//!     ChatEvent::Content(", world".into()),
//!     ChatEvent::Unknown("Notice(\"from a newer plugin\")".into()),
//!     ChatEvent::Done { finish_reason: "stop".into() },
//! ] {
//!     answer.apply(&event);
//! }
//! assert_eq!(answer.content, "Hello, world");
//! assert_eq!(answer.reasoning, "thinking");
//! assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
//! assert_eq!(answer.unknown_events.len(), 1);
//! ```
//!
//! Failover tries the requested model, then the fallbacks, without duplicates:
//!
//! ```
//! use host_sdk::{ErrorKind, failover_chain};
//!
//! let chain = failover_chain(
//!     "huggingface/a/b",
//!     &["huggingface/c/d".into(), " huggingface/a/b ".into()],
//! );
//! assert_eq!(chain, ["huggingface/a/b", "huggingface/c/d"]);
//! assert!(ErrorKind::RateLimited.advances_failover());
//! assert!(!ErrorKind::Cancelled.advances_failover());
//! ```
//!
//! ## Hot swap
//! A [`ProviderSlot`] serves one provider whose plugin file can be replaced
//! while it serves. [`ProviderSlot::swap`] loads the new file; if it loads and
//! accepts the settings, new calls go to it at once, calls in flight on the old
//! version finish there (up to the drain timeout), then the old version is shut
//! down (its threads stop; its library stays mapped). A broken or incompatible
//! file is a [`SwapError`] and the current version keeps serving.
//!
//! Start calls through the slot — [`ProviderSlot::complete`], or a
//! [`ProviderLease`] for a longer unit of work such as a failover chain — so
//! each call is counted against the version it started on.
//! [`ProviderSlot::versions`] reports every version's state and in-flight count.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use host_sdk::{ChatRequest, HostContext, Message, Plugin, ProviderSlot};
//!
//! let settings = serde_json::json!({ "baseUrl": "http://127.0.0.1:8080/v1" });
//! let slot = ProviderSlot::new(
//!     Plugin::load("plugins/v1/libhuggingface_provider.so")?,
//!     HostContext::new("my-host", "1.0"),
//!     settings,
//! )?;
//! let stream = slot.complete(ChatRequest::new("huggingface/a/b", vec![Message::user("hi")]));
//! let report = slot.swap("plugins/v2/libhuggingface_provider.so", Duration::from_secs(30)).await?;
//! println!("now serving version {} ({})", report.to_id, report.to.plugin_version);
//! let _ = stream.collect().await; // finished on the old version
//! for v in slot.versions() {
//!     println!("#{} {} in flight {}", v.id, v.state, v.in_flight);
//! }
//! slot.shutdown(Duration::from_secs(5)).await; // when the host exits
//! # Ok(()) }
//! ```
//!
//! Two files with identical bytes are one library (the copy is
//! content-addressed, one per digest in the process) and share one runtime; the slot shuts such a library
//! down only when the last version using it retires.
//!
//! ## Versioning rules
//! The interface version is `provider-abi`'s [`INTERFACE_VERSION`], a constant
//! set by hand that changes only when the ABI changes; this crate's own
//! version is independent of it, so a host-sdk release that only changes the
//! toolkit keeps loading the same plugins. Within one major version the
//! contract is append-only (root-module fields, trait methods with a default
//! body, enum variants at the end).
//!
//! | host interface | plugin interface | result |
//! |---|---|---|
//! | x.y | x.y (same) | loads |
//! | x.y | x.z, z > y (newer) | loads; new events arrive as [`ChatEvent::Unknown`], new error kinds as [`ErrorKind::Unknown`], new fields are ignored |
//! | x.z | x.y, y < z (older) | refused: [`LoadError::IncompatibleVersion`] naming both versions — rebuild the plugin |
//! | any | another major | refused: [`LoadError::IncompatibleVersion`] |
//! | any | same version, different layout | refused: [`LoadError::LayoutMismatch`] with the first few mismatches |
//!
//! So a plugin must be built against an interface at least as new as the
//! host's.
#![deny(missing_docs)]

mod failover;
mod loader;
mod log_bridge;
mod plugin;
mod provider;
mod response;
mod slot;
mod stream;

pub use failover::{Attempt, FailoverStream, failover_chain};
pub use loader::LoadError;
pub use plugin::Plugin;
pub use provider::{HostContext, Provider};
pub use provider_abi::{
    Backend, ChatEvent, ChatRequest, ContentPart, Cost, ErrorKind, INTERFACE_VERSION, Message,
    ModelInfo, ModelSource, PluginInfo, ProviderError, RefreshReport, ResolvedModel, Role,
    ShutdownReport, ToolCall, ToolCallDelta, Usage,
};
pub use response::{ChatResponse, Retry};
pub use slot::{ProviderLease, ProviderSlot, SwapError, SwapReport, VersionState, VersionStatus};
pub use stream::ChatStream;
