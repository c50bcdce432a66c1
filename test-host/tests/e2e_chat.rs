//! End to end, scenario by scenario: the real plugin (the cdylib, loaded through host-sdk)
//! against the mock router's scripted behaviours. Successful answers are compared with
//! the exact expectation of `mock_router::expected`; failures with the typed error the
//! plugin must report (kind, the server's message, status, request id), plus what the
//! router saw (how many attempts reached it).
//!
//! Every test is bounded: time limits in the settings are fractions of a second and
//! retries are fast (`common::settings`: 10 ms base delay, 200 ms cap, `Retry-After` up to
//! 2 s honoured).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod chat_support;
mod common;

use std::time::{Duration, Instant};

use host_sdk::{ChatEvent, ChatResponse, ErrorKind};
use serde_json::json;
use testkit::mock_router::scenario::{
    ANSWER_PREFIX, REASONING_TEXT, SCENARIO_USAGE, SPLIT_UTF8_TEXT, STREAM_ERROR_MESSAGE,
    TOOL_CALLS, answer_for, expected,
};

use chat_support::{
    assert_error, assert_expected, assert_well_formed, env, first_pieces, request, run,
};

// ---------------------------------------------------------------------------------------
// Answers

#[tokio::test]
async fn reasoning_in_each_of_the_four_shapes() {
    let env = env(json!({})).await;
    for scenario in [
        "reasoning-field",
        "reasoning-content",
        "reasoning-text",
        "reasoning-think",
    ] {
        for stream in [true, false] {
            let o = run(
                &env.provider,
                &format!("mock/{scenario}"),
                "think about it",
                stream,
            )
            .await;
            assert_expected(&o, scenario, "think about it");
            assert_eq!(o.response.reasoning, REASONING_TEXT);
            // Reasoning is reported apart from the answer, and before it.
            let last_reasoning = o
                .events
                .iter()
                .rposition(|e| matches!(e, ChatEvent::Reasoning(_)));
            let first_content = o
                .events
                .iter()
                .position(|e| matches!(e, ChatEvent::Content(_)));
            assert!(
                last_reasoning < first_content,
                "{scenario} (stream {stream}): {:?}",
                o.events
            );
            assert!(
                !o.response.content.contains("think>"),
                "{scenario}: no tag leaks into the answer"
            );
        }
    }
}

#[tokio::test]
async fn tool_calls_are_assembled_by_index() {
    let env = env(json!({})).await;
    for stream in [true, false] {
        let o = run(&env.provider, "mock/tool-calls", "weather?", stream).await;
        assert_expected(&o, "tool-calls", "weather?");
        assert_eq!(o.response.tool_calls.len(), TOOL_CALLS.len());
        // Each call's id and name arrive once, on its first piece; continuations
        // (`id: ""`, `name: null` on the wire) only append arguments.
        for (index, (id, name, _)) in TOOL_CALLS.iter().enumerate() {
            let pieces: Vec<_> = o
                .events
                .iter()
                .filter_map(|e| match e {
                    ChatEvent::ToolCall(d) if d.index as usize == index => Some(d),
                    _ => None,
                })
                .collect();
            assert_eq!(pieces[0].id.as_deref(), Some(*id));
            assert_eq!(pieces[0].name.as_deref(), Some(*name));
            assert!(
                pieces[1..]
                    .iter()
                    .all(|d| d.id.is_none() && d.name.is_none())
            );
        }
    }
}

#[tokio::test]
async fn usage_and_cost_by_the_backend_that_served() {
    // Discovery on, so the catalog has every backend's price.
    let env = env(json!({ "discovery": { "enabled": true } })).await;
    env.provider.refresh(Duration::from_secs(10)).await.unwrap();
    let price = |model: &str, backend: &str| {
        let info = env.provider.resolve(model).unwrap().info;
        info.backends
            .iter()
            .find(|b| b.provider == backend)
            .and_then(|b| b.pricing)
            .unwrap_or_else(|| panic!("{model} has no price for {backend}"))
    };

    for stream in [true, false] {
        let o = run(&env.provider, "mock/usage", "count me", stream).await;
        assert_expected(&o, "usage", "count me");
        let usage = o.response.usage.unwrap();
        assert_eq!(o.response.served_by.as_deref(), Some("hf-inference"));
        let p = price("huggingface/mock/usage", "hf-inference");
        let (prompt, completion, _) = SCENARIO_USAGE;
        let want = prompt as f64 * p.input / 1e6 + completion as f64 * p.output / 1e6;
        let cost = usage.cost_usd.expect("cost");
        assert!((cost - want).abs() < 1e-12, "{cost} != {want}");
    }

    // DeepSeek-R1 is served by together here, not by its cheapest backend (novita): the
    // cost uses the price of the backend that answered.
    let o = run(&env.provider, "deepseek-ai/DeepSeek-R1", "price me", true).await;
    let r = o.ok();
    assert_eq!(r.served_by.as_deref(), Some("together"));
    let u = r.usage.unwrap();
    let p = price("huggingface/deepseek-ai/DeepSeek-R1", "together");
    let want = u.prompt_tokens as f64 * p.input / 1e6 + u.completion_tokens as f64 * p.output / 1e6;
    assert!((u.cost_usd.unwrap() - want).abs() < 1e-12);
    assert!(u.total_tokens > 0 && u.total_tokens == u.prompt_tokens + u.completion_tokens);
}

#[tokio::test]
async fn stream_quirks_give_the_exact_answer() {
    let env = env(json!({})).await;
    // `no-done`: the connection closes after `finish_reason` (and usage), with no [DONE].
    // `crlf`: CRLF line endings and `data:` without a space.
    // `split-utf8`: every multi-byte character split between two writes.
    for scenario in ["no-done", "crlf", "split-utf8", "echo"] {
        for stream in [true, false] {
            let o = run(&env.provider, &format!("mock/{scenario}"), "quirky", stream).await;
            assert_expected(&o, scenario, "quirky");
            assert!(
                o.response.usage.is_some(),
                "{scenario}: usage asked for and sent"
            );
        }
    }
    let o = run(&env.provider, "mock/split-utf8", "x", true).await;
    assert_eq!(o.response.content, SPLIT_UTF8_TEXT);
}

#[tokio::test]
async fn huge_body_streams_whole_and_a_whole_json_answer_is_bounded() {
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/huge-body", "big", true).await;
    assert_expected(&o, "huge-body", "big");
    // Not streamed, the same 21 MiB arrive as one JSON body: above the plugin's 16 MiB
    // bound for a whole answer, so it is refused with a clear error rather than buffered
    // without limit (a deliberate bound; streaming has no such limit).
    let o = run(&env.provider, "mock/huge-body", "big", false).await;
    assert_error(
        o.error(),
        ErrorKind::Internal,
        "the answer exceeds 16777216 bytes",
    );
    assert!(o.response.content.is_empty());
}

// ---------------------------------------------------------------------------------------
// Retries

#[tokio::test]
async fn rate_limit_with_retry_after_is_honoured() {
    let env = env(json!({ "retry": { "maxAttempts": 2 } })).await;
    let o = run(&env.provider, "mock/rate-limit", "hi", true).await;
    let retries = o.retries();
    assert_eq!(retries.len(), 1, "{retries:?}");
    let (attempt, delay_ms, error) = &retries[0];
    assert_eq!(
        (*attempt, *delay_ms),
        (1, 1000),
        "Retry-After: 1 is waited for"
    );
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert!(o.elapsed >= Duration::from_secs(1), "{:?}", o.elapsed);
    let e = o.error();
    assert_error(e, ErrorKind::RateLimited, "Rate limit reached for requests");
    assert_eq!(e.status, Some(429));
    assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
    assert!(e.request_id.as_deref().unwrap().starts_with("mock-"));
    assert_eq!(env.chat_requests(), 2);
}

#[tokio::test]
async fn retry_after_above_the_limit_goes_to_the_host_at_once() {
    let env = env(json!({ "retry": { "maxRetryAfterSeconds": 0.5 } })).await;
    let o = run(&env.provider, "mock/rate-limit", "hi", true).await;
    assert!(o.retries().is_empty());
    let e = o.error();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
    assert_eq!(env.chat_requests(), 1);
}

#[tokio::test]
async fn rate_limit_without_retry_after_backs_off_then_gives_up() {
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/rate-limit-no-retry-after", "hi", true).await;
    let retries = o.retries();
    assert_eq!(
        retries.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 2],
        "three attempts in all"
    );
    for (_, delay_ms, error) in &retries {
        assert!(
            *delay_ms <= 200,
            "jittered backoff under maxDelaySeconds: {delay_ms}"
        );
        assert_eq!(error.kind, ErrorKind::RateLimited);
        assert_eq!(error.retry_after, None);
    }
    let e = o.error();
    assert_error(e, ErrorKind::RateLimited, "Rate limit reached");
    assert_eq!((e.status, e.retry_after), (Some(429), None));
    assert_eq!(env.chat_requests(), 3);
}

#[tokio::test]
async fn server_errors_then_success_are_retried_invisibly() {
    let env = env(json!({})).await;
    // `fail-then-ok:N-STATUS`: the model-ref form of `fail-then-ok:N:STATUS`.
    let o = run(&env.provider, "mock/fail-then-ok:2-500", "again", true).await;
    assert_expected(&o, "fail-then-ok:2:500", "again");
    let retries = o.retries();
    assert_eq!(retries.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
    for (_, _, e) in &retries {
        assert_error(e, ErrorKind::Unavailable, "Internal Server Error");
        assert_eq!(e.status, Some(500));
        assert!(e.request_id.is_some());
    }
    // No output before the answer that succeeded: the retries were invisible.
    let first_output = o.events.iter().position(ChatEvent::is_output).unwrap();
    let last_retry = o
        .events
        .iter()
        .rposition(|e| matches!(e, ChatEvent::Retrying { .. }))
        .unwrap();
    assert!(last_retry < first_output);
    assert_eq!(env.chat_requests(), 3);

    // A 502 HTML page has no message: the status speaks.
    let o = run(&env.provider, "mock/fail-then-ok:1-502", "again", false).await;
    assert_expected(&o, "fail-then-ok:1:502", "again");
    assert_error(
        &o.retries()[0].2,
        ErrorKind::Unavailable,
        "the server answered 502 Bad Gateway without a message",
    );
}

#[tokio::test]
async fn model_loading_503_asks_for_longer_than_allowed_so_it_is_not_retried() {
    // The legacy 503 says `"estimated_time": 42.3`: the plugin reads it as the server's
    // Retry-After, which is above `maxRetryAfterSeconds` (2 s here, 60 s by default), so
    // the error goes to the host at once (and failover may try another model) instead
    // of retrying early only to be told the same.
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/fail-then-ok:1-503", "hi", true).await;
    assert!(o.retries().is_empty());
    let e = o.error();
    assert_error(e, ErrorKind::Unavailable, "is currently loading");
    assert_eq!(e.status, Some(503));
    assert_eq!(e.retry_after, Some(Duration::from_secs_f64(42.3)));
    assert_eq!(env.chat_requests(), 1);
}

// ---------------------------------------------------------------------------------------
// Broken connections, timeouts, broken streams

#[tokio::test]
async fn reset_before_any_byte_is_retried_then_a_network_error() {
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/reset-before", "hi", true).await;
    let retries = o.retries();
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert!(retries.iter().all(|r| r.2.kind == ErrorKind::Network));
    assert_error(o.error(), ErrorKind::Network, "could not reach the router");
    assert!(o.response.content.is_empty());
    assert_eq!(env.chat_requests(), 3);
}

#[tokio::test]
async fn reset_mid_stream_keeps_the_output_and_is_not_retried() {
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/reset-mid", "hi there", true).await;
    let want = expected("reset-mid", "hi there").unwrap();
    assert!(want.ends_in_error);
    assert_eq!(o.response.content, want.content);
    assert_eq!(o.response.content, first_pieces("hi there", 2));
    assert_eq!(o.response.finish_reason, None);
    assert_error(
        o.error(),
        ErrorKind::Network,
        "the connection broke while reading the answer",
    );
    assert!(o.error().request_id.is_some());
    assert!(o.retries().is_empty(), "output was shown: no retry");
    assert_eq!(env.chat_requests(), 1);
    assert_well_formed(&o);

    // Not streamed, nothing was shown before the break: retried, then reported.
    let o = run(&env.provider, "mock/reset-mid", "hi there", false).await;
    assert_eq!(o.retries().len(), 2);
    assert_eq!(o.error().kind, ErrorKind::Network, "{}", o.error());
    assert!(o.response.content.is_empty());
    assert_eq!(env.chat_requests(), 4);
}

#[tokio::test]
async fn stall_before_the_first_byte_is_a_first_byte_timeout() {
    let env = env(json!({
        "timeouts": { "firstByteSeconds": 0.5, "idleSeconds": 0.5 },
        "retry": { "maxAttempts": 2 },
    }))
    .await;
    let o = run(&env.provider, "mock/stall-before:10000", "hi", true).await;
    let message = "no answer from the server within the first-byte time limit (500 ms)";
    // Nothing was received, so the timeout is retried once, then reported.
    let retries = o.retries();
    assert_eq!(retries.len(), 1);
    assert_error(&retries[0].2, ErrorKind::Timeout, message);
    assert_error(o.error(), ErrorKind::Timeout, message);
    assert!(o.elapsed < Duration::from_secs(5), "{:?}", o.elapsed);
    assert_eq!(env.chat_requests(), 2);
}

#[tokio::test]
async fn stall_mid_stream_is_an_idle_timeout_after_the_output() {
    let env = env(json!({ "timeouts": { "firstByteSeconds": 0.5, "idleSeconds": 0.5 } })).await;
    let o = run(&env.provider, "mock/stall-mid:10000", "hi there", true).await;
    assert_eq!(o.response.content, first_pieces("hi there", 2));
    assert_error(
        o.error(),
        ErrorKind::Timeout,
        "the answer stalled: nothing arrived within the idle time limit (500 ms)",
    );
    assert!(o.retries().is_empty());
    assert!(o.elapsed < Duration::from_secs(5), "{:?}", o.elapsed);
    assert_eq!(env.chat_requests(), 1);
}

#[tokio::test]
async fn a_slow_answer_hits_the_total_time_limit() {
    // 150 ms between events: about 2 s for the whole answer, the first text within 0.5 s.
    let env = env(json!({ "timeouts": { "totalSeconds": 0.5 } })).await;
    let o = run(
        &env.provider,
        "mock/slow:150",
        "one two three four five six",
        true,
    )
    .await;
    assert!(!o.response.content.is_empty(), "some output came first");
    assert_error(
        o.error(),
        ErrorKind::Timeout,
        "the call exceeded its total time limit (500 ms)",
    );
    assert!(o.elapsed < Duration::from_millis(1500), "{:?}", o.elapsed);
}

#[tokio::test]
async fn in_stream_error_ends_the_answer_with_the_servers_message() {
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/stream-error", "hi there", true).await;
    let want = expected("stream-error", "hi there").unwrap();
    assert!(want.ends_in_error);
    assert_eq!(o.response.content, want.content);
    assert_eq!(o.response.finish_reason, None);
    // `error_type: "overloaded"`: the backend failed while answering.
    assert_error(o.error(), ErrorKind::Unavailable, STREAM_ERROR_MESSAGE);
    assert!(o.error().request_id.is_some());
    assert!(o.retries().is_empty());
    assert_eq!(env.chat_requests(), 1);

    // Not streamed, the error object is the whole answer: nothing shown, so retried.
    let o = run(&env.provider, "mock/stream-error", "hi there", false).await;
    assert_eq!(o.retries().len(), 2);
    assert_error(o.error(), ErrorKind::Unavailable, STREAM_ERROR_MESSAGE);
}

#[tokio::test]
async fn truncated_stream_is_an_error_not_a_complete_answer() {
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/truncated", "hi there", true).await;
    let want = expected("truncated", "hi there").unwrap();
    assert_eq!(o.response.content, want.content);
    assert_eq!(o.response.content, ANSWER_PREFIX);
    // Neither [DONE] nor a finish reason: no `Done`, and a Network error says why.
    assert_eq!(o.response.finish_reason.as_deref(), want.finish_reason);
    assert_error(
        o.error(),
        ErrorKind::Network,
        "stream ended before the answer was complete",
    );
    assert_eq!(env.chat_requests(), 1);
    // Not streamed: half a JSON body is an answer cut off in transit. Nothing was shown,
    // so it is retried like a broken connection, then reported.
    let o = run(&env.provider, "mock/truncated", "hi there", false).await;
    assert_eq!(o.retries().len(), 2);
    assert_error(
        o.error(),
        ErrorKind::Network,
        "the answer ended before it was complete",
    );
}

/// Decision: `expected("malformed-chunk")` describes what the mock sends (the broken event,
/// then the whole echo stream, as a lenient client that skips it would see). The plugin
/// is strict on purpose: it ends the answer at the broken event with a typed `Internal`
/// error naming it, after delivering what came before (`translate_tests.rs`,
/// `foreign_and_unreadable_chunks_are_clear_errors`), as Hugging Face's own clients do
/// (huggingface_hub, huggingface.js and openai-python all raise on an unparseable event):
/// skipping would present an answer with a piece silently missing as complete.
#[tokio::test]
async fn malformed_chunk_ends_the_answer_with_a_clear_error() {
    let env = env(json!({})).await;
    let o = run(&env.provider, "mock/malformed-chunk", "hi there", true).await;
    let want = expected("malformed-chunk", "hi there").unwrap();
    assert!(want.content.starts_with(&o.response.content));
    assert_eq!(o.response.content, first_pieces("hi there", 2));
    assert_eq!(o.response.finish_reason, None);
    let e = o.error();
    assert_error(e, ErrorKind::Internal, "unreadable stream chunk");
    assert!(e.message.contains(r#"{"id":"chatcmpl-broken""#), "{e}");
    assert!(e.request_id.is_some());
    assert!(o.retries().is_empty(), "output was shown: no retry");
    assert_well_formed(&o);

    // Not streamed, the scenario sends half a JSON body: cut off, retried, reported.
    let o = run(&env.provider, "mock/malformed-chunk", "hi there", false).await;
    assert_eq!(o.retries().len(), 2);
    assert_error(
        o.error(),
        ErrorKind::Network,
        "the answer ended before it was complete",
    );
}

// ---------------------------------------------------------------------------------------
// HTTP errors

#[tokio::test]
async fn every_http_error_status_is_typed_with_the_servers_message() {
    // One attempt each: the classification is under test here, retries above.
    let env = env(json!({ "retry": { "maxAttempts": 1 } })).await;
    let permission_hint = "the token needs the 'Make calls to Inference Providers' permission";
    let cases: [(u16, ErrorKind, &[&str]); 10] = [
        (
            400,
            ErrorKind::ModelUnsupported,
            &[
                "The requested model 'mock/status:400' is not supported by any provider you have enabled.",
            ],
        ),
        (
            401,
            ErrorKind::Auth,
            &["Invalid credentials in Authorization header"],
        ),
        (
            402,
            ErrorKind::Billing,
            &["You have exceeded your monthly included credits for Inference Providers."],
        ),
        (
            403,
            ErrorKind::Permission,
            &[
                "This authentication method does not have sufficient permissions to call Inference Providers",
                permission_hint,
            ],
        ),
        (404, ErrorKind::ModelUnsupported, &["Not Found"]),
        (
            422,
            ErrorKind::InvalidRequest,
            &["Input validation error: `temperature` must be strictly positive"],
        ),
        (500, ErrorKind::Unavailable, &["Internal Server Error"]),
        (
            502,
            ErrorKind::Unavailable,
            &["the server answered 502 Bad Gateway without a message"],
        ),
        (
            503,
            ErrorKind::Unavailable,
            &["Model mock/status:503 is currently loading"],
        ),
        (
            504,
            ErrorKind::Unavailable,
            &["the server answered 504 Gateway Timeout without a message"],
        ),
    ];
    for (status, kind, messages) in cases {
        for stream in [true, false] {
            let o = run(
                &env.provider,
                &format!("mock/status:{status}"),
                "hi",
                stream,
            )
            .await;
            let e = o.error();
            assert_eq!(e.kind, kind, "{status}: {e}");
            for m in messages {
                assert!(e.message.contains(m), "{status}: {m:?} not in {e}");
            }
            assert_eq!(e.status, Some(status));
            let id = e.request_id.as_deref().unwrap();
            assert!(id.starts_with("mock-"), "{id}");
            let shown = e.to_string();
            assert!(
                shown.contains(&format!("(HTTP {status}, request id {id})")),
                "{shown}"
            );
            assert!(o.events.is_empty(), "{status}: {:?}", o.events);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Cancellation

#[tokio::test]
async fn cancelling_mid_answer_stops_it_promptly() {
    let env = env(json!({})).await;
    let mut stream = env.provider.complete(request(
        "mock/slow:300",
        "one two three four five six seven eight",
        true,
    ));
    let mut response = ChatResponse::default();
    // Wait for the first piece of the answer, then cancel.
    loop {
        let event = stream.next().await.unwrap().unwrap();
        response.apply(&event);
        if matches!(event, ChatEvent::Content(ref t) if !t.is_empty()) {
            break;
        }
    }
    let cancelled_at = Instant::now();
    stream.cancel();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => response.apply(&event),
            Err(e) => error = Some(e),
        }
    }
    let e = error.expect("the stream ends with an error");
    assert_error(&e, ErrorKind::Cancelled, "the call was cancelled");
    // The rest of the answer would take seconds (300 ms between events): the bound
    // only leaves room for a loaded machine.
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        cancelled_at.elapsed()
    );
    assert_eq!(response.finish_reason, None);
    assert!(answer_for("one two three four five six seven eight").starts_with(&response.content));
    assert_eq!(env.provider.in_flight(), 0);
}

#[tokio::test]
async fn cancelling_during_the_wait_between_retries() {
    let env = env(json!({})).await;
    let stream = env
        .provider
        .complete(request("mock/rate-limit", "hi", true));
    // The first attempt fails at once; the plugin then waits 1 s (Retry-After).
    let deadline = Instant::now() + Duration::from_secs(5);
    while env.chat_requests() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cancelled_at = Instant::now();
    stream.cancel();
    let e = stream.collect().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled, "{e}");
    assert!(
        cancelled_at.elapsed() < Duration::from_millis(500),
        "the wait was interrupted: {:?}",
        cancelled_at.elapsed()
    );
    assert_eq!(env.chat_requests(), 1, "no second attempt");
}
