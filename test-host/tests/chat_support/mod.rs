//! What the chat end-to-end tests share: a mock router with a provider from the loaded
//! plugin, a completion run to its end with every event kept, and the assertions that
//! compare an answer with `mock_router::expected`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use host_sdk::{
    ChatEvent, ChatRequest, ChatResponse, ErrorKind, HostContext, Message, Plugin, Provider,
    ProviderError,
};
use serde_json::Value;
use tempfile::TempDir;
use testkit::mock_router::MockRouter;
use testkit::mock_router::scenario::{answer_for, expected, word_pieces};

use crate::common;

pub struct Env {
    pub router: MockRouter,
    pub provider: Provider,
    _dir: TempDir,
}

/// The plugin, loaded once for the whole file: a load copies and maps the library (about
/// a second in a debug build), while the providers it creates are independent.
pub fn plugin() -> &'static Plugin {
    static PLUGIN: OnceLock<Plugin> = OnceLock::new();
    PLUGIN.get_or_init(common::plugin)
}

/// A mock router and a provider pointed at it; `extra` is merged into the settings.
pub async fn env(extra: Value) -> Env {
    let router = common::router().await;
    let dir = tempfile::tempdir().unwrap();
    let provider = host_sdk::Provider::new(
        plugin(),
        HostContext::new("e2e", "0"),
        &common::settings(&router, dir.path(), extra),
    )
    .unwrap();
    Env {
        router,
        provider,
        _dir: dir,
    }
}

impl Env {
    /// Chat requests the router received, in order.
    pub fn chat_requests(&self) -> usize {
        self.router
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .count()
    }

    /// The router model ids the chat requests asked for, in order.
    pub fn models_requested(&self) -> Vec<String> {
        self.router
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .map(|r| r.json().unwrap()["model"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Everything a completion produced.
#[derive(Debug)]
pub struct Outcome {
    pub events: Vec<ChatEvent>,
    pub error: Option<ProviderError>,
    pub response: ChatResponse,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn error(&self) -> &ProviderError {
        self.error
            .as_ref()
            .unwrap_or_else(|| panic!("expected an error, got {:?}", self.response))
    }

    pub fn ok(&self) -> &ChatResponse {
        if let Some(e) = &self.error {
            panic!("unexpected error: {e}; events: {:?}", self.events);
        }
        &self.response
    }

    /// The `Retrying` notices: (attempt, delay_ms, error).
    pub fn retries(&self) -> Vec<(u32, u64, ProviderError)> {
        self.response
            .retries
            .iter()
            .map(|r| (r.attempt, r.delay_ms, r.error.clone()))
            .collect()
    }
}

pub fn request(model: &str, text: &str, stream: bool) -> ChatRequest {
    ChatRequest {
        stream,
        ..ChatRequest::new(format!("huggingface/{model}"), vec![Message::user(text)])
    }
}

/// Runs one completion to its end, keeping every event and the error that ended it.
pub async fn run(provider: &Provider, model: &str, text: &str, stream: bool) -> Outcome {
    let started = Instant::now();
    let mut s = provider.complete(request(model, text, stream));
    let mut events = Vec::new();
    let mut error = None;
    while let Some(item) = s.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(e) => error = Some(e),
        }
    }
    let mut response = ChatResponse::default();
    events.iter().for_each(|e| response.apply(e));
    Outcome {
        events,
        error,
        response,
        elapsed: started.elapsed(),
    }
}

/// The answer equals `expected(scenario, text)` exactly, and the stream is well formed:
/// `ServedBy` (with backend and request id) before the first output, `Done` last.
pub fn assert_expected(outcome: &Outcome, scenario: &str, text: &str) {
    let want = expected(scenario, text).unwrap();
    let got = outcome.ok();
    assert!(!want.ends_in_error, "{scenario}: use the error assertions");
    assert_eq!(got.content, want.content, "{scenario}: content");
    assert_eq!(
        got.reasoning,
        want.reasoning.clone().unwrap_or_default(),
        "{scenario}: reasoning"
    );
    let calls: Vec<(String, String, String)> = got
        .tool_calls
        .iter()
        .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
        .collect();
    assert_eq!(calls, want.tool_calls, "{scenario}: tool calls");
    assert_eq!(
        got.finish_reason.as_deref(),
        want.finish_reason,
        "{scenario}: finish reason"
    );
    if let Some(usage) = want.usage {
        let u = got.usage.expect("usage");
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            usage,
            "{scenario}: usage"
        );
    }
    assert_well_formed(outcome);
}

pub fn assert_well_formed(outcome: &Outcome) {
    let served = outcome
        .events
        .iter()
        .position(|e| matches!(e, ChatEvent::ServedBy { .. }));
    let first_output = outcome.events.iter().position(ChatEvent::is_output);
    if let Some(first_output) = first_output {
        assert!(
            served.is_some_and(|s| s < first_output),
            "ServedBy before output: {:?}",
            outcome.events
        );
    }
    let served_count = outcome
        .events
        .iter()
        .filter(|e| matches!(e, ChatEvent::ServedBy { .. }))
        .count();
    assert!(served_count <= 1, "one ServedBy: {:?}", outcome.events);
    if outcome.error.is_none() {
        assert!(
            matches!(outcome.events.last(), Some(ChatEvent::Done { .. })),
            "Done last: {:?}",
            outcome.events
        );
        let r = &outcome.response;
        assert!(r.served_by.is_some(), "backend named");
        assert!(
            r.request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("mock-")),
            "request id: {:?}",
            r.request_id
        );
    }
}

/// The first `n` streamed pieces of the echo answer to `text`.
pub fn first_pieces(text: &str, n: usize) -> String {
    word_pieces(&answer_for(text)).into_iter().take(n).collect()
}

pub fn assert_error(e: &ProviderError, kind: ErrorKind, message: &str) {
    assert_eq!(e.kind, kind, "{e}");
    assert!(e.message.contains(message), "{message:?} not in {e}");
}
