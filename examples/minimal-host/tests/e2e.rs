//! Third-party host integration: this example, a complete host that uses only
//! host-sdk, run as its own process against the real plugin and the mock
//! router.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::process::{Command, Output};

use testkit::mock_router::scenario::answer_for;
use testkit::mock_router::{MockOptions, MockRouter};

/// Runs it off the async runtime, which must keep serving the mock router.
async fn run(args: Vec<String>) -> Output {
    let exe = env!("CARGO_BIN_EXE_minimal-host");
    tokio::task::spawn_blocking(move || Command::new(exe).args(args).output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimal_host_loads_discovers_resolves_streams_and_shuts_down() {
    let router = MockRouter::start(MockOptions::default()).await.unwrap();
    // The real plugin's cdylib: a dev-dependency, so cargo built it for this run.
    let plugin = testkit::cdylib::plugin_path().unwrap();
    let plugin = plugin.to_string_lossy().into_owned();
    let out = run(vec![plugin, router.base_url()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("loaded huggingface ")
            && lines[0].ends_with(&format!("(interface {})", host_sdk::INTERFACE_VERSION)),
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

/// `--help` is an answer, not a usage error; the reasoning is told from the
/// answer; tool calls are printed, not an empty line (issue 19 item 20).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_reasoning_and_tool_calls_are_each_shown() {
    let out = run(vec!["--help".into()]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("usage: minimal-host"));

    let router = MockRouter::start(MockOptions::default()).await.unwrap();
    let plugin = testkit::cdylib::plugin_path().unwrap();
    let plugin = plugin.to_string_lossy().into_owned();
    let out = run(vec![plugin.clone(), router.base_url()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        format!(
            "thinking: {}\n",
            testkit::mock_router::scenario::REASONING_TEXT
        )
    );

    let out = run(vec![
        plugin,
        router.base_url(),
        "huggingface/mock/tool-calls".into(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(!stdout.contains("\n\n"), "an empty line: {stdout}");
    for (_, name, arguments) in testkit::mock_router::scenario::TOOL_CALLS {
        assert!(
            stdout.contains(&format!("\n[tool call {name}({arguments})]\n")),
            "{stdout}"
        );
    }
}
