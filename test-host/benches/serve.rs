//! Streaming through `test-host serve` against streaming straight from the
//! mock router, in one run: what the OpenAI-compatible layer (HTTP in, the
//! loaded plugin, HTTP out) costs a client.
//!
//! ```sh
//! cargo bench -p test-host --bench serve            # add -- --json for one JSON object
//! ```
//!
//! Both sides read the same answers with the same client (reqwest, the SSE
//! events counted as they arrive). The direct side reads the mock router
//! itself, so it runs at the mock's own limit: the ratio says how close serve
//! gets to that limit, not how fast the plugin could go against a faster
//! server (`--bench streaming` measures that).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark: fail loudly

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::mock_router::{MockOptions, MockRouter};

const KEY: &str = "bench-key";

/// Words in the prompt: the mock echoes them, one streamed piece each.
const WORDS: usize = 20_000;
const ROUNDS: usize = 5;
const TTFT_SAMPLES: usize = 200;

struct Serve(Child, String);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(router: &MockRouter, dir: &std::path::Path) -> Serve {
    std::fs::write(
        dir.join("openclaw.json"),
        json!({ "plugins": { "entries": { "huggingface": { "config": {
            "discovery": { "enabled": false },
        } } } } })
        .to_string(),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_test-host"))
        .arg("--plugin")
        .arg(testkit::cdylib::plugin_path().unwrap())
        .arg("--config")
        .arg(dir.join("openclaw.json"))
        .arg("--state-dir")
        .arg(dir)
        .arg("--base-url")
        .arg(router.base_url())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("OPENCLAW_HF_SERVE_KEY", KEY)
        .env_remove("HF_TOKEN")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().strip_prefix("serving on ").unwrap().to_string();
    Serve(child, url)
}

/// Streams one answer; returns (content events, time to the first one, total).
async fn stream(client: &reqwest::Client, base: &str, prompt: &str) -> (usize, Duration, Duration) {
    let started = Instant::now();
    let mut response = client
        .post(format!("{base}/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({
            "model": "Qwen/Qwen3-8B",
            "messages": [{ "role": "user", "content": prompt }],
            "stream": true,
        }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let (mut events, mut first, mut pending) = (0usize, None, Vec::new());
    while let Some(bytes) = response.chunk().await.unwrap() {
        pending.extend_from_slice(&bytes);
        let mut start = 0;
        while let Some(end) = pending[start..].windows(2).position(|w| w == b"\n\n") {
            let event = &pending[start..start + end];
            if event.starts_with(b"data: {") && memfind(event, b"\"content\":\"") {
                events += 1;
                first.get_or_insert_with(|| started.elapsed());
            }
            start += end + 2;
        }
        pending.drain(..start);
    }
    (events, first.unwrap_or_default(), started.elapsed())
}

fn memfind(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let as_json = std::env::args().any(|a| a == "--json");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let router = rt
        .block_on(MockRouter::start(MockOptions {
            record_requests: false,
            ..MockOptions::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let served = serve(&router, dir.path());
    let client = reqwest::Client::new();
    let prompt: String = (0..WORDS).map(|i| format!("w{i} ")).collect();
    let direct_base = router.base_url();

    let (direct, via) = rt.block_on(async {
        // Warm both paths (connections, the plugin's runtime).
        stream(&client, &direct_base, "warm up").await;
        stream(&client, &served.1, "warm up").await;
        let (mut direct, mut via) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let (n, _, t) = stream(&client, &direct_base, &prompt).await;
            direct.push(n as f64 / t.as_secs_f64());
            let (n, _, t) = stream(&client, &served.1, &prompt).await;
            via.push(n as f64 / t.as_secs_f64());
        }
        (direct, via)
    });
    let (ttft_direct, ttft_via) = rt.block_on(async {
        let (mut d, mut v) = (Vec::new(), Vec::new());
        for _ in 0..TTFT_SAMPLES {
            d.push(stream(&client, &direct_base, "hi").await.1);
            v.push(stream(&client, &served.1, "hi").await.1);
        }
        (median(d), median(v))
    });
    let best = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (d, s) = (best(&direct), best(&via));
    if as_json {
        println!(
            "{}",
            json!({
                "tokens_per_s_direct": d,
                "tokens_per_s_serve": s,
                "ratio": s / d,
                "ttft_p50_ms_direct": ttft_direct.as_secs_f64() * 1e3,
                "ttft_p50_ms_serve": ttft_via.as_secs_f64() * 1e3,
            })
        );
    } else {
        println!("streaming {WORDS} tokens, best of {ROUNDS} rounds each, same client:");
        println!("  straight from the mock router  {d:>10.0} tokens/s");
        println!(
            "  through test-host serve        {s:>10.0} tokens/s   ratio {:.2}",
            s / d
        );
        println!(
            "time to first token, p50 of {TTFT_SAMPLES}: direct {:.3} ms, serve {:.3} ms (+{:.3} ms)",
            ttft_direct.as_secs_f64() * 1e3,
            ttft_via.as_secs_f64() * 1e3,
            (ttft_via.as_secs_f64() - ttft_direct.as_secs_f64()) * 1e3
        );
    }
}
