//! A reader that does not read holds the router back instead of filling the
//! host's memory: the real plugin, loaded through host-sdk, against the mock
//! router's `huge-body` answer (21 MiB, streamed in 64 KiB events).
//!
//! - Through host-sdk: a `ChatStream` left unread holds about the plugin's
//!   high-water mark (256 KiB) while the router's answer stays unfinished
//!   (its write blocked by TCP); reading again delivers every byte in order;
//!   dropping the stream while the plugin waits closes the router connection.
//! - Through `test-host serve`: 20 clients that ask for the stream and read
//!   nothing. Before, serve grew by the whole answer per client (546 MB in
//!   10 s, release); now it grows by about 1.7 MB per client and stays
//!   there (the plugin's queue holds 256 KiB of it, the rest is hyper's
//!   buffers on both sides of serve and serve's chunks). The figures are
//!   printed (`--nocapture`); the check is a generous bound on that growth
//!   (4 MiB a client, a sixth of one answer), on memory, not time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use host_sdk::{ChatEvent, ChatRequest, ChatStream, Message, Provider};
use serde_json::json;
use testkit::mock_router::MockRouter;
use testkit::mock_router::scenario::{HUGE_BODY_CONTENT_BYTES, HUGE_BODY_UNIT};

/// plugin-sdk's `BACKLOG_HIGH_WATER`: above it the plugin reads no further.
const HIGH_WATER: u64 = 256 * 1024;
/// What an unread stream may hold: the mark, one batch past it (64 KiB of
/// text plus the events of one read, here one 64 KiB event) and a wide
/// margin: 1 MiB, where the whole answer is 21.
const UNREAD_BOUND: u64 = 4 * HIGH_WATER;

fn huge_request() -> ChatRequest {
    ChatRequest {
        stream: true,
        ..ChatRequest::new("huggingface/mock/huge-body", vec![Message::user("big")])
    }
}

fn provider(router: &MockRouter, dir: &std::path::Path) -> Provider {
    common::provider(&common::settings(router, dir, json!({})))
}

/// Leaves `stream` unread for `how_long`, watching what it holds; the most
/// it held.
async fn leave_unread(stream: &ChatStream, how_long: Duration) -> u64 {
    let mut most = 0;
    let until = Instant::now() + how_long;
    while Instant::now() < until {
        most = most.max(stream.queued_bytes());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    most
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unread_stream_holds_the_router_back_then_delivers_everything_in_order() {
    let router = common::router().await;
    let dir = tempfile::tempdir().unwrap();
    let provider = provider(&router, dir.path());
    let mut stream = provider.complete(huge_request());

    let most = leave_unread(&stream, Duration::from_millis(1500)).await;
    println!(
        "unread for 1.5 s: at most {most} bytes queued in the host; router responses live: {}",
        router.live_responses()
    );
    assert!(
        most > HIGH_WATER / 2,
        "the plugin never filled the queue ({most} bytes): did the answer start?"
    );
    assert!(
        most <= UNREAD_BOUND,
        "{most} bytes queued unread: the plugin did not wait for the reader"
    );
    // The router is still writing: the plugin stopped reading, TCP held the rest.
    assert_eq!(router.live_responses(), 1, "the router finished its answer");

    let mut content = String::with_capacity(HUGE_BODY_CONTENT_BYTES);
    let mut done = false;
    while let Some(item) = stream.next().await {
        match item.unwrap() {
            ChatEvent::Content(text) => content.push_str(&text),
            ChatEvent::Done { .. } => done = true,
            _ => {}
        }
    }
    assert!(done);
    assert_eq!(content.len(), HUGE_BODY_CONTENT_BYTES);
    // In order: the unit repeated, never a piece out of place.
    assert!(
        content
            .as_bytes()
            .chunks(HUGE_BODY_UNIT.len())
            .all(|unit| unit == HUGE_BODY_UNIT.as_bytes()),
        "the content is not the unit repeated in order"
    );
    assert_eq!(stream.queued_bytes(), 0);
    assert_eq!(provider.in_flight(), 0);
}

/// The plugin's wait for the reader ends with the stream: dropped, the
/// completion is cancelled and the router connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_an_unread_stream_closes_the_router_connection() {
    let router = common::router().await;
    let dir = tempfile::tempdir().unwrap();
    let provider = provider(&router, dir.path());
    let stream = provider.complete(huge_request());
    let most = leave_unread(&stream, Duration::from_millis(800)).await;
    assert!(most > HIGH_WATER / 2, "{most}");
    assert_eq!(router.live_responses(), 1);

    drop(stream);
    let until = Instant::now() + Duration::from_secs(5);
    while router.live_responses() > 0 {
        assert!(Instant::now() < until, "the router connection stayed open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(provider.in_flight(), 0);
    common::assert_still_answers(&provider).await;
}

// ---- serve ----

const KEY: &str = "backpressure-key";
const CLIENTS: usize = 20;
/// What one client that reads nothing may add to serve's memory: generous
/// next to the 1.7 MB measured, a sixth of the answer each used to cost.
const GROWTH_PER_CLIENT_KIB: u64 = 4 * 1024;

struct Serve {
    child: Child,
    addr: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(router: &MockRouter, dir: &std::path::Path) -> Serve {
    let config = json!({ "plugins": { "entries": { "huggingface": { "config": {
        "discovery": { "enabled": false },
    } } } } });
    std::fs::write(dir.join("openclaw.json"), config.to_string()).unwrap();
    let mut child = common::test_host(dir, &router.base_url())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("OPENCLAW_HF_SERVE_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let addr = common::serving_addr(&common::serving_url(&mut child)).to_string();
    Serve { child, addr }
}

/// serve's resident memory now, in KiB.
fn rss_kib(serve: &Serve) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", serve.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// A streamed chat request for `model`, sent on a connection of its own.
fn ask(serve: &Serve, model: &str) -> TcpStream {
    let body = json!({
        "model": model,
        "messages": [{ "role": "user", "content": "big" }],
        "stream": true,
    })
    .to_string();
    let mut socket = TcpStream::connect(&serve.addr).unwrap();
    write!(
        socket,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        serve.addr,
        body.len()
    )
    .unwrap();
    socket
}

/// Reads a whole answer from `socket` (the server closes after it).
fn read_all(mut socket: TcpStream) -> String {
    use std::io::Read;
    let mut text = String::new();
    socket.read_to_string(&mut text).unwrap();
    text
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_under_twenty_unread_huge_streams_grows_by_megabytes_not_the_answers() {
    let router = common::router().await;
    let dir = tempfile::tempdir().unwrap();
    let serve = serve(&router, dir.path());

    // Idle: after one small answer, so the plugin's runtime, its HTTP client
    // and serve's first connection exist.
    let warm = tokio::task::spawn_blocking({
        let socket = ask(&serve, "Qwen/Qwen3-8B");
        move || read_all(socket)
    })
    .await
    .unwrap();
    assert!(warm.contains("data: [DONE]"), "{warm}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(&serve);

    let clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| ask(&serve, "mock/huge-body"))
        .collect();
    let mut peak = idle;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        peak = peak.max(rss_kib(&serve));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let live = router.live_responses();
    println!(
        "serve RSS: idle {:.1} MB, peak {:.1} MB over 5 s with {CLIENTS} clients reading nothing \
         of a 21 MiB stream ({:.2}x idle); router answers still being written: {live}",
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak as f64 / idle as f64,
    );
    assert_eq!(live, CLIENTS, "an answer was read to its end");
    assert!(
        peak - idle <= CLIENTS as u64 * GROWTH_PER_CLIENT_KIB,
        "serve grew from {idle} KiB idle to {peak} KiB under {CLIENTS} unread streams"
    );

    // Clients that leave end their completions upstream.
    drop(clients);
    let until = Instant::now() + Duration::from_secs(10);
    while router.live_responses() > 0 {
        assert!(Instant::now() < until, "answers left running upstream");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
