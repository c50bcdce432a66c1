//! Catalog benchmarks: parse + merge of a realistic 5,000-model list, and
//! `resolve` across the ABI against the same resolve on the rlib, and
//! `discover` of a 500-model catalog across the ABI, and SSE decoding
//! (framing + chunk JSON + translation) in MB/s.
//!
//! `cargo bench -p huggingface-provider --bench catalog`
#![allow(clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use std::hint::black_box;

use abi_stable::std_types::{RNone, RStr};
use criterion::{Criterion, criterion_group, criterion_main};
use host_sdk::abi::{AbiHostContext, ProviderBox};
use host_sdk::{ModelInfo, ResolvedModel};
use huggingface_provider::bench_support::{BenchCatalog, decode_sse, parse_and_merge, parse_only};
use test_host::mock_router::{MockOptions, MockRouter};

const REF: &str = "huggingface/deepseek-ai/DeepSeek-R1:cheapest";

fn parse_merge(c: &mut Criterion) {
    let body = test_host::mock_router::models_list_json(5_000, 7);
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

/// A provider created through the root module's function pointers: the same
/// ABI path a dlopen'ed plugin takes, minus the symbol lookup.
fn abi_provider(settings: &str) -> ProviderBox {
    let module = huggingface_provider::get_library();
    let host = AbiHostContext {
        host_name: "bench".into(),
        host_version: "0".into(),
        log: RNone,
    };
    (module.new_provider())(host, RStr::from_str(settings))
        .into_result()
        .expect("provider")
}

fn discover(c: &mut Criterion) {
    const TOKEN: &str = "hf_bench_not_a_real_token";
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let router = rt
        .block_on(MockRouter::start(MockOptions {
            model_count: 500,
            require_token: Some(TOKEN.into()),
            ..MockOptions::default()
        }))
        .expect("mock router");
    let settings = serde_json::json!({
        "baseUrl": router.base_url(),
        "apiKey": TOKEN,
        "discovery": { "enabled": true },
    });
    let provider = abi_provider(&settings.to_string());
    let report = provider.refresh(10_000).into_result().expect("refresh");
    assert!(report.models >= 500, "{} models", report.models);
    c.bench_function("discover 500 models across the ABI", |b| {
        b.iter(|| {
            let models: Vec<ModelInfo> = provider
                .discover()
                .into_result()
                .expect("discover")
                .into_iter()
                .map(ModelInfo::from)
                .collect();
            black_box(models)
        })
    });
    drop(router);
}

fn resolve(c: &mut Criterion) {
    let rlib = BenchCatalog::from_list(br#"{"data":[]}"#).expect("catalog");
    let abi = abi_provider(r#"{"discovery":{"enabled":false}}"#);
    let mut group = c.benchmark_group("resolve");
    group.bench_function("rlib", |b| {
        b.iter(|| rlib.resolve(black_box(REF)).expect("resolves"))
    });
    group.bench_function("across the ABI", |b| {
        b.iter(|| {
            abi.resolve(RStr::from_str(black_box(REF)))
                .into_result()
                .map(ResolvedModel::from)
                .expect("resolves")
        })
    });
    group.finish();
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
