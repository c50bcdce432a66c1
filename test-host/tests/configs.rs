//! Every example in examples/configs loads, passes validation, and its
//! primary and fallbacks resolve through the real plugin — first against the
//! built-in catalog, then (where discovery is on) against the mock router's
//! live list. The base URL always points at the mock: no network.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::path::PathBuf;
use std::time::Duration;

use host_sdk::HostContext;
use test_host::config::GatewayConfig;
use test_host::host::provider_settings;
use testkit::mock_router::{MockOptions, MockRouter};

const KEY: &str = "hf_configs_test_key_0123456789";

fn examples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/configs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json5"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_config_resolves_its_models() {
    let files = examples();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "minimal.json5",
        "fallbacks-and-aliases.json5",
        "policy-suffix.json5",
        "forced-backend.json5",
        "custom-base-url.json5",
        "discovery-disabled.json5",
        "bill-to.json5",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let router = MockRouter::start(MockOptions {
        require_token: Some(KEY.into()),
        ..MockOptions::default()
    })
    .await
    .unwrap();
    let plugin = common::plugin();
    for file in &files {
        let name = file.display();
        let config = GatewayConfig::load(file).unwrap_or_else(|e| panic!("{e}"));
        let primary = config
            .primary_model()
            .unwrap()
            .expect("every example names a primary");
        let mut refs = vec![primary];
        refs.extend(config.fallbacks().unwrap());

        let state = tempfile::tempdir().unwrap();
        let settings =
            provider_settings(&config, state.path(), Some(&router.base_url()), Some(KEY)).unwrap();
        let provider =
            host_sdk::Provider::new(&plugin, HostContext::new("configs-test", "0"), &settings)
                .unwrap_or_else(|e| panic!("{name}: the plugin refused the settings: {e}"));
        for r in &refs {
            provider
                .resolve(r)
                .unwrap_or_else(|e| panic!("{name}: {r} (built-in catalog): {e}"));
        }
        if config.discovery_enabled().unwrap() {
            let report = tokio::time::timeout(
                Duration::from_secs(30),
                provider.refresh(Duration::from_secs(20)),
            )
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{name}: refresh from the mock: {e}"));
            assert!(report.discovered > 0);
            for r in &refs {
                let resolved = provider
                    .resolve(r)
                    .unwrap_or_else(|e| panic!("{name}: {r} (live catalog): {e}"));
                assert!(resolved.verified, "{name}: {r} not in the live catalog");
            }
        }
    }
    let _ = plugin.shutdown(Duration::from_secs(5));
    router.shutdown().await;
}
