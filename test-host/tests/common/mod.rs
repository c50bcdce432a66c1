//! Shared pieces of the end-to-end tests: find the real plugin cargo built
//! for this run, load it through host-sdk, and start the mock router on
//! 127.0.0.1.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code: failing loudly is the point
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use host_sdk::{HostContext, Plugin, Provider};
use serde_json::{Value, json};
use testkit::mock_router::{MockOptions, MockRouter};

/// The real plugin's cdylib, which cargo built before this test (it is a
/// dev-dependency of test-host). Fails the test — never skips — when missing.
pub fn plugin_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| testkit::cdylib::plugin_path().unwrap_or_else(|e| panic!("{e}")))
}

/// The plugin, loaded through host-sdk.
pub fn plugin() -> Plugin {
    Plugin::load(plugin_path()).expect("load the plugin")
}

/// A mock router with default options.
pub async fn router() -> MockRouter {
    MockRouter::start(MockOptions::default())
        .await
        .expect("start the mock router")
}

/// Settings pointing at `router`, with no token, discovery off, a fresh state
/// dir and fast retries; `extra` is merged on top.
pub fn settings(router: &MockRouter, state_dir: &Path, extra: Value) -> Value {
    let mut base = json!({
        "baseUrl": router.base_url(),
        "stateDir": state_dir,
        "discovery": { "enabled": false },
        "retry": { "baseDelayMs": 10, "maxDelaySeconds": 0.2, "maxRetryAfterSeconds": 2 },
    });
    merge(&mut base, extra);
    base
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

/// A mock router on its own runtime, and a temporary home for the files a
/// `test-host` run writes (config, state); for tests that drive the CLI.
pub struct Home {
    _rt: tokio::runtime::Runtime,
    pub router: MockRouter,
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new(options: MockOptions) -> Home {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let router = rt.block_on(MockRouter::start(options)).unwrap();
        Home {
            _rt: rt,
            router,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("openclaw.json")
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }
}

/// Asserts that `provider` still answers a plain chat correctly: what a
/// fault test checks once the fault has passed.
pub async fn assert_still_answers(provider: &Provider) {
    let ok = provider
        .complete(host_sdk::ChatRequest::new(
            "huggingface/Qwen/Qwen3-8B",
            vec![host_sdk::Message::user("after")],
        ))
        .collect()
        .await
        .expect("a plain chat after the fault");
    assert_eq!(
        ok.content,
        testkit::mock_router::scenario::answer_for("after")
    );
}

/// A provider from the loaded plugin.
pub fn provider(settings: &Value) -> Provider {
    host_sdk::Provider::new(&plugin(), HostContext::new("e2e", "0"), settings)
        .expect("create the provider")
}

/// The `test-host` binary with the test plugin, its config and state in
/// `dir`, the router at `base_url`, and no token, gateway path or log filter
/// inherited from the environment.
pub fn test_host(dir: &Path, base_url: &str) -> std::process::Command {
    test_host_with_plugin(dir, base_url, plugin_path())
}

/// [`test_host`] with another plugin file.
pub fn test_host_with_plugin(dir: &Path, base_url: &str, plugin: &Path) -> std::process::Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_test-host"));
    cmd.arg("--plugin")
        .arg(plugin)
        .arg("--config")
        .arg(dir.join("openclaw.json"))
        .arg("--state-dir")
        .arg(dir)
        .arg("--base-url")
        .arg(base_url);
    for var in [
        "HF_TOKEN",
        "HUGGINGFACE_HUB_TOKEN",
        "OPENCLAW_CONFIG_PATH",
        "OPENCLAW_STATE_DIR",
        "OPENCLAW_HF_SERVE_KEY",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// The base URL a started `test-host serve` announces on its first line
/// (`serving on http://ADDR/v1`); panics on any other first line.
pub fn serving_url(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("serve's stdout is piped"))
        .read_line(&mut line)
        .expect("read serve's first line");
    line.trim()
        .strip_prefix("serving on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string()
}

/// The `ADDR` of a base URL `http://ADDR/v1`.
pub fn serving_addr(url: &str) -> &str {
    url.strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/v1"))
        .unwrap_or_else(|| panic!("not a serve URL: {url:?}"))
}

/// A command's stdout as JSON; the failure shows stdout and stderr.
pub fn json_of(out: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
