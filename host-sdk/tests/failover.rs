//! Failover across a chain of models (`Provider::complete_with_failover`)
//! against a real library: the chain advances on the kinds another model may
//! not have, only before output, and records every attempt.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use common::{compat_plugin, provider};
use host_sdk::{ChatRequest, ErrorKind, Message, Plugin, Provider};
use serde_json::json;

fn compat() -> Provider {
    let plugin = Plugin::load(compat_plugin(&[])).unwrap();
    provider(&plugin, json!({}))
}

fn request(model: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user("hi")])
}

#[tokio::test]
async fn advances_on_every_kind_another_model_may_not_have() {
    let provider = compat();
    for kind in ErrorKind::ALL {
        let failing = format!("compat/fail:{kind}");
        let mut stream =
            provider.complete_with_failover(request(&failing), &["compat/hello".into()]);
        let result = stream.collect().await;
        if kind.advances_failover() {
            let answer = result.unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(answer.content.starts_with("hello from"), "{kind}");
            assert_eq!(stream.answered_by(), Some("compat/hello"), "{kind}");
            assert!(stream.fell_back(), "{kind}");
            let attempts = stream.attempts();
            assert_eq!(attempts.len(), 1, "{kind}");
            assert_eq!(
                (attempts[0].model.as_str(), attempts[0].error.kind),
                (failing.as_str(), kind)
            );
        } else {
            let e = result.unwrap_err();
            assert_eq!(e.kind, kind);
            assert!(!stream.fell_back(), "{kind}");
        }
    }
}

#[tokio::test]
async fn never_advances_once_output_was_delivered() {
    // `compat/error` sends text, then fails with `rate_limited`.
    let provider = compat();
    let mut stream =
        provider.complete_with_failover(request("compat/error"), &["compat/hello".into()]);
    let e = stream.collect().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert!(!stream.fell_back());
    assert_eq!(stream.attempts().len(), 1);
}

#[tokio::test]
async fn an_unknown_model_advances_and_the_last_error_ends_an_exhausted_chain() {
    let provider = compat();
    let mut stream = provider.complete_with_failover(
        request("compat/unknown"),
        &[
            "compat/fail:unavailable".into(),
            "compat/fail:timeout".into(),
            "compat/unknown".into(),
        ],
    );
    let e = stream.collect().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
    let kinds: Vec<ErrorKind> = stream.attempts().iter().map(|a| a.error.kind).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::ModelNotFound,
            ErrorKind::Unavailable,
            ErrorKind::Timeout
        ],
        "duplicates are tried once"
    );
}
