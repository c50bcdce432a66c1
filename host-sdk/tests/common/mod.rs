//! The scriptable test plugin (`compat/plugin`, built on plugin-sdk) these
//! tests load, built as this workspace's interface or as a test-only variant.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: failing loudly is the point
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use host_sdk::{ChatEvent, ChatRequest, HostContext, Message, Plugin, Provider, ProviderError};

/// `compat-plugin` and `compat-host` built as `variant` (one of the test-only
/// interface variants, or `same` for this workspace's interface): their
/// copies' paths, plugin first.
pub fn compat_pair(variant: &str) -> (PathBuf, PathBuf) {
    let features: Vec<String> = match variant {
        "same" => Vec::new(),
        v => vec![format!("compat-plugin/{v}"), format!("compat-host/{v}")],
    };
    let plugin = testkit::cdylib::library_file_name("compat_plugin");
    let host = format!("compat-host{}", std::env::consts::EXE_SUFFIX);
    let paths = testkit::cdylib::build_variant(
        &["compat-plugin", "compat-host"],
        &features,
        &[&plugin, &host],
        variant,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (paths[0].clone(), paths[1].clone())
}

/// `compat-plugin` built as `features` (none, or one test-only variant).
pub fn compat_plugin(features: &[&str]) -> PathBuf {
    compat_pair(features.first().copied().unwrap_or("same")).0
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
