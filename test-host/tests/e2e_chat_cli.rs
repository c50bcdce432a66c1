//! Retries and failover as a user of the `test-host` binary sees them: `chat --once
//! --json` lists every failed attempt in `attempts` (the plugin's retries and the models
//! that failed), and names the model that finally answered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::process::Output;

use serde_json::{Value, json};
use testkit::mock_router::MockRouter;
use testkit::mock_router::scenario::answer_for;

struct Env {
    _rt: tokio::runtime::Runtime,
    router: MockRouter,
    dir: tempfile::TempDir,
}

/// A mock router and a config whose plugin section has fast retries and no discovery
/// (so `mock/*` refs pass through unverified instead of racing the model list), plus
/// `agents` when given.
fn env(agents: Option<Value>) -> Env {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let router = rt.block_on(common::router());
    let dir = tempfile::tempdir().unwrap();
    let mut config = json!({
        "plugins": { "entries": { "huggingface": { "config": {
            "discovery": { "enabled": false },
            "retry": { "baseDelayMs": 10, "maxDelaySeconds": 0.2, "maxRetryAfterSeconds": 2 },
        } } } },
    });
    if let Some(agents) = agents {
        config["agents"] = agents;
    }
    std::fs::write(
        dir.path().join("openclaw.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();
    Env {
        _rt: rt,
        router,
        dir,
    }
}

impl Env {
    fn run(&self, args: &[&str]) -> Output {
        common::test_host(self.dir.path(), &self.router.base_url())
            .args(args)
            .output()
            .expect("run test-host")
    }
}

use common::json_of;

/// `attempts` as (model, error_kind, message).
fn attempts(v: &Value) -> Vec<(String, String, String)> {
    v["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("no attempts: {v}"))
        .iter()
        .map(|a| {
            (
                a["model"].as_str().unwrap().to_string(),
                a["error_kind"].as_str().unwrap().to_string(),
                a["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const FLAKY: &str = "huggingface/mock/fail-then-ok:2-500";

#[test]
fn retries_are_listed_in_attempts_before_the_answer() {
    // Two 500s, then the answer: the plugin retries invisibly and the host lists both
    // failures. (A 500 rather than the 503 "model is loading": that one asks for 42 s,
    // more than the policy waits, and is covered below.)
    let env = env(None);
    let out = env.run(&["chat", "--once", "hi", "--json", "--model", FLAKY]);
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["content"], answer_for("hi"));
    assert_eq!(v["model"], FLAKY);
    assert_eq!(v["finish_reason"], "stop");
    assert_eq!(v["served_by"], "hf-inference");
    let attempts = attempts(&v);
    assert_eq!(attempts.len(), 2, "{v}");
    for (model, kind, message) in &attempts {
        assert_eq!(model, FLAKY);
        assert_eq!(kind, "unavailable");
        assert_eq!(message, "Internal Server Error");
    }
}

#[test]
fn a_503_asking_for_longer_than_the_policy_waits_is_one_attempt() {
    let env = env(None);
    let model = "huggingface/mock/fail-then-ok:2-503";
    let out = env.run(&["chat", "--once", "hi", "--json", "--model", model]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "unavailable", "{v}");
    assert_eq!(v["error"]["status"], 503);
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("is currently loading"), "{v}");
    assert!(v["error"]["request_id"].is_string());
    assert_eq!(attempts(&v).len(), 1);
}

#[test]
fn retry_notices_go_to_stderr_in_text_mode() {
    let env = env(None);
    let out = env.run(&["chat", "--once", "hi", "--model", FLAKY]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        answer_for("hi")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for attempt in [1, 2] {
        assert!(
            err.contains(&format!("[retrying after attempt {attempt} in ")),
            "{err}"
        );
    }
    assert!(
        err.contains("unavailable: Internal Server Error (HTTP 500, request id mock-"),
        "{err}"
    );
    // The footer: model, backend, tokens, time.
    assert!(
        err.contains(&format!("{FLAKY} · via hf-inference · ")),
        "{err}"
    );
}

const PRIMARY: &str = "huggingface/mock/status:402";
const FALLBACK: &str = "huggingface/Qwen/Qwen3-8B";

fn failover_env(primary: &str) -> Env {
    env(Some(json!({ "defaults": { "model": {
        "primary": primary,
        "fallbacks": [FALLBACK],
    } } })))
}

#[test]
fn failover_answers_from_the_fallback_and_lists_the_failure() {
    let env = failover_env(PRIMARY);
    let out = env.run(&["chat", "--once", "fall back", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["content"], answer_for("fall back"));
    assert_eq!(v["model"], FALLBACK, "the fallback's ref");
    assert!(v["served_by"].is_string(), "{v}");
    let attempts = attempts(&v);
    assert_eq!(attempts.len(), 1, "{v}");
    let (model, kind, message) = &attempts[0];
    assert_eq!((model.as_str(), kind.as_str()), (PRIMARY, "billing"));
    assert!(
        message.contains("You have exceeded your monthly included credits"),
        "{message}"
    );
    let asked: Vec<String> = env
        .router
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .map(|r| r.json().unwrap()["model"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(asked, ["mock/status:402", "Qwen/Qwen3-8B"]);

    // In text mode the user gets a one-line notice that a fallback answered.
    let out = env.run(&["chat", "--once", "fall back"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        answer_for("fall back")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "[{PRIMARY} failed; answering with fallback {FALLBACK}]"
        )),
        "{err}"
    );
}

#[test]
fn no_failover_on_an_invalid_request() {
    let env = failover_env("huggingface/mock/status:422");
    let out = env.run(&["chat", "--once", "bad", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "invalid_request", "{v}");
    assert_eq!(v["error"]["status"], 422);
    let attempts = attempts(&v);
    assert_eq!(attempts.len(), 1, "{v}");
    assert_eq!(attempts[0].1, "invalid_request");
    assert!(
        env.router
            .requests()
            .iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("Qwen/Qwen3-8B")),
        "the fallback was never asked"
    );
}
