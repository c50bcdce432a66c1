//! The root module a plugin exports, built from a [`ProviderPlugin`].

// The entry points are `extern "C"` fns returning `RResult<_, AbiError>`,
// which holds a non-exhaustive enum rustc cannot prove FFI-safe; abi_stable
// checks its layout when the host loads the plugin.
#![allow(improper_ctypes_definitions)]

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr};
use provider_abi::abi::{
    AbiError, AbiHostContext, AbiPluginInfo, AbiShutdownReport, INTERFACE_VERSION, ProviderApi,
    ProviderApi_TO, ProviderBox, ProviderModule, ProviderModule_Ref,
};
use provider_abi::{PluginInfo, ProviderError, ShutdownReport};

use crate::guard::guard;
use crate::logging;

/// What the host says about itself when it creates a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// The host program's name.
    pub name: String,
    /// The host program's version.
    pub version: String,
}

/// A provider plugin: what [`export_plugin!`](crate::export_plugin) needs to
/// build the root module. Implement it on a unit type.
pub trait ProviderPlugin {
    /// The provider object `new_provider` creates (it implements the
    /// contract's provider trait; run each method's body under
    /// [`guard`](crate::guard())).
    type Provider: ProviderApi + 'static;

    /// The provider id used in model refs, e.g. `huggingface`.
    const PROVIDER_ID: &'static str;

    /// The plugin's own version, usually `env!("CARGO_PKG_VERSION")`.
    const PLUGIN_VERSION: &'static str;

    /// A free-form build description for `plugin-info` screens; by default
    /// the profile and the target.
    fn build() -> String {
        let profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        format!(
            "{profile} build for {}-{}",
            std::env::consts::ARCH,
            std::env::consts::OS
        )
    }

    /// Creates a provider from the host's settings (a JSON object whose keys
    /// the plugin documents). Log forwarding to the host is installed before
    /// this runs.
    ///
    /// # Errors
    /// Bad settings are an `InvalidRequest` error naming the bad key.
    fn new_provider(host: &HostInfo, settings_json: &str) -> Result<Self::Provider, ProviderError>;

    /// Stops every background task and thread of the plugin, waiting at most
    /// `timeout`. The library stays mapped: providers created earlier must
    /// then answer with errors, never crash.
    fn shutdown(timeout: Duration) -> ShutdownReport;
}

/// The root module for `P`; what [`export_plugin!`](crate::export_plugin)
/// exports.
pub fn root_module<P: ProviderPlugin>() -> ProviderModule_Ref {
    ProviderModule {
        plugin_info: plugin_info::<P>,
        new_provider: new_provider::<P>,
        shutdown: shutdown::<P>,
        #[cfg(feature = "interface-next")]
        next_field: next_field,
    }
    .leak_into_prefix()
}

extern "C" fn plugin_info<P: ProviderPlugin>() -> AbiPluginInfo {
    // `build` is the plugin's code: even this must not unwind into the host.
    let build = match guard("plugin_info", || Ok(P::build())) {
        RResult::ROk(build) => build,
        RResult::RErr(e) => e.message.into(),
    };
    PluginInfo {
        provider_id: P::PROVIDER_ID.into(),
        plugin_version: P::PLUGIN_VERSION.into(),
        interface_version: INTERFACE_VERSION.into(),
        build,
    }
    .into()
}

extern "C" fn new_provider<P: ProviderPlugin>(
    host: AbiHostContext,
    settings_json: RStr<'_>,
) -> RResult<ProviderBox, AbiError> {
    guard(
        "new_provider",
        AssertUnwindSafe(move || {
            logging::install(host.log.into_option());
            let info = HostInfo {
                name: host.host_name.as_str().to_owned(),
                version: host.host_version.as_str().to_owned(),
            };
            let provider = P::new_provider(&info, settings_json.as_str())?;
            Ok(ProviderApi_TO::from_value(provider, TD_Opaque))
        }),
    )
}

extern "C" fn shutdown<P: ProviderPlugin>(timeout_ms: u64) -> AbiShutdownReport {
    let report = guard(
        "shutdown",
        AssertUnwindSafe(|| Ok(P::shutdown(Duration::from_millis(timeout_ms)))),
    );
    match report {
        RResult::ROk(report) => report.into(),
        RResult::RErr(e) => ShutdownReport {
            clean: false,
            message: e.message.into(),
        }
        .into(),
    }
}

/// The root-module field the test-only next interface appends.
#[cfg(feature = "interface-next")]
extern "C" fn next_field() -> abi_stable::std_types::RString {
    "a field appended in the next interface".into()
}
