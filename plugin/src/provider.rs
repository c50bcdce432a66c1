//! The provider object the host calls through the ABI.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RNone, ROption, RResult, RSome, RStr, RVec};
use host_sdk::abi::{
    AbiChatEvent_NE, AbiChatRequest, AbiError, AbiModelInfo, AbiRefreshReport, AbiResolvedModel,
    CompletionHandle, CompletionHandle_TO, CompletionHandleBox, EventSinkBox, ProviderApi,
};
use host_sdk::{ChatEvent, ChatRequest, ErrorKind, ModelSource, ProviderError, RefreshReport};
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::catalog::{Aliases, CatalogHandle, RefreshOptions, RefreshOutcome};
use crate::chat::{ChatConfig, CompletionTarget, RetryPolicy, run_completion};
use crate::guard::{guard, panic_error};
use crate::runtime;
use crate::settings::Settings;

/// One provider instance: settings, catalog and HTTP client.
pub(crate) struct HfProvider {
    settings: Settings,
    aliases: Aliases,
    catalog: Arc<CatalogHandle>,
    chat: Arc<ChatConfig>,
    /// The HTTP client of the current runtime generation: a pooled
    /// connection is bound to the runtime that opened it, so a restarted
    /// runtime needs a new pool.
    http: Mutex<(u64, reqwest::Client)>,
}

fn http_client(settings: &Settings) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        // A redirected POST would silently become a GET; the router never
        // redirects API calls, so treat one as the error it is.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("huggingface-provider/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            ProviderError::new(
                ErrorKind::Internal,
                format!("cannot build the HTTP client: {e}"),
            )
        })
}

impl HfProvider {
    pub(crate) fn new(settings: Settings) -> Result<HfProvider, ProviderError> {
        let (rt, generation) = runtime::handle()?;
        let http = http_client(&settings)?;
        let chat = ChatConfig {
            base_url: settings.base_url.clone(),
            api_key: settings.api_key.clone(),
            bill_to: settings.bill_to.clone(),
            first_byte_timeout: settings.first_byte_timeout,
            idle_timeout: settings.idle_timeout,
            total_timeout: settings.total_timeout,
            retry: RetryPolicy {
                max_attempts: settings.max_attempts,
                base_delay: settings.base_delay,
                max_delay: settings.max_delay,
                max_retry_after: settings.max_retry_after,
            },
            ..ChatConfig::default()
        };
        let mut options = RefreshOptions::new(settings.base_url.clone(), settings.api_key.clone());
        options.enabled = settings.discovery_enabled;
        options.interval = settings.discovery_interval;
        options.timeout = settings.discovery_timeout;
        options.state_dir = settings.state_dir.clone();
        let catalog = Arc::new(CatalogHandle::start(&rt, http.clone(), options));
        Ok(HfProvider {
            aliases: Aliases::new(settings.aliases.clone()),
            settings,
            catalog,
            chat: Arc::new(chat),
            http: Mutex::new((generation, http)),
        })
    }

    fn http(&self, generation: u64) -> Result<reqwest::Client, ProviderError> {
        let mut slot = self.http.lock();
        if slot.0 != generation {
            *slot = (generation, http_client(&self.settings)?);
        }
        Ok(slot.1.clone())
    }

    fn hook(&self, _entry: &str) {
        #[cfg(feature = "test-hooks")]
        self.settings.test_hooks.maybe_panic(_entry);
    }

    /// Blocks the calling (host) thread on a std channel while the refresh
    /// runs on the plugin's runtime: never `block_on` a host thread.
    fn refresh_blocking(&self, timeout: Duration) -> Result<RefreshReport, ProviderError> {
        let (rt, _) = runtime::handle()?;
        let catalog = Arc::clone(&self.catalog);
        let (tx, rx) = std::sync::mpsc::channel();
        rt.spawn(async move {
            let _ = tx.send(catalog.refresh_now(timeout).await);
        });
        let outcome = rx
            .recv_timeout(timeout + Duration::from_secs(1))
            .map_err(|_| {
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

    fn start(
        &self,
        request: AbiChatRequest,
        stream: &Arc<Stream>,
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
        let http = self.http(generation)?;
        let config = Arc::clone(&self.chat);
        let work_stream = Arc::clone(stream);
        let cancel = cancel.clone();
        #[cfg(feature = "test-hooks")]
        let hooks = self.settings.test_hooks.clone();
        let work = rt.spawn(async move {
            #[cfg(feature = "test-hooks")]
            hooks.maybe_panic("complete_task");
            let mut emit = |event: ChatEvent| work_stream.event(event);
            run_completion(&http, &config, &target, request, &mut emit, &cancel).await
        });
        let stream = Arc::clone(stream);
        rt.spawn(async move {
            let outcome = match work.await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(e) if e.is_panic() => Some(panic_error("complete", e.into_panic().as_ref())),
                Err(_) => Some(shut_down()),
            };
            stream.finish(outcome);
        });
        Ok(())
    }
}

fn shut_down() -> ProviderError {
    ProviderError::new(
        ErrorKind::Unavailable,
        "the plugin was shut down while the completion ran",
    )
}

/// One completion's sink, finished exactly once: by the task, by an error
/// before the task started, or (if the runtime was shut down under it) by
/// its drop.
struct Stream {
    sink: EventSinkBox,
    finished: AtomicBool,
}

impl Stream {
    fn event(&self, event: ChatEvent) -> bool {
        match AbiChatEvent_NE::try_from(event) {
            Ok(event) => self.sink.event(event),
            // Unknown events only exist on the host side; nothing to send.
            Err(_) => true,
        }
    }

    fn finish(&self, error: Option<ProviderError>) {
        if self.finished.swap(true, Ordering::AcqRel) {
            return;
        }
        let error: ROption<AbiError> = match error {
            Some(e) => RSome(e.into()),
            None => RNone,
        };
        self.sink.finish(error);
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.finish(Some(shut_down()));
    }
}

/// Cancels on `cancel()` and on drop.
struct Handle {
    cancel: CancellationToken,
}

impl CompletionHandle for Handle {
    fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.cancel.cancel();
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
        let stream = Arc::new(Stream {
            sink,
            finished: AtomicBool::new(false),
        });
        let cancel = CancellationToken::new();
        let started = guard(
            "complete",
            AssertUnwindSafe(|| self.start(request, &stream, &cancel)),
        );
        if let RResult::RErr(e) = started {
            stream.finish(Some(e.into()));
        }
        CompletionHandle_TO::from_value(Handle { cancel }, TD_Opaque)
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
