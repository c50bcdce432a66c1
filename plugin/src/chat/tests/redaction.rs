//! An upstream that echoes the token (a misbehaving proxy or backend, issue 19
//! item 8): nothing that reaches the host carries it — not the request id,
//! the backend name, an error's message, an in-stream error nor a retry
//! notice. The answer's own text is the model's output and passes unchanged.

use std::time::Duration;

use provider_abi::{ChatEvent, ChatRequest, ErrorKind, EventBatch, Message, ProviderError};
use tokio_util::sync::CancellationToken;

use crate::auth::ApiKey;
use crate::chat::config::{ChatConfig, RetryPolicy};
use crate::chat::tests::transcript::Transcript;
use crate::chat::{CompletionTarget, run_completion};

const TOKEN: &str = "hf_SECRETtokenDoNotLeak0123456789";

fn config(server: &mockito::Server) -> ChatConfig {
    ChatConfig {
        base_url: format!("{}/v1", server.url()),
        api_key: ApiKey::new(TOKEN),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(1),
        },
        ..ChatConfig::default()
    }
}

async fn run(config: &ChatConfig, stream: bool) -> (Vec<ChatEvent>, Result<(), ProviderError>) {
    let mut request = ChatRequest::new("huggingface/org/model", vec![Message::user("hi")]);
    request.stream = stream;
    let target = CompletionTarget {
        router_model: "org/model".into(),
        ..CompletionTarget::default()
    };
    let mut events = Vec::new();
    let mut emit = |batch: &mut EventBatch| {
        events.extend(batch.take().into_events());
        true
    };
    let http = reqwest::Client::new();
    let cancel = CancellationToken::new();
    let result = run_completion(&http, config, &target, request, &mut emit, &cancel).await;
    (events, result)
}

/// Neither the token nor a telling piece of it (more than its public `hf_`).
fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(TOKEN),
        "the token leaked into {what}: {text}"
    );
    assert!(
        !text.contains(&TOKEN[3..12]),
        "part of the token leaked into {what}: {text}"
    );
}

/// An upstream error that names the request id `req-<token>` and echoes the
/// `Authorization` header into its body.
fn echoing_error(server: &mut mockito::Server, status: usize, body: &str) -> mockito::Mock {
    server
        .mock("POST", "/v1/chat/completions")
        .with_status(status)
        .with_header("content-type", "application/json")
        .with_header("x-request-id", &format!("req-{TOKEN}"))
        .with_header("x-error-message", &format!("Bearer {TOKEN}"))
        .with_body(body)
}

#[tokio::test]
async fn an_error_answer_that_echoes_the_token_is_redacted() {
    let long = format!("{}Bearer {TOKEN}", "x".repeat(1980));
    let cases = [
        (
            401,
            format!(r#"{{"error":"invalid token: Bearer {TOKEN}"}}"#),
        ),
        (
            403,
            format!(r#"{{"error":{{"message":"{TOKEN} lacks a permission"}}}}"#),
        ),
        // Cut inside the token by the 2000-character cap on messages.
        (400, format!(r#"{{"error":"{long}"}}"#)),
        (404, format!("model not found for Bearer {TOKEN}\n")),
        // No body: the message comes from the `x-error-message` header.
        (422, String::new()),
    ];
    for (status, body) in cases {
        let mut server = mockito::Server::new_async().await;
        let _mock = echoing_error(&mut server, status, &body)
            .create_async()
            .await;
        let (events, result) = run(&config(&server), true).await;
        assert!(events.is_empty(), "{events:?}");
        let error = result.unwrap_err();
        assert_eq!(error.status, Some(status as u16), "{error}");
        assert_eq!(error.request_id.as_deref(), Some("req-<redacted>"));
        assert!(error.message.contains("<redacted>"), "{error}");
        assert_clean("an error", &format!("{error} {error:?}"));
    }
}

#[tokio::test]
async fn a_retried_failure_is_redacted_in_the_notice_and_the_final_error() {
    let mut server = mockito::Server::new_async().await;
    let mock = echoing_error(
        &mut server,
        503,
        &format!(r#"{{"error":"overloaded, token {TOKEN}"}}"#),
    )
    .expect(2)
    .create_async()
    .await;
    let (events, result) = run(&config(&server), true).await;
    mock.assert_async().await;
    let [ChatEvent::Retrying { error: notice, .. }] = events.as_slice() else {
        panic!("one retry notice: {events:?}");
    };
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unavailable);
    for e in [notice, &error] {
        assert_eq!(e.message, "overloaded, token <redacted>");
        assert_clean("a retry notice or error", &format!("{e} {e:?}"));
    }
}

#[tokio::test]
async fn served_by_and_an_in_stream_error_are_redacted_but_the_answer_is_not() {
    let mut server = mockito::Server::new_async().await;
    let body = format!(
        "data: {{\"choices\":[{{\"delta\":{{\"content\":\"you said {TOKEN}\"}}}}]}}\n\n\
         data: {{\"error\":{{\"message\":\"backend failed for Bearer {TOKEN}\",\"type\":\"server_error\"}}}}\n\n"
    );
    let _mock = server
        .mock("POST", "/v1/chat/completions")
        .with_header("content-type", "text/event-stream")
        .with_header("x-request-id", TOKEN)
        .with_header("x-inference-provider", &format!("{TOKEN}-backend"))
        .with_body(body)
        .create_async()
        .await;
    let (events, result) = run(&config(&server), true).await;
    assert_eq!(
        events[0],
        ChatEvent::ServedBy {
            model: "org/model".into(),
            backend: Some("<redacted>-backend".into()),
            request_id: Some("<redacted>".into()),
        }
    );
    // The model's output is the host's to show: the token reaches the model
    // only if the user put it in the prompt, and a proxy rewriting answers is
    // out of reach of any client (see the README's Reliability table).
    assert_eq!(Transcript::of(&events).content, format!("you said {TOKEN}"));
    let error = result.unwrap_err();
    assert_eq!(error.message, "backend failed for Bearer <redacted>");
    assert_eq!(error.request_id.as_deref(), Some("<redacted>"));
    assert_clean("an in-stream error", &format!("{error} {error:?}"));
}

#[tokio::test]
async fn a_whole_json_answer_has_its_request_id_redacted() {
    let mut server = mockito::Server::new_async().await;
    let _mock = server
        .mock("POST", "/v1/chat/completions")
        .with_header("content-type", "application/json")
        .with_header("x-request-id", &format!("{TOKEN}-1"))
        .with_body(
            r#"{"choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#,
        )
        .create_async()
        .await;
    let (events, result) = run(&config(&server), false).await;
    result.unwrap();
    let ChatEvent::ServedBy { request_id, .. } = &events[0] else {
        panic!("ServedBy first: {events:?}");
    };
    assert_eq!(request_id.as_deref(), Some("<redacted>-1"));
    assert_clean("the events", &format!("{events:?}"));
}
