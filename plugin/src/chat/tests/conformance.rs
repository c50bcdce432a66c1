//! Conformance: every recorded exchange of `testkit/fixtures/recorded-chat` replayed through
//! the decoder and translator (and once more through the whole client against a mock
//! server), checked by `testkit::conformance` against `expected.jsonl` (what it allows
//! for, and the documented exceptions, are described there). This layer adds that a
//! client's `ServedBy` comes once, first.

use provider_abi::{ChatEvent, ChatRequest, EventBatch, Message, ProviderError};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use testkit::conformance::{self, Case, Failure, Outcome};
use tokio_util::sync::CancellationToken;

use super::transcript::Transcript;
use crate::chat::config::RetryPolicy;
use crate::chat::error::from_response;
use crate::chat::stream::{EventStream, completion_events};
use crate::chat::{ChatConfig, CompletionTarget, run_completion};

/// Small pieces, so events, lines and UTF-8 characters are split everywhere.
const PIECE: usize = 7;

/// A recording as this layer replays it: status, headers, body.
struct Exchange {
    id: String,
    status: u16,
    headers: HeaderMap,
    body: String,
    stream_requested: bool,
}

fn load() -> Vec<(Exchange, Case)> {
    conformance::cases()
        .unwrap()
        .into_iter()
        .map(|case| {
            let response = &case.exchange.response;
            let mut headers = HeaderMap::new();
            for (name, value) in &response.headers {
                headers.insert(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
                );
            }
            let exchange = Exchange {
                id: case.id().to_string(),
                status: response.status,
                headers,
                body: response.body.clone(),
                stream_requested: case.stream_requested(),
            };
            (exchange, case)
        })
        .collect()
}

/// What this layer produced, in the checker's terms.
fn outcome(events: &[ChatEvent], result: &Result<(), ProviderError>) -> Outcome {
    let got = Transcript::of(events);
    Outcome {
        content: got.content,
        reasoning: got.reasoning,
        tool_calls: got.tool_calls,
        finish_reason: got.finish_reason,
        usage: got
            .usage
            .map(|u| (u.prompt_tokens, u.completion_tokens, u.total_tokens)),
        error: result.as_ref().err().map(|e| Failure {
            kind: e.kind.as_str().to_string(),
            message: e.message.clone(),
            status: e.status,
        }),
    }
}

fn report(label: &str, total: usize, failures: &[String]) {
    println!("{}", conformance::report(label, total, failures));
    assert!(failures.is_empty(), "{} failures", failures.len());
}

/// Decoder + translator, fed in small pieces; errors through the classifier.
fn replay(exchange: &Exchange) -> (Vec<ChatEvent>, Result<(), ProviderError>) {
    let (events, result) = replay_batch(exchange);
    (events.into_events(), result)
}

fn replay_batch(exchange: &Exchange) -> (EventBatch, Result<(), ProviderError>) {
    let mut events = EventBatch::new();
    if !(200..300).contains(&exchange.status) {
        return (
            events,
            Err(from_response(
                exchange.status,
                &exchange.headers,
                exchange.body.as_bytes(),
            )),
        );
    }
    let content_type = exchange
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.contains("event-stream") {
        let result = completion_events(exchange.body.as_bytes(), None, &mut events);
        return (events, result);
    }
    let mut stream = EventStream::new(1 << 20, None);
    for piece in exchange.body.as_bytes().chunks(PIECE) {
        match stream.push(piece, &mut events) {
            Ok(true) => return (events, Ok(())),
            Ok(false) => {}
            Err(e) => return (events, Err(e)),
        }
    }
    let result = stream.finish(&mut events);
    (events, result)
}

#[test]
fn recorded_exchanges_through_decoder_and_translator() {
    let exchanges = load();
    assert_eq!(exchanges.len(), 158, "every recording is replayed");
    let failures: Vec<String> = exchanges
        .iter()
        .filter_map(|(x, case)| {
            let (events, result) = replay(x);
            conformance::check(case, &outcome(&events, &result))
                .err()
                .map(|e| format!("{}: {e}", x.id))
        })
        .collect();
    report("decoder + translator", exchanges.len(), &failures);
}

/// The same recordings served by a mock router and fetched by `run_completion`: headers,
/// content types, status handling and `ServedBy` placement included.
#[tokio::test]
async fn recorded_exchanges_through_the_client() {
    let exchanges = load();
    let mut server = mockito::Server::new_async().await;
    let config = ChatConfig {
        base_url: format!("{}/v1", server.url()),
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..ChatConfig::default()
    };
    let target = CompletionTarget {
        router_model: "org/model".into(),
        ..CompletionTarget::default()
    };
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for (exchange, case) in &exchanges {
        let mut mock = server
            .mock("POST", "/v1/chat/completions")
            .with_status(usize::from(exchange.status));
        for (name, value) in &exchange.headers {
            // The recorder stored bodies decoded, so their `content-encoding` no longer applies.
            let hop_or_encoding = [
                "transfer-encoding",
                "connection",
                "content-length",
                "content-encoding",
            ];
            if !hop_or_encoding.contains(&name.as_str()) {
                mock = mock.with_header(name.as_str(), value.to_str().unwrap());
            }
        }
        let mock = mock.with_body(&exchange.body).create_async().await;
        let mut request = ChatRequest::new("huggingface/org/model", vec![Message::user("hi")]);
        request.stream = exchange.stream_requested;
        let mut events = Vec::new();
        let mut emit = |batch: &mut EventBatch| {
            events.extend(batch.take().into_events());
            true
        };
        let result = run_completion(
            &http,
            &config,
            &target,
            request,
            &mut emit,
            &CancellationToken::new(),
        )
        .await;
        mock.remove_async().await;
        let mut outcome = conformance::check(case, &outcome(&events, &result));
        if outcome.is_ok() && result.is_ok() {
            let served = events
                .iter()
                .position(|e| matches!(e, ChatEvent::ServedBy { .. }));
            if served != Some(0) || Transcript::of(&events).served_by.len() != 1 {
                outcome = Err("ServedBy must come once, first".into());
            }
        }
        if let Err(e) = outcome {
            failures.push(format!("{}: {e}", exchange.id));
        }
    }
    report("client against a mock router", exchanges.len(), &failures);
}
