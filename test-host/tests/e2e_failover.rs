//! End to end, failover across models (host-sdk `Provider::complete_with_failover`)
//! through the loaded plugin and the mock router: the chain advances on the listed error
//! kinds only, only before any output, and records every attempt (the plugin's retries
//! included) and the model that answered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod chat_support;
mod common;

use std::time::{Duration, Instant};

use host_sdk::{ChatRequest, ChatResponse, ErrorKind, Message};
use serde_json::json;
use testkit::mock_router::scenario::answer_for;

use chat_support::{Env, Outcome, assert_error, env, first_pieces};

const FALLBACK: &str = "huggingface/Qwen/Qwen3-8B";

async fn failover(
    env: &Env,
    primary: &str,
    text: &str,
) -> (Outcome, Vec<(String, ErrorKind)>, String) {
    let started = Instant::now();
    let request = ChatRequest::new(format!("huggingface/{primary}"), vec![Message::user(text)]);
    let mut s = env
        .provider
        .complete_with_failover(request, &[FALLBACK.to_string()]);
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
    let attempts = s
        .attempts()
        .iter()
        .map(|a| (a.model.clone(), a.error.kind))
        .collect();
    let answered_by = s.answered_by().unwrap_or_default().to_string();
    (
        Outcome {
            events,
            error,
            response,
            elapsed: started.elapsed(),
        },
        attempts,
        answered_by,
    )
}

#[tokio::test]
async fn failover_to_the_fallback_on_billing() {
    let env = env(json!({})).await;
    let (o, attempts, answered_by) = failover(&env, "mock/status:402", "fall back").await;
    assert_eq!(o.ok().content, answer_for("fall back"));
    assert_eq!(o.ok().model, "Qwen/Qwen3-8B");
    assert_eq!(answered_by, FALLBACK);
    assert_eq!(
        attempts,
        [(
            "huggingface/mock/status:402".to_string(),
            ErrorKind::Billing
        )]
    );
    assert_eq!(env.models_requested(), ["mock/status:402", "Qwen/Qwen3-8B"]);
}

#[tokio::test]
async fn failover_advances_on_every_listed_kind_before_output() {
    let env = env(json!({
        "timeouts": { "firstByteSeconds": 0.5 },
        "retry": { "maxAttempts": 2 },
    }))
    .await;
    // (primary, the kind of each recorded attempt: the plugin's retries, then the failure)
    let cases: [(&str, &[ErrorKind]); 9] = [
        ("mock/status:401", &[ErrorKind::Auth]),
        ("mock/status:402", &[ErrorKind::Billing]),
        ("mock/status:403", &[ErrorKind::Permission]),
        ("mock/status:400", &[ErrorKind::ModelUnsupported]),
        ("mock/status:404", &[ErrorKind::ModelUnsupported]),
        (
            "mock/rate-limit-no-retry-after",
            &[ErrorKind::RateLimited, ErrorKind::RateLimited],
        ),
        (
            "mock/status:500",
            &[ErrorKind::Unavailable, ErrorKind::Unavailable],
        ),
        (
            "mock/stall-before:5000",
            &[ErrorKind::Timeout, ErrorKind::Timeout],
        ),
        (
            "mock/reset-before",
            &[ErrorKind::Network, ErrorKind::Network],
        ),
    ];
    for (primary, kinds) in cases {
        let (o, attempts, answered_by) = failover(&env, primary, "next please").await;
        assert_eq!(o.ok().content, answer_for("next please"), "{primary}");
        assert_eq!(answered_by, FALLBACK, "{primary}");
        let want: Vec<(String, ErrorKind)> = kinds
            .iter()
            .map(|k| (format!("huggingface/{primary}"), *k))
            .collect();
        assert_eq!(attempts, want, "{primary}");
    }
}

#[tokio::test]
async fn no_failover_on_an_invalid_request() {
    let env = env(json!({})).await;
    let (o, attempts, answered_by) = failover(&env, "mock/status:422", "bad").await;
    assert_error(
        o.error(),
        ErrorKind::InvalidRequest,
        "Input validation error",
    );
    assert_eq!(
        attempts,
        [(
            "huggingface/mock/status:422".to_string(),
            ErrorKind::InvalidRequest
        )]
    );
    assert_eq!(answered_by, "huggingface/mock/status:422");
    assert_eq!(env.models_requested(), ["mock/status:422"]);
}

#[tokio::test]
async fn no_failover_once_output_was_delivered() {
    let env = env(json!({})).await;
    let (o, attempts, _) = failover(&env, "mock/reset-mid", "hi there").await;
    assert_eq!(o.response.content, first_pieces("hi there", 2));
    assert_eq!(o.error().kind, ErrorKind::Network, "{}", o.error());
    assert_eq!(
        attempts,
        [("huggingface/mock/reset-mid".to_string(), ErrorKind::Network)]
    );
    assert_eq!(env.models_requested(), ["mock/reset-mid"]);
}

#[tokio::test]
async fn when_every_model_fails_the_last_error_ends_the_turn() {
    let env = env(json!({ "retry": { "maxAttempts": 1 } })).await;
    let request = ChatRequest::new(
        "huggingface/mock/status:401",
        vec![Message::user("nobody home")],
    );
    let mut s = env
        .provider
        .complete_with_failover(request, &["huggingface/mock/status:402".to_string()]);
    let e = s.collect().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Billing, "{e}");
    let kinds: Vec<_> = s.attempts().iter().map(|a| a.error.kind).collect();
    assert_eq!(kinds, [ErrorKind::Auth, ErrorKind::Billing]);
}

#[tokio::test]
async fn failover_past_a_model_the_router_does_not_list() {
    // With a discovered catalog, an unknown id fails to resolve (`model_not_found`, with
    // suggestions) before any request is sent; the chain moves on.
    let env = env(json!({ "discovery": { "enabled": true } })).await;
    env.provider.refresh(Duration::from_secs(10)).await.unwrap();
    let (o, attempts, answered_by) = failover(&env, "Qwen/Qwen3-8B-Typo", "anyone?").await;
    assert_eq!(o.ok().content, answer_for("anyone?"));
    assert_eq!(answered_by, FALLBACK);
    assert_eq!(
        attempts,
        [(
            "huggingface/Qwen/Qwen3-8B-Typo".to_string(),
            ErrorKind::ModelNotFound
        )]
    );
    assert_eq!(env.models_requested(), ["Qwen/Qwen3-8B"]);
}
