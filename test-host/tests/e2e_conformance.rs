//! Conformance with real traffic, end to end: every exchange of
//! `testkit/fixtures/recorded-chat` (157 real recordings and one hand-written, see its
//! README) replayed byte for byte by the mock router (`replay:NNN`, in 7-byte writes, so
//! events, lines and UTF-8 characters are split everywhere) and fetched through the real
//! plugin, loaded through host-sdk. Each outcome is checked against its line of
//! `expected.jsonl`.
//!
//! `expected.jsonl` is derived mechanically from the recordings, so it keeps what a good
//! client changes on purpose; the comparison applies those changes to the expectation,
//! never to the recording:
//! - finish reasons are compared normalised (`eos_token`, `eos`, `COMPLETE` are `stop`),
//!   and an answer that ended with `[DONE]` but no finish reason is a `stop`;
//! - an inline `<think>…</think>` at the start of the content is expected as reasoning,
//!   and the answer after it without its leading whitespace;
//! - an error is expected as a typed error of the kind its status means, carrying the
//!   server's message, the status and the request id.
//!
//! The exchanges whose expectation is deliberately different are listed in
//! [`EXCEPTIONS`], each with the reason and what is asserted instead (the same decisions
//! as the plugin's unit-level conformance test, `plugin/src/chat/conformance_tests.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use host_sdk::{
    ChatEvent, ChatRequest, ChatResponse, ErrorKind, HostContext, Message, ProviderError,
};
use serde_json::{Value, json};

/// How many replays run at once: enough to finish in a few seconds, few enough that a
/// 2-core machine is not swamped.
const CONCURRENCY: usize = 16;

/// Exchanges whose expected outcome is not the one `expected.jsonl` implies.
const EXCEPTIONS: &[(&str, Exception, &str)] = &[
    (
        "151",
        Exception::Rejected("not OpenAI-compatible"),
        "cohere's native v2 chat schema (no `choices`), not OpenAI-compatible chat \
         completions: rejected with a clear Internal error instead of an empty answer",
    ),
    (
        "152",
        Exception::Rejected("not OpenAI-compatible"),
        "cohere's native v2 streaming schema (`message-start`, `content-delta` events): \
         rejected with a clear Internal error naming the event type",
    ),
    (
        "157",
        Exception::Recovered {
            finish_reason: "stop",
            usage: (42, 6, 48),
        },
        "the last chunk has a stray `\"` after its JSON; expected.jsonl could not parse that \
         line and so records no finish reason and no usage, while the plugin reads the JSON \
         before the stray character and recovers both (content as expected)",
    ),
];

#[derive(Debug, Clone, Copy)]
enum Exception {
    /// An error of kind `Internal` whose message contains the text.
    Rejected(&'static str),
    /// The expected content, with this finish reason and usage instead of the recorded nulls.
    Recovered {
        finish_reason: &'static str,
        usage: (u64, u64, u64),
    },
}

struct Exchange {
    id: String,
    status: u16,
    stream_requested: bool,
    expected: Value,
}

fn fixtures_dir() -> PathBuf {
    testkit::fixtures::recorded_chat_dir()
}

fn load() -> Vec<Exchange> {
    let dir = fixtures_dir();
    let expected: HashMap<String, Value> = std::fs::read_to_string(dir.join("expected.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let fixture: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let id = fixture["id"].as_str().unwrap().to_string();
            Exchange {
                status: u16::try_from(fixture["response"]["status"].as_u64().unwrap()).unwrap(),
                stream_requested: fixture["request_body"]["stream"].as_bool().unwrap_or(false),
                expected: expected
                    .get(&id)
                    .unwrap_or_else(|| panic!("{id} missing in expected.jsonl"))
                    .clone(),
                id,
            }
        })
        .collect()
}

/// What one replay produced.
struct Outcome {
    events: Vec<ChatEvent>,
    error: Option<ProviderError>,
}

/// Compares one outcome with the expectation; `Err` says what differs.
fn check(exchange: &Exchange, outcome: &Outcome) -> Result<(), String> {
    let expected = &exchange.expected;
    if let Some(retry) = outcome
        .events
        .iter()
        .find(|e| matches!(e, ChatEvent::Retrying { .. }))
    {
        // No recorded answer is one to retry (the recorder kept statuses below 500; the
        // one 429 is an exhausted quota).
        return Err(format!("unexpected retry: {retry:?}"));
    }
    let exception = EXCEPTIONS
        .iter()
        .find(|(id, ..)| *id == exchange.id)
        .map(|(_, e, _)| *e);
    if let Some(Exception::Rejected(text)) = exception {
        return match &outcome.error {
            Some(e) if e.kind == ErrorKind::Internal && e.message.contains(text) => Ok(()),
            other => Err(format!(
                "expected a rejection mentioning {text:?}, got {other:?}"
            )),
        };
    }
    if let Some(message) = expected.get("error_message").and_then(Value::as_str) {
        return check_error(exchange, message, outcome);
    }
    if let Some(e) = &outcome.error {
        return Err(format!("unexpected error: {e}"));
    }
    check_stream_shape(&outcome.events)?;
    let mut got = ChatResponse::default();
    outcome.events.iter().for_each(|e| got.apply(e));
    let (want_reasoning, want_content) = split_think(
        expected["reasoning"].as_str().unwrap_or_default(),
        expected["content"].as_str().unwrap_or_default(),
    );
    compare("content", &got.content, &want_content)?;
    compare("reasoning", &got.reasoning, &want_reasoning)?;
    let want_calls: Vec<(String, String, String)> = expected["tool_calls"]
        .as_array()
        .map(|calls| calls.iter().map(tool_call_of).collect())
        .unwrap_or_default();
    let got_calls: Vec<(String, String, String)> = got
        .tool_calls
        .iter()
        .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
        .collect();
    if got_calls != want_calls {
        return Err(format!(
            "tool calls: got {got_calls:?}, want {want_calls:?}"
        ));
    }
    let (want_finish, want_usage) = match exception {
        Some(Exception::Recovered {
            finish_reason,
            usage,
        }) => (Some(finish_reason.to_string()), Some(usage)),
        _ => (
            expected["finish_reason"]
                .as_str()
                .map(normalise_finish_reason),
            usage_of(&expected["usage"]),
        ),
    };
    let want_finish = want_finish.unwrap_or_else(|| "stop".into());
    if got.finish_reason.as_deref() != Some(want_finish.as_str()) {
        return Err(format!(
            "finish reason: got {:?}, want {want_finish:?}",
            got.finish_reason
        ));
    }
    let got_usage = got
        .usage
        .map(|u| (u.prompt_tokens, u.completion_tokens, u.total_tokens));
    if got_usage != want_usage {
        return Err(format!("usage: got {got_usage:?}, want {want_usage:?}"));
    }
    Ok(())
}

/// A recorded error: the kind its status means, the server's message, the status and the
/// request id (the mock's `x-request-id`), and nothing output before it.
fn check_error(exchange: &Exchange, message: &str, outcome: &Outcome) -> Result<(), String> {
    let Some(e) = &outcome.error else {
        return Err(format!(
            "expected an error carrying {message:?}, got success"
        ));
    };
    let want_kind = match exchange.status {
        401 => ErrorKind::Auth,
        404 => ErrorKind::ModelUnsupported,
        400 | 422 => ErrorKind::InvalidRequest,
        // OpenAI's `insufficient_quota`: out of credits, not a rate limit.
        429 => ErrorKind::Billing,
        // 421 Misdirected Request (OpenAI's "Welcome to the OpenAI API!"): a status with
        // no meaning for a chat client.
        _ => ErrorKind::Internal,
    };
    let request_id_ok = e
        .request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("mock-"));
    if e.kind == want_kind
        && e.message.contains(message)
        && e.status == Some(exchange.status)
        && request_id_ok
        && outcome.events.is_empty()
    {
        return Ok(());
    }
    Err(format!(
        "expected a {want_kind} error carrying {message:?} with status {} and a request id, \
         got {e:?} after {:?}",
        exchange.status, outcome.events
    ))
}

/// `ServedBy` once, first, with the router's request id; `Done` last.
fn check_stream_shape(events: &[ChatEvent]) -> Result<(), String> {
    let served: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, ChatEvent::ServedBy { .. }))
        .map(|(i, _)| i)
        .collect();
    if served != [0] {
        return Err(format!("ServedBy must come once, first: {events:?}"));
    }
    if !matches!(
        &events[0],
        ChatEvent::ServedBy { request_id: Some(id), .. } if id.starts_with("mock-")
    ) {
        return Err(format!("ServedBy without the request id: {:?}", events[0]));
    }
    if !matches!(events.last(), Some(ChatEvent::Done { .. })) {
        return Err(format!("Done must come last: {events:?}"));
    }
    Ok(())
}

fn compare(what: &str, got: &str, want: &str) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    Err(format!("{what}: got {got:?}, want {want:?}"))
}

/// The recorded reasoning and content, with a leading inline `<think>` moved to reasoning.
fn split_think(reasoning: &str, content: &str) -> (String, String) {
    if let Some(rest) = content.trim_start().strip_prefix("<think>")
        && let Some((thoughts, answer)) = rest.split_once("</think>")
    {
        return (
            format!("{reasoning}{thoughts}"),
            answer.trim_start().to_string(),
        );
    }
    (reasoning.to_string(), content.to_string())
}

/// The words for "the model finished" that backends use, as the standard ones.
fn normalise_finish_reason(reason: &str) -> String {
    match reason {
        "eos_token" | "eos" | "COMPLETE" => "stop".to_string(),
        other => other.to_string(),
    }
}

fn tool_call_of(call: &Value) -> (String, String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        text(&call["id"]),
        text(&call["function"]["name"]),
        text(&call["function"]["arguments"]),
    )
}

fn usage_of(usage: &Value) -> Option<(u64, u64, u64)> {
    let prompt = usage.get("prompt_tokens")?.as_u64()?;
    let completion = usage.get("completion_tokens")?.as_u64()?;
    Some((prompt, completion, usage.get("total_tokens")?.as_u64()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_exchange_through_the_loaded_plugin() {
    let exchanges = load();
    assert_eq!(exchanges.len(), 158, "every recording is replayed");
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    // Retries as configured by default (3 attempts): none may happen, see `check`.
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));

    let mut outcomes: HashMap<String, Outcome> = HashMap::new();
    for group in exchanges.chunks(CONCURRENCY) {
        let mut tasks = tokio::task::JoinSet::new();
        for exchange in group {
            let request = ChatRequest {
                // The recorded request's `stream`: a JSON answer to a streaming request
                // (and the reverse) is also handled, by content type, but the recordings
                // are replayed as they were made.
                stream: exchange.stream_requested,
                ..ChatRequest::new(
                    format!("huggingface/mock/replay:{}", exchange.id),
                    vec![Message::user("replay")],
                )
            };
            let mut stream = provider.complete(request);
            let id = exchange.id.clone();
            tasks.spawn(async move {
                let mut outcome = Outcome {
                    events: Vec::new(),
                    error: None,
                };
                while let Some(item) = stream.next().await {
                    match item {
                        Ok(event) => outcome.events.push(event),
                        Err(e) => outcome.error = Some(e),
                    }
                }
                (id, outcome)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (id, outcome) = done.unwrap();
            outcomes.insert(id, outcome);
        }
    }

    let failures: Vec<String> = exchanges
        .iter()
        .filter_map(|x| {
            check(x, &outcomes[&x.id])
                .err()
                .map(|e| format!("{}: {e}", x.id))
        })
        .collect();
    let chat_requests = router
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count();
    println!(
        "end to end through the loaded plugin: {}/{} recorded exchanges pass ({} of them by a \
         documented exception)",
        exchanges.len() - failures.len(),
        exchanges.len(),
        EXCEPTIONS.len()
    );
    for (id, _, reason) in EXCEPTIONS {
        println!("  exception {id}: {reason}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(chat_requests, exchanges.len(), "one request per exchange");
}

/// The other way in: a client whose base URL is `http://ADDR/replay/NNN/v1` gets the
/// recording for every chat request, whatever model it asks for.
#[tokio::test]
async fn replay_by_base_url_gives_the_same_answer() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let exchanges = load();
    let plugin = common::plugin();
    for id in ["001", "055", "152"] {
        let exchange = exchanges.iter().find(|x| x.id == id).unwrap();
        let settings = common::settings(
            &router,
            state.path(),
            json!({ "baseUrl": format!("http://{}/replay/{id}/v1", router.addr()) }),
        );
        let provider =
            host_sdk::Provider::new(&plugin, HostContext::new("e2e", "0"), &settings).unwrap();
        let request = ChatRequest {
            stream: exchange.stream_requested,
            ..ChatRequest::new("huggingface/Qwen/Qwen3-8B", vec![Message::user("replay")])
        };
        let mut stream = provider.complete(request);
        let mut outcome = Outcome {
            events: Vec::new(),
            error: None,
        };
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => outcome.events.push(event),
                Err(e) => outcome.error = Some(e),
            }
        }
        check(exchange, &outcome).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}
