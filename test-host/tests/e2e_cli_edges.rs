//! The CLI at its edges, as a user or a script meets them: a stdout closed
//! early, a closed stderr, an empty model ref, a failed refresh, unknown catalog values, a
//! stream cut off mid-answer in `--json`, help texts; and the defects found
//! by using every command (issue 19): arguments refused before sending, a
//! base URL without `/v1`, float noise in costs, where `models` got its
//! list and which columns it hid, a stale list with discovery off, a swap
//! test between identical files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::mock_router::MockOptions;
use testkit::mock_router::scenario::ANSWER_PREFIX;

/// A mock router and a config with fast retries and no discovery.
fn home() -> common::Home {
    let home = common::Home::new(MockOptions::default());
    let config = json!({ "plugins": { "entries": { "huggingface": { "config": {
        "discovery": { "enabled": false },
        "retry": { "baseDelayMs": 10, "maxDelaySeconds": 0.2, "maxRetryAfterSeconds": 2 },
    } } } } });
    std::fs::write(home.dir.path().join("openclaw.json"), config.to_string()).unwrap();
    home
}

fn run(home: &common::Home, args: &[&str]) -> Output {
    common::test_host(home.dir.path(), &home.router.base_url())
        .args(args)
        .output()
        .unwrap()
}

fn chat_requests(home: &common::Home) -> usize {
    home.router
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count()
}

/// Runs the command with stdout piped, reads `keep` bytes, closes the pipe,
/// and returns the exit status and stderr.
fn with_stdout_closed_after(mut cmd: Command, keep: usize) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = vec![0u8; keep];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "still running after stdout closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let home = home();
    // `models --json` into a pipe closed before it writes: the whole catalog
    // fits in a pipe's buffer, so closing after a few bytes would race with
    // a clean exit.
    let mut cmd = common::test_host(home.dir.path(), &home.router.base_url());
    cmd.args(["models", "--json"]);
    let (code, err) = with_stdout_closed_after(cmd, 0);
    assert_eq!(code, Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // `chat --once … | head -c 100` on a 21 MiB answer: cancelled, not read to the end.
    let mut cmd = common::test_host(home.dir.path(), &home.router.base_url());
    cmd.args([
        "chat",
        "--once",
        "hi",
        "--model",
        "huggingface/mock/huge-body",
    ]);
    let (code, err) = with_stdout_closed_after(cmd, 100);
    assert_eq!(code, Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs the command with stderr a pipe whose reading end is already closed,
/// so every write to it fails; returns the exit code and stdout.
fn with_stderr_closed(mut cmd: Command) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::from(writer))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_closed_stderr_loses_the_diagnostics_not_the_command() {
    let home = home();
    // A turn that answers: the answer on stdout, its footer lost, exit 0.
    let mut cmd = common::test_host(home.dir.path(), &home.router.base_url());
    cmd.args([
        "chat",
        "--once",
        "hi",
        "--model",
        "huggingface/Qwen/Qwen3-8B",
    ]);
    let (code, out) = with_stderr_closed(cmd);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with(ANSWER_PREFIX), "{out}");

    // An error: its own exit code, not a panic's 101.
    let mut cmd = common::test_host(home.dir.path(), &home.router.base_url());
    cmd.args(["chat", "--once", "hi", "--model", ""]);
    let (code, out) = with_stderr_closed(cmd);
    assert_eq!(code, Some(1), "{out}");
}

#[test]
fn an_empty_model_ref_is_an_invalid_request_and_sends_nothing() {
    let home = home();
    for model in ["", "   "] {
        let out = run(&home, &["chat", "--once", "hi", "--model", model]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("invalid_request: empty model ref"), "{err}");

        let out = run(&home, &["chat", "--once", "hi", "--json", "--model", model]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let v = common::json_of(&out);
        assert_eq!(v["error"]["kind"], "invalid_request", "{v}");
        assert!(v.get("model").is_none(), "{v}");
    }
    // A blank fallback (the config validator refuses one in the file; a host
    // may pass one) is refused the same way, up front, through host-sdk.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let provider = common::provider(&common::settings(&home.router, dir.path(), json!({})));
    let mut stream = provider.complete_with_failover(
        host_sdk::ChatRequest::new(
            "huggingface/Qwen/Qwen3-8B",
            vec![host_sdk::Message::user("hi")],
        ),
        &["huggingface/Qwen/Qwen3-32B".into(), " ".into()],
    );
    let e = rt.block_on(stream.collect()).unwrap_err();
    assert_eq!(e.kind, host_sdk::ErrorKind::InvalidRequest, "{e}");
    assert!(
        e.message.contains("fallback 2 is an empty model ref"),
        "{e}"
    );
    assert_eq!(chat_requests(&home), 0, "nothing was sent");
}

#[test]
fn a_failed_refresh_still_prints_the_catalog_but_exits_non_zero() {
    let home = common::Home::new(MockOptions {
        require_token: Some("hf_not_the_one_we_send".into()),
        ..MockOptions::default()
    });
    let out = common::test_host(home.dir.path(), &home.router.base_url())
        .args(["models", "--refresh", "--json"])
        .env("HF_TOKEN", "hf_a_rejected_token_123")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let rows = common::json_of(&out);
    assert!(
        !rows.as_array().unwrap().is_empty(),
        "the catalog in memory"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not refresh the model list"), "{err}");
    assert!(
        err.contains("hint: the token used is HF_TOKEN (hf_a_…23)"),
        "{err}"
    );
}

#[test]
fn unknown_prices_and_tool_support_are_null_and_question_marks() {
    let home = common::Home::new(MockOptions::default());
    let out = common::test_host(home.dir.path(), &home.router.base_url())
        .args(["models", "--refresh", "--json"])
        .env("HF_TOKEN", "hf_any_token_will_do_0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let rows = common::json_of(&out);
    let rows = rows.as_array().unwrap();
    let priced = |r: &Value| {
        r["providers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["status"] == "live" && !b["pricing"].is_null())
    };
    let says_tools = |r: &Value| {
        r["providers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["status"] != "error" && !b["supports_tools"].is_null())
    };
    let unpriced: Vec<&Value> = rows
        .iter()
        .filter(|r| r["source"] == "discovered" && !priced(r))
        .collect();
    assert!(!unpriced.is_empty(), "the mock lists models without prices");
    for r in &unpriced {
        assert!(r["cost"].is_null(), "unknown price shown as a number: {r}");
    }
    let silent: Vec<&Value> = rows
        .iter()
        .filter(|r| r["source"] == "discovered" && !says_tools(r))
        .collect();
    assert!(
        !silent.is_empty(),
        "the mock lists models nobody states tools for"
    );
    for r in &silent {
        assert!(
            r["supports_tools"].is_null(),
            "unknown tools shown as known: {r}"
        );
    }
    // The table says `?` for the same models.
    let out = common::test_host(home.dir.path(), &home.router.base_url())
        .arg("models")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    let id = unpriced[0]["id"].as_str().unwrap();
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("huggingface/{id} ")))
        .unwrap_or_else(|| panic!("{id} not in {table}"));
    assert!(line.contains(" ? "), "{line}");
}

#[test]
fn a_cut_off_stream_keeps_what_arrived_in_json() {
    let home = home();
    let out = run(
        &home,
        &[
            "chat",
            "--once",
            "hi",
            "--json",
            "--model",
            "huggingface/mock/truncated",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = common::json_of(&out);
    assert_eq!(v["error"]["kind"], "network", "{v}");
    assert_eq!(v["content"], ANSWER_PREFIX, "{v}");
    assert_eq!(v["reasoning"], "", "{v}");
    assert_eq!(v["tool_calls"], json!([]), "{v}");
    assert!(v["attempts"].is_array(), "{v}");
}

#[test]
fn help_names_the_default_model_and_the_mock_router_says_what_it_accepts() {
    let help = Command::new(env!("CARGO_BIN_EXE_test-host"))
        .args(["chat", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout).replace(char::is_whitespace, "");
    assert!(
        text.contains("huggingface/deepseek-ai/DeepSeek-R1"),
        "{text}"
    );

    let mut router = Command::new(env!("CARGO_BIN_EXE_test-host"))
        .args(["mock-router", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(router.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    router.kill().unwrap();
    router.wait().unwrap();
    assert!(first.contains("it accepts any token"), "{first}");
}

#[test]
fn each_retry_is_said_once_and_colour_follows_the_flag() {
    let home = home();
    let out = run(
        &home,
        &[
            "chat",
            "--once",
            "hi",
            "--model",
            "huggingface/mock/fail-then-ok:2-500",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("[retrying after attempt").count(), 2, "{err}");
    assert!(!err.contains("WARN"), "log lines repeat the notices: {err}");

    // Piped stderr: no colour, so the reasoning is labelled; --color always dims it.
    let reasoning = [
        "chat",
        "--once",
        "hi",
        "--model",
        "huggingface/mock/reasoning-field",
    ];
    let out = run(&home, &reasoning);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("thinking: ") && !err.contains('\x1b'),
        "{err:?}"
    );
    let mut always = vec!["--color", "always"];
    always.extend(reasoning);
    let out = run(&home, &always);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\x1b[2m") && !err.contains("thinking: "),
        "{err:?}"
    );
}

/// Arguments a user gets wrong are refused before anything is sent: a
/// negative temperature is a value out of range, not an unknown argument;
/// an empty `--once` prompt would still be a billed call (issue 19 item 17).
#[test]
fn a_negative_temperature_and_an_empty_prompt_are_refused_before_sending() {
    let home = home();
    for args in [
        &["chat", "--temperature", "-1", "--once", "hi"][..],
        &["chat", "--temperature", "2.5", "--once", "hi"],
        &["chat", "--once", ""],
        &["chat", "--once", " \n "],
    ] {
        let out = run(&home, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
        let expected = if args.contains(&"--temperature") {
            "from 0 to 2"
        } else {
            "--once needs a prompt"
        };
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(chat_requests(&home), 0, "nothing was sent");
    let out = run(&home, &["chat", "--temperature", "0", "--once", "hi"]);
    assert!(out.status.success(), "{out:?}");
    let sent: Value = serde_json::from_slice(
        &home
            .router
            .requests()
            .iter()
            .find(|r| r.path.ends_with("/chat/completions"))
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(sent["temperature"], 0.0, "{sent}");
}

/// The router's API is under /v1: a base URL without it gets a bare 404
/// from every path, so the error says which URL to try (issue 19 item 17).
#[test]
fn a_base_url_without_v1_gets_a_hint_naming_the_url_to_try() {
    let home = home();
    let root = home.router.base_url().trim_end_matches("/v1").to_string();
    let with_root = |args: &[&str]| {
        common::test_host(home.dir.path(), &root)
            .args(args)
            .output()
            .unwrap()
    };
    let hint = format!("try --base-url {root}/v1");
    let out = with_root(&["chat", "--once", "hi"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("404") && err.contains("hint: the router's API is under /v1"),
        "{err}"
    );
    assert!(err.contains(&hint), "{err}");

    let v = common::json_of(&with_root(&["chat", "--once", "hi", "--json"]));
    assert!(v["error"]["hint"].as_str().unwrap().contains(&hint), "{v}");

    let config = json!({ "plugins": { "entries": { "huggingface": { "config": {
        "discovery": { "enabled": true },
    } } } } });
    std::fs::write(home.dir.path().join("openclaw.json"), config.to_string()).unwrap();
    let out = with_root(&["models", "--refresh"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&hint), "{err}");

    // With /v1, no hint.
    let out = run(
        &home,
        &[
            "chat",
            "--once",
            "hi",
            "--model",
            "huggingface/mock/status-404",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("404") && !err.contains("hint"), "{err}");
}

/// `cost_usd` is the sum of two products of binary floats: printed whole it
/// carried their noise (`0.00010800000000000001` for this answer).
#[test]
fn json_costs_carry_no_float_noise() {
    let home = home();
    let out = run(
        &home,
        &[
            "chat",
            "--once",
            "hi",
            "--json",
            "--model",
            "huggingface/deepseek-ai/DeepSeek-R1",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"cost_usd\": 0.000108,"), "{text}");
}

/// `models` says where its rows came from and how to fetch the router's
/// list, and a built-in row's backends are unknown (`?`), not none
/// (issue 19 item 11).
#[test]
fn models_says_where_the_list_came_from() {
    let home = common::Home::new(MockOptions::default());
    let models = |config: Value| {
        std::fs::write(home.dir.path().join("openclaw.json"), config.to_string()).unwrap();
        let out = run(&home, &["models"]);
        assert!(out.status.success(), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (table, note) = models(json!({}));
    assert!(
        note.contains("10 models: the built-in list; the router's list has not been fetched")
            && note.contains("`test-host models --refresh` fetches it"),
        "{note}"
    );
    let r1 = table
        .lines()
        .find(|l| l.starts_with("huggingface/deepseek-ai/DeepSeek-R1 "))
        .unwrap();
    assert!(r1.ends_with(" ?"), "{r1}");
    // gpt-oss has a price: a built-in model is never shown as free.
    let oss = table
        .lines()
        .find(|l| l.starts_with("huggingface/openai/gpt-oss-120b "))
        .unwrap();
    assert!(!oss.contains(" 0/0 "), "{oss}");

    let out = common::test_host(home.dir.path(), &home.router.base_url())
        .args(["models", "--refresh"])
        .env("HF_TOKEN", "hf_any_token_will_do_0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (_, note) = models(json!({}));
    assert!(note.contains("the router's list as last saved"), "{note}");

    let off = json!({ "plugins": { "entries": { "huggingface": { "config": {
        "discovery": { "enabled": false },
    } } } } });
    let (table, note) = models(off);
    assert!(note.contains("discovery is off in the config"), "{note}");
    assert_eq!(table.lines().count(), 11, "the built-in list only: {table}");
}

/// With discovery switched off, a list saved while it was on (and never
/// refreshed since) refuses no ref: the model goes to the router
/// (issue 19 item 15).
#[test]
fn with_discovery_off_a_stale_saved_list_refuses_no_ref() {
    let home = common::Home::new(MockOptions::default());
    let out = common::test_host(home.dir.path(), &home.router.base_url())
        .args(["models", "--refresh"])
        .env("HF_TOKEN", "hf_any_token_will_do_0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let unlisted = "huggingface/someone/Listed-After-The-Save";
    let out = run(
        &home,
        &["chat", "--once", "hi", "--json", "--model", unlisted],
    );
    assert_eq!(common::json_of(&out)["error"]["kind"], "model_not_found");
    assert_eq!(chat_requests(&home), 0);

    let off = json!({ "plugins": { "entries": { "huggingface": { "config": {
        "discovery": { "enabled": false },
    } } } } });
    std::fs::write(home.dir.path().join("openclaw.json"), off.to_string()).unwrap();
    run(
        &home,
        &["chat", "--once", "hi", "--json", "--model", unlisted],
    );
    assert_eq!(chat_requests(&home), 1, "the ref went to the router");
}

/// At 80 columns the 300-model list fits only its refs: the hidden columns
/// are named (issue 19 item 12).
#[test]
fn a_narrow_terminal_names_the_columns_it_hid() {
    let home = common::Home::new(MockOptions::default());
    let out = common::test_host(home.dir.path(), &home.router.base_url())
        .args(["models", "--refresh"])
        .env("HF_TOKEN", "hf_any_token_will_do_0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut command = common::test_host(home.dir.path(), &home.router.base_url());
    command.arg("models");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("stty cols 80 rows 40; exec \"$@\"")
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args())
        .env_remove("COLUMNS");
    let options = rexpect::reader::Options::new()
        .timeout_ms(Some(30_000))
        .strip_ansi_escape_codes(true);
    let mut p = rexpect::session::spawn_with_options(cmd, options).unwrap();
    p.exp_string(
        "hidden to fit 80 columns: a wider terminal shows them, `models --json` has every field",
    )
    .unwrap();
    p.exp_eof().unwrap();
}

/// `swap-test --to` the plugin it starts with would swap one library for
/// itself and pass having tested nothing (issue 19 item 20).
#[test]
fn swap_test_refuses_two_files_with_the_same_bytes() {
    let home = home();
    let copy = home.dir.path().join("copy.so");
    std::fs::copy(common::plugin_path(), &copy).unwrap();
    let out = run(
        &home,
        &[
            "swap-test",
            "--to",
            copy.to_str().unwrap(),
            "--duration",
            "1",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("has the same bytes as"), "{err}");
}
