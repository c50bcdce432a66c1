//! End to end: the catalog of the loaded plugin — discovery against the mock
//! router's realistic list, merge with the built-in models, explicit refresh,
//! the on-disk last-good copy, and the discovery switch.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::time::{Duration, Instant};

use host_sdk::{ErrorKind, ModelSource, Provider};
use serde_json::json;
use testkit::mock_router::{MockOptions, MockRouter, ModelsFailure};

const TOKEN: &str = "hf_e2e_catalog_not_a_real_token";

async fn router_with_token() -> MockRouter {
    MockRouter::start(MockOptions {
        require_token: Some(TOKEN.into()),
        ..MockOptions::default()
    })
    .await
    .unwrap()
}

fn discovering(router: &MockRouter, state: &std::path::Path) -> serde_json::Value {
    common::settings(
        router,
        state,
        json!({ "apiKey": TOKEN, "discovery": { "enabled": true, "timeoutSeconds": 5 } }),
    )
}

/// Waits (bounded) until the background refresh has merged the router's list.
async fn wait_discovered(provider: &Provider) -> Vec<host_sdk::ModelInfo> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let models = provider.discover().unwrap();
        if models.iter().any(|m| m.source != ModelSource::Builtin) {
            return models;
        }
        assert!(Instant::now() < deadline, "discovery did not happen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn model_requests(router: &MockRouter) -> Vec<testkit::mock_router::RecordedRequest> {
    router
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/models"))
        .collect()
}

#[tokio::test]
async fn background_discovery_merges_the_router_list_with_builtin_models() {
    let router = router_with_token().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&discovering(&router, state.path()));
    let models = wait_discovered(&provider).await;

    assert!(models.len() >= 300, "{} models", models.len());
    let r1 = models
        .iter()
        .find(|m| m.id == "deepseek-ai/DeepSeek-R1")
        .unwrap();
    assert_eq!(r1.source, ModelSource::Both);
    assert!(r1.live);
    // The smallest context among live backends (together 163840, novita 64000).
    assert_eq!(r1.context_window, 64000);
    // The cheapest live backend's price (novita).
    let cost = r1.cost.expect("a known price");
    assert_eq!((cost.input, cost.output), (0.7, 2.5));
    assert_eq!(r1.name, "DeepSeek R1");
    assert_eq!(r1.live_backends().count(), 2);
    assert!(r1.backends.iter().any(|b| b.status == "error"));

    let sent = model_requests(&router);
    assert!(!sent.is_empty());
    assert_eq!(
        sent[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    // A backend suffix is checked against the live backends the router listed.
    let e = provider
        .resolve("huggingface/deepseek-ai/DeepSeek-R1:featherless-ai")
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(
        e.message.contains("together") && e.message.contains("novita"),
        "{e}"
    );
    // An unknown id is now a not-found error with close matches.
    let e = provider
        .resolve("huggingface/deepseek-ai/DeepSeek-R2")
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ModelNotFound);
    assert!(e.message.contains("deepseek-ai/DeepSeek-R1"), "{e}");
}

#[tokio::test]
async fn explicit_refresh_and_the_last_good_copy_survive_an_offline_restart() {
    let router = router_with_token().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&discovering(&router, state.path()));
    let report = provider.refresh(Duration::from_secs(10)).await.unwrap();
    assert!(report.discovered >= 300, "{report:?}");
    assert!(report.models >= report.discovered);
    assert!(
        std::fs::read_dir(state.path()).unwrap().count() > 0,
        "no last-good copy written"
    );
    let base_url = router.base_url();
    drop(provider);

    // The router goes down; a restart still knows the discovered list.
    router.shutdown().await;
    let offline = common::provider(&json!({
        "baseUrl": base_url,
        "stateDir": state.path(),
        "apiKey": TOKEN,
        "discovery": { "enabled": true, "timeoutSeconds": 1 },
    }));
    let models = offline.discover().unwrap();
    assert!(models.len() >= 300, "{} models after restart", models.len());
    // An explicit refresh fails with the reason; the list is kept.
    let e = offline.refresh(Duration::from_secs(3)).await.unwrap_err();
    assert!(
        matches!(
            e.kind,
            ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Unavailable
        ),
        "{e}"
    );
    assert_eq!(offline.discover().unwrap().len(), models.len());
}

#[tokio::test]
async fn failing_discovery_keeps_the_builtin_catalog() {
    let router = router_with_token().await;
    let state = tempfile::tempdir().unwrap();
    for failure in [
        ModelsFailure::Status500,
        ModelsFailure::Html,
        ModelsFailure::Huge,
    ] {
        router.set_models_failure(Some(failure.clone()));
        let provider = common::provider(&discovering(&router, state.path()));
        let e = provider.refresh(Duration::from_secs(20)).await.unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::Unavailable | ErrorKind::Internal),
            "{failure:?}: {e}"
        );
        let models = provider.discover().unwrap();
        assert!(models.iter().any(|m| m.id == "deepseek-ai/DeepSeek-R1"));
        assert!(
            models.iter().all(|m| m.source == ModelSource::Builtin),
            "{failure:?}"
        );
    }
}

#[tokio::test]
async fn discovery_switched_off_never_calls_the_router() {
    let router = router_with_token().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(
        &router,
        state.path(),
        json!({ "apiKey": TOKEN, "discovery": { "enabled": false } }),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(provider.discover().unwrap().len(), 10);
    let e = provider.refresh(Duration::from_secs(1)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.message.contains("discovery"), "{e}");
    assert!(model_requests(&router).is_empty());
}
