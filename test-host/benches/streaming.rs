//! The streaming benchmark: in ONE process and one run, against the mock
//! router on 127.0.0.1 streaming at full speed, the same chats through the
//! loaded plugin and through a minimal raw reqwest + SSE client (no ABI, no
//! events), the time a cancellation takes, then 500 concurrent streams through
//! the plugin.
//!
//! ```sh
//! cargo bench -p test-host --bench streaming             # table
//! cargo bench -p test-host --bench streaming -- --json   # for run-to-run comparison
//! cargo bench -p test-host --bench streaming -- --soak 10000
//! ```
#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark that cannot set up should stop loudly

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use host_sdk::{ChatEvent, ChatRequest, HostContext, Message, Plugin, Provider};
use serde_json::json;
use testkit::mock_router::{MockOptions, MockRouter};

struct Options {
    json: bool,
    soak: Option<usize>,
    words: usize,
    rounds: usize,
    chats_per_round: usize,
    ttft_samples: usize,
    streams: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
    };
    Options {
        json: args.iter().any(|a| a == "--json"),
        soak: value("--soak"),
        words: value("--words").unwrap_or(2_000),
        rounds: value("--rounds").unwrap_or(5),
        chats_per_round: value("--chats").unwrap_or(10),
        ttft_samples: value("--ttft-samples").unwrap_or(400),
        streams: value("--streams").unwrap_or(500),
    }
}

/// The plugin cargo built in this benchmark's profile (release for `cargo
/// bench`): it is a dev-dependency of test-host.
fn plugin_path() -> PathBuf {
    testkit::cdylib::plugin_path().expect("the plugin cdylib")
}

fn prompt(words: usize) -> String {
    (0..words)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Through the plugin: content events received and time to the first one.
async fn plugin_chat(provider: &Provider, model: &str, text: &str) -> (usize, Duration) {
    let started = Instant::now();
    let mut stream = provider.complete(ChatRequest::new(model, vec![Message::user(text)]));
    let (mut tokens, mut first) = (0, None);
    while let Some(item) = stream.next().await {
        if let ChatEvent::Content(_) = item.expect("plugin chat") {
            tokens += 1;
            first.get_or_insert_with(|| started.elapsed());
        }
    }
    (tokens, first.unwrap_or_default())
}

/// Just what the baseline reads of a chunk (typed, as a careful minimal
/// client would parse it).
#[derive(serde::Deserialize)]
struct RawChunk {
    #[serde(default)]
    choices: Vec<RawChoice>,
}

#[derive(serde::Deserialize)]
struct RawChoice {
    #[serde(default)]
    delta: RawDelta,
}

#[derive(serde::Deserialize, Default)]
struct RawDelta {
    content: Option<String>,
}

/// The baseline: reqwest, SSE framing by hand, each chunk parsed as JSON.
async fn raw_chat(http: &reqwest::Client, url: &str, model: &str, text: &str) -> (usize, Duration) {
    let started = Instant::now();
    let body = json!({
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let mut response = http.post(url).json(&body).send().await.expect("raw send");
    let (mut tokens, mut first) = (0, None);
    let mut buffer: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.expect("raw read") {
        buffer.extend_from_slice(&chunk);
        // Every complete event in the buffer, then one drain: linear in the
        // bytes received, as a careful hand-written client would be.
        let mut start = 0;
        while let Some(end) = buffer[start..].windows(2).position(|w| w == b"\n\n") {
            let event = &buffer[start..start + end];
            start += end + 2;
            let Some(data) = event.strip_prefix(b"data:") else {
                continue;
            };
            let data = data.trim_ascii();
            if data == b"[DONE]" {
                continue;
            }
            let chunk: RawChunk = serde_json::from_slice(data).expect("chunk JSON");
            let content = chunk
                .choices
                .first()
                .and_then(|c| c.delta.content.as_deref())
                .unwrap_or("");
            if !content.is_empty() {
                tokens += 1;
                first.get_or_insert_with(|| started.elapsed());
            }
        }
        buffer.drain(..start);
    }
    (tokens, first.unwrap_or_default())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Resident set size and thread count of this process (Linux /proc).
fn rss_and_threads() -> (u64, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:") * 1024, field("Threads:") as usize)
}

struct Sampler {
    stop: Arc<AtomicBool>,
    peak_rss: Arc<AtomicUsize>,
    peak_threads: Arc<AtomicUsize>,
    handle: std::thread::JoinHandle<()>,
}

fn sample() -> Sampler {
    let stop = Arc::new(AtomicBool::new(false));
    let peak_rss = Arc::new(AtomicUsize::new(0));
    let peak_threads = Arc::new(AtomicUsize::new(0));
    let (s, r, t) = (stop.clone(), peak_rss.clone(), peak_threads.clone());
    let handle = std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            let (rss, threads) = rss_and_threads();
            r.fetch_max(rss as usize, Ordering::Relaxed);
            t.fetch_max(threads, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    Sampler {
        stop,
        peak_rss,
        peak_threads,
        handle,
    }
}

impl Sampler {
    fn finish(self) -> (u64, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("sampler");
        (
            self.peak_rss.load(Ordering::Relaxed) as u64,
            self.peak_threads.load(Ordering::Relaxed),
        )
    }
}

fn main() {
    let opts = options();
    let path = plugin_path();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // The router gets its own runtime so it does not compete with the
    // baseline client for the host runtime's workers (the plugin has its own).
    let router_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mock-router")
        .enable_all()
        .build()
        .expect("router runtime");
    let router = router_rt
        .block_on(MockRouter::start(MockOptions {
            // The request log would otherwise grow with every chat.
            record_requests: false,
            ..MockOptions::default()
        }))
        .expect("mock router");
    let plugin = Plugin::load(&path).expect("load plugin");
    let settings = json!({
        "baseUrl": router.base_url(),
        "discovery": { "enabled": false },
        "retry": { "baseDelayMs": 5, "maxDelaySeconds": 0.05 },
    });
    let provider = host_sdk::Provider::new(&plugin, HostContext::new("bench", "0"), &settings)
        .expect("provider");
    if let Some(n) = opts.soak {
        soak(&rt, &provider, n, opts.json);
        return;
    }
    let http = reqwest::Client::new();
    let url = format!("{}/chat/completions", router.base_url());
    let model = "huggingface/Qwen/Qwen3-8B";
    let raw_model = "Qwen/Qwen3-8B";
    let long = prompt(opts.words);

    // Warm-up: connections, code paths, allocator.
    rt.block_on(async {
        for _ in 0..3 {
            plugin_chat(&provider, model, &long).await;
            raw_chat(&http, &url, raw_model, &long).await;
        }
    });

    // 1. Throughput, alternating rounds so drift hits both sides alike.
    let (mut plugin_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for _ in 0..opts.rounds {
        let (tokens, elapsed) = rt.block_on(async {
            let t = Instant::now();
            let mut n = 0;
            for _ in 0..opts.chats_per_round {
                n += plugin_chat(&provider, model, &long).await.0;
            }
            (n, t.elapsed())
        });
        plugin_rates.push(tokens as f64 / elapsed.as_secs_f64());
        let (tokens, elapsed) = rt.block_on(async {
            let t = Instant::now();
            let mut n = 0;
            for _ in 0..opts.chats_per_round {
                n += raw_chat(&http, &url, raw_model, &long).await.0;
            }
            (n, t.elapsed())
        });
        raw_rates.push(tokens as f64 / elapsed.as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let plugin_tps = median(&mut plugin_rates);
    let raw_tps = median(&mut raw_rates);

    // 2. Time to first token, interleaved.
    let (mut plugin_ttft, mut raw_ttft) = (Vec::new(), Vec::new());
    rt.block_on(async {
        for _ in 0..opts.ttft_samples {
            plugin_ttft.push(plugin_chat(&provider, model, "hi").await.1);
            raw_ttft.push(raw_chat(&http, &url, raw_model, "hi").await.1);
        }
    });
    plugin_ttft.sort();
    raw_ttft.sort();
    let ttft = |p: f64| micros(percentile(&plugin_ttft, p)) - micros(percentile(&raw_ttft, p));

    // 3. Cancellation: from `cancel()` mid-answer (the server stalls) to the
    //    end of the stream, which comes after the plugin dropped the connection.
    let mut cancel_times = Vec::new();
    rt.block_on(async {
        for _ in 0..50 {
            let mut s = provider.complete(ChatRequest::new(
                "huggingface/mock/stall-mid:30000",
                vec![Message::user("cancel me")],
            ));
            while let Some(item) = s.next().await {
                if item.expect("first pieces").is_output() {
                    break;
                }
            }
            let t = Instant::now();
            s.cancel();
            while s.next().await.is_some() {}
            cancel_times.push(t.elapsed());
        }
    });
    cancel_times.sort();

    // 4. Concurrent streams through the plugin, paced so they overlap.
    let (rss_before, threads_before) = rss_and_threads();
    let sampler = sample();
    let started = Instant::now();
    let completed = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..opts.streams {
            let provider = provider.clone();
            tasks.push(tokio::spawn(async move {
                plugin_chat(&provider, "huggingface/mock/slow:2", &prompt(50 + i % 7))
                    .await
                    .0
                    > 0
            }));
        }
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap_or(false));
        }
        ok
    });
    let concurrent_time = started.elapsed();
    let (peak_rss, peak_threads) = sampler.finish();

    let result = json!({
        "plugin_tokens_per_s": plugin_tps,
        "baseline_tokens_per_s": raw_tps,
        "throughput_ratio": plugin_tps / raw_tps,
        "ttft_plugin_minus_baseline_us": { "p50": ttft(0.5), "p99": ttft(0.99) },
        "ttft_plugin_us": { "p50": micros(percentile(&plugin_ttft, 0.5)), "p99": micros(percentile(&plugin_ttft, 0.99)) },
        "ttft_baseline_us": { "p50": micros(percentile(&raw_ttft, 0.5)), "p99": micros(percentile(&raw_ttft, 0.99)) },
        "concurrent": {
            "streams": opts.streams,
            "completed": completed,
            "seconds": concurrent_time.as_secs_f64(),
            "peak_rss_mb": peak_rss as f64 / 1_048_576.0,
            "rss_before_mb": rss_before as f64 / 1_048_576.0,
            "peak_threads": peak_threads,
            "threads_before": threads_before,
        },
        "tokens_per_chat": opts.words + 4,
        "cancel_us": { "p50": micros(percentile(&cancel_times, 0.5)), "max": micros(percentile(&cancel_times, 1.0)) },
    });
    if opts.json {
        println!("{result:#}");
    } else {
        println!(
            "streaming benchmark (mock router on 127.0.0.1, full speed, {} tokens per chat)",
            opts.words + 4
        );
        println!(
            "  throughput: plugin {plugin_tps:.0} tokens/s, baseline {raw_tps:.0} tokens/s, ratio {:.3} (target >= 0.9)",
            plugin_tps / raw_tps
        );
        println!(
            "  time to first token, plugin - baseline: p50 {:+.1} µs, p99 {:+.1} µs (target p50 < 200 µs)",
            ttft(0.5),
            ttft(0.99)
        );
        println!(
            "  cancel mid-answer to end of stream: p50 {:.0} µs, max {:.0} µs (target < 100 ms)",
            micros(percentile(&cancel_times, 0.5)),
            micros(percentile(&cancel_times, 1.0))
        );
        println!(
            "  {} concurrent streams: {completed} completed in {:.2} s, peak RSS {:.1} MB (before {:.1} MB), peak threads {peak_threads} (before {threads_before})",
            opts.streams,
            concurrent_time.as_secs_f64(),
            peak_rss as f64 / 1_048_576.0,
            rss_before as f64 / 1_048_576.0
        );
    }
    plugin.shutdown(Duration::from_secs(5));
    assert_eq!(
        completed, opts.streams,
        "not every concurrent stream completed"
    );
}

/// `--soak N`: N completions mixing success, retried failures and errors
/// through one loaded plugin; RSS and threads after warm-up vs at the end.
fn soak(rt: &tokio::runtime::Runtime, provider: &Provider, n: usize, as_json: bool) {
    const MIX: [&str; 8] = [
        "huggingface/Qwen/Qwen3-8B",
        "huggingface/deepseek-ai/DeepSeek-R1",
        "huggingface/mock/tool-calls",
        "huggingface/mock/flaky:3",
        "huggingface/mock/rate-limit-no-retry-after",
        "huggingface/mock/stream-error",
        "huggingface/mock/truncated",
        "huggingface/mock/reasoning-think",
    ];
    let run = |from: usize, to: usize| {
        rt.block_on(async {
            let (mut ok, mut failed) = (0usize, 0usize);
            for i in from..to {
                let r = provider
                    .complete(ChatRequest::new(
                        MIX[i % MIX.len()],
                        vec![Message::user(format!("soak {i}"))],
                    ))
                    .collect()
                    .await;
                if r.is_ok() { ok += 1 } else { failed += 1 }
            }
            (ok, failed)
        })
    };
    let warm = (n / 10).max(1);
    let started = Instant::now();
    run(0, warm);
    let (rss_warm, threads_warm) = rss_and_threads();
    let (ok, failed) = run(warm, n);
    let (rss_end, threads_end) = rss_and_threads();
    let growth = (rss_end as f64 - rss_warm as f64) / rss_warm as f64 * 100.0;
    let result = json!({
        "completions": n,
        "after_warmup": { "ok": ok, "failed": failed },
        "rss_after_warmup_mb": rss_warm as f64 / 1_048_576.0,
        "rss_end_mb": rss_end as f64 / 1_048_576.0,
        "rss_growth_percent": growth,
        "threads_after_warmup": threads_warm,
        "threads_end": threads_end,
        "seconds": started.elapsed().as_secs_f64(),
    });
    if as_json {
        println!("{result:#}");
    } else {
        println!(
            "soak: {n} completions ({ok} ok, {failed} failed as scripted after warm-up) in {:.1} s; RSS {:.1} -> {:.1} MB ({growth:+.1}%, target < 10%); threads {threads_warm} -> {threads_end}",
            started.elapsed().as_secs_f64(),
            rss_warm as f64 / 1_048_576.0,
            rss_end as f64 / 1_048_576.0,
        );
    }
}
