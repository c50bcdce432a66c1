//! End to end: the real plugin, built as a cdylib, loaded through host-sdk,
//! talking HTTP to the mock router on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::time::{Duration, Instant};

use host_sdk::{ChatEvent, ChatRequest, ErrorKind, HostContext, INTERFACE_VERSION, Message};
use serde_json::json;
use testkit::mock_router::scenario::{REASONING_TEXT, answer_for};

#[test]
fn plugin_reports_its_identity() {
    let plugin = common::plugin();
    let info = plugin.info();
    assert_eq!(info.provider_id, "huggingface");
    assert_eq!(info.interface_version, INTERFACE_VERSION);
    assert!(
        info.build.contains(std::env::consts::ARCH),
        "{}",
        info.build
    );
}

#[tokio::test]
async fn discover_and_resolve_answer_from_the_builtin_catalog() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));
    let models = provider.discover().unwrap();
    for id in [
        "deepseek-ai/DeepSeek-R1",
        "Qwen/Qwen3-8B",
        "openai/gpt-oss-120b",
        "moonshotai/Kimi-K2.5",
    ] {
        assert!(models.iter().any(|m| m.id == id), "{id} missing");
    }
    let r = provider
        .resolve("huggingface/deepseek-ai/DeepSeek-R1:cheapest")
        .unwrap();
    assert_eq!(r.router_model, "deepseek-ai/DeepSeek-R1:cheapest");
    assert_eq!(r.model_ref, "huggingface/deepseek-ai/DeepSeek-R1:cheapest");
    assert!(r.locked);
    assert_eq!(r.display_name, "DeepSeek R1 (cheapest)");
    let e = provider.resolve("not a ref").unwrap_err();
    assert!(
        matches!(e.kind, ErrorKind::InvalidRequest | ErrorKind::ModelNotFound),
        "{e}"
    );
}

#[tokio::test]
async fn streamed_completion_through_the_loaded_plugin() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));
    let mut stream = provider.complete(ChatRequest::new(
        "huggingface/deepseek-ai/DeepSeek-R1",
        vec![Message::user("hi there")],
    ));
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        events.push(item.expect("no error"));
    }
    assert!(
        matches!(events.first(), Some(ChatEvent::ServedBy { .. })),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(ChatEvent::Done { .. })),
        "{events:?}"
    );
    let mut response = host_sdk::ChatResponse::default();
    events.iter().for_each(|e| response.apply(e));
    assert_eq!(response.content, answer_for("hi there"));
    assert_eq!(response.reasoning, REASONING_TEXT);
    assert_eq!(response.finish_reason.as_deref(), Some("stop"));
    assert_eq!(response.served_by.as_deref(), Some("together"));
    assert!(response.request_id.is_some());
    let usage = response.usage.expect("usage");
    assert!(usage.total_tokens > 0);
    // Priced by the backend that served it (together: $3 in / $7 out per million) when
    // the catalog knows that backend's price; the built-in price otherwise.
    assert!(usage.cost_usd.is_some());

    // What the plugin sent: no provider prefix, model first, usage requested.
    let sent = router
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/chat/completions"))
        .expect("a chat request");
    let body = String::from_utf8(sent.body.clone()).unwrap();
    assert!(
        body.starts_with(r#"{"model":"deepseek-ai/DeepSeek-R1""#),
        "{body}"
    );
    let json = sent.json().unwrap();
    assert_eq!(json["stream"], true);
    assert_eq!(json["stream_options"]["include_usage"], true);
    assert!(sent.header("authorization").is_none() || std::env::var("HF_TOKEN").is_ok());
}

#[tokio::test]
async fn non_streaming_completion_gives_the_same_events() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));
    let request = ChatRequest {
        stream: false,
        ..ChatRequest::new("huggingface/Qwen/Qwen3-8B", vec![Message::user("plain")])
    };
    let response = provider.complete(request).collect().await.unwrap();
    assert_eq!(response.content, answer_for("plain"));
    assert_eq!(response.finish_reason.as_deref(), Some("stop"));
    assert!(response.usage.is_some());
}

#[test]
fn blocking_completion_from_a_plain_thread() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let router = rt.block_on(common::router());
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));
    let response = std::thread::spawn(move || {
        provider.complete_blocking(ChatRequest::new(
            "huggingface/Qwen/Qwen3-8B",
            vec![Message::user("from a thread")],
        ))
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(response.content, answer_for("from a thread"));
}

#[tokio::test]
async fn invalid_settings_name_the_bad_key() {
    let plugin = common::plugin();
    let e = host_sdk::Provider::new(
        &plugin,
        HostContext::new("e2e", "0"),
        &json!({ "timeouts": { "idleSecs": 1 } }),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.message.contains("timeouts.idleSecs"), "{e}");
}

#[tokio::test]
async fn cancelling_stops_a_stalled_completion() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));
    let stream = provider.complete(ChatRequest::new(
        "huggingface/mock/stall-before:20000",
        vec![Message::user("wait")],
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    stream.cancel();
    let e = stream.collect().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled, "{e}");
    // Generous bound: this checks that cancellation does not wait for the
    // server (20 s); the 100 ms figure is measured by the benchmark.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
