//! Conformance with real traffic, end to end: every exchange of
//! `testkit/fixtures/recorded-chat` (157 real recordings and one hand-written, see its
//! README) replayed byte for byte by the mock router (`replay:NNN`, in 7-byte writes, so
//! events, lines and UTF-8 characters are split everywhere) and fetched through the real
//! plugin, loaded through host-sdk, then checked by `testkit::conformance` against its
//! line of `expected.jsonl` (what that check allows for, and the documented exceptions,
//! are described there; the plugin's unit-level conformance test uses the same).
//!
//! This layer adds what only a host sees: no retry of any recording, `ServedBy` once and
//! first with the router's request id, `Done` last, and on an error nothing output
//! before it and the request id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::collections::HashMap;

use host_sdk::{ChatEvent, ChatRequest, ChatResponse, HostContext, Message, ProviderError};
use serde_json::json;
use testkit::conformance::{self, Case, Failure, Outcome};

/// How many replays run at once: enough to finish in a few seconds, few enough that a
/// 2-core machine is not swamped.
const CONCURRENCY: usize = 16;

/// What one replay produced.
struct Replayed {
    events: Vec<ChatEvent>,
    error: Option<ProviderError>,
}

impl Replayed {
    async fn of(mut stream: host_sdk::ChatStream) -> Replayed {
        let mut replayed = Replayed {
            events: Vec::new(),
            error: None,
        };
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => replayed.events.push(event),
                Err(e) => replayed.error = Some(e),
            }
        }
        replayed
    }

    fn outcome(&self) -> Outcome {
        let mut got = ChatResponse::default();
        self.events.iter().for_each(|e| got.apply(e));
        Outcome {
            content: got.content,
            reasoning: got.reasoning,
            tool_calls: got
                .tool_calls
                .iter()
                .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
                .collect(),
            finish_reason: got.finish_reason,
            usage: got
                .usage
                .map(|u| (u.prompt_tokens, u.completion_tokens, u.total_tokens)),
            error: self.error.as_ref().map(|e| Failure {
                kind: e.kind.as_str().to_string(),
                message: e.message.clone(),
                status: e.status,
            }),
        }
    }
}

/// The shared check, then what only a host sees.
fn check(case: &Case, replayed: &Replayed) -> Result<(), String> {
    if let Some(retry) = replayed
        .events
        .iter()
        .find(|e| matches!(e, ChatEvent::Retrying { .. }))
    {
        // No recorded answer is one to retry (the recorder kept statuses below 500; the
        // one 429 is an exhausted quota).
        return Err(format!("unexpected retry: {retry:?}"));
    }
    conformance::check(case, &replayed.outcome())?;
    match &replayed.error {
        // A rejection of a non-OpenAI schema comes after the stream started.
        Some(_) if case.exception().is_some() => Ok(()),
        Some(e) => {
            let id_ok = e
                .request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("mock-"));
            if id_ok && replayed.events.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "an error needs the request id and no output before it: {e:?} after {:?}",
                    replayed.events
                ))
            }
        }
        None => check_stream_shape(&replayed.events),
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_exchange_through_the_loaded_plugin() {
    let exchanges = conformance::cases().unwrap();
    assert_eq!(exchanges.len(), 158, "every recording is replayed");
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    // Retries as configured by default (3 attempts): none may happen, see `check`.
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));

    let mut outcomes: HashMap<String, Replayed> = HashMap::new();
    for group in exchanges.chunks(CONCURRENCY) {
        let mut tasks = tokio::task::JoinSet::new();
        for exchange in group {
            let request = ChatRequest {
                // The recorded request's `stream`: a JSON answer to a streaming request
                // (and the reverse) is also handled, by content type, but the recordings
                // are replayed as they were made.
                stream: exchange.stream_requested(),
                ..ChatRequest::new(
                    format!("huggingface/mock/replay:{}", exchange.id()),
                    vec![Message::user("replay")],
                )
            };
            let stream = provider.complete(request);
            let id = exchange.id().to_string();
            tasks.spawn(async move { (id, Replayed::of(stream).await) });
        }
        while let Some(done) = tasks.join_next().await {
            let (id, outcome) = done.unwrap();
            outcomes.insert(id, outcome);
        }
    }

    let failures: Vec<String> = exchanges
        .iter()
        .filter_map(|x| {
            check(x, &outcomes[x.id()])
                .err()
                .map(|e| format!("{}: {e}", x.id()))
        })
        .collect();
    let chat_requests = router
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count();
    println!(
        "{}",
        conformance::report(
            "end to end through the loaded plugin",
            exchanges.len(),
            &failures
        )
    );
    assert!(failures.is_empty(), "{} failures", failures.len());
    assert_eq!(chat_requests, exchanges.len(), "one request per exchange");
}

/// The other way in: a client whose base URL is `http://ADDR/replay/NNN/v1` gets the
/// recording for every chat request, whatever model it asks for.
#[tokio::test]
async fn replay_by_base_url_gives_the_same_answer() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let exchanges = conformance::cases().unwrap();
    let plugin = common::plugin();
    for id in ["001", "055", "152"] {
        let exchange = exchanges.iter().find(|x| x.id() == id).unwrap();
        let settings = common::settings(
            &router,
            state.path(),
            json!({ "baseUrl": format!("http://{}/replay/{id}/v1", router.addr()) }),
        );
        let provider =
            host_sdk::Provider::new(&plugin, HostContext::new("e2e", "0"), &settings).unwrap();
        let request = ChatRequest {
            stream: exchange.stream_requested(),
            ..ChatRequest::new("huggingface/Qwen/Qwen3-8B", vec![Message::user("replay")])
        };
        let replayed = Replayed::of(provider.complete(request)).await;
        check(exchange, &replayed).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}
