//! The Hugging Face Inference Providers router as a provider plugin.
//!
//! This file is the plugin's edge to plugin-sdk: who the plugin is, how a
//! provider is created from the host's settings, and how everything stops.
//! plugin-sdk exports the root module and runs each entry point under its
//! panic firewall. The provider object is in `provider`; the business logic
//! in `catalog` and `chat`, which never see an ABI type.

mod auth;
mod backoff;
#[doc(hidden)]
pub mod bench_support;
mod catalog;
mod chat;
mod http;
mod provider;
mod runtime;
mod settings;
#[cfg(test)]
mod test_hooks;

use std::time::Duration;

use plugin_sdk::{HostInfo, ProviderPlugin};
use provider_abi::{ProviderError, ShutdownReport};

use crate::provider::HfProvider;

/// The provider id in model refs (`huggingface/<org>/<model>`).
pub const PROVIDER_ID: &str = "huggingface";

pub(crate) struct HuggingFacePlugin;

impl ProviderPlugin for HuggingFacePlugin {
    type Provider = HfProvider;
    const PROVIDER_ID: &'static str = PROVIDER_ID;
    const PLUGIN_VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn new_provider(host: &HostInfo, settings_json: &str) -> Result<HfProvider, ProviderError> {
        let settings = settings::parse(settings_json)?;
        tracing::debug!(
            host = host.name.as_str(),
            host_version = host.version.as_str(),
            base_url = settings.base_url.as_str(),
            key_source = ?settings.key_source,
            "creating provider"
        );
        HfProvider::new(settings)
    }

    fn shutdown(timeout: Duration) -> ShutdownReport {
        let stopped = runtime::shutdown(timeout);
        ShutdownReport {
            clean: stopped.threads_left == 0,
            message: match (stopped.was_running, stopped.threads_left) {
                (false, 0) => "nothing was running".into(),
                (true, 0) => "runtime and all its threads stopped".into(),
                (_, n) => format!(
                    "{n} plugin threads still running after {} ms",
                    timeout.as_millis()
                ),
            },
        }
    }
}

plugin_sdk::export_plugin!(HuggingFacePlugin);
