//! End to end through the `test-host` binary: the CLI loads the real plugin
//! and talks to the mock router on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::process::{Command, Output};

use serde_json::Value;
use testkit::mock_router::MockRouter;
use testkit::mock_router::scenario::{REASONING_TEXT, answer_for};

struct Env {
    _rt: tokio::runtime::Runtime,
    router: MockRouter,
    dir: tempfile::TempDir,
}

fn env() -> Env {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let router = rt.block_on(common::router());
    Env {
        _rt: rt,
        router,
        dir: tempfile::tempdir().unwrap(),
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

#[test]
fn plugin_info_prints_the_interface_version() {
    let env = env();
    let out = env.run(&["plugin-info", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["provider_id"], "huggingface");
    assert_eq!(v["interface_version"], host_sdk::INTERFACE_VERSION);
    let out = env.run(&["plugin-info"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("interface version:"), "{text}");
}

#[test]
fn chat_once_json_has_every_documented_field() {
    let env = env();
    let out = env.run(&["chat", "--once", "hi", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v = json_of(&out);
    assert_eq!(v["model"], "huggingface/deepseek-ai/DeepSeek-R1");
    assert_eq!(v["served_by"], "together");
    assert!(v["request_id"].is_string());
    assert_eq!(v["content"], answer_for("hi"));
    assert_eq!(v["reasoning"], REASONING_TEXT);
    assert_eq!(v["tool_calls"], Value::Array(vec![]));
    assert_eq!(v["finish_reason"], "stop");
    for key in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        assert!(v["usage"][key].is_u64(), "{key}: {v}");
    }
    assert!(v["cost_usd"].is_number(), "{v}");
    assert_eq!(v["attempts"], Value::Array(vec![]));
}

#[test]
fn chat_failure_prints_a_typed_error_and_exits_non_zero() {
    let env = env();
    let out = env.run(&[
        "chat",
        "--once",
        "hi",
        "--json",
        "--model",
        "huggingface/mock/status:402",
    ]);
    assert!(!out.status.success());
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "billing", "{v}");
    assert_eq!(v["error"]["status"], 402);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("credits"),
        "{v}"
    );
    assert_eq!(v["attempts"].as_array().unwrap().len(), 1);
}

#[test]
fn chat_streams_text_to_stdout() {
    let env = env();
    let out = env.run(&[
        "chat",
        "--once",
        "hello",
        "--model",
        "huggingface/Qwen/Qwen3-8B",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        answer_for("hello")
    );
}

#[test]
fn models_json_lists_the_catalog() {
    let env = env();
    let out = env.run(&["models", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let rows = json_of(&out);
    let rows = rows.as_array().unwrap();
    let r1 = rows
        .iter()
        .find(|r| r["id"] == "deepseek-ai/DeepSeek-R1")
        .expect("DeepSeek-R1 listed");
    assert_eq!(r1["ref"], "huggingface/deepseek-ai/DeepSeek-R1");
    for key in [
        "name",
        "context_window",
        "max_tokens",
        "cost",
        "reasoning",
        "input",
        "live",
        "supports_tools",
        "source",
        "providers",
    ] {
        assert!(r1.get(key).is_some(), "{key} missing: {r1}");
    }
}

#[test]
fn a_missing_plugin_is_one_clear_line() {
    let env = env();
    let out = Command::new(env!("CARGO_BIN_EXE_test-host"))
        .args([
            "--plugin",
            "/nonexistent/libhuggingface_provider.so",
            "plugin-info",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("/nonexistent/libhuggingface_provider.so: no such plugin file"),
        "{err}"
    );
    drop(env);
}

#[test]
fn models_refresh_shows_the_discovered_catalog() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let token = "hf_e2e_cli_refresh";
    let router = rt
        .block_on(MockRouter::start(testkit::mock_router::MockOptions {
            require_token: Some(token.into()),
            ..Default::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_test-host"))
            .arg("--plugin")
            .arg(common::plugin_path())
            .arg("--config")
            .arg(dir.path().join("openclaw.json"))
            .arg("--state-dir")
            .arg(dir.path())
            .arg("--base-url")
            .arg(router.base_url())
            .args(args)
            .env("HF_TOKEN", token)
            .env_remove("HUGGINGFACE_HUB_TOKEN")
            .output()
            .unwrap()
    };
    let out = run(&["models", "--refresh", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let rows = json_of(&out);
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 300, "{} rows", rows.len());
    let r1 = rows
        .iter()
        .find(|r| r["id"] == "deepseek-ai/DeepSeek-R1")
        .unwrap();
    assert_eq!(r1["source"], "both");
    assert_eq!(r1["live"], true);
    assert_eq!(r1["providers"].as_array().unwrap().len(), 3);

    let out = run(&["models"]);
    let table = String::from_utf8_lossy(&out.stdout);
    let header = table.lines().next().unwrap();
    for column in [
        "REF",
        "NAME",
        "CONTEXT",
        "MAX OUT",
        "$ IN/OUT",
        "REASONING",
        "TOOLS",
        "LIVE/ALL",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(
        table.contains("huggingface/deepseek-ai/DeepSeek-R1"),
        "{table}"
    );
}
