use std::time::{Duration, Instant};

use mockito::Matcher;
use provider_abi::{ChatEvent, ChatRequest, Cost, ErrorKind, EventBatch, Message, ProviderError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::auth::ApiKey;
use crate::chat::config::RetryPolicy;
use crate::chat::tests::transcript::Transcript;

const SSE_OK: &str = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n\
data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1000000,\"completion_tokens\":2000000,\"total_tokens\":3000000}}\n\n\
data: [DONE]\n\n";

fn config(base: &str) -> ChatConfig {
    ChatConfig {
        base_url: format!("{base}/v1"),
        api_key: ApiKey::new("hf_test_token"),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(60),
        },
        ..ChatConfig::default()
    }
}

fn target() -> CompletionTarget {
    CompletionTarget {
        router_model: "org/model:fastest".into(),
        pricing: [(
            "together".to_string(),
            Cost {
                input: 3.0,
                output: 7.0,
            },
        )]
        .into(),
        default_pricing: Some(Cost {
            input: 1.0,
            output: 1.0,
        }),
    }
}

fn request() -> ChatRequest {
    ChatRequest::new("huggingface/org/model:fastest", vec![Message::user("hi")])
}

async fn run(
    config: &ChatConfig,
    request: ChatRequest,
) -> (Vec<ChatEvent>, Result<(), ProviderError>) {
    run_with(config, request, &CancellationToken::new()).await
}

async fn run_with(
    config: &ChatConfig,
    request: ChatRequest,
    cancel: &CancellationToken,
) -> (Vec<ChatEvent>, Result<(), ProviderError>) {
    let mut events = Vec::new();
    let mut emit = |batch: &mut EventBatch| {
        events.extend(batch.take().into_events());
        true
    };
    let http = reqwest::Client::new();
    let result = run_completion(&http, config, &target(), request, &mut emit, cancel).await;
    (events, result)
}

fn sse(server: &mut mockito::Server, status: usize, body: &str) -> mockito::Mock {
    server
        .mock("POST", "/v1/chat/completions")
        .with_status(status)
        .with_header("content-type", "text/event-stream")
        .with_header("x-inference-provider", "together")
        .with_header("x-request-id", "req-42")
        .with_body(body)
}

#[tokio::test]
async fn sends_the_body_and_headers_and_streams_events_with_served_by_first() {
    let mut server = mockito::Server::new_async().await;
    let mut config = config(&server.url());
    config.bill_to = Some("my-org".into());
    let body = r#"{"model":"org/model:fastest","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#;
    let mock = sse(&mut server, 200, SSE_OK)
        .match_header("authorization", "Bearer hf_test_token")
        .match_header("x-hf-bill-to", "my-org")
        .match_header("content-type", "application/json")
        .match_header("accept", "text/event-stream")
        .match_body(Matcher::Exact(body.into()))
        .create_async()
        .await;
    let (events, result) = run(&config, request()).await;
    result.unwrap();
    mock.assert_async().await;
    assert_eq!(
        events[0],
        ChatEvent::ServedBy {
            model: "org/model:fastest".into(),
            backend: Some("together".into()),
            request_id: Some("req-42".into())
        }
    );
    let t = Transcript::of(&events);
    assert_eq!(t.content, "Hello");
    let usage = t.usage.unwrap();
    assert_eq!(usage.total_tokens, 3_000_000);
    // together's price, not the default: 1 M × $3 + 2 M × $7.
    assert!((usage.cost_usd.unwrap() - 17.0).abs() < 1e-9);
    assert_eq!(
        events.last(),
        Some(&ChatEvent::Done {
            finish_reason: "stop".into()
        })
    );
}

#[tokio::test]
async fn unknown_backend_is_costed_at_the_default_price_and_json_answers_work() {
    let mut server = mockito::Server::new_async().await;
    let answer = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"eos"}],"usage":{"prompt_tokens":1000000,"completion_tokens":1000000,"total_tokens":2000000}}"#;
    // A streaming request answered with plain JSON.
    let _mock = server
        .mock("POST", "/v1/chat/completions")
        .with_header("content-type", "application/json")
        .with_header("x-inference-provider", "novita")
        .with_body(answer)
        .create_async()
        .await;
    let (events, result) = run(&config(&server.url()), request()).await;
    result.unwrap();
    assert!(
        matches!(&events[0], ChatEvent::ServedBy { backend: Some(b), request_id: None, .. } if b == "novita")
    );
    let t = Transcript::of(&events);
    assert_eq!(
        (t.content.as_str(), t.finish_reason.as_deref()),
        ("Hi", Some("stop"))
    );
    assert_eq!(t.usage.unwrap().cost_usd, Some(2.0));
}

#[tokio::test]
async fn retries_429_with_retry_after_then_succeeds() {
    let mut server = mockito::Server::new_async().await;
    let limited = server
        .mock("POST", "/v1/chat/completions")
        .with_status(429)
        .with_header("retry-after", "0")
        .with_body(r#"{"error":"slow down"}"#)
        .expect(1)
        .create_async()
        .await;
    let ok = sse(&mut server, 200, SSE_OK).expect(1).create_async().await;
    let (events, result) = run(&config(&server.url()), request()).await;
    result.unwrap();
    limited.assert_async().await;
    ok.assert_async().await;
    match &events[0] {
        ChatEvent::Retrying {
            attempt: 1,
            delay_ms: 0,
            error,
        } => {
            assert_eq!(error.kind, ErrorKind::RateLimited);
            assert_eq!(error.message, "slow down");
        }
        other => panic!("expected a retry notice, got {other:?}"),
    }
    assert!(matches!(events[1], ChatEvent::ServedBy { .. }));
}

#[tokio::test]
async fn retries_429_without_retry_after_and_5xx_with_backoff() {
    let mut server = mockito::Server::new_async().await;
    let limited = server
        .mock("POST", "/v1/chat/completions")
        .with_status(429)
        .expect(1)
        .create_async()
        .await;
    let failing = server
        .mock("POST", "/v1/chat/completions")
        .with_status(503)
        .with_body("upstream unavailable")
        .expect(1)
        .create_async()
        .await;
    let ok = sse(&mut server, 200, SSE_OK).expect(1).create_async().await;
    let (events, result) = run(&config(&server.url()), request()).await;
    result.unwrap();
    for mock in [limited, failing, ok] {
        mock.assert_async().await;
    }
    let t = Transcript::of(&events);
    assert_eq!(t.retries.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
    assert!(
        t.retries.iter().all(|r| r.1 <= 5),
        "backoff stays under max_delay"
    );
    assert_eq!(t.content, "Hello");
}

#[tokio::test]
async fn gives_up_after_max_attempts_with_the_last_error() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/v1/chat/completions")
        .with_status(502)
        .with_header("x-request-id", "r-9")
        .with_body(r#"{"error":"bad gateway"}"#)
        .expect(3)
        .create_async()
        .await;
    let (events, result) = run(&config(&server.url()), request()).await;
    mock.assert_async().await;
    let error = result.unwrap_err();
    assert_eq!(
        (error.kind, error.status, error.request_id.as_deref()),
        (ErrorKind::Unavailable, Some(502), Some("r-9"))
    );
    assert_eq!(Transcript::of(&events).retries.len(), 2);
}

#[tokio::test]
async fn an_exhausted_quota_answered_with_429_is_billing_and_not_retried() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/v1/chat/completions")
        .with_status(429)
        .with_body(r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#)
        .expect(1)
        .create_async()
        .await;
    let (events, result) = run(&config(&server.url()), request()).await;
    mock.assert_async().await;
    let error = result.unwrap_err();
    assert_eq!((error.kind, error.status), (ErrorKind::Billing, Some(429)));
    assert!(Transcript::of(&events).retries.is_empty());
}

#[tokio::test]
async fn a_model_still_loading_is_returned_at_once_with_its_delay() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/v1/chat/completions")
        .with_status(503)
        .with_body(r#"{"error":"Model X is currently loading","estimated_time":42.5}"#)
        .expect(1)
        .create_async()
        .await;
    // 42.5 s is within the default limit of what Retry-After may ask; loading
    // is still not waited for.
    let (events, result) = run(&config(&server.url()), request()).await;
    mock.assert_async().await;
    let error = result.unwrap_err();
    assert_eq!(
        (error.kind, error.status),
        (ErrorKind::Unavailable, Some(503))
    );
    assert_eq!(error.retry_after, Some(Duration::from_secs_f64(42.5)));
    assert!(Transcript::of(&events).retries.is_empty());
}

#[tokio::test]
async fn never_retries_422_nor_a_retry_after_beyond_the_limit() {
    let mut server = mockito::Server::new_async().await;
    let mock = server
        .mock("POST", "/v1/chat/completions")
        .with_status(422)
        .with_body(r#"{"error":"Input validation error: `max_tokens` too large","error_type":"validation"}"#)
        .expect(1)
        .create_async()
        .await;
    let (events, result) = run(&config(&server.url()), request()).await;
    mock.assert_async().await;
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidRequest);
    assert!(error.message.contains("max_tokens"));
    assert!(events.is_empty());
    mock.remove_async().await;

    let mock = server
        .mock("POST", "/v1/chat/completions")
        .with_status(429)
        .with_header("retry-after", "3600")
        .expect(1)
        .create_async()
        .await;
    let (_, result) = run(&config(&server.url()), request()).await;
    mock.assert_async().await;
    assert_eq!(
        result.unwrap_err().retry_after,
        Some(Duration::from_secs(3600))
    );
}

#[tokio::test]
async fn a_truncated_stream_is_retried_only_before_output() {
    let mut server = mockito::Server::new_async().await;
    // Only a role chunk, then the connection closes: nothing reached the host.
    let empty = sse(
        &mut server,
        200,
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
    )
    .expect(1)
    .create_async()
    .await;
    let ok = sse(&mut server, 200, SSE_OK).expect(1).create_async().await;
    let (events, result) = run(&config(&server.url()), request()).await;
    result.unwrap();
    empty.assert_async().await;
    ok.assert_async().await;
    assert_eq!(Transcript::of(&events).served_by.len(), 1);
    server.reset();

    // Text, then the connection closes: the error ends the turn, no retry.
    let cut = sse(
        &mut server,
        200,
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
    )
    .expect(1)
    .create_async()
    .await;
    let (events, result) = run(&config(&server.url()), request()).await;
    cut.assert_async().await;
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Network);
    assert_eq!(error.request_id.as_deref(), Some("req-42"));
    assert_eq!(Transcript::of(&events).content, "Hel");
}

#[tokio::test]
async fn in_stream_error_after_output_ends_the_turn() {
    let mut server = mockito::Server::new_async().await;
    let body = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n\
data: {\"error\":\"Model is overloaded\",\"error_type\":\"overloaded\"}\n\n";
    let mock = sse(&mut server, 200, body).expect(1).create_async().await;
    let (events, result) = run(&config(&server.url()), request()).await;
    mock.assert_async().await;
    let error = result.unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (ErrorKind::Unavailable, "Model is overloaded")
    );
    assert_eq!(Transcript::of(&events).content, "Hi");
}

#[tokio::test]
async fn a_gone_consumer_stops_the_call() {
    let mut server = mockito::Server::new_async().await;
    let _mock = sse(&mut server, 200, SSE_OK).create_async().await;
    let mut seen = 0;
    let mut emit = |_: &mut EventBatch| {
        seen += 1;
        false
    };
    let http = reqwest::Client::new();
    let cancel = CancellationToken::new();
    let result = run_completion(
        &http,
        &config(&server.url()),
        &target(),
        request(),
        &mut emit,
        &cancel,
    )
    .await;
    assert_eq!(result.unwrap_err().kind, ErrorKind::Cancelled);
    assert_eq!(seen, 1, "nothing is emitted after the consumer said no");
}

#[tokio::test]
async fn invalid_requests_fail_before_any_network() {
    let mut request = request();
    request.tools = Some("[{".into());
    let (events, result) = run(&config("http://127.0.0.1:9"), request).await;
    assert_eq!(result.unwrap_err().kind, ErrorKind::InvalidRequest);
    assert!(events.is_empty());
}

#[tokio::test]
async fn connection_refused_is_a_retried_network_error() {
    // Bind then drop: the port is (almost certainly) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (events, result) = run(&config(&format!("http://127.0.0.1:{port}")), request()).await;
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Network);
    assert_eq!(Transcript::of(&events).retries.len(), 2);
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{events:?}"),
    ] {
        assert!(!text.contains("hf_test_token"), "the token leaked: {text}");
    }
}

#[test]
fn the_completion_future_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let http = reqwest::Client::new();
    let config = ChatConfig::default();
    let target = target();
    let cancel = CancellationToken::new();
    let mut emit = |_: &mut EventBatch| true;
    let future = run_completion(&http, &config, &target, request(), &mut emit, &cancel);
    assert_send(&future);
}

/// A server that answers every connection with `script`: bytes to write, with pauses.
/// It stops when dropped.
struct ScriptedServer {
    url: String,
    shutdown: CancellationToken,
}

enum Step {
    Write(&'static str),
    Pause(Duration),
}

impl ScriptedServer {
    async fn start(script: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let script = std::sync::Arc::new(script);
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = tokio::select! {
                    () = stop.cancelled() => return,
                    accepted = listener.accept() => accepted.unwrap(),
                };
                socket.set_nodelay(true).unwrap();
                let script = script.clone();
                let stop = stop.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0; 64 * 1024];
                    let _ = socket.read(&mut buf).await;
                    for step in script.iter() {
                        match step {
                            Step::Write(text) => {
                                if socket.write_all(text.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            Step::Pause(d) => tokio::select! {
                                () = stop.cancelled() => return,
                                () = tokio::time::sleep(*d) => {}
                            },
                        }
                    }
                });
            }
        });
        ScriptedServer { url, shutdown }
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

const HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
const CHUNK: &str = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n";

fn fast(config: ChatConfig) -> ChatConfig {
    ChatConfig {
        first_byte_timeout: Duration::from_millis(150),
        idle_timeout: Duration::from_millis(150),
        retry: RetryPolicy {
            max_attempts: 1,
            ..config.retry.clone()
        },
        ..config
    }
}

#[tokio::test]
async fn first_byte_timeout_is_retried_and_named() {
    let server = ScriptedServer::start(vec![Step::Pause(Duration::from_secs(30))]).await;
    let mut config = fast(config(&server.url));
    config.retry.max_attempts = 2;
    let (events, result) = run(&config, request()).await;
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(
        error.message.contains("first-byte time limit (150 ms)"),
        "{}",
        error.message
    );
    assert_eq!(Transcript::of(&events).retries.len(), 1);
}

#[tokio::test]
async fn headers_without_a_body_also_hit_the_first_byte_limit() {
    let server = ScriptedServer::start(vec![
        Step::Write(HEAD),
        Step::Pause(Duration::from_secs(30)),
    ])
    .await;
    let (_, result) = run(&fast(config(&server.url)), request()).await;
    assert!(result.unwrap_err().message.contains("first-byte"));
}

#[tokio::test]
async fn idle_timeout_after_output_is_named() {
    let server = ScriptedServer::start(vec![
        Step::Write(HEAD),
        Step::Write(CHUNK),
        Step::Pause(Duration::from_secs(30)),
    ])
    .await;
    let (events, result) = run(&fast(config(&server.url)), request()).await;
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(
        error.message.contains("idle time limit (150 ms)"),
        "{}",
        error.message
    );
    assert_eq!(Transcript::of(&events).content, "x");
}

#[tokio::test]
async fn total_timeout_fires_even_while_chunks_keep_coming() {
    let mut script = vec![Step::Write(HEAD)];
    for _ in 0..40 {
        script.push(Step::Write(CHUNK));
        script.push(Step::Pause(Duration::from_millis(20)));
    }
    let server = ScriptedServer::start(script).await;
    let mut config = fast(config(&server.url));
    config.total_timeout = Some(Duration::from_millis(200));
    let (_, result) = run(&config, request()).await;
    let error = result.unwrap_err();
    assert!(
        error.message.contains("total time limit (200 ms)"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn cancellation_is_noticed_within_milliseconds_while_waiting_for_the_server() {
    let server = ScriptedServer::start(vec![
        Step::Write(HEAD),
        Step::Write(CHUNK),
        Step::Pause(Duration::from_secs(30)),
    ])
    .await;
    let config = config(&server.url);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let cancelled_at = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
        Instant::now()
    });
    let (events, result) = run_with(&config, request(), &cancel).await;
    let returned_at = Instant::now();
    let cancelled_at = cancelled_at.await.unwrap();
    assert_eq!(result.unwrap_err().kind, ErrorKind::Cancelled);
    // Typically well under a millisecond; the bound only leaves room for a loaded machine.
    assert!(returned_at.duration_since(cancelled_at) < Duration::from_millis(250));
    assert_eq!(Transcript::of(&events).content, "x");
}

#[tokio::test]
async fn cancellation_also_interrupts_the_wait_between_retries() {
    let mut server = mockito::Server::new_async().await;
    let _mock = server
        .mock("POST", "/v1/chat/completions")
        .with_status(503)
        .with_header("retry-after", "30")
        .create_async()
        .await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let (events, result) = run_with(&config(&server.url()), request(), &cancel).await;
    assert_eq!(result.unwrap_err().kind, ErrorKind::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(Transcript::of(&events).retries, [(1, 30_000)]);
}
