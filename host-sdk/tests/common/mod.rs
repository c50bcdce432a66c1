//! The scriptable test plugin (`compat/plugin`, built on plugin-sdk) these
//! tests load, built as this workspace's interface or as a test-only variant.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: failing loudly is the point
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use host_sdk::{ChatEvent, ChatRequest, HostContext, Message, Plugin, Provider, ProviderError};

/// `compat-plugin` built with `features` (one of provider-abi's test-only
/// interface variants, or none), copied to a path of its own.
pub fn compat_plugin(features: &[&str]) -> PathBuf {
    let variant = features.first().copied().unwrap_or("same");
    testkit::cdylib::build_variant(
        "compat-plugin",
        &testkit::cdylib::library_file_name("compat_plugin"),
        features,
        variant,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A provider from `plugin` with `settings`.
pub fn provider(plugin: &Plugin, settings: serde_json::Value) -> Provider {
    Provider::new(plugin, HostContext::new("host-sdk-test", "0"), &settings).unwrap()
}

/// Every item of one completion of `model`: `Ok` events, then maybe an `Err`.
pub fn chat(provider: &Provider, model: &str) -> Vec<Result<ChatEvent, ProviderError>> {
    let mut stream = provider.complete(ChatRequest::new(model, vec![Message::user("hi")]));
    std::iter::from_fn(|| stream.blocking_next()).collect()
}
