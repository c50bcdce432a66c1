//! The provider object the host calls through the ABI: each method converts
//! at the edge and runs its body under plugin-sdk's panic firewall.

use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use abi_stable::std_types::{RResult, RStr, RVec};
use plugin_sdk::{CompletionSink, cancel_handle, guard, panic_error};
use provider_abi::abi::{
    AbiChatRequest, AbiError, AbiModelInfo, AbiRefreshReport, AbiResolvedModel,
    CompletionHandleBox, EventSinkBox, ProviderApi,
};
use provider_abi::{ChatRequest, ErrorKind, EventBatch, ModelSource, ProviderError, RefreshReport};
use tokio_util::sync::CancellationToken;

use crate::catalog::{Aliases, CatalogHandle, RefreshOptions, RefreshOutcome};
use crate::chat::{ChatConfig, CompletionTarget, run_completion};
use crate::http::HttpClients;
use crate::runtime;
use crate::settings::Settings;

/// One provider instance: settings, catalog and HTTP client.
pub(crate) struct HfProvider {
    #[cfg(test)]
    hooks: crate::test_hooks::TestHooks,
    aliases: Aliases,
    catalog: Arc<CatalogHandle>,
    chat: Arc<ChatConfig>,
    http: HttpClients,
}

impl HfProvider {
    pub(crate) fn new(settings: Settings) -> Result<HfProvider, ProviderError> {
        #[cfg(test)]
        settings.test_hooks.maybe_panic("new_provider");
        let (rt, generation) = runtime::handle()?;
        let http = HttpClients::new(settings.connect_timeout, generation)?;
        let catalog = CatalogHandle::start(
            &rt,
            http.get(generation)?,
            RefreshOptions::from_settings(&settings),
        );
        Ok(HfProvider {
            #[cfg(test)]
            hooks: settings.test_hooks.clone(),
            aliases: Aliases::new(settings.aliases.clone()),
            catalog: Arc::new(catalog),
            chat: Arc::new(ChatConfig::from_settings(&settings)),
            http,
        })
    }

    fn hook(&self, _entry: &str) {
        #[cfg(test)]
        self.hooks.maybe_panic(_entry);
    }

    fn refresh_blocking(&self, timeout: Duration) -> Result<RefreshReport, ProviderError> {
        let catalog = Arc::clone(&self.catalog);
        let outcome = runtime::wait_for(
            async move { catalog.refresh_now(timeout).await },
            timeout + Duration::from_secs(1),
        )?
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Timeout,
                format!(
                    "the model list refresh did not finish within {} s",
                    timeout.as_secs_f64()
                ),
            )
        })??;
        match outcome {
            RefreshOutcome::Updated { models, fetched_at } => {
                let discovered = self
                    .catalog
                    .current()
                    .models()
                    .iter()
                    .filter(|m| m.source != ModelSource::Builtin)
                    .count();
                Ok(RefreshReport {
                    models: models as u64,
                    discovered: discovered as u64,
                    fetched_at,
                })
            }
            RefreshOutcome::Disabled => Err(ProviderError::new(
                ErrorKind::InvalidRequest,
                "model discovery is switched off (plugins.entries.huggingface.config.discovery.enabled = false)",
            )),
        }
    }

    /// Resolves the model and spawns the completion task; every error of
    /// this and of the task reaches the host through `sink`.
    fn start(
        &self,
        request: AbiChatRequest,
        sink: &Arc<CompletionSink>,
        cancel: &CancellationToken,
    ) -> Result<(), ProviderError> {
        self.hook("complete");
        let request = ChatRequest::from(request);
        let catalog = self.catalog.current();
        let resolved = catalog.resolve_ref(&request.model, &self.aliases)?;
        let (pricing, default_pricing) = catalog.pricing_for(&resolved.info.id);
        let target = CompletionTarget {
            router_model: resolved.router_model,
            pricing,
            default_pricing,
        };
        let (rt, generation) = runtime::handle()?;
        let http = self.http.get(generation)?;
        let config = Arc::clone(&self.chat);
        let events = Arc::clone(sink);
        let cancel = cancel.clone();
        #[cfg(test)]
        let hooks = self.hooks.clone();
        let sink = Arc::clone(sink);
        // One task: a panic in the completion is caught where it happens (a second task
        // awaiting the first would cost a spawn and a wake-up before the first token).
        // Dropped by the runtime's shutdown, it never finishes the sink: the sink's drop
        // says so.
        rt.spawn(async move {
            let mut work = pin!(async {
                #[cfg(test)]
                hooks.maybe_panic("complete_task");
                let mut emit = |batch: &mut EventBatch| events.events(batch.take());
                run_completion(&http, &config, &target, request, &mut emit, &cancel).await
            });
            let caught = poll_fn(|cx| {
                match std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))) {
                    Ok(Poll::Pending) => Poll::Pending,
                    Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
                    Err(panic) => Poll::Ready(Err(panic)),
                }
            });
            let outcome = match caught.await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(panic) => Some(panic_error("complete", panic.as_ref())),
            };
            sink.finish(outcome);
        });
        Ok(())
    }
}

impl ProviderApi for HfProvider {
    fn discover(&self) -> RResult<RVec<AbiModelInfo>, AbiError> {
        guard(
            "discover",
            AssertUnwindSafe(|| {
                self.hook("discover");
                Ok(self
                    .catalog
                    .current()
                    .models()
                    .iter()
                    .map(AbiModelInfo::from)
                    .collect())
            }),
        )
    }

    fn resolve(&self, model_ref: RStr<'_>) -> RResult<AbiResolvedModel, AbiError> {
        guard(
            "resolve",
            AssertUnwindSafe(|| {
                self.hook("resolve");
                let catalog = self.catalog.current();
                let r = catalog.resolve_ref(model_ref.as_str(), &self.aliases)?;
                Ok(AbiResolvedModel {
                    model_ref: r.model_ref.into(),
                    router_model: r.router_model.into(),
                    suffix: r.suffix.map(Into::into).into(),
                    locked: r.locked,
                    verified: r.verified,
                    display_name: r.display_name.into(),
                    info: AbiModelInfo::from(r.info.as_ref()),
                })
            }),
        )
    }

    fn complete(&self, request: AbiChatRequest, sink: EventSinkBox) -> CompletionHandleBox {
        let sink = Arc::new(CompletionSink::new(sink));
        let cancel = CancellationToken::new();
        let started = guard(
            "complete",
            AssertUnwindSafe(|| self.start(request, &sink, &cancel)),
        );
        if let RResult::RErr(e) = started {
            sink.finish(Some(e.into()));
        }
        cancel_handle(move || cancel.cancel())
    }

    fn refresh(&self, timeout_ms: u64) -> RResult<AbiRefreshReport, AbiError> {
        guard(
            "refresh",
            AssertUnwindSafe(|| {
                self.hook("refresh");
                self.refresh_blocking(Duration::from_millis(timeout_ms))
                    .map(AbiRefreshReport::from)
            }),
        )
    }
}

impl Drop for HfProvider {
    fn drop(&mut self) {
        self.catalog.stop();
    }
}

#[cfg(test)]
mod tests {
    //! Each entry point of this provider runs under plugin-sdk's firewall: a
    //! panic anywhere (test hooks inject one) reaches the host as an error.
    //! Across a real dlopen boundary the same firewall is tested in host-sdk.

    use std::sync::mpsc;

    use abi_stable::sabi_trait::TD_Opaque;
    use abi_stable::std_types::{RNone, ROption};
    use provider_abi::abi::{AbiChatEvent_NE, AbiHostContext, EventSink, EventSink_TO};
    use provider_abi::{ChatRequest, Message};
    use serde_json::json;

    use super::*;

    struct Finish(mpsc::Sender<Option<ProviderError>>);

    impl EventSink for Finish {
        fn event(&self, _event: AbiChatEvent_NE) -> bool {
            true
        }

        fn finish(&self, error: ROption<AbiError>) {
            let _ = self.0.send(error.into_option().map(ProviderError::from));
        }
    }

    fn settings(panic_in: &[&str]) -> String {
        json!({
            "baseUrl": "http://127.0.0.1:9/v1",
            "discovery": { "enabled": false },
            "testHooks": { "panicIn": panic_in },
        })
        .to_string()
    }

    fn provider(panic_in: &[&str]) -> HfProvider {
        HfProvider::new(crate::settings::parse(&settings(panic_in)).unwrap()).unwrap()
    }

    /// The error `complete` ends with.
    fn complete(provider: &HfProvider) -> Option<ProviderError> {
        let (tx, rx) = mpsc::channel();
        let request = ChatRequest::new("huggingface/Qwen/Qwen3-8B", vec![Message::user("x")]);
        let _handle = provider.complete(
            AbiChatRequest::from(request),
            EventSink_TO::from_value(Finish(tx), TD_Opaque),
        );
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    fn assert_panicked(error: Option<ProviderError>, entry: &str) {
        let error = error.unwrap_or_else(|| panic!("{entry}: no error"));
        assert_eq!(error.kind, ErrorKind::PluginPanicked, "{error}");
        assert!(error.message.contains(entry), "{error}");
    }

    #[test]
    fn a_panic_in_any_entry_point_is_an_error() {
        let p = provider(&["discover", "resolve", "refresh", "complete"]);
        assert_panicked(p.discover().into_result().err().map(Into::into), "discover");
        let resolved = p.resolve("huggingface/Qwen/Qwen3-8B".into()).into_result();
        assert_panicked(resolved.err().map(Into::into), "resolve");
        assert_panicked(
            p.refresh(1000).into_result().err().map(Into::into),
            "refresh",
        );
        assert_panicked(complete(&p), "complete");

        assert_panicked(complete(&provider(&["complete_task"])), "complete");
    }

    #[test]
    fn a_panic_while_creating_the_provider_is_an_error() {
        let module = plugin_sdk::root_module::<crate::HuggingFacePlugin>();
        let host = AbiHostContext {
            host_name: "unit".into(),
            host_version: "0".into(),
            log: RNone,
        };
        let json = settings(&["new_provider"]);
        let result = (module.new_provider())(host, json.as_str().into()).into_result();
        assert_panicked(result.err().map(Into::into), "new_provider");
    }
}
