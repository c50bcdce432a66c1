//! The Hugging Face Inference Providers router as a provider plugin.
//!
//! This file is the FFI edge only: it exports the root module and wraps every
//! entry point so that a panic becomes an error value. The provider itself is
//! in `provider`, its business logic in `catalog` and `chat`.

// `#[export_root_module]` and `#[sabi_extern_fn]` expand to `unsafe` code and
// to `extern "C"` fns returning `RResult<_, AbiError>` (which contains a
// non-exhaustive enum rustc cannot prove FFI-safe; abi_stable checks its
// layout at load time). Allowed here, at the edge, only.
#![allow(unsafe_code, improper_ctypes_definitions)]

mod auth;
#[doc(hidden)]
pub mod bench_support;
mod catalog;
mod chat;
mod guard;
mod logging;
mod provider;
mod runtime;
mod settings;
#[cfg(feature = "test-hooks")]
mod test_hooks;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_extern_fn,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr},
};
use host_sdk::abi::{
    AbiError, AbiHostContext, AbiPluginInfo, AbiShutdownReport, INTERFACE_VERSION, ProviderApi_TO,
    ProviderBox, ProviderModule, ProviderModule_Ref,
};

use crate::guard::guard;
use crate::provider::HfProvider;

/// The provider id in model refs.
pub const PROVIDER_ID: &str = host_sdk::PROVIDER_ID;

/// The root module the host loads.
#[export_root_module]
pub fn get_library() -> ProviderModule_Ref {
    ProviderModule {
        plugin_info,
        new_provider,
        shutdown,
    }
    .leak_into_prefix()
}

fn build_description() -> String {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let features = if cfg!(feature = "test-hooks") {
        ", features: test-hooks"
    } else {
        ""
    };
    format!(
        "{profile} build for {}-{}{features}",
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

#[sabi_extern_fn]
fn plugin_info() -> AbiPluginInfo {
    AbiPluginInfo {
        provider_id: PROVIDER_ID.into(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        interface_version: INTERFACE_VERSION.into(),
        build: build_description().into(),
    }
}

#[sabi_extern_fn]
fn new_provider(host: AbiHostContext, settings_json: RStr<'_>) -> RResult<ProviderBox, AbiError> {
    guard(
        "new_provider",
        AssertUnwindSafe(move || {
            logging::install(host.log.into_option());
            let settings = settings::parse(settings_json.as_str())?;
            #[cfg(feature = "test-hooks")]
            settings.test_hooks.maybe_panic("new_provider");
            tracing::debug!(
                host = host.host_name.as_str(),
                host_version = host.host_version.as_str(),
                base_url = settings.base_url.as_str(),
                key_source = ?settings.key_source,
                "creating provider"
            );
            let provider = HfProvider::new(settings)?;
            Ok(ProviderApi_TO::from_value(provider, TD_Opaque))
        }),
    )
}

#[sabi_extern_fn]
fn shutdown(timeout_ms: u64) -> AbiShutdownReport {
    let result = guard(
        "shutdown",
        AssertUnwindSafe(|| Ok(runtime::shutdown(Duration::from_millis(timeout_ms)))),
    );
    match result {
        RResult::ROk(stopped) => AbiShutdownReport {
            clean: stopped.threads_left == 0,
            message: match (stopped.was_running, stopped.threads_left) {
                (false, 0) => "nothing was running".into(),
                (true, 0) => "runtime and all its threads stopped".into(),
                (_, n) => format!("{n} plugin threads still running after {timeout_ms} ms").into(),
            },
        },
        RResult::RErr(e) => AbiShutdownReport {
            clean: false,
            message: e.message,
        },
    }
}
