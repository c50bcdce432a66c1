//! What the mock router measures: cancellation mid-answer (it can stall), and
//! the soak (it scripts failures).

use std::time::{Duration, Instant};

use host_sdk::{ChatRequest, HostContext, Message, Plugin, Provider};
use serde_json::json;
use testkit::mock_router::{MockOptions, MockRouter};
use testkit::sse_server::current_thread_id;

use crate::clients::plugin_path;
use crate::memory;
use crate::pinning::{Pinning, pin_thread};

/// The mock router on a runtime of its own (one worker, pinned to the
/// server's CPU when asked), so it never shares the client's threads.
struct Router {
    // Declared first: dropped (stopped) before its runtime.
    server: MockRouter,
    _runtime: tokio::runtime::Runtime,
}

impl Router {
    fn start(pinning: Option<Pinning>) -> Router {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mock-router")
            .on_thread_start(move || {
                if let Some(p) = pinning {
                    pin_thread(current_thread_id(), p.server);
                }
            })
            .enable_all()
            .build()
            .expect("router runtime");
        let server = runtime
            .block_on(MockRouter::start(MockOptions {
                record_requests: false,
                ..MockOptions::default()
            }))
            .expect("mock router");
        Router {
            server,
            _runtime: runtime,
        }
    }
}

pub(crate) fn cancel_times(pinning: Option<Pinning>) -> Vec<Duration> {
    let router = Router::start(pinning);
    let plugin = Plugin::load(plugin_path()).expect("load plugin");
    let settings =
        json!({ "baseUrl": router.server.base_url(), "discovery": { "enabled": false } });
    let provider =
        Provider::new(&plugin, HostContext::new("bench", "0"), &settings).expect("provider");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut times = Vec::new();
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
            times.push(t.elapsed());
        }
    });
    times.sort();
    times
}

/// `--soak N`: N completions mixing success, retried failures and errors
/// through one loaded plugin and the mock router; RSS and threads after
/// warm-up vs at the end.
pub(crate) fn soak(n: usize, as_json: bool) {
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
    let router = Router::start(None);
    let plugin = Plugin::load(plugin_path()).expect("load plugin");
    let settings = json!({
        "baseUrl": router.server.base_url(),
        "discovery": { "enabled": false },
        "retry": { "baseDelayMs": 5, "maxDelaySeconds": 0.05 },
    });
    let provider =
        Provider::new(&plugin, HostContext::new("bench", "0"), &settings).expect("provider");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
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
    let (_, rss_warm, threads_warm) = memory();
    let (ok, failed) = run(warm, n);
    let (_, rss_end, threads_end) = memory();
    let growth = (rss_end - rss_warm) / rss_warm * 100.0;
    if as_json {
        println!(
            "{:#}",
            json!({
                "completions": n,
                "after_warmup": { "ok": ok, "failed": failed },
                "rss_after_warmup_mb": rss_warm,
                "rss_end_mb": rss_end,
                "rss_growth_percent": growth,
                "threads_after_warmup": threads_warm,
                "threads_end": threads_end,
                "seconds": started.elapsed().as_secs_f64(),
            })
        );
    } else {
        println!(
            "soak: {n} completions ({ok} ok, {failed} failed as scripted after warm-up) in {:.1} s; RSS {rss_warm:.1} -> {rss_end:.1} MB ({growth:+.1}%, target < 10%); threads {threads_warm} -> {threads_end}",
            started.elapsed().as_secs_f64(),
        );
    }
    plugin.shutdown(Duration::from_secs(5));
}
