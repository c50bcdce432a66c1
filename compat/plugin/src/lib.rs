//! Test-only: a small provider plugin built on plugin-sdk, scriptable through
//! its model names and settings, so host-sdk's tests exercise the host side
//! (loading, versions, panics, failover, hot swap) against a real library.
//!
//! Built as several interface versions by provider-abi's test-only features;
//! built as the next interface (`interface-next`) it also sends the event
//! variant that version appends, and model `error` ends with the error kind
//! that version appends — what an older host must survive.
//!
//! Model refs are `compat/<name>`; the name scripts the completion:
//! - `error`: one `Content`, then a `rate_limited` error;
//! - `fail:<kind>`: a `<kind>` error (`rate_limited`, `invalid_request`, ...)
//!   before any output;
//! - `slow:<ms>`: one `Content`, a pause of `<ms>` (cancel ends it at once),
//!   then `Done`;
//! - `unknown`: not in the catalog (`resolve` says `model_not_found`);
//! - `batch`: content, reasoning and `Done` in one batch (`EventSink::events`);
//! - `flood:<n>`: `n` batches of 64 KiB of text (batch `i` all
//!   the letter `a + i % 26`), then `Done`; whenever the host says its reader
//!   is behind (`EventSink::backlog`, interface 2.2) it waits until the host
//!   has room, as a real plugin stops reading its answer;
//! - `panic` (or any ref ending in `/panic`): the completion's own thread
//!   panics, as with `panicIn: ["complete_task"]`;
//! - anything else: `Content("hello from interface X")`, then `Done`.
//!
//! Settings: `{"panicIn": ["new_provider" | "discover" | "resolve" |
//! "complete" | "complete_task", ...], "tag": "..."}` — the named entry
//! points panic (`complete_task`: inside the completion's own thread); `tag`
//! is appended to every answer, so tests can tell two providers apart.

// `export_plugin!` expands to abi_stable's export, which is `unsafe` code;
// `#[sabi_trait]` impls return `RResult<_, AbiError>` through `extern "C"`
// shims (a non-exhaustive enum rustc cannot prove FFI-safe; abi_stable checks
// its layout at load time).
#![allow(unsafe_code, improper_ctypes_definitions)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use abi_stable::std_types::{RResult, RStr, RVec};
use plugin_sdk::{
    CompletionSink, Delivery, HostInfo, ProviderPlugin, cancel_handle, guard, panic_error,
};
use provider_abi::abi::{
    AbiChatRequest, AbiError, AbiModelInfo, AbiRefreshReport, AbiResolvedModel,
    CompletionHandleBox, EventSinkBox, INTERFACE_VERSION, ProviderApi,
};
use provider_abi::{
    ChatEvent, ErrorKind, EventBatch, ModelInfo, ProviderError, RefreshReport, ResolvedModel,
    ShutdownReport,
};

/// The provider id in this plugin's model refs.
const PROVIDER_ID: &str = "compat";

/// The text of one batch of model `flood:<n>`.
const FLOOD_BATCH_BYTES: usize = 64 * 1024;

struct CompatPlugin;

impl ProviderPlugin for CompatPlugin {
    type Provider = CompatProvider;
    const PROVIDER_ID: &'static str = PROVIDER_ID;
    const PLUGIN_VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn build() -> String {
        "compat test plugin".into()
    }

    fn new_provider(
        _host: &HostInfo,
        settings_json: &str,
    ) -> Result<CompatProvider, ProviderError> {
        let settings: serde_json::Value = serde_json::from_str(settings_json)
            .map_err(|e| ProviderError::new(ErrorKind::InvalidRequest, format!("settings: {e}")))?;
        let provider = CompatProvider {
            panic_in: settings["panicIn"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            tag: settings["tag"].as_str().unwrap_or_default().to_string(),
        };
        provider.hook("new_provider");
        Ok(provider)
    }

    fn shutdown(_timeout: Duration) -> ShutdownReport {
        ShutdownReport {
            clean: true,
            message: "compat plugin: nothing was running".into(),
        }
    }
}

plugin_sdk::export_plugin!(CompatPlugin);

struct CompatProvider {
    panic_in: Vec<String>,
    tag: String,
}

impl CompatProvider {
    fn hook(&self, entry: &str) {
        if self.panic_in.iter().any(|e| e == entry) {
            // The whole point of this setting.
            #[allow(clippy::panic)]
            {
                panic!("test hook: deliberate panic in {entry}");
            }
        }
    }

    fn model(&self, model_ref: &str) -> Result<ResolvedModel, ProviderError> {
        let name = model_ref
            .strip_prefix("compat/")
            .unwrap_or(model_ref)
            .to_string();
        if name == "unknown" {
            return Err(ProviderError::new(
                ErrorKind::ModelNotFound,
                format!("the compat plugin has no model '{model_ref}'"),
            ));
        }
        Ok(ResolvedModel {
            model_ref: format!("{PROVIDER_ID}/{name}"),
            router_model: name.clone(),
            verified: true,
            display_name: name.clone(),
            info: ModelInfo {
                id: name,
                ..ModelInfo::default()
            },
            ..ResolvedModel::default()
        })
    }
}

fn kind_named(name: &str) -> ErrorKind {
    ErrorKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or(ErrorKind::Internal)
}

/// Runs one scripted completion on its own thread; `cancelled` ends a pause.
fn run(name: &str, tag: &str, sink: &CompletionSink, cancelled: &AtomicBool) {
    if let Some(kind) = name.strip_prefix("fail:") {
        let kind = kind_named(kind);
        sink.finish(Some(ProviderError::new(kind, format!("scripted {kind}"))));
        return;
    }
    if let Some(n) = name.strip_prefix("flood:").and_then(|n| n.parse().ok()) {
        flood(n, sink, cancelled);
        return;
    }
    let text = format!("hello from interface {INTERFACE_VERSION}{tag}");
    // As the real plugin does, in one batch (interface 2.1.0): a host of 2.0
    // gets it one event at a time, through the batch method's default body.
    let mut batch = EventBatch::new();
    batch.push_content(&text);
    if name == "batch" {
        batch.push_reasoning("and reasoning");
        batch.push(ChatEvent::Done {
            finish_reason: "stop".into(),
        });
        let _ = sink.events(batch);
        sink.finish(None);
        return;
    }
    let _ = sink.events(batch);
    #[cfg(feature = "interface-next")]
    {
        use provider_abi::abi::{AbiChatEvent, AbiErrorKind, AbiErrorKind_NE};
        // Variants only the next interface has: sent through the raw sink.
        let _ = sink.event_abi(provider_abi::abi::AbiChatEvent_NE::new(
            AbiChatEvent::NextNotice("an event added in the next interface".into()),
        ));
        if name == "error" {
            let mut e = AbiError::from(ProviderError::new(
                ErrorKind::Internal,
                "quota exhausted (an error kind added in the next interface)",
            ));
            e.kind = AbiErrorKind_NE::new(AbiErrorKind::NextQuotaExhausted);
            sink.finish_abi(Some(e));
            return;
        }
    }
    if name == "error" {
        sink.finish(Some(ProviderError::new(
            ErrorKind::RateLimited,
            "slow down",
        )));
        return;
    }
    if let Some(ms) = name.strip_prefix("slow:").and_then(|ms| ms.parse().ok()) {
        let until = Instant::now() + Duration::from_millis(ms);
        while Instant::now() < until {
            if cancelled.load(Ordering::Acquire) {
                sink.finish(Some(ProviderError::new(ErrorKind::Cancelled, "cancelled")));
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let _ = sink.event(ChatEvent::Done {
        finish_reason: "stop".into(),
    });
    sink.finish(None);
}

/// Model `flood:<n>`: big batches, paced by the host's backlog. This plugin's
/// completions run on threads of their own, so it may wait by sleeping.
fn flood(batches: usize, sink: &CompletionSink, cancelled: &AtomicBool) {
    for i in 0..batches {
        let letter = char::from(b'a' + (i % 26) as u8);
        let mut batch = EventBatch::new();
        batch.push_content(&letter.to_string().repeat(FLOOD_BATCH_BYTES));
        match sink.events(batch) {
            Delivery::Taken => {}
            Delivery::Behind(backlog) => {
                while !backlog.has_room() {
                    if cancelled.load(Ordering::Acquire) {
                        sink.finish(Some(ProviderError::new(ErrorKind::Cancelled, "cancelled")));
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Delivery::Gone => return,
        }
    }
    let _ = sink.event(ChatEvent::Done {
        finish_reason: "stop".into(),
    });
    sink.finish(None);
}

impl ProviderApi for CompatProvider {
    fn discover(&self) -> RResult<RVec<AbiModelInfo>, AbiError> {
        guard(
            "discover",
            AssertUnwindSafe(|| {
                self.hook("discover");
                let model = self.model("compat/hello")?;
                Ok(RVec::from(vec![AbiModelInfo::from(&model.info)]))
            }),
        )
    }

    fn resolve(&self, model_ref: RStr<'_>) -> RResult<AbiResolvedModel, AbiError> {
        guard(
            "resolve",
            AssertUnwindSafe(|| {
                self.hook("resolve");
                self.model(model_ref.as_str()).map(AbiResolvedModel::from)
            }),
        )
    }

    fn complete(&self, request: AbiChatRequest, sink: EventSinkBox) -> CompletionHandleBox {
        let sink = CompletionSink::new(sink);
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancelled);
        let handle = cancel_handle(move || flag.store(true, Ordering::Release));
        let started = guard(
            "complete",
            AssertUnwindSafe(|| {
                self.hook("complete");
                Ok(())
            }),
        );
        if let RResult::RErr(e) = started {
            sink.finish(Some(e.into()));
            return handle;
        }
        let name = request.model.as_str();
        let name = name.strip_prefix("compat/").unwrap_or(name).to_string();
        let tag = self.tag.clone();
        // `panic` as the model's last segment chooses the panic per call, so
        // a host whose settings this plugin cannot take (a gateway's checked
        // config) can still script one.
        let panics = self.panic_in.iter().any(|e| e == "complete_task")
            || name.rsplit('/').next() == Some("panic");
        std::thread::spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                if panics {
                    #[allow(clippy::panic)] // the test hook
                    {
                        panic!("test hook: deliberate panic in complete_task");
                    }
                }
                run(&name, &tag, &sink, &cancelled);
            }));
            if let Err(payload) = outcome {
                sink.finish(Some(panic_error("complete_task", payload.as_ref())));
            }
        });
        handle
    }

    fn refresh(&self, _timeout_ms: u64) -> RResult<AbiRefreshReport, AbiError> {
        RResult::ROk(AbiRefreshReport::from(RefreshReport {
            models: 1,
            discovered: 0,
            fetched_at: std::time::SystemTime::UNIX_EPOCH,
        }))
    }
}
