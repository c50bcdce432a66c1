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
        config
            .refuse_moved_settings()
            .unwrap_or_else(|e| panic!("{e}"));
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

/// A valid sample of every leaf of a JSON schema's `properties`.
fn sample(schema: &serde_json::Value) -> serde_json::Value {
    if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
        return serde_json::Value::Object(
            props.iter().map(|(k, v)| (k.clone(), sample(v))).collect(),
        );
    }
    let kind = match &schema["type"] {
        serde_json::Value::Array(kinds) => kinds[0].as_str().unwrap_or_default().to_string(),
        other => other.as_str().unwrap_or_default().to_string(),
    };
    match kind.as_str() {
        "boolean" => serde_json::json!(true),
        "integer" => serde_json::json!(schema["minimum"].as_u64().unwrap_or(0).max(1)),
        "number" => serde_json::json!(1.5),
        "string" => serde_json::json!("sample"),
        other => panic!("no sample for a {other}: {schema}"),
    }
}

/// Every setting the OpenClaw package's manifest declares (and the gateway
/// therefore lets through) is one the plugin accepts, but the package's own
/// keys, which test-host does not pass to the plugin.
#[test]
fn the_plugin_package_declares_exactly_settings_the_plugin_accepts() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/openclaw-plugin/openclaw.plugin.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    assert_eq!(manifest["id"], test_host::config::PLUGIN_ENTRY);
    let schema = &manifest["configSchema"];
    assert_eq!(schema["additionalProperties"], false);
    let mut settings = sample(schema);
    for key in ["billTo", "discovery", "timeouts", "retry"] {
        assert!(settings.get(key).is_some(), "{key} not declared");
    }
    for key in test_host::config::PACKAGE_KEYS {
        assert!(
            settings.as_object_mut().unwrap().remove(*key).is_some(),
            "{key} not declared"
        );
    }
    let plugin = common::plugin();
    host_sdk::Provider::new(&plugin, HostContext::new("configs-test", "0"), &settings)
        .unwrap_or_else(|e| panic!("the plugin refused the declared settings {settings}: {e}"));
    // No shutdown here: the other test of this binary uses the same library.
}
