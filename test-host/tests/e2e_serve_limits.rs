//! `test-host serve` against abusive clients and signals: idle connections
//! past the open-file limit, headers sent a byte at a time, a body that never
//! ends, an idle keep-alive connection, SIGTERM while a request is half sent,
//! and Ctrl-C (once: answers finish; twice, or past the drain limit: stop).
//! Raw sockets, so the test controls every byte and can see when the server
//! closes the connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::net::SocketAddr;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::mock_router::{MockOptions, MockRouter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY: &str = "local-test-key";

/// The line serve logs, once, when the connection limit is first reached.
const LIMIT_LINE: &str = "connection limit reached";

/// A mock router, and `test-host serve` in front of it, its stderr in a file.
struct Serve {
    router: MockRouter,
    dir: tempfile::TempDir,
    child: Child,
    addr: SocketAddr,
}

impl Serve {
    async fn start(args: &[&str]) -> Serve {
        Serve::start_with_fd_limit(None, args).await
    }

    /// With `ulimit -n` lowered to `fd_limit` for the server process.
    async fn start_with_fd_limit(fd_limit: Option<u32>, args: &[&str]) -> Serve {
        let router = MockRouter::start(MockOptions::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = json!({
            "plugins": { "entries": { "huggingface": { "config": {
                "discovery": { "enabled": false },
                "retry": { "maxAttempts": 1 },
            } } } },
        });
        std::fs::write(dir.path().join("openclaw.json"), config.to_string()).unwrap();
        let mut command = common::test_host(dir.path(), &router.base_url());
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("OPENCLAW_HF_SERVE_KEY", KEY);
        if let Some(limit) = fd_limit {
            // The same program and arguments, under a shell that lowers the
            // limit first (`exec`: the pid stays the server's).
            let mut shell = std::process::Command::new("sh");
            shell
                .arg("-c")
                .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                .arg(command.get_program())
                .args(command.get_args());
            for (name, value) in command.get_envs() {
                match value {
                    Some(value) => shell.env(name, value),
                    None => shell.env_remove(name),
                };
            }
            command = shell;
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
            .spawn()
            .unwrap();
        let addr = common::serving_addr(&common::serving_url(&mut child))
            .parse()
            .unwrap();
        Serve {
            router,
            dir,
            child,
            addr,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit status, if the server exits within `limit`.
    async fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the log contains `text` (or 10 s passed); returns the log.
    async fn log_with(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(text) || Instant::now() > deadline {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/v1{path}", self.addr)
    }

    fn chats_seen(&self) -> usize {
        self.router
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/chat/completions")
            .count()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A streamed chat request, with a client that gives up after 30 s.
async fn stream(serve: &Serve, model: &str, prompt: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .post(serve.url("/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({
            "model": model,
            "messages": [{ "role": "user", "content": prompt }],
            "stream": true,
        }))
        .send()
        .await
        .unwrap()
}

/// How long until the server closes `stream` (a read sees the end or a
/// reset), reading and discarding whatever it sends; `None` if still open
/// after `limit`.
async fn closed_after(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Reads one HTTP/1.1 response with a Content-Length: (status, body).
async fn read_response(stream: &mut TcpStream) -> (u16, Vec<u8>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("a response within 10 s")
            .unwrap();
        assert!(n > 0, "closed before a response: {data:?}");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        data.extend_from_slice(&buf[..n]);
    }
    (status, data[head_end..head_end + length].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_past_the_fd_limit_do_not_stop_a_keyed_client() {
    let serve = Serve::start_with_fd_limit(Some(512), &[]).await;
    // Three times more idle connections than the server has descriptors.
    let mut idle = Vec::new();
    for i in 0..1500 {
        let connect = TcpStream::connect(serve.addr);
        let stream = tokio::time::timeout(Duration::from_secs(5), connect)
            .await
            .unwrap_or_else(|_| panic!("connection {i} was not accepted within 5 s"))
            .unwrap();
        idle.push(stream);
    }
    let started = Instant::now();
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(serve.url("/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the keyed client was not answered: {e}\n{}", serve.log()));
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        started.elapsed()
    );
    // A second wave: the limit is still logged once, not once per connection
    // or per second.
    for _ in 0..300 {
        idle.push(TcpStream::connect(serve.addr).await.unwrap());
    }
    let response = reqwest::Client::new()
        .get(serve.url("/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let log = serve.log();
    assert_eq!(log.matches(LIMIT_LINE).count(), 1, "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
    // The oldest idle connections were closed to make room.
    assert!(
        closed_after(&mut idle[0], Duration::from_secs(1))
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_a_byte_at_a_time_are_cut_off_at_the_header_timeout() {
    let serve = Serve::start(&["--header-timeout", "1"]).await;
    let stream = TcpStream::connect(serve.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        let head = format!(
            "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Pad: {}",
            "a".repeat(200)
        );
        for byte in head.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), reader.read(&mut buf)).await;
    let elapsed = started.elapsed();
    trickle.abort();
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "still open after 5 s: {read:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "closed after {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_and_an_idle_keep_alive_one_are_closed_at_their_limits() {
    let serve = Serve::start(&["--header-timeout", "1", "--idle-timeout", "2"]).await;
    // Connected, nothing sent: the header limit.
    let mut silent = TcpStream::connect(serve.addr).await.unwrap();
    let closed = closed_after(&mut silent, Duration::from_secs(5)).await;
    let closed = closed.expect("a silent connection still open after 5 s");
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_millis(1900), "{closed:?}");

    // One answered request, then quiet: the idle limit, longer.
    let mut kept = TcpStream::connect(serve.addr).await.unwrap();
    let request =
        format!("GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n");
    kept.write_all(request.as_bytes()).await.unwrap();
    let (status, _) = read_response(&mut kept).await;
    assert_eq!(status, 200);
    let closed = closed_after(&mut kept, Duration::from_secs(6)).await;
    let closed = closed.expect("an idle keep-alive connection still open after 6 s");
    assert!(closed >= Duration::from_millis(1900), "{closed:?}");
    assert!(closed < Duration::from_secs(4), "{closed:?}");

    // Reused within the limit, it serves the next request.
    let mut reused = TcpStream::connect(serve.addr).await.unwrap();
    for _ in 0..3 {
        reused.write_all(request.as_bytes()).await.unwrap();
        assert_eq!(read_response(&mut reused).await.0, 200);
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_ends_is_a_408_at_the_body_timeout() {
    let serve = Serve::start(&["--body-timeout", "1"]).await;
    let heads = [
        // A Content-Length the body never reaches.
        "Content-Length: 1000\r\n\r\n{\"model\": \"m\"",
        // A chunked body without its last chunk.
        "Transfer-Encoding: chunked\r\n\r\nc\r\n{\"model\": \"m\r\n",
    ];
    for head in heads {
        let mut stream = TcpStream::connect(serve.addr).await.unwrap();
        let request = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n{head}"
        );
        let started = Instant::now();
        stream.write_all(request.as_bytes()).await.unwrap();
        let (status, body) = read_response(&mut stream).await;
        let elapsed = started.elapsed();
        assert_eq!(status, 408, "{head}");
        assert!(
            elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
            "{elapsed:?}"
        );
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "request_timeout", "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("within 1 s"),
            "{body}"
        );
        // And the connection is closed: what is left of the body is not read
        // as a next request.
        assert!(
            closed_after(&mut stream, Duration::from_secs(2))
                .await
                .is_some()
        );
    }
    assert_eq!(serve.chats_seen(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_serve_at_once_while_requests_are_half_sent() {
    let mut serve = Serve::start(&[]).await;
    // Headers half sent.
    let mut headers = TcpStream::connect(serve.addr).await.unwrap();
    headers
        .write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Headers sent, the body half sent.
    let mut body = TcpStream::connect(serve.addr).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 500\r\n\r\n{{\"model\""
    );
    body.write_all(head.as_bytes()).await.unwrap();
    // An idle keep-alive connection.
    let mut idle = TcpStream::connect(serve.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    serve.signal("TERM");
    let status = serve.exit_within(Duration::from_secs(3)).await;
    let status =
        status.unwrap_or_else(|| panic!("still running 3 s after SIGTERM\n{}", serve.log()));
    assert!(status.success(), "{status:?}\n{}", serve.log());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The half-sent body was told why (no answer had started).
    let (status, answer) = read_response(&mut body).await;
    assert_eq!(status, 503);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["error"]["code"], "shutting_down", "{answer}");
    for stream in [&mut headers, &mut idle] {
        assert!(closed_after(stream, Duration::from_secs(1)).await.is_some());
    }
    assert_eq!(serve.chats_seen(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_lets_a_streamed_answer_finish_and_says_so() {
    let mut serve = Serve::start(&[]).await;
    let prompt = "one two three four five six seven eight";
    let response = stream(&serve, "mock/slow:100", prompt).await;
    assert_eq!(response.status(), 200);
    serve.signal("INT");
    let log = serve.log_with("finishing").await;
    assert!(
        log.contains("finishing 1 answer (Ctrl-C again to stop now)"),
        "{log}"
    );
    // Meanwhile no new connection is accepted.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(serve.addr).await.is_ok() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        TcpStream::connect(serve.addr).await.is_err(),
        "still accepting connections while finishing"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert!(text.contains("eight"), "{text}");
    let status = serve.exit_within(Duration::from_secs(5)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        serve.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_stops_at_once_and_cancels_the_answer_upstream() {
    let mut serve = Serve::start(&[]).await;
    let prompt = "a long answer ".repeat(20);
    let mut response = stream(&serve, "mock/slow:200", &prompt).await;
    assert_eq!(response.status(), 200);
    response.chunk().await.unwrap();
    serve.signal("INT");
    serve.log_with("finishing").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        serve.child.try_wait().unwrap().is_none(),
        "stopped at the first Ctrl-C"
    );
    let started = Instant::now();
    serve.signal("INT");
    let status = serve.exit_within(Duration::from_secs(3)).await;
    assert!(
        status.is_some(),
        "still running 3 s after the second Ctrl-C\n{}",
        serve.log()
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let log = serve.log();
    assert!(log.contains("stopping now"), "{log}");
    // The client saw the answer end without [DONE].
    let mut rest = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        rest.extend_from_slice(&chunk);
    }
    assert!(!String::from_utf8_lossy(&rest).contains("[DONE]"));
    let deadline = Instant::now() + Duration::from_secs(2);
    while serve.router.live_responses() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        serve.router.live_responses(),
        0,
        "the upstream answer went on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_after_sigterm_is_bounded() {
    let mut serve = Serve::start(&["--drain-timeout", "1"]).await;
    let prompt = "a long answer ".repeat(20);
    let mut response = stream(&serve, "mock/slow:200", &prompt).await;
    response.chunk().await.unwrap();
    let started = Instant::now();
    serve.signal("TERM");
    let status = serve.exit_within(Duration::from_secs(5)).await;
    assert!(
        status.is_some(),
        "still running 5 s after SIGTERM\n{}",
        serve.log()
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    let log = serve.log();
    assert!(log.contains("finishing 1 answer"), "{log}");
    assert!(log.contains("1 answer cut off"), "{log}");
}
