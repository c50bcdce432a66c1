//! `test-host serve` as a client sees it: the real binary and plugin in front of
//! the mock router, spoken to over HTTP. The local key, the OpenAI shapes of
//! models, streamed and whole answers and errors, a client that leaves
//! mid-answer, bad bodies, 200 concurrent streams across a hot swap, and the
//! JSON log a collector reads.
//! (The official Python and Node clients and the OpenClaw gateway are tested
//! against the same server by `clients/run`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::mock_router::scenario::{REASONING_TEXT, TOOL_CALLS, answer_for};
use testkit::mock_router::{MockOptions, MockRouter};

const KEY: &str = "local-test-key";

/// A mock router, and `test-host serve` in front of it.
struct Served {
    router: MockRouter,
    dir: tempfile::TempDir,
    child: Child,
    base: String,
    plugin: PathBuf,
}

impl Served {
    async fn start() -> Served {
        Served::start_with(&[], &[]).await
    }

    /// With more `serve` options and environment variables.
    async fn start_with(args: &[&str], envs: &[(&str, &str)]) -> Served {
        Served::start_on("127.0.0.1:0", args, envs).await
    }

    /// With `--listen listen`.
    async fn start_on(listen: &str, args: &[&str], envs: &[(&str, &str)]) -> Served {
        let router = MockRouter::start(MockOptions::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        // A copy of its own, so the hot-swap test can change the file.
        let plugin = dir
            .path()
            .join(testkit::cdylib::library_file_name("huggingface_provider"));
        std::fs::copy(common::plugin_path(), &plugin).unwrap();
        let config = json!({
            "plugins": { "entries": { "huggingface": { "config": {
                "discovery": { "enabled": false },
                "retry": { "maxAttempts": 1 },
                "timeouts": { "firstByteSeconds": 1, "idleSeconds": 1 },
            } } } },
        });
        std::fs::write(dir.path().join("openclaw.json"), config.to_string()).unwrap();
        let mut child = common::test_host_with_plugin(dir.path(), &router.base_url(), &plugin)
            .args(["serve", "--listen", listen])
            .args(args)
            .env("OPENCLAW_HF_SERVE_KEY", KEY)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
            .spawn()
            .unwrap();
        let base = common::serving_url(&mut child);
        Served {
            router,
            dir,
            child,
            base,
            plugin,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn chats_seen(&self) -> usize {
        self.router
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/chat/completions")
            .count()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post(served: &Served, body: Value) -> reqwest::Response {
    client()
        .post(served.url("/chat/completions"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn chat(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [{ "role": "user", "content": "hi there" }],
        "stream": stream,
        "stream_options": { "include_usage": true },
    })
}

/// The `data:` payloads of an SSE body, `[DONE]` included.
async fn sse(response: reqwest::Response) -> Vec<String> {
    let text = response.text().await.unwrap();
    text.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(str::to_string)
        .collect()
}

/// Content, reasoning and finish reason of streamed chunks.
fn fold(chunks: &[String]) -> (String, String, Option<String>) {
    let (mut content, mut reasoning, mut finish) = (String::new(), String::new(), None);
    for chunk in chunks.iter().filter(|c| *c != "[DONE]") {
        let v: Value = serde_json::from_str(chunk).unwrap();
        if let Some(choice) = v["choices"].get(0) {
            content.push_str(choice["delta"]["content"].as_str().unwrap_or_default());
            reasoning.push_str(
                choice["delta"]["reasoning_content"]
                    .as_str()
                    .unwrap_or_default(),
            );
            if let Some(f) = choice["finish_reason"].as_str() {
                finish = Some(f.to_string());
            }
        }
    }
    (content, reasoning, finish)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_key_is_a_401_that_never_reaches_the_router() {
    let served = Served::start().await;
    for auth in [None, Some("Bearer nope"), Some(KEY)] {
        let mut request = client()
            .post(served.url("/chat/completions"))
            .json(&chat("Qwen/Qwen3-8B", false));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_api_key");
        assert_eq!(body["error"]["type"], "authentication_error");
    }
    assert_eq!(served.chats_seen(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_are_an_openai_list_with_the_catalog_metadata() {
    let served = Served::start().await;
    let response = client()
        .get(served.url("/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "list");
    let r1 = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "deepseek-ai/DeepSeek-R1")
        .unwrap();
    assert_eq!(r1["object"], "model");
    assert_eq!(r1["owned_by"], "deepseek-ai");
    assert_eq!(r1["ref"], "huggingface/deepseek-ai/DeepSeek-R1");
    assert_eq!(r1["name"], "DeepSeek R1");
    assert_eq!(r1["reasoning"], true);
    assert!(r1["context_window"].as_u64().unwrap() > 0);
    assert!(r1["pricing"]["input"].as_f64().is_some());
    // From memory: the router's model list was never asked for.
    assert!(
        served
            .router
            .requests()
            .iter()
            .all(|r| r.path != "/v1/models"),
        "GET /v1/models waited on the router"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_is_openai_chunks_with_reasoning_usage_and_done() {
    let served = Served::start().await;
    let response = post(&served, chat("deepseek-ai/DeepSeek-R1", true)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["x-inference-provider"], "together");
    assert!(response.headers().contains_key("x-request-id"));
    let chunks = sse(response).await;
    assert_eq!(chunks.last().map(String::as_str), Some("[DONE]"));
    let (content, reasoning, finish) = fold(&chunks);
    assert_eq!(content, answer_for("hi there"));
    assert_eq!(reasoning, REASONING_TEXT);
    assert_eq!(finish.as_deref(), Some("stop"));
    let first: Value = serde_json::from_str(&chunks[0]).unwrap();
    assert_eq!(first["object"], "chat.completion.chunk");
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    let usage: Value = serde_json::from_str(&chunks[chunks.len() - 2]).unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0);

    // Without include_usage there is no usage chunk.
    let mut body = chat("Qwen/Qwen3-8B", true);
    body.as_object_mut().unwrap().remove("stream_options");
    let chunks = sse(post(&served, body).await).await;
    assert!(
        chunks.iter().all(|c| !c.contains("\"usage\"")),
        "{chunks:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_stream_as_indexed_deltas_and_a_whole_answer_is_one_object() {
    let served = Served::start().await;
    let chunks = sse(post(&served, chat("mock/tool-calls", true)).await).await;
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for chunk in chunks.iter().filter(|c| *c != "[DONE]") {
        let v: Value = serde_json::from_str(chunk).unwrap();
        for delta in v["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let index = delta["index"].as_u64().unwrap() as usize;
            if calls.len() <= index {
                calls.resize(index + 1, Default::default());
            }
            if let Some(id) = delta["id"].as_str() {
                calls[index].0 = id.to_string();
            }
            if let Some(name) = delta["function"]["name"].as_str() {
                calls[index].1.push_str(name);
            }
            calls[index]
                .2
                .push_str(delta["function"]["arguments"].as_str().unwrap());
        }
    }
    let expected: Vec<(String, String, String)> = TOOL_CALLS
        .iter()
        .map(|(i, n, a)| (i.to_string(), n.to_string(), a.to_string()))
        .collect();
    assert_eq!(calls, expected);
    assert_eq!(fold(&chunks).2.as_deref(), Some("tool_calls"));

    let response = post(&served, chat("mock/tool-calls", false)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    let message = &body["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(message["tool_calls"][1]["function"]["name"], "get_time");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    assert!(body["usage"]["total_tokens"].as_u64().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_kind_has_its_status_and_openai_error_shape() {
    let served = Served::start().await;
    for (model, status, code) in [
        ("mock/status:422", 400, "invalid_request"),
        ("mock/status:400", 404, "model_unsupported"),
        ("mock/status:401", 401, "upstream_auth"),
        ("mock/status:402", 402, "billing"),
        ("mock/status:403", 403, "permission"),
        ("mock/status:404", 404, "model_unsupported"),
        ("mock/rate-limit", 429, "rate_limited"),
        ("mock/status:503", 503, "unavailable"),
        ("mock/stall-before:3000", 504, "timeout"),
        ("mock/reset-before", 502, "network"),
        ("no-such-alias", 404, "model_not_found"),
    ] {
        for stream in [true, false] {
            let response = post(&served, chat(model, stream)).await;
            assert_eq!(response.status(), status, "{model} stream={stream}");
            if status == 429 {
                assert_eq!(response.headers()["retry-after"], "1");
            }
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], code, "{model}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
            assert!(body["error"]["type"].as_str().is_some());
        }
    }
    let body: Value = post(&served, chat("mock/status:401", false))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Hugging Face token"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_after_the_stream_started_ends_it_with_an_error_event() {
    let served = Served::start().await;
    let response = post(&served, chat("mock/stream-error", true)).await;
    assert_eq!(response.status(), 200);
    let chunks = sse(response).await;
    let last: Value = serde_json::from_str(chunks.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "unavailable", "{chunks:?}");
    assert!(!chunks.iter().any(|c| c == "[DONE]"));
    assert!(
        !fold(&chunks).0.is_empty(),
        "the text before the error arrived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_400s_naming_the_field_and_nothing_reaches_the_router() {
    let served = Served::start().await;
    let send = |body: Vec<u8>| {
        client()
            .post(served.url("/chat/completions"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases: [(Vec<u8>, &str); 3] = [
        (b"{\"model\": ".to_vec(), "not valid JSON"),
        (
            json!({"model": "m/x", "messages": [{"role": "user", "content": 5}]})
                .to_string()
                .into_bytes(),
            "messages[0].content",
        ),
        (
            format!(
                "{{\"model\":\"m/x\",\"messages\":[{{\"role\":\"user\",\"content\":\"{}\"}}]}}",
                "x".repeat(17 * 1024 * 1024)
            )
            .into_bytes(),
            "exceeds",
        ),
    ];
    for (body, says) in cases {
        let response = send(body).await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{says}: {body}"
        );
    }
    assert_eq!(served.chats_seen(), 0);
    // Still serving.
    assert_eq!(
        post(&served, chat("Qwen/Qwen3-8B", false)).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_bytes_and_mistyped_tools_are_400s_and_nothing_reaches_the_router() {
    let served = Served::start().await;
    let send = |body: String| {
        client()
            .post(served.url("/chat/completions"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let valid = chat("Qwen/Qwen3-8B", false);
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body.to_string()
    };
    let cases: [(String, &str, Value); 8] = [
        (format!("{valid} {{}}"), "trailing", Value::Null),
        (format!("{valid}x"), "trailing", Value::Null),
        (
            with("tools", json!("get_weather")),
            "`tools`",
            json!("tools"),
        ),
        (
            with("tools", json!({"type": "function"})),
            "`tools`",
            json!("tools"),
        ),
        (
            with(
                "tools",
                json!([{"type": "function", "function": {"name": 5}}]),
            ),
            "tools[0].function.name",
            json!("tools[0].function.name"),
        ),
        (
            with("tools", json!([{"type": "function"}])),
            "tools[0].function",
            json!("tools[0].function"),
        ),
        (
            with(
                "tools",
                json!([{"type": "retrieval", "function": {"name": "f"}}]),
            ),
            "tools[0].type",
            json!("tools[0].type"),
        ),
        (
            with("tool_choice", json!(5)),
            "`tool_choice`",
            json!("tool_choice"),
        ),
    ];
    for (body, says, param) in cases {
        let response = send(body.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(says),
            "{says}: {answer}"
        );
        assert_eq!(answer["error"]["param"], param, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_request", "{answer}");
    }
    assert_eq!(served.chats_seen(), 0);
    // Whitespace after the object is fine, and so are well-formed tools.
    let tools =
        json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]);
    for body in [format!("{valid}\n "), with("tools", tools)] {
        assert_eq!(send(body).await.unwrap().status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_answer_is_in_openai_shape_405_included() {
    let served = Served::start().await;
    for (method, path, allowed) in [
        (reqwest::Method::POST, "/models", "GET"),
        (reqwest::Method::DELETE, "/models/Qwen/Qwen3-8B", "GET"),
        (reqwest::Method::GET, "/chat/completions", "POST"),
    ] {
        let response = client()
            .request(method.clone(), served.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert!(
            response.headers()["allow"]
                .to_str()
                .unwrap()
                .contains(allowed)
        );
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(method.as_str()) && message.contains(allowed),
            "{message}"
        );
    }
    let response = client()
        .get(served.url("/nowhere"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_url", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bearer_scheme_is_case_insensitive() {
    let served = Served::start().await;
    for (auth, status) in [
        (format!("bearer {KEY}"), 200),
        (format!("BEARER {KEY}"), 200),
        (format!("Bearer   {KEY}"), 200),
        (format!("Basic {KEY}"), 401),
        (format!("Bearer{KEY}"), 401),
        (format!("Bearer {KEY}x"), 401),
        (format!("bearer {}", KEY.to_uppercase()), 401),
    ] {
        let response = client()
            .get(served.url("/models"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{auth}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_takes_a_loopback_name_and_an_address_without_a_port() {
    let served = Served::start_on("localhost:0", &[], &[]).await;
    assert!(
        served.base.starts_with("http://127.0.0.1:"),
        "{}",
        served.base
    );
    let response = client()
        .get(served.url("/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drop(served);

    // Checked before anything is bound: a missing port is 8788, so this
    // reaches the loopback check rather than failing to parse.
    let dir = tempfile::tempdir().unwrap();
    let run = |listen: &str| {
        common::test_host(dir.path(), "http://127.0.0.1:9")
            .args(["serve", "--listen", listen])
            .env("OPENCLAW_HF_SERVE_KEY", KEY)
            .output()
            .unwrap()
    };
    let out = run("0.0.0.0");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:8788") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
    for bad in [
        "127.0.0.1:http",
        "127.0.0.1:70000",
        "[::1]:x",
        "local host",
        "",
    ] {
        let out = run(bad);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("HOST:PORT"), "{bad}: {stderr}");
        assert!(
            !stderr.contains("invalid socket address syntax"),
            "{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_answer_cancels_the_upstream_request_at_once() {
    let served = Served::start().await;
    let mut response = post(&served, chat("mock/slow:200", true)).await;
    assert_eq!(response.status(), 200);
    let _first = response.chunk().await.unwrap();
    assert_eq!(served.router.live_responses(), 1);
    drop(response);
    let deadline = Instant::now() + Duration::from_secs(2);
    while served.router.live_responses() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        served.router.live_responses(),
        0,
        "the upstream answer was still being written"
    );
}

/// Appends bytes after the end of the ELF image: the loader maps only what
/// the program headers name, so the file stays loadable but is a new version.
fn touch_plugin(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend_from_slice(b"next version");
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_streams_all_complete_across_a_hot_swap() {
    let served = Served::start().await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (url, prompt) = (served.url("/chat/completions"), format!("stream {i}"));
        tasks.push(tokio::spawn(async move {
            let body = json!({
                "model": "mock/slow:5",
                "messages": [{ "role": "user", "content": prompt }],
                "stream": true,
            });
            let response = client()
                .post(url)
                .bearer_auth(KEY)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let chunks = sse(response).await;
            assert_eq!(chunks.last().map(String::as_str), Some("[DONE]"));
            assert_eq!(fold(&chunks).0, answer_for(&prompt));
        }));
    }
    // Swap while they stream: a changed file, then SIGHUP.
    tokio::time::sleep(Duration::from_millis(50)).await;
    touch_plugin(&served.plugin);
    let pid = served.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let mut failed = 0;
    for task in tasks {
        if task.await.is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 0, "streams failed across the swap");
    // The swap completed once the old version drained, and new calls answer.
    let log = served.dir.path().join("serve.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    let swapped = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("swapped to #2") || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(swapped.contains("swapped to #2"), "{swapped}");
    assert!(swapped.contains("#1 shut down cleanly"), "{swapped}");
    assert_eq!(
        post(&served, chat("Qwen/Qwen3-8B", false)).await.status(),
        200
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_the_configs_changed_settings_to_new_calls() {
    let served = Served::start().await;
    assert_eq!(
        post(&served, chat("mock/status:500", false)).await.status(),
        503 // `unavailable`
    );
    assert_eq!(served.chats_seen(), 1, "retry.maxAttempts is 1");
    let config = json!({
        "plugins": { "entries": { "huggingface": { "config": {
            "discovery": { "enabled": false },
            "retry": { "maxAttempts": 3, "baseDelayMs": 1 },
        } } } },
    });
    std::fs::write(served.dir.path().join("openclaw.json"), config.to_string()).unwrap();
    let pid = served.child.id().to_string();
    let hup = || {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap();
        assert!(status.success());
    };
    hup();
    let log = served.dir.path().join("serve.log");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !read_log().contains("swapped to") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        read_log().contains("settings reloaded from the config"),
        "{}",
        read_log()
    );
    assert_eq!(
        post(&served, chat("mock/status:500", false)).await.status(),
        503 // `unavailable`
    );
    assert_eq!(served.chats_seen(), 1 + 3, "the new retry.maxAttempts");

    // A config the plugin refuses keeps the settings in force.
    std::fs::write(
        served.dir.path().join("openclaw.json"),
        json!({ "plugins": { "entries": { "huggingface": { "config": {
            "retry": { "maxAttempts": 0 },
        } } } } })
        .to_string(),
    )
    .unwrap();
    hup();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !read_log().contains("the old ones stay") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        read_log().contains("refused the config's settings, the old ones stay"),
        "{}",
        read_log()
    );
    assert_eq!(
        post(&served, chat("Qwen/Qwen3-8B", false)).await.status(),
        200
    );
}

/// Waits until the server's log holds `lines` request lines, and returns every
/// line of it as JSON (it fails on a line that is not).
async fn json_log_with(served: &Served, lines: usize, also: &str) -> Vec<Value> {
    let log = served.dir.path().join("serve.log");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        // Whole lines only: the server may be writing the next one.
        let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
        let parsed: Vec<Value> = whole
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"))
            })
            .collect();
        let requests = parsed.iter().filter(|l| l["message"] == "request").count();
        if (requests >= lines && whole.contains(also)) || Instant::now() > deadline {
            return parsed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_with_a_line_per_request_as_it_ended() {
    const TOKEN: &str = "hf_jsonLogsMustNeverShowThis";
    let served = Served::start_with(&["--json-logs"], &[("HF_TOKEN", TOKEN)]).await;
    let complete = sse(post(&served, chat("Qwen/Qwen3-8B", true)).await).await;
    assert_eq!(complete.last().map(String::as_str), Some("[DONE]"));
    assert_eq!(
        post(&served, chat("Qwen/Qwen3-8B", false)).await.status(),
        200
    );
    let refused = client()
        .get(served.url("/models"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let limited = post(&served, chat("mock/rate-limit", true)).await;
    assert_eq!(limited.status(), 429);
    sse(post(&served, chat("mock/stream-error", true)).await).await;
    let mut left = post(&served, chat("mock/slow:200", true)).await;
    left.chunk().await.unwrap();
    drop(left);
    touch_plugin(&served.plugin);
    let status = std::process::Command::new("kill")
        .args(["-HUP", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    let log = json_log_with(&served, 6, "swapped to #2").await;
    let requests: Vec<&Value> = log.iter().filter(|l| l["message"] == "request").collect();
    let summary: Vec<(String, String, u64, String, String)> = requests
        .iter()
        .map(|l| {
            let text = |k: &str| l[k].as_str().unwrap_or_default().to_string();
            (
                text("method"),
                text("path"),
                l["status"].as_u64().unwrap_or_default(),
                text("outcome"),
                text("code"),
            )
        })
        .collect();
    let chats = "/v1/chat/completions";
    let expected = [
        ("POST", chats, 200, "complete", ""),
        ("POST", chats, 200, "complete", ""),
        ("GET", "/v1/models", 401, "error", "invalid_api_key"),
        ("POST", chats, 429, "error", "rate_limited"),
        ("POST", chats, 200, "error", "unavailable"),
        ("POST", chats, 200, "client closed", ""),
    ]
    .map(|(m, p, s, o, c)| (m.into(), p.into(), s, o.into(), c.into()));
    assert_eq!(summary, expected, "{requests:#?}");
    for answered in &requests[..2] {
        assert_eq!(answered["level"], "INFO");
        assert!(
            answered["model"]
                .as_str()
                .unwrap()
                .starts_with("Qwen/Qwen3-8B")
        );
        assert!(
            !answered["backend"].as_str().unwrap().is_empty(),
            "{answered}"
        );
        assert!(
            !answered["request_id"].as_str().unwrap().is_empty(),
            "{answered}"
        );
        assert!(answered["duration_ms"].as_f64().unwrap() >= 0.0);
        assert!(answered["timestamp"].is_string());
    }
    // Refused before the answer started: the model asked for, the router's id.
    assert_eq!(requests[3]["model"], "mock/rate-limit");
    assert!(requests[3]["request_id"].is_string(), "{}", requests[3]);
    assert!(
        log.iter().any(|l| l["level"] == "INFO"
            && l["message"]
                .as_str()
                .unwrap_or_default()
                .contains("swapped to #2")),
        "{log:#?}"
    );
    let text = std::fs::read_to_string(served.dir.path().join("serve.log")).unwrap();
    assert!(!text.contains(TOKEN) && !text.contains(KEY), "{text}");
}
