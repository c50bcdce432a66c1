//! A completion's events as the host reads them: the sink the plugin calls
//! from its threads, and the [`ChatStream`] it feeds.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use abi_stable::std_types::{ROption, RSome};
#[cfg(not(feature = "interface-prev"))]
use provider_abi::abi::AbiEventBatch;
use provider_abi::abi::{AbiChatEvent_NE, AbiError, BatchEvents, CompletionHandleBox, EventSink};
use provider_abi::{ChatEvent, ErrorKind, ProviderError};
use tokio::sync::mpsc;

use crate::response::ChatResponse;

/// What travels from the plugin's threads to the stream; events with the
/// bytes they count for in the queue's [`Backlog`].
pub(crate) enum Message {
    Event(ChatEvent, u64),
    /// Several events, in order: one message, so one wake-up of the reader.
    /// Each is converted when the reader takes it, so a batch waiting in the
    /// queue keeps its text in one buffer.
    // Never sent when built as interface 2.0 (see `ChannelSink::events`).
    #[cfg_attr(feature = "interface-prev", allow(dead_code))]
    Events(BatchEvents, u64),
    Finished(Option<ProviderError>),
}

/// The bytes of a completion's events that its reader has not taken yet:
/// added by the sink before a message goes into the queue, released by the
/// stream once the reader took the message's last event. The plugin reads
/// it through `EventSink::backlog`. Relaxed: a count, synchronising nothing.
#[derive(Debug, Default)]
pub(crate) struct Backlog(AtomicU64);

impl Backlog {
    fn add(&self, bytes: u64) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }

    fn release(&self, bytes: u64) {
        self.0.fetch_sub(bytes, Ordering::Relaxed);
    }

    fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// About the bytes one event holds: itself and its text.
fn event_bytes(event: &ChatEvent) -> u64 {
    let text = match event {
        ChatEvent::Content(text) | ChatEvent::Reasoning(text) | ChatEvent::Unknown(text) => {
            text.len()
        }
        ChatEvent::ToolCall(delta) => delta.arguments.len(),
        _ => 0,
    };
    (std::mem::size_of::<ChatEvent>() + text) as u64
}

/// The host's sink: it converts on the plugin thread and hands over through
/// an unbounded channel, because a sink must never block a plugin runtime
/// thread. What bounds the queue is the plugin: the sink counts the bytes
/// queued and reports them as its backlog, and a plugin of interface 2.2
/// reads its answer no further while they are above its high-water mark
/// (plugin-sdk's: 256 KiB). A reader that stops reading therefore slows
/// the plugin's upstream read instead of filling this process's memory. (A
/// plugin of 2.0 or 2.1 never asks, and is not slowed.)
pub(crate) struct ChannelSink {
    pub(crate) tx: mpsc::UnboundedSender<Message>,
    pub(crate) backlog: Arc<Backlog>,
}

impl ChannelSink {
    /// Queues `message`, counting `bytes` until the reader takes it; `false`
    /// when the stream is gone.
    fn queue(&self, message: Message, bytes: u64) -> bool {
        // Counted before it is sent, so the reader's release never comes first.
        self.backlog.add(bytes);
        if self.tx.send(message).is_ok() {
            true
        } else {
            self.backlog.release(bytes);
            false
        }
    }
}

impl EventSink for ChannelSink {
    fn event(&self, event: AbiChatEvent_NE) -> bool {
        let event = ChatEvent::from(event);
        let bytes = event_bytes(&event);
        self.queue(Message::Event(event, bytes), bytes)
    }

    // Built as interface 2.0 (test-only `interface-prev`), the trait has no
    // batch method: a 2.1 plugin's batches then arrive through its default
    // body, one `event` each.
    #[cfg(not(feature = "interface-prev"))]
    fn events(&self, batch: AbiEventBatch) -> bool {
        if batch.is_empty() {
            return !self.tx.is_closed();
        }
        let bytes = batch.bytes() as u64;
        self.queue(Message::Events(batch.into_events(), bytes), bytes)
    }

    fn finish(&self, error: ROption<AbiError>) {
        let error = match error {
            RSome(e) => Some(ProviderError::from(e)),
            _ => None,
        };
        let _ = self.tx.send(Message::Finished(error));
    }

    // Built as interface 2.0 (test-only `interface-prev`), the trait has no
    // backlog method: a 2.2 plugin then runs its default body (no backlog).
    #[cfg(not(feature = "interface-prev"))]
    fn backlog(&self) -> u64 {
        self.backlog.bytes()
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
    /// What the queue holds unread, shared with the plugin's sink.
    backlog: Arc<Backlog>,
    /// The rest of the last batch received, and what it counts for in `backlog`.
    pending: Option<BatchEvents>,
    pending_bytes: u64,
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
        backlog: Arc<Backlog>,
        handle: CompletionHandleBox,
        in_flight: InFlight,
    ) -> ChatStream {
        ChatStream {
            rx,
            backlog,
            pending: None,
            pending_bytes: 0,
            handle: Some(Box::new(handle)),
            finished: false,
            in_flight: Some(in_flight),
        }
    }

    /// About how many bytes of events the plugin handed over that this
    /// stream's reader has not taken yet. A plugin of interface 2.2 reads its
    /// answer no further while this is above its high-water mark
    /// (plugin-sdk's: 256 KiB), so a stream that is not read holds about
    /// that much and one batch, not the whole answer.
    pub fn queued_bytes(&self) -> u64 {
        self.backlog.bytes()
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
            Some(Message::Event(event, bytes)) => {
                self.backlog.release(bytes);
                Some(Ok(event))
            }
            Some(Message::Events(mut events, bytes)) => {
                let first = events.next();
                if events.len() == 0 {
                    self.backlog.release(bytes);
                } else {
                    self.pending = Some(events);
                    self.pending_bytes = bytes;
                }
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

    /// The next event of the batch being read, if one is left. The batch
    /// leaves the backlog with its last event.
    fn pending_event(&mut self) -> Option<ChatEvent> {
        let events = self.pending.as_mut()?;
        let event = events.next();
        if events.len() == 0 {
            self.pending = None;
            self.backlog.release(self.pending_bytes);
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
