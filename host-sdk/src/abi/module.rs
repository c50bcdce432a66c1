//! The root module a plugin exports.

// `RResult<_, AbiError>` contains a non-exhaustive enum, which rustc cannot see
// is FFI-safe; abi_stable checks its layout at load time instead.
#![allow(improper_ctypes_definitions)]

use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{ROption, RResult, RStr, RString},
};

use super::{AbiError, LogSinkBox, ProviderBox};

/// The interface version this host-sdk implements (its package version).
pub const INTERFACE_VERSION: &str = env!("CARGO_PKG_VERSION");

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
}

impl RootModule for ProviderModule_Ref {
    declare_root_module_statics! {ProviderModule_Ref}
    const BASE_NAME: &'static str = "provider";
    const NAME: &'static str = "provider plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
