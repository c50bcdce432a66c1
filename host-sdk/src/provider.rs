//! The idiomatic provider API hosts call.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RNone, RSome};
use provider_abi::abi::{AbiChatRequest, AbiHostContext, EventSink_TO, LogSink_TO, ProviderBox};
use provider_abi::{
    ChatRequest, ErrorKind, ModelInfo, ProviderError, RefreshReport, ResolvedModel,
};
use tokio::sync::mpsc;

use crate::failover::{FailoverStream, failover_chain};
use crate::log_bridge::TracingLogSink;
use crate::plugin::Plugin;
use crate::response::ChatResponse;
use crate::stream::{Backlog, ChannelSink, ChatStream, InFlight};

/// What the host tells a provider about itself.
#[derive(Debug, Clone)]
pub struct HostContext {
    /// The host program's name.
    pub name: String,
    /// The host program's version.
    pub version: String,
    /// Forward the plugin's log records into this process's `tracing`
    /// subscriber (with their own level and target). On by default.
    pub forward_logs: bool,
}

impl HostContext {
    /// A context for host `name` at `version`, forwarding logs.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        HostContext {
            name: name.into(),
            version: version.into(),
            forward_logs: true,
        }
    }

    fn into_abi(self) -> AbiHostContext {
        AbiHostContext {
            host_name: self.name.into(),
            #[cfg(feature = "layout-break")]
            layout_break: 0,
            host_version: self.version.into(),
            log: if self.forward_logs {
                RSome(LogSink_TO::from_value(TracingLogSink, TD_Opaque))
            } else {
                RNone
            },
        }
    }
}

/// A provider created by a [`Plugin`]. Cheap to clone; safe to use from any
/// thread and from inside any async runtime.
#[derive(Clone)]
pub struct Provider {
    api: Arc<ProviderBox>,
    plugin: Plugin,
    in_flight: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("plugin", &self.plugin)
            .finish()
    }
}

impl Provider {
    /// Creates a provider from `plugin` with `settings` (a JSON object; see
    /// the plugin's documentation for its keys).
    ///
    /// # Errors
    /// `InvalidRequest` naming the bad key when the settings are wrong;
    /// `PluginPanicked` if the plugin panicked (the host is unaffected).
    pub fn new(
        plugin: &Plugin,
        host: HostContext,
        settings: &serde_json::Value,
    ) -> Result<Provider, ProviderError> {
        let json = settings.to_string();
        let api = (plugin.module().new_provider())(host.into_abi(), json.as_str().into())
            .into_result()
            .map_err(ProviderError::from)?;
        Ok(Provider {
            api: Arc::new(api),
            plugin: plugin.clone(),
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// How many completions started on this provider (or its clones) have not
    /// finished yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// The shared in-flight counter, so a hot-swap slot can keep counting a
    /// retired version's calls after it dropped the provider itself.
    pub(crate) fn in_flight_counter(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.in_flight)
    }

    /// The plugin this provider came from.
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }

    /// The catalog as it is in memory right now; never waits on the network.
    ///
    /// # Errors
    /// Only if the plugin failed internally (e.g. panicked).
    pub fn discover(&self) -> Result<Vec<ModelInfo>, ProviderError> {
        self.api
            .discover()
            .into_result()
            .map(|models| models.into_iter().map(ModelInfo::from).collect())
            .map_err(ProviderError::from)
    }

    /// Resolves a model ref (`<provider>/<id>[:suffix]`, a bare id, or an alias).
    ///
    /// # Errors
    /// `ModelNotFound` (with close matches in the message) or `InvalidRequest`
    /// for a malformed ref or a backend that does not serve the model.
    pub fn resolve(&self, model_ref: &str) -> Result<ResolvedModel, ProviderError> {
        self.api
            .resolve(model_ref.into())
            .into_result()
            .map(ResolvedModel::from)
            .map_err(ProviderError::from)
    }

    /// Refreshes the catalog from the router now, waiting at most `timeout`
    /// (blocks the calling thread; see [`Provider::refresh`] for async code).
    ///
    /// # Errors
    /// Why the refresh failed (no token, network, timeout, a bad answer); the
    /// catalog in memory is unchanged and [`Provider::discover`] still answers.
    pub fn refresh_blocking(
        &self,
        timeout: std::time::Duration,
    ) -> Result<RefreshReport, ProviderError> {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.api
            .refresh(ms)
            .into_result()
            .map(RefreshReport::from)
            .map_err(ProviderError::from)
    }

    /// Async form of [`Provider::refresh_blocking`], run on a blocking thread
    /// of the caller's tokio runtime.
    ///
    /// # Errors
    /// As [`Provider::refresh_blocking`].
    pub async fn refresh(
        &self,
        timeout: std::time::Duration,
    ) -> Result<RefreshReport, ProviderError> {
        let provider = self.clone();
        tokio::task::spawn_blocking(move || provider.refresh_blocking(timeout))
            .await
            .unwrap_or_else(|e| {
                Err(ProviderError::new(
                    ErrorKind::Internal,
                    format!("the refresh task failed: {e}"),
                ))
            })
    }

    /// Starts a completion and returns its event stream. Dropping the stream
    /// cancels the completion and closes its connection.
    ///
    /// Needs no runtime to call; the stream is polled from any async runtime or
    /// read with [`ChatStream::blocking_next`] from a plain thread.
    pub fn complete(&self, request: ChatRequest) -> ChatStream {
        let in_flight = InFlight::enter(&self.in_flight);
        let (tx, rx) = mpsc::unbounded_channel();
        let backlog = Arc::new(Backlog::default());
        let sink = ChannelSink {
            tx,
            backlog: Arc::clone(&backlog),
        };
        let sink = EventSink_TO::from_value(sink, TD_Opaque);
        let handle = self.api.complete(AbiChatRequest::from(request), sink);
        ChatStream::new(rx, backlog, handle, in_flight)
    }

    /// Like [`Provider::complete`], failing over to `fallbacks` (in order,
    /// duplicates removed) on errors another model may not have, before any
    /// output (see [`FailoverStream`]). An empty or blank ref, the requested
    /// one or a fallback, ends the stream at once with an `InvalidRequest`
    /// error: nothing is sent.
    pub fn complete_with_failover(
        &self,
        request: ChatRequest,
        fallbacks: &[String],
    ) -> FailoverStream {
        let chain = failover_chain(&request.model, fallbacks);
        let refused = crate::failover::blank_ref(&request.model, fallbacks);
        FailoverStream::new(self.clone(), request, chain, refused)
    }

    /// Runs a completion to its end on the calling thread.
    ///
    /// Must not be called from inside an async runtime's worker thread (use
    /// [`Provider::complete`] there, or `spawn_blocking`).
    ///
    /// # Errors
    /// The error that ended the stream.
    pub fn complete_blocking(&self, request: ChatRequest) -> Result<ChatResponse, ProviderError> {
        let mut stream = self.complete(request);
        let mut response = ChatResponse::default();
        while let Some(item) = stream.blocking_next() {
            response.apply(&item?);
        }
        Ok(response)
    }
}
