//! Catalog benchmarks: parse + merge of a realistic 5,000-model list;
//! `resolve` through the loaded plugin against the same resolve on the rlib;
//! `discover` of a 500-model catalog through the loaded plugin; SSE decoding
//! (framing + chunk JSON + translation) in MB/s.
//!
//! "Loaded" means what a host does: the cdylib built in this profile,
//! dlopen'ed through host-sdk, called through `host_sdk::Provider`.
//!
//! `cargo bench -p huggingface-provider --bench catalog`
#![allow(clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use host_sdk::{HostContext, Plugin, Provider};
use huggingface_provider::bench_support::{BenchCatalog, decode_sse, parse_and_merge, parse_only};
use testkit::mock_router::{MockOptions, MockRouter};

const REF: &str = "huggingface/deepseek-ai/DeepSeek-R1:cheapest";
const TOKEN: &str = "hf_bench_not_a_real_token";

fn parse_merge(c: &mut Criterion) {
    let body = testkit::mock_router::models_list_json(5_000, 7);
    let mut group = c.benchmark_group("catalog");
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("parse+merge 5000 models", |b| {
        b.iter(|| parse_and_merge(black_box(&body)).expect("valid list"))
    });
    group.bench_function("parse only 5000 models", |b| {
        b.iter(|| parse_only(black_box(&body)).expect("valid list"))
    });
    group.finish();
}

/// The loaded plugin and a mock router serving `model_count` models.
struct Loaded {
    plugin: Plugin,
    router: MockRouter,
    options: MockOptions,
    _rt: tokio::runtime::Runtime,
}

impl Loaded {
    fn start(model_count: usize) -> Loaded {
        let options = MockOptions {
            model_count,
            require_token: Some(TOKEN.into()),
            record_requests: false,
            ..MockOptions::default()
        };
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let router = rt
            .block_on(MockRouter::start(options.clone()))
            .expect("mock router");
        let path = testkit::cdylib::plugin_path().expect("the plugin cdylib");
        let plugin = Plugin::load(&path).expect("load the plugin");
        Loaded {
            plugin,
            router,
            options,
            _rt: rt,
        }
    }

    /// The router's `GET /v1/models` body, for the rlib side.
    fn list(&self) -> bytes::Bytes {
        testkit::mock_router::models_list_json(self.options.model_count, self.options.seed)
    }

    /// A provider that has fetched the router's list, or (without discovery)
    /// knows only the built-in models.
    fn provider(&self, discovery: bool) -> Provider {
        let settings = serde_json::json!({
            "baseUrl": self.router.base_url(),
            "apiKey": TOKEN,
            "discovery": { "enabled": discovery },
        });
        let provider = Provider::new(&self.plugin, HostContext::new("bench", "0"), &settings)
            .expect("provider");
        if discovery {
            provider
                .refresh_blocking(Duration::from_secs(10))
                .expect("refresh");
        }
        provider
    }

    fn stop(self) {
        let report = self.plugin.shutdown(Duration::from_secs(5));
        assert!(report.clean, "plugin shutdown: {report:?}");
    }
}

fn discover(c: &mut Criterion) {
    let loaded = Loaded::start(500);
    let provider = loaded.provider(true);
    let models = provider.discover().expect("discover");
    assert!(models.len() >= 500, "{} models", models.len());
    c.bench_function("discover 500 models, loaded cdylib", |b| {
        b.iter(|| provider.discover().expect("discover"))
    });
    drop(provider);
    loaded.stop();
}

/// Resolves the same ref on the rlib and through the loaded cdylib, for two
/// catalogs: the mock router's list, where DeepSeek-R1 has its three
/// backends as on the real router, and the built-in list alone (offline: no
/// backends). Across the ABI every string is built by the plugin and copied
/// by the host: a buffer cannot be freed by another binary's allocator.
fn resolve(c: &mut Criterion) {
    let loaded = Loaded::start(MockOptions::default().model_count);
    let cases = [
        (
            "discovered, 3 backends",
            BenchCatalog::from_list(&loaded.list()).expect("catalog"),
            loaded.provider(true),
            3,
        ),
        (
            "built-in, no backends",
            BenchCatalog::builtin(),
            loaded.provider(false),
            0,
        ),
    ];
    let mut group = c.benchmark_group("resolve");
    for (name, rlib, provider, backends) in &cases {
        let expected = rlib.resolve(REF).expect("resolves");
        assert_eq!(expected.info.backends.len(), *backends, "{expected:?}");
        assert_eq!(provider.resolve(REF).expect("resolves"), expected);
        group.bench_function(format!("rlib, {name}"), |b| {
            b.iter(|| rlib.resolve(black_box(REF)).expect("resolves"))
        });
        group.bench_function(format!("loaded cdylib, {name}"), |b| {
            b.iter(|| provider.resolve(black_box(REF)).expect("resolves"))
        });
    }
    group.finish();
    drop(cases);
    loaded.stop();
}

/// A realistic stream: 20,000 content chunks shaped like the router's, then
/// a finish chunk, usage and `[DONE]`.
fn sse_body() -> Vec<u8> {
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!(
            "data: {{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1737360000,\"model\":\"deepseek-ai/DeepSeek-R1\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"word{i} \"}},\"finish_reason\":null}}]}}\n\n"
        ));
    }
    body.push_str("data: {\"id\":\"chatcmpl-bench\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    body.push_str("data: {\"id\":\"chatcmpl-bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":20000,\"total_tokens\":20005}}\n\n");
    body.push_str("data: [DONE]\n\n");
    body.into_bytes()
}

fn sse(c: &mut Criterion) {
    let body = sse_body();
    let mut group = c.benchmark_group("sse");
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("decode+translate, 16 KiB reads", |b| {
        b.iter(|| decode_sse(black_box(&body), 16 * 1024).expect("valid stream"))
    });
    group.finish();
}

criterion_group!(benches, parse_merge, resolve, discover, sse);
criterion_main!(benches);
