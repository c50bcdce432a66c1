//! An upstream that echoes the token back (a misbehaving proxy or backend,
//! issue 19 item 8): whatever `Authorization: Bearer …` it receives, it puts
//! into `x-request-id`, `x-inference-provider`, error bodies, in-stream error
//! events and the model list's error. The token must reach no client of
//! serve (headers, the completion id, error bodies and events), no `chat
//! --once` output (text or JSON), no `models --refresh` output and no log
//! line at TRACE. The mock router never echoes, so the upstream is this
//! file's own: a few lines of HTTP/1.1 over a std listener.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Output, Stdio};

use serde_json::{Value, json};

const TOKEN: &str = "hf_EchoedTokenMustNotLeak0123456789";

/// Neither the token nor a telling piece of it.
fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(TOKEN),
        "the token leaked into {what}:\n{text}"
    );
    assert!(
        !text.contains(&TOKEN[3..14]),
        "part of the token leaked into {what}:\n{text}"
    );
}

/// The echoing upstream on 127.0.0.1; its base URL ends in `/v1`.
struct Echo {
    base_url: String,
}

impl Echo {
    fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || answer(stream));
            }
        });
        Echo { base_url }
    }
}

/// One request, one answer, then the connection closes.
fn answer(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let (mut length, mut echoed) = (0, String::new());
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap(),
            "authorization" => echoed = value.trim().trim_start_matches("Bearer ").to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let stream_asked = body["stream"].as_bool().unwrap_or(false);
    let t = &echoed;
    let (status, content_type, text) = if request_line.starts_with("GET /v1/models") {
        (
            500,
            "application/json",
            json!({ "error": format!("{t} may not list models") }).to_string(),
        )
    } else {
        match body["model"].as_str().unwrap_or_default() {
            "echo/auth" => (
                401,
                "application/json",
                json!({ "error": format!("invalid credentials: Bearer {t}") }).to_string(),
            ),
            "echo/busy" => (
                503,
                "application/json",
                json!({ "error": format!("overloaded (token {t})") }).to_string(),
            ),
            "echo/stream-error" => (
                200,
                "text/event-stream",
                format!(
                    "data: {{\"choices\":[{{\"delta\":{{\"content\":\"partial\"}}}}]}}\n\n\
                     data: {{\"error\":{{\"message\":\"backend failed for {t}\",\"type\":\"server_error\"}}}}\n\n"
                ),
            ),
            _ if stream_asked => (
                200,
                "text/event-stream",
                "data: {\"choices\":[{\"delta\":{\"content\":\"hello\"},\"finish_reason\":\"stop\"}]}\n\n\
                 data: [DONE]\n\n"
                    .to_string(),
            ),
            _ => (
                200,
                "application/json",
                json!({ "choices": [{ "message": { "role": "assistant", "content": "hello" },
                                      "finish_reason": "stop" }] })
                .to_string(),
            ),
        }
    };
    let head = format!(
        "HTTP/1.1 {status} Echo\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         x-request-id: {t}\r\nx-inference-provider: {t}-backend\r\nx-error-message: {t}\r\n\
         connection: close\r\n\r\n",
        text.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(text.as_bytes());
}

/// A home with the token saved as the user's, and a config with fast,
/// few retries; discovery as given.
fn home(discovery: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openclaw.json"),
        json!({ "plugins": { "entries": { "huggingface": { "config": {
            "discovery": { "enabled": discovery },
            "retry": { "maxAttempts": 2, "baseDelayMs": 5, "maxDelaySeconds": 0.05 },
        } } } } })
        .to_string(),
    )
    .unwrap();
    let store = dir.path().join("auth-profiles.json");
    std::fs::write(
        &store,
        json!({ "version": 1, "profiles": { "huggingface:default": {
            "type": "api_key", "provider": "huggingface", "key": TOKEN } } })
        .to_string(),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&store, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    dir
}

/// `test-host ARGS` at TRACE, everything it wrote.
fn run(dir: &std::path::Path, echo: &Echo, args: &[&str]) -> Output {
    common::test_host(dir, &echo.base_url)
        .env("RUST_LOG", "trace")
        .args(args)
        .output()
        .unwrap()
}

fn assert_output_clean(what: &str, out: &Output) {
    assert_clean(
        &format!("{what}'s stdout"),
        &String::from_utf8_lossy(&out.stdout),
    );
    assert_clean(
        &format!("{what}'s stderr"),
        &String::from_utf8_lossy(&out.stderr),
    );
}

#[test]
fn chat_once_and_models_never_show_an_echoed_token() {
    let echo = Echo::start();
    let dir = home(false);
    for model in ["echo/ok", "echo/auth", "echo/busy", "echo/stream-error"] {
        let model = format!("huggingface/{model}");
        for json in [false, true] {
            let mut args = vec!["chat", "--once", "hi", "--model", &model];
            if json {
                args.push("--json");
            }
            let out = run(dir.path(), &echo, &args);
            assert_output_clean(&format!("chat --once {model} (json: {json})"), &out);
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            // The test proves something only if the echo reached the output.
            assert!(all.contains("<redacted>"), "{model}: {all}");
            if json && model.ends_with("/ok") {
                assert_eq!(common::json_of(&out)["content"], "hello");
            }
        }
    }
    let out = run(home(true).path(), &echo, &["models", "--refresh"]);
    assert_output_clean("models --refresh", &out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("<redacted> may not list models"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `test-host serve` in front of the echoing upstream, logging at TRACE.
struct Served {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Served {
    fn start(echo: &Echo) -> Served {
        let dir = home(false);
        let mut child = common::test_host(dir.path(), &echo.base_url)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("OPENCLAW_HF_SERVE_KEY", "local-key")
            .env("RUST_LOG", "trace")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
            .spawn()
            .unwrap();
        let base = common::serving_url(&mut child);
        Served { child, base, dir }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_passes_no_echoed_token_to_its_clients_or_its_log() {
    let echo = Echo::start();
    let served = Served::start(&echo);
    let client = reqwest::Client::new();
    let mut seen = String::new();
    for model in ["echo/ok", "echo/auth", "echo/busy", "echo/stream-error"] {
        for stream in [false, true] {
            let response = client
                .post(format!("{}/chat/completions", served.base))
                .bearer_auth("local-key")
                .json(&json!({
                    "model": format!("huggingface/{model}"),
                    "messages": [{ "role": "user", "content": "hi" }],
                    "stream": stream,
                }))
                .send()
                .await
                .unwrap();
            let headers = format!("{:?}", response.headers());
            let body = response.text().await.unwrap();
            let what = format!("serve's answer for {model} (stream: {stream})");
            assert_clean(&what, &headers);
            assert_clean(&what, &body);
            seen.push_str(&headers);
            seen.push_str(&body);
        }
    }
    // The echo reached serve, and came out redacted: in the request id
    // header, the completion id, error bodies and the in-stream error event.
    for shown in [
        "\"x-request-id\": \"<redacted>\"",
        "\"id\":\"chatcmpl-<redacted>\"",
        "invalid credentials: Bearer <redacted>",
        "backend failed for <redacted>",
    ] {
        assert!(seen.contains(shown), "{shown} not in:\n{seen}");
    }
    let log = std::fs::read_to_string(served.dir.path().join("serve.log")).unwrap();
    assert!(
        log.contains("huggingface_provider"),
        "no plugin log at TRACE:\n{log}"
    );
    assert_clean("serve's log", &log);
}
