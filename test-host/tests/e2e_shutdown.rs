//! `shutdown` stops the plugin's background work: after it, no thread of the
//! plugin's runtime is left. In its own test binary (its own process) so no
//! other test's provider is running meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::time::Duration;

use host_sdk::{ChatRequest, Message};
use serde_json::json;

/// Threads of this process whose name starts with the plugin's prefix
/// (`hf-provider-<version>`, truncated by Linux to 15 bytes).
fn plugin_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task (Linux)")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("hf-provider"))
        .count()
}

#[test]
fn shutdown_stops_refresh_and_leaves_no_plugin_thread() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let router = rt.block_on(common::router());
    let state = tempfile::tempdir().unwrap();
    let plugin = common::plugin();
    let settings = common::settings(
        &router,
        state.path(),
        // A refresh task that would run every second if it survived.
        json!({ "apiKey": "hf_e2e", "discovery": { "enabled": true, "intervalSeconds": 1 } }),
    );
    let provider =
        host_sdk::Provider::new(&plugin, host_sdk::HostContext::new("e2e", "0"), &settings)
            .unwrap();
    let answer = provider
        .complete_blocking(ChatRequest::new(
            "huggingface/Qwen/Qwen3-8B",
            vec![Message::user("before shutdown")],
        ))
        .unwrap();
    assert!(!answer.content.is_empty());
    assert!(plugin_threads() > 0, "the plugin runtime should be running");

    let report = plugin.shutdown(Duration::from_secs(5));
    assert!(report.clean, "{report:?}");
    // Worker threads exit asynchronously right after the runtime reports done.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while plugin_threads() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(plugin_threads(), 0, "plugin threads left after shutdown");

    // No refresh ran after shutdown: the router saw no /models request since.
    // One the refresh wrote just before shutdown can still be on its way into
    // the router, which runs on another runtime (seen once under heavy load):
    // count from when the router's record has settled.
    let mut before = router.requests().len();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = router.requests().len();
        if now == before || std::time::Instant::now() > deadline {
            break;
        }
        before = now;
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(router.requests().len(), before);
    drop(provider);
}
