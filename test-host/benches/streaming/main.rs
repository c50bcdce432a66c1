//! The streaming benchmark: the loaded plugin against the tightest raw client
//! we can write, in ONE process and one run, against a server that is not the
//! bottleneck.
//!
//! - **The server** (`testkit::sse_server`) writes pre-rendered OpenAI chunks
//!   from memory, `N` events per write (N = 64: what a client can do; N = 1:
//!   what real backends send), with `TCP_NODELAY`, on its own thread and
//!   runtime.
//! - **The raw baseline** is the tightest loop we could write without the
//!   plugin: reqwest on a current-thread runtime, the body read chunk by
//!   chunk (`Response::chunk`, what `bytes_stream` polls), lines split with
//!   memchr, the complete lines of each read checked as UTF-8 once, each
//!   `data:` line parsed with serde into borrowed types (`Cow<str>` content,
//!   the first choice only, no allocation), tokens counted.
//! - **The plugin** is the release cdylib loaded through host-sdk and read
//!   with `Provider::complete` + `ChatStream::next` on the same kind of
//!   runtime, as a host does.
//!
//! Scenarios: one stream of 20,000 tokens and 100 concurrent streams of
//! 2,000, each at 64 and at 1 event per write (rounds alternate between the
//! two clients, the ratio is the median of the per-round ratios); the time to
//! the first token of 1-token streams (interleaved); peak RSS of 500
//! concurrent streams (each client in a child process of its own, so neither
//! inherits the other's heap); the time a cancellation takes (against the
//! mock router, which can stall mid-answer). Both clients check that every
//! token arrived.
//!
//! Where `taskset` exists and two CPUs are allowed, the server's thread is
//! pinned to one CPU and everything else (host runtime, plugin threads, raw
//! client) to the other, so the client's cost is what is measured; the
//! output says whether it was pinned.
//!
//! ```sh
//! cargo bench -p test-host --bench streaming             # table
//! cargo bench -p test-host --bench streaming -- --json   # for run-to-run comparison
//! cargo bench -p test-host --bench streaming -- --soak 10000
//! ```
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a benchmark that cannot set up should stop loudly

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod clients;
mod mock;
mod pinning;

use clients::{Clients, Run};
use mock::{cancel_times, soak};
use pinning::{Pinning, start_server};

struct Options {
    json: bool,
    soak: Option<usize>,
    rounds: usize,
    ttft_samples: usize,
    rss_streams: usize,
    pin: bool,
    /// Internal: run the peak-RSS scenario for `plugin` or `raw` and print it.
    rss_child: Option<String>,
    /// Only the scenarios whose key contains this (for profiling one).
    only: Option<String>,
    /// Only this client (`plugin` or `raw`) in the throughput scenarios (for
    /// profiling one; the ratios are then meaningless).
    side: Option<String>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let text = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let value = |flag: &str| text(flag).and_then(|v| v.parse().ok());
    Options {
        json: args.iter().any(|a| a == "--json"),
        soak: value("--soak"),
        rounds: value("--rounds").unwrap_or(5),
        ttft_samples: value("--ttft-samples").unwrap_or(500),
        rss_streams: value("--rss-streams").unwrap_or(500),
        pin: !args.iter().any(|a| a == "--no-pin"),
        rss_child: text("--rss-child"),
        only: text("--only"),
        side: text("--side"),
    }
}

// ---- scenarios ----

struct Scenario {
    key: &'static str,
    label: &'static str,
    tokens: usize,
    per_write: usize,
    concurrency: usize,
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        key: "single_n64",
        label: "1 stream x 20k tokens, 64 events/write",
        tokens: 20_000,
        per_write: 64,
        concurrency: 1,
    },
    Scenario {
        key: "concurrent_n64",
        label: "100 concurrent x 2k, 64 events/write",
        tokens: 2_000,
        per_write: 64,
        concurrency: 100,
    },
    Scenario {
        key: "single_n1",
        label: "1 stream x 20k tokens, 1 event/write",
        tokens: 20_000,
        per_write: 1,
        concurrency: 1,
    },
    Scenario {
        key: "concurrent_n1",
        label: "100 concurrent x 2k, 1 event/write",
        tokens: 2_000,
        per_write: 1,
        concurrency: 100,
    },
];

/// Tokens per round: enough for ~0.1-1 s of streaming.
const ROUND_TOKENS: usize = 200_000;

struct Throughput {
    raw: f64,
    plugin: f64,
    ratios: Vec<f64>,
    raw_cpu_ns: f64,
    plugin_cpu_ns: f64,
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn throughput(clients: &Clients, s: &Scenario, rounds: usize, side: Option<&str>) -> Throughput {
    let repeat = (ROUND_TOKENS / (s.tokens * s.concurrency)).max(1);
    let (do_raw, do_plugin) = (side != Some("plugin"), side != Some("raw"));
    // Warm-up: connections, the server's rendering, allocators.
    for (plugin, wanted) in [(true, do_plugin), (false, do_raw)] {
        if wanted {
            clients.run(plugin, s, 1);
        }
    }
    let (mut raw, mut plugin) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which client goes first, so drift hits both alike.
        for first_plugin in [round % 2 == 1, round % 2 == 0] {
            if first_plugin && do_plugin {
                plugin.push(clients.run(true, s, repeat));
            } else if !first_plugin && do_raw {
                raw.push(clients.run(false, s, repeat));
            }
        }
    }
    let rate = |runs: &[Run]| median(&runs.iter().map(|r| r.tokens_per_s).collect::<Vec<_>>());
    let cpu = |runs: &[Run]| median(&runs.iter().map(|r| r.cpu_ns_per_token).collect::<Vec<_>>());
    let ratios = raw
        .iter()
        .zip(&plugin)
        .map(|(r, p)| p.tokens_per_s / r.tokens_per_s)
        .collect();
    Throughput {
        raw: rate(&raw),
        plugin: rate(&plugin),
        ratios,
        raw_cpu_ns: cpu(&raw),
        plugin_cpu_ns: cpu(&plugin),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

struct Ttft {
    raw: Vec<Duration>,
    plugin: Vec<Duration>,
}

fn ttft(clients: &Clients, samples: usize) -> Ttft {
    let one = Scenario {
        key: "ttft",
        label: "",
        tokens: 1,
        per_write: 1,
        concurrency: 1,
    };
    clients.run(true, &one, 20);
    clients.run(false, &one, 20);
    let (mut raw, mut plugin) = (Vec::new(), Vec::new());
    for i in 0..samples {
        let first = i % 2 == 0;
        if first {
            plugin.extend(clients.run(true, &one, 1).first_tokens);
        }
        raw.extend(clients.run(false, &one, 1).first_tokens);
        if !first {
            plugin.extend(clients.run(true, &one, 1).first_tokens);
        }
    }
    raw.sort();
    plugin.sort();
    Ttft { raw, plugin }
}

// ---- peak RSS, in child processes ----

/// Peak and current resident set size and thread count of this process.
fn memory() -> (f64, f64, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        field("VmHWM:") / 1024.0,
        field("VmRSS:") / 1024.0,
        field("Threads:") as usize,
    )
}

/// Runs `streams` concurrent 2k-token streams (1 event per write) through
/// one client in a fresh process and reports its memory.
fn rss_child(side: &str, opts: &Options) {
    let pinning = Pinning::plan(opts.pin);
    let server = start_server(pinning);
    let clients = Clients::new(&server);
    let (_, rss_before, threads_before) = memory();
    let stop = Arc::new(AtomicBool::new(false));
    let peak_threads = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak_threads));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(memory().2, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let s = Scenario {
        key: "rss",
        label: "",
        tokens: 2_000,
        per_write: 1,
        concurrency: opts.rss_streams,
    };
    let started = Instant::now();
    let firsts = clients.run(side == "plugin", &s, 1).first_tokens;
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let (peak, _, _) = memory();
    println!(
        "{}",
        json!({
            "streams": opts.rss_streams,
            "completed": firsts.len(),
            "seconds": seconds,
            "peak_rss_mb": peak,
            "rss_before_mb": rss_before,
            "threads_before": threads_before,
            // The sampler thread itself is one of these.
            "peak_threads": peak_threads.load(Ordering::Relaxed),
        })
    );
    clients.plugin.shutdown(Duration::from_secs(5));
}

fn rss_of(side: &str, opts: &Options) -> Value {
    let mut cmd = Command::new(std::env::current_exe().expect("this bench"));
    cmd.args([
        "--rss-child",
        side,
        "--rss-streams",
        &opts.rss_streams.to_string(),
    ]);
    if !opts.pin {
        cmd.arg("--no-pin");
    }
    let out = cmd.stderr(Stdio::inherit()).output().expect("rss child");
    assert!(out.status.success(), "the {side} RSS child failed");
    serde_json::from_slice(&out.stdout).expect("rss child output")
}

// ---- main ----

fn main() {
    let opts = options();
    if let Some(side) = &opts.rss_child {
        rss_child(side, &opts);
        return;
    }
    if let Some(n) = opts.soak {
        soak(n, opts.json);
        return;
    }
    let pinning = Pinning::plan(opts.pin);
    let server = start_server(pinning);
    let clients = Clients::new(&server);
    if !opts.json {
        println!(
            "streaming benchmark: the release plugin through host-sdk vs a raw reqwest + serde loop, same run, same server ({} rounds)",
            opts.rounds
        );
    }

    let mut rows = Vec::new();
    for s in SCENARIOS.iter().filter(|s| {
        opts.only
            .as_ref()
            .is_none_or(|o| s.key.contains(o.as_str()))
    }) {
        let t = throughput(&clients, s, opts.rounds, opts.side.as_deref());
        if !opts.json {
            let both = !t.ratios.is_empty();
            let (lo, hi) = t
                .ratios
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
            let ratio = if both {
                format!(
                    "ratio {:.3} (rounds {lo:.3}-{hi:.3}; target >= 0.9)",
                    median(&t.ratios)
                )
            } else {
                "(one client only: no ratio)".to_string()
            };
            println!(
                "  {:<40} raw {:>9.0} tok/s  plugin {:>9.0} tok/s  {ratio}",
                s.label, t.raw, t.plugin,
            );
            println!(
                "  {:<40} client CPU per token: raw {:.0} ns, plugin {:.0} ns{}",
                "",
                t.raw_cpu_ns,
                t.plugin_cpu_ns,
                if both {
                    format!(" (raw / plugin {:.3})", t.raw_cpu_ns / t.plugin_cpu_ns)
                } else {
                    String::new()
                }
            );
        }
        rows.push((s, t));
    }
    let only = opts.only.is_some();
    let ttft =
        (!only || opts.only.as_deref() == Some("ttft")).then(|| ttft(&clients, opts.ttft_samples));
    if let (Some(t), false) = (&ttft, opts.json) {
        println!(
            "  time to first token (1-token streams, {} each): raw p50 {:.1} µs p99 {:.1} µs; plugin p50 {:.1} µs p99 {:.1} µs; plugin - raw p50 {:+.1} µs (target <= +50 µs)",
            t.raw.len(),
            micros(percentile(&t.raw, 0.5)),
            micros(percentile(&t.raw, 0.99)),
            micros(percentile(&t.plugin, 0.5)),
            micros(percentile(&t.plugin, 0.99)),
            micros(percentile(&t.plugin, 0.5)) - micros(percentile(&t.raw, 0.5)),
        );
    }
    clients.plugin.shutdown(Duration::from_secs(5));
    drop(clients);
    drop(server);

    let (rss_plugin, rss_raw) = if only {
        (Value::Null, Value::Null)
    } else {
        (rss_of("plugin", &opts), rss_of("raw", &opts))
    };
    if !only && !opts.json {
        println!(
            "  {} concurrent x 2k (1 event/write), each client in its own process: plugin peak RSS {:.1} MB ({} completed, peak threads {}), raw peak RSS {:.1} MB (target: plugin < 200 MB)",
            opts.rss_streams,
            rss_plugin["peak_rss_mb"].as_f64().unwrap_or(0.0),
            rss_plugin["completed"],
            rss_plugin["peak_threads"],
            rss_raw["peak_rss_mb"].as_f64().unwrap_or(0.0),
        );
    }
    let cancel = if only {
        Vec::new()
    } else {
        cancel_times(pinning)
    };
    if !only && !opts.json {
        println!(
            "  cancel mid-answer to end of stream (mock router stalling): p50 {:.0} µs, max {:.0} µs (target < 100 ms)",
            micros(percentile(&cancel, 0.5)),
            micros(percentile(&cancel, 1.0))
        );
        println!("  {}", Pinning::describe(pinning));
    }
    if opts.json {
        let mut throughput = serde_json::Map::new();
        for (s, t) in &rows {
            throughput.insert(
                s.key.into(),
                json!({
                    "raw_tokens_per_s": t.raw,
                    "plugin_tokens_per_s": t.plugin,
                    "ratio": median(&t.ratios),
                    "round_ratios": t.ratios,
                    "raw_cpu_ns_per_token": t.raw_cpu_ns,
                    "plugin_cpu_ns_per_token": t.plugin_cpu_ns,
                }),
            );
        }
        let ttft = ttft.as_ref().map(|t| {
            json!({
                "raw_us": { "p50": micros(percentile(&t.raw, 0.5)), "p99": micros(percentile(&t.raw, 0.99)) },
                "plugin_us": { "p50": micros(percentile(&t.plugin, 0.5)), "p99": micros(percentile(&t.plugin, 0.99)) },
                "plugin_minus_raw_p50_us": micros(percentile(&t.plugin, 0.5)) - micros(percentile(&t.raw, 0.5)),
            })
        });
        let cancel = (!cancel.is_empty()).then(|| {
            json!({ "p50": micros(percentile(&cancel, 0.5)), "max": micros(percentile(&cancel, 1.0)) })
        });
        println!(
            "{:#}",
            json!({
                "pinned": pinning.is_some(),
                "throughput": throughput,
                "ttft": ttft,
                "rss": { "plugin": rss_plugin, "raw": rss_raw },
                "cancel_us": cancel,
            })
        );
    }
}
