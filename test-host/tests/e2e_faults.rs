//! The fault matrix: every failure the router or the network can throw at the
//! loaded plugin ends in success or exactly one typed error of the right kind
//! — never a panic or a hang — and afterwards no completion is still running
//! in the host and no response is left half-written at the router (the
//! plugin closed every connection it abandoned).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::time::{Duration, Instant};

use host_sdk::{ChatEvent, ChatRequest, ErrorKind, Message, Provider};
use serde_json::json;
use testkit::mock_router::MockRouter;
use testkit::mock_router::scenario::SPLIT_UTF8_TEXT;

/// What a scenario must end in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    /// Success, after this many retries.
    Ok { retries: usize },
    /// Exactly one error of this kind.
    Err(ErrorKind),
}

const FAULTS: &[(&str, Outcome)] = &[
    ("rate-limit", Outcome::Err(ErrorKind::RateLimited)),
    (
        "rate-limit-no-retry-after",
        Outcome::Err(ErrorKind::RateLimited),
    ),
    ("fail-then-ok:2-500", Outcome::Ok { retries: 2 }),
    ("fail-then-ok:2-502", Outcome::Ok { retries: 2 }),
    // The legacy "model is loading" 503 (42 s `estimated_time`) is never
    // waited for: no retry, the error goes back at once (with its delay) so
    // failover can move on.
    ("fail-then-ok:2-503", Outcome::Err(ErrorKind::Unavailable)),
    ("fail-then-ok:1-504", Outcome::Ok { retries: 1 }),
    ("reset-before", Outcome::Err(ErrorKind::Network)),
    ("reset-mid", Outcome::Err(ErrorKind::Network)),
    ("stall-before:10000", Outcome::Err(ErrorKind::Timeout)),
    ("stall-mid:10000", Outcome::Err(ErrorKind::Timeout)),
    ("stream-error", Outcome::Err(ErrorKind::Unavailable)),
    ("truncated", Outcome::Err(ErrorKind::Network)),
    ("no-done", Outcome::Ok { retries: 0 }),
    ("crlf", Outcome::Ok { retries: 0 }),
    ("split-utf8", Outcome::Ok { retries: 0 }),
    // 21 MiB: streamed it is passed on piece by piece (nothing buffered in the
    // plugin); as one JSON body it exceeds the 16 MiB cap (see below).
    ("huge-body", Outcome::Ok { retries: 0 }),
    ("status:500", Outcome::Err(ErrorKind::Unavailable)),
    ("status:422", Outcome::Err(ErrorKind::InvalidRequest)),
    ("status:401", Outcome::Err(ErrorKind::Auth)),
];

fn fast_settings(router: &MockRouter, dir: &std::path::Path) -> serde_json::Value {
    common::settings(
        router,
        dir,
        json!({
            "timeouts": { "firstByteSeconds": 0.4, "idleSeconds": 0.4 },
            "retry": { "maxAttempts": 3, "baseDelayMs": 5, "maxDelaySeconds": 0.05, "maxRetryAfterSeconds": 1.5 },
        }),
    )
}

/// Waits (bounded) until nothing is in flight in the host and the router holds
/// no live response.
async fn assert_nothing_left(provider: &Provider, router: &MockRouter, scenario: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while (provider.in_flight() > 0 || router.live_responses() > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        provider.in_flight(),
        0,
        "{scenario}: completion still in flight"
    );
    assert_eq!(
        router.live_responses(),
        0,
        "{scenario}: a response was left hanging"
    );
}

async fn run(
    provider: &Provider,
    scenario: &str,
    stream: bool,
) -> (Vec<ChatEvent>, Vec<host_sdk::ProviderError>) {
    let request = ChatRequest {
        stream,
        ..ChatRequest::new(
            format!("huggingface/mock/{scenario}"),
            vec![Message::user("fault matrix")],
        )
    };
    let mut s = provider.complete(request);
    let (mut events, mut errors) = (Vec::new(), Vec::new());
    // Bounded: a hang is a failure, not a stuck CI run.
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(item) = s.next().await {
            match item {
                Ok(e) => events.push(e),
                Err(e) => errors.push(e),
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "{scenario}: hung");
    (events, errors)
}

#[tokio::test]
async fn every_fault_ends_in_success_or_one_typed_error_and_leaves_nothing_behind() {
    let state = tempfile::tempdir().unwrap();
    for stream in [true, false] {
        // One router per pass: `fail-then-ok` counts failures per scenario.
        let router = common::router().await;
        let provider = common::provider(&fast_settings(&router, state.path()));
        for &(scenario, outcome) in FAULTS {
            if !stream && scenario == "huge-body" {
                continue; // refused by design, see the test below
            }
            let (events, errors) = run(&provider, scenario, stream).await;
            let retries = events
                .iter()
                .filter(|e| matches!(e, ChatEvent::Retrying { .. }))
                .count();
            let label = format!("{scenario} (stream={stream})");
            match outcome {
                Outcome::Ok { retries: want } => {
                    assert!(errors.is_empty(), "{label}: {errors:?}");
                    assert!(
                        matches!(events.last(), Some(ChatEvent::Done { .. })),
                        "{label}: no Done"
                    );
                    assert_eq!(retries, want, "{label}: retries");
                }
                Outcome::Err(kind) => {
                    assert_eq!(errors.len(), 1, "{label}: {errors:?}");
                    assert_eq!(errors[0].kind, kind, "{label}: {}", errors[0]);
                    assert!(!errors[0].message.is_empty(), "{label}");
                }
            }
            assert_nothing_left(&provider, &router, &label).await;
        }
    }
}

#[tokio::test]
async fn split_utf8_and_huge_streams_arrive_intact_and_an_oversized_body_is_refused() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&fast_settings(&router, state.path()));
    let r = provider
        .complete(ChatRequest::new(
            "huggingface/mock/split-utf8",
            vec![Message::user("x")],
        ))
        .collect()
        .await
        .unwrap();
    assert_eq!(r.content, SPLIT_UTF8_TEXT);

    // Streamed, a 21 MiB answer arrives whole (the plugin buffers nothing).
    let r = provider
        .complete(ChatRequest::new(
            "huggingface/mock/huge-body",
            vec![Message::user("x")],
        ))
        .collect()
        .await;
    let len = r.map(|r| r.content.len()).map_err(|e| e.to_string());
    assert_eq!(
        len,
        Ok(testkit::mock_router::scenario::HUGE_BODY_CONTENT_BYTES)
    );

    // As one JSON body it is over the 16 MiB cap: refused, not buffered.
    let r = provider
        .complete(ChatRequest {
            stream: false,
            ..ChatRequest::new("huggingface/mock/huge-body", vec![Message::user("x")])
        })
        .collect()
        .await;
    let e = match r {
        Ok(r) => panic!("accepted a {}-byte answer", r.content.len()),
        Err(e) => e,
    };
    assert!(e.message.contains("exceeds 16777216 bytes"), "{e}");
    assert!(e.request_id.is_some(), "{e:?}");
    assert_nothing_left(&provider, &router, "huge-body").await;

    common::assert_still_answers(&provider).await;
}

#[tokio::test]
async fn cancelling_mid_stream_closes_the_connection() {
    let router = common::router().await;
    let state = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(&router, state.path(), json!({})));
    let mut s = provider.complete(ChatRequest::new(
        "huggingface/mock/stall-mid:20000",
        vec![Message::user("cancel me")],
    ));
    // Wait for the first output, then cancel while the server stalls.
    loop {
        let e = s.next().await.unwrap().unwrap();
        if e.is_output() {
            break;
        }
    }
    s.cancel();
    let mut last = None;
    while let Some(item) = s.next().await {
        last = Some(item);
    }
    let e = last.unwrap().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled);
    assert_nothing_left(&provider, &router, "cancel").await;

    // Dropping the stream instead of cancelling has the same effect.
    let mut s = provider.complete(ChatRequest::new(
        "huggingface/mock/stall-mid:20000",
        vec![Message::user("drop me")],
    ));
    while !s.next().await.unwrap().unwrap().is_output() {}
    drop(s);
    assert_nothing_left(&provider, &router, "drop").await;
}
