//! # plugin-sdk: the edge of a provider plugin
//!
//! A provider plugin is a `cdylib` that exports the root module of the
//! `provider-abi` contract. Every plugin needs the same code at that edge, and
//! getting any of it wrong takes the host down or leaks a request; this crate
//! is that code, so a plugin's own code starts at "create a provider":
//!
//! - [`export_plugin!`] and [`ProviderPlugin`]: the exported root module.
//!   Each of its entry points runs under the panic firewall, installs log
//!   forwarding, and fills in the interface version.
//! - [`guard()`]: the panic firewall for the provider's own methods. A panic
//!   unwinding across an `extern "C"` boundary aborts the host; `guard`
//!   turns it into a `PluginPanicked` error value instead.
//! - [`CompletionSink`]: the host's event sink, finished exactly once — by the
//!   completion, by an error before it started, or, if the plugin is shut
//!   down under it, by its drop — so a host never waits forever. Handing it a
//!   batch says when the host's reader fell behind ([`Delivery::Behind`]),
//!   so the completion stops reading its answer until the reader caught up
//!   ([`Backlog`]): a reader that does not read never makes the host buffer
//!   a whole answer.
//! - [`cancel_handle`]: the completion handle, which cancels on `cancel()`
//!   *and* on drop, so a host that drops a stream never leaves a transfer
//!   running.
//! - [`logging`]: the plugin's `tracing` events go to the host's log sink (a
//!   plugin has its own copy of `tracing`; without this nothing it logs
//!   reaches the host).
//!
//! A plugin implements [`ProviderPlugin`] on a unit type (its provider id and
//! version, `new_provider` from the host's JSON settings, `shutdown`), writes
//! its provider type's `ProviderApi` methods as `guard("discover", || ...)`,
//! and exports the module with `plugin_sdk::export_plugin!(MyPlugin);`.
//!
//! `compat/plugin` in this repository is a complete plugin (a scriptable test
//! plugin, most of its ~270 lines its scripts); `plugin/` (the Hugging Face
//! provider) is a real one.
#![deny(missing_docs)]

mod backlog;
mod completion;
mod guard;
pub mod logging;
mod module;

pub use backlog::{BACKLOG_HIGH_WATER, BACKLOG_LOW_WATER, Backlog, Delivery};
pub use completion::{CompletionSink, cancel_handle};
pub use guard::{guard, panic_error};
pub use module::{HostInfo, ProviderPlugin, root_module};

/// The contract this SDK builds on, for the paths [`export_plugin!`] expands to.
#[doc(hidden)]
pub use provider_abi;

/// Exports `$plugin` (a type implementing [`ProviderPlugin`]) as the
/// plugin's root module: the one symbol a host looks up. Use it once, in the
/// plugin crate (which must depend on `abi_stable` directly: abi_stable's
/// export attribute names it by path).
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The root module the host loads.
        #[::abi_stable::export_root_module]
        pub fn get_library() -> $crate::provider_abi::abi::ProviderModule_Ref {
            $crate::root_module::<$plugin>()
        }
    };
}
