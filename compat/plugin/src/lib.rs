//! Test-only: the smallest provider plugin, built as several interface
//! versions by host-sdk's test-only features, so the compatibility tests load
//! real libraries of each version.
//!
//! Its provider answers every completion with one `Content` event and `Done`;
//! built as the next interface (`interface-next`) it also sends the event
//! variant that version appends, and a completion for model `error` ends with
//! the error kind that version appends — what an older host must survive.

// `#[export_root_module]`, `#[sabi_extern_fn]` and `#[sabi_trait]` impls expand
// to `unsafe` code and to `extern "C"` fns returning `RResult<_, AbiError>`
// (a non-exhaustive enum rustc cannot prove FFI-safe; abi_stable checks its
// layout at load time). Allowed here, at the edge, as in the real plugin.
#![allow(unsafe_code, improper_ctypes_definitions)]

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_extern_fn,
    sabi_trait::TD_Opaque,
    std_types::{RErr, RNone, RResult, RSome, RStr, RString, RVec},
};
use host_sdk::abi::{
    AbiChatEvent, AbiChatEvent_NE, AbiChatRequest, AbiError, AbiErrorKind, AbiErrorKind_NE,
    AbiHostContext, AbiModelInfo, AbiPluginInfo, AbiResolvedModel, AbiShutdownReport,
    CompletionHandle, CompletionHandle_TO, CompletionHandleBox, EventSinkBox, INTERFACE_VERSION,
    ProviderApi, ProviderApi_TO, ProviderBox, ProviderModule, ProviderModule_Ref,
};

/// The provider id in this plugin's model refs.
const PROVIDER_ID: &str = "compat";

/// The root module the host loads.
#[export_root_module]
pub fn get_library() -> ProviderModule_Ref {
    ProviderModule {
        plugin_info,
        new_provider,
        shutdown,
        #[cfg(feature = "interface-next")]
        next_field,
    }
    .leak_into_prefix()
}

#[sabi_extern_fn]
fn plugin_info() -> AbiPluginInfo {
    AbiPluginInfo {
        provider_id: PROVIDER_ID.into(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        interface_version: INTERFACE_VERSION.into(),
        build: "compat test plugin".into(),
    }
}

#[sabi_extern_fn]
fn new_provider(host: AbiHostContext, settings_json: RStr<'_>) -> RResult<ProviderBox, AbiError> {
    let _ = (host, settings_json);
    RResult::ROk(ProviderApi_TO::from_value(CompatProvider, TD_Opaque))
}

#[sabi_extern_fn]
fn shutdown(timeout_ms: u64) -> AbiShutdownReport {
    let _ = timeout_ms;
    AbiShutdownReport {
        clean: true,
        message: "compat plugin: nothing was running".into(),
    }
}

/// The root-module field the next interface appends.
#[cfg(feature = "interface-next")]
#[sabi_extern_fn]
fn next_field() -> RString {
    "a field appended in interface 1.2.0".into()
}

fn error(kind: AbiErrorKind, message: &str) -> AbiError {
    AbiError {
        kind: AbiErrorKind_NE::new(kind),
        message: message.into(),
        status: RNone,
        request_id: RNone,
        retry_after_ms: RNone,
    }
}

struct CompatProvider;

impl ProviderApi for CompatProvider {
    fn discover(&self) -> RResult<RVec<AbiModelInfo>, AbiError> {
        RResult::ROk(RVec::new())
    }

    fn resolve(&self, model_ref: RStr<'_>) -> RResult<AbiResolvedModel, AbiError> {
        let message = format!("the compat plugin has no catalog ({model_ref})");
        RErr(error(AbiErrorKind::ModelNotFound, &message))
    }

    /// Sends the whole answer before returning: there is nothing to wait for,
    /// and the host's sink only queues events.
    fn complete(&self, request: AbiChatRequest, sink: EventSinkBox) -> CompletionHandleBox {
        let handle = CompletionHandle_TO::from_value(Finished, TD_Opaque);
        #[cfg(feature = "interface-next")]
        if request.model.as_str() == "error" {
            let e = error(
                AbiErrorKind::NextQuotaExhausted,
                "quota exhausted (an error kind added in 1.2.0)",
            );
            sink.finish(RSome(e));
            return handle;
        }
        let text = RString::from(format!("hello from interface {INTERFACE_VERSION}"));
        let _ = sink.event(AbiChatEvent_NE::new(AbiChatEvent::Content(text)));
        #[cfg(feature = "interface-next")]
        let _ = sink.event(AbiChatEvent_NE::new(AbiChatEvent::NextNotice(
            "an event added in 1.2.0".into(),
        )));
        if request.model.as_str() == "error" {
            sink.finish(RSome(error(AbiErrorKind::RateLimited, "slow down")));
            return handle;
        }
        let _ = sink.event(AbiChatEvent_NE::new(AbiChatEvent::Done {
            finish_reason: "stop".into(),
        }));
        sink.finish(RNone);
        handle
    }
}

/// The handle of a completion that finished before `complete` returned.
struct Finished;

impl CompletionHandle for Finished {
    fn cancel(&self) {}
}
