//! End-to-end tests of the mock over real sockets (client in `client.rs`).

mod client;

use std::time::Duration;

use super::*;
use client::{Raw, collect, exchange, send, sse_payloads};
use serde_json::{Value, json};

fn chat_body(model: &str, stream: bool) -> String {
    json!({
        "model": model,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}],
        "stream": stream,
        "stream_options": {"include_usage": true},
    })
    .to_string()
}

async fn chat(router: &MockRouter, model: &str, stream: bool, headers: &[(&str, &str)]) -> Raw {
    send(
        router.addr(),
        "POST",
        "/v1/chat/completions",
        headers,
        &chat_body(model, stream),
    )
    .await
}

async fn start() -> MockRouter {
    MockRouter::start(MockOptions::default()).await.unwrap()
}

#[tokio::test]
async fn models_list_has_known_models_all_statuses_and_is_deterministic() {
    let router = start().await;
    let raw = send(router.addr(), "GET", "/v1/models", &[], "").await;
    assert_eq!(raw.status, 200);
    let list = raw.json();
    assert_eq!(list["object"], "list");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 300);
    for id in KNOWN_MODELS {
        assert!(data.iter().any(|m| m["id"] == id), "{id} missing");
    }
    for scenario in LISTED_SCENARIOS {
        let id = format!("mock/{scenario}");
        assert!(data.iter().any(|m| m["id"] == id), "{id} missing");
    }
    for id in ["mock/status-503", "mock/slow-200", "mock/tool-once"] {
        let row = data.iter().find(|m| m["id"] == id).unwrap();
        assert_eq!(row["providers"][0]["status"], "live", "{id}");
    }
    let statuses: Vec<&str> = data
        .iter()
        .flat_map(|m| m["providers"].as_array().unwrap())
        .filter_map(|b| b["status"].as_str())
        .collect();
    for status in ["live", "staging", "error"] {
        assert!(statuses.contains(&status), "no {status} backend");
    }
    assert!(
        data.iter()
            .any(|m| m.get("name").is_none() && m.get("title").is_none())
    );
    let r1 = data
        .iter()
        .find(|m| m["id"] == "deepseek-ai/DeepSeek-R1")
        .unwrap();
    assert_eq!(r1["providers"][0]["provider"], "together");
    assert_eq!(
        r1["providers"][0]["pricing"],
        json!({"input": 3.0, "output": 7.0})
    );
    assert_eq!(r1["providers"][0]["context_length"], 163_840);
    assert_eq!(r1["providers"][1]["context_length"], 64_000);
    assert_eq!(
        r1["providers"][2],
        json!({"provider": "featherless-ai", "status": "error", "is_model_author": false})
    );
    let other = MockRouter::start(MockOptions::default()).await.unwrap();
    let again = send(other.addr(), "GET", "/v1/models", &[], "").await;
    assert_eq!(raw.body, again.body);
}

#[tokio::test]
async fn streaming_echo_has_headers_usage_and_done() {
    let router = start().await;
    let raw = chat(&router, "Qwen/Qwen3-32B", true, &[]).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("content-type"), Some("text/event-stream"));
    assert_eq!(raw.header("x-inference-provider"), Some("cerebras"));
    assert!(raw.header("x-request-id").is_some_and(|id| !id.is_empty()));
    let streamed = collect(&raw.body);
    assert_eq!(streamed.content, "Hello! You said: hi there");
    assert_eq!(streamed.finish.as_deref(), Some("stop"));
    assert!(streamed.done);
    let usage = streamed.usage.unwrap();
    assert_eq!(usage["prompt_tokens"], 4);
    assert_eq!(usage["completion_tokens"], 5);
    assert_eq!(
        sse_payloads(&raw.body).last().map(String::as_str),
        Some("[DONE]")
    );

    let forced = chat(&router, "Qwen/Qwen3-32B:groq", true, &[]).await;
    assert_eq!(forced.header("x-inference-provider"), Some("groq"));
}

#[tokio::test]
async fn reasoning_model_and_unknown_model() {
    let router = start().await;
    let raw = chat(&router, "deepseek-ai/DeepSeek-R1", false, &[]).await;
    let body = raw.json();
    assert_eq!(raw.header("x-inference-provider"), Some("together"));
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"]["reasoning_content"],
        scenario::REASONING_TEXT
    );
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello! You said: hi there"
    );

    let unknown = chat(&router, "nobody/nothing", true, &[]).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"]["code"], "model_not_supported");
    let removed = chat(&router, "Qwen/Qwen3-32B:nebius", true, &[]).await;
    assert_eq!(removed.status, 400);
}

#[tokio::test]
async fn stream_scenarios_match_their_documented_expectations() {
    let router = start().await;
    for name in [
        "echo",
        "reasoning-field",
        "reasoning-content",
        "reasoning-text",
        "reasoning-think",
        "usage",
        "no-done",
        "crlf",
        "split-utf8",
        "malformed-chunk",
        "truncated",
        "stream-error",
        "stall-mid:20",
        "stall-mid-20",
        "stall-before-5",
        "slow:2",
        "slow-2",
    ] {
        let raw = chat(&router, &format!("mock/{name}"), true, &[]).await;
        let expected = expected(name, "hi there").unwrap();
        let streamed = collect(&raw.body);
        assert_eq!(streamed.content, expected.raw_content, "{name}");
        let reasoning = if name == "reasoning-think" {
            None
        } else {
            expected.reasoning.clone()
        };
        assert_eq!(streamed.reasoning, reasoning.unwrap_or_default(), "{name}");
        assert_eq!(streamed.tool_calls, expected.tool_calls, "{name}");
        assert_eq!(streamed.finish.as_deref(), expected.finish_reason, "{name}");
        let wants_done = !matches!(name, "no-done" | "truncated" | "stream-error");
        assert_eq!(streamed.done, wants_done, "{name}");
        assert!(!raw.broken, "{name}");
        if name == "usage" {
            assert_eq!(streamed.usage.unwrap()["total_tokens"], 46);
        }
    }
    let crlf = chat(&router, "mock/crlf", true, &[]).await;
    assert!(crlf.body.starts_with(b"data:{"));
    assert!(crlf.body.ends_with(b"data:[DONE]\r\n\r\n"));
    let error = chat(&router, "mock/stream-error", true, &[]).await;
    assert!(String::from_utf8_lossy(&error.body).contains(r#""error_type":"overloaded""#));
}

#[tokio::test]
async fn header_wins_over_model_and_rate_limits_carry_retry_after() {
    let router = start().await;
    let limited = chat(
        &router,
        "mock/echo",
        true,
        &[("x-mock-scenario", "rate-limit")],
    )
    .await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("1"));
    let bare = chat(
        &router,
        "Qwen/Qwen3-8B",
        true,
        &[("x-mock-scenario", "rate-limit-no-retry-after")],
    )
    .await;
    assert_eq!(bare.status, 429);
    assert_eq!(bare.header("retry-after"), None);
    let status = chat(&router, "mock/status:402", false, &[]).await;
    assert_eq!(status.status, 402);
    assert!(status.json()["error"].as_str().unwrap().contains("credits"));
    let not_found = chat(&router, "mock/status:404", false, &[]).await;
    assert_eq!(
        (not_found.status, not_found.body.as_slice()),
        (404, b"Not Found".as_slice())
    );
}

#[tokio::test]
async fn dash_forms_reach_the_argument_scenarios() {
    let router = start().await;
    let colon = chat(&router, "mock/status:503", false, &[]).await;
    let dash = chat(&router, "mock/status-503", true, &[]).await;
    assert_eq!((colon.status, dash.status), (503, 503));
    // The same body, naming the model as asked.
    assert_eq!(
        String::from_utf8_lossy(&colon.body).replace("status:503", "status-503"),
        String::from_utf8_lossy(&dash.body)
    );
    let routed = chat(&router, "mock/status-429:groq", false, &[]).await;
    assert_eq!(routed.status, 429);
    assert_eq!(routed.header("x-inference-provider"), Some("groq"));
    let header = chat(
        &router,
        "Qwen/Qwen3-8B",
        false,
        &[("x-mock-scenario", "status-402")],
    )
    .await;
    assert_eq!(header.status, 402);

    // The listed `slow-200` really paces: 200 ms between the echo stream's
    // nine events, so well over 800 ms in all.
    let started = std::time::Instant::now();
    let slow = chat(&router, "mock/slow-200", true, &[]).await;
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(collect(&slow.body).content, "Hello! You said: hi there");
}

/// A gateway-like agent request: a system prompt, the conversation so far,
/// and tools of which only `ls` and `status` can be called with `{}`.
fn agent_body(messages: Value, tools: Value, stream: bool) -> String {
    json!({
        "model": "mock/tool-once",
        "messages": messages,
        "tools": tools,
        "stream": stream,
        "stream_options": {"include_usage": true},
    })
    .to_string()
}

async fn agent_turn(router: &MockRouter, messages: Value, tools: Value, stream: bool) -> Raw {
    let body = agent_body(messages, tools, stream);
    send(router.addr(), "POST", "/v1/chat/completions", &[], &body).await
}

fn tool(name: &str, required: &[&str]) -> Value {
    json!({"type": "function", "function": {
        "name": name,
        "description": "a tool",
        "parameters": {"type": "object", "properties": {}, "required": required},
    }})
}

#[tokio::test]
async fn tool_once_calls_one_tool_then_answers_from_its_result() {
    let router = start().await;
    let tools = json!([
        tool("read", &["path"]),
        tool("status", &[]),
        tool("ls", &[])
    ]);
    let asked = json!([
        {"role": "system", "content": "You are an agent."},
        {"role": "user", "content": "list the files"},
    ]);

    let first = agent_turn(&router, asked.clone(), tools.clone(), true).await;
    let streamed = collect(&first.body);
    let expected = expected("tool-once", "list the files").unwrap();
    assert_eq!(streamed.tool_calls, expected.tool_calls);
    assert_eq!(streamed.content, "");
    assert_eq!(streamed.finish.as_deref(), Some("tool_calls"));
    assert!(streamed.done);
    assert_eq!(streamed.usage.unwrap()["completion_tokens"], 1);
    let head = sse_payloads(&first.body)
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .find_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0).cloned());
    assert_eq!(
        head,
        Some(
            json!({"index": 0, "id": "calltoolonce1", "type": "function",
            "function": {"name": "ls", "arguments": ""}})
        )
    );

    // Without `ls`: the first tool that `{}` satisfies; non-streaming alike.
    let whole = agent_turn(
        &router,
        asked.clone(),
        json!([tool("read", &["path"]), tool("status", &[])]),
        false,
    )
    .await
    .json();
    assert_eq!(whole["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        whole["choices"][0]["message"]["tool_calls"],
        json!([{"id": "calltoolonce1", "type": "function",
            "function": {"name": "status", "arguments": "{}"}}])
    );

    let mut ran = asked.as_array().unwrap().clone();
    ran.push(json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "calltoolonce1", "type": "function", "function": {"name": "ls", "arguments": "{}"}},
    ]}));
    ran.push(json!({"role": "tool", "tool_call_id": "calltoolonce1",
        "content": "README.md\nsrc\n"}));
    let second = agent_turn(&router, json!(ran.clone()), tools.clone(), true).await;
    let streamed = collect(&second.body);
    assert_eq!(streamed.content, "The tool said: README.md");
    assert!(streamed.tool_calls.is_empty());
    assert_eq!(streamed.finish.as_deref(), Some("stop"));
    assert_eq!(streamed.usage.unwrap()["completion_tokens"], 4);
    let whole = agent_turn(&router, json!(ran.clone()), tools.clone(), false)
        .await
        .json();
    assert_eq!(
        whole["choices"][0]["message"]["content"],
        scenario::tool_once_answer("README.md")
    );

    // The gateway appends its runtime context after the results: still answered.
    let mut carried = ran.clone();
    carried.push(json!({"role": "user", "content": "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"}));
    let fourth = agent_turn(&router, json!(carried), tools.clone(), true).await;
    assert_eq!(collect(&fourth.body).content, "The tool said: README.md");

    // An answer ends the turn; the next user message starts one: call again.
    ran.push(json!({"role": "assistant", "content": "The tool said: README.md"}));
    ran.push(json!({"role": "user", "content": "again"}));
    let third = agent_turn(&router, json!(ran), tools, true).await;
    assert_eq!(collect(&third.body).tool_calls, expected.tool_calls);
}

#[tokio::test]
async fn tool_once_without_a_usable_tool_echoes() {
    let router = start().await;
    let asked = json!([{"role": "user", "content": "hi there"}]);
    for tools in [json!([tool("read", &["path"])]), json!(null)] {
        let raw = agent_turn(&router, asked.clone(), tools.clone(), true).await;
        let streamed = collect(&raw.body);
        assert_eq!(streamed.content, "Hello! You said: hi there", "{tools}");
        assert!(streamed.tool_calls.is_empty(), "{tools}");
        assert_eq!(streamed.finish.as_deref(), Some("stop"), "{tools}");
    }
}

#[tokio::test]
async fn fail_then_ok_counts_per_key() {
    let router = start().await;
    let key_a = [
        ("x-mock-scenario", "fail-then-ok:2:503"),
        ("x-mock-key", "a"),
    ];
    let statuses = [
        chat(&router, "Qwen/Qwen3-8B", true, &key_a).await.status,
        chat(&router, "Qwen/Qwen3-8B", true, &key_a).await.status,
        chat(
            &router,
            "Qwen/Qwen3-8B",
            true,
            &[
                ("x-mock-scenario", "fail-then-ok:2:503"),
                ("x-mock-key", "b"),
            ],
        )
        .await
        .status,
        chat(&router, "Qwen/Qwen3-8B", true, &key_a).await.status,
    ];
    assert_eq!(statuses, [503, 503, 503, 200]);
    let first = chat(&router, "mock/fail-then-ok:1:502", false, &[]).await;
    assert_eq!(first.status, 502);
    assert!(
        first
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        chat(&router, "mock/fail-then-ok:1:502", false, &[])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn resets_break_the_connection() {
    let router = start().await;
    let body = chat_body("mock/reset-before", true);
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (bytes, _errored) = exchange(router.addr(), request.as_bytes()).await;
    assert!(bytes.is_empty(), "got {}", String::from_utf8_lossy(&bytes));

    let mid = chat(&router, "mock/reset-mid", true, &[]).await;
    assert_eq!(mid.status, 200);
    assert!(mid.broken);
    assert_eq!(collect(&mid.body).content, "Hello! You ");
}

#[tokio::test]
async fn replay_sends_the_recording_byte_for_byte() {
    let router = start().await;
    let dir = crate::fixtures::recorded_chat_dir();
    for id in ["001", "013", "060"] {
        let recorded = replay::load(&dir, id).unwrap();
        let raw = chat(
            &router,
            "Qwen/Qwen3-8B",
            true,
            &[("x-mock-scenario", &format!("replay:{id}"))],
        )
        .await;
        assert_eq!(raw.status, recorded.status, "{id}");
        assert_eq!(raw.header("content-type"), recorded.content_type(), "{id}");
        assert_eq!(raw.body, recorded.body.as_bytes(), "{id}");
    }
    let by_path = send(
        router.addr(),
        "POST",
        "/replay/2/v1/chat/completions",
        &[],
        "{}",
    )
    .await;
    assert_eq!(
        by_path.body,
        replay::load(&dir, "002").unwrap().body.as_bytes()
    );
    let missing = chat(&router, "mock/replay:999", false, &[]).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn tokens_are_checked_and_requests_recorded() {
    let options = MockOptions {
        require_token: Some("hf_secret".into()),
        ..MockOptions::default()
    };
    let router = MockRouter::start(options).await.unwrap();
    let denied = chat(&router, "Qwen/Qwen3-8B", false, &[]).await;
    assert_eq!(denied.status, 401);
    assert_eq!(denied.json(), json!({"error": INVALID_CREDENTIALS}));
    let wrong = chat(
        &router,
        "Qwen/Qwen3-8B",
        false,
        &[("Authorization", "Bearer hf_nope")],
    )
    .await;
    assert_eq!(wrong.status, 401);
    let ok = chat(
        &router,
        "Qwen/Qwen3-8B",
        false,
        &[("Authorization", "Bearer hf_secret")],
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        send(router.addr(), "GET", "/v1/models", &[], "")
            .await
            .status,
        200
    );

    let requests = router.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[2].method, "POST");
    assert_eq!(requests[2].path, "/v1/chat/completions");
    assert_eq!(
        requests[2].header("authorization"),
        Some("Bearer hf_secret")
    );
    assert_eq!(requests[2].json().unwrap()["model"], "Qwen/Qwen3-8B");
}

#[tokio::test]
async fn stats_count_chat_requests_per_model() {
    let router = start().await;
    chat(&router, "mock/rate-limit", false, &[]).await;
    chat(&router, "mock/rate-limit", true, &[]).await;
    chat(&router, "Qwen/Qwen3-8B", false, &[]).await;
    let stats = send(router.addr(), "GET", "/mock/stats", &[], "")
        .await
        .json();
    assert_eq!(stats["chat_requests"], 3);
    assert_eq!(
        stats["chat_requests_by_model"],
        json!({ "mock/rate-limit": 2, "Qwen/Qwen3-8B": 1 })
    );
}

#[test]
fn the_listening_line_keeps_its_parsed_shape_and_says_which_tokens_pass() {
    let url = "http://127.0.0.1:8787/v1";
    let open = listening_line(url, &MockOptions::default());
    let guarded = listening_line(
        url,
        &MockOptions {
            require_token: Some("hf_secret".into()),
            ..MockOptions::default()
        },
    );
    for line in [&open, &guarded] {
        // What scripts match: `mock router listening on (\S+?);`.
        let rest = line.strip_prefix("mock router listening on ").unwrap();
        assert_eq!(rest.split_once(';').map(|(url, _)| url), Some(url));
        assert!(!line.contains('\n'));
    }
    assert!(open.contains("it accepts any token"), "{open}");
    assert!(
        guarded.contains("it accepts only the required token"),
        "{guarded}"
    );
    assert!(!guarded.contains("hf_secret"), "{guarded}");
}

#[tokio::test]
async fn models_failure_modes_switch_at_run_time() {
    let router = start().await;
    router.set_models_failure(Some(ModelsFailure::Status500));
    assert_eq!(
        send(router.addr(), "GET", "/v1/models", &[], "")
            .await
            .status,
        500
    );
    router.set_models_failure(Some(ModelsFailure::Html));
    let html = send(router.addr(), "GET", "/v1/models", &[], "").await;
    assert!(
        html.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    router.set_models_failure(None);
    assert_eq!(
        send(router.addr(), "GET", "/v1/models", &[], "")
            .await
            .status,
        200
    );
    assert_eq!(
        send(router.addr(), "GET", "/nope", &[], "").await.status,
        404
    );
}

#[tokio::test]
async fn shutdown_ends_stalled_streams_promptly() {
    let router = start().await;
    let addr = router.addr();
    let stalled = tokio::spawn(async move {
        send(
            addr,
            "POST",
            "/v1/chat/completions",
            &[("x-mock-scenario", "stall-mid:60000")],
            &chat_body("Qwen/Qwen3-8B", true),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(3), router.shutdown())
        .await
        .unwrap();
    let raw = tokio::time::timeout(Duration::from_secs(3), stalled)
        .await
        .unwrap()
        .unwrap();
    assert!(raw.broken);
}

#[tokio::test]
async fn shutdown_ends_stall_before_promptly() {
    let router = start().await;
    let addr = router.addr();
    let stalled = tokio::spawn(async move {
        let body = chat_body("mock/stall-before:60000", true);
        let request = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        exchange(addr, request.as_bytes()).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(3), router.shutdown())
        .await
        .unwrap();
    let (bytes, _) = tokio::time::timeout(Duration::from_secs(3), stalled)
        .await
        .unwrap()
        .unwrap();
    assert!(bytes.is_empty());
}

#[tokio::test]
async fn tool_calls_stream_and_huge_answers() {
    let router = start().await;
    let raw = chat(&router, "mock/tool-calls:groq", true, &[]).await;
    assert_eq!(raw.header("x-inference-provider"), Some("groq"));
    let payloads = sse_payloads(&raw.body);
    let continuation = payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .find(|c| c["choices"][0]["delta"]["tool_calls"][0]["id"] == "");
    let continuation = continuation.unwrap();
    assert_eq!(
        continuation["choices"][0]["delta"]["tool_calls"][0]["function"]["name"],
        Value::Null
    );
    assert_eq!(collect(&raw.body).finish.as_deref(), Some("tool_calls"));
    let whole = chat(&router, "mock/tool-calls", false, &[]).await.json();
    let calls = &whole["choices"][0]["message"]["tool_calls"];
    assert_eq!(calls[1]["function"]["arguments"], scenario::TOOL_CALLS[1].2);

    let huge = chat(&router, "mock/huge-body", false, &[]).await;
    assert!(huge.body.len() > 20 * 1024 * 1024);
    let content = huge.json()["choices"][0]["message"]["content"]
        .as_str()
        .map(str::len);
    assert_eq!(content, Some(scenario::HUGE_BODY_CONTENT_BYTES));

    router.set_models_failure(Some(ModelsFailure::Huge));
    let list = send(router.addr(), "GET", "/v1/models", &[], "").await;
    assert!(list.body.len() > 32 * 1024 * 1024);
    assert!(list.json()["data"].as_array().is_some());
}
