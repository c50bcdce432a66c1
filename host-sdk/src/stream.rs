//! A completion's events as the host reads them: the sink the plugin calls
//! from its threads, and the [`ChatStream`] it feeds.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use abi_stable::std_types::{ROption, RSome};
#[cfg(not(feature = "interface-prev"))]
use provider_abi::abi::AbiEventBatch;
use provider_abi::abi::{AbiChatEvent_NE, AbiError, BatchEvents, CompletionHandleBox, EventSink};
use provider_abi::{ChatEvent, ErrorKind, ProviderError};
use tokio::sync::mpsc;

use crate::response::ChatResponse;

/// What travels from the plugin's threads to the stream.
pub(crate) enum Message {
    Event(ChatEvent),
    /// Several events, in order: one message, so one wake-up of the reader.
    /// Each is converted when the reader takes it, so a batch waiting in the
    /// queue keeps its text in one buffer.
    // Never sent when built as interface 2.0 (see `ChannelSink::events`).
    #[cfg_attr(feature = "interface-prev", allow(dead_code))]
    Events(BatchEvents),
    Finished(Option<ProviderError>),
}

/// The host's sink: it converts on the plugin thread and hands over through
/// an unbounded channel, because a sink must never block a plugin runtime
/// thread; a completion's size bounds what can queue up.
pub(crate) struct ChannelSink {
    pub(crate) tx: mpsc::UnboundedSender<Message>,
}

impl EventSink for ChannelSink {
    fn event(&self, event: AbiChatEvent_NE) -> bool {
        self.tx.send(Message::Event(event.into())).is_ok()
    }

    // Built as interface 2.0 (test-only `interface-prev`), the trait has no
    // batch method: a 2.1 plugin's batches then arrive through its default
    // body, one `event` each.
    #[cfg(not(feature = "interface-prev"))]
    fn events(&self, batch: AbiEventBatch) -> bool {
        if batch.is_empty() {
            return !self.tx.is_closed();
        }
        self.tx.send(Message::Events(batch.into_events())).is_ok()
    }

    fn finish(&self, error: ROption<AbiError>) {
        let error = match error {
            RSome(e) => Some(ProviderError::from(e)),
            _ => None,
        };
        let _ = self.tx.send(Message::Finished(error));
    }
}

/// Counts a completion as in flight until its stream finishes or is dropped.
pub(crate) struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub(crate) fn enter(counter: &Arc<AtomicUsize>) -> InFlight {
        counter.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The events of one completion: `Ok` events, then either the end of the
/// stream or one `Err`. Dropping it cancels the completion.
pub struct ChatStream {
    rx: mpsc::UnboundedReceiver<Message>,
    /// The rest of the last batch received.
    pending: Option<BatchEvents>,
    // Boxed so the stream is `Unpin` (the trait object itself is not).
    handle: Option<Box<CompletionHandleBox>>,
    finished: bool,
    in_flight: Option<InFlight>,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("finished", &self.finished)
            .finish()
    }
}

impl ChatStream {
    pub(crate) fn new(
        rx: mpsc::UnboundedReceiver<Message>,
        handle: CompletionHandleBox,
        in_flight: InFlight,
    ) -> ChatStream {
        ChatStream {
            rx,
            pending: None,
            handle: Some(Box::new(handle)),
            finished: false,
            in_flight: Some(in_flight),
        }
    }

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
            Some(Message::Events(mut events)) => {
                let first = events.next();
                self.pending = Some(events);
                first.map(Ok)
            }
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

    /// The next event of the batch being read, if one is left.
    fn pending_event(&mut self) -> Option<ChatEvent> {
        let event = self.pending.as_mut()?.next();
        if event.is_none() {
            self.pending = None;
        }
        event
    }

    fn finish(&mut self) {
        self.finished = true;
        self.handle = None;
        self.in_flight = None;
    }

    /// The next item, waiting on the calling thread. Must not be called from
    /// inside an async runtime.
    pub fn blocking_next(&mut self) -> Option<Result<ChatEvent, ProviderError>> {
        if let Some(event) = self.pending_event() {
            return Some(Ok(event));
        }
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
        if let Some(event) = self.pending_event() {
            return Poll::Ready(Some(Ok(event)));
        }
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
