//! Third-party host integration: `examples/minimal-host`, a complete host that
//! uses only host-sdk, built and run as its own process against the real
//! plugin and the mock router.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use test_host::mock_router::scenario::answer_for;

/// Builds `minimal-host` (same profile as this test, once) and returns its path.
fn minimal_host() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(build).clone()
}

fn build() -> PathBuf {
    let profile = common::profile_dir();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "-p", "minimal-host"]);
    if profile.file_name().and_then(|n| n.to_str()) == Some("release") {
        cmd.arg("--release");
    }
    assert!(
        cmd.status().unwrap().success(),
        "building minimal-host failed"
    );
    let exe = profile.join(format!("minimal-host{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.is_file(), "{} missing", exe.display());
    exe
}

/// Runs it off the async runtime, which must keep serving the mock router.
async fn run(args: Vec<String>) -> Output {
    let exe = minimal_host();
    tokio::task::spawn_blocking(move || Command::new(exe).args(args).output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimal_host_loads_discovers_resolves_streams_and_shuts_down() {
    let router = common::router().await;
    let plugin = common::plugin_path().to_string_lossy().into_owned();
    let out = run(vec![plugin, router.base_url()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("loaded huggingface ") && lines[0].contains("(interface 1."),
        "{stdout}"
    );
    let models: usize = lines[1].strip_suffix(" models").unwrap().parse().unwrap();
    assert!(models >= 10, "{stdout}");
    assert_eq!(
        lines[2],
        "resolved huggingface/deepseek-ai/DeepSeek-R1 as 'DeepSeek R1'"
    );
    assert_eq!(lines[3], "served by together");
    // The answer streamed to stdout, then usage and the end of the stream.
    assert!(stdout.contains(&answer_for("Hello!")), "{stdout}");
    assert!(stdout.contains(" tokens]"), "{stdout}");
    assert!(stdout.contains("[done: stop]"), "{stdout}");
    assert!(lines.last().unwrap().starts_with("shutdown: "), "{stdout}");
    // The reasoning went to stderr, as the example prints it.
    assert!(!stderr.trim().is_empty(), "no reasoning on stderr");

    // The router saw exactly one chat request, from the plugin's HTTP client.
    let chats = router
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .count();
    assert_eq!(chats, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimal_host_reports_a_bad_plugin_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("libnothing.so");
    let out = run(vec![
        missing.to_string_lossy().into_owned(),
        "http://127.0.0.1:9/v1".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("no such plugin file"),
        "{stderr}"
    );
}
