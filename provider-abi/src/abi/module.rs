//! The root module a plugin exports.

// `RResult<_, AbiError>` contains a non-exhaustive enum, which rustc cannot see
// is FFI-safe; abi_stable checks its layout at load time instead.
#![allow(improper_ctypes_definitions)]

use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    sabi_types::VersionStrings,
    std_types::{ROption, RResult, RStr, RString},
};

use super::{AbiError, LogSinkBox, ProviderBox};

/// The interface version: set by hand, changed only when something in this
/// module tree changes (see the crate docs, "Versioning"). Hosts refuse a
/// plugin built against an older minor or another major; a test compares the
/// ABI's layout with the layout recorded for this version, so a change that
/// forgets to bump it fails.
///
/// - 2.1.0 appended `EventSink::events` (a batch of events in one call).
/// - 2.2.0 appended `EventSink::backlog` (the bytes the host holds unread,
///   for backpressure).
#[cfg(not(any(
    feature = "interface-next",
    feature = "interface-old",
    feature = "interface-prev"
)))]
pub const INTERFACE_VERSION: &str = "2.2.0";

/// Test-only (feature `interface-prev`): the interface as 2.0.0 was, without
/// `EventSink::events` and `EventSink::backlog`, to prove a host of 2.0 still
/// receives every event of a plugin that sends batches and asks for the
/// host's backlog.
#[cfg(all(feature = "interface-prev", not(feature = "interface-next")))]
pub const INTERFACE_VERSION: &str = "2.0.0";

/// Test-only (feature `interface-next`): the interface as a future 2.3.0
/// with appended members, to prove an older host loads a newer plugin.
#[cfg(feature = "interface-next")]
pub const INTERFACE_VERSION: &str = "2.3.0";

/// Test-only (feature `interface-old`): the interface reported as 1.1.0, the
/// version of every plugin built before the contract moved into this crate,
/// to prove a host refuses another major by name.
#[cfg(all(
    feature = "interface-old",
    not(any(feature = "interface-next", feature = "interface-prev"))
))]
pub const INTERFACE_VERSION: &str = "1.1.0";

/// Who the plugin is.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct AbiPluginInfo {
    /// The provider id used in model refs, e.g. `huggingface`.
    pub provider_id: RString,
    /// The plugin's own version.
    pub plugin_version: RString,
    /// The interface version the plugin was built against.
    pub interface_version: RString,
    /// A free-form build description (profile, features, compiler).
    pub build: RString,
}

/// What the host tells the plugin about itself.
#[repr(C)]
#[derive(StableAbi)]
pub struct AbiHostContext {
    /// The host program's name.
    pub host_name: RString,
    /// Test-only (feature `layout-break`): a field inserted in the middle,
    /// which changes the layout without changing the version — the mistake
    /// the loader's layout check exists to catch.
    #[cfg(feature = "layout-break")]
    #[doc(hidden)]
    pub layout_break: u64,
    /// The host program's version.
    pub host_version: RString,
    /// Where the plugin's log records go; `RNone` discards them.
    pub log: ROption<LogSinkBox>,
}

/// The result of shutting a plugin down.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct AbiShutdownReport {
    /// Whether every task and thread stopped within the time limit.
    pub clean: bool,
    /// What happened, for logs.
    pub message: RString,
}

/// The root module: the one symbol a plugin exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ProviderModule_Ref)))]
pub struct ProviderModule {
    /// Who the plugin is. Never fails.
    pub plugin_info: extern "C" fn() -> AbiPluginInfo,

    /// Creates a provider from the host's context and settings (a JSON object
    /// whose keys the plugin documents). Invalid settings are an
    /// `InvalidRequest` error naming the bad key.
    pub new_provider: extern "C" fn(
        host: AbiHostContext,
        settings_json: RStr<'_>,
    ) -> RResult<ProviderBox, AbiError>,

    /// Stops every background task and the plugin's runtime, waiting at most
    /// `timeout_ms`. The library stays mapped; providers created earlier then
    /// answer calls with errors instead of crashing.
    #[sabi(last_prefix_field)]
    pub shutdown: extern "C" fn(timeout_ms: u64) -> AbiShutdownReport,

    /// Test-only (feature `interface-next`): a field appended after the last
    /// prefix field, as a future interface version would. Older hosts never
    /// see it; newer ones read it through an accessor returning `Option`.
    #[cfg(feature = "interface-next")]
    #[doc(hidden)]
    pub next_field: extern "C" fn() -> RString,
}

impl RootModule for ProviderModule_Ref {
    declare_root_module_statics! {ProviderModule_Ref}
    const BASE_NAME: &'static str = "provider";
    const NAME: &'static str = "provider plugin";
    // abi_stable refuses a library whose version is not compatible with this
    // (same major, minor at least as new): the hand-set interface version,
    // never a crate's package version.
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(INTERFACE_VERSION);
}
