//! Secret hygiene: with tracing at TRACE and a recognisable fake token, run
//! the end-to-end scenarios and check the token appears in no captured log
//! line (host or plugin), no error message, no `Debug` output and no file the
//! plugin wrote. Its own test binary, so the TRACE subscriber sees everything.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use host_sdk::{ChatRequest, HostContext, Message};
use serde_json::json;
use testkit::mock_router::{MockOptions, MockRouter};

const TOKEN: &str = "hf_SECRETtokenDoNotLeak0123456789";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "the token leaked into {what}");
    // A partial leak (e.g. a prefix shown for recognition) is also a leak.
    assert!(
        !text.contains(&TOKEN[3..20]),
        "part of the token leaked into {what}"
    );
}

#[test]
fn the_token_never_leaks() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let router = rt
        .block_on(MockRouter::start(MockOptions {
            require_token: Some(TOKEN.into()),
            ..MockOptions::default()
        }))
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let plugin = common::plugin();
    let mut texts = Vec::new();

    // Settings errors echo values back: make one carry the token.
    let e = host_sdk::Provider::new(
        &plugin,
        HostContext::new("secrets", "0"),
        &json!({ "apiKey": TOKEN, "baseUrl": "ftp://x", "billTo": "a b" }),
    )
    .unwrap_err();
    texts.push(("a settings error", format!("{e} {e:?}")));

    let settings = common::settings(
        &router,
        state.path(),
        json!({ "apiKey": TOKEN, "discovery": { "enabled": true } }),
    );
    let provider =
        host_sdk::Provider::new(&plugin, HostContext::new("secrets", "0"), &settings).unwrap();
    texts.push(("Debug of the provider", format!("{provider:?} {plugin:?}")));
    let report = rt
        .block_on(provider.refresh(Duration::from_secs(10)))
        .unwrap();
    texts.push(("a refresh report", format!("{report:?}")));

    for model in [
        "huggingface/Qwen/Qwen3-8B",
        "huggingface/mock/status:401",
        "huggingface/mock/status:403",
        "huggingface/mock/rate-limit-no-retry-after",
        "huggingface/mock/stream-error",
        "huggingface/mock/reset-mid",
        "huggingface/mock/tool-calls",
    ] {
        let r = provider.complete_blocking(ChatRequest::new(model, vec![Message::user("hi")]));
        texts.push(("a completion result", format!("{r:?}")));
        if let Err(e) = r {
            texts.push(("an error message", e.to_string()));
        }
    }
    // A wrong token: the router's 401 must not echo ours either.
    let wrong = host_sdk::Provider::new(
        &plugin,
        HostContext::new("secrets", "0"),
        &common::settings(
            &router,
            state.path(),
            json!({ "apiKey": format!("{TOKEN}x") }),
        ),
    )
    .unwrap();
    let e = wrong
        .complete_blocking(ChatRequest::new(
            "huggingface/Qwen/Qwen3-8B",
            vec![Message::user("x")],
        ))
        .unwrap_err();
    texts.push(("a 401 error", format!("{e} {e:?}")));
    plugin.shutdown(Duration::from_secs(5));

    for (what, text) in &texts {
        assert_clean(what, text);
    }
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("huggingface_provider"),
        "plugin logs were not captured at TRACE: {} bytes",
        logs.len()
    );
    assert_clean("the TRACE logs", &logs);
    for entry in walk(state.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert_clean(
            &format!("the file {}", entry.display()),
            &String::from_utf8_lossy(&bytes),
        );
    }
    // The router really received it: the test would prove nothing otherwise.
    assert!(
        router
            .requests()
            .iter()
            .any(|r| r.header("authorization") == Some(format!("Bearer {TOKEN}").as_str()))
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// An `auth` error in the CLI says which token was used — masked — and how to
/// replace it, and neither stream shows the token itself.
#[test]
fn the_auth_hint_names_the_token_source_but_never_the_token() {
    let home = common::Home::new(MockOptions {
        require_token: Some("hf_the_only_accepted_token".into()),
        ..MockOptions::default()
    });
    // `common::test_host` uses the home directory as the state dir.
    let state = home.dir.path().to_path_buf();
    std::fs::write(
        state.join("auth-profiles.json"),
        json!({ "version": 1, "profiles": { "huggingface:default": {
            "type": "api_key", "provider": "huggingface", "key": TOKEN } } })
        .to_string(),
    )
    .unwrap();
    let run = |json: bool, env_token: bool| {
        let mut cmd = common::test_host(home.dir.path(), &home.router.base_url());
        cmd.args([
            "chat",
            "--once",
            "hi",
            "--model",
            "huggingface/Qwen/Qwen3-8B",
        ]);
        if json {
            cmd.arg("--json");
        }
        if env_token {
            cmd.env("HF_TOKEN", "hf_from_the_environment_0123");
        }
        cmd.output().unwrap()
    };
    let out = run(false, true);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auth: "), "{err}");
    assert!(
        err.contains(
            "hint: the token used is the saved one (hf_SE…89, auth profile huggingface:default in "
        ) && err.contains("auth-profiles.json")
            && err.contains("run `test-host onboard` to replace it")
            && err.contains("HF_TOKEN is set but a saved token comes first"),
        "{err}"
    );
    assert_clean("the CLI's stderr", &err);
    assert_clean("the CLI's stdout", &String::from_utf8_lossy(&out.stdout));

    let out = run(true, false);
    let v = common::json_of(&out);
    assert_eq!(v["error"]["kind"], "auth", "{v}");
    let hint = v["error"]["hint"].as_str().unwrap();
    assert!(hint.contains("auth profile huggingface:default"), "{hint}");
    assert_clean("the CLI's JSON", &v.to_string());
}
