//! The idiomatic provider API hosts call.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{ROption, RSome};
use tokio::sync::mpsc;

use crate::abi::{
    AbiChatEvent_NE, AbiChatRequest, AbiError, CompletionHandleBox, EventSink, EventSink_TO,
    ProviderBox,
};
use crate::chat::{ChatEvent, ChatRequest};
use crate::error::{ErrorKind, ProviderError};
use crate::model::{ModelInfo, RefreshReport, ResolvedModel};
use crate::plugin::Plugin;
use crate::response::ChatResponse;

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
    pub(crate) fn new(api: ProviderBox, plugin: Plugin) -> Self {
        Provider {
            api: Arc::new(api),
            plugin,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
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

    /// Resolves a model ref (`huggingface/<id>[:suffix]`, a bare id, or an alias).
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
        let sink = EventSink_TO::from_value(ChannelSink { tx }, TD_Opaque);
        let handle = self.api.complete(AbiChatRequest::from(request), sink);
        ChatStream {
            rx,
            handle: Some(Box::new(handle)),
            finished: false,
            in_flight: Some(in_flight),
        }
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

/// What travels from the plugin's threads to the stream.
enum Message {
    Event(ChatEvent),
    Finished(Option<ProviderError>),
}

/// The host's sink: it converts on the plugin thread and hands over through
/// an unbounded channel, because a sink must never block a plugin runtime
/// thread; a completion's size bounds what can queue up.
struct ChannelSink {
    tx: mpsc::UnboundedSender<Message>,
}

impl EventSink for ChannelSink {
    fn event(&self, event: AbiChatEvent_NE) -> bool {
        self.tx.send(Message::Event(event.into())).is_ok()
    }

    fn finish(&self, error: ROption<AbiError>) {
        let error = match error {
            RSome(e) => Some(ProviderError::from(e)),
            _ => None,
        };
        let _ = self.tx.send(Message::Finished(error));
    }
}

/// The events of one completion: `Ok` events, then either the end of the
/// stream or one `Err`.
pub struct ChatStream {
    rx: mpsc::UnboundedReceiver<Message>,
    // Boxed so the stream is `Unpin` (the trait object itself is not).
    handle: Option<Box<CompletionHandleBox>>,
    finished: bool,
    in_flight: Option<InFlight>,
}

/// Counts a completion as in flight until the stream finishes or is dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: &Arc<AtomicUsize>) -> InFlight {
        counter.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("finished", &self.finished)
            .finish()
    }
}

impl ChatStream {
    /// Asks the plugin to stop; the stream then ends with a `Cancelled` error
    /// (unless it had already finished).
    pub fn cancel(&self) {
        if let Some(handle) = &self.handle {
            handle.cancel();
        }
    }

    fn on_message(&mut self, message: Option<Message>) -> Option<Result<ChatEvent, ProviderError>> {
        if self.finished {
            return None;
        }
        match message {
            Some(Message::Event(event)) => Some(Ok(event)),
            Some(Message::Finished(None)) => {
                self.finish();
                None
            }
            Some(Message::Finished(Some(error))) => {
                self.finish();
                Some(Err(error))
            }
            None => {
                self.finish();
                Some(Err(ProviderError::new(
                    ErrorKind::Internal,
                    "the plugin ended the stream without finishing it (was it shut down?)",
                )))
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.handle = None;
        self.in_flight = None;
    }

    /// The next item, waiting on the calling thread. Must not be called from
    /// inside an async runtime.
    pub fn blocking_next(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        if self.finished {
            return None;
        }
        let message = self.rx.blocking_recv();
        self.on_message(message)
    }

    /// The next item: an event, the error that ended the stream, or `None` at its end.
    pub async fn next(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// Reads the stream to its end and folds it into one answer.
    ///
    /// # Errors
    /// The error that ended the stream.
    pub async fn collect(mut self) -> Result<ChatResponse, ProviderError> {
        let mut response = ChatResponse::default();
        while let Some(item) = self.next().await {
            response.apply(&item?);
        }
        Ok(response)
    }

    pub(crate) fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ChatEvent, ProviderError>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(message) => Poll::Ready(self.on_message(message)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl futures_core::Stream for ChatStream {
    type Item = Result<ChatEvent, ProviderError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl Drop for ChatStream {
    fn drop(&mut self) {
        if !self.finished {
            self.cancel();
        }
    }
}
